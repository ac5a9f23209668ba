#!/usr/bin/env bash
# Installs Podman with runc, catatonit (the init `podman kube play` puts in every pod;
# podman's own install leaves it out without recommends) and debootstrap (for the stand-in
# base image) from Debian's packages, and writes a containers.conf that works on these VMs:
#  - runtime runc: crun (podman's default) refuses this machine's hybrid cgroups;
#  - default_ulimits capped at the host's hard limits: rootful podman otherwise
#    asks for more than the VM allows and the runtime fails with EPERM.
# The file goes to a project-local path (.tools/containers.conf, git-ignored).
# Prints the line to eval:  eval "$(bash scripts/install-podman.sh)"
# Idempotent; when everything is already there it only rewrites the config file.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
conf_dir=${CONTAINERS_CONF_DIR:-$root/.tools}
conf=$conf_dir/containers.conf

missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
{ command -v catatonit || [ -x /usr/libexec/podman/catatonit ]; } >/dev/null 2>&1 || missing+=(catatonit)

if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "install-podman: missing ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  echo "install-podman: apt-get install ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
  # podman's recommends pull crun; uidmap/slirp are not needed for rootful use.
fi

hard_nofile=$(ulimit -Hn)
hard_nproc=$(ulimit -Hu)
[ "$hard_nofile" = unlimited ] && hard_nofile=1048576
if [ "$hard_nproc" = unlimited ] || [ "$hard_nproc" -gt 32768 ]; then hard_nproc=32768; fi

mkdir -p "$conf_dir"
tmp=$(mktemp "$conf_dir/containers.conf.XXXXXX")
printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n[engine]\nruntime = "runc"\n' \
  "$hard_nofile" "$hard_nofile" "$hard_nproc" "$hard_nproc" >"$tmp"
mv "$tmp" "$conf"

echo "export CONTAINERS_CONF=$conf"
