#!/usr/bin/env bash
# A MongoDB-wire server: mongo-java-server (Maven Central) bound by our small Java main.
# No registry ships a real mongod for these machines; see README "Running without Docker".
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

SRC_HASH="$(cat "$HERE/mongo-server/pom.xml" "$HERE/mongo-server/src/main/java/org/callsync/mongo/"*.java | sha256sum | cut -c1-12)"
MONGO_HOME="$CALL_SYNC_CACHE/mongo-wire/$SRC_HASH"
MONGO_DATA="$CALL_SYNC_STATE/mongo"
MONGO_PID="$CALL_SYNC_STATE/mongo.pid"
MONGO_LOG="$CALL_SYNC_STATE/mongo.log"

install_mongo() {
  [[ -f "$MONGO_HOME/.complete" ]] && return 0
  need java "run the MongoDB-wire server" openjdk-17-jre-headless
  need mvn "build the MongoDB-wire server" maven
  log "building the MongoDB-wire server (first time only)"
  rm -rf "$MONGO_HOME" && mkdir -p "$MONGO_HOME/lib"
  need javac "compile the MongoDB-wire server" openjdk-17-jdk-headless
  # Maven only resolves the jars; our one class is compiled with javac directly.
  mvn -q -B -Dstyle.color=never -f "$HERE/mongo-server/pom.xml" -Dmaven.repo.local="$CALL_SYNC_CACHE/m2" \
    -Dmongo-java-server.version="$MONGO_JAVA_SERVER_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$MONGO_HOME/lib" >"$CALL_SYNC_CACHE/mvn-mongo.log" 2>&1 ||
    { cat "$CALL_SYNC_CACHE/mvn-mongo.log" >&2; die "could not fetch the mongo-java-server jars with Maven"; }
  javac --release 17 -d "$MONGO_HOME/classes" -cp "$MONGO_HOME/lib/*" \
    "$HERE/mongo-server/src/main/java/org/callsync/mongo/"*.java || die "could not compile the MongoDB-wire server"
  touch "$MONGO_HOME/.complete"
}

start_mongo() {
  if is_running "$MONGO_PID"; then log "MongoDB-wire server already running on $MONGO_PORT"; return 0; fi
  install_mongo
  mkdir -p "$MONGO_DATA"
  local backend_args=(memory)
  [[ "$MONGO_BACKEND" == "h2" ]] && backend_args=(h2 "$MONGO_DATA/callsync.mv.db")
  nohup java "-Xmx$MONGO_HEAP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$MONGO_HOME/classes:$MONGO_HOME/lib/*" org.callsync.mongo.MongoWireServer "$MONGO_PORT" "${backend_args[@]}" >"$MONGO_LOG" 2>&1 &
  echo $! >"$MONGO_PID"
  wait_for_port "MongoDB-wire server" "$MONGO_PORT" 60 "$MONGO_LOG" "$MONGO_PID"
  log "MongoDB-wire server ready on mongodb://127.0.0.1:$MONGO_PORT ($MONGO_BACKEND)"
}

case "${1:-start}" in
  install) install_mongo ;;
  start) start_mongo ;;
  stop) stop_pidfile "MongoDB-wire server" "$MONGO_PID" ;;
  # Prints the classpath so tests can start their own instance (e.g. the H2 backend for restarts).
  classpath) install_mongo; echo "$MONGO_HOME/classes:$MONGO_HOME/lib/*" ;;
  *) die "usage: mongo.sh install|start|stop|classpath" ;;
esac
