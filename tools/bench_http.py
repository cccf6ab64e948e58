#!/usr/bin/env python3
"""Archives on a web server: abcfs on an http:// URL served by nginx on
127.0.0.1 (tests/http_check.py's Nginx), against plain HTTP and the local file.

    bench_http.py --abcgen B/tools/abcgen --abcfs B/fs/abcfs --abcdump B/tools/abcdump \
        --data tests/data [--runs 3] [--mib 256]

1. stream  a 256 MiB sample (abcgen big) read through a fresh mount of its
           URL (cat to /dev/null) against `curl -r A-B -o /dev/null` of the
           same byte range, alternated in the same run; the ratio of the
           median throughputs (goal >= 0.8).
2. ls      mount and `ls` of the top of a 100k-object archive (abcgen tree),
           from its URL and from the local file.
3. dump    bytes nginx sent for `abcdump --json URL` of the largest archive
           of the real corpus, against its size.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import http_check  # noqa: E402  (Nginx)
import mount_check  # noqa: E402  (Mount)


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def read_all(path):
    with open(path, "rb", buffering=0) as f:
        while f.read(1 << 20):
            pass


def bench_stream(a, ng, gen):
    big = os.path.join(gen, "big.abc")
    subprocess.run([a.abcgen, "big", "--mib", str(a.mib), big], check=True, stdout=subprocess.DEVNULL)
    rel = "big/data/0000.u8"
    # The sample's offset in the file: its first bytes found in the file.
    m = mount_check.Mount(a.abcfs, big)
    try:
        with open(os.path.join(m.dir, rel), "rb") as f:
            head = f.read(4096)
        size = os.path.getsize(os.path.join(m.dir, rel))
    finally:
        m.close()
    with open(big, "rb") as f:
        blob = f.read(1 << 20)
    off = blob.find(head)
    assert off >= 0
    url = ng.url("gen/big.abc")
    ours, theirs = [], []
    for _ in range(a.runs):
        m = mount_check.Mount(a.abcfs, url)
        try:
            ours.append(timed(lambda: read_all(os.path.join(m.dir, rel))))
        finally:
            m.close()
        theirs.append(timed(lambda: subprocess.run(
            ["curl", "-s", "-f", "-r", "%d-%d" % (off, off + size - 1), "-o", "/dev/null", url],
            check=True)))
    mib = size / (1 << 20)
    o, t = statistics.median(ours), statistics.median(theirs)
    print("stream: %d MiB sample: abcfs over HTTP %.0f MiB/s (median of %s s), curl -r %.0f MiB/s "
          "(median of %s s): ratio %.2f (goal >= 0.8)"
          % (mib, mib / o, ["%.2f" % x for x in ours], mib / t, ["%.2f" % x for x in theirs], t / o))


def bench_ls(a, ng, gen):
    tree = os.path.join(gen, "tree.abc")
    subprocess.run([a.abcgen, "tree", "--objects", "100000", tree], check=True, stdout=subprocess.DEVNULL)
    for what, arch in (("local file", tree), ("HTTP", ng.url("gen/tree.abc"))):
        mounts, lss = [], []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            m = mount_check.Mount(a.abcfs, arch)
            mounts.append(time.perf_counter() - t0)
            try:
                lss.append(timed(lambda: os.listdir(m.dir)))
                n = len(os.listdir(m.dir))
            finally:
                m.close()
        print("ls: 100k-object archive (%d MiB), %s: mount %.3f s, ls of the top (%d entries) %.3f s "
              "(medians of %d)" % (os.path.getsize(tree) >> 20, what, statistics.median(mounts), n,
                                   statistics.median(lss), a.runs))


def bench_dump(a, ng):
    real = os.path.join(a.data, "real")
    name = max((f for f in os.listdir(real) if f.endswith(".abc")),
               key=lambda f: os.path.getsize(os.path.join(real, f)))
    start = ng.log_size()
    t = timed(lambda: subprocess.run([a.abcdump, "--json", ng.url("real/" + name)], check=True,
                                     stdout=subprocess.DEVNULL))
    lines = ng.log_lines(start)
    sent = sum(x[4] for x in lines)
    size = os.path.getsize(os.path.join(real, name))
    print("dump: abcdump --json of real/%s over HTTP: %d bytes sent in %d requests for a %d-byte "
          "archive (%.0f%%), %.2f s" % (name, sent, len(lines), size, 100.0 * sent / size, t))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--abcgen", required=True)
    ap.add_argument("--abcfs", required=True)
    ap.add_argument("--abcdump", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--tmp", default=None)
    a = ap.parse_args()
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None or shutil.which("curl") is None:
        print("SKIP: nginx or curl is not installed")
        return 77
    a.data = os.path.abspath(a.data)
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        os.environ.pop(k, None)
    tmp = tempfile.mkdtemp(prefix="abcfs-bench-http-", dir=a.tmp)
    os.chmod(tmp, 0o755)
    gen = os.path.join(tmp, "gen")
    os.makedirs(gen)
    ng = None
    try:
        ng = http_check.Nginx(nginx, os.path.join(tmp, "nginx"), a.data, gen)
        bench_stream(a, ng, gen)
        bench_ls(a, ng, gen)
        bench_dump(a, ng)
    finally:
        if ng is not None:
            ng.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
