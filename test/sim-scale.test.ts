// Dissemination speed (Tarantool's swim_test_dissemination_speed), determinism of the
// simulator itself, and its fake network (partition, delay, validation).
import { describe, expect } from 'vitest';
import { Simulation } from '../src/sim';
import { configureAll, interconnectAll, simTest, swimError, TARANTOOL_TIMING } from './sim-helpers';

describe('sim: dissemination speed', () => {
  simTest(
    '100 nodes: a death is known everywhere within log2(N)*6 steps, even during an event storm',
    (make) => {
      const size = 100;
      const bound = Math.log2(size) * 6;
      const sim = make({ ...TARANTOOL_TIMING, nodes: size, ackTimeout: 0.1, gcMode: 'off', keepEvents: false });
      interconnectAll(sim);
      // At the very start of a cluster every packet is full of 'new member' events: the
      // death must not starve behind them.
      sim.setDrop(1, 1);
      expect(sim.runUntil({ member: 1, status: 'dead', anywhere: true }, size)).toBeGreaterThanOrEqual(0);
      const t1 = sim.runUntil({ member: 1, status: 'dead', everywhere: true }, bound);
      expect(t1).toBeGreaterThanOrEqual(0);

      sim.setDrop(1, 0);
      expect(sim.runUntil({ member: 1, status: 'alive', everywhere: true }, size)).toBeGreaterThanOrEqual(0);

      // An event storm: every member changes its payload at once.
      sim.setDrop(1, 1);
      expect(sim.runUntil({ member: 1, status: 'dead', anywhere: true }, size)).toBeGreaterThanOrEqual(0);
      for (let i = 1; i <= size; ++i) sim.setPayload(i, '');
      const t2 = sim.runUntil({ member: 1, status: 'dead', everywhere: true }, bound);
      expect(t2).toBeGreaterThanOrEqual(0);
    },
    { timeout: 120_000 },
  );
});

function snapshot(sim: Simulation): string {
  const views = [];
  for (let i = 1; i <= sim.size; ++i) views.push(sim.view(i));
  const engines = [];
  for (let i = 1; i <= sim.size; ++i) engines.push(sim.nodeStats(i));
  return JSON.stringify({ now: sim.nowMicros, stats: sim.stats(), engines, views }, (_k, v) =>
    typeof v === 'bigint' ? `${v}n` : v,
  );
}

function scenario(seed: bigint): Simulation {
  const sim = new Simulation({ ...TARANTOOL_TIMING, nodes: 20, seed, ackTimeout: 1 });
  for (let i = 1; i < 20; ++i) sim.addMember(i, i + 1);
  for (let i = 1; i <= 20; ++i) sim.setDrop(i, 0.1);
  sim.setDelay(0.01, 0.05);
  sim.setPayload(3, 'payload');
  sim.run(20);
  sim.kill(7);
  sim.partition([1, 2, 3], [4, 5]);
  sim.run(10);
  sim.heal();
  sim.restart(7, { seed: 1 });
  sim.run(10);
  return sim;
}

describe('sim: determinism', () => {
  simTest('same seed, same run, bit for bit; another seed, another run', (_make, seed) => {
    const a = snapshot(scenario(seed));
    const b = snapshot(scenario(seed));
    expect(a).toBe(b);
    const c = snapshot(scenario(seed + 1n));
    expect(c).not.toBe(a);
  });

  simTest('stepping one instant at a time is the same run as running', (_make, seed) => {
    const run = new Simulation({ ...TARANTOOL_TIMING, nodes: 6, seed, ackTimeout: 1 });
    const step = new Simulation({ ...TARANTOOL_TIMING, nodes: 6, seed, ackTimeout: 1 });
    for (const sim of [run, step]) for (let i = 1; i < 6; ++i) sim.addMember(i, i + 1);
    run.run(10);
    let steps = 0;
    while ((step.nextEventTime() ?? Infinity) <= 10) {
      expect(step.step()).toBe(true);
      ++steps;
    }
    step.run(10 - step.now); // land on the same clock
    expect(steps).toBeGreaterThanOrEqual(10); // a round step each second at least
    expect(snapshot(step)).toBe(snapshot(run));
  });

  simTest('a random seed is chosen when none is given, and it replays the run', () => {
    const a = new Simulation({ ...TARANTOOL_TIMING, nodes: 5 });
    for (let i = 1; i < 5; ++i) a.addMember(i, i + 1);
    a.setDrop(2, 0.3);
    a.run(20);
    const b = new Simulation({ ...TARANTOOL_TIMING, nodes: 5, seed: a.seed });
    for (let i = 1; i < 5; ++i) b.addMember(i, i + 1);
    b.setDrop(2, 0.3);
    b.run(20);
    expect(snapshot(b)).toBe(snapshot(a));
  });
});

describe('sim: fake network', () => {
  simTest('a partition makes each side see the other dead; healing brings the mesh back', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 6, ackTimeout: 1, gcMode: 'off' });
    interconnectAll(sim);
    sim.partition([1, 2, 3], [4, 5, 6]);
    const split = () =>
      [1, 2, 3].every((i) => [4, 5, 6].every((j) => sim.status(i, j) === 'dead' && sim.status(j, i) === 'dead'));
    expect(sim.runUntil(split, 60)).toBeGreaterThanOrEqual(0);
    // Within a side everyone is still alive.
    expect([1, 2, 3].every((i) => [1, 2, 3].every((j) => sim.status(i, j) === 'alive'))).toBe(true);
    sim.heal();
    expect(sim.runUntil({ fullmesh: true }, 60)).toBeGreaterThanOrEqual(0);
  });

  simTest('delay and jitter below the ack timeout cause no suspicion', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 8, ackTimeout: 1 });
    sim.setDelay(0.1, 0.1);
    interconnectAll(sim);
    expect(sim.runUntil(() => !sim.check({ fullmesh: true }), 30)).toBe(-1);
    expect(sim.stats().packetsReceived).toBeGreaterThan(100);
  });

  simTest('a node slower than the ack timeout is suspected', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 4, ackTimeout: 0.5 });
    interconnectAll(sim);
    sim.setDelay(2, 0, 4); // everything node 4 sends arrives 2 s late
    expect(sim.runUntil({ member: 4, status: 'suspected', anywhere: true }, 30)).toBeGreaterThanOrEqual(0);
  });

  simTest('a blocked node holds its traffic and releases it in order on unblock', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 2 });
    sim.addMember(1, 2);
    sim.block(2);
    sim.run(3);
    expect(sim.stats().nodes[1].packetsReceived).toBe(0); // node 2 got nothing yet
    expect(sim.status(2, 1)).toBe('absent');
    sim.unblock(2);
    expect(sim.runUntil({ fullmesh: true }, 0)).toBe(0); // the held pings arrive at once
  });

  simTest('counters: packets and bytes per node', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 3 });
    interconnectAll(sim);
    sim.run(10);
    const s = sim.stats();
    expect(s.nodes).toHaveLength(3);
    expect(s.packetsSent).toBe(s.nodes.reduce((a, n) => a + n.packetsSent, 0));
    expect(s.bytesSent).toBe(s.nodes.reduce((a, n) => a + n.bytesSent, 0));
    expect(s.packetsReceived).toBe(s.packetsSent); // lossless
    expect(s.bytesSent / s.packetsSent).toBeLessThanOrEqual(1440);
    // About a ping and an ack per node per second.
    expect(s.packetsSent).toBeGreaterThanOrEqual(3 * 10);
    const e = sim.nodeStats(1).engine;
    expect(e.packetsSent).toBe(s.nodes[0].packetsSent);
    expect(e.pingsSent).toBeGreaterThan(0);
    expect(e.acksReceived).toBeGreaterThan(0);
  });

  simTest('argument validation throws SwimError', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 3 });
    expect(swimError(() => sim.kill(0)).code).toBe('ERR_SWIM_INVALID_ARG');
    expect(swimError(() => sim.kill(4)).code).toBe('ERR_SWIM_INVALID_ARG');
    expect(swimError(() => sim.setDrop(1, 1.5)).code).toBe('ERR_SWIM_INVALID_ARG');
    expect(swimError(() => sim.setDelay(-1)).code).toBe('ERR_SWIM_INVALID_ARG');
    expect(swimError(() => sim.runUntil({ fullmesh: true }, -1)).code).toBe('ERR_SWIM_INVALID_ARG');
    expect(swimError(() => sim.broadcast(1, 70000)).code).toBe('ERR_SWIM_INVALID_ARG');
    expect(swimError(() => new Simulation({ nodes: 0 })).code).toBe('ERR_SWIM_INVALID_ARG');
    expect(swimError(() => new Simulation({ nodes: 2, seed: -1 })).code).toBe('ERR_SWIM_INVALID_ARG');
    expect(swimError(() => new Simulation({ nodes: 2, gcMode: 'maybe' as 'on' })).code).toBe('ERR_SWIM_CONFIG');
    sim.kill(3);
    expect(swimError(() => sim.addMember(3, 1)).code).toBe('ERR_SWIM_CLOSED');
    // A throwing condition propagates its error and leaves the simulation usable.
    expect(() =>
      sim.runUntil(() => {
        throw new Error('boom');
      }, 10),
    ).toThrow('boom');
    configureAll(sim, { ackTimeout: 2 });
    expect(sim.runUntil({ fullmesh: true }, 1)).toBe(-1); // nobody knows anybody
  });
});
