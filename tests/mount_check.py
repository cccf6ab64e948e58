#!/usr/bin/env python3
"""Mount tests of abcfs (issue 4): real FUSE mounts, checked through the
kernel with plain os calls, the way a user's `ls`/`cat`/`stat` would see them.

    mount_check.py --abcfs build/fs/abcfs --data tests/data [ARCHIVE ...]

Every archive of DATA/{reference,spec,real} with a reference dump beside it
(NAME.json, else NAME.digest.json; dump-format.md) is mounted and its tree
is held to layout.md: directory and file names in listing order (escaped,
promoted links, virtual entries), .info fields, .times, every sample's bytes
and st_size, instance link targets, st_ino (samples with the same bytes in
the reference corpus share one, different bytes never do, converted and
virtual entries have their own), and st_mtime.  Then, on a few archives:
EROFS for every mutation, extended attributes, user.abcfs.stats, a clean
exit on SIGTERM, -o nosplice, and a refused archive leaving no mount:
every damaged file of DATA/{bad,hdf5} is refused before mounting (the
structure check, -o check), except those the reference still reads, which
mount and match their NAME.json.

Exit 0 when all pass, 1 on a failure, 77 (meson's skip) without /dev/fuse.
Mounts are always undone (fusermount3 -u) in finally blocks.
"""
import argparse
import errno
import json
import math
import os
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77
DIR_VIRTUAL = [".info"]
PROP_VIRTUAL = [".info", ".times"]
# pod -> (file extension, struct code, bytes per value)
PODS = {
    "bool": ("bool", "B", 1), "uint8": ("u8", "B", 1), "int8": ("i8", "b", 1),
    "uint16": ("u16", "H", 2), "int16": ("i16", "h", 2),
    "uint32": ("u32", "I", 4), "int32": ("i32", "i", 4),
    "uint64": ("u64", "Q", 8), "int64": ("i64", "q", 8),
    "float16": ("f16", "e", 2), "float32": ("f32", "f", 4), "float64": ("f64", "d", 8),
    "string": ("str", None, 0), "wstring": ("str", None, 0),
}


# ---- names (layout.md "Names") ----------------------------------------------

def fnv1a(data):
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) % (1 << 64)
    return h


def escape_name(raw, reserved):
    """Rules 1-4 on the UTF-8 bytes of an Alembic name (surrogateescape keeps
    bytes that were not UTF-8)."""
    out = b""
    for byte in raw.encode("utf-8", "surrogateescape"):
        bad = byte < 0x20 or byte == 0x7F or byte in b"/%"
        out += b"%%%02X" % byte if bad else bytes([byte])
    if out == b"":
        out = b"%"
    elif set(out) == {ord(".")} and len(out) <= 2:
        out = b"%2E" * len(out)
    if out.decode("utf-8", "surrogateescape") in reserved:
        out = b"%%%02X" % out[0] + out[1:]
    if len(out) > 255:
        cut = 238
        while cut and out[cut] & 0xC0 == 0x80:
            cut -= 1
        out = out[:cut] + b"~" + ("%016x" % fnv1a(out)).encode()
    return out.decode("utf-8", "surrogateescape")


def unique_names(raws, reserved, used=None):
    """Rule 5 over siblings in order; returns the final names."""
    used = set() if used is None else used
    finals = []
    for raw in raws:
        base = escape_name(raw, reserved)
        name, k = base, 2
        while name in used:
            name = "%s~%d" % (base, k)
            k += 1
        used.add(name)
        finals.append(name)
    return finals


def sample_name(i, n, pod):
    width = max(4, len(str(max(n - 1, 0))))
    return "%s.%s" % (str(i).zfill(width), PODS[pod][0])


# ---- values ------------------------------------------------------------------

def as_float(v):
    if isinstance(v, str):
        return float(v)  # "nan", "inf", "-inf"
    return float(v)


def encode_values(pod, values):
    if pod in ("string", "wstring"):
        return b"".join(s.encode("utf-8", "surrogateescape") + b"\0" for s in values)
    code = PODS[pod][1]
    if pod.startswith("float"):
        vals = [as_float(v) for v in values]
    elif pod == "bool":
        vals = [1 if v else 0 for v in values]
    else:
        vals = [int(v) for v in values]
    return struct.pack("<%d%s" % (len(vals), code), *vals)


def bytes_match(pod, want, got):
    if want == got:
        return True
    if not pod.startswith("float") or len(want) != len(got):
        return False
    _, code, size = PODS[pod]
    for k in range(0, len(want), size):
        a = struct.unpack("<" + code, want[k:k + size])[0]
        b = struct.unpack("<" + code, got[k:k + size])[0]
        if want[k:k + size] != got[k:k + size] and not (math.isnan(a) and math.isnan(b)):
            return False
    return True


def times_of(ts, n):
    stored, period, kind = ts["stored_times"], ts["time_per_cycle"], ts["type"]
    out = []
    for i in range(n):
        if kind == "identity":
            out.append(float(i))
        elif kind == "uniform":
            out.append(stored[0] + i * period)
        elif kind == "cyclic":
            out.append(stored[i % len(stored)] + (i // len(stored)) * period)
        else:
            out.append(stored[i] if i < len(stored) else math.nan)
    return out


def load_dump(path):
    with open(path) as f:
        return json.load(f, parse_int=lambda s: -0.0 if s == "-0" else int(s))


# ---- mounting ----------------------------------------------------------------

class Mount:
    """abcfs ARCHIVE DIR in the foreground (-f), as a child we can wait for."""

    def __init__(self, abcfs, archive, extra=()):
        self.dir = tempfile.mkdtemp(prefix="abcfs-test-")
        self.proc = subprocess.Popen([abcfs, "-f", *extra, archive, self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 20
        while not os.path.ismount(self.dir):
            if self.proc.poll() is not None or time.time() > deadline:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else "timeout"
                self.close()
                raise RuntimeError("cannot mount %s: %s" % (archive, err.strip()))
            time.sleep(0.02)

    def close(self):
        """Unmounts; returns the daemon's exit status and the end of its
        stderr (sanitizer reports land there)."""
        if os.path.ismount(self.dir):
            subprocess.run(["fusermount3", "-u", self.dir], stderr=subprocess.DEVNULL)
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        if os.path.ismount(self.dir):
            subprocess.run(["fusermount3", "-uz", self.dir], stderr=subprocess.DEVNULL)
        try:
            os.rmdir(self.dir)
        except OSError:
            pass
        return self.proc.returncode, err.decode(errors="replace")[-2000:]


# ---- checking a tree ---------------------------------------------------------

class Report:
    def __init__(self, show=10):
        self.passed = self.failed = 0
        self.show = show
        self.shown = 0

    def check(self, ok, where, msg):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            if self.shown < self.show:
                self.shown += 1
                print("  FAIL %s: %s" % (where, msg))
        return ok


class TreeCheck:
    def __init__(self, dump, root, report, dedup_exact):
        self.dump, self.root, self.r = dump, root, report
        self.dedup_exact = dedup_exact
        self.raw_ino = {}        # st_ino -> (pod, bytes) of raw samples
        self.other_ino = {}      # st_ino -> path of everything else
        self.mtime = os.stat(root).st_mtime

    def rel(self, path):
        return os.path.relpath(path, self.root)

    def info(self, path):
        try:
            with open(os.path.join(path, ".info"), "rb") as f:
                data = f.read()
            st = os.stat(os.path.join(path, ".info"))
            self.r.check(st.st_size == len(data), self.rel(path) + "/.info", "st_size %d, read %d" % (st.st_size, len(data)))
            self.own_ino(os.path.join(path, ".info"), st)
            return json.loads(data.decode("utf-8"))
        except (OSError, ValueError) as e:
            self.r.check(False, self.rel(path), ".info unreadable: %s" % e)
            return {}

    def own_ino(self, path, st):
        """A non-raw entry: its st_ino is its own."""
        ino = st.st_ino
        clash = self.other_ino.get(ino, path) != path or ino in self.raw_ino
        self.r.check(not clash, self.rel(path), "st_ino %d shared with %s" % (ino, self.other_ino.get(ino)))
        self.other_ino[ino] = path
        self.r.check(st.st_mtime == self.mtime, self.rel(path), "st_mtime differs from the archive's")

    def listing(self, path, want):
        try:
            got = os.listdir(path)
        except OSError as e:
            return self.r.check(False, self.rel(path), "listdir: %s" % e)
        return self.r.check(got == want, self.rel(path), "listing %s, want %s" % (got[:6], want[:6]))

    def mount_path(self, full_name):
        """Mount path of an object, walking the dump (instances included)."""
        node, path = self.dump["root"], self.root
        for part in [p for p in full_name.split("/") if p]:
            kids = node.get("children", [])
            names = unique_names([c["name"] for c in kids], DIR_VIRTUAL)
            for kid, name in zip(kids, names):
                if kid["name"] == part:
                    node, path = kid, os.path.join(path, name)
                    break
            else:
                return None
        return path

    def promoted(self, top_props, finals):
        """layout.md "Promoted names": [(link name, target)], given the
        object's used final names."""
        used = set(finals)
        links = []
        schema = next((i for i, p in enumerate(top_props)
                       if p["kind"] == "compound" and "schema" in p.get("metadata", {})), None)
        if schema is None:
            return links
        sc = top_props[schema]
        sc_dir = finals[-len(top_props) + schema]
        levels = [(sc, sc_dir)]
        sub_names = unique_names([p["name"] for p in sc.get("properties", [])], DIR_VIRTUAL)
        for sub in (".arbGeomParams", ".userProperties"):
            for p, n in zip(sc.get("properties", []), sub_names):
                if p["name"] == sub:
                    if p["kind"] == "compound":
                        levels.append((p, sc_dir + "/" + n))
                    break
        for comp, prefix in levels:
            props = comp.get("properties", [])
            for p, n in zip(props, unique_names([p["name"] for p in props], DIR_VIRTUAL)):
                if p["name"].startswith(".") or n in used:
                    continue
                used.add(n)
                links.append((n, prefix + "/" + n))
        return links

    def run(self):
        """Walks the dump with an explicit stack (objects and properties)."""
        stack = [("object", self.dump["root"], self.root, True)]
        while stack:
            kind, node, path, is_root = stack.pop()
            if kind == "object":
                stack.extend(reversed(self.object(node, path, is_root)))
            else:
                stack.extend(reversed(self.prop(node, path)))

    def object(self, obj, path, is_root):
        where = self.rel(path)
        if obj.get("instance_source") and not is_root:
            if not self.r.check(os.path.islink(path), where, "instance is not a symbolic link"):
                return []
            target = os.path.normpath(os.path.join(os.path.dirname(path), os.readlink(path)))
            want = self.mount_path(obj["instance_source"])
            self.r.check(want is None or target == os.path.normpath(want), where,
                         "instance -> %s, want %s" % (target, want))
            self.r.check(not os.readlink(path).startswith("/"), where, "absolute instance link")
            self.own_ino(path, os.lstat(path))
            return []
        if not self.r.check(os.path.isdir(path) and not os.path.islink(path), where, "not a directory"):
            return []
        st = os.lstat(path)
        self.r.check(stat.S_IMODE(st.st_mode) == 0o555, where, "mode %o" % st.st_mode)
        self.own_ino(path, st) if not is_root else None
        kids = obj.get("children", [])
        props = obj.get("properties", {}).get("properties", [])
        finals = unique_names([c["name"] for c in kids] + [p["name"] for p in props], DIR_VIRTUAL)
        links = self.promoted(props, finals)
        self.listing(path, finals + [n for n, _ in links] + DIR_VIRTUAL)
        for name, target in links:
            lp = os.path.join(path, name)
            try:
                self.r.check(os.readlink(lp) == target, self.rel(lp), "-> %s, want %s" % (os.readlink(lp), target))
                self.r.check(os.path.isdir(lp), self.rel(lp), "promoted link does not resolve")
            except OSError as e:
                self.r.check(False, self.rel(lp), "readlink: %s" % e)
        info = self.info(path)
        for key, want in (("name", obj["name"]), ("full_name", obj["full_name"]), ("kind", "object"),
                          ("metadata", obj.get("metadata", {})), ("num_children", len(kids)),
                          ("num_properties", len(props)),
                          ("schema", obj.get("metadata", {}).get("schema"))):
            self.r.check(info.get(key) == want, where, ".info %s %r, want %r" % (key, info.get(key), want))
        if is_root:
            self.archive(info.get("archive") or {}, where)
        todo = [("object", c, os.path.join(path, n), False) for c, n in zip(kids, finals)]
        todo += [("prop", p, os.path.join(path, n), False) for p, n in zip(props, finals[len(kids):])]
        return todo

    def archive(self, got, where):
        want_ts = self.dump.get("time_samplings", [])
        self.r.check(got.get("metadata") == self.dump.get("archive", {}).get("metadata", {}), where,
                     "archive metadata")
        gts = got.get("time_samplings", [])
        if not self.r.check(len(gts) == len(want_ts), where, "time samplings %d, want %d" % (len(gts), len(want_ts))):
            return
        for g, w in zip(gts, want_ts):
            same = (g.get("type") == w["type"]
                    and [as_float(x) for x in g.get("stored_times", [])] == [as_float(x) for x in w["stored_times"]]
                    and as_float(g.get("time_per_cycle")) == as_float(w["time_per_cycle"])
                    and g.get("max_num_samples") == w["max_num_samples"])
            self.r.check(same, where, "time sampling %r, want %r" % (g, w))

    def prop(self, prop, path):
        where = self.rel(path)
        if not self.r.check(os.path.isdir(path) and not os.path.islink(path), where, "not a directory"):
            return []
        self.own_ino(path, os.lstat(path))
        info = self.info(path)
        self.r.check(info.get("name") == prop["name"] and info.get("kind") == prop["kind"], where,
                     ".info name/kind %r/%r" % (info.get("name"), info.get("kind")))
        self.r.check(info.get("metadata") == prop.get("metadata", {}), where, ".info metadata")
        if prop["kind"] == "compound":
            subs = prop.get("properties", [])
            finals = unique_names([p["name"] for p in subs], DIR_VIRTUAL)
            self.listing(path, finals + DIR_VIRTUAL)
            return [("prop", p, os.path.join(path, n), False) for p, n in zip(subs, finals)]
        pod, n = prop["pod"], prop["num_samples"]
        for key in ("pod", "extent", "num_samples", "time_sampling"):
            self.r.check(info.get(key) == prop[key], where, ".info %s %r, want %r" % (key, info.get(key), prop[key]))
        if "is_constant" in prop:
            self.r.check(info.get("constant") == prop["is_constant"], where, ".info constant")
        self.r.check(info.get("interpretation") == prop.get("metadata", {}).get("interpretation"), where,
                     ".info interpretation")
        names = [sample_name(i, n, pod) for i in range(n)]
        self.listing(path, names + PROP_VIRTUAL)
        self.times(prop, path)
        for i, sample in enumerate(prop.get("samples", [])):
            self.sample(prop, sample, os.path.join(path, names[i]))
        return []

    def times(self, prop, path):
        tss = self.dump.get("time_samplings", [])
        if prop["time_sampling"] >= len(tss):
            return
        want = times_of(tss[prop["time_sampling"]], prop["num_samples"])
        try:
            with open(os.path.join(path, ".times")) as f:
                got = [float(x) for x in f.read().splitlines()]
            self.own_ino(os.path.join(path, ".times"), os.stat(os.path.join(path, ".times")))
        except (OSError, ValueError) as e:
            self.r.check(False, self.rel(path), ".times: %s" % e)
            return
        ok = len(got) == len(want) and all(
            g == w or math.isnan(w) or abs(g - w) <= 1e-12 * max(1.0, abs(w)) for g, w in zip(got, want))
        self.r.check(ok, self.rel(path), ".times %s, want %s" % (got[:3], want[:3]))

    def sample(self, prop, sample, path):
        where, pod = self.rel(path), prop["pod"]
        try:
            st = os.stat(path)
            with open(path, "rb") as f:
                got = f.read()
        except OSError as e:
            self.r.check(False, where, str(e))
            return
        self.r.check(stat.S_IMODE(st.st_mode) == 0o444 and st.st_nlink == 1, where, "mode/nlink")
        if not self.r.check(st.st_size == len(got), where, "st_size %d, read %d" % (st.st_size, len(got))):
            return
        values = sample if prop["kind"] == "scalar" else sample.get("values")
        if isinstance(values, dict):
            h = "%016x" % fnv1a(got)
            want = values["fnv1a64"].lower().rjust(16, "0")
            ok = h == want or (pod in ("string", "wstring") and got.endswith(b"\0")
                               and "%016x" % fnv1a(got[:-1]) == want)
        else:
            ok = bytes_match(pod, encode_values(pod, values), got)
        self.r.check(ok, where, "bytes differ (%d bytes)" % len(got))
        # st_ino: raw samples by stored block, converted ones on their own.
        if pod == "wstring" or not got:
            self.own_ino(path, st)
            return
        seen = self.raw_ino.get(st.st_ino)
        self.r.check(st.st_ino not in self.other_ino, where, "raw sample shares st_ino with %s" % self.other_ino.get(st.st_ino))
        if seen is not None:
            self.r.check(seen[1] == got, where, "st_ino %d shared by different bytes" % st.st_ino)
        elif self.dedup_exact:
            clash = [ino for ino, (p, b) in self.raw_ino.items() if p == pod and b == got]
            self.r.check(not clash, where, "same bytes as st_ino %s but a new st_ino" % clash[:1])
        self.raw_ino[st.st_ino] = (pod, got)


# ---- single checks on one mount --------------------------------------------------

def expect_errno(report, what, want, fn):
    try:
        fn()
    except OSError as e:
        return report.check(e.errno in want, what, "errno %s, want %s" % (errno.errorcode.get(e.errno), [errno.errorcode[w] for w in want]))
    return report.check(False, what, "succeeded on a read-only mount")


def check_mutations(root, r):
    sample = os.path.join(root, "cube", ".geom", "P", "0000.f32")
    d = os.path.join(root, "cube")
    rofs = (errno.EROFS,)
    expect_errno(r, "write open", rofs, lambda: open(sample, "r+b"))
    expect_errno(r, "create", rofs, lambda: open(os.path.join(d, "new"), "wb"))
    expect_errno(r, "mkdir", rofs, lambda: os.mkdir(os.path.join(d, "newdir")))
    expect_errno(r, "rmdir", rofs, lambda: os.rmdir(os.path.join(d, "top")))
    expect_errno(r, "unlink", rofs, lambda: os.unlink(sample))
    expect_errno(r, "rename", rofs, lambda: os.rename(os.path.join(d, "top"), os.path.join(d, "top2")))
    expect_errno(r, "symlink", rofs, lambda: os.symlink("x", os.path.join(d, "lnk")))
    expect_errno(r, "link", rofs, lambda: os.link(sample, os.path.join(d, "hard")))
    expect_errno(r, "chmod", rofs, lambda: os.chmod(sample, 0o644))
    expect_errno(r, "truncate", rofs, lambda: os.truncate(sample, 0))
    expect_errno(r, "utime", rofs, lambda: os.utime(sample, (0, 0)))
    expect_errno(r, "setxattr", rofs + (errno.EPERM,), lambda: os.setxattr(sample, "user.x", b"1"))
    expect_errno(r, "removexattr", rofs + (errno.EPERM,), lambda: os.removexattr(d, "user.abc.kind"))
    r.check(os.statvfs(root).f_flag & os.ST_RDONLY, "statvfs", "not ST_RDONLY")


def check_xattrs_and_links(root, r):
    p = os.path.join(root, "cube", ".geom", "P")
    names = os.listxattr(p)
    for want in ("user.abc.kind", "user.abc.name", "user.abc.pod", "user.abc.extent",
                 "user.abc.num_samples", "user.abc.time_sampling", "user.abc.meta.interpretation"):
        r.check(want in names, "listxattr P", "no %s in %s" % (want, names))
    r.check(os.getxattr(p, "user.abc.kind") == b"array", "xattr kind", os.getxattr(p, "user.abc.kind"))
    r.check(os.getxattr(p, "user.abc.pod") == b"float32", "xattr pod", "")
    r.check(os.getxattr(p, "user.abc.extent") == b"3", "xattr extent", "")
    r.check(os.getxattr(p, "user.abc.meta.interpretation") == b"point", "xattr meta", "")
    r.check(os.getxattr(os.path.join(root, "cube"), "user.abc.schema") == b"AbcGeom_PolyMesh_v1", "xattr schema", "")
    expect_errno(r, "missing xattr", (errno.ENODATA,), lambda: os.getxattr(p, "user.nope"))
    # The promoted link and its target are the same file.
    link = os.path.join(root, "cube", "P")
    r.check(os.readlink(link) == ".geom/P", "promoted link", os.readlink(link))
    a, b = os.stat(os.path.join(link, "0002.f32")), os.stat(os.path.join(p, "0002.f32"))
    r.check(a.st_ino == b.st_ino and a.st_size == b.st_size, "link target stat", "")
    before = json.loads(os.getxattr(root, "user.abcfs.stats"))
    with open(os.path.join(link, "0003.f32"), "rb") as f:
        size = len(f.read())
    after = json.loads(os.getxattr(root, "user.abcfs.stats"))
    for key in ("bytes_read", "blocks_read", "requests", "cache", "sample_bytes_served"):
        r.check(key in after, "stats", "no %s in %s" % (key, sorted(after)))
    r.check(after["sample_bytes_served"] - before["sample_bytes_served"] >= size, "stats",
            "served %d for a %d-byte sample" % (after["sample_bytes_served"] - before["sample_bytes_served"], size))
    r.check("user.abcfs.stats" in os.listxattr(root), "stats listed", "")


def check_signals(abcfs, archive, r):
    m = Mount(abcfs, archive)
    try:
        os.listdir(m.dir)
        m.proc.send_signal(signal.SIGTERM)
        try:
            rc = m.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        r.check(rc == 0, "SIGTERM", "exit %r" % rc)
        r.check(not os.path.ismount(m.dir), "SIGTERM", "still mounted")
    finally:
        m.close()


def check_refused(abcfs, archive, r):
    d = tempfile.mkdtemp(prefix="abcfs-test-")
    try:
        p = subprocess.run([abcfs, archive, d], capture_output=True, timeout=20)
        r.check(p.returncode != 0, "bad archive", "exit 0")
        r.check(b"cannot open" in p.stderr and p.stderr.count(b"\n") == 1, "bad archive",
                "message %r" % p.stderr)
        r.check(not os.path.ismount(d), "bad archive", "mounted")
    finally:
        if os.path.ismount(d):
            subprocess.run(["fusermount3", "-u", d])
        os.rmdir(d)


# Damaged files that only a full structural walk catches (their header and
# root are sound): refused by the check before mounting (-o check, default
# budget), mounted with -o check=none.
CHECK_REFUSED = ("polymesh_flip1_seed1.abc", "polymesh_flip8_seed2.abc", "xform_flip8_seed2.abc")


def check_damaged(abcfs, data, r):
    """Issue 4: every file of DATA/bad and DATA/hdf5 is refused before
    mounting (non-zero exit, one line on stderr naming the archive, nothing
    mounted), except those the reference still reads (a NAME.json beside
    them: pod_arrays_flip*), which mount and match their dump."""
    refused = matched = 0
    for corpus in ("bad", "hdf5"):
        folder = os.path.join(data, corpus)
        for f in sorted(os.listdir(folder)):
            if not f.endswith(".abc"):
                continue
            archive = os.path.join(folder, f)
            where = "%s/%s" % (corpus, f)
            dump = archive[:-4] + ".json"
            if os.path.exists(dump):
                try:
                    m = Mount(abcfs, archive)
                except RuntimeError as e:
                    r.check(False, where, "the reference reads it, abcfs refused: %s" % e)
                    continue
                try:
                    before = r.failed
                    TreeCheck(load_dump(dump), m.dir, r, False).run()
                    matched += r.failed == before
                finally:
                    rc, err = m.close()
                    r.check(rc == 0, where, "daemon exit %s after unmount: %s" % (rc, err))
                continue
            d = tempfile.mkdtemp(prefix="abcfs-test-")
            try:
                p = subprocess.run([abcfs, archive, d], capture_output=True, timeout=30)
                err = p.stderr.decode(errors="replace")
                ok = r.check(p.returncode != 0, where, "exit 0: mounted a damaged archive")
                ok &= r.check(err.startswith("abcfs: ") and archive in err and err.count("\n") == 1,
                              where, "not one clear line: %r" % err)
                ok &= r.check(not os.path.ismount(d), where, "mounted")
                refused += ok
                if f in CHECK_REFUSED:
                    r.check("cannot open" not in err, where,
                            "refused at open, not by the structure check: %r" % err)
                    # the check is what refuses it: without it, it mounts
                    p = subprocess.run([abcfs, "-o", "check=none", archive, d],
                                       capture_output=True, timeout=30)
                    r.check(p.returncode == 0 and os.path.ismount(d), where,
                            "-o check=none did not mount it: %r" % p.stderr)
            finally:
                if os.path.ismount(d):
                    subprocess.run(["fusermount3", "-u", d])
                os.rmdir(d)
    print("damaged archives: %d refused before mounting, %d mounted and matched their dump"
          % (refused, matched))


def check_hostile(abcfs, writer, r):
    """The archive of tests/test_view_hostile.c, seen through the kernel."""
    tmp = tempfile.mkdtemp(prefix="abcfs-hostile-")
    archive = os.path.join(tmp, "hostile.abc")
    try:
        p = subprocess.run([writer, "--write", archive], capture_output=True, timeout=60)
        if not r.check(p.returncode == 0, "hostile archive", "writer failed: %r" % p.stderr):
            return
        long_raw = (b"a" + "\u00e9".encode() * 150).decode()
        kids = ["%", "a\x01b", ".", "..", ".info", "x", "x~2", long_raw, "geo", "inst"]
        want = unique_names(kids + ["x"], DIR_VIRTUAL) + DIR_VIRTUAL
        r.check(want[:5] == ["%25", "a%01b", "%2E", "%2E%2E", "%2Einfo"] and want[10] == "x~3",
                "hostile expectation", want)
        m = Mount(abcfs, archive)
        try:
            root = m.dir
            r.check(os.listdir(root) == want, "hostile root", "listing %r, want %r" % (os.listdir(root), want))
            for name in want[:8]:
                r.check(os.path.isdir(os.path.join(root, name)), "hostile " + name, "not a directory")
            r.check(len(want[7].encode()) <= 255, "hostile long name", "%d bytes" % len(want[7].encode()))
            with open(os.path.join(root, want[1], ".info"), "rb") as f:
                r.check(json.loads(f.read())["name"] == "a\x01b", "hostile .info", "raw name")
            with open(os.path.join(root, "x~3", "0000.i32"), "rb") as f:
                r.check(f.read() == struct.pack("<i", 1), "hostile x~3", "bytes")
            geo = os.path.join(root, "geo")
            r.check(os.listdir(geo) == ["P", ".geom", "Cd", "note", ".info"], "hostile promoted", os.listdir(geo))
            r.check(not os.path.islink(os.path.join(geo, "P")), "hostile promoted", "P is the child object")
            r.check(os.readlink(os.path.join(geo, "Cd")) == ".geom/.arbGeomParams/Cd", "hostile Cd", "")
            with open(os.path.join(geo, "note", "0000.i32"), "rb") as f:
                r.check(f.read() == struct.pack("<i", 9), "hostile note", "bytes")
            r.check(os.readlink(os.path.join(root, "inst")) == "geo", "hostile instance", "")
            r.check(os.readlink(os.path.join(root, "%25", "ref")) == "../a%01b", "hostile instance", "")
            r.check(os.path.isdir(os.path.join(root, "%25", "ref")), "hostile instance", "does not resolve")
            with open(os.path.join(root, "inst", "Cd", "0000.f32"), "rb") as f:
                r.check(len(f.read()) == 24, "hostile instance", "read through the link")
            expect_errno(r, "hostile missing", (errno.ENOENT,), lambda: os.stat(os.path.join(root, "x~4")))
        finally:
            rc, err = m.close()
            r.check(rc == 0, "hostile", "daemon exit %s: %s" % (rc, err))
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)


def check_tools(abcfs, abcls, abccat, archive, r):
    """abcls -R lists what `ls -RAU` lists in the mount, and abccat prints
    what cat prints, for every file (tools/abcls.c, tools/abccat.c)."""
    m = Mount(abcfs, archive)
    try:
        want = subprocess.run(["ls", "-RAU", "."], cwd=m.dir, capture_output=True).stdout
        got = subprocess.run([abcls, "-R", archive], capture_output=True).stdout
        r.check(got == want, "abcls " + os.path.basename(archive), "differs from ls -RAU")
        for dirpath, dirnames, filenames in os.walk(m.dir):
            for f in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                path = os.path.join(dirpath, f)
                if not os.path.isfile(path):
                    continue
                rel = os.path.relpath(path, m.dir)
                with open(path, "rb") as fh:
                    data = fh.read()
                p = subprocess.run([abccat, archive, rel], capture_output=True)
                r.check(p.returncode == 0 and p.stdout == data, "abccat " + rel, "differs from cat")
    finally:
        m.close()


def archives(data, names):
    if names:
        for a in names:
            base = a[:-4]
            dump = base + ".json" if os.path.exists(base + ".json") else base + ".digest.json"
            yield a, dump, "reference" in a
        return
    for corpus in ("reference", "spec", "real"):
        folder = os.path.join(data, corpus)
        for f in sorted(os.listdir(folder)):
            if not f.endswith(".abc"):
                continue
            base = os.path.join(folder, f[:-4])
            for dump in (base + ".json", base + ".digest.json"):
                if os.path.exists(dump):
                    yield os.path.join(folder, f), dump, corpus == "reference"
                    break


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--abcfs", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--abcls", help="tools/abcls, compared with ls -RAU")
    ap.add_argument("--abccat", help="tools/abccat, compared with cat")
    ap.add_argument("--hostile-writer", help="tests/test_view_hostile, to write the hostile archive")
    ap.add_argument("archives", nargs="*")
    a = ap.parse_args()
    if not os.path.exists("/dev/fuse"):
        print("SKIP: /dev/fuse is missing: FUSE mounts cannot be tested here")
        return SKIP
    for tool in ("fusermount3",):
        if not any(os.access(os.path.join(p, tool), os.X_OK) for p in os.environ.get("PATH", "").split(":")):
            print("SKIP: %s is missing: FUSE mounts cannot be tested here" % tool)
            return SKIP
    total = Report()
    failed_archives = []
    for archive, dump_path, exact in archives(a.data, a.archives):
        r = Report()
        try:
            m = Mount(a.abcfs, archive)
        except RuntimeError as e:
            print("FAIL %s: %s" % (os.path.basename(archive), e))
            total.failed += 1
            failed_archives.append(archive)
            continue
        try:
            TreeCheck(load_dump(dump_path), m.dir, r, exact).run()
        except Exception as e:  # noqa: BLE001 - report and go on
            r.check(False, os.path.basename(archive), "checker crashed: %r" % e)
        finally:
            rc, err = m.close()
            r.check(rc == 0, os.path.basename(archive), "daemon exit %s after unmount: %s" % (rc, err))
        print("%s %s: %d checks, %d failed" % ("ok  " if r.failed == 0 else "FAIL",
                                               os.path.relpath(archive, a.data), r.passed + r.failed, r.failed))
        total.passed += r.passed
        total.failed += r.failed
        if r.failed:
            failed_archives.append(archive)
    # Behaviour beyond the tree, on polymesh.abc.
    poly = os.path.join(a.data, "reference", "polymesh.abc")
    r = Report()
    for extra in ((), ("-o", "nosplice"), ("-s",)):
        m = Mount(a.abcfs, poly, extra)
        try:
            if not extra:
                check_mutations(m.dir, r)
                check_xattrs_and_links(m.dir, r)
            else:
                TreeCheck(load_dump(poly[:-4] + ".json"), m.dir, r, True).run()
        finally:
            rc, err = m.close()
            r.check(rc == 0, "options %s" % (extra,), "daemon exit %s after unmount: %s" % (rc, err))
    check_signals(a.abcfs, poly, r)
    check_refused(a.abcfs, os.path.join(a.data, "bad", "not_alembic.abc"), r)
    check_refused(a.abcfs, os.path.join(a.data, "bad", "polymesh_trunc50.abc"), r)
    check_damaged(a.abcfs, a.data, r)
    if a.hostile_writer:
        check_hostile(a.abcfs, a.hostile_writer, r)
    if a.abcls and a.abccat:
        for name in ("polymesh.abc", "instancing.abc", "strings.abc"):
            check_tools(a.abcfs, a.abcls, a.abccat, os.path.join(a.data, "reference", name), r)
    print("%s behaviour (EROFS, xattrs, links, stats, signals, options, hostile names, tools): %d checks, %d failed"
          % ("ok  " if r.failed == 0 else "FAIL", r.passed + r.failed, r.failed))
    total.passed += r.passed
    total.failed += r.failed
    for f in failed_archives:
        print("failed: %s" % f)
    print("%d passed, %d failed" % (total.passed, total.failed))
    return 0 if total.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
