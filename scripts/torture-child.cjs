// One torture run (scripts/torture.mjs): a random but seeded sequence of lifecycle events
// across this process and worker_threads. Everything random comes from the seed, so a run
// replays (timing aside: threads race, which is the point).
//   node --expose-gc torture-child.cjs <seed> <ops>
// stdout: JSON lines; {"type":"ending","how":...,"code":N} says how the process will end
// and the exit code the parent must see. 'sigterm' waits for the parent's SIGTERM.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

const root = path.resolve(__dirname, '..');
const { Swim } = require(path.join(root, 'dist/index.js'));
const testing = require(path.join(root, 'dist/testing.js'));

const print = (o) => {
  if (isMainThread) process.stdout.write(`${JSON.stringify(o)}\n`);
  else parentPort.postMessage(o);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// mulberry32: small, fast, good enough to pick operations.
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (arr) => arr[Math.floor(next() * arr.length)];
  next.chance = (p) => next() < p;
  next.weighted = (table) => {
    const total = table.reduce((s, [, w]) => s + w, 0);
    let x = next() * total;
    for (const [v, w] of table) if ((x -= w) < 0) return v;
    return table[table.length - 1][0];
  };
  return next;
}

// Errors an operation may legitimately meet on an instance that ended meanwhile (a fatal
// error, a close from a handler) or on a member gossip already added.
const EXPECTED = new Set(['ERR_SWIM_CLOSED', 'ERR_SWIM_MEMBER']);
function tolerate(fn) {
  try {
    const r = fn();
    if (r && typeof r.catch === 'function') r.catch((e) => {
      if (!EXPECTED.has(e && e.code)) throw e;
    });
  } catch (e) {
    if (!EXPECTED.has(e && e.code)) throw e;
  }
}

const swimThreads = () => {
  let n = 0;
  for (const t of fs.readdirSync('/proc/self/task')) {
    try {
      if (fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === 'swim-worker') n++;
    } catch {
      // the thread ended while we looked
    }
  }
  return n;
};

const OPS = [
  ['create', 10],
  ['configure', 4],
  ['rebind', 2],
  ['codec', 2],
  ['add', 6],
  ['payload', 8],
  ['close', 5],
  ['closeAwait', 2],
  ['quit', 3],
  ['drop', 4],
  ['gc', 3],
  ['fatal', 2],
  ['unchecked', 1],
  ['handlerClose', 2],
  ['sleep', 6],
  ['worker', isMainThread ? 3 : 0],
  ['terminateWorker', isMainThread ? 2 : 0],
  ['workerEnd', isMainThread ? 1 : 0],
];

class Actor {
  constructor(seed, peers) {
    this.r = rng(seed);
    this.live = []; // referenced instances (dropped ones are forgotten)
    this.closing = [];
    this.armed = [];
    this.workers = [];
    this.peers = peers || [];
    this.seed = seed;
    this.unchecked = 0;
    this.counts = {};
  }

  make() {
    const r = this.r;
    const opts = { uri: '127.0.0.1:0', heartbeatRate: r.pick([0.01, 0.05, 0.2, 1]), ackTimeout: r.pick([0.1, 0.5, 2]) };
    if (r.chance(0.3)) opts.payload = { seed: this.seed, n: r.int(1000) };
    if (r.chance(0.2)) opts.codec = this.codec();
    const s = new Swim(opts);
    s.on('error', () => {});
    if (r.chance(0.5)) s.on('member', () => {});
    if (this.peers.length && r.chance(0.5)) tolerate(() => s.addMember(r.pick(this.peers)));
    if (r.chance(0.2)) s.unref();
    this.live.push(s);
    return s;
  }

  // Encryption on some instances (the transform swaps on the worker thread): one key per
  // run, so instances with the same codec still talk; others drop each other's packets.
  codec() {
    const key = Buffer.alloc(16, this.seed & 0xff);
    return this.r.pick([{ algo: 'none' }, { algo: 'aes-gcm', keys: [key] }, { algo: 'aes128', mode: 'cbc', key }]);
  }

  some() {
    return this.live.length ? this.r.pick(this.live) : null;
  }

  forget(s) {
    const i = this.live.indexOf(s);
    if (i >= 0) this.live.splice(i, 1);
  }

  async step() {
    const r = this.r;
    const op = r.weighted(OPS);
    this.counts[op] = (this.counts[op] || 0) + 1;
    if (process.env.TORTURE_VERBOSE) process.stderr.write(`${isMainThread ? 'main' : `w${this.seed}`} ${op} live=${this.live.length}\n`);
    const s = this.some();
    switch (op) {
      case 'create':
        if (this.live.length < 24) this.make();
        break;
      case 'configure':
        if (s) tolerate(() => s.configure({ heartbeatRate: r.pick([0.01, 0.1, 0.5]), gcMode: r.pick(['on', 'off']) }));
        break;
      case 'codec':
        if (s) tolerate(() => s.setCodec(this.codec()));
        break;
      case 'rebind':
        if (s) tolerate(() => s.configure({ uri: '127.0.0.1:0' }));
        break;
      case 'add': {
        const t = this.some();
        if (s && t && s !== t && !s.closed && !t.closed) tolerate(() => s.addMember({ uri: t.uri, uuid: t.uuid }));
        break;
      }
      case 'payload':
        if (s) tolerate(() => s.setPayload(r.chance(0.2) ? null : { v: r.int(1e6), pad: 'x'.repeat(r.int(200)) }));
        break;
      case 'close':
        if (s) {
          this.forget(s);
          this.closing.push(['close', s.close()]);
        }
        break;
      case 'closeAwait':
        if (s) {
          this.forget(s);
          await s.close();
        }
        break;
      case 'quit':
        if (s) {
          this.forget(s);
          this.closing.push(['quit', s.quit().catch((e) => {
            if (e.code !== 'ERR_SWIM_CLOSED') throw e;
          })]);
        }
        break;
      case 'drop':
        if (s) {
          // Dropped running (or ended): the registry's business now. unref'd first: a ref'd
          // running instance is held like an active handle and never collected.
          s.unref();
          this.forget(s);
        }
        break;
      case 'gc':
        if (global.gc) global.gc();
        break;
      case 'fatal':
        if (s) testing.injectFatalError(s, 'torture');
        break;
      case 'unchecked':
        if (s) {
          this.unchecked++;
          testing.stopNativeUnchecked(s);
        }
        break;
      case 'handlerClose':
        if (s) {
          // close() or quit() from inside the target's next member event; closeAll() closes
          // it if none came.
          const target = s;
          this.forget(target);
          this.armed.push(target);
          let done = false;
          const how = r.chance(0.5) ? 'close' : 'quit';
          target.on('member', () => {
            if (done) return;
            done = true;
            this.closing.push([`${how} in handler`, how === 'close' ? target.close() : target.quit().catch((e) => {
              if (e.code !== 'ERR_SWIM_CLOSED') throw e;
            })]);
          });
          // Give it something to report.
          const t = this.some();
          if (t && !target.closed && !t.closed) tolerate(() => target.addMember({ uri: t.uri, uuid: t.uuid }));
        }
        break;
      case 'sleep':
        await sleep(r.int(15));
        break;
      case 'worker':
        if (this.workers.length < 4) this.spawnWorker();
        break;
      case 'terminateWorker':
        if (this.workers.length) {
          const w = this.workers.splice(r.int(this.workers.length), 1)[0];
          if (r.chance(0.5)) await w.w.terminate();
          else w.w.terminate(); // not awaited: more happens meanwhile
        }
        break;
      case 'workerEnd':
        if (this.workers.length) {
          const w = r.pick(this.workers);
          w.w.postMessage(r.pick(['exit', 'throw', 'close']));
        }
        break;
      default:
        throw new Error(`op ${op}`);
    }
  }

  spawnWorker() {
    const seed = Math.floor(this.r() * 0x100000000);
    const peers = this.live.filter((s) => !s.closed).slice(0, 2).map((s) => ({ uri: s.uri, uuid: s.uuid }));
    const w = new Worker(__filename, { workerData: { seed, ops: 10 + this.r.int(40), peers } });
    const entry = { w, seed, report: null, code: null };
    w.on('message', (m) => {
      if (m.type === 'report') entry.report = m;
      if (m.type === 'failed') {
        print({ type: 'failed', where: `worker ${seed}`, message: m.message });
        process.exit(3);
      }
    });
    w.on('error', (e) => {
      if (!/torture: thrown on purpose/.test(String(e && e.message))) {
        print({ type: 'failed', where: `worker ${seed}`, message: String(e && e.stack) });
        process.exit(3);
      }
    });
    entry.exited = new Promise((resolve) => w.on('exit', (c) => resolve((entry.code = c))));
    this.workers.push(entry);
  }

  // Closes what is referenced, waits for the pending ends.
  async closeAll() {
    const all = this.live.splice(0).concat(this.armed.splice(0));
    const pending = all.map((s, i) => [`close ${i} ${s.uri} state ${testing.stateOf(s)}`, s.close()]).concat(this.closing.splice(0).map(([k, p], i) => [`${k} #${i}`, p]));
    const left = new Set(pending.map(([k]) => k));
    for (const [k, p] of pending) p.finally(() => left.delete(k));
    const watchdog = setTimeout(() => {
      print({ type: 'failed', message: `closeAll: pending ${JSON.stringify([...left])} live ${testing.liveWorkers()}` });
      process.exit(3);
    }, 20000);
    await Promise.all(pending.map(([, p]) => p));
    clearTimeout(watchdog);
  }
}

async function waitUntil(cond, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (global.gc) {
      global.gc();
      await sleep(1);
    }
    if (cond()) return;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(10);
  }
}

function checkTallies(c, unchecked, where) {
  if (c.anomalies !== 0) throw new Error(`${where}: ${c.anomalies} anomalies ${JSON.stringify(c)}`);
  if (c.joined !== c.started) throw new Error(`${where}: joined ${c.joined} != started ${c.started}`);
  const winners = c.stopRequests + c.selfStops;
  if (unchecked === 0 ? winners !== c.joined : winners > c.joined)
    throw new Error(`${where}: winners ${winners} vs joined ${c.joined} (${unchecked} unchecked stops)`);
}

// --- worker_threads side ------------------------------------------------------------
async function workerMain() {
  const { seed, ops, peers } = workerData;
  const a = new Actor(seed, peers);
  let ending = false;
  parentPort.on('message', async (m) => {
    if (ending) return;
    ending = true;
    if (m === 'exit') process.exit(0);
    if (m === 'throw')
      setImmediate(() => {
        throw new Error('torture: thrown on purpose');
      });
    if (m === 'close') {
      await a.closeAll();
      await waitUntil(() => testing.liveWorkers() === 0, 20000, 'worker: dropped instances stopped');
      const c = testing.lifecycleCounters();
      checkTallies(c, a.unchecked, `worker ${seed}`);
      print({ type: 'report', counters: c, unchecked: a.unchecked });
      process.exit(0);
    }
  });
  for (let i = 0; i < ops && !ending; i++) await a.step();
  // Stay up (instances running, events flowing) until told or terminated.
  setInterval(() => {
    for (const s of a.live) if (!s.closed) tolerate(() => s.setPayload({ t: Date.now() }));
  }, 5);
}

// --- main thread ----------------------------------------------------------------------
const ENDS = [
  ['normal', 4],
  ['exit', 2],
  ['uncaught', 1],
  ['handler7', 1],
  ['sigterm', 1],
  ['exitInHandler', 1],
];

async function main() {
  const seed = Number(process.argv[2]) >>> 0;
  const ops = Number(process.argv[3] || 150);
  const a = new Actor(seed);
  const how = rng(seed ^ 0x5eed).weighted(ENDS);
  print({ type: 'start', seed, ops, how });
  for (let i = 0; i < ops; i++) {
    await a.step();
    if (process.env.TORTURE_VERBOSE) process.stderr.write(`main step ${i} done\n`);
  }
  const code = { uncaught: 1, handler7: 7 }[how] ?? 0;
  if (how === 'normal') {
    if (process.env.TORTURE_VERBOSE) process.stderr.write('closing all\n');
    await a.closeAll();
    if (process.env.TORTURE_VERBOSE) process.stderr.write('closed all\n');
    // Workers: some close cleanly and report, the rest are terminated.
    await Promise.all(
      a.workers.map(async (w) => {
        if (a.r.chance(0.5)) {
          w.w.postMessage('close');
          await w.exited;
        } else {
          await w.w.terminate();
        }
      }),
    );
    for (const w of a.workers)
      if (w.report) checkTallies(w.report.counters, w.report.unchecked, `worker ${w.seed}`);
    await waitUntil(() => testing.liveWorkers() === 0, 20000, 'dropped instances stopped and joined');
    checkTallies(testing.lifecycleCounters(), a.unchecked, 'main');
    await waitUntil(() => swimThreads() === 0, 10000, 'no swim-worker thread left').catch((e) => {
      throw new Error(`${e.message}: ${swimThreads()} left`);
    });
    print({ type: 'ending', how, code, counters: testing.lifecycleCounters(), ops: a.counts });
    // Nothing may keep the loop alive now: the process must end by itself.
    return;
  }
  print({ type: 'ending', how, code, live: testing.liveWorkers(), workers: a.workers.length, ops: a.counts });
  if (how === 'exit') process.exit(0);
  if (how === 'uncaught')
    setImmediate(() => {
      throw new Error('torture: thrown on purpose');
    });
  if (how === 'handler7') {
    process.on('uncaughtException', () => {
      throw new Error('torture: the handler throws too');
    });
    setImmediate(() => {
      throw new Error('torture: thrown on purpose');
    });
  }
  if (how === 'sigterm') {
    // Installed before 'ready': the parent signals on reading it.
    process.on('SIGTERM', () => process.exit(0));
    setInterval(() => {}, 1000);
    print({ type: 'ready' });
  }
  if (how === 'exitInHandler') {
    // From inside an event handler: a fresh pair guarantees events.
    const x = new Swim({ uri: '127.0.0.1:0', heartbeatRate: 0.01 });
    const y = new Swim({ uri: '127.0.0.1:0', heartbeatRate: 0.01 });
    x.on('member', () => process.exit(0));
    x.addMember({ uri: y.uri, uuid: y.uuid });
  }
}

function fail(e) {
  print({ type: 'failed', message: String(e && e.stack ? e.stack : e) });
  if (isMainThread) process.exit(3);
  else setImmediate(() => process.exit(3));
}

if (isMainThread) main().catch(fail);
else workerMain().catch(fail);
