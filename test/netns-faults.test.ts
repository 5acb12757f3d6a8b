// Faults between real hosts (network namespaces, test/helpers/netns.ts): a partition longer
// than death and removal that heals by itself, half a minute of 20% datagram loss without a false
// death, and restarts under the same name at the same and at a new address.
//
// One member process per host, each test creates its own instances (new ports) and closes
// them at the end. Every wait polls with a deadline.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NetLab, describeViews, fullMesh, requireNetns, type Inst, type NodeProc } from './helpers/netns';
import { waitFor } from './helpers/wait';

const netns = requireNetns();

/** The loss scenario's length: a real network's bad half-minute (set the variable for longer). */
const LOSS_SECONDS = Number(process.env.SWIM_NETNS_LOSS_SECONDS || 30);

describe.skipIf(!netns.available)('netns: faults between hosts', () => {
  let lab: NetLab;
  const procs = new Map<string, NodeProc>();
  let open: Inst[] = [];

  beforeAll(async () => {
    lab = await NetLab.create({ hosts: 6, subnet: 72 });
    await Promise.all([...lab.hosts.keys()].map(async (h) => procs.set(h, await lab.spawn(h))));
  });
  afterEach(async () => {
    await lab.heal();
    await lab.loss('all', 0);
    await Promise.all(open.filter((i) => i.proc.alive).map((i) => i.proc.call(i.name, 'close').catch(() => {})));
    open = [];
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  async function start(host: string, name: string, opts: Record<string, unknown>): Promise<Inst> {
    const proc = procs.get(host)!;
    const { uri, uuid } = await proc.create(name, opts);
    const inst = { proc, name, uri, uuid };
    open.push(inst);
    return inst;
  }

  /** Every event any of `insts` printed since `since` about `uuid` with the given status (or a drop). */
  function deathsOf(insts: Inst[], uuids: string[], since: number): string[] {
    return insts.flatMap((i) => i.proc.events
      .filter((e) => e.name === i.name && e.t >= since && uuids.includes(e.uuid) && (e.status === 'dead' || e.isDrop))
      .map((e) => `${i.name}@${i.proc.host.name} saw ${e.uri}/${e.uuid.slice(0, 8)} ${e.isDrop ? 'dropped' : e.status}`));
  }

  it('a 3|2 partition longer than death and removal heals by itself: full mesh within 30 s of the heal', async () => {
    const hosts = ['h1', 'h2', 'h3', 'h4', 'h5'];
    const insts: Inst[] = [];
    // Short timers: dead after ~5 misses of 0.3 s, then removed once gossiped.
    for (const h of hosts) insts.push(await start(h, 'part', { uri: '0.0.0.0:3501', heartbeatRate: 0.2, ackTimeout: 0.3 }));
    // Bootstrap by address only: no seeds, so healing can only come from the removed members.
    for (const i of insts.slice(1)) await i.proc.call(i.name, 'probeMember', insts[0]!.uri);
    await waitFor(() => fullMesh(insts), 20_000, { what: 'full mesh before the partition' });

    const left = insts.slice(0, 3);
    const right = insts.slice(3);
    const p0 = Date.now();
    await lab.partition(['h1', 'h2', 'h3'], ['h4', 'h5']);
    // Each side sees the other dead and then removes it: its table is its own side only.
    await waitFor(async () => (await fullMesh(left)) && (await fullMesh(right)), 30_000, {
      what: 'both sides removed the other', intervalMs: 100,
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await describeViews(insts)}`);
    });
    const removedMs = Date.now() - p0;
    const sideUuids = (side: Inst[]) => side.map((i) => i.uuid);
    expect(deathsOf(left, sideUuids(right), p0).length, 'the left side saw the right die').toBeGreaterThan(0);
    expect(deathsOf(right, sideUuids(left), p0).length, 'the right side saw the left die').toBeGreaterThan(0);
    // Stay cut a while longer than it took (removed members must be found again, not remembered).
    await new Promise((r) => setTimeout(r, 2000));

    const h0 = Date.now();
    await lab.heal();
    await waitFor(() => fullMesh(insts), 30_000, { what: 'full mesh within 30 s of the heal', intervalMs: 100 }).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await describeViews(insts)}`);
    });
    console.log(`[netns] partition 3|2: both sides removed the other after ${removedMs} ms; full mesh ${Date.now() - h0} ms after the heal`);
  });

  it(`20% loss on every host for ${LOSS_SECONDS} s: nobody is declared dead`, async () => {
    const hosts = ['h1', 'h2', 'h3', 'h4', 'h5'];
    const insts: Inst[] = [];
    for (const h of hosts) insts.push(await start(h, 'loss', { uri: `${lab.addr(h)}:3401` }));
    for (const i of insts.slice(1)) await i.proc.call(i.name, 'probeMember', insts[0]!.uri);
    await waitFor(() => fullMesh(insts), 20_000, { what: 'full mesh before the loss' });

    const t0 = Date.now();
    await lab.loss('all', 20);
    const uuids = insts.map((i) => i.uuid);
    // Watch for the whole window; fail at the first death.
    while (Date.now() - t0 < LOSS_SECONDS * 1000) {
      expect(deathsOf(insts, uuids, t0), 'a member declared dead under 20% loss').toEqual([]);
      await new Promise((r) => setTimeout(r, 250));
    }
    const { seen, dropped } = await lab.lossCounters('h3');
    expect(dropped / seen, `h3 dropped ${dropped} of ${seen}`).toBeGreaterThan(0.12);
    expect(dropped / seen).toBeLessThan(0.28);
    await lab.loss('all', 0);
    expect(deathsOf(insts, uuids, t0)).toEqual([]);
    const suspicions = insts.reduce((n, i) => n + i.proc.events.filter((e) => e.name === i.name && e.t >= t0 && e.status === 'suspected').length, 0);
    console.log(`[netns] ${LOSS_SECONDS} s of 20% loss: ${dropped} of ${seen} datagrams into h3 dropped, ${suspicions} suspicions (all refuted), no death`);
    await waitFor(() => fullMesh(insts), 15_000, { what: `full mesh after the loss\n${await describeViews(insts)}` });
  }, LOSS_SECONDS * 1000 + 60_000);

  /**
   * Kills the process on `host` (SIGKILL) and resolves with its replacement, started there
   * beforehand: the window between the kill and the new instance is the restart itself, not
   * Node's start-up on a loaded machine.
   */
  async function respawn(host: string): Promise<{ proc: NodeProc; killedAt: number }> {
    const old = procs.get(host)!;
    const proc = await lab.spawn(host);
    const killedAt = Date.now();
    old.kill();
    await old.exited;
    procs.set(host, proc);
    return { proc, killedAt };
  }

  it('a process restarted under the same name at the same address rejoins: no death, a new generation', async () => {
    const proc = procs.get('h1')!;
    const uuid = await proc.static<string>('uuidFromName', 'svc-restart');
    const opts = { uri: '0.0.0.0:3601', uuid, heartbeatRate: 0.5, ackTimeout: 0.5, seeds: ['h2:3601'] };
    const first = await start('h1', 'svc', opts);
    const peers: Inst[] = [];
    for (const h of ['h2', 'h3', 'h4']) peers.push(await start(h, 'svc', { uri: '0.0.0.0:3601', heartbeatRate: 0.5, ackTimeout: 0.5, seeds: ['h1:3601'] }));
    await waitFor(() => fullMesh([first, ...peers]), 20_000, { what: 'full mesh before the restart' });
    const before = await Promise.all(peers.map(async (p) => (await p.proc.members(p.name)).find((m) => m.uuid === uuid)!.generation));

    const { proc: fresh, killedAt: k0 } = await respawn('h1'); // SIGKILL: no quit, then the same name on the same host
    const again = { proc: fresh, name: 'svc', ...(await fresh.create('svc', opts)) };
    open.push(again);
    expect(again.uuid).toBe(uuid);
    expect(again.uri).toBe(first.uri);
    await waitFor(async () => {
      const views = await Promise.all(peers.map((p) => p.proc.members(p.name)));
      return views.every((v, k) => {
        const m = v.find((x) => x.uuid === uuid);
        return m?.status === 'alive' && BigInt(m.generation) > BigInt(before[k]!);
      });
    }, 20_000, { what: 'every peer sees the new generation alive', intervalMs: 100 });
    const rejoinMs = Date.now() - k0;
    expect(deathsOf(peers, [uuid], k0), 'the restarted member was declared dead').toEqual([]);
    // A rejoin: the same member with a new incarnation, never dropped and added again.
    const readded = peers.flatMap((p) => p.proc.events.filter((e) => e.name === p.name && e.t >= k0 && e.uuid === uuid && e.isNew));
    expect(readded, 'the restarted member was added as a new one').toEqual([]);
    await waitFor(() => fullMesh([again, ...peers]), 20_000, { what: 'full mesh after the restart' });
    expect(deathsOf(peers, [uuid], k0)).toEqual([]);
    console.log(`[netns] restart at the same address: new generation everywhere ${rejoinMs} ms after the kill`);
  });

  it('a process restarted under the same name at a new address is adopted by all within a few heartbeats', async () => {
    const uuid = await procs.get('h1')!.static<string>('uuidFromName', 'svc-move');
    const HB = 0.5;
    const opts = { uri: '0.0.0.0:3701', uuid, heartbeatRate: HB, ackTimeout: 0.5, seeds: ['h2:3701'] };
    const first = await start('h1', 'mv', opts);
    const peers: Inst[] = [];
    for (const h of ['h2', 'h3', 'h4']) peers.push(await start(h, 'mv', { uri: '0.0.0.0:3701', heartbeatRate: HB, ackTimeout: 0.5, seeds: ['h1:3701'] }));
    await waitFor(() => fullMesh([first, ...peers]), 20_000, { what: 'full mesh before the move' });

    const { killedAt: k0 } = await respawn('h1');
    const p6 = procs.get('h6')!;
    const c0 = Date.now();
    const moved = { proc: p6, name: 'mv', ...(await p6.create('mv', opts)) };
    open.push(moved);
    expect(moved.uuid).toBe(uuid);
    expect(moved.uri).toBe(`${lab.addr('h6')}:3701`);
    await waitFor(async () => {
      const views = await Promise.all(peers.map((p) => p.proc.members(p.name)));
      return views.every((v) => v.find((x) => x.uuid === uuid)?.uri === moved.uri);
    }, 4 * HB * 1000, { what: 'every peer has the new address within 4 heartbeats', intervalMs: 50 });
    const adoptMs = Date.now() - c0;
    expect(deathsOf(peers, [uuid], k0), 'the moved member was declared dead').toEqual([]);
    await waitFor(() => fullMesh([moved, ...peers]), 20_000, { what: 'full mesh after the move' });
    console.log(`[netns] restart at a new address: adopted by all ${adoptMs} ms after its creation (${(adoptMs / (HB * 1000)).toFixed(1)} heartbeats)`);
  });
});
