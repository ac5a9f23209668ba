# Shared by scripts/publish.sh, scripts/deploy.sh and scripts/pipeline-smoke.sh (sourced, not run).
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DRY_RUN=${DRY_RUN:-}

# The one version: package.json.
package_version() { node -p "require('$ROOT/package.json').version"; }

# Print a command the way a shell would read it back, then run it unless this is a dry run.
run() {
  local out="+" arg
  for arg in "$@"; do out+=" $(printf '%q' "$arg")"; done
  echo "$out"
  [ -n "$DRY_RUN" ] || "$@"
}

# Same, with a secret on stdin: the secret is never printed.
run_with_stdin_secret() {
  local secret_name=$1; shift
  local out="+ <\$$secret_name" arg
  for arg in "$@"; do out+=" $(printf '%q' "$arg")"; done
  echo "$out"
  [ -n "$DRY_RUN" ] || printf '%s' "${!secret_name}" | "$@"
}

# The engine scripts/image-build.sh uses: CONTAINER_ENGINE, else podman when installed, else docker.
container_engine() {
  if [ -n "${CONTAINER_ENGINE:-}" ]; then echo "$CONTAINER_ENGINE"; return; fi
  if command -v podman >/dev/null 2>&1; then echo podman; else echo docker; fi
}

# helm from .tools/bin (scripts/install-helm.sh), else PATH, else install it (not in a dry run).
helm_bin() {
  if [ -x "$ROOT/.tools/bin/helm" ]; then echo "$ROOT/.tools/bin/helm"; return; fi
  if command -v helm >/dev/null 2>&1; then command -v helm; return; fi
  if [ -z "$DRY_RUN" ] && [ -f "$ROOT/scripts/install-helm.sh" ]; then
    bash "$ROOT/scripts/install-helm.sh" >&2 && [ -x "$ROOT/.tools/bin/helm" ] && { echo "$ROOT/.tools/bin/helm"; return; }
  fi
  echo helm
}

# A registry reached over plain HTTP: the seed's local registry on localhost:5000, unless told otherwise.
registry_insecure() {
  case "${REGISTRY_INSECURE:-auto}" in
    1|true|yes) return 0 ;;
    0|false|no) return 1 ;;
  esac
  case "${1%%/*}" in localhost|localhost:*|127.0.0.1|127.0.0.1:*) return 0 ;; esac
  return 1
}

# The tags scripts/image-tags.sh prints (x.y.z, x.y, x, commit), one per word.
image_tags() { bash "$ROOT/scripts/image-tags.sh" | tr '\n' ' '; }

# The commit tag: sha-<short sha>.
commit_tag() {
  local t
  for t in $(image_tags); do [[ "$t" == sha-* ]] && { echo "$t"; return 0; }; done
  echo "no commit tag among: $(image_tags)" >&2
  return 1
}
