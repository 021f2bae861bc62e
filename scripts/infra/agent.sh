# shellcheck shell=bash
# Step: the in-sandbox agent (sandbox-agent/, Go, standard library only), built as a static binary
# (CGO_ENABLED=0: it runs in images without a libc) into $DATA_DIR/bin/sandbox-agent-<hash>, where
# <hash> covers its sources and the Go version: unchanged sources take well under a second. A new
# build gets a new file, so running sandboxes keep the binary they mounted. Go comes from Debian's
# golang-go when missing. Output: SANDBOX_AGENT_BINARY (written to stack.env).
# Reads: SANDBOX_AGENT_BINARY (a path outside $DATA_DIR/bin is used as is, nothing is built; one inside
# it, as a loaded stack.env exports, is rebuilt when the sources changed).

agent_up() {
  step "sandbox agent"
  if [[ -n "${SANDBOX_AGENT_BINARY:-}" && "$SANDBOX_AGENT_BINARY" != "$DATA_DIR/bin/"* ]]; then
    [[ -x "$SANDBOX_AGENT_BINARY" ]] || die "SANDBOX_AGENT_BINARY=$SANDBOX_AGENT_BINARY is not an executable file"
    ok "given: $SANDBOX_AGENT_BINARY"
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    printf 'installing golang-go ... '
    apt_install "the Go toolchain (to build the sandbox agent)" golang-go
  fi
  local src="$ROOT/sandbox-agent" hash out tmp
  hash="$( { go version; cd "$src" && find . -type f \( -name '*.go' -o -name go.mod \) | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-16)"
  out="$DATA_DIR/bin/sandbox-agent-$hash"
  if [[ -x "$out" ]]; then
    SANDBOX_AGENT_BINARY="$out"
    ok "present ($hash)"
    return 0
  fi
  printf 'building ... '
  mkdir -p "$DATA_DIR/bin" "$DATA_DIR/cache/go-build" "$DATA_DIR/cache/go"
  tmp="$(mktemp "$DATA_DIR/bin/.sandbox-agent.XXXXXX")"
  if ! (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod GOCACHE="$DATA_DIR/cache/go-build" GOPATH="$DATA_DIR/cache/go" GOPROXY=off \
        go build -trimpath -ldflags='-s -w' -o "$tmp" . ) >>"$LOG_DIR/agent-build.log" 2>&1; then
    rm -f "$tmp"
    die "sandbox agent build failed (see $LOG_DIR/agent-build.log)"
  fi
  printf 'verifying ... '
  # Static (no loader needed in the image) and runnable.
  if ldd "$tmp" >/dev/null 2>&1 || [[ -z "$("$tmp" --version 2>>"$LOG_DIR/agent-build.log")" ]]; then
    rm -f "$tmp"
    die "the sandbox agent is not a runnable static binary (see $LOG_DIR/agent-build.log)"
  fi
  chmod 755 "$tmp"
  mv -f "$tmp" "$out"
  SANDBOX_AGENT_BINARY="$out"
  ok "built ($hash, $(( $(stat -c %s "$out") / 1024 )) KiB)"
}
