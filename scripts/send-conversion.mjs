// Signs and posts one conversion the way a store's backend would:
//   node scripts/send-conversion.mjs [--code SARAH15] [--click <cid>] [--amount 4999] [--currency USD]
//     [--order <id>] [--url http://localhost:8787] [--account lumen] [--secret <ingest key>]
// Defaults are the local demo brand's; the signature is Chorus-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>.
import { createHmac, randomUUID } from 'node:crypto';
import { demo } from './seed.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const url = args.url ?? 'http://localhost:8787';
const secret = args.secret ?? demo.keys.ingest;
const body = JSON.stringify({
  orderId: args.order ?? `demo-${randomUUID()}`,
  amountMinor: Number(args.amount ?? 4999),
  currency: args.currency ?? 'USD',
  occurredAt: new Date().toISOString(),
  ...(args.click ? { clickId: args.click } : {}),
  code: args.code ?? (args.click ? null : demo.creators[0].code),
});
const t = Math.floor(Date.now() / 1000);
const signature = `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
const res = await fetch(`${url}/v1/conversions`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'chorus-account': args.account ?? demo.brand.slug, 'chorus-signature': signature },
  body,
});
console.log(`POST ${url}/v1/conversions → ${res.status}`);
console.log(JSON.stringify(await res.json(), null, 2));
process.exitCode = res.ok ? 0 : 1;
