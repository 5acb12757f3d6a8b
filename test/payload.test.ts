// Payload values as plain MessagePack (src/payload.ts): integers as integers up to 64 bits,
// no extension types, anything else refused with the path of the offending value; and
// Tarantool's own msgpack reads what we write.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Swim } from '../src/index';
import { decodePayload, encodePayload } from '../src/member';
import { expectSwimError } from './helpers/errors';
import { findTarantool } from './helpers/tarantool';

const hex = (b: Buffer): string => b.toString('hex');

/**
 * Walks one MessagePack value by its headers and returns every type byte met, failing on
 * truncation or trailing bytes: so an ext header is found as a header, never as a byte
 * that merely looks like one inside a string or a number.
 */
function headers(buf: Buffer): number[] {
  const types: number[] = [];
  let p = 0;
  const need = (n: number): void => {
    if (p + n > buf.length) throw new Error(`truncated at ${p}`);
  };
  const len = (w: number): number => {
    need(w);
    const n = buf.readUIntBE(p, w);
    p += w;
    return n;
  };
  const value = (): void => {
    need(1);
    const t = buf[p++];
    types.push(t);
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return;
    if (t >= 0x80 && t <= 0x8f) return pairs(t & 0x0f);
    if (t >= 0x90 && t <= 0x9f) return items(t & 0x0f);
    if (t >= 0xa0 && t <= 0xbf) return skip(t & 0x1f);
    switch (t) {
      case 0xc4: case 0xd9: return skip(len(1));
      case 0xc5: case 0xda: return skip(len(2));
      case 0xc6: case 0xdb: return skip(len(4));
      case 0xc7: return skip(len(1) + 1);
      case 0xc8: return skip(len(2) + 1);
      case 0xc9: return skip(len(4) + 1);
      case 0xca: return skip(4);
      case 0xcb: return skip(8);
      case 0xcc: case 0xd0: return skip(1);
      case 0xcd: case 0xd1: return skip(2);
      case 0xce: case 0xd2: return skip(4);
      case 0xcf: case 0xd3: return skip(8);
      case 0xd4: return skip(2);
      case 0xd5: return skip(3);
      case 0xd6: return skip(5);
      case 0xd7: return skip(9);
      case 0xd8: return skip(17);
      case 0xdc: return items(len(2));
      case 0xdd: return items(len(4));
      case 0xde: return pairs(len(2));
      case 0xdf: return pairs(len(4));
      default: throw new Error(`never used: 0x${t.toString(16)}`);
    }
  };
  const skip = (n: number): void => {
    need(n);
    p += n;
  };
  const items = (n: number): void => {
    for (let i = 0; i < n; i++) value();
  };
  const pairs = (n: number): void => items(2 * n);
  value();
  if (p !== buf.length) throw new Error(`trailing bytes at ${p}`);
  return types;
}

const EXT = new Set([0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8]);

// Accepted values and what they read back as (when not themselves).
const ACCEPTED: [name: string, value: unknown, back?: unknown][] = [
  ['small ints', [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1]],
  ['2 ** 40 and friends', [2 ** 32, 2 ** 40, -(2 ** 40), 2 ** 53 - 1, -(2 ** 53 - 1)]],
  ['bigints', [0n, 5n, -5n, 2n ** 40n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, -(2n ** 63n)], [0, 5, -5, 2 ** 40, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, -(2n ** 63n)]],
  ['unsafe integral numbers', [2 ** 60, -(2 ** 60)], [2n ** 60n, -(2n ** 60n)]],
  ['floats', [1.5, -0.25, 1e300, Number.MAX_VALUE, 2 ** 64, Infinity]],
  ['strings', ['', 'x', 'é', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(300)]],
  ['null and booleans', [null, true, false]],
  ['nested', { role: 'db', n: 3, big: 2 ** 40, tags: ['a', 'b'], nested: { ok: true, none: null }, 'a-b': [] }],
  ['a Map', new Map<unknown, unknown>([['a', 1], [2, 'two']]), { a: 1, 2: 'two' }],
  ['bin', { b: Buffer.from([1, 2, 3]), u: new Uint8Array([4, 5]) }, { b: Buffer.from([1, 2, 3]), u: Buffer.from([4, 5]) }],
  ['an empty object', {}],
  ['a top-level number', 2 ** 40],
  ['a null-prototype object', Object.assign(Object.create(null) as object, { a: 1 }), { a: 1 }],
  ['many keys and items', { list: Array.from({ length: 20 }, (_, i) => i), map: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])) }],
];

describe('payload encoding: plain MessagePack', () => {
  it.each(ACCEPTED)('%s round-trips, with no extension header', (_name, value, back) => {
    const bytes = encodePayload(value);
    expect(headers(bytes).filter((t) => EXT.has(t))).toEqual([]);
    expect(decodePayload(bytes)).toEqual(back === undefined ? value : back);
  });

  it('integers are integers in the smallest encoding (as Tarantool writes them), never float64', () => {
    const cases: [unknown, string][] = [
      [0, '00'], [127, '7f'], [128, 'cc80'], [256, 'cd0100'], [65536, 'ce00010000'],
      [2 ** 40, 'cf0000010000000000'], [2 ** 53 - 1, 'cf001fffffffffffff'],
      [-1, 'ff'], [-32, 'e0'], [-33, 'd0df'], [-129, 'd1ff7f'], [-32769, 'd2ffff7fff'],
      [-(2 ** 40), 'd3ffffff0000000000'],
      [5n, '05'], [-5n, 'fb'], [2n ** 64n - 1n, 'cfffffffffffffffff'], [-(2n ** 63n), 'd38000000000000000'],
      [1.5, 'cb3ff8000000000000'],
    ];
    for (const [v, h] of cases) expect(hex(encodePayload(v)), String(v)).toBe(h);
  });

  it('common values encode as msgpackr did (fixmap, fixstr, fixint)', () => {
    expect(hex(encodePayload({ role: 'db', n: 3 }))).toBe('82a4726f6c65a26462a16e03');
    expect(hex(encodePayload(['a', true, null]))).toBe('93a161c3c0');
  });

  it('refuses what plain MessagePack cannot carry, naming where it is (ERR_SWIM_INVALID_ARG)', () => {
    class Point {
      x = 1;
    }
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cases: [unknown, RegExp][] = [
      [{ a: [1, 2, undefined] }, /^payload\.a\[2\]: undefined cannot be encoded as plain MessagePack; use null/],
      [{ 'a-b': { when: new Date(0) } }, /^payload\["a-b"\]\.when: a Date cannot .*getTime/],
      [() => 1, /^payload: a function cannot/],
      [{ f() {} }, /^payload\.f: a function/],
      [[Symbol('s')], /^payload\[0\]: a symbol/],
      [{ [Symbol('k')]: 1 }, /^payload\[Symbol\(k\)\]: a symbol key/],
      [{ s: new Set([1]) }, /^payload\.s: a Set cannot .*\[\.\.\.set\]/],
      [{ p: new Point() }, /^payload\.p: a Point instance cannot/],
      [{ f: new Float64Array(2) }, /^payload\.f: a Float64Array cannot .*Uint8Array/],
      [{ re: /x/ }, /^payload\.re: a RegExp instance/],
      [{ big: 2n ** 64n }, /^payload\.big: 18446744073709551616n cannot .*int64 or uint64/],
      [[-(2n ** 63n) - 1n], /^payload\[0\]: .*n cannot/],
      [cyclic, /^payload\.self: a circular reference/],
      [new Map([['k', undefined]]), /^payload\.get\('k'\): undefined/],
      [new Map([[{ a: () => 1 }, 1]]), /^payload \(key #0\)\.a: a function/],
      [[1, , 3], /^payload\[1\]: undefined/], // eslint-disable-line no-sparse-arrays
      [new String('boxed'), /^payload: a String instance/],
    ];
    for (const [v, re] of cases) expectSwimError(() => encodePayload(v), 'ERR_SWIM_INVALID_ARG', { message: re });
  });

  it('new Swim({ payload }) and setPayload() refuse them too; null/undefined mean no payload', async () => {
    expectSwimError(() => new Swim({ uri: '127.0.0.1:0', payload: () => 1 }), 'ERR_SWIM_INVALID_ARG', { message: /^payload: a function/ });
    expectSwimError(() => new Swim({ uri: '127.0.0.1:0', payload: { at: new Date() } }), 'ERR_SWIM_INVALID_ARG', { message: /^payload\.at: a Date/ });
    const s = new Swim({ uri: '127.0.0.1:0', payload: { big: 2 ** 40 } });
    try {
      expect(hex(s.self.payloadRaw!)).toBe('81a3626967cf0000010000000000');
      expectSwimError(() => s.setPayload({ a: [1, 2, undefined] }), 'ERR_SWIM_INVALID_ARG', { message: /^payload\.a\[2\]/ });
      expect(s.self.payload).toEqual({ big: 2 ** 40 }); // unchanged
      s.setPayload(undefined);
      expect(s.self.payloadRaw).toBeUndefined();
    } finally {
      await s.close();
    }
  });

  const tt = findTarantool();
  it.skipIf(!tt.available)("Tarantool's msgpack decodes every accepted value, and re-encodes scalars and arrays to the same bytes", () => {
    const samples = ACCEPTED.map(([, v]) => hex(encodePayload(v)));
    const lua = `
      local msgpack = require('msgpack')
      local out = {}
      for h in string.gmatch(os.getenv('SAMPLES'), '%x+') do
        local raw = h:gsub('..', function(x) return string.char(tonumber(x, 16)) end)
        local ok, v, pos = pcall(msgpack.decode, raw)
        if not ok then table.insert(out, 'error')
        elseif pos ~= #raw + 1 then table.insert(out, 'trailing')
        else table.insert(out, (msgpack.encode(v):gsub('.', function(c) return string.format('%02x', c:byte()) end))) end
      end
      print(table.concat(out, ' '))
      os.exit(0)`;
    const env: NodeJS.ProcessEnv = { ...process.env, SAMPLES: samples.join(' ') };
    delete env.LD_PRELOAD;
    delete env.ASAN_OPTIONS;
    delete env.UBSAN_OPTIONS;
    const out = execFileSync(tt.bin!, ['-e', lua], { encoding: 'utf8', env, timeout: 20_000 }).trim().split(' ');
    expect(out).toHaveLength(samples.length);
    ACCEPTED.forEach(([name], i) => {
      expect(out[i], name).toMatch(/^[0-9a-f]+$/); // decoded, no error, nothing left over
      // Arrays of scalars and single values re-encode byte for byte (maps may reorder keys,
      // bin comes back as str, {} as an array).
      if (['small ints', '2 ** 40 and friends', 'bigints', 'unsafe integral numbers', 'floats', 'strings', 'null and booleans', 'a top-level number'].includes(name))
        expect(out[i], name).toBe(samples[i]);
    });
  });
});
