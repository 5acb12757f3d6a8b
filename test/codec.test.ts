import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  decodeErrorReasons,
  decodePacket,
  encodePacket,
  MAX_PACKET_SIZE,
  MAX_PAYLOAD_SIZE,
  SwimError,
  type DecodeErrorReason,
  type MemberRecord,
  type Packet,
} from '../src/index';
import { prng, seedFromEnv } from './helpers/prng';

// ---------------------------------------------------------------------------------------
// Helpers: a tiny MsgPack builder with explicit widths, so tests control every byte.

type Part = number | readonly number[] | Uint8Array;
const cat = (...parts: Part[]): Buffer => {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else for (const b of p) out.push(b);
  }
  return Buffer.from(out);
};
const be = (v: bigint, n: number): number[] => {
  const out: number[] = [];
  for (let i = n - 1; i >= 0; i--) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
  return out;
};
const fix = (n: number) => [n];
const u8 = (n: number) => [0xcc, n];
const u16 = (n: number) => [0xcd, ...be(BigInt(n), 2)];
const u32 = (n: number | bigint) => [0xce, ...be(BigInt(n), 4)];
const u64 = (n: number | bigint) => [0xcf, ...be(BigInt(n), 8)];
const i64 = (n: number | bigint) => [0xd3, ...be(BigInt.asUintN(64, BigInt(n)), 8)];
/** Shortest unsigned encoding, as mp_encode_uint. */
const uint = (n: number | bigint): number[] => {
  const v = BigInt(n);
  if (v < 128n) return fix(Number(v));
  if (v < 256n) return u8(Number(v));
  if (v < 65536n) return u16(Number(v));
  if (v < 2n ** 32n) return u32(v);
  return u64(v);
};
const map = (n: number) => (n < 16 ? [0x80 | n] : [0xde, ...be(BigInt(n), 2)]);
const arr = (n: number) => (n < 16 ? [0x90 | n] : [0xdc, ...be(BigInt(n), 2)]);
const bin = (b: Uint8Array | number[]) => [0xc4, b.length, ...b];
const str = (s: string) => [0xa0 | s.length, ...Buffer.from(s)];

const UUID_A = '00000000-0000-1000-8000-000000000001';
const UUID_B = '12345678-9abc-def0-1234-56789abcdef0';
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
/** Canonical UUID text -> Tarantool's tt_uuid bytes (first three fields little-endian). */
const wireUuid = (text: string): number[] => {
  const b = [...Buffer.from(text.replace(/-/g, ''), 'hex')];
  return [b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], ...b.slice(8)];
};
const IP_LOCAL = 0x7f000001;

/** A valid meta map: {0: version, 1: ip, 2: port}, Tarantool's widths. */
const META = cat(map(3), 0, u32(0x020600), 1, u32(IP_LOCAL), 2, u16(3301));
/** Body prefix entry {0: source uuid}. */
const SRC = cat(0, bin(wireUuid(UUID_A)));
/** A valid member map with the three mandatory fields only. */
const memberFields = (uuid = UUID_B) => cat(1, u32(IP_LOCAL), 2, u16(3302), 3, bin(wireUuid(uuid)));

/** meta + body {0: uuid, 3: [member]} with the given member bytes (and count). */
const withMember = (member: Part, count = 1) => cat(META, map(2), SRC, 3, arr(count), member);

const seenReasons = new Set<string>();
function expectReject(buf: Uint8Array, reason: DecodeErrorReason, where?: string): SwimError {
  let caught: unknown;
  try {
    decodePacket(buf);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected rejection '${reason}'`).toBeInstanceOf(SwimError);
  const err = caught as SwimError;
  expect(err.code).toBe('ERR_SWIM_DECODE');
  expect(err.reason).toBe(reason);
  if (where !== undefined) expect(err.message).toContain(where);
  seenReasons.add(reason);
  return err;
}

function expectThrows(fn: () => unknown, code: string, text?: string): SwimError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SwimError);
  const err = caught as SwimError;
  expect(err.code).toBe(code);
  if (text !== undefined) expect(err.message).toContain(text);
  return err;
}

const member = (over: Partial<MemberRecord> = {}): MemberRecord => ({
  status: 'alive',
  uri: '127.0.0.1:3302',
  uuid: UUID_B,
  incarnation: { generation: 1n, version: 2n },
  ...over,
});
const basePacket = (over: Partial<Packet> = {}): Packet => ({
  meta: { version: 0x020600, uri: '127.0.0.1:3301' },
  source: UUID_A,
  ...over,
});

// ---------------------------------------------------------------------------------------

describe('encodePacket/decodePacket round trips', () => {
  it('minimal packet: meta and source only', () => {
    const p = basePacket();
    const buf = encodePacket(p);
    expect(decodePacket(buf)).toEqual(p);
  });

  it('every section, route and payloads', () => {
    const p: Packet = {
      meta: { version: 1, uri: '10.1.2.3:65535', route: { src: '192.168.0.1:1', dst: '255.255.255.255:7' } },
      source: UUID_B,
      failureDetection: { type: 'ack', incarnation: { generation: 2n ** 64n - 1n, version: 0n } },
      dissemination: [
        member({ status: 'suspected', payload: Buffer.from('hello') }),
        member({ status: 'dead', uuid: UUID_A, payload: Buffer.alloc(0) }),
      ],
      antiEntropy: [member({ status: 'left', incarnation: { generation: 0n, version: 2n ** 63n } })],
      quit: { generation: 5n, version: 6n },
    };
    expect(decodePacket(encodePacket(p))).toEqual(p);
  });

  it.each(['ping', 'ack'] as const)('failure detection %s', (type) => {
    const p = basePacket({ failureDetection: { type, incarnation: { generation: 3n, version: 4n } } });
    expect(decodePacket(encodePacket(p))).toEqual(p);
  });

  it('each member section alone, and empty lists', () => {
    for (const key of ['dissemination', 'antiEntropy'] as const) {
      const p = basePacket({ [key]: [member()] });
      expect(decodePacket(encodePacket(p))).toEqual(p);
      const empty = basePacket({ [key]: [] });
      expect(decodePacket(encodePacket(empty))).toEqual(empty);
    }
  });

  it('quit alone', () => {
    const p = basePacket({ quit: { generation: 0n, version: 1n } });
    expect(decodePacket(encodePacket(p))).toEqual(p);
  });

  it('a payload of exactly 1200 bytes', () => {
    const payload = Buffer.alloc(MAX_PAYLOAD_SIZE, 0xab);
    const p = basePacket({ dissemination: [member({ payload })] });
    expect(decodePacket(encodePacket(p))).toEqual(p);
  });

  it('accepts numbers for generation/version and returns bigint', () => {
    const buf = encodePacket({
      ...basePacket(),
      failureDetection: { type: 'ping', incarnation: { generation: 7, version: Number.MAX_SAFE_INTEGER } },
      quit: { generation: 1, version: 0 },
    });
    const d = decodePacket(buf);
    expect(d.failureDetection?.incarnation).toEqual({ generation: 7n, version: BigInt(Number.MAX_SAFE_INTEGER) });
    expect(d.quit).toEqual({ generation: 1n, version: 0n });
  });

  it('payloads are copies, not views into the datagram', () => {
    const buf = encodePacket(basePacket({ dissemination: [member({ payload: Buffer.from('abc') })] }));
    const d = decodePacket(buf);
    buf.fill(0);
    expect(Buffer.from(d.dissemination![0].payload!).toString()).toBe('abc');
  });

  it('UUIDs come back in canonical lower case', () => {
    const p = basePacket({ source: UUID_B.toUpperCase() });
    expect(decodePacket(encodePacket(p)).source).toBe(UUID_B);
  });
});

describe('byte-exact Tarantool encoding', () => {
  it('sends 00000000-0000-1000-8000-000000000001 as tt_uuid bytes', () => {
    const buf = encodePacket(basePacket());
    // meta (17 bytes) then body map {0: bin8(16)}
    expect(buf.subarray(17).toString('hex')).toBe('81' + '00' + 'c410' + '00000000' + '0000' + '0010' + '8000' + '000000000001');
  });

  it('meta: fixmap 3 / 4, version and ip as 0xce, port as 0xcd, route the same way', () => {
    const plain = encodePacket(basePacket());
    expect(plain.subarray(0, 17).toString('hex')).toBe('83' + '00ce00020600' + '01ce7f000001' + '02cd0ce5');
    const routed = encodePacket(
      basePacket({ meta: { version: 0x020600, uri: '127.0.0.1:3301', route: { src: '1.2.3.4:5', dst: '10.0.0.1:258' } } }),
    );
    expect(routed.subarray(0, 39).toString('hex')).toBe(
      '84' + '00ce00020600' + '01ce7f000001' + '02cd0ce5' + '03' + '84' + '00ce01020304' + '01cd0005' + '02ce0a000001' + '03cd0102',
    );
  });

  it('small integers still use the fixed widths (never the shortest encoding)', () => {
    const buf = encodePacket({
      meta: { version: 1, uri: '0.0.0.1:1' },
      source: UUID_A,
      failureDetection: { type: 'ping', incarnation: { generation: 0n, version: 0n } },
    });
    expect(buf.toString('hex')).toBe(
      '83' + '00ce00000001' + '01ce00000001' + '02cd0001' +
        '82' + '00c410' + Buffer.from(wireUuid(UUID_A)).toString('hex') +
        '02' + '83' + '0000' + '01cf0000000000000000' + '02cf0000000000000000',
    );
  });

  it('full body in Tarantool order with array16 lists, fixmap 6/7 members, bin16 payload, quit', () => {
    const p: Packet = {
      meta: { version: 0x020600, uri: '127.0.0.1:3301' },
      source: UUID_A,
      failureDetection: { type: 'ack', incarnation: { generation: 1n, version: 2n } },
      dissemination: [member({ status: 'dead', payload: Buffer.from('hi') })],
      antiEntropy: [member({ status: 'suspected', incarnation: { generation: 3n, version: 4n } })],
      quit: { generation: 5n, version: 6n },
    };
    const uuidB = Buffer.from(wireUuid(UUID_B)).toString('hex');
    const expected =
      '83' + '00ce00020600' + '01ce7f000001' + '02cd0ce5' +
      '85' +
      '00' + 'c410' + Buffer.from(wireUuid(UUID_A)).toString('hex') +
      '02' + '83' + '0001' + '01cf0000000000000001' + '02cf0000000000000002' +
      '03' + 'dc0001' +
      '87' + '0002' + '01ce7f000001' + '02cd0ce6' + '03c410' + uuidB + '04cf0000000000000001' + '05cf0000000000000002' +
      '06' + 'c50002' + '6869' +
      '01' + 'dc0001' +
      '86' + '0001' + '01ce7f000001' + '02cd0ce6' + '03c410' + uuidB + '04cf0000000000000003' + '05cf0000000000000004' +
      '04' + '82' + '00cf0000000000000005' + '01cf0000000000000006';
    expect(encodePacket(p).toString('hex')).toBe(expected);
  });

  it('an independent MsgPack decoder (msgpackr) reads the same structure', () => {
    const p: Packet = {
      meta: { version: 0x020600, uri: '127.0.0.1:3301' },
      source: UUID_A,
      failureDetection: { type: 'ping', incarnation: { generation: 9n, version: 10n } },
      dissemination: [member({ payload: Buffer.from('x') })],
    };
    const [meta, body] = new Unpackr({ mapsAsObjects: false, useRecords: false, int64AsType: 'bigint' }).unpackMultiple(
      encodePacket(p),
    ) as [Map<number, unknown>, Map<number, unknown>];
    expect([...meta.keys()]).toEqual([0, 1, 2]);
    expect(meta.get(1)).toBe(IP_LOCAL);
    expect([...body.keys()]).toEqual([0, 2, 3]);
    expect([...(body.get(0) as Uint8Array)]).toEqual(wireUuid(UUID_A));
    const fd = body.get(2) as Map<number, unknown>;
    expect(BigInt(fd.get(1) as bigint)).toBe(9n);
    const m = (body.get(3) as Array<Map<number, unknown>>)[0];
    expect([...m.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Buffer.from(m.get(6) as Uint8Array).toString()).toBe('x');
  });
});

describe('decoder accepts any valid MsgPack encoding', () => {
  it('shortest widths, map16/array32, int64 (0xd3) for non-negative generation', () => {
    const buf = cat(
      0xde, 0, 3, // map16 of 3
      0, fix(1), 1, u8(1), 2, u16(80),
      0xdf, 0, 0, 0, 3, // map32 of 3
      SRC,
      2, map(3), 0, fix(1), 1, i64(12), 2, [0xd0, 5],
      3, 0xdd, 0, 0, 0, 1, // array32 of 1
      map(6), 0, fix(2), 1, u64(IP_LOCAL), 2, [0xd1, 0x0c, 0xe6], 3, bin(wireUuid(UUID_B)), 4, [0xd2, 0, 0, 0, 7], 5, fix(0),
    );
    expect(decodePacket(buf)).toEqual({
      meta: { version: 1, uri: '0.0.0.1:80' },
      source: UUID_A,
      failureDetection: { type: 'ack', incarnation: { generation: 12n, version: 5n } },
      dissemination: [{ status: 'dead', uri: '127.0.0.1:3302', uuid: UUID_B, incarnation: { generation: 7n, version: 0n } }],
    });
  });

  it('keys in any order; member status/generation/version default as in Tarantool', () => {
    const buf = withMember(cat(map(3), 3, bin(wireUuid(UUID_B)), 2, u16(3302), 1, u32(IP_LOCAL)));
    expect(decodePacket(buf).dissemination).toEqual([
      { status: 'alive', uri: '127.0.0.1:3302', uuid: UUID_B, incarnation: { generation: 0n, version: 0n } },
    ]);
  });

  it('a packet built by msgpackr (maps of integer keys, bigint as int64)', () => {
    const packr = new Packr({ useRecords: false, mapsAsObjects: false, variableMapSize: true });
    const meta = packr.pack(new Map<number, unknown>([[2, 3301], [1, IP_LOCAL], [0, 0x020600]]));
    const body = packr.pack(
      new Map<number, unknown>([
        [0, Buffer.from(wireUuid(UUID_A))],
        [4, new Map<number, unknown>([[1, 2n], [0, 1n]])],
        [1, [new Map<number, unknown>([[0, 1], [1, IP_LOCAL], [2, 3302], [3, Buffer.from(wireUuid(UUID_B))], [4, 3n], [5, 4n], [6, Buffer.from('p')]])]],
      ]),
    );
    expect(decodePacket(Buffer.concat([meta, body]))).toEqual({
      meta: { version: 0x020600, uri: '127.0.0.1:3301' },
      source: UUID_A,
      quit: { generation: 1n, version: 2n },
      antiEntropy: [member({ status: 'suspected', incarnation: { generation: 3n, version: 4n }, payload: Buffer.from('p') })],
    });
  });
});

describe('decoder rejections (each reason, each section)', () => {
  it('truncated: empty input, and every proper prefix of a full packet', () => {
    expectReject(new Uint8Array(0), 'truncated', 'meta');
    const full = encodePacket({
      meta: { version: 0x020600, uri: '127.0.0.1:3301', route: { src: '1.1.1.1:1', dst: '2.2.2.2:2' } },
      source: UUID_A,
      failureDetection: { type: 'ping', incarnation: { generation: 1n, version: 1n } },
      dissemination: [member({ payload: Buffer.from('abc') })],
      antiEntropy: [member()],
      quit: { generation: 1n, version: 1n },
    });
    // A cut inside a member list can leave too few bytes for the records the array claims:
    // the length bound catches that before the records are read.
    const reasons = new Map<string, number>();
    for (let n = 0; n < full.length; n++) {
      let reason = 'none';
      try {
        decodePacket(full.subarray(0, n));
      } catch (err) {
        expect(err).toBeInstanceOf(SwimError);
        reason = (err as SwimError).reason ?? 'none';
      }
      expect(['truncated', 'array_too_long'], `prefix of ${n} bytes`).toContain(reason);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    expect(reasons.get('truncated')).toBeGreaterThan(full.length / 2);
    expect(() => decodePacket(full)).not.toThrow();
  });

  it('truncated: a bin length past the end, a map claiming more entries than present', () => {
    expectReject(cat(META, map(1), 0, 0xc4, 16, 1, 2, 3), 'truncated', 'body.source');
    expectReject(cat(META, map(2), SRC), 'truncated', 'body.key');
  });

  it('bad_type: non-map meta/body, string keys, string uuid, negative and float integers', () => {
    expectReject(cat(arr(0)), 'bad_type', 'meta');
    expectReject(cat(META, arr(1), 0), 'bad_type', 'body');
    expectReject(cat(map(1), str('a'), 1), 'bad_type', 'meta.key');
    expectReject(cat(META, map(1), 0, str('0123456789abcdef')), 'bad_type', 'body.source');
    expectReject(cat(META, map(2), SRC, 2, map(3), 0, 0, 1, i64(-1), 2, 0), 'bad_type', 'failure_detection.generation');
    expectReject(cat(META, map(2), SRC, 4, map(2), 0, 0xff, 1, 0), 'bad_type', 'quit.generation');
    expectReject(cat(map(3), 0, [0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0], 1, 1, 2, 1), 'bad_type', 'meta.version');
    expectReject(cat(META, map(2), SRC, 3, map(0)), 'bad_type', 'dissemination');
    expectReject(cat(META, map(2), SRC, 1, 0xc0), 'bad_type', 'anti_entropy');
    expectReject(withMember(cat(map(4), memberFields(), 6, str('x'))), 'bad_type', 'dissemination.member.payload');
    expectReject(cat(META, map(2), SRC, 2, arr(0)), 'bad_type', 'failure_detection');
  });

  it('bad_value: out-of-range numbers, wrong-size uuid', () => {
    expectReject(cat(map(3), 0, 0, 1, 1, 2, 1), 'bad_value', 'meta.version');
    expectReject(cat(map(3), 0, u64(2n ** 32n), 1, 1, 2, 1), 'bad_value', 'meta.version');
    expectReject(cat(map(3), 0, 1, 1, u64(2n ** 32n), 2, 1), 'bad_value', 'meta.src_ip');
    expectReject(cat(map(3), 0, 1, 1, 1, 2, u32(65536)), 'bad_value', 'meta.src_port');
    expectReject(cat(META, map(2), SRC, 2, map(3), 0, 2, 1, 0, 2, 0), 'bad_value', 'failure_detection.type');
    expectReject(withMember(cat(map(4), 0, 4, memberFields())), 'bad_value', 'dissemination.member.status');
    expectReject(cat(META, map(1), 0, bin(wireUuid(UUID_A).slice(0, 15))), 'bad_value', 'body.source');
    expectReject(cat(META, map(1), 0, 0xc4, 17, ...wireUuid(UUID_A), 0), 'bad_value', 'body.source');
  });

  it('unknown_key: in meta, route, body, failure detection, member, quit', () => {
    expectReject(cat(map(4), 0, 1, 1, 1, 2, 1, 4, 0), 'unknown_key', 'meta.key');
    expectReject(cat(map(4), 0, 1, 1, 1, 2, 1, 3, map(1), 4, 1), 'unknown_key', 'meta.route.key');
    expectReject(cat(META, map(2), SRC, 5, 0), 'unknown_key', 'body.key');
    expectReject(cat(META, map(1), 9, 0), 'unknown_key', 'body.key');
    expectReject(cat(META, map(2), SRC, 2, map(4), 0, 0, 1, 0, 2, 0, 3, 0), 'unknown_key', 'failure_detection.key');
    expectReject(withMember(cat(map(4), memberFields(), 7, 0)), 'unknown_key', 'dissemination.member.key');
    expectReject(cat(META, map(2), SRC, 4, map(3), 0, 0, 1, 0, 2, 0), 'unknown_key', 'quit.key');
  });

  it('duplicate_key: in meta, body, member, failure detection', () => {
    expectReject(cat(map(4), 0, 1, 1, 1, 2, 1, 2, 2), 'duplicate_key', 'meta.src_port');
    expectReject(cat(META, map(2), SRC, SRC), 'duplicate_key', 'body.source');
    expectReject(cat(META, map(3), SRC, 4, map(2), 0, 0, 1, 0, 4, map(2), 0, 0, 1, 0), 'duplicate_key', 'quit');
    expectReject(withMember(cat(map(5), 0, 0, memberFields(), 0, 1)), 'duplicate_key', 'dissemination.member.status');
    expectReject(cat(META, map(2), SRC, 2, map(3), 0, 0, 1, 0, 1, 0), 'duplicate_key', 'failure_detection.generation');
  });

  it('missing_field: meta, route, body, failure detection, quit, member', () => {
    expectReject(cat(map(2), 1, 1, 2, 1), 'missing_field', 'meta.version');
    expectReject(cat(map(2), 0, 1, 2, 1), 'missing_field', 'meta.src_ip');
    expectReject(cat(map(2), 0, 1, 1, 1), 'missing_field', 'meta.src_port');
    expectReject(cat(META, map(0)), 'missing_field', 'body.source');
    expectReject(cat(META, map(2), 4, map(2), 0, 0, 1, 0, SRC), 'missing_field', 'body.source');
    expectReject(cat(META, map(2), SRC, 2, map(2), 1, 0, 2, 0), 'missing_field', 'failure_detection.type');
    expectReject(cat(META, map(2), SRC, 4, map(1), 0, 0), 'missing_field', 'quit.version');
    // Missing uuid with enough bytes after it for the array bound: padding sits in a payload.
    expectReject(withMember(cat(map(3), 1, u32(IP_LOCAL), 2, u16(1), 6, bin(Buffer.alloc(20)))), 'missing_field', 'dissemination.member.uuid');
    expectReject(withMember(cat(map(2), 2, u16(1), 3, bin(wireUuid(UUID_B)))), 'missing_field', 'dissemination.member.ip');
    expectReject(withMember(cat(map(2), 1, u32(IP_LOCAL), 3, bin(wireUuid(UUID_B)))), 'missing_field', 'dissemination.member.port');
  });

  it('nil_uuid: source and member', () => {
    expectReject(cat(META, map(1), 0, bin(Buffer.alloc(16))), 'nil_uuid', 'body.source');
    expectReject(withMember(cat(map(3), 1, u32(IP_LOCAL), 2, u16(1), 3, bin(wireUuid(NIL_UUID)))), 'nil_uuid', 'dissemination.member.uuid');
  });

  it('zero_address and zero_port: meta, route, member', () => {
    expectReject(cat(map(3), 0, 1, 1, 0, 2, 1), 'zero_address', 'meta.src_ip');
    expectReject(cat(map(3), 0, 1, 1, 1, 2, 0), 'zero_port', 'meta.src_port');
    const route = (a: Part) => cat(map(4), 0, 1, 1, 1, 2, 1, 3, a);
    expectReject(route(cat(map(4), 0, 0, 1, 1, 2, 1, 3, 1)), 'zero_address', 'meta.route.src_ip');
    expectReject(route(cat(map(4), 0, 1, 1, 1, 2, u32(0), 3, 1)), 'zero_address', 'meta.route.dst_ip');
    expectReject(route(cat(map(4), 0, 1, 1, 0, 2, 1, 3, 1)), 'zero_port', 'meta.route.src_port');
    expectReject(route(cat(map(4), 0, 1, 1, 1, 2, 1, 3, u16(0))), 'zero_port', 'meta.route.dst_port');
    expectReject(withMember(cat(map(3), 1, 0, 2, u16(1), 3, bin(wireUuid(UUID_B)))), 'zero_address', 'dissemination.member.ip');
    expectReject(withMember(cat(map(3), 1, 1, 2, 0, 3, bin(wireUuid(UUID_B)))), 'zero_port', 'dissemination.member.port');
  });

  it('payload_too_large: 1201 bytes, in either section', () => {
    const big = Buffer.alloc(MAX_PAYLOAD_SIZE + 1, 1);
    const m = cat(map(4), memberFields(), 6, 0xc5, ...be(BigInt(big.length), 2), big);
    expectReject(withMember(m), 'payload_too_large', 'dissemination.member.payload');
    expectReject(cat(META, map(2), SRC, 1, arr(1), m), 'payload_too_large', 'anti_entropy.member.payload');
  });

  it('array_too_long: counts the remaining bytes cannot hold, checked before decoding', () => {
    expectReject(cat(META, map(2), SRC, 3, 0xdd, 0xff, 0xff, 0xff, 0xff), 'array_too_long', 'dissemination');
    expectReject(cat(META, map(2), SRC, 1, 0xdc, 0xff, 0xff, Buffer.alloc(1000)), 'array_too_long', 'anti_entropy');
    // A record too short to hold uuid, ip and port (11 bytes) cannot be a member at all.
    expectReject(withMember(cat(map(2), 1, u32(IP_LOCAL), 2, u16(1))), 'array_too_long', 'dissemination');
    // Two members claimed, one present (52 bytes): 2 * 24 <= 52, so this is a truncation.
    const one = encodePacket(basePacket({ dissemination: [member()] }));
    const two = Buffer.from(one);
    two[17 + 1 + 19 + 1 + 2] = 2; // the low byte of the array16 count
    expectReject(two, 'truncated', 'dissemination.member');
  });

  it('trailing_garbage: bytes after the body map', () => {
    const ok = encodePacket(basePacket());
    expectReject(Buffer.concat([ok, Buffer.from([0])]), 'trailing_garbage', 'body');
    expectReject(Buffer.concat([ok, ok]), 'trailing_garbage', 'body');
  });

  it('covers every reason the native side can report (runs after the cases above)', () => {
    expect([...seenReasons].sort()).toEqual([...decodeErrorReasons].sort());
  });
});

// Ports of the decoder cases in Tarantool's test/unit/swim_proto.c. Tarantool decodes the
// meta and member maps on their own; here they sit inside otherwise valid packets.
describe("Tarantool's swim_proto unit cases", () => {
  const localIpLe = 0x0100007f; // inet_aton('127.0.0.1').s_addr read as a little-endian integer
  const uuidTimeLow1 = [1, 0, 0, 0, ...new Array(12).fill(0)]; // tt_uuid with time_low = 1

  it('member definition', () => {
    // Tarantool decodes a lone member map; here it is the last record of a packet. Where the
    // record is followed by padding, the decoder must fail on the record itself.
    const bad = (m: Part, reason: DecodeErrorReason) => expectReject(withMember(cat(m, Buffer.alloc(32))), reason);
    bad(arr(10), 'bad_type'); // not map header
    bad(cat(map(4), str('str')), 'bad_type'); // not uint member key
    bad(cat(map(4), uint(10000)), 'unknown_key'); // too big member key
    bad(cat(map(4), 0, str('str')), 'bad_type'); // STATUS is not uint
    bad(cat(map(4), 0, uint(10000)), 'bad_value'); // invalid STATUS
    bad(cat(map(4), 1, uint(2n ** 32n + 99n)), 'bad_value'); // invalid address
    bad(cat(map(4), 1, uint(localIpLe), 2, uint(100000)), 'bad_value'); // bad port
    // "unexpected buffer end" (twice): a short record at the end of the datagram is caught
    // by the array length bound (24 bytes per record) before the record is read.
    expectReject(withMember(cat(map(4), 1, uint(localIpLe), 2, uint(1))), 'array_too_long');
    expectReject(withMember(cat(map(4), 1, uint(localIpLe), 2, uint(1), 3)), 'array_too_long');
    bad(cat(map(4), 1, uint(localIpLe), 2, uint(1), 3, bin(Buffer.alloc(16)), 0, 0), 'nil_uuid'); // uuid is nil
    // "port is 0/undefined": Tarantool's case sends the port key twice (1, then 0); a
    // repeated key is rejected here before its value is read. Port 0 alone: zero_port.
    bad(cat(map(4), 1, uint(localIpLe), 2, uint(1), 3, bin(uuidTimeLow1), 2, 0), 'duplicate_key');
    bad(cat(map(4), 1, uint(localIpLe), 2, 0, 3, bin(uuidTimeLow1), 0, 0), 'zero_port');
    const ok = decodePacket(withMember(cat(map(4), 1, uint(localIpLe), 2, uint(1), 3, bin(uuidTimeLow1), 0, 0)));
    expect(ok.dissemination).toEqual([
      { status: 'alive', uri: '1.0.0.127:1', uuid: '00000001-0000-0000-0000-000000000000', incarnation: { generation: 0n, version: 0n } },
    ]); // normal member def
    expectReject(cat(META, map(1), 0, 0xc4), 'truncated'); // zero length bin
  });

  it('meta', () => {
    const body = cat(map(1), SRC);
    expectReject(cat(arr(10)), 'bad_type'); // not map header
    expectReject(cat(map(3), str('str')), 'bad_type'); // not uint meta key
    expectReject(cat(map(3), uint(10000)), 'unknown_key'); // unknown meta key
    expectReject(cat(map(3), 0), 'truncated'); // unexpected end
    expectReject(cat(map(3), 0, uint(2n ** 32n + 99n)), 'bad_value'); // invalid version
    expectReject(cat(map(3), 0, uint(0x020600), 1, uint(localIpLe), 2, 0, body), 'zero_port'); // port is 0
    // "version is 0/undefined": Tarantool's case repeats the version key with 0.
    expectReject(cat(map(3), 0, uint(0x020600), 1, uint(localIpLe), 0, 0, body), 'duplicate_key');
    expectReject(cat(map(3), 1, uint(localIpLe), 0, 0, 2, 1, body), 'bad_value', 'meta.version');
    const ok = decodePacket(cat(map(3), 0, uint(0x020600), 1, uint(localIpLe), 2, 1, body)); // normal meta
    expect(ok.meta).toEqual({ version: 0x020600, uri: '1.0.0.127:1' });
  });

  it('route', () => {
    const head = cat(0x84, 0, u32(0x020600), 1, u32(IP_LOCAL), 2, u16(1234));
    const body = cat(map(1), SRC);
    expectReject(head, 'truncated'); // route was expected, but map is too short
    expectReject(cat(head, 3), 'truncated'); // no route map
    expectReject(cat(head, 3, map(0), body), 'missing_field', 'meta.route.src_ip'); // empty route map
    const route = (ip: number, port: number) => cat(3, 0x84, 0, u32(ip), 1, u16(port), 2, u32(ip), 3, u16(port));
    expectReject(cat(head, route(0, 0), body), 'zero_address'); // zero addresses
    const ok = decodePacket(cat(head, route(IP_LOCAL, 1), body)); // normal route
    expect(ok.meta.route).toEqual({ src: '127.0.0.1:1', dst: '127.0.0.1:1' });
  });
});

describe('encoder budget and input validation', () => {
  const full = (): Packet => ({
    meta: { version: 0x020600, uri: '127.0.0.1:3301', route: { src: '1.1.1.1:1', dst: '2.2.2.2:2' } },
    source: UUID_A,
    failureDetection: { type: 'ping', incarnation: { generation: 1n, version: 1n } },
    dissemination: [member({ payload: Buffer.alloc(100) })],
    antiEntropy: [member(), member()],
    quit: { generation: 1n, version: 1n },
  });

  it('fits exactly at its own size and fails one byte below', () => {
    const size = encodePacket(full()).length;
    expect(encodePacket(full(), { maxSize: size }).length).toBe(size);
    expectThrows(() => encodePacket(full(), { maxSize: size - 1 }), 'ERR_SWIM_ENCODE', `${size - 1} bytes`);
    expectThrows(() => encodePacket(basePacket(), { maxSize: 10 }), 'ERR_SWIM_ENCODE');
  });

  it('defaults to 1440 bytes', () => {
    expect(MAX_PACKET_SIZE).toBe(1440);
    const p = basePacket({ dissemination: [member({ payload: Buffer.alloc(1200) })] });
    const size = encodePacket(p).length;
    const tooBig = basePacket({
      dissemination: [member({ payload: Buffer.alloc(1200) }), member({ payload: Buffer.alloc(1440 - size) })],
    });
    expectThrows(() => encodePacket(tooBig), 'ERR_SWIM_ENCODE', '1440');
    expect(encodePacket(tooBig, { maxSize: 4000 }).length).toBeGreaterThan(1440);
  });

  it('refuses huge member arrays without walking them', () => {
    const huge = new Array(10_000_000);
    expectThrows(() => encodePacket(basePacket({ dissemination: huge })), 'ERR_SWIM_ENCODE', '10000000');
  });

  it('payload over 1200 bytes is ERR_SWIM_PAYLOAD_TOO_LARGE', () => {
    const p = basePacket({ antiEntropy: [member({ payload: Buffer.alloc(1201) })] });
    expectThrows(() => encodePacket(p, { maxSize: 4000 }), 'ERR_SWIM_PAYLOAD_TOO_LARGE', 'packet.antiEntropy[0].payload');
  });

  it.each<[string, (p: Packet & Record<string, unknown>) => void, string]>([
    ['source not a uuid', (p) => { p.source = 'nope'; }, 'packet.source'],
    ['nil source', (p) => { p.source = NIL_UUID; }, 'nil'],
    ['meta missing', (p) => { delete (p as Partial<Packet>).meta; }, 'packet.meta'],
    ['meta version 0', (p) => { p.meta.version = 0; }, 'packet.meta.version'],
    ['meta version 2^32', (p) => { p.meta.version = 2 ** 32; }, 'packet.meta.version'],
    ['uri without port', (p) => { p.meta.uri = '127.0.0.1'; }, 'packet.meta.uri'],
    ['uri port 0', (p) => { p.meta.uri = '127.0.0.1:0'; }, 'packet.meta.uri'],
    ['uri ip 0', (p) => { p.meta.uri = '0.0.0.0:1'; }, 'packet.meta.uri'],
    ['uri octet 256', (p) => { p.meta.uri = '1.2.3.256:1'; }, 'packet.meta.uri'],
    ['uri port 65536', (p) => { p.meta.uri = '1.2.3.4:65536'; }, 'packet.meta.uri'],
    ['uri hostname', (p) => { p.meta.uri = 'localhost:1'; }, 'packet.meta.uri'],
    ['route not object', (p) => { (p.meta as Record<string, unknown>).route = 'x'; }, 'packet.meta.route'],
    ['route dst bad', (p) => { p.meta.route = { src: '1.1.1.1:1', dst: 'x' }; }, 'packet.meta.route.dst'],
    ['fd type', (p) => { p.failureDetection = { type: 'pong' as 'ping', incarnation: { generation: 0n, version: 0n } }; }, 'failureDetection.type'],
    ['negative bigint', (p) => { p.quit = { generation: -1n, version: 0n }; }, 'packet.quit.generation'],
    ['bigint 2^64', (p) => { p.quit = { generation: 0n, version: 2n ** 64n }; }, 'packet.quit.version'],
    ['fractional number', (p) => { p.quit = { generation: 1.5 as unknown as bigint, version: 0n }; }, 'packet.quit.generation'],
    ['unsafe number', (p) => { p.quit = { generation: 2 ** 53 as unknown as bigint, version: 0n }; }, 'packet.quit.generation'],
    ['string generation', (p) => { p.quit = { generation: '1' as unknown as bigint, version: 0n }; }, 'packet.quit.generation'],
    ['members not array', (p) => { (p as Record<string, unknown>).dissemination = {}; }, 'packet.dissemination'],
    ['member not object', (p) => { (p as Record<string, unknown>).dissemination = [1]; }, 'packet.dissemination[0]'],
    ['member status', (p) => { p.dissemination = [member({ status: 'zombie' as 'alive' })]; }, 'packet.dissemination[0].status'],
    ['member uuid', (p) => { p.antiEntropy = [member(), member({ uuid: NIL_UUID })]; }, 'packet.antiEntropy[1].uuid'],
    ['member payload type', (p) => { p.dissemination = [member({ payload: 'x' as unknown as Uint8Array })]; }, 'payload'],
    ['member payload Uint16Array', (p) => { p.dissemination = [member({ payload: new Uint16Array(2) as unknown as Uint8Array })]; }, 'payload'],
  ])('ERR_SWIM_INVALID_ARG: %s', (_name, mutate, text) => {
    const p = basePacket() as Packet & Record<string, unknown>;
    mutate(p);
    expectThrows(() => encodePacket(p), 'ERR_SWIM_INVALID_ARG', text);
  });

  it('non-object inputs and options', () => {
    for (const bad of [undefined, null, 1, 'x', [], () => 0]) {
      expectThrows(() => encodePacket(bad as unknown as Packet), 'ERR_SWIM_INVALID_ARG');
    }
    for (const maxSize of [0, -1, 1.5, NaN, 70000, '100']) {
      expectThrows(() => encodePacket(basePacket(), { maxSize: maxSize as number }), 'ERR_SWIM_INVALID_ARG', 'maxSize');
    }
    expectThrows(() => encodePacket(basePacket(), 5 as unknown as { maxSize: number }), 'ERR_SWIM_INVALID_ARG');
    for (const bad of [undefined, null, 'abc', [1, 2], new Uint16Array(4), new ArrayBuffer(4)]) {
      expectThrows(() => decodePacket(bad as unknown as Uint8Array), 'ERR_SWIM_INVALID_ARG');
    }
  });

  it('a throwing getter propagates its own error', () => {
    const boom = new Error('boom');
    const p = basePacket();
    Object.defineProperty(p, 'source', { get: () => { throw boom; } });
    expect(() => encodePacket(p)).toThrow(boom);
    const m = member();
    Object.defineProperty(m, 'incarnation', { get: () => { throw boom; } });
    expect(() => encodePacket(basePacket({ dissemination: [m] }))).toThrow(boom);
  });

  it('accepts a Uint8Array subarray view for decoding', () => {
    const buf = encodePacket(basePacket());
    const big = new Uint8Array(buf.length + 10);
    big.set(buf, 5);
    expect(decodePacket(big.subarray(5, 5 + buf.length))).toEqual(basePacket());
  });
});

// ---------------------------------------------------------------------------------------
// Seeded randomized round trips and mutations. Set SWIM_SEED to replay a failure.

function randomPacket(next: () => number, maxMembers: number, maxPayload: number): Packet {
  const int = (n: number) => next() % n;
  const u64 = () => {
    switch (int(4)) {
      case 0: return BigInt(int(3));
      case 1: return 2n ** 64n - 1n - BigInt(int(3));
      default: return (BigInt(next()) << 32n) | BigInt(next());
    }
  };
  const ip = () => `${1 + int(255)}.${int(256)}.${int(256)}.${int(256)}`;
  const uri = () => `${ip()}:${1 + int(65535)}`;
  const uuid = () => {
    const b = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) b[i] = int(256);
    b[int(16)] |= 1; // never nil
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  const statuses = ['alive', 'suspected', 'dead', 'left'] as const;
  const members = (): MemberRecord[] =>
    Array.from({ length: int(maxMembers + 1) }, () => {
      const m: MemberRecord = { status: statuses[int(4)], uri: uri(), uuid: uuid(), incarnation: { generation: u64(), version: u64() } };
      if (int(2)) {
        const payload = Buffer.alloc(int(maxPayload + 1));
        for (let i = 0; i < payload.length; i++) payload[i] = int(256);
        m.payload = payload;
      }
      return m;
    });
  const p: Packet = { meta: { version: 1 + int(0xffffffff), uri: uri() }, source: uuid() };
  if (int(2)) p.meta.route = { src: uri(), dst: uri() };
  if (int(2)) p.failureDetection = { type: int(2) ? 'ping' : 'ack', incarnation: { generation: u64(), version: u64() } };
  if (int(2)) p.dissemination = members();
  if (int(2)) p.antiEntropy = members();
  if (int(2)) p.quit = { generation: u64(), version: u64() };
  return p;
}

describe('seeded randomized packets', () => {
  const seed = seedFromEnv();

  function withSeed(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // Keep the seed next to the failure so it can be replayed with SWIM_SEED.
      if (err instanceof Error) err.message = `[SWIM_SEED=${seed}] ${err.message}`;
      throw err;
    }
  }

  it('round-trip within the default 1440 bytes and with large budgets', () => {
    withSeed(() => {
      const next = prng(seed);
      for (let i = 0; i < 300; i++) {
        const small = randomPacket(next, 4, 48);
        expect(decodePacket(encodePacket(small))).toEqual(small);
        const large = randomPacket(next, 30, 600);
        expect(decodePacket(encodePacket(large, { maxSize: 65507 }))).toEqual(large);
      }
    });
  });

  it('mutated datagrams either decode to a re-encodable packet or are rejected with a reason', () => {
    withSeed(() => {
      const next = prng(seed ^ 0x5a5a5a5a);
      const reasons = new Set(decodeErrorReasons);
      for (let i = 0; i < 2000; i++) {
        const buf = Buffer.from(encodePacket(randomPacket(next, 3, 16)));
        const flips = 1 + (next() % 3);
        for (let f = 0; f < flips; f++) buf[next() % buf.length] = next() % 256;
        const cut = next() % 4 === 0 ? buf.subarray(0, next() % (buf.length + 1)) : buf;
        let decoded: Packet;
        try {
          decoded = decodePacket(cut);
        } catch (err) {
          expect(err).toBeInstanceOf(SwimError);
          expect((err as SwimError).code).toBe('ERR_SWIM_DECODE');
          expect(reasons.has((err as SwimError).reason as DecodeErrorReason)).toBe(true);
          continue;
        }
        expect(decodePacket(encodePacket(decoded, { maxSize: 65507 }))).toEqual(decoded);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------
// Encoder input edge cases: whatever the input, a packet or a SwimError, never another error.

type Outcome = { hex: string } | { code: string; message: string } | { thrown: unknown };

function outcome(fn: () => Uint8Array): Outcome {
  try {
    return { hex: Buffer.from(fn()).toString('hex') };
  } catch (err) {
    if (err instanceof SwimError) return { code: err.code, message: err.message };
    return { thrown: err };
  }
}

const ENCODE_CODES = ['ERR_SWIM_ENCODE', 'ERR_SWIM_INVALID_ARG', 'ERR_SWIM_PAYLOAD_TOO_LARGE'];

/** The outcome's kind: 'ok' or an encode error code; fails on anything else. */
function kindOf(o: Outcome): string {
  if ('hex' in o) return 'ok';
  expect(o, 'a SwimError').not.toHaveProperty('thrown');
  const { code } = o as { code: string };
  expect(ENCODE_CODES).toContain(code);
  return code;
}

// Valid, invalid, and values a careless parser gets wrong (non-ASCII digits, lossy latin1,
// lone surrogates...).
const ADDRS: unknown[] = [
  '1.2.3.4:5', '255.255.255.255:65535', '01.2.3.4:5', '1.2.3.4:05', '1.2.3.4:0', '0.0.0.0:1', '0.0.0.1:1',
  '1.2.3.4:65536', '1.2.3.256:1', '1.2.3.4:5 ', ' 1.2.3.4:5', '1.2.3.4', '1.2.3.4:', '1.2.3:4', '1.2.3.4:123456',
  '1.2.3.4444:5', '\uff11.2.3.4:5', '1.2.3.4:5\u0000', '1.2.3.4:5\u00e9', '\u0130.2.3.4:5', '\ud800.2.3.4:5',
  '1.2.3.4:\u0135', '001.002.003.004:00005', '', 5, null, undefined, {}, new String('1.2.3.4:5'),
];
const UUIDS: unknown[] = [
  '12345678-9abc-def0-1234-56789abcdef0', '12345678-9ABC-DEF0-1234-56789ABCDEF0', '00000000-0000-0000-0000-000000000000',
  '12345678-9abc-def0-1234-56789abcdef', '12345678-9abc-def0-1234-56789abcdef01', '1234567g-9abc-def0-1234-56789abcdef0',
  '12345678-9abc-def0-1234-56789abcdef\u00e9', '12345678-9abc-def0-1234-56789abcdef\u0130',
  '12345678-9abc-def0-1234-56789abcdef\u0161', '12345678-9abc-def0-1234-56789abcde\ud800', '123456789-abc-def0-1234-56789abcdef0',
  1, null, undefined, ['12345678-9abc-def0-1234-56789abcdef0'],
];
const U64S: unknown[] = [0n, 1n, 2n ** 64n - 1n, 2n ** 64n, -1n, 0, -0, 1.5, NaN, Infinity, 2 ** 53 - 1, 2 ** 53, -1, '1', Object(1n), null, undefined];
const STATUSES: unknown[] = ['alive', 'suspected', 'dead', 'left', 'Alive', '__proto__', 'toString', 1, undefined, null];
const detached = (() => {
  const a = new Uint8Array(8);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
})();
const PAYLOADS: unknown[] = [
  undefined, Buffer.from('xy'), new Uint8Array(3), new Uint8Array(new ArrayBuffer(16), 4, 5), Buffer.alloc(1200), Buffer.alloc(1201),
  new Uint8ClampedArray(2), new Uint16Array(2), new DataView(new ArrayBuffer(2)), new ArrayBuffer(2), 'x', null, detached,
  Object.create(Uint8Array.prototype), new Proxy(new Uint8Array(2), {}),
];
const LISTS = (m: () => MemberRecord): unknown[] => [
  undefined, [], [m()], {}, null, new Proxy([m()], {}), [m(), , m()], { length: 1, 0: m() }, new Array(10_000), [1], [[]],
];
const pick = <T,>(next: () => number, list: readonly T[]): T => list[next() % list.length];
const validMember = (): MemberRecord => ({
  status: 'alive', uri: '1.2.3.4:5', uuid: UUIDS[0] as string, incarnation: { generation: 1n, version: 2n },
});

function mutate(next: () => number, p: Packet & Record<string, unknown>): void {
  const members = [p.dissemination as unknown, p.antiEntropy as unknown]
    .flatMap((list) => (Array.isArray(list) ? (list as unknown[]) : []))
    .filter((m): m is Record<string, unknown> => typeof m === 'object' && m !== null && !Array.isArray(m));
  const meta = p.meta as unknown as Record<string, unknown>;
  switch (next() % 16) {
    case 0: meta.uri = pick(next, ADDRS); break;
    case 1: meta.version = pick(next, [0, 1, 2 ** 32 - 1, 2 ** 32, 1.5, '1', NaN, -1, null]); break;
    case 2: meta.route = pick(next, [undefined, null, {}, [], { src: pick(next, ADDRS), dst: pick(next, ADDRS) }]); break;
    case 3: p.source = pick(next, UUIDS) as string; break;
    case 4: p.failureDetection = pick(next, [undefined, null, {}, { type: pick(next, ['ping', 'ack', 'PING', 1, undefined]), incarnation: { generation: pick(next, U64S), version: pick(next, U64S) } }]) as Packet['failureDetection']; break;
    case 5: p.quit = pick(next, [undefined, null, [], { generation: pick(next, U64S), version: pick(next, U64S) }, { generation: 1n }]) as Packet['quit']; break;
    case 6: p.dissemination = pick(next, LISTS(validMember)) as MemberRecord[]; break;
    case 7: p.antiEntropy = pick(next, LISTS(validMember)) as MemberRecord[]; break;
    default: {
      if (members.length === 0) {
        p.dissemination = [validMember()];
        return mutate(next, p);
      }
      const m = pick(next, members);
      switch (next() % 6) {
        case 0: m.uri = pick(next, ADDRS); break;
        case 1: m.uuid = pick(next, UUIDS); break;
        case 2: m.status = pick(next, STATUSES); break;
        case 3: m.payload = pick(next, PAYLOADS); break;
        case 4: m.incarnation = pick(next, [null, [], 1n, { generation: pick(next, U64S), version: pick(next, U64S) }]); break;
        case 5: m.incarnation = { generation: 1n, version: pick(next, U64S) }; break;
      }
    }
  }
}

describe('encoder input edge cases', () => {
  it('mutated packets encode (and decode back) or throw an encode SwimError', () => {
    const seed = seedFromEnv();
    const next = prng(seed);
    const kinds = new Set<string>();
    // A random seed may reach a rare outcome late: run on until each has been seen (or give up).
    for (let i = 0; i < 3000 || (kinds.size < 4 && i < 30000); i++) {
      const p = randomPacket(next, 3, 16) as Packet & Record<string, unknown>;
      for (let k = 1 + (next() % 2); k > 0; k--) mutate(next, p);
      const maxSize = pick(next, [undefined, undefined, 65507, 200, 1, 0, 1.5, 70000, '100', null]);
      const o = outcome(() => encodePacket(p, maxSize === undefined ? undefined : { maxSize: maxSize as number }));
      const kind = kindOf(o);
      if ('hex' in o) expect(() => decodePacket(Buffer.from(o.hex, 'hex')), `[SWIM_SEED=${seed}] case ${i}`).not.toThrow();
      kinds.add(kind);
    }
    expect([...kinds].sort()).toEqual(['ERR_SWIM_ENCODE', 'ERR_SWIM_INVALID_ARG', 'ERR_SWIM_PAYLOAD_TOO_LARGE', 'ok']);
  });

  it('every value list entry alone, in a member and in meta', () => {
    const cases: Array<[unknown, (p: Record<string, unknown>) => void]> = [];
    for (const a of ADDRS) cases.push([a, (p) => { (p.meta as Record<string, unknown>).uri = a; }]);
    for (const u of UUIDS) cases.push([u, (p) => { p.source = u; }]);
    const inMember = (field: string, v: unknown) => (p: Record<string, unknown>) => {
      p.antiEntropy = [{ ...validMember(), [field]: v }];
    };
    for (const a of ADDRS) cases.push([a, inMember('uri', a)]);
    for (const u of UUIDS) cases.push([u, inMember('uuid', u)]);
    for (const s of STATUSES) cases.push([s, inMember('status', s)]);
    for (const v of PAYLOADS) cases.push([v, inMember('payload', v)]);
    for (const v of U64S) cases.push([v, (p) => { p.quit = { generation: v, version: 0n }; }]);
    const kinds = new Set<string>();
    for (const [value, mutateOne] of cases) {
      const p = basePacket() as Packet & Record<string, unknown>;
      mutateOne(p);
      const kind = kindOf(outcome(() => encodePacket(p, { maxSize: 4000 })));
      kinds.add(kind);
      // Plainly valid texts are accepted, and no text with anything but ASCII is.
      if (value === '1.2.3.4:5' || value === UUIDS[0] || value === UUIDS[1]) expect(kind).toBe('ok');
      if (typeof value === 'string' && /[^\x20-\x7e]/.test(value)) expect(kind).toBe('ERR_SWIM_INVALID_ARG');
    }
    expect([...kinds].sort()).toEqual(['ERR_SWIM_INVALID_ARG', 'ERR_SWIM_PAYLOAD_TOO_LARGE', 'ok']);
  });

  it('a detached payload encodes as an empty one', () => {
    const p = basePacket({ dissemination: [{ ...validMember(), payload: detached }] });
    expect(decodePacket(encodePacket(p)).dissemination![0].payload).toEqual(Buffer.alloc(0));
  });

  it('the first invalid field is reported: getters after it do not run', () => {
    const boom = new Error('boom');
    const p = basePacket();
    p.meta.uri = '1.2.3.4:0';
    Object.defineProperty(p, 'failureDetection', { get: () => { throw boom; } });
    expect(outcome(() => encodePacket(p))).toEqual({ code: 'ERR_SWIM_INVALID_ARG', message: 'packet.meta.uri must have a non-zero IP and port' });
    p.meta.uri = '1.2.3.4:1';
    expect(outcome(() => encodePacket(p))).toEqual({ thrown: boom });
  });

  it('a getter that encodes another packet while the walk runs (reentrancy)', () => {
    const inner = randomPacket(prng(5), 4, 16);
    let innerBytes: Buffer | undefined;
    const m = { status: 'alive', uuid: UUIDS[0], incarnation: { generation: 1n, version: 1n } } as unknown as MemberRecord;
    Object.defineProperty(m, 'uri', {
      enumerable: true,
      get: () => {
        innerBytes = encodePacket(inner, { maxSize: 65507 });
        return '9.9.9.9:9';
      },
    });
    const bytes = encodePacket(basePacket({ antiEntropy: [m] }), { maxSize: 65507 });
    expect(decodePacket(innerBytes!)).toEqual(inner);
    expect(decodePacket(bytes).antiEntropy![0].uri).toBe('9.9.9.9:9');
  });
});

describe('decodePacket output', () => {
  it('objects with the same keys, in the same order, every time', () => {
    const d = decodePacket(
      encodePacket({
        meta: { version: 9, uri: '1.2.3.4:5', route: { src: '1.1.1.1:1', dst: '2.2.2.2:2' } },
        source: UUID_B,
        failureDetection: { type: 'ack', incarnation: { generation: 1n, version: 2n } },
        dissemination: [member({ status: 'dead', payload: Buffer.from('z') })],
        antiEntropy: [member({ status: 'left' })],
        quit: { generation: 7n, version: 8n },
      }),
    );
    expect(Object.keys(d)).toEqual(['meta', 'source', 'failureDetection', 'dissemination', 'antiEntropy', 'quit']);
    expect(Object.keys(d.meta)).toEqual(['version', 'uri', 'route']);
    expect(Object.keys(d.meta.route!)).toEqual(['src', 'dst']);
    expect(Object.keys(d.failureDetection!)).toEqual(['type', 'incarnation']);
    expect(Object.keys(d.failureDetection!.incarnation)).toEqual(['generation', 'version']);
    expect(Object.keys(d.dissemination![0])).toEqual(['status', 'uri', 'uuid', 'incarnation', 'payload']);
    expect(Object.keys(d.antiEntropy![0])).toEqual(['status', 'uri', 'uuid', 'incarnation']);
    expect(d.dissemination![0].payload).toBeInstanceOf(Buffer);
  });

  it('payloads of a datagram inside a larger buffer are copies with a buffer of their own', () => {
    const p = basePacket({
      dissemination: [
        member({ uri: '1.2.3.4:5', payload: Buffer.from('first') }),
        member({ uri: '1.2.3.4:6', payload: Buffer.alloc(0) }),
        member({ uri: '1.2.3.4:7', payload: Buffer.from('third') }),
      ],
    });
    const bytes = encodePacket(p);
    const big = new Uint8Array(bytes.length + 100);
    big.set(bytes, 37);
    const d = decodePacket(big.subarray(37, 37 + bytes.length));
    expect(d).toStrictEqual(p);
    big.fill(0);
    const payloads = d.dissemination!.map((m) => m.payload!);
    expect(payloads.map((b) => Buffer.from(b).toString())).toEqual(['first', '', 'third']);
    for (const b of payloads) {
      expect(b.byteOffset).toBe(0);
      expect(b.buffer.byteLength).toBe(b.length);
    }
  });

  it('large member lists, both ways', () => {
    const next = prng(13);
    const p = randomPacket(next, 0, 0);
    p.antiEntropy = randomPacket(next, 0, 0).antiEntropy ?? [];
    p.dissemination = Array.from({ length: 900 }, (_, i) => ({
      ...member({ status: (['alive', 'suspected', 'dead', 'left'] as const)[i % 4] }),
      incarnation: { generation: 2n ** 64n - 1n - BigInt(i), version: BigInt(i) },
      ...(i % 3 === 0 ? { payload: Buffer.alloc(40, i) } : {}),
    }));
    const bytes = encodePacket(p, { maxSize: 65507 });
    expect(decodePacket(bytes)).toStrictEqual(p);
    const small = randomPacket(next, 2, 8);
    expect(decodePacket(encodePacket(small))).toStrictEqual(small);
  });

  it('a rejection names the reason and where', () => {
    expectThrows(() => decodePacket(new Uint16Array(2) as unknown as Uint8Array), 'ERR_SWIM_INVALID_ARG');
    const err = expectThrows(() => decodePacket(Buffer.from([0x90])), 'ERR_SWIM_DECODE');
    expect(err.message).toBe('invalid SWIM packet: bad type at meta');
    expect(err.reason).toBe('bad_type');
  });
});
