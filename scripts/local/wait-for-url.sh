#!/usr/bin/env bash
# wait-for-url.sh URL [SECONDS]: waits until URL answers (any HTTP status), or fails.
set -euo pipefail
for _ in $(seq 1 $(( ${2:-60} * 4 ))); do
  curl -s -o /dev/null "$1" && exit 0
  sleep 0.25
done
echo "no answer from $1 after ${2:-60} s" >&2; exit 1
