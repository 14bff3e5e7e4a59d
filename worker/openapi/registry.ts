// Every JSON route describes itself at the head of its handler chain:
//
//   .post('/', op({ summary: 'Create a campaign', responses: { 201: … }, errors: { 409: ['slug_taken'] } }), valid('json', createCampaign), handler)
//
// The document (./document.ts) walks Hono's own route table (`app.routes`), so each operation's method and
// path are the ones Hono serves, and its request schemas are the very objects its valid(…) validators check.
// describeRoute only adds what the code cannot say: summary, auth, response shapes and the error codes.
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';

export type AuthScheme = 'adminKey' | 'storefrontKey' | 'chorusSignature' | 'shopifyHmac' | 'stripeSignature';

export type SuccessStatus = 200 | 201 | 202 | 204 | 302;
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 503;

export type ResponseSpec = {
  description: string;
  /** The JSON body. */
  schema?: z.ZodType;
  /** A body that is not JSON (CSV, JavaScript, NDJSON), described in words. */
  contentType?: string;
  /** Other representations of the same answer, chosen with the Accept header or a parameter (a payment file's format). */
  alternative?: { contentType: string; description: string } | { contentType: string; description: string }[];
  /** Response header name → what it carries. */
  headers?: Record<string, string>;
  example?: unknown;
};

export type OperationSpec = {
  summary: string;
  description?: string;
  tag: string;
  auth: AuthScheme | null;
  /** A JSON body the handler reads itself (signed bodies are verified before they are parsed). Bodies checked by valid('json', …) need not be repeated here. */
  body?: z.ZodType;
  /** A request body described in words when Chorus does not own its format (a store's webhook payload). */
  bodyDescription?: string;
  /** Request headers the operation reads, besides its auth. */
  headers?: z.ZodObject;
  /** Path parameters, when they are not checked by valid('param', …): names and what they are. */
  params?: Record<string, string>;
  /** A request body example; required for every operation with a JSON body. */
  example?: unknown;
  responses: Partial<Record<SuccessStatus, ResponseSpec>>;
  /** Error codes by status, beyond those implied by the auth scheme and the request schemas (see ./errors.ts). */
  errors?: Partial<Record<ErrorStatus, readonly string[]>>;
};

type BodyInput<B> = B extends z.ZodType ? { in: { json: z.input<B> } } : {};

const described = new WeakMap<object, OperationSpec>();

export const specOf = (handler: unknown): OperationSpec | undefined => (typeof handler === 'function' ? described.get(handler) : undefined);

// A no-op middleware that carries the description. A body declared here also types the RPC client's `json`
// (for handlers that parse their body themselves); it never types c.req.valid, since nothing here validates.
export function describeRoute<B extends z.ZodType | undefined = undefined>(spec: OperationSpec & { body?: B }): MiddlewareHandler<any, string, BodyInput<B>> {
  const middleware: MiddlewareHandler = (_c, next) => next();
  described.set(middleware, spec);
  return middleware as MiddlewareHandler<any, string, BodyInput<B>>;
}

// One per route module: the tag and auth its operations share.
export function routeDescriber(shared: Pick<OperationSpec, 'tag' | 'auth'>) {
  return <B extends z.ZodType | undefined = undefined>(spec: Omit<OperationSpec, 'tag' | 'auth'> & Partial<Pick<OperationSpec, 'tag' | 'auth'>> & { body?: B }) =>
    describeRoute<B>({ ...shared, ...spec });
}
