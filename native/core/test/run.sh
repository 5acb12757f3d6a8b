#!/usr/bin/env bash
# Builds and runs the engine's C++ checks on the simulator (no Node needed).
#   native/core/test/run.sh [first-seed [seed-count [name-filter]]]   SANITIZE=1 for ASan/UBSan
#   native/core/test/run.sh bench [N [seed]]                          the scale run (engine_bench.cc)
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=build/core-test
mkdir -p "$out"
flags=(-std=c++17 -fno-exceptions -Wall -Wextra -Wno-unused-parameter -Inative)
if [[ "${SANITIZE:-0}" == 1 ]]; then
  flags+=(-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
else
  flags+=(-O2 -g)
fi
core=(native/core/types.cc native/core/msgpack.cc native/core/codec.cc native/core/member_table.cc
  native/core/probe_queue.cc native/core/contacts.cc native/core/dissemination.cc native/core/ack_waits.cc native/core/event_log.cc
  native/core/membership.cc native/core/failure_detection.cc native/core/messages.cc native/core/engine.cc
  native/core/engine_checks.cc native/core/lifeguard.cc native/core/suspicion.cc native/sim/simulation.cc)
# build BINARY SOURCES...: skipped when BINARY is newer than every core, sim and test file
# and was built with the same flags.
build() {
  local bin=$1
  shift
  if [[ -x $bin && "$(cat "$bin.flags" 2>/dev/null)" == "${flags[*]}" &&
    -z "$(find native/core native/sim -type f -newer "$bin" | head -n 1)" ]]; then
    return
  fi
  g++ "${flags[@]}" "$@" -o "$bin"
  echo "${flags[*]}" >"$bin.flags"
}
if [[ "${1:-}" == bench ]]; then
  shift
  build "$out/engine_bench" "${core[@]}" native/core/test/engine_bench.cc
  exec "$out/engine_bench" "$@"
fi
tests=(native/core/test/main.cc native/core/test/engine_scenarios.cc native/core/test/engine_units.cc
  native/core/test/event_log_test.cc native/core/test/hostile_test.cc native/core/test/engine_healing.cc native/core/test/lifeguard_test.cc)
# Test builds verify the engine's internal invariants after every call (engine_checks.cc).
flags+=(-DSWIM_ENGINE_CHECKS)
build "$out/engine_checks" "${core[@]}" "${tests[@]}"
if [[ "${SANITIZE:-0}" == 1 ]]; then "$out/engine_checks" "$@"; else (ulimit -v 4000000; "$out/engine_checks" "$@"); fi
