#!/usr/bin/env bash
# Make sure headless Chromium and its driver are installed (Debian packages).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "Mắt Thần tests need Chromium and ChromeDriver for the browser tests." >&2
  echo "Install them as root:  apt-get install -y chromium chromium-driver" >&2
  exit 1
fi
echo ">> installing chromium + chromium-driver with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q chromium chromium-driver
