// Signs a request body the way Chorus verifies it: Chorus-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>.
import { createHmac } from 'node:crypto';

export function chorusSignature(secret, body, nowMs = Date.now()) {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

// Stripe signs its webhooks in the same format (Stripe-Signature), over the raw event.
export async function postStripeEvent(url, secret, event) {
  const raw = JSON.stringify(event);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': chorusSignature(secret, raw) }, body: raw });
  return { status: res.status, body: await res.json().catch(() => null) };
}

export async function postSigned(url, account, secret, body) {
  const raw = JSON.stringify(body);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'chorus-account': account, 'chorus-signature': chorusSignature(secret, raw) },
    body: raw,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}
