#!/bin/sh
# tools/demo.sh — set up, build, and show the bundled example archive
# (a PolyMesh cube animated over 5 frames) through a real abcfs mount.
# Without /dev/fuse it shows the same tree with abcls/abccat instead.
set -e
cd "$(dirname "$0")/.."
. tools/setup.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
archive=tests/data/reference/polymesh.abc
echo "== abcdump $archive (first lines)"
build/tools/abcdump "$archive" | head -n 25

if [ -x build/fs/abcfs ] && [ -e /dev/fuse ]; then
    mnt=$(mktemp -d /tmp/abcfs-demo.XXXXXX)
    trap 'fusermount3 -u "$mnt" 2>/dev/null; rmdir "$mnt"' EXIT
    build/fs/abcfs "$archive" "$mnt"
    echo "== ls $mnt"
    ls -l "$mnt"
    echo "== cat $mnt/.info"
    cat "$mnt/.info"
    obj=$(find "$mnt" -maxdepth 3 -path '*/P' -type l | head -n 1)
    if [ -n "$obj" ]; then
        echo "== ls $obj/"
        ls -l "$obj/"
        first=$(ls "$obj/" | grep -v '^\.' | head -n 1)
        echo "== od -A d -t f4 $obj/$first | head"
        od -A d -t f4 "$obj/$first" | head -n 5
    fi
    echo "== unmounting"
elif [ -x build/tools/abcls ]; then
    echo "== no /dev/fuse here: the same tree through abcls"
    build/tools/abcls -l "$archive" /
fi
