// A bounded randomized torture run (scripts/torture.mjs): 10 child processes,
// each a seeded random sequence of lifecycle events across the process and worker_threads
// ending in a random way. The seeds derive from a printed base seed (SWIM_TORTURE_SEED,
// else a fixed one), so any failure replays with `npm run torture -- --runs 1 --seed <seed>`.
import { describe, expect, it } from 'vitest';
import { torture } from '../scripts/torture.mjs';
import { SCALE } from './helpers/lifecycle';

describe('lifecycle: torture', () => {
  it('10 seeded random runs end cleanly', async () => {
    const seed = Number(process.env.SWIM_TORTURE_SEED ?? 20250605) >>> 0;
    console.log(`lifecycle torture: base seed ${seed} (SWIM_TORTURE_SEED to change)`);
    const ops = Math.max(60, Math.round(150 * SCALE));
    const { results, failed } = await torture({ runs: 10, seed, ops, jobs: 2, timeout: 120_000, quiet: true });
    const report = failed
      .map((r) => `seed ${r.seed} (${r.how ?? '?'}): ${r.problems.join('; ')}\n  replay: npm run torture -- --runs 1 --seed ${r.seed} --ops ${ops}\n${r.stderr.slice(-2000)}`)
      .join('\n');
    expect(results).toHaveLength(10);
    expect(failed, report).toHaveLength(0);
    // The runs ended in more than one way.
    expect(new Set(results.map((r) => r.how)).size).toBeGreaterThan(1);
  }, 300_000);
});
