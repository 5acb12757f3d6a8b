#!/usr/bin/env bash
# npm run fuzz [-- --seconds N | --runs N] [--only decoder|engine] [--jobs J] [--max-len B] [--make-corpus]
#
# Builds two libFuzzer targets with ASan and UBSan (clang) and runs each from its committed
# seed corpus; fails on any crash, sanitizer report, leak, timeout or failed check:
#   decoder  fuzz/decoder_fuzzer.cc over the core codec (round trips), seeds fuzz/corpus/
#   engine   fuzz/engine_fuzzer.cc over whole engines (-DSWIM_ENGINE_CHECKS: the core's
#            invariants after every call, plus bounds), seeds fuzz/corpus-engine/
# --seconds N (default 60) is split evenly between the two; --runs N runs each N
# executions; --only runs one of them with the whole budget. --jobs J runs J processes of
# each fuzzer at once over the same work corpus (--runs is then the total, split evenly;
# job k > 1 logs to fuzz.K.log / engine.K.log). --max-len B caps the inputs libFuzzer makes
# (default 4096; an engine input's cost grows with its length, so long campaigns use less).
# Logs: fuzz/out/fuzz.log
# (decoder) and fuzz/out/engine.log (the tail is printed on failure); discovered inputs go
# to fuzz/corpus-work/ and fuzz/corpus-engine-work/ (not committed); a crashing input is
# saved as fuzz/out/crash-* (decoder) or fuzz/out/engine-crash-* (engine): reproduce with
# `fuzz/out/decoder_fuzzer fuzz/out/crash-...` or `fuzz/out/engine_fuzzer fuzz/out/engine-crash-...`.
#
# --make-corpus regenerates the committed decoder seeds (fuzz/corpus/gen-*) with fuzz/make_corpus.cc.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
runs=
only=
jobs=1
max_len=4096
make_corpus=0
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --max-len) max_len=$2; shift 2 ;;
    --make-corpus) make_corpus=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "fuzz: unknown option $1" >&2; exit 2 ;;
  esac
done

CXX=${FUZZ_CXX:-clang++}
command -v "$CXX" >/dev/null || { echo "fuzz: $CXX not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

case $only in
  '') targets=(decoder engine) ;;
  decoder|engine) targets=("$only") ;;
  *) echo "fuzz: --only takes decoder or engine" >&2; exit 2 ;;
esac

# The core's sources, listed explicitly: the fuzzers link nothing else (no Node, no I/O).
# The decoder fuzzer takes the codec only; the engine fuzzer the whole core.
sources=(native/core/msgpack.cc native/core/codec.cc native/core/types.cc)
# The whole core, whatever its files are.
engine_sources=(native/core/*.cc)
for f in "${engine_sources[@]}"; do
  [[ -f $f ]] || { echo "fuzz: missing $f" >&2; exit 1; }
done

out=fuzz/out
mkdir -p "$out" fuzz/corpus fuzz/corpus-work fuzz/corpus-engine fuzz/corpus-engine-work
flags=(-std=c++17 -g -O1 -fno-exceptions -fno-omit-frame-pointer -Inative -Wall -Wextra -Wno-unused-parameter)

if ((make_corpus)); then
  "$CXX" "${flags[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all \
    "${sources[@]}" fuzz/make_corpus.cc -o "$out/make_corpus"
  rm -f fuzz/corpus/gen-*.bin
  "$out/make_corpus" fuzz/corpus
  exit 0
fi

# run NAME LOG ARTIFACT_PREFIX WORK_CORPUS SEED_CORPUS: one fuzzer (in $jobs processes), checked;
# 1 on failure.
run() {
  local name=$1 log=$2 prefix=$3 work=$4 seeds=$5
  local limit=(-max_total_time="$per") what="$per s"
  if [[ -n $runs ]]; then
    limit=(-runs="$(((runs + jobs - 1) / jobs))")
    what="$runs runs"
  fi
  ((jobs > 1)) && what="$what in $jobs jobs"
  echo "fuzz: $name: running for $what from $(find "$seeds" -type f | wc -l) seed(s); log: $log"
  local logs=() pids=() rcs=() k
  for ((k = 1; k <= jobs; k++)); do
    local l=$log
    ((k > 1)) && l=${log%.log}.$k.log
    logs+=("$l")
    # Datagrams are at most 1472 bytes; the default 4096 leaves room for inputs over the limit.
    # -timeout: one input taking a second means something is quadratic (or looping).
    # The first corpus directory receives new inputs, the second (committed seeds) is only read.
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
      "$out/${name}_fuzzer" "${limit[@]}" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$prefix" "$work" "$seeds" >"$l" 2>&1 &
    pids+=($!)
  done
  set +e
  for k in "${!pids[@]}"; do
    wait "${pids[$k]}"
    rcs+=($?)
  done
  set -e
  local failed=0 artifacts
  artifacts=$(find "$out" -maxdepth 1 \( -name "${prefix##*/}crash-*" -o -name "${prefix##*/}leak-*" -o -name "${prefix##*/}timeout-*" -o -name "${prefix##*/}oom-*" \) | tr '\n' ' ')
  for k in "${!logs[@]}"; do
    local l=${logs[$k]} rc=${rcs[$k]} stats cov
    stats=$(grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$l" | tr -s ' \n' ' ' || true)
    cov=$(grep -oE "cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*" "$l" | tail -n 1 || true)
    if [[ $rc -ne 0 ]] ||
      grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:|round-trip mismatch|engine invariant broken|engine_fuzzer:" "$l"; then
      tail -n 80 "$l"
      echo "fuzz: $name: FAILED (exit $rc, log $l)"
      failed=1
    else
      echo "fuzz: $name: passed: $stats| $cov"
    fi
  done
  if [[ -n $artifacts ]]; then
    echo "fuzz: $name: FAILED, artifacts: $artifacts"
    failed=1
  fi
  return $failed
}

per=$seconds
((${#targets[@]} == 2)) && per=$(((seconds + 1) / 2))
rm -f "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* "$out"/slow-unit-* "$out"/engine-*
fsan=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
failed=0
for t in "${targets[@]}"; do
  if [[ $t == decoder ]]; then
    echo "fuzz: building $out/decoder_fuzzer ($CXX, -fsanitize=fuzzer,address,undefined)"
    "$CXX" "${flags[@]}" "${fsan[@]}" "${sources[@]}" fuzz/decoder_fuzzer.cc -o "$out/decoder_fuzzer"
    run decoder "$out/fuzz.log" "$out/" fuzz/corpus-work fuzz/corpus || failed=1
  else
    echo "fuzz: building $out/engine_fuzzer ($CXX, -fsanitize=fuzzer,address,undefined, -DSWIM_ENGINE_CHECKS)"
    "$CXX" "${flags[@]}" "${fsan[@]}" -DSWIM_ENGINE_CHECKS "${engine_sources[@]}" fuzz/engine_fuzzer.cc \
      -o "$out/engine_fuzzer"
    run engine "$out/engine.log" "$out/engine-" fuzz/corpus-engine-work fuzz/corpus-engine || failed=1
  fi
done
if ((failed)); then
  echo "fuzz: FAILED"
  exit 1
fi
echo "fuzz: passed (${targets[*]})"
