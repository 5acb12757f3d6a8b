// In process: lifecycle details of the API and the test hooks.
import { describe, expect, it } from 'vitest';
import { Swim } from '../src/index';
import { injectFatalError, lifecycleCounters, runFinalizer, stateOf, stopNativeUnchecked } from '../src/testing';

function spinUntil(cond: () => boolean, ms: number): void {
  const deadline = Date.now() + ms;
  while (!cond()) if (Date.now() > deadline) throw new Error('spinUntil: timed out');
}

describe('lifecycle: API details', () => {
  it('uri and uuid stay readable after the worker ended by itself, before its close event (regression)', async () => {
    const s = new Swim({ uri: '127.0.0.1:0' });
    const { uri, uuid } = s;
    s.on('error', () => {});
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    injectFatalError(s, 'api test');
    // Spinning: the exit notice cannot be delivered meanwhile.
    spinUntil(() => stateOf(s) === 3, 5000);
    expect(s.closed).toBe(true);
    expect(s.uri).toBe(uri);
    expect(s.uuid).toBe(uuid);
    expect(() => s.members()).toThrow(expect.objectContaining({ code: 'ERR_SWIM_CLOSED' }) as Error);
    await closed;
    expect(s.uri).toBe(uri);
  });

  it('the registry callback does nothing on an instance that is stopping or gone; the unchecked stop is harmless', async () => {
    const before = lifecycleCounters();
    const a = new Swim({ uri: '127.0.0.1:0' });
    const p = a.close();
    expect(runFinalizer(a)).toBe(false);
    stopNativeUnchecked(a);
    await p;
    expect(runFinalizer(a)).toBe(false);
    stopNativeUnchecked(a);
    // A live one: the registry callback wins and stops it, once.
    const b = new Swim({ uri: '127.0.0.1:0' });
    const warned = new Promise<Error>((r) => process.once('warning', r));
    expect(runFinalizer(b)).toBe(true);
    expect(runFinalizer(b)).toBe(false);
    expect(((await warned) as Error & { code?: string }).code).toBe('SWIM_NATIVE_UNCLOSED');
    await b.close();
    const after = lifecycleCounters();
    expect(after.joined - before.joined).toBe(2);
    expect(after.stopRequests - before.stopRequests).toBe(2);
    expect(after.anomalies).toBe(before.anomalies);
  });
});
