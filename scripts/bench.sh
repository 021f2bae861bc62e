#!/usr/bin/env bash
# `npm run bench`: runs the benchmarks under bench/ against the real stack and writes bench/results.md.
# `npm run bench -- proxy` runs only the benchmarks whose file name contains "proxy".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$ROOT/scripts/lib/node.sh"

stack_up --with-nginx
build_project
cd "$ROOT"
migrate_database "database: migrating the test database" "$TEST_DATABASE_URL" migrate-test
LOG_LEVEL=silent node dist/bench/run.js "$@"
