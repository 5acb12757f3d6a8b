// Loads the addon: a prebuilt binary from prebuilds/ when one matches, else build/Release.
// SWIM_NATIVE_BINARY=/abs/path/swim_native.node overrides both; the sanitizer suite uses it
// to run the tests against an ASan/UBSan build kept in its own directory (scripts/test-asan.sh),
// so the normal build/ is never touched.
import * as path from 'node:path';
import nodeGypBuild from 'node-gyp-build';

function load(): unknown {
  const override = process.env.SWIM_NATIVE_BINARY;
  if (override) return require(path.resolve(override));
  return nodeGypBuild(path.join(__dirname, '..'));
}

/** The raw addon. Only the TypeScript layer talks to it; its shape is internal. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const native: any = load();
