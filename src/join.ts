// Joining through seeds: name resolution (every A record), probes with retries and backoff
// until an address answers (Swim.join), and the background seeding of the `seeds` option.
// "Answered" is the engine's word (heard_from in native/core/engine.h): a valid packet came
// from that address since we started asking.
import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { SwimError } from './errors';
import { MAX_JOIN_ADDRESSES, type Seed } from './config';

/** Why one seed of a failed join did not answer. */
export interface JoinFailure {
  /** The seed as given. */
  seed: string;
  /** 'unresolvable': no IPv4 address for its name; 'no_answer': its addresses never answered. */
  reason: 'unresolvable' | 'no_answer';
  /** The addresses it resolved to (empty when unresolvable). */
  addresses: string[];
  /** The resolver's error code (ENOTFOUND, EAI_AGAIN, ...) when unresolvable. */
  code?: string;
}

/** What join and the seeder need from a Swim's native handle. */
export interface JoinHandle {
  probeMember(uri: string): string | undefined;
  setSeeds(uris: string[]): string | undefined;
  heardFrom(uris: string[]): number[];
}

export type Resolved = { ok: true; addresses: string[] } | { ok: false; code: string };

/** The IPv4 addresses of a seed, as 'a.b.c.d:port' (every A record of a name). */
export async function resolveSeed(seed: Seed): Promise<Resolved> {
  if (isIPv4(seed.host)) return { ok: true, addresses: [`${seed.host}:${seed.port}`] };
  try {
    const all = await lookup(seed.host, { all: true, family: 4 });
    const addresses = [...new Set(all.map((a) => `${a.address}:${seed.port}`))];
    if (addresses.length === 0) return { ok: false, code: 'ENOTFOUND' };
    return { ok: true, addresses };
  } catch (err) {
    return { ok: false, code: String((err as { code?: unknown })?.code ?? 'ERR') };
  }
}

export function abortError(signal: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  (err as Error & { code: string }).code = 'ABORT_ERR';
  return err;
}

/**
 * Swim.join: resolves and probes every seed, retrying with backoff (probes every 0.25 s,
 * doubling up to 2 s; unresolvable names again every second) until an address answers;
 * then waits one more ack timeout for the others, and resolves with how many addresses
 * answered. Rejects with ERR_SWIM_JOIN naming each seed's failure at the deadline.
 */
export async function join(
  handle: () => JoinHandle,
  seeds: Seed[],
  opts: { timeoutMs: number; ackTimeoutMs: number; signal?: AbortSignal },
): Promise<number> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  const start = handle().heardFrom([])[0];
  const deadline = performance.now() + opts.timeoutMs;
  const resolved = new Map<Seed, Resolved>();
  const resolving = new Set<Seed>();
  const lastTried = new Map<Seed, number>();
  const probed = new Set<string>();
  let interval = 250;
  let nextProbe = 0;
  let firstAnswer = 0;

  const addresses = (): string[] => {
    const all = new Set<string>();
    for (const r of resolved.values()) if (r.ok) for (const a of r.addresses) all.add(a);
    return [...all].slice(0, MAX_JOIN_ADDRESSES);
  };

  for (;;) {
    // Names resolve in the background (a slow resolver never holds up the probes of the
    // others); a failed one is tried again every second.
    for (const seed of seeds) {
      if (resolved.get(seed)?.ok || resolving.has(seed) || performance.now() - (lastTried.get(seed) ?? -1e9) < 1000) continue;
      resolving.add(seed);
      lastTried.set(seed, performance.now());
      void resolveSeed(seed).then((r) => {
        resolving.delete(seed);
        if (r.ok || !resolved.get(seed)?.ok) resolved.set(seed, r);
      });
    }
    const addrs = addresses();
    const heard = handle().heardFrom(addrs);
    const answered = addrs.filter((_, i) => heard[i + 1] > start);
    if (answered.length > 0 && firstAnswer === 0) firstAnswer = performance.now();
    const allResolved = seeds.every((x) => resolved.get(x)?.ok);
    if (answered.length > 0 && answered.length === addrs.length && allResolved) return answered.length;
    if (firstAnswer !== 0 && performance.now() - firstAnswer >= opts.ackTimeoutMs) return answered.length;
    if (performance.now() >= deadline) {
      if (answered.length > 0) return answered.length;
      throw joinError(seeds, resolved);
    }
    if (firstAnswer === 0) {
      const h = handle();
      const retry = performance.now() >= nextProbe;
      // Addresses just resolved are probed at once; the others again with backoff.
      for (const a of addrs) {
        if (answered.includes(a) || (probed.has(a) && !retry)) continue;
        probed.add(a);
        h.probeMember(a);
      }
      if (retry) {
        nextProbe = performance.now() + interval;
        interval = Math.min(interval * 2, 2000);
      }
    }
    const pause = addrs.length === 0 && resolving.size > 0 ? 5 : 50;
    await sleep(Math.max(1, Math.min(pause, deadline - performance.now())), signal);
  }
}

function joinError(seeds: Seed[], resolved: Map<Seed, Resolved>): SwimError {
  const failures: JoinFailure[] = seeds.map((s) => {
    const r = resolved.get(s);
    if (r === undefined) return { seed: s.text, reason: 'unresolvable', addresses: [], code: 'ETIMEOUT' };
    if (!r.ok) return { seed: s.text, reason: 'unresolvable', addresses: [], code: r.code };
    return { seed: s.text, reason: 'no_answer', addresses: r.addresses };
  });
  const text = failures
    .map((f) =>
      f.reason === 'unresolvable'
        ? `${f.seed}: unresolvable (${f.code})`
        : `${f.seed}: no answer from ${f.addresses.join(', ')}`,
    )
    .join('; ');
  return new SwimError('ERR_SWIM_JOIN', `join: no seed answered: ${text}`, { reason: 'no_answer', failures });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const t = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(t);
      reject(abortError(signal as AbortSignal));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The `seeds` option: resolves the names (again every 30 s while one fails, and every
 * 5 minutes anyway, as DNS records change) and hands the addresses to the core, which
 * probes them at once and then by its healing rule (docs/protocol.md#healing). Its timer
 * never keeps the process alive.
 */
export class Seeder {
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #current = '';
  resolved = 0;
  unresolved = 0;

  constructor(
    private readonly seeds: Seed[],
    private readonly handle: () => JoinHandle | null,
  ) {
    void this.#run();
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    const results = await Promise.all(this.seeds.map(resolveSeed));
    if (this.#stopped) return;
    const all = new Set<string>();
    let failed = 0;
    for (const r of results) {
      if (r.ok) for (const a of r.addresses) all.add(a);
      else ++failed;
    }
    this.unresolved = failed;
    this.resolved = all.size;
    const list = [...all];
    const key = list.join(',');
    const h = this.handle();
    if (h === null) return;
    if (key !== this.#current) {
      this.#current = key;
      h.setSeeds(list);
    }
    this.#timer = setTimeout(() => void this.#run(), failed > 0 ? 30_000 : 300_000);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
