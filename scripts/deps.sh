#!/usr/bin/env bash
# Installs what the tests need: Debian packages (when root) and npm packages.
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  tigervnc-standalone-server tigervnc-tools x11-xserver-utils   # real VNC server for VNC tests
  openssh-server openssh-client                                  # real sshd for SSH tests
  postgresql                                                     # real PostgreSQL for the catalog tests
  pulseaudio pulseaudio-utils                                    # real PulseAudio (and pacat) for VNC audio tests
  chromium                                                       # headless browser tests
  nodejs npm                                                     # guacamole-lite, guacamole-common-js, playwright-core
  fonts-dejavu-core fonts-noto-cjk                               # terminal fallback glyphs (CJK test)
  passwd                                                         # useradd for the sshd test user
  vim-tiny htop                                                  # programs the SSH tests run
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# Node may come from outside Debian (then npm is not a Debian package).
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  tmp=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || tmp+=("$p"); done; missing=("${tmp[@]}")
fi
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]]; then
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

for dir in web tunnel/testdata/guacamole-lite; do
  if [[ -f $dir/package.json ]]; then
    if [[ ! -f $dir/node_modules/.installed || $dir/package.json -nt $dir/node_modules/.installed ]]; then
      echo "deps: npm install ($dir)"
      (cd "$dir" && npm install --no-audit --no-fund --loglevel=error && touch node_modules/.installed)
    fi
  fi
done
