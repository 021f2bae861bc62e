#!/usr/bin/env bash
# `npm stop`: stops the three services, then the PostgreSQL and Redis that `npm start` started.
# `npm stop -- --all` also stops the Docker engine if the project started it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
bash "$ROOT/scripts/services.sh" stop
bash "$ROOT/scripts/infra/down.sh" "$@"
echo "==> stopped"
