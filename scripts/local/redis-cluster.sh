#!/usr/bin/env bash
# A throwaway 3-master Redis Cluster on 127.0.0.1 for tests: `start` prints REDIS_CLUSTER_NODES=...,
# `stop` shuts it down and removes its files. Ports from REDIS_CLUSTER_PORTS (default "7001 7002 7003";
# below Linux's ephemeral range, so no outgoing connection can take one first).
set -euo pipefail
cd "$(dirname "$0")/../.."
read -r -a ports <<<"${REDIS_CLUSTER_PORTS:-7001 7002 7003}"
STATE="$PWD/tmp/redis-cluster-${ports[0]}"

stop() {
  # Only servers this script started (they have a directory under $STATE): never someone else's on these ports.
  for port in "${ports[@]}"; do
    [[ -d "$STATE/$port" ]] && { redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true; }
  done
  rm -rf "$STATE"
}

start() {
  command -v redis-server >/dev/null || { echo "redis-server is not installed: apt-get install -y redis-server" >&2; exit 1; }
  for port in "${ports[@]}"; do
    if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
      echo "port $port is taken; choose others with REDIS_CLUSTER_PORTS" >&2; exit 1
    fi
  done
  rm -rf "$STATE"
  mkdir -p "$STATE"
  local nodes=()
  for port in "${ports[@]}"; do
    mkdir -p "$STATE/$port"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$STATE/$port" --cluster-enabled yes \
      --cluster-config-file nodes.conf --cluster-node-timeout 5000 --save "" --appendonly no \
      --logfile "$STATE/$port/redis.log" >/dev/null
    nodes+=("127.0.0.1:$port")
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$STATE/create.log" 2>&1 \
    || { cat "$STATE/create.log" >&2; stop; exit 1; }
  # Every node must agree the cluster is up (all slots served) before clients connect.
  for port in "${ports[@]}"; do
    for i in $(seq 1 100); do
      redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' && break
      [[ $i == 100 ]] && { echo "redis cluster on port $port did not reach cluster_state:ok" >&2; stop; exit 1; }
      sleep 0.1
    done
  done
  (IFS=,; echo "REDIS_CLUSTER_NODES=${nodes[*]}")
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
