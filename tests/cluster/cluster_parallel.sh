#!/usr/bin/env bash
# A real GNU parallel run of `snapscope-cli sweep --emit parallel` on this machine (issue 15): runs the emitted
# script for a small sweep (6 tiny runs in 3 shards) and checks the merged results.csv against a single-machine run
# of the same sweep byte for byte; then makes one shard fail, checks that the script reports it, and that running
# the script again reruns that shard alone (--resume-failed, read from the joblog) and completes the sweep.
#   usage: cluster_parallel.sh /path/to/snapscope-cli
# Exit status 77 (ctest's SKIP_RETURN_CODE) with a line saying why when GNU parallel is missing.
set -euo pipefail

skip() { echo "SKIP: cluster_parallel: $*"; exit 77; }
command -v parallel >/dev/null 2>&1 || skip "GNU parallel is missing (apt-get install parallel)"
parallel --version 2>/dev/null | head -n 1 | grep -q "GNU parallel" || skip "'parallel' is not GNU parallel (moreutils' has no --joblog)"
cli="$(readlink -f "${1:?usage: $0 /path/to/snapscope-cli}")"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/snapscope-parallel.XXXXXX")"
cleanup() {
  local status=$?
  if [ "$status" -eq 0 ] || [ -z "${SNAPSCOPE_KEEP_TMP:-}" ]; then rm -rf "$tmp"; else echo "kept $tmp" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() {
  echo "FAIL: cluster_parallel: $*" >&2
  for f in "$tmp"/sw/logs/*; do [ -f "$f" ] && { echo "---- $f" >&2; tail -n 15 "$f" >&2; }; done
  exit 1
}
# parallel keeps its own files under $HOME/.parallel: the test's, not the user's.
export HOME="$tmp/home"
mkdir -p "$HOME"
cd "$tmp"

args=(--preset fig6-sweep --grid data.num_last=1 --grid train.lr_z=1,2 --grid train.lr_y_over_z=1 --seeds 3 --set train.steps=5
      --grid 'description="it'\''s, quoted"')
"$cli" sweep "${args[@]}" -q --out one || fail "the single-machine sweep failed"
"$cli" sweep "${args[@]}" --emit parallel --shards 3 --out sw --script sweep.sh || fail "--emit parallel failed"

bash sweep.sh >run1.out 2>run1.err || fail "the script failed: $(cat run1.err)"
grep -q "merged 6 of 6 runs" run1.out || fail "no merge in: $(cat run1.out)"
cmp sw/merged/results.csv one/results.csv || fail "the merged results.csv differs from one machine's"
cmp sw/merged/summary.csv one/summary.csv || fail "the merged summary.csv differs from one machine's"
# The joblog: a header and one line per shard, each with exit status 0 (column 7).
[ "$(awk 'NR > 1 && $7 == 0' sw/logs/parallel.joblog | wc -l)" -eq 3 ] || fail "joblog: $(cat sw/logs/parallel.joblog)"
echo "parallel + merge: results.csv identical to the single-machine sweep"

# A second sweep whose shard 2 fails (its --out is a file), then is repaired: --resume-failed reruns it alone.
"$cli" sweep "${args[@]}" --emit parallel --shards 3 --out sw2 --script sweep2.sh || fail "--emit parallel failed"
mkdir -p sw2
echo "not a folder" >sw2/part-2
if bash sweep2.sh >run2.out 2>run2.err; then fail "the script succeeded with a failing shard"; fi
grep -q "1 shard(s) failed" run2.err || fail "the failure was not reported: $(cat run2.err)"
grep -q "not complete" run2.err || fail "no rerun advice: $(cat run2.err)"
[ -f sw2/part-1/results.csv ] && [ -f sw2/part-3/results.csv ] || fail "shards 1 and 3 did not run"
[ ! -e sw2/merged/results.csv ] || fail "an incomplete sweep was merged"
rm sw2/part-2
touch -d '2000-01-01' sw2/part-1/results.csv sw2/part-3/results.csv
bash sweep2.sh >run3.out 2>run3.err || fail "the second run failed: $(cat run3.err)"
# Shards 1 and 3 were not run again (their results.csv untouched), shard 2 was.
[ "$(stat -c %Y sw2/part-1/results.csv)" = "$(stat -c %Y sw2/part-3/results.csv)" ] && [ "$(date -d @"$(stat -c %Y sw2/part-1/results.csv)" +%Y)" = 2000 ] ||
  fail "shards 1 or 3 ran again"
[ "$(awk 'NR > 1 && $7 == 0' sw2/logs/parallel.joblog | wc -l)" -eq 3 ] || fail "joblog after the rerun: $(cat sw2/logs/parallel.joblog)"
cmp sw2/merged/results.csv one/results.csv || fail "after the rerun the merged results.csv differs"
# The rerun appended to shard 2's logs: the first attempt's error is still there, above the rerun's output.
grep -q "part-2" sw2/logs/shard-2.err || fail "shard 2's first error was overwritten by its rerun: $(cat sw2/logs/shard-2.err)"
grep -q "runs (0 were already done)" sw2/logs/shard-2.out || fail "shard 2's rerun wrote no output: $(cat sw2/logs/shard-2.out)"
echo "a failed shard, rerun alone by --resume-failed, completed the sweep"

# Results lost after their shard succeeded (a folder deleted): the joblog says done, so --resume-failed alone would
# never rerun it. The script says so, sets the joblog aside, and the next run reruns every shard (each resuming,
# so a complete one runs nothing again) and completes the sweep.
rm -rf sw2/part-3
if bash sweep2.sh >run4.out 2>run4.err; then fail "the script succeeded with a shard's results gone"; fi
grep -q "ran without an error but the sweep is not complete" run4.err || fail "no advice for lost results: $(cat run4.err)"
bash sweep2.sh >run5.out 2>run5.err || fail "the rerun after lost results failed: $(cat run5.err)"
grep -q "(2 were already done)" sw2/logs/shard-1.out || fail "shard 1 ran its runs again: $(cat sw2/logs/shard-1.out)"
cmp sw2/merged/results.csv one/results.csv || fail "after lost results the merged results.csv differs"
echo "a shard whose results were lost after it succeeded was rerun by the script and completed the sweep"
echo "PASS: cluster_parallel"
