# shellcheck shell=bash
# Step: sandbox images, built without a registry.
#   sandbox-base (SANDBOX_IMAGE, default sandbox-base:local): static busybox + the project's Node 24
#   and the libraries it links against, assembled as a root filesystem and `docker import`ed. Runs as
#   user `sandbox` (1000:1000) in /workspace. Rebuilt when BASE_IMAGE_RECIPE or the Node version changes
#   (both are image labels), then verified; a build that fails verification is removed.
#   sandbox-dev (SANDBOX_DEV_IMAGE, default sandbox-dev:local): the `dev` template, built by
#   dev-template.sh (Debian stable from the machine's apt mirror, toolchains, Node 24 + npm).
# Reads: SANDBOX_IMAGE, SANDBOX_DEV_IMAGE.

# Bump to force a rebuild of the base image when the recipe below changes.
BASE_IMAGE_RECIPE=1
ROOTFS_TMP=""
remove_rootfs_tmp() { if [[ -n "$ROOTFS_TMP" && -d "$ROOTFS_TMP" ]]; then rm -rf "$ROOTFS_TMP"; fi; }
at_exit remove_rootfs_tmp

images_up() {
  base_image_up
  # The `dev` template (Debian + toolchains): its own script, cached by a hash of its inputs.
  SANDBOX_DEV_IMAGE="$SANDBOX_DEV_IMAGE" bash "$ROOT/scripts/infra/dev-template.sh"
}

base_image_up() {
  step "image $SANDBOX_IMAGE"
  local node_bin node_ver labels
  node_bin="$(find_node_binary)" || die "no Node 24 binary found (run 'npm install' first: the 'node' devDependency provides it)"
  node_ver="$("$node_bin" --version)"
  labels="$(docker image inspect -f '{{index .Config.Labels "sandbox.recipe"}}/{{index .Config.Labels "sandbox.node"}}' "$SANDBOX_IMAGE" 2>/dev/null)" || labels=""
  if [[ "$labels" == "$BASE_IMAGE_RECIPE/$node_ver" ]]; then
    ok "present (node $node_ver)"
    return 0
  fi
  printf 'building ... '
  build_base_image "$node_bin" "$node_ver" "$SANDBOX_IMAGE"
  printf 'verifying ... '
  if ! verify_base_image "$SANDBOX_IMAGE" "$node_ver"; then
    docker image rm -f "$SANDBOX_IMAGE" >/dev/null 2>&1 || true
    die "image $SANDBOX_IMAGE failed verification (see $LOG_DIR/image-build.log)"
  fi
  docker image prune -f --filter label=sandbox.base=1 >/dev/null 2>&1 || true
  ok "built (node $node_ver)"
}

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

# build_base_image NODE_BIN NODE_VERSION TAG
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
        --change "LABEL sandbox.base=1 sandbox.recipe=$BASE_IMAGE_RECIPE sandbox.node=$node_ver" \
        - "$tag" >>"$LOG_DIR/image-build.log" 2>&1 \
    || die "docker import failed (see $LOG_DIR/image-build.log)"
  rm -rf "$ROOTFS_TMP"; ROOTFS_TMP=""
}

# verify_base_image TAG NODE_VERSION -> 0 when Node runs as `sandbox` in /workspace and the default
# CMD keeps a container alive; details of a failure go to image-build.log.
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
  local cid running
  cid="$(docker run -d --init --network none "$tag")"
  sleep 0.5
  running="$(docker inspect -f '{{.State.Running}}' "$cid" 2>/dev/null || echo false)"
  docker rm -f "$cid" >/dev/null 2>&1 || true
  [[ "$running" == true ]] || { echo "default CMD exited" >>"$LOG_DIR/image-build.log"; return 1; }
}
