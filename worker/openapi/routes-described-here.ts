// Routes whose modules do not carry describeRoute(…) (the hot redirect, the SDK, the health check), keyed
// by Hono's method and path. Prefer describeRoute in the route's own chain; this table is the fallback.
import { z } from 'zod';
import type { OperationSpec } from './registry';

const slug = 'The link slug: 1-64 characters of A-Z, a-z, 0-9, _ and -.';

const redirect = (method: 'GET' | 'HEAD'): OperationSpec => ({
  tag: 'Tracking',
  auth: null,
  summary: method === 'GET' ? 'Follow a tracked link' : 'Check a tracked link without counting a click',
  description:
    method === 'GET'
      ? "Answers 302 to the link's stored destination with a fresh click id (`cid`, or the brand's click parameter) added. Incoming `cid` and `utm_*` parameters are ignored. The click is recorded off the hot path; bots and link previewers get the same 302 but are not counted. A link that no longer leads anywhere (paused, its campaign ended or not yet launched, its creator removed) redirects to the brand's fallback URL when it has one, without a click id, and answers 410 otherwise. The link of a creator who closed their account still redirects to its own destination while it and its campaign would be open, without a click id and without counting a click. A browser (a request whose Accept names text/html) gets 404, 410 and 503 as a short page for the shopper with the same status; other clients get the JSON error."
      : 'The same answer as GET (link checkers and previewers use HEAD); never counted as a click.',
  params: { slug },
  responses: {
    302: {
      description: 'Redirect to the destination, with the click id appended.',
      headers: { Location: 'The destination URL with the click id and UTM values.', 'Cache-Control': 'no-store: every visit mints its own click id.' },
    },
  },
  errors: { 404: ['not_found'], 410: ['link_inactive'], 503: ['storage_unavailable'] },
});

export const ROUTES_DESCRIBED_HERE: Record<string, OperationSpec> = {
  'GET /healthz': {
    tag: 'Meta',
    auth: null,
    summary: 'Health check',
    description: 'For load balancers and deploy checks: 200 only when D1 answers. `mail` says whether the worker can send password links, `links` whether mails can name links (neither fails the check).',
    responses: {
      200: {
        description: 'The worker and its database answer.',
        schema: z
          .object({
            ok: z.literal(true),
            version: z.string().nullable().optional().meta({ description: 'The deployed Worker version id, when known.' }),
            commit: z.string().nullable().optional().meta({ description: 'The git commit the deploy was built from, when known.' }),
            time: z.iso.datetime().optional(),
            mail: z
              .enum(['http', 'log', 'unconfigured'])
              .optional()
              .meta({ description: "How password links leave: a mail provider's API, the log (local development), or not at all until MAIL_API_KEY and MAIL_FROM are set." }),
            links: z
              .enum(['public_origin', 'request', 'public_origin_unset'])
              .optional()
              .meta({ description: "The origin mails' links name: PUBLIC_ORIGIN, the request's own (local development), or none until PUBLIC_ORIGIN is set, when every mail whose point is a link answers 503 `public_origin_unset`." }),
          })
          .meta({ id: 'Health' }),
      },
    },
    errors: { 503: ['storage_unavailable'] },
  },
  'GET /sdk.js': {
    tag: 'Tracking',
    auth: null,
    summary: 'The storefront script',
    description:
      'A tiny first-party script for the brand\'s site: keeps the click id from the landing URL in a cookie on the brand\'s own domain and hands it to checkout (`Chorus.attach(form)`, or `data-shopify` to store it as a Shopify cart attribute). Attributes: `data-param` (default `cid`), `data-days` (cookie lifetime, default 30).',
    responses: { 200: { description: 'Plain ES5 JavaScript, cacheable for an hour, CORS-open.', contentType: 'text/javascript' } },
  },
  'GET /r/:slug': redirect('GET'),
  'HEAD /r/:slug': redirect('HEAD'),
};
