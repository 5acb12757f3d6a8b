#!/usr/bin/env bash
# Builds and runs the engine's C++ checks (no Node needed).
#   native/core/test/run.sh [first-seed [seed-count]]     SANITIZE=1 for ASan/UBSan
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=build/core-test
mkdir -p "$out"
flags=(-std=c++17 -fno-exceptions -Wall -Wextra -Wno-unused-parameter -Inative -DSWIM_ENGINE_CHECKS)
if [[ "${SANITIZE:-0}" == 1 ]]; then
  flags+=(-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
else
  flags+=(-O2 -g)
fi
src=(native/core/types.cc native/core/msgpack.cc native/core/codec.cc native/core/member_table.cc
  native/core/probe_queue.cc native/core/dissemination.cc native/core/ack_waits.cc native/core/event_log.cc
  native/core/membership.cc native/core/failure_detection.cc native/core/messages.cc native/core/engine.cc
  native/core/engine_checks.cc)
g++ "${flags[@]}" "${src[@]}" native/core/test/engine_smoke.cc -o "$out/engine_smoke"
if [[ "${SANITIZE:-0}" == 1 ]]; then "$out/engine_smoke" "$@"; else (ulimit -v 4000000; "$out/engine_smoke" "$@"); fi
