// Loads the addon: a prebuilt binary from prebuilds/ when one matches, else build/Release.
// SWIM_NATIVE_BINARY=/abs/path/swim_native.node overrides both: the test suite uses it to
// load the test build, which has the test hooks compiled in (build-test/, made by
// scripts/build-test-addon.sh), and the sanitizer suite an ASan/UBSan build with the hooks
// (build-asan/, scripts/test-asan.sh). The build/ users load is never touched.
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
