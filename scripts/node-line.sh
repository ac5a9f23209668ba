#!/usr/bin/env bash
# Runs a command on one of the Node.js lines this project supports, whatever the host's Node is:
#   bash scripts/node-line.sh 22 npm test -- test/routes
# The line's binary comes first on PATH (installed by scripts/install-node.sh when missing), so `npm`,
# `npx` and everything they start run on it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
major=${1:?usage: node-line.sh MAJOR COMMAND [ARGS...]}
shift
(($#)) || { echo "node-line: no command given" >&2; exit 2; }

bash "$root/scripts/install-node.sh" "$major"
export PATH="$root/.tools/node/$major/bin:$PATH"
echo "node-line: $(node --version) for: $*" >&2
exec "$@"
