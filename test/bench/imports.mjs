// The bulk-import scenario: POST /api/admin/campaigns/:id/import with a fresh roster CSV each time
// (new emails and handles, so every import creates everything), timed from Node, D1 statements counted.
import { adminPost, measuredFetch } from './api.mjs';
import { median } from './load.mjs';

// The same columns test/worker/routes/import.test.ts uses, payment models rotating through all four.
function rosterCsv(n, tag) {
  const lines = ['email,handle,name,niche,platform,follower_count,payment_model,flat_fee,brief_section'];
  for (let i = 0; i < n; i++) {
    const model = ['affiliate', 'product', 'flat', 'hybrid'][i % 4];
    const fee = model === 'flat' || model === 'hybrid' ? '250.00' : '';
    lines.push(`c${i}_${tag}@import.bench,c${i}_${tag},"Creator ${i}, ${tag}",skincare,instagram,${1000 + i},${model},${fee},"Lead with a ""problem → solution"" story"`);
  }
  return lines.join('\r\n');
}

export async function measureImports(server, { creators, reps, log = () => {} }) {
  const ctx = server.context;
  const campaign = await adminPost(server.url, ctx.adminKey, 'campaigns', { name: 'Import Bench', slug: 'import-bench', hashtag: '#importbench', defaultDestination: 'https://shop.example/' });
  const runs = [];
  for (let rep = 0; rep < reps; rep++) {
    const tag = `r${rep}${Date.now().toString(36)}`;
    log(`import: ${rep + 1} of ${reps}...`);
    const res = await measuredFetch(server, `/api/admin/campaigns/${campaign.id}/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ csv: rosterCsv(creators, tag) }),
    });
    if (res.status !== 200) throw new Error(`import ${rep + 1} answered ${res.status}: ${res.text?.slice(0, 300)}`);
    const created = JSON.parse(res.text).data.created;
    const complete = Object.values(created).every((n) => n === creators);
    runs.push({ ms: res.ms, created, complete, usage: res.usage });
  }
  const times = runs.map((r) => r.ms);
  return { creators, runs, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), complete: runs.every((r) => r.complete) };
}
