// The test and benchmark hooks live only in the test build of the addon (SWIM_TEST_HOOKS,
// scripts/build-test-addon.sh), which the suite loads; the build users load has none, and
// src/testing.ts says so clearly instead of failing with "is not a function".
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native } from '../src/native';
import { ROOT } from './helpers/child';

const USER_BUILD = path.join(ROOT, 'build/Release/swim_native.node');
const NATIVE_HOOKS = ['swimLifecycleCounters', 'swimLiveWorkers', '_benchCodecCipher'];
const HANDLE_HOOKS = ['stopUnchecked', 'injectFatal'];

// What an addon exports, seen from a fresh process (the user build is never loaded into
// this one, which has the test build).
function exportsOf(addon: string): { exports: string[]; handle: string[] } {
  const script = `const m = require(${JSON.stringify(addon)});
    console.log(JSON.stringify({ exports: Object.keys(m), handle: Object.getOwnPropertyNames(m.SwimHandle.prototype) }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as {
    exports: string[];
    handle: string[];
  };
}

describe('test hooks', () => {
  it('the suite runs against the test build, which has them', () => {
    expect(process.env.SWIM_NATIVE_BINARY, 'set by test/helpers/test-addon.mjs').toBeTruthy();
    expect(path.resolve(process.env.SWIM_NATIVE_BINARY!)).not.toBe(USER_BUILD);
    for (const name of NATIVE_HOOKS) expect(typeof (native as Record<string, unknown>)[name], name).toBe('function');
    const proto = (native as { SwimHandle: { prototype: object } }).SwimHandle.prototype;
    for (const name of HANDLE_HOOKS) expect(name in proto, name).toBe(true);
  });

  it('the build users load (build/Release) has none of them', () => {
    expect(fs.existsSync(USER_BUILD), `${USER_BUILD} (npm install / npm run build:native)`).toBe(true);
    const user = exportsOf(USER_BUILD);
    // The same addon otherwise: the check is not vacuous.
    expect(user.exports).toContain('SwimHandle');
    expect(user.handle).toContain('stop');
    for (const name of NATIVE_HOOKS) expect(user.exports).not.toContain(name);
    for (const name of HANDLE_HOOKS) expect(user.handle).not.toContain(name);
  });

  it('src/testing.ts fails with a clear message on the user build', () => {
    const script = `const t = require('./dist/testing.js'); const { Swim } = require('./dist/index.js');
      const s = new Swim({ uri: '127.0.0.1:0' });
      const out = { hooks: t.hasTestHooks(), state: t.stateOf(s) };
      for (const [k, f] of Object.entries({ counters: () => t.lifecycleCounters(), live: () => t.liveWorkers(),
        unchecked: () => t.stopNativeUnchecked(s), fatal: () => t.injectFatalError(s) })) {
        try { f(); out[k] = 'no error'; } catch (e) { out[k] = e.name + ': ' + e.message; }
      }
      s.close().then(() => console.log(JSON.stringify(out)));`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['-e', script], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, SWIM_NATIVE_BINARY: USER_BUILD },
      }),
    ) as Record<string, unknown>;
    expect(out.hooks).toBe(false);
    expect(out.state).toBe(1);  // what needs no hook still works
    for (const k of ['counters', 'live', 'unchecked', 'fatal']) {
      expect(out[k], k).toMatch(/^TestHooksMissingError: swim-native\/testing: .* needs the test build of the addon/);
      expect(out[k], k).toContain('npm run build:test-addon');
    }
  });
});
