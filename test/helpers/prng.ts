/** A seeded xorshift32 source for randomized tests: same seed, same sequence. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** SWIM_SEED when set (to replay a failure), else a fresh seed; print it with any failure. */
export function seedFromEnv(): number {
  return process.env.SWIM_SEED !== undefined ? Number(process.env.SWIM_SEED) : (Date.now() ^ (process.pid << 8)) >>> 0;
}
