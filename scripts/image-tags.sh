#!/usr/bin/env bash
# The image tags of a release, from package.json's version (the single source of truth)
# and the git commit:  x.y.z, x.y, x and sha-<short sha>, one per line.
# A pre-release (1.2.0-rc.1) gets only its full version and the sha: the moving x.y and
# x tags always point at the newest final release.
#
#   scripts/image-tags.sh                        print the tags
#   scripts/image-tags.sh --apply SRC [REPO]     tag local image SRC as REPO:<tag> for each
#                                                tag (REPO defaults to SRC without its tag)
#   scripts/image-tags.sh --refs REPO            print REPO:<tag> for each tag
# Env: GIT_SHA (overrides `git rev-parse`), CONTAINER_ENGINE (podman or docker).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(node -p 'require(process.argv[1]).version' "$root/package.json")

semver='^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$'
if ! [[ $version =~ $semver ]]; then
  echo "image-tags: package.json version '$version' is not semantic (x.y.z)" >&2
  exit 1
fi
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]} patch=${BASH_REMATCH[3]} pre=${BASH_REMATCH[4]}

# Image tags cannot hold '+', so build metadata is dropped.
tags=("$major.$minor.$patch$pre")
[ -z "$pre" ] && tags+=("$major.$minor" "$major")

sha=${GIT_SHA:-$(git -C "$root" rev-parse HEAD 2>/dev/null || true)}
if [ -n "$sha" ]; then
  # Prefixed so an all-digit sha (e.g. 3803866) can never be mistaken for a version tag.
  tags+=("sha-${sha:0:7}")
else
  echo "image-tags: not a git checkout and GIT_SHA unset; no sha tag" >&2
fi

case "${1:-}" in
  "")
    printf '%s\n' "${tags[@]}"
    ;;
  --refs)
    repo=${2:?usage: image-tags.sh --refs REPO}
    printf "$repo:%s\n" "${tags[@]}"
    ;;
  --apply)
    src=${2:?usage: image-tags.sh --apply SRC_IMAGE [REPO]}
    repo=${3:-}
    if [ -z "$repo" ]; then
      repo=$src
      # Strip a :tag, but not a registry's :port (a tag never contains '/').
      [[ ${src##*:} != */* ]] && repo=${src%:*}
    fi
    engine=${CONTAINER_ENGINE:-$(command -v podman >/dev/null && echo podman || echo docker)}
    for tag in "${tags[@]}"; do
      "$engine" tag "$src" "$repo:$tag"
      echo "$repo:$tag"
    done
    ;;
  *)
    echo "usage: image-tags.sh [--refs REPO | --apply SRC_IMAGE [REPO]]" >&2
    exit 2
    ;;
esac
