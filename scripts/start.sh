#!/usr/bin/env bash
# `npm start`: brings the whole platform up locally on a fresh machine of this kind.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$ROOT/scripts/lib/node.sh"

# shellcheck disable=SC2119  # up.sh without options
stack_up
build_project
migrate_database "database: applying migrations" "$DATABASE_URL" migrate
bash "$ROOT/scripts/services.sh" start

cat <<MSG

Sandbox platform is up:
  api-gateway        http://localhost:4000   GraphQL: http://localhost:4000/graphql (open it in a browser for the explorer)   OpenAPI: http://localhost:4000/docs
  worker-service     http://localhost:4001   OpenAPI: http://localhost:4001/docs
  container-manager  http://localhost:4002   OpenAPI: http://localhost:4002/docs
  previews           http://{port}-{sessionId}.${PREVIEW_DOMAIN:-preview.localhost}:4002/
  web console        http://localhost:4000/console/#key=${DEV_API_KEY}
  MCP (agents)       http://localhost:4000/mcp (Streamable HTTP, Bearer key)   CLI: npx sandbox --help

  Development API key (Authorization: Bearer ...): ${DEV_API_KEY}
  Browser apps on http://localhost:* and http://127.0.0.1:* may call the API (CORS_ORIGINS; docs/frontend.md)
  Internal service key and database URLs: $STACK_ENV
  Logs: $LOG_DIR      Stop with: npm stop
MSG
