# The service as a container: `docker build -t aprendiendo-docker .` (see README, Deploying).
# Without a registry, `scripts/node-base-image.sh` makes a stand-in under the same name offline.

# Stage 1: production dependencies and the generated Prisma client. Prisma runs on its JS engine
# (engineType "client", engine "js"): no native engine is downloaded, here or at run time.
FROM node:20-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
# --ignore-scripts: no install script is needed (and npm 11 skips them anyway); the client is
# generated explicitly instead of by our postinstall.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm run db:generate \
 && npm cache clean --force

# The sandbox host (README, "Sandboxes"): root, and only with SANDBOXES_ENABLED. Built only when asked
# for (`--target sandbox-host`, compose's sandboxes profile): the default target is the service below.
# It makes rootless engines, so it needs dockerd's rootless script and what it runs on.
FROM node:20-bookworm-slim AS sandbox-host
RUN apt-get update \
 && apt-get install -y --no-install-recommends docker.io uidmap rootlesskit slirp4netns iptables e2fsprogs util-linux \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
CMD ["node", "--import", "tsx", "src/sandbox-host/main.ts"]

# Stage 2: what runs. The code and the course are root's and read-only to the service's user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=dependencies /app/src/generated ./src/generated
COPY package.json package-lock.json tsconfig.json prisma.config.ts ./
COPY prisma ./prisma
COPY content ./content
COPY src ./src
COPY web ./web
# The first API key: docker compose exec aprendiendo node --import tsx scripts/create-client.ts …
COPY scripts/create-client.ts ./scripts/
# Only the embedded database's folder is writable, for a run without DATABASE_URL.
RUN mkdir /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
# /ready is 200 while the database answers (Docker down only degrades it); the image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "src/server.ts"]
