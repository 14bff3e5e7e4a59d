// Shipping from a file: the brand's warehouse fills tracking numbers into the packing list (or a sheet of its
// own) and the brand uploads it, as Shopify Collabs and 3PLs work. The whole file is read and checked against the
// campaign's requests first, each line with what it would do or its problem; nothing is written until it is
// confirmed, which ships the good requests through shipGifts, the ship call's own writes (one mail per request,
// on its first ship; gift.shipped once). Sending the same file again changes nothing and mails no one.
import { CsvError, parseCsv, type CsvRecord } from '../lib/csv';
import { PACKING_CSV_HEADER, planShipments, shipBody, shipGifts, type Actor, type GiftRequestRow, type ShipDecision, type ShipInput, type ShipOutcome, type ShipRules } from './gifting';

export const TRACKING_COLUMNS = ['request_id', 'carrier', 'tracking_number', 'tracking_url', 'updated_at'] as const;
// A parcel has a carrier: the creator's mail and gift page name it, so the column is required too.
const REQUIRED = ['request_id', 'carrier', 'tracking_number'] as const;
// The packing list's own columns come back in the warehouse's copy of it: read past, not refused.
const KNOWN = new Set<string>([...TRACKING_COLUMNS, ...PACKING_CSV_HEADER]);
export const MAX_TRACKING_LINES = 2000;
export const MAX_TRACKING_CSV_CHARS = 1_000_000;

export type TrackingOutcome = 'shipped' | 'updated' | 'unchanged' | 'skipped' | 'error';
export type TrackingErrorCode = 'invalid' | 'conflicting_lines' | 'not_found' | 'gift_request_changed' | 'already_shipped' | 'gift_request_not_open' | 'enrollment_removed';
export type TrackingError = { line: number; field: string; code: TrackingErrorCode; message: string };
/**
 * A line under the header: its request_id as given (the report shows it only when it has a request id's shape),
 * its request (null when not the campaign's, or never looked up) and what it does.
 */
export type TrackingLine = { line: number; requestId: string; outcome: TrackingOutcome; request: GiftRequestRow | null; tracking: { carrier: string; trackingNumber: string } | null };
export type TrackingReport = {
  dryRun: boolean;
  lines: TrackingLine[];
  errors: TrackingError[];
  // Requests (a request on three lines ships once), then lines.
  counts: { shipped: number; updated: number; unchanged: number; skippedLines: number; errorLines: number };
};

// ---------- Reading the file (no I/O) ----------

type ReadLine = { line: number; requestId: string; input: ShipInput | null; bad: boolean };

const FIELD_COLUMNS: Record<string, string> = { carrier: 'carrier', trackingNumber: 'tracking_number', trackingUrl: 'tracking_url', updatedAt: 'updated_at' };
const UPDATED_AT_RULE = "Not the packing list's updated_at (a time such as 2026-05-04T09:30:00.000Z; a spreadsheet may have reformatted it): copy it from the packing list again, or leave it blank to ship without the check.";
// A gift request id's shape (lib/ids newId('gr')): anything else is no request's, and is not echoed back.
export const GIFT_REQUEST_ID = /^gr_[A-Za-z0-9_-]{1,61}$/;
// Header cells are echoed in the problem: a few, each cut short (a "header" may be a megabyte of one cell).
const named = (names: string[]) => {
  const shown = names.slice(0, 20).map((n) => (n.length > 60 ? `${n.slice(0, 60)}…` : n));
  return `${shown.join(', ')}${names.length > shown.length ? ` and ${names.length - shown.length} more` : ''}`;
};

// Lines with a tracking number become shipments; a line without one is left for later (the warehouse has not
// shipped it, or gave the number on another line of the same request). An all-blank line is no line.
export function readTrackingFile(records: CsvRecord[]): { problem: string; line: number } | { lines: ReadLine[]; errors: TrackingError[] } {
  const [header, ...body] = records;
  if (!header) return { problem: 'The file is empty.', line: 1 };
  const names = header.cells.map((h) => h.trim().toLowerCase().replace(/[\s-]+/g, '_'));
  const expected = `Expected: ${TRACKING_COLUMNS.join(', ')} (request_id, carrier and tracking_number required; the packing list's other columns may stay).`;
  const twice = names.filter((n, i) => n !== '' && names.indexOf(n) !== i);
  if (twice.length > 0) return { problem: `Column ${named(twice.slice(0, 1))} appears twice.`, line: header.line };
  const missing = REQUIRED.filter((r) => !names.includes(r));
  if (missing.length > 0) return { problem: `Missing column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}. ${expected}`, line: header.line };
  const unknown = names.filter((n) => n !== '' && !KNOWN.has(n));
  if (unknown.length > 0) return { problem: `Unknown column${unknown.length > 1 ? 's' : ''}: ${named(unknown)}. ${expected}`, line: header.line };

  const lines: ReadLine[] = [];
  const errors: TrackingError[] = [];
  for (const record of body) {
    if (record.cells.every((cell) => cell.trim() === '')) continue;
    const get = (col: string) => (names.includes(col) ? (record.cells[names.indexOf(col)] ?? '').trim() : '');
    const fail = (field: string, message: string, code: TrackingErrorCode = 'invalid') => errors.push({ line: record.line, field, code, message });
    const requestId = get('request_id');
    if (requestId === '') {
      fail('request_id', "Each line needs its request's request_id, as the packing list gives it.");
      lines.push({ line: record.line, requestId, input: null, bad: true });
      continue;
    }
    if (get('tracking_number') === '') {
      lines.push({ line: record.line, requestId, input: null, bad: false });
      continue;
    }
    const parsed = shipBody.safeParse({ carrier: get('carrier'), trackingNumber: get('tracking_number'), trackingUrl: get('tracking_url') || null, updatedAt: get('updated_at') || undefined });
    const before = errors.length;
    // An id of another shape is an id no request has: the same answer as an unknown one.
    if (!GIFT_REQUEST_ID.test(requestId)) fail('request_id', NOT_FOUND, 'not_found');
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = FIELD_COLUMNS[String(issue.path[0])] ?? 'request_id';
        if (errors.slice(before).some((e) => e.field === field)) continue;
        fail(field, field === 'updated_at' ? UPDATED_AT_RULE : issue.message);
      }
    }
    lines.push({ line: record.line, requestId, input: parsed.success ? parsed.data : null, bad: errors.length > before });
  }
  return { lines, errors };
}

const NOT_FOUND = 'No gift request of this campaign has this request_id.';
const sameTracking = (a: ShipInput, b: ShipInput) => a.carrier === b.carrier && a.trackingNumber === b.trackingNumber && (a.trackingUrl ?? null) === (b.trackingUrl ?? null) && a.updatedAt === b.updatedAt;

// One shipment per request (the packing list has a line per product): its lines with a tracking number must all
// give the same tracking, and all be fine, or none of them ships; the others are the lines it ships with.
function shipmentsOf(lines: ReadLine[]): { shipments: Map<string, { input: ShipInput; lines: number[] }>; errors: TrackingError[] } {
  const byRequest = new Map<string, ReadLine[]>();
  for (const l of lines) if (l.input || l.bad) byRequest.set(l.requestId, [...(byRequest.get(l.requestId) ?? []), l]);
  const shipments = new Map<string, { input: ShipInput; lines: number[] }>();
  const errors: TrackingError[] = [];
  for (const [requestId, group] of byRequest) {
    if (requestId === '') continue;
    const first = group.find((l) => l.input)?.input;
    const bad = group.find((l) => l.bad);
    const other = group.find((l) => l.input && first && !sameTracking(l.input, first));
    if (first && !bad && !other) {
      shipments.set(requestId, { input: first, lines: group.map((l) => l.line) });
      continue;
    }
    for (const l of group) {
      if (l.bad || !l.input) continue;
      const message = bad
        ? `Line ${bad.line}, for the same request, has a problem: fix it, and the request ships with the tracking its lines give.`
        : `Line ${group.find((x) => x.input && !sameTracking(x.input, l.input!))!.line} gives the same request other tracking: a request ships once, with one tracking number.`;
      errors.push({ line: l.line, field: 'tracking_number', code: 'conflicting_lines', message });
    }
  }
  return { shipments, errors };
}

// ---------- Checking it against the campaign, and shipping ----------

const ISO = (ms: number) => new Date(ms).toISOString();
// A file corrects a shipped request's tracking only with the request's current updated_at (db/gifting.ts ShipRules).
const FILE_RULES: ShipRules = { correctionNeedsVersion: true };
const CORRECT_HOW = 'If that tracking is wrong, give this line the updated_at the request has now';

// A spreadsheet that shows times to the second saves them so: the version then misses its milliseconds.
const roundedVersion = (version: number | undefined, request: GiftRequestRow) => version !== undefined && version % 1000 === 0 && version !== request.updated_at && Math.abs(version - request.updated_at) < 1000;

function decisionError(line: number, decision: ShipDecision | null, request: GiftRequestRow | null, input: ShipInput): TrackingError | null {
  if (!request || !decision) return { line, field: 'request_id', code: 'not_found', message: NOT_FOUND };
  if (decision.outcome !== 'conflict') return null;
  if ((decision.reason === 'changed' || decision.reason === 'already_shipped') && roundedVersion(input.updatedAt, request))
    return { line, field: 'updated_at', code: 'invalid', message: `The spreadsheet dropped the milliseconds of this updated_at (the request's is ${ISO(request.updated_at)}): copy the value again, or leave the column blank.` };
  if (decision.reason === 'already_shipped') {
    const shipped = `Shipped already with ${request.carrier} ${request.tracking_number} (${ISO(request.shipped_at ?? request.updated_at)})`;
    const why = input.updatedAt === undefined ? '' : ', after this updated_at: the sheet was made before it shipped';
    return { line, field: 'tracking_number', code: 'already_shipped', message: `${shipped}${why}. ${CORRECT_HOW}, ${ISO(request.updated_at)} (or correct it with the ship call).` };
  }
  if (decision.reason === 'changed')
    return request.status === 'shipped'
      ? { line, field: 'updated_at', code: 'gift_request_changed', message: `Its tracking was changed after this updated_at (now ${request.carrier} ${request.tracking_number}, updated_at ${ISO(request.updated_at)}): check which is right before sending it again.` }
      : { line, field: 'updated_at', code: 'gift_request_changed', message: `The creator changed this request after this updated_at (now ${ISO(request.updated_at)}): check the products and address it asks for now, ship that, and give its new updated_at.` };
  if (decision.reason === 'enrollment_removed') return { line, field: 'request_id', code: 'enrollment_removed', message: 'This creator was removed from the campaign: decline the request instead.' };
  return { line, field: 'request_id', code: 'gift_request_not_open', message: `This request is ${request.status}, so it does not ship.` };
}

const outcomeOf = (d: ShipDecision | ShipOutcome): TrackingOutcome | null =>
  d.outcome === 'write' ? (d.ships ? 'shipped' : 'updated') : d.outcome === 'shipped' || d.outcome === 'updated' || d.outcome === 'unchanged' ? d.outcome : null;

/** What the requests' outcomes add up to (requests, not lines). */
export const requestCounts = (outcomes: (ShipOutcome | null)[]) => {
  const n = (o: string) => outcomes.filter((x) => x?.outcome === o).length;
  return { shipped: n('shipped'), updated: n('updated'), unchanged: n('unchanged') };
};

/**
 * Reads `csv` and checks it against campaign `campaignId`'s requests; with `confirm`, ships the requests whose
 * lines are all fine, as shipGifts does (the outcomes are then what happened), telling `confirm.committed` of
 * each batch as it commits (to queue its mails: giftMailsOwed). A file that cannot be read at all is a `problem`,
 * with nothing looked up. Storage failing after a batch committed throws ShipmentsInterrupted. With
 * `confirm.withoutMail` (no origin for the mails' links), a file that would ship anything is `wouldMail`, nothing
 * written; one that only corrects or repeats tracking mails nobody, and is written.
 */
export async function runTrackingFile(
  db: D1Database,
  brandId: string,
  campaignId: string,
  csv: string,
  confirm: { actor: Actor; now: number; committed?: (outcomes: ShipOutcome[]) => Promise<void>; withoutMail?: boolean } | null,
): Promise<{ problem: string; line: number } | { report: TrackingReport } | { wouldMail: true }> {
  let records: CsvRecord[];
  try {
    records = parseCsv(csv, MAX_TRACKING_LINES + 1);
  } catch (e) {
    if (e instanceof CsvError) return { problem: e.message, line: e.line };
    throw e;
  }
  const read = readTrackingFile(records);
  if ('problem' in read) return read;
  if (read.lines.length === 0) return { problem: 'The file has a header row but no lines.', line: 1 };
  const { shipments, errors: grouping } = shipmentsOf(read.lines);
  // Problems with a request are told on its lines that give tracking (the others ship nothing of their own).
  const byLine = new Map(read.lines.map((l) => [l.line, l]));
  const tracked = (id: string) => shipments.get(id)!.lines.filter((line) => byLine.get(line)?.input);
  const ids = [...shipments.keys()];
  const plans = await planShipments(db, brandId, ids.map((requestId) => ({ requestId, input: shipments.get(requestId)!.input })), campaignId, FILE_RULES);
  const errors = [...read.errors, ...grouping];
  const requests = new Map<string, { request: GiftRequestRow | null; outcome: TrackingOutcome | null }>();
  ids.forEach((id, i) => {
    const { request, decision } = plans[i]!;
    for (const line of tracked(id)) {
      const error = decisionError(line, decision, request, shipments.get(id)!.input);
      if (error) errors.push(error);
    }
    requests.set(id, { request, outcome: decision && outcomeOf(decision) });
  });

  if (confirm) {
    const good = ids.filter((id) => requests.get(id)!.outcome !== null);
    if (confirm.withoutMail && good.some((id) => requests.get(id)!.outcome === 'shipped')) return { wouldMail: true };
    // And the write itself ships nothing then (ShipRules.withoutMail), whatever it finds.
    const rules = { ...FILE_RULES, withoutMail: confirm.withoutMail };
    const outcomes = await shipGifts(db, brandId, good.map((requestId) => ({ requestId, input: shipments.get(requestId)!.input })), confirm.actor, confirm.now, { campaignId, rules, committed: confirm.committed });
    good.forEach((id, i) => {
      const o = outcomes[i]!;
      const request = 'request' in o ? o.request : null;
      const outcome = outcomeOf(o);
      // Moved meanwhile (the creator changed it, the brand declined it, another call shipped it): a problem now, as it would have been before.
      if (!outcome) for (const line of tracked(id)) errors.push(decisionError(line, o.outcome === 'conflict' ? { outcome: 'conflict', reason: o.reason } : null, request, shipments.get(id)!.input)!);
      requests.set(id, { request, outcome });
    });
  }

  const errorLines = new Set(errors.map((e) => e.line));
  const lines = read.lines.map((l): TrackingLine => {
    const r = requests.get(l.requestId);
    const outcome: TrackingOutcome = errorLines.has(l.line) ? 'error' : (r?.outcome ?? 'skipped');
    return { line: l.line, requestId: l.requestId, outcome, request: r?.request ?? null, tracking: l.input && { carrier: l.input.carrier, trackingNumber: l.input.trackingNumber } };
  });
  const perRequest = (o: TrackingOutcome) => [...requests.values()].filter((r) => r.outcome === o).length;
  return {
    report: {
      dryRun: confirm === null,
      lines,
      errors: errors.sort((a, b) => a.line - b.line),
      counts: { shipped: perRequest('shipped'), updated: perRequest('updated'), unchanged: perRequest('unchanged'), skippedLines: lines.filter((l) => l.outcome === 'skipped').length, errorLines: errorLines.size },
    },
  };
}
