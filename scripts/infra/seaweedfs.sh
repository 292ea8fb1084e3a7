#!/usr/bin/env bash
# SeaweedFS as the local S3 server, built once from the Go module proxy and cached.
# `go install` is refused (its go.mod has a replace directive), so we download the module and
# build ./weed inside it. About 8 minutes on 2 cores the first time, then reused.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

WEED_DIR="$CALL_SYNC_CACHE/seaweedfs/$SEAWEEDFS_VERSION"
WEED_BIN="$WEED_DIR/weed"
S3_DATA="$CALL_SYNC_STATE/s3"
S3_PID="$CALL_SYNC_STATE/s3.pid"
S3_LOG="$CALL_SYNC_STATE/s3.log"

install_seaweedfs() {
  [[ -x "$WEED_BIN" ]] && return 0
  need go "build the SeaweedFS S3 server" golang
  mkdir -p "$WEED_DIR"
  export GOPATH="$CALL_SYNC_CACHE/go" GOMODCACHE="$CALL_SYNC_CACHE/go/mod" GOCACHE="$CALL_SYNC_CACHE/go/build" GOFLAGS=-mod=mod
  log "building SeaweedFS $SEAWEEDFS_VERSION (first time only, several minutes)"
  local moddir
  moddir="$(cd "$CALL_SYNC_CACHE" && go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$moddir" && -d "$moddir" ]] || die "could not download the SeaweedFS module"
  (cd "$moddir" && go build -o "$WEED_BIN.tmp" ./weed) || die "SeaweedFS build failed"
  mv "$WEED_BIN.tmp" "$WEED_BIN"
  # The build cache is ~5 GB and only ever needed for this one binary.
  # Best effort: a go process still closing its cache files must not fail a build that succeeded.
  chmod -R u+w "$GOCACHE" 2>/dev/null; rm -rf "$GOCACHE" 2>/dev/null || log "could not remove the Go build cache $GOCACHE (harmless; delete it by hand)"
  log "SeaweedFS built: $WEED_BIN"
}

start_seaweedfs() {
  if is_running "$S3_PID"; then log "S3 already running on $S3_PORT"; return 0; fi
  install_seaweedfs
  # A fresh store each start: the local MongoDB-wire server forgets its data on restart too, and a
  # master restarted on an old volume directory can refuse to grow volumes (topology id mismatch).
  rm -rf "$S3_DATA" && mkdir -p "$S3_DATA"
  # Every port is derived from S3_PORT: left to itself, weed mini puts its gRPC ports at +10000 and
  # its master/filer/volume on fixed defaults, so two instances (a developer's and CI's) collide.
  local port_flags=(
    -s3.port="$S3_PORT" -s3.port.grpc=$((S3_PORT + 1))
    -master.port=$((S3_PORT + 2)) -master.port.grpc=$((S3_PORT + 3))
    -volume.port=$((S3_PORT + 4)) -volume.port.grpc=$((S3_PORT + 5))
    -filer.port=$((S3_PORT + 6)) -filer.port.grpc=$((S3_PORT + 7))
    -webdav.port=$((S3_PORT + 8)) -admin.port=$((S3_PORT + 9)) -admin.port.grpc=$((S3_PORT + 10))
    # Not needed here: the legacy admin port, the Iceberg and Lance catalogs.
    -admin.port.legacy=0 -s3.port.iceberg=0 -s3.port.lance=0
  )
  # Each bucket is a collection that grows 7 volumes; left to itself mini allows free disk / 1 GiB
  # volumes (70 here), so the eleventh bucket of a test run got "no writable volumes". Volumes are
  # sparse files, so many slots cost nothing until written.
  local volume_flags=(-volume.max=5000)
  AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$S3_SECRET_ACCESS_KEY" \
    nohup "$WEED_BIN" mini -dir="$S3_DATA" -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false \
    "${port_flags[@]}" "${volume_flags[@]}" >"$S3_LOG" 2>&1 &
  echo $! >"$S3_PID"
  wait_for_port "SeaweedFS S3" "$S3_PORT" 90 "$S3_LOG" "$S3_PID"
  # The port opens before the S3 gateway can serve; wait for a real HTTP answer.
  wait_for_http "SeaweedFS S3" "http://127.0.0.1:$S3_PORT/" "$S3_LOG" "$S3_PID"
  log "S3 (SeaweedFS) ready on http://127.0.0.1:$S3_PORT"
}

case "${1:-start}" in
  install) install_seaweedfs ;;
  start) start_seaweedfs ;;
  stop) stop_pidfile "S3 (SeaweedFS)" "$S3_PID" ;;
  *) die "usage: seaweedfs.sh install|start|stop" ;;
esac
