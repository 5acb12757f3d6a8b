#!/usr/bin/env bash
# npm run fuzz [-- --seconds N | --runs N] [--make-corpus]
#
# Builds the libFuzzer target fuzz/decoder_fuzzer.cc over the core codec with ASan and UBSan
# (clang), runs it from the committed seed corpus fuzz/corpus/ for N seconds (default 60) or
# N executions, and fails on any crash, sanitizer report, leak, timeout or round-trip
# mismatch. The fuzzer's own output goes to fuzz/out/fuzz.log (the tail is printed on failure);
# inputs it discovers go to fuzz/corpus-work/ (not committed); a crashing input is saved as
# fuzz/out/crash-* to reproduce with `fuzz/out/decoder_fuzzer fuzz/out/crash-...`.
#
# --make-corpus regenerates the committed seeds (fuzz/corpus/gen-*) with fuzz/make_corpus.cc.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
runs=
make_corpus=0
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --make-corpus) make_corpus=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "fuzz: unknown option $1" >&2; exit 2 ;;
  esac
done

CXX=${FUZZ_CXX:-clang++}
command -v "$CXX" >/dev/null || { echo "fuzz: $CXX not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

# The core's codec sources, listed explicitly: the fuzzer links nothing else (no Node, no I/O).
sources=(native/core/msgpack.cc native/core/codec.cc native/core/types.cc)
for f in "${sources[@]}"; do
  [[ -f $f ]] || { echo "fuzz: missing $f" >&2; exit 1; }
done

out=fuzz/out
mkdir -p "$out" fuzz/corpus fuzz/corpus-work
flags=(-std=c++17 -g -O1 -fno-exceptions -fno-omit-frame-pointer -Inative -Wall -Wextra -Wno-unused-parameter)

if ((make_corpus)); then
  "$CXX" "${flags[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all \
    "${sources[@]}" fuzz/make_corpus.cc -o "$out/make_corpus"
  rm -f fuzz/corpus/gen-*.bin
  "$out/make_corpus" fuzz/corpus
  exit 0
fi

echo "fuzz: building $out/decoder_fuzzer ($CXX, -fsanitize=fuzzer,address,undefined)"
"$CXX" "${flags[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  "${sources[@]}" fuzz/decoder_fuzzer.cc -o "$out/decoder_fuzzer"

limit=(-max_total_time="$seconds")
what="$seconds s"
if [[ -n $runs ]]; then
  limit=(-runs="$runs")
  what="$runs runs"
fi
seeds=$(find fuzz/corpus -type f | wc -l)
echo "fuzz: running for $what from $seeds seed(s); log: $out/fuzz.log"
rm -f "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* "$out"/slow-unit-*
set +e
# Datagrams are at most 1472 bytes; 4096 leaves room for inputs over the limit.
# -timeout: one input taking a second means something is quadratic (or looping).
# The first corpus directory receives new inputs, the second (committed seeds) is only read.
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
  "$out/decoder_fuzzer" "${limit[@]}" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$out/" fuzz/corpus-work fuzz/corpus >"$out/fuzz.log" 2>&1
rc=$?
set -e

stats=$(grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$out/fuzz.log" | tr -s ' \n' ' ' || true)
cov=$(grep -oE "cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*" "$out/fuzz.log" | tail -n 1 || true)
artifacts=$(find "$out" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | tr '\n' ' ')
if [[ $rc -ne 0 || -n $artifacts ]] || grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:|round-trip mismatch" "$out/fuzz.log"; then
  tail -n 80 "$out/fuzz.log"
  echo "fuzz: FAILED (exit $rc) ${artifacts:+artifacts: $artifacts}"
  exit 1
fi
echo "fuzz: passed: $stats| $cov"
