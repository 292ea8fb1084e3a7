#!/usr/bin/env bash
# Shared settings for the local servers: one cache folder outside the clone, one state folder,
# ports overridable by environment so two checkouts can run side by side.
set -euo pipefail

CALL_SYNC_CACHE="${CALL_SYNC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/call-sync}"
CALL_SYNC_STATE="${CALL_SYNC_STATE:-$CALL_SYNC_CACHE/state}"
export CALL_SYNC_CACHE CALL_SYNC_STATE

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
MONGO_JAVA_SERVER_VERSION="${MONGO_JAVA_SERVER_VERSION:-1.47.0}"
MONGO_PORT="${MONGO_PORT:-27117}"
MONGO_BACKEND="${MONGO_BACKEND:-memory}"
# The memory backend holds every test database until it is dropped; a full test run with 100k-row
# imports needs well over 1 GB.
MONGO_HEAP="${MONGO_HEAP:-4g}"
# A pinned SeaweedFS commit (pseudo-version) so every machine builds the same server.
SEAWEEDFS_VERSION="${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}"
S3_PORT="${S3_PORT:-18333}"
S3_ACCESS_KEY_ID="${S3_ACCESS_KEY_ID:-callsync-local}"
S3_SECRET_ACCESS_KEY="${S3_SECRET_ACCESS_KEY:-callsync-local-secret}"

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

need() {
  local tool="$1" why="$2"
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not installed; it is needed to $why. Install it (e.g. apt-get install -y $3) and run again."
}

# Waits until a TCP port accepts connections, or fails with the server's log tail.
wait_for_port() {
  local name="$1" port="$2" timeout="$3" logfile="$4" pidfile="$5"
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if [[ -f "$pidfile" ]] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      tail -n 40 "$logfile" >&2 || true
      die "$name exited before opening port $port (log: $logfile)"
    fi
    sleep 0.3
  done
  tail -n 40 "$logfile" >&2 || true
  die "$name did not open port $port within ${timeout}s (log: $logfile)"
}

# Waits until a URL answers HTTP (any status; `--ok` to require a 2xx), or fails with the log tail.
wait_for_http() {
  local name="$1" url="$2" logfile="$3" pidfile="$4" fail_flag=""
  [[ "${5:-}" == "--ok" ]] && fail_flag="-f"
  local deadline=$((SECONDS + 60))
  until curl -s $fail_flag -m 2 -o /dev/null "$url"; do
    is_running "$pidfile" || { tail -n 20 "$logfile" >&2; die "$name exited (log: $logfile)"; }
    ((SECONDS < deadline)) || die "$name does not answer on $url (log: $logfile)"
    sleep 0.5
  done
}

is_running() {
  local pidfile="$1"
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

stop_pidfile() {
  local name="$1" pidfile="$2"
  if is_running "$pidfile"; then
    local pid
    pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    log "$name stopped"
  fi
  rm -f "$pidfile"
}
