// Runs a lifecycle fixture (test/fixtures/lifecycle/*.cjs) in a child process and checks
// that it ended cleanly: the expected exit code, no signal, no sanitizer or V8 fatal report.
import path from 'node:path';
import { expect } from 'vitest';
import { Child, FIXTURES, type ChildResult } from './child';

export const LIFECYCLE = path.join(FIXTURES, 'lifecycle');

/** Under the sanitizer build (scripts/test-asan.sh) fixtures run scaled-down counts. */
export const SCALE = Number(process.env.SWIM_LIFECYCLE_SCALE || 1);

const CRASH = /AddressSanitizer|LeakSanitizer|runtime error:|FATAL ERROR|Segmentation fault|Aborted|core dumped|Assertion|napi_/;

export interface FixtureRun extends ChildResult {
  done?: Record<string, unknown>;
}

export interface FixtureOptions {
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  code?: number;
  /** Called with the running child (e.g. to signal it). */
  during?: (c: Child) => Promise<void>;
}

export async function runFixture(script: string, args: string[] = [], options: FixtureOptions = {}): Promise<FixtureRun> {
  const c = new Child([path.join(LIFECYCLE, script), ...args], { nodeArgs: options.nodeArgs, env: options.env });
  try {
    if (options.during) await options.during(c);
    const res: FixtureRun = await c.exited;
    const where = `${script} ${args.join(' ')}\nstdout:\n${res.stdout.slice(-4000)}\nstderr:\n${res.stderr.slice(-4000)}`;
    expect(res.signal, `signal: ${where}`).toBe(null);
    expect(res.code, `exit code: ${where}`).toBe(options.code ?? 0);
    expect(CRASH.test(res.stderr), `crash report: ${where}`).toBe(false);
    const done = res.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((o) => o.type === 'done');
    return { ...res, done };
  } finally {
    c.kill();
  }
}
