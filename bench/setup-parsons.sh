#!/usr/bin/env bash
# The Parsons baseline's Python: parsons with its NGP VAN extra, in a venv under the cache folder.
set -euo pipefail
CACHE="${CALL_SYNC_CACHE:-$HOME/.cache/call-sync}"
VENV="$CACHE/parsons-venv"
PARSONS_VERSION="6.1.0"
if [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c 'from parsons import VAN' 2>/dev/null; then exit 0; fi
command -v python3 >/dev/null || { echo "python3 is needed for the Parsons baseline" >&2; exit 1; }
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "parsons[ngpvan]==$PARSONS_VERSION"
"$VENV/bin/python" -c 'from parsons import VAN' || { echo "parsons installed but its VAN connector does not import" >&2; exit 1; }
