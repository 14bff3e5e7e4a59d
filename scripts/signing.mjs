// Signs a request body the way Chorus verifies it: Chorus-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>.
import { createHmac } from 'node:crypto';

export function chorusSignature(secret, body, nowMs = Date.now()) {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
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
