#!/usr/bin/env bash
# Security stage, the same on a laptop, in Jenkins and in GitHub Actions:
#   sbom      CycloneDX SBOM of the production dependencies   → $REPORTS_DIR/sbom.cdx.json
#   licenses  licence allow-list check of that SBOM            → $REPORTS_DIR/licenses.json
#   audit     npm audit --omit=dev (says so loudly when the registry cannot audit)
#   scan      Trivy or Grype over $IMAGE (or $IMAGE_ARCHIVE, else the SBOM) when one is installed
#
# Usage: scripts/security.sh [sbom|licenses|audit|scan ...]   (default: all four, in that order)
# Env:   REPORTS_DIR (reports), IMAGE, IMAGE_ARCHIVE, SCAN_SEVERITY (HIGH,CRITICAL),
#        AUDIT_LEVEL (low), AUDIT_REQUIRED (false), LICENSE_ALLOWLIST (scripts/license-allowlist.json)
# Every requested step runs; the script exits 1 if any of them failed. A step that could not run
# here (audit on a registry without the endpoint, scan without a scanner) is reported as SKIPPED.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
REPORTS_DIR=${REPORTS_DIR:-reports}
SBOM="$REPORTS_DIR/sbom.cdx.json"
SCAN_SEVERITY=${SCAN_SEVERITY:-HIGH,CRITICAL}
mkdir -p "$REPORTS_DIR"

step_sbom() {
  local bin="$ROOT/node_modules/.bin/cyclonedx-npm"
  if [ ! -x "$bin" ]; then
    echo "sbom: FAILED: @cyclonedx/cyclonedx-npm is not installed (run npm ci)" >&2
    return 1
  fi
  "$bin" --omit dev --output-format JSON --spec-version 1.6 --mc-type application \
    --output-reproducible --output-file "$SBOM" || { echo "sbom: FAILED" >&2; return 1; }
  echo "sbom: wrote $SBOM ($(node -e 'const b=require(process.argv[1]);let n=0;const w=c=>(c||[]).forEach(x=>{n++;w(x.components)});w(b.components);console.log(n+" components, CycloneDX "+b.specVersion)' "$ROOT/$SBOM"))"
}

step_licenses() {
  [ -f "$SBOM" ] || step_sbom || return 1
  node --import tsx scripts/license-check.ts --sbom "$SBOM" \
    --config "${LICENSE_ALLOWLIST:-scripts/license-allowlist.json}" --report "$REPORTS_DIR/licenses.json"
}

step_audit() {
  node --import tsx scripts/npm-audit.ts --report "$REPORTS_DIR/npm-audit.json"
}

step_scan() {
  local target what
  if command -v trivy >/dev/null 2>&1; then
    if [ -n "${IMAGE_ARCHIVE:-}" ]; then target=(image --input "$IMAGE_ARCHIVE"); what="image archive $IMAGE_ARCHIVE"
    elif [ -n "${IMAGE:-}" ]; then target=(image "$IMAGE"); what="image $IMAGE"
    else [ -f "$SBOM" ] || step_sbom || return 1; target=(sbom "$SBOM"); what="SBOM $SBOM (no IMAGE given)"
    fi
    echo "scan: trivy over $what, failing on $SCAN_SEVERITY"
    trivy "${target[@]}" --severity "$SCAN_SEVERITY" --exit-code 1 --format table \
      | tee "$REPORTS_DIR/trivy.txt"
    local rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] && echo "scan: passed" || echo "scan: FAILED (trivy exit $rc)" >&2
    return "$rc"
  elif command -v grype >/dev/null 2>&1; then
    local fail_on
    fail_on=$(echo "${SCAN_SEVERITY%%,*}" | tr '[:upper:]' '[:lower:]')
    if [ -n "${IMAGE_ARCHIVE:-}" ]; then target=("oci-archive:$IMAGE_ARCHIVE"); what="image archive $IMAGE_ARCHIVE"
    elif [ -n "${IMAGE:-}" ]; then target=("$IMAGE"); what="image $IMAGE"
    else [ -f "$SBOM" ] || step_sbom || return 1; target=("sbom:$SBOM"); what="SBOM $SBOM (no IMAGE given)"
    fi
    echo "scan: grype over $what, failing on $fail_on or worse"
    grype "${target[@]}" --fail-on "$fail_on" -o table | tee "$REPORTS_DIR/grype.txt"
    local rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] && echo "scan: passed" || echo "scan: FAILED (grype exit $rc)" >&2
    return "$rc"
  else
    echo "scan: skipped: no scanner (neither trivy nor grype is on PATH; the image was NOT scanned)"
    echo "skipped: no scanner" > "$REPORTS_DIR/scan.txt"
    return 3
  fi
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(sbom licenses audit scan)
failed=() passed=() skipped=()
for s in "${steps[@]}"; do
  case "$s" in
    sbom|licenses|audit|scan)
      echo "== security: $s"
      "step_$s"
      case $? in 0) passed+=("$s") ;; 3) skipped+=("$s") ;; *) failed+=("$s") ;; esac ;;
    *) echo "security: unknown step '$s' (sbom, licenses, audit, scan)" >&2; exit 2 ;;
  esac
done
echo "security: passed: ${passed[*]:-none}; SKIPPED: ${skipped[*]:-none}; FAILED: ${failed[*]:-none}; reports in $REPORTS_DIR/"
[ ${#failed[@]} -eq 0 ] || exit 1
