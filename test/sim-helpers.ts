// Shared helpers for the simulator scenarios (test/sim-*.test.ts).
//
// Every scenario runs from a fixed seed so CI is reproducible. A failure names the seed;
// replay it with SWIM_SIM_SEED=<seed> npx vitest run test/sim-<file>.test.ts. Set
// SWIM_SIM_SEED=random to explore new seeds (each failure still names its seed).
import { expect, it } from 'vitest';
import { Simulation, SwimError, type SimulationOptions } from '../src/sim';

/**
 * Tarantool's timing: a round step per second, 30 s to wait for an ack. The scenarios
 * ported from Tarantool's unit test (and the ones written alongside) count time in these
 * units, so they pass them explicitly; the simulator's defaults are Swim's (DEFAULTS). Lifeguard
 * off: they assert Tarantool's exact thresholds (test/sim-lifeguard.test.ts compares both).
 */
export const TARANTOOL_TIMING = Object.freeze({ heartbeatRate: 1, ackTimeout: 30, lifeguard: false });

export type MakeSim = (options: Omit<SimulationOptions, 'seed'>) => Simulation;

function pickSeed(fixed: number): bigint {
  const env = process.env.SWIM_SIM_SEED;
  if (env === undefined || env === '') return BigInt(fixed);
  if (env === 'random') return BigInt(Math.floor(Math.random() * 2 ** 48));
  return BigInt(env);
}

/**
 * A vitest case running a simulator scenario. `make` builds simulations seeded with the
 * scenario's seed; any failure is rethrown with `seed=N` in its message.
 */
export function simTest(
  name: string,
  fn: (make: MakeSim, seed: bigint) => void,
  options: { seed?: number; timeout?: number } = {},
): void {
  it(
    name,
    () => {
      const seed = pickSeed(options.seed ?? 1);
      const make: MakeSim = (o) => new Simulation({ ...o, seed });
      try {
        fn(make, seed);
      } catch (err) {
        if (err instanceof Error) {
          err.message = `[seed=${seed}; replay with SWIM_SIM_SEED=${seed}] ${err.message}`;
        }
        throw err;
      }
    },
    options.timeout,
  );
}

/** Every node learns every other node. */
export function interconnectAll(sim: Simulation, nodes?: number[]): void {
  const list = nodes ?? Array.from({ length: sim.size }, (_, k) => k + 1);
  for (const i of list) for (const j of list) if (i < j) sim.interconnect(i, j);
}

/** Applies a configuration to every node (as Tarantool's swim_cluster_set_*). */
export function configureAll(sim: Simulation, config: Parameters<Simulation['configure']>[1]): void {
  for (let i = 1; i <= sim.size; ++i) if (sim.running(i)) sim.configure(i, config);
}

/** Runs `fn` and returns the SwimError it throws (fails if it does not throw one). */
export function swimError(fn: () => unknown): SwimError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SwimError);
    return err as SwimError;
  }
  return expect.unreachable('expected a SwimError');
}

/** A UUID for tests: 00000000-0000-1000-8000-<n as 12 hex digits>, like node UUIDs. */
export function testUuid(n: number): string {
  return `00000000-0000-1000-8000-${n.toString(16).padStart(12, '0')}`;
}
