#!/usr/bin/env bash
# npm run build:test-addon — the addon with its test and benchmark hooks (SWIM_TEST_HOOKS:
# stopUnchecked, injectFatal, the lifecycle counters, _benchCodecCipher), built in
# build-test/ and never in build/, which stays the addon users load. The test suite loads it
# through SWIM_NATIVE_BINARY (test/helpers/test-addon.mjs runs this script and sets it).
#
#   scripts/build-test-addon.sh [--out DIR] [GYP_ARG...]
#
# --out builds elsewhere (scripts/test-asan.sh: build-asan/ with -Dswim_sanitize=1).
# Incremental: gyp's Makefile recompiles only what changed, so an up-to-date build takes a
# second or two; different gyp arguments or compilers start from scratch. Prints the
# addon's path as its only line on stdout. JOBS: parallel compile jobs (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/build-test
if [[ ${1-} == --out ]]; then
  out=$root/$2
  shift 2
fi
src=$out/src
jobs=${JOBS:-2}
gyp_args=(-Dswim_test_hooks=1 "$@")
config="${gyp_args[*]} CC=${CC-} CXX=${CXX-}"
name=$(basename "$out")

# A view of the project with its own build/ directory: gyp resolves sources relative to
# binding.gyp's own location, so symlinks give the same tree with a separate output.
mkdir -p "$src"
ln -sfn "$root/binding.gyp" "$src/binding.gyp"
ln -sfn "$root/native" "$src/native"
ln -sfn "$root/package.json" "$src/package.json"
ln -sfn "$root/node_modules" "$src/node_modules"

fail() {
  tail -n 60 "$out/build.log" >&2
  echo "build-test-addon: FAILED to $1 the addon in $name/ (log: $name/build.log)" >&2
  exit 1
}

: >"$out/build.log"
echo "build-test-addon: the addon with test hooks in $name/ ($config)" >&2
if [[ $(cat "$out/configured" 2>/dev/null) != "$config" ]]; then
  rm -rf "$src/build" "$out/configured"
fi
# The generated Makefile regenerates itself (same arguments) when binding.gyp changes.
if [[ ! -f $src/build/Makefile ]]; then
  (cd "$src" && npx --no-install node-gyp configure -- "${gyp_args[@]}" >>"$out/build.log" 2>&1) || fail configure
  echo "$config" >"$out/configured"
fi
(cd "$src" && npx --no-install node-gyp build -j "$jobs" >>"$out/build.log" 2>&1) || fail build
addon=$src/build/Release/swim_native.node
test -f "$addon" || fail find
echo "$addon"
