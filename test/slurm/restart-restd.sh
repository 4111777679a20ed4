#!/usr/bin/env bash
# Stops and/or starts only slurmrestd of a test cluster, by its recorded PID (never by name):
# the tests use it to prove that job polling survives a slurmrestd restart.
# Usage: bash test/slurm/restart-restd.sh RUN_DIR [start|stop|restart] (default restart)
set -euo pipefail
RUN="${1:?usage: restart-restd.sh RUN_DIR [start|stop|restart]}"
ACTION="${2:-restart}"
PORT="$(cat "$RUN/restd.port")"
export SLURM_CONF="$RUN/etc/slurm.conf"

stop_restd() {
  [ -f "$RUN/restd.pid" ] || return 0
  local pid; pid="$(cat "$RUN/restd.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/restd.pid"
}

start_restd() {
  SLURM_JWT=daemon slurmrestd -u slurmrest -g slurmrest -a rest_auth/jwt -s openapi/v0.0.38 "127.0.0.1:$PORT" \
    >>"$RUN/log/slurmrestd.log" 2>&1 &
  echo "$!" > "$RUN/restd.pid"
  # A token just for the readiness check: scontrol mints it through slurmctld.
  local token; token="$(scontrol token username=root lifespan=60 | sed -n 's/^SLURM_JWT=//p')"
  local deadline=$(( $(date +%s) + 20 ))
  until curl -fsS -H "X-SLURM-USER-NAME: root" -H "X-SLURM-USER-TOKEN: $token" \
      "http://127.0.0.1:$PORT/slurm/v0.0.38/ping" 2>/dev/null | grep -q '"UP"'; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "restart-restd.sh: slurmrestd not ready after 20s; see $RUN/log/slurmrestd.log" >&2
      tail -n 20 "$RUN/log/slurmrestd.log" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
}

case "$ACTION" in
  stop) stop_restd ;;
  start) start_restd ;;
  restart) stop_restd; start_restd ;;
  *) echo "restart-restd.sh: unknown action $ACTION" >&2; exit 2 ;;
esac
