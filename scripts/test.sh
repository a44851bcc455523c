#!/usr/bin/env bash
# Install everything the test suite needs, then run all of it: ./scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  # The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
python3 -m pip install -q -e ".[test]"
exec python3 -m pytest "$@"
