// The Tarantool harness itself: later interop tests (mixed clusters) rely on it.
import { afterAll, describe, expect, it } from 'vitest';
import { requireTarantool, startTarantool, stopAllTarantools } from './helpers/tarantool';
import { waitFor } from './helpers/wait';

const tt = requireTarantool();

describe.skipIf(!tt.available)('tarantool harness', () => {
  afterAll(stopAllTarantools);

  it('evaluates Lua with arguments and returns JSON values', async () => {
    const t = await startTarantool({ script: 'greeting = "hello"' });
    expect(await t.eval('return greeting .. ", " .. ...', 'world')).toBe('hello, world');
    expect(await t.evalAll('local a, b = ... return b, a, {x = a}', 1, 'two')).toEqual(['two', 1, { x: 1 }]);
    expect(await t.eval('return nil')).toBeUndefined();
    expect(await t.eval('return harness.hex("\\1\\255")')).toBe('01ff');
    await t.stop();
    expect(t.exited).toBe(true);
  });

  it('rejects with the Lua error and keeps serving', async () => {
    const t = await startTarantool();
    await expect(t.eval('error("boom")')).rejects.toThrow(/boom/);
    await expect(t.eval('this is not lua')).rejects.toThrow(/syntax/);
    expect(await t.eval('return 1 + 1')).toBe(2);
    await t.stop();
  });

  it('runs slow commands concurrently (each in its own fiber)', async () => {
    const t = await startTarantool();
    const slow = t.eval('require("fiber").sleep(0.5) return "slow"');
    expect(await t.eval('return "fast"')).toBe('fast');
    expect(await slow).toBe('slow');
    await t.stop();
  });

  it('reports a failing start-up script', async () => {
    await expect(startTarantool({ script: 'error("bad script")', readyTimeoutMs: 10_000 })).rejects.toThrow(/bad script/);
  });

  it('kill() ends the process and its pending commands fail', async () => {
    const t = await startTarantool();
    const pending = t.eval('require("fiber").sleep(30)');
    t.kill();
    await expect(pending).rejects.toThrow(/exited/);
    await waitFor(() => t.exited, 5000, { what: 'tarantool exit' });
    await expect(t.eval('return 1')).rejects.toThrow(/exited/);
  });

  it('swim is usable on 127.0.0.1', async () => {
    const t = await startTarantool();
    const self = await t.eval<{ uri: string; uuid: string; status: string; generation: string }>(`
      s = require('swim').new({generation = 3})
      assert(s:cfg({uri = '127.0.0.1:0', uuid = '00000000-0000-1000-8000-000000000001', heartbeat_rate = 1}))
      return harness.member(s:self())`);
    expect(self.uri).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(self).toMatchObject({ uuid: '00000000-0000-1000-8000-000000000001', status: 'alive', generation: '3' });
    await t.stop();
  });
});
