#!/usr/bin/env bash
# Speed side by side: snapscope-cli against PyTorch loops of the same training step, one thread each, in one run,
# alternating, several rounds; prints every measurement and the min/median of the ratios.
#   tests/reference/compare.sh [ROUNDS] [IMPLS]
# Needs Debian's python3-torch with an optimised BLAS (apt-get install python3-torch libopenblas0-serial: without
# it torch falls back to the reference BLAS and is several times slower, which would flatter snapscope).
# IMPLS: torch formulations to compare with (default "gather mixed onehot"; see official_torch.py).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-3}"
impls="${2:-gather mixed onehot}"
cli="$here/build/app/snapscope-cli"
py=/usr/bin/python3
[ -x "$cli" ] || { echo "compare.sh: build first (./snapscope.sh build)" >&2; exit 1; }
"$py" -c "import torch" 2>/dev/null || { echo "compare.sh: apt-get install python3-torch libopenblas0-serial" >&2; exit 1; }
cores=$(nproc)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "torch $("$py" -c "import torch; print(torch.__version__)"), one thread; libblas.so.3 -> $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo ?)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for shape in fig4 large; do
  seconds=$([ "$shape" = fig4 ] && echo 5 || echo 12)
  steps=$([ "$shape" = fig4 ] && echo 60000 || echo 2000)
  for impl in $impls; do
    [ "$impl" = onehot ] && [ "$shape" = large ] && s=30 || s=$seconds
    : >"$tmp/ratios"
    for r in $(seq 1 "$rounds"); do
      t=$("$py" "$here/tests/reference/official_torch.py" --config "$shape" --impl "$impl" --seconds "$s" | sed -n 's/.*steps_per_second=\([0-9.e+-]*\).*/\1/p')
      # snapscope-cli run: process start, training and writing the three files, timed whole.
      t0=$(date +%s.%N)
      "$cli" run --preset "$shape" --steps "$steps" -q --out "$tmp/out"
      t1=$(date +%s.%N)
      ours=$(echo "$steps / ($t1 - $t0)" | bc -l)
      ratio=$(echo "$ours / $t" | bc -l)
      printf '%-6s torch-%-7s round %d: torch %10.4g steps/s   snapscope-cli run %10.4g steps/s   ratio %8.1fx\n' "$shape" "$impl" "$r" "$t" "$ours" "$ratio"
      echo "$ratio" >>"$tmp/ratios"
    done
    sort -g "$tmp/ratios" | awk -v s="$shape" -v i="$impl" '{a[NR]=$1} END {printf "%-6s torch-%-7s ratio: min %.1fx, median %.1fx over %d rounds\n", s, i, a[1], a[int((NR+1)/2)], NR}'
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
