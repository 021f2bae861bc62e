# shellcheck shell=bash disable=SC2119,SC2034  # ok() without a detail is intended; env-file.sh reads what this sets
# Step: the Docker engine. Reuses one that answers `docker info`; otherwise installs docker.io (root on
# Debian) and starts dockerd (pid in $RUN_DIR/dockerd.pid, log in $LOG_DIR/dockerd.log).
# Sets: DOCKER_API_VERSION (exported) and DOCKER_API_VERSION_NEEDED, only when the client cannot
# negotiate with the engine by itself.

DOCKER_API_VERSION_NEEDED="${DOCKER_API_VERSION:-}"

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

# Makes the docker client talk to the engine; pins DOCKER_API_VERSION if the client is too new.
docker_connect() {
  if docker_answers; then return 0; fi
  # An old engine (docker.io 20.10 = API 1.41) may reject a newer client that does not negotiate.
  local v
  v="$(timeout 5 docker version --format '{{.Server.APIVersion}}' 2>/dev/null || true)"
  if [[ -z "$v" ]]; then
    v="$(curl -fsS --max-time 3 --unix-socket /var/run/docker.sock http://localhost/version 2>/dev/null \
      | sed -n 's/.*"ApiVersion":"\([0-9.]*\)".*/\1/p' || true)"
  fi
  if [[ -n "$v" ]] && DOCKER_API_VERSION="$v" docker_answers; then
    export DOCKER_API_VERSION="$v"
    DOCKER_API_VERSION_NEEDED="$v"
    return 0
  fi
  return 1
}

engine_up() {
  step "docker engine"
  if command -v docker >/dev/null 2>&1 && docker_connect; then
    ok "reusing running engine"
    return 0
  fi
  if [[ -n "${DOCKER_HOST:-}" ]]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer 'docker info'. Start that engine or unset DOCKER_HOST."
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    is_root || die "no Docker engine found. Install Docker (https://docs.docker.com/engine/install/) and start it, or run this script as root on Debian to install docker.io."
    printf 'installing docker.io ... '
    apt_install "Docker engine" docker.io
  fi
  if pid_alive "$RUN_DIR/dockerd.pid"; then
    printf 'waiting for our dockerd (pid %s) ... ' "$(cat "$RUN_DIR/dockerd.pid")"
  else
    is_root || die "dockerd is installed but not running, and only root can start it here. Start Docker (e.g. 'sudo systemctl start docker') and re-run."
    printf 'starting dockerd ... '
    nohup setsid dockerd </dev/null >>"$LOG_DIR/dockerd.log" 2>&1 &
    echo $! >"$RUN_DIR/dockerd.pid"
  fi
  wait_for -t 60 -i 0.25 docker_connect || die "dockerd did not answer within 60 s (see $LOG_DIR/dockerd.log)"
  docker_connect
  ok
}
