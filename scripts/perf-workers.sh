#!/usr/bin/env bash
# Where a swim-worker thread's time goes: starts the one-member-per-process cluster bench
# (20 member processes, bench/cluster.mjs --mode procs), waits until the cluster is steady,
# samples every swim-worker thread of its member processes with `perf record -g`, and
# prints the inclusive share of the calls that matter. Needs perf and the built package.
#   bash scripts/perf-workers.sh [SECONDS] [THREAD]   (default 20 s of samples, swim-worker;
#                                                      THREAD main: the members' main threads)
set -euo pipefail
secs=${1:-20}
which=${2:-swim-worker}
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/perf-workers.XXXXXX)
setsid node --expose-gc bench/run.mjs cluster --mode procs --seconds $((secs + 60)) >"$out/bench.log" 2>&1 &
bench=$!
trap 'kill -- -$bench 2>/dev/null || true' EXIT
# The members start one after the other, then mesh; the bench then waits 2 s and measures.
for _ in $(seq 1 120); do
  grep -q 'one per process' "$out/bench.log" && break
  sleep 1
done
sleep 30
tids=()
for pid in $(pgrep -f 'bench/lib/proc-member.cjs'); do
  for t in /proc/"$pid"/task/*; do
    tid=${t##*/}
    name=$(cat "$t/comm" 2>/dev/null || true)
    if [ "$which" = main ]; then [ "$tid" = "$pid" ] && tids+=("$tid"); continue; fi
    [ "$name" = "$which" ] && tids+=("$tid")
  done
done
[ ${#tids[@]} -gt 0 ] || { echo "no $which threads found"; cat "$out/bench.log"; exit 1; }
echo "sampling ${#tids[@]} $which threads for $secs s"
perf record -q -F 20000 -g -t "$(IFS=,; echo "${tids[*]}")" -o "$out/perf.data" -- sleep "$secs" 2>/dev/null
echo "by object:"
perf report -i "$out/perf.data" --no-children -g none --sort dso 2>/dev/null | grep '%' | head -8
echo "inclusive, selected calls:"
perf report -i "$out/perf.data" --children -g none --sort sym 2>/dev/null | grep '%' |
  grep -E ' (swim_io::|swim::Engine::|swim::encode_packet|swim::decode_packet|swim::\(anonymous namespace\)::(decode|write)_members|__libc_sendmsg|__libc_recvmsg|epoll_pwait|uv__run_timers|uv__udp_io|uv__async_io|malloc|cfree|pthread_mutex_lock|clock_gettime|node::Environment::RunTimers|uv__io_poll)' | head -40
echo "perf data: $out/perf.data"
