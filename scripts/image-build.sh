#!/usr/bin/env bash
# Builds the Dockerfile into IMAGE_NAME with every release tag, setting the OCI labels
# (version from package.json, git revision, creation date, source, licence).
#
# Env (all optional):
#   IMAGE_NAME        repository to tag, default localhost/barona
#   IMAGE_TAGS        space-separated tags, default: scripts/image-tags.sh (x.y.z x.y x sha)
#   NODE_IMAGE        base image; default the Dockerfile's pinned official node image
#   CONTAINER_ENGINE  podman (default when installed) or docker
#   BUILD_CA_FILE     CA bundle npm must trust inside the build (TLS-intercepting proxy);
#                     default $NODE_EXTRA_CA_CERTS when that file exists. Passed as the build
#                     secret npm-ca (--secret id=npm-ca,src=FILE): podman and docker (BuildKit).
#   BUILD_NETWORK     build network, default host with podman (its default network is slow here)
#   IMAGE_SOURCE      org.opencontainers.image.source; default git remote origin, else
#                     package.json repository
#   SOURCE_DATE_EPOCH creation date (reproducible builds); default now
# Extra arguments go to `<engine> build` unchanged. Prints the image references it tagged.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
engine=${CONTAINER_ENGINE:-$(command -v podman >/dev/null && echo podman || echo docker)}
name=${IMAGE_NAME:-localhost/barona}
read -r -a tags <<<"${IMAGE_TAGS:-$(bash "$root/scripts/image-tags.sh" | tr '\n' ' ')}"
((${#tags[@]})) || { echo "image-build: no tags" >&2; exit 1; }

pkg() { node -p "const p = require(process.argv[1]); $1" "$root/package.json"; }
version=$(pkg 'p.version')
licenses=$(pkg 'p.license || ""')
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
  created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
else
  created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
fi
source=${IMAGE_SOURCE:-$(git -C "$root" remote get-url origin 2>/dev/null || true)}
[ -n "$source" ] || source=$(pkg 'typeof p.repository === "string" ? p.repository : (p.repository?.url ?? "")')
source=${source#git+}
[[ $source == git@*:* ]] && source="https://${source#git@}" && source=${source/://}

args=(build --file "$root/Dockerfile"
  --build-arg "VERSION=$version"
  --build-arg "REVISION=$revision"
  --build-arg "CREATED=$created"
  --build-arg "SOURCE=$source"
  --build-arg "LICENSES=$licenses")
[ -n "${NODE_IMAGE:-}" ] && args+=(--build-arg "NODE_IMAGE=$NODE_IMAGE")
for tag in "${tags[@]}"; do args+=(--tag "$name:$tag"); done

if [ "$engine" = podman ]; then
  # Docker format keeps HEALTHCHECK (the OCI image config has no field for it).
  args+=(--format docker --network "${BUILD_NETWORK:-host}")
elif [ -n "${BUILD_NETWORK:-}" ]; then
  args+=(--network "$BUILD_NETWORK")
fi
ca=${BUILD_CA_FILE:-${NODE_EXTRA_CA_CERTS:-}}
if [ -n "${BUILD_CA_FILE:-}" ] && [ ! -f "$BUILD_CA_FILE" ]; then
  echo "image-build: BUILD_CA_FILE $BUILD_CA_FILE does not exist" >&2
  exit 1
fi
if [ -n "$ca" ] && [ -f "$ca" ]; then
  # A build secret: mounted for the npm steps only, never in a layer or the history.
  args+=(--secret "id=npm-ca,src=$ca")
fi

echo "image-build: $engine build $name (${tags[*]}) version=$version revision=${revision:0:12}" >&2
"$engine" "${args[@]}" "$@" "$root" >&2
printf "$name:%s\n" "${tags[@]}"
