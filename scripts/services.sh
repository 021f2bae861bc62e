#!/usr/bin/env bash
# Starts or stops the three services from dist/, with pid files and logs under the data dir.
#   scripts/services.sh start | stop | status
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

SERVICES=(container-manager worker-service api-gateway)
declare -A PORTS=([api-gateway]=4000 [worker-service]=4001 [container-manager]=4002)

stop_service() {
  local name="$1" pidfile="$RUN_DIR/$1.pid" pid
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if pid_alive "$pidfile" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "dist/apps/$name/"; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_for -t 20 bash -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

start_service() {
  local name="$1" port="${PORTS[$1]}"
  if port_in_use "$port"; then die "port $port (for $name) is taken by another process; stop it or set its PORT"; fi
  (
    cd "$ROOT"
    PORT="$port" nohup node --enable-source-maps "dist/apps/$name/src/main.js" >>"$LOG_DIR/$name.log" 2>&1 &
    echo $! >"$RUN_DIR/$name.pid"
  )
}

healthy() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/health"; }

case "${1:-}" in
  start)
    load_stack_env
    export PREVIEW_DOMAIN="${PREVIEW_DOMAIN:-preview.localhost}"
    # Browser apps on any local port may call the gateway (docs/frontend.md); CORS_ORIGINS= turns it off.
    export CORS_ORIGINS="${CORS_ORIGINS-http://localhost:*,http://127.0.0.1:*}"
    # One ready sandbox of the default template, so a new session answers its first command at once
    # (docs/sandboxes.md, warm pool); WARM_POOL_SIZE=0 turns it off.
    export WARM_POOL_SIZE="${WARM_POOL_SIZE-1}" WARM_POOL_TEMPLATES="${WARM_POOL_TEMPLATES-dev}"
    for name in "${SERVICES[@]}"; do stop_service "$name"; done
    for name in "${SERVICES[@]}"; do
      step "service $name: starting on 127.0.0.1:${PORTS[$name]}"
      start_service "$name"
      wait_for -t 60 healthy "${PORTS[$name]}" || die "$name did not become healthy; last log lines:
$(tail -n 20 "$LOG_DIR/$name.log")"
      ok
    done
    ;;
  stop)
    for name in "${SERVICES[@]}"; do stop_service "$name"; done
    ;;
  status)
    for name in "${SERVICES[@]}"; do
      if healthy "${PORTS[$name]}"; then echo "$name: healthy"; else echo "$name: down"; fi
    done
    ;;
  *) die "usage: scripts/services.sh start|stop|status" ;;
esac
