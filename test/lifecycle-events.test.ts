// Events and the end of an instance; the unclosed warning; leaks.
import { describe, expect, it } from 'vitest';
import { runFixture, SCALE } from './helpers/lifecycle';

describe('lifecycle: events', () => {
  it('no event reaches JS once close() or quit() was called (listener and async iterator)', async () => {
    const r = await runFixture('events.cjs', ['after']);
    expect(r.done).toBeDefined();
    expect(r.done!.delivered as number).toBeGreaterThan(0);
  });

  it('close() and quit() from inside a member handler', async () => {
    const r = await runFixture('events.cjs', ['handler']);
    expect(r.done).toBeDefined();
  });

  it('process.exit() from inside a member handler exits cleanly', async () => {
    const r = await runFixture('events.cjs', ['exit']);
    expect(r.stdout).toContain('"type":"exiting"');
  });

  it('process.exit() from inside a member handler in worker_threads: each worker exits 0, the main thread goes on', async () => {
    const r = await runFixture('events.cjs', ['exit-worker']);
    expect(r.done).toMatchObject({ live: 0 });
  });
});

describe('lifecycle: collected without close()', () => {
  it('each running instance dropped gets one SWIM_NATIVE_UNCLOSED warning naming it; closed, quit or failed ones none', async () => {
    const r = await runFixture('unclosed.cjs', [], { nodeArgs: ['--expose-gc', '--no-warnings'] });
    expect(r.done).toMatchObject({ warnings: 5 });
  });
});

describe('lifecycle: nothing leaks', () => {
  it('threads and fds return to the baseline; RSS bounded over 10,000 create/close cycles', async () => {
    // ASan keeps freed memory in quarantine: bound it so RSS measures us, not the sanitizer.
    const asan = process.env.ASAN_OPTIONS ? { ASAN_OPTIONS: `${process.env.ASAN_OPTIONS}:quarantine_size_mb=8` } : {};
    const r = await runFixture('leaks.cjs', ['10000', SCALE < 1 ? '96' : '48'], {
      nodeArgs: ['--expose-gc', '--no-warnings'],
      env: asan,
    });
    expect(r.done).toBeDefined();
    const base = r.done!.base as { threads: number; fds: number };
    const peak = r.done!.peak as { threads: number; fds: number };
    const after = r.done!.afterCrowd as { threads: number; fds: number };
    // The crowd did hold threads and sockets, and gave them all back.
    expect(peak.threads).toBeGreaterThan(base.threads);
    expect(peak.fds).toBeGreaterThan(base.fds);
    expect(after.threads).toBeLessThanOrEqual(base.threads);
    expect(after.fds).toBeLessThanOrEqual(base.fds);
  }, 180_000);
});
