#!/usr/bin/env bash
# `npm run bench`: runs the benchmarks under bench/ against the real stack and writes bench/results.md.
# `npm run bench -- proxy` runs only the benchmarks whose file name contains "proxy".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$ROOT/scripts/lib/node.sh"

ensure_dependencies
bash "$ROOT/scripts/infra/up.sh" --with-nginx
load_stack_env
build_project
cd "$ROOT"
if [[ -f scripts/migrate.mjs ]]; then DATABASE_URL="$TEST_DATABASE_URL" node scripts/migrate.mjs >"$LOG_DIR/migrate-test.log" 2>&1; fi
LOG_LEVEL=silent node dist/bench/run.js "$@"
