# nodis: a Redis 7.0-compatible server for Node.js.
#   docker build -t nodis .
#   docker run -p 6379:6379 -v nodis-data:/data nodis
# Arguments after the image name replace the default flags, as with redis-server:
#   docker run -v "$PWD/redis.conf":/etc/nodis/redis.conf:ro nodis node --max-semi-space-size=2 /app/bin/nodis-server /etc/nodis/redis.conf

# The base image: Docker Hub's node:24-slim. (The project's test of the image builds it on a
# local stand-in, scripts/docker-test-base.sh, where Docker Hub cannot be reached.)
ARG NODE_IMAGE=node:24-slim

# ---- dependencies (production only: tsx runs the TypeScript sources, so there is no build step)
# --ignore-scripts: our `prepare` (type declarations for embedding) has nothing to do here and its
# script is not copied; esbuild's postinstall only double-checks the binary that npm installs anyway.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime
# Node 24: the LTS release maintained longest (20 reached its end of life in April 2026).
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json redis.conf.example ./
COPY bin ./bin
COPY src ./src
RUN mkdir -p /data && chown node:node /data
# The image's unprivileged user (uid 1000).
USER node
VOLUME /data
WORKDIR /data
EXPOSE 6379
STOPSIGNAL SIGTERM
# Healthy once the server answers PING (while a large dataset loads it answers -LOADING, and
# start-period covers that). The port is 6379 unless NODIS_PORT says otherwise (--port given
# as arguments is not seen here: set NODIS_PORT to the same value).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["node", "/app/bin/nodis-healthcheck"]
# Listening on every interface without protected mode is what a container needs; without
# these flags nodis keeps Redis's safe defaults (bind 127.0.0.1 -::1, protected-mode yes).
# bin/nodis-server sizes V8's heap from maxmemory or, without it, from the container's memory
# limit (docker run -m); give node --max-old-space-size (or NODE_OPTIONS) to choose it yourself.
CMD ["node", "--max-semi-space-size=2", "/app/bin/nodis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data"]
