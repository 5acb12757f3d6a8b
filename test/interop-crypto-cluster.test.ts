// Mixed encrypted clusters: swim-native Swims and tarantool 2.6 (`swim:set_codec()`) in one
// cluster, for every algo/mode pair Tarantool speaks. All 12 pairs run at once, each with
// its own tarantool swim instance (one tarantool process hosts them all), so the file costs
// one convergence, not twelve.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Swim, type MemberEvent, type SwimStats } from '../src/index';
import { requireTarantool, startTarantool, stopAllTarantools, type TarantoolInstance } from './helpers/tarantool';
import { waitFor } from './helpers/wait';
import { ALGOS, MODES } from './helpers/ciphers';

const tt = requireTarantool();


// Tarantool side: one swim instance per pair, kept in `swims[name]`; statuses(name, uuid...)
// reports how it sees each member ('alive', 'suspected', 'dead', 'left', or 'none').
const SCRIPT = String.raw`
swims = {}
function new_swim(name, uuid, algo, mode, keyhex)
  local s = require('swim').new({uri = '127.0.0.1:0', uuid = uuid, heartbeat_rate = 0.1, ack_timeout = 0.5})
  local ok, err = s:set_codec({algo = algo, mode = mode, key = harness.unhex(keyhex)})
  if not ok then error(tostring(err)) end
  swims[name] = s
  return tonumber(s:self():uri():match(':(%d+)$'))
end
function statuses(name, ...)
  local s = swims[name]
  local out = {}
  for i, uuid in ipairs({...}) do
    local m = s:member_by_uuid(uuid)
    out[i] = m and m:status() or 'none'
  end
  return out
end
`;

interface Pair {
  name: string;
  ttUuid: string;
  ttUri: string;
  /** Same key as the tarantool instance. */
  ours: Swim[];
  /** A wrong key of the right length. */
  intruder: Swim;
  /** Every member event the two good Swims saw. */
  events: { uuid: string; status: string }[];
}

const swims: Swim[] = [];

describe.skipIf(!tt.available)('interop: mixed encrypted clusters with tarantool 2.6', () => {
  let t: TarantoolInstance;
  let pairs: Pair[] = [];

  // Full mesh, seen from every side: each Swim has the other Swim and tarantool alive,
  // tarantool has both Swims alive.
  const meshOf = async (p: Pair): Promise<boolean> => {
    for (const s of p.ours) {
      if (s.member(p.ttUuid)?.status !== 'alive') return false;
      if (!p.ours.every((o) => s.member(o.uuid)?.status === 'alive')) return false;
    }
    const st = await t.eval<string[]>('return statuses(...)', p.name, ...p.ours.map((s) => s.uuid));
    return st.every((x) => x === 'alive');
  };

  beforeAll(async () => {
    t = await startTarantool({ name: 'crypto-cluster', script: SCRIPT });
  });
  afterAll(async () => {
    await Promise.all(swims.splice(0).map((s) => s.close()));
    await stopAllTarantools();
  });

  it('for every algo/mode pair, 2 Swims and tarantool reach a full mesh', async () => {
    pairs = await Promise.all(
      ALGOS.flatMap(([algo, keySize]) =>
        MODES.map(async (mode): Promise<Pair> => {
          const name = `${algo}-${mode}`;
          const key = randomBytes(keySize);
          const ttUuid = randomUUID();
          const ttPort = await t.eval<number>('return new_swim(...)', name, ttUuid, algo, mode, key.toString('hex'));
          const ttUri = `127.0.0.1:${ttPort}`;
          const make = (k: Buffer): Swim => {
            const s = new Swim({ uri: '127.0.0.1:0', heartbeatRate: 0.1, ackTimeout: 1, codec: { algo, mode, key: k } });
            swims.push(s);
            return s;
          };
          const ours = [make(key), make(key)];
          const intruder = make(randomBytes(keySize));
          const events: Pair['events'] = [];
          for (const s of ours)
            s.on('member', (ev: MemberEvent) => events.push({ uuid: ev.member.uuid, status: ev.member.status }));
          // Bootstrap: the first Swim knows tarantool, the second knows the first; the rest is
          // gossip. The intruder knows tarantool, and tarantool is told about the intruder.
          ours[0].addMember({ uri: ttUri, uuid: ttUuid });
          ours[1].addMember({ uri: ours[0].uri, uuid: ours[0].uuid });
          intruder.addMember({ uri: ttUri, uuid: ttUuid });
          await t.eval(
            'assert(swims[select(1, ...)]:add_member({uri = select(2, ...), uuid = select(3, ...)}))',
            name,
            intruder.uri,
            intruder.uuid,
          );
          return { name, ttUuid, ttUri, ours, intruder, events };
        }),
      ),
    );

    await waitFor(async () => (await Promise.all(pairs.map(meshOf))).every(Boolean), 20_000, {
      what: 'full mesh in every pair',
      intervalMs: 100,
    });
  });

  it('for every algo/mode pair, a member with a wrong key never joins, either way', async () => {
    expect(pairs).toHaveLength(ALGOS.length * MODES.length);
    // The intruder. Tarantool was told about it with add_member(), which records it at
    // incarnation {0, 0}; the first ping or ack from it that tarantool could decrypt and
    // decode would replace that with the intruder's real generation (wall-clock
    // microseconds). So once the intruder has pinged tarantool many times (it knows only
    // tarantool: every round goes there) and has itself rejected tarantool's pings, a
    // record still at generation 0 proves none of its datagrams got through. (Tarantool's
    // own failure detection is no witness here: 2.6 re-arms its ack timer on every round
    // step, so with heartbeat_rate < ack_timeout and several members it never suspects
    // anyone.)
    // Block modes reject a wrong key at the padding check (decrypt_failed; about 1 packet
    // in 256 passes it and decrypts to junk); stream modes decrypt anything, and the
    // packet decoder drops the junk.
    const rejected = (s: SwimStats): number => s.cipherDrops.decrypt_failed + s.packetsDropped;
    await waitFor(() => pairs.every((p) => rejected(p.intruder.stats()) >= 5 && p.intruder.stats().pingsSent >= 10), 20_000, {
      what: 'every intruder pinged tarantool and rejected its pings',
      intervalMs: 100,
    });
    for (const p of pairs) {
      const rec = await t.eval<{ generation: string; version: string } | null>(
        'return harness.member(swims[select(1, ...)]:member_by_uuid(select(2, ...)))',
        p.name,
        p.intruder.uuid,
      );
      // (null: tarantool declared it dead and collected it, never having heard from it.)
      if (rec !== null) expect([rec.generation, rec.version], `${p.name}: tarantool decoded the intruder`).toEqual(['0', '0']);
    }

    for (const p of pairs) {
      const is = p.intruder.stats();
      // Nothing reached the intruder's protocol: no ping, no ack, nobody but its seed
      // (which it may have declared dead and collected by now).
      expect(is.pingsReceived, `${p.name}: intruder got a ping`).toBe(0);
      expect(is.acksReceived, `${p.name}: intruder got an ack`).toBe(0);
      for (const m of p.intruder.members()) expect([p.intruder.uuid, p.ttUuid], p.name).toContain(m.uuid);
      const mode = p.name.split('-')[1];
      if (mode === 'ecb' || mode === 'cbc') {
        expect(is.cipherDrops.decrypt_failed, `${p.name}: padding check`).toBeGreaterThan(is.packetsDropped);
      } else {
        expect(is.packetsDropped, `${p.name}: decoder`).toBeGreaterThan(0);
        expect(is.transformDrops, `${p.name}: stream modes never fail to decrypt`).toBe(0);
      }
      // The good Swims never took the intruder in (tarantool gossips about it: they probe it
      // first, and it cannot answer), and never saw anyone but each other and tarantool
      // other than alive.
      for (const s of p.ours) expect(s.member(p.intruder.uuid), `${p.name}: intruder in a Swim`).toBeUndefined();
      expect(p.events.filter((e) => e.uuid === p.intruder.uuid), p.name).toEqual([]);
      expect(p.events.filter((e) => e.status !== 'alive'), p.name).toEqual([]);
      // Nothing the good members exchanged was rejected.
      for (const s of p.ours) expect(s.stats().transformDrops, `${p.name}: good member drops`).toBe(0);
    }
    // Still a full mesh everywhere at the end.
    expect((await Promise.all(pairs.map(meshOf))).every(Boolean)).toBe(true);
  });
});
