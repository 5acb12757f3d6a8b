// 200 swim-native members in this process, on 127.0.0.1, with the defaults (heartbeat
// 0.5 s, ack timeout 0.5 s, Lifeguard on):
//
//   npm run bench -- star [--seconds S]     (S: the quiet window after the mesh, default 60)
//
// Star bootstrap: member 0 is created alone, every other member is told member 0 only
// (addMember). Measured: the time from the first `new Swim` until every member sees the
// N-1 others alive (full mesh), then S seconds during which any status other than alive
// reported by any member about any other counts as a false suspicion (nobody fails), and
// the bytes and packets each member sends per second over that window. First the same
// bootstrap in the simulator (virtual time, no CPU limit: what the protocol itself takes),
// seeds 1-3.
//
// Needs the compiled package (npm run build).
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const { adapters } = require('./lib/cluster-adapters.cjs');

const N = 200;
const SETTINGS = { heartbeat: 0.5, ackTimeout: 0.5, suspectTime: 1.5, indirect: 2 };
const LIMIT_MS = 60_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function run(options = {}) {
  const root = options.root ?? path.join(here, '..');
  const windowS = options.seconds >= 5 ? options.seconds : 60;
  const log = options.quiet ? () => {} : (s) => console.log(s);
  const { Simulation } = require(path.join(root, 'dist', 'sim-main.js'));
  const simRows = [];
  for (const seed of [1, 2, 3]) {
    const sim = new Simulation({ nodes: N, seed: BigInt(seed), keepEvents: false });
    for (let i = 2; i <= N; i++) sim.addMember(i, 1);
    const t = sim.runUntil({ fullmesh: true }, 60);
    let suspicions = 0;
    if (t >= 0) {
      const before = Array.from({ length: N }, (_, k) => sim.nodeStats(k + 1).engine.suspicions);
      sim.run(windowS);
      suspicions = before.reduce((a, b, k) => a + sim.nodeStats(k + 1).engine.suspicions - b, 0);
    }
    simRows.push({ seed, 'full mesh (virtual s)': t < 0 ? 'n/a' : t.toFixed(2), [`suspicions in the next ${windowS} s`]: String(suspicions) });
    log(`  simulator, seed ${seed}: ${JSON.stringify(simRows[simRows.length - 1])}`);
  }
  const lib = adapters['swim-native'](SETTINGS, root);
  const members = [];
  let suspicions = 0;
  let counting = false;
  const t0 = performance.now();
  try {
    for (let i = 0; i < N; i++) {
      const m = await lib.create(i ? members[0].addr : null);
      m.onStatus((_, st) => {
        if (counting && st !== 'alive') suspicions++;
      });
      members.push(m);
    }
    const createdS = (performance.now() - t0) / 1000;
    log(`  ${N} members created in ${createdS.toFixed(2)} s`);
    // Cheap check first (table sizes), the statuses only once every table is complete.
    const meshed = () => members.every((m) => m.size() === N - 1) && members.every((m) => m.aliveCount() === N - 1);
    let meshAt = null;
    while (performance.now() - t0 < LIMIT_MS) {
      if (meshed()) {
        meshAt = performance.now();
        break;
      }
      await sleep(100);
    }
    const fullmeshS = meshAt === null ? null : (meshAt - t0) / 1000;
    log(`  full mesh: ${fullmeshS === null ? `not within ${LIMIT_MS / 1000} s` : `${fullmeshS.toFixed(2)} s`}`);
    const out = { fullmeshS, createdS };
    if (meshAt !== null) {
      counting = true;
      const sum = () => members.reduce((a, m) => { const s = m.sent(); a.packets += s.packets; a.bytes += s.bytes; return a; }, { packets: 0, bytes: 0 });
      const s0 = sum();
      const w0 = performance.now();
      await sleep(windowS * 1000);
      const wall = (performance.now() - w0) / 1000;
      const s1 = sum();
      out.suspicions = suspicions;
      out.meshHeld = meshed();
      out.bytesPerMemberS = (s1.bytes - s0.bytes) / N / wall;
      out.packetsPerMemberS = (s1.packets - s0.packets) / N / wall;
      log(`  ${JSON.stringify(out)}`);
    }
    return [
      { title: `${N} simulated members, star bootstrap, defaults (virtual time)`, rows: simRows },
      {
        title: `${N} swim-native members in one process, star bootstrap (every member told one seed), defaults`,
        note: `one run; then ${windowS} s in which nobody fails`,
        rows: [
          { metric: 'all members created (s)', value: createdS.toFixed(2) },
          { metric: 'full mesh, from the first new Swim (s)', value: fullmeshS === null ? 'n/a' : fullmeshS.toFixed(2) },
          { metric: `false suspicions or deaths in the next ${windowS} s`, value: out.suspicions === undefined ? 'n/a' : String(out.suspicions) },
          { metric: 'full mesh still held at the end', value: out.meshHeld === undefined ? 'n/a' : String(out.meshHeld) },
          { metric: 'bytes sent per member per s', value: out.bytesPerMemberS === undefined ? 'n/a' : out.bytesPerMemberS.toFixed(0) },
          { metric: 'packets sent per member per s', value: out.packetsPerMemberS === undefined ? 'n/a' : out.packetsPerMemberS.toFixed(2) },
        ],
      },
    ];
  } finally {
    await Promise.all(members.map((m) => m.kill()));
  }
}
