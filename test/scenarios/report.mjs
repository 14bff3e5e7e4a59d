// The printed report: each scenario's properties with PASS/FAIL, then one table of figures.

const fmt = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(1)) : v === undefined || v === null ? '-' : String(v));

export function formatReport(results, { profile, seed, seconds }) {
  const lines = [];
  lines.push('');
  lines.push(`Chorus resilience scenarios: ${profile} profile, seed ${seed}, ${seconds} s`);
  if (profile === 'short') lines.push('(short profile: correctness only; latency ratios are measured and shown but not checked)');
  for (const r of results) {
    lines.push('');
    lines.push(`${r.pass ? 'PASS' : 'FAIL'}  ${r.id}. ${r.title}`);
    for (const c of r.checks) lines.push(`   ${c.pass ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? `\n          ${c.detail}` : ''}`);
    if (r.figures.networkErrors) lines.push(`   note: network errors by kind ${JSON.stringify(r.figures.networkErrors)}`);
  }
  const header = ['#', 'result', 's', 'requests', 'status counts', 'latency of', 'p50 ms', 'p99 ms', 'p99/base', 'retries', 'clicks lost', 'rows vs oracle'];
  const rows = results.map((r) => {
    const f = r.figures;
    const statuses = Object.entries(f.statuses ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, n]) => `${s === '0' ? 'neterr' : s}:${n}`)
      .join(' ');
    return [r.id, r.pass ? 'PASS' : 'FAIL', fmt(f.seconds), fmt(f.requests), statuses || '-', f.latencyOf ?? '-', fmt(f.p50), fmt(f.p99), f.p99Ratio === undefined ? '-' : `x${f.p99Ratio.toFixed(2)}`, fmt(f.retries), fmt(f.clicksLost), fmt(f.rows)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => Math.min(60, row[i].length))));
  const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join(' | ');
  lines.push('');
  lines.push(line(header));
  lines.push(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) lines.push(line(row));
  const passed = results.filter((r) => r.pass).length;
  lines.push('');
  lines.push(`Scenarios: ${passed} passed, ${results.length - passed} failed`);
  return lines.join('\n');
}
