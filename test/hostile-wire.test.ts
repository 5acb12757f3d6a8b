// Hostile input on real UDP (127.0.0.1): forged datagrams built with encodePacket and sent
// with node:dgram against real Swim instances (docs/protocol.md, "Hostile input").
// The C++ checks (native/core/test/hostile_test.cc) cover the same attacks in virtual time.
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS, Swim, SwimError, type SwimOptions } from '../src/index';
import { Simulation } from '../src/sim';
import { encodePacket, type PacketInput } from '../src/codec';
import { waitFor } from './helpers/wait';

const open: Swim[] = [];
const sockets: Socket[] = [];

function make(options: Partial<SwimOptions> = {}): Swim {
  const s = new Swim({ uri: '127.0.0.1:0', heartbeatRate: 0.1, ackTimeout: 0.5, ...options });
  open.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  for (const s of sockets.splice(0)) s.close();
});

/** A UDP socket on 127.0.0.1 counting what it receives: the attacker's, or a victim's. */
async function socket(): Promise<{ sock: Socket; uri: string; got: { packets: number; bytes: number; largest: Map<string, number> } }> {
  const sock = createSocket('udp4');
  sockets.push(sock);
  const got = { packets: 0, bytes: 0, largest: new Map<string, number>() };
  sock.on('message', (m, rinfo) => {
    got.packets += 1;
    got.bytes += m.length;
    const from = `${rinfo.address}:${rinfo.port}`;
    got.largest.set(from, Math.max(got.largest.get(from) ?? 0, m.length));
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  sock.setRecvBufferSize(8 << 20);
  return { sock, uri: `127.0.0.1:${sock.address().port}`, got };
}

function ping(uri: string, source = randomUUID(), extra: Partial<PacketInput> = {}): Buffer {
  return encodePacket({
    meta: { version: 0x020600, uri },
    source,
    failureDetection: { type: 'ping', incarnation: { generation: 0, version: 0 } },
    ...extra,
  });
}

function send(sock: Socket, buf: Buffer, to: string): Promise<void> {
  const [host, port] = to.split(':');
  return new Promise((resolve, reject) => sock.send(buf, Number(port), host, (err) => (err ? reject(err) : resolve())));
}

async function mesh(n: number, options: Partial<SwimOptions> = {}): Promise<Swim[]> {
  const all = Array.from({ length: n }, () => make(options));
  for (let i = 1; i < n; ++i) all[i].addMember({ uri: all[0].uri, uuid: all[0].uuid });
  await waitFor(() => all.every((s) => s.members().filter((m) => m.status === 'alive').length === n), 10_000, {
    what: 'full mesh',
  });
  return all;
}

describe('hostile input on real UDP', () => {
  it('maxMembers: validated, 4096 by default', () => {
    expect(DEFAULTS.maxMembers).toBe(4096);
    for (const bad of [1, 0, 2.5, 2 ** 24 + 1, '10'])
      expect(() => new Swim({ uri: '127.0.0.1:0', maxMembers: bad as number })).toThrow(SwimError);
    const sim = new Simulation({ nodes: 2, maxMembers: 2, seed: 1 });
    sim.addMember(1, 2);
    expect(sim.runUntil({ fullmesh: true }, 10)).toBeGreaterThanOrEqual(0);
  });

  it('a flood of 100,000 pings from made-up UUIDs: table bounded, acks minimal, the cluster undisturbed', async () => {
    const [target, b, c] = await mesh(3, { maxMembers: 256 });
    const real = new Set([target.uuid, b.uuid, c.uuid]);
    let suspicions = 0;
    for (const s of [target, b, c])
      s.on('member', (ev) => {
        if (real.has(ev.member.uuid) && ev.member.status !== 'alive') suspicions += 1;
      });
    const victim = await socket();
    const attacker = await socket();
    let sentBytes = 0;
    let largest = 0;
    const t0 = Date.now();
    for (let k = 0; k < 100_000; ++k) {
      const buf = ping(victim.uri);
      sentBytes += buf.length;
      await send(attacker.sock, buf, target.uri);
      if (k % 500 === 0) largest = Math.max(largest, target.size);
      // Let the loop poll: dgram send callbacks can run on nextTick, starving the receivers.
      if (k % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => target.stats().pingsReceived >= 90_000 || Date.now() - t0 > 20_000, 30_000, {
      what: 'the flood processed',
    });
    // One more second for the answers to arrive (the admitted made-up members are pinged
    // by the round until dead, so the count never settles completely).
    const tEnd = Date.now();
    await waitFor(() => Date.now() - tEnd >= 1_000, 5_000, { what: 'the answers received' });
    largest = Math.max(largest, target.size);
    const stats = target.stats();
    // Bounded by maxMembers; on main the table grew to ~99,500.
    expect(largest).toBeLessThanOrEqual(256);
    // Every datagram the target sends to the made-up senders' address is minimal, no bigger
    // than a forged ping (on main: acks of ~1,440 bytes, ~14x). The other members probe the
    // made-up members the target gossips about: one probe with gossip per datagram they
    // receive, minimal pings for the rest. In all, at most ~2 bytes per byte sent.
    const pingSize = ping(victim.uri).length;
    expect(victim.got.packets).toBeGreaterThan(0);
    expect(victim.got.largest.get(target.uri) ?? 0).toBeLessThanOrEqual(pingSize);
    expect(victim.got.bytes).toBeLessThanOrEqual(2.5 * sentBytes);
    expect(suspicions).toBe(0);
    for (const s of [target, b, c]) for (const u of real) expect(s.member(u)?.status).toBe('alive');
    expect(stats.pingsReceived).toBeGreaterThan(50_000);
    console.log(
      `flood: ${stats.pingsReceived} pings received, table at most ${largest}, ` +
        `${victim.got.packets} datagrams (${victim.got.bytes} bytes, at most ${JSON.stringify([...victim.got.largest])}) reached the victim ` +
        `for ${sentBytes} bytes sent (${(victim.got.bytes / sentBytes).toFixed(2)}x); acks sent ${stats.acksSent}`,
    );
  }, 120_000);

  it('a forged ping gets an ack no bigger than itself; routes only towards members', async () => {
    const target = make();
    for (let i = 0; i < 60; ++i) target.addMember({ uri: `127.0.0.2:${10000 + i}`, uuid: randomUUID() });
    const victim = await socket();
    const attacker = await socket();
    const buf = ping(victim.uri);
    await send(attacker.sock, buf, target.uri);
    await waitFor(() => victim.got.packets > 0, 5_000, { what: 'the ack' });
    expect(victim.got.bytes).toBeLessThanOrEqual(buf.length); // on main: ~1,440 bytes
    // Routed pings towards an address no member has: relayed only within the first-contact
    // pacing (a lone member: 16 at once, then 16 per heartbeat of 0.1 s); on main, all.
    const relay = make();
    const third = await socket();
    const routed = ping(attacker.uri, randomUUID(), {
      meta: { version: 0x020600, uri: attacker.uri, route: { src: attacker.uri, dst: third.uri } },
    });
    const t0 = Date.now();
    for (let k = 0; k < 1000; ++k) await send(attacker.sock, routed, relay.uri);
    await waitFor(() => relay.stats().packetsReceived >= 1000, 5_000, { what: 'the routed pings received' });
    const elapsed = Date.now() - t0;
    const relayed = relay.stats().indirectPingsForwarded;
    expect(relayed).toBeGreaterThan(0);
    expect(relayed).toBeLessThanOrEqual(16 + 16 * Math.ceil(elapsed / 100 + 1));
    expect(relay.stats().drops.wrong_destination).toBe(1000 - relayed);
    await waitFor(() => third.got.packets === relayed, 5_000, { what: 'relayed pings arrive' });
  }, 30_000);

  it('broadcast, multicast and reserved addresses from the wire are dropped and counted', async () => {
    const target = make();
    const attacker = await socket();
    const bad = ['255.255.255.255:9', '224.0.0.1:9', '239.1.2.3:9', '0.1.2.3:9', '240.0.0.1:9'];
    for (const uri of bad) await send(attacker.sock, ping(uri), target.uri);
    await waitFor(() => target.stats().drops.bad_address === bad.length, 5_000, { what: 'bad_address drops' });
    expect(target.size).toBe(1);
    expect(target.stats().acksSent).toBe(0);
  });

  it('"member X suspected at version 2^64-1": X refutes in the next generation and stays alive', async () => {
    const [a, b] = await mesh(2);
    const gen = a.self.incarnation.generation;
    const attacker = await socket();
    const forged = encodePacket({
      meta: { version: 0x020600, uri: attacker.uri },
      source: randomUUID(),
      dissemination: [
        { status: 'suspected', uri: a.uri, uuid: a.uuid, incarnation: { generation: gen, version: 2n ** 64n - 1n } },
      ],
    });
    let dead = false;
    b.on('member', (ev) => {
      if (ev.member.uuid === a.uuid && (ev.member.status === 'dead' || ev.member.status === 'left')) dead = true;
    });
    await send(attacker.sock, forged, a.uri);
    await send(attacker.sock, forged, b.uri);
    await waitFor(
      () => a.self.incarnation.generation === gen + 1n && b.member(a.uuid)?.incarnation.generation === gen + 1n,
      10_000,
      { what: 'refuted in the next generation' },
    );
    // On main the version wrapped to 0 and b declared a dead while it answered. Give the
    // failure detector (5 ack timeouts) time to make that mistake.
    const t = Date.now();
    await waitFor(() => Date.now() - t > 3_000 && b.member(a.uuid)?.status === 'alive', 10_000, { what: 'a alive at b' });
    expect(dead).toBe(false);
  }, 30_000);

  it('gcMode off, one forged dead record: its address is pinged once per round, not every ack timeout', async () => {
    const all = await mesh(4, { gcMode: 'off', heartbeatRate: 0.2, ackTimeout: 0.05 });
    const victim = await socket();
    const attacker = await socket();
    const forged = encodePacket({
      meta: { version: 0x020600, uri: attacker.uri },
      source: randomUUID(),
      dissemination: [
        { status: 'dead', uri: victim.uri, uuid: randomUUID(), incarnation: { generation: 0, version: 0 } },
      ],
    });
    await send(attacker.sock, forged, all[0].uri);
    await waitFor(() => all[0].size === 5, 5_000, { what: 'the dead record taken' });
    const t = Date.now();
    await waitFor(() => Date.now() - t >= 3_000, 5_000, { what: '3 s' });
    // The record spreads to all 4 (gc off keeps dead members). Each pings it once per round
    // of 4 members, one every 0.2 s: ~4 each in 3 s, <= 24 in all. On main every 0.05 s: ~240.
    expect(victim.got.packets).toBeGreaterThan(0);
    expect(victim.got.packets).toBeLessThanOrEqual(24);
  }, 30_000);
});
