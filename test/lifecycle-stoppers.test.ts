// The seed scenario (a terminated instance dropped, collected, stopped natively
// without the word, finalized) and every order of racing stoppers. Each in a child process.
import { describe, expect, it } from 'vitest';
import { runFixture } from './helpers/lifecycle';

describe('lifecycle: stoppers', () => {
  it('an instance whose worker has terminated (quit, fatal error, close) is dropped, collected, stopped natively without the word and finalized: no crash, no second stop, no warning', async () => {
    const r = await runFixture('seed.cjs', [], { nodeArgs: ['--expose-gc'] });
    expect(r.done).toBeDefined();
    const c = r.done!.counters as { started: number; joined: number; anomalies: number };
    expect(c.anomalies).toBe(0);
    expect(c.joined).toBe(c.started);
    // The real registry fired on instances whose word said STOPPING/TERMINATED, and stopped none.
    const reg = r.done!.registry as { calls: number; stops: number };
    expect(reg.calls).toBeGreaterThan(0);
    expect(reg.stops).toBe(0);
  });

  it('close / quit / finalizer / env cleanup / worker end in every ordered pair and triple: exactly one wins, each thread joined once', async () => {
    const r = await runFixture('race.cjs', [], { nodeArgs: ['--expose-gc', '--no-warnings'] });
    expect(r.done).toBeDefined();
    const c = r.done!.counters as { started: number; joined: number; stopRequests: number; selfStops: number; anomalies: number };
    expect(c.anomalies).toBe(0);
    expect(c.joined).toBe(c.started);
    expect(c.stopRequests + c.selfStops).toBe(c.joined);
    // 80 orders (20 pairs, 60 triples), forced and racing, at least once each.
    expect(r.done!.scenarios as number).toBeGreaterThanOrEqual(160);
    const results = r.done!.results as Record<string, { worker: number; stopper: number }>;
    // Forced orders: the first stopper won (checked per scenario); both kinds occur.
    expect(results.forced.worker).toBeGreaterThan(0);
    expect(results.forced.stopper).toBeGreaterThan(0);
    // The registry itself won where nothing else raced it.
    expect(results.R.stopper).toBeGreaterThan(0);
  });
});
