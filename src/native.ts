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
  try {
    return nodeGypBuild(path.join(__dirname, '..'));
  } catch (err) {
    // No prebuilt binary matches this machine and none was built at install: say what to do.
    if (!/No native build was found/.test(String((err as Error)?.message))) throw err;
    const where = `${process.platform}-${process.arch}`;
    throw Object.assign(
      new Error(
        `swim-native: no native addon for ${where} (Node.js ${process.version}). Prebuilt binaries ` +
          'ship for linux-x64 and linux-arm64 with glibc >= 2.31 only; elsewhere (musl/Alpine, an ' +
          'older glibc) the addon is compiled when the package is installed, which needs a C++17 ' +
          'compiler, make and python3, and install scripts allowed to run: install those, then ' +
          '`npm rebuild swim-native` (pnpm: `pnpm approve-builds`, then `pnpm rebuild swim-native`). ' +
          'See docs/packaging.md (https://github.com/swim-native/swim-native/blob/main/docs/packaging.md). ' +
          `The loader said: ${String((err as Error).message).trim()}`,
        { cause: err },
      ),
      { code: 'ERR_SWIM_NATIVE' },
    );
  }
}

/** The raw addon. Only the TypeScript layer talks to it; its shape is internal. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const native: any = load();
