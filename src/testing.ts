// Test-only entry points (lifecycle tests, torture). Not exported from the package root;
// reachable as require('swim-native/dist/testing').
//
// The native hooks behind stopNativeUnchecked, injectFatalError, liveWorkers and
// lifecycleCounters exist only in the test build of the addon (compiled with
// SWIM_TEST_HOOKS: scripts/build-test-addon.sh, loaded through SWIM_NATIVE_BINARY); with
// the build users load they throw a TestHooksMissingError.
import { native } from './native';
import { finalizeHeld, heldCount, registryStats, StateWord } from './lifecycle';
import { Swim, type NativeSwimHandle } from './swim';

/** The native handle behind a Swim. */
export function nativeHandleOf(swim: Swim): NativeSwimHandle {
  return Swim._nativeHandle(swim);
}

/** Thrown by the hooks below when the loaded addon was built without them. */
export class TestHooksMissingError extends Error {
  constructor(what: string) {
    super(
      `swim-native/testing: ${what} needs the test build of the addon (compiled with ` +
        'SWIM_TEST_HOOKS); the loaded one has no test hooks. Build it with ' +
        '`npm run build:test-addon` and load it with ' +
        'SWIM_NATIVE_BINARY=build-test/src/build/Release/swim_native.node.',
    );
    this.name = 'TestHooksMissingError';
  }
}

/** True when the loaded addon has the test hooks compiled in. */
export function hasTestHooks(): boolean {
  return typeof native.swimLifecycleCounters === 'function';
}

// What the test build adds to a native handle.
interface HookedHandle {
  stopUnchecked?: () => void;
  injectFatal?: (why?: string) => void;
}

function hook<K extends keyof HookedHandle>(swim: Swim, name: K, what: string): NonNullable<HookedHandle[K]> {
  const handle = Swim._nativeHandle(swim) as unknown as HookedHandle;
  const fn = handle[name];
  if (typeof fn !== 'function') throw new TestHooksMissingError(what);
  return fn.bind(handle) as NonNullable<HookedHandle[K]>;
}

function nativeHook(name: 'swimLiveWorkers' | 'swimLifecycleCounters', what: string): () => unknown {
  const fn = (native as Record<string, unknown>)[name];
  if (typeof fn !== 'function') throw new TestHooksMissingError(what);
  return fn as () => unknown;
}

/** Stops the worker natively, without consulting or changing the state word. */
export function stopNativeUnchecked(swim: Swim): void {
  hook(swim, 'stopUnchecked', 'stopNativeUnchecked()')();
}

/** Makes the worker fail as if its socket broke: it ends by itself with an error. */
export function injectFatalError(swim: Swim, why?: string): void {
  hook(swim, 'injectFatal', 'injectFatalError()')(why);
}

/** Workers of this environment whose thread has not been joined yet. */
export function liveWorkers(): number {
  return nativeHook('swimLiveWorkers', 'liveWorkers()')() as number;
}

/** The shared state word of a Swim: 0 NEW, 1 RUNNING, 2 STOPPING, 3 TERMINATED. */
export function stateOf(swim: Swim): number {
  return Swim._nativeHandle(swim).stateLoad();
}

/**
 * Runs what the FinalizationRegistry runs when a Swim is collected without close(), now,
 * on a Swim that is still alive (to force an order against the other stoppers). Returns
 * true when it stopped the instance (it won RUNNING -> STOPPING).
 */
export function runFinalizer(swim: Swim): boolean {
  const handle = Swim._nativeHandle(swim);
  return finalizeHeld({ handle, state: new StateWord(handle), uri: swim.uri });
}

/** Runs the environment cleanup hook now: stops and joins every worker of this env. */
export function shutdownAll(): void {
  native.swimShutdownAll();
}

/** What became of this environment's instances, tallied as their threads are joined. */
export interface LifecycleCounters {
  /** Worker threads started. */
  started: number;
  /** Worker threads joined (each once). */
  joined: number;
  /** Stops asked by a stopper that won RUNNING -> STOPPING (close, registry, cleanup hook, wrapper finalizer). */
  stopRequests: number;
  /** Workers that won it themselves (quit sent, fatal error). */
  selfStops: number;
  /** Joined instances with no winner, two winners, a stop without a win, or a word not TERMINATED. */
  anomalies: number;
}

export function lifecycleCounters(): LifecycleCounters {
  return nativeHook('swimLifecycleCounters', 'lifecycleCounters()')() as LifecycleCounters;
}

/** Ref'd running instances held like active handles (never collected while held). */
export function heldInstances(): number {
  return heldCount();
}

/** How often the FinalizationRegistry fired in this environment, and how often it stopped a worker. */
export function registryCalls(): { calls: number; stops: number } {
  return { ...registryStats };
}
