// The fast JS paths of encodePacket/decodePacket (src/codec-fast.ts) against the checked
// native path they stand in for: same bytes for every input the checked path accepts, the
// same error (code and message) for every input it rejects, getters run as it runs them.
import { afterEach, describe, expect, it } from 'vitest';
import { decodePacket, encodePacket, SwimError, type MemberRecord, type Packet } from '../src/index';
import { native } from '../src/native';
import { prng, seedFromEnv } from './helpers/prng';

type Outcome = { hex: string } | { code: string; message: string } | { thrown: unknown };

function outcome(fn: () => Uint8Array): Outcome {
  try {
    return { hex: Buffer.from(fn()).toString('hex') };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (err instanceof Error && typeof code === 'string') return { code, message: err.message };
    return { thrown: err };
  }
}

/** The checked native path alone, as encodePacket used to call it. */
const originalEncode = native.encodePacket;
const checked = (packet: unknown, maxSize?: unknown): Uint8Array => originalEncode(packet, maxSize) as Uint8Array;

/** Counts calls of the checked path made by encodePacket. */
let checkedCalls = 0;
function countChecked(): void {
  checkedCalls = 0;
  native.encodePacket = (...args: unknown[]) => {
    checkedCalls++;
    return originalEncode(...args);
  };
}
afterEach(() => {
  native.encodePacket = originalEncode;
});

const hexUuid = (next: () => number): string => {
  const h = Array.from({ length: 16 }, () => (next() & 255).toString(16).padStart(2, '0')).join('');
  const text = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  return /[1-9a-f]/.test(text) ? text : '12345678-9abc-def0-1234-56789abcdef0';
};
const uri = (next: () => number) => `${1 + (next() % 255)}.${next() % 256}.${next() % 256}.${next() % 256}:${1 + (next() % 65535)}`;

function randomPacket(next: () => number, members: number): Packet & Record<string, unknown> {
  const statuses = ['alive', 'suspected', 'dead', 'left'] as const;
  const u64 = () => (next() % 3 === 0 ? BigInt(next() % 5) : (BigInt(next()) << 32n) | BigInt(next()));
  const list = (): MemberRecord[] =>
    Array.from({ length: next() % (members + 1) }, () => {
      const m: MemberRecord = {
        status: statuses[next() % 4],
        uri: uri(next),
        uuid: hexUuid(next),
        incarnation: { generation: u64(), version: u64() },
      };
      if (next() % 2) m.payload = Buffer.from(Array.from({ length: next() % 20 }, () => next() & 255));
      return m;
    });
  const p: Packet & Record<string, unknown> = { meta: { version: 1 + (next() % 0xfffffff), uri: uri(next) }, source: hexUuid(next) };
  if (next() % 2) p.meta.route = { src: uri(next), dst: uri(next) };
  if (next() % 2) p.failureDetection = { type: next() % 2 ? 'ping' : 'ack', incarnation: { generation: u64(), version: u64() } };
  if (next() % 2) p.dissemination = list();
  if (next() % 2) p.antiEntropy = list();
  if (next() % 2) p.quit = { generation: u64(), version: u64() };
  return p;
}

// Values the checked path judges in every way it can: valid, invalid, and the ones a
// careless fast path would get wrong (non-ASCII digits, lossy latin1, lone surrogates...).
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

function pick<T>(next: () => number, list: readonly T[]): T {
  return list[next() % list.length];
}

function mutate(next: () => number, p: Packet & Record<string, unknown>): void {
  const members = [p.dissemination as unknown, p.antiEntropy as unknown]
    .flatMap((list) => (Array.isArray(list) ? (list as unknown[]) : []))
    .filter((m): m is Record<string, unknown> => typeof m === 'object' && m !== null && !Array.isArray(m));
  const member = () => ({ status: 'alive', uri: '1.2.3.4:5', uuid: UUIDS[0], incarnation: { generation: 1n, version: 2n } }) as MemberRecord;
  const meta = p.meta as unknown as Record<string, unknown>;
  switch (next() % 16) {
    case 0: meta.uri = pick(next, ADDRS); break;
    case 1: meta.version = pick(next, [0, 1, 2 ** 32 - 1, 2 ** 32, 1.5, '1', NaN, -1, null]); break;
    case 2: meta.route = pick(next, [undefined, null, {}, [], { src: pick(next, ADDRS), dst: pick(next, ADDRS) }]); break;
    case 3: p.source = pick(next, UUIDS) as string; break;
    case 4: p.failureDetection = pick(next, [undefined, null, {}, { type: pick(next, ['ping', 'ack', 'PING', 1, undefined]), incarnation: { generation: pick(next, U64S), version: pick(next, U64S) } }]) as Packet['failureDetection']; break;
    case 5: p.quit = pick(next, [undefined, null, [], { generation: pick(next, U64S), version: pick(next, U64S) }, { generation: 1n }]) as Packet['quit']; break;
    case 6: p.dissemination = pick(next, LISTS(member)) as MemberRecord[]; break;
    case 7: p.antiEntropy = pick(next, LISTS(member)) as MemberRecord[]; break;
    default: {
      if (members.length === 0) {
        p.dissemination = [member()];
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

describe('encodePacket fast path', () => {
  it('takes no detour through the checked path for valid packets, and writes the same bytes', () => {
    const next = prng(0x5eed);
    countChecked();
    for (let i = 0; i < 300; i++) {
      const p = randomPacket(next, 8);
      const maxSize = next() % 2 ? undefined : 65507;
      expect(outcome(() => encodePacket(p, { maxSize }))).toEqual(outcome(() => checked(p, maxSize)));
    }
    // Packets over 1440 bytes included: the fast path reports ERR_SWIM_ENCODE itself.
    expect(checkedCalls).toBe(0);
  });

  it('same bytes or the same error as the checked path for mutated packets', () => {
    const seed = seedFromEnv();
    const next = prng(seed);
    const kinds = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const p = randomPacket(next, 3);
      for (let k = 1 + (next() % 2); k > 0; k--) mutate(next, p);
      const maxSize = pick(next, [undefined, undefined, 65507, 200, 1, 0, 1.5, 70000, '100', null]);
      const fast = outcome(() => encodePacket(p, maxSize === undefined ? undefined : { maxSize: maxSize as number }));
      const slow = outcome(() => checked(p, maxSize));
      expect(fast, `[SWIM_SEED=${seed}] case ${i}`).toEqual(slow);
      kinds.add('hex' in fast ? 'ok' : 'code' in fast ? fast.code : 'thrown');
    }
    expect([...kinds].sort()).toEqual(['ERR_SWIM_ENCODE', 'ERR_SWIM_INVALID_ARG', 'ERR_SWIM_PAYLOAD_TOO_LARGE', 'ok']);
  });

  it('every value list entry alone, in a member and in meta', () => {
    const base = (): Packet & Record<string, unknown> => randomPacket(prng(7), 0);
    const cases: Array<(p: Record<string, unknown>) => void> = [];
    for (const a of ADDRS) cases.push((p) => { (p.meta as Record<string, unknown>).uri = a; });
    for (const u of UUIDS) cases.push((p) => { p.source = u; });
    const withMember = (field: string, v: unknown) => (p: Record<string, unknown>) => {
      p.antiEntropy = [{ status: 'alive', uri: '1.2.3.4:5', uuid: UUIDS[0], incarnation: { generation: 1n, version: 1n }, [field]: v }];
    };
    for (const a of ADDRS) cases.push(withMember('uri', a));
    for (const u of UUIDS) cases.push(withMember('uuid', u));
    for (const s of STATUSES) cases.push(withMember('status', s));
    for (const v of PAYLOADS) cases.push(withMember('payload', v));
    for (const v of U64S) cases.push((p) => { p.quit = { generation: v, version: 0n }; });
    for (const v of U64S) cases.push((p) => { p.quit = { generation: 0n, version: v }; });
    for (const mutateOne of cases) {
      const p = base();
      mutateOne(p);
      expect(outcome(() => encodePacket(p, { maxSize: 4000 }))).toEqual(outcome(() => checked(p, 4000)));
    }
  });

  it('a detached payload encodes as an empty one, as the checked path does', () => {
    const p = randomPacket(prng(3), 0);
    p.dissemination = [{ status: 'alive', uri: '1.2.3.4:5', uuid: UUIDS[0] as string, incarnation: { generation: 1n, version: 1n }, payload: detached }];
    const out = decodePacket(encodePacket(p));
    expect(out.dissemination![0].payload).toEqual(Buffer.alloc(0));
  });

  it('getters run once each, in the checked path order', () => {
    const log: string[] = [];
    const spy = <T extends object>(name: string, target: T): T =>
      new Proxy(target, {
        get(t, key, r) {
          if (typeof key === 'string') log.push(`${name}.${key}`);
          return Reflect.get(t, key, r);
        },
      });
    const build = () =>
      spy('packet', {
        meta: spy('meta', { version: 1, uri: '1.2.3.4:5', route: spy('route', { src: '1.1.1.1:1', dst: '2.2.2.2:2' }) }),
        source: UUIDS[0],
        failureDetection: spy('fd', { type: 'ping', incarnation: spy('inc', { generation: 1n, version: 2n }) }),
        dissemination: [spy('m', { status: 'alive', uri: '1.2.3.4:5', uuid: UUIDS[0], incarnation: { generation: 1n, version: 2n }, payload: Buffer.from('p') })],
        quit: spy('quit', { generation: 3n, version: 4n }),
      });
    checked(build());
    const expected = log.splice(0);
    countChecked();
    encodePacket(build() as Packet);
    expect(checkedCalls).toBe(0);
    expect(log).toEqual(expected);
    expect(expected).toContain('m.payload');
  });

  it('a getter that throws after an invalid URI: the URI error wins, as in the checked path', () => {
    const boom = new Error('boom');
    const p = randomPacket(prng(11), 0);
    p.meta.uri = '1.2.3.4:0';
    Object.defineProperty(p, 'failureDetection', { get: () => { throw boom; } });
    expect(outcome(() => encodePacket(p))).toEqual({ code: 'ERR_SWIM_INVALID_ARG', message: 'packet.meta.uri must have a non-zero IP and port' });
    p.meta.uri = '1.2.3.4:1';
    expect(outcome(() => encodePacket(p))).toEqual({ thrown: boom });
  });

  it('a getter that encodes another packet while the walk runs (reentrancy)', () => {
    const inner = randomPacket(prng(5), 4);
    let innerBytes: Buffer | undefined;
    const p = randomPacket(prng(6), 4);
    const m = { status: 'alive', uuid: UUIDS[0], incarnation: { generation: 1n, version: 1n } } as unknown as MemberRecord;
    Object.defineProperty(m, 'uri', {
      enumerable: true,
      get: () => {
        innerBytes = encodePacket(inner, { maxSize: 65507 });
        return '9.9.9.9:9';
      },
    });
    p.antiEntropy = [m, ...(p.antiEntropy ?? [])];
    const bytes = encodePacket(p, { maxSize: 65507 });
    expect(Buffer.from(innerBytes!)).toEqual(Buffer.from(checked(inner, 65507)));
    expect(decodePacket(bytes).antiEntropy![0].uri).toBe('9.9.9.9:9');
    expect(Buffer.from(bytes)).toEqual(Buffer.from(checked(p, 65507)));
  });

  it('member lists longer than the scratch first holds', () => {
    const p = randomPacket(prng(9), 0);
    const next = prng(10);
    p.dissemination = randomPacket(next, 0).dissemination ?? [];
    p.antiEntropy = Array.from({ length: 600 }, (_, i) => ({
      status: 'alive' as const,
      uri: uri(next),
      uuid: hexUuid(next),
      incarnation: { generation: BigInt(i), version: 1n },
      payload: Buffer.alloc(i % 3 === 0 ? 40 : 0, i),
    }));
    const bytes = encodePacket(p, { maxSize: 65507 });
    expect(Buffer.from(bytes)).toEqual(Buffer.from(checked(p, 65507)));
    expect(decodePacket(bytes)).toStrictEqual(p);
  });
});

describe('decodePacket fast path', () => {
  it('objects with the same keys, in the same order, as the native builder made them', () => {
    const p = encodePacket({
      meta: { version: 9, uri: '1.2.3.4:5', route: { src: '1.1.1.1:1', dst: '2.2.2.2:2' } },
      source: UUIDS[0] as string,
      failureDetection: { type: 'ack', incarnation: { generation: 1n, version: 2n } },
      dissemination: [{ status: 'dead', uri: '3.3.3.3:3', uuid: UUIDS[0] as string, incarnation: { generation: 3n, version: 4n }, payload: Buffer.from('z') }],
      antiEntropy: [{ status: 'left', uri: '4.4.4.4:4', uuid: UUIDS[0] as string, incarnation: { generation: 5n, version: 6n } }],
      quit: { generation: 7n, version: 8n },
    });
    const d = decodePacket(p);
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
    const p = randomPacket(prng(12), 0);
    p.dissemination = [
      { status: 'alive', uri: '1.2.3.4:5', uuid: UUIDS[0] as string, incarnation: { generation: 1n, version: 1n }, payload: Buffer.from('first') },
      { status: 'alive', uri: '1.2.3.4:6', uuid: UUIDS[0] as string, incarnation: { generation: 1n, version: 1n }, payload: Buffer.alloc(0) },
      { status: 'alive', uri: '1.2.3.4:7', uuid: UUIDS[0] as string, incarnation: { generation: 1n, version: 1n }, payload: Buffer.from('third') },
    ];
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

  it('many members: the scratch grows, results stay exact', () => {
    const next = prng(13);
    const p = randomPacket(next, 0);
    p.antiEntropy = Array.from({ length: 1000 }, (_, i) => ({
      status: (['alive', 'suspected', 'dead', 'left'] as const)[i % 4],
      uri: uri(next),
      uuid: hexUuid(next),
      incarnation: { generation: 2n ** 64n - 1n - BigInt(i), version: BigInt(i) },
    }));
    const bytes = encodePacket(p, { maxSize: 65507 });
    expect(decodePacket(bytes)).toStrictEqual(p);
    // And a small packet right after, with the grown scratch.
    const small = randomPacket(next, 2);
    expect(decodePacket(encodePacket(small))).toStrictEqual(small);
  });

  it('rejections and argument errors are unchanged', () => {
    expect(() => decodePacket(new Uint16Array(2) as unknown as Uint8Array)).toThrow(SwimError);
    let err: unknown;
    try {
      decodePacket(Buffer.from([0x90]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SwimError);
    expect((err as SwimError).code).toBe('ERR_SWIM_DECODE');
    expect((err as SwimError).message).toBe('invalid SWIM packet: bad type at meta');
  });
});
