// vitest globalSetup: the suite runs against the test build of the addon (the one with the
// test hooks, scripts/build-test-addon.sh), never the build/ users load. Builds it
// (incrementally) and points SWIM_NATIVE_BINARY at it before any test process is forked,
// so test files and the children they spawn all inherit it. A SWIM_NATIVE_BINARY set by
// the caller wins (scripts/test-asan.sh sets its sanitized build, made with the hooks).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup() {
  if (process.env.SWIM_NATIVE_BINARY) return;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const out = execFileSync('bash', [path.join(root, 'scripts/build-test-addon.sh')], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const addon = out.trim().split('\n').pop();
  process.env.SWIM_NATIVE_BINARY = addon;
}
