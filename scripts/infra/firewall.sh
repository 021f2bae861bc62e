# shellcheck shell=bash
# Step: host firewall rules for the sandbox network (root and iptables only; skipped with a warning
# otherwise). Every rule added is printed with its iptables command; a run that finds them all in
# place adds nothing.
#
# Host services bind 127.0.0.1 only, which containers cannot reach anyway; these rules also stop
# sandboxes from opening connections to ANY host address (bridge gateway, the host's LAN address):
#   INPUT -s SUBNET -> SANDBOX-INPUT: accept replies (ESTABLISHED,RELATED), drop the rest.
# Host -> container traffic (previews, exec via docker-proxy) leaves through OUTPUT, so it is
# unaffected, and its replies are ESTABLISHED. Container <-> container on the bridge is dropped by
# Docker itself (enable_icc=false). Docker's embedded DNS (127.0.0.11) lives in the container's own
# namespace and is not affected.
#   DOCKER-USER -s SUBNET -> SANDBOX-EGRESS: drop egress to private, link-local and carrier-grade NAT
# ranges, so a sandbox reaches neither the LAN, other Docker networks nor a cloud metadata endpoint
# (169.254.169.254, which hands out the host's credentials). Docker jumps to DOCKER-USER first in
# FORWARD and leaves its rules alone.
# Reads: SANDBOX_NETWORK, SANDBOX_SUBNET.

# The ranges SANDBOX-EGRESS drops (the egress integration test reads this line).
SANDBOX_EGRESS_DROP=(10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 169.254.0.0/16 100.64.0.0/10)

FIREWALL_CHANGES=0

# fw WHAT IPTABLES_ARGS... -> runs iptables and prints "firewall: WHAT (iptables ARGS)".
fw() {
  local what="$1"; shift
  iptables -w "$@"
  info "firewall: $what (iptables $*)"
  FIREWALL_CHANGES=$((FIREWALL_CHANGES + 1))
}

# fw_chain CHAIN "WHAT|RULE"... -> CHAIN holds exactly these rules (RULE as `iptables -S` prints it,
# without "-A CHAIN"); it is flushed and refilled only when it differs.
fw_chain() {
  local chain="$1" entry want="" have
  shift
  for entry in "$@"; do want+="-A $chain ${entry#*|}"$'\n'; done
  iptables -w -N "$chain" 2>/dev/null || true
  have="$(iptables -w -S "$chain" | grep -v '^-N' || true)"
  [[ "$have" == "${want%$'\n'}" ]] && return 0
  iptables -w -F "$chain"
  for entry in "$@"; do
    # shellcheck disable=SC2086  # the rule is a list of iptables arguments
    fw "${entry%%|*}" -A "$chain" ${entry#*|}
  done
}

# fw_jump FROM CHAIN WHAT -> FROM sends traffic from SANDBOX_SUBNET to CHAIN, first; jumps for an
# old subnet (network recreated elsewhere) are removed.
fw_jump() {
  local from="$1" chain="$2" what="$3" old
  iptables -w -N "$from" 2>/dev/null || true
  while read -r old; do
    [[ -n "$old" ]] || continue
    # shellcheck disable=SC2086  # the rule is a list of iptables arguments
    fw "remove the jump for an old subnet" ${old/-A $from/-D $from}
  done < <(iptables -w -S "$from" | grep -- "-j $chain" | grep -v -- "-s $SANDBOX_SUBNET " || true)
  if ! iptables -w -C "$from" -s "$SANDBOX_SUBNET" -j "$chain" 2>/dev/null; then
    fw "$what" -I "$from" 1 -s "$SANDBOX_SUBNET" -j "$chain"
  fi
}

firewall_up() {
  if ! is_root; then
    warn "not root: skipping iptables rules (sandboxes can still reach non-loopback host ports)"
    return 0
  fi
  if ! command -v iptables >/dev/null 2>&1 || ! iptables -w -L INPUT -n >/dev/null 2>&1; then
    warn "iptables not available: skipping host firewall rules (sandboxes can still reach non-loopback host ports)"
    return 0
  fi
  local net="$SANDBOX_NETWORK" range drops=()
  step "firewall $net -> host, private ranges"
  fw_chain SANDBOX-INPUT \
    "accept replies to connections the host opened to $net|-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" \
    "drop $net -> host|-j DROP"
  fw_jump INPUT SANDBOX-INPUT "apply SANDBOX-INPUT to $net ($SANDBOX_SUBNET) -> host"
  for range in "${SANDBOX_EGRESS_DROP[@]}"; do drops+=("drop $net -> $range|-d $range -j DROP"); done
  fw_chain SANDBOX-EGRESS \
    "let replies through to $net|-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN" \
    "${drops[@]}"
  fw_jump DOCKER-USER SANDBOX-EGRESS "apply SANDBOX-EGRESS to $net ($SANDBOX_SUBNET) -> anywhere"
  if [[ "$FIREWALL_CHANGES" == 0 ]]; then
    ok "rules in place (iptables -S SANDBOX-INPUT; iptables -S SANDBOX-EGRESS)"
  else
    info "firewall: $FIREWALL_CHANGES rule change(s) applied"
  fi
}
