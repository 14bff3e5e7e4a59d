// From Hono's route table to documented operations. Both the document and the test-time conformance
// check read routes through here, so they agree on what each operation accepts and answers.
import type { RouterRoute } from 'hono/types';
import type { z } from 'zod';
import { validatorOf } from '../lib/validate';
import { ROUTES_DESCRIBED_HERE } from './routes-described-here';
import { takesIdempotencyKey } from '../routes/admin/idempotency';
import { specOf, type AuthScheme, type OperationSpec } from './registry';

export type Operation = {
  method: string; // upper case, as Hono registers it
  path: string; // Hono's syntax: /api/admin/campaigns/:id
  spec: OperationSpec;
  request: { json?: z.ZodType; query?: z.ZodType; param?: z.ZodType };
  /** Every error status the operation can answer, with its codes: declared ones plus those its auth and inputs imply. */
  errors: Map<number, string[]>;
  /** Whether it honours an Idempotency-Key header (routes/admin/idempotency.ts). */
  idempotencyKey: boolean;
};

export type Endpoint = { method: string; path: string; handlers: unknown[] };

// Middleware registered with use() shows up as method ALL; every other entry is an endpoint's handler chain.
export function endpointsOf(routes: readonly RouterRoute[]): Endpoint[] {
  const byKey = new Map<string, Endpoint>();
  for (const r of routes) {
    if (r.method === 'ALL') continue;
    const key = `${r.method} ${r.path}`;
    const endpoint = byKey.get(key) ?? { method: r.method, path: r.path, handlers: [] };
    endpoint.handlers.push(r.handler);
    byKey.set(key, endpoint);
  }
  return [...byKey.values()];
}

const AUTH_ERRORS: Record<AuthScheme, [number, string][]> = {
  adminKey: [
    [401, 'unauthorized'],
    [403, 'forbidden'],
  ],
  storefrontKey: [
    [401, 'unauthorized'],
    [429, 'rate_limited'],
  ],
  chorusSignature: [[401, 'invalid_signature']],
  shopifyHmac: [[401, 'invalid_signature']],
  stripeSignature: [[401, 'invalid_signature']],
};

function impliedErrors(path: string, spec: OperationSpec, request: Operation['request'], idempotencyKey: boolean): [number, string][] {
  const out: [number, string][] = [...(spec.auth ? AUTH_ERRORS[spec.auth] : [])];
  if (idempotencyKey) out.push([400, 'invalid_idempotency_key'], [409, 'idempotency_conflict'], [409, 'idempotency_key_in_use'], [409, 'idempotency_key_committed']);
  const hasBody = request.json !== undefined || spec.bodyDescription !== undefined;
  if (hasBody) out.push([400, 'malformed_request']);
  // A body JSON validation would not read (valid('json'), lib/validate.ts).
  if (request.json !== undefined && spec.body === undefined) out.push([415, 'unsupported_media_type']);
  // Every API request's body is limited (app.tsx), whether or not the operation reads one.
  if (/^\/(api|v1)\//.test(path)) out.push([413, 'payload_too_large']);
  if (request.json || request.query || request.param) out.push([422, 'validation_failed']);
  // Everything behind a credential reads D1, and D1 trouble is a retryable 503, never a 500.
  if (spec.auth) out.push([503, 'storage_unavailable']);
  return out;
}

export function operationOf(endpoint: Endpoint): Operation | null {
  let spec: OperationSpec | undefined;
  const request: Operation['request'] = {};
  for (const handler of endpoint.handlers) {
    spec ??= specOf(handler);
    const validator = validatorOf(handler);
    if (validator?.target === 'json' || validator?.target === 'query' || validator?.target === 'param') request[validator.target] = validator.schema;
  }
  spec ??= ROUTES_DESCRIBED_HERE[`${endpoint.method} ${endpoint.path}`];
  if (!spec) return null;
  if (spec.body) {
    if (request.json) throw new Error(`${endpoint.method} ${endpoint.path}: the body is validated by valid('json', …); do not repeat it in describeRoute`);
    request.json = spec.body;
  }
  const idempotencyKey = spec.auth === 'adminKey' && takesIdempotencyKey(endpoint.method, endpoint.path);
  const errors = new Map<number, string[]>();
  const declared = Object.entries(spec.errors ?? {}).flatMap(([status, codes]) => (codes ?? []).map((code): [number, string] => [Number(status), code]));
  for (const [status, code] of [...impliedErrors(endpoint.path, spec, request, idempotencyKey), ...declared]) {
    const codes = errors.get(status) ?? [];
    if (!codes.includes(code)) codes.push(code);
    errors.set(status, codes);
  }
  return { method: endpoint.method, path: endpoint.path, spec, request, errors: new Map([...errors].sort(([a], [b]) => a - b)), idempotencyKey };
}

// Operations in route-table order, and the endpoints nothing describes (the completeness test lists them).
export function collectOperations(routes: readonly RouterRoute[]): { operations: Operation[]; undescribed: Endpoint[] } {
  const operations: Operation[] = [];
  const undescribed: Endpoint[] = [];
  for (const endpoint of endpointsOf(routes)) {
    const op = operationOf(endpoint);
    if (op) operations.push(op);
    else undescribed.push(endpoint);
  }
  return { operations, undescribed };
}
