// Hostile input on real UDP (127.0.0.1): forged datagrams built with encodePacket and sent
// with node:dgram against real Swim instances (docs/protocol.md, "Hostile input").
// The C++ checks (native/core/test/hostile_test.cc) cover the same attacks in virtual time.
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Swim, type SwimOptions } from '../src/index';
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
async function socket(): Promise<{ sock: Socket; uri: string; got: { packets: number; bytes: number } }> {
  const sock = createSocket('udp4');
  sockets.push(sock);
  const got = { packets: 0, bytes: 0 };
  sock.on('message', (m) => {
    got.packets += 1;
    got.bytes += m.length;
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
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
    }
    await waitFor(() => target.stats().pingsReceived + target.stats().packetsDropped >= 90_000 || Date.now() - t0 > 20_000, 30_000, {
      what: 'the flood processed',
    });
    largest = Math.max(largest, target.size);
    const stats = target.stats();
    // Bounded by maxMembers; on main the table grew to ~99,500.
    expect(largest).toBeLessThanOrEqual(256);
    // Answers to the made-up senders cost no more than the pings (on main ~14x).
    expect(victim.got.bytes).toBeLessThanOrEqual(1.5 * sentBytes);
    expect(suspicions).toBe(0);
    for (const s of [target, b, c]) for (const u of real) expect(s.member(u)?.status).toBe('alive');
    expect(stats.pingsReceived).toBeGreaterThan(50_000);
    console.log(
      `flood: ${stats.pingsReceived} pings received, table at most ${largest}, ` +
        `${victim.got.bytes} bytes to the victim for ${sentBytes} sent (${(victim.got.bytes / sentBytes).toFixed(2)}x)`,
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
    // A routed ping towards an address no member has: 16 relayed at most per heartbeat burst.
    const before = victim.got.packets;
    const routed = ping(attacker.uri, randomUUID(), {
      meta: { version: 0x020600, uri: attacker.uri, route: { src: attacker.uri, dst: '127.0.0.3:9' } },
    });
    for (let k = 0; k < 1000; ++k) await send(attacker.sock, routed, target.uri);
    await waitFor(() => target.stats().drops.wrong_destination >= 900, 5_000, { what: 'relays refused' });
    expect(victim.got.packets).toBe(before);
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
