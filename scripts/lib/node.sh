#!/usr/bin/env bash
# Makes sure dependencies are installed and puts the project's Node 24 (the `node` package in
# node_modules/.bin) first on PATH, whatever Node the machine has. Source it after common.sh.

ensure_dependencies() {
  local stamp="$ROOT/node_modules/.package-lock.json"
  if [[ ! -x "$ROOT/node_modules/.bin/node" || ! -f "$stamp" || "$ROOT/package.json" -nt "$stamp" ]]; then
    step "dependencies: npm install (first run takes about 2 minutes)"
    (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error >"$LOG_DIR/npm-install.log" 2>&1) \
      || die "npm install failed; see $LOG_DIR/npm-install.log"
    touch "$stamp"
    ok
  fi
  export PATH="$ROOT/node_modules/.bin:$PATH"
  local version
  version="$(node --version)"
  [[ "$version" == v24.* ]] || die "expected Node 24 from node_modules/.bin, found $version"
}

# Compiles apps, libs and benchmarks to dist/ (SWC, about a second).
build_project() {
  step "build: compiling TypeScript to dist/"
  (cd "$ROOT" && node scripts/build.mjs >"$LOG_DIR/build.log" 2>&1) || die "build failed; see $LOG_DIR/build.log"
  ok
}
