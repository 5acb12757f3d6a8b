// Thousands of instances under a 32 MiB heap (closed, quit, dropped running and
// collected by memory pressure), then every way a process ends, with instances running.
import { describe, expect, it } from 'vitest';
import { runFixture, SCALE } from './helpers/lifecycle';

const HEAP = ['--max-old-space-size=32', '--no-warnings'];

async function ready(r: { stdout: string }): Promise<{ created: number; live: number }> {
  const line = r.stdout.split('\n').find((l) => l.includes('"type":"ready"'));
  expect(line, 'the fixture reached the end of its work').toBeDefined();
  return JSON.parse(line!) as { created: number; live: number };
}

describe('lifecycle: process exit under memory pressure', () => {
  const total = String(3000);
  it.each([
    ['normal', 'the event loop runs dry (running instances unref\'d, dropped ones too)', 0],
    ['exit', 'process.exit(0)', 0],
    ['uncaught', 'an uncaught exception', 1],
    ['handler7', "an 'uncaughtException' listener that throws (no 'exit' event)", 7],
  ] as const)('%s: %s -> exit code %i, no signal, no report', async (mode, _what, code) => {
    const r = await runFixture('pressure.cjs', [mode, total], { nodeArgs: HEAP, code });
    const info = await ready(r);
    expect(info.created).toBe(Math.max(200, Math.round(3000 * SCALE)));
    // Instances were still running when the process ended.
    expect(info.live).toBeGreaterThan(0);
  });

  it('sigterm: a SIGTERM handler closes some and calls process.exit(0) -> 0', async () => {
    const r = await runFixture('pressure.cjs', ['sigterm', total], {
      nodeArgs: HEAP,
      during: async (c) => {
        await c.json('ready', 60_000);
        c.proc.kill('SIGTERM');
      },
    });
    const info = await ready(r);
    expect(info.live).toBeGreaterThan(0);
  });
});

describe('lifecycle: threads running through exit()', () => {
  // Exit code 7 joins nothing: the workers run on while exit handlers free OpenSSL's global
  // state. Without the exit gate (native/io/crypto.h) about a third of these runs died of
  // SIGSEGV in a worker's EVP_CipherInit_ex; each run is one more chance to catch it.
  it("handler7 with encrypted instances decrypting and re-keying: exit code 7, no signal, 10 runs", async () => {
    for (let i = 0; i < 10; i++) {
      const r = await runFixture('exit-crypto.cjs', [], { code: 7 });
      expect(r.stdout).toContain('"type":"ready"');
    }
  });
});

describe('lifecycle: after the process began to exit', () => {
  it("an instance made in a later 'exit' listener is refused (ERR_SWIM_CLOSED): no thread runs through the exit", async () => {
    const r = await runFixture('exit-create.cjs');
    expect(r.done).toMatchObject({ code: 'ERR_SWIM_CLOSED', live: 0, closed: true });
  });
});
