#!/usr/bin/env python3
"""End-to-end tests of the writer through tools/abccopy and tools/abcgen.

    copy_roundtrip.py --abccopy PATH --abcdump PATH --data DIR CORPUS...
    copy_roundtrip.py --abcgen PATH --abccopy PATH --abcdump PATH gen

For each CORPUS directory under DIR (reference, spec, real, bad, hdf5),
every NAME.abc with a reference dump beside it is copied with `abccopy`,
and the copy must dump (`abcdump --json [--digest]`) equal to the
reference dump (NAME.json, NAME.digest.json), value by value
(compare_dumps.py, as in conformance.py).  The copy of the copy must then
be byte-identical to the copy: the writer's layout depends only on what
the reader shows.  A file without a reference dump (in bad/ and hdf5/)
must be refused: exit 2 or 3, one line on stderr, and no frozen output.

With `gen`, every abcgen generator (small sizes) must write an archive
that abcdump reads cleanly (exit 0, valid JSON), and whose abccopy dumps
equal to it.

Prints one PASS/FAIL line per archive, then `N passed, M failed`; exit 0
when none failed.
"""
import argparse
import filecmp
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_dumps  # noqa: E402
from conformance import check_dump, run, tail  # noqa: E402

GENERATORS = [
    ("mesh", ["mesh", "--objects", "20", "--verts", "100", "--frames", "5"]),
    ("tree", ["tree", "--objects", "300"]),
    ("big", ["big", "--mib", "3"]),
    ("wide", ["wide", "--children", "2000"]),
    ("deep", ["deep", "--depth", "500"]),
    ("samples", ["samples", "--samples", "70000"]),
    ("names", ["names"]),
    ("empty_mesh", ["mesh", "--objects", "0", "--verts", "0", "--frames", "0"]),
]


def copy(abccopy, src, dst, timeout):
    rc, out, err, secs = run([abccopy, src, dst], timeout)
    if rc is None:
        return False, "abccopy timeout after %.0f s" % timeout
    if rc != 0 or err:
        return False, "abccopy exit %s: %s" % (rc, tail(err))
    return True, "%.2f s" % secs


def check_copy(a, tmp, corpus, path, checks):
    """Copy, compare dumps, copy again and compare bytes."""
    name = os.path.basename(path)
    out = os.path.join(tmp, "copy.abc")
    ok, why = copy(a.abccopy, path, out, a.timeout)
    if not ok:
        return False, [why]
    lines = ["copy " + why]
    good = True
    for what, ref, digest in checks:
        ok, detail = check_dump(a.abcdump, out, ref, digest, a.timeout, a.show)
        lines += ["[%s] %s" % (what, d) for d in detail]
        good = good and ok
    again = os.path.join(tmp, "copy2.abc")
    ok, why = copy(a.abccopy, out, again, a.timeout)
    if not ok:
        return False, lines + ["second copy: " + why]
    if not filecmp.cmp(out, again, shallow=False):
        good = False
        lines.append("copy of the copy differs from the copy (%d vs %d bytes)" %
                     (os.path.getsize(again), os.path.getsize(out)))
    return good, lines


def check_refused(a, tmp, path):
    """abccopy of a damaged/foreign file: exit 2/3, one stderr line, and
    OUT (if created) left unfrozen so that no reader takes it."""
    out = os.path.join(tmp, "refused.abc")
    if os.path.exists(out):
        os.unlink(out)
    rc, stdout, err, secs = run([a.abccopy, path, out], a.timeout)
    problems = []
    if rc not in (2, 3):
        problems.append("exit %s, want 2 or 3: %s" % (rc, tail(err)))
    if len(err.decode("utf-8", "replace").splitlines()) != 1:
        problems.append("stderr is not one line: %s" % tail(err))
    if stdout:
        problems.append("%d bytes on stdout" % len(stdout))
    if os.path.exists(out):
        with open(out, "rb") as f:
            head = f.read(6)
        if len(head) == 6 and head[5] != 0:
            problems.append("a frozen output was left behind")
    if problems:
        return False, problems
    return True, ["exit %d: %s" % (rc, tail(err))]


def corpus_checks(a, tmp):
    passed = failed = 0
    for corpus in a.corpus:
        d = os.path.join(a.data, corpus)
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if not name.endswith(".abc") or not os.path.isfile(path):
                continue
            stem = path[:-len(".abc")]
            checks = []
            if os.path.exists(stem + ".json"):
                with open(stem + ".json", "rb") as f:
                    digested = b'"fnv1a64"' in f.read()
                checks.append(("json", stem + ".json", digested))
            if os.path.exists(stem + ".digest.json"):
                checks.append(("digest", stem + ".digest.json", True))
            if not checks:
                if corpus in ("bad", "hdf5"):
                    ok, lines = check_refused(a, tmp, path)
                    report("%s/%s [refused]" % (corpus, name), ok, lines, a.quiet)
                    passed += ok
                    failed += not ok
                continue
            ok, lines = check_copy(a, tmp, corpus, path, checks)
            report("%s/%s" % (corpus, name), ok, lines, a.quiet)
            passed += ok
            failed += not ok
    return passed, failed


def gen_checks(a, tmp):
    passed = failed = 0
    for label, args in GENERATORS:
        path = os.path.join(tmp, label + ".abc")
        rc, out, err, secs = run([a.abcgen] + args + [path], a.timeout)
        lines = []
        ok = rc == 0 and not err
        if not ok:
            lines.append("abcgen exit %s: %s" % (rc, tail(err)))
        else:
            rc, out, err, secs = run([a.abcdump, "--json", "--digest", path], a.timeout)
            ok = rc == 0 and not err
            if not ok:
                lines.append("abcdump exit %s: %s" % (rc, tail(err)))
        if ok:
            try:
                want = compare_dumps.loads(out.decode("utf-8"))
                ref = os.path.join(tmp, label + ".json")
                with open(ref, "w") as f:
                    f.write(out.decode("utf-8"))
            except ValueError as e:
                ok = False
                lines.append("abcdump output is not JSON: %s" % e)
        if ok:
            lines.append("%d bytes, dumped in %.2f s" % (os.path.getsize(path), secs))
            ok, more = check_copy(a, tmp, "gen", path, [("json", ref, True)])
            lines += more
            del want
        report("abcgen " + " ".join(args), ok, lines, a.quiet)
        passed += ok
        failed += not ok
    return passed, failed


def report(label, ok, lines, quiet):
    if ok and quiet:
        return
    print("%s %s" % ("PASS" if ok else "FAIL", label))
    for line in lines if not ok else lines[-1:]:
        print("    " + line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--abccopy", required=True)
    ap.add_argument("--abcdump", required=True)
    ap.add_argument("--abcgen", help="needed for the corpus name gen")
    ap.add_argument("--data", help="the test data directory (tests/data)")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--show", type=int, default=8)
    ap.add_argument("--quiet", action="store_true", help="print FAIL lines only")
    ap.add_argument("corpus", nargs="+", help="reference spec real, or gen")
    a = ap.parse_args()
    # Dumps nest three JSON levels per object level (abcgen deep).
    sys.setrecursionlimit(20000)
    tmp = tempfile.mkdtemp(prefix="copy_roundtrip_")
    try:
        passed = failed = 0
        if "gen" in a.corpus:
            p, f = gen_checks(a, tmp)
            passed += p
            failed += f
            a.corpus = [c for c in a.corpus if c != "gen"]
        if a.corpus:
            p, f = corpus_checks(a, tmp)
            passed += p
            failed += f
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
