#!/usr/bin/env bash
# shellcheck disable=SC2119  # ok() takes an optional detail; calling it bare is intended
# Stops what scripts/infra/up.sh started: Redis and PostgreSQL (data is kept under $DATA_DIR).
# With --all, also stops the Docker engine, but only if up.sh started it (pid file in $DATA_DIR/run).
# Containers, images, the docker network and firewall rules are left alone.
# Only processes whose pid we recorded are signalled.
# Usage: scripts/infra/down.sh [--all]
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

ALL=0
for arg in "$@"; do
  case "$arg" in
    --all) ALL=1 ;;
    -h|--help) awk 'NR>1 && !/^#/ {exit} NR>1 && !/shellcheck/ {sub(/^# ?/, ""); print}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument: $arg (try --help)" ;;
  esac
done

PGDATA_DIR="$DATA_DIR/postgres"

# wait_gone PID SECONDS -> 0 once the process is gone
wait_gone() {
  local pid="$1" t="$2"
  wait_for -t "$t" -i 0.1 eval "! proc_running $pid"
}

# stop_pid NAME PIDFILE EXPECTED_COMM SECONDS [PID]: SIGTERM the recorded pid (if it is still that
# program) and wait for it to exit.
stop_pid() {
  local name="$1" pidfile="$2" comm="$3" t="$4" pid="${5:-}"
  if [[ -z "$pid" && -f "$pidfile" ]]; then pid="$(head -n1 "$pidfile" | tr -dc '0-9')"; fi
  if [[ -z "$pid" ]] || ! proc_running "$pid"; then
    rm -f "$pidfile"; return 0
  fi
  if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$comm"* ]]; then
    warn "$name: pid $pid from $pidfile is not $comm any more; leaving it alone"
    rm -f "$pidfile"; return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" "$t"; then
    die "$name (pid $pid) did not stop within ${t}s"
  fi
  rm -f "$pidfile"
}

# --- Redis -----------------------------------------------------------------------------------
if pid_alive "$RUN_DIR/redis.pid"; then
  step "redis: stopping"
  REDIS_URL_LOCAL="$(stack_env_get REDIS_URL)"
  port="${REDIS_URL_LOCAL##*:}"; port="${port%%/*}"
  pid="$(tr -dc '0-9' <"$RUN_DIR/redis.pid")"
  # Prefer a clean SHUTDOWN (flushes the AOF) if the server on that port is the one we started.
  if [[ -n "$port" ]] && command -v redis-cli >/dev/null 2>&1 \
     && [[ "$(redis-cli -h 127.0.0.1 -p "$port" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')" == "$pid" ]]; then
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait_gone "$pid" 15 || true
  fi
  stop_pid redis "$RUN_DIR/redis.pid" redis-server 15 "$pid"
  ok
else
  rm -f "$RUN_DIR/redis.pid"
  info "redis: not running"
fi

# --- PostgreSQL ------------------------------------------------------------------------------
PGBIN="$(find_pg_bin || true)"
if [[ -n "$PGBIN" && -s "$PGDATA_DIR/PG_VERSION" ]] && as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
  step "postgres: stopping"
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >>"$LOG_DIR/postgres-setup.log" 2>&1 \
    || die "pg_ctl stop failed (see $LOG_DIR/postgres.log)"
  ok
else
  info "postgres: not running"
fi

# --- Docker engine (only with --all, only ours) -----------------------------------------------
if [[ "$ALL" == 1 ]]; then
  if pid_alive "$RUN_DIR/dockerd.pid"; then
    step "docker engine: stopping dockerd (pid $(tr -dc '0-9' <"$RUN_DIR/dockerd.pid"))"
    stop_pid dockerd "$RUN_DIR/dockerd.pid" dockerd 60
    ok
  else
    rm -f "$RUN_DIR/dockerd.pid"
    info "docker engine: not started by up.sh; leaving it alone"
  fi
fi
