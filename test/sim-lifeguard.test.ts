// Lifeguard (docs/protocol.md#lifeguard) against plain SWIM in the simulator, on the same
// seeds: members that lose their network, slow members, crashes, a mass failure. Smaller
// than the benchmark (bench/sim.mjs, docs/benchmarks.md): 32 members, tens of virtual
// seconds. The assertions are about direction with margin, not exact counts.
import { describe, expect } from 'vitest';
import { Simulation } from '../src/sim';
import { crashes, flapping, massFailure, meshed, slow } from '../bench/lib/lifeguard-scenarios.mjs';
import { interconnectAll, simTest, swimError } from './sim-helpers';

describe('sim: lifeguard', () => {
  simTest('flapping members: plain SWIM kills healthy members, lifeguard does not', (_make, seed) => {
    const o = { nodes: 32, seed, seconds: 60 };
    const off = flapping(Simulation, { ...o, lifeguard: false });
    const on = flapping(Simulation, { ...o, lifeguard: true });
    expect(off.falseDead).toBeGreaterThanOrEqual(100);
    expect(on.falseDead).toBeLessThanOrEqual(2);
    expect(on.falseSuspected * 10).toBeLessThan(off.falseSuspected);
    // The flappers themselves are still noticed while they are gone.
    expect(on.flapperSuspected).toBeGreaterThan(0);
    expect(on.fullmesh).toBe(true);
    expect(off.fullmesh).toBe(true);
  });

  simTest('an isolated member doubts itself and accuses nobody', (_make, seed) => {
    const sim = meshed(Simulation, { nodes: 8, seed, lifeguard: true });
    sim.setDrop(1, 1, 'both');
    let accused = false;
    sim.runUntil(() => {
      for (let j = 2; j <= 8; ++j) accused ||= sim.status(1, j) !== 'alive';
      return accused;
    }, 6);
    expect(accused).toBe(false);
    const engine = sim.nodeStats(1).engine;
    expect(engine.awareness).toBeGreaterThan(0);
    expect(engine.ackTimeoutsSelf).toBeGreaterThan(0);
    // The others do notice it.
    expect(sim.check({ member: 1, status: 'alive', everywhere: true })).toBe(false);
    const doubt = engine.awareness;
    sim.setDrop(1, 0, 'both');
    expect(sim.runUntil({ fullmesh: true }, 10)).toBeGreaterThanOrEqual(0);
    // Health comes back one answered probe at a time (its round is still stretched).
    sim.run(5);
    expect(sim.nodeStats(1).engine.awareness).toBeLessThan(doubt);
    sim.run(30);
    expect(sim.nodeStats(1).engine.awareness).toBe(0);
  });

  simTest('a real crash is dead everywhere about as fast as without lifeguard', (_make, seed) => {
    const o = { nodes: 32, seed, kills: 5 };
    const off = crashes(Simulation, { ...o, lifeguard: false });
    const on = crashes(Simulation, { ...o, lifeguard: true });
    expect(Number.isFinite(on.max)).toBe(true);
    expect(on.median).toBeLessThanOrEqual(off.median * 1.5 + 0.5);
    expect(on.max).toBeLessThan(12);
    expect(on.falseDead).toBe(0);
  });

  simTest('slow members are not declared dead', (_make, seed) => {
    const o = { nodes: 32, seed, seconds: 40, slowCount: 4 };
    const on = slow(Simulation, { ...o, lifeguard: true });
    const off = slow(Simulation, { ...o, lifeguard: false });
    expect(on.slowDead + on.falseDead).toBeLessThanOrEqual(off.slowDead + off.falseDead);
    expect(on.falseDead).toBe(0);
  });

  simTest('a mass failure (30% at once) is detected, survivors are not accused', (_make, seed) => {
    const on = massFailure(Simulation, { nodes: 32, seed, lifeguard: true, fraction: 0.3 });
    expect(on.allDead).toBeGreaterThan(0);
    expect(on.allDead).toBeLessThan(20);
    expect(on.falseDead).toBe(0);
  });

  simTest('timers that fire late: a crash is detected as with exact timers, no miss is charged to an observer', (make) => {
    const n = 20;
    const victim = 10;
    const observers = Array.from({ length: n }, (_, k) => k + 1).filter((i) => i !== victim);
    const selfCharged = (sim: Simulation): number =>
      observers.reduce((a, i) => a + sim.nodeStats(i).engine.ackTimeoutsSelf, 0);
    // As on a real event loop: every timer 1-2 ms after its deadline, answers within 0.3 ms.
    const sim = make({ nodes: n, heartbeatRate: 0.5, ackTimeout: 0.5 });
    sim.setDelay(0.0001, 0.0002);
    sim.setTimerLateness(0.001, 0.001);
    interconnectAll(sim);
    expect(sim.runUntil({ fullmesh: true }, 10)).toBeGreaterThanOrEqual(0);
    sim.run(5);
    const before = selfCharged(sim);
    sim.kill(victim);
    // Seeds 1-8 with these late timers: suspected 1.5-2.0 s after the kill, dead everywhere
    // at 4-5 s (as with exact timers); before the window's slack, suspected at 3.5-4 s.
    const suspected = sim.runUntil({ member: victim, status: 'suspected', anywhere: true }, 5);
    expect(suspected).toBeGreaterThanOrEqual(0);
    expect(suspected).toBeLessThan(3);
    const dead = sim.runUntil({ member: victim, status: 'dead', everywhere: true }, 20);
    expect(dead).toBeGreaterThanOrEqual(0);
    expect(suspected + dead).toBeLessThan(8);
    expect(selfCharged(sim) - before).toBe(0);
    expect(swimError(() => sim.setTimerLateness(-1)).code).toBe('ERR_SWIM_INVALID_ARG');
  });

  simTest('the option: a boolean, per node at run time too', (make) => {
    expect(swimError(() => make({ nodes: 2, lifeguard: 1 as never })).code).toBe('ERR_SWIM_CONFIG');
    const sim = make({ nodes: 2 });
    sim.configure(1, { lifeguard: false });
    sim.configure(1, { lifeguard: true });
    expect(swimError(() => sim.configure(1, { lifeguard: 'yes' as never })).code).toBe('ERR_SWIM_CONFIG');
  });
});
