#!/usr/bin/env bash
# Checks the deployment files offline, each step saying what failed:
#   the Dockerfile (hadolint) and what each image target copies (scripts/deploy/check-image-contexts.mjs);
#   docker-compose.yml against the current compose specification;
#   the Helm chart: every value documented, `helm lint --strict` and `helm template` with the default
#   and the production-like values, and the production values with the van-writer scaled by KEDA;
#   every rendered manifest (hooks and the `helm test` Pod included) and every file of k8s/ against
#   the Kubernetes JSON schemas (unknown fields rejected) of the oldest Kubernetes the chart supports
#   and the newest; ServiceMonitor and PrometheusRule against the Prometheus Operator's types,
#   ScaledObject and TriggerAuthentication against KEDA's; k8s/ equal to a fresh render of the chart.
# helm (Go module proxy) and the Python linters are installed once into the cache folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/deploy/tools.sh
source scripts/deploy/tools.sh
started=$SECONDS
CHART=helm/call-sync
PRODUCTION_VALUES="$CHART/examples/production-values.yaml"
# The chart's kubeVersion floor, and the newest schemas kubernetes-validate ships.
KUBE_VERSIONS=("$CHART_KUBE_VERSION" 1.37.0)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failed=()
step() {
  local name="$1"
  shift
  if "$@" >"$work/step.log" 2>&1; then
    printf 'ok   %s\n' "$name"
  else
    printf 'FAIL %s\n' "$name"
    sed 's/^/     /' "$work/step.log"
    failed+=("$name")
  fi
}

venv="$(ensure_deploy_venv)"
helm="$(ensure_helm)"

step "hadolint Dockerfile" "$venv/hadolint" --failure-threshold style Dockerfile
step "each image copies only its own component (Dockerfile)" node scripts/deploy/check-image-contexts.mjs
step "docker-compose.yml matches the compose specification" \
  "$venv/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml
step "every chart value is documented" node scripts/deploy/check-values-documented.mjs "$CHART/values.yaml"

step "helm lint --strict (default values)" "$helm" lint --strict "$CHART"
step "helm lint --strict (production values)" "$helm" lint --strict "$CHART" -f "$PRODUCTION_VALUES"
step "helm template (default values)" \
  sh -c '"$1" template call-sync "$2" --kube-version "$3" >"$4"' _ "$helm" "$CHART" "${KUBE_VERSIONS[0]}" "$work/default.yaml"
step "helm template (production values)" \
  sh -c '"$1" template call-sync "$2" --kube-version "$3" -f "$4" >"$5"' _ \
  "$helm" "$CHART" "${KUBE_VERSIONS[0]}" "$PRODUCTION_VALUES" "$work/production.yaml"
# KEDA is off by default: its objects are rendered, linted and validated only with it on (the
# production values bring SASL and TLS, so its TriggerAuthentication too).
KEDA=(--set vanWriter.keda.enabled=true --set vanWriter.keda.maxReplicaCount=6)
step "helm lint --strict (production values, van-writer scaled by KEDA)" \
  "$helm" lint --strict "$CHART" -f "$PRODUCTION_VALUES" "${KEDA[@]}"
step "helm template (production values, van-writer scaled by KEDA)" \
  sh -c 'out="$1"; shift; "$@" >"$out"' _ "$work/keda.yaml" \
  "$helm" template call-sync "$CHART" --kube-version "${KUBE_VERSIONS[0]}" -f "$PRODUCTION_VALUES" "${KEDA[@]}"
step "the KEDA render holds a ScaledObject and no HorizontalPodAutoscaler" \
  sh -c 'grep -q "^kind: ScaledObject$" "$1" && grep -q "^kind: TriggerAuthentication$" "$1" && ! grep -q "^kind: HorizontalPodAutoscaler$" "$1"' _ "$work/keda.yaml"

manifests=("$work/default.yaml" "$work/production.yaml" "$work/keda.yaml")
for file in k8s/*.yaml; do
  [[ "$(basename "$file")" == kustomization.yaml ]] || manifests+=("$file")
done
# kubernetes-validate only warns on a kind it has no schema for; only the operators' kinds may be
# such, and they are validated next.
OPERATOR_KINDS="kind \(ServiceMonitor\|PrometheusRule\) with api version monitoring.coreos.com/v1 \|kind \(ScaledObject\|TriggerAuthentication\) with api version keda.sh/v1alpha1 "
validate_kubernetes() {
  local version="$1"
  shift
  local status=0
  "$venv/kubernetes-validate" --strict --quiet -k "$version" "$@" >"$work/kv.log" 2>&1 || status=$?
  grep -v "^WARN .*\($OPERATOR_KINDS\)" "$work/kv.log" || true
  if grep '^WARN' "$work/kv.log" | grep -qv "$OPERATOR_KINDS"; then
    status=1
  fi
  return "$status"
}
for version in "${KUBE_VERSIONS[@]}"; do
  step "Kubernetes $version schemas, unknown fields rejected (rendered chart and k8s/)" \
    validate_kubernetes "$version" "${manifests[@]}"
done
step "ServiceMonitor, PrometheusRule, ScaledObject, TriggerAuthentication (the operators' types)" \
  node scripts/deploy/validate-operator-kinds.mjs "${manifests[@]}"

step "k8s/ equals a fresh render of the chart (bash scripts/deploy/render-k8s.sh)" \
  sh -c 'bash scripts/deploy/render-k8s.sh "$1" >/dev/null && diff -ru k8s "$1"' _ "$work/k8s"

printf '%s steps failed, %ss\n' "${#failed[@]}" "$((SECONDS - started))"
if ((${#failed[@]} > 0)); then
  printf 'deployment check failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "deployment files OK"
