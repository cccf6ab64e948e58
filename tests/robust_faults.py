#!/usr/bin/env python3
"""Faults under a live mount (issue 5, item 4).

    robust_faults.py --abcfs build/fs/abcfs --abcgen build/tools/abcgen

On a copy of an `abcgen mesh` archive (~11 MB), each scenario mounts, does
what a user might do to the file while it is mounted, and checks the mount:

 truncate-walked   the tree is listed (no file read), then the archive is cut
                   to half its size: the archive is no longer the file that
                   was opened, so every read answers EIO (never fewer bytes,
                   never other bytes).
 truncate-cold     the archive is cut before anything was listed: every
                   error of a walk is EIO, nothing hangs.
 overwrite         garbage written over the middle third and over blocks of
                   the tail (where group and header blocks live) after half
                   of the tree was listed, the size unchanged: every read
                   gives EIO (the archive's mtime changed); bytes now in the
                   file under the old tree's sizes are a failure; lookups of
                   changed metadata may fail with EIO/ENOENT/ENOTDIR;
                   nothing hangs.
 delete            the archive is unlinked while mounted: everything still
                   reads correctly (the daemon holds the file open) or EIO.
 SIGTERM, SIGINT   (also with a file of the mount held open) the daemon
                   unmounts and exits 0; the mount point is no longer a mount.

In each one the daemon must stay alive until unmounted, and the unmount
must work (fusermount3 status 0, daemon exit 0).  Files are only read once
after a fault, so the kernel's page cache never hides the daemon's answer.
Exit 0 pass, 1 fail, 77 skip (no /dev/fuse).
"""
import argparse
import errno
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import robust_lib as rl  # noqa: E402

WALK_TIMEOUT = 60


def walk(root, start=b""):
    """Lists and lstats everything below root+start; never reads a file.
    Returns (entries seen, [(path, errno)])."""
    errs, seen, stack = [], 0, [start]
    while stack:
        d = stack.pop()
        try:
            names = os.listdir(root + d)
        except OSError as e:
            errs.append((d, e.errno))
            continue
        for nm in names:
            p = d + b"/" + nm
            try:
                st = os.lstat(root + p)
            except OSError as e:
                errs.append((p, e.errno))
                continue
            seen += 1
            if stat.S_ISDIR(st.st_mode):
                stack.append(p)
    return seen, errs


def read_all(root, paths):
    """Reads each file to EOF; returns {path: bytes or errno}."""
    out = {}
    for p in paths:
        try:
            with open(root + p, "rb", buffering=0) as f:
                parts = []
                while True:
                    b = f.read(1 << 20)
                    if not b:
                        break
                    parts.append(b)
            out[p] = b"".join(parts)
        except OSError as e:
            out[p] = e.errno
    return out


class Scenario:
    def __init__(self, a, rep, tmp, pristine, files):
        self.a, self.rep, self.tmp, self.pristine, self.files = a, rep, tmp, pristine, files
        self.ofd = os.open(pristine, os.O_RDONLY)

    def orig(self, off, n):
        return os.pread(self.ofd, n, off) if n else b""

    def copy(self, name):
        dst = os.path.join(self.tmp, name)
        shutil.copyfile(self.pristine, dst)
        return dst

    def finish(self, m, what):
        """The daemon is alive and answers; unmount works."""
        rep = self.rep
        rep.check(m.alive(), "%s: the daemon died: %s" % (what, m.log_text()[-400:]))
        ok, res = rl.in_child(lambda: os.statvfs(m.dir).f_flag, 20)
        rep.check(ok, "%s: statfs of the mount failed: %s" % (what, res))
        rc, status = m.unmount()
        rep.check(rc == 0 and status == 0,
                  "%s: unmount: fusermount3 %s, daemon exit %s; log: %s"
                  % (what, rc, status, m.log_text()[-300:]))
        rep.check(not rl.is_fuse_mount(m.dir), "%s: still mounted after unmount" % what)

    def walk_checked(self, m, what, allowed, start=b""):
        ok, res = rl.in_child(walk, WALK_TIMEOUT, m.dir.encode(), start)
        if not self.rep.check(ok, "%s: walk: %s" % (what, res)):
            return 0, []
        seen, errs = res
        bad = [(p, rl.errno_name(e)) for p, e in errs if e not in allowed]
        self.rep.check(not bad, "%s: walk errors other than %s: %s"
                       % (what, "/".join(rl.errno_name(e) for e in allowed), bad[:5]))
        return seen, errs

    def reads(self, m, what, paths):
        ok, res = rl.in_child(read_all, WALK_TIMEOUT, m.dir.encode(), paths)
        self.rep.check(ok, "%s: reading files: %s" % (what, res))
        return res if ok else {}

    # -- the scenarios ------------------------------------------------------------------

    def truncate_walked(self):
        what = "truncate-walked"
        arc = self.copy("trunc1.abc")
        with rl.Mount(self.a.abcfs, arc) as m:
            seen, _ = self.walk_checked(m, what + " (before)", ())
            cut = os.path.getsize(arc) // 2
            os.truncate(arc, cut)
            paths = [p for p, _, n in self.files if n > 0]
            got = self.reads(m, what, paths)
            n_eio = n_ok = 0
            for p, off, n in self.files:
                if n == 0 or p not in got:
                    continue
                g = got[p]
                if off + n <= cut and g != errno.EIO:
                    n_ok += 1
                    self.rep.fail("%s: %r (before the cut) gives %s, not EIO: the archive "
                                  "is not the file opened" % (what, p, describe(g, n)))
                else:
                    ok = g == errno.EIO
                    n_eio += ok
                    self.rep.check(ok, "%s: %r (payload %d..%d, file cut at %d) gives %s, "
                                   "not EIO" % (what, p, off, off + n, cut, describe(g, n)))
            self.rep.note("%s: %d entries listed before; %d files read, %d EIO"
                          % (what, seen, n_ok, n_eio))
            self.finish(m, what)

    def truncate_cold(self):
        what = "truncate-cold"
        arc = self.copy("trunc2.abc")
        with rl.Mount(self.a.abcfs, arc) as m:
            cut = os.path.getsize(arc) // 2
            os.truncate(arc, cut)
            seen, errs = self.walk_checked(m, what, (errno.EIO,))
            paths = [p for p, off, n in self.files if n > 0 and off + n > cut][:200]
            got = self.reads(m, what, paths)
            bad = [(p, describe(g, -1)) for p, g in got.items()
                   if g not in (errno.EIO, errno.ENOENT)]
            # ENOENT only where the walk already failed on a parent with EIO
            self.rep.check(not bad, "%s: files past the cut give %s, not EIO" % (what, bad[:5]))
            self.rep.note("%s: walk saw %d entries, %d EIO" % (what, seen, len(errs)))
            self.finish(m, what)

    def overwrite(self):
        what = "overwrite"
        arc = self.copy("over.abc")
        size = os.path.getsize(arc)
        rnd = random.Random(5)
        with rl.Mount(self.a.abcfs, arc) as m:
            # list half of the top-level objects first
            tops = sorted({p.split(b"/")[1] for p, _, _ in self.files})
            walked = set(tops[::2])
            for t in walked:
                self.walk_checked(m, what + " (before)", (), b"/" + t)
            spans = [(size // 3, size // 3)]
            tail = size - size // 10
            for _ in range(8):
                spans.append((rnd.randrange(tail, size - 64), rnd.randint(16, 4096)))
            with open(arc, "r+b") as f:
                for off, n in spans:
                    n = min(n, size - off)
                    f.seek(off)
                    f.write(bytes(rnd.getrandbits(8) for _ in range(n)))
            self.walk_checked(m, what, (errno.EIO, errno.ENOENT, errno.ENOTDIR))
            cfd = os.open(arc, os.O_RDONLY)
            paths = [p for p, _, n in self.files if n > 0]
            got = self.reads(m, what, paths)
            stats = {"old": 0, "new": 0, "eio": 0, "gone": 0}
            for p, off, n in self.files:
                if n == 0 or p not in got:
                    continue
                g = got[p]
                in_walked = p.split(b"/")[1] in walked
                if g == errno.EIO:
                    stats["eio"] += 1
                elif g == self.orig(off, n) and g != os.pread(cfd, n, off):
                    stats["old"] += 1   # served before the change was seen?
                    self.rep.fail("%s: %r gives its old bytes after the archive changed, "
                                  "not EIO" % (what, p))
                elif g == os.pread(cfd, n, off):
                    stats["new"] += 1
                    self.rep.fail("%s: %r gives the bytes now in the file, not EIO: "
                                  "substituted bytes under the old tree" % (what, p))
                elif not in_walked and g in (errno.ENOENT, errno.ENOTDIR):
                    stats["gone"] += 1      # its directory's metadata changed
                else:
                    self.rep.fail("%s: %r gives %s: not EIO, nor the old or the current "
                                  "bytes of the archive" % (what, p, describe(g, n)))
            os.close(cfd)
            self.rep.note("%s: %d old bytes, %d current bytes, %d EIO, %d not found"
                          % (what, stats["old"], stats["new"], stats["eio"], stats["gone"]))
            self.finish(m, what)

    def delete(self):
        what = "delete"
        arc = self.copy("gone.abc")
        with rl.Mount(self.a.abcfs, arc) as m:
            tops = sorted({p.split(b"/")[1] for p, _, _ in self.files})
            self.walk_checked(m, what + " (before)", (), b"/" + tops[0])
            os.unlink(arc)
            beside = sorted(os.listdir(self.tmp))
            self.walk_checked(m, what, (errno.EIO,))
            got = self.reads(m, what, [p for p, _, n in self.files])
            n_ok = 0
            for p, off, n in self.files:
                if p not in got:
                    continue
                g = got[p]
                ok = g == self.orig(off, n) or g == errno.EIO
                n_ok += g == self.orig(off, n)
                self.rep.check(ok, "%s: %r gives %s" % (what, p, describe(g, n)))
            self.rep.note("%s: %d of %d files still read correctly" % (what, n_ok, len(got)))
            self.rep.check(sorted(os.listdir(self.tmp)) == beside,
                           "%s: files appeared beside the archive: %s"
                           % (what, sorted(set(os.listdir(self.tmp)) - set(beside))))
            self.finish(m, what)

    def signals(self):
        arc = self.copy("sig.abc")
        p = next(p for p, _, n in self.files if n > 0)
        for sig in (signal.SIGTERM, signal.SIGINT):
            for busy in (False, True):
                what = "%s%s" % (signal.Signals(sig).name, " (a file held open)" if busy else "")
                with rl.Mount(self.a.abcfs, arc) as m:
                    ok, res = rl.in_child(read_all, 20, m.dir.encode(), [p])
                    self.rep.check(ok and isinstance(res.get(p), bytes),
                                   "%s: reading %r before the signal: %s" % (what, p, res))
                    fd = os.open(m.dir.encode() + p, os.O_RDONLY) if busy else -1
                    try:
                        status = m.signal(sig)
                    finally:
                        if fd >= 0:
                            os.close(fd)
                    self.rep.check(status == 0, "%s: daemon exit status %s (want 0); log: %s"
                                   % (what, status, m.log_text()[-300:]))
                    self.rep.check(not rl.is_fuse_mount(m.dir),
                                   "%s: the mount point is still a mount" % what)


def describe(g, n):
    if isinstance(g, int):
        return rl.errno_name(g)
    if n >= 0 and len(g) != n:
        return "%d bytes (of %d)" % (len(g), n)
    return "%d other bytes" % len(g)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--abcfs", required=True)
    ap.add_argument("--abcgen", required=True)
    a = ap.parse_args()
    rl.skip_unless_fuse()
    rep = rl.Report("robust_faults")
    tmp = tempfile.mkdtemp(prefix="abcfs-robust-faults-",
                           dir=os.environ.get("ROBUST_TMP", "/tmp"))
    try:
        pristine = os.path.join(tmp, "pristine.abc")
        subprocess.run([a.abcgen, "mesh", "--objects", "20", "--verts", "2000", "--frames", "24",
                        pristine], check=True, timeout=120)
        arc = rl.Arc(pristine)
        files = rl.sample_files(arc)
        arc.close()
        print("archive: %d bytes, %d sample files" % (os.path.getsize(pristine), len(files)))
        sc = Scenario(a, rep, tmp, pristine, files)
        for name in ("truncate_walked", "truncate_cold", "overwrite", "delete", "signals"):
            t0 = time.monotonic()
            try:
                getattr(sc, name)()
            except rl.MountError as e:
                rep.fail("%s: mount: %s" % (name, e))
            rep.note("%s: %.1f s" % (name, time.monotonic() - t0))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
