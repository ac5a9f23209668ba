#!/usr/bin/env bash
# Smoke stage: start the built image with its embedded database on a loopback port, wait until
# /healthz answers, run scripts/image-smoke.sh against it, and always remove the container.
#
# Usage: scripts/pipeline-smoke.sh [image]      (default: $IMAGE, else localhost/barona:<version>, as
#        scripts/image-build.sh tags it)
# Env:   SMOKE_PORT (18000), SMOKE_WAIT_SECONDS (60), CONTAINER_ENGINE (podman when installed, else docker)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/pipeline.sh"
cd "$ROOT"

image=${1:-${IMAGE:-localhost/barona:$(package_version)}}
port=${SMOKE_PORT:-18000}
engine=$(container_engine)
name="barona-smoke-$$"
cleanup() { "$engine" rm -f -t 0 "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# The image listens on 0.0.0.0, so access control is on (AUTH_MODE=token): give the instance a
# throwaway automation token and let the smoke test present it.
API_TOKEN="brn_$(node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64url"))')"
export API_TOKEN
run "$engine" run -d --name "$name" --read-only --tmpfs /tmp -p "127.0.0.1:$port:8000" --env BOOTSTRAP_API_TOKEN="$API_TOKEN" "$image"
url="http://127.0.0.1:$port"
deadline=$((SECONDS + ${SMOKE_WAIT_SECONDS:-60}))
until node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url/healthz"; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "pipeline-smoke: $image did not answer $url/healthz within ${SMOKE_WAIT_SECONDS:-60}s" >&2
    "$engine" logs "$name" >&2 || true
    exit 1
  fi
  sleep 1
done
echo "pipeline-smoke: $image answers on $url"
bash scripts/image-smoke.sh "$url"
