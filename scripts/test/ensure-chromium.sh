#!/usr/bin/env bash
# Makes sure Debian's Chromium is there for the browser tests (playwright-core drives /usr/bin/chromium;
# no browser download). Installs it when running as root, otherwise says how.
set -euo pipefail
[[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]] && exit 0
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests..." >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "The browser tests need Chromium at /usr/bin/chromium: sudo apt-get install -y chromium (or set CHROMIUM_PATH)" >&2
  exit 1
fi
