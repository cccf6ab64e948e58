#!/bin/sh
# tools/demo.sh — set up, build, and show the bundled example archive
# (a PolyMesh cube animated over 5 frames) through a real abcfs mount:
# mount, ls, cat .info, od a sample through the promoted P link, unmount.
# Without /dev/fuse it shows the same tree with abcls/abccat instead.
# ABCFS_BUILD names the build directory (default: build).
set -e
cd "$(dirname "$0")/.."
. tools/setup.sh
build=${ABCFS_BUILD:-build}
[ -d "$build" ] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
archive=tests/data/reference/polymesh.abc
echo "== abcdump $archive (first lines)"
"$build"/tools/abcdump "$archive" | head -n 25

if [ -x "$build"/fs/abcfs ] && [ -e /dev/fuse ]; then
    mnt=$(mktemp -d /tmp/abcfs-demo.XXXXXX)
    # Whatever happens below, leave no mount and no directory behind.
    trap 'if mountpoint -q "$mnt"; then fusermount3 -u "$mnt"; fi; rmdir "$mnt"' EXIT
    echo "== abcfs $archive $mnt"
    "$build"/fs/abcfs "$archive" "$mnt"
    echo "== ls -l $mnt"
    ls -l "$mnt"
    echo "== cat $mnt/.info"
    cat "$mnt/.info"
    link=$(find "$mnt" -maxdepth 3 -name P -type l | head -n 1)
    if [ -n "$link" ]; then
        echo "== ls -l $link  (a promoted link: P -> $(readlink "$link"))"
        ls -l "$link/"
        first=$(ls "$link/" | head -n 1)
        echo "== od -A d -t f4 $link/$first | head -n 5"
        od -A d -t f4 "$link/$first" | head -n 5
    fi
    echo "== fusermount3 -u $mnt"
    fusermount3 -u "$mnt"
    if mountpoint -q "$mnt"; then
        echo "still mounted: $mnt" >&2
        exit 1
    fi
    echo "unmounted"
    # A directory of archives in one mount: each opened at its first use.
    echo "== abcfs tests/data/spec $mnt  (a directory: every *.abc below it)"
    "$build"/fs/abcfs tests/data/spec "$mnt"
    ls "$mnt"
    first=$(ls "$mnt" | head -n 1)
    echo "== ls $mnt/$first"
    ls "$mnt/$first"
    fusermount3 -u "$mnt"
    echo "unmounted"
elif [ -x "$build"/tools/abcls ]; then
    echo "== no /dev/fuse here: the same tree through abcls"
    "$build"/tools/abcls -l "$archive" /
fi
