# syntax=docker/dockerfile:1
# Barona: one production image. Build with scripts/image-build.sh (passes the version,
# revision and date labels) or plainly: docker build -t barona .
#
# NODE_IMAGE: the base for every stage. The default is the official Node 24 slim image,
# pinned to a release; CI builds against a local stand-in of the same version
# (scripts/make-node-base.sh) because no registry is reachable there. To pin a digest:
#   --build-arg NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# ---- deps: what the compiler needs --------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
# Empty by default. Behind a TLS-intercepting proxy pass the CA bundle's path (and mount it),
# e.g. --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt; only npm stages see it.
ARG NODE_EXTRA_CA_CERTS=
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: our own `prepare` (tsc) needs the sources, which come in the build stage.
# --omit=optional: platform binaries of dev tools (embedded PostgreSQL, esbuild) are not needed to compile.
# The cache mount keeps downloaded tarballs between builds and out of the layers.
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --ignore-scripts --omit=optional --no-audit --no-fund

# ---- prod-deps: exactly the production dependency tree of package-lock.json -------------------
FROM ${NODE_IMAGE} AS prod-deps
ARG NODE_EXTRA_CA_CERTS=
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- build: compile TypeScript ------------------------------------------------------------
FROM deps AS build
ARG NODE_EXTRA_CA_CERTS=
COPY . .
RUN npm run build \
 && rm -f dist/.tsbuildinfo \
 && mkdir -p public \
 && chmod 0755 bin/barona.js

# ---- runtime: production dependencies and compiled code only ------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data

WORKDIR /app
# Application files stay owned by root: the app user can read them but not change them.
COPY --from=build /app/package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/public ./public
# The only writable places: DATA_DIR (embedded database) and /tmp, both volumes, so the
# container runs with a read-only root filesystem.
RUN ln -s /app/bin/barona.js /usr/local/bin/barona \
 && mkdir -p /data \
 && chown 1000:1000 /data \
 && chmod 1777 /tmp
VOLUME ["/data", "/tmp"]

# uid/gid of the `node` user of the official image, numeric so `runAsNonRoot` can verify it.
USER 1000:1000
EXPOSE 8000
# Node is PID 1 and handles SIGTERM itself (graceful drain, then exit 0).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["barona", "healthcheck"]
ENTRYPOINT ["barona"]
CMD ["serve"]

# Last, so a new date or commit does not invalidate the cached layers above.
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=
ARG LICENSES=MIT
LABEL org.opencontainers.image.title="barona" \
      org.opencontainers.image.description="Attendance tracking for event gates: check-ins and daily attendance sheets" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="${LICENSES}"
