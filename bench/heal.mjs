// Healing and joining between real hosts: network namespaces on a private bridge (the test
// harness test/helpers/netns.ts, transpiled on the fly), members in child processes.
//
//   sudo npm run bench -- heal [--partition S]     (S: partition length, default 60)
//
// For 5 members (one per host) and 20 (4 instances in each of 5 processes, one per host):
//   - join: every member is created with `seeds: ['h1:3301', 'h2:3301']` (names, resolved
//     through the namespaces' hosts files) at once; the time until every member sees all the
//     others alive, and how long join(['h1:3301', 'h2:3301']) takes to resolve on a member
//     created without seeds;
//   - heal: the hosts are cut 2|3 with nftables for S seconds (each side declares the other
//     dead and removes it), then the rules go; the time from the heal until every member
//     sees all the others alive again.
// Protocol settings are the defaults (heartbeat 0.5 s, ack timeout 0.5 s).
// Needs root, iproute2 and nftables, and the compiled package (npm run build).
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { loadHarness, withLab } from './lib/netns.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5'];
const SIDE_A = ['h1', 'h2'];
const SIDE_B = ['h3', 'h4', 'h5'];
const LIMIT_MS = 120_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls cond every intervalMs; resolves with performance.now() when it held, or null after limitMs. */
async function until(cond, limitMs = LIMIT_MS, intervalMs = 100) {
  const start = performance.now();
  for (;;) {
    if (await cond()) return performance.now();
    if (performance.now() - start > limitMs) return null;
    await sleep(intervalMs);
  }
}

/** Members per instance that the instance sees alive (self excluded), keyed by inst. */
async function aliveCounts(insts) {
  return Promise.all(insts.map(async (i) => (await i.proc.members(i.name)).filter((m) => !m.isSelf && m.status === 'alive').length));
}

async function cluster(lab, procs, n, port, opts) {
  const perHost = n / HOSTS.length;
  const insts = [];
  await Promise.all(HOSTS.map(async (h) => {
    for (let k = 0; k < perHost; k++) {
      const name = `m${port}-${k}`;
      const { uri, uuid } = await procs.get(h).create(name, { uri: `0.0.0.0:${port + k}`, ...opts });
      insts.push({ proc: procs.get(h), host: h, name, uri, uuid });
    }
  }));
  return insts;
}

const closeAll = (insts) => Promise.all(insts.map((i) => i.proc.call(i.name, 'close').catch(() => {})));
const fmt = (ms) => (ms === null ? 'n/a' : (ms / 1000).toFixed(2));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(options = {}) {
  const root = options.root ?? path.join(here, '..');
  const partitionS = options.partition ?? 60;
  const harness = loadHarness(root);
  const avail = harness.findNetns();
  if (!avail.available) {
    console.log(`heal: skipped: ${avail.reason}`);
    return [];
  }
  const joinRows = [];
  const healRows = [];
  await withLab(harness, { hosts: HOSTS, subnet: 90 }, async (lab) => {
    const procs = new Map();
    for (const h of HOSTS) procs.set(h, await lab.spawn(h));
    let port = 3301;
    for (const n of [5, 20]) {
      // --- join through a seed list ---
      const seeds = [`h1:${port}`, `h2:${port}`];
      // Every member gets the list, the seeds' own instances (h1, h2, first port) included.
      const t0 = performance.now();
      const insts = await cluster(lab, procs, n, port, { seeds });
      const meshAt = await until(async () => (await aliveCounts(insts)).every((c) => c === n - 1));
      // One more member that joins explicitly (without seeds) on h5.
      const j0 = performance.now();
      const extra = await procs.get('h5').create(`x${port}`, { uri: `0.0.0.0:${port + 10}` });
      const answered = await procs.get('h5').call(`x${port}`, 'join', seeds, { timeout: 10 });
      const joinMs = performance.now() - j0;
      const extraMesh = await until(async () => (await procs.get('h5').members(`x${port}`)).filter((m) => m.status === 'alive').length === n + 1);
      await procs.get('h5').call(`x${port}`, 'close');
      void extra;
      joinRows.push({
        members: n,
        seeds: seeds.length,
        'full mesh (s)': fmt(meshAt === null ? null : meshAt - t0),
        'join() resolved (ms)': joinMs.toFixed(0),
        'seeds answered': answered,
        'joiner sees all (s)': fmt(extraMesh === null ? null : extraMesh - j0),
      });

      // --- heal after a partition ---
      const sideA = insts.filter((i) => SIDE_A.includes(i.host));
      const sideB = insts.filter((i) => SIDE_B.includes(i.host));
      const p0 = performance.now();
      await lab.partition(SIDE_A, SIDE_B);
      // Both sides must have removed the other (death and removal), within the partition.
      const removedAt = await until(async () => {
        const a = await aliveCounts(sideA);
        const b = await aliveCounts(sideB);
        const sizes = await Promise.all(insts.map(async (i) => (await i.proc.members(i.name)).length));
        return a.every((c) => c === sideA.length - 1) && b.every((c) => c === sideB.length - 1) &&
          sizes.every((s, k) => s === (SIDE_A.includes(insts[k].host) ? sideA.length : sideB.length));
      }, partitionS * 1000, 250);
      const left = partitionS * 1000 - (performance.now() - p0);
      if (left > 0) await sleep(left);
      const h0 = performance.now();
      await lab.heal();
      const healedAt = await until(async () => (await aliveCounts(insts)).every((c) => c === n - 1));
      healRows.push({
        members: n,
        'partition (s)': partitionS,
        cut: `${sideA.length}|${sideB.length}`,
        'removed after (s)': fmt(removedAt === null ? null : removedAt - p0),
        'heal to full mesh (s)': fmt(healedAt === null ? null : healedAt - h0),
      });
      await closeAll(insts);
      port += 100;
    }
  });
  void median;
  return [
    { title: 'join through a seed list (5 namespaces)', note: 'full mesh: from creating every member with seeds [h1:3301, h2:3301]; join(): one more member, without seeds', rows: joinRows },
    { title: `heal after a ${partitionS} s partition (5 namespaces, cut 2|3 hosts)`, note: 'removed after: both sides have removed the other; heal: from deleting the nftables rules', rows: healRows },
  ];
}
