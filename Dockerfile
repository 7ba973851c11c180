# The stream-collab worker, shipped as Temporal's `production` sample ships: compiled once, run with plain node.
# Debian (glibc) rather than Alpine: the DuckDB and Temporal core-bridge prebuilt binaries in the lockfile are
# the -gnu builds.

# Build stage: all dependencies, `tsc` to dist/ and the workflow bundle (dist/workflow-bundle.js), built once
# here so the worker never bundles at start.
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the build runs below. No dependency
# needs its install script here (the native parts come as prebuilt optional packages).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the build output only (no tsx, no compilers, no test packages).
FROM node:20.19-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY agents.yaml ./
COPY examples ./examples
COPY bin ./bin

# Owned by the runtime user so a named volume mounted here starts out writable (Docker copies the ownership).
RUN mkdir -p /app/out && chown node:node /app/out

USER node
ENV AGENTS_FILE=/app/agents.yaml \
    OUT_DIR=/app/out \
    STREAM_COLLAB_SHUTDOWN_GRACE=30s

# node itself is the main process: on `docker stop` it gets SIGTERM, stops polling, gives running activities
# STREAM_COLLAB_SHUTDOWN_GRACE to finish, and exits 0 (compose's stop_grace_period must be longer).
STOPSIGNAL SIGTERM
CMD ["node", "dist/worker.js"]
