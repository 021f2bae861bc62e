# One image recipe for the three services; the build argument APP picks the service.
# Build from the repository root:
#   docker build --build-arg APP=api-gateway       --build-arg PORT=4000 -t sandbox/api-gateway .
#   docker build --build-arg APP=worker-service    --build-arg PORT=4001 -t sandbox/worker-service .
#   docker build --build-arg APP=container-manager --build-arg PORT=4002 -t sandbox/container-manager .
# NODE_IMAGE may name any local image with Node 24 and npm (for machines without a registry).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG APP
RUN case "$APP" in api-gateway|worker-service|container-manager) ;; \
      *) echo "build argument APP must be api-gateway, worker-service or container-manager (got '$APP')" >&2; exit 1 ;; esac
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ARG APP
ARG PORT
RUN test -n "$PORT" || { echo "build argument PORT is required" >&2; exit 1; }
# The container manager runs git on the host side of the workspaces, each process confined by
# bubblewrap to the session's volume (it needs CAP_SYS_ADMIN: docker-compose.dev.yml).
RUN if [ "$APP" = container-manager ]; then \
      apt-get update && apt-get install -y --no-install-recommends git bubblewrap ca-certificates && rm -rf /var/lib/apt/lists/*; \
    fi
ENV APP=${APP} NODE_ENV=production HOST=0.0.0.0 PORT=${PORT}
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json /app/prisma.config.ts ./
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/scripts/migrate.mjs ./scripts/migrate.mjs
# Runs unprivileged. The container manager drives the host's Docker engine: whoever mounts the
# engine's socket into it also runs it as a user that may open the socket (docker-compose.dev.yml: root).
USER node
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The gateway owns the database, so its container applies pending migrations before it starts.
CMD ["sh", "-c", "if [ \"$APP\" = api-gateway ]; then node scripts/migrate.mjs || exit 1; fi; exec node \"dist/apps/$APP/src/main.js\""]
