# shellcheck shell=bash
# Step: a browser for the browser tests (a page on another origin calling GraphQL, the offline explorer).
# Debian's Chromium at /usr/bin/chromium, installed once; tests drive it with playwright-core
# (a registry package that downloads no browser of its own). BROWSER_TESTS=skip leaves it out.
# Sets: CHROMIUM_PATH.

browser_up() {
  CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
  step "chromium (browser tests)"
  if [[ "${BROWSER_TESTS:-}" == skip ]]; then
    ok "skipped (BROWSER_TESTS=skip)"
    return 0
  fi
  if [[ ! -x "$CHROMIUM_PATH" ]]; then
    printf 'installing chromium (apt-get install chromium) ... '
    apt_install "Chromium" chromium
    [[ -x "$CHROMIUM_PATH" ]] || die "chromium was installed but $CHROMIUM_PATH is missing"
  fi
  ok "$("$CHROMIUM_PATH" --version 2>/dev/null | head -1)"
}
