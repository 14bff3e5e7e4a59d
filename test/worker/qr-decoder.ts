// A small QR decoder for the tests: reads a module matrix (no image processing) the way a scanner does once it
// has located the code, so the encoder's output is proved readable, not just self-consistent. Written apart from
// worker/lib/qr.ts: the function-pattern map, the alignment centres (the formula, not Table E.1), the format
// and version checks, the masks, the zigzag walk and the syndromes are all its own. It takes only Table 9's block
// structure (blockLayout) from the encoder; the known capacities in qr.test.ts check that table on their own.
import { blockLayout, type EcLevel } from '../../worker/lib/qr';

export type Decoded = { text: string; version: number; ecLevel: EcLevel; mask: number };

export class QrDecodeError extends Error {}

const fail = (why: string): never => {
  throw new QrDecodeError(why);
};

// GF(256) under 0x11D, built here again.
const EXP: number[] = [];
const LOG: number[] = new Array(256).fill(0);
for (let i = 0, x = 1; i < 255; i++, x = x & 0x80 ? ((x << 1) ^ 0x11d) & 0xff : x << 1) (EXP[i] = x), (LOG[x] = i);
const mul = (a: number, b: number) => (a && b ? EXP[(LOG[a]! + LOG[b]!) % 255]! : 0);

// Alignment centres from the spacing rule behind Table E.1: evenly spaced back from size − 7, the step even and
// rounded up, version 32 the one exception the formula below also covers.
function alignmentCentres(version: number): number[] {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const step = Math.floor((version * 8 + count * 3 + 5) / (count * 4 - 4)) * 2;
  const size = version * 4 + 17;
  const centres = [6];
  for (let pos = size - 7; centres.length < count; pos -= step) centres.splice(1, 0, pos);
  return centres;
}

// The 32 valid format words (all levels and masks), computed by polynomial division here.
const LEVEL_OF_BITS: EcLevel[] = ['M', 'L', 'H', 'Q'];
function bch(value: number, dataBits: number, generator: number, genDegree: number): number {
  let rem = value << genDegree;
  for (let bit = dataBits + genDegree - 1; bit >= genDegree; bit--) if ((rem >>> bit) & 1) rem ^= generator << (bit - genDegree);
  return (value << genDegree) | rem;
}
const FORMAT_WORDS = Array.from({ length: 32 }, (_, data) => ({ data, word: bch(data, 5, 0x537, 10) ^ 0x5412 }));
const popcount = (n: number) => n.toString(2).replaceAll('0', '').length;

type Matrix = readonly (readonly boolean[])[];

export function decodeQr(m: Matrix): Decoded {
  const size = m.length;
  if (m.some((row) => row.length !== size)) fail('not square');
  const version = (size - 17) / 4;
  if (!Number.isInteger(version) || version < 1 || version > 40) fail(`no version has ${size} modules a side`);
  const at = (row: number, col: number) => m[row]![col]!;

  // --- Function patterns, checked as a scanner relies on them, and mapped so data reading skips them.
  const isFunction = Array.from({ length: size }, () => new Array<boolean>(size).fill(false));
  const mark = (r0: number, c0: number, h: number, w: number) => {
    for (let r = r0; r < r0 + h; r++) for (let c = c0; c < c0 + w; c++) isFunction[r]![c] = true;
  };
  for (const [r0, c0] of [[0, 0], [0, size - 7], [size - 7, 0]] as const) {
    for (let r = -1; r <= 7; r++) {
      for (let c = -1; c <= 7; c++) {
        const row = r0 + r;
        const col = c0 + c;
        if (row < 0 || col < 0 || row >= size || col >= size) continue;
        const inner = r >= 0 && r <= 6 && c >= 0 && c <= 6;
        const expected = inner && (r === 0 || r === 6 || c === 0 || c === 6 || (r >= 2 && r <= 4 && c >= 2 && c <= 4));
        if (at(row, col) !== expected) fail(`finder or separator wrong at row ${row}, column ${col}`);
      }
    }
  }
  mark(0, 0, 9, 9); // finder, separator, format
  mark(0, size - 8, 9, 8);
  mark(size - 8, 0, 8, 9);
  for (let i = 8; i < size - 8; i++) {
    if (at(6, i) !== (i % 2 === 0) || at(i, 6) !== (i % 2 === 0)) fail(`timing pattern wrong at ${i}`);
    isFunction[6]![i] = isFunction[i]![6] = true;
  }
  const centres = alignmentCentres(version);
  const last = centres.length - 1;
  for (const [i, r] of centres.entries()) {
    for (const [j, c] of centres.entries()) {
      if ((i === 0 && (j === 0 || j === last)) || (i === last && j === 0)) continue; // the three under a finder
      for (let dr = -2; dr <= 2; dr++) for (let dc = -2; dc <= 2; dc++) if (at(r + dr, c + dc) !== (Math.abs(dr) === 2 || Math.abs(dc) === 2 || (dr === 0 && dc === 0))) fail(`alignment pattern at ${r},${c} wrong`);
      mark(r - 2, c - 2, 5, 5);
    }
  }
  if (!at(size - 8, 8)) fail('the dark module is light');
  if (version >= 7) {
    mark(0, size - 11, 6, 3);
    mark(size - 11, 0, 3, 6);
    // Version information, both copies, read most significant bit first; each must be this version's word.
    let topRight = 0;
    let bottomLeft = 0;
    for (let i = 17; i >= 0; i--) {
      topRight = (topRight << 1) | Number(at(Math.floor(i / 3), size - 11 + (i % 3)));
      bottomLeft = (bottomLeft << 1) | Number(at(size - 11 + (i % 3), Math.floor(i / 3)));
    }
    const expected = bch(version, 6, 0x1f25, 12);
    if (topRight !== expected || bottomLeft !== expected) fail(`version information ${topRight.toString(2)} / ${bottomLeft.toString(2)} is not version ${version}'s`);
  }

  // --- Format information: the top-left copy, most significant bit first, and the split copy; the nearest valid
  // word (a scanner corrects up to 3 wrong bits), and both copies must give the same.
  const topLeftCells: [number, number][] = [[8, 0], [8, 1], [8, 2], [8, 3], [8, 4], [8, 5], [8, 7], [8, 8], [7, 8], [5, 8], [4, 8], [3, 8], [2, 8], [1, 8], [0, 8]];
  const splitCells: [number, number][] = [
    ...Array.from({ length: 7 }, (_, k) => [size - 1 - k, 8] as [number, number]),
    ...Array.from({ length: 8 }, (_, k) => [8, size - 8 + k] as [number, number]),
  ];
  const readWord = (cells: [number, number][]) => cells.reduce((word, [r, c]) => (word << 1) | Number(at(r, c)), 0);
  const nearest = (word: number) => {
    const best = FORMAT_WORDS.map((f) => ({ ...f, distance: popcount(f.word ^ word) })).sort((a, b) => a.distance - b.distance)[0]!;
    if (best.distance > 3) fail(`format information ${word.toString(2)} is not readable`);
    return best.data;
  };
  const format = nearest(readWord(topLeftCells));
  if (nearest(readWord(splitCells)) !== format) fail('the two copies of the format information disagree');
  const ecLevel = LEVEL_OF_BITS[format >> 3]!;
  const mask = format & 7;
  for (const [r, c] of [...topLeftCells, ...splitCells]) isFunction[r]![c] = true;

  // --- Unmask and walk the zigzag: column pairs from the right, alternately up and down, the timing column skipped.
  const flips: ((r: number, c: number) => boolean)[] = [
    (r, c) => (r + c) % 2 === 0,
    (r) => r % 2 === 0,
    (_, c) => c % 3 === 0,
    (r, c) => (r + c) % 3 === 0,
    (r, c) => (((r / 2) | 0) + ((c / 3) | 0)) % 2 === 0,
    (r, c) => ((r * c) % 2) + ((r * c) % 3) === 0,
    (r, c) => (((r * c) % 2) + ((r * c) % 3)) % 2 === 0,
    (r, c) => (((r + c) % 2) + ((r * c) % 3)) % 2 === 0,
  ];
  const bits: number[] = [];
  let column = size - 1;
  let goingUp = true;
  while (column > 0) {
    if (column === 6) column--;
    const rows = Array.from({ length: size }, (_, k) => (goingUp ? size - 1 - k : k));
    for (const r of rows) {
      for (const c of [column, column - 1]) {
        if (!isFunction[r]![c]) bits.push(Number(at(r, c) !== flips[mask]!(r, c)));
      }
    }
    goingUp = !goingUp;
    column -= 2;
  }

  // --- Codewords, then blocks (de-interleaved), each checked by its syndromes.
  const layout = blockLayout(version, ecLevel);
  if (bits.length < layout.totalCodewords * 8) fail('fewer modules than codewords');
  const codewords = Array.from({ length: layout.totalCodewords }, (_, k) => bits.slice(k * 8, k * 8 + 8).reduce((b, bit) => (b << 1) | bit, 0));
  const blocks = Array.from({ length: layout.blocks }, (_, b) => ({ data: [] as number[], ec: [] as number[], dataLength: layout.shortBlockData + (b < layout.shortBlocks ? 0 : 1) }));
  let next = 0;
  for (let k = 0; k <= layout.shortBlockData; k++) for (const block of blocks) if (k < block.dataLength) block.data.push(codewords[next++]!);
  for (let k = 0; k < layout.ecPerBlock; k++) for (const block of blocks) block.ec.push(codewords[next++]!);
  blocks.forEach((block, b) => {
    const received = [...block.data, ...block.ec]; // coefficients of r(x), highest power first
    for (let i = 0; i < layout.ecPerBlock; i++) {
      // S_i = r(α^i) by Horner's rule; all zero for a codeword of the code whose generator has roots α^0…α^(n−1).
      const alpha = EXP[i]!;
      const syndrome = received.reduce((acc, c) => mul(acc, alpha) ^ c, 0);
      if (syndrome !== 0) fail(`block ${b}: syndrome ${i} is ${syndrome}, not 0`);
    }
  });

  // --- The data: one byte-mode segment, then the terminator and pad codewords.
  const data = blocks.flatMap((block) => block.data);
  const stream = data.flatMap((byte) => Array.from({ length: 8 }, (_, k) => (byte >> (7 - k)) & 1));
  let pos = 0;
  const read = (n: number) => {
    let v = 0;
    for (let k = 0; k < n; k++) v = (v << 1) | (stream[pos++] ?? fail('ran past the data'));
    return v;
  };
  const mode = read(4);
  if (mode !== 0b0100) fail(`mode ${mode.toString(2)} is not byte mode`);
  const count = read(version <= 9 ? 8 : 16);
  const bytes = Uint8Array.from({ length: count }, () => read(8));
  const terminator = Math.min(4, stream.length - pos);
  if (read(terminator) !== 0) fail('terminator is not zeros');
  while (pos % 8 !== 0) if (read(1) !== 0) fail('padding bits are not zeros');
  for (let k = 0; pos < stream.length; k++) if (read(8) !== (k % 2 === 0 ? 0xec : 0x11)) fail('pad codewords are not 0xEC 0x11');
  return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes), version, ecLevel, mask };
}

/** The modules an SVG from qrSvg draws: its path's runs painted on a grid, less the quiet zone. */
export function modulesOfSvg(svg: string, quietZone = 4): boolean[][] {
  const side = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1] ?? fail('no square viewBox'));
  const d = /<path[^>]* d="([^"]*)"/.exec(svg)?.[1] ?? fail('no path');
  const run = /M(\d+) (\d+)h(\d+)v1h-\3z/g;
  if (d.replace(run, '') !== '') fail('the path holds something other than runs');
  const grid = Array.from({ length: side }, () => new Array<boolean>(side).fill(false));
  for (const [, x, y, w] of d.matchAll(run)) for (let k = 0; k < Number(w); k++) grid[Number(y)]![Number(x) + k] = true;
  for (let k = 0; k < side; k++) {
    if ([...grid[k]!.slice(0, quietZone), ...grid[k]!.slice(side - quietZone)].some(Boolean)) fail('dark modules in the quiet zone');
  }
  if ([...grid.slice(0, quietZone), ...grid.slice(side - quietZone)].some((row) => row.some(Boolean))) fail('dark modules in the quiet zone');
  return grid.slice(quietZone, side - quietZone).map((row) => row.slice(quietZone, side - quietZone));
}
