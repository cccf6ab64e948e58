#!/bin/sh
# tools/test.sh — set up, build in build/, run every test (unit, conformance,
# robustness, mounts).  Usage: sh tools/test.sh [extra meson test args]
set -e
cd "$(dirname "$0")/.."
. tools/setup.sh
if [ -d build ]; then
    meson setup --reconfigure build >/dev/null
else
    meson setup build >/dev/null
fi
ninja -C build
set +e
meson test -C build --print-errorlogs --num-processes 2 "$@"
rc=$?
set -e
python3 tools/test-summary.py build/meson-logs/testlog.json
exit $rc
