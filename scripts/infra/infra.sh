#!/usr/bin/env bash
# Local real servers for tests and the demo: Kafka, a MongoDB-wire server, S3 (SeaweedFS), and
# Prometheus scraping the services the demo or a test registers.
#   infra.sh up      install on first use (cached), start, wait until each answers
#   infra.sh down    stop them
#   infra.sh status  what runs where
#   infra.sh env     the variables that point the project at them
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

print_env() {
  cat <<ENV
KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
MONGODB_URL=mongodb://127.0.0.1:$MONGO_PORT/callsync
S3_ENDPOINT=http://127.0.0.1:$S3_PORT
S3_REGION=us-east-1
S3_FORCE_PATH_STYLE=true
S3_ACCESS_KEY_ID=$S3_ACCESS_KEY_ID
S3_SECRET_ACCESS_KEY=$S3_SECRET_ACCESS_KEY
ENV
  bash "$HERE/prometheus.sh" env
}

status_line() {
  local name="$1" pidfile="$2" where="$3"
  if is_running "$pidfile"; then echo "$name: running (pid $(cat "$pidfile")) at $where"; else echo "$name: stopped"; fi
}

case "${1:-status}" in
  up)
    mkdir -p "$CALL_SYNC_STATE"
    # Two starts at once (a test run and the demo) would build and start everything twice:
    # the second waits for the first, then finds the servers running. flock -o keeps the lock
    # out of the servers this starts: a daemon that inherited it would hold it for good.
    if [[ -z "${CALL_SYNC_UP_LOCKED:-}" ]]; then
      CALL_SYNC_UP_LOCKED=1 exec flock -o "$CALL_SYNC_STATE/up.lock" bash "${BASH_SOURCE[0]}" up
    fi
    # Start the slow installs first so a fresh machine does them once, in order, with clear messages.
    bash "$HERE/kafka.sh" start
    bash "$HERE/mongo.sh" start
    bash "$HERE/seaweedfs.sh" start
    bash "$HERE/prometheus.sh" start
    print_env >"$CALL_SYNC_STATE/env"
    log "all servers up; variables in $CALL_SYNC_STATE/env"
    ;;
  down)
    bash "$HERE/prometheus.sh" stop
    bash "$HERE/seaweedfs.sh" stop
    bash "$HERE/mongo.sh" stop
    bash "$HERE/kafka.sh" stop
    ;;
  status)
    status_line "Kafka" "$CALL_SYNC_STATE/kafka.pid" "127.0.0.1:$KAFKA_PORT"
    status_line "MongoDB-wire" "$CALL_SYNC_STATE/mongo.pid" "mongodb://127.0.0.1:$MONGO_PORT"
    status_line "S3 (SeaweedFS)" "$CALL_SYNC_STATE/s3.pid" "http://127.0.0.1:$S3_PORT"
    # Not "stopped" when down: the test set-up reads "stopped" as "no servers of a person's are up"
    # and would stop Kafka, MongoDB and S3 after the run; a missing Prometheus is started by `up`.
    bash "$HERE/prometheus.sh" status | sed 's/: stopped$/: not running (infra.sh up starts it)/'
    ;;
  env) print_env ;;
  install)
    bash "$HERE/kafka.sh" install
    bash "$HERE/mongo.sh" install
    bash "$HERE/seaweedfs.sh" install
    bash "$HERE/prometheus.sh" install
    ;;
  *) die "usage: infra.sh up|down|status|env|install" ;;
esac
