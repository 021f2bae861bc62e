#!/usr/bin/env bash
# `npm test`: every check and test of every project, against the real Docker engine, PostgreSQL and
# Redis that the stack scripts start (reused when already up). Extra arguments go to Jest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$ROOT/scripts/lib/node.sh"

# shellcheck disable=SC2119  # up.sh without options
stack_up
ensure_compose_tool
build_project
cd "$ROOT"
migrate_database "database: migrating the test database" "$TEST_DATABASE_URL" migrate-test
step "typecheck: tsc --noEmit (strict)"
tsc -p tsconfig.json --noEmit || die "type errors"
ok
step "lint: eslint, type-aware, Nx module boundaries"
nx show projects >/dev/null 2>&1 # builds the project graph the boundary rule reads
eslint --max-warnings 0 apps libs bench || die "lint errors"
ok

info "tests: jest (unit *.spec.ts and integration *.int-spec.ts)"
results="$LOG_DIR/jest-results.json"
rm -f "$results"
set +e
node --experimental-vm-modules node_modules/jest/bin/jest.js --ci --json --outputFile="$results" "$@"
status=$?
set -e
if [[ -f "$results" ]]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  ' "$results"
fi
leftover="$(docker ps -aq --filter label=sandbox.test=true | wc -l)"
if [[ "$leftover" -gt 0 ]]; then
  warn "$leftover test sandbox container(s) left behind"
  status=1
fi
exit "$status"
