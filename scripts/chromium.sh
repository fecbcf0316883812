#!/usr/bin/env bash
# Browser tests drive Debian's chromium (Playwright cannot download browsers here): install it when missing.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  echo "==> installing chromium (apt) for the browser tests"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium </dev/null
fi
