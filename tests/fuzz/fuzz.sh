#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a time budget (default 60 s):
#   tests/fuzz/fuzz.sh [SECONDS]
# Crashes are written to build-fuzz/crashes/; turn each into a regression test before fixing it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
budget="${1:-60}"
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
CC=clang CXX=clang++ cmake -S "$here" -B "$here/build-fuzz" -DCMAKE_BUILD_TYPE=Release -DSNAPSCOPE_FUZZ=ON \
  -DSNAPSCOPE_SANITIZE=address -DSNAPSCOPE_BUILD_TESTS=OFF >/dev/null
cmake --build "$here/build-fuzz" -j"$(nproc)" --target fuzz_config fuzz_jsonl fuzz_session
mkdir -p "$here/build-fuzz/crashes"
for t in config jsonl session; do
  corpus="$here/build-fuzz/corpus-$t"
  mkdir -p "$corpus"
  cp -n "$here/tests/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
  echo "== fuzz_$t for ${budget}s"
  "$here/build-fuzz/tests/fuzz/fuzz_$t" -max_total_time="$budget" -artifact_prefix="$here/build-fuzz/crashes/$t-" "$corpus"
done
