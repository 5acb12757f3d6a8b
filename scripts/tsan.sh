#!/usr/bin/env bash
# npm run tsan — ThreadSanitizer over native/io without Node: builds
# native/io/test/tsan_harness.cc with the core, the worker, the UDP socket and the ciphers
# (clang++ -fsanitize=thread -g -O1), linked against the system's libuv and OpenSSL
# (Debian: apt-get install clang libuv1-dev libssl-dev), and runs it: workers meshing on
# 127.0.0.1 while other threads read, take events, command, rebind and swap ciphers, then
# stop/join races. Fails on any TSan report or a failed check. Output: build/tsan/tsan.log.
set -euo pipefail
cd "$(dirname "$0")/.."

CXX=${TSAN_CXX:-clang++}
command -v "$CXX" >/dev/null || { echo "tsan: $CXX not found (Debian: apt-get install clang)" >&2; exit 1; }
[[ -f /usr/include/uv.h ]] || { echo "tsan: libuv headers not found (Debian: apt-get install libuv1-dev)" >&2; exit 1; }
[[ -f /usr/include/openssl/evp.h ]] || { echo "tsan: OpenSSL headers not found (Debian: apt-get install libssl-dev)" >&2; exit 1; }

core=(native/core/*.cc)  # the whole core, whatever its files are
io=(native/io/worker.cc native/io/udp_socket.cc native/io/crypto.cc)
out=build/tsan
mkdir -p "$out"
echo "tsan: building $out/tsan_harness ($CXX -fsanitize=thread)"
# The core's invariant checks on as well: every engine call under the lock verifies them.
"$CXX" -std=c++17 -g -O1 -fsanitize=thread -fno-omit-frame-pointer -fno-exceptions -Inative \
  -Wall -Wextra -Wno-unused-parameter -DSWIM_ENGINE_CHECKS \
  "${core[@]}" "${io[@]}" native/io/test/tsan_harness.cc -o "$out/tsan_harness" -luv -lcrypto -lpthread
set +e
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 exitcode=66 ${TSAN_OPTIONS:-}" \
  "$out/tsan_harness" >"$out/tsan.log" 2>&1
rc=$?
set -e
cat "$out/tsan.log"
if [[ $rc -ne 0 ]] || grep -q "WARNING: ThreadSanitizer" "$out/tsan.log" || ! grep -q "^tsan_harness: ok" "$out/tsan.log"; then
  echo "tsan: FAILED (exit $rc)"
  exit 1
fi
echo "tsan: passed, no ThreadSanitizer reports"
