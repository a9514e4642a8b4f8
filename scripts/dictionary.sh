#!/usr/bin/env bash
# Installs Debian's mecab-ipadic (the IPADIC sources the FAQ search compiles
# its Japanese dictionary from) when it is missing. Nothing is downloaded
# from anywhere but the Debian mirror.
set -euo pipefail
dir=/usr/share/mecab/dic/ipadic
if [ ! -f "$dir/matrix.def" ]; then
  echo "installing mecab-ipadic (the FAQ search's Japanese dictionary)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mecab-ipadic >/dev/null
fi
[ -f "$dir/matrix.def" ] || { echo "mecab-ipadic is missing and could not be installed (apt-get install mecab-ipadic); the FAQ search would fall back to character bigrams"; exit 1; }
