#!/bin/sh
# One mount session of the daemon under valgrind memcheck (issue 5, item 2).
#
#   robust_valgrind.sh ABCFS DATA_DIR
#
# For tests/data/reference/polymesh.abc and instancing.abc: `abcfs -f` runs
# under valgrind --leak-check=full with definite leaks counted as errors;
# a walk lists everything, stats it, reads every file (.info and .times
# included), reads every link and the extended attributes of a few entries;
# then fusermount3 -u ends the session.  Passes when valgrind exits 0 (it
# exits 99 on any memcheck error or definite leak) and the daemon's own exit
# status is 0.  Exit 77 (skip) without valgrind or /dev/fuse.
set -u

abcfs=$1
data=$2

if ! command -v valgrind >/dev/null 2>&1; then
    echo "SKIP: valgrind is not installed (add the Debian package valgrind to the CI packages)"
    exit 77
fi
if [ ! -e /dev/fuse ] || ! command -v fusermount3 >/dev/null 2>&1; then
    echo "SKIP: /dev/fuse or fusermount3 is missing: FUSE mounts cannot be tested here"
    exit 77
fi

if grep -q __asan_init "$abcfs"; then
    echo "SKIP: $abcfs is built with AddressSanitizer, which valgrind cannot run (the plain build's run covers this test)"
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/abcfs-robust-valgrind-XXXXXX") || exit 1
mnt=$tmp/mnt
mkdir "$mnt"
pid=
fail=0

is_mounted() {
    # field 5 of mountinfo is the mount point (no spaces in ours)
    awk -v m="$mnt" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo
}

cleanup() {
    if is_mounted; then
        fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" 2>/dev/null
    fi
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        sleep 5
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

for name in polymesh instancing; do
    archive=$data/reference/$name.abc
    log=$tmp/$name.valgrind.log
    # -s: one thread, so the run is deterministic; the multithreaded loop is
    # exercised by robust_stress.  (Threads are also checked below.)
    for mode in -s ""; do
        label="$name${mode:+ (single-threaded)}"
        valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite \
            --show-leak-kinds=definite --error-exitcode=99 --track-origins=yes \
            --log-file="$log" "$abcfs" -f $mode "$archive" "$mnt" &
        pid=$!
        tries=0
        until is_mounted; do
            if ! kill -0 "$pid" 2>/dev/null; then
                wait "$pid"
                echo "FAIL: $label: the daemon exited with $? before mounting"
                cat "$log"
                exit 1
            fi
            tries=$((tries + 1))
            if [ $tries -gt 600 ]; then
                echo "FAIL: $label: no mount after 60 s under valgrind"
                exit 1
            fi
            sleep 0.1
        done

        # The walk: everything listed and stat'ed, every file read, every
        # link read, extended attributes of the root and of the first files.
        nfiles=$(timeout 300 find "$mnt" -type f | wc -l)
        if ! timeout 300 find "$mnt" -type f -exec cat {} + >/dev/null; then
            echo "FAIL: $label: reading the files failed"
            fail=1
        fi
        if ! timeout 300 find "$mnt" -type l -exec readlink {} + >/dev/null; then
            echo "FAIL: $label: reading the links failed"
            fail=1
        fi
        timeout 300 find "$mnt" -maxdepth 3 -exec ls -ld {} + >/dev/null
        if command -v getfattr >/dev/null 2>&1; then
            timeout 300 find "$mnt" -maxdepth 2 -exec getfattr -d -m - {} + >/dev/null 2>&1
        fi
        timeout 60 stat -f "$mnt" >/dev/null

        if ! timeout 60 fusermount3 -u "$mnt"; then
            echo "FAIL: $label: fusermount3 -u failed"
            fail=1
        fi
        status=0
        wait "$pid" || status=$?
        pid=
        if [ "$status" -eq 99 ]; then
            echo "FAIL: $label: valgrind found errors or definite leaks:"
            cat "$log"
            fail=1
        elif [ "$status" -ne 0 ]; then
            echo "FAIL: $label: daemon under valgrind exited with $status"
            cat "$log"
            fail=1
        else
            echo "ok: $label: $nfiles files read, no memcheck error, no definite leak"
        fi
    done
done
exit $fail
