#!/usr/bin/env python3
"""Every corpus archive, plain and as both gzip kinds, standalone and inside
one directory mount, held to its reference dump.

    dir_corpus.py --abcfs B/fs/abcfs --abccopy B/tools/abccopy --data tests/data \
        [--abccheck ../shared/tools/abccheck] [--max-open N]

DIR holds every archive of DATA/{reference,spec,real} three times:
plain/CORPUS/NAME.abc, bgzf/CORPUS/NAME.abc.gz (abccopy --gzip) and
gzip9/CORPUS/NAME.abc.gz (gzip -9).  DIR is mounted once with a small
-o max_open (so archives are closed and reopened all along), and every
archive's directory in it is checked against the archive's reference dump
by mount_check.TreeCheck (this project's own checker) and, where
../shared/tools/abccheck is there (CI has it), by `abccheck DUMP DIR`.
Each compressed file is also mounted alone (`abccheck --mount`).

Exit 0 ok, 1 failure, 77 (skip) when /dev/fuse or fusermount3 is missing.
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mount_check  # noqa: E402

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--abcfs", required=True)
    ap.add_argument("--abccopy", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--abccheck", default=os.path.join(HERE, "..", "..", "shared", "tools", "abccheck"))
    ap.add_argument("--max-open", type=int, default=8)
    a = ap.parse_args()
    if not os.path.exists("/dev/fuse") or not shutil.which("fusermount3"):
        print("SKIP: /dev/fuse or fusermount3 is missing: FUSE mounts cannot be tested here")
        return SKIP
    abccheck = a.abccheck if os.path.exists(a.abccheck) else None
    if abccheck is None:
        print("abccheck: %s is missing (it comes with ../shared, which CI has): "
              "archives are checked by mount_check.TreeCheck only" % a.abccheck)
    failed = []
    tmp = tempfile.mkdtemp(prefix="abcfs-dircorpus-")
    top = os.path.join(tmp, "caches")
    cache = os.path.join(tmp, "xdg")
    os.makedirs(cache)
    os.environ["XDG_CACHE_HOME"] = cache      # gzip -9 indexes go here
    try:
        items = []      # (relative path in DIR, dump, exact)
        for src, dump, _exact in mount_check.archives(a.data, []):
            c, f = os.path.basename(os.path.dirname(src)), os.path.basename(src)
            for kind in ("plain", "bgzf", "gzip9"):
                os.makedirs(os.path.join(top, kind, c), exist_ok=True)
            rel_plain = os.path.join("plain", c, f)
            shutil.copyfile(src, os.path.join(top, rel_plain))
            rel_bgzf = os.path.join("bgzf", c, f + ".gz")
            p = subprocess.run([a.abccopy, "--gzip", src, os.path.join(top, rel_bgzf)], capture_output=True)
            if p.returncode != 0:
                failed.append("abccopy --gzip %s: %s" % (src, p.stderr.decode(errors="replace")))
                continue
            rel_gz9 = os.path.join("gzip9", c, f + ".gz")
            with open(src, "rb") as fin, open(os.path.join(top, rel_gz9), "wb") as fout:
                fout.write(gzip.compress(fin.read(), 9))
            for rel in (rel_plain, rel_bgzf, rel_gz9):
                items.append((rel, dump, c == "reference"))
        print("DIR: %d archives (%d corpus archives, plain, blocked gzip, gzip -9)"
              % (len(items), len(items) // 3))

        # Each compressed file alone.
        alone = 0
        if abccheck:
            for rel, dump, _exact in items:
                if rel.startswith("plain/"):
                    continue
                p = subprocess.run([abccheck, "--mount", a.abcfs, "--show", "5",
                                    os.path.join(top, rel), dump], capture_output=True, timeout=600)
                if p.returncode != 0:
                    failed.append("abccheck --mount %s:\n%s" % (rel, p.stdout.decode(errors="replace")[-1500:]))
                alone += 1
            print("standalone: %d compressed archives through abccheck --mount" % alone)

        # All of them in one directory mount.
        m = mount_check.Mount(a.abcfs, top, ("-o", "max_open=%d" % a.max_open))
        try:
            checks = 0
            for rel, dump, exact in items:
                root = os.path.join(m.dir, rel)
                r = mount_check.Report(show=3)
                try:
                    mount_check.TreeCheck(mount_check.load_dump(dump), root, r, exact).run()
                except Exception as e:  # noqa: BLE001 - report and go on
                    r.check(False, rel, "checker crashed: %r" % e)
                checks += r.passed + r.failed
                if r.failed:
                    failed.append("%s in the directory mount: %d TreeCheck failures" % (rel, r.failed))
                if abccheck:
                    p = subprocess.run([abccheck, "--show", "5", dump, root], capture_output=True, timeout=600)
                    if p.returncode != 0:
                        failed.append("abccheck %s in the directory mount:\n%s"
                                      % (rel, p.stdout.decode(errors="replace")[-1500:]))
            s = json.loads(os.getxattr(m.dir, "user.abcfs.stats"))
            print("directory mount: %d archives, %d TreeCheck checks%s; stats: archives %d, "
                  "opens %d, closes %d, open %d (max_open %d), damaged %d"
                  % (len(items), checks, ", abccheck on each" if abccheck else "",
                     s["archives"], s["opens"], s["closes"], s["open"], s["max_open"], s["damaged"]))
            if s["open"] > a.max_open:
                failed.append("%d archives open with max_open %d" % (s["open"], a.max_open))
            if s["damaged"] != 0:
                failed.append("%d archives damaged" % s["damaged"])
        finally:
            rc, err = m.close()
            if rc != 0 or err.strip():
                failed.append("daemon exit %s after unmount: %s" % (rc, err))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failed[:30]:
        print("FAIL " + f)
    print("%s: %d failures" % ("ok" if not failed else "FAIL", len(failed)))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
