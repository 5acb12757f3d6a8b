// Lifeguard scenarios on the simulator (bench/sim.mjs; test/sim-lifeguard.test.ts runs small
// versions of the same). Each builds a fully meshed cluster (every node told every other),
// runs a scenario with lifeguard on or off, and returns what happened to the healthy members.
//
// Member events are counted by the simulator (nodeStats(i).seenSuspected / seenDead: how
// many times other nodes saw node i enter that status; keepEvents false, so no transition
// is merged away). "False" = about a member that was healthy the whole time.

/** mulberry32: a small seeded PRNG for the scenario's own schedule (the sim has its own). */
export function prng(seed) {
  let a = Number(BigInt.asUintN(32, BigInt(seed))) || 1;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function meshed(Simulation, { nodes, seed, lifeguard, heartbeatRate = 0.5, ackTimeout = 0.5, gcMode = 'on' }) {
  const sim = new Simulation({ nodes, seed, heartbeatRate, ackTimeout, gcMode, lifeguard, keepEvents: false });
  for (let i = 1; i <= nodes; ++i) for (let j = 1; j <= nodes; ++j) if (i !== j) sim.addMember(i, j);
  sim.run(5);
  return sim;
}

function counts(sim, members) {
  let suspected = 0;
  let dead = 0;
  for (const i of members) {
    const s = sim.nodeStats(i);
    suspected += s.seenSuspected;
    dead += s.seenDead;
  }
  return { suspected, dead };
}

function range(a, b) {
  const out = [];
  for (let i = a; i <= b; ++i) out.push(i);
  return out;
}

/**
 * `flappers` members (the last ones) lose their network (100% loss both ways) for
 * U[down] seconds every U[up] seconds, for `seconds` virtual seconds; then all is healed
 * and the cluster gets 10 s to settle (counted too).
 */
export function flapping(Simulation, o) {
  const { nodes, seconds, flappers = 6, down = [1, 5], up = [2, 6] } = o;
  const sim = meshed(Simulation, o);
  const rand = prng(BigInt(o.seed) * 7919n + 1n);
  const uniform = ([lo, hi]) => lo + (hi - lo) * rand();
  const bad = range(nodes - flappers + 1, nodes);
  const good = range(1, nodes - flappers);
  const events = [];
  const start = sim.now;
  for (const i of bad) {
    let t = start + uniform([0, up[1]]);
    while (t < start + seconds) {
      const d = uniform(down);
      events.push({ t, i, rate: 1 });
      events.push({ t: Math.min(t + d, start + seconds), i, rate: 0 });
      t += d + uniform(up);
    }
  }
  events.sort((a, b) => a.t - b.t || a.i - b.i);
  const before = { good: counts(sim, good), bad: counts(sim, bad), bytes: sim.stats().bytesSent };
  for (const e of events) {
    if (e.t > sim.now) sim.run(e.t - sim.now);
    sim.setDrop(e.i, e.rate, 'both');
  }
  if (start + seconds > sim.now) sim.run(start + seconds - sim.now);
  const bytes = sim.stats().bytesSent - before.bytes;
  for (const i of bad) sim.setDrop(i, 0, 'both');
  sim.run(10);
  const g = counts(sim, good);
  const b = counts(sim, bad);
  return {
    falseSuspected: g.suspected - before.good.suspected,
    falseDead: g.dead - before.good.dead,
    flapperSuspected: b.suspected - before.bad.suspected,
    flapperDead: b.dead - before.bad.dead,
    bytesPerMemberSecond: bytes / nodes / seconds,
    awarenessMax: Math.max(...range(1, nodes).map((i) => sim.nodeStats(i).engine.awareness)),
    fullmesh: sim.check({ fullmesh: true }),
  };
}

/**
 * `slow` members (the last ones) answer late: what they send is delayed by
 * fixed + U[0, jitter] seconds (a slow process or a congested link), for `seconds`.
 * Every member stays alive: any death is false.
 */
export function slow(Simulation, o) {
  const { nodes, seconds, slowCount = 6, delay = 0.3, jitter = 0.5 } = o;
  const sim = meshed(Simulation, o);
  const bad = range(nodes - slowCount + 1, nodes);
  const good = range(1, nodes - slowCount);
  const before = { good: counts(sim, good), bad: counts(sim, bad), bytes: sim.stats().bytesSent };
  for (const i of bad) sim.setDelay(delay, jitter, i);
  sim.run(seconds);
  const g = counts(sim, good);
  const b = counts(sim, bad);
  return {
    falseSuspected: g.suspected - before.good.suspected,
    falseDead: g.dead - before.good.dead,
    slowSuspected: b.suspected - before.bad.suspected,
    slowDead: b.dead - before.bad.dead,
    bytesPerMemberSecond: (sim.stats().bytesSent - before.bytes) / nodes / seconds,
  };
}

function deadEverywhere(sim, nodes, victims) {
  return () => {
    for (let j = 1; j <= nodes; ++j) {
      if (!sim.running(j)) continue;
      for (const k of victims) {
        const s = sim.status(j, k);
        if (s !== 'dead' && s !== 'absent') return false;
      }
    }
    return true;
  };
}

/** `kills` crashes, one at a time (each victim restarted and re-meshed before the next):
 * virtual seconds from the kill until every running member sees it dead (or gone). */
export function crashes(Simulation, o) {
  const { nodes, kills } = o;
  const sim = meshed(Simulation, o);
  const rand = prng(BigInt(o.seed) * 104729n + 3n);
  const times = [];
  const good = range(1, nodes);
  const before = counts(sim, good);
  let victimsSeen = { suspected: 0, dead: 0 };
  for (let k = 0; k < kills; ++k) {
    const v = 1 + Math.floor(rand() * nodes);
    sim.run(rand() * 0.5); // a random phase of the round
    const vBefore = counts(sim, [v]);
    sim.kill(v);
    const t = sim.runUntil(deadEverywhere(sim, nodes, [v]), 60);
    times.push(t < 0 ? Infinity : t);
    sim.run(3);
    const vAfter = counts(sim, [v]);
    victimsSeen.suspected += vAfter.suspected - vBefore.suspected;
    victimsSeen.dead += vAfter.dead - vBefore.dead;
    sim.restart(v, { seed: v === 1 ? 2 : 1 });
    sim.runUntil({ fullmesh: true }, 60);
    sim.run(5);
  }
  const after = counts(sim, good);
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)];
  return {
    median: q(0.5),
    p99: q(0.99),
    max: times[times.length - 1],
    // Of members other than the victims: all their suspicions and deaths are false.
    falseSuspected: after.suspected - before.suspected - victimsSeen.suspected,
    falseDead: after.dead - before.dead - victimsSeen.dead,
  };
}

/** A mass failure: `fraction` of the members killed at once. */
export function massFailure(Simulation, o) {
  const { nodes, fraction = 0.3 } = o;
  const sim = meshed(Simulation, o);
  const rand = prng(BigInt(o.seed) * 15485863n + 5n);
  const all = range(1, nodes);
  for (let i = all.length - 1; i > 0; --i) {
    const j = Math.floor(rand() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  const victims = all.slice(0, Math.round(nodes * fraction));
  const survivors = all.slice(victims.length);
  const before = counts(sim, survivors);
  for (const v of victims) sim.kill(v);
  const t = sim.runUntil(deadEverywhere(sim, nodes, victims), 120);
  sim.run(10);
  const after = counts(sim, survivors);
  return {
    killed: victims.length,
    allDead: t,
    falseSuspected: after.suspected - before.suspected,
    falseDead: after.dead - before.dead,
  };
}
