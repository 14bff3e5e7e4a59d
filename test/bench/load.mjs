// One load run with autocannon's programmatic API. Latency percentiles are computed here from every
// response's own timing (autocannon's histogram rounds to whole milliseconds, too coarse on loopback).
import autocannon from 'autocannon';

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/**
 * @param {object} o
 * @param {string} o.url          server origin
 * @param {object[]} o.requests   autocannon request objects ({ method, path, headers, body, setupRequest })
 * @param {object} o.headers      headers for every request
 * @param {number} o.connections
 * @param {number} o.duration     seconds
 * @param {number} o.expectStatus responses with any other status are errors
 */
export async function runLoad({ url, requests, headers, connections, duration, expectStatus }) {
  // autocannon never follows redirects: each 302 is one response, which is what we measure.
  const latencies = [];
  const instance = autocannon({
    url,
    requests,
    headers,
    connections,
    duration,
    pipelining: 1,
    timeout: 10,
    renderProgressBar: false,
    renderResultsTable: false,
    renderLatencyTable: false,
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await instance;
  latencies.sort((a, b) => a - b);

  const byStatus = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
  const expected = byStatus[String(expectStatus)] ?? 0;
  const responses = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const seconds = (result.finish - result.start) / 1000 || result.duration;
  return {
    connections,
    duration,
    seconds,
    responses,
    expected,
    byStatus,
    wrongStatus: responses - expected,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    errors: responses - expected + result.errors + result.timeouts,
    rps: responses / seconds,
    okRps: expected / seconds,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.length ? latencies[latencies.length - 1] : NaN,
    autocannon: { p50: result.latency.p50, p99: result.latency.p99, avgRps: result.requests.average },
  };
}
