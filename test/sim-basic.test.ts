// Tarantool's own SWIM scenarios (test/unit/swim.c), ported to the simulator: membership
// basics. Nodes are 1-based here (Tarantool's S1 is node 1).
import { describe, expect } from 'vitest';
import { interconnectAll, simTest, swimError, testUuid, TARANTOOL_TIMING } from './sim-helpers';

describe('sim: membership basics', () => {
  simTest('one link becomes a full mesh after exactly one round step', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 2 });
    sim.addMember(1, 2);
    expect(sim.runUntil({ fullmesh: true }, 0.9)).toBe(-1); // no round yet, no full mesh
    expect(sim.runUntil({ fullmesh: true }, 0.1)).toBe(0.1);
    expect(sim.status(1, 1)).toBe('alive');
    expect(sim.status(2, 2)).toBe('alive');
    expect(sim.status(1, 2)).toBe('alive');
    expect(sim.status(2, 1)).toBe('alive');
  });

  simTest('a 5-node chain converges to a full mesh in O(N)', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 5 });
    for (let i = 1; i < 5; ++i) sim.addMember(i, i + 1);
    expect(sim.runUntil({ fullmesh: true }, 10)).toBeGreaterThanOrEqual(0);
    for (let i = 1; i <= 5; ++i) expect(sim.view(i)).toHaveLength(5);
  });

  simTest('UUID update: the old UUID is left, then dropped; a used UUID is refused', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 2 });
    sim.addMember(1, 2);
    expect(sim.runUntil({ fullmesh: true }, 1)).toBeGreaterThanOrEqual(0);
    const old = sim.uuid(1);
    const fresh = testUuid(1000);
    sim.configure(1, { uuid: fresh });
    expect(sim.uuid(1)).toBe(fresh);
    expect(sim.self(1).uuid).toBe(fresh);
    expect(sim.status(1, old)).toBe('left'); // the old self stays behind as 'left'
    sim.run(5);
    expect(sim.member(1, old)).toBeNull(); // and is dropped after a while
    expect(sim.member(2, old)).toBeNull(); // everywhere
    expect(sim.check({ fullmesh: true })).toBe(true);
    expect(sim.view(1)).toHaveLength(2);
    expect(sim.view(2)).toHaveLength(2);
    const err = swimError(() => sim.configure(1, { uuid: sim.uuid(2) }));
    expect(err.code).toBe('ERR_SWIM_MEMBER'); // as Swim's configure({ uuid })
    expect(err.reason).toBe('uuid_in_use');
    expect(sim.uuid(1)).toBe(fresh);
  });

  simTest('configuration errors', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 2, configure: false });
    let err = swimError(() => sim.configure(1, {}));
    expect(err.code).toBe('ERR_SWIM_CONFIG'); // first configure needs a URI
    err = swimError(() => sim.configure(1, { uri: '127.0.0.1:1' }));
    expect(err.code).toBe('ERR_SWIM_CONFIG'); // and a UUID
    sim.configure(1, { uri: '127.0.0.1:1', uuid: testUuid(1) });
    sim.configure(1, {}); // later ones can omit both
    sim.configure(1, { heartbeatRate: 2, ackTimeout: 2 }); // timers are dynamic
    expect(sim.uri(1)).toBe('127.0.0.1:1'); // URI unchanged by a configure without one

    for (const bad of ['127.1.1.1.1.1.1:1', 'google.com:1', 'unix/:/home/gerold103/any/dir', '127.0.0.1:65536']) {
      err = swimError(() => sim.configure(2, { uri: bad, uuid: testUuid(2) }));
      expect(err.code).toBe('ERR_SWIM_CONFIG');
      expect(err.reason).toBe('invalid_uri');
    }
    err = swimError(() => sim.configure(2, { uri: '127.0.0.1:1', uuid: testUuid(2) }));
    expect(err.code).toBe('ERR_SWIM_BIND'); // node 1 has that address
    err = swimError(() => sim.configure(2, { uri: '127.0.0.1:2', uuid: '00000000-0000-0000-0000-000000000000' }));
    expect(err.code).toBe('ERR_SWIM_CONFIG'); // nil UUID
    err = swimError(() => sim.configure(2, { uri: '127.0.0.1:2', uuid: testUuid(2), heartbeatRate: 0 }));
    expect(err.code).toBe('ERR_SWIM_CONFIG');
    err = swimError(() => sim.configure(2, { uri: '127.0.0.1:2', uuid: testUuid(2), ackTimeout: -1 }));
    expect(err.code).toBe('ERR_SWIM_CONFIG');
    err = swimError(() => sim.configure(2, { uri: '127.0.0.1:2', uuid: testUuid(2), indirectPingCount: 0 }));
    expect(err.code).toBe('ERR_SWIM_CONFIG');
    err = swimError(() => sim.configure(2, { uri: '127.0.0.1:2', uuid: 'not-a-uuid' }));
    expect(err.code).toBe('ERR_SWIM_CONFIG');
    // Commands before the first successful configure.
    err = swimError(() => sim.addMember(2, 1));
    expect(err.code).toBe('ERR_SWIM_CONFIG');
    err = swimError(() => sim.setPayload(2, 'x'));
    expect(err.code).toBe('ERR_SWIM_CONFIG');

    sim.configure(2, { uri: '127.0.0.1:2', uuid: testUuid(2) });
    sim.addMember(2, 1);
    expect(sim.runUntil({ fullmesh: true }, 3)).toBeGreaterThanOrEqual(0);
  });

  simTest('add and remove: duplicates, self, unknown, removal during a round', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 2 });
    sim.addMember(1, 2);
    expect(sim.runUntil({ fullmesh: true }, 1)).toBeGreaterThanOrEqual(0);

    let err = swimError(() => sim.addMember(1, 2));
    expect(err.code).toBe('ERR_SWIM_MEMBER'); // already there
    err = swimError(() => sim.addMember(1, 1));
    expect(err.code).toBe('ERR_SWIM_MEMBER'); // self
    err = swimError(() => sim.addMember(1, { uri: '127.0.0101010101', uuid: testUuid(1000) }));
    expect(err.code).toBe('ERR_SWIM_INVALID_ARG');
    expect(err.reason).toBe('invalid_uri');
    err = swimError(() => sim.removeMember(2, 2));
    expect(err.code).toBe('ERR_SWIM_MEMBER'); // can not remove self

    expect(sim.member(1, 2)).not.toBeNull(); // find by UUID works
    sim.removeMember(1, 2);
    expect(sim.member(1, 2)).toBeNull();
    // Unlike Tarantool (which returns success), the core reports an unknown member.
    err = swimError(() => sim.removeMember(1, testUuid(1000)));
    expect(err.code).toBe('ERR_SWIM_MEMBER');

    expect(sim.check({ fullmesh: true })).toBe(false); // after removal, no full mesh
    expect(sim.runUntil({ fullmesh: true }, 1)).toBeGreaterThanOrEqual(0); // back in one step

    // Node 1's round message to node 2 is in flight (held) when node 2 is removed.
    sim.block(1);
    sim.run(1);
    sim.removeMember(1, 2);
    sim.unblock(1);
    expect(sim.runUntil({ fullmesh: true }, 1)).toBeGreaterThanOrEqual(0);

    // Add then remove before any event is read: no trace in the member table.
    sim.addMember(1, { uri: '127.0.0.1:77', uuid: testUuid(77) });
    expect(sim.status(1, testUuid(77))).toBe('alive');
    sim.removeMember(1, testUuid(77));
    expect(sim.member(1, testUuid(77))).toBeNull();
  });

  simTest('probe: validated, and an answered probe adds the member', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 2 });
    const err = swimError(() => sim.probe(1, 'nonsense'));
    expect(err.code).toBe('ERR_SWIM_INVALID_ARG');
    sim.probe(1, 2);
    expect(sim.runUntil({ fullmesh: true }, 0.1)).toBeGreaterThanOrEqual(0);
    expect(sim.status(1, 2)).toBe('alive');
    expect(sim.status(2, 1)).toBe('alive');
  });

  simTest('broadcast discovery: to one port, then to all', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 4 });
    sim.broadcast(1, 2); // node 2 listens on port 2
    expect(sim.runUntil({ member: 1, on: 2, status: 'alive' }, 1)).toBeGreaterThanOrEqual(0);
    sim.run(1);
    expect(sim.status(3, 1)).toBe('absent'); // others don't hear it
    expect(sim.status(4, 1)).toBe('absent');

    sim.broadcast(1); // every port
    expect(sim.runUntil({ member: 1, status: 'alive', everywhere: true }, 0)).toBe(0);
    // No link was added explicitly, yet everyone meets everyone.
    expect(sim.runUntil({ fullmesh: true }, 4)).toBeGreaterThanOrEqual(0);
  });

  simTest('lookup by UUID', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 1 });
    const self = sim.member(1, 1);
    expect(self).not.toBeNull();
    expect(self?.isSelf).toBe(true);
    expect(self?.uuid).toBe(sim.uuid(1));
    expect(self?.uri).toBe('127.0.0.1:1');
    expect(sim.member(1, testUuid(1000))).toBeNull();
    expect(swimError(() => sim.member(1, 'garbage')).code).toBe('ERR_SWIM_INVALID_ARG');
  });

  simTest('node identities are deterministic', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 300 });
    expect(sim.uuid(1)).toBe('00000000-0000-1000-8000-000000000001');
    expect(sim.uuid(300)).toBe('00000000-0000-1000-8000-00000000012c');
    expect(sim.uri(300)).toBe('127.0.0.1:300');
    expect(sim.generation(7)).toBe(0n);
  });

  simTest('full interconnect of 10 nodes is a full mesh at once and stays one', (make) => {
    const sim = make({ ...TARANTOOL_TIMING, nodes: 10, ackTimeout: 1 });
    interconnectAll(sim);
    expect(sim.check({ fullmesh: true })).toBe(true);
    // Nobody is ever suspected on a healthy network.
    expect(sim.runUntil(() => !sim.check({ fullmesh: true }), 60)).toBe(-1);
  });
});
