#!/usr/bin/env bash
# Speed side by side: the transformer lab's training step (snapscope-cli bench --preset bench-lm, bench-lm-2l) against
# the same model in PyTorch (transformer_torch.py), float32 and float64, one thread each, alternating, several rounds;
# prints every measurement and the min/median of the ratios.
#   tests/reference/compare_transformer.sh [ROUNDS]
# Needs Debian's python3-torch and libopenblas0-serial (see compare.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-3}"
cli="$here/build/app/snapscope-cli"
py=/usr/bin/python3
[ -x "$cli" ] || { echo "compare_transformer.sh: build first (./snapscope.sh build)" >&2; exit 1; }
"$py" -c "import torch" 2>/dev/null || { echo "compare_transformer.sh: apt-get install python3-torch libopenblas0-serial" >&2; exit 1; }
cores=$(nproc)  # (before OMP_NUM_THREADS, which nproc honours)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for shape in bench-lm bench-lm-2l; do
  for dtype in float32 float64; do
    : >"$tmp/ratios"
    for r in $(seq 1 "$rounds"); do
      t=$("$py" "$here/tests/reference/transformer_torch.py" --config "$shape" --dtype "$dtype" --seconds 6 | sed -n 's/.*steps_per_second=\([0-9.e+-]*\).*/\1/p')
      ours=$("$cli" bench --preset "$shape" --set model.precision="$dtype" | awk 'NR==2 {print $NF}')
      ratio=$(echo "$ours / $t" | bc -l)
      printf '%-12s %-8s round %d: torch %8.3g steps/s   snapscope %8.3g steps/s   ratio %5.2fx\n' "$shape" "$dtype" "$r" "$t" "$ours" "$ratio"
      echo "$ratio" >>"$tmp/ratios"
    done
    sort -g "$tmp/ratios" | awk -v s="$shape" -v d="$dtype" '{a[NR]=$1} END {printf "%-12s %-8s ratio: min %.2fx, median %.2fx over %d rounds\n", s, d, a[1], a[int((NR+1)/2)], NR}'
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
