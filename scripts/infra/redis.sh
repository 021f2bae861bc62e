# shellcheck shell=bash disable=SC2119,SC2034  # ok() without a detail is intended; env-file.sh reads what this sets
# Step: Redis. With a REDIS_URL in the environment (one a previous run did not write), that server is
# used. Otherwise a local redis-server on 127.0.0.1:$REDIS_PORT (default 63799, a custom port sticks
# across runs), AOF on (appendfsync everysec), no RDB snapshots, data in $DATA_DIR/redis.
# Sets: REDIS_URL, STACK_REDIS (local | external).

REDIS_DIR="$DATA_DIR/redis"

redis_ping() { [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

redis_up() {
  if uses_external_server STACK_REDIS REDIS_URL REDIS_PORT 63799; then
    STACK_REDIS=external
    step "redis (external REDIS_URL)"
    if command -v redis-cli >/dev/null 2>&1; then
      [[ "$(timeout 5 redis-cli -u "$REDIS_URL" ping 2>/dev/null)" == PONG ]] || die "REDIS_URL does not answer PING"
    fi
    ok
    return 0
  fi

  STACK_REDIS=local
  step "redis 127.0.0.1:$REDIS_PORT"
  if ! command -v redis-server >/dev/null 2>&1; then
    printf 'installing redis-server ... '
    apt_install "Redis" redis-server
  fi
  if ! { pid_alive "$RUN_DIR/redis.pid" && redis_ping; }; then
    if port_in_use "$REDIS_PORT"; then
      die "port $REDIS_PORT is taken by a process we did not start; set REDIS_PORT=<free port> or REDIS_URL"
    fi
    mkdir -p "$REDIS_DIR"
    printf 'starting ... '
    # (stdout/stderr catch errors printed before redis daemonizes and opens its own log)
    # shellcheck disable=SC2094
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
      --dir "$REDIS_DIR" --appendonly yes --appendfsync everysec --save "" \
      --pidfile "$RUN_DIR/redis.pid" --logfile "$LOG_DIR/redis.log" >>"$LOG_DIR/redis.log" 2>&1 \
      || die "redis-server failed to start (see $LOG_DIR/redis.log)"
    wait_for -t 30 redis_ping || die "redis did not answer PING within 30 s (see $LOG_DIR/redis.log)"
  fi
  REDIS_URL="redis://127.0.0.1:${REDIS_PORT}"
  ok
}
