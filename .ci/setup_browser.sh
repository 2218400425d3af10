#!/usr/bin/env bash
# Install Debian's chromium for the report's browser test (tests/kpi/test_report_browser.py). Idempotent:
# does nothing when a chromium binary is already on PATH. Needs root (or sudo) and network access to apt.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  echo "setup_browser: $(command -v chromium || command -v chromium-browser) already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "setup_browser: installed $(chromium --version 2>/dev/null || echo chromium)"
