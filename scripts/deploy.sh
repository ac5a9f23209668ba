#!/usr/bin/env bash
# Deploy stage: install or upgrade the release with the released image tag, atomically: helm waits
# for every rollout and rolls the release back by itself when anything does not become ready.
#
# Usage: scripts/deploy.sh [--dry-run]
# Env:
#   KUBE_CONTEXT   kubeconfig context to deploy to (default: the kubeconfig's current context)
#   NAMESPACE      target namespace, created when missing (barona)
#   RELEASE        helm release name (barona)
#   VERSION        chart version (package.json's version)
#   IMAGE_TAG      image tag to run (VERSION); "commit" = the commit tag scripts/image-tags.sh prints
#                  (builds of main publish and deploy only that one)
#   REGISTRY       where publish.sh pushed: the image is taken from $REGISTRY/$IMAGE_NAME (barona), unless
#                  CHART is set, the chart from oci://$CHART_REPO/barona (CHART_REPO=$REGISTRY/charts)
#   CHART          chart reference (default: the OCI chart above, or ./charts/barona without REGISTRY)
#   PULL_POLICY    image.pullPolicy (chart default when unset; the seed's local flow used Never/IfNotPresent)
#   VALUES_FILES   extra values files, space-separated (-f each)
#   TIMEOUT        helm --timeout (10m)
#   DRY_RUN=1      same as --dry-run: print the helm command, run nothing
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/pipeline.sh"
cd "$ROOT"

for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    *) echo "deploy: unknown argument '$arg' (--dry-run)" >&2; exit 2 ;;
  esac
done

VERSION=${VERSION:-$(package_version)}
IMAGE_TAG=${IMAGE_TAG:-$VERSION}
[ "$IMAGE_TAG" = commit ] && IMAGE_TAG=$(commit_tag)
NAMESPACE=${NAMESPACE:-barona}
RELEASE=${RELEASE:-barona}
TIMEOUT=${TIMEOUT:-10m}
REGISTRY=${REGISTRY:-}
REGISTRY=${REGISTRY%/}
CHART_REPO=${CHART_REPO:-${REGISTRY:+$REGISTRY/charts}}

args=(upgrade --install "$RELEASE")
if [ -n "${CHART:-}" ]; then
  args+=("$CHART")
elif [ -n "$CHART_REPO" ]; then
  args+=("oci://$CHART_REPO/barona" --version "$VERSION")
  registry_insecure "$CHART_REPO" && args+=(--plain-http)
else
  args+=(charts/barona)
fi
args+=(--namespace "$NAMESPACE" --create-namespace)
[ -n "${KUBE_CONTEXT:-}" ] && args+=(--kube-context "$KUBE_CONTEXT")
args+=(--atomic --wait --timeout "$TIMEOUT" --set-string "image.tag=$IMAGE_TAG")
if [ -n "$REGISTRY" ]; then
  # REGISTRY = host[/path]: the chart takes the host as image.registry, the rest as the repository.
  host=${REGISTRY%%/*}
  path=${REGISTRY#"$host"}
  args+=(--set-string "image.registry=$host" --set-string "image.repository=${path#/}${path:+/}${IMAGE_NAME:-barona}")
fi
[ -n "${PULL_POLICY:-}" ] && args+=(--set-string "image.pullPolicy=$PULL_POLICY")
for f in ${VALUES_FILES:-}; do args+=(-f "$f"); done

echo "deploy: release $RELEASE, chart $VERSION, image tag $IMAGE_TAG → namespace $NAMESPACE${KUBE_CONTEXT:+ in context $KUBE_CONTEXT}${DRY_RUN:+ [dry run: nothing is deployed]}"
run "$(helm_bin)" "${args[@]}"
