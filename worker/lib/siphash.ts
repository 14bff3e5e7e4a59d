// SipHash-2-4 with a 128-bit output (Aumasson and Bernstein, "SipHash: a fast short-input PRF", and the
// reference implementation's 128-bit mode), in plain synchronous JavaScript on 32-bit halves. It is a
// keyed pseudorandom function built for short messages such as an IP and a user agent: a few rounds per
// 8 bytes where HMAC-SHA256 needs two SHA-256 compressions of 64 rounds for the shortest message, which
// made the visitor hash the largest single item of the redirect's own work.
// test/worker/lib/siphash.test.ts checks it against the reference implementation's vectors.

// A 128-bit key as four little-endian 32-bit words: k0 low, k0 high, k1 low, k1 high.
export type SipKey = Int32Array;

export function sipKey(bytes: Uint8Array): SipKey {
  if (bytes.length < 16) throw new Error('a SipHash key is 16 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  return new Int32Array([view.getInt32(0, true), view.getInt32(4, true), view.getInt32(8, true), view.getInt32(12, true)]);
}

// The result's four 32-bit words (the output bytes in little-endian order), reused by every call.
const OUT = new Int32Array(4);

// SipHash-2-4-128 of the first `length` bytes of `m`. The state is four 64-bit words held as eight int32
// locals, and one round body serves every step, so no call or array sits in the rounds. Steps 0..words
// take the message's 8-byte words (the last one: the remaining bytes, with the length's low byte on top),
// two rounds each; the two steps after them are the finalization, four rounds per 64-bit half of the output.
function sipHash128(key: SipKey, m: Uint8Array, length: number): Int32Array {
  let v0l = key[0]! ^ 0x70736575, v0h = key[1]! ^ 0x736f6d65;
  let v1l = key[2]! ^ 0x6e646f6d ^ 0xee, v1h = key[3]! ^ 0x646f7261;
  let v2l = key[0]! ^ 0x6e657261, v2h = key[1]! ^ 0x6c796765;
  let v3l = key[2]! ^ 0x79746573, v3h = key[3]! ^ 0x74656462;
  let l: number, h: number, t: number;
  const words = length >>> 3;
  for (let step = 0; step <= words + 2; step++) {
    const absorbing = step <= words;
    let ml = 0, mh = 0;
    if (step < words) {
      const i = step << 3;
      ml = m[i]! | (m[i + 1]! << 8) | (m[i + 2]! << 16) | (m[i + 3]! << 24);
      mh = m[i + 4]! | (m[i + 5]! << 8) | (m[i + 6]! << 16) | (m[i + 7]! << 24);
    } else if (step === words) {
      const i = step << 3;
      mh = (length & 0xff) << 24;
      for (let j = 0; j < (length & 7); j++) {
        if (j < 4) ml |= m[i + j]! << (8 * j);
        else mh |= m[i + j]! << (8 * (j - 4));
      }
    } else if (step === words + 1) {
      v2l ^= 0xee;
    } else {
      v1l ^= 0xdd;
    }
    if (absorbing) {
      v3l ^= ml;
      v3h ^= mh;
    }
    for (let r = absorbing ? 2 : 4; r > 0; r--) {
      l = (v0l + v1l) | 0; v0h = (v0h + v1h + ((l >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = l;
      h = (v1h << 13) | (v1l >>> 19); v1l = ((v1l << 13) | (v1h >>> 19)) ^ v0l; v1h = h ^ v0h;
      t = v0l; v0l = v0h; v0h = t;
      l = (v2l + v3l) | 0; v2h = (v2h + v3h + ((l >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = l;
      h = (v3h << 16) | (v3l >>> 16); v3l = ((v3l << 16) | (v3h >>> 16)) ^ v2l; v3h = h ^ v2h;
      l = (v0l + v3l) | 0; v0h = (v0h + v3h + ((l >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = l;
      h = (v3h << 21) | (v3l >>> 11); v3l = ((v3l << 21) | (v3h >>> 11)) ^ v0l; v3h = h ^ v0h;
      l = (v2l + v1l) | 0; v2h = (v2h + v1h + ((l >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = l;
      h = (v1h << 17) | (v1l >>> 15); v1l = ((v1l << 17) | (v1h >>> 15)) ^ v2l; v1h = h ^ v2h;
      t = v2l; v2l = v2h; v2h = t;
    }
    if (absorbing) {
      v0l ^= ml;
      v0h ^= mh;
    } else {
      const half = (step - words - 1) * 2;
      OUT[half] = v0l ^ v1l ^ v2l ^ v3l;
      OUT[half + 1] = v0h ^ v1h ^ v2h ^ v3h;
    }
  }
  return OUT;
}

// A message's UTF-8 bytes go into one reused buffer: ASCII, as IPs and nearly all user agents are, byte by
// byte; anything else through TextEncoder.encodeInto. Grows to the longest message.
const encoder = new TextEncoder();
let scratch = new Uint8Array(512);

function encodePair(first: string, second: string): number {
  const chars = first.length + 1 + second.length;
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  if (chars * 3 > scratch.length) scratch = new Uint8Array(chars * 3);
  let n = 0;
  for (let i = 0; i < first.length; i++) {
    const c = first.charCodeAt(i);
    if (c > 0x7f) return encoder.encodeInto(`${first}\n${second}`, scratch).written;
    scratch[n++] = c;
  }
  scratch[n++] = 0x0a;
  for (let i = 0; i < second.length; i++) {
    const c = second.charCodeAt(i);
    if (c > 0x7f) return encoder.encodeInto(`${first}\n${second}`, scratch).written;
    scratch[n++] = c;
  }
  return n;
}

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const HEX_OUT = new Uint16Array(32);

// The result's output bytes, in order (each word little-endian), as 32 hex digits built as one string.
function hexOf(out: Int32Array): string {
  for (let w = 0; w < 4; w++) {
    const v = out[w]!;
    for (let b = 0; b < 4; b++) {
      const byte = (v >>> (8 * b)) & 0xff;
      HEX_OUT[w * 8 + b * 2] = HEX_CODES[byte >>> 4]!;
      HEX_OUT[w * 8 + b * 2 + 1] = HEX_CODES[byte & 15]!;
    }
  }
  return String.fromCharCode.apply(null, HEX_OUT as unknown as number[]);
}

// SipHash-2-4-128 of the UTF-8 bytes of `${first}\n${second}`, in hex.
export function sipHash128Hex(key: SipKey, first: string, second: string): string {
  const length = encodePair(first, second); // first: it may replace `scratch`
  return hexOf(sipHash128(key, scratch, length));
}

// SipHash-2-4-128 of raw bytes, in hex (the tests check the reference vectors through it).
export function sipHash128HexOfBytes(key: SipKey, bytes: Uint8Array): string {
  return hexOf(sipHash128(key, bytes, bytes.length));
}
