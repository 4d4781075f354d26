#!/usr/bin/env bash
# A real cluster test: a one-node Slurm cluster on 127.0.0.1 runs flowsim as a sharded job
# array plus a merge job chained with --dependency=afterok; the merged CSV files must equal a
# single-machine run byte for byte.
#
# Needs root (daemons, apt-get). Installs slurmctld, slurmd, slurm-client and munge from Debian
# if missing. Starts munged (unless one runs), slurmctld and slurmd by hand (no systemd), with
# their configuration, state and logs in a temporary folder (SLURM_CONF points there; /etc/slurm
# is not touched), and stops the daemons it started, by PID, on exit.
#
# Environment: SHARDS (default 8), REPS (replications per policy, default 160),
# KEEP=1 keeps the temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARDS=${SHARDS:-8}
REPS=${REPS:-160}
SEED=11
SCENARIO="$ROOT/scenarios/small-team.toml"
T0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '[slurm-test %6ss] %s\n' "$(since "$T0")" "$*"; }

if [ "$(id -u)" != 0 ]; then
    echo "slurm-test: needs root (to install packages and start daemons)" >&2
    exit 3
fi

WORK=$(mktemp -d /tmp/flowsim-slurm.XXXXXX)
chmod 755 "$WORK"
STARTED=() # "name:pid" of the daemons this script started

cleanup() {
    local rc=$?
    local i
    for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do # the reverse of the start order
        local entry=${STARTED[$i]}
        local name=${entry%%:*} pid=${entry##*:}
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
            say "stopped $name (pid $pid)"
        fi
    done
    if [ "$rc" = 0 ] && [ "${KEEP:-0}" != 1 ]; then
        rm -rf "$WORK"
    else
        echo "slurm-test: logs and outputs kept in $WORK" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT

# --- packages ---------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurmctld slurmd slurm-client munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

# --- munge: its own user, a 0400 key, /run/munge (no systemd creates it) -----------------
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
[ -f /etc/munge/munge.key ] || mungekey --create
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if [ -f /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null; then
    say "munged already runs (pid $(cat /run/munge/munged.pid)); using it"
else
    su -s /bin/sh munge -c /usr/sbin/munged
    for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
    STARTED+=("munged:$(cat /run/munge/munged.pid)")
    say "started munged (pid $(cat /run/munge/munged.pid))"
fi

# --- slurm.conf: one node on 127.0.0.1, no cgroups, no accounting ------------------------
HOST=$(hostname -s)
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/logs" /run/slurm
NODE=$(slurmd -C | head -n 1) # NodeName=HOST CPUs=.. Boards=.. ... RealMemory=MB
MEM=$(echo "$NODE" | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
NODE=$(echo "$NODE" | sed "s/RealMemory=[0-9]*/RealMemory=$((MEM * 9 / 10))/")
export SLURM_CONF="$WORK/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=flowsimtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,bf_interval=1
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/logs/slurmctld.log
SlurmdLogFile=$WORK/logs/slurmd.log
ReturnToService=2
$NODE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

# --- daemons: each daemonises and writes its pid file ------------------------------------
slurmctld -c # -c: start without saved state (a fresh state folder anyway)
for _ in $(seq 50); do [ -s "$WORK/slurmctld.pid" ] && break; sleep 0.1; done
STARTED+=("slurmctld:$(cat "$WORK/slurmctld.pid")")
slurmd
for _ in $(seq 50); do [ -s "$WORK/slurmd.pid" ] && break; sleep 0.1; done
STARTED+=("slurmd:$(cat "$WORK/slurmd.pid")")
say "started slurmctld (pid $(cat "$WORK/slurmctld.pid")) and slurmd (pid $(cat "$WORK/slurmd.pid"))"
for i in $(seq 300); do
    [ "$(sinfo -h -N -o %T 2>/dev/null | head -n 1)" = idle ] && break
    [ "$i" = 300 ] && { echo "slurm-test: the node never became idle" >&2; sinfo -N >&2 || true; exit 1; }
    sleep 0.1
done
say "node $HOST is idle"

# --- the binary ---------------------------------------------------------------------------
cargo build --release --locked --quiet
BIN="$ROOT/target/release/flowsim"

# --- a sharded job array and a merge job that waits for it --------------------------------
ARGS="run $SCENARIO --reps $REPS --seed $SEED --threads 1 --quiet --no-charts"
ARRAY=$(sbatch --parsable --job-name=flowsim-shards --array=0-$((SHARDS - 1)) \
    --output="$WORK/logs/%A_%a.log" --chdir="$WORK" \
    --wrap="$BIN $ARGS --out $WORK/shards --shard auto")
MERGE=$(sbatch --parsable --job-name=flowsim-merge --dependency=afterok:"$ARRAY" \
    --output="$WORK/logs/merge.log" --chdir="$WORK" \
    --wrap="$BIN merge $WORK/shards --out $WORK/merged --no-charts")
say "submitted array job $ARRAY ($SHARDS shards of $REPS replications) and merge job $MERGE"
T_SUBMIT=$(date +%s.%N)
for i in $(seq 3000); do # up to 10 minutes, every 0.2 s
    [ -z "$(squeue -h -j "$ARRAY,$MERGE" 2>/dev/null)" ] && break
    [ "$i" = 3000 ] && { echo "slurm-test: jobs still queued after 10 minutes" >&2; squeue >&2; exit 1; }
    sleep 0.2
done
say "jobs left the queue after $(since "$T_SUBMIT") s"
STATE=$(scontrol show job "$MERGE" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
if [ "$STATE" != COMPLETED ] || [ ! -f "$WORK/merged/summary.csv" ]; then
    echo "slurm-test: the merge job ended as ${STATE:-unknown}; its log:" >&2
    cat "$WORK/logs/merge.log" >&2 || true
    exit 1
fi
LOGS=$(find "$WORK/logs" -name "${ARRAY}_*.log" | wc -l)
say "merge job COMPLETED; $LOGS shard logs; $(tail -n 1 "$WORK/logs/merge.log")"

# --- the same run on one machine; the CSV files must be the same bytes --------------------
"$BIN" $ARGS --out "$WORK/single" >/dev/null
for f in summary.csv differences.csv replications.csv weekly.csv; do
    if ! cmp -s "$WORK/single/$f" "$WORK/merged/$f"; then
        echo "slurm-test: $f differs between the merged cluster run and a single run" >&2
        exit 1
    fi
done
say "merged result equals a single-machine run byte for byte (summary, differences, replications, weekly)"
echo "slurm-test: ok"
