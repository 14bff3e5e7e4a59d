// Server-rendered SVG charts: no script, a <title>/<desc> for assistive tech, and a data table beside each one.
import type { FC } from 'hono/jsx';
import type { DailyPoint } from '../worker/domain/network';
import { formatCount, formatMoney, zoneLabel } from './format';

// The smallest 1, 2 or 5 × 10^k at or above n, so axis ticks land on round numbers.
export function niceCeiling(n: number): number {
  if (n <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) if (step * power >= n) return step * power;
  return 10 * power;
}

const dayLabel = (day: string) => new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));

const round1 = (n: number) => Math.round(n * 10) / 10;

// Network cost per engagement against the mid-tier baseline: two horizontal bars on one scale, each labelled
// above its bar so the chart stays legible when a phone scales it down.
export const CpeChart: FC<{ networkMinor: number; baselineMinor: number; currency: string; summary: string }> = ({ networkMinor, baselineMinor, currency, summary }) => {
  const width = 420;
  const barMax = width - 88;
  const max = Math.max(networkMinor, baselineMinor, 1);
  const rows = [
    { label: 'Your network', value: networkMinor, cls: 'bar-network' },
    { label: 'Mid-tier baseline', value: baselineMinor, cls: 'bar-baseline' },
  ];
  return (
    <svg class="chart chart-cpe" viewBox={`0 0 ${width} 132`} role="img" aria-labelledby="cpe-title cpe-desc" preserveAspectRatio="xMinYMid meet">
      <title id="cpe-title">Cost per engagement: your network against the mid-tier baseline</title>
      <desc id="cpe-desc">{summary}</desc>
      {rows.map((r, i) => {
        const y = 4 + i * 66;
        const w = Math.max(3, round1((r.value / max) * barMax));
        return (
          <g>
            <text x={0} y={y + 14} class="chart-label">
              {r.label}
            </text>
            <rect x={0} y={y + 22} width={w} height={28} rx={6} class={r.cls}></rect>
            <text x={w + 8} y={y + 41} class="chart-value">
              {formatMoney(r.value, currency)}
            </text>
          </g>
        );
      })}
    </svg>
  );
};

// Daily unique clicks (top panel) and conversions (bottom panel, "orders" on a creator's page) on a shared day
// axis. The narrow variant is drawn for phones (fewer day labels, text at a readable size once scaled); CSS
// shows one or the other.
export const DailyChart: FC<{ points: DailyPoint[]; summary: string; narrow?: boolean; noun?: 'conversions' | 'orders' }> = ({ points, summary, narrow = false, noun = 'conversions' }) => {
  const id = narrow ? 'daily-sm' : 'daily';
  const width = narrow ? 360 : 960;
  const left = narrow ? 34 : 48;
  const right = 12;
  const plotW = width - left - right;
  const clicks = { top: 28, height: 140 };
  const conv = { top: 206, height: 60 };
  const axisY = conv.top + conv.height + 20;
  const n = Math.max(points.length, 1);
  const band = plotW / n;
  const barW = Math.max(2, round1(band * 0.68));
  const maxClicks = niceCeiling(Math.max(...points.map((p) => p.clicks), 0));
  const maxConv = niceCeiling(Math.max(...points.map((p) => p.conversions), 0));
  const labelEvery = Math.ceil(n / (narrow ? 4 : 8));
  const x = (i: number) => round1(left + i * band + (band - barW) / 2);
  const panel = (p: { top: number; height: number }, max: number, ticks: number[], label: string) => (
    <g>
      <text x={left} y={p.top - 10} class="chart-panel-label">
        {label}
      </text>
      {ticks.map((t) => {
        const y = round1(p.top + p.height - (t / max) * p.height);
        return (
          <g>
            <line x1={left} x2={width - right} y1={y} y2={y} class={t === 0 ? 'chart-axis' : 'chart-grid'}></line>
            <text x={left - 8} y={y + 4} class="chart-tick" text-anchor="end">
              {formatCount(t)}
            </text>
          </g>
        );
      })}
    </g>
  );
  return (
    <svg class={`chart chart-daily ${narrow ? 'chart-narrow' : 'chart-wide'}`} viewBox={`0 0 ${width} ${axisY + 8}`} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
      <title id={`${id}-title`}>
        Daily unique clicks and {noun}, last {points.length} days
      </title>
      <desc id={`${id}-desc`}>{summary}</desc>
      {/* A half-way tick only where it is a whole number: no "0.5 unique clicks". */}
      {panel(clicks, maxClicks, maxClicks % 2 === 0 ? [0, maxClicks / 2, maxClicks] : [0, maxClicks], 'Unique clicks')}
      {panel(conv, maxConv, [0, maxConv], noun === 'orders' ? 'Orders' : 'Conversions')}
      {points.map((p, i) => {
        const hc = round1((p.clicks / maxClicks) * clicks.height);
        const hv = round1((p.conversions / maxConv) * conv.height);
        return (
          <g>
            {p.clicks > 0 ? (
              <rect x={x(i)} y={round1(clicks.top + clicks.height - hc)} width={barW} height={hc} rx={2} class="bar-clicks">
                <title>{`${dayLabel(p.day)}: ${formatCount(p.clicks)} unique clicks`}</title>
              </rect>
            ) : null}
            {p.conversions > 0 ? (
              <rect x={x(i)} y={round1(conv.top + conv.height - hv)} width={barW} height={hv} rx={2} class="bar-conversions">
                <title>{`${dayLabel(p.day)}: ${formatCount(p.conversions)} ${noun}`}</title>
              </rect>
            ) : null}
            {(i % labelEvery === 0 && n - 1 - i >= labelEvery / 2) || i === n - 1 ? (
              <text x={round1(left + i * band + band / 2)} y={axisY} class="chart-tick" text-anchor="middle">
                {dayLabel(p.day)}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
};

export const dailySummary = (points: DailyPoint[], noun: 'conversions' | 'orders' = 'conversions'): string => {
  if (points.length === 0) return 'No days to show.';
  const clicks = points.reduce((t, p) => t + p.clicks, 0);
  const conversions = points.reduce((t, p) => t + p.conversions, 0);
  const peak = points.reduce((best, p) => (p.clicks > best.clicks ? p : best), points[0]!);
  const span = `${dayLabel(points[0]!.day)} to ${dayLabel(points[points.length - 1]!.day)}`;
  return clicks === 0 && conversions === 0
    ? `No clicks or ${noun} from ${span}.`
    : `${span}: ${formatCount(clicks)} unique clicks${clicks > 0 ? `, busiest on ${dayLabel(peak.day)} with ${formatCount(peak.clicks)}` : ''}; ${formatCount(conversions)} ${noun}.`;
};


// A card with the last days as a chart (wide and narrow) and as a table, in the brand's calendar days.
export const DailySection: FC<{ points: DailyPoint[]; timeZone: string; noun?: 'conversions' | 'orders' }> = ({ points, timeZone, noun = 'conversions' }) => {
  const Noun = noun === 'orders' ? 'Orders' : 'Conversions';
  const summary = dailySummary(points, noun);
  return (
    <section class="card" aria-labelledby="daily-h">
      <div class="card-head">
        <h2 id="daily-h">
          Last {points.length} days <span class="muted small">({zoneLabel(timeZone)} days)</span>
        </h2>
        <ul class="legend" aria-hidden="true">
          <li>
            <span class="swatch swatch-clicks"></span> Unique clicks
          </li>
          <li>
            <span class="swatch swatch-conversions"></span> {Noun}
          </li>
        </ul>
      </div>
      <DailyChart points={points} summary={summary} noun={noun} />
      <DailyChart points={points} summary={summary} noun={noun} narrow />
      <details class="table-fallback">
        <summary>Show the numbers as a table</summary>
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Daily unique clicks and {noun}</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col" class="num">
                  Unique clicks
                </th>
                <th scope="col" class="num">
                  {Noun}
                </th>
              </tr>
            </thead>
            <tbody>
              {points.map((d) => (
                <tr>
                  <th scope="row">{dayLabel(d.day)}</th>
                  <td class="num">{formatCount(d.clicks)}</td>
                  <td class="num">{formatCount(d.conversions)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
};
