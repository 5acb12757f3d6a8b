// The core's C++ checks (native/core/test: protocol scenarios on the simulator, the event
// log's merge rules, chaos input, internal invariants after every engine call) as part of
// `npm test`. They need g++: without it this test fails rather than skips, so a machine
// that cannot build them never reports the core as checked.
import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { ROOT } from './helpers/child';

// Two seeds by default; SWIM_SEED replays a failure from that seed on.
const firstSeed = process.env.SWIM_SEED !== undefined ? Number(process.env.SWIM_SEED) : 1;
const seeds = 2;

test('native/core/test/run.sh passes (C++ engine checks on the simulator)', () => {
  const gxx = spawnSync('g++', ['--version'], { encoding: 'utf8' });
  expect(gxx.error, 'g++ is required to build the core checks (native/core/test/run.sh)').toBeUndefined();
  expect(gxx.status).toBe(0);

  const run = spawnSync('bash', ['native/core/test/run.sh', String(firstSeed), String(seeds)], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const failed = output.split('\n').filter((l) => l.includes('FAIL'));
  expect(run.error).toBeUndefined();
  expect(failed, `failed checks (seeds ${firstSeed}..${firstSeed + seeds - 1}):\n${output.slice(-4000)}`).toEqual([]);
  expect(run.status, output.slice(-4000)).toBe(0);
  expect(output).toMatch(new RegExp(`^\\d+ checks, 0 failures over ${seeds} seeds$`, 'm'));
}, 180_000);
