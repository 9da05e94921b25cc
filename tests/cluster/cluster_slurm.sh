#!/usr/bin/env bash
# A real Slurm run of `snapscope-cli sweep --emit slurm` (issue 15): starts a single-node Slurm cluster of its own
# (munged, slurmctld and slurmd as plain processes, with a configuration in a temporary folder; no systemd), submits
# the emitted array script for a small sweep (6 tiny runs in 3 shards), waits for the array and its merge job, and
# checks the merged results.csv against a single-machine run of the same sweep byte for byte. Then it removes one
# shard's folder, checks that `merge --status` and `merge` name it, reruns only that shard with the script and checks
# the result again. Everything it started is stopped on every exit (trap).
#   usage: cluster_slurm.sh /path/to/snapscope-cli
# Exit status 77 (ctest's SKIP_RETURN_CODE) with a line saying why when root or the packages are missing.
set -euo pipefail

skip() { echo "SKIP: cluster_slurm: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (the test's slurmd runs jobs as root)"
for p in munged slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
  command -v "$p" >/dev/null 2>&1 || skip "$p is missing (apt-get install slurm-wlm munge)"
done
cli="$(readlink -f "${1:?usage: $0 /path/to/snapscope-cli}")"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/snapscope-slurm.XXXXXX")"
chmod 755 "$tmp"
pids=()
export SLURM_CONF="$tmp/slurm.conf"
started=0
fail() {
  echo "FAIL: cluster_slurm: $*" >&2
  for f in "$tmp"/log/*.log "$tmp"/sw/logs/*; do
    [ -f "$f" ] || continue
    echo "---- $f (last lines)" >&2
    tail -n 15 "$f" >&2
  done
  exit 1
}
cleanup() {
  local status=$?
  set +e
  if [ "$started" -eq 1 ]; then
    scancel --quiet --full --user=root >/dev/null 2>&1   # (this cluster's jobs only: SLURM_CONF is the test's)
    for _ in $(seq 1 50); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  # Daemons in the reverse order of their start, by the pids this script recorded.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ "$status" -eq 0 ] || [ -z "${SNAPSCOPE_KEEP_TMP:-}" ]; then rm -rf "$tmp"; else echo "kept $tmp" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A TCP port nothing listens on.
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# ---- The sweep: 6 tiny runs; the reference is one machine's run of it. ----
jobs=$(( $(nproc) >= 2 ? 2 : 1 ))
args=(--preset fig6-sweep --grid data.num_last=1 --grid train.lr_z=1,2 --grid train.lr_y_over_z=1 --seeds 3 --set train.steps=5
      --grid 'description="it'\''s, quoted"')
cd "$tmp"
"$cli" sweep "${args[@]}" -q --out one || fail "the single-machine sweep failed"
"$cli" sweep "${args[@]}" --jobs "$jobs" --emit slurm --shards 3 --out sw --script sweep.slurm || fail "--emit slurm failed"
grep -q "^#SBATCH --array=1-3$" "$tmp/sweep.slurm" || fail "the script has no --array=1-3"
grep -q "^#SBATCH --cpus-per-task=$jobs$" "$tmp/sweep.slurm" || fail "the script has no --cpus-per-task=$jobs"

# ---- The cluster: munged, slurmctld, slurmd. ----
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/log"
chmod 700 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1 count=1024 2>/dev/null
chmod 400 "$tmp/munge/munge.key"
munged --foreground --force --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/munge.socket" \
  --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/munged.seed" >"$tmp/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do [ -S "$tmp/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$tmp/munge/munge.socket" ] || fail "munged did not start: $(cat "$tmp/log/munged.out")"

host="$(hostname -s)"
mem_mb=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)
ctld_port=$(free_port) || fail "no free port"
d_port=$(free_port) || fail "no free port"
cat >"$SLURM_CONF" <<CONF
# A single-node cluster for snapscope's test (tests/cluster/cluster_slurm.sh).
ClusterName=snapscopetest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/munge.socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
# No cgroups (a container may not delegate them): processes tracked by their parents, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D >"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D >"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
started=1
for _ in $(seq 1 150); do
  [ "$(sinfo -h -n "$host" -o %T 2>/dev/null)" = "idle" ] && break
  sleep 0.2
done
[ "$(sinfo -h -n "$host" -o %T 2>/dev/null)" = "idle" ] || fail "the node never became idle: $(sinfo 2>&1; tail -n 5 "$tmp"/log/*.out)"
echo "cluster up: $(sinfo -h -o '%P %a %D %T %N')"

# Waits until this cluster has no jobs (at most $1 seconds).
wait_jobs() {
  for _ in $(seq 1 $(( $1 * 5 ))); do
    [ -z "$(squeue -h)" ] && return 0
    sleep 0.2
  done
  fail "jobs still queued after $1 s: $(squeue)"
}
job_state() { scontrol show job "$1" | grep -o 'JobState=[A-Z_]*' | head -n 1; }

# ---- Submit the array and its merge, as a user would. ----
out=$(cd "$tmp" && bash "$tmp/sweep.slurm") || fail "submitting failed: $out"
echo "$out"
mid=$(printf '%s\n' "$out" | sed -n 's/.* and merge job \([0-9]*\) .*/\1/p')
[ -n "$mid" ] || fail "no merge job id in: $out"
squeue -h -o '%i %j %T %r' || true
wait_jobs 120
[ "$(job_state "$mid")" = "JobState=COMPLETED" ] || fail "the merge job ended $(job_state "$mid"): $(cat "$tmp/sw/logs/merge.err" 2>/dev/null)"
for i in 1 2 3; do [ -f "$tmp/sw/logs/shard-$i.out" ] && [ -f "$tmp/sw/logs/shard-$i.err" ] || fail "no log files of task $i"; done
grep -q "merged 6 of 6 runs" "$tmp/sw/logs/merge.out" || fail "merge log: $(cat "$tmp/sw/logs/merge.out")"
cmp "$tmp/sw/merged/results.csv" "$tmp/one/results.csv" || fail "the merged results.csv differs from one machine's"
cmp "$tmp/sw/merged/summary.csv" "$tmp/one/summary.csv" || fail "the merged summary.csv differs from one machine's"
echo "array + merge: results.csv identical to the single-machine sweep"

# ---- A shard lost entirely: named by --status and merge, rerun alone by the script. ----
rm -rf "$tmp/sw/part-2" "$tmp/sw/merged"
parts=("$tmp/sw/part-1" "$tmp/sw/part-2" "$tmp/sw/part-3")
status=$("$cli" merge --status "${parts[@]}") || fail "merge --status failed"
printf '%s\n' "$status" | grep -q "part-2: not started" || fail "--status: $status"
if "$cli" merge "${parts[@]}" --out "$tmp/sw/merged" 2>"$tmp/merge.err"; then fail "merge of an incomplete sweep succeeded"; fi
grep -q "shard 2/3" "$tmp/merge.err" || fail "merge did not name shard 2/3: $(cat "$tmp/merge.err")"
out=$(cd "$tmp" && bash "$tmp/sweep.slurm" 2) || fail "resubmitting shard 2 failed: $out"
echo "$out"
printf '%s\n' "$out" | grep -q "shards 2 of 3" || fail "the rerun did not submit shard 2 alone: $out"
mid=$(printf '%s\n' "$out" | sed -n 's/.* and merge job \([0-9]*\) .*/\1/p')
wait_jobs 120
[ "$(job_state "$mid")" = "JobState=COMPLETED" ] || fail "the second merge job ended $(job_state "$mid"): $(cat "$tmp/sw/logs/merge.err")"
cmp "$tmp/sw/merged/results.csv" "$tmp/one/results.csv" || fail "after the rerun the merged results.csv differs"
echo "rerun of shard 2 alone completed the sweep"
echo "PASS: cluster_slurm"
