// Lifeguard on real processes: the simulator's flapping scenario (bench/lib/lifeguard-scenarios.mjs)
// between network namespaces (test/helpers/netns.ts, through bench/lib/netns.mjs).
//
//   sudo npm run bench -- flapping [--flap S]     (S: flapping length, default 120; ~4 min in all)
//
// 24 hosts, one member process each; every process holds two instances, one per cluster:
// `on` (lifeguard: true, port 3301) and `off` (lifeguard: false, port 3302), so both clusters
// live side by side through the same flapping, the same machine load and the same crash.
// Defaults otherwise (heartbeat 0.5 s, ack timeout 0.5 s, gc on); each cluster fully meshed
// with addMember first. The last 3 hosts flap: their network goes down (every UDP datagram in
// or out dropped by nftables, lab.isolate) for U[1, 5] s every U[2, 6] s on a seeded schedule
// (the simulator's), for S seconds; then 10 s to settle. Counted from the flapping's start to
// the end of the settling: member events (a new status: suspected, dead) about each member,
// summed over all observers, the flappers themselves included, as the simulator counts them.
// Then one healthy host's process is killed (SIGKILL, both its instances): the seconds until
// every other member of each cluster has seen it dead (or dropped it).
// Needs root, iproute2 and nftables, and the compiled package (npm run build).
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { loadHarness, withLab } from './lib/netns.mjs';
import { prng } from './lib/lifeguard-scenarios.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const HOSTS = 24;
const FLAPPERS = 3;
const DOWN = [1, 5];
const UP = [2, 6];
const SETTLE_S = 10;
const CLUSTERS = [
  { name: 'on', port: 3301, lifeguard: true },
  { name: 'off', port: 3302, lifeguard: false },
];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls cond every intervalMs until it holds (true) or limitMs passed (false). */
async function until(cond, limitMs, intervalMs = 200) {
  const end = Date.now() + limitMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await sleep(intervalMs);
  }
}

/** The simulator's schedule: per flapper, down for U[DOWN] s every U[UP] s, in seconds from 0. */
function schedule(flappers, seconds, seed) {
  const rand = prng(BigInt(seed) * 7919n + 1n);
  const uniform = ([lo, hi]) => lo + (hi - lo) * rand();
  const events = [];
  for (const h of flappers) {
    let t = uniform([0, UP[1]]);
    while (t < seconds) {
      const d = uniform(DOWN);
      events.push({ t, h, on: true });
      events.push({ t: Math.min(t + d, seconds), h, on: false });
      t += d + uniform(UP);
    }
  }
  return events.sort((a, b) => a.t - b.t || (a.on === b.on ? 0 : a.on ? 1 : -1));
}

/** Member events with a new status in [from, to], summed over observers, by the subject's role. */
function countEvents(insts, roleOf, from, to) {
  const c = { healthy: { suspected: 0, dead: 0, deadByHealthy: 0 }, flapper: { suspected: 0, dead: 0 } };
  for (const i of insts) {
    for (const e of i.proc.events) {
      if (e.name !== i.name || e.t < from || e.t > to || !e.isNewStatus || e.uuid === i.uuid) continue;
      const role = roleOf.get(e.uuid);
      if (!role || (e.status !== 'suspected' && e.status !== 'dead')) continue;
      c[role][e.status]++;
      if (role === 'healthy' && e.status === 'dead' && !i.flapper) c.healthy.deadByHealthy++;
    }
  }
  return c;
}

export async function run(options = {}) {
  const root = options.root ?? path.join(here, '..');
  const seconds = options.flap ?? 120;
  const seed = options.seed ?? 1;
  const harness = loadHarness(root);
  const avail = harness.findNetns();
  if (!avail.available) {
    console.log(`flapping: skipped: ${avail.reason}`);
    return [];
  }
  const names = Array.from({ length: HOSTS }, (_, k) => `h${k + 1}`);
  const flappers = names.slice(HOSTS - FLAPPERS);
  const rows = [];
  let downS = 0;
  let victimHost;
  await withLab(harness, { hosts: names, subnet: 91 }, async (lab) => {
    const procs = new Map();
    for (let k = 0; k < HOSTS; k += 6) {
      await Promise.all(names.slice(k, k + 6).map(async (h) => procs.set(h, await lab.spawn(h, { readyTimeoutMs: 60_000 }))));
    }
    const clusters = new Map();
    for (const c of CLUSTERS) {
      const insts = await Promise.all(names.map(async (h) => {
        const proc = procs.get(h);
        const { uri, uuid } = await proc.create(c.name, { uri: `${lab.addr(h)}:${c.port}`, lifeguard: c.lifeguard });
        return { proc, host: h, name: c.name, uri, uuid, flapper: flappers.includes(h) };
      }));
      await Promise.all(insts.map(async (i) => {
        for (const o of insts) {
          if (o === i) continue;
          // One learnt through gossip meanwhile is already there.
          await i.proc.call(i.name, 'addMember', { uri: o.uri, uuid: o.uuid }).catch((err) => {
            if (err.reason !== 'duplicate_member') throw err;
          });
        }
      }));
      clusters.set(c.name, insts);
    }
    for (const [name, insts] of clusters) {
      if (!(await until(() => harness.fullMesh(insts), 60_000))) throw new Error(`flapping: cluster ${name} never meshed\n${await harness.describeViews(insts)}`);
    }
    await sleep(3000);

    // --- flapping ---
    const events = schedule(flappers, seconds, seed);
    const downSince = new Map();
    const t0 = Date.now();
    try {
      for (const e of events) {
        const wait = t0 + e.t * 1000 - Date.now();
        if (wait > 0) await sleep(wait);
        await lab.isolate([e.h], e.on);
        if (e.on) downSince.set(e.h, Date.now());
        else downS += (Date.now() - downSince.get(e.h)) / 1000;
      }
    } finally {
      await lab.isolate(flappers, false);
    }
    await sleep(SETTLE_S * 1000);
    const t1 = Date.now();
    const results = new Map();
    for (const [name, insts] of clusters) {
      const roleOf = new Map(insts.map((i) => [i.uuid, i.flapper ? 'flapper' : 'healthy']));
      const stats = await Promise.all(insts.map((i) => i.proc.call(i.name, 'stats')));
      results.set(name, {
        counts: countEvents(insts, roleOf, t0, t1),
        meshed: await harness.fullMesh(insts),
        selfCharged: stats.reduce((n, s) => n + Number(s.ackTimeoutsSelf), 0),
      });
    }

    // --- a real crash of a healthy member, once both clusters are whole again ---
    for (const insts of clusters.values()) await until(() => harness.fullMesh(insts), 60_000);
    const rand = prng(BigInt(seed) * 104729n + 3n);
    victimHost = names[Math.floor(rand() * (HOSTS - FLAPPERS))];
    const kill = Date.now();
    procs.get(victimHost).kill();
    await Promise.all([...clusters].map(async ([name, insts]) => {
      const victim = insts.find((i) => i.host === victimHost);
      const observers = insts.filter((i) => i !== victim);
      const seen = (i) => i.proc.events.find((e) => e.name === i.name && e.uuid === victim.uuid && e.t >= kill && (e.status === 'dead' || e.isDrop));
      const all = await until(() => observers.every(seen), 60_000, 100);
      results.get(name).crashS = all ? (Math.max(...observers.map((i) => seen(i).t)) - kill) / 1000 : null;
    }));

    for (const c of CLUSTERS) {
      const r = results.get(c.name);
      rows.push({
        lifeguard: c.name,
        'healthy: suspected': r.counts.healthy.suspected,
        'healthy: dead': r.counts.healthy.dead,
        'healthy: dead, seen by healthy': r.counts.healthy.deadByHealthy,
        'flappers: suspected': r.counts.flapper.suspected,
        'flappers: dead': r.counts.flapper.dead,
        'misses charged to self': r.selfCharged,
        'full mesh after': r.meshed ? 'yes' : 'no',
        'crash: dead everywhere (s)': r.crashS === null ? 'n/a' : r.crashS.toFixed(2),
      });
    }
  });
  return [{
    title: `Lifeguard on real processes: ${FLAPPERS} of ${HOSTS} hosts flapping (network down for ${DOWN[0]}-${DOWN[1]} s every ${UP[0]}-${UP[1]} s), ${seconds} s, both clusters side by side`,
    note: `one process per network namespace, each with a lifeguard-on and a lifeguard-off member; defaults (heartbeat 0.5 s, ack timeout 0.5 s, gc on), seed ${seed}; ` +
      `flappers down ${downS.toFixed(0)} s in all; events (new status) summed over observers, flappers included, from the flapping's start to ${SETTLE_S} s after it; ` +
      `crash: SIGKILL of ${victimHost}'s process, until every other member saw it dead`,
    rows,
  }];
}
