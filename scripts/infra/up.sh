#!/usr/bin/env bash
# shellcheck disable=SC2119  # ok() takes an optional detail; calling it bare is intended
# Brings up the local infrastructure the services and tests need, all on loopback:
#   Docker engine, the `sandbox-net` bridge network (+ host firewall rules),
#   PostgreSQL (127.0.0.1:54329), Redis (127.0.0.1:63799), the sandbox base image,
#   and writes $DATA_DIR/stack.env (KEY=VALUE, mode 600) for the TS side and tests.
# Idempotent: a second run only checks and reuses what is already running.
# Usage: scripts/infra/up.sh [--with-nginx]
# See scripts/infra/README.md for the environment variables honoured.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

WITH_NGINX=0
for arg in "$@"; do
  case "$arg" in
    --with-nginx) WITH_NGINX=1 ;;
    -h|--help) awk 'NR>1 && !/^#/ {exit} NR>1 && !/shellcheck/ {sub(/^# ?/, ""); print}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument: $arg (try --help)" ;;
  esac
done

T_START="$(_now_ms)"

# Bump to force a rebuild of the sandbox base image when the recipe below changes.
IMAGE_RECIPE_VERSION=1
SANDBOX_IMAGE="${SANDBOX_IMAGE:-sandbox-base:local}"
SANDBOX_NETWORK="${SANDBOX_NETWORK:-sandbox-net}"
# Ports: env, else the ones a previous run used (so a custom port sticks), else the defaults.
url_port() { local p="${1##*@}"; p="${p#*://}"; p="${p%%/*}"; p="${p##*:}"; [[ "$p" =~ ^[0-9]+$ ]] && echo "$p"; }
PGDATA_DIR="$DATA_DIR/postgres"
PG_SOCKET_DIR="$RUN_DIR/pg"
PG_PASSWORD_FILE="$DATA_DIR/postgres.password"
REDIS_DIR="$DATA_DIR/redis"

# Values from a previous run (read key by key: never let an old stack.env masquerade as user env).
PREV_STACK_PG="$(stack_env_get STACK_PG)"
PREV_STACK_REDIS="$(stack_env_get STACK_REDIS)"
PREV_DATABASE_URL="$(stack_env_get DATABASE_URL)"
PREV_REDIS_URL="$(stack_env_get REDIS_URL)"
if [[ "$PREV_STACK_PG" == local ]]; then PREV_PG_PORT="$(url_port "$PREV_DATABASE_URL" || true)"; fi
if [[ "$PREV_STACK_REDIS" == local ]]; then PREV_REDIS_PORT="$(url_port "$PREV_REDIS_URL" || true)"; fi
PG_PORT="${PG_PORT:-${PREV_PG_PORT:-54329}}"
REDIS_PORT="${REDIS_PORT:-${PREV_REDIS_PORT:-63799}}"

# ---------------------------------------------------------------------------------------------
# apt helpers: `apt-get update` at most once per run; services are not auto-started by package
# postinst scripts (a temporary policy-rc.d is used when the machine has none).
# ---------------------------------------------------------------------------------------------
APT_UPDATED=0
POLICY_RC_CREATED=0
cleanup() {
  if [[ "$POLICY_RC_CREATED" == 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
  if [[ -n "${ROOTFS_TMP:-}" && -d "${ROOTFS_TMP:-}" ]]; then rm -rf "$ROOTFS_TMP"; fi
}
trap cleanup EXIT

is_debian() { [[ -f /etc/debian_version ]] && command -v apt-get >/dev/null 2>&1; }

# apt_install WHAT_FOR PKG... -> installs packages or dies with a hint.
apt_install() {
  local what="$1"; shift
  if ! is_root || ! is_debian; then
    die "$what is missing and cannot be installed automatically (need root on Debian/Ubuntu). Install: $*"
  fi
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=1
  fi
  if [[ "$APT_UPDATED" == 0 ]]; then
    apt-get update >>"$LOG_DIR/apt.log" 2>&1 || die "apt-get update failed (see $LOG_DIR/apt.log)"
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >>"$LOG_DIR/apt.log" 2>&1 \
    || die "apt-get install $* failed (see $LOG_DIR/apt.log)"
}

# ---------------------------------------------------------------------------------------------
# a. Docker engine
# ---------------------------------------------------------------------------------------------
DOCKER_API_VERSION_NEEDED=""

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

# Make the docker client talk to the engine; pins DOCKER_API_VERSION if the client is too new.
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

step "docker engine"
if [[ -n "${DOCKER_API_VERSION:-}" ]]; then DOCKER_API_VERSION_NEEDED="$DOCKER_API_VERSION"; fi
if command -v docker >/dev/null 2>&1 && docker_connect; then
  ok "reusing running engine"
elif [[ -n "${DOCKER_HOST:-}" ]]; then
  die "DOCKER_HOST=$DOCKER_HOST does not answer 'docker info'. Start that engine or unset DOCKER_HOST."
else
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
  if ! wait_for -t 60 -i 0.25 docker_connect; then
    die "dockerd did not answer within 60 s (see $LOG_DIR/dockerd.log)"
  fi
  docker_connect
  ok
fi

# ---------------------------------------------------------------------------------------------
# b. Sandbox network + host firewall
# ---------------------------------------------------------------------------------------------
step "network $SANDBOX_NETWORK"
# (`docker ... inspect -f` prints an empty line even when it fails: rely on the exit status only.)
if net_icc="$(docker network inspect -f '{{index .Options "com.docker.network.bridge.enable_icc"}}' "$SANDBOX_NETWORK" 2>/dev/null)"; then
  net_icc="${net_icc//[[:space:]]/}"
else
  net_icc=MISSING
fi
if [[ "$net_icc" != "MISSING" && "$net_icc" != "false" ]]; then
  attached="$(docker network inspect -f '{{len .Containers}}' "$SANDBOX_NETWORK")"
  if [[ "$attached" == 0 ]]; then
    docker network rm "$SANDBOX_NETWORK" >/dev/null
    net_icc=MISSING
  else
    warn "network $SANDBOX_NETWORK allows inter-container traffic (enable_icc!=false) and has $attached containers; remove it to let up.sh recreate it"
  fi
fi
if [[ "$net_icc" == "MISSING" ]]; then
  created=0
  # Preferred subnet first; fall back if it overlaps a network that already exists here.
  for subnet in ${SANDBOX_SUBNET:-172.30.0.0/16 172.31.0.0/16 10.213.0.0/16 192.168.213.0/24}; do
    if docker network create --driver bridge --subnet "$subnet" \
        --label sandbox.managed=true \
        -o com.docker.network.bridge.enable_icc=false \
        -o com.docker.network.bridge.name=sandbox0 \
        "$SANDBOX_NETWORK" >>"$LOG_DIR/docker-network.log" 2>&1; then
      created=1; break
    fi
  done
  [[ "$created" == 1 ]] || die "could not create docker network $SANDBOX_NETWORK (see $LOG_DIR/docker-network.log)"
fi
SANDBOX_SUBNET="$(docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' "$SANDBOX_NETWORK")"
ok "$SANDBOX_SUBNET, icc off"

# Host firewall. Host services bind 127.0.0.1 only, which containers cannot reach anyway; these
# rules additionally stop sandboxes from opening connections to ANY host address (the bridge
# gateway, the host's LAN address, ...):
#   INPUT -s SUBNET -> chain SANDBOX-INPUT:
#     -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT   (replies to host->container traffic)
#     -j DROP                                                (everything a sandbox initiates)
# Host -> container traffic (previews, exec via docker-proxy) leaves through OUTPUT, so it is
# unaffected, and its replies are ESTABLISHED. Container <-> container on the bridge is dropped by
# Docker itself (enable_icc=false, FORWARD chain). Docker's embedded DNS (127.0.0.11) lives in the
# container's own namespace and is not affected. Rules live in our own chain, so re-running just
# flushes and refills it (idempotent).
step "firewall (sandbox -> host)"
if ! is_root; then
  warn "not root: skipping iptables rules (sandboxes can still reach non-loopback host ports)"
elif ! command -v iptables >/dev/null 2>&1 || ! iptables -w -L INPUT -n >/dev/null 2>&1; then
  warn "iptables not available: skipping host firewall rules (sandboxes can still reach non-loopback host ports)"
else
  iptables -w -N SANDBOX-INPUT 2>/dev/null || true
  want="$(printf -- '-A SANDBOX-INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A SANDBOX-INPUT -j DROP')"
  have="$(iptables -w -S SANDBOX-INPUT | grep -v '^-N' || true)"
  if [[ "$have" != "$want" ]]; then
    iptables -w -F SANDBOX-INPUT
    iptables -w -A SANDBOX-INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
    iptables -w -A SANDBOX-INPUT -j DROP
  fi
  # Remove jumps for an old subnet (network recreated elsewhere), then ensure ours is first.
  while read -r old; do
    [[ -n "$old" ]] || continue
    # shellcheck disable=SC2086
    iptables -w ${old/-A INPUT/-D INPUT}
  done < <(iptables -w -S INPUT | grep -- '-j SANDBOX-INPUT' | grep -v -- "-s $SANDBOX_SUBNET " || true)
  if ! iptables -w -C INPUT -s "$SANDBOX_SUBNET" -j SANDBOX-INPUT 2>/dev/null; then
    iptables -w -I INPUT 1 -s "$SANDBOX_SUBNET" -j SANDBOX-INPUT
  fi
  # Egress to private, link-local and carrier-grade NAT ranges is dropped too: a sandbox must not
  # reach the LAN, other Docker networks or a cloud metadata endpoint (169.254.169.254, which hands
  # out the host's credentials). Docker jumps to DOCKER-USER first in FORWARD and leaves its rules alone.
  iptables -w -N SANDBOX-EGRESS 2>/dev/null || true
  iptables -w -F SANDBOX-EGRESS
  iptables -w -A SANDBOX-EGRESS -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
  for range in 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 169.254.0.0/16 100.64.0.0/10; do
    iptables -w -A SANDBOX-EGRESS -d "$range" -j DROP
  done
  iptables -w -N DOCKER-USER 2>/dev/null || true
  while read -r old; do
    [[ -n "$old" ]] || continue
    # shellcheck disable=SC2086
    iptables -w ${old/-A DOCKER-USER/-D DOCKER-USER}
  done < <(iptables -w -S DOCKER-USER | grep -- '-j SANDBOX-EGRESS' | grep -v -- "-s $SANDBOX_SUBNET " || true)
  if ! iptables -w -C DOCKER-USER -s "$SANDBOX_SUBNET" -j SANDBOX-EGRESS 2>/dev/null; then
    iptables -w -I DOCKER-USER 1 -s "$SANDBOX_SUBNET" -j SANDBOX-EGRESS
  fi
  ok "INPUT -s $SANDBOX_SUBNET -> SANDBOX-INPUT; DOCKER-USER -s $SANDBOX_SUBNET -> SANDBOX-EGRESS (private ranges, metadata)"
fi

# ---------------------------------------------------------------------------------------------
# c. PostgreSQL
# ---------------------------------------------------------------------------------------------
STACK_PG=local
if [[ -n "${DATABASE_URL:-}" && ! ( "$PREV_STACK_PG" == local && "$DATABASE_URL" == "$PREV_DATABASE_URL" ) ]]; then
  STACK_PG=external
  step "postgres (external DATABASE_URL)"
  if command -v pg_isready >/dev/null 2>&1; then
    wait_for -t 10 pg_isready -q -d "$DATABASE_URL" || die "DATABASE_URL does not answer pg_isready"
  else
    wait_for -t 10 psql "$DATABASE_URL" -Atqc 'select 1' || die "DATABASE_URL does not accept connections"
  fi
  if [[ -z "${TEST_DATABASE_URL:-}" ]]; then
    # Same server, database <name>_test; created if we are allowed to.
    base="${DATABASE_URL%%\?*}"; query=""
    [[ "$DATABASE_URL" == *\?* ]] && query="?${DATABASE_URL#*\?}"
    dbname="${base##*/}"
    TEST_DATABASE_URL="${base%/*}/${dbname}_test${query}"
    if ! psql "$TEST_DATABASE_URL" -Atqc 'select 1' >/dev/null 2>&1; then
      psql "$DATABASE_URL" -Atqc "CREATE DATABASE \"${dbname}_test\"" >>"$LOG_DIR/postgres-setup.log" 2>&1 \
        || warn "could not create ${dbname}_test on the external server; set TEST_DATABASE_URL"
    fi
  fi
  ok
else
  unset DATABASE_URL TEST_DATABASE_URL
  step "postgres 127.0.0.1:$PG_PORT"
  if ! PGBIN="$(find_pg_bin)"; then
    printf 'installing postgresql ... '
    apt_install "PostgreSQL" postgresql
    PGBIN="$(find_pg_bin)" || die "postgresql installed but initdb not found under /usr/lib/postgresql"
  fi
  if is_root; then
    getent passwd postgres >/dev/null || die "no 'postgres' system user to run PostgreSQL as (install the postgresql package)"
    # The postgres user must be able to traverse to the data dir.
    chmod a+x "$DATA_DIR"
    runuser -u postgres -- test -x "$DATA_DIR" \
      || die "user 'postgres' cannot traverse to $DATA_DIR: make its parent directories world-executable (chmod o+x) or set DATA_DIR elsewhere"
  fi
  mkdir -p "$PG_SOCKET_DIR"
  touch "$LOG_DIR/postgres.log"
  if is_root; then chown postgres: "$PG_SOCKET_DIR" "$LOG_DIR/postgres.log"; fi
  chmod 700 "$PG_SOCKET_DIR"

  if [[ -s "$PG_PASSWORD_FILE" ]]; then
    PG_PASSWORD="$(cat "$PG_PASSWORD_FILE")"
  else
    PG_PASSWORD="$(random_hex 16)"
    (umask 077; printf '%s\n' "$PG_PASSWORD" >"$PG_PASSWORD_FILE")
  fi

  if [[ ! -s "$PGDATA_DIR/PG_VERSION" ]]; then
    printf 'initdb ... '
    mkdir -p "$PGDATA_DIR"
    if is_root; then chown postgres: "$PGDATA_DIR"; fi
    chmod 700 "$PGDATA_DIR"
    # Unix socket: trust (the socket dir is private to the owner). TCP: password (scram).
    as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >>"$LOG_DIR/postgres-setup.log" 2>&1 \
      || as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --no-locale >>"$LOG_DIR/postgres-setup.log" 2>&1 \
      || die "initdb failed (see $LOG_DIR/postgres-setup.log)"
  fi

  if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
    if port_in_use "$PG_PORT"; then
      die "port $PG_PORT is taken by another process; set PG_PORT=<free port> or DATABASE_URL"
    fi
    printf 'starting ... '
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$LOG_DIR/postgres.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $PG_PORT -k $PG_SOCKET_DIR -c max_connections=200" start \
      >>"$LOG_DIR/postgres-setup.log" 2>&1 || die "pg_ctl start failed (see $LOG_DIR/postgres.log)"
  fi
  wait_for -t 30 "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" \
    || die "postgres on 127.0.0.1:$PG_PORT not ready (see $LOG_DIR/postgres.log)"

  # Role + databases (idempotent; one round trip when everything exists).
  psql_admin() { as_pg psql -X -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres -Atq "$@"; }
  have="$(psql_admin -c "select
      (select count(*) from pg_roles where rolname='sandbox')::text || ',' ||
      (select count(*) from pg_database where datname in ('sandbox','sandbox_test'))::text")"
  if [[ "$have" != "1,2" || ! -f "$PGDATA_DIR/.sandbox-password-set" \
        || "$(cat "$PGDATA_DIR/.sandbox-password-set" 2>/dev/null)" != "$(printf '%s' "$PG_PASSWORD" | sha256sum | cut -c1-16)" ]]; then
    psql_admin >>"$LOG_DIR/postgres-setup.log" 2>&1 <<SQL || die "creating role/databases failed (see $LOG_DIR/postgres-setup.log)"
SELECT 'CREATE ROLE sandbox LOGIN CREATEDB' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='sandbox')\gexec
ALTER ROLE sandbox WITH LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
SELECT 'CREATE DATABASE sandbox OWNER sandbox' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname='sandbox')\gexec
SELECT 'CREATE DATABASE sandbox_test OWNER sandbox' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname='sandbox_test')\gexec
SQL
    printf '%s' "$PG_PASSWORD" | sha256sum | cut -c1-16 >"$PGDATA_DIR/.sandbox-password-set"
  fi
  DATABASE_URL="postgresql://sandbox:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/sandbox"
  TEST_DATABASE_URL="postgresql://sandbox:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/sandbox_test"
  ok
fi

# ---------------------------------------------------------------------------------------------
# d. Redis
# ---------------------------------------------------------------------------------------------
STACK_REDIS=local
if [[ -n "${REDIS_URL:-}" && ! ( "$PREV_STACK_REDIS" == local && "$REDIS_URL" == "$PREV_REDIS_URL" ) ]]; then
  STACK_REDIS=external
  step "redis (external REDIS_URL)"
  if command -v redis-cli >/dev/null 2>&1; then
    [[ "$(timeout 5 redis-cli -u "$REDIS_URL" ping 2>/dev/null)" == PONG ]] || die "REDIS_URL does not answer PING"
  fi
  ok
else
  step "redis 127.0.0.1:$REDIS_PORT"
  if ! command -v redis-server >/dev/null 2>&1; then
    printf 'installing redis-server ... '
    apt_install "Redis" redis-server
  fi
  redis_ping() { [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }
  if pid_alive "$RUN_DIR/redis.pid" && redis_ping; then
    :
  else
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
fi

# ---------------------------------------------------------------------------------------------
# e. Secrets (kept across runs; env wins)
# ---------------------------------------------------------------------------------------------
if [[ -z "${INTERNAL_SERVICE_KEY:-}" ]]; then
  INTERNAL_SERVICE_KEY="$(stack_env_get INTERNAL_SERVICE_KEY)"
  [[ -n "$INTERNAL_SERVICE_KEY" ]] || INTERNAL_SERVICE_KEY="$(random_hex 32)"
fi
if [[ -z "${DEV_API_KEY:-}" ]]; then
  DEV_API_KEY="$(stack_env_get DEV_API_KEY)"
  [[ -n "$DEV_API_KEY" ]] || DEV_API_KEY="sk_dev_$(random_hex 24)"
fi

# ---------------------------------------------------------------------------------------------
# f. Sandbox base image (no registry: busybox-static + Node 24 + its libraries, `docker import`)
# ---------------------------------------------------------------------------------------------

# Prints the path of a real Node 24 ELF binary (project's node_modules first, then PATH).
find_node_binary() {
  local c real
  local candidates=("$ROOT/node_modules/node/bin/node")
  for c in "$ROOT"/node_modules/node/node_modules/node-*/bin/node "$ROOT"/node_modules/node-*/bin/node; do
    [[ -e "$c" ]] && candidates+=("$c")
  done
  c="$(command -v node 2>/dev/null || true)"; [[ -n "$c" ]] && candidates+=("$c")
  for c in "${candidates[@]}"; do
    [[ -e "$c" ]] || continue
    real="$(readlink -f "$c")"
    [[ -f "$real" && "$(head -c4 "$real" 2>/dev/null | od -An -c | tr -d ' ')" == '177ELF' ]] || continue
    if [[ "$("$real" --version 2>/dev/null)" == v24.* ]]; then echo "$real"; return 0; fi
  done
  return 1
}

build_base_image() {
  local node_bin="$1" node_ver="$2" tag="$3"
  if [[ ! -x /bin/busybox ]] || ! /bin/busybox --list >/dev/null 2>&1 || ldd /bin/busybox >/dev/null 2>&1; then
    # Need the *static* busybox (the rootfs has no libc for a dynamic one besides Node's).
    if ! dpkg -s busybox-static >/dev/null 2>&1; then
      printf 'installing busybox-static ... '
      apt_install "busybox-static" busybox-static
    fi
  fi
  local busybox=/bin/busybox
  ROOTFS_TMP="$(mktemp -d "$DATA_DIR/rootfs.XXXXXX")"
  local r="$ROOTFS_TMP/rootfs"
  mkdir -p "$r"/{bin,sbin,usr/bin,usr/local/bin,etc,tmp,workspace,root,proc,sys,dev,run,var/tmp}
  chmod 1777 "$r/tmp" "$r/var/tmp"
  chmod 700 "$r/root"
  cp "$busybox" "$r/bin/busybox"
  local applet
  while read -r applet; do
    [[ -n "$applet" && "$applet" != busybox ]] || continue
    ln -sf busybox "$r/bin/$applet"
  done < <("$busybox" --list)
  ln -sf ../../bin/busybox "$r/usr/bin/env"    # for `#!/usr/bin/env ...` scripts

  cp "$node_bin" "$r/usr/local/bin/node"
  chmod 755 "$r/usr/local/bin/node"
  # Libraries Node links against, at the same paths (including the dynamic loader).
  local lib
  while read -r lib; do
    [[ -n "$lib" && -e "$lib" ]] || continue
    mkdir -p "$r$(dirname "$lib")"
    cp -L "$lib" "$r$lib"
  done < <(ldd "$node_bin" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}')

  cat >"$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
sandbox:x:1000:1000:sandbox:/workspace:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
  cat >"$r/etc/group" <<'G'
root:x:0:
sandbox:x:1000:
nogroup:x:65534:
G
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
  chmod 644 "$r/etc/passwd" "$r/etc/group" "$r/etc/hosts"

  # Busybox `sleep infinity` is supported by recent busybox; fall back to a huge number otherwise.
  local cmd='["sleep","infinity"]' spid
  "$busybox" sleep infinity </dev/null >/dev/null 2>&1 &
  spid=$!
  sleep 0.2
  if kill -0 "$spid" 2>/dev/null; then
    kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true
  else
    cmd='["sleep","2147483647"]'
  fi

  # /workspace belongs to the sandbox user (numeric ids are kept in the archive).
  chown 1000:1000 "$r/workspace"
  chmod 755 "$r/workspace"
  tar --numeric-owner -C "$r" -c . 2>>"$LOG_DIR/image-build.log" \
    | docker import \
        --change 'USER 1000:1000' \
        --change 'WORKDIR /workspace' \
        --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
        --change 'ENV HOME=/workspace' \
        --change "CMD $cmd" \
        --change "LABEL sandbox.base=1 sandbox.recipe=$IMAGE_RECIPE_VERSION sandbox.node=$node_ver" \
        - "$tag" >>"$LOG_DIR/image-build.log" 2>&1 \
    || die "docker import failed (see $LOG_DIR/image-build.log)"
  rm -rf "$ROOTFS_TMP"; ROOTFS_TMP=""
}

verify_base_image() {
  local tag="$1" node_ver="$2" out
  out="$(docker run --rm --init --network none --user 1000:1000 "$tag" \
    node -e "require('http');console.log(process.version, require('os').userInfo().username)" 2>&1)" \
    || { echo "$out" >>"$LOG_DIR/image-build.log"; return 1; }
  [[ "$out" == "$node_ver sandbox" ]] || { echo "unexpected: $out" >>"$LOG_DIR/image-build.log"; return 1; }
  out="$(docker run --rm --init --network none --user 1000:1000 "$tag" sh -c 'ls / && sleep 0.1 && id -u && pwd && touch /workspace/x /tmp/y' 2>&1)" \
    || { echo "$out" >>"$LOG_DIR/image-build.log"; return 1; }
  if ! grep -qx 1000 <<<"$out" || ! grep -qx /workspace <<<"$out"; then
    echo "unexpected: $out" >>"$LOG_DIR/image-build.log"; return 1
  fi
  # The default CMD must keep the container alive.
  local cid
  cid="$(docker run -d --init --network none "$tag")"
  sleep 0.5
  local running
  running="$(docker inspect -f '{{.State.Running}}' "$cid" 2>/dev/null || echo false)"
  docker rm -f "$cid" >/dev/null 2>&1 || true
  [[ "$running" == true ]] || { echo "default CMD exited" >>"$LOG_DIR/image-build.log"; return 1; }
}

step "image $SANDBOX_IMAGE"
NODE_BIN="$(find_node_binary)" || die "no Node 24 binary found (run 'npm install' first: the 'node' devDependency provides it)"
NODE_VER="$("$NODE_BIN" --version)"
labels="$(docker image inspect -f '{{index .Config.Labels "sandbox.recipe"}}/{{index .Config.Labels "sandbox.node"}}' "$SANDBOX_IMAGE" 2>/dev/null)" || labels=""
if [[ "$labels" == "$IMAGE_RECIPE_VERSION/$NODE_VER" ]]; then
  ok "present (node $NODE_VER)"
else
  printf 'building ... '
  build_base_image "$NODE_BIN" "$NODE_VER" "$SANDBOX_IMAGE"
  printf 'verifying ... '
  if ! verify_base_image "$SANDBOX_IMAGE" "$NODE_VER"; then
    docker image rm -f "$SANDBOX_IMAGE" >/dev/null 2>&1 || true
    die "image $SANDBOX_IMAGE failed verification (see $LOG_DIR/image-build.log)"
  fi
  docker image prune -f --filter label=sandbox.base=1 >/dev/null 2>&1 || true
  ok "built (node $NODE_VER)"
fi

# ---------------------------------------------------------------------------------------------
# g. Optional: nginx (benchmarks only; installed, not started)
# ---------------------------------------------------------------------------------------------
if [[ "$WITH_NGINX" == 1 ]]; then
  step "nginx"
  if command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; then
    ok "installed"
  else
    apt_install "nginx" nginx-light
    ok "installed nginx-light (not started)"
  fi
fi

# ---------------------------------------------------------------------------------------------
# Write stack.env
# ---------------------------------------------------------------------------------------------
env_line() {
  local k="$1" v="$2"
  if [[ "$v" =~ ^[A-Za-z0-9_./:@%+,=~-]*$ ]]; then
    printf '%s=%s\n' "$k" "$v"
  else
    printf "%s='%s'\n" "$k" "${v//\'/\'\\\'\'}"
  fi
}
tmp_env="$(mktemp "$DATA_DIR/.stack.env.XXXXXX")"
chmod 600 "$tmp_env"
{
  echo "# Generated by scripts/infra/up.sh. Source with: set -a; . $STACK_ENV; set +a"
  env_line DATA_DIR "$DATA_DIR"
  if [[ -n "${DOCKER_HOST:-}" ]]; then env_line DOCKER_HOST "$DOCKER_HOST"; fi
  if [[ -n "$DOCKER_API_VERSION_NEEDED" ]]; then env_line DOCKER_API_VERSION "$DOCKER_API_VERSION_NEEDED"; fi
  env_line SANDBOX_IMAGE "$SANDBOX_IMAGE"
  env_line SANDBOX_NETWORK "$SANDBOX_NETWORK"
  env_line SANDBOX_SUBNET "$SANDBOX_SUBNET"
  env_line DATABASE_URL "$DATABASE_URL"
  env_line TEST_DATABASE_URL "$TEST_DATABASE_URL"
  env_line REDIS_URL "$REDIS_URL"
  env_line INTERNAL_SERVICE_KEY "$INTERNAL_SERVICE_KEY"
  env_line DEV_API_KEY "$DEV_API_KEY"
  env_line STACK_PG "$STACK_PG"
  env_line STACK_REDIS "$STACK_REDIS"
} >"$tmp_env"
if [[ -f "$STACK_ENV" ]] && cmp -s "$tmp_env" "$STACK_ENV"; then
  rm -f "$tmp_env"
else
  mv -f "$tmp_env" "$STACK_ENV"
fi
chmod 600 "$STACK_ENV"

ms=$(( $(_now_ms) - T_START ))
printf '==> stack up in %d.%01ds: docker(%s) net=%s pg=%s redis=%s image=%s -> %s\n' \
  $((ms / 1000)) $(((ms % 1000) / 100)) \
  "${DOCKER_HOST:-local}" "$SANDBOX_NETWORK" "${DATABASE_URL##*@}" "${REDIS_URL#redis://}" "$SANDBOX_IMAGE" "$STACK_ENV"
