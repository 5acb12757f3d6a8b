// Anti-entropy in the dose that fits (docs/protocol.md#anti-entropy): full packets while
// our view is unsettled (a member joined or died lately, or is suspected), a few records
// per packet otherwise, one of them among the latest changes. A member that missed an
// update (every packet carrying the news was lost on its way in) still learns it from
// anti-entropy within 10 heartbeats.
import { describe, expect } from 'vitest';
import type { Simulation } from '../src/sim';
import { interconnectAll, simTest } from './sim-helpers';

const HEARTBEAT = 0.5; // the default
// Long enough that 9 s without a single datagram in does not make the member suspected:
// what is measured is anti-entropy, not a refutation (which would be news again).
const ACK_TIMEOUT = 10;

/** Runs the cluster for `seconds`; the mean size of the packets sent meanwhile. */
function bytesPerPacketOver(sim: Simulation, seconds: number): number {
  const s0 = sim.stats();
  sim.run(seconds);
  const s1 = sim.stats();
  return (s1.bytesSent - s0.bytesSent) / (s1.packetsSent - s0.packetsSent);
}

describe('sim: anti-entropy', () => {
  for (const n of [20, 50]) {
    simTest(`${n} members: one that missed an update converges within 10 heartbeats`, (make) => {
      const sim = make({ nodes: n, heartbeatRate: HEARTBEAT, ackTimeout: ACK_TIMEOUT });
      interconnectAll(sim);
      expect(sim.runUntil({ fullmesh: true }, 10)).toBeGreaterThanOrEqual(0);
      sim.run(20); // the bootstrap's news has left every queue

      const missing = 7;
      const changed = 3;
      sim.setDrop(missing, 1, 'in');
      sim.setPayload(changed, 'v2');
      // The news spreads to everyone else and leaves their queues (2 TTD round steps at most).
      expect(sim.runUntil({ member: changed, anywhere: true, payload: 'v2' }, 2)).toBeGreaterThanOrEqual(0);
      sim.run(7);
      const others = Array.from({ length: n }, (_, k) => k + 1).filter((i) => i !== missing && i !== changed);
      for (const i of others) expect(sim.member(i, changed)?.payloadRaw?.toString()).toBe('v2');
      expect(sim.member(missing, changed)?.payloadRaw).toBeUndefined();

      // The cluster is quiet again: packets carry a few records, not a full 1440 bytes.
      const sent = () =>
        others.reduce(
          (a, i) => {
            const s = sim.nodeStats(i);
            return { packets: a.packets + s.packetsSent, bytes: a.bytes + s.bytesSent };
          },
          { packets: 0, bytes: 0 },
        );
      const s0 = sent();
      sim.run(2);
      const s1 = sent();
      const perPacket = (s1.bytes - s0.bytes) / (s1.packets - s0.packets);
      expect(perPacket).toBeLessThan(400);
      expect(sim.member(missing, changed)?.payloadRaw).toBeUndefined();

      sim.setDrop(missing, 0, 'in');
      const took = sim.runUntil({ member: changed, on: missing, payload: 'v2' }, 10 * HEARTBEAT);
      expect(took).toBeGreaterThanOrEqual(0);
      // Nobody doubted the member that missed it: this was anti-entropy, not news.
      for (const i of others) expect(sim.status(i, missing)).toBe('alive');
    });
  }

  simTest('packets fill while a newcomer joins, not for a payload change', (make) => {
    const n = 20;
    const newcomer = n + 1;
    const sim = make({ nodes: n + 1, heartbeatRate: HEARTBEAT, ackTimeout: ACK_TIMEOUT });
    sim.kill(newcomer); // not started yet
    interconnectAll(sim, Array.from({ length: n }, (_, k) => k + 1));
    expect(sim.runUntil({ fullmesh: true }, 10)).toBeGreaterThanOrEqual(0);
    sim.run(20);
    const bytesPerPacket = (seconds: number): number => bytesPerPacketOver(sim, seconds);
    const quiet = bytesPerPacket(2);
    expect(quiet).toBeLessThan(400);

    // News that adds nobody: dissemination carries it, anti-entropy stays at its dose.
    sim.setPayload(3, 'v2');
    expect(bytesPerPacket(2)).toBeLessThan(quiet + 150);
    expect(sim.runUntil({ member: 3, everywhere: true, payload: 'v2' }, 5)).toBeGreaterThanOrEqual(0);

    // A newcomer grows every view: packets fill, and it meets everyone fast.
    sim.restart(newcomer);
    sim.addMember(newcomer, 1);
    expect(bytesPerPacket(2)).toBeGreaterThan(2 * quiet);
    expect(sim.runUntil({ fullmesh: true }, 5)).toBeGreaterThanOrEqual(0);
  });

  simTest('packets fill while a member is suspected and right after its death, then settle', (make) => {
    const n = 20;
    const victim = 5;
    const sim = make({ nodes: n, heartbeatRate: HEARTBEAT, ackTimeout: HEARTBEAT });
    interconnectAll(sim);
    expect(sim.runUntil({ fullmesh: true }, 10)).toBeGreaterThanOrEqual(0);
    sim.run(20);
    const bytesPerPacket = (seconds: number): number => bytesPerPacketOver(sim, seconds);
    const quiet = bytesPerPacket(2);
    expect(quiet).toBeLessThan(400);

    // Every packet repeats the suspicion, so each suspecter hears it confirmed at once.
    sim.kill(victim);
    expect(sim.runUntil({ member: victim, status: 'suspected', anywhere: true }, 10)).toBeGreaterThanOrEqual(0);
    expect(bytesPerPacket(0.5)).toBeGreaterThan(2 * quiet);
    expect(sim.runUntil({ member: victim, status: 'dead', everywhere: true }, 20)).toBeGreaterThanOrEqual(0);
    // The verdict's TTD round steps (ceil(log2 19) + 1 = 6, 3 s) later the dose is back.
    sim.run(4);
    expect(bytesPerPacket(2)).toBeLessThan(quiet + 150);
  });
});
