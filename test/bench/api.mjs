// HTTP calls the benchmark makes to a running Chorus worker from Node, as an operator or a store would.
import http from 'node:http';
import { chorusSignature } from '../../scripts/signing.mjs';

// POST /api/admin/<route> with the brand's admin key; anything but 201 is a setup failure.
export async function adminPost(url, key, route, body) {
  const res = await fetch(`${url}/api/admin/${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST /api/admin/${route} answered ${res.status}: ${text}`);
  return JSON.parse(text).data;
}

// Delivers one conversion body exactly as given (a retry must send the same bytes), freshly signed.
export async function deliverConversion(url, account, secret, rawBody) {
  const res = await fetch(`${url}/v1/conversions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'chorus-account': account, 'chorus-signature': chorusSignature(secret, rawBody) },
    body: rawBody,
  });
  await res.arrayBuffer();
  return res.status;
}

let measuredRequests = 0;

/**
 * One timed request on a connection of its own (`Connection: close`). A one-shot call is what a person
 * or a cron makes, and reusing a keep-alive socket right after a long request (a 40 s period close) was
 * seen to fail with ECONNRESET against local workerd. On the instrumented server the request carries
 * x-bench-request, and the D1 usage the worker logs once its body is fully sent is attached (null
 * elsewhere, or if it never came). Bodies are kept as text unless `keepText` is false.
 * @returns {Promise<{ status: number, ms: number, ttfbMs: number, bytes: number, text: string | null, usage: object | null }>}
 */
export async function measuredFetch(server, path, { method = 'GET', headers = {}, body } = {}, { keepText = true } = {}) {
  const id = `m${++measuredRequests}`;
  const usage = server.instrumented ? server.runtime.nextEvent((e) => e.event === 'bench_d1_usage' && e.id === id, 3_600_000) : Promise.resolve(null);
  const payload = body === undefined ? null : Buffer.from(body);
  const t0 = performance.now();
  const res = await new Promise((resolve, reject) => {
    const req = http.request(`${server.url}${path}`, {
      method,
      agent: false,
      headers: { ...headers, connection: 'close', ...(payload ? { 'content-length': payload.length } : {}), ...(server.instrumented ? { 'x-bench-request': id } : {}) },
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end(payload ?? undefined);
  });
  const ttfbMs = performance.now() - t0;
  let bytes = 0;
  const parts = [];
  for await (const chunk of res) {
    bytes += chunk.length;
    if (keepText) parts.push(chunk);
  }
  const ms = performance.now() - t0;
  // The worker logs after its last byte; give the log line a moment to arrive.
  const d1 = server.instrumented ? await Promise.race([usage, new Promise((r) => setTimeout(r, 2_000, null))]) : null;
  return { status: res.statusCode, ms, ttfbMs, bytes, text: keepText ? Buffer.concat(parts).toString('utf8') : null, usage: d1 };
}
