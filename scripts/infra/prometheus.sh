#!/usr/bin/env bash
# Prometheus for the demo and the metrics tests: Debian's package (prometheus and promtool),
# installed with apt-get on first use, started by hand on loopback. It loads the project's alert
# rules (helm/call-sync/files/prometheus-rules.yaml) and scrapes whatever targets the demo or a
# test writes as JSON files into $PROMETHEUS_TARGETS (file_sd: picked up without a restart).
#   prometheus.sh install | start | stop | status | env
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

PROMETHEUS_PORT="${PROMETHEUS_PORT:-19090}"
# Short, so a test sees a service's metrics a second or two after the service has them.
PROMETHEUS_SCRAPE_INTERVAL="${PROMETHEUS_SCRAPE_INTERVAL:-1s}"
PROM_DIR="$CALL_SYNC_STATE/prometheus"
PROMETHEUS_TARGETS="${PROMETHEUS_TARGETS:-$PROM_DIR/targets}"
PROM_PID="$CALL_SYNC_STATE/prometheus.pid"
PROM_LOG="$CALL_SYNC_STATE/prometheus.log"
RULES="$REPO/helm/call-sync/files/prometheus-rules.yaml"

install_prometheus() {
  command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || die "prometheus is not installed and apt-get is not available; install Prometheus 2.x (prometheus and promtool on PATH)"
  local sudo=""
  [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
  log "installing Debian's prometheus package (first time only, about 30 s)"
  # The package's own service is not used (it may try to start one; nothing depends on it).
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq prometheus >"$CALL_SYNC_CACHE/prometheus-apt.log" 2>&1; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq prometheus >"$CALL_SYNC_CACHE/prometheus-apt.log" 2>&1 \
      || { tail -n 20 "$CALL_SYNC_CACHE/prometheus-apt.log" >&2; die "apt-get install prometheus failed"; }
  fi
  command -v promtool >/dev/null 2>&1 || die "the prometheus package did not provide promtool"
  log "prometheus installed: $(prometheus --version 2>&1 | head -n 1)"
}

write_config() {
  mkdir -p "$PROM_DIR/data" "$PROMETHEUS_TARGETS"
  cat >"$PROM_DIR/prometheus.yml" <<YAML
# Written by scripts/infra/prometheus.sh on each start.
global:
  scrape_interval: $PROMETHEUS_SCRAPE_INTERVAL
  evaluation_interval: $PROMETHEUS_SCRAPE_INTERVAL
rule_files:
  - $RULES
scrape_configs:
  # As the Prometheus Operator scrapes: honor_labels off; the target files carry the labels it
  # would set (job and service = the Service's name, endpoint, namespace, pod).
  - job_name: call-sync
    honor_labels: false
    file_sd_configs:
      - files: ['$PROMETHEUS_TARGETS/*.json']
        refresh_interval: 1s
  # One-shot commands (the extractor) are scraped while they run; when they exit their target
  # is down, which is expected, so they are kept out of the call-sync job that CallSyncServiceDown watches.
  - job_name: one-shot
    honor_labels: false
    file_sd_configs:
      - files: ['$PROMETHEUS_TARGETS/one-shot/*.json']
        refresh_interval: 1s
YAML
  mkdir -p "$PROMETHEUS_TARGETS/one-shot"
  promtool check config "$PROM_DIR/prometheus.yml" >"$PROM_DIR/check.log" 2>&1 \
    || { cat "$PROM_DIR/check.log" >&2; die "the generated Prometheus configuration is invalid"; }
}

start_prometheus() {
  if is_running "$PROM_PID"; then log "Prometheus already running on $PROMETHEUS_PORT"; return 0; fi
  install_prometheus
  write_config
  nohup prometheus \
    --config.file="$PROM_DIR/prometheus.yml" \
    --storage.tsdb.path="$PROM_DIR/data" \
    --storage.tsdb.retention.time=2d \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
    --web.enable-lifecycle \
    >"$PROM_LOG" 2>&1 &
  echo $! >"$PROM_PID"
  wait_for_port "Prometheus" "$PROMETHEUS_PORT" 60 "$PROM_LOG" "$PROM_PID"
  wait_for_http "Prometheus" "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" "$PROM_LOG" "$PROM_PID" --ok
  log "Prometheus ready on http://127.0.0.1:$PROMETHEUS_PORT (targets: $PROMETHEUS_TARGETS)"
}

case "${1:-start}" in
  install) install_prometheus ;;
  start) start_prometheus ;;
  stop) stop_pidfile "Prometheus" "$PROM_PID" ;;
  status)
    if is_running "$PROM_PID"; then
      echo "Prometheus: running (pid $(cat "$PROM_PID")) at http://127.0.0.1:$PROMETHEUS_PORT"
    else
      echo "Prometheus: stopped"
    fi
    ;;
  env)
    echo "PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT"
    echo "PROMETHEUS_TARGETS=$PROMETHEUS_TARGETS"
    ;;
  *) die "usage: prometheus.sh install|start|stop|status|env" ;;
esac
