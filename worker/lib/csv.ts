// RFC 4180 CSV: a parser for uploads (quoted fields, embedded commas, quotes and newlines, CRLF or LF,
// a UTF-8 BOM; tab- or semicolon-separated too) and a writer for exports that spreadsheets cannot turn into formulas.

export type CsvRecord = { line: number; cells: string[] };

export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

// The separator a file's first non-blank line uses most, outside quotes: a comma, or a tab (rows copied from a
// spreadsheet and pasted) or a semicolon (Excel's CSV where the decimal mark is a comma). A comma on a tie.
export function sniffDelimiter(src: string): ',' | '\t' | ';' {
  const counts = { ',': 0, '\t': 0, ';': 0 };
  let quoted = false;
  let started = false; // blank lines before the header are skipped, as the parser skips them
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === '\n' || ch === '\r') {
      if (!quoted && started) break;
      continue;
    }
    started = true;
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch in counts) counts[ch as keyof typeof counts]++;
  }
  return counts['\t'] > counts[','] && counts['\t'] >= counts[';'] ? '\t' : counts[';'] > counts[','] ? ';' : ',';
}

// Records keep the physical line they start on, so errors can point at the line a person sees. Cells are
// separated as the first line separates them (sniffDelimiter). `maxRecords` counts the header row; the
// message counts the rows under it, as a person counts their creators.
export function parseCsv(text: string, maxRecords = 10_000): CsvRecord[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const delimiter = sniffDelimiter(src);
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let atCellStart = true;
  const endCell = () => {
    cells.push(cell);
    cell = '';
    atCellStart = true;
  };
  const endRecord = () => {
    endCell();
    if (!(cells.length === 1 && cells[0] === '')) records.push({ line: recordLine, cells });
    if (records.length > maxRecords) throw new CsvError(`More than ${(maxRecords - 1).toLocaleString('en-US')} rows under the header.`, line);
    cells = [];
  };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && atCellStart) {
      quoted = true;
      atCellStart = false;
    } else if (ch === delimiter) endCell();
    else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (ch === '"') throw new CsvError('A quote inside an unquoted field; wrap the field in quotes and double the quote.', line);
      cell += ch;
      atCellStart = false;
    }
  }
  if (quoted) throw new CsvError('A quoted field is never closed.', recordLine);
  if (cell !== '' || cells.length > 0) endRecord();
  return records;
}

// Spreadsheets run cells starting with these as formulas (CSV injection), some after trimming blanks,
// invisible characters or quotes first; a leading apostrophe keeps them text. Invisible means every Unicode
// format character (\p{Cf}): zero-width spaces and joiners, the BOM, the soft hyphen, bidi marks and overrides.
const FORMULA_START = /^[\s\p{Cf}"']*[=+\-@\t\r\n]/u;

/** Whether a spreadsheet would run the cell as a formula: csvText writes it with a leading apostrophe. */
export const looksLikeFormula = (text: string) => FORMULA_START.test(text);

export function csvText(value: string | null | undefined): string {
  const text = value ?? '';
  const safe = looksLikeFormula(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

// Numbers are written bare (amounts come pre-formatted from integers, e.g. "-12.50").
export function csvNumber(value: string | number): string {
  const text = String(value);
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new Error(`not a plain number: ${text}`);
  return text;
}

// A rate in basis points as a percent with two decimals: 1050 → 10.50.
export const csvPercent = (bps: number) => csvNumber(`${Math.floor(bps / 100)}.${String(bps % 100).padStart(2, '0')}`);

export const csvLine = (cells: string[]) => `${cells.join(',')}\r\n`;

export function safeFilename(name: string): string {
  return name.replace(/\.{2,}/g, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '').slice(0, 100) || 'export';
}

// A streamed export: the header line first, then whatever each pull's `next` reads (a page of rows), until
// it says it is done. Reading a page per pull lets the consumer's pace set the memory used.
export function csvStream(header: string[], next: () => Promise<{ text: string; done: boolean }>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(csvLine(header.map(csvText))));
        return;
      }
      const { text, done } = await next();
      if (text) controller.enqueue(encoder.encode(text));
      if (done) controller.close();
    },
  });
}

// csvStream over pages (keysetPages): each pull writes one page's lines, and after the last page `end`'s (totals).
export function pagedCsvStream<Row>(header: string[], pages: AsyncIterator<Row[]>, lines: (rows: Row[]) => string | Promise<string>, end: () => string = () => ''): ReadableStream<Uint8Array> {
  return csvStream(header, async () => {
    const page = await pages.next();
    return page.done ? { text: end(), done: true } : { text: await lines(page.value), done: false };
  });
}

// How every money export is answered: a CSV attachment nobody caches or sniffs.
export function csvAttachment(body: ReadableStream<Uint8Array>, filename: string): Response {
  return new Response(body, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${safeFilename(filename)}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}
