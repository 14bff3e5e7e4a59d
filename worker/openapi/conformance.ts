// In the workers test pool (ENVIRONMENT=test) every answer of a described route is checked against its
// description: a documented status, a documented error code, and a JSON body its response schema accepts
// with no fields the schema leaves out. A mismatch becomes a 500 `openapi_mismatch` that names the fix,
// so the existing route tests keep the document honest. Elsewhere this is one string comparison.
import { createMiddleware } from 'hono/factory';
import { matchedRoutes } from 'hono/route';
import type { RouterRoute } from 'hono/types';
import type { AppEnv } from '../env';
import { errorBody } from '../lib/errors';
import { operationOf, type Operation } from './operations';

const cache = new Map<string, Operation | null>();

// The endpoint a request reached: the first matched route of its method that is not use() middleware.
function operationFor(matched: RouterRoute[], method: string): Operation | null {
  const endpoint = matched.find((r) => r.method === method);
  if (!endpoint) return null;
  const key = `${endpoint.method} ${endpoint.path}`;
  if (!cache.has(key)) {
    const handlers = matched.filter((r) => r.method === endpoint.method && r.path === endpoint.path).map((r) => r.handler);
    cache.set(key, operationOf({ method: endpoint.method, path: endpoint.path, handlers }));
  }
  return cache.get(key) ?? null;
}

// Where `body` has a field its parse dropped (zod strips keys a schema does not list), or null.
function unlistedField(parsed: unknown, body: unknown, path = ''): string | null {
  if (typeof body !== 'object' || body === null || typeof parsed !== 'object' || parsed === null) return null;
  for (const [key, value] of Object.entries(body)) {
    const here = Array.isArray(body) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (value !== undefined && !(key in parsed)) return here;
    const deeper = unlistedField((parsed as Record<string, unknown>)[key], value, here);
    if (deeper) return deeper;
  }
  return null;
}

async function jsonOf(res: Response): Promise<unknown> {
  try {
    return await res.clone().json();
  } catch {
    return undefined;
  }
}

export async function mismatch(op: Operation, res: Response): Promise<string | null> {
  const { status } = res;
  // A 500 is a bug with its own tests, not part of any operation's contract.
  if (status === 500) return null;
  const type = res.headers.get('content-type') ?? '';
  const success = op.spec.responses[status as keyof Operation['spec']['responses']];
  if (success) {
    if ([success.alternative ?? []].flat().some((alt) => type.startsWith(alt.contentType))) return null;
    if (success.contentType) return type.startsWith(success.contentType) ? null : `answered ${status} as ${type || 'no content type'}, not ${success.contentType}`;
    if (!success.schema) return null;
    const body = await jsonOf(res);
    const parsed = success.schema.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
      return `answered ${status} with a body its response schema rejects (${issues}); fix the schema in worker/openapi/schemas.ts or the handler`;
    }
    const extra = unlistedField(parsed.data, body);
    if (extra) return `answered ${status} with ${extra}, which its response schema does not list; add it to the schema in worker/openapi/schemas.ts`;
    return null;
  }
  // A tracked link opened in a browser answers its documented error statuses as a page for the shopper.
  if (status >= 400 && type.startsWith('text/html') && op.errors.has(status)) return null;
  const code = ((await jsonOf(res)) as { error?: { code?: string } } | undefined)?.error?.code ?? '(no error code)';
  const codes = op.errors.get(status);
  if (status >= 400 && codes?.includes(code)) return null;
  return `answered ${status} ${status >= 400 ? code : ''}, which its description does not list; add it to ${status >= 400 ? 'errors' : 'responses'} in its describeRoute(…)`;
}

export const conformToDescription = createMiddleware<AppEnv>(async (c, next) => {
  if (c.env.ENVIRONMENT !== 'test') return next();
  await next();
  const op = operationFor(matchedRoutes(c), c.req.method);
  const problem = op ? await mismatch(op, c.res) : null;
  if (!op || !problem) return;
  const message = `${op.method} ${op.path} ${problem}`;
  console.error(JSON.stringify({ event: 'openapi_mismatch', message }));
  c.res = new Response(JSON.stringify(errorBody('openapi_mismatch', message)), { status: 500, headers: { 'content-type': 'application/json' } });
});
