#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a time budget (default 60 s):
#   tests/fuzz/fuzz.sh [SECONDS]
# Inputs up to 256 KiB (deeply nested JSON needs long inputs); a single input may take at most 10 s (a hang is a
# failure). Crashes are written to build-fuzz/crashes/; turn each into a regression test before fixing it.
# `./snapscope.sh test` (and so CI) runs this with a short budget.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
budget="${1:-60}"
targets=(config jsonl session sweep tokenizer transformer)
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
CC=clang CXX=clang++ cmake -S "$here" -B "$here/build-fuzz" -DCMAKE_BUILD_TYPE=Release -DSNAPSCOPE_FUZZ=ON \
  -DSNAPSCOPE_SANITIZE=address -DSNAPSCOPE_BUILD_TESTS=OFF -DSNAPSCOPE_BUILD_BENCH=OFF >/dev/null
cmake --build "$here/build-fuzz" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
mkdir -p "$here/build-fuzz/crashes"
for t in "${targets[@]}"; do
  corpus="$here/build-fuzz/corpus-$t"
  mkdir -p "$corpus"
  cp -n "$here/tests/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
  echo "== fuzz_$t for ${budget}s"
  log="$here/build-fuzz/fuzz_$t.log"
  if ! ASAN_OPTIONS=detect_leaks=1 "$here/build-fuzz/tests/fuzz/fuzz_$t" -max_total_time="$budget" -max_len=262144 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$here/build-fuzz/crashes/$t-" "$corpus" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz.sh: fuzz_$t found a problem (crash, leak, timeout or memory); the input is in build-fuzz/crashes/" >&2
    exit 1
  fi
  grep -E "^stat::number_of_executed_units" "$log" || true
done
