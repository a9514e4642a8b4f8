#!/usr/bin/env bash
# Installs Debian's Noto CJK fonts when missing: rich-menu images are drawn
# in Noto Sans CJK (api/src/richmenu/template.rs) and the browser tests show
# Japanese with them. Nothing is downloaded from anywhere but the Debian mirror.
set -euo pipefail
font=/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc
if [ ! -f "$font" ]; then
  echo "installing fonts-noto-cjk (the rich-menu images' Japanese font)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-noto-cjk >/dev/null
fi
[ -f "$font" ] || { echo "fonts-noto-cjk is missing and could not be installed (apt-get install fonts-noto-cjk); rich-menu images cannot be drawn from templates"; exit 1; }
