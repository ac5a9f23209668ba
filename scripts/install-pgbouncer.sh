#!/usr/bin/env bash
# Installs Debian's PgBouncer for the pooler tests (test/ops/pgbouncer.test.ts), which start their own
# throwaway pgbouncer in transaction mode in front of the test PostgreSQL (test/support/pgbouncer.ts).
# Only the binary is wanted: the package's own service (a pgbouncer on 127.0.0.1:6432 started by its init
# script) is kept from starting during the install. Idempotent: does nothing when pgbouncer is there.
set -euo pipefail

# Debian puts it in /usr/sbin, which is not on every user's PATH.
if [ -x /usr/sbin/pgbouncer ]; then
  echo "pgbouncer already installed: $(/usr/sbin/pgbouncer --version | head -n 1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# invoke-rc.d asks /usr/sbin/policy-rc.d whether to start a service; 101 = "no". Only while installing,
# and only when the machine has no policy of its own.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  policy=/usr/sbin/policy-rc.d
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null ||
  { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null; }
echo "pgbouncer installed: $(/usr/sbin/pgbouncer --version | head -n 1)"
