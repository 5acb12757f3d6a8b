// The network namespace harness itself (test/helpers/netns.ts): hosts reach each other only
// over their bridge, names resolve through the per-namespace hosts files, and the nftables
// faults (partition, loss) really drop traffic. Members use plain addresses and
// probeMember here; the real-hosts scenarios are in test/netns-*.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { NetLab, fullMesh, describeViews, removeStale, requireNetns, type Inst } from './helpers/netns';
import { waitFor } from './helpers/wait';

const netns = requireNetns();

describe.skipIf(!netns.available)('netns harness', () => {
  let lab: NetLab;
  const insts: Inst[] = [];

  beforeAll(async () => {
    lab = await NetLab.create({ hosts: 3, subnet: 71 });
    for (const h of ['h1', 'h2', 'h3']) {
      const proc = await lab.spawn(h);
      const { uri, uuid } = await proc.create('m', { uri: `${lab.addr(h)}:3301`, heartbeatRate: 0.2, ackTimeout: 0.3 });
      insts.push({ proc, name: 'm', uri, uuid });
    }
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('hosts have their own addresses, names and no other route', async () => {
    const addrs = await lab.exec('h1', ['ip', '-4', '-o', 'addr', 'show']);
    expect(addrs).toContain('10.71.0.1/24 brd 10.71.0.255');
    expect(addrs.split('\n').filter(Boolean)).toHaveLength(2); // lo and eth0
    const routes = await lab.exec('h1', ['ip', '-4', 'route', 'show']);
    expect(routes).not.toMatch(/default/);
    const hosts = await lab.exec('h2', ['getent', 'hosts', 'h3']);
    expect(hosts).toMatch(/^10\.71\.0\.3\s+h3/);
  });

  it('members on three hosts form a full mesh through probeMember', async () => {
    expect(insts.map((i) => i.uri)).toEqual(['10.71.0.1:3301', '10.71.0.2:3301', '10.71.0.3:3301']);
    await insts[0]!.proc.call('m', 'probeMember', insts[1]!.uri);
    await insts[2]!.proc.call('m', 'probeMember', insts[0]!.uri);
    await waitFor(() => fullMesh(insts), 15_000, { what: `full mesh\n${await describeViews(insts)}` });
  });

  it('a partition cuts a host off (suspected) and heal brings it back', async () => {
    await lab.partition(['h3'], ['h1', 'h2']);
    const [a, b, c] = insts as [Inst, Inst, Inst];
    await waitFor(async () => {
      const v = await a.proc.members('m');
      return v.find((m) => m.uuid === c.uuid)?.status !== 'alive';
    }, 15_000, { what: 'h3 no longer alive for h1' });
    // h1 and h2 still reach each other.
    expect((await a.proc.members('m')).find((m) => m.uuid === b.uuid)?.status).toBe('alive');
    await lab.heal();
    await waitFor(() => fullMesh(insts), 20_000, { what: 'full mesh after heal' });
  });

  it('loss drops about the given share of datagrams', async () => {
    await lab.loss(['h2'], 50);
    await waitFor(async () => (await lab.lossCounters('h2')).seen >= 100, 20_000, { what: '100 datagrams into h2' });
    const { seen, dropped } = await lab.lossCounters('h2');
    await lab.loss(['h2'], 0);
    expect(dropped / seen).toBeGreaterThan(0.3);
    expect(dropped / seen).toBeLessThan(0.7);
  });

  it("removes namespaces and hosts files left by a process that is gone, and only those", async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is free
    const stale = `swn-${dead}-0-h1`;
    execFileSync(netns.ip!, ['netns', 'add', stale]);
    fs.mkdirSync(`/etc/netns/${stale}`, { recursive: true });
    fs.writeFileSync(`/etc/netns/${stale}/hosts`, '127.0.0.1 localhost\n');
    expect(removeStale()).toContain(stale);
    const left = execFileSync(netns.ip!, ['netns', 'list'], { encoding: 'utf8' });
    expect(left).not.toContain(stale);
    expect(fs.existsSync(`/etc/netns/${stale}`)).toBe(false);
    // This lab's own namespaces (a live pid) stay.
    expect(left).toContain(`${lab.prefix}h1`);
  });
});

