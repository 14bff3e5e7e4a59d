import { zValidator } from '@hono/zod-validator';
import type { Context, ValidationTargets } from 'hono';
import { z } from 'zod';
import { ApiError } from './errors';

// The schema behind each validator: the OpenAPI document is built from the very objects that validate.
const validators = new WeakMap<object, { target: keyof ValidationTargets; schema: z.ZodType }>();
export const validatorOf = (handler: unknown) => (typeof handler === 'function' ? validators.get(handler) : undefined);

// hono reads a JSON body only when Content-Type says JSON, and validates `{}` otherwise: a body sent as
// text/plain (or with no type) would pass as empty, its fields silently dropped (a rejection's note).
const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i;
async function refuseUnreadBody(c: Context): Promise<void> {
  const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
  if (JSON_MEDIA.test(mediaType)) return;
  if ((await c.req.text()).trim() === '') return;
  throw new ApiError(415, 'unsupported_media_type', 'Send the body as JSON, with Content-Type: application/json.');
}

// zod at the edge of every route: a failure is a 422 in the one error shape, before any write.
export function valid<T extends keyof ValidationTargets, S extends z.ZodType>(target: T, schema: S) {
  const validator = zValidator(target, schema, async (result, c) => {
    if (target === 'json') await refuseUnreadBody(c);
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

// Text a person writes for another to read: no control characters or broken UTF-16, and on one line unless
// it is prose (the console edits lists one item per line, so an item with a line break would split in two).
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
const NO_BIDI = 'No text-direction override characters.';
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Text from outside (a store's webhook) that is safe to store and show: no control characters, whole characters.
export const isCleanText = (s: string) => !CONTROL.test(s) && !LONE_SURROGATE.test(s) && !/[\r\n\t]/.test(s);

export const plainText = (max: number, lines: 'one' | 'many' = 'one', tooLong?: string) =>
  z
    .string()
    // Line breaks as LF, however the client sent them (the console does the same), so CR LF counts once.
    .overwrite((s) => (lines === 'many' ? s.replace(/\r\n?/g, '\n') : s))
    .trim()
    .max(max, tooLong)
    .refine((s) => !CONTROL.test(s) && !LONE_SURROGATE.test(s), 'No control characters or broken characters.')
    // NEL, the line and paragraph separators and tabs break a line too in some mail apps and browsers (a title
    // becomes a mail's subject); the C1 controls are never text a person typed.
    .refine((s) => !/[\u0080-\u009f]/.test(s), 'No control characters or broken characters.')
    .refine((s) => lines === 'many' || !/[\r\n\t\u2028\u2029]/.test(s), 'One line: no line breaks.')
    // A name or a title with a bidi override or isolate reads as other text than it holds ("😀livE" stored as
    // "Evil😀"): refused in one-line text. Prose keeps them, and the marks (U+200E/F) right-to-left writing uses.
    .refine((s) => lines === 'many' || !BIDI_CONTROL.test(s), NO_BIDI);

/**
 * Prose a person agrees to (the usage rights a creator grants): plainText, and no bidi override or isolate
 * either, so the terms read as the text they hold. The marks (U+200E/F) right-to-left writing uses stay.
 */
export const termsText = (max: number, tooLong?: string) => plainText(max, 'many', tooLong).refine((s) => !BIDI_CONTROL.test(s), NO_BIDI);
