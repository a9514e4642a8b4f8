#!/usr/bin/env bash
# Installs Debian's Chromium and a Japanese font for the browser tests when
# they are missing (Playwright never downloads a browser here).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v chromium >/dev/null || { echo "chromium is missing and could not be installed (apt-get install chromium)"; exit 1; }
