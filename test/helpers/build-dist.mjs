// vitest globalSetup: compile src/ to dist/ once per run, so the child processes that the
// tests spawn (test/fixtures/*.cjs, the CLI) run the code under test, not a stale build.
// The in-process tests import src/ directly through vitest.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
