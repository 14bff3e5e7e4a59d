// QR codes for tracked links: a QR Code Model 2 encoder (ISO/IEC 18004:2015) in byte mode, and an SVG of it.
//
// encodeQr(text) follows the standard's encoding procedure (§7.1) step by step:
//   1. the text as UTF-8 bytes, in one byte-mode segment (§7.4.5);
//   2. the smallest version whose data capacity at the chosen error-correction level holds it (Table 7, Table 9);
//   3. the bit stream: mode indicator, character count, data, terminator, pad bits and pad codewords (§7.4.9, §7.4.10);
//   4. the data split into blocks, each with its Reed–Solomon codewords, then interleaved (§7.5, §7.6);
//   5. function patterns: finders and separators, timing, alignment, the dark module (§6.3, §7.3);
//   6. the codewords placed in the two-module-wide zigzag (§7.7.3);
//   7. each of the 8 masks tried with the format information it implies, and the one with the lowest penalty kept
//      (§7.8); format information (§7.9) and, from version 7, version information (§7.10).
// Byte mode says nothing of the charset (ECI is not written): every phone scanner reads UTF-8 URLs as such, and a
// tracked link is plain ASCII anyway.

export type EcLevel = 'L' | 'M' | 'Q' | 'H';
export const EC_LEVELS: readonly EcLevel[] = ['L', 'M', 'Q', 'H'];
export const MIN_VERSION = 1;
export const MAX_VERSION = 40;

export type QrCode = {
  version: number;
  ecLevel: EcLevel;
  mask: number;
  /** Modules per side: 17 + 4 × version. */
  size: number;
  /** modules[row][column], true for a dark module; no quiet zone. */
  modules: boolean[][];
};

export type QrOptions = { ecLevel?: EcLevel; minVersion?: number; maxVersion?: number; /** Force a mask (0–7) instead of the lowest penalty: for tests. */ mask?: number };

export class QrTooLong extends Error {
  constructor(bytes: number, ecLevel: EcLevel, maxVersion: number) {
    super(`${bytes} bytes do not fit a version ${maxVersion} QR code at level ${ecLevel}`);
    this.name = 'QrTooLong';
  }
}

// ---------- Tables ----------

// Table 9 (error correction characteristics): for versions 1–40, the EC codewords in each block...
const EC_CODEWORDS_PER_BLOCK: Record<EcLevel, readonly number[]> = {
  L: [7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
  M: [10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
  Q: [13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
  H: [17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
};

// ...and the number of blocks (both groups together; the table's second group is one data codeword longer).
const EC_BLOCKS: Record<EcLevel, readonly number[]> = {
  L: [1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
  M: [1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
  Q: [1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
  H: [1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
};

// Annex E, Table E.1: the row/column coordinates of alignment pattern centres, for versions 2–40.
const ALIGNMENT_CENTRES: readonly (readonly number[])[] = [
  [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50],
  [6, 30, 54], [6, 32, 58], [6, 34, 62], [6, 26, 46, 66], [6, 26, 48, 70], [6, 26, 50, 74], [6, 30, 54, 78], [6, 30, 56, 82], [6, 30, 58, 86], [6, 34, 62, 90],
  [6, 28, 50, 72, 94], [6, 26, 50, 74, 98], [6, 30, 54, 78, 102], [6, 28, 54, 80, 106], [6, 32, 58, 84, 110], [6, 30, 58, 86, 114], [6, 34, 62, 90, 118], [6, 26, 50, 74, 98, 122], [6, 30, 54, 78, 102, 126], [6, 26, 52, 78, 104, 130],
  [6, 30, 56, 82, 108, 134], [6, 34, 60, 86, 112, 138], [6, 30, 58, 86, 114, 142], [6, 34, 62, 90, 118, 146], [6, 30, 54, 78, 102, 126, 150], [6, 24, 50, 76, 102, 128, 154], [6, 28, 54, 80, 106, 132, 158], [6, 32, 58, 84, 110, 136, 162], [6, 26, 54, 82, 110, 138, 166], [6, 30, 58, 86, 114, 142, 170],
];

// §7.9.1, Table 12: the error correction level's two bits in the format information (not in L-M-Q-H order).
const EC_LEVEL_BITS: Record<EcLevel, number> = { L: 0b01, M: 0b00, Q: 0b11, H: 0b10 };

// §7.4.1, Table 2: byte mode's indicator; §7.4.1, Table 3: its character count indicator length by version.
const BYTE_MODE = 0b0100;
const byteCountBits = (version: number) => (version <= 9 ? 8 : 16);

// §7.4.10: pad codewords, alternating, after the terminator.
const PAD_CODEWORDS = [0xec, 0x11] as const;

// §7.8.3, Table 11: weights of the four mask penalty rules.
const PENALTY = { run: 3, block: 3, finderLike: 40, balance: 10 } as const;

const sizeOf = (version: number) => 17 + 4 * version;

/** The block structure of a version and level (Table 9): what the decoder in the tests reads back. */
export function blockLayout(version: number, ecLevel: EcLevel) {
  const ecPerBlock = EC_CODEWORDS_PER_BLOCK[ecLevel][version - 1]!;
  const blocks = EC_BLOCKS[ecLevel][version - 1]!;
  const totalCodewords = Math.floor(rawDataModules(version) / 8);
  const dataCodewords = totalCodewords - ecPerBlock * blocks;
  // The first group's blocks are one data codeword shorter than the second's when the division is not exact.
  const longBlocks = totalCodewords % blocks;
  const shortBlockLength = Math.floor(totalCodewords / blocks);
  return { ecPerBlock, blocks, totalCodewords, dataCodewords, shortBlocks: blocks - longBlocks, shortBlockData: shortBlockLength - ecPerBlock };
}

/** The longest byte-mode text (in UTF-8 bytes) a version holds at a level (Table 7's "Byte" column). */
export function byteCapacity(version: number, ecLevel: EcLevel): number {
  const bits = blockLayout(version, ecLevel).dataCodewords * 8 - 4 - byteCountBits(version);
  return Math.floor(bits / 8);
}

// The modules left for codewords once every function pattern and the format and version areas are placed
// (§7.1, Table 1's "data modules", remainder bits included): the whole square, less three finders with their
// separators (3 × 64), two copies of the format information and the dark module (2 × 15 + 1), the timing patterns
// between the finders, the alignment patterns not overlapping a finder (25 modules each, less those already counted
// as timing), and two version areas (2 × 18) from version 7.
function rawDataModules(version: number): number {
  const size = sizeOf(version);
  let modules = size * size - 3 * 64 - 31 - 2 * (size - 16);
  const centres = ALIGNMENT_CENTRES[version - 1]!.length;
  if (centres > 0) {
    const patterns = centres * centres - 3;
    // Those on row or column 6 lie across a timing pattern: 5 of their modules were counted there already.
    modules -= patterns * 25 - 2 * (centres - 2) * 5;
  }
  if (version >= 7) modules -= 36;
  return modules;
}

// ---------- Reed–Solomon over GF(256) (§7.5.2) ----------

// GF(2^8) with the field's primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), as exponent and log tables.
const GF_EXP = new Uint8Array(512);
const GF_LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    GF_EXP[i] = x;
    GF_LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) GF_EXP[i] = GF_EXP[i - 255]!;
}

export const gfMultiply = (a: number, b: number) => (a === 0 || b === 0 ? 0 : GF_EXP[GF_LOG[a]! + GF_LOG[b]!]!);
/** α^n in GF(256). */
export const gfPower = (n: number) => GF_EXP[n % 255]!;

// The generator polynomial of degree n, (x − α^0)(x − α^1)…(x − α^(n−1)) (Annex A), highest power first and its
// leading 1 left out. Few degrees occur (7 to 30), so each is built once.
const generators = new Map<number, Uint8Array>();
function rsGenerator(degree: number): Uint8Array {
  let g = generators.get(degree);
  if (g) return g;
  g = new Uint8Array(degree);
  g[degree - 1] = 1; // the polynomial 1, right-aligned
  let root = 1;
  for (let i = 0; i < degree; i++) {
    // Multiply by (x + α^i): shift left one place and add α^i times the old value.
    for (let j = 0; j < degree; j++) {
      g[j] = gfMultiply(g[j]!, root) ^ (j + 1 < degree ? g[j + 1]! : 0);
    }
    root = gfMultiply(root, 2);
  }
  generators.set(degree, g);
  return g;
}

/** The error correction codewords of one block: the remainder of data(x)·x^n divided by the generator. */
export function reedSolomon(data: ArrayLike<number>, ecCodewords: number): Uint8Array {
  const g = rsGenerator(ecCodewords);
  const remainder = new Uint8Array(ecCodewords);
  for (let i = 0; i < data.length; i++) {
    const factor = data[i]! ^ remainder[0]!;
    remainder.copyWithin(0, 1);
    remainder[ecCodewords - 1] = 0;
    for (let j = 0; j < ecCodewords; j++) remainder[j]! ^= gfMultiply(g[j]!, factor);
  }
  return remainder;
}

// ---------- BCH codes of the format and version information ----------

// §7.9.1: 5 bits (level, mask) with 10 BCH(15,5) bits (generator 0x537), then XORed with 101010000010010 so
// that no format string is all zeros.
export function formatBits(ecLevel: EcLevel, mask: number): number {
  const data = (EC_LEVEL_BITS[ecLevel] << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  return ((data << 10) | rem) ^ 0x5412;
}

// §7.10, Annex D: 6 bits of version with 12 BCH(18,6) bits (generator 0x1F25).
export function versionBits(version: number): number {
  let rem = version;
  for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
  return (version << 12) | rem;
}

// ---------- Step 3: the bit stream ----------

class BitBuffer {
  bits: number[] = [];
  put(value: number, length: number) {
    for (let i = length - 1; i >= 0; i--) this.bits.push((value >>> i) & 1);
  }
}

function dataCodewords(bytes: Uint8Array, version: number, capacity: number): Uint8Array {
  const buffer = new BitBuffer();
  buffer.put(BYTE_MODE, 4);
  buffer.put(bytes.length, byteCountBits(version));
  for (const b of bytes) buffer.put(b, 8);
  // Terminator: up to four 0 bits, as many as fit; then 0s to the byte boundary.
  buffer.put(0, Math.min(4, capacity * 8 - buffer.bits.length));
  buffer.put(0, (8 - (buffer.bits.length % 8)) % 8);
  const codewords = new Uint8Array(capacity);
  const filled = buffer.bits.length / 8;
  for (let i = 0; i < filled; i++) {
    let byte = 0;
    for (let b = 0; b < 8; b++) byte = (byte << 1) | buffer.bits[i * 8 + b]!;
    codewords[i] = byte;
  }
  for (let i = filled; i < capacity; i++) codewords[i] = PAD_CODEWORDS[(i - filled) % 2]!;
  return codewords;
}

// ---------- Step 4: blocks, error correction, interleaving ----------

function interleave(data: Uint8Array, version: number, ecLevel: EcLevel): Uint8Array {
  const { ecPerBlock, blocks, totalCodewords, shortBlocks, shortBlockData } = blockLayout(version, ecLevel);
  const dataBlocks: Uint8Array[] = [];
  const ecBlocks: Uint8Array[] = [];
  for (let b = 0, at = 0; b < blocks; b++) {
    const length = shortBlockData + (b < shortBlocks ? 0 : 1);
    const block = data.subarray(at, at + length);
    dataBlocks.push(block);
    ecBlocks.push(reedSolomon(block, ecPerBlock));
    at += length;
  }
  // §7.6: the first codeword of every block, then the second of every block…; the short blocks have no last one.
  const out = new Uint8Array(totalCodewords);
  let i = 0;
  for (let k = 0; k <= shortBlockData; k++) {
    for (const block of dataBlocks) if (k < block.length) out[i++] = block[k]!;
  }
  for (let k = 0; k < ecPerBlock; k++) for (const block of ecBlocks) out[i++] = block[k]!;
  return out;
}

// ---------- Steps 5–7: the matrix ----------

// One flat array per symbol, row-major: dark[y * size + x]. `reserved` marks function patterns and the format and
// version areas, which data and masks leave alone.
type Grid = { size: number; dark: Uint8Array; reserved: Uint8Array };

function setFunction(grid: Grid, x: number, y: number, dark: boolean) {
  const i = y * grid.size + x;
  grid.dark[i] = dark ? 1 : 0;
  grid.reserved[i] = 1;
}

function drawFunctionPatterns(grid: Grid, version: number) {
  const { size } = grid;
  // §6.3.5 timing patterns: alternating, dark on even coordinates, along row 6 and column 6.
  for (let i = 0; i < size; i++) {
    setFunction(grid, 6, i, i % 2 === 0);
    setFunction(grid, i, 6, i % 2 === 0);
  }
  // §6.3.3 finder patterns (7×7 rings: dark, light, 3×3 dark) with their one-module light separators (§6.3.4).
  for (const [cx, cy] of [[3, 3], [size - 4, 3], [3, size - 4]] as const) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx;
        const y = cy + dy;
        if (x < 0 || y < 0 || x >= size || y >= size) continue;
        const ring = Math.max(Math.abs(dx), Math.abs(dy));
        setFunction(grid, x, y, ring !== 2 && ring !== 4);
      }
    }
  }
  // §6.3.6 alignment patterns (5×5: dark, light, dark centre) at every pair of Table E.1's centres, except the
  // three that would overlap a finder.
  const centres = ALIGNMENT_CENTRES[version - 1]!;
  const last = centres.length - 1;
  centres.forEach((cy, row) =>
    centres.forEach((cx, column) => {
      if ((row === 0 && column === 0) || (row === 0 && column === last) || (row === last && column === 0)) return;
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) setFunction(grid, cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }),
  );
  // Reserve the format areas (written for real once the mask is chosen) and write the version information.
  drawFormat(grid, 0);
  if (version >= 7) drawVersion(grid, version);
}

// §7.9.1, Figure 25: format bit i (0 the least significant) goes to two places. Around the top-left finder: bits 0–5
// down column 8, bits 6–8 round the corner (skipping timing row 6), bits 9–14 along row 8 right to left (skipping
// timing column 6). Split: bits 0–7 along row 8 from the right edge, bits 8–14 down column 8 to the bottom, which
// also holds the always-dark module at (8, size − 8).
function drawFormat(grid: Grid, bits: number) {
  const { size } = grid;
  const bit = (i: number) => ((bits >>> i) & 1) === 1;
  for (let i = 0; i <= 5; i++) setFunction(grid, 8, i, bit(i));
  setFunction(grid, 8, 7, bit(6));
  setFunction(grid, 8, 8, bit(7));
  setFunction(grid, 7, 8, bit(8));
  for (let i = 9; i < 15; i++) setFunction(grid, 14 - i, 8, bit(i));
  for (let i = 0; i < 8; i++) setFunction(grid, size - 1 - i, 8, bit(i));
  for (let i = 8; i < 15; i++) setFunction(grid, 8, size - 15 + i, bit(i));
  setFunction(grid, 8, size - 8, true);
}

// §7.10, Figure 27: 18 bits in a 6×3 block above the bottom-left finder and its transpose left of the top-right
// one; bit i at column i / 3 and row size − 11 + i mod 3 of the first.
function drawVersion(grid: Grid, version: number) {
  const bits = versionBits(version);
  for (let i = 0; i < 18; i++) {
    const dark = ((bits >>> i) & 1) === 1;
    const a = grid.size - 11 + (i % 3);
    const b = Math.floor(i / 3);
    setFunction(grid, a, b, dark);
    setFunction(grid, b, a, dark);
  }
}

// §7.7.3: codeword bits, most significant first, fill two-module columns from the right edge, upwards then
// downwards in turn, right module before left, skipping function modules and the vertical timing column.
// Remainder bits (Table 1) stay light.
function placeCodewords(grid: Grid, codewords: Uint8Array) {
  const { size, dark, reserved } = grid;
  const totalBits = codewords.length * 8;
  let bit = 0;
  let upward = true;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    for (let step = 0; step < size; step++) {
      const y = upward ? size - 1 - step : step;
      for (let x = right; x >= right - 1; x--) {
        const i = y * size + x;
        if (reserved[i] || bit >= totalBits) continue;
        dark[i] = (codewords[bit >>> 3]! >>> (7 - (bit & 7))) & 1;
        bit++;
      }
    }
    upward = !upward;
  }
}

// §7.8.2, Table 10: the eight mask conditions on row i and column j; where true, a data module is inverted.
export const MASKS: readonly ((i: number, j: number) => boolean)[] = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => ((i * j) % 2) + ((i * j) % 3) === 0,
  (i, j) => (((i * j) % 2) + ((i * j) % 3)) % 2 === 0,
  (i, j) => (((i + j) % 2) + ((i * j) % 3)) % 2 === 0,
];

function applyMask(grid: Grid, mask: number) {
  const { size, dark, reserved } = grid;
  const condition = MASKS[mask]!;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      if (!reserved[i] && condition(y, x)) dark[i]! ^= 1;
    }
  }
}

// §7.8.3: the penalty of a masked symbol (format information included), lower is better. Run 8 times a code,
// so it reads the flat array directly, with no closures in its loops.
function penalty(grid: Grid): number {
  const { size, dark } = grid;
  let score = 0;
  // Rules 1 and 3 read every row, then every column, as a line of modules.
  for (let k = 0; k < size; k++) {
    score += linePenalty(dark, k * size, 1, size);
    score += linePenalty(dark, k, size, size);
  }
  // Rule 2: each 2×2 block of one colour (overlapping blocks counted each).
  for (let y = 0; y < size - 1; y++) {
    for (let x = 0; x < size - 1; x++) {
      const i = y * size + x;
      const c = dark[i];
      if (c === dark[i + 1] && c === dark[i + size] && c === dark[i + size + 1]) score += PENALTY.block;
    }
  }
  // Rule 4: 10 points for every full 5% the share of dark modules is away from half.
  let darkCount = 0;
  for (let i = 0; i < dark.length; i++) darkCount += dark[i]!;
  const total = size * size;
  score += Math.floor(Math.abs(darkCount * 20 - total * 10) / total) * PENALTY.balance;
  return score;
}

// Rule 3's core, 1:1:3:1:1 dark:light:dark:light:dark as in a finder, as 7 bits.
const FINDER_CORE = 0b1011101;

// One row or column: n modules from `start`, `stride` apart.
function linePenalty(dark: Uint8Array, start: number, stride: number, n: number): number {
  let score = 0;
  // Rule 1: a run of 5 or more modules of one colour scores 3, plus 1 for each module past 5.
  let run = 0;
  let colour = -1;
  // Rule 3: the finder-like core with 4 light modules before or after it, counted once. The last 15 modules are
  // kept as bits, newest lowest; the light quiet zone is outside the symbol: the window starts all light, and 4
  // light modules follow the last.
  let window = 0;
  for (let m = 0; m < n + 4; m++) {
    const c = m < n ? dark[start + m * stride]! : 0;
    if (m < n) {
      if (c === colour) run++;
      else {
        if (run >= 5) score += PENALTY.run + (run - 5);
        colour = c;
        run = 1;
      }
    }
    window = ((window << 1) | c) & 0x7fff;
    const last11 = window & 0x7ff;
    // 0000 + core just ended: light before.
    if (last11 === FINDER_CORE) score += PENALTY.finderLike;
    // core + 0000 just ended: light after, unless the 4 before the core were light too (counted above already).
    else if (last11 === FINDER_CORE << 4 && window >>> 11 !== 0) score += PENALTY.finderLike;
  }
  if (run >= 5) score += PENALTY.run + (run - 5);
  return score;
}

// ---------- The whole procedure ----------

export function encodeQr(text: string, options: QrOptions = {}): QrCode {
  const { ecLevel = 'M', minVersion = MIN_VERSION, maxVersion = MAX_VERSION } = options;
  // Step 1: the text as bytes.
  const bytes = new TextEncoder().encode(text);
  // Step 2: the smallest version that holds them.
  let version = Math.max(MIN_VERSION, minVersion);
  while (version <= Math.min(maxVersion, MAX_VERSION) && byteCapacity(version, ecLevel) < bytes.length) version++;
  if (version > Math.min(maxVersion, MAX_VERSION)) throw new QrTooLong(bytes.length, ecLevel, Math.min(maxVersion, MAX_VERSION));
  // Steps 3 and 4: data codewords, then all codewords in their final order.
  const codewords = interleave(dataCodewords(bytes, version, blockLayout(version, ecLevel).dataCodewords), version, ecLevel);
  // Steps 5 and 6: function patterns, then the data.
  const size = sizeOf(version);
  const grid: Grid = { size, dark: new Uint8Array(size * size), reserved: new Uint8Array(size * size) };
  drawFunctionPatterns(grid, version);
  placeCodewords(grid, codewords);
  // Step 7: every mask with its format information, the lowest penalty kept (the first of equals).
  let mask = options.mask ?? -1;
  if (mask < 0) {
    let best = Infinity;
    for (let candidate = 0; candidate < MASKS.length; candidate++) {
      applyMask(grid, candidate);
      drawFormat(grid, formatBits(ecLevel, candidate));
      const score = penalty(grid);
      if (score < best) (best = score), (mask = candidate);
      applyMask(grid, candidate); // XOR again: back to unmasked
    }
  }
  applyMask(grid, mask);
  drawFormat(grid, formatBits(ecLevel, mask));
  const modules = Array.from({ length: size }, (_, y) => Array.from(grid.dark.subarray(y * size, (y + 1) * size), (c) => c === 1));
  return { version, ecLevel, mask, size, modules };
}

// ---------- SVG ----------

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * A compact SVG of a QR code: a white square (the quiet zone included, so the code reads on any background) and
 * one path of horizontal runs of dark modules, in module units. `title` is its accessible name; `moduleSize`, when
 * given, sets width and height in pixels (a downloaded file then opens at a printable size).
 */
export function qrSvg(modules: readonly (readonly boolean[])[], { quietZone = 4, title, moduleSize }: { quietZone?: number; title?: string; moduleSize?: number } = {}): string {
  const side = modules.length + 2 * quietZone;
  let path = '';
  modules.forEach((row, y) => {
    for (let x = 0; x < row.length; ) {
      if (!row[x]) {
        x++;
        continue;
      }
      let end = x;
      while (end < row.length && row[end]) end++;
      path += `M${x + quietZone} ${y + quietZone}h${end - x}v1h-${end - x}z`;
      x = end;
    }
  });
  const dimensions = moduleSize ? ` width="${side * moduleSize}" height="${side * moduleSize}"` : '';
  const label = title ? ` role="img" aria-label="${escapeXml(title)}"` : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}"${dimensions} shape-rendering="crispEdges"${label}>` +
    (title ? `<title>${escapeXml(title)}</title>` : '') +
    `<rect width="${side}" height="${side}" fill="#fff"/><path fill="#000" d="${path}"/></svg>`
  );
}
