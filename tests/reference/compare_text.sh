#!/usr/bin/env bash
# Speed side by side on the paper's Fig 7 shape (issue 13): snapscope-cli bench --preset fig7 (the small transformer
# on a text, float32) against the same model's training step in PyTorch (transformer_torch.py --config fig7: d 200,
# MLP 200, 1 head, dropout 0.3, batch 20, window 35, SGD with clipping, the corpus's vocabulary), on the same thread
# count, alternating, several rounds (evaluation off on both sides: the PyTorch loop only trains); prints every measurement and the min/median of the ratios.
#   tests/reference/compare_text.sh [ROUNDS] [THREADS] [PRESET]
# Defaults: 3 rounds, every core, fig7 (fig7-3l: 3 layers). The corpus is the preset's (Debian's licence texts unless
# SNAPSCOPE_TEXT names another file or folder). Needs Debian's python3-torch and libopenblas0-serial.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-3}"
threads="${2:-$(nproc)}"
preset="${3:-fig7}"
cli="$here/build/app/snapscope-cli"
py=/usr/bin/python3
[ -x "$cli" ] || { echo "compare_text.sh: build first (./snapscope.sh build)" >&2; exit 1; }
"$py" -c "import torch" 2>/dev/null || { echo "compare_text.sh: apt-get install python3-torch libopenblas0-serial" >&2; exit 1; }
sets=()
[ -n "${SNAPSCOPE_TEXT:-}" ] && sets=(--set "data.path=$SNAPSCOPE_TEXT")
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The corpus's vocabulary, as the run builds it (one step is enough).
"$cli" run --preset "$preset" "${sets[@]}" --steps 1 --quiet --out "$tmp/v" >/dev/null
vocab=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['vocab'])" "$tmp/v/final.json")
cores=$(nproc)
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS="$threads"
echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $threads threads each; vocabulary $vocab; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$tmp/ratios"
for r in $(seq 1 "$rounds"); do
  t=$("$py" "$here/tests/reference/transformer_torch.py" --config "$preset" --vocab "$vocab" --threads "$threads" --seconds 8 |
      sed -n 's/.*steps_per_second=\([0-9.e+-]*\).*/\1/p')
  ours=$("$cli" bench --preset "$preset" "${sets[@]}" --set train.eval_every=1000000000 --threads "$threads" | awk 'NR==2 {print $NF}')
  ratio=$(echo "$ours / $t" | bc -l)
  printf '%-8s round %d: torch %8.3g steps/s   snapscope %8.3g steps/s   ratio %5.2fx\n' "$preset" "$r" "$t" "$ours" "$ratio"
  echo "$ratio" >>"$tmp/ratios"
done
sort -g "$tmp/ratios" | awk -v s="$preset" '{a[NR]=$1} END {printf "%-8s ratio (snapscope / torch): min %.2fx, median %.2fx over %d rounds\n", s, a[1], a[int((NR+1)/2)], NR}'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
