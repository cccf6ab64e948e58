#!/usr/bin/env python3
"""Conformance and robustness of the reader, through abcdump.

    conformance.py --abcdump PATH --data DIR CORPUS...

For each CORPUS directory under DIR (reference, spec, real, bad, hdf5):

  * every NAME.abc that has a reference dump beside it (NAME.json, and/or
    NAME.digest.json) must dump equal to it: `abcdump --json ARCHIVE`
    against NAME.json, `abcdump --json --digest ARCHIVE` against
    NAME.digest.json, compared value by value by compare_dumps.py;
  * in bad/ and hdf5/, every other file must be refused: exit 2 or 3,
    exactly one line `abcdump: ARCHIVE: reason` on stderr (so also no
    sanitizer report), nothing on stdout, within --limit seconds (10: a guard against hangs, not a speed test; a
    loaded machine under a sanitizer takes over a second).

Prints one PASS/FAIL line per check (with the first mismatches of a
failing dump) and last `N passed, M failed`.  Exit 0 when none failed.
"""
import argparse
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_dumps  # noqa: E402

REFUSING = {"bad", "hdf5"}


def run(cmd, timeout):
    """(returncode or None on timeout, stdout bytes, stderr bytes, seconds)."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return None, e.stdout or b"", e.stderr or b"", time.monotonic() - t0
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def tail(data, n=300):
    text = data.decode("utf-8", "replace").strip()
    return text if len(text) <= n else "..." + text[-n:]


def check_dump(abcdump, archive, reference, digest, timeout, show):
    """A dump against its reference: (ok, detail lines)."""
    cmd = [abcdump, "--json"] + (["--digest"] if digest else []) + [archive]
    rc, out, err, secs = run(cmd, timeout)
    if rc is None:
        return False, ["timeout after %.0f s" % timeout]
    if rc != 0:
        return False, ["exit %d: %s" % (rc, tail(err))]
    if err:
        return False, ["stderr not empty: %s" % tail(err)]
    try:
        got = compare_dumps.loads(out.decode("utf-8"))
    except ValueError as e:  # includes UnicodeDecodeError
        return False, ["output is not JSON: %s" % e]
    try:
        want = compare_dumps.load(reference)
    except (OSError, ValueError) as e:
        return False, ["cannot read reference: %s" % e]
    passed, failed, lines = compare_dumps.compare(want, got, show)
    if failed:
        return False, lines + ["%d passed, %d failed (%.2f s)" % (passed, failed, secs)]
    return True, ["%d values (%.2f s)" % (passed, secs)]


def check_refused(abcdump, archive, limit):
    """A damaged or foreign file: exit 2/3, one stderr line, empty stdout."""
    rc, out, err, secs = run([abcdump, "--json", archive], max(limit, 0.1) + 1)
    problems = []
    if rc is None:
        return False, ["hangs (no exit within %.1f s)" % (limit + 1)]
    if rc not in (2, 3):
        problems.append("exit %d, want 2 or 3" % rc)
    if out:
        problems.append("%d bytes on stdout" % len(out))
    lines = err.decode("utf-8", "replace").splitlines()
    if len(lines) != 1 or not err.endswith(b"\n"):
        problems.append("%d lines on stderr: %s" % (len(lines), tail(err)))
    elif not lines[0].startswith("abcdump: %s: " % archive) or \
            len(lines[0]) <= len("abcdump: %s: " % archive):
        problems.append("stderr line not `abcdump: ARCHIVE: reason`: %s" % lines[0])
    if secs > limit:
        problems.append("took %.2f s (limit %.1f s)" % (secs, limit))
    if problems:
        return False, problems
    return True, ["exit %d: %s" % (rc, lines[0][len("abcdump: %s: " % archive):])]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--abcdump", required=True, help="the abcdump executable")
    ap.add_argument("--data", required=True, help="the test data directory (tests/data)")
    ap.add_argument("--limit", type=float, default=10.0,
                    help="seconds a damaged file may take (default 10)")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds a dump may take (default 120)")
    ap.add_argument("--show", type=int, default=8, help="mismatches shown per archive")
    ap.add_argument("--quiet", action="store_true", help="print FAIL lines only")
    ap.add_argument("corpus", nargs="+", help="reference spec real bad hdf5")
    a = ap.parse_args()

    passed = failed = 0
    for corpus in a.corpus:
        d = os.path.join(a.data, corpus)
        try:
            names = sorted(os.listdir(d))
        except OSError as e:
            print("FAIL %s: %s" % (corpus, e))
            failed += 1
            continue
        for name in names:
            path = os.path.join(d, name)
            if not name.endswith(".abc") or not os.path.isfile(path):
                continue
            stem = path[:-len(".abc")]
            checks = []
            if os.path.exists(stem + ".json"):
                # bad/NAME.json were made in digest form: dump them so too.
                with open(stem + ".json", "rb") as f:
                    digested = b'"fnv1a64"' in f.read()
                checks.append(("json", stem + ".json", digested))
            if os.path.exists(stem + ".digest.json"):
                checks.append(("digest", stem + ".digest.json", True))
            if not checks and corpus not in REFUSING:
                print("FAIL %s/%s: no reference dump beside it" % (corpus, name))
                failed += 1
                continue
            results = []
            if checks:
                for what, ref, digest in checks:
                    ok, detail = check_dump(a.abcdump, path, ref, digest, a.timeout, a.show)
                    results.append(("%s/%s [%s]" % (corpus, name, what), ok, detail))
            else:
                ok, detail = check_refused(a.abcdump, path, a.limit)
                results.append(("%s/%s [refused]" % (corpus, name), ok, detail))
            for label, ok, detail in results:
                if ok:
                    passed += 1
                    if not a.quiet:
                        print("PASS %s: %s" % (label, detail[0]))
                else:
                    failed += 1
                    print("FAIL %s" % label)
                    for line in detail:
                        print("    " + line)
            sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
