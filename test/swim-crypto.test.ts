// Encryption at the Swim level (real UDP on 127.0.0.1): the `codec` option and setCodec(),
// encrypted clusters, members with a wrong key or no key staying out, drops counted by
// reason, tampered packets never delivered, and a live AES-GCM key rotation in a 5-member
// cluster with no member ever suspected.
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MemberEvent, PacketCipher, Swim, SwimError, type CodecConfig, type SwimOptions, type SwimStats } from '../src/index';
import { waitFor } from './helpers/wait';
import { expectSwimError } from './helpers/errors';

const open: Swim[] = [];

function make(options: Partial<SwimOptions> = {}): Swim {
  const s = new Swim({ uri: '127.0.0.1:0', heartbeatRate: 0.1, ackTimeout: 1, ...options });
  open.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const port = (s: Swim): number => Number(s.uri.split(':')[1]);
const totalDrops = (s: SwimStats): number => Object.values(s.cipherDrops).reduce((a, b) => a + b, 0);
const NO_CIPHER_DROPS = { too_short: 0, decrypt_failed: 0, auth_failed: 0, unknown_key: 0, unknown_version: 0, replay: 0 };

/** Every member sees exactly `members`, all alive. */
function fullmesh(members: Swim[]): boolean {
  return members.every(
    (m) => m.size === members.length && members.every((o) => m.member(o.uuid)?.status === 'alive'),
  );
}

/** Chain bootstrap (each adds the previous), then waits for the full mesh. */
async function cluster(n: number, options: Partial<SwimOptions>, what: string): Promise<Swim[]> {
  const ms = Array.from({ length: n }, () => make(options));
  for (let i = 1; i < n; i++) ms[i].addMember({ uri: ms[i - 1].uri, uuid: ms[i - 1].uuid });
  await waitFor(() => fullmesh(ms), 15_000, { what: `${what}: fullmesh of ${n}` });
  return ms;
}

/** Waits until every member has received `n` more acks than in `before`: traffic flows. */
async function acksFlow(ms: Swim[], n: number, what: string): Promise<void> {
  const before = ms.map((m) => m.stats().acksReceived);
  await waitFor(() => ms.every((m, i) => m.stats().acksReceived >= before[i] + n), 10_000, { what });
}

/** Records every member event seen by `observers`, from now on. */
function recordEvents(observers: Swim[]): { observer: number; uuid: string; status: string; drop: boolean }[] {
  const log: { observer: number; uuid: string; status: string; drop: boolean }[] = [];
  observers.forEach((m, i) =>
    m.on('member', (ev: MemberEvent) => log.push({ observer: i, uuid: ev.member.uuid, status: ev.member.status, drop: ev.isDrop })),
  );
  return log;
}

async function udpSocket(): Promise<{ sock: Socket; port: number; inbox: Buffer[]; close(): Promise<void> }> {
  const sock = createSocket('udp4');
  const inbox: Buffer[] = [];
  sock.on('message', (data) => inbox.push(data));
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => resolve());
  });
  return { sock, port: sock.address().port, inbox, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

function send(sock: Socket, data: Buffer, to: number): Promise<void> {
  return new Promise((resolve, reject) => sock.send(data, to, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

describe('configuration', () => {
  it('the codec option and setCodec() validate with ERR_SWIM_CONFIG and a clear message', () => {
    const cases: [unknown, RegExp][] = [
      [{ algo: 'aes256', mode: 'cbc', key: randomBytes(31) }, /aes256 key must be exactly 32 bytes, got 31/],
      [{ algo: 'aes128', key: 'too short' }, /aes128 key must be exactly 16 bytes, got 9/],
      [{ algo: 'aes192', mode: 'ctr', key: randomBytes(24) }, /unknown mode "ctr"/],
      [{ algo: 'des', key: randomBytes(8) }, /unknown algo "des"/],
      [{ algo: 'aes-gcm', keys: [] }, /keyring is empty/],
      [{ algo: 'aes-gcm', keys: [randomBytes(20)] }, /keys\[0\].*16, 24 or 32 bytes, got 20/],
      [{ algo: 'aes-gcm', keys: Array.from({ length: 17 }, () => randomBytes(16)) }, /at most 16 keys/],
      [{ algo: 'aes-gcm', key: randomBytes(16) }, /unknown option 'key'/],
      [{ algo: 'aes128', key: 42 }, /key must be a Uint8Array or a string/],
      ['aes256', /expected an object/],
    ];
    const s = make();
    for (const [config, message] of cases) {
      const e1 = expectSwimError(() => make({ codec: config as CodecConfig }), 'ERR_SWIM_CONFIG', { message });
      expect(e1.message).toMatch(/^codec[.:]/);
      const e2 = expectSwimError(() => s.setCodec(config as CodecConfig), 'ERR_SWIM_CONFIG', { message });
      expect(e2.message).toMatch(/^setCodec[.:]/);
    }
    // Failed calls changed nothing.
    expect(s.config.codec).toBe('none');
    expect(open).toHaveLength(1);
  });

  it('config.codec names the codec in use, never its keys', () => {
    const s = make({ codec: { algo: 'aes192', mode: 'ofb', key: randomBytes(24) } });
    expect(s.config.codec).toBe('aes192-ofb');
    s.setCodec({ algo: 'aes128', key: randomBytes(16) });
    expect(s.config.codec).toBe('aes128-cbc'); // Tarantool's default mode
    s.setCodec({ algo: 'aes-gcm', keys: [randomBytes(32), randomBytes(16)] });
    expect(s.config.codec).toBe('aes-gcm');
    s.setCodec({ algo: 'none' });
    expect(s.config.codec).toBe('none');
    expect(make({ codec: { algo: 'none' } }).config.codec).toBe('none');
  });

  it('setCodec() on a closed instance throws ERR_SWIM_CLOSED', async () => {
    const s = make();
    await s.close();
    expectSwimError(() => s.setCodec({ algo: 'none' }), 'ERR_SWIM_CLOSED');
  });

  it("keys are copied: the caller's buffers are neither wiped nor read later", async () => {
    const key = randomBytes(32);
    const saved = Buffer.from(key);
    const ring = [randomBytes(16)];
    const savedRing = Buffer.from(ring[0]);
    const a = make({ codec: { algo: 'aes256', mode: 'cfb', key } });
    const b = make();
    b.setCodec({ algo: 'aes-gcm', keys: ring });
    expect(key.equals(saved)).toBe(true);
    expect(ring[0].equals(savedRing)).toBe(true);
    // Scribbling on the caller's buffers after the call changes nothing: b and a (with the
    // saved key) still talk.
    a.setCodec({ algo: 'aes-gcm', keys: [savedRing] });
    ring[0].fill(7);
    key.fill(7);
    a.addMember({ uri: b.uri, uuid: b.uuid });
    await waitFor(() => fullmesh([a, b]), 10_000, { what: 'a and b talk with the copied key' });
  });
});

describe('encrypted clusters', () => {
  const codecs: [string, () => CodecConfig][] = [
    ['aes128-ecb', () => ({ algo: 'aes128', mode: 'ecb', key: randomBytes(16) })],
    ['aes256-cbc', () => ({ algo: 'aes256', mode: 'cbc', key: randomBytes(32) })],
    ['aes192-cfb', () => ({ algo: 'aes192', mode: 'cfb', key: randomBytes(24) })],
    ['aes128-ofb', () => ({ algo: 'aes128', mode: 'ofb', key: randomBytes(16) })],
    ['aes-gcm', () => ({ algo: 'aes-gcm', keys: [randomBytes(32)] })],
  ];
  for (const [name, config] of codecs) {
    it(`${name}: three members with the same codec reach a full mesh; nothing is dropped`, async () => {
      const codec = config();
      const ms = await cluster(3, { codec }, name);
      await acksFlow(ms, 5, `${name}: acks keep coming`);
      for (const m of ms) {
        const s = m.stats();
        expect(m.config.codec).toBe(name);
        expect(s.cipherDrops).toEqual(NO_CIPHER_DROPS);
        expect(s.packetsDropped).toBe(0);
        expect(s.transformDrops).toBe(0);
        expect(s.sealErrors).toBe(0);
      }
    });
  }

  it('the datagrams on the wire are encrypted: what a Swim sends does not decode as plain text', async () => {
    // A plain member receives an encrypted member's pings: its packet decoder rejects them.
    const plain = make();
    const enc = make({ codec: { algo: 'aes-gcm', keys: [randomBytes(16)] } });
    enc.addMember({ uri: plain.uri, uuid: plain.uuid });
    await waitFor(() => plain.stats().packetsDropped >= 3, 10_000, { what: 'plain member drops encrypted pings' });
    expect(plain.stats().pingsReceived).toBe(0);
    expect(plain.member(enc.uuid)).toBeUndefined();
  });

  // Intruders: a member with a wrong key (or none) tries to join a cluster. It keeps
  // pinging its one known member (every round at heartbeatRate 0.1 s); we first wait until
  // the cluster has rejected several of its packets (so it provably tried), then keep
  // watching for a bounded window: 2 s = 20 protocol rounds, during which a valid member
  // would have been added within one round trip (milliseconds on loopback). Every variant
  // runs at once so the whole test costs one window.
  it('a member with a wrong key or no codec never joins; drops are counted by reason', async () => {
    const WINDOW_MS = 2000;
    const gcmKey = randomBytes(32);
    const cbcKey = randomBytes(16);
    const cfbKey = randomBytes(24);
    const variants = [
      {
        name: 'aes-gcm, wrong key',
        codec: { algo: 'aes-gcm', keys: [gcmKey] } as CodecConfig,
        intruder: { algo: 'aes-gcm', keys: [randomBytes(32)] } as CodecConfig,
        reason: 'unknown_key',
      },
      {
        // The plain datagram starts with a MessagePack map, never the format version 1.
        name: 'aes-gcm, no codec',
        codec: { algo: 'aes-gcm', keys: [gcmKey] } as CodecConfig,
        intruder: { algo: 'none' } as CodecConfig,
        reason: 'unknown_version',
      },
      {
        // A wrong key fails the PKCS#7 padding check, except about 1 in 256 packets that
        // decrypt to junk the packet decoder rejects.
        name: 'aes128-cbc, wrong key',
        codec: { algo: 'aes128', mode: 'cbc', key: cbcKey } as CodecConfig,
        intruder: { algo: 'aes128', mode: 'cbc', key: randomBytes(16) } as CodecConfig,
        reason: 'decrypt_failed',
      },
      {
        // Stream modes decrypt anything: the junk is rejected by the packet decoder.
        name: 'aes192-cfb, wrong key',
        codec: { algo: 'aes192', mode: 'cfb', key: cfbKey } as CodecConfig,
        intruder: { algo: 'aes192', mode: 'cfb', key: randomBytes(24) } as CodecConfig,
        reason: 'decoder',
      },
    ];
    const setups = await Promise.all(
      variants.map(async (v) => {
        const ms = await cluster(2, { codec: v.codec }, v.name);
        const events = recordEvents(ms);
        const intruder = make({ codec: v.intruder });
        const intruderEvents = recordEvents([intruder]);
        // The intruder knows the first member; the second member probes the intruder.
        intruder.addMember({ uri: ms[0].uri, uuid: ms[0].uuid });
        ms[1].probeMember(intruder.uri);
        const rejected = (m: Swim): number =>
          v.reason === 'decoder' ? m.stats().packetsDropped : m.stats().cipherDrops[v.reason as keyof SwimStats['cipherDrops']];
        await waitFor(() => rejected(ms[0]) >= 5, 10_000, { what: `${v.name}: the cluster rejects the intruder's pings` });
        return { v, ms, events, intruder, intruderEvents, rejected };
      }),
    );
    const deadline = Date.now() + WINDOW_MS;
    while (Date.now() < deadline) {
      for (const { v, ms, intruder } of setups) {
        for (const m of ms) expect(m.member(intruder.uuid), `${v.name}: intruder in the table`).toBeUndefined();
        expect(fullmesh(ms), `${v.name}: the cluster stays whole`).toBe(true);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const { v, ms, events, intruder, intruderEvents, rejected } of setups) {
      // The cluster never heard of the intruder, and only ever saw itself alive.
      expect(events.filter((e) => e.uuid === intruder.uuid), v.name).toEqual([]);
      expect(events.filter((e) => e.status !== 'alive'), v.name).toEqual([]);
      // Nothing crossed either way: the intruder never got an ack nor a ping it could read,
      // and never learnt of the second member.
      const is = intruder.stats();
      expect(is.acksReceived, `${v.name}: intruder got an ack`).toBe(0);
      expect(is.pingsReceived, `${v.name}: intruder got a ping`).toBe(0);
      expect(intruderEvents.filter((e) => e.uuid !== ms[0].uuid && e.uuid !== intruder.uuid), v.name).toEqual([]);
      // It kept trying during the whole window (about 10 pings a second).
      expect(rejected(ms[0]), v.name).toBeGreaterThan(10);
      // The second member's probe reached the intruder and was rejected there.
      expect(totalDrops(is) + is.packetsDropped, `${v.name}: intruder side`).toBeGreaterThan(0);
      if (v.reason === 'unknown_key') expect(is.cipherDrops.unknown_key, `${v.name}: intruder side`).toBeGreaterThan(0);
      // Only the expected reason (cbc: plus the rare padding-valid junk, in the decoder).
      const s = ms[0].stats();
      for (const [reason, n] of Object.entries(s.cipherDrops))
        if (reason !== v.reason) expect(n, `${v.name}: ${reason}`).toBe(0);
      if (v.reason === 'decrypt_failed') expect(s.packetsDropped).toBeLessThan(s.cipherDrops.decrypt_failed);
      if (v.reason === 'decoder') expect(totalDrops(s)).toBe(0);
      else expect(s.transformDrops).toBe(totalDrops(s));
    }
  });

  it('setCodec() at run time: one side switched cuts the pair, both switched restores it', async () => {
    // gcMode 'off' and ackTimeout 1 s: the brief gap must not make them forget each other.
    const [a, b] = await cluster(2, { gcMode: 'off' }, 'plain pair');
    const key = randomBytes(16);

    a.setCodec({ algo: 'aes-gcm', keys: [key] });
    // a now rejects b's plain pings (unknown_version), b's decoder rejects a's.
    await waitFor(() => a.stats().cipherDrops.unknown_version > 0 && b.stats().packetsDropped > 0, 10_000, {
      what: 'a and b reject each other',
    });
    b.setCodec({ algo: 'aes-gcm', keys: [key] });
    await acksFlow([a, b], 5, 'aes-gcm both sides');
    await waitFor(() => fullmesh([a, b]), 10_000, { what: 'alive again under aes-gcm' });

    // Tarantool's codec, switched on both back to back.
    const tkey = randomBytes(32);
    a.setCodec({ algo: 'aes256', mode: 'ofb', key: tkey });
    b.setCodec({ algo: 'aes256', mode: 'ofb', key: tkey });
    await acksFlow([a, b], 5, 'aes256-ofb both sides');

    // And back to plain text: nothing is rejected any more.
    a.setCodec({ algo: 'none' });
    b.setCodec({ algo: 'none' });
    await acksFlow([a, b], 3, 'plain again');
    const drops = [a.stats(), b.stats()].map((s) => [totalDrops(s), s.packetsDropped]);
    await acksFlow([a, b], 5, 'plain, steady');
    expect([a.stats(), b.stats()].map((s) => [totalDrops(s), s.packetsDropped])).toEqual(drops);
    await waitFor(() => fullmesh([a, b]), 10_000, { what: 'alive in plain text' });
  });
});

describe('AES-GCM: tampered packets', () => {
  it('every single-bit flip of a captured datagram is rejected with its reason and never delivered', async () => {
    const key = randomBytes(32);
    const sender = make({ codec: { algo: 'aes-gcm', keys: [key] } });
    const receiver = make({ codec: { algo: 'aes-gcm', keys: [key] } });
    const raw = await udpSocket();
    try {
      // Capture a real ping: the sender probes the raw socket.
      sender.probeMember(`127.0.0.1:${raw.port}`);
      const captured = await waitFor(() => raw.inbox[0], 10_000, { what: 'a captured datagram' });
      expect(captured[0]).toBe(1); // format version

      const variants: Buffer[] = [];
      for (let bit = 0; bit < captured.length * 8; bit++) {
        const t = Buffer.from(captured);
        t[bit >> 3] ^= 1 << (bit & 7);
        variants.push(t);
      }
      // Replayed garbage: truncations and random bytes behind a valid-looking header.
      const truncated = [0, 1, 4, 16, 32, captured.length - 1].map((n) => captured.subarray(0, n));
      const garbage = Array.from({ length: 20 }, (_, i) => {
        const g = randomBytes(40 + i * 13);
        captured.copy(g, 0, 0, 4); // version and the real key id: only the tag can tell
        return g;
      });
      const all = [...variants, ...truncated.slice(1), ...garbage];
      // In batches, each fully counted before the next: no loss to a full socket buffer.
      for (let i = 0; i < all.length; i += 64) {
        const batch = all.slice(i, i + 64);
        for (const d of batch) await send(raw.sock, d, port(receiver));
        const want = Math.min(i + 64, all.length);
        await waitFor(() => receiver.stats().transformDrops >= want, 10_000, { what: `${want} datagrams rejected` });
      }
      // An empty datagram: the socket delivers it, the cipher calls it too short.
      await send(raw.sock, truncated[0], port(receiver));
      await waitFor(() => receiver.stats().transformDrops === all.length + 1, 10_000, { what: 'empty datagram' });

      const s = receiver.stats();
      const bytes = captured.length;
      expect(bytes - 1).toBeGreaterThan(32); // the one-byte-short copy still has a tag to check
      expect(s.cipherDrops).toEqual({
        too_short: 5, // 0, 1, 4, 16, 32 bytes: shorter than header + nonce + tag + 1
        decrypt_failed: 0,
        // every flip past the 4-byte header, the garbage, the one-byte-short copy
        auth_failed: (bytes - 4) * 8 + garbage.length + 1,
        unknown_key: 3 * 8, // a flip in the key id names no key of the ring
        unknown_version: 8, // a flip in the version byte
        replay: 0, // only authentic datagrams enter the replay window
      });
      expect(s.packetsReceived).toBe(0);
      expect(s.pingsReceived).toBe(0);
      expect(s.packetsDropped).toBe(0);
      expect(receiver.size).toBe(1);
      expect(receiver.member(sender.uuid)).toBeUndefined();

      // Control: the untampered datagram is delivered (the capture was a valid ping).
      await send(raw.sock, captured, port(receiver));
      await waitFor(() => receiver.stats().pingsReceived === 1, 10_000, { what: 'the original ping delivered' });
    } finally {
      await raw.close();
    }
  });
});

describe('AES-GCM: replays', () => {
  it('a captured datagram sent twice is delivered once; the copy is dropped as a replay', async () => {
    const key = randomBytes(32);
    const sender = make({ codec: { algo: 'aes-gcm', keys: [key] } });
    const receiver = make({ codec: { algo: 'aes-gcm', keys: [key] } });
    const raw = await udpSocket();
    try {
      // Two real pings, then the sender goes: nothing but our copies reaches the receiver.
      sender.probeMember(`127.0.0.1:${raw.port}`);
      await waitFor(() => raw.inbox.length >= 1, 10_000, { what: 'a captured datagram' });
      sender.probeMember(`127.0.0.1:${raw.port}`);
      await waitFor(() => raw.inbox.length >= 2, 10_000, { what: 'a second captured datagram' });
      await sender.close();
      const [captured, fresh] = raw.inbox;
      expect(fresh.subarray(4, 16).equals(captured.subarray(4, 16))).toBe(false); // fresh nonce

      await send(raw.sock, captured, port(receiver));
      await waitFor(() => receiver.stats().pingsReceived === 1, 10_000, { what: 'the ping delivered' });
      await send(raw.sock, captured, port(receiver));
      await waitFor(() => receiver.stats().cipherDrops.replay === 1, 10_000, { what: 'the copy dropped' });
      // A new key ring that keeps the key keeps the window: the copy stays out.
      receiver.setCodec({ algo: 'aes-gcm', keys: [randomBytes(16), key] });
      await send(raw.sock, captured, port(receiver));
      await waitFor(() => receiver.stats().cipherDrops.replay === 2, 10_000, { what: 'the copy dropped after setCodec' });
      // Another datagram of the same sender and key still gets through, once.
      await send(raw.sock, fresh, port(receiver));
      await waitFor(() => receiver.stats().pingsReceived === 2, 10_000, { what: 'the other ping delivered' });
      await send(raw.sock, fresh, port(receiver));
      await waitFor(() => receiver.stats().cipherDrops.replay === 3, 10_000, { what: 'its copy dropped' });
      const s = receiver.stats();
      expect(s.cipherDrops).toEqual({ ...NO_CIPHER_DROPS, replay: 3 });
      expect(s.transformDrops).toBe(3);
      expect(s.pingsReceived).toBe(2);
      expect(s.packetsReceived).toBe(2);
      // PacketCipher has no window: it opens a datagram as often as it is given.
      const cipher = new PacketCipher({ algo: 'aes-gcm', keys: [key] });
      expect(Buffer.isBuffer(cipher.tryOpen(captured))).toBe(true);
      expect(Buffer.isBuffer(cipher.tryOpen(captured))).toBe(true);
    } finally {
      await raw.close();
    }
  });
});

describe('AES-GCM: live key rotation', () => {
  it('5 members rotate keys (add new, switch primary, remove old) with no member ever suspected', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(16);
    const ms = await cluster(5, { codec: { algo: 'aes-gcm', keys: [oldKey] } }, 'rotation');
    // Every status change anyone sees from here on.
    const events = recordEvents(ms);
    await acksFlow(ms, 5, 'before rotation');

    const steps: [string, Buffer[]][] = [
      ['1. new key added as an older key', [oldKey, newKey]],
      ['2. new key made primary', [newKey, oldKey]],
      ['3. old key removed', [newKey]],
    ];
    for (const [step, keys] of steps) {
      // One member at a time, as an operator would, letting the cluster run in the mixed
      // state for a few rounds each time.
      for (const [i, m] of ms.entries()) {
        m.setCodec({ algo: 'aes-gcm', keys });
        await acksFlow(ms, 2, `${step}, member ${i}`);
      }
      // Traffic keeps flowing between every pair: everyone keeps receiving acks and sees
      // everyone alive.
      await acksFlow(ms, 5, step);
      expect(fullmesh(ms), step).toBe(true);
      // Not one datagram was rejected by anyone, at any moment of the step.
      for (const m of ms) expect(m.stats().cipherDrops, step).toEqual(NO_CIPHER_DROPS);
    }
    expect(events.filter((e) => e.status !== 'alive' || e.drop)).toEqual([]);

    // The old key is really gone: a member still on it is rejected (unknown_key) and stays out.
    const stale = make({ codec: { algo: 'aes-gcm', keys: [oldKey] } });
    stale.addMember({ uri: ms[0].uri, uuid: ms[0].uuid });
    await waitFor(() => ms[0].stats().cipherDrops.unknown_key >= 3, 10_000, { what: 'old-key packets rejected' });
    expect(stale.stats().acksReceived).toBe(0);
    for (const m of ms) expect(m.member(stale.uuid)).toBeUndefined();
    expect(events.filter((e) => e.status !== 'alive' || e.drop)).toEqual([]);
  });
});
