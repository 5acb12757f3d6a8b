// The codec against a real peer: Tarantool 2.6's `swim` module, started by the test on
// 127.0.0.1. Every datagram Tarantool sends to a socket of the test must decode, to exactly
// the values Tarantool reports through its own Lua API; packets built by encodePacket must
// be understood by Tarantool (it acks, learns members, forwards routes, records quits).
import { randomUUID } from 'node:crypto';
import * as dgram from 'node:dgram';
import { pack, unpack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePacket, encodePacket, type MemberRecord, type Packet, type PacketInput } from '../src/index';
import { requireTarantool, startTarantool, type TarantoolInstance } from './helpers/tarantool';
import { waitFor } from './helpers/wait';

const tt = requireTarantool();

/** What harness.member() returns for one member of a Tarantool swim instance. */
interface TtMember {
  uri: string;
  uuid: string;
  status: 'alive' | 'suspected' | 'dead' | 'left';
  generation: string;
  version: string;
  payload_hex?: string;
}

interface Received {
  packet: Packet;
  from: string;
  at: number;
}

/** A UDP socket of the test on 127.0.0.1 that decodes everything it receives. */
class Peer {
  readonly received: Received[] = [];
  /** Datagrams that failed to decode: must stay empty, Tarantool only sends valid ones. */
  readonly undecodable: { error: string; hex: string }[] = [];
  readonly uuid = randomUUID();

  private constructor(private readonly sock: dgram.Socket) {
    sock.on('message', (msg, rinfo) => {
      try {
        this.received.push({ packet: decodePacket(msg), from: `${rinfo.address}:${rinfo.port}`, at: Date.now() });
      } catch (err) {
        this.undecodable.push({ error: (err as Error).message, hex: msg.toString('hex') });
      }
    });
  }

  static async open(): Promise<Peer> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, '127.0.0.1', () => resolve());
    });
    return new Peer(sock);
  }

  get uri(): string {
    return `127.0.0.1:${this.sock.address().port}`;
  }

  /** Resolves with the first packet received at or after index `since` that matches. */
  async next(pred: (p: Packet) => boolean, what: string, since = 0, timeoutMs = 10_000): Promise<Received> {
    return waitFor(() => this.received.slice(since).find((r) => pred(r.packet)), timeoutMs, { what });
  }

  send(packet: Packet | PacketInput, to: string): Promise<void> {
    const [host, port] = to.split(':');
    const buf = encodePacket(packet);
    return new Promise((resolve, reject) =>
      this.sock.send(buf, Number(port), host, (err) => (err ? reject(err) : resolve())),
    );
  }

  close(): void {
    this.sock.close();
  }
}

/** Tarantool's version id as its swim meta carries it: major << 16 | minor << 8 | patch. */
function versionId(tarantoolVersion: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(tarantoolVersion);
  if (!m) throw new Error(`unexpected tarantool version ${tarantoolVersion}`);
  return (Number(m[1]) << 16) | (Number(m[2]) << 8) | Number(m[3]);
}

/** The record as Tarantool's Lua API describes the member. */
function asTarantoolSees(r: MemberRecord): TtMember {
  const out: TtMember = {
    uri: r.uri,
    uuid: r.uuid,
    status: r.status,
    generation: r.incarnation.generation.toString(),
    version: r.incarnation.version.toString(),
  };
  if (r.payload) out.payload_hex = Buffer.from(r.payload).toString('hex');
  return out;
}

function hex(b: Uint8Array | undefined): string | undefined {
  return b === undefined ? undefined : Buffer.from(b).toString('hex');
}

const pingFrom = (uuid: string) => (p: Packet) => p.source === uuid && p.failureDetection?.type === 'ping';

describe.skipIf(!tt.available)('codec interop with Tarantool swim', () => {
  let t: TarantoolInstance;
  let wireVersion: number;
  const peers: Peer[] = [];
  let swimCount = 0;

  const peer = async () => {
    const p = await Peer.open();
    peers.push(p);
    return p;
  };

  /** Creates a Tarantool swim instance on 127.0.0.1 and returns its Lua global name. */
  const newSwim = async (cfg: { uuid: string; generation?: number; heartbeat?: number; ackTimeout?: number }) => {
    const name = `s${++swimCount}`;
    await t.eval(
      `local name, uuid, generation, heartbeat, ack_timeout = ...
       local s = require('swim').new(generation ~= nil and {generation = generation} or nil)
       assert(s:cfg({uri = '127.0.0.1:0', uuid = uuid, heartbeat_rate = heartbeat,
                     ack_timeout = ack_timeout, gc_mode = 'off'}))
       _G[name] = s`,
      name,
      cfg.uuid,
      cfg.generation ?? null,
      cfg.heartbeat ?? 0.1,
      cfg.ackTimeout ?? 30,
    );
    return name;
  };
  const self = (name: string) => t.eval<TtMember>(`return harness.member(${name}:self())`);
  const members = (name: string) => t.eval<TtMember[]>(`return harness.members(${name})`);
  const member = (name: string, uuid: string) =>
    t.eval<TtMember | undefined>(`return harness.member(${name}:member_by_uuid(...))`, uuid);
  const addMember = (name: string, p: Peer) =>
    t.eval(`assert(${name}:add_member({uri = select(1, ...), uuid = select(2, ...)}))`, p.uri, p.uuid);

  beforeAll(async () => {
    t = await startTarantool({ name: 'interop-codec' });
    wireVersion = versionId(await t.eval<string>('return _TARANTOOL'));
  });

  afterAll(async () => {
    for (const p of peers) p.close();
    await t?.stop();
    // Checked here too so that a bad datagram arriving late still fails the run.
    for (const p of peers) expect(p.undecodable).toEqual([]);
  });

  it('a ping from Tarantool decodes to its UUID, generation, payload and known members', async () => {
    const a = await peer();
    const b = await peer();
    const c = await peer();
    const uuid = randomUUID();
    const s = await newSwim({ uuid, generation: 42 });
    const payloadValue = ['hello', 1, 2.5, true, { k: 'v' }];
    await t.eval(`assert(${s}:set_payload({'hello', 1, 2.5, true, {k = 'v'}}))`);
    for (const p of [a, b, c]) await addMember(s, p);
    // Nothing changes from here on (ack timeout 30 s): the table is what every ping carries.
    const me = await self(s);
    const table = await members(s);
    expect(me.generation).toBe('42');
    expect(table).toHaveLength(4);

    const since = a.received.length;
    const { packet, from } = await a.next(pingFrom(uuid), 'a ping from tarantool', since);
    expect(from).toBe(me.uri);
    expect(packet.meta).toEqual({ version: wireVersion, uri: me.uri });
    expect(packet.source).toBe(uuid);
    expect(packet.failureDetection).toEqual({
      type: 'ping',
      incarnation: { generation: 42n, version: BigInt(me.version) },
    });
    expect(packet.quit).toBeUndefined();

    // Anti-entropy: with 4 members everything fits, so the section is the whole table.
    expect(packet.antiEntropy).toBeDefined();
    const ae = packet.antiEntropy!.map(asTarantoolSees);
    const byUuid = (x: TtMember, y: TtMember) => x.uuid.localeCompare(y.uuid);
    expect([...ae].sort(byUuid)).toEqual([...table].map(({ is_dropped, ...rest }: TtMember & { is_dropped?: boolean }) => rest).sort(byUuid));
    // Dissemination (possibly empty): each record is what the table says.
    for (const r of packet.dissemination ?? []) {
      const m = table.find((x) => x.uuid === r.uuid);
      expect(m, `disseminated ${r.uuid}`).toBeDefined();
      expect(asTarantoolSees(r)).toMatchObject({ uri: m!.uri, status: m!.status, generation: m!.generation, version: m!.version });
    }

    // The payload is the MsgPack Tarantool made of the Lua value, byte for byte.
    const selfRecord = packet.antiEntropy!.find((r) => r.uuid === uuid)!;
    expect(hex(selfRecord.payload)).toBe(me.payload_hex);
    expect(unpack(Buffer.from(selfRecord.payload!))).toEqual(payloadValue);
    // The silent members get pinged too, with the same view of the sender.
    const atB = await b.next(pingFrom(uuid), 'a ping at the second member');
    expect(atB.packet.meta.uri).toBe(me.uri);
    expect(atB.packet.failureDetection?.incarnation.generation).toBe(42n);
    await t.eval(`${s}:delete()`);
  });

  it('indirect pings carry the route; suspected and dead members are disseminated as such', async () => {
    const proxy = await peer();
    const silent = await peer();
    const uuid = randomUUID();
    const s = await newSwim({ uuid, generation: 1, heartbeat: 0.1, ackTimeout: 0.2 });
    await addMember(s, proxy);
    await addMember(s, silent);
    const me = await self(s);

    // Nobody acks: Tarantool asks the other member to ping the silent one for it.
    const indirect = await proxy.next(
      (p) => p.source === uuid && p.meta.route?.dst === silent.uri,
      'an indirect ping routed via the proxy',
    );
    expect(indirect.packet.meta).toEqual({ version: wireVersion, uri: me.uri, route: { src: me.uri, dst: silent.uri } });
    expect(indirect.packet.failureDetection?.type).toBe('ping');

    for (const status of ['suspected', 'dead'] as const) {
      const got = await proxy.next(
        (p) => p.source === uuid && !!p.dissemination?.some((r) => r.uuid === silent.uuid && r.status === status),
        `silent member disseminated as ${status}`,
      );
      const rec = got.packet.dissemination!.find((r) => r.uuid === silent.uuid && r.status === status)!;
      expect(rec.uri).toBe(silent.uri);
      expect(rec.incarnation).toEqual({ generation: 0n, version: 0n });
      expect(rec.payload).toBeUndefined();
    }
    // Tarantool's own view agrees by now (statuses only move forward here).
    expect((await member(s, silent.uuid))?.status).toBe('dead');
    await t.eval(`${s}:delete()`);
  });

  it('quit: Tarantool sends {source, quit incarnation} to every member', async () => {
    const a = await peer();
    const uuid = randomUUID();
    const s = await newSwim({ uuid, generation: 9, heartbeat: 1 });
    await t.eval(`assert(${s}:set_payload_raw('x'))`); // bumps the version: quit must carry it
    await addMember(s, a);
    const me = await self(s);
    expect(me.version).not.toBe('0');
    const since = a.received.length;
    await t.eval(`${s}:quit()`);
    const { packet } = await a.next((p) => p.source === uuid && p.quit !== undefined, 'a quit packet', since);
    expect(packet).toEqual({
      meta: { version: wireVersion, uri: me.uri },
      source: uuid,
      quit: { generation: 9n, version: BigInt(me.version) },
    });
  });

  it('a ping built by encodePacket is answered by an ack, and Tarantool learns the sender', async () => {
    const a = await peer();
    const uuid = randomUUID();
    const s = await newSwim({ uuid, generation: 5, heartbeat: 1 });
    const me = await self(s);
    const payload = pack({ role: 'node', port: 3301 });
    const inc = { generation: 3n, version: 1n };
    await a.send(
      {
        meta: { version: 0x020600, uri: a.uri },
        source: a.uuid,
        failureDetection: { type: 'ping', incarnation: inc },
        antiEntropy: [{ status: 'alive', uri: a.uri, uuid: a.uuid, incarnation: inc, payload }],
      },
      me.uri,
    );
    const { packet, from } = await a.next(
      (p) => p.source === uuid && p.failureDetection?.type === 'ack',
      'an ack from tarantool',
    );
    expect(from).toBe(me.uri);
    expect(packet.meta).toEqual({ version: wireVersion, uri: me.uri });
    expect(packet.failureDetection?.incarnation).toEqual({ generation: 5n, version: BigInt(me.version) });
    // Push-pull: the ack carries Tarantool's view, which now includes us.
    const us = [...(packet.antiEntropy ?? []), ...(packet.dissemination ?? [])].find((r) => r.uuid === a.uuid);
    expect(us, 'our record in the ack').toBeDefined();
    expect(us!.uri).toBe(a.uri);
    expect(us!.incarnation).toEqual(inc);

    const learned = await waitFor(() => member(s, a.uuid), 5000, { what: 'tarantool to add the sender' });
    expect(learned).toMatchObject({ uri: a.uri, status: 'alive', generation: '3', version: '1' });
    expect(learned.payload_hex).toBe(Buffer.from(payload).toString('hex'));
    await t.eval(`${s}:delete()`);
  });

  it('a member we disseminate is probed by Tarantool and added once it acks', async () => {
    const a = await peer();
    const m = await peer();
    const uuid = randomUUID();
    const s = await newSwim({ uuid, generation: 1, heartbeat: 1 });
    const me = await self(s);
    const mInc = { generation: 7n, version: 2n };
    await a.send(
      {
        meta: { version: 0x020600, uri: a.uri },
        source: a.uuid,
        failureDetection: { type: 'ping', incarnation: { generation: 1n, version: 0n } },
        dissemination: [{ status: 'alive', uri: m.uri, uuid: m.uuid, incarnation: mInc }],
      },
      me.uri,
    );
    // Heard second-hand: Tarantool pings it first and does not add it yet.
    const probe = await m.next(pingFrom(uuid), 'tarantool probing the disseminated member');
    expect(probe.packet.meta.uri).toBe(me.uri);
    expect(await member(s, m.uuid)).toBeUndefined();

    await m.send(
      { meta: { version: 0x020600, uri: m.uri }, source: m.uuid, failureDetection: { type: 'ack', incarnation: mInc } },
      me.uri,
    );
    const added = await waitFor(() => member(s, m.uuid), 5000, { what: 'tarantool to add the probed member' });
    expect(added).toMatchObject({ uri: m.uri, status: 'alive', generation: '7', version: '2' });
    await t.eval(`${s}:delete()`);
  });

  it('routes we encode: Tarantool forwards an indirect ping and acks a routed one back along the route', async () => {
    const p = await peer();
    const q = await peer();
    const uuid = randomUUID();
    const s = await newSwim({ uuid, generation: 1, heartbeat: 1 });
    const me = await self(s);
    const inc = { generation: 2n, version: 0n };

    // Tarantool as the proxy: P asks it to ping Q. Q gets P's ping with Tarantool as sender.
    await p.send(
      {
        meta: { version: 0x020600, uri: p.uri, route: { src: p.uri, dst: q.uri } },
        source: p.uuid,
        failureDetection: { type: 'ping', incarnation: inc },
      },
      me.uri,
    );
    const fwd = await q.next((x) => x.source === p.uuid, 'the ping forwarded by tarantool');
    expect(fwd.from).toBe(me.uri);
    expect(fwd.packet).toEqual({
      meta: { version: wireVersion, uri: me.uri, route: { src: p.uri, dst: q.uri } },
      source: p.uuid,
      failureDetection: { type: 'ping', incarnation: inc },
    });

    // Tarantool as the destination of a ping that Q relays for P: its ack goes back to the
    // relay with the route reversed.
    await q.send(
      {
        meta: { version: 0x020600, uri: q.uri, route: { src: p.uri, dst: me.uri } },
        source: p.uuid,
        failureDetection: { type: 'ping', incarnation: inc },
      },
      me.uri,
    );
    const ack = await q.next(
      (x) => x.source === uuid && x.failureDetection?.type === 'ack',
      'the ack routed back through the relay',
    );
    expect(ack.packet.meta).toEqual({ version: wireVersion, uri: me.uri, route: { src: me.uri, dst: p.uri } });
    await t.eval(`${s}:delete()`);
  });

  it('a quit we encode makes Tarantool mark the member left', async () => {
    const a = await peer();
    const uuid = randomUUID();
    const s = await newSwim({ uuid, generation: 1, heartbeat: 1 });
    const me = await self(s);
    const inc = { generation: 4n, version: 0n };
    await a.send(
      { meta: { version: 0x020600, uri: a.uri }, source: a.uuid, failureDetection: { type: 'ping', incarnation: inc } },
      me.uri,
    );
    await waitFor(() => member(s, a.uuid), 5000, { what: 'tarantool to add us' });
    await a.send({ meta: { version: 0x020600, uri: a.uri }, source: a.uuid, quit: inc }, me.uri);
    const left = await waitFor(
      async () => ((await member(s, a.uuid))?.status === 'left' ? member(s, a.uuid) : undefined),
      5000,
      { what: 'tarantool to mark us left' },
    );
    expect(left).toMatchObject({ uri: a.uri, status: 'left', generation: '4' });
    await t.eval(`${s}:delete()`);
  });
});
