// Real clusters on 127.0.0.1, swim-native next to happn-swim (pure-JavaScript SWIM) in the
// same run and with the same protocol settings (bench/lib/cluster-adapters.cjs):
//
//   npm run bench -- cluster [--seconds S] [--mode procs] [--base DIR]
//   (S: steady-state window, default 10; --mode procs: only the one-member-per-process table;
//   DIR: another built checkout of swim-native, an extra column of that table)
//
// For N = 20 and 50 members in this process: time to a full mesh from a chain bootstrap
// (member k knows only member k-1), CPU seconds per member per minute and bytes sent per
// member per second over two steady-state windows (from 2 s after the full mesh, and right
// after the first, once the join news is over), and the time until a member killed without
// notice is dead for every other member. Then the blocked-event-loop scenario: 10 members
// here and one in a child process whose main thread busy-loops for 10 s; how many times the
// peers suspect it or declare it dead, although it never failed.
//
// Needs the compiled package (npm run build) and the devDependency happn-swim.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const { adapters, freePorts } = require('./lib/cluster-adapters.cjs');

/** Both libraries: one ping per 0.5 s, 0.5 s to answer, 2 indirect proxies, 1.5 s of suspicion. */
export const SETTINGS = { heartbeat: 0.5, ackTimeout: 0.5, suspectTime: 1.5, indirect: 2 };
const LIBS = ['swim-native', 'happn-swim'];
const SIZES = [20, 50];
const BLOCK_PEERS = 10;
const BLOCK_MS = 10_000;
/** Runs of the fullmesh and kill timings per library and size (the first also measures the steady state). */
const REPS = 3;
const LIMIT_MS = 60_000;
/** Time between the full mesh and the first steady-state window. */
const SETTLE_MS = 2_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls cond every intervalMs; resolves with the time it held (performance.now()), or null after limitMs. */
async function until(cond, limitMs = LIMIT_MS, intervalMs = 20) {
  const start = performance.now();
  for (;;) {
    if (cond()) return performance.now();
    if (performance.now() - start > limitMs) return null;
    await sleep(intervalMs);
  }
}

async function startCluster(lib, n, ports) {
  const members = [];
  for (let i = 0; i < n; i++) members.push(await lib.create(i ? members[i - 1].addr : null, ports[i]));
  return members;
}

const fullmesh = (members, n) => members.every((m) => m.size() === n - 1 && m.aliveCount() === n - 1);

async function clusterScenario(libName, n, windowS, root) {
  // windowS 0: no steady-state window (a repetition for the timings only).
  const lib = adapters[libName](SETTINGS, root);
  const ports = libName === 'happn-swim' ? await freePorts(n) : [];
  const t0 = performance.now();
  const members = await startCluster(lib, n, ports);
  let victimId = null;
  let spurious = 0;
  for (const m of members)
    m.onStatus((id, st) => {
      if (st !== 'alive' && id !== victimId) spurious++;
    });
  const meshAt = await until(() => fullmesh(members, n));
  const out = { fullmeshS: meshAt === null ? null : (meshAt - t0) / 1000 };
  if (meshAt === null) {
    await Promise.all(members.map((m) => m.kill()));
    return out;
  }

  // Steady state: two windows with nothing else running here. The first from 2 s after the
  // mesh, when the join news is not over yet (swim-native keeps news queued for up to
  // 2 (ceil(log2 N) + 1) round steps: 7 s at N = 50; happn-swim piggybacks each update
  // 20-26 times); the second right after it, when both are quiet.
  await sleep(windowS ? SETTLE_MS : 500);
  const sum = () => members.reduce((a, m) => { const s = m.sent(); a.packets += s.packets; a.bytes += s.bytes; return a; }, { packets: 0, bytes: 0 });
  const sent0 = sum();
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  if (windowS) {
    await sleep(windowS * 1000);
    const cpu = process.cpuUsage(cpu0);
    const wall = (performance.now() - w0) / 1000;
    const sent1 = sum();
    out.cpuSPerMemberMin = (cpu.user + cpu.system) / 1e6 / n / (wall / 60);
    out.bytesPerMemberS = (sent1.bytes - sent0.bytes) / n / wall;
    out.packetsPerMemberS = (sent1.packets - sent0.packets) / n / wall;
    const w1 = performance.now();
    await sleep(windowS * 1000);
    const sent2 = sum();
    out.quietBytesPerMemberS = (sent2.bytes - sent1.bytes) / n / ((performance.now() - w1) / 1000);
  }

  // Kill one member without notice (the middle of the chain); wait until nobody sees it alive.
  const victim = members[Math.floor(n / 2)];
  const observers = members.filter((m) => m !== victim);
  victimId = victim.id;
  const deadAt = new Map();
  const killedAt = performance.now();
  await victim.kill();
  const allDead = await until(() => {
    const now = performance.now();
    for (const o of observers) {
      const st = o.status(victimId);
      if (!deadAt.has(o) && (st === 'dead' || st === undefined)) deadAt.set(o, now);
    }
    return deadAt.size === observers.length;
  });
  out.deadEverywhereS = allDead === null ? null : (allDead - killedAt) / 1000;
  out.firstDeadS = deadAt.size ? (Math.min(...deadAt.values()) - killedAt) / 1000 : null;
  out.spurious = spurious;
  await Promise.all(observers.map((m) => m.kill()));
  return out;
}

function childMember(libName, peer, root) {
  const proc = spawn(process.execPath, [path.join(here, 'lib', 'blocked-child.cjs'), libName, JSON.stringify(SETTINGS), JSON.stringify(peer), root], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return lineChannel(proc, libName);
}

/** JSON lines from a child's stdout; next(type) takes the oldest line of that type not yet taken. */
function lineChannel(proc, name) {
  const lines = [];
  const waiters = [];
  let buf = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      const w = waiters.findIndex((f) => f(line));
      if (w >= 0) waiters.splice(w, 1);
      else lines.push(line);
    }
  });
  let exited = null;
  proc.once('exit', (code, signal) => {
    exited = new Error(`${name} child exited (${signal ?? code})`);
    for (const w of waiters.splice(0)) w(null);
  });
  return {
    proc,
    send: (l) => proc.stdin.write(`${l}\n`, () => {}),
    next(type, limitMs = LIMIT_MS) {
      const i = lines.findIndex((l) => l.type === type);
      if (i >= 0) return Promise.resolve(lines.splice(i, 1)[0]);
      if (exited) return Promise.reject(exited);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} child: no ${type} within ${limitMs} ms`)), limitMs);
        waiters.push((l) => {
          if (l === null) {
            clearTimeout(timer);
            reject(exited);
            return true;
          }
          if (l.type !== type) return false;
          clearTimeout(timer);
          resolve(l);
          return true;
        });
      });
    },
  };
}

async function blockedScenario(libName, root) {
  const lib = adapters[libName](SETTINGS, root);
  const ports = libName === 'happn-swim' ? await freePorts(BLOCK_PEERS) : [];
  const peers = await startCluster(lib, BLOCK_PEERS, ports);
  const child = childMember(libName, peers[BLOCK_PEERS - 1].addr, root);
  const out = {};
  try {
    const { id } = await child.next('ready');
    const meshAt = await until(() => fullmesh(peers, BLOCK_PEERS + 1) && peers.every((p) => p.status(id) === 'alive'));
    if (meshAt === null) throw new Error(`${libName}: no full mesh with the child member`);
    await sleep(2000);
    let suspicions = 0;
    let deaths = 0;
    const suspecting = new Set();
    peers.forEach((p, i) =>
      p.onStatus((who, st) => {
        if (who !== id) return;
        if (st === 'suspected') suspicions++;
        if (st === 'dead') deaths++;
        if (st !== 'alive') suspecting.add(i);
      }),
    );
    child.send(`block ${BLOCK_MS}`);
    await child.next('blocking');
    const u = await child.next('unblocked', BLOCK_MS + LIMIT_MS);
    const unblockedAt = performance.now();
    // Late verdicts (a suspicion timer running out just after) count too; then: is it back?
    const backAt = await until(() => peers.every((p) => p.status(id) === 'alive'), 15_000, 50);
    await sleep(Math.max(0, 3000 - (performance.now() - unblockedAt)));
    Object.assign(out, {
      blockedS: u.blockedMs / 1000,
      suspicions,
      deaths,
      peersSuspecting: suspecting.size,
      aliveAgainS: backAt === null ? null : (backAt - unblockedAt) / 1000,
    });
  } finally {
    child.send('exit');
    await Promise.race([new Promise((r) => child.proc.once('exit', r)), sleep(5000)]);
    child.proc.kill('SIGKILL');
    await Promise.all(peers.map((p) => p.kill()));
  }
  return out;
}

// --- one member per process -------------------------------------------------------------

const PROC_LIBS = ['swim-native', 'tarantool', 'happn-swim'];
const PROC_N = 20;
const PROC_SETTLE_MS = 20_000;

/** Run time (ns) of each thread of pid, by thread id, with its name (/proc/PID/task/TID). */
function threadTimes(pid) {
  const out = new Map();
  let tids = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const ns = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      // The main thread by its role: node names its other threads "node" too.
      const name = tid === String(pid) ? 'main' : fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(tid, { ns, name });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** ns of run time per thread name between two threadTimes() samples of one process. */
function threadDelta(before, after) {
  const byName = {};
  for (const [tid, { ns, name }] of after) byName[name] = (byName[name] ?? 0) + ns - (before.get(tid)?.ns ?? 0);
  return byName;
}

function procMember(libName, peer, n, root) {
  const settings = JSON.stringify(SETTINGS);
  const argv = libName === 'tarantool'
    ? ['tarantool', [path.join(here, 'lib', 'proc-member.lua'), settings, JSON.stringify(peer), String(n)]]
    : [process.execPath, [path.join(here, 'lib', 'proc-member.cjs'), libName, settings, JSON.stringify(peer), String(n), root]];
  const env = { ...process.env };
  delete env.LD_PRELOAD; // tarantool 2.6 hangs with a preloaded sanitizer runtime
  const proc = spawn(argv[0], argv[1], { stdio: ['pipe', 'pipe', 'inherit'], env });
  return lineChannel(proc, libName);
}

export async function procScenario(libName, n, windowS, root) {
  const members = [];
  try {
    for (let i = 0; i < n; i++) {
      const m = procMember(libName, i ? members[i - 1].addr : null, n, root);
      members.push(m);
      m.addr = (await m.next('ready')).addr;
    }
    await Promise.all(members.map((m) => m.next('mesh')));
    // A fresh node process keeps compiling and collecting for a while after start-up.
    await sleep(PROC_SETTLE_MS);
    const canCount = libName !== 'tarantool';
    const sent = async () => {
      if (!canCount) return null;
      const lines = await Promise.all(members.map((m) => { m.send('sent'); return m.next('sent'); }));
      return lines.reduce((a, l) => ({ packets: a.packets + l.packets, bytes: a.bytes + l.bytes }), { packets: 0, bytes: 0 });
    };
    const sent0 = await sent();
    const t0 = members.map((m) => threadTimes(m.proc.pid));
    const w0 = performance.now();
    await sleep(windowS * 1000);
    const t1 = members.map((m) => threadTimes(m.proc.pid));
    const wall = (performance.now() - w0) / 1000;
    const sent1 = await sent();
    const byName = {};
    members.forEach((m, i) => {
      for (const [name, ns] of Object.entries(threadDelta(t0[i], t1[i]))) byName[name] = (byName[name] ?? 0) + ns;
    });
    const usPerS = (ns) => ns / 1000 / n / wall;
    const total = Object.values(byName).reduce((a, b) => a + b, 0);
    return {
      cpuUsPerMemberS: usPerS(total),
      workerUsPerMemberS: byName['swim-worker'] === undefined ? null : usPerS(byName['swim-worker']),
      mainUsPerMemberS: usPerS(byName.main ?? 0),
      threads: Object.fromEntries(Object.entries(byName).map(([k, v]) => [k, Number(usPerS(v).toFixed(1))])),
      bytesPerMemberS: sent1 && (sent1.bytes - sent0.bytes) / n / wall,
      packetsPerMemberS: sent1 && (sent1.packets - sent0.packets) / n / wall,
    };
  } finally {
    for (const m of members) m.send('exit');
    await Promise.all(members.map((m) => Promise.race([new Promise((r) => m.proc.once('exit', r)), sleep(3000)])));
    for (const m of members) if (m.proc.exitCode === null) m.proc.kill('SIGKILL');
  }
}

/** The per-process table: CPU and bytes per member, each library in its own run. */
export async function runProcs({ windowS, log, root, base, reps = 2 }) {
  // Columns: [name, library, package root]; `base`: another checkout of swim-native (built),
  // measured in the same run for a before/after.
  const cols = PROC_LIBS.map((lib) => [lib, lib, root]);
  if (base) cols.splice(1, 0, [`swim-native @ ${path.basename(path.resolve(base))}`, 'swim-native', path.resolve(base)]);
  const runs = Object.fromEntries(cols.map(([name]) => [name, []]));
  for (let rep = 0; rep < reps; rep++)
    for (const [name, lib, libRoot] of cols) {
      if (lib === 'tarantool' && !hasTarantool()) continue;
      log(`  ${name}, ${PROC_N} members, one per process, run ${rep + 1}/${reps} ...`);
      const r = await procScenario(lib, PROC_N, windowS, libRoot);
      runs[name].push(r);
      log(`    ${JSON.stringify(r, (k, v) => (typeof v === 'number' ? Number(v.toFixed(1)) : v))}`);
    }
  const cell = (name, key, d) => {
    const st = summarize(runs[name], key);
    return st.n > 1 && st.value !== null ? `${fmt(st.value, d)} (${fmt(st.min, d)}–${fmt(st.max, d)})` : fmt(st.value, d);
  };
  const row = (metric, key, d, withRatio = false) => ({
    metric,
    ...Object.fromEntries(cols.map(([name]) => [name, runs[name].length ? cell(name, key, d) : 'not run'])),
    'swim-native ÷ tarantool': withRatio ? ratio(summarize(runs['swim-native'], key).value, summarize(runs.tarantool, key).value) : 'n/a',
  });
  return {
    title: `${PROC_N} members on 127.0.0.1, one process each, chain bootstrap`,
    note: `median (min–max) of ${reps} runs of a ${windowS} s window (thread run time from /proc/PID/task/*/schedstat); tarantool counts no bytes sent`,
    rows: [
      row('CPU µs per member per s (whole process)', 'cpuUsPerMemberS', 0, true),
      row('  ... swim-worker thread only', 'workerUsPerMemberS', 0),
      row('  ... main (JavaScript) thread', 'mainUsPerMemberS', 0),
      row('bytes sent per member per s', 'bytesPerMemberS', 0),
      row('packets sent per member per s', 'packetsPerMemberS', 2),
    ],
  };
}

function hasTarantool() {
  try {
    execFileSync('tarantool', ['-e', "require('swim') os.exit(0)"], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const fmt = (v, d = 2) => (v === null || v === undefined ? 'n/a' : Number(v).toFixed(d));
const median = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (v.length < xs.length) return null; // a run that timed out: no figure
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
/** One figure from the runs: the median, and the range when there are several runs. */
function summarize(runs, key) {
  const xs = runs.map((r) => r[key]).filter((x) => x !== undefined);
  return { value: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}
const ratio = (a, b) => (a === null || b === null || a === undefined || b === undefined || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`);

export async function run(options = {}) {
  const root = options.root ?? path.join(here, '..');
  const windowS = options.seconds >= 5 ? options.seconds : 10;
  const log = options.quiet ? () => {} : (s) => console.log(s);
  log(`settings for both: heartbeat ${SETTINGS.heartbeat} s, ack timeout ${SETTINGS.ackTimeout} s, ` +
    `${SETTINGS.indirect} indirect-ping proxies, ${SETTINGS.suspectTime} s of suspicion; steady window ${windowS} s`);
  if (options.mode === 'procs') return [await runProcs({ windowS, log, root, base: options.base })];
  const tables = [];
  for (const n of SIZES) {
    const runs = Object.fromEntries(LIBS.map((lib) => [lib, []]));
    // Alternate the libraries run by run, so a burst of foreign load does not hit one only.
    for (let rep = 0; rep < REPS; rep++)
      for (const lib of LIBS) {
        log(`  ${lib}, ${n} members, run ${rep + 1}/${REPS} ...`);
        const r = await clusterScenario(lib, n, rep === 0 ? windowS : 0, root);
        runs[lib].push(r);
        log(`    ${JSON.stringify(r, (k, v) => (typeof v === 'number' ? Number(v.toFixed(3)) : v))}`);
      }
    const cell = (st, d) => (st.n > 1 && st.value !== null ? `${fmt(st.value, d)} (${fmt(st.min, d)}–${fmt(st.max, d)})` : fmt(st.value, d));
    const row = (metric, key, d = 2) => {
      const a = summarize(runs['swim-native'], key);
      const b = summarize(runs['happn-swim'], key);
      return { metric, 'swim-native': cell(a, d), 'happn-swim': cell(b, d), 'happn-swim ÷ swim-native': ratio(b.value, a.value) };
    };
    tables.push({
      title: `${n} members on 127.0.0.1, one process, chain bootstrap, one member killed`,
      note: `median (min–max) of ${REPS} runs for the timings, one ${windowS} s window for the steady state; lower is better everywhere, ratio > 1: happn-swim needs more`,
      rows: [
        row('time to full mesh (s)', 'fullmeshS'),
        row('killed member dead for all others (s)', 'deadEverywhereS'),
        row('  ... for the first observer (s)', 'firstDeadS'),
        row('CPU s per member per minute', 'cpuSPerMemberMin', 3),
        row(`bytes sent per member per s, ${SETTLE_MS / 1000}–${SETTLE_MS / 1000 + windowS} s after the mesh`, 'bytesPerMemberS', 0),
        row(`  ... ${SETTLE_MS / 1000 + windowS}–${SETTLE_MS / 1000 + 2 * windowS} s after the mesh`, 'quietBytesPerMemberS', 0),
        row('packets sent per member per s', 'packetsPerMemberS', 2),
        {
          metric: `false suspicions of live members (all ${REPS} runs)`,
          ...Object.fromEntries(LIBS.map((lib) => [lib, String(runs[lib].reduce((t, r) => t + (r.spurious ?? 0), 0))])),
          'happn-swim ÷ swim-native': 'n/a',
        },
      ],
    });
  }
  const blocked = {};
  for (const lib of LIBS) {
    log(`  ${lib}, blocked event loop ...`);
    blocked[lib] = await blockedScenario(lib, root);
    log(`    ${JSON.stringify(blocked[lib])}`);
  }
  tables.push({
    title: `blocked event loop: ${BLOCK_PEERS} peers + 1 member in a child process whose main thread busy-loops ${BLOCK_MS / 1000} s`,
    note: 'it never failed: every suspicion and death verdict is false',
    rows: LIBS.map((lib) => ({
      library: lib,
      'blocked (s)': fmt(blocked[lib].blockedS, 1),
      'suspected events': fmt(blocked[lib].suspicions, 0),
      'dead/faulty events': fmt(blocked[lib].deaths, 0),
      'peers that doubted it': `${blocked[lib].peersSuspecting} of ${BLOCK_PEERS}`,
      'alive everywhere after unblock (s)': blocked[lib].aliveAgainS === null ? 'not within 15 s' : fmt(blocked[lib].aliveAgainS),
    })),
  });
  tables.push(await runProcs({ windowS, log, root, base: options.base }));
  return tables;
}

