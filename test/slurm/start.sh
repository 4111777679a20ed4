#!/usr/bin/env bash
# Starts a real single-node Slurm 22.05 with slurmrestd (JWT auth) for the job tests, following
# ../shared/notes/slurm.md. All state lives under one run directory so stop.sh and a second run
# never touch anything else. Prints SLURM_URL=... and writes $RUN/env for the tests.
# Usage: bash test/slurm/start.sh [RUN_DIR] (default /tmp/mcpo-slurm); env SLURM_REST_PORT (default 6820).
set -euo pipefail
RUN="${1:-/tmp/mcpo-slurm}"
PORT="${SLURM_REST_PORT:-6820}"
HOST="$(hostname -s)"

if [ "$(id -u)" != 0 ]; then echo "start.sh: must run as root (slurmctld/slurmd/munged)" >&2; exit 1; fi

# Packages: apt starts no daemons here (policy-rc.d); this script does.
if ! dpkg -s slurmctld slurmd slurm-client slurmrestd slurm-wlm-jwt-plugin munge >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client slurmrestd slurm-wlm-jwt-plugin munge curl >/dev/null
fi
# slurmrestd refuses to run as root: it drops to this system user.
id slurmrest >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin slurmrest

if [ -f "$RUN/pids" ]; then
  echo "start.sh: $RUN/pids exists: a cluster may already run there; run stop.sh $RUN first" >&2
  exit 1
fi
mkdir -p "$RUN"/{etc,state,spool,log,munge,jobs,dev}
chmod 755 "$RUN" "$RUN/munge"   # munge's socket directory must be world-readable (0755)
chmod 1777 "$RUN/jobs"          # job working dirs for tests, writable by any submitting user
: > "$RUN/pids"

# Keys: a private munge key and the JWT HS256 key the tests mint tokens from.
[ -f "$RUN/etc/munge.key" ] || { head -c 1024 /dev/urandom > "$RUN/etc/munge.key"; }
chmod 0400 "$RUN/etc/munge.key"
[ -f "$RUN/etc/jwt_hs256.key" ] || { head -c 32 /dev/urandom > "$RUN/etc/jwt_hs256.key"; }
chmod 0600 "$RUN/etc/jwt_hs256.key"

# Topology as slurmd sees it (CPUs, Boards, Sockets, Cores, Threads), memory with 1 GiB headroom.
TOPO="$(slurmd -C | head -1 | tr ' ' '\n' | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=' | tr '\n' ' ')"
MEM_MIB=$(( $(awk '/^MemAvailable:/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
[ "$MEM_MIB" -gt 256 ] || MEM_MIB=256

# Four fake GPUs backed by empty files (../shared/notes/slurm.md, "GPUs on a cluster that has
# none"): the scheduler then accepts, allocates and refuses GPU requests as a GPU cluster would.
GPUS="${SLURM_FAKE_GPUS:-4}"
for i in $(seq 0 $((GPUS - 1))); do : > "$RUN/dev/gpu$i"; done
cat > "$RUN/etc/gres.conf" <<GRES
AutoDetect=off
NodeName=${HOST} Name=gpu File=$RUN/dev/gpu[0-$((GPUS - 1))]
GRES

cat > "$RUN/etc/slurm.conf" <<CONF
ClusterName=localtest
SlurmctldHost=${HOST}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$RUN/munge/munge.socket
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$RUN/etc/jwt_hs256.key
StateSaveLocation=$RUN/state
SlurmdSpoolDir=$RUN/spool
SlurmctldPidFile=$RUN/state/slurmctld.pidfile
SlurmdPidFile=$RUN/spool/slurmd.pidfile
SlurmctldLogFile=$RUN/log/slurmctld.log
SlurmdLogFile=$RUN/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,bf_interval=1
EnforcePartLimits=ALL
JobRequeue=0
ReturnToService=2
MinJobAge=3600
KillWait=5
GresTypes=gpu
NodeName=${HOST} NodeAddr=127.0.0.1 ${TOPO} RealMemory=${MEM_MIB} Gres=gpu:${GPUS} State=UNKNOWN
PartitionName=debug Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=${HOST} Default=NO MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$RUN/etc/slurm.conf"

# Polls a command until it succeeds; fails the start with the log to read after $2 seconds.
wait_for() { # wait_for <description> <timeout s> <log> <command...>
  local what="$1" timeout="$2" log="$3"; shift 3
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "start.sh: $what not ready after ${timeout}s; see $log" >&2
      tail -n 20 "$log" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
}

# 1. munged
munged -F --socket="$RUN/munge/munge.socket" --key-file="$RUN/etc/munge.key" \
  --pid-file="$RUN/munge/munged.pid" --log-file="$RUN/log/munged.log" --seed-file="$RUN/munge/munge.seed" \
  >>"$RUN/log/munged.out" 2>&1 &
echo "munged $!" >> "$RUN/pids"
munge_ok() { munge -S "$RUN/munge/munge.socket" -n | unmunge -S "$RUN/munge/munge.socket"; }
wait_for munged 15 "$RUN/log/munged.log" munge_ok

# 2. slurmctld (-i: ignore stale state from an earlier run in the same directory)
slurmctld -D -i >>"$RUN/log/slurmctld.out" 2>&1 &
echo "slurmctld $!" >> "$RUN/pids"
ctld_up() { scontrol ping | grep -q UP; }
wait_for slurmctld 30 "$RUN/log/slurmctld.log" ctld_up

# 3. slurmd
slurmd -D >>"$RUN/log/slurmd.out" 2>&1 &
echo "slurmd $!" >> "$RUN/pids"
node_idle() { sinfo -h -o %T | grep -q idle; }
wait_for slurmd 30 "$RUN/log/slurmd.log" node_idle

# 4. slurmrestd (its own script so restart-restd.sh starts it the same way)
echo "$PORT" > "$RUN/restd.port"
bash "$(dirname "$0")/restart-restd.sh" "$RUN" start

URL="http://127.0.0.1:$PORT"
cat > "$RUN/env" <<ENV
SLURM_URL=$URL
SLURM_CONF=$RUN/etc/slurm.conf
MCPO_SLURM_JWT_KEY=$RUN/etc/jwt_hs256.key
SLURM_RUN_DIR=$RUN
SLURM_FAKE_GPUS=$GPUS
ENV
echo "SLURM_URL=$URL"
