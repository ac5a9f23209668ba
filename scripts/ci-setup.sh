#!/usr/bin/env bash
# Installs what the whole test suite needs on a bare Debian machine (CI, or a developer who wants every
# test to run rather than skip). Each tool has its own idempotent install script; this runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."

for installer in scripts/install-*.sh; do
  [ -e "$installer" ] || continue
  echo "▶ $installer"
  bash "$installer"
done
