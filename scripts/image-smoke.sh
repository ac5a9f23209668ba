#!/usr/bin/env bash
# Smoke test of a running Barona instance (a container, a pod behind a port-forward, a
# fresh deployment) over HTTP: health endpoints, then the seed API end to end.
#
#   scripts/image-smoke.sh [BASE_URL]          default http://127.0.0.1:8000
# Env: SMOKE_WAIT_SECONDS  how long to wait for /healthz and /readyz (default 60)
#      SMOKE_METRICS_URL   where /metrics is served (default BASE_URL/metrics; set it when
#                          the instance runs with METRICS_PORT)
#      API_TOKEN           sent as "Authorization: Bearer ..." on every request (AUTH_MODE=token:
#                          writes and reads of attendance need a gate token)
# Needs curl and node. Exit 0 when every check passed; otherwise the first failure is
# printed and the exit status is 1.
set -euo pipefail

base=${1:-http://127.0.0.1:8000}
base=${base%/}
wait_seconds=${SMOKE_WAIT_SECONDS:-60}
work=$(mktemp -d "${TMPDIR:-/tmp}/barona-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "smoke: FAIL $*" >&2; exit 1; }
pass() { echo "smoke: ok   $*"; }

# request METHOD PATH [JSON_BODY] -> sets $status, body in $work/body
request() {
  local method=$1 path=$2 body=${3:-}
  local args=(--silent --show-error --max-time 10 --output "$work/body" --write-out '%{http_code}' -X "$method")
  [ -n "$body" ] && args+=(-H 'content-type: application/json' --data "$body")
  [ -n "${API_TOKEN:-}" ] && args+=(-H "authorization: Bearer $API_TOKEN")
  status=$(curl "${args[@]}" "$base$path" 2>"$work/curl-error") || status=000
}

expect_status() {
  local want=$1 method=$2 path=$3 body=${4:-}
  request "$method" "$path" "$body"
  [ "$status" = "$want" ] ||
    fail "$method $path: HTTP $status, expected $want: $(head -c 300 "$work/body" 2>/dev/null; cat "$work/curl-error")"
  pass "$method $path -> $status"
}

# check_json 'JS expression over `body`' description  (uses the last response body)
check_json() {
  node -e '
    const fs = require("node:fs");
    const body = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    if (!(new Function("body", "return (" + process.argv[2] + ")"))(body)) process.exit(1);
  ' "$work/body" "$1" || fail "$2: $(head -c 300 "$work/body")"
  pass "$2"
}

wait_for() {
  local path=$1 deadline=$((SECONDS + wait_seconds))
  until request GET "$path" && [ "$status" = 200 ]; do
    ((SECONDS < deadline)) || fail "GET $path not 200 within ${wait_seconds}s (last: HTTP $status $(head -c 200 "$work/body" 2>/dev/null))"
    sleep 0.5
  done
  pass "GET $path -> 200"
}

echo "smoke: $base"
wait_for /healthz
wait_for /readyz
metrics_status=$(curl --silent --show-error --max-time 10 --output "$work/metrics" --write-out '%{http_code}' \
  "${SMOKE_METRICS_URL:-$base/metrics}" 2>"$work/curl-error") || metrics_status=000
[ "$metrics_status" = 200 ] || fail "GET ${SMOKE_METRICS_URL:-$base/metrics}: HTTP $metrics_status $(cat "$work/curl-error")"
grep -q '^# TYPE ' "$work/metrics" || fail "GET /metrics: not Prometheus text"
pass "GET /metrics -> 200, Prometheus text"

first="Smoke$RANDOM"
expect_status 201 POST /table/create "{\"firstname\":\"$first\",\"lastname\":\"Container\",\"gate\":\"G1\"}"
check_json "typeof body.id !== 'undefined' && body.firstname === '$first' && body.lastname === 'Container' && body.gate === 'G1' && !Number.isNaN(Date.parse(body.login))" \
  "created check-in has id, names, gate and a login time"
id=$(node -p 'JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).id' "$work/body")

expect_status 400 POST /table/create '{"firstname":"","lastname":"Container","gate":"G1"}'

expect_status 200 GET /table/view/date:today
check_json "Array.isArray(body) && body.some((row) => String(row.id) === '$id' && row.firstname === '$first')" \
  "today's sheet lists check-in $id"

expect_status 200 GET /table/view/date:20190101
check_json "Array.isArray(body)" "a past day's sheet is a JSON array"
expect_status 400 GET /table/view/date:2019-01-01

expect_status 200 GET /table/
[ -s "$work/body" ] || fail "GET /table/: empty body"
expect_status 200 GET /admin

echo "smoke: all checks passed"
