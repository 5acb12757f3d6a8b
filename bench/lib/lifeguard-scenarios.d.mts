// Types of lifeguard-scenarios.mjs, for test/sim-lifeguard.test.ts.
import type { Simulation } from '../../src/sim';

type SimClass = typeof Simulation;
interface Base {
  nodes: number;
  seed: number | bigint;
  lifeguard: boolean;
  heartbeatRate?: number;
  ackTimeout?: number;
  gcMode?: 'on' | 'off';
}

export function prng(seed: number | bigint): () => number;
export function meshed(S: SimClass, o: Base): Simulation;
export function flapping(
  S: SimClass,
  o: Base & { seconds: number; flappers?: number; down?: [number, number]; up?: [number, number] },
): {
  falseSuspected: number;
  falseDead: number;
  flapperSuspected: number;
  flapperDead: number;
  bytesPerMemberSecond: number;
  awarenessMax: number;
  fullmesh: boolean;
};
export function slow(
  S: SimClass,
  o: Base & { seconds: number; slowCount?: number; delay?: number; jitter?: number },
): { falseSuspected: number; falseDead: number; slowSuspected: number; slowDead: number; bytesPerMemberSecond: number };
export function crashes(
  S: SimClass,
  o: Base & { kills: number },
): { median: number; p99: number; max: number; falseSuspected: number; falseDead: number };
export function massFailure(
  S: SimClass,
  o: Base & { fraction?: number },
): { killed: number; allDead: number; falseSuspected: number; falseDead: number };
