// The QR encoder against the standard's known answers, and every code it makes read back by an independent
// decoder (qr-decoder.ts): format, masks, zigzag, blocks, Reed–Solomon syndromes and byte mode.
import { describe, expect, it } from 'vitest';
import { blockLayout, byteCapacity, EC_LEVELS, encodeQr, formatBits, MAX_VERSION, QrTooLong, qrSvg, reedSolomon, versionBits, type EcLevel } from '../../worker/lib/qr';
import { decodeQr, modulesOfSvg } from './qr-decoder';

describe('Reed–Solomon known answers', () => {
  // "HELLO WORLD" in alphanumeric mode, the data codewords of the well-known 1-M and 1-Q worked examples.
  it('gives the 1-M example its 10 error correction codewords', () => {
    const data = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17];
    expect([...reedSolomon(data, 10)]).toEqual([196, 35, 39, 119, 235, 215, 231, 226, 93, 23]);
  });

  it('gives the 1-Q example its 13 error correction codewords', () => {
    const data = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236];
    expect([...reedSolomon(data, 13)]).toEqual([168, 72, 22, 82, 217, 54, 156, 0, 46, 15, 180, 122, 16]);
  });

  // ISO/IEC 18004 Annex I: "01234567" in numeric mode, version 1-M.
  it("gives the standard's Annex I example its codewords", () => {
    const data = [16, 32, 12, 86, 97, 128, 236, 17, 236, 17, 236, 17, 236, 17, 236, 17];
    expect([...reedSolomon(data, 10)]).toEqual([165, 36, 212, 193, 237, 54, 199, 135, 44, 85]);
  });
});

describe('format and version information', () => {
  // The 32 format strings as printed in the standard's Annex C table, level by level, masks 0–7.
  const FORMAT_STRINGS: Record<EcLevel, string[]> = {
    L: ['111011111000100', '111001011110011', '111110110101010', '111100010011101', '110011000101111', '110001100011000', '110110001000001', '110100101110110'],
    M: ['101010000010010', '101000100100101', '101111001111100', '101101101001011', '100010111111001', '100000011001110', '100111110010111', '100101010100000'],
    Q: ['011010101011111', '011000001101000', '011111100110001', '011101000000110', '010010010110100', '010000110000011', '010111011011010', '010101111101101'],
    H: ['001011010001001', '001001110111110', '001110011100111', '001100111010000', '000011101100010', '000001001010101', '000110100001100', '000100000111011'],
  };

  it('writes the 15-bit format strings of every level and mask', () => {
    for (const level of EC_LEVELS) for (let mask = 0; mask < 8; mask++) expect(formatBits(level, mask).toString(2).padStart(15, '0'), `${level} mask ${mask}`).toBe(FORMAT_STRINGS[level][mask]);
  });

  it('writes the 18-bit version information (Annex D)', () => {
    expect(versionBits(7).toString(2).padStart(18, '0')).toBe('000111110010010100');
    expect(versionBits(7)).toBe(0x07c94);
    expect(versionBits(10)).toBe(0x0a4d3);
    expect(versionBits(21)).toBe(0x15683);
    expect(versionBits(40)).toBe(0x28c69);
  });
});

describe('capacity', () => {
  // Table 7's byte-mode capacities, which test Table 9 (the block structure) the encoder and decoder share.
  const BYTES: Record<number, [number, number, number, number]> = {
    1: [17, 14, 11, 7], 2: [32, 26, 20, 14], 3: [53, 42, 32, 24], 4: [78, 62, 46, 34], 5: [106, 84, 60, 44],
    6: [134, 106, 74, 58], 7: [154, 122, 86, 64], 8: [192, 152, 108, 84], 9: [230, 180, 130, 98], 10: [271, 213, 151, 119],
    11: [321, 251, 177, 137], 15: [520, 412, 292, 220], 20: [858, 666, 482, 382], 27: [1465, 1125, 805, 625], 40: [2953, 2331, 1663, 1273],
  };

  it("matches the standard's byte-mode capacities", () => {
    for (const [version, capacities] of Object.entries(BYTES)) {
      EC_LEVELS.forEach((level, k) => expect(byteCapacity(Number(version), level), `${version}-${level}`).toBe(capacities[k]));
    }
  });

  // Table 1's totals: all codewords of a version, the same at every level.
  it('counts every version’s codewords as Table 1 does', () => {
    const TOTAL: Record<number, number> = { 1: 26, 2: 44, 3: 70, 4: 100, 5: 134, 6: 172, 7: 196, 8: 242, 9: 292, 10: 346, 14: 581, 21: 1156, 32: 2465, 40: 3706 };
    for (const [version, total] of Object.entries(TOTAL)) for (const level of EC_LEVELS) expect(blockLayout(Number(version), level).totalCodewords, `${version}-${level}`).toBe(total);
  });

  it('chooses the smallest version that fits, and refuses what fits none', () => {
    expect(encodeQr('x'.repeat(14)).version).toBe(1);
    expect(encodeQr('x'.repeat(15)).version).toBe(2);
    expect(encodeQr('x'.repeat(17), { ecLevel: 'L' }).version).toBe(1);
    // A tracked link as the portal shows it: version 3 at level M; a 64-character slug (the longest) needs 6.
    expect(encodeQr('https://chorus.example/r/sarah-lumen').version).toBe(3);
    expect(encodeQr(`https://chorus.example/r/${'a'.repeat(64)}`).version).toBe(6);
    expect(() => encodeQr('x'.repeat(2332))).toThrow(QrTooLong);
    expect(() => encodeQr('x'.repeat(300), { maxVersion: 10 })).toThrow(QrTooLong);
  });
});

// Text of exactly `bytes` UTF-8 bytes: ASCII with a few two- and three-byte characters in.
function textOf(bytes: number, seed: number): string {
  const pieces = ['a', 'Z', '7', '/', '-', 'é', '€', '?', '=', ' '];
  let text = '';
  let used = 0;
  for (let k = seed; used < bytes; k = (k * 1103515245 + 12345) % 2 ** 31) {
    let piece = pieces[k % pieces.length]!;
    let length = new TextEncoder().encode(piece).length;
    if (used + length > bytes) (piece = 'x'), (length = 1);
    text += piece;
    used += length;
  }
  return text;
}

describe('round trip through an independent decoder', () => {
  // 160 codes decoded: about 2 s alone, several times that on a machine busy with other test files.
  it('reads back every version 1–40 at every level, filled to the brim and just past the version before', { timeout: 30_000 }, () => {
    for (let version = 1; version <= MAX_VERSION; version++) {
      for (const level of EC_LEVELS) {
        for (const bytes of [byteCapacity(version, level), version === 1 ? 1 : byteCapacity(version - 1, level) + 1]) {
          const text = textOf(bytes, version * 31 + bytes);
          const qr = encodeQr(text, { ecLevel: level });
          expect(qr.version, `${bytes} bytes at ${level}`).toBe(version);
          expect(decodeQr(qr.modules)).toEqual({ text, version, ecLevel: level, mask: qr.mask });
        }
      }
    }
  });

  it('reads back every mask, forced, in small and large versions', () => {
    for (const version of [1, 2, 6, 7, 10, 14, 32]) {
      for (let mask = 0; mask < 8; mask++) {
        const text = textOf(byteCapacity(version, 'Q') - 3, mask);
        const qr = encodeQr(text, { ecLevel: 'Q', minVersion: version, mask });
        expect(decodeQr(qr.modules)).toEqual({ text, version, ecLevel: 'Q', mask });
      }
    }
  });

  it('reads back many tracked links, empty text and a raised minimum version', () => {
    const slugs = ['sarah-lumen', 'a1b', 'Mixed_Case-99', 'x'.repeat(64), 'maya-chen-k3v9q'];
    for (const origin of ['https://chorus.example', 'http://localhost:8787', 'https://links.a-brand-with-a-long-name.example']) {
      for (const slug of slugs) {
        for (const level of EC_LEVELS) {
          const text = `${origin}/r/${slug}`;
          expect(decodeQr(encodeQr(text, { ecLevel: level }).modules).text).toBe(text);
        }
      }
    }
    expect(decodeQr(encodeQr('').modules).text).toBe('');
    const raised = encodeQr('hi', { minVersion: 8 });
    expect(raised.version).toBe(8);
    expect(decodeQr(raised.modules).text).toBe('hi');
  });

  it('catches a damaged code: the decoder is not a rubber stamp', () => {
    const qr = encodeQr('https://chorus.example/r/sarah-lumen');
    const damaged = qr.modules.map((row) => [...row]);
    damaged[qr.size - 1]![qr.size - 1] = !damaged[qr.size - 1]![qr.size - 1]; // the first data bit
    expect(() => decodeQr(damaged)).toThrow(/syndrome/);
    const noTiming = qr.modules.map((row) => [...row]);
    noTiming[6]![10] = !noTiming[6]![10];
    expect(() => decodeQr(noTiming)).toThrow(/timing/);
  });

  it('picks the mask with the standard penalty rules, not always the same one', () => {
    const masks = new Set(Array.from({ length: 40 }, (_, k) => encodeQr(`https://chorus.example/r/creator-${k}`).mask));
    expect(masks.size).toBeGreaterThan(3);
  });
});

describe('qrSvg', () => {
  const qr = encodeQr('https://chorus.example/r/sarah-lumen');

  it('draws one path of runs on white, the quiet zone kept, in module units', () => {
    const svg = qrSvg(qr.modules, { quietZone: 4, title: 'QR code for chorus.example/r/sarah-lumen' });
    const side = qr.size + 8;
    expect(svg).toMatch(new RegExp(`^<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges" role="img" aria-label="QR code for chorus.example/r/sarah-lumen"><title>QR code for chorus.example/r/sarah-lumen</title><rect width="${side}" height="${side}" fill="#fff"/><path fill="#000" d="`));
    expect(svg.match(/<path/g)).toHaveLength(1);
    expect(modulesOfSvg(svg)).toEqual(qr.modules);
    // About 30 bytes for each dark run: a version 3 code stays under 8 KB.
    expect(svg.length).toBeLessThan(8_000);
  });

  it('escapes the title and sizes a file when asked', () => {
    const svg = qrSvg(qr.modules, { quietZone: 2, title: 'a <b> & "c"', moduleSize: 10 });
    expect(svg).toContain(`viewBox="0 0 ${qr.size + 4} ${qr.size + 4}" width="${(qr.size + 4) * 10}" height="${(qr.size + 4) * 10}"`);
    expect(svg).toContain('<title>a &#60;b&#62; &#38; &#34;c&#34;</title>');
    expect(qrSvg(qr.modules)).not.toContain('<title>');
  });
});

describe('speed', () => {
  // Date.now() in workerd moves only across I/O, so the clock is read after an awaited timer on each side.
  it('encodes a version 4 code in well under a millisecond or two', async () => {
    const text = `https://chorus.example/r/${'k'.repeat(35)}`;
    expect(encodeQr(text).version).toBe(4);
    const runs = 200;
    const tick = () => new Promise((r) => setTimeout(r, 1));
    await tick();
    const start = performance.now();
    for (let k = 0; k < runs; k++) encodeQr(text + (k % 10));
    await tick();
    const each = (performance.now() - start) / runs;
    console.log(`qr: version 4-M in ${each.toFixed(3)} ms each (${runs} runs, one timer tick included)`);
    expect(each).toBeLessThan(2);
  });
});
