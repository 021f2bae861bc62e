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

# stack_up [up.sh ARGS...] -> dependencies installed, the local stack up (scripts/infra/up.sh) and its
# URLs and keys in the environment: how `npm start`, `npm test` and `npm run bench` begin.
stack_up() {
  ensure_dependencies
  bash "$ROOT/scripts/infra/up.sh" "$@"
  load_stack_env
}

# migrate_database TITLE URL LOG_NAME -> applies the migrations (scripts/migrate.mjs) to the database at
# URL, as a step called TITLE; their output goes to $LOG_DIR/LOG_NAME.log.
migrate_database() {
  local title="$1" url="$2" log="$LOG_DIR/$3.log"
  [[ -f "$ROOT/scripts/migrate.mjs" ]] || return 0
  step "$title"
  (cd "$ROOT" && DATABASE_URL="$url" node scripts/migrate.mjs >"$log" 2>&1) || die "migrations failed; see $log"
  ok
}

# Compiles apps, libs and benchmarks to dist/ (SWC, about a second).
build_project() {
  step "build: compiling TypeScript to dist/"
  (cd "$ROOT" && node scripts/build.mjs >"$LOG_DIR/build.log" 2>&1) || die "build failed; see $LOG_DIR/build.log"
  ok
}

# The compose file is validated by a test with the compose tool's config check; Debian's
# docker-compose is installed when neither `docker compose` nor `docker-compose` exists.
ensure_compose_tool() {
  if docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; then return 0; fi
  [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null || die "install docker-compose (or the docker compose plugin) to run the compose file check"
  step "compose tool: installing Debian docker-compose"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y docker-compose >"$LOG_DIR/apt-compose.log" 2>&1 \
    || { apt-get update >>"$LOG_DIR/apt-compose.log" 2>&1 && apt-get install -y docker-compose >>"$LOG_DIR/apt-compose.log" 2>&1; } \
    || die "could not install docker-compose; see $LOG_DIR/apt-compose.log"
  ok
}
