// bench/sim: the deterministic simulator at scale (N = 100, 1,000, 2,000, 10,000 nodes).
//
// For each N, in a child process of its own (so peak RSS is that N's alone):
//  - chain bootstrap: node i knows only node i+1; virtual steps (heartbeats) until every
//    node sees every other alive, and the packets that took;
//  - steady state: packets and bytes per node per virtual second over a 60 s window (30 s
//    at 10,000 nodes), and the wall-clock cost per simulated node-second (all N engines,
//    network included);
//  - a killed node (gc off so "dead everywhere" is observable): virtual seconds until a
//    first node declares it dead, then until every node knows, against log2 N;
//  - peak RSS of the whole process (the bootstrap's in-flight packets on top of the mesh);
//  - separately, RSS of a full mesh built by telling every node every other one (no burst),
//    and from it the memory per member record (RSS growth / N^2). Not at 10,000 nodes (10^8
//    addMember calls): there the memory per member record is the RSS growth of the
//    bootstrap's own process once meshed (burst buffers the allocator kept included).
// Heartbeat 1 s, ack timeout 1 s, LAN-like delay 0.1 ms + U[0, 0.2 ms], no loss, seed 1;
// maxMembers raised to N where N exceeds the default (4,096).
//
// Then Lifeguard on and off, side by side, on the same seeds (bench/lib/lifeguard-scenarios.mjs):
// 64 members, heartbeat 0.5 s, ack timeout 0.5 s, gc on, fully meshed:
//  - flapping: 6 members lose their network (100% loss both ways) for U[1, 5] s every
//    U[2, 6] s, for 600 virtual s; suspicions and deaths of the 58 healthy members;
//  - slow: 6 members answer late (what they send is delayed 0.3 s + U[0, 0.5] s), 300 s;
//  - crash: 20 kills one at a time: seconds until the victim is dead (or gone) everywhere;
//  - mass failure: 30% of the members killed at once.
//
// node bench/sim.mjs [N...]     (or through bench/run.mjs: npm run bench -- sim; default N = 100,
//                               1,000, 2,000; 10,000 only when named: ~40 min and ~12 GB)
// node bench/sim.mjs --lifeguard   the Lifeguard tables only
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const self = fileURLToPath(import.meta.url);

export const name = 'sim';

// 10,000 only when asked for: its full mesh alone is 10^8 member records (~12 GB).
const SIZES = [100, 1000, 2000];
// Virtual seconds of steady state: shorter at 10,000 nodes, where one virtual second of
// the whole cluster costs about a wall second.
const windowFor = (n) => (n > 5000 ? 30 : 60);
// Above this many nodes the mesh-memory run (N^2 addMember calls) is skipped.
const MESH_RUN_MAX = 2000;

function wall() {
  return Number(process.hrtime.bigint()) / 1e9;
}

function totals(sim) {
  const s = sim.stats();
  return { packets: s.packetsSent, bytes: s.bytesSent };
}

// SIM_PROGRESS=1: phase times on stderr (a 10,000-node run takes many minutes).
function progress(n, what) {
  if (process.env.SIM_PROGRESS) {
    const rss = (process.resourceUsage().maxRSS / 1024).toFixed(0);
    console.error(`[sim N=${n}] ${what}; peak RSS ${rss} MB`);
  }
}

/** One N, measured in this process. */
function measure(n) {
  const { Simulation } = require('../dist/sim.js');
  const WINDOW = windowFor(n);
  globalThis.gc?.();
  const base = process.memoryUsage().rss;
  const sim = new Simulation({
    nodes: n,
    seed: 1,
    heartbeatRate: 1,
    ackTimeout: 1,
    keepEvents: false,
    ...(n > 4096 ? { maxMembers: n } : {}),
  });
  sim.setDelay(0.0001, 0.0002);
  for (let i = 1; i < n; ++i) sim.addMember(i, i + 1);

  let t = wall();
  const meshSeconds = sim.runUntil({ fullmesh: true }, 3600);
  const meshWall = wall() - t;
  if (meshSeconds < 0) throw new Error(`N=${n}: no full mesh within 3600 virtual seconds`);
  const boot = totals(sim);
  progress(n, `meshed in ${meshSeconds} virtual s, ${meshWall.toFixed(1)} s wall`);

  // Let the bootstrap's dissemination settle, then measure a steady window.
  sim.run(10);
  globalThis.gc?.();
  const meshRss = process.memoryUsage().rss;
  const before = totals(sim);
  t = wall();
  sim.run(WINDOW);
  const steadyWall = wall() - t;
  const after = totals(sim);
  progress(n, `steady window done, ${steadyWall.toFixed(1)} s wall`);

  for (let i = 1; i <= n; ++i) sim.configure(i, { gcMode: 'off' });
  const victim = Math.floor(n / 2);
  sim.kill(victim);
  const first = sim.runUntil({ member: victim, status: 'dead', anywhere: true }, 600);
  const everywhere = first < 0 ? -1 : sim.runUntil({ member: victim, status: 'dead', everywhere: true }, 600);

  return {
    n,
    meshSeconds,
    meshWall,
    bootPacketsPerNode: boot.packets / n,
    packetsPerNodeSecond: (after.packets - before.packets) / n / WINDOW,
    bytesPerNodeSecond: (after.bytes - before.bytes) / n / WINDOW,
    wallPerNodeSecondUs: (steadyWall / (n * WINDOW)) * 1e6,
    wall300: (steadyWall / WINDOW) * 300,
    firstDead: first,
    spread: everywhere,
    log2: Math.log2(n),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    window: WINDOW,
    meshRssMb: meshRss / 2 ** 20,
    perRecord: (meshRss - base) / (n * n),
  };
}

/** Memory of a full mesh without the bootstrap's in-flight packets: every node is told
 * every other one directly, then 10 virtual seconds run. */
function measureMesh(n) {
  const { Simulation } = require('../dist/sim.js');
  globalThis.gc?.();
  const base = process.memoryUsage().rss;
  const sim = new Simulation({ nodes: n, seed: 1, ackTimeout: 1, keepEvents: false });
  for (let i = 1; i <= n; ++i) for (let j = 1; j <= n; ++j) if (i !== j) sim.addMember(i, j);
  sim.run(10);
  if (!sim.check({ fullmesh: true })) throw new Error(`N=${n}: interconnected cluster is not a full mesh`);
  globalThis.gc?.();
  const rss = process.memoryUsage().rss;
  return { rssMb: rss / 2 ** 20, perRecord: (rss - base) / (n * n), peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

/** The Lifeguard scenarios, lifeguard on and off, in this process. */
async function measureLifeguard() {
  const { Simulation } = require('../dist/sim.js');
  const lg = await import('./lib/lifeguard-scenarios.mjs');
  const rows = [];
  for (const lifeguard of [false, true]) {
    const base = { nodes: 64, seed: 1, lifeguard };
    let t = wall();
    const f = lg.flapping(Simulation, { ...base, seconds: 600 });
    const fw = wall() - t;
    const s = lg.slow(Simulation, { ...base, seconds: 300 });
    const c = lg.crashes(Simulation, { ...base, kills: 20 });
    const m = lg.massFailure(Simulation, { ...base, fraction: 0.3 });
    rows.push({ lifeguard, flapping: f, flappingWall: fw, slow: s, crash: c, mass: m });
  }
  return rows;
}

function fmt(x, digits = 1) {
  if (x < 0) return 'n/a';
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function lifeguardTables(results) {
  const on = (r) => (r.lifeguard ? 'on' : 'off');
  const int = (x) => fmt(x, 0);
  return [
    {
      title: 'Lifeguard: 6 of 64 members flapping (100% loss for 1-5 s every 2-6 s), 600 virtual s',
      note:
        'heartbeat 0.5 s, ack timeout 0.5 s, gc on, seed 1; member events summed over observers; ' +
        '"healthy" = the 58 members that never lost their network',
      rows: results.map((r) => ({
        lifeguard: on(r),
        'healthy: suspected': int(r.flapping.falseSuspected),
        'healthy: dead': int(r.flapping.falseDead),
        'flappers: suspected': int(r.flapping.flapperSuspected),
        'flappers: dead': int(r.flapping.flapperDead),
        'bytes/member/s': int(r.flapping.bytesPerMemberSecond),
        'full mesh after': r.flapping.fullmesh ? 'yes' : 'no',
        'wall (s)': fmt(r.flappingWall, 1),
      })),
    },
    {
      title: 'Lifeguard: 6 of 64 members slow (what they send is delayed 0.3 s + U[0, 0.5 s]), 300 virtual s',
      note: 'every member stays up: all suspicions and deaths are false',
      rows: results.map((r) => ({
        lifeguard: on(r),
        'others: suspected': int(r.slow.falseSuspected),
        'others: dead': int(r.slow.falseDead),
        'slow ones: suspected': int(r.slow.slowSuspected),
        'slow ones: dead': int(r.slow.slowDead),
        'bytes/member/s': int(r.slow.bytesPerMemberSecond),
      })),
    },
    {
      title: 'Lifeguard: a real crash (20 kills, one at a time) and a mass failure (30% of 64 killed at once)',
      note: 'seconds from the kill until every running member sees the victim(s) dead or gone',
      rows: results.map((r) => ({
        lifeguard: on(r),
        'crash: median (s)': fmt(r.crash.median, 2),
        'crash: p99 (s)': fmt(r.crash.p99, 2),
        'crash: others suspected': int(r.crash.falseSuspected),
        'crash: others dead': int(r.crash.falseDead),
        'mass: all dead (s)': fmt(r.mass.allDead, 2),
        'mass: survivors suspected': int(r.mass.falseSuspected),
        'mass: survivors dead': int(r.mass.falseDead),
      })),
    },
  ];
}

function runLifeguardChild() {
  const out = execFileSync(process.execPath, ['--expose-gc', self, '--lifeguard-child'], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return lifeguardTables(JSON.parse(out.trim().split('\n').pop()));
}

export async function run({ sizes = SIZES, lifeguard = true } = {}) {
  const rows = [];
  for (const n of sizes) {
    const out = execFileSync(process.execPath, ['--expose-gc', self, '--child', String(n)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const r = JSON.parse(out.trim().split('\n').pop());
    const mesh =
      n > MESH_RUN_MAX
        ? null
        : JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', self, '--mesh', String(n)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      })
            .trim()
            .split('\n')
            .pop(),
        );
    rows.push({
      N: r.n.toLocaleString('en-US'),
      'full mesh (steps)': fmt(r.meshSeconds, 2),
      'bootstrap pkts/node': fmt(r.bootPacketsPerNode, 0),
      'bootstrap wall (s)': fmt(r.meshWall, 1),
      'first dead (s)': fmt(r.firstDead, 1),
      'then everywhere (steps)': fmt(r.spread, 1),
      'log2 N': fmt(r.log2, 1),
      'pkts/node/s': fmt(r.packetsPerNodeSecond, 2),
      'bytes/node/s': fmt(r.bytesPerNodeSecond, 0),
      'steady window (s)': fmt(r.window, 0),
      'wall µs/node-s': fmt(r.wallPerNodeSecondUs, 1),
      'wall for 300 s (s)': fmt(r.wall300, 1),
      'peak RSS (MB)': fmt(r.peakRssMb, 0),
      'mesh RSS (MB)': mesh ? fmt(mesh.rssMb, 0) : 'not run',
      'bytes/member record': mesh ? fmt(mesh.perRecord, 0) : `${fmt(r.perRecord, 0)} (bootstrap RSS)`,
    });
  }
  const tables = [
    {
      title: 'Simulator: chain bootstrap, steady state, death dissemination',
      note:
        'heartbeat 1 s, ack timeout 1 s, delay 0.1 ms + U[0, 0.2 ms], seed 1; one step = one heartbeat; ' +
        'steady window 60 virtual s (30 s at N >= 10,000); "wall for 300 s" = all N nodes for 300 virtual seconds; ' +
        `"mesh RSS" and bytes/member record from a mesh built by addMember (N <= ${MESH_RUN_MAX}), ` +
        'else from the bootstrap process (RSS growth once meshed / N^2)',
      rows,
    },
  ];
  if (lifeguard) tables.push(...runLifeguardChild());
  return tables;
}

function printTables(tables) {
  for (const table of tables) {
    console.log(`## ${table.title}\n   ${table.note}`);
    const cols = Object.keys(table.rows[0]);
    console.log(`| ${cols.join(' | ')} |`);
    console.log(`| ${cols.map(() => '---:').join(' | ')} |`);
    for (const r of table.rows) console.log(`| ${cols.map((c) => r[c]).join(' | ')} |`);
    console.log('');
  }
}

if (process.argv[2] === '--child') {
  process.stdout.write(`${JSON.stringify(measure(Number(process.argv[3])))}\n`);
} else if (process.argv[2] === '--lifeguard-child') {
  process.stdout.write(`${JSON.stringify(await measureLifeguard())}\n`);
} else if (process.argv[2] === '--lifeguard') {
  printTables(runLifeguardChild());
} else if (process.argv[2] === '--mesh') {
  process.stdout.write(`${JSON.stringify(measureMesh(Number(process.argv[3])))}\n`);
} else if (process.argv[1] === self) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  printTables(await run(sizes.length ? { sizes } : {}));
}
