// GET /docs: the OpenAPI document as a page people read, on a phone too. Server-rendered from the same
// document /openapi.json serves; no scripts. Grouped by tag; each operation shows its method, path, auth,
// parameters, request and response fields, error codes, and an example request and response.
import { raw } from 'hono/html';
import type { Child, FC } from 'hono/jsx';
import type { OpenApiDocument } from '../../worker/openapi/document';
import { resolveRef, sampleOf } from '../../worker/openapi/examples';
import { BrandLink, Document, SkipLink } from '../layout';

type JsonSchema = Record<string, unknown>;
type Components = Record<string, JsonSchema>;
type Operation = {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  security: Record<string, []>[];
  parameters?: { name: string; in: string; required: boolean; description?: string; schema: JsonSchema }[];
  requestBody?: { description?: string; content: Record<string, { schema: JsonSchema; example?: unknown }> };
  responses: Record<string, { description: string; headers?: Record<string, { description: string }>; content?: Record<string, { schema: JsonSchema; example?: unknown }> }>;
};
type Entry = { method: string; path: string; op: Operation };

const AUTH_LABELS: Record<string, string> = {
  adminKey: 'Admin API key (Bearer)',
  storefrontKey: 'Storefront key (Bearer)',
  chorusAccount: 'Chorus-Account',
  chorusSignature: 'Chorus-Signature (HMAC)',
  shopifyHmac: 'Shopify HMAC',
  stripeSignature: 'Stripe signature',
};

const STATUS_NAMES: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'No Content',
  '302': 'Found',
  '400': 'Bad Request',
  '401': 'Unauthorized',
  '403': 'Forbidden',
  '404': 'Not Found',
  '409': 'Conflict',
  '410': 'Gone',
  '413': 'Content Too Large',
  '415': 'Unsupported Media Type',
  '422': 'Unprocessable Content',
  '429': 'Too Many Requests',
  '503': 'Service Unavailable',
};

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const refName = (s: JsonSchema) => (typeof s.$ref === 'string' ? s.$ref.split('/').pop()! : null);
const nonNull = (s: JsonSchema) => ((s.anyOf ?? s.oneOf) as JsonSchema[] | undefined)?.filter((b) => b.type !== 'null') ?? [];
const isNullable = (s: JsonSchema) => (Array.isArray(s.type) && s.type.includes('null')) || ((s.anyOf ?? s.oneOf) as JsonSchema[] | undefined)?.some((b) => b.type === 'null') === true;

// `code` spans in descriptions become <code>; nothing else is interpreted.
const Prose: FC<{ text?: string }> = ({ text }) => <>{(text ?? '').split('`').map((part, i) => (i % 2 ? <code>{part}</code> : part))}</>;

const TypeLabel: FC<{ schema: JsonSchema }> = ({ schema }) => {
  const name = refName(schema);
  if (name) return <a href={`#schema-${slug(name)}`}>{name}</a>;
  const options = nonNull(schema);
  const nullable = isNullable(schema);
  let label: Child;
  if (options.length === 1) label = <TypeLabel schema={options[0]!} />;
  else if (options.length > 1) label = <>{options.map((o, i) => <>{i ? ' | ' : ''}<TypeLabel schema={o} /></>)}</>;
  else if (schema.const !== undefined) label = <code>{JSON.stringify(schema.const)}</code>;
  else if (Array.isArray(schema.enum)) label = <>{schema.enum.map((v, i) => <>{i ? ' | ' : ''}<code>{String(v)}</code></>)}</>;
  else {
    const type = Array.isArray(schema.type) ? schema.type.filter((t) => t !== 'null').join(' | ') : ((schema.type as string | undefined) ?? 'any');
    if (type === 'array') label = <>array of <TypeLabel schema={(schema.items as JsonSchema | undefined) ?? {}} /></>;
    else label = schema.format ? `${type} (${schema.format as string})` : type;
  }
  return nullable ? <>{label} or null</> : <>{label}</>;
};

function constraints(s: JsonSchema): string[] {
  const out: string[] = [];
  const range = (min: unknown, max: unknown, unit: string) => {
    if (typeof min === 'number' && typeof max === 'number') out.push(`${min}–${max}${unit}`);
    else if (typeof min === 'number' && min > 0) out.push(`at least ${min}${unit}`);
    else if (typeof max === 'number') out.push(`at most ${max}${unit}`);
  };
  range(s.minLength, s.maxLength, ' characters');
  range(s.minimum, s.maximum, '');
  range(s.minItems, s.maxItems, ' items');
  if (typeof s.pattern === 'string') out.push(`pattern ${s.pattern}`);
  if (s.default !== undefined) out.push(`default ${JSON.stringify(s.default)}`);
  return out;
}

type Field = { name: string; schema: JsonSchema; required: boolean };

// Top-level fields, and the fields of inline objects (not named schemas, which have their own section).
function fieldsOf(schema: JsonSchema, components: Components, prefix = '', depth = 0): Field[] {
  const s = refName(schema) && depth === 0 ? resolveRef(schema, components) : schema;
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required as string[] | undefined) ?? []);
  return Object.entries(properties).flatMap(([key, prop]) => {
    const field = { name: `${prefix}${key}`, schema: prop, required: required.has(key) };
    const inner = nonNull(prop)[0] ?? prop;
    if (depth < 2 && !refName(inner) && inner.type === 'object' && inner.properties) return [field, ...fieldsOf(inner, components, `${field.name}.`, depth + 1)];
    const items = inner.type === 'array' ? ((inner.items ?? {}) as JsonSchema) : null;
    if (depth < 2 && items && !refName(items) && items.type === 'object' && items.properties) return [field, ...fieldsOf(items, components, `${field.name}[].`, depth + 1)];
    return [field];
  });
}

const Fields: FC<{ schema: JsonSchema; components: Components; caption: string }> = ({ schema, components, caption }) => {
  const union = nonNull(resolveRef(schema, components));
  if (union.length > 1) {
    return (
      <>
        {union.map((branch, i) => (
          <>
            <p class="small muted">{i ? 'Or:' : 'One of:'}</p>
            <Fields schema={branch} components={components} caption={`${caption}, shape ${i + 1}`} />
          </>
        ))}
      </>
    );
  }
  const fields = fieldsOf(schema, components);
  if (fields.length === 0) return <p class="small muted">{caption}: <TypeLabel schema={schema} /></p>;
  return <FieldList fields={fields} label={caption} />;
};

// A list rather than a table: on a phone each field stacks (name and type, then notes) instead of scrolling sideways.
const FieldList: FC<{ fields: (Field & { where?: string })[]; label: string }> = ({ fields, label }) => (
  <ul class="fields" aria-label={label}>
    {fields.map((f) => {
      const notes = constraints(f.schema);
      return (
        <li>
          <div class="field-head">
            <code class="field-name">{f.name}</code> <span class="field-type"><TypeLabel schema={f.schema} /></span>
            {f.where ? <span class="field-where"> in {f.where}</span> : null}
            {f.required ? <span class="required"> required</span> : null}
          </div>
          {f.schema.description || notes.length ? (
            <div class="field-notes">
              <Prose text={f.schema.description as string | undefined} />
              {notes.length ? <span class="constraints"> {notes.join('; ')}</span> : null}
            </div>
          ) : null}
        </li>
      );
    })}
  </ul>
);

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

// A request someone can paste: placeholders for ids and secrets, a real body, and the signing recipe where one is needed.
function curlExample(e: Entry, origin: string, components: Components): string {
  const path = e.path.replace(/\{([^}]+)\}/g, '<$1>');
  const required = (e.op.parameters ?? []).filter((p) => p.in === 'query' && p.required);
  const query = required.length ? `?${required.map((p) => `${p.name}=${encodeURIComponent(String(sampleOf(p.schema, components)))}`).join('&')}` : '';
  const url = `${origin}${path}${query}`;
  const content = e.op.requestBody?.content['application/json'];
  const body = content ? JSON.stringify(content.example ?? sampleOf(content.schema, components)) : null;
  const schemes = new Set(e.op.security.flatMap((r) => Object.keys(r)));
  const headerParams = (e.op.parameters ?? []).filter((p) => p.in === 'header').map((p) => `-H ${shellQuote(`${p.name}: ${String(sampleOf(p.schema, components))}`)}`);
  const lines: string[] = [];
  const curl = [e.method === 'get' ? `curl ${shellQuote(url)}` : `curl -X ${e.method.toUpperCase()} ${shellQuote(url)}`];
  if (schemes.has('adminKey')) curl.push('-H "Authorization: Bearer $CHORUS_ADMIN_KEY"');
  if (schemes.has('storefrontKey')) curl.push('-H "Authorization: Bearer $CHORUS_STOREFRONT_KEY"');
  curl.push(...headerParams);
  if (schemes.has('chorusSignature') || schemes.has('stripeSignature')) {
    lines.push(`BODY=${shellQuote(body ?? '')}`, 'T=$(date +%s)', `SIG=$(printf '%s' "$T.$BODY" | openssl dgst -sha256 -hmac "$${schemes.has('stripeSignature') ? 'STRIPE_ENDPOINT_SECRET' : 'CHORUS_INGEST_SECRET'}" | sed 's/^.* //')`);
    if (schemes.has('chorusSignature')) curl.push('-H "Chorus-Account: $CHORUS_BRAND_SLUG"', '-H "Chorus-Signature: t=$T,v1=$SIG"');
    else curl.push('-H "Stripe-Signature: t=$T,v1=$SIG"');
    curl.push("-H 'Content-Type: application/json'", '--data-raw "$BODY"');
  } else if (schemes.has('shopifyHmac')) {
    lines.push("BODY='{\"id\": 820982911946154508, \"total_price\": \"49.99\", \"currency\": \"USD\"}'", 'HMAC=$(printf \'%s\' "$BODY" | openssl dgst -sha256 -hmac "$SHOPIFY_WEBHOOK_SECRET" -binary | base64)');
    curl.push('-H "X-Shopify-Hmac-Sha256: $HMAC"', "-H 'Content-Type: application/json'", '--data-raw "$BODY"');
  } else if (body !== null) {
    curl.push("-H 'Content-Type: application/json'", `--data-raw ${shellQuote(body)}`);
  }
  if (e.method === 'head') curl[0] = `curl -I ${shellQuote(url)}`;
  return [...lines, curl.join(' \\\n  ')].join('\n');
}

const Endpoint: FC<{ method: string; path: string }> = ({ method, path }) => (
  <span class="endpoint">
    <span class={`method method-${method}`}>{method.toUpperCase()}</span> <code class="path">{path}</code>
  </span>
);

const OperationCard: FC<{ e: Entry; origin: string; components: Components }> = ({ e, origin, components }) => {
  const { op } = e;
  const schemes = [...new Set(op.security.flatMap((r) => Object.keys(r)))];
  const body = op.requestBody;
  const bodyJson = body?.content['application/json'];
  const statuses = Object.entries(op.responses);
  const successes = statuses.filter(([s]) => Number(s) < 400);
  const errors = statuses.filter(([s]) => Number(s) >= 400);
  return (
    <article class="card op" id={op.operationId} aria-labelledby={`${op.operationId}-title`}>
      <h3 id={`${op.operationId}-title`}>{op.summary}</h3>
      <p class="op-line">
        <Endpoint method={e.method} path={e.path} />
      </p>
      <p class="small">
        <strong>Auth:</strong> {schemes.length ? schemes.map((s) => AUTH_LABELS[s] ?? s).join(' + ') : 'none'}
      </p>
      {op.description ? (
        <p>
          <Prose text={op.description} />
        </p>
      ) : null}
      {op.parameters?.length ? (
        <>
          <h4>Parameters</h4>
          <FieldList fields={op.parameters.map((p) => ({ name: p.name, where: p.in, required: p.required, schema: p.description ? { ...p.schema, description: p.description } : p.schema }))} label={`Parameters of ${op.summary}`} />
        </>
      ) : null}
      {body ? (
        <>
          <h4>Request body</h4>
          {body.description ? (
            <p class="small">
              <Prose text={body.description} />
            </p>
          ) : null}
          {bodyJson && !body.description ? <Fields schema={bodyJson.schema} components={components} caption={`Request body of ${op.summary}`} /> : null}
        </>
      ) : null}
      <details class="example" open>
        <summary>Example request</summary>
        <pre class="request-example" tabindex={0}>
          <code>{curlExample(e, origin, components)}</code>
        </pre>
      </details>
      <h4>Responses</h4>
      {successes.map(([status, r]) => {
        const json = r.content?.['application/json'];
        const others = Object.keys(r.content ?? {}).filter((t) => t !== 'application/json');
        return (
          <div class="response">
            <p>
              <span class={`status status-${status[0]}xx`}>{status}</span> {STATUS_NAMES[status] ?? ''} · <Prose text={r.description} />
              {others.length ? <span class="small muted"> ({others.join(', ')})</span> : null}
            </p>
            {r.headers ? (
              <ul class="small headers">
                {Object.entries(r.headers).map(([name, h]) => (
                  <li>
                    <code>{name}</code>: <Prose text={h.description} />
                  </li>
                ))}
              </ul>
            ) : null}
            {json ? (
              <>
                <Fields schema={json.schema} components={components} caption={`${status} response of ${op.summary}`} />
                <details class="example">
                  <summary>Example {status} response</summary>
                  <pre tabindex={0}>
                    <code>{JSON.stringify(json.example ?? sampleOf(json.schema, components), null, 2)}</code>
                  </pre>
                </details>
              </>
            ) : null}
          </div>
        );
      })}
      {errors.length ? (
        <>
          <h4>Errors</h4>
          <ul class="errors">
            {errors.map(([status, r]) => {
              const codes = ((r.content?.['application/json']?.schema.allOf as JsonSchema[] | undefined)?.[1] as { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } } | undefined)?.properties?.error?.properties?.code?.enum ?? [];
              return (
                <li>
                  <span class={`status status-${status[0]}xx`}>{status}</span>{' '}
                  {codes.map((c, i) => (
                    <>
                      {i ? ', ' : ''}
                      <code>{c}</code>
                    </>
                  ))}
                </li>
              );
            })}
          </ul>
        </>
      ) : null}
    </article>
  );
};

const STYLE = `
.docs { max-width: 980px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.docs h2 { font-size: 1.35rem; margin-top: 2rem; }
.docs h3 { font-size: 1.1rem; margin: 0 0 0.4rem; }
.docs h4 { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); margin: 1.1rem 0 0.4rem; }
.docs code { overflow-wrap: anywhere; }
.docs pre { background: #1d1b22; color: #f4f2f8; border-radius: 10px; padding: 0.75rem; overflow-x: auto; font-size: 0.82rem; line-height: 1.45; margin: 0.5rem 0 0; }
.docs pre code { background: none; color: inherit; padding: 0; overflow-wrap: normal; white-space: pre; }
.op { scroll-margin-top: 6.5rem; }
.op-line { margin-bottom: 0.4rem; }
.endpoint { display: inline-flex; flex-wrap: wrap; align-items: baseline; gap: 0.4rem; min-width: 0; }
.path { font-size: 0.92rem; }
.method { display: inline-block; min-width: 3.6rem; text-align: center; border-radius: 6px; padding: 0.05rem 0.4rem; font: 700 0.72rem/1.6 ui-monospace, SFMono-Regular, Menlo, monospace; color: #fff; background: var(--ink-2); }
.method-get { background: var(--ok); }
.method-post { background: var(--accent); }
.method-patch { background: var(--warn); }
.method-delete { background: var(--bad); }
.status { display: inline-block; font: 700 0.8rem/1.5 ui-monospace, SFMono-Regular, Menlo, monospace; border-radius: 6px; padding: 0 0.35rem; background: var(--ok-soft); color: var(--ok); }
.status-3xx { background: var(--info-soft); color: #1d4f9e; }
.status-4xx, .status-5xx { background: var(--bad-soft); color: var(--bad); }
.fields { list-style: none; margin: 0; padding: 0; border-top: 1px solid var(--line); }
.fields li { padding: 0.45rem 0; border-bottom: 1px solid var(--line); display: grid; gap: 0.15rem; min-width: 0; }
.field-head, .field-notes { min-width: 0; overflow-wrap: anywhere; }
.field-name { font-weight: 650; }
.field-type, .field-where { font-size: 0.85rem; color: var(--ink-2); }
.field-notes { font-size: 0.88rem; }
.required { font-size: 0.72rem; color: var(--bad); font-weight: 700; }
.constraints { color: var(--muted); font-size: 0.82rem; }
.example summary { cursor: pointer; font-weight: 650; font-size: 0.9rem; margin-top: 0.6rem; min-height: 2rem; }
.errors, .headers { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.35rem; }
.toc { display: grid; gap: 1rem; }
.toc h2 { font-size: 0.95rem; margin: 0 0 0.35rem; }
.toc ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.25rem; }
.toc a { text-decoration: none; display: block; padding: 0.2rem 0; }
.toc a:hover .path { text-decoration: underline; }
.facts code { font-size: 0.85rem; }
@media (min-width: 720px) {
  .toc { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .fields li { grid-template-columns: minmax(14rem, 2fr) 3fr; gap: 1rem; }
}
`;

export const ApiReference: FC<{ document: OpenApiDocument; origin: string }> = ({ document: doc, origin }) => {
  const components = doc.components.schemas as Components;
  const entries: Entry[] = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method, path, op: op as unknown as Operation })));
  const tags = (doc.tags as { name: string; description?: string }[]).map((t) => ({ ...t, entries: entries.filter((e) => e.op.tags[0] === t.name) })).filter((t) => t.entries.length);
  const info = doc.info as { title: string; version: string; description: string };
  return (
    <Document
      title="API reference · Chorus"
      bodyClass="area-docs"
      head={
        <>
          <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
          <style>{raw(STYLE)}</style>
        </>
      }
    >
      <SkipLink />
      <header class="topbar">
        <div class="topbar-inner">
          <BrandLink href="/docs" tag="API" />
          <nav aria-label="Main">
            <ul class="nav">
              <li>
                <a href="/docs" aria-current="page">
                  Reference
                </a>
              </li>
              <li>
                <a href="/openapi.json">openapi.json</a>
              </li>
            </ul>
          </nav>
        </div>
      </header>
      <main id="main" class="container docs">
        <p class="eyebrow">
          {info.title} · version {info.version} · OpenAPI {doc.openapi as string}
        </p>
        <h1 class="page-title">API reference</h1>
        <p class="lead">
          <Prose text={info.description} />
        </p>
        <dl class="facts card">
          <dt>Base URL</dt>
          <dd>
            <code>{origin}</code>
          </dd>
          <dt>Admin API</dt>
          <dd>
            <code>Authorization: Bearer ck_admin_…</code> on every <code>/api/admin</code> call.
          </dd>
          <dt>Store calls</dt>
          <dd>
            Signed with <code>Chorus-Signature: t=…,v1=HMAC-SHA256(ingest secret, "t.body")</code>; see Ingestion.
          </dd>
          <dt>Errors</dt>
          <dd>
            <code>{'{"error":{"code":"…","message":"…","details":…}}'}</code>; branch on <code>code</code>.
          </dd>
          <dt>Machine-readable</dt>
          <dd>
            <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1)
          </dd>
        </dl>
        <nav aria-label="Operations" class="toc card">
          {tags.map((t) => (
            <div>
              <h2>
                <a href={`#tag-${slug(t.name)}`}>{t.name}</a>
              </h2>
              <ul>
                {t.entries.map((e) => (
                  <li>
                    <a href={`#${e.op.operationId}`}>
                      <Endpoint method={e.method} path={e.path} />
                    </a>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </nav>
        {tags.map((t) => (
          <section id={`tag-${slug(t.name)}`} aria-labelledby={`tag-${slug(t.name)}-title`}>
            <h2 id={`tag-${slug(t.name)}-title`}>{t.name}</h2>
            {t.description ? (
              <p class="muted">
                <Prose text={t.description} />
              </p>
            ) : null}
            {t.entries.map((e) => (
              <OperationCard e={e} origin={origin} components={components} />
            ))}
          </section>
        ))}
        <section id="schemas" aria-labelledby="schemas-title">
          <h2 id="schemas-title">Schemas</h2>
          {Object.entries(components).map(([name, schema]) => (
            <article class="card op" id={`schema-${slug(name)}`} aria-labelledby={`schema-${slug(name)}-title`}>
              <h3 id={`schema-${slug(name)}-title`}>{name}</h3>
              {schema.description ? (
                <p>
                  <Prose text={schema.description as string} />
                </p>
              ) : null}
              <Fields schema={schema} components={components} caption={`Fields of ${name}`} />
            </article>
          ))}
        </section>
      </main>
      <footer class="footer container">Chorus · generated from the zod schemas that validate each request.</footer>
    </Document>
  );
};
