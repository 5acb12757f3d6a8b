// Tarantool's SWIM scenarios (test/unit/swim.c), ported to the simulator: failure
// detection, refutation, gossip, packet loss, indirect pings.
import { describe, expect } from 'vitest';
import { configureAll, interconnectAll, simTest, TARANTOOL_TIMING } from './sim-helpers';

describe('sim: failure detection', () => {
  simTest('basic failure detection with the exact thresholds', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 2, ackTimeout: 0.5 });
    sim.addMember(1, 2);
    expect(sim.status(1, 2)).toBe('alive'); // added as alive
    sim.block(2);
    sim.run(1); // the first round step sends the first ping at t=1

    const suspected = { member: 2, on: 1, status: 'suspected' } as const;
    expect(sim.runUntil(suspected, 0.9)).toBe(-1); // not suspected after 1 missed ack
    expect(sim.runUntil(suspected, 0.1)).toBe(0.1); // but after the second one
    const dead = { member: 2, on: 1, status: 'dead' } as const;
    expect(sim.runUntil(dead, 1.4)).toBe(-1); // not dead after 2 more
    expect(sim.runUntil(dead, 0.1)).toBe(0.1); // dead after the third
    sim.run(1);
    // Two more missed acks, but the dissemination TTD still keeps it.
    expect(sim.status(1, 2)).toBe('dead');
    expect(sim.runUntil({ member: 2, on: 1, status: 'absent' }, 2)).toBeGreaterThanOrEqual(0);

    // On unblock node 2 processes what it got, learns node 1, and the mesh is back.
    sim.unblock(2);
    expect(sim.runUntil({ fullmesh: true }, 1)).toBeGreaterThanOrEqual(0);

    // A member can be removed while a ping to it waits for its ack: the ack adds it back.
    sim.block(2);
    sim.run(1.25);
    sim.removeMember(1, 2);
    sim.unblock(2);
    sim.run(0.1);
    expect(sim.status(1, 2)).toBe('alive');
  });

  simTest('refutation: a suspected node bumps its version; a restarted one its generation', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 2, ackTimeout: 2 });
    sim.addMember(1, 2);
    sim.setDrop(2, 1);
    sim.run(1);
    expect(sim.runUntil({ member: 2, on: 1, status: 'suspected' }, 4)).toBeGreaterThanOrEqual(0);
    sim.setDrop(2, 0);
    // Node 2 hears it is suspected and refutes with version 1, which reaches node 1.
    expect(sim.runUntil({ member: 2, on: 2, incarnation: { generation: 0, version: 1 } }, 1)).toBeGreaterThanOrEqual(0);
    expect(sim.runUntil({ member: 2, on: 1, incarnation: { generation: 0, version: 1 } }, 1)).toBeGreaterThanOrEqual(0);
    expect(sim.status(1, 2)).toBe('alive');

    sim.restart(2);
    const inc = sim.self(2).incarnation;
    expect(inc.version).toBe(0n); // the version starts again
    expect(inc.generation).toBe(1n); // under a new generation
    expect(sim.runUntil({ member: 2, on: 1, incarnation: { generation: 1, version: 0 } }, 1)).toBeGreaterThanOrEqual(0);
    expect(sim.status(1, 2)).toBe('alive');
  });

  simTest('gossip: a suspicion reaches a third node before its own pings could tell it', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 3, ackTimeout: 10 });
    sim.addMember(1, 2);
    sim.addMember(2, 1);
    sim.setDrop(2, 1);
    sim.run(10 + 1); // one missed ack of node 2 at node 1 (+1 s for the first ping)
    sim.addMember(1, 3);
    sim.addMember(3, 2);
    sim.run(9);
    expect(sim.status(1, 2)).toBe('alive');
    sim.block(3); // so node 1 can not tell node 3 at once
    sim.run(1);
    expect(sim.status(1, 2)).toBe('suspected'); // second missed ack
    expect(sim.status(3, 2)).toBe('alive');
    sim.unblock(3);
    // Within two round steps node 1 gossips the suspicion to node 3.
    expect(sim.runUntil({ member: 2, on: 3, status: 'suspected' }, 2)).toBeGreaterThanOrEqual(0);
  });

  simTest('a cluster too big for one packet still reaches a full mesh; a death is known everywhere', (make) => {
    const size = 50;
    const sim = make({ ...TARANTOOL_TIMING, nodes: size });
    for (let i = 2; i <= size; ++i) sim.addMember(1, i);
    expect(sim.runUntil({ fullmesh: true }, size * 3)).toBeGreaterThanOrEqual(0);

    configureAll(sim, { ackTimeout: 1 });
    const victim = size / 2 + 1;
    sim.setDrop(victim, 1);
    // Detected in a time that does not depend on the cluster size...
    expect(sim.runUntil({ member: victim, status: 'dead', anywhere: true }, 30)).toBeGreaterThanOrEqual(0);
    // ...and learned by everyone (gc off: nobody drops it before the others know).
    configureAll(sim, { gcMode: 'off' });
    expect(sim.runUntil({ member: victim, status: 'dead', everywhere: true }, size)).toBeGreaterThanOrEqual(0);
  });

  simTest('gc off keeps dead members forever', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 2, gcMode: 'off', ackTimeout: 1 });
    sim.interconnect(1, 2);
    sim.setDrop(2, 1);
    sim.run(1);
    expect(sim.runUntil({ member: 2, on: 1, status: 'dead' }, 5)).toBeGreaterThanOrEqual(0);
    sim.run(60);
    expect(sim.status(1, 2)).toBe('dead');
  });

  for (const [rate, seed] of [
    [0.05, 11],
    [0.1, 12],
    [0.2, 13],
    [0.5, 14],
  ] as const) {
    simTest(
      `packet loss ${rate * 100}%: a death is still disseminated everywhere`,
      (make) => {
        const size = 20;
        const sim = make({ ...TARANTOOL_TIMING, nodes: size, ackTimeout: 1, gcMode: 'off' });
        interconnectAll(sim);
        for (let i = 1; i <= size; ++i) sim.setDrop(i, rate);
        sim.setDrop(1, 1);
        expect(sim.runUntil({ member: 1, status: 'dead', everywhere: true }, 1000)).toBeGreaterThanOrEqual(0);
      },
      { seed },
    );
  }

  simTest('members heard of second-hand are not added until they answer', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 3, ackTimeout: 1 });
    sim.interconnect(1, 2);
    sim.interconnect(2, 3);
    sim.setDrop(1, 1);
    sim.block(3);
    expect(sim.runUntil({ member: 1, on: 2, status: 'absent' }, 15)).toBeGreaterThanOrEqual(0); // node 2 dropped node 1
    sim.unblock(3);
    sim.run(1);
    // Node 3 got node 2's old messages naming node 1 alive, but node 1 never answered its probe.
    expect(sim.status(3, 1)).toBe('absent');
  });

  simTest('a member heard of second-hand is added once it answers the probe', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 3 });
    sim.interconnect(1, 2);
    sim.interconnect(2, 3);
    // Node 3 learns node 1 only from node 2's gossip, then from node 1's ack to its probe.
    expect(sim.runUntil({ member: 1, on: 3, status: 'alive' }, 10)).toBeGreaterThanOrEqual(0);
    expect(sim.nodeStats(3).engine.pingsSent).toBeGreaterThan(0);
  });

  simTest('indirect ping: with the direct link 1<->2 cut, neither ever sees the other suspected', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 5, ackTimeout: 1 });
    interconnectAll(sim);
    sim.cut(1, 2);
    const suspicion = () =>
      sim.status(1, 2) !== 'alive' ||
      sim.status(2, 1) !== 'alive' ||
      sim.check({ member: 1, status: 'alive', everywhere: true }) === false ||
      sim.check({ member: 2, status: 'alive', everywhere: true }) === false;
    expect(sim.runUntil(suspicion, 120)).toBe(-1);
    // The proxies really carried the traffic.
    let forwarded = 0;
    for (let i = 3; i <= 5; ++i) forwarded += sim.nodeStats(i).engine.indirectPingsForwarded;
    expect(forwarded).toBeGreaterThan(0);
    expect(sim.nodeStats(1).engine.indirectPingsSent).toBeGreaterThan(0);
    expect(sim.stats().nodes[0].droppedOut).toBeGreaterThan(0); // and the cut was real
  });

  simTest('a killed node is detected dead everywhere and then collected', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 8, ackTimeout: 1 });
    interconnectAll(sim);
    sim.kill(5);
    expect(sim.running(5)).toBe(false);
    expect(sim.runUntil({ member: 5, status: 'dead', anywhere: true }, 30)).toBeGreaterThanOrEqual(0);
    expect(sim.runUntil({ member: 5, status: 'absent', everywhere: true }, 60)).toBeGreaterThanOrEqual(0);
    expect(sim.check({ fullmesh: true })).toBe(true); // among the living
    expect(sim.view(5)).toHaveLength(8); // the dead node's frozen view is still readable
  });
});
