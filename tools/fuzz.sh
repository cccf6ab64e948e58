#!/bin/sh
# tools/fuzz.sh — bounded libFuzzer runs of the fuzz/ targets (issue 5).
#
# Usage: tools/fuzz.sh [TARGET...]          (default: every target)
#
# Builds the targets with clang (-Dfuzz=true: -fsanitize=fuzzer,address,
# undefined) in $FUZZ_BUILD, then fuzzes each one for $FUZZ_SECONDS seconds,
# seeded with the archives of tests/data (those up to $FUZZ_MAX_LEN bytes),
# the committed regression corpus (fuzz/regress/TARGET/ and the hand-made
# fuzz/regress/hostile/) and the corpus that earlier runs grew in
# $FUZZ_BUILD/fuzz-corpus/TARGET/ (kept, so that runs build on each other;
# CI may cache that directory).
#
# Any finding — crash, sanitizer report, contract assertion, leak, timeout
# (-timeout=5), memory blow-up (-rss_limit_mb=2048) — fails the script
# (exit 1), and the input that caused it is copied into
# fuzz/regress/TARGET/ so that it is replayed by meson test from then on
# (commit it with the fix).  A timeout that does not happen again when the
# input is rerun alone is taken for a stalled host: reported, kept in
# $FUZZ_BUILD/fuzz-flaky/TARGET/, not a failure.
#
# Environment:
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_BUILD     build directory (default build-fuzz under the source root)
#   FUZZ_MAX_LEN   largest input libFuzzer makes, and largest seed (16384)
#   FUZZ_PARALLEL  targets fuzzed at once (default 1: one after the other)
#   FUZZ_ARGS      extra libFuzzer arguments (e.g. -seed=1)
#   CC             compiler for a new build directory (default clang)
#
# Needs the Debian packages clang (or clang-14) and libclang-rt-14-dev
# (libFuzzer's runtime, libclang_rt.fuzzer-x86_64.a; only recommended by
# clang, so name it), besides meson and ninja-build; llvm-14 (pulled in by
# clang's recommends) gives symbolized stack traces.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
# The project's packages plus clang and libFuzzer's runtime, installed if
# missing (tools/setup.sh).
ABCFS_EXTRA_PACKAGES="${ABCFS_EXTRA_PACKAGES:-} clang libclang-rt-14-dev"
. "$root/tools/setup.sh"
build=${FUZZ_BUILD:-$root/build-fuzz}
secs=${FUZZ_SECONDS:-60}
max_len=${FUZZ_MAX_LEN:-16384}
parallel=${FUZZ_PARALLEL:-1}
extra=${FUZZ_ARGS:-}
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && ! command -v llvm-symbolizer >/dev/null 2>&1 &&
    [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
    export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
all_targets=$(sed -n "s/^ *'\(fuzz_[a-z0-9_]*\)' *: *{.*/\1/p" "$root/fuzz/meson.build")
targets=${*:-$all_targets}

if [ ! -f "$build/build.ninja" ]; then
    CC=${CC:-clang} meson setup "$build" "$root" -Dfuzz=true -Dbuildtype=debugoptimized
elif ! grep -q -- '-Dfuzz=true\|fuzz = true\|-Dfuzz=True' "$build/meson-private/cmd_line.txt" 2>/dev/null; then
    meson configure "$build" -Dfuzz=true
fi
for t in $targets; do
    ninja -C "$build" -j2 "fuzz/$t"
done

# Seeds: the small archives of tests/data, flattened (names may repeat
# across its subdirectories).
seeds=$build/fuzz-seeds
rm -rf "$seeds"
mkdir -p "$seeds"
find "$root/tests/data" -type f -name '*.abc' -size -"$((max_len + 1))"c | while read -r f; do
    rel=${f#"$root/tests/data/"}
    cp "$f" "$seeds/$(printf '%s' "$rel" | tr / _)"
done

run_one() {
    t=$1
    corpus=$build/fuzz-corpus/$t
    art=$build/fuzz-artifacts/$t
    regress=$root/fuzz/regress/$t
    log=$build/fuzz-$t.log
    mkdir -p "$corpus" "$art" "$regress"
    rm -f "$art"/*
    status=0
    # shellcheck disable=SC2086 # $extra is a list of arguments
    "$build/fuzz/$t" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
        -max_len="$max_len" -dict="$root/fuzz/abc.dict" -artifact_prefix="$art/" \
        -print_final_stats=1 $extra "$corpus" "$seeds" "$regress" "$root/fuzz/regress/hostile" \
        >"$log" 2>&1 || status=$?
    found=0
    for f in "$art"/*; do
        [ -f "$f" ] || continue
        # A timeout can be the machine stalling rather than the input
        # (a loaded CI host): run the input again alone; if it passes now,
        # keep it aside and say so, but do not fail on it.
        case $(basename "$f") in
        timeout-*|slow-unit-*)
            if "$build/fuzz/$t" -timeout=5 -rss_limit_mb=2048 "$f" >"$log.recheck" 2>&1; then
                mkdir -p "$build/fuzz-flaky/$t"
                mv "$f" "$build/fuzz-flaky/$t/"
                echo "fuzz: $t: $(basename "$f") did not time out when run again;" \
                     "kept in $build/fuzz-flaky/$t/, not counted" >&2
                continue
            fi
            ;;
        esac
        found=1
        cp "$f" "$regress/"
        echo "fuzz: $t: finding $(basename "$f") copied to fuzz/regress/$t/" >&2
    done
    # libFuzzer exits 70 on a timeout; one that did not reproduce is no failure.
    if [ "$status" -eq 70 ] && [ "$found" -eq 0 ]; then
        status=0
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
        echo "fuzz: $t: FAILED (exit $status) after ${execs:-?} executions; log $log:" >&2
        grep -v '^#[0-9]' "$log" | tail -n 60 >&2
        return 1
    fi
    echo "fuzz: $t: ok, ${execs:-?} executions in ${took:-$secs}s, corpus $(find "$corpus" -type f | wc -l) inputs"
}

fail=0
if [ "$parallel" -le 1 ]; then
    for t in $targets; do
        run_one "$t" || fail=1
    done
else
    pids=
    n=0
    for t in $targets; do
        run_one "$t" &
        pids="$pids $!"
        n=$((n + 1))
        if [ "$n" -ge "$parallel" ]; then
            for p in $pids; do wait "$p" || fail=1; done
            pids=
            n=0
        fi
    done
    for p in $pids; do wait "$p" || fail=1; done
fi
exit "$fail"
