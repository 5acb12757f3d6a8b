// Members on 127.0.0.1 with fast timings, closed (with anything else registered) after the file.
import { afterAll } from 'vitest';
import { Swim } from '../../src/index';

/** Timings that mesh small clusters within a second or two. */
export const FAST = { heartbeatRate: 0.2, ackTimeout: 0.3 };

export type SwimOptions = Partial<ConstructorParameters<typeof Swim>[0]>;

/**
 * For one test file: `member(opts)` starts a Swim on an ephemeral loopback port with FAST
 * timings; `cleanup(fn)` registers anything else. All run after the file, newest first.
 */
export function membersForFile(): { member: (opts?: SwimOptions) => Swim; cleanup: (fn: () => unknown) => void } {
  const cleanups: Array<() => unknown> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  return {
    member(opts = {}) {
      const s = new Swim({ uri: '127.0.0.1:0', ...FAST, ...opts });
      cleanups.push(() => s.close());
      return s;
    },
    cleanup(fn) {
      cleanups.push(fn);
    },
  };
}
