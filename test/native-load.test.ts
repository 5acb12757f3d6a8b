// src/native.ts on a machine with neither a matching prebuilt binary nor a build: the first
// import says which platforms have prebuilds and how to build, node-gyp-build's own error
// kept as the cause.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers/child';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swim-native-noaddon-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('loading the addon', () => {
  it('no prebuilt binary and no build: a clear error with what to do, the loader\'s message as cause', () => {
    // A package copy with dist/ but no build/ and no prebuilds/.
    fs.cpSync(path.join(ROOT, 'dist'), path.join(tmp, 'dist'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'swim-native', version: '0.0.0' }));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tmp, 'node_modules'), 'dir');
    const script = `
      try { require(${JSON.stringify(path.join(tmp, 'dist/index.js'))}); console.log('{"loaded":true}'); }
      catch (e) { console.log(JSON.stringify({ message: e.message, code: e.code, cause: e.cause && e.cause.message })); }`;
    const env = { ...process.env };
    delete env.SWIM_NATIVE_BINARY;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env }).trim()) as Record<string, string>;
    expect(out.code).toBe('ERR_SWIM_NATIVE');
    expect(out.message).toMatch(new RegExp(`^swim-native: no native addon for ${process.platform}-${process.arch}`));
    expect(out.message).toContain('linux-x64 and linux-arm64 with glibc >= 2.31');
    expect(out.message).toContain('C++17 compiler, make and python3');
    expect(out.message).toContain('`npm rebuild swim-native`');
    expect(out.message).toContain('`pnpm approve-builds`');
    expect(out.message).toContain('docs/packaging.md');
    expect(out.cause).toMatch(/^No native build was found/);
  });
});
