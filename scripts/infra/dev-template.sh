#!/usr/bin/env bash
# Builds the `dev` template image (default SANDBOX_DEV_IMAGE=sandbox-dev:local) without a registry:
# a Debian stable root filesystem made by mmdebstrap from the machine's own apt mirror, with the
# packages below, the project's Node 24 binary and npm, and the sandbox user 1000, then `docker import`.
# The image is labelled with a hash of its inputs (this script, Node and npm versions, the mirror):
# when an image with that hash exists, nothing is built. A build goes to a temporary tag that is
# renamed only once the image passed its checks, so a failed build leaves the previous image alone.
# Usage: scripts/infra/dev-template.sh   (needs a running Docker engine; root on Debian to build)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

DEV_IMAGE="${SANDBOX_DEV_IMAGE:-sandbox-dev:local}"
DEBIAN_SUITE=stable
# What an agent needs to work on a real project (docs/templates.md); kept short for build time.
PACKAGES=(bash coreutils git curl ca-certificates jq unzip procps python3 python3-pip python3-venv build-essential)
# npm for the image comes from the npm registry (Node's own npm is not in node_modules/node).
NPM_VERSION=11.21.2
LOG="$LOG_DIR/dev-template.log"
WORK=""
TMP_TAG=""

cleanup() {
  if [[ -n "$WORK" && -d "$WORK" ]]; then rm -rf "$WORK"; fi
  if [[ -n "$TMP_TAG" ]]; then docker image rm -f "$TMP_TAG" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# The real Node 24 ELF binary of the project (node_modules/.bin/node is a launcher script).
node_binary() {
  local c real
  for c in "$ROOT/node_modules/node/bin/node" "$ROOT"/node_modules/node/node_modules/node-*/bin/node "$ROOT"/node_modules/node-*/bin/node; do
    [[ -e "$c" ]] || continue
    real="$(readlink -f "$c")"
    [[ "$(head -c4 "$real" 2>/dev/null | od -An -c | tr -d ' ')" == '177ELF' ]] || continue
    if [[ "$("$real" --version 2>/dev/null)" == v24.* ]]; then echo "$real"; return 0; fi
  done
  return 1
}

# The Debian archive configured on this machine (never hard-coded), as an mmdebstrap source line.
# (The security archive is left out: a mirror that serves a frozen snapshot has an expired Release file.)
apt_mirror() {
  local uris=() f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    # deb822 stanzas: keep URIs of `Types: deb` stanzas.
    while read -r uri; do uris+=("$uri"); done < <(awk '
      /^[[:space:]]*$/ { if (deb && uri != "") print uri; deb = 0; uri = ""; next }
      /^Types:/ { deb = ($0 ~ /(^|[[:space:]])deb([[:space:]]|$)/) }
      /^URIs:/ { uri = $2 }
      END { if (deb && uri != "") print uri }' "$f")
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    while read -r uri; do uris+=("$uri"); done < <(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f")
  done
  local uri
  for uri in "${uris[@]}"; do
    uri="${uri%/}"
    if [[ "$uri" == */debian ]]; then echo "deb $uri $DEBIAN_SUITE main"; return 0; fi
  done
  return 1
}

ensure_mmdebstrap() {
  command -v mmdebstrap >/dev/null 2>&1 && return 0
  if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
    die "mmdebstrap is missing; install it (apt-get install mmdebstrap) and re-run"
  fi
  printf '    installing mmdebstrap\n'
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends mmdebstrap >>"$LOG" 2>&1 \
    || { apt-get update >>"$LOG" 2>&1 && apt-get install -y --no-install-recommends mmdebstrap >>"$LOG" 2>&1; } \
    || die "apt-get install mmdebstrap failed (see $LOG)"
}

# Prints mmdebstrap's stage lines as progress, everything goes to the log.
progress() {
  local line
  while IFS= read -r line; do
    printf '%s\n' "$line" >>"$LOG"
    case "$line" in
      I:*) printf '    %s\n' "${line#I: }" ;;
      E:*|W:*) printf '    %s\n' "$line" ;;
    esac
  done
}

step "template dev ($DEV_IMAGE)"
NODE_BIN="$(node_binary)" || die "no Node 24 binary in node_modules (run 'npm install' first: the 'node' devDependency provides it)"
NODE_VER="$("$NODE_BIN" --version)"
MIRROR="$(apt_mirror)" || die "no Debian archive found in the apt sources (/etc/apt/sources.list*); cannot build the dev template"
HASH="$( { cat "${BASH_SOURCE[0]}"; echo "$NODE_VER npm-$NPM_VERSION"; echo "$MIRROR"; } | sha256sum | cut -c1-16)"
have="$(docker image inspect -f '{{index .Config.Labels "sandbox.recipe-hash"}}' "$DEV_IMAGE" 2>/dev/null)" || have=""
if [[ "${have//[[:space:]]/}" == "$HASH" ]]; then
  ok "present ($HASH)"
  exit 0
fi

T0="$(_now_ms)"
info "building template dev: Debian $DEBIAN_SUITE + ${PACKAGES[*]} + node $NODE_VER + npm $NPM_VERSION (log: $LOG)"
: >"$LOG"
ensure_mmdebstrap
WORK="$(mktemp -d "$DATA_DIR/dev-template.XXXXXX")"
ROOTFS="$WORK/rootfs"

# npm, kept across builds in the data dir (one registry download per version).
NPM_TGZ="$DATA_DIR/cache/npm-$NPM_VERSION.tgz"
if [[ ! -s "$NPM_TGZ" ]]; then
  printf '    fetching npm %s\n' "$NPM_VERSION"
  mkdir -p "$DATA_DIR/cache"
  (cd "$WORK" && npm pack "npm@$NPM_VERSION" --silent >>"$LOG" 2>&1) || die "npm pack npm@$NPM_VERSION failed (see $LOG)"
  mv "$WORK/npm-$NPM_VERSION.tgz" "$NPM_TGZ"
fi

t0="$(_now_ms)"
# minbase + the packages; no manual pages, docs or translations (copyright files stay).
if ! mmdebstrap --variant=minbase --mode=root --aptopt='APT::Sandbox::User "root"' --include="$(IFS=,; echo "${PACKAGES[*]}")" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  "$DEBIAN_SUITE" "$ROOTFS" "$MIRROR" 2>&1 | progress; then
  die "mmdebstrap failed (see $LOG)"
fi
printf '    debian root filesystem in %ss\n' "$(( ($(_now_ms) - t0) / 1000 ))"

# Node 24 and npm in /usr/local, usable by every user.
install -m 755 "$NODE_BIN" "$ROOTFS/usr/local/bin/node"
mkdir -p "$ROOTFS/usr/local/lib/node_modules/npm"
tar -xzf "$NPM_TGZ" -C "$ROOTFS/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"

# The sandbox user: uid/gid 1000, home = the workspace (the only persistent writable place).
chroot "$ROOTFS" groupadd -g 1000 sandbox
chroot "$ROOTFS" useradd -u 1000 -g 1000 -d /workspace -M -s /bin/bash sandbox
mkdir -p "$ROOTFS/workspace"
chown 1000:1000 "$ROOTFS/workspace"
chmod 755 "$ROOTFS/workspace"
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/log/*.log

printf '    docker import\n'
TMP_TAG="${DEV_IMAGE%%:*}:build-$HASH"
# Caches go to /tmp (tmpfs), not into the workspace that checkpoints commit.
tar --numeric-owner -C "$ROOTFS" -c . 2>>"$LOG" \
  | docker import \
      --change 'USER 1000:1000' \
      --change 'WORKDIR /workspace' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV HOME=/workspace' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'ENV XDG_CACHE_HOME=/tmp/.cache' \
      --change 'ENV NPM_CONFIG_CACHE=/tmp/.npm' \
      --change 'ENV NPM_CONFIG_UPDATE_NOTIFIER=false' \
      --change 'CMD ["sleep","infinity"]' \
      --change "LABEL sandbox.template=dev sandbox.recipe-hash=$HASH sandbox.node=$NODE_VER" \
      - "$TMP_TAG" >>"$LOG" 2>&1 \
  || die "docker import failed (see $LOG)"
rm -rf "$WORK"; WORK=""

printf '    checking the tools as uid 1000 on a read-only root\n'
# shellcheck disable=SC2016  # expanded by the image's bash, not here
check='set -e; for t in git python3 pip3 gcc g++ make node npm npx nohup curl jq unzip bash ps; do command -v $t >/dev/null || { echo "missing $t"; exit 1; }; done
python3 -m venv /tmp/venv >/dev/null; /tmp/venv/bin/pip --version >/dev/null
printf "int main(void){return 0;}" >/tmp/t.c; gcc /tmp/t.c -o /tmp/t; /tmp/t
node -e "require(\"os\").userInfo()"; npm --version >/dev/null; id -un'
out="$(docker run --rm --init --network none --user 1000:1000 --read-only --tmpfs /tmp:rw,exec,size=256m \
  --cap-drop ALL --security-opt no-new-privileges "$TMP_TAG" bash -c "$check" 2>&1)" || { echo "$out" >>"$LOG"; die "template dev failed its checks: ${out##*$'\n'} (see $LOG)"; }
[[ "$out" == sandbox ]] || { echo "$out" >>"$LOG"; die "template dev failed its checks (see $LOG)"; }

docker tag "$TMP_TAG" "$DEV_IMAGE"
docker image rm "$TMP_TAG" >/dev/null 2>&1 || true
TMP_TAG=""
docker image prune -f --filter label=sandbox.template=dev >/dev/null 2>&1 || true
size="$(docker image inspect -f '{{.Size}}' "$DEV_IMAGE")"
info "template dev ($DEV_IMAGE): built $HASH, $((size / 1024 / 1024)) MB, in $(( ($(_now_ms) - T0) / 1000 ))s"
