// worker_threads: Workers terminated while their instances deliver events, or
// ending by process.exit(), an uncaught exception, a throwing handler or closing; 200
// times, several at once; then many workers at once whose instances form one cluster
// (the addon is context-aware: per-env state, independent instances). Threads and fds
// return to the baseline.
import { describe, expect, it } from 'vitest';
import { runFixture } from './helpers/lifecycle';

describe('lifecycle: worker_threads', () => {
  it('200 workers ending in every way while events flow, 4 at a time; then 12 at once in one cluster; no leak', async () => {
    const r = await runFixture('workers.cjs', ['200', '4'], { nodeArgs: ['--no-warnings'] });
    expect(r.done).toBeDefined();
    const base = r.done!.base as { threads: number; fds: number };
    const now = r.done!.now as { threads: number; fds: number };
    expect(now.threads).toBeLessThanOrEqual(base.threads);
    expect(now.fds).toBeLessThanOrEqual(base.fds);
  }, 180_000);
});
