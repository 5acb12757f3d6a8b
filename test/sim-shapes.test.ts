// The simulator and Swim share one API surface: the same Member and stats shapes, the
// same defaults, option checks and error codes (src/config.ts, src/errors.ts).
import { Packr } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS, Swim, type SwimOptions } from '../src/index';
import { Simulation } from '../src/sim';
import { expectSwimError } from './helpers/errors';

const open: Swim[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function swim(options: Partial<SwimOptions> = {}): Swim {
  const s = new Swim({ uri: '127.0.0.1:0', ...options });
  open.push(s);
  return s;
}

describe('sim and Swim: one API surface', () => {
  it('members have the same keys and types; payloads decode the same way', () => {
    const packed = new Packr({ useRecords: false }).pack({ role: 'db' });
    const s = swim();
    s.setPayloadRaw(packed);
    const sim = new Simulation({ nodes: 2, seed: 1 });
    sim.setPayload(1, packed);
    const a = s.self;
    const b = sim.self(1);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    expect(b).toMatchObject({ status: 'alive', isSelf: true, payload: { role: 'db' } });
    expect(b.payloadRaw).toEqual(a.payloadRaw);
    expect(typeof b.incarnation.generation).toBe('bigint');
    expect(typeof b.incarnation.version).toBe('bigint');
    sim.interconnect(1, 2);
    expect(sim.runUntil({ member: 1, on: 2, payload: packed }, 5)).toBeGreaterThanOrEqual(0);
    expect(sim.member(2, 1)).toMatchObject({ isSelf: false, payload: { role: 'db' } });
    expect(sim.self(2).payload).toBeUndefined();
    expect(sim.self(2).payloadRaw).toBeUndefined();
    const [ev] = sim.events(2).filter((e) => e.member.uuid === sim.uuid(1));
    expect(ev.isNew).toBe(true);
    expect(Object.keys(ev.member).sort()).toEqual(Object.keys(a).sort());
  });

  it("a node's engine counters are Swim's counters, under the same keys", () => {
    const s = swim();
    const sim = new Simulation({ nodes: 2, seed: 1 });
    const engine = sim.nodeStats(1).engine;
    const stats = s.stats();
    for (const key of Object.keys(engine)) expect(stats).toHaveProperty(key);
    expect(Object.keys(engine.drops).sort()).toEqual(Object.keys(stats.drops).sort());
    expect(engine.drops).toHaveProperty('wrong_destination');
  });

  it("the simulator runs with Swim's defaults", () => {
    const sim = new Simulation({ nodes: 2, seed: 1 });
    sim.addMember(1, 2);
    // The first round step, hence the full mesh, comes one heartbeat after the start.
    expect(sim.runUntil({ fullmesh: true }, DEFAULTS.heartbeatRate * 0.9)).toBe(-1);
    expect(sim.runUntil({ fullmesh: true }, DEFAULTS.heartbeatRate * 0.1)).toBeCloseTo(DEFAULTS.heartbeatRate * 0.1, 6);
  });

  it('unknown options are ERR_SWIM_CONFIG naming the option, for the simulation and for a node', () => {
    let e = expectSwimError(() => new Simulation({ nodes: 3, whatever: 1 } as never), 'ERR_SWIM_CONFIG');
    expect(e.message).toMatch(/unknown option 'whatever'/);
    e = expectSwimError(() => new Simulation({ nodes: 3, uri: '127.0.0.1:1' } as never), 'ERR_SWIM_CONFIG');
    expect(e.message).toMatch(/unknown option 'uri'/);
    const sim = new Simulation({ nodes: 3, seed: 1 });
    e = expectSwimError(() => sim.configure(1, { heartbeat_rate: 1 } as never), 'ERR_SWIM_CONFIG');
    expect(e.message).toMatch(/unknown option 'heartbeat_rate'/);
    e = expectSwimError(() => new Swim({ uri: 0, whatever: 1 } as never), 'ERR_SWIM_CONFIG');
    expect(e.message).toMatch(/unknown option 'whatever'/);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2e6, '1'])(
    'the same bounds on seconds everywhere: %s is refused',
    (bad) => {
      const sim = new Simulation({ nodes: 1, seed: 1 });
      for (const key of ['heartbeatRate', 'ackTimeout'] as const) {
        expectSwimError(() => new Swim({ uri: 0, [key]: bad } as never), 'ERR_SWIM_CONFIG', { message: new RegExp(key) });
        expectSwimError(() => new Simulation({ nodes: 1, [key]: bad } as never), 'ERR_SWIM_CONFIG', { message: new RegExp(key) });
        expectSwimError(() => sim.configure(1, { [key]: bad } as never), 'ERR_SWIM_CONFIG', { message: new RegExp(key) });
      }
    },
  );

  it('the same error for the same engine error: a UUID another member has is ERR_SWIM_MEMBER', () => {
    const a = swim();
    const b = swim();
    a.addMember({ uri: b.uri, uuid: b.uuid });
    expectSwimError(() => a.configure({ uuid: b.uuid }), 'ERR_SWIM_MEMBER', { reason: 'uuid_in_use' });
    const sim = new Simulation({ nodes: 2, seed: 1 });
    sim.addMember(1, 2);
    expectSwimError(() => sim.configure(1, { uuid: sim.uuid(2) }), 'ERR_SWIM_MEMBER', { reason: 'uuid_in_use' });
    // And a duplicate member, a removed self, a payload too large: the same codes too.
    expectSwimError(() => a.addMember({ uri: b.uri, uuid: b.uuid }), 'ERR_SWIM_MEMBER', { reason: 'duplicate_member' });
    expectSwimError(() => sim.addMember(1, 2), 'ERR_SWIM_MEMBER', { reason: 'duplicate_member' });
    expectSwimError(() => a.removeMember(a.uuid), 'ERR_SWIM_MEMBER', { reason: 'self_member' });
    expectSwimError(() => sim.removeMember(1, 1), 'ERR_SWIM_MEMBER', { reason: 'self_member' });
  });
});
