// Types for scripts/torture.mjs (imported by test/lifecycle-torture.test.ts).
export interface TortureRun {
  seed: number;
  how?: string;
  code: number | null;
  signal: string | null;
  ms: number;
  problems: string[];
  stdout: string;
  stderr: string;
}
export interface TortureOptions {
  runs?: number;
  seed?: number;
  ops?: number;
  jobs?: number;
  timeout?: number;
  quiet?: boolean;
}
export function runSeed(base: number, i: number): number;
export function torture(options: TortureOptions): Promise<{ seed: number; results: TortureRun[]; failed: TortureRun[] }>;
