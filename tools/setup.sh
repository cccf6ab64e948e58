#!/bin/sh
# tools/setup.sh — install what abcfs needs to build and test, from Debian's
# packages only, if anything is missing.  Sourced by demo.sh and test.sh.
# Extra packages can be asked for in ABCFS_EXTRA_PACKAGES.
set -e
need="meson ninja-build pkg-config gcc libc6-dev libfuse3-dev fuse3 zlib1g-dev libcurl4-openssl-dev libcmocka-dev python3 python3-numpy assimp-utils nginx-light $ABCFS_EXTRA_PACKAGES"
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing$missing"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
