#!/usr/bin/env bash
# Shared helpers for the project's bash scripts. Source it, don't run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
# Defines ROOT, DATA_DIR, LOG_DIR, RUN_DIR and small helpers (step/ok/warn/die,
# wait_for, free_port, load_stack_env, ...).

# Guard against double sourcing.
if [[ -n "${__SANDBOX_COMMON_SH:-}" ]]; then return 0; fi
__SANDBOX_COMMON_SH=1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
DATA_DIR="${DATA_DIR:-$ROOT/.data}"
mkdir -p "$DATA_DIR"
DATA_DIR="$(cd "$DATA_DIR" && pwd -P)"
LOG_DIR="$DATA_DIR/logs"
RUN_DIR="$DATA_DIR/run"
STACK_ENV="$DATA_DIR/stack.env"
mkdir -p "$LOG_DIR" "$RUN_DIR"
export ROOT DATA_DIR LOG_DIR RUN_DIR STACK_ENV

__STEP_T0=""
__STEP_OPEN=0

_now_ms() { date +%s%3N; }

# step "docker engine: starting dockerd"  -> prints "==> docker engine: starting dockerd ... "
step() {
  __STEP_T0="$(_now_ms)"
  __STEP_OPEN=1
  printf '==> %s ... ' "$*"
}

# ok [detail] -> finishes the current step line: "ok (1.2s)" or "ok: detail (1.2s)"
ok() {
  local dt=""
  if [[ -n "$__STEP_T0" ]]; then
    local ms=$(( $(_now_ms) - __STEP_T0 ))
    dt="$(printf '%d.%01ds' $((ms / 1000)) $(((ms % 1000) / 100)))"
  fi
  if [[ $# -gt 0 ]]; then printf 'ok: %s (%s)\n' "$*" "$dt"; else printf 'ok (%s)\n' "$dt"; fi
  __STEP_T0=""
  __STEP_OPEN=0
}

# info "msg" -> plain progress line (closes an open step line first).
info() {
  if [[ "$__STEP_OPEN" == 1 ]]; then printf '\n'; __STEP_OPEN=0; fi
  printf '==> %s\n' "$*"
}

warn() {
  if [[ "$__STEP_OPEN" == 1 ]]; then printf '\n'; __STEP_OPEN=0; fi
  printf 'warning: %s\n' "$*" >&2
}

die() {
  if [[ "$__STEP_OPEN" == 1 ]]; then printf 'FAILED\n'; __STEP_OPEN=0; fi
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# wait_for [-t SECONDS] [-i INTERVAL] CMD [ARGS...]
# Runs CMD (output discarded) until it succeeds or the timeout (default 30 s) passes.
# Returns 0 on success, 1 on timeout.
wait_for() {
  local timeout=30 interval=0.2
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -t) timeout="$2"; shift 2 ;;
      -i) interval="$2"; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  local deadline=$(( $(date +%s) + timeout ))
  while true; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if (( $(date +%s) >= deadline )); then return 1; fi
    sleep "$interval"
  done
}

# port_in_use PORT -> 0 if something listens on 127.0.0.1:PORT
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port [START] -> prints a TCP port free on 127.0.0.1 (ephemeral if START not given).
free_port() {
  local start="${1:-}"
  if [[ -n "$start" ]]; then
    local p="$start"
    while (( p < 65535 )); do
      if ! port_in_use "$p"; then echo "$p"; return 0; fi
      p=$((p + 1))
    done
    return 1
  fi
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
  else
    local p
    for _ in $(seq 1 50); do
      p=$(( 20000 + RANDOM % 40000 ))
      if ! port_in_use "$p"; then echo "$p"; return 0; fi
    done
    return 1
  fi
}

# random_hex N -> N random bytes as hex (2N chars).
random_hex() {
  local n="${1:-32}"
  if command -v openssl >/dev/null 2>&1; then
    openssl rand -hex "$n"
  else
    od -An -N"$n" -tx1 /dev/urandom | tr -d ' \n'
  fi
}

# is_root -> 0 when running as uid 0
is_root() { [[ "$(id -u)" == 0 ]]; }

# proc_running PID -> 0 if PID is a live process (a zombie waiting to be reaped counts as gone)
proc_running() {
  local pid="$1" state
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  state="$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ "$state" != Z && "$state" != X ]]
}

# pid_alive PIDFILE -> 0 if the pid recorded in PIDFILE is a live process
pid_alive() {
  local f="$1" pid
  [[ -s "$f" ]] || return 1
  pid="$(head -n1 "$f" | tr -dc '0-9')"
  proc_running "$pid"
}

# load_stack_env -> sources $DATA_DIR/stack.env (exporting every variable) if it exists.
load_stack_env() {
  if [[ -f "$STACK_ENV" ]]; then
    set -a
    # shellcheck disable=SC1090
    . "$STACK_ENV"
    set +a
  fi
}

# stack_env_get KEY -> prints KEY's value from stack.env (empty if absent), without sourcing it all.
stack_env_get() {
  [[ -f "$STACK_ENV" ]] || return 0
  # shellcheck disable=SC1090
  ( set +u; set -a; . "$STACK_ENV" >/dev/null 2>&1; eval "printf '%s' \"\${$1:-}\"" )
}

# find_pg_bin -> prints the PostgreSQL server bin dir (15 preferred, else the newest installed).
find_pg_bin() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] || continue
    if [[ "$d" == /usr/lib/postgresql/15/bin ]]; then echo "$d"; return 0; fi
  done
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; return 0; fi
  done
  return 1
}

# as_pg CMD... -> runs CMD as the PostgreSQL data-dir owner: `postgres` when we are root (initdb
# refuses root), else the current user.
as_pg() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}
