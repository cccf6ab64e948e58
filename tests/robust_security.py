#!/usr/bin/env python3
"""Security (issue 5, item 6).

    robust_security.py --abcfs build/fs/abcfs --data tests/data

 untouched   a copy of polymesh.abc and instancing.abc, each alone in its
             own directory, is mounted, read entirely, and every mutation
             is tried on every kind of entry (each must fail with EROFS);
             the daemon holds the archive open read-only only; after the
             unmount the archive's bytes, size, mode and mtime are the same
             and nothing appeared beside it.
 options     a plain mount is not allow_other (/proc/self/mountinfo); with
             `-o allow_other` it is, and with default_permissions.  When
             run as root, user nobody is refused the plain mount and may
             read (not write) the allow_other one.
 mount point one that does not exist, is a regular file, lies below a file,
             is a dangling symlink, or an archive that is a directory: a
             clear message, a non-zero exit, nothing mounted, no daemon
             left; with and without -f.

Exit 0 pass, 1 fail, 77 skip (no /dev/fuse).
"""
import argparse
import errno
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import robust_lib as rl  # noqa: E402

NOBODY = 65534


def fingerprint(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return digest, st.st_size, st.st_mode, st.st_mtime_ns, st.st_ino


def mutations(root, kinds):
    """Tries every mutation on each entry; returns [(what, path, result)]
    for those that did not fail with EROFS (EISDIR for opening a directory
    for writing)."""
    out = []

    def expect(what, path, fn):
        try:
            fn()
            out.append((what, path, "succeeded"))
        except OSError as e:
            # opening a directory for writing is EISDIR before it is EROFS
            if e.errno != errno.EROFS and not (
                    e.errno == errno.EISDIR and what.startswith(("open", "truncate"))):
                out.append((what, path, rl.errno_name(e.errno)))
    for kind, p in kinds:
        full = root + p
        parent = full if kind == "dir" else full.rsplit(b"/", 1)[0]
        expect("open O_WRONLY", p, lambda: os.close(os.open(full, os.O_WRONLY)))
        if kind != "dir":
            expect("open O_RDWR", p, lambda: os.close(os.open(full, os.O_RDWR)))
            expect("open O_TRUNC", p, lambda: os.close(os.open(full, os.O_RDONLY | os.O_TRUNC)))
            expect("truncate", p, lambda: os.truncate(full, 0))
        expect("create", p, lambda: os.close(os.open(parent + b"/new", os.O_CREAT | os.O_WRONLY,
                                                     0o644)))
        expect("mkdir", p, lambda: os.mkdir(parent + b"/newdir"))
        expect("mknod", p, lambda: os.mknod(parent + b"/fifo", stat.S_IFIFO | 0o644))
        expect("symlink", p, lambda: os.symlink(b"x", parent + b"/newlink"))
        expect("chmod", p, lambda: os.chmod(full, 0o777))    # a link: its target's
        expect("chown", p, lambda: os.lchown(full, 0, 0))
        expect("utime", p, lambda: os.utime(full, (0, 0), follow_symlinks=False))
        expect("setxattr", p, lambda: os.setxattr(full, b"user.x", b"1", follow_symlinks=False))
        expect("removexattr", p, lambda: os.removexattr(full, b"user.abc.kind",
                                                        follow_symlinks=False))
        if p:
            expect("rename", p, lambda: os.rename(full, parent + b"/renamed"))
            if kind == "dir":
                expect("rmdir", p, lambda: os.rmdir(full))
            else:
                expect("unlink", p, lambda: os.unlink(full))
                expect("link", p, lambda: os.link(full, parent + b"/hard", follow_symlinks=False))
    return out


def read_everything(root):
    n, errs = 0, []
    for d, dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            try:
                if os.path.islink(p):
                    os.readlink(p)
                else:
                    with open(p, "rb") as fh:
                        fh.read()
                n += 1
            except OSError as e:
                errs.append((p, rl.errno_name(e.errno)))
    return n, errs


def daemon_fds(pid):
    """[(fd, target, flags)] of a process."""
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                flags = next(int(ln.split()[1], 8) for ln in f if ln.startswith("flags:"))
        except (OSError, StopIteration):
            continue
        out.append((int(fd), target, flags))
    return out


def as_nobody(fn, *args):
    """Runs fn(*args) as user nobody in a child; returns its result."""
    def body():
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        return fn(*args)
    return rl.in_child(body, 30)


def try_read(path):
    try:
        with open(path, "rb") as f:
            return len(f.read())
    except OSError as e:
        return rl.errno_name(e.errno)


def try_write(path):
    try:
        os.close(os.open(path, os.O_WRONLY))
        return "opened"
    except OSError as e:
        return rl.errno_name(e.errno)


def try_stat(path):
    try:
        os.stat(path)
        return "ok"
    except OSError as e:
        return rl.errno_name(e.errno)


class Security:
    def __init__(self, a, rep, tmp):
        self.a, self.rep, self.tmp = a, rep, tmp

    def untouched(self, src):
        rep = self.rep
        name = os.path.basename(src)
        home = os.path.join(self.tmp, "home-" + name)
        os.mkdir(home)
        arc = os.path.join(home, name)
        shutil.copyfile(src, arc)
        os.utime(arc, ns=(1_000_000_000_000_000_000, 1_500_000_000_123_456_789))
        before = fingerprint(arc)
        beside = sorted(os.listdir(home))
        with rl.Mount(self.a.abcfs, arc) as m:
            root = m.dir.encode()
            for fd, target, flags in daemon_fds(m.pid):
                if target.startswith(home):
                    rep.check(flags & os.O_ACCMODE == os.O_RDONLY,
                              "%s: the daemon holds %s open with flags %o (not read-only)"
                              % (name, target, flags))
            ok, res = rl.in_child(read_everything, 60, m.dir)
            if rep.check(ok, "%s: reading everything: %s" % (name, res)):
                rep.check(not res[1], "%s: read errors: %s" % (name, res[1][:5]))
                rep.note("%s: %d files read" % (name, res[0]))
            kinds = [("dir", b"")]
            for d, dirs, files in os.walk(root):
                rel = d[len(root):]
                for f in files:
                    p = rel + b"/" + f
                    kinds.append(("link" if os.path.islink(root + p) else "file", p))
                for sd in dirs:
                    p = rel + b"/" + sd
                    if os.path.islink(root + p):
                        kinds.append(("link", p))
            picked, seen = [], set()
            for kind, p in kinds:        # one of each kind and name shape
                key = (kind, p.rsplit(b"/", 1)[-1][:1] == b".", p.count(b"/") > 1)
                if key not in seen:
                    seen.add(key)
                    picked.append((kind, p))
            for sd in os.listdir(root):
                if os.path.isdir(root + b"/" + sd) and not os.path.islink(root + b"/" + sd):
                    picked.append(("dir", b"/" + sd))
                    break
            ok, res = rl.in_child(mutations, 60, root, picked)
            if rep.check(ok, "%s: mutations: %s" % (name, res)):
                if rep.check(not res, "%s: mutations not refused with EROFS: %s"
                             % (name, res[:8])):
                    rep.note("%s: every mutation refused with EROFS on %d entries (%s)"
                             % (name, len(picked), ", ".join(k for k, _ in picked)))
            rc, status = m.unmount()
            rep.check(rc == 0 and status == 0, "%s: unmount: %s %s" % (name, rc, status))
        after = fingerprint(arc)
        for k, label in enumerate(("bytes (sha256)", "size", "mode", "mtime", "inode")):
            rep.check(before[k] == after[k], "%s: the archive's %s changed: %r -> %r"
                      % (name, label, before[k], after[k]))
        rep.check(sorted(os.listdir(home)) == beside, "%s: files appeared beside the archive: %s"
                  % (name, sorted(set(os.listdir(home)) - set(beside))))

    def options(self, src):
        rep = self.rep
        sample = None
        with rl.Mount(self.a.abcfs, src) as m:
            ent = rl.mount_entry(m.dir)
            rep.check(ent is not None and ent[0] == "fuse.abcfs",
                      "plain mount: type %s, want fuse.abcfs" % (ent,))
            opts = set(ent[1]) | set(ent[2]) if ent else set()
            rep.check("ro" in ent[1], "plain mount: not ro (%s)" % ent[1])
            rep.check("allow_other" not in opts, "plain mount: allow_other without being "
                      "asked (%s)" % sorted(opts))
            rep.note("plain mount options: %s" % ",".join(ent[1] + ent[2]))
            for d, dirs, files in os.walk(m.dir):
                files = [f for f in files if not f.startswith(".")]
                if files:
                    sample = os.path.relpath(os.path.join(d, files[0]), m.dir)
                    break
            if os.getuid() == 0:
                ok, res = as_nobody(try_stat, m.dir + "/" + sample)
                rep.check(ok and res == "EACCES",
                          "plain mount: user nobody's stat gives %s, want EACCES" % (res,))
            rep.check(m.unmount() == (0, 0), "plain mount: unmount failed")
        try:
            m = rl.Mount(self.a.abcfs, src, opts=("-o", "allow_other"))
        except rl.MountError as e:
            if os.getuid() != 0 and "user_allow_other" in str(e):
                rep.note("SKIPPED -o allow_other: not root and /etc/fuse.conf has no "
                         "user_allow_other")
                return
            raise
        with m:
            ent = rl.mount_entry(m.dir)
            opts = set(ent[1]) | set(ent[2]) if ent else set()
            rep.check("allow_other" in opts, "-o allow_other: not in %s" % sorted(opts))
            rep.check("default_permissions" in opts,
                      "-o allow_other without default_permissions (%s)" % sorted(opts))
            rep.note("allow_other mount options: %s" % ",".join(ent[1] + ent[2]))
            if os.getuid() == 0:
                ok, res = as_nobody(try_read, m.dir + "/" + sample)
                rep.check(ok and isinstance(res, int),
                          "allow_other: user nobody cannot read %s: %s" % (sample, res))
                ok, res = as_nobody(try_write, m.dir + "/" + sample)
                rep.check(ok and res in ("EROFS", "EACCES"),
                          "allow_other: user nobody opening for writing: %s" % (res,))
            rep.check(m.unmount() == (0, 0), "allow_other mount: unmount failed")

    def bad_mount_points(self, src):
        rep = self.rep
        base = os.path.join(self.tmp, "mp")
        os.mkdir(base)
        afile = os.path.join(base, "a-file")
        with open(afile, "w") as f:
            f.write("x")
        dangling = os.path.join(base, "dangling")
        os.symlink(os.path.join(base, "nowhere"), dangling)
        okdir = os.path.join(base, "ok")
        os.mkdir(okdir)
        cases = [("does not exist", src, os.path.join(base, "missing")),
                 ("is a regular file", src, afile),
                 ("lies below a file", src, os.path.join(afile, "sub")),
                 ("is a dangling symlink", src, dangling),
                 # a directory mount whose mount point lies inside DIR would
                 # show itself without end; DIR inside the mount point, hidden
                 ("mount point inside the directory mounted", base, okdir),
                 ("directory mounted inside the mount point", okdir, base),
                 ("archive does not exist", os.path.join(base, "none.abc"), okdir)]
        for what, arc, mp in cases:
            for fg in ((), ("-f",)):
                label = "%s%s" % (what, " (-f)" if fg else "")
                before = set(pids_of(self.a.abcfs, mp))
                try:
                    r = subprocess.run([self.a.abcfs, *fg, arc, mp], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
                except subprocess.TimeoutExpired:
                    rep.fail("%s: abcfs did not exit in 10 s" % label)
                    cleanup(mp)
                    continue
                err = r.stderr.decode("utf-8", "replace").strip()
                rep.check(r.returncode != 0, "%s: exit status 0" % label)
                rep.check(err != "" and len(err) < 2000,
                          "%s: no clear message on stderr (%r)" % (label, err[:300]))
                rep.check(not rl.is_fuse_mount(mp) and not any(
                    rl.is_fuse_mount(p) for p in (base, okdir)),
                    "%s: something was mounted" % label)
                time.sleep(0.05)
                left = set(pids_of(self.a.abcfs, mp)) - before
                rep.check(not left, "%s: daemon processes left: %s" % (label, sorted(left)))
                if not fg:
                    rep.note("%s: exit %d: %s" % (what, r.returncode, err.splitlines()[-1][:160]
                                                  if err else ""))
                cleanup(mp)
        # the file beside the mount points is untouched
        with open(afile) as f:
            rep.check(f.read() == "x", "the regular file used as a mount point changed")


def pids_of(exe, arg):
    """Processes running exe (by /proc/PID/exe) with arg on their command
    line (other tests may run daemons of the same exe at the same time)."""
    exe = os.path.realpath(exe)
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if os.path.realpath(os.readlink("/proc/%s/exe" % p)) != exe:
                    continue
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    if arg.encode() in f.read().split(b"\0"):
                        out.append(int(p))
            except OSError:
                pass
    return out


def cleanup(mp):
    if rl.is_fuse_mount(mp):
        subprocess.run(["fusermount3", "-uz", mp], timeout=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--abcfs", required=True)
    ap.add_argument("--data", required=True)
    a = ap.parse_args()
    rl.skip_unless_fuse()
    rep = rl.Report("robust_security")
    tmp = tempfile.mkdtemp(prefix="abcfs-robust-security-",
                           dir=os.environ.get("ROBUST_TMP", "/tmp"))
    os.chmod(tmp, 0o755)
    s = Security(a, rep, tmp)
    ref = os.path.join(a.data, "reference")
    try:
        for name in ("polymesh.abc", "instancing.abc"):
            try:
                s.untouched(os.path.join(ref, name))
            except rl.MountError as e:
                rep.fail("%s: mount: %s" % (name, e))
        try:
            s.options(os.path.join(ref, "polymesh.abc"))
        except rl.MountError as e:
            rep.fail("options: mount: %s" % e)
        s.bad_mount_points(os.path.join(ref, "polymesh.abc"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
