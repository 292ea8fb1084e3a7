#!/usr/bin/env bash
# Renders k8s/ from the Helm chart with its default values: the plain manifests are never edited by
# hand, and scripts/check-deployment.sh fails when they differ from a fresh render. The `helm test`
# hooks are left out: without Helm nothing runs them, and applied with the rest they would run once,
# before config is up, and stay behind.
#   bash scripts/deploy/render-k8s.sh [output-folder]   (default: k8s)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=scripts/deploy/tools.sh
source scripts/deploy/tools.sh
out="${1:-k8s}"
helm="$(ensure_helm)"
rendered="$(mktemp)"
trap 'rm -f "$rendered"' EXIT
"$helm" template call-sync helm/call-sync --kube-version "$CHART_KUBE_VERSION" --skip-tests >"$rendered"
rm -rf "$out"
node scripts/deploy/split-manifests.mjs "$rendered" "$out"
