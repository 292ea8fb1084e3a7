#!/usr/bin/env bash
# Checks the monitoring files offline with Debian's promtool (installed on first use by
# scripts/infra/prometheus.sh): the alert rules are valid, their unit tests pass, every alert has
# a firing and a quiet test, the Prometheus configuration of docker-compose is valid, and the
# Grafana dashboard is well-formed (its queries are proven against a real Prometheus by
# test/e2e/monitoring.test.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RULES=helm/call-sync/files/prometheus-rules.yaml
bash scripts/infra/prometheus.sh install
promtool check rules "$RULES"
promtool test rules monitoring/alerts.test.yaml
node monitoring/check-alert-tests.mjs "$RULES" monitoring/alerts.test.yaml
if [[ -f monitoring/compose/prometheus.yml ]]; then
  # The compose file mounts the rules at /etc/prometheus/rules/; check against the same layout.
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/rules"
  cp "$RULES" "$tmp/rules/"
  sed "s#/etc/prometheus/rules/#$tmp/rules/#" monitoring/compose/prometheus.yml >"$tmp/prometheus.yml"
  promtool check config "$tmp/prometheus.yml"
fi
node monitoring/check-dashboard.mjs helm/call-sync/files/grafana-dashboard.json
echo "monitoring files OK"
