// The lifecycle (docs/architecture.md) on the JS side: the shared state word, the
// FinalizationRegistry that stops instances collected without close(), and the
// process 'exit' hook.
import { native } from './native';

/** Values of the shared state word. */
export const State = Object.freeze({
  NEW: 0,
  RUNNING: 1,
  STOPPING: 2,
  TERMINATED: 3,
});

/** process.emitWarning code when a running Swim is garbage-collected without close(). */
export const UNCLOSED_WARNING_CODE = 'SWIM_NATIVE_UNCLOSED';

/** The native handle's lifecycle surface (the rest is in swim.ts). */
export interface LifecycleHandle {
  stateBuffer(): ArrayBuffer | null;
  stateLoad(): number;
  stateCas(expect: number, desired: number): boolean;
  stop(): void;
}

/**
 * The 32-bit state word the worker thread shares with us: an ArrayBuffer over memory the
 * native side owns (and keeps alive as long as this buffer exists). Where external
 * buffers are not allowed (a V8 sandbox build) it falls back to native calls.
 */
export class StateWord {
  readonly #word: Uint32Array | null;
  readonly #handle: LifecycleHandle;

  constructor(handle: LifecycleHandle) {
    this.#handle = handle;
    const buffer = handle.stateBuffer();
    this.#word = buffer === null ? null : new Uint32Array(buffer);
  }

  load(): number {
    return this.#word !== null ? Atomics.load(this.#word, 0) : this.#handle.stateLoad();
  }

  /** Compare-and-swap; true when this caller made the transition. */
  cas(expect: number, desired: number): boolean {
    if (this.#word !== null) return Atomics.compareExchange(this.#word, 0, expect, desired) === expect;
    return this.#handle.stateCas(expect, desired);
  }
}

/** What the registry keeps of an instance: never the Swim object itself. */
export interface Held {
  handle: LifecycleHandle;
  state: StateWord;
  uri: string;
}

/** The registry's callback; true when it stopped the instance. Internal (and testing.ts). */
export function finalizeHeld(held: Held): boolean {
  // Already stopping or gone (close, quit, the worker's own end): nothing to do. This is
  // the rule whose absence crashed Tarantool at shutdown (gh-10495).
  if (held.state.load() !== State.RUNNING) return false;
  if (!held.state.cas(State.RUNNING, State.STOPPING)) return false;
  held.handle.stop();
  process.emitWarning(
    `A Swim instance (${held.uri}) was garbage-collected without close(); it has been stopped. ` +
      'Call close() or quit(), or use `await using`.',
    { type: 'Warning', code: UNCLOSED_WARNING_CODE },
  );
  return true;
}

/** How often the registry fired, and how often that stopped a worker (testing.ts). */
export const registryStats = { calls: 0, stops: 0 };

const registry = new FinalizationRegistry<Held>((held) => {
  registryStats.calls++;
  if (finalizeHeld(held)) registryStats.stops++;
});

/** Starts watching `owner`; `held` must not reference it. */
export function track(owner: object, handle: LifecycleHandle, state: StateWord, uri: string): void {
  registry.register(owner, { handle, state, uri }, owner);
}

export function untrack(owner: object): void {
  registry.unregister(owner);
}

// Ref'd running instances, held strongly like an active handle (a listening net.Server or
// dgram.Socket): one that keeps the process alive cannot be collected, whatever JS still
// references it. Only an unref'd instance is left to the registry above.
const active = new Set<object>();

/** Holds a ref'd running instance (construction, ref()). */
export function hold(owner: object): void {
  active.add(owner);
}

/** Lets it go (unref(), close(), quit(), the worker's end). */
export function release(owner: object): void {
  active.delete(owner);
}

/** How many instances are held (testing.ts). */
export function heldCount(): number {
  return active.size;
}

let exiting = false;

/** True once this thread's process 'exit' event stopped every instance: no new ones. */
export function isExiting(): boolean {
  return exiting;
}

// process.exit() in the main thread does not run the env cleanup hooks, and no worker
// thread may keep running while the process exits: stop and join them all here. An
// instance made after this (by a later 'exit' listener) would run through the exit, so
// none can be made any more.
process.on('exit', () => {
  exiting = true;
  native.swimShutdownAll();
});
