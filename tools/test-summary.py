#!/usr/bin/env python3
"""Prints one closing line "N passed, N failed, N skipped" from a meson
test log (build/meson-logs/testlog.json), so that any CI reads the result."""
import json
import sys

ok = fail = skip = 0
for line in open(sys.argv[1]):
    result = json.loads(line).get("result")
    if result in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif result == "SKIP":
        skip += 1
    else:
        fail += 1
print("%d passed, %d failed, %d skipped" % (ok, fail, skip))
