#!/usr/bin/env python3
"""Concurrency stress of one abcfs mount (issue 5, item 3).

    robust_stress.py --abcfs build/fs/abcfs --abcgen build/tools/abcgen

Makes a ~1 GB archive with `abcgen mesh` in a temporary directory (ROBUST_TMP,
default /tmp; scaled down, with a message, when that file system has less
than 4 GB free), mounts it once, and runs 8 reader processes against the one
mount for ROBUST_SECONDS (default 20).  Each reader picks random sample files
and does random things with them: whole-file reads in random chunk sizes,
pread of random ranges (offsets from 0 to past the end, lengths from 1 byte
to past the end), fadvise(DONTNEED) so that the kernel asks the daemon
again, a listing of the property directory, its .times file.  Every byte is
compared with the archive read directly at the sample's payload offset,
which an independent reader (robust_lib.Arc, written from ogawa-format.md)
finds.  Any error or difference fails; so does a hang (the readers are
killed after ROBUST_SECONDS + 120 s) or a daemon that dies.

Environment: ROBUST_SECONDS, ROBUST_ARCHIVE_MB (default 1024),
ROBUST_READERS (default 8), ROBUST_TMP.
Exit 0 pass, 1 fail, 77 skip (no /dev/fuse).
"""
import argparse
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import robust_lib as rl  # noqa: E402

OBJECTS = 100
VERTS = 10000           # P: 120000 bytes a sample; .faceIndices 79984; ...


def reader(seed, mnt, archive, files, dirs, deadline):
    """One reader process; returns its counts and first problems."""
    rnd = random.Random(seed)
    afd = os.open(archive, os.O_RDONLY)
    stats = {"ops": 0, "bytes": 0, "errors": [], "diffs": [], "kinds": {}}

    def want(off, n, pos, length):
        if pos >= n:
            return b""
        length = min(length, n - pos)
        return os.pread(afd, length, off + pos)

    def problem(kind, msg):
        lst = stats[kind]
        if len(lst) < 10:
            lst.append(msg)
        elif len(lst) == 10:
            lst.append("...")

    def count(kind):
        stats["kinds"][kind] = stats["kinds"].get(kind, 0) + 1

    while time.monotonic() < deadline:
        path, off, n = files[rnd.randrange(len(files))]
        full = mnt + path
        op = rnd.random()
        try:
            if op < 0.45:
                # pread of a random range: inside, across the end, past the end
                fd = os.open(full, os.O_RDONLY)
                try:
                    st = os.fstat(fd)
                    if st.st_size != n:
                        problem("diffs", "%r: st_size %d, payload %d" % (path, st.st_size, n))
                    for _ in range(rnd.randint(1, 4)):
                        r = rnd.random()
                        if r < 0.1:
                            pos = n + rnd.randint(0, 65536)
                        elif r < 0.3:
                            pos = max(0, n - rnd.randint(0, 8192))
                        else:
                            pos = rnd.randint(0, max(n, 1))
                        length = rnd.choice([1, 7, 4096, 4097, 65536, 131072, n + 1,
                                             rnd.randint(1, 300000)])
                        got = os.pread(fd, length, pos)
                        exp = want(off, n, pos, length)
                        stats["bytes"] += len(got)
                        if got != exp:
                            problem("diffs", "%r: pread(%d, %d): %d bytes, want %d%s"
                                    % (path, length, pos, len(got), len(exp),
                                       first_diff(got, exp)))
                    if rnd.random() < 0.5:
                        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)
                count("pread")
            elif op < 0.8:
                # the whole file, in random chunk sizes, to EOF
                with open(full, "rb", buffering=0) as f:
                    parts = []
                    while True:
                        b = f.read(rnd.choice([1, 100, 4096, 65536, 1 << 20]))
                        if not b:
                            break
                        parts.append(b)
                    got = b"".join(parts)
                    if rnd.random() < 0.5:
                        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
                stats["bytes"] += len(got)
                exp = want(off, n, 0, n)
                if got != exp:
                    problem("diffs", "%r: whole file %d bytes, want %d%s"
                            % (path, len(got), len(exp), first_diff(got, exp)))
                count("whole")
            elif op < 0.9:
                # the same file through a second descriptor at the same time
                with open(full, "rb", buffering=0) as f1, open(full, "rb", buffering=0) as f2:
                    half = n // 2
                    a = f1.read(half)
                    b = f2.read()
                    os.posix_fadvise(f2.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
                exp = want(off, n, 0, n)
                if a != exp[:half] or b != exp:
                    problem("diffs", "%r: two descriptors disagree with the archive" % path)
                count("twofd")
            else:
                # the property directory: its listing and .times
                d = path.rsplit(b"/", 1)[0]
                exp_names, exp_times = dirs[d]
                got = os.listdir(mnt + d)
                if got != exp_names:
                    problem("diffs", "%r: listing differs (%d entries, want %d)"
                            % (d, len(got), len(exp_names)))
                with open(mnt + d + b"/.times", "rb") as f:
                    t = f.read()
                if t != exp_times:
                    problem("diffs", "%r/.times differs" % d)
                count("dir")
        except OSError as e:
            problem("errors", "%r: %s (%s)" % (path, rl.errno_name(e.errno), e.strerror))
        stats["ops"] += 1
    os.close(afd)
    return stats


def first_diff(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return "; first difference at byte %d: %02x, want %02x" % (i, a[i], b[i])
    return ""


def run_readers(n, timeout, fn, args):
    """Forks n readers; returns [(ok, result)] (timed-out ones killed)."""
    import pickle
    kids = []
    for k in range(n):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                try:
                    res = (True, fn(k * 7919 + 1, *args))
                except BaseException as e:   # noqa: report everything
                    res = (False, "%s: %s" % (type(e).__name__, e))
                with os.fdopen(w, "wb") as f:
                    f.write(pickle.dumps(res))
            finally:
                os._exit(0)
        os.close(w)
        kids.append([pid, r, []])
    deadline = time.monotonic() + timeout
    open_fds = {k[1]: k for k in kids}
    done = False
    try:
        while open_fds and time.monotonic() < deadline:
            ready, _, _ = select.select(list(open_fds), [], [], 1.0)
            for fd in ready:
                chunk = os.read(fd, 1 << 20)
                if chunk:
                    open_fds[fd][2].append(chunk)
                else:
                    del open_fds[fd]
        done = True
    finally:
        out = []
        for pid, r, chunks in kids:
            if r in open_fds:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                out.append((False, "reader %d hung (killed after %.0f s)" % (pid, timeout)))
            else:
                os.waitpid(pid, 0)
                try:
                    out.append(pickle.loads(b"".join(chunks)))
                except Exception:
                    out.append((False, "reader %d died without an answer" % pid))
            os.close(r)
    assert done
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--abcfs", required=True)
    ap.add_argument("--abcgen", required=True)
    a = ap.parse_args()
    rl.skip_unless_fuse()
    seconds = float(os.environ.get("ROBUST_SECONDS", "20"))
    want_mb = int(os.environ.get("ROBUST_ARCHIVE_MB", "1024"))
    readers = int(os.environ.get("ROBUST_READERS", "8"))
    tmp_base = os.environ.get("ROBUST_TMP", "/tmp")
    rep = rl.Report("robust_stress")

    free = shutil.disk_usage(tmp_base).free
    mb = want_mb
    if free < 4 << 30:
        mb = max(16, min(want_mb, free // 4 >> 20))
        print("NOTE: only %.1f GB free in %s (< 4 GB): the archive is scaled down from "
              "%d MB to %d MB" % (free / 2 ** 30, tmp_base, want_mb, mb))
    if free < 64 << 20:
        print("SKIP: only %d MB free in %s" % (free >> 20, tmp_base))
        return rl.SKIP
    frames = max(2, -(-(mb << 20) // (OBJECTS * VERTS * 12)))

    tmp = tempfile.mkdtemp(prefix="abcfs-robust-stress-", dir=tmp_base)
    mount = None
    try:
        archive = os.path.join(tmp, "stress.abc")
        t0 = time.monotonic()
        subprocess.run([a.abcgen, "mesh", "--objects", str(OBJECTS), "--verts", str(VERTS),
                        "--frames", str(frames), archive], check=True, timeout=600)
        size = os.path.getsize(archive)
        before = os.stat(archive)
        t1 = time.monotonic()
        arc = rl.Arc(archive)
        files = rl.sample_files(arc)
        dirs = {}
        for path, _, _ in files:
            d = path.rsplit(b"/", 1)[0]
            dirs.setdefault(d, None)
        props = {}
        todo = [(arc.top, b"")]
        while todo:                     # expected listing and .times of each property
            o, p = todo.pop()
            stack = []
            for name, (what, x) in rl.object_listing(o):
                if what == "object":
                    todo.append((x, p + b"/" + name))
                elif what == "prop":
                    stack.append((p + b"/" + name, x))
            while stack:
                pp, pr = stack.pop()
                if pr.kind == "compound":
                    stack += [(pp + b"/" + nm, c) for nm, (w, c) in rl.compound_listing(pr)
                              if w == "prop"]
                else:
                    props[pp] = pr
        for d in dirs:
            pr = props[d]
            names = [rl.sample_name(i, pr.n, pr.pod) for i in range(pr.n)] + [b".info", b".times"]
            times = b"".join(b"%s\n" % (("%.17g" % arc.sample_time(pr, i)).encode())
                             for i in range(pr.n))
            dirs[d] = (names, times)
        arc.close()
        print("archive: %d MB (abcgen mesh --objects %d --verts %d --frames %d) in %.1f s; "
              "%d sample files, read back independently in %.1f s"
              % (size >> 20, OBJECTS, VERTS, frames, t1 - t0, len(files),
                 time.monotonic() - t1), flush=True)

        mount = rl.Mount(a.abcfs, archive)
        mnt = mount.dir.encode()
        deadline = time.monotonic() + seconds
        t2 = time.monotonic()
        results = run_readers(readers, seconds + 120, reader,
                              (mnt, archive, files, dirs, deadline))
        elapsed = time.monotonic() - t2
        ops = nbytes = 0
        kinds = {}
        for k, (ok, res) in enumerate(results):
            if not ok:
                rep.fail("reader %d: %s" % (k, res))
                continue
            ops += res["ops"]
            nbytes += res["bytes"]
            for kk, v in res["kinds"].items():
                kinds[kk] = kinds.get(kk, 0) + v
            rep.check(not res["errors"], "reader %d: errors: %s" % (k, "; ".join(res["errors"])))
            rep.check(not res["diffs"], "reader %d: differences: %s" % (k, "; ".join(res["diffs"])))
        mem = mount.mem_kb()
        print("%d readers, %.1f s: %d operations (%s), %.1f MB compared, daemon VmHWM %d MB"
              % (readers, elapsed, ops, ", ".join("%s %d" % kv for kv in sorted(kinds.items())),
                 nbytes / 2 ** 20, mem.get("VmHWM", 0) >> 10))
        rep.check(ops > 0, "no operation completed")
        try:
            st = json.loads(os.getxattr(mount.dir, "user.abcfs.stats"))
            print("daemon: %d sample reads, %.1f MB served from the archive; %d requests"
                  % (st["sample_reads"], st["sample_bytes_served"] / 2 ** 20,
                     sum(st["requests"].values())))
            rep.check(st["sample_reads"] > 0, "the daemon served no sample read")
        except (OSError, ValueError, KeyError) as e:
            rep.note("no user.abcfs.stats (%s)" % e)
        rep.check(mount.alive(), "the daemon died during the stress run: %s"
                  % mount.log_text()[-500:])
        rc, status = mount.unmount()
        rep.check(rc == 0 and status == 0,
                  "unmount: fusermount3 %s, daemon exit %s" % (rc, status))
        after = os.stat(archive)
        rep.check((after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns),
                  "the archive changed while mounted")
        log = [ln for ln in mount.log_text().splitlines()
               if ln.strip() and "max threads" not in ln]
        rep.check(not log, "the daemon logged errors: %s" % " | ".join(log[:5]))
    except rl.MountError as e:
        rep.fail("mount: %s" % e)
    finally:
        if mount is not None:
            mount.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
