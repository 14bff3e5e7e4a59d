// Signs and posts one conversion the way a store's backend would:
//   node scripts/send-conversion.mjs [--code SARAH15] [--click <cid>] [--amount 4999] [--currency USD]
//     [--order <id>] [--url http://localhost:8787] [--account lumen] [--secret <ingest key>]
// Defaults are the local demo brand's.
import { randomUUID } from 'node:crypto';
import { demo } from './seed.mjs';
import { postSigned } from './signing.mjs';

const KNOWN = ['code', 'click', 'amount', 'currency', 'order', 'url', 'account', 'secret'];
const USAGE = `Signs and posts one conversion as a store's backend would (defaults: the local demo brand's).
  node scripts/send-conversion.mjs [--code SARAH15] [--click <cid>] [--amount 4999] [--currency USD]
    [--order <id>] [--url http://localhost:8787] [--account lumen] [--secret <ingest key>]`;
const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
// Help, or anything unknown or missing its value, prints the usage and posts nothing.
const unknown = Object.keys(args).filter((k) => !KNOWN.includes(k));
const missing = Object.entries(args).filter(([, v]) => v === undefined || v.startsWith('--')).map(([k]) => k);
if (unknown.length > 0 || missing.length > 0) {
  const asked = unknown.some((k) => k === 'help' || k === 'h');
  if (!asked) console.error(unknown.length > 0 ? `Unknown option: --${unknown.join(', --')}` : `--${missing.join(', --')} needs a value.`);
  console.log(USAGE);
  process.exit(asked ? 0 : 2);
}
const url = args.url ?? 'http://localhost:8787';
const body = {
  orderId: args.order ?? `demo-${randomUUID()}`,
  amountMinor: Number(args.amount ?? 4999),
  currency: args.currency ?? 'USD',
  occurredAt: new Date().toISOString(),
  ...(args.click ? { clickId: args.click } : {}),
  code: args.code ?? (args.click ? null : demo.creators[0].code),
};
const res = await postSigned(`${url}/v1/conversions`, args.account ?? demo.brand.slug, args.secret ?? demo.keys.ingest, body);
console.log(`POST ${url}/v1/conversions → ${res.status}`);
console.log(JSON.stringify(res.body, null, 2));
process.exitCode = res.status < 300 ? 0 : 1;
