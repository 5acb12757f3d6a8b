// Tarantool's SWIM scenarios (test/unit/swim.c), ported to the simulator: quit, URI
// update, payloads, generations, member events.
import { describe, expect } from 'vitest';
import { EventMask, type MemberEvent } from '../src/sim';
import { interconnectAll, simTest, swimError, testUuid, TARANTOOL_TIMING } from './sim-helpers';

describe('sim: quit', () => {
  simTest('quit is known everywhere at once; a rejoin refutes it; a UUID thief refutes its quit', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 3 });
    interconnectAll(sim);
    sim.quit(1);
    expect(sim.self(1).status).toBe('left'); // self is left immediately
    expect(sim.running(1)).toBe(false);
    // The quit goes to every member without waiting for a round.
    expect(sim.runUntil({ member: 1, status: 'left', everywhere: true }, 0)).toBe(0);
    expect(swimError(() => sim.quit(1)).code).toBe('ERR_SWIM_CLOSED');

    // Back with a new generation: 'left' at the old incarnation is overridden.
    sim.restart(1, { seed: 2 });
    expect(sim.self(1).incarnation).toEqual({ generation: 1n, version: 0n });
    expect(
      sim.runUntil({ member: 1, status: 'alive', everywhere: true, incarnation: { generation: 1, version: 0 } }, 3),
    ).toBeGreaterThanOrEqual(0);
    expect(sim.runUntil({ fullmesh: true }, 3)).toBeGreaterThanOrEqual(0);

    // Node 1 quits, and node 2 (blocked, so it gets the quit late) takes node 1's UUID.
    const s1 = sim.uuid(1);
    sim.removeMember(2, s1);
    sim.removeMember(3, s1);
    sim.quit(1);
    sim.block(2);
    sim.configure(2, { uuid: s1 });
    sim.run(1);
    expect(sim.status(3, s1)).toBe('absent'); // a quit does not add its sender back
    sim.unblock(2);
    // Node 2 receives a quit under its own UUID (with node 1's generation): it refutes it.
    expect(sim.runUntil({ member: s1, on: 2, incarnation: { generation: 1, version: 1 } }, 0)).toBe(0);
    expect(sim.self(2).status).toBe('alive');
  });

  simTest('a member heard of as left is never added, even with gc off', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 3, gcMode: 'off' });
    sim.interconnect(1, 3);
    sim.interconnect(2, 3);
    sim.quit(1);
    sim.run(2);
    expect(sim.status(3, 1)).toBe('left');
    expect(sim.status(2, 1)).toBe('absent'); // node 2 never knew node 1
    sim.run(2);
    expect(sim.status(3, 1)).toBe('absent'); // dropped once its news was disseminated
    expect(sim.status(2, 1)).toBe('absent'); // and never added from gossip
  });
});

describe('sim: URI update', () => {
  simTest('a new URI beats a stale one gossiped later', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 3 });
    sim.interconnect(1, 2);
    sim.setDrop(3, 1); // node 3 keeps node 1's old URI
    sim.addMember(3, 2);
    sim.addMember(3, 1);
    const fresh = '127.0.0.5:1';
    sim.configure(1, { uri: fresh });
    expect(sim.uri(1)).toBe(fresh);
    sim.run(1); // node 1 only knows node 2: one round step is enough
    expect(sim.member(2, 1)?.uri).toBe(fresh);

    sim.setDrop(1, 1); // node 1 can not tell node 3
    sim.setDrop(2, 1, 'out'); // nor can node 2, which still hears node 3
    sim.setDrop(3, 0);
    sim.run(3); // node 3 gossips the old URI to node 2
    expect(sim.stats().nodes[2].packetsSent).toBeGreaterThan(0);
    expect(sim.member(2, 1)?.uri).toBe(fresh);
  });
});

describe('sim: payload', () => {
  simTest('payload basics: nil default, size limit, dissemination, updates via anti-entropy', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 3 });
    interconnectAll(sim);
    expect(sim.self(1).payloadRaw).toBeUndefined();
    expect(sim.member(2, 1)?.payloadRaw).toBeUndefined();

    let err = swimError(() => sim.setPayload(1, new Uint8Array(1300)));
    expect(err.code).toBe('ERR_SWIM_PAYLOAD_TOO_LARGE');
    err = swimError(() => sim.setPayload(3, new Uint8Array(1201)));
    expect(err.code).toBe('ERR_SWIM_PAYLOAD_TOO_LARGE');
    expect(sim.self(1).incarnation.version).toBe(0n); // a refused payload changes nothing
    sim.setPayload(3, new Uint8Array(1200).fill(7)); // the limit itself is fine
    expect(sim.self(3).payloadRaw?.length).toBe(1200);

    const p1 = 'S1 payload\0';
    sim.setPayload(1, p1);
    expect(sim.self(1).incarnation.version).toBe(1n); // each update bumps the version
    expect(sim.self(1).payloadRaw?.toString()).toBe(p1);
    expect(sim.runUntil({ member: 1, payload: p1 }, 3)).toBeGreaterThanOrEqual(0);

    const p2 = 'S1 second version of payload\0';
    sim.setPayload(1, p2);
    expect(sim.self(1).incarnation.version).toBe(2n);
    expect(sim.runUntil({ member: 1, payload: p2 }, 3)).toBeGreaterThanOrEqual(0);

    // Node 1 is cut off while its third payload's dissemination TTD runs out: it arrives
    // later with anti-entropy, its newer incarnation overriding the old copy.
    sim.setDrop(1, 1);
    const p3 = 'S1 third version of payload\0';
    sim.setPayload(1, p3);
    sim.run(3);
    sim.setDrop(1, 0);
    expect(sim.runUntil({ member: 1, payload: p3 }, 3)).toBeGreaterThanOrEqual(0);
    expect(sim.runUntil({ member: 3, payload: new Uint8Array(1200).fill(7) }, 10)).toBeGreaterThanOrEqual(0);

    sim.setPayload(1, null); // cleared
    expect(sim.self(1).payloadRaw).toBeUndefined();
    expect(sim.runUntil({ member: 1, payload: null }, 10)).toBeGreaterThanOrEqual(0);
  });

  simTest('generation: a restarted node re-sets its payload and the new one wins', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 2 });
    sim.interconnect(1, 2);
    sim.setPayload(1, 'payload 1');
    expect(sim.runUntil({ member: 1, payload: 'payload 1' }, 1)).toBeGreaterThanOrEqual(0);
    sim.restart(1);
    sim.setPayload(1, 'payload 2');
    // Without generations version 1 would lose to the old version 1 forever.
    expect(sim.runUntil({ member: 1, payload: 'payload 2' }, 2)).toBeGreaterThanOrEqual(0);
    expect(sim.member(2, 1)?.incarnation.generation).toBe(1n);
  });

  simTest('a newer incarnation without payload makes the old copy stale until a fresh one arrives', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 3 });
    interconnectAll(sim);
    sim.setPayload(1, 'v1');
    expect(sim.runUntil({ member: 1, payload: 'v1' }, 5)).toBeGreaterThanOrEqual(0);
    sim.setPayload(1, 'v2');
    expect(sim.runUntil({ member: 1, payload: 'v2' }, 10)).toBeGreaterThanOrEqual(0);
    // Nobody ever reports the old payload again under the new incarnation.
    expect(sim.runUntil(() => !sim.check({ member: 1, payload: 'v2' }), 30)).toBe(-1);
  });
});

describe('sim: member events', () => {
  const only = (events: MemberEvent[], uuid: string) => events.filter((e) => e.member.uuid === uuid);

  simTest('events carry what changed, merge until read, and skip add+drop', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 2, ackTimeout: 1 });
    sim.events(1); // skip the 'new self' events
    sim.events(2);
    sim.interconnect(1, 2);
    let ev = sim.events(1);
    expect(ev).toHaveLength(1);
    expect(ev[0].mask).toBe(EventMask.NEW);
    expect(ev[0].member.uuid).toBe(sim.uuid(2));
    expect(ev[0].member.isSelf).toBe(false);

    sim.setPayload(1, '123');
    ev = sim.events(1);
    expect(ev).toHaveLength(1);
    expect(ev[0].member.isSelf).toBe(true);
    expect(ev[0].mask).toBe(EventMask.NEW_PAYLOAD | EventMask.NEW_VERSION);

    sim.setDrop(2, 1);
    expect(sim.runUntil({ member: 2, on: 1, status: 'suspected' }, 3)).toBeGreaterThanOrEqual(0);
    ev = only(sim.events(1), sim.uuid(2));
    expect(ev).toHaveLength(1);
    expect(ev[0].mask).toBe(EventMask.NEW_STATUS);
    expect(ev[0].member.status).toBe('suspected');

    expect(sim.runUntil({ member: 2, on: 1, status: 'dead' }, 3)).toBeGreaterThanOrEqual(0);
    ev = only(sim.events(1), sim.uuid(2));
    expect(ev.map((e) => e.mask)).toEqual([EventMask.NEW_STATUS]);
    expect(ev[0].member.status).toBe('dead');

    expect(sim.runUntil({ member: 2, on: 1, status: 'absent' }, 2)).toBeGreaterThanOrEqual(0);
    ev = only(sim.events(1), sim.uuid(2));
    expect(ev.map((e) => e.mask)).toEqual([EventMask.DROP]);
    expect(ev[0].member.status).toBe('dead'); // the last state it had
    expect(sim.member(1, 2)).toBeNull();

    // Two payload updates before reading: one merged event.
    sim.setPayload(1, 'a');
    sim.setPayload(1, 'b');
    ev = sim.events(1);
    expect(ev).toHaveLength(1);
    expect(ev[0].mask).toBe(EventMask.NEW_PAYLOAD | EventMask.NEW_VERSION);
    expect(ev[0].member.payloadRaw?.toString()).toBe('b');

    // Added and dropped before delivery: nothing.
    sim.addMember(1, { uri: '127.0.0.1:99', uuid: testUuid(99) });
    sim.removeMember(1, testUuid(99));
    expect(only(sim.events(1), testUuid(99))).toEqual([]);
    expect(sim.events(1)).toEqual([]); // drained
  });

  simTest('a local URI change is a URI and version event', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 1 });
    sim.events(1);
    sim.configure(1, { uri: '127.0.0.1:2' });
    const ev = sim.events(1);
    expect(ev).toHaveLength(1);
    expect(ev[0].member.isSelf).toBe(true);
    expect(ev[0].mask).toBe(EventMask.NEW_URI | EventMask.NEW_VERSION);
    expect(ev[0].mask & EventMask.NEW_INCARNATION).not.toBe(0);
  });
});
