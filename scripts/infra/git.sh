# shellcheck shell=bash
# Step: what the container manager runs for checkpoints: git, confined by bubblewrap (`bwrap`), each
# from Debian's package of that name, installed when missing. The manager runs every git process in a
# mount namespace holding only /usr and the session's volume (docs/git-checkpoints.md) and refuses
# to start without bwrap; this step checks that such a namespace can be made here (it needs root).
# Sets: BWRAP_BINARY.

git_up() {
  step "git + bubblewrap (checkpoints)"
  local missing=()
  command -v git >/dev/null 2>&1 || missing+=(git)
  BWRAP_BINARY="${BWRAP_BINARY:-$(command -v bwrap 2>/dev/null || echo /usr/bin/bwrap)}"
  [[ -x "$BWRAP_BINARY" ]] || missing+=(bubblewrap)
  if [[ ${#missing[@]} -gt 0 ]]; then
    printf 'installing %s ... ' "${missing[*]}"
    apt_install "git and bubblewrap (checkpoints)" "${missing[@]}"
    BWRAP_BINARY="$(command -v bwrap 2>/dev/null || echo /usr/bin/bwrap)"
    [[ -x "$BWRAP_BINARY" ]] || die "bubblewrap was installed but $BWRAP_BINARY is missing"
  fi
  local version
  version="$("$BWRAP_BINARY" --die-with-parent --unshare-pid --ro-bind / / --dev-bind /dev/null /dev/null -- git --version 2>&1)" \
    || die "bwrap cannot run git in a mount namespace here ($version); the container manager needs that (run as root, with CAP_SYS_ADMIN)"
  ok "$version, $("$BWRAP_BINARY" --version)"
}
