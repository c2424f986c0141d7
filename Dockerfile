# syntax=docker/dockerfile:1
# The exporter as a container: Node 24 (LTS), production dependencies only, runs as the unprivileged node user
# (uid/gid 1000) and writes nothing outside /tmp, so it runs with a read-only root filesystem.
#   docker build -t cloudflare-es-exporter:0.1.0 .
#   docker run --rm --read-only --tmpfs /tmp -e CF_API_TOKEN -e CF_ZONES -e ES_URL -e ES_API_KEY cloudflare-es-exporter:0.1.0
ARG NODE_IMAGE=node:24-bookworm-slim

# Compiles TypeScript with the dev dependencies; only dist/ leaves this stage.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY simulator ./simulator
RUN npx tsc -p tsconfig.json

# Production dependencies only, installed from the lock file.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="cloudflare-es-exporter" \
      org.opencontainers.image.description="Exact per-minute Cloudflare GraphQL analytics into Elasticsearch: idempotent, self-healing batch runs." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
# At most two malloc arenas: glibc's default (eight per core) lets the memory Node allocates outside V8's heap (I/O
# buffers) grow by 15-20 MB of peak RSS in a backfill; no measurable cost in speed (BENCHMARKS.md, 2026-12-06).
ENV NODE_ENV=production MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/simulator ./dist/simulator
COPY package.json ./
COPY simulator/schema.graphql ./simulator/
# The node user of the official image; the Helm chart's securityContext uses the same ids.
USER 1000:1000
ENTRYPOINT ["node", "/app/dist/src/cli.js"]
CMD ["run"]
