#!/usr/bin/env python3
"""Mount tests of the direct path and of the request counts (real FUSE
mounts, plain os calls).

  1. The direct path (README "Reading samples without FUSE"): on archives of
     DATA/{reference,spec,real} mounted with -o views=visible, every raw
     sample file of at least one byte answers user.abc.source (the archive's
     absolute path) and user.abc.offset, and the archive's bytes there are
     the file's bytes; every .npy file of such a sample answers them too,
     with user.abc.header_bytes, and the archive's bytes at the offset are
     the file's bytes after its header.  Every other file (converted
     wstrings, .info, .times, computed views, all.npy, string .npy) answers
     ENODATA.  A relative archive path is made absolute; a gzip-compressed
     archive answers none of them.
  2. A view whose source is invalid (abcgen badmesh: a face index outside
     the points) has size 0 and answers EIO when read, with open and read
     (no fstat) as well as with Python's open().read().
  3. Requests: `find -type f -exec cat` over a fresh mount costs one READ per
     file and no LOOKUP, OPEN or RELEASE (the listings carried every
     attribute, opens are the kernel's own); the same again costs no READ,
     OPEN or LOOKUP (user.abcfs.stats counts requests by opcode).

    direct_check.py --abcfs build/fs/abcfs --abcgen build/tools/abcgen --data tests/data

Exit 0 when all pass, 1 on a failure, 77 (meson's skip) without /dev/fuse.
"""
import argparse
import errno
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
# Directory names that hold views (views.md): their files are computed,
# except the .npy files of raw numeric samples.
VIEW_DIRS = {".npy", ".expanded", ".matrix", ".world", ".ply", ".obj", ".preview"}
DIRECT = ("user.abc.source", "user.abc.offset", "user.abc.header_bytes")
MAX_FILES = 1500            # per archive: the large ones are sampled, not read whole
MAX_ARCHIVE = 16 << 20      # larger real archives are left to the other tests


class Report:
    def __init__(self, show=40):
        self.passed = self.failed = 0
        self.show = show

    def check(self, ok, where, msg=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            if self.show > 0:
                self.show -= 1
                print("  FAIL %s: %s" % (where, msg))
        return ok


class Mount:
    """abcfs ARCHIVE DIR in the foreground, unmounted by close()."""

    def __init__(self, abcfs, archive, extra=(), cwd=None):
        self.dir = tempfile.mkdtemp(prefix="abcfs-direct-")
        self.proc = subprocess.Popen([abcfs, "-f", *extra, archive, self.dir], cwd=cwd,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 20
        while not os.path.ismount(self.dir):
            if self.proc.poll() is not None or time.time() > deadline:
                err = (self.proc.stderr.read().decode(errors="replace")
                       if self.proc.poll() is not None else "timeout")
                self.close()
                raise RuntimeError("cannot mount %s: %s" % (archive, err.strip()))
            time.sleep(0.02)

    def close(self):
        if os.path.ismount(self.dir):
            subprocess.run(["fusermount3", "-u", self.dir], stderr=subprocess.DEVNULL)
        try:
            self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
        if os.path.ismount(self.dir):
            subprocess.run(["fusermount3", "-uz", self.dir], stderr=subprocess.DEVNULL)
        try:
            os.rmdir(self.dir)
        except OSError:
            pass
        return self.proc.returncode


def xattr(path, name):
    """The value of NAME, or None when the file answers ENODATA."""
    try:
        return os.getxattr(path, name, follow_symlinks=False).decode()
    except OSError as e:
        if e.errno != errno.ENODATA:
            raise
        return None


def files_of(root):
    """Regular files under ROOT (links not followed), sorted."""
    out = []
    for d, dirs, names in os.walk(root):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(d, n)
            if os.path.isfile(p) and not os.path.islink(p):
                out.append(p)
    return out


def expected_direct(root, path):
    """'raw', 'npy' or None: what the direct path must be for PATH, from its
    place in the tree and its attributes."""
    parts = os.path.relpath(path, root).split(os.sep)
    views = [k for k, c in enumerate(parts[:-1]) if c in VIEW_DIRS]
    name = parts[-1]
    if os.stat(path).st_size == 0:
        return None
    if not views:
        if xattr(path, "user.abc.kind") != "sample":
            return None
        return None if xattr(path, "user.abc.pod") == "wstring" else "raw"
    # One view level only: .npy/ of a property (not of a computed series).
    if (views != [len(parts) - 2] or parts[-2] != ".npy" or name == "all.npy"
            or not name.endswith(".npy")):
        return None
    prop = os.path.dirname(os.path.dirname(path))
    pod = xattr(prop, "user.abc.pod")
    if pod is None or pod in ("string", "wstring"):
        return None
    return "npy" if npy_header_bytes(path) < os.stat(path).st_size else None


def npy_header_bytes(path):
    """Length of an .npy file's header (format 1.0: magic, version, 2-byte
    length), read from the file itself."""
    with open(path, "rb") as f:
        head = f.read(10)
    return 10 + int.from_bytes(head[8:10], "little")


def check_direct_tree(archive, root, r, where):
    files = files_of(root)
    if len(files) > MAX_FILES:
        step = len(files) / MAX_FILES
        files = [files[int(k * step)] for k in range(MAX_FILES)]
    counts = {"raw": 0, "npy": 0, None: 0}
    with open(archive, "rb") as arc:
        for p in files:
            rel = "%s:%s" % (where, os.path.relpath(p, root))
            want = expected_direct(root, p)
            counts[want] += 1
            got = {n: xattr(p, n) for n in DIRECT}
            if want is None:
                r.check(all(v is None for v in got.values()), rel,
                        "answers %s, want ENODATA" % {k: v for k, v in got.items() if v})
                continue
            if not r.check(got["user.abc.source"] is not None and got["user.abc.offset"] is not None,
                           rel, "no direct path (%s file)" % want):
                continue
            r.check(got["user.abc.source"] == os.path.abspath(archive), rel,
                    "source %r, want %r" % (got["user.abc.source"], os.path.abspath(archive)))
            skip = 0
            if want == "npy":
                if not r.check(got["user.abc.header_bytes"] is not None, rel, "no header_bytes"):
                    continue
                skip = int(got["user.abc.header_bytes"])
                r.check(skip == npy_header_bytes(p), rel, "header_bytes %d, the file's header %d"
                        % (skip, npy_header_bytes(p)))
            else:
                r.check(got["user.abc.header_bytes"] is None, rel, "header_bytes on a raw sample")
            with open(p, "rb") as f:
                data = f.read()
            arc.seek(int(got["user.abc.offset"]))
            body = arc.read(len(data) - skip)
            r.check(0 <= skip < len(data) and body == data[skip:], rel,
                    "archive bytes at offset %s differ from the file's" % got["user.abc.offset"])
            if want == "npy":
                r.check(data[:6] == b"\x93NUMPY", rel, "not an .npy file")
    return counts


def check_direct(a, r, tmp):
    archives = []
    for corpus in ("reference", "spec", "real"):
        d = os.path.join(a.data, corpus)
        if os.path.isdir(d):
            archives += [os.path.join(d, n) for n in sorted(os.listdir(d))
                         if n.endswith(".abc") and os.path.getsize(os.path.join(d, n)) <= MAX_ARCHIVE]
    totals = {"raw": 0, "npy": 0, None: 0}
    for archive in archives:
        where = os.path.basename(archive)
        try:
            m = Mount(a.abcfs, archive, ["-o", "views=visible"])
        except RuntimeError as e:
            r.check(False, where, str(e))
            continue
        try:
            for k, v in check_direct_tree(archive, m.dir, r, where).items():
                totals[k] += v
        finally:
            r.check(m.close() == 0, where, "daemon exit status")
    print("direct path: %d archives, %d raw samples and %d .npy files checked against the "
          "archive, %d other files answer ENODATA"
          % (len(archives), totals["raw"], totals["npy"], totals[None]))
    r.check(totals["raw"] > 100 and totals["npy"] > 100, "corpus", "too few direct files: %s" % totals)

    # A relative path at mount: made absolute against the daemon's cwd.
    spec = os.path.join(a.data, "spec", "props.abc")
    rel_dir = os.path.join(tmp, "rel")
    os.makedirs(rel_dir)
    shutil.copy(spec, os.path.join(rel_dir, "props.abc"))
    m = Mount(a.abcfs, "./props.abc", cwd=rel_dir)
    try:
        srcs = {xattr(p, "user.abc.source") for p in files_of(m.dir)} - {None}
        r.check(srcs == {os.path.join(rel_dir, "props.abc")}, "relative path", "sources %s" % srcs)
    finally:
        m.close()

    # A gzip-compressed archive: no file holds the bytes as they are.
    gz = os.path.join(tmp, "props.abc.gz")
    with open(spec, "rb") as f, open(gz, "wb") as g:
        g.write(gzip.compress(f.read()))
    m = Mount(a.abcfs, gz, ["-o", "views=visible", "-o", "gzindex=" + tmp])
    try:
        files = files_of(m.dir)
        answering = [p for p in files if any(xattr(p, n) is not None for n in DIRECT)]
        r.check(files and not answering, "gzip", "%d of %d files answer the direct path"
                % (len(answering), len(files)))
    finally:
        m.close()


def check_invalid_view(a, r, tmp):
    archive = os.path.join(tmp, "badmesh.abc")
    subprocess.run([a.abcgen, "badmesh", archive], check=True)
    m = Mount(a.abcfs, archive)
    try:
        for view, ext in ((".ply", "ply"), (".obj", "obj")):
            good = os.path.join(m.dir, "mesh", view, "0000." + ext)
            bad = os.path.join(m.dir, "mesh", view, "0001." + ext)
            with open(good, "rb") as f:
                r.check(len(f.read()) == os.stat(good).st_size > 0, good, "valid sample")
            r.check(os.stat(bad).st_size == 0, bad, "size %d, want 0" % os.stat(bad).st_size)
            for attempt in range(2):     # the second time the kernel holds the inode
                fd = os.open(bad, os.O_RDONLY)
                try:
                    os.read(fd, 4096)
                    r.check(False, bad, "os.read succeeded, want EIO")
                except OSError as e:
                    r.check(e.errno == errno.EIO, bad, "os.read: %s, want EIO" % e)
                finally:
                    os.close(fd)
                try:
                    with open(bad, "rb") as f:
                        f.read()
                    r.check(False, bad, "read succeeded, want EIO")
                except OSError as e:
                    r.check(e.errno == errno.EIO, bad, "open().read(): %s, want EIO" % e)
            r.check(os.stat(bad).st_size == 0, bad, "stat after the reads")
    finally:
        r.check(m.close() == 0, "badmesh", "daemon exit status")


def requests(root):
    return json.loads(os.getxattr(root, "user.abcfs.stats"))["requests"]


def request_delta(root, action):
    """Requests by opcode caused by ACTION, less what reading the stats costs."""
    first = requests(root)
    before = requests(root)
    action()
    after = requests(root)
    return {k: after[k] - before[k] - (before[k] - first[k]) for k in after}


def check_requests(a, r, tmp):
    archive = os.path.join(tmp, "mesh.abc")
    subprocess.run([a.abcgen, "mesh", "--objects", "20", "--verts", "100", "--frames", "6",
                    archive], check=True)
    m = Mount(a.abcfs, archive)
    try:
        def find_cat():
            subprocess.run("find '%s' -type f -exec cat {} + >/dev/null" % m.dir, shell=True,
                           check=True)
        cold = request_delta(m.dir, find_cat)
        warm = request_delta(m.dir, find_cat)
        files = len(files_of(m.dir))
        print("requests: %d files; cold %s; warm %s"
              % (files, {k: v for k, v in cold.items() if v}, {k: v for k, v in warm.items() if v}))
        r.check(cold["read"] == files, "cold reads", "%d READ for %d files" % (cold["read"], files))
        for op in ("lookup", "getattr", "release", "releasedir"):
            r.check(cold[op] == 0, "cold " + op, "%d" % cold[op])
        for op in ("open", "opendir", "flush"):     # answered ENOSYS once, then never sent
            r.check(cold[op] <= 1, "cold " + op, "%d" % cold[op])
        for op in ("lookup", "getattr", "open", "release", "opendir", "readdir", "readdirplus"):
            r.check(warm[op] == 0, "warm " + op, "%d" % warm[op])
        # The page cache may be emptied by others meanwhile: at most one READ per file.
        r.check(warm["read"] <= files // 10, "warm reads", "%d READ for %d files" % (warm["read"], files))
    finally:
        r.check(m.close() == 0, "requests", "daemon exit status")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--abcfs", required=True)
    ap.add_argument("--abcgen", required=True)
    ap.add_argument("--data", required=True)
    a = ap.parse_args()
    a.abcfs, a.abcgen = os.path.abspath(a.abcfs), os.path.abspath(a.abcgen)
    if not os.path.exists("/dev/fuse") or shutil.which("fusermount3") is None:
        print("direct_check: skipped: no /dev/fuse or fusermount3")
        return SKIP
    r = Report()
    tmp = tempfile.mkdtemp(prefix="abcfs-direct-tmp-")
    try:
        check_direct(a, r, tmp)
        check_invalid_view(a, r, tmp)
        check_requests(a, r, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("direct_check: %d checks, %d failed" % (r.passed + r.failed, r.failed))
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
