# shellcheck shell=bash
# Helpers shared by the infra steps (sourced by up.sh after scripts/lib/common.sh):
# apt installs, exit hooks, and reading a port out of a URL.

# at_exit FUNCTION -> runs FUNCTION when up.sh exits, success or not (after the ones before it).
INFRA_EXIT_HOOKS=()
at_exit() { INFRA_EXIT_HOOKS+=("$1"); }
run_exit_hooks() {
  local hook
  for hook in "${INFRA_EXIT_HOOKS[@]}"; do "$hook" || true; done
}
trap run_exit_hooks EXIT

# url_port URL -> prints the port of a URL (nothing if it has none).
url_port() {
  local p="${1##*@}"
  p="${p#*://}"; p="${p%%/*}"; p="${p##*:}"
  [[ "$p" =~ ^[0-9]+$ ]] && echo "$p"
}

# uses_external_server STACK_KEY URL_VAR PORT_VAR DEFAULT_PORT -> sets PORT_VAR (already set, else the
# port of the server a previous run started, else DEFAULT_PORT) and succeeds when URL_VAR names a
# server of the user's. A URL that a previous run wrote for its own local server (STACK_KEY=local in
# stack.env) does not count: that server is started again.
uses_external_server() {
  local stack_key="$1" url_var="$2" port_var="$3" default_port="$4"
  local prev_stack prev_url prev_port=""
  # Values from a previous run (read key by key: an old stack.env never masquerades as user env).
  prev_stack="$(stack_env_get "$stack_key")"
  prev_url="$(stack_env_get "$url_var")"
  if [[ "$prev_stack" == local ]]; then prev_port="$(url_port "$prev_url" || true)"; fi
  printf -v "$port_var" '%s' "${!port_var:-${prev_port:-$default_port}}"
  [[ -n "${!url_var:-}" && ! ( "$prev_stack" == local && "${!url_var}" == "$prev_url" ) ]]
}

is_debian() { [[ -f /etc/debian_version ]] && command -v apt-get >/dev/null 2>&1; }

# apt: `apt-get update` at most once per run; package postinst scripts do not start services
# (a temporary policy-rc.d is used when the machine has none).
APT_UPDATED=0
POLICY_RC_CREATED=0
remove_policy_rc() { if [[ "$POLICY_RC_CREATED" == 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi; }
at_exit remove_policy_rc

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
