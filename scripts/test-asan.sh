#!/usr/bin/env bash
# npm run test:asan — the test suite against an AddressSanitizer + UndefinedBehaviorSanitizer
# build of the addon, with the test hooks compiled in (as in scripts/build-test-addon.sh).
# Fails on any sanitizer report.
#
# The sanitized addon is built in build-asan/ by scripts/build-test-addon.sh (with the test
# hooks, like the addon the suite normally loads), never in build/, and the tests load it
# through SWIM_NATIVE_BINARY (src/native.ts): the normal build is untouched, so nothing needs
# restoring afterwards and later steps are unaffected.
#
# Node itself is not instrumented, so the ASan runtime must be the first library in the
# process: it is LD_PRELOADed (gcc's, matching the g++ that node-gyp compiles with), with
# libubsan beside it. The preload is in the environment, so every process vitest forks gets it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/build-asan
logs=$out/logs

echo "test:asan: building the addon with -fsanitize=address,undefined and the test hooks in build-asan/"
addon=$(CC=gcc CXX=g++ bash scripts/build-test-addon.sh --out build-asan -Dswim_sanitize=1) || {
  echo "test:asan: FAILED to build the sanitized addon (log: build-asan/build.log)"
  exit 1
}
test -f "$addon"

# The core's C++ checks get their own sanitized build (run.sh SANITIZE=1) instead of running
# the compiler under the preload; the packaging test loads no addon in-process and only
# repacks what the plain suite already checked.
echo "test:asan: core checks with -fsanitize=address,undefined"
SANITIZE=1 bash native/core/test/run.sh 1 2


libasan=$(gcc -print-file-name=libasan.so)
libubsan=$(gcc -print-file-name=libubsan.so)
for lib in "$libasan" "$libubsan"; do
  [[ -f $lib ]] || { echo "test:asan: sanitizer runtime not found: $lib (install gcc's libasan/libubsan)"; exit 1; }
done

rm -rf "$logs"
mkdir -p "$logs"
export SWIM_NATIVE_BINARY=$addon
export LD_PRELOAD="$libasan $libubsan"
# detect_leaks=0: Node and V8 deliberately leave memory to the OS at exit (isolate, code
# space, libuv handles of the main loop), so LeakSanitizer would report thousands of
# allocations that are not ours and not leaks in any useful sense; our own lifetimes are
# checked by ASan's use-after-free / double-free detection instead.
# Reports go to log_path files as well as stderr, so one from a forked test process is
# found even if vitest swallowed that process's stderr.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:log_path=$logs/asan:allow_user_segv_handler=1:detect_odr_violation=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
# The lifecycle fixtures (test/fixtures/lifecycle) run every scenario at half their counts
# under the sanitizer, which is several times slower (thousands of threads and sockets).
export SWIM_LIFECYCLE_SCALE=${SWIM_LIFECYCLE_SCALE:-0.5}
# The 20%-loss half-minute of the network-namespace tests proves a protocol property, checked by
# the plain run; under the sanitizer a shorter spell exercises the same code.
export SWIM_NETNS_LOSS_SECONDS=${SWIM_NETNS_LOSS_SECONDS:-15}
# The documented detection bound of a 20-member loopback cluster (10 s) is checked by the plain
# run; under the sanitizer, with another test file in the second fork, Lifeguard rightly
# slows down accusations (late acks of starved threads): the same scenario gets 15 s.
export SWIM_DEAD_BOUND_MS=${SWIM_DEAD_BOUND_MS:-15000}

echo "test:asan: running vitest with $(basename "$libasan") and $(basename "$libubsan") preloaded"
set +e
npx --no-install vitest run --exclude test/core-checks.test.ts --exclude test/packaging.test.ts 2>&1 | tee "$out/vitest.log"
rc=${PIPESTATUS[0]}
set -e

reports=$(find "$logs" -type f | sort)
grep_hits=$(grep -E "runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer|SUMMARY: (Address|UndefinedBehavior)Sanitizer" "$out/vitest.log" || true)
if [[ -n $reports ]]; then
  for f in $reports; do echo "=== $f"; head -n 80 "$f"; done
fi
if [[ -n $grep_hits ]]; then echo "$grep_hits"; fi
if [[ $rc -ne 0 || -n $reports || -n $grep_hits ]]; then
  echo "test:asan: FAILED (vitest exit $rc, $(echo -n "$reports" | grep -c . || true) sanitizer report file(s))"
  exit 1
fi
echo "test:asan: passed, no sanitizer reports"
