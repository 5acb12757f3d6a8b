// Lifecycle costs:
// - instances created + closed per second: sequentially (create, await close) and in
//   batches of 100 (create 100, close them all);
// - time from dropping a running instance to its thread being gone, under forced GC
//   (global.gc() until the registry called back, then until the swim-worker thread has
//   left /proc/self/task), and the part after the registry's callback;
// - peak and final RSS over 10,000 create/close cycles, in a fresh child process, left to
//   V8's own collection schedule and with a full collection every 500 cycles.
//
//   node --expose-gc bench/lifecycle.mjs     (needs `npm run build`; also via npm run bench)
// Exported run() is what bench/run.mjs calls; it returns tables.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = fileURLToPath(import.meta.url);

function swimThreads() {
  let n = 0;
  for (const t of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === 'swim-worker') n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const fmt = (x, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function createClose(Swim, seconds) {
  // Sequential: one at a time.
  let n = 0;
  let t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await new Swim({ uri: '127.0.0.1:0' }).close();
    n++;
  }
  const seq = n / ((performance.now() - t0) / 1000);
  // Batches of 100: 100 threads and sockets up at once, then all closed.
  n = 0;
  t0 = performance.now();
  const end2 = t0 + seconds * 1000;
  while (performance.now() < end2) {
    const batch = [];
    for (let i = 0; i < 100; i++) batch.push(new Swim({ uri: '127.0.0.1:0' }));
    await Promise.all(batch.map((s) => s.close()));
    n += 100;
  }
  const batched = n / ((performance.now() - t0) / 1000);
  return { seq, batched };
}

async function dropToGone(Swim, samples) {
  if (!global.gc) return null;
  const { registryCalls } = require('../dist/testing.js');
  const toGone = [];
  const regToGone = [];
  const gcMs = [];
  const holder = [];
  const tick = () => new Promise((r) => setImmediate(r));
  // The dropped instances' warnings are expected here: keep them off the report.
  const listeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', () => {});
  try {
    for (let i = 0; i < samples; i++) {
      await sleep(1); // a fresh job: nothing keeps the last one alive
      if (swimThreads() !== 0) throw new Error('bench: a swim thread is still running before the sample');
      holder.push(new Swim({ uri: '127.0.0.1:0' }).unref()); // a ref'd one is held, never collected
      // The thread names itself when it starts: wait for it to show.
      while (swimThreads() !== 1);
      await sleep(1);
      const calls = registryCalls().calls;
      holder.length = 0;
      const t0 = performance.now();
      // A full collection, repeated every few ms until the registry has called back.
      let lastGc = -Infinity;
      while (registryCalls().calls === calls) {
        if (performance.now() - lastGc > 5) {
          const g = performance.now();
          global.gc();
          lastGc = performance.now();
          gcMs.push(lastGc - g);
        }
        await tick();
      }
      const tReg = performance.now();
      while (swimThreads() !== 0) await tick();
      const tGone = performance.now();
      toGone.push(tGone - t0);
      regToGone.push(tGone - tReg);
    }
  } finally {
    process.removeAllListeners('warning');
    for (const l of listeners) process.on('warning', l);
  }
  const stats = (xs) => {
    xs.sort((a, b) => a - b);
    return { median: pct(xs, 0.5), p90: pct(xs, 0.9), max: xs[xs.length - 1] };
  };
  return { total: stats(toGone), afterRegistry: stats(regToGone), gc: stats(gcMs) };
}

// In a fresh process: 10,000 create/close cycles, RSS sampled every 250.
function rssChild(cycles, gcEvery) {
  const args = ['--expose-gc', '--no-warnings', here, '--rss-child', String(cycles), String(gcEvery)];
  const out = execFileSync(process.execPath, args, {
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop());
}

async function rssMain(cycles, gcEvery) {
  const { Swim } = require('../dist/index.js');
  const mb = () => process.memoryUsage().rss / 1048576;
  global.gc();
  const start = mb();
  let peak = start;
  let warm = start;
  for (let i = 0; i < cycles; i++) {
    await new Swim({ uri: '127.0.0.1:0' }).close();
    if (gcEvery && i % gcEvery === gcEvery - 1) global.gc();
    if (i % 250 === 249) peak = Math.max(peak, mb());
    if (i === 999) {
      global.gc();
      warm = mb();
    }
  }
  global.gc();
  const end = mb();
  peak = Math.max(peak, end);
  console.log(JSON.stringify({ cycles, start, warm, peak, end }));
}

export async function run(options = {}) {
  const seconds = Number(options.seconds ?? 1);
  const { Swim } = require('../dist/index.js');
  // Warm up: the addon loaded, the first thread and socket made.
  for (let i = 0; i < 50; i++) await new Swim({ uri: '127.0.0.1:0' }).close();
  const cc = await createClose(Swim, seconds);
  const drop = await dropToGone(Swim, 50);
  const rss = rssChild(10_000, 0);
  const rssGc = rssChild(10_000, 500);
  const rows = [
    { measure: 'create + close, one at a time', value: fmt(cc.seq), unit: 'instances/s' },
    { measure: 'create + close, batches of 100', value: fmt(cc.batched), unit: 'instances/s' },
  ];
  if (drop) {
    const ms = (x) => fmt(x, 2);
    rows.push(
      { measure: 'dropped running -> thread gone (forced full GC), median', value: ms(drop.total.median), unit: 'ms' },
      { measure: 'dropped running -> thread gone, p90', value: ms(drop.total.p90), unit: 'ms' },
      { measure: '  of which one forced full GC, median', value: ms(drop.gc.median), unit: 'ms' },
      { measure: '  registry callback -> thread gone, median', value: ms(drop.afterRegistry.median), unit: 'ms' },
      { measure: '  registry callback -> thread gone, p90', value: ms(drop.afterRegistry.p90), unit: 'ms' },
    );
  } else {
    rows.push({ measure: 'dropped running -> thread gone', value: 'n/a', unit: 'needs --expose-gc' });
  }
  for (const [label, r] of [
    ['V8 collects when it likes', rss],
    ['full GC every 500 cycles', rssGc],
  ]) {
    rows.push(
      { measure: `RSS, ${label}: fresh process`, value: fmt(r.start, 1), unit: 'MiB' },
      { measure: `RSS, ${label}: after 1,000 cycles`, value: fmt(r.warm, 1), unit: 'MiB' },
      { measure: `RSS, ${label}: peak over ${fmt(r.cycles)} cycles`, value: fmt(r.peak, 1), unit: 'MiB' },
      { measure: `RSS, ${label}: after ${fmt(r.cycles)} cycles`, value: fmt(r.end, 1), unit: 'MiB' },
    );
  }
  const table = {
    title: 'lifecycle: instance creation, collection and memory',
    note: `each instance is a UDP socket on 127.0.0.1 and a native thread; ${seconds} s per throughput case`,
    rows,
  };
  return [table];
}

if (process.argv[2] === '--rss-child') {
  await rssMain(Number(process.argv[3] || 10000), Number(process.argv[4] || 0));
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const t of await run({ seconds: 2 })) {
    console.log(`\n## ${t.title}\n   ${t.note}`);
    for (const r of t.rows) console.log(`| ${r.measure} | ${r.value} | ${r.unit} |`);
  }
}
