// A mixed cluster on 127.0.0.1: 3 swim-native instances (in this process) and 3 Tarantool
// 2.6 processes running `require('swim')`. Everything either side does must be seen by the
// other: fullmesh, MsgPack payloads, a killed process (dead), a closed instance (suspected,
// then dead), quit (left), and a restart with a higher generation (the new incarnation wins).
//
// The steps run in order on one cluster. Short timeouts on both sides keep it fast; every
// wait polls a condition with a generous deadline (the machine may be loaded).
import { randomUUID } from 'node:crypto';
import * as dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Swim, type MemberEvent, type MemberStatus } from '../src/index';
import { requireTarantool, startTarantool, stopAllTarantools, type TarantoolInstance } from './helpers/tarantool';
import { waitFor } from './helpers/wait';

const tt = requireTarantool();

const HEARTBEAT = 0.2;
const ACK_TIMEOUT = 0.5;
const GEN = 10;
/** Deadline of every wait: far above what each step takes on an idle machine (1-6 s). */
const DEADLINE = 25_000;

// Tarantool side: one swim instance `s`, and a record of the statuses it reports over time for
// the members the test watches, from two sources: its member-event trigger, and a fiber that
// samples `s:member_by_uuid()` every 10 ms. Consecutive duplicates are folded, so `hist[uuid]`
// reads like 'alive', 'suspected', 'dead', 'absent' (dropped or not known).
const TT_SCRIPT = String.raw`
swim_lib = require('swim')
s = nil
hist = {}
watched = {}
local function note(uuid, status)
  local h = hist[uuid]
  if h == nil then h = {} hist[uuid] = h end
  if h[#h] ~= status then table.insert(h, status) end
end
function status_of(uuid)
  if s == nil then return 'absent' end
  local ok, m = pcall(s.member_by_uuid, s, uuid)
  if not ok or m == nil then return 'absent' end
  return m:status()
end
function start(cfg)
  s = swim_lib.new(cfg)
  s:on_member_event(function(m, e)
    local u = tostring(m:uuid())
    if watched[u] then note(u, e:is_drop() and 'absent' or m:status()) end
  end)
  return harness.member(s:self())
end
function watch(uuid)
  hist[uuid] = {}
  watched[uuid] = true
  note(uuid, status_of(uuid))
end
fiber.create(function()
  while true do
    for u in pairs(watched) do note(u, status_of(u)) end
    fiber.sleep(0.01)
  end
end)
`;

interface TtMember {
  uri: string;
  uuid: string;
  status: MemberStatus;
  generation: string;
  version: string;
  payload_hex?: string;
}

interface Peer {
  name: string;
  uuid: string;
  uri: string;
}

const nodes: Swim[] = [];
const tts: TarantoolInstance[] = [];
const ttPeers: Peer[] = [];
/** Stats of the Node instances, taken just before each was closed or quit, and at the end. */
const finalStats: { name: string; stats: ReturnType<Swim['stats']> }[] = [];
/** Tarantool logs, kept when a process is killed or replaced. */
const ttLogs: string[] = [];

function retire(i: number): Swim {
  finalStats.push({ name: `node${i + 1}`, stats: nodes[i].stats() });
  return nodes[i];
}

async function startTt(i: number, cfg: { uri: string; uuid: string; generation: number }): Promise<TarantoolInstance> {
  const t = await startTarantool({ name: `tt${i + 1}`, script: TT_SCRIPT });
  const self = await t.eval<TtMember>('return start(...)', { ...cfg, heartbeat_rate: HEARTBEAT, ack_timeout: ACK_TIMEOUT });
  ttPeers[i] = { name: `tt${i + 1}`, uuid: self.uuid, uri: self.uri };
  return t;
}

const ttMembers = (t: TarantoolInstance) => t.eval<TtMember[]>('return harness.members(s)');
const ttMember = (t: TarantoolInstance, uuid: string) =>
  t.eval<TtMember | undefined>('return harness.member(s:member_by_uuid(...))', uuid);
const ttHistory = (t: TarantoolInstance, uuid: string) => t.eval<string[]>('return hist[...]', uuid);

/** A UDP port that was free a moment ago (for Tarantool, which cannot report a port-0 rebind). */
async function freeUdpPort(): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const { port } = sock.address();
  await new Promise<void>((resolve) => sock.close(resolve));
  return port;
}

function allPeers(): Peer[] {
  return [...nodes.map((n, i) => ({ name: `node${i + 1}`, uuid: n.uuid, uri: n.uri })), ...ttPeers];
}

/** Collects, per observer, every status a Node instance reported for `uuid` ('absent' for a drop). */
function recordNodeStatuses(observers: Swim[], uuid: string): string[][] {
  const seen = observers.map((o) => {
    const st = o.member(uuid)?.status;
    return [st ?? 'absent'];
  });
  observers.forEach((o, i) =>
    o.on('member', (ev: MemberEvent) => {
      if (ev.member.uuid !== uuid) return;
      const st = ev.isDrop ? 'absent' : ev.member.status;
      if (seen[i][seen[i].length - 1] !== st) seen[i].push(st);
    }),
  );
  return seen;
}

beforeAll(async () => {
  if (!tt.available) return;
  for (let i = 0; i < 3; i++)
    tts.push(await startTt(i, { uri: '127.0.0.1:0', uuid: randomUUID(), generation: GEN }));
  for (let i = 0; i < 3; i++)
    nodes.push(new Swim({ uri: '127.0.0.1:0', heartbeatRate: HEARTBEAT, ackTimeout: ACK_TIMEOUT, generation: GEN }));
  // Chain bootstrap across the two implementations: tt1 <- node1 <- tt2 <- node2 <- tt3 <- node3.
  // Two links by address only (a ping; the peer is added when it answers): node3 probes tt3,
  // tt3 probes node2.
  for (let i = 0; i < 3; i++) {
    if (i < 2) nodes[i].addMember({ uri: ttPeers[i].uri, uuid: ttPeers[i].uuid });
    else nodes[i].probeMember(ttPeers[i].uri);
    if (i === 1) await tts[i].eval('assert(s:add_member(...))', { uri: nodes[i - 1].uri, uuid: nodes[i - 1].uuid });
    if (i === 2) await tts[i].eval('assert(s:probe_member(...))', nodes[i - 1].uri);
  }
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await stopAllTarantools();
});

describe.skipIf(!tt.available)('a mixed cluster: 3 swim-native + 3 Tarantool 2.6', () => {
  it('reaches a full mesh seen from both sides', async () => {
    const expected = allPeers()
      .map((p) => `${p.uuid} ${p.uri} alive`)
      .sort();
    await waitFor(
      async () => {
        for (const n of nodes) {
          const got = n.members().map((m) => `${m.uuid} ${m.uri} ${m.status}`).sort();
          if (JSON.stringify(got) !== JSON.stringify(expected)) return false;
        }
        for (const t of tts) {
          const got = (await ttMembers(t)).map((m) => `${m.uuid} ${m.uri} ${m.status}`).sort();
          if (JSON.stringify(got) !== JSON.stringify(expected)) return false;
        }
        return true;
      },
      DEADLINE,
      { what: 'all 6 members see 6 alive members', intervalMs: 100 },
    );
    // Incarnations agree across the implementations too.
    for (const t of tts)
      for (const m of await ttMembers(t)) expect(m.generation, `${t.name} sees ${m.uri}`).toBe(String(GEN));
    for (const n of nodes) for (const m of n.members()) expect(m.incarnation.generation).toBe(BigInt(GEN));
  });

  it('a payload set by swim-native reads back equal in Tarantool', async () => {
    const value = { a: 1, b: 'x', nested: { list: [1, 2, 3], ok: true } };
    nodes[0].setPayload(value);
    const rawHex = nodes[0].self.payloadRaw!.toString('hex');
    await waitFor(
      async () => {
        for (const t of tts) {
          const m = await ttMember(t, nodes[0].uuid);
          if (m?.payload_hex !== rawHex) return false;
        }
        return true;
      },
      DEADLINE,
      { what: 'every Tarantool has the new payload bytes', intervalMs: 100 },
    );
    for (const t of tts) {
      // member:payload() is Tarantool's own MsgPack decoding of it, a Lua table.
      const decoded = await t.eval('return s:member_by_uuid(...):payload()', nodes[0].uuid);
      expect(decoded, t.name).toEqual(value);
      const isTable = await t.eval('return type(s:member_by_uuid(...):payload())', nodes[0].uuid);
      expect(isTable).toBe('table');
    }
    // The other Node members agree as well.
    await waitFor(() => nodes.every((n) => JSON.stringify(n.member(nodes[0].uuid)?.payload) === JSON.stringify(value)), DEADLINE, {
      what: 'Node members have the payload',
    });
  });

  it('a payload set by Tarantool reads back deep-equal in swim-native', async () => {
    const hex = await tts[1].eval<string>(`
      assert(s:set_payload({role = 'storage', n = 42, big = 2^40, tags = {'a', 'b'}, nested = {x = true}}))
      return harness.hex(s:self():payload_str())`);
    const expected = { role: 'storage', n: 42, big: 2 ** 40, tags: ['a', 'b'], nested: { x: true } };
    await waitFor(
      () => nodes.every((n) => n.member(ttPeers[1].uuid)?.payloadRaw?.toString('hex') === hex),
      DEADLINE,
      { what: 'every Node member has the Tarantool payload', intervalMs: 50 },
    );
    for (const n of nodes) expect(n.member(ttPeers[1].uuid)!.payload).toEqual(expected);
  });

  it('a payload cleared on either side is gone on the other', async () => {
    nodes[0].setPayload(null);
    await tts[1].eval('assert(s:set_payload(nil))');
    await waitFor(
      async () => {
        for (const t of tts) {
          const m = await ttMember(t, nodes[0].uuid);
          if (!m || m.payload_hex !== undefined) return false;
        }
        return nodes.every((n) => {
          const m = n.member(ttPeers[1].uuid);
          return m !== undefined && m.payloadRaw === undefined && m.payload === undefined;
        });
      },
      DEADLINE,
      { what: 'both payloads cleared everywhere', intervalMs: 100 },
    );
  });

  it('a member that moves to another port is found there by the other side', async () => {
    // swim-native rebinds (configure) -> Tarantool updates the member's URI.
    const oldUri = nodes[0].uri;
    nodes[0].configure({ uri: '127.0.0.1:0' });
    expect(nodes[0].uri).not.toBe(oldUri);
    // Tarantool rebinds (cfg) -> swim-native updates it, and reports isNewUri.
    const port = await freeUdpPort();
    const newTtUri = `127.0.0.1:${port}`;
    const uriEvents = nodes.map(() => 0);
    nodes.forEach((n, i) =>
      n.on('member', (ev: MemberEvent) => {
        if (ev.member.uuid === ttPeers[0].uuid && ev.isNewUri && ev.member.uri === newTtUri) uriEvents[i]++;
      }),
    );
    expect(await tts[0].eval('assert(s:cfg({uri = ...})) return s:self():uri()', newTtUri)).toBe(newTtUri);
    ttPeers[0] = { ...ttPeers[0], uri: newTtUri };
    await waitFor(
      async () => {
        for (const t of tts) if ((await ttMember(t, nodes[0].uuid))?.uri !== nodes[0].uri) return false;
        return nodes.every((n) => n.member(ttPeers[0].uuid)?.uri === newTtUri) && uriEvents.every((c) => c > 0);
      },
      DEADLINE,
      { what: 'both moves seen on the other side', intervalMs: 100 },
    );
    // The move is not a failure: everyone is still alive everywhere.
    for (const n of nodes) expect(n.members().map((m) => m.status)).toEqual(Array(6).fill('alive'));
    for (const t of tts) expect((await ttMembers(t)).map((m) => m.status)).toEqual(Array(6).fill('alive'));
  });

  it('a Tarantool process killed (SIGKILL) is seen dead by every Node member', async () => {
    const victim = ttPeers[2];
    const seen = recordNodeStatuses(nodes, victim.uuid);
    for (const t of tts.slice(0, 2)) await t.eval('watch(...)', victim.uuid);
    const killedAt = Date.now();
    ttLogs.push(tts[2].log());
    tts[2].kill();
    await waitFor(
      () => seen.every((h) => h.includes('dead')),
      DEADLINE,
      { what: `every Node member sees ${victim.name} dead`, intervalMs: 50 },
    );
    const elapsed = (Date.now() - killedAt) / 1000;
    for (const h of seen) {
      // Failure detection, not a quit: never 'left', and alive until then.
      expect(h[0]).toBe('alive');
      expect(h).not.toContain('left');
    }
    // The surviving Tarantools agree.
    await waitFor(
      async () => {
        for (const t of tts.slice(0, 2)) if (!(await ttHistory(t, victim.uuid)).includes('dead')) return false;
        return true;
      },
      DEADLINE,
      { what: 'surviving Tarantools see it dead', intervalMs: 100 },
    );
    console.log(`killed tarantool dead for every Node member after ${elapsed.toFixed(2)} s; statuses seen: ${JSON.stringify(seen)}`);
  });

  it('the killed Tarantool restarted with generation + 1 (same uuid and uri) wins', async () => {
    const old = ttPeers[2];
    // Its port is free once the process is gone.
    await waitFor(() => tts[2].exited, DEADLINE, { what: 'the killed Tarantool has exited' });
    tts[2] = await startTt(2, { uri: old.uri, uuid: old.uuid, generation: GEN + 1 });
    expect(ttPeers[2]).toEqual(old);
    await tts[2].eval('assert(s:add_member(...))', { uri: nodes[0].uri, uuid: nodes[0].uuid });
    await waitFor(
      async () => {
        for (const n of nodes) {
          const m = n.member(old.uuid);
          if (m?.status !== 'alive' || m.incarnation.generation !== BigInt(GEN + 1) || m.uri !== old.uri) return false;
        }
        for (const t of tts) {
          const all = await ttMembers(t);
          if (all.length !== 6 || all.some((m) => m.status !== 'alive')) return false;
          if (all.find((m) => m.uuid === old.uuid)?.generation !== String(GEN + 1)) return false;
        }
        return true;
      },
      DEADLINE,
      { what: 'everyone sees the restarted Tarantool alive at the new generation', intervalMs: 100 },
    );
  });

  it('a Node instance closed without quitting is seen suspected, then dead, by Tarantool', async () => {
    const uuid = nodes[2].uuid;
    for (const t of tts) await t.eval('watch(...)', uuid);
    const others = recordNodeStatuses(nodes.slice(0, 2), uuid);
    await retire(2).close();
    await waitFor(
      async () => {
        for (const t of tts) if (!(await ttHistory(t, uuid)).includes('dead')) return false;
        return true;
      },
      DEADLINE,
      { what: 'every Tarantool sees the closed Node member dead', intervalMs: 100 },
    );
    const histories = await Promise.all(tts.map((t) => ttHistory(t, uuid)));
    console.log(`statuses Tarantool reported for the closed Node member: ${JSON.stringify(histories)}`);
    for (const [i, h] of histories.entries()) {
      // alive -> suspected -> dead (possibly dropped afterwards by Tarantool's gc), nothing else.
      const trimmed = h[h.length - 1] === 'absent' ? h.slice(0, -1) : h;
      expect(trimmed, `tt${i + 1}`).toEqual(['alive', 'suspected', 'dead']);
    }
    await waitFor(() => others.every((h) => h.includes('dead')), DEADLINE, { what: 'the other Node members see it dead' });
  });

  it('the closed Node instance restarted with generation + 1 (same uuid and uri) wins', async () => {
    const old = nodes[2];
    nodes[2] = new Swim({ uri: old.uri, uuid: old.uuid, generation: GEN + 1, heartbeatRate: HEARTBEAT, ackTimeout: ACK_TIMEOUT });
    nodes[2].addMember({ uri: ttPeers[0].uri, uuid: ttPeers[0].uuid });
    await waitFor(
      async () => {
        for (const t of tts) {
          const m = await ttMember(t, old.uuid);
          if (m?.status !== 'alive' || m.generation !== String(GEN + 1) || m.uri !== old.uri) return false;
        }
        for (const n of nodes) {
          if (n.size !== 6 || n.members().some((m) => m.status !== 'alive')) return false;
          if (n.member(old.uuid)!.incarnation.generation !== BigInt(GEN + 1)) return false;
        }
        return true;
      },
      DEADLINE,
      { what: 'everyone sees the restarted Node member alive at the new generation', intervalMs: 100 },
    );
  });

  it('a Node instance that quits is seen as left by Tarantool', async () => {
    const uuid = nodes[1].uuid;
    for (const t of tts) await t.eval('watch(...)', uuid);
    const others = recordNodeStatuses([nodes[0], nodes[2]], uuid);
    await retire(1).quit();
    await waitFor(
      async () => {
        for (const t of tts) if (!(await ttHistory(t, uuid)).includes('left')) return false;
        return true;
      },
      DEADLINE,
      { what: 'every Tarantool sees the Node member leave', intervalMs: 100 },
    );
    for (const t of tts) {
      const h = await ttHistory(t, uuid);
      // Straight from alive to left: no failure detection involved.
      expect(h.slice(0, 2), t.name).toEqual(['alive', 'left']);
    }
    await waitFor(() => others.every((h) => h.includes('left')), DEADLINE, { what: 'the other Node members see it leave' });
  });

  it('a Tarantool that quits is seen as left by swim-native', async () => {
    const leaver = ttPeers[1];
    const live = [nodes[0], nodes[2]];
    const seen = recordNodeStatuses(live, leaver.uuid);
    for (const t of [tts[0], tts[2]]) await t.eval('watch(...)', leaver.uuid);
    await tts[1].eval('s:quit() s = nil');
    await waitFor(() => seen.every((h) => h.includes('left')), DEADLINE, {
      what: 'every Node member sees the Tarantool leave',
      intervalMs: 50,
    });
    for (const h of seen) expect(h.slice(0, 2)).toEqual(['alive', 'left']);
    await waitFor(
      async () => {
        for (const t of [tts[0], tts[2]]) if (!(await ttHistory(t, leaver.uuid)).includes('left')) return false;
        return true;
      },
      DEADLINE,
      { what: 'the other Tarantools see it leave', intervalMs: 100 },
    );
  });

  it('neither side dropped a datagram of the other', async () => {
    for (let i = 0; i < nodes.length; i++) if (!nodes[i].closed) finalStats.push({ name: `node${i + 1}`, stats: nodes[i].stats() });
    expect(finalStats.length).toBe(4); // node3 (closed, then restarted), node2 (quit), node1, node3
    for (const { name, stats } of finalStats) {
      expect(stats.packetsReceived, name).toBeGreaterThan(0);
      expect({ name, dropped: stats.packetsDropped, transform: stats.transformDrops, sendErrors: stats.sendErrors }).toEqual({
        name,
        dropped: 0,
        transform: 0,
        sendErrors: 0,
      });
    }
    // Tarantool logs every datagram it rejects ("SwimError: invalid meta section: ...") and
    // any other trouble (as "E> ..." / "W> ..." when box is configured).
    const logs = [...ttLogs, ...tts.map((t) => t.log())];
    expect(logs.length).toBe(4);
    for (const log of logs) expect(log.split('\n').filter((l) => /error|[EW]> /i.test(l))).toEqual([]);
  });
});
