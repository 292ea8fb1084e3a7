#!/usr/bin/env bash
# Apache Kafka 4.x, KRaft single node, from its Maven Central jars, run with the JDK.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

KAFKA_LIB="$CALL_SYNC_CACHE/kafka/$KAFKA_VERSION/lib"
KAFKA_DATA="$CALL_SYNC_STATE/kafka"
KAFKA_PID="$CALL_SYNC_STATE/kafka.pid"
KAFKA_LOG="$CALL_SYNC_STATE/kafka.log"

install_kafka() {
  [[ -f "$KAFKA_LIB/.complete" ]] && return 0
  need java "run the Kafka broker" openjdk-17-jre-headless
  need mvn "fetch the Kafka broker jars" maven
  log "fetching Kafka $KAFKA_VERSION jars (first time only)"
  rm -rf "$KAFKA_LIB" && mkdir -p "$KAFKA_LIB"
  mvn -q -B -Dstyle.color=never -f "$HERE/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    -Dmaven.repo.local="$CALL_SYNC_CACHE/m2" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIB" >"$CALL_SYNC_CACHE/mvn-kafka.log" 2>&1 ||
    { cat "$CALL_SYNC_CACHE/mvn-kafka.log" >&2; die "could not fetch the Kafka jars with Maven"; }
  touch "$KAFKA_LIB/.complete"
}

write_properties() {
  cat >"$KAFKA_DATA/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_DATA/logs
num.partitions=3
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
offsets.topic.num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
PROPS
}

start_kafka() {
  if is_running "$KAFKA_PID"; then log "Kafka already running on $KAFKA_PORT"; return 0; fi
  install_kafka
  mkdir -p "$KAFKA_DATA"
  local cp="$KAFKA_LIB/*"
  local jvm=(-Xmx512m -Xms128m "-Dlog4j2.configurationFile=$HERE/kafka/log4j2.xml")
  if [[ ! -f "$KAFKA_DATA/logs/meta.properties" ]]; then
    write_properties
    # Our own cluster id (16 random bytes, base64url): StorageTool's random-uuid output can pick up
    # log lines, and format accepts any string. It must not start with '-'.
    local cluster_id
    cluster_id="A$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' | cut -c2-)"
    java "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$KAFKA_DATA/server.properties" >"$KAFKA_DATA/format.log" 2>&1 ||
      { cat "$KAFKA_DATA/format.log" >&2; die "Kafka storage format failed"; }
  fi
  nohup java "${jvm[@]}" -cp "$cp" kafka.Kafka "$KAFKA_DATA/server.properties" >"$KAFKA_LOG" 2>&1 &
  echo $! >"$KAFKA_PID"
  wait_for_port "Kafka" "$KAFKA_PORT" 90 "$KAFKA_LOG" "$KAFKA_PID"
  log "Kafka ready on 127.0.0.1:$KAFKA_PORT"
}

case "${1:-start}" in
  install) install_kafka ;;
  start) start_kafka ;;
  stop) stop_pidfile "Kafka" "$KAFKA_PID" ;;
  reset) stop_pidfile "Kafka" "$KAFKA_PID"; rm -rf "$KAFKA_DATA" ;;
  *) die "usage: kafka.sh install|start|stop|reset" ;;
esac
