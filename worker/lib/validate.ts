import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
import type { z } from 'zod';
import { ApiError } from './errors';

// The schema behind each validator: the OpenAPI document is built from the very objects that validate.
const validators = new WeakMap<object, { target: keyof ValidationTargets; schema: z.ZodType }>();
export const validatorOf = (handler: unknown) => (typeof handler === 'function' ? validators.get(handler) : undefined);

// zod at the edge of every route: a failure is a 422 in the one error shape, before any write.
export function valid<T extends keyof ValidationTargets, S extends z.ZodType>(target: T, schema: S) {
  const validator = zValidator(target, schema, (result) => {
    if (!result.success) {
      const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      throw new ApiError(422, 'validation_failed', 'The request did not pass validation.', { issues });
    }
  });
  validators.set(validator, { target, schema });
  return validator;
}

export function iso(ms: number): string;
export function iso(ms: number | null | undefined): string | null;
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
