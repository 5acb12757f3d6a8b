// Payload values as plain MessagePack: what Tarantool's msgpack (and any other decoder)
// reads. No extension type is ever written (no records, no timestamps, no undefined), and
// integers are integers in the smallest encoding, as Tarantool's msgpuck writes them, up to
// 64 bits. Anything else is refused with ERR_SWIM_INVALID_ARG naming where it sits
// (`payload.a[2]`). The rules are in docs/api.md#payload.
import { inspect } from 'node:util';
import { SwimError } from './errors';

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
// Deeper than any payload that fits 1200 bytes needs; a guard against cycles first.
const MAX_DEPTH = 512;

class Writer {
  buf = Buffer.allocUnsafe(256);
  pos = 0;

  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  // A type byte and a big-endian length of 1, 2 or 4 bytes.
  head(type: number, width: 1 | 2 | 4, n: number): void {
    this.room(1 + width);
    this.buf[this.pos++] = type;
    this.buf.writeUIntBE(n, this.pos, width);
    this.pos += width;
  }

  // A length-prefixed family: fix form under `fixMax` (`fix | n`), else 8/16/32-bit lengths.
  sized(n: number, fix: number, fixMax: number, t8: number | null, t16: number, t32: number): void {
    if (n < fixMax) this.byte(fix | n);
    else if (t8 !== null && n < 0x100) this.head(t8, 1, n);
    else if (n < 0x10000) this.head(t16, 2, n);
    else this.head(t32, 4, n);
  }

  uint(n: bigint): void {
    if (n < 0x80n) this.byte(Number(n));
    else if (n < 0x100n) this.head(0xcc, 1, Number(n));
    else if (n < 0x10000n) this.head(0xcd, 2, Number(n));
    else if (n < 0x100000000n) this.head(0xce, 4, Number(n));
    else {
      this.room(9);
      this.buf[this.pos++] = 0xcf;
      this.pos = this.buf.writeBigUInt64BE(n, this.pos);
    }
  }

  int(n: bigint): void {
    if (n >= 0n) return this.uint(n);
    this.room(9);
    if (n >= -0x20n) this.buf[this.pos++] = Number(n) & 0xff;
    else if (n >= -0x80n) {
      this.buf[this.pos++] = 0xd0;
      this.pos = this.buf.writeInt8(Number(n), this.pos);
    } else if (n >= -0x8000n) {
      this.buf[this.pos++] = 0xd1;
      this.pos = this.buf.writeInt16BE(Number(n), this.pos);
    } else if (n >= -0x80000000n) {
      this.buf[this.pos++] = 0xd2;
      this.pos = this.buf.writeInt32BE(Number(n), this.pos);
    } else {
      this.buf[this.pos++] = 0xd3;
      this.pos = this.buf.writeBigInt64BE(n, this.pos);
    }
  }

  float(n: number): void {
    this.room(9);
    this.buf[this.pos++] = 0xcb;
    this.pos = this.buf.writeDoubleBE(n, this.pos);
  }

  str(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.sized(n, 0xa0, 32, 0xd9, 0xda, 0xdb);
    this.room(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bin(b: Uint8Array): void {
    const n = b.byteLength;
    if (n < 0x100) this.head(0xc4, 1, n);
    else if (n < 0x10000) this.head(0xc5, 2, n);
    else this.head(0xc6, 4, n);
    this.room(n);
    this.buf.set(b, this.pos);
    this.pos += n;
  }
}

function refuse(path: string, what: string, hint = ''): never {
  throw new SwimError(
    'ERR_SWIM_INVALID_ARG',
    `${path}: ${what} cannot be encoded as plain MessagePack${hint ? `; ${hint}` : ''}`,
  );
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describe(v: unknown): [what: string, hint?: string] {
  if (v === undefined) return ['undefined', 'use null, or leave the key out'];
  if (typeof v === 'function') return ['a function'];
  if (typeof v === 'symbol') return ['a symbol'];
  if (v instanceof Date) return ['a Date', 'use date.getTime() or date.toISOString()'];
  if (v instanceof Set) return ['a Set', 'use an array: [...set]'];
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer)
    return [`a ${(v as object).constructor?.name ?? 'binary view'}`, 'only a Buffer or Uint8Array is encoded (as bin)'];
  const name = (v as object).constructor?.name;
  return [
    name ? `a ${name} instance` : 'this object',
    'only null, booleans, numbers, bigints (64-bit), strings, Buffer/Uint8Array, arrays, plain objects and Maps are',
  ];
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function write(w: Writer, v: unknown, path: string, stack: object[]): void {
  switch (typeof v) {
    case 'boolean':
      w.byte(v ? 0xc3 : 0xc2);
      return;
    case 'string':
      w.str(v);
      return;
    case 'number':
      // Every integral number that fits 64 bits is an integer (2 ** 40 too, not a float64).
      if (Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 64) w.int(BigInt(v));
      else w.float(v);
      return;
    case 'bigint':
      if (v < INT64_MIN || v > UINT64_MAX) refuse(path, `${v}n`, 'bigints must fit int64 or uint64');
      w.int(v);
      return;
    case 'object':
      break;
    default: {
      const [what, hint] = describe(v);
      refuse(path, what, hint);
    }
  }
  if (v === null) {
    w.byte(0xc0);
    return;
  }
  const o = v as object;
  if (o instanceof Uint8Array) {
    w.bin(o);
    return;
  }
  const array = Array.isArray(o);
  const map = o instanceof Map;
  if (!array && !map && !isPlainObject(o)) {
    const [what, hint] = describe(o);
    refuse(path, what, hint);
  }
  if (stack.includes(o)) refuse(path, 'a circular reference');
  if (stack.length >= MAX_DEPTH) refuse(path, `nesting deeper than ${MAX_DEPTH}`);
  stack.push(o);
  if (array) {
    const a = o as unknown[];
    w.sized(a.length, 0x90, 16, null, 0xdc, 0xdd);
    for (let i = 0; i < a.length; i++) write(w, a[i], `${path}[${i}]`, stack);
  } else if (map) {
    const m = o as Map<unknown, unknown>;
    w.sized(m.size, 0x80, 16, null, 0xde, 0xdf);
    let i = 0;
    for (const [k, val] of m) {
      const at = `${path}.get(${inspect(k, { depth: 0, breakLength: Infinity })})`;
      write(w, k, `${path} (key #${i++})`, stack);
      write(w, val, at, stack);
    }
  } else {
    const symbols = Object.getOwnPropertySymbols(o).filter((s) => Object.prototype.propertyIsEnumerable.call(o, s));
    if (symbols.length > 0) refuse(`${path}[${String(symbols[0])}]`, 'a symbol key');
    const keys = Object.keys(o);
    w.sized(keys.length, 0x80, 16, null, 0xde, 0xdf);
    const rec = o as Record<string, unknown>;
    for (const k of keys) {
      w.str(k);
      write(w, rec[k], keyPath(path, k), stack);
    }
  }
  stack.pop();
}

/**
 * Encodes a payload value as plain MessagePack: null, booleans, numbers (integral ones that
 * fit 64 bits as integers, others as float64), bigints within int64/uint64, strings (str),
 * Buffer/Uint8Array (bin), arrays, plain objects and Maps (map). Throws SwimError
 * ERR_SWIM_INVALID_ARG naming the path of anything else (`undefined`, functions, symbols,
 * Dates, Sets, class instances, other typed arrays, cycles).
 */
export function encodePlain(value: unknown, path = 'payload'): Buffer {
  const w = new Writer();
  write(w, value, path, []);
  return Buffer.from(w.buf.subarray(0, w.pos));
}
