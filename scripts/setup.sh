#!/usr/bin/env bash
# Installs what replay-vision needs to build, run and test on Debian: Chromium, ffmpeg, fonts
# that cover emoji and CJK text, PostgreSQL (for its tests), the wasm32-wasip2 Rust target and
# the pinned rrweb player from npm. Safe to run again: each step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(chromium ffmpeg fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji postgresql)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! rustup target list --installed | grep -qx wasm32-wasip2; then
    echo "setup: adding the wasm32-wasip2 Rust target"
    rustup target add wasm32-wasip2
fi

if [[ ! -f host/player/node_modules/.package-lock.json ]] ||
    [[ host/player/package-lock.json -nt host/player/node_modules/.package-lock.json ]]; then
    echo "setup: installing the rrweb player (npm ci)"
    (cd host/player && npm ci --no-audit --no-fund --loglevel=error)
fi
