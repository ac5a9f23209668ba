#!/usr/bin/env bash
# Packages charts/barona into a .tgz for a chart repository or an OCI registry.
# Usage: scripts/chart-package.sh [dist-dir]   (default: dist/chart)
# Fails when Chart.yaml's version/appVersion differ from package.json's version.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dist="${1:-$root/dist/chart}"

bash "$root/scripts/install-helm.sh" >/dev/null
helm="$root/.tools/bin/helm"

version="$(node -p "require('$root/package.json').version")"
chart_version="$(sed -n 's/^version: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$root/charts/barona/Chart.yaml")"
app_version="$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$root/charts/barona/Chart.yaml")"
if [ "$chart_version" != "$version" ] || [ "$app_version" != "$version" ]; then
  echo "chart-package: Chart.yaml version=$chart_version appVersion=$app_version, package.json version=$version; make them equal" >&2
  exit 1
fi

"$helm" lint --strict "$root/charts/barona" >/dev/null
mkdir -p "$dist"
"$helm" package "$root/charts/barona" --destination "$dist"
