#!/usr/bin/env python3
"""The shapes that once made the view layer quadratic or unbounded, each at
two scales (4x the entries), timed in the same run: growth, not seconds.

    bench_shapes.py --abcgen build/tools/abcgen --abcls build/tools/abcls \
        --abcfs build/fs/abcfs --shapes-writer build/tests/test_view_cache

Rows (small -> large, the growth ratio; linear is 4, the goal is <= 6):
  instances   abcls -l ARCHIVE w  with 2000 / 8000 instance links
  metakeys    abcls -R -l         with 5000 / 20000 metadata keys on one object
  twins       abcls -R -l         with 5000 / 20000 siblings of one name
and through a mount (needs /dev/fuse):
  wstring     ls -l of a property of 200 samples of one 2^20-unit wstring:
              the daemon's peak RSS (goal < 64 MiB)
  times       paste of two .times of 10^6 samples against cat of each in
              turn (goal <= 3x)
Prints one line per row; exit 0 (a benchmark: nothing fails on time).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time


def timed(cmd, repeat=3):
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best


def vmhwm(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def mount(abcfs, archive, mnt):
    p = subprocess.Popen([abcfs, "-f", archive, mnt], stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.ismount(mnt):
            return p
        time.sleep(0.05)
    p.kill()
    raise RuntimeError("mount failed")


def umount(p, mnt):
    subprocess.run(["fusermount3", "-u", mnt], check=False)
    p.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--abcgen", required=True)
    ap.add_argument("--abcls", required=True)
    ap.add_argument("--abcfs", required=True)
    ap.add_argument("--shapes-writer", required=True)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench_shapes_")
    rows = [
        ("instances", "--objects", 2000, 8000, ["-l"], "w"),
        ("metakeys", "--keys", 5000, 20000, ["-R", "-l"], None),
        ("twins", "--children", 5000, 20000, ["-R", "-l"], None),
    ]
    print("%-10s %10s %10s %7s" % ("shape", "small s", "large s", "growth"))
    for name, flag, small, large, opts, path in rows:
        times = []
        for n in (small, large):
            arc = os.path.join(tmp, "%s%d.abc" % (name, n))
            subprocess.run([a.abcgen, name, flag, str(n), arc], check=True,
                           stdout=subprocess.DEVNULL)
            times.append(timed([a.abcls] + opts + [arc] + ([path] if path else [])))
        print("%-10s %10.3f %10.3f %7.1f" % (name, times[0], times[1], times[1] / max(times[0], 1e-6)))
    if not os.path.exists("/dev/fuse"):
        print("wstring, times: skipped (no /dev/fuse)")
        return 0
    arc = os.path.join(tmp, "shapes.abc")
    subprocess.run([a.shapes_writer, "--write", arc], check=True)
    mnt = os.path.join(tmp, "mnt")
    os.mkdir(mnt)
    p = mount(a.abcfs, arc, mnt)
    subprocess.run(["ls", "-l", os.path.join(mnt, "ws")], stdout=subprocess.DEVNULL, check=True)
    print("wstring    ls -l of 200 x 1M-unit samples: daemon peak RSS %.1f MiB (goal < 64)"
          % vmhwm(p.pid))
    umount(p, mnt)
    seq = par = None
    for _ in range(3):
        p = mount(a.abcfs, arc, mnt)
        t = time.perf_counter()
        for k in ("p0", "p1"):
            with open(os.path.join(mnt, k, ".times"), "rb") as f:
                while f.read(1 << 16):
                    pass
        s = time.perf_counter() - t
        umount(p, mnt)
        p = mount(a.abcfs, arc, mnt)
        t = time.perf_counter()
        subprocess.run(["paste", os.path.join(mnt, "p0", ".times"), os.path.join(mnt, "p1", ".times")],
                       stdout=subprocess.DEVNULL, check=True)
        q = time.perf_counter() - t
        umount(p, mnt)
        seq = s if seq is None else min(seq, s)
        par = q if par is None else min(par, q)
    print("times      paste of two 10^6-sample .times %.2f s, one after the other %.2f s: %.2fx (goal <= 3)"
          % (par, seq, par / max(seq, 1e-6)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
