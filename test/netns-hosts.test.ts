// Real hosts (network namespaces on a private bridge, test/helpers/netns.ts): binding 0.0.0.0
// with an announced address (and behind a static port mapping), joining by host names and
// through the `seeds` option, broadcast discovery, UUID conflicts between two hosts (heard
// directly, and through a third member), and a mixed cluster with Tarantool across namespaces.
//
// One member process per host; each test creates its own instances on its own port and
// closes them at the end. Every wait polls with a deadline.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NetLab, describeViews, fullMesh, requireNetns, type Inst, type NodeProc } from './helpers/netns';
import { findTarantool, startTarantool, stopAllTarantools } from './helpers/tarantool';
import { waitFor } from './helpers/wait';

const netns = requireNetns();
// The mixed scenario needs tarantool as the other interop tests do (a failure under CI).
const tt = netns.available ? findTarantool() : { available: false };
if (netns.available && !tt.available && process.env.CI) throw new Error('tarantool is required when CI is set');

const FAST = { heartbeatRate: 0.2, ackTimeout: 0.5 };
const DEADLINE = 20_000;

describe.skipIf(!netns.available)('netns: real hosts', () => {
  let lab: NetLab;
  const procs = new Map<string, NodeProc>();
  let open: Inst[] = [];

  beforeAll(async () => {
    lab = await NetLab.create({ hosts: 6, subnet: 73 });
    await Promise.all(['h1', 'h2', 'h3', 'h4'].map(async (h) => procs.set(h, await lab.spawn(h))));
  });
  afterEach(async () => {
    await Promise.all(open.filter((i) => i.proc.alive).map((i) => i.proc.call(i.name, 'close').catch(() => {})));
    open = [];
  });
  afterAll(async () => {
    await stopAllTarantools();
    await lab?.destroy();
  });

  async function start(host: string, name: string, opts: Record<string, unknown>): Promise<Inst> {
    const proc = procs.get(host) ?? (procs.set(host, await lab.spawn(host)), procs.get(host)!);
    const { uri, uuid } = await proc.create(name, { ...FAST, ...opts });
    const inst = { proc, name, uri, uuid };
    open.push(inst);
    return inst;
  }

  const mesh = (insts: Inst[], what: string) =>
    waitFor(() => fullMesh(insts), DEADLINE, { what, intervalMs: 100 }).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await describeViews(insts)}`);
    });

  it("uri '0.0.0.0:port' binds every address and announces the host's 10.x address", async () => {
    const insts: Inst[] = [];
    for (const h of ['h1', 'h2', 'h3']) insts.push(await start(h, 'any', { uri: '0.0.0.0:3301' }));
    expect(insts.map((i) => i.uri)).toEqual(['h1', 'h2', 'h3'].map((h) => `${lab.addr(h)}:3301`));
    // Bound to every address, reached by the peers at the announced one.
    await insts[1]!.proc.call('any', 'probeMember', `${lab.addr('h1')}:3301`);
    await insts[2]!.proc.call('any', 'probeMember', `${lab.addr('h2')}:3301`);
    await mesh(insts, 'full mesh with the announced addresses');
    for (const i of insts) {
      const self = (await i.proc.members(i.name)).find((m) => m.isSelf)!;
      expect(self.uri).toBe(i.uri);
      expect(await i.proc.get(i.name, 'config')).toMatchObject({ uri: i.uri, bind: '0.0.0.0:3301' });
    }
  });

  it("uri '10.x:40000' with bind '0.0.0.0:3301' behind a static port mapping (nftables in the host)", async () => {
    // h4 maps its public port 40000 to 3301 both ways, without connection tracking: what
    // arrives for :40000 goes to :3301, what leaves from :3301 leaves from :40000. (A DNAT
    // would map only the incoming flows: the member's own pings would still leave from :3301.)
    await lab.nft('h4', [
      'table ip swnmap {',
      '  chain pre { type filter hook prerouting priority -300; policy accept; udp dport 40000 notrack udp dport set 3301; }',
      '  chain out { type filter hook output priority -300; policy accept; udp sport 3301 notrack udp sport set 40000; }',
      '}',
    ].join('\n'));
    try {
      const mapped = await start('h4', 'mapped', { uri: `${lab.addr('h4')}:40000`, bind: '0.0.0.0:3301' });
      expect(mapped.uri).toBe(`${lab.addr('h4')}:40000`);
      expect(await mapped.proc.get('mapped', 'config')).toMatchObject({ uri: mapped.uri, bind: '0.0.0.0:3301' });
      const others: Inst[] = [];
      for (const h of ['h1', 'h2']) others.push(await start(h, 'mapped', { uri: '0.0.0.0:3302' }));
      // One peer finds it by its public address, it finds the other.
      await others[0]!.proc.call('mapped', 'probeMember', mapped.uri);
      await mapped.proc.call('mapped', 'probeMember', others[1]!.uri);
      await mesh([mapped, ...others], 'full mesh with the mapped address');
    } finally {
      await lab.nft('h4', 'delete table ip swnmap');
    }
  });

  it("join(['h1:port', 'h2:port']) by host names, and the seeds option started before its seed: full mesh", async () => {
    const port = 3303;
    // h4 starts first, with a seed that does not exist yet: it keeps trying in the background.
    const early = await start('h4', 'names', { uri: `0.0.0.0:${port}`, seeds: [`h1:${port}`] });
    const a = await start('h1', 'names', { uri: `0.0.0.0:${port}` });
    const b = await start('h2', 'names', { uri: `0.0.0.0:${port}` });
    expect(await b.proc.call('names', 'join', [`h1:${port}`], { timeout: 5 })).toBe(1);
    const c = await start('h3', 'names', { uri: `0.0.0.0:${port}` });
    expect(await c.proc.call('names', 'join', [`h1:${port}`, `h2:${port}`], { timeout: 5 })).toBe(2);
    await mesh([a, b, c, early], 'full mesh of 4 (3 joined by name, 1 through seeds)');
    // Nobody at the named host's port: join rejects with ERR_SWIM_JOIN.
    await expect(c.proc.call('names', 'join', [`h6:${port}`], { timeout: 1.5 })).rejects.toMatchObject({ code: 'ERR_SWIM_JOIN' });
  });

  it('broadcast(): members bound to 0.0.0.0 find each other without seeds', async () => {
    const insts: Inst[] = [];
    for (const h of ['h1', 'h2', 'h3', 'h4']) insts.push(await start(h, 'bc', { uri: '0.0.0.0:3304' }));
    for (const i of insts) await i.proc.call(i.name, 'broadcast');
    for (const i of insts) expect((await i.proc.call<{ broadcastTargets: number }>(i.name, 'stats')).broadcastTargets).toBe(1);
    await mesh(insts, 'full mesh through broadcast');
  });

  it("two processes with the same UUID on different hosts: a 'conflict' event naming the other", async () => {
    const uuid = await procs.get('h1')!.static<string>('uuidFromName', 'svc-conflict');
    const third = await start('h3', 'cf', { uri: '0.0.0.0:3305' });
    const a = await start('h1', 'cf', { uri: '0.0.0.0:3305', uuid, seeds: ['h3:3305'] });
    await mesh([a, third], 'the first claimant and a third member');
    // The second claimant joins through the first one's host: the first one hears its own
    // UUID from another address.
    const b = await start('h2', 'cf', { uri: '0.0.0.0:3305', uuid, seeds: ['h1:3305'] });
    const conflict = await waitFor(() => a.proc.conflicts.find((c) => c.name === 'cf'), DEADLINE, {
      what: "a 'conflict' event on the first claimant", intervalMs: 50,
    }).catch(async (err: Error) => {
      const stats = await Promise.all([a, b].map((i) => i.proc.call<{ conflicts: number }>(i.name, 'stats')));
      throw new Error(`${err.message}\nstats().conflicts: ${stats.map((x) => x.conflicts).join(', ')}\n${await describeViews([a, b, third])}`);
    });
    expect(conflict).toMatchObject({ uuid, uri: b.uri });
    expect((await a.proc.call<{ conflicts: number }>('cf', 'stats')).conflicts).toBeGreaterThanOrEqual(1);
  });

  it("the same UUID claimed through a third member only: the older claimant gets a 'conflict' naming the newer", async () => {
    const uuid = await procs.get('h1')!.static<string>('uuidFromName', 'svc-conflict-3');
    const third = await start('h3', 'cf3', { uri: '0.0.0.0:3307' });
    const a = await start('h1', 'cf3', { uri: '0.0.0.0:3307', uuid, seeds: ['h3:3307'] });
    await mesh([a, third], 'the first claimant and a third member');
    // The second claimant (a newer generation) knows only the third member, which moves
    // the UUID to it; the first one then has to learn of it through the third.
    const b = await start('h2', 'cf3', { uri: '0.0.0.0:3307', uuid, seeds: ['h3:3307'] });
    const conflict = await waitFor(() => a.proc.conflicts.find((c) => c.name === 'cf3'), DEADLINE, {
      what: "a 'conflict' event on the older claimant", intervalMs: 50,
    }).catch(async (err: Error) => {
      const stats = await Promise.all([a, b].map((i) => i.proc.call<{ conflicts: number }>(i.name, 'stats')));
      throw new Error(`${err.message}\nstats().conflicts: ${stats.map((x) => x.conflicts).join(', ')}\n${await describeViews([a, b, third])}`);
    });
    expect(conflict).toMatchObject({ uuid, uri: b.uri });
  });

  it.skipIf(!tt.available)('a Tarantool in one namespace and Node members in three others: full mesh both ways', async () => {
    const ttUri = `${lab.addr('h5')}:3306`;
    const t = await startTarantool({
      name: 'tt-netns',
      wrap: lab.wrap('h5'),
      script: "swim_lib = require('swim') s = nil",
    });
    const self = await t.eval<{ uuid: string; uri: string }>(
      "s = swim_lib.new({uri = ..., uuid = require('uuid').str(), heartbeat_rate = 0.2, ack_timeout = 0.5}) return harness.member(s:self())",
      ttUri,
    );
    expect(self.uri).toBe(ttUri);
    const nodes: Inst[] = [];
    for (const h of ['h1', 'h2', 'h3']) nodes.push(await start(h, 'mixed', { uri: `${lab.addr(h)}:3306` }));
    // h1 finds the Tarantool by address, h2 joins it by name (a Tarantool answers join's
    // pings as any member does); the Tarantool finds h3.
    await nodes[0]!.proc.call('mixed', 'probeMember', ttUri);
    expect(await nodes[1]!.proc.call('mixed', 'join', ['h5:3306'], { timeout: 5 })).toBe(1);
    await t.eval('assert(s:probe_member(...))', nodes[2]!.uri);

    const everyone = [...nodes.map((n) => `${n.uuid} ${n.uri}`), `${self.uuid} ${ttUri}`].sort();
    await waitFor(async () => {
      for (const n of nodes) {
        const v = (await n.proc.members('mixed')).filter((m) => m.status === 'alive').map((m) => `${m.uuid} ${m.uri}`).sort();
        if (JSON.stringify(v) !== JSON.stringify(everyone)) return false;
      }
      const tv = (await t.eval<{ uuid: string; uri: string; status: string }[]>('return harness.members(s)'))
        .filter((m) => m.status === 'alive').map((m) => `${m.uuid} ${m.uri}`).sort();
      return JSON.stringify(tv) === JSON.stringify(everyone);
    }, DEADLINE, { what: 'all 4 see 4 alive members with their 10.x addresses', intervalMs: 100 });
    await t.stop();
  });
});
