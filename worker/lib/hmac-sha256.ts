// HMAC-SHA256 (RFC 2104, FIPS 180-4) in plain synchronous JavaScript. The redirect answers without
// awaiting anything, and derives the day's visitor-hash key (lib/identity.ts) on the first click of a UTC
// day: WebCrypto's HMAC is asynchronous. test/worker/lib/hmac-sha256.test.ts checks it against WebCrypto
// for random keys and messages of every length around the block boundaries, and against RFC 4231.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const BLOCK = 64;
const W = new Int32Array(64);
const encoder = new TextEncoder();

// One 64-byte block of `m` at `off` folded into the state `h`.
function compress(h: Int32Array, m: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4) W[i] = (m[off]! << 24) | (m[off + 1]! << 16) | (m[off + 2]! << 8) | m[off + 3]!;
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (k + s1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
  h[5] = (h[5]! + f) | 0;
  h[6] = (h[6]! + g) | 0;
  h[7] = (h[7]! + k) | 0;
}

// Scratch space for the final blocks: the hash runs synchronously, so one set serves every call.
const TAIL = new Uint8Array(2 * BLOCK);
const TAIL_VIEW = new DataView(TAIL.buffer);

// Folds `msg` and the padding into `h`, which already holds the state after `before` bytes.
function finish(h: Int32Array, before: number, msg: Uint8Array): void {
  const length = msg.length;
  let off = 0;
  for (; off + BLOCK <= length; off += BLOCK) compress(h, msg, off);
  const rest = length - off;
  const tailLength = rest < BLOCK - 8 ? BLOCK : 2 * BLOCK;
  TAIL.fill(0, 0, tailLength);
  for (let i = 0; i < rest; i++) TAIL[i] = msg[off + i]!;
  TAIL[rest] = 0x80;
  const bits = (before + length) * 8;
  TAIL_VIEW.setUint32(tailLength - 8, Math.floor(bits / 2 ** 32));
  TAIL_VIEW.setUint32(tailLength - 4, bits >>> 0);
  compress(h, TAIL, 0);
  if (tailLength > BLOCK) compress(h, TAIL, BLOCK);
}

function bytesOf(h: Int32Array): Uint8Array {
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) view.setInt32(i * 4, h[i]!);
  return out;
}

export function sha256(msg: Uint8Array): Uint8Array {
  const h = IV.slice();
  finish(h, 0, msg);
  return bytesOf(h);
}

// A keyed HMAC-SHA256 of UTF-8 messages: the key's inner and outer pads are folded in once, here.
export function hmacSha256(key: string): (message: string) => Uint8Array {
  let k: Uint8Array = encoder.encode(key);
  if (k.length > BLOCK) k = sha256(k);
  const pad = (byte: number) => {
    const block = new Uint8Array(BLOCK).fill(byte);
    for (let i = 0; i < k.length; i++) block[i] = byte ^ k[i]!;
    const h = IV.slice();
    compress(h, block, 0);
    return h;
  };
  const inner = pad(0x36);
  const outer = pad(0x5c);
  return (message: string) => {
    const h = inner.slice();
    const bytes = encoder.encode(message);
    finish(h, BLOCK, bytes);
    // The outer hash's message is the inner digest: 32 bytes, one block with its padding.
    for (let i = 0; i < 8; i++) TAIL_VIEW.setInt32(i * 4, h[i]!);
    TAIL.fill(0, 32, BLOCK);
    TAIL[32] = 0x80;
    TAIL_VIEW.setUint32(BLOCK - 4, (BLOCK + 32) * 8);
    h.set(outer);
    compress(h, TAIL, 0);
    return bytesOf(h);
  };
}
