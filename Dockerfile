# The stream-collab worker: `npm run worker` (tsx runs the TypeScript directly, so there is no build stage).
# Debian (glibc) rather than Alpine: the DuckDB, Temporal core-bridge and SWC prebuilt binaries in the lockfile
# are the -gnu builds.
FROM node:20.19-bookworm-slim

WORKDIR /app

# Dependencies before sources, so editing src/ reuses the cached install layer.
COPY package.json package-lock.json ./
# tsx is a runtime dependency, so production dependencies are enough. package.json's allowScripts is read by
# npm 11; the npm 10 bundled with this image ignores it and runs the lockfile's install scripts as usual.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json agents.yaml ./
COPY src ./src
COPY examples ./examples
COPY bin ./bin

# Owned by the runtime user so a named volume mounted here starts out writable (Docker copies the ownership).
RUN mkdir -p /app/out && chown node:node /app/out

USER node
ENV AGENTS_FILE=/app/agents.yaml \
    OUT_DIR=/app/out \
    NPM_CONFIG_UPDATE_NOTIFIER=false

# npm forwards SIGTERM to the worker, whose run() lets running activities finish before it exits.
CMD ["npm", "run", "worker"]
