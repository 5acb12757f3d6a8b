// Faults between real hosts (network namespaces, test/helpers/netns.ts): a partition longer
// than death and removal that heals by itself, a minute of 20% datagram loss without a false
// death, and restarts under the same name at the same and at a new address.
//
// One member process per host, each test creates its own instances (new ports) and closes
// them at the end. Every wait polls with a deadline.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NetLab, describeViews, fullMesh, requireNetns, type Inst, type NodeProc } from './helpers/netns';
import { waitFor } from './helpers/wait';

const netns = requireNetns();

/** The loss scenario's length; a minute, as a real network's bad minute. */
const LOSS_SECONDS = Number(process.env.SWIM_NETNS_LOSS_SECONDS || 60);

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
    await waitFor(() => fullMesh(insts), 15_000, { what: `full mesh after the loss\n${await describeViews(insts)}` });
  });
});
