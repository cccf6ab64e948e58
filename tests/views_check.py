#!/usr/bin/env python3
"""Views of every archive of tests/data against its reference NAME.views.json
(made with the C++ library), through a real mount, by shared/tools/viewcheck.

    views_check.py --abcfs build/fs/abcfs --data tests/data --only npy,expanded,hiding
                   [--viewcheck PATH] [--options -o,views=visible --no-hidden] CORPUS...

Exit 77 (skipped) with one line when /dev/fuse, fusermount3, viewcheck
(../shared/tools, present in CI) or numpy for /usr/bin/python3 is missing.
"""
import argparse
import concurrent.futures
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--abcfs", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--only", default=None)
    ap.add_argument("--viewcheck", default=os.path.join(HERE, "..", "..", "shared", "tools", "viewcheck"))
    ap.add_argument("--mount-options", default="", help="extra abcfs options, e.g. '-o views=visible'")
    ap.add_argument("--no-hidden", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("corpus", nargs="+")
    a = ap.parse_args()
    if not os.path.exists("/dev/fuse"):
        skip("no /dev/fuse on this machine: the views are checked through real mounts")
    if not os.path.exists(a.viewcheck):
        skip("%s is missing (it comes with ../shared, which CI has)" % a.viewcheck)
    if subprocess.run(["/usr/bin/python3", "-c", "import numpy"], capture_output=True).returncode != 0:
        skip("numpy is not importable by /usr/bin/python3 (Debian's python3-numpy)")
    jobs = []
    for corpus in a.corpus:
        d = os.path.join(a.data, corpus)
        for f in sorted(os.listdir(d)):
            if not f.endswith(".views.json"):
                continue
            base = os.path.join(d, f[: -len(".views.json")])
            dump = base + ".json"
            if not os.path.exists(dump):
                dump = base + ".digest.json"
            if os.path.exists(base + ".abc") and os.path.exists(dump):
                jobs.append((base + ".abc", base + ".views.json", dump))
    if not jobs:
        print("no archives with views.json under", a.corpus)
        return 1
    mount_cmd = " ".join([shlex.quote(os.path.abspath(a.abcfs))] + shlex.split(a.mount_options))

    def run(job):
        cmd = [a.viewcheck, "--mount", mount_cmd, "--show", "10"]
        if a.only:
            cmd += ["--only", a.only]
        if a.no_hidden:
            cmd.append("--no-hidden")
        p = subprocess.run(cmd + list(job), capture_output=True, text=True, timeout=600)
        return job[0], p.returncode, p.stdout + p.stderr

    bad = 0
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        for abc, rc, out in ex.map(run, jobs):
            last = out.strip().splitlines()[-1] if out.strip() else "(no output)"
            if rc != 0:
                bad += 1
                print("FAIL %s\n%s" % (abc, out))
            else:
                print("ok   %s: %s" % (os.path.basename(abc), last))
    print("views_check: %d archives, %d failed" % (len(jobs), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
