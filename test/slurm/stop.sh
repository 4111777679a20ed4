#!/usr/bin/env bash
# Stops the test cluster started by start.sh: cancels every job first (a job's slurmstepd
# outlives slurmd), then SIGTERMs the recorded PIDs in reverse start order, SIGKILL after 10 s.
# Never kills by name. Usage: bash test/slurm/stop.sh [RUN_DIR] (default /tmp/mcpo-slurm)
set -uo pipefail
RUN="${1:-/tmp/mcpo-slurm}"
export SLURM_CONF="$RUN/etc/slurm.conf"
if [ ! -f "$RUN/pids" ]; then echo "stop.sh: nothing recorded in $RUN/pids; not running"; exit 0; fi

if [ -f "$SLURM_CONF" ] && scontrol ping 2>/dev/null | grep -q UP; then
  scancel --full --quiet --user=root 2>/dev/null || true
  for u in $(squeue -h -o %u 2>/dev/null | sort -u); do scancel --full --quiet --user="$u" 2>/dev/null || true; done
  # Let the jobs' steps end before their daemons go.
  for _ in $(seq 1 50); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.1; done
fi

stop_pid() { # stop_pid <name> <pid>
  local name="$1" pid="$2"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "stop.sh: $name ($pid) ignored SIGTERM for 10s; SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

[ -f "$RUN/restd.pid" ] && stop_pid slurmrestd "$(cat "$RUN/restd.pid")" && rm -f "$RUN/restd.pid"
tac "$RUN/pids" | while read -r name pid; do stop_pid "$name" "$pid"; done
rm -f "$RUN/pids" "$RUN/env"  # tests read env to decide whether Slurm is up
echo "stopped Slurm in $RUN"
