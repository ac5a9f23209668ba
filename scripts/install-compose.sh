#!/usr/bin/env bash
# Installs the Compose clients people run compose.yaml with on Debian 12, from Debian's packages:
# docker-compose 1.29 (Compose v1) and podman-compose 1.0.3. The tests use them to check that the
# file is accepted (docker-compose config) and what podman-compose would run (--dry-run).
# Idempotent: does nothing when both are there.
set -euo pipefail

missing=()
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v podman-compose >/dev/null 2>&1 || missing+=(podman-compose)
if ((${#missing[@]} == 0)); then
  echo "install-compose: docker-compose and podman-compose already installed" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-compose: missing ${missing[*]}; run as root or install them with apt-get" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
  { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
