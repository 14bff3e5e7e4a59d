// The OpenAPI 3.1 document, built from the app's own route table and the zod schemas the routes validate
// with. Schemas with an `id` (./schemas.ts) become components; everything else is inlined where it is used.
import type { RouterRoute } from 'hono/types';
import { z } from 'zod';
import pkg from '../../package.json';
import { collectOperations, type Operation } from './operations';
import type { AuthScheme, ResponseSpec } from './registry';
import { ErrorBody } from './schemas';

type Json = Record<string, unknown>;
type JsonSchema = Record<string, unknown>;

export const TAGS: { name: string; description: string }[] = [
  { name: 'Tracking', description: 'What shoppers touch: tracked links and the storefront script. No credentials.' },
  { name: 'Storefront', description: "Called from the brand's checkout with a publishable storefront key." },
  { name: 'Ingestion', description: "Signed server-to-server calls from the brand's store backend." },
  { name: 'Store webhooks', description: 'Shopify and Stripe post orders and refunds here, signed with the secrets connected under API keys and integrations.' },
  { name: 'Brand', description: 'The brand settings: allowed hosts, fallback, click parameter, currency and timezone.' },
  { name: 'Campaigns', description: 'Campaigns and their network-level brief, bulk creator import and network measurement.' },
  { name: 'Bounties', description: "One-off rewards for reaching a goal in a campaign (\"10 sales by 31 December earns 50.00\"), paid once per creator as a ledger adjustment." },
  { name: 'Creators', description: "The brand's roster, invites and password resets." },
  { name: 'Enrollments', description: 'A creator in a campaign, with a payment model and a creator-specific brief section.' },
  { name: 'Links', description: 'Tracked links: one per enrollment and destination.' },
  { name: 'Discount codes', description: 'Creator codes; a redeemable code beats a click.' },
  { name: 'Commission plans', description: 'Tiered commission by attributed net revenue in the period.' },
  { name: 'Submissions', description: 'The content review queue.' },
  { name: 'Messages', description: "Conversations between the brand and each creator: one per creator, read and written in the console and the creator's portal." },
  { name: 'Gifting', description: "Product seeding: the products a campaign's creators pick from, their requests with a shipping address, and shipping or declining them." },
  { name: 'Content', description: 'The content library: approved and live content with the usage rights each creator granted.' },
  { name: 'Conversions', description: 'Recorded orders: what the store sent, the attribution, the commission and the reversals.' },
  { name: 'Payouts', description: 'Close a period, export it for finance, mark payouts paid.' },
  { name: 'API keys and integrations', description: 'Keys for the storefront, ingestion and this API; store connections for webhooks.' },
  { name: 'Outgoing webhooks', description: "Events Chorus sends to the brand's own systems: endpoints, the delivery log, replay." },
  { name: 'Activity', description: "Who did what to the brand's account: the audit log." },
  { name: 'Mail', description: 'Addresses in the invitation mails Chorus sends: one-click unsubscribe.' },
  { name: 'Meta', description: 'Health and this description.' },
];

const SECURITY_SCHEMES = {
  adminKey: { type: 'http', scheme: 'bearer', description: 'An admin-scope API key (`ck_admin_…`) as a Bearer token. Create keys with POST /api/admin/keys.' },
  storefrontKey: { type: 'http', scheme: 'bearer', description: 'A publishable storefront-scope key as a Bearer token; safe to ship in checkout code.' },
  chorusAccount: { type: 'apiKey', in: 'header', name: 'Chorus-Account', description: "The brand's slug." },
  chorusSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'Chorus-Signature',
    description:
      '`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` with an ingest-scope key as the secret; accepted within 300 s of the server clock. Several `v1=` values may be sent while rotating secrets. A 401 `invalid_signature` says why in `details.reason`: `missing_account` (no Chorus-Account header), `missing` (no signature), `malformed`, `stale` (t over 300 s old), `future` (t over 300 s ahead), `mismatch` (no secret of that account verifies, or no such account).',
  },
  shopifyHmac: { type: 'apiKey', in: 'header', name: 'X-Shopify-Hmac-Sha256', description: "Shopify's base64 HMAC-SHA256 of the raw body with the shop's webhook secret. A 401 `invalid_signature` says why in `details.reason`: `missing`, `malformed` or `mismatch` (no secret connected for that shop verifies, or the shop is not connected)." },
  stripeSignature: { type: 'apiKey', in: 'header', name: 'Stripe-Signature', description: "Stripe's signature header, verified with the endpoint secret connected for the account. A 401 `invalid_signature` says why in `details.reason`: `missing`, `malformed`, `stale` or `future` (t over 300 s off), `mismatch` (no secret connected for that account verifies, or the account is not connected)." },
} as const;

const SECURITY: Record<AuthScheme, Record<string, []>[]> = {
  adminKey: [{ adminKey: [] }],
  storefrontKey: [{ storefrontKey: [] }],
  chorusSignature: [{ chorusAccount: [], chorusSignature: [] }],
  shopifyHmac: [{ shopifyHmac: [] }],
  stripeSignature: [{ stripeSignature: [] }],
};

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

// zod spells out what JSON Schema already says: drop its 400-character date-time and email patterns
// (the format says it) and the ±2^53 bounds it gives every integer.
function tidy(ctx: { jsonSchema: JsonSchema }) {
  const s = ctx.jsonSchema;
  if ((s.format === 'date-time' || s.format === 'email') && typeof s.pattern === 'string') delete s.pattern;
  if (s.minimum === -MAX_SAFE) delete s.minimum;
  if (s.maximum === MAX_SAFE) delete s.maximum;
}

// Converts one schema; named subschemas move to components (refs rewritten), the rest stays inline.
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const json = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any', override: tidy }) as JsonSchema;
    const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
    delete json.$defs;
    delete json.$schema;
    const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
    // A named schema converted on its own comes back inline, or as a $ref to its own $defs entry.
    if (id && !defs[id]) defs[id] = json;
    for (const [name, def] of Object.entries(defs)) this.add(name, rewriteRefs(def) as JsonSchema);
    return id ? { $ref: `#/components/schemas/${id}` } : (rewriteRefs(json) as JsonSchema);
  }

  private add(name: string, def: JsonSchema) {
    const existing = this.schemas[name];
    if (existing && JSON.stringify(existing) !== JSON.stringify(def)) throw new Error(`Two different schemas are named ${name}; give one another id`);
    this.schemas[name] = def;
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewriteRefs(v)]),
  );
}

// Hono's /campaigns/:id (or :id{[0-9]+}) is OpenAPI's /campaigns/{id}.
export const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');
export const pathParamNames = (honoPath: string) => [...honoPath.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);

export const operationId = (op: Pick<Operation, 'method' | 'path'>) =>
  op.method.toLowerCase() +
  op.path
    .split(/[/.-]/)
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `By${cap(part.slice(1).replace(/\{.*$/, ''))}` : cap(part)))
    .join('');
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function parametersOf(op: Operation, components: Components): Json[] {
  const params: Json[] = [];
  const pathSchema = op.request.param ? (components.convert(op.request.param, 'input') as { properties?: Record<string, JsonSchema> }) : null;
  for (const name of pathParamNames(op.path)) {
    params.push({ name, in: 'path', required: true, description: op.spec.params?.[name], schema: pathSchema?.properties?.[name] ?? { type: 'string' } });
  }
  for (const [where, schema] of [
    ['query', op.request.query],
    ['header', op.spec.headers],
  ] as const) {
    if (!schema) continue;
    const json = components.convert(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, prop] of Object.entries(json.properties ?? {})) {
      const { description, ...rest } = prop;
      params.push({ name, in: where, required: json.required?.includes(name) ?? false, description, schema: rest });
    }
  }
  // An operation that declares the header itself (one that requires it, say) says more than the generic one.
  if (op.idempotencyKey && !params.some((p) => p.in === 'header' && String(p.name).toLowerCase() === 'idempotency-key')) {
    params.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Any unique string (a UUID), 1 to 255 visible ASCII characters. A retry with the same key and request within 24 hours gets the first 2xx answer again (`Idempotent-Replayed: true`) instead of applying the request twice.',
      schema: { type: 'string', maxLength: 255 },
    });
  }
  return params.map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)));
}

function requestBodyOf(op: Operation, components: Components): Json | undefined {
  if (op.request.json) {
    return { required: true, content: { 'application/json': { schema: components.convert(op.request.json, 'input'), ...(op.spec.example === undefined ? {} : { example: op.spec.example }) } } };
  }
  if (op.spec.bodyDescription) return { required: true, description: op.spec.bodyDescription, content: { 'application/json': { schema: { type: 'object' } } } };
  return undefined;
}

function successResponse(r: ResponseSpec, components: Components): Json {
  const content: Json = {};
  if (r.schema) content['application/json'] = { schema: components.convert(r.schema, 'output'), ...(r.example === undefined ? {} : { example: r.example }) };
  if (r.contentType) content[r.contentType] = { schema: { type: 'string' } };
  for (const alt of [r.alternative ?? []].flat()) content[alt.contentType] = { schema: { type: 'string', description: alt.description } };
  return {
    description: r.description,
    ...(r.headers ? { headers: Object.fromEntries(Object.entries(r.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) } : {}),
    ...(Object.keys(content).length ? { content } : {}),
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Malformed request',
  401: 'Missing or invalid credentials',
  403: 'Credentials without the needed scope',
  404: 'Not found (other brands’ objects are not found either)',
  409: 'Conflict',
  410: 'Gone',
  413: 'Body too large',
  415: 'Unsupported media type',
  422: 'Did not pass validation',
  429: 'Too many requests',
  503: 'Temporarily unavailable; retry after Retry-After',
};

function errorResponse(status: number, codes: string[]): Json {
  return {
    description: `${STATUS_TEXT[status] ?? 'Error'}: ${codes.map((c) => `\`${c}\``).join(', ')}`,
    content: {
      'application/json': {
        schema: { allOf: [{ $ref: '#/components/schemas/Error' }, { properties: { error: { properties: { code: { enum: codes } } } } }] },
        example: { error: { code: codes[0], message: '…' } },
      },
    },
  };
}

function operationObject(op: Operation, components: Components): Json {
  const responses: Json = {};
  for (const [status, r] of Object.entries(op.spec.responses)) if (r) responses[status] = successResponse(r, components);
  for (const [status, codes] of op.errors) responses[status] = errorResponse(status, codes);
  const parameters = parametersOf(op, components);
  const requestBody = requestBodyOf(op, components);
  return {
    operationId: operationId(op),
    tags: [op.spec.tag],
    summary: op.spec.summary,
    ...(op.spec.description ? { description: op.spec.description } : {}),
    security: op.spec.auth ? SECURITY[op.spec.auth] : [],
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
  };
}

export type OpenApiDocument = Json & { paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, JsonSchema> } };

export function buildOpenApiDocument(routes: readonly RouterRoute[]): OpenApiDocument {
  const { operations } = collectOperations(routes);
  const components = new Components();
  components.convert(ErrorBody, 'output');
  const paths: Record<string, Record<string, Json>> = {};
  for (const op of operations) (paths[openApiPath(op.path)] ??= {})[op.method.toLowerCase()] = operationObject(op, components);
  const used = new Set(operations.map((op) => op.spec.tag));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Chorus API',
      version: pkg.version,
      summary: 'Run a micro-creator network: campaigns, creators, tracked links, codes, orders, payouts.',
      description:
        'Money is integer minor units with an ISO 4217 currency; times are ISO 8601. Every error is `{"error":{"code","message","details"}}`: branch on `code`. Objects of another brand answer 404, never 403. A readable version of this document is at /docs.',
    },
    tags: [...TAGS.filter((t) => used.has(t.name)), ...[...used].filter((name) => !TAGS.some((t) => t.name === name)).map((name) => ({ name }))],
    paths,
    components: { schemas: components.schemas, securitySchemes: SECURITY_SCHEMES },
  } as OpenApiDocument;
}
