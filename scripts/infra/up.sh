#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Brings up the local infrastructure the services and tests need, all on loopback:
#   Docker engine, the `sandbox-net` bridge network (+ host firewall rules), git and bubblewrap,
#   PostgreSQL (127.0.0.1:54329), Redis (127.0.0.1:63799), the sandbox images, the sandbox agent,
#   Chromium (browser tests),
#   and writes $DATA_DIR/stack.env (KEY=VALUE, mode 600) for the TS side and tests.
# Idempotent: a second run only checks and reuses what is already running.
# Usage: scripts/infra/up.sh [--with-nginx]
# Each step lives in its own file next to this one; see scripts/infra/README.md for the environment
# variables honoured.
set -euo pipefail

INFRA="$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=../lib/common.sh
source "$INFRA/../lib/common.sh"

WITH_NGINX=0
for arg in "$@"; do
  case "$arg" in
    --with-nginx) WITH_NGINX=1 ;;
    -h|--help) awk 'NR>1 && !/^#/ {exit} NR>1 && !/shellcheck/ {sub(/^# ?/, ""); print}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument: $arg (try --help)" ;;
  esac
done

T_START="$(_now_ms)"
SANDBOX_IMAGE="${SANDBOX_IMAGE:-sandbox-base:local}"
SANDBOX_DEV_IMAGE="${SANDBOX_DEV_IMAGE:-sandbox-dev:local}"
SANDBOX_NETWORK="${SANDBOX_NETWORK:-sandbox-net}"

# shellcheck source=lib.sh
source "$INFRA/lib.sh"
# shellcheck source=engine.sh
source "$INFRA/engine.sh"
# shellcheck source=git.sh
source "$INFRA/git.sh"
# shellcheck source=network.sh
source "$INFRA/network.sh"
# shellcheck source=firewall.sh
source "$INFRA/firewall.sh"
# shellcheck source=postgres.sh
source "$INFRA/postgres.sh"
# shellcheck source=redis.sh
source "$INFRA/redis.sh"
# shellcheck source=images.sh
source "$INFRA/images.sh"
# shellcheck source=agent.sh
source "$INFRA/agent.sh"
# shellcheck source=nginx.sh
source "$INFRA/nginx.sh"
# shellcheck source=browser.sh
source "$INFRA/browser.sh"
# shellcheck source=env-file.sh
source "$INFRA/env-file.sh"

engine_up       # -> DOCKER_API_VERSION (only when the client cannot negotiate)
network_up      # -> SANDBOX_SUBNET
firewall_up
git_up          # -> BWRAP_BINARY (git runs confined by bubblewrap)
postgres_up     # -> DATABASE_URL, TEST_DATABASE_URL, STACK_PG
redis_up        # -> REDIS_URL, STACK_REDIS
secrets_up      # -> INTERNAL_SERVICE_KEY, DEV_API_KEY
images_up
agent_up        # -> SANDBOX_AGENT_BINARY (static Go binary, run as PID 1 of every sandbox)
browser_up      # -> CHROMIUM_PATH (Debian's chromium, for the browser tests)
if [[ "$WITH_NGINX" == 1 ]]; then nginx_up; fi
env_file_up     # -> $STACK_ENV

ms=$(( $(_now_ms) - T_START ))
printf '==> stack up in %d.%01ds: docker(%s) net=%s pg=%s redis=%s image=%s -> %s\n' \
  $((ms / 1000)) $(((ms % 1000) / 100)) \
  "${DOCKER_HOST:-local}" "$SANDBOX_NETWORK" "${DATABASE_URL##*@}" "${REDIS_URL#redis://}" "$SANDBOX_IMAGE" "$STACK_ENV"
