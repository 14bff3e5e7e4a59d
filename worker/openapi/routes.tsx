// GET /openapi.json and GET /docs: the description of every API route, built once per isolate from the
// app's own route table (so it is read only after every route is mounted).
import { Hono } from 'hono';
import type { RouterRoute } from 'hono/types';
import { z } from 'zod';
import { ApiReference } from '../../portal/docs/reference';
import { publicOrigin, type AppEnv } from '../env';
import { buildOpenApiDocument, type OpenApiDocument } from './document';
import { describeRoute } from './registry';

// Rendering /docs costs tens of milliseconds of CPU, so each isolate renders it once per origin.
const MAX_CACHED_PAGES = 8;

export function apiDescription(app: { routes: RouterRoute[] }) {
  let built: OpenApiDocument | undefined;
  const document = () => (built ??= buildOpenApiDocument(app.routes));
  const pages = new Map<string, string>();
  const page = async (origin: string) => {
    let html = pages.get(origin);
    if (html === undefined) {
      html = (await (<ApiReference document={document()} origin={origin} />)).toString();
      if (pages.size >= MAX_CACHED_PAGES) pages.clear();
      pages.set(origin, html);
    }
    return html;
  };
  return new Hono<AppEnv>()
    .get(
      '/openapi.json',
      describeRoute({
        tag: 'Meta',
        auth: null,
        summary: 'This description, as OpenAPI 3.1',
        description: 'Generated from the zod schemas that validate each request. A readable version is at /docs.',
        responses: {
          200: {
            description: 'The OpenAPI document, with this origin as its server.',
            schema: z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }),
          },
        },
      }),
      (c) => c.json({ ...document(), servers: [{ url: publicOrigin(c) }] }, 200, { 'Access-Control-Allow-Origin': '*' }),
    )
    .get('/docs', async (c) => c.html(await page(publicOrigin(c))));
}
