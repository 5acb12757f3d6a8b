// Partitions heal by themselves (docs/protocol.md#healing): each side keeps the addresses
// of the members it removed after their death, and the seeds, and probes one of them every
// 4 heartbeats; the first answer across the cut merges the two sides.
import { describe, expect } from 'vitest';
import { interconnectAll, simTest } from './sim-helpers';
import type { Simulation } from '../src/sim';

const A = [1, 2, 3];
const B = [4, 5, 6];

function absentAcross(sim: Simulation): boolean {
  for (const i of A) for (const j of B) if (sim.status(i, j) !== 'absent' || sim.status(j, i) !== 'absent') return false;
  return true;
}

describe('healing', () => {
  simTest('6 nodes split 3|3 for 30 s are one cluster again within 30 s of the network healing', (make) => {
    const times: number[] = [];
    for (let k = 0; k < 10; ++k) {
      // Swim's defaults: 0.5 s / 0.5 s, gc on; Tarantool's thresholds, so that 30 s are
      // surely longer than death and removal (with Lifeguard one phase in ten took longer).
      const sim = make({ nodes: 6, lifeguard: false });
      for (let i = 1; i < 6; ++i) sim.addMember(i, i + 1);
      expect(sim.runUntil({ fullmesh: true }, 5)).toBeGreaterThanOrEqual(0);
      sim.run(k * 0.37);  // a different phase of the rounds each time
      sim.partition(A, B);
      sim.run(30);
      expect(absentAcross(sim)).toBe(true);  // longer than death and removal
      sim.heal();
      const t = sim.runUntil({ fullmesh: true }, 30);
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThan(30);
      times.push(t);
    }
    // Measured: the first heal probe across the cut goes out within 4 heartbeats (2 s).
    expect(Math.max(...times)).toBeLessThanOrEqual(4);
  });

  simTest('heals with 10% loss each way, and with gc off', (make) => {
    for (const gcMode of ['on', 'off'] as const) {
      const sim = make({ nodes: 6, gcMode });
      interconnectAll(sim);
      for (let i = 1; i <= 6; ++i) sim.setDrop(i, 0.1);
      sim.partition(A, B);
      sim.run(30);
      sim.heal();
      const t = sim.runUntil({ fullmesh: true }, 30);
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThan(30);
    }
  });

  simTest('a node cut off since its start joins through its seeds once the network heals', (make) => {
    const sim = make({ nodes: 4 });
    interconnectAll(sim, [1, 2, 3]);
    sim.partition([4], [1, 2, 3]);
    sim.setSeeds(4, [1, '127.0.0.1:9']);  // one seed that never answers
    sim.run(20);
    expect(sim.view(4)).toHaveLength(1);
    // Alone, it probes every seed every 4 heartbeats (2 s): a low, bounded rate.
    const probes = sim.nodeStats(4).engine.healProbes;
    expect(probes).toBeGreaterThanOrEqual(18);
    expect(probes).toBeLessThanOrEqual(22);
    sim.heal();
    expect(sim.runUntil({ fullmesh: true }, 3)).toBeGreaterThanOrEqual(0);
    // Once its seed is a member, it is not probed for healing any more; the dead one is,
    // at one probe per 4 heartbeats.
    const before = sim.nodeStats(4).engine.healProbes;
    sim.run(20);
    const after = sim.nodeStats(4).engine.healProbes - before;
    expect(after).toBeGreaterThanOrEqual(9);
    expect(after).toBeLessThanOrEqual(11);
  });

  simTest('healing adds no traffic while nobody died and no seed is set', (make) => {
    const sim = make({ nodes: 5 });
    interconnectAll(sim);
    sim.run(60);
    for (let i = 1; i <= 5; ++i) expect(sim.nodeStats(i).engine.healProbes).toBe(0);
  });
});
