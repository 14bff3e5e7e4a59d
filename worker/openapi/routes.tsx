// GET /openapi.json and GET /docs: the description of every API route, built once per isolate from the
// app's own route table (so it is read only after every route is mounted).
import { Hono } from 'hono';
import type { RouterRoute } from 'hono/types';
import { z } from 'zod';
import { ApiReference } from '../../portal/docs/reference';
import type { AppEnv } from '../env';
import { buildOpenApiDocument, type OpenApiDocument } from './document';
import { describeRoute } from './registry';

export function apiDescription(app: { routes: RouterRoute[] }) {
  let built: OpenApiDocument | undefined;
  const document = () => (built ??= buildOpenApiDocument(app.routes));
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
      (c) => c.json({ ...document(), servers: [{ url: new URL(c.req.url).origin }] }, 200, { 'Access-Control-Allow-Origin': '*' }),
    )
    .get('/docs', (c) => c.html(<ApiReference document={document()} origin={new URL(c.req.url).origin} />));
}
