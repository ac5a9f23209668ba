# syntax=docker/dockerfile:1
# Barona: one production image. Build with scripts/image-build.sh (passes the version,
# revision and date labels) or plainly: docker build -t barona .
#
# NODE_IMAGE: the base for every stage. The default is the official Node 24 slim image,
# pinned to a release; CI builds against a local stand-in of the same version
# (scripts/make-node-base.sh) because no registry is reachable there. To pin a digest:
#   --build-arg NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# Every npm step below: behind a TLS-intercepting proxy, give npm the proxy's CA as a build secret
# (it is mounted for that one RUN, never stored in a layer or the image's history):
#   docker build --secret id=npm-ca,src=/etc/ssl/certs/ca-certificates.crt -t barona .
#   podman build --secret id=npm-ca,src=/etc/ssl/certs/ca-certificates.crt -t barona .
# scripts/image-build.sh does that by itself with the file NODE_EXTRA_CA_CERTS (or BUILD_CA_FILE)
# names. Not a build argument: a build argument stays in the image history.
# npm first pings the registry, once, so an unreachable or untrusted registry fails the build at
# once with npm's error and a hint about the secret, instead of npm quietly serving what the build
# cache happens to hold. The ping retries once after 5 s: with npm's default retries (10 s, then
# 60 s) an untrusted certificate takes 70 s to report.

# ---- prod-deps: exactly the production dependency tree of package-lock.json -------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: our own `prepare` (tsc) needs the sources, which come in the build stage.
# The cache mount keeps downloaded tarballs (checked against the lock file's integrity) between
# builds and out of the layers.
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    --mount=type=secret,id=npm-ca \
    set -e; \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi; \
    ping=$(npm ping --loglevel=error --fetch-retries=1 --fetch-retry-mintimeout=5000 --fetch-retry-maxtimeout=5000 2>&1) || { printf '%s\n' "$ping" >&2; echo "npm cannot reach its registry or does not trust its certificate. Behind a TLS-intercepting proxy, pass the proxy CA as the build secret npm-ca: --secret id=npm-ca,src=/path/to/ca.pem (scripts/image-build.sh does it when NODE_EXTRA_CA_CERTS or BUILD_CA_FILE names that file). See docs/CONTAINER.md." >&2; exit 1; }; \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- build-deps: the production tree plus only what `tsc` reads --------------------------------
# The compiler and the type packages the sources need (their versions from package.json's
# devDependencies, resolved through the lock file), not the whole development tree (linters,
# test tools, the Kubernetes and AWS packages the tests use).
FROM prod-deps AS build-deps
ARG BUILD_TOOLS="typescript @types/node @types/nodemailer @types/pg @types/qrcode"
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    --mount=type=secret,id=npm-ca \
    set -e; \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi; \
    ping=$(npm ping --loglevel=error --fetch-retries=1 --fetch-retry-mintimeout=5000 --fetch-retry-maxtimeout=5000 2>&1) || { printf '%s\n' "$ping" >&2; echo "npm cannot reach its registry or does not trust its certificate. Behind a TLS-intercepting proxy, pass the proxy CA as the build secret npm-ca: --secret id=npm-ca,src=/path/to/ca.pem (scripts/image-build.sh does it when NODE_EXTRA_CA_CERTS or BUILD_CA_FILE names that file). See docs/CONTAINER.md." >&2; exit 1; }; \
    node -e 'const fs = require("node:fs"); const p = require("./package.json"); \
      for (const name of process.argv.slice(1)) { \
        const version = p.devDependencies?.[name]; \
        if (!version) throw new Error(`${name} is not a devDependency`); \
        p.dependencies[name] = version; \
      } \
      delete p.devDependencies; \
      fs.writeFileSync("package.json", JSON.stringify(p));' ${BUILD_TOOLS}; \
    npm install --ignore-scripts --no-audit --no-fund

# ---- build: compile TypeScript ------------------------------------------------------------
FROM build-deps AS build
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
