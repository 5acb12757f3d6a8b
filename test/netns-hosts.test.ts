// Real hosts (network namespaces on a private bridge, test/helpers/netns.ts): a mixed cluster
// with Tarantool across namespaces, binding 0.0.0.0 with an announced address (and behind a
// static port mapping), joining by host names and through the `seeds` option, broadcast
// discovery, and a UUID conflict between two hosts.
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
    // h1 and h2 find the Tarantool by address; the Tarantool finds h3.
    await nodes[0]!.proc.call('mixed', 'probeMember', ttUri);
    await nodes[1]!.proc.call('mixed', 'probeMember', ttUri);
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
