#!/usr/bin/env bash
# Headless Chromium for the tests that open a page the LibOS wrote (the boot report):
# prints the browser's path, installing Debian's `chromium` package first when it is
# missing and this user may (root, apt-get). Exit status 1, with the reason on stderr,
# when there is none and none can be installed.
set -euo pipefail

find_browser() {
  for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  done
  return 1
}

if find_browser; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: not installed, and installing it needs root and apt-get" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >/tmp/chromium-install.log 2>&1; then
  echo "chromium: apt-get install failed (log: /tmp/chromium-install.log)" >&2
  exit 1
fi
find_browser || { echo "chromium: installed, but no browser on PATH" >&2; exit 1; }
