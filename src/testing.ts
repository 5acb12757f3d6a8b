// Test-only entry points (lifecycle tests, issue 5). Not exported from the package root;
// reachable as require('swim-native/dist/testing').
import { native } from './native';
import { Swim, type NativeSwimHandle } from './swim';

/** The native handle behind a Swim. */
export function nativeHandleOf(swim: Swim): NativeSwimHandle {
  return Swim._nativeHandle(swim);
}

/** Stops the worker natively, without consulting or changing the state word. */
export function stopNativeUnchecked(swim: Swim): void {
  Swim._nativeHandle(swim).stop();
}

/** Makes the worker fail as if its socket broke: it ends by itself with an error. */
export function injectFatalError(swim: Swim, why?: string): void {
  Swim._nativeHandle(swim).injectFatal(why);
}

/** Workers of this environment whose thread has not been joined yet. */
export function liveWorkers(): number {
  return native.swimLiveWorkers() as number;
}
