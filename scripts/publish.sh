#!/usr/bin/env bash
# Release stage: push the built image under every tag of this version, and the packaged chart, to an
# OCI registry. Needs a container engine (docker or podman) and helm; --dry-run needs neither.
#
# Usage: scripts/publish.sh [--dry-run] [image] [chart]       (default: image and chart)
# Env:
#   REGISTRY            required: registry host and optional path, e.g. localhost:5000 or ghcr.io/acme
#   IMAGE_NAME          repository under REGISTRY (barona)
#   LOCAL_IMAGE         image built by scripts/image-build.sh (localhost/barona:<version>)
#   TAG_SET             release: every tag scripts/image-tags.sh prints (x.y.z, x.y, x, sha; default)
#                       sha: only the commit tag (builds of main that are not releases)
#   CHART_REPO          OCI path the chart goes to ($REGISTRY/charts → oci://$REGISTRY/charts/barona)
#   REGISTRY_USER, REGISTRY_PASSWORD   log in first when both are set (CI credentials)
#   REGISTRY_INSECURE   plain-HTTP registry; auto = yes for localhost:* and 127.0.0.1:*
#   CONTAINER_ENGINE    podman | docker (default: podman when installed, as scripts/image-build.sh)
#   DRY_RUN=1           same as --dry-run: print every command, run none
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/pipeline.sh"
cd "$ROOT"

parts=()
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    image|chart) parts+=("$arg") ;;
    *) echo "publish: unknown argument '$arg' (--dry-run, image, chart)" >&2; exit 2 ;;
  esac
done
[ ${#parts[@]} -gt 0 ] || parts=(image chart)

: "${REGISTRY:?publish: set REGISTRY, e.g. REGISTRY=localhost:5000 (see docs/PIPELINE.md)}"
REGISTRY=${REGISTRY%/}
VERSION=$(package_version)
IMAGE_NAME=${IMAGE_NAME:-barona}
LOCAL_IMAGE=${LOCAL_IMAGE:-localhost/barona:$VERSION}
CHART_REPO=${CHART_REPO:-$REGISTRY/charts}
TAG_SET=${TAG_SET:-release}
host=${REGISTRY%%/*}
echo "publish: barona $VERSION → $REGISTRY (${parts[*]})${DRY_RUN:+ [dry run: nothing is pushed]}"

login_engine() {
  if [ -n "${REGISTRY_USER:-}" ] && [ -n "${REGISTRY_PASSWORD:-}" ]; then
    run_with_stdin_secret REGISTRY_PASSWORD "$engine" login --username "$REGISTRY_USER" --password-stdin "$host"
  fi
}

publish_image() {
  engine=$(container_engine)
  local all=() tags=() t
  read -r -a all <<< "$(image_tags)"
  [ ${#all[@]} -gt 0 ] || { echo "publish: scripts/image-tags.sh printed no tags" >&2; exit 1; }
  for t in "${all[@]}"; do
    case "$TAG_SET" in
      release) tags+=("$t") ;;
      # the commit tag is sha-<short sha>
      sha) [[ "$t" == sha-* ]] && tags+=("$t") ;;
      *) echo "publish: TAG_SET must be release or sha" >&2; exit 2 ;;
    esac
  done
  [ ${#tags[@]} -gt 0 ] || { echo "publish: no tags selected from: ${all[*]}" >&2; exit 1; }
  local tls=()
  if [ "$engine" = podman ] && registry_insecure "$REGISTRY"; then tls=(--tls-verify=false); fi
  login_engine
  for t in "${tags[@]}"; do
    run "$engine" tag "$LOCAL_IMAGE" "$REGISTRY/$IMAGE_NAME:$t"
    run "$engine" push "${tls[@]}" "$REGISTRY/$IMAGE_NAME:$t"
  done
  echo "publish: image $REGISTRY/$IMAGE_NAME tags: ${tags[*]}"
}

publish_chart() {
  local helm out pkg http=()
  helm=$(helm_bin)
  out=${CHART_OUT:-dist/chart}
  pkg="$out/barona-$VERSION.tgz"
  registry_insecure "$CHART_REPO" && http=(--plain-http)
  run bash scripts/chart-package.sh "$out"
  if [ -z "$DRY_RUN" ] && [ ! -f "$pkg" ]; then
    echo "publish: scripts/chart-package.sh did not produce $pkg" >&2; exit 1
  fi
  if [ -n "${REGISTRY_USER:-}" ] && [ -n "${REGISTRY_PASSWORD:-}" ]; then
    local insecure=()
    registry_insecure "$CHART_REPO" && insecure=(--insecure)
    run_with_stdin_secret REGISTRY_PASSWORD "$helm" registry login "${insecure[@]}" --username "$REGISTRY_USER" --password-stdin "${CHART_REPO%%/*}"
  fi
  run "$helm" push "${http[@]}" "$pkg" "oci://$CHART_REPO"
  echo "publish: chart oci://$CHART_REPO/barona:$VERSION"
}

for p in "${parts[@]}"; do "publish_$p"; done
