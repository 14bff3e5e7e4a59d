// The OpenAPI description is complete and honest: every route Hono serves is in /openapi.json unless it is
// an HTML page; examples are accepted by the schemas they illustrate; /docs shows every operation.
// (That the document is valid OpenAPI 3.1 is checked in test/node, where ajv can compile validators.)
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { app } from '../../../worker/app';
import { openApiPath, operationId, type OpenApiDocument } from '../../../worker/openapi/document';
import { sampleOf } from '../../../worker/openapi/examples';
import { mismatch } from '../../../worker/openapi/conformance';
import { collectOperations, endpointsOf, operationOf } from '../../../worker/openapi/operations';
import { describeRoute } from '../../../worker/openapi/registry';
import { BASE, createBrand } from '../fixtures';

// Not API: the brand console (all of /console), the creator portal's pages and forms, and /docs itself.
// Static assets (portal.css, robots.txt, favicon.svg) never appear in app.routes: app.notFound serves them.
const CONSOLE = /^(GET|POST) \/console(\/|$)/;
const HTML_PAGES = [
  'GET /docs',
  'GET /',
  'GET /login',
  'POST /login',
  'GET /login/code',
  'POST /login/code',
  'POST /logout',
  'GET /apply/:brand/:campaign',
  'POST /apply/:brand/:campaign',
  'GET /forgot',
  'POST /forgot',
  'GET /invite/:token',
  'POST /invite/:token',
  'POST /invite/:token/email',
  'POST /invite/:token/password',
  'GET /unsubscribe/:token',
  'POST /unsubscribe/:token',
  'GET /unsubscribe/earnings/:token',
  'POST /unsubscribe/earnings/:token',
  'GET /unsubscribe/news/:token',
  'POST /unsubscribe/news/:token',
  'GET /reset/:token',
  'POST /reset/:token',
  'POST /invitations/:enrollmentId/accept',
  'GET /invitations/:enrollmentId/accept',
  'GET /terms/:brandId',
  'POST /terms/:brandId/accept',
  'POST /invitations/:enrollmentId/decline',
  'GET /brief/:enrollmentId',
  'GET /gift/:enrollmentId',
  'POST /gift/:enrollmentId',
  'POST /gift/:enrollmentId/withdraw',
  'POST /gift/:enrollmentId/received',
  'GET /stats/:enrollmentId',
  'GET /links/:slug/qr',
  'GET /links/:slug/qr.svg',
  'GET /submissions',
  'GET /submissions/new',
  'POST /submissions',
  'GET /submissions/:id',
  'GET /submissions/:id/edit',
  'POST /submissions/:id/resubmit',
  'POST /submissions/:id/live',
  'POST /submissions/:id/rights-extension/:requestId/accept',
  'POST /submissions/:id/rights-extension/:requestId/decline',
  'GET /earnings',
  'GET /earnings/statement.csv',
  'GET /earnings/payouts/:id',
  'GET /links/new',
  'POST /links',
  'POST /links/:slug/archive',
  'POST /links/:slug/restore',
  'POST /earnings/payout-details',
  'POST /earnings/tax-details',
  'POST /earnings/tax-details/remove',
  'GET /account',
  'POST /account/name',
  'POST /account/emails',
  'POST /account/email',
  'POST /brief/:enrollmentId/leave',
  'GET /email-change',
  'POST /email-change',
  'POST /account/password',
  'POST /account/sign-out-others',
  'GET /account/two-step',
  'POST /account/two-step',
  'POST /account/two-step/recovery',
  'POST /account/two-step/off',
  'GET /account/data.json',
  'POST /account/close',
  'GET /account-closed',
  'GET /messages',
  'GET /messages/:brandId',
  'POST /messages/:brandId',
];
const isHtmlPage = (route: string) => CONSOLE.test(route) || HTML_PAGES.includes(route);

const HOW_TO_DESCRIBE =
  "These routes have no OpenAPI description. Put describeRoute({ summary, responses, errors }) (or your module's routeDescriber from worker/openapi/registry.ts) first in each route's handler chain, e.g. .post('/', op({ summary: 'Create an endpoint', responses: { 201: { description: 'Created.', schema: dataOf(Endpoint) } } }), valid('json', body), handler). Response schemas live in worker/openapi/schemas.ts. HTML pages go in HTML_PAGES in this test instead.";

async function servedDocument(): Promise<OpenApiDocument> {
  const res = await SELF.fetch(`${BASE}/openapi.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as OpenApiDocument;
}

type JsonOperation = { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>; requestBody?: { content: Record<string, { example?: unknown }> } };

describe('OpenAPI completeness', () => {
  it('describes every route Hono serves except the HTML pages', async () => {
    const routes = endpointsOf(app.routes).map((e) => `${e.method} ${e.path}`);
    const { undescribed } = collectOperations(app.routes);
    expect(undescribed.map((e) => `${e.method} ${e.path}`).filter((r) => !isHtmlPage(r)), HOW_TO_DESCRIBE).toEqual([]);

    // The served document has exactly the described routes, path for path and method for method.
    const doc = await servedDocument();
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    const expected = routes.filter((r) => !isHtmlPage(r)).map((r) => r.replace(/ (.*)$/, (_, p: string) => ` ${openApiPath(p)}`));
    expect(documented.sort()).toEqual(expected.sort());
  });

  it('lists only HTML pages that exist, so the allowlist cannot hide a removed page', () => {
    const routes = new Set(endpointsOf(app.routes).map((e) => `${e.method} ${e.path}`));
    expect(HTML_PAGES.filter((p) => !routes.has(p))).toEqual([]);
    expect([...routes].filter((r) => CONSOLE.test(r)).length).toBeGreaterThan(0);
  });

  it('covers the public surface and the whole admin API', async () => {
    const doc = await servedDocument();
    const has = (method: string, path: string) => doc.paths[path]?.[method] !== undefined;
    for (const [method, path] of [
      ['post', '/v1/conversions'],
      ['post', '/v1/refunds'],
      ['post', '/v1/refunds/failures'],
      ['get', '/v1/codes/{code}'],
      ['post', '/v1/webhooks/shopify'],
      ['post', '/v1/webhooks/stripe/{account}'],
      ['get', '/r/{slug}'],
      ['head', '/r/{slug}'],
      ['get', '/healthz'],
      ['get', '/sdk.js'],
      ['get', '/openapi.json'],
    ] as const) {
      expect(has(method, path), `${method.toUpperCase()} ${path}`).toBe(true);
    }
    const adminRoutes = endpointsOf(app.routes).filter((e) => e.path.startsWith('/api/admin/'));
    expect(adminRoutes.length).toBeGreaterThan(30);
    for (const e of adminRoutes) expect(has(e.method.toLowerCase(), openApiPath(e.path)), `${e.method} ${e.path}`).toBe(true);
  });

  it('gives every operation a summary, a known tag, its auth, a success response and unique id', async () => {
    const doc = await servedDocument();
    const tags = new Set((doc.tags as { name: string }[]).map((t) => t.name));
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, raw] of Object.entries(methods)) {
        const op = raw as { operationId: string; summary: string; tags: string[]; security: unknown[]; responses: Record<string, unknown> };
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.summary, where).toMatch(/\S/);
        expect(tags.has(op.tags[0]!), where).toBe(true);
        expect(Array.isArray(op.security), where).toBe(true);
        expect(Object.keys(op.responses).some((s) => Number(s) < 400), where).toBe(true);
        expect(ids.has(op.operationId), `${where} repeats ${op.operationId}`).toBe(false);
        ids.add(op.operationId);
        if (path.startsWith('/api/admin/')) expect(op.security, where).toEqual([{ adminKey: [] }]);
      }
    }
  });
});

describe('OpenAPI schemas are the validators', () => {
  it('documents each JSON body with the zod schema that validates it, and an example that schema accepts', async () => {
    const doc = await servedDocument();
    const { operations } = collectOperations(app.routes);
    const withBody = operations.filter((op) => op.request.json);
    expect(withBody.length).toBeGreaterThan(15);
    for (const op of withBody) {
      const where = `${op.method} ${op.path}`;
      expect(op.spec.example, `${where} needs a request example`).toBeDefined();
      const parsed = op.request.json!.safeParse(op.spec.example);
      expect(parsed.success, `${where}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      const served = (doc.paths[openApiPath(op.path)]![op.method.toLowerCase()] as JsonOperation).requestBody?.content['application/json']?.example;
      expect(served, where).toEqual(op.spec.example);
    }
  });

  it('accepts the documented example and refuses a field the documented schema does not allow', async () => {
    const doc = await servedDocument();
    const post = doc.paths['/api/admin/campaigns']!.post as { requestBody: { content: { 'application/json': { schema: { additionalProperties: boolean }; example: Record<string, unknown> } } } };
    const { schema, example } = post.requestBody.content['application/json'];
    expect(schema.additionalProperties).toBe(false);
    const brand = await createBrand();
    const created = await brand.api('POST', '/api/admin/campaigns', { ...example, commissionPlanId: null });
    expect(created.status).toBe(201);
    const refused = await brand.api('POST', '/api/admin/campaigns', { ...example, slug: 'another-slug', budget: 100 });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ error: { code: 'validation_failed' } });
  });

  it('builds example responses for /docs that the response schemas accept', async () => {
    const doc = await servedDocument();
    const components = doc.components.schemas as Record<string, Record<string, unknown>>;
    let checked = 0;
    for (const op of collectOperations(app.routes).operations) {
      const served = doc.paths[openApiPath(op.path)]![op.method.toLowerCase()] as JsonOperation;
      for (const [status, r] of Object.entries(op.spec.responses)) {
        if (!r?.schema) continue;
        const sample = sampleOf(served.responses[status]!.content!['application/json']!.schema, components);
        const parsed = r.schema.safeParse(sample);
        expect(parsed.success, `${op.method} ${op.path} ${status}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(35);
  });

  it('uses the one error shape for every error response', async () => {
    const doc = await servedDocument();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, raw] of Object.entries(methods)) {
        for (const [status, r] of Object.entries((raw as JsonOperation).responses)) {
          if (Number(status) < 400) continue;
          const schema = r.content!['application/json']!.schema as { allOf: [{ $ref: string }, unknown] };
          expect(schema.allOf[0].$ref, `${method} ${path} ${status}`).toBe('#/components/schemas/Error');
        }
      }
    }
  });
});

describe('serving', () => {
  it('serves /openapi.json with this origin as its server, readable from other origins', async () => {
    const res = await SELF.fetch(`${BASE}/openapi.json`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const doc = (await res.json()) as OpenApiDocument & { servers: { url: string }[] };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: BASE }]);
  });

  it('renders /docs with every operation, grouped by tag, without scripts', async () => {
    const res = await SELF.fetch(`${BASE}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).not.toMatch(/<script/i);
    const doc = await servedDocument();
    for (const tag of doc.tags as { name: string }[]) expect(html).toContain(`>${tag.name.replaceAll('&', '&amp;')}</h2>`);
    for (const op of collectOperations(app.routes).operations) {
      expect(html).toContain(`id="${operationId(op)}"`);
      expect(html).toContain(openApiPath(op.path));
    }
    expect(html).toContain('Example request');
  });
});

describe('the test-time conformance check', () => {
  const Thing = z.object({ id: z.string(), n: z.int() });
  const op = operationOf({
    method: 'GET',
    path: '/things/:id',
    handlers: [describeRoute({ tag: 'Meta', auth: 'adminKey', summary: 'A thing', responses: { 200: { description: 'It.', schema: Thing } }, errors: { 404: ['not_found'] } })],
  })!;
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('accepts documented answers', async () => {
    expect(await mismatch(op, json(200, { id: 'a', n: 1 }))).toBeNull();
    expect(await mismatch(op, json(404, { error: { code: 'not_found', message: 'No such thing.' } }))).toBeNull();
    expect(await mismatch(op, json(401, { error: { code: 'unauthorized', message: '…' } }))).toBeNull();
    expect(await mismatch(op, json(503, { error: { code: 'storage_unavailable', message: '…' } }))).toBeNull();
  });

  it('names what does not match: a field, a type, an error code, a status', async () => {
    expect(await mismatch(op, json(200, { id: 'a', n: 1, secret: 'x' }))).toMatch(/with secret, which its response schema does not list/);
    expect(await mismatch(op, json(200, { id: 'a', n: '1' }))).toMatch(/n: /);
    expect(await mismatch(op, json(404, { error: { code: 'gone_fishing', message: '…' } }))).toMatch(/404 gone_fishing, which its description does not list/);
    expect(await mismatch(op, json(409, { error: { code: 'conflict', message: '…' } }))).toMatch(/409 conflict/);
    expect(await mismatch(op, new Response(null, { status: 204 }))).toMatch(/answered 204/);
  });
});
