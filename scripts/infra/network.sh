# shellcheck shell=bash
# Step: the `sandbox-net` bridge network, with inter-container traffic off (enable_icc=false) so
# sandboxes cannot reach each other. An empty network with icc on is recreated; the first free
# subnet of the candidates is used.
# Reads: SANDBOX_NETWORK, SANDBOX_SUBNET (candidates, optional). Sets: SANDBOX_SUBNET (the one in use).

network_up() {
  step "network $SANDBOX_NETWORK"
  local icc attached subnet created=0
  # (`docker ... inspect -f` prints an empty line even when it fails: rely on the exit status only.)
  if icc="$(docker network inspect -f '{{index .Options "com.docker.network.bridge.enable_icc"}}' "$SANDBOX_NETWORK" 2>/dev/null)"; then
    icc="${icc//[[:space:]]/}"
  else
    icc=MISSING
  fi
  if [[ "$icc" != MISSING && "$icc" != false ]]; then
    attached="$(docker network inspect -f '{{len .Containers}}' "$SANDBOX_NETWORK")"
    if [[ "$attached" == 0 ]]; then
      docker network rm "$SANDBOX_NETWORK" >/dev/null
      icc=MISSING
    else
      warn "network $SANDBOX_NETWORK allows inter-container traffic (enable_icc!=false) and has $attached containers; remove it to let up.sh recreate it"
    fi
  fi
  if [[ "$icc" == MISSING ]]; then
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
}
