#!/usr/bin/env python3
"""Hostile shapes (issue 5, item 5), mounted and checked.

    robust_hostile.py --abcfs build/fs/abcfs --abcgen build/tools/abcgen \
                      --abcdump build/tools/abcdump

 names       `abcgen names` ('%', control bytes, NUL, '.', '..', 1000-byte
             names, invalid UTF-8, '.info', ...) and a hand-made archive with
             what the writer refuses ('/' in names, duplicate siblings, a
             property named like a sibling object, duplicates of long names,
             an empty name): every directory's listing, in order, equals the
             names of layout.md §Names computed here from the raw names
             (robust_lib.escape, written from the text), no name is longer
             than NAME_MAX (255 bytes) but for the ~N that layout.md rule 5
             appends to a duplicate of an already cut name (the contract,
             which FUSE accepts: its own limit is 1024), every entry's .info can be read and its
             "name" is the raw name (U+FFFD for bad UTF-8), every sample
             reads back its payload.
 wide        an object with 10^6 children (`abcgen wide`): the listing, in
             order; daemon memory bounded.
 samples     a property with 10^6 samples: the listing, .times, random
             samples' bytes.
 deep        a hierarchy 10^4 deep: `find MOUNT | wc -l` gives the count of
             the tree while the daemon's peak RSS (VmHWM) stays under
             ROBUST_DEEP_MB (default 100); the innermost sample and .info
             read through openat() one level at a time.
 cycles and sizes near 2^64: hand-made byte files (robust_lib.Builder) whose
             group offsets loop (a child object that is itself, its parent,
             the top object; a compound inside itself) or whose sizes and
             counts are near 2^64 (a sample block, a group's child count, a
             name length, string-array dims, a time sampling's count).  Each
             is either refused at mount (non-zero exit, a message, nothing
             mounted) or mounted with EIO on the affected entry; a full walk
             and read ends in time, every error is EIO, the daemon survives
             with bounded memory and unmounts cleanly.
 abcdump     of every archive above: no crash (deep: no stack overflow), in
             time; exit 0 for the well-formed ones.

Exit 0 pass, 1 fail, 77 skip (no /dev/fuse).
"""
import argparse
import errno
import json
import os
import re
import random
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import robust_lib as rl  # noqa: E402
from robust_lib import u32, u64  # noqa: E402

MB = 1024


# ---- walking a mount (in a child: a hung mount cannot hang the test) -----------------------


def walk_read(root, max_files=100000):
    """Lists, lstats and reads everything below root (links not followed).
    Returns (entries, max depth, [(path, errno)], {path: bytes})."""
    errs, seen, depth, data = [], 0, 0, {}
    stack = [(b"", 0)]
    while stack:
        d, lvl = stack.pop()
        depth = max(depth, lvl)
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
                stack.append((p, lvl + 1))
            elif stat.S_ISREG(st.st_mode) and len(data) < max_files:
                try:
                    with open(root + p, "rb") as f:
                        data[p] = f.read(1 << 20)
                except OSError as e:
                    errs.append((p, e.errno))
            elif stat.S_ISLNK(st.st_mode):
                try:
                    os.readlink(root + p)
                except OSError as e:
                    errs.append((p, e.errno))
    return seen, depth, errs, data


def listdir(root, path):
    """The listing, or the errno of its failure."""
    try:
        return os.listdir(root + path)
    except OSError as e:
        return e.errno


class Hostile:
    def __init__(self, a, rep, tmp):
        self.a, self.rep, self.tmp = a, rep, tmp

    def gen(self, mode, *args):
        out = os.path.join(self.tmp, "%s.abc" % mode)
        t0 = time.monotonic()
        subprocess.run([self.a.abcgen, mode, *args, out], check=True, timeout=300)
        self.rep.note("abcgen %s %s: %d bytes, %.1f s"
                      % (mode, " ".join(args), os.path.getsize(out), time.monotonic() - t0))
        return out

    def abcdump(self, path, must_pass):
        name = os.path.basename(path)
        try:
            r = subprocess.run([self.a.abcdump, path], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=120)
        except subprocess.TimeoutExpired:
            self.rep.fail("abcdump %s: no answer in 120 s" % name)
            return
        err = r.stderr.decode("utf-8", "replace")
        self.rep.check(r.returncode >= 0 and "Sanitizer" not in err,
                       "abcdump %s: crashed (status %d): %s" % (name, r.returncode, err[-300:]))
        if must_pass:
            self.rep.check(r.returncode == 0, "abcdump %s: exit %d: %s"
                           % (name, r.returncode, err.strip()[-300:]))

    def finish(self, m, what, max_mb=None):
        rep = self.rep
        mem = m.mem_kb()
        rep.check(m.alive(), "%s: the daemon died: %s" % (what, m.log_text()[-400:]))
        if max_mb is not None:
            max_mb = rl.mem_limit_mb(self.a.abcfs, max_mb)
            rep.check(mem.get("VmHWM", 0) <= max_mb * MB,
                      "%s: daemon peak RSS %d MB, more than %d MB"
                      % (what, mem.get("VmHWM", 0) // MB, max_mb))
        rc, status = m.unmount()
        rep.check(rc == 0 and status == 0, "%s: unmount: fusermount3 %s, daemon exit %s"
                  % (what, rc, status))
        return mem

    # -- names ---------------------------------------------------------------------------

    def check_names(self, archive, what):
        """Every directory of archive's tree: listing == expected names."""
        arc = rl.Arc(archive)
        files = rl.sample_files(arc)
        with rl.Mount(self.a.abcfs, archive) as m:
            root = m.dir.encode()
            dirs = []       # (path, [expected names], [(name, raw or None)])
            todo = [(arc.top, b"")]
            while todo:
                o, path = todo.pop()
                lst = rl.object_listing(o)
                dirs.append((path, lst))
                stack = []
                for name, (w, x) in lst:
                    if w == "object":
                        todo.append((x, path + b"/" + name))
                    elif w == "prop":
                        stack.append((path + b"/" + name, x))
                while stack:
                    pp, pr = stack.pop()
                    if pr.kind == "compound":
                        lst2 = rl.compound_listing(pr)
                        dirs.append((pp, lst2))
                        stack += [(pp + b"/" + nm, c) for nm, (w, c) in lst2 if w == "prop"]
                    else:
                        names = [rl.sample_name(i, pr.n, pr.pod) for i in range(pr.n)]
                        dirs.append((pp, [(nm, ("sample", None)) for nm in names]
                                     + [(b".info", ("info", None)), (b".times", ("times", None))]))
            ok, res = rl.in_child(self._read_tree, 120, root, [d for d, _ in dirs],
                                  [p for p, _, _ in files])
            if not self.rep.check(ok, "%s: walking the mount: %s" % (what, res)):
                self.finish(m, what)
                arc.close()
                return
            listings, infos, data = res
            for path, lst in dirs:
                want = [nm for nm, _ in lst]
                got = listings.get(path)
                if isinstance(got, int):
                    self.rep.fail("%s: listing %r: %s" % (what, path, rl.errno_name(got)))
                    continue
                if not self.rep.check(got == want, "%s: listing of %r:\n   got  %r\n   want %r"
                                      % (what, path, got, want)):
                    continue
                for nm, (w, x) in lst:
                    base = re.sub(rb"~[0-9]+$", b"", nm) if len(nm) > 255 else nm
                    self.rep.check(len(base) <= 255, "%s: %r/%r: %d bytes, more than NAME_MAX"
                                   % (what, path, nm, len(nm)))
                    if w in ("object", "prop"):
                        info = infos.get(path + b"/" + nm)
                        if isinstance(info, int):
                            self.rep.fail("%s: %r/%r: %s" % (what, path, nm,
                                                             rl.errno_name(info)))
                            continue
                        want_name = x.name.decode("utf-8", "replace")
                        try:
                            got_name = json.loads(info)["name"]
                        except (ValueError, KeyError, TypeError) as e:
                            self.rep.fail("%s: %r/%r/.info: %s" % (what, path, nm, e))
                            continue
                        self.rep.check(got_name == want_name, "%s: %r/%r/.info name %r, want %r"
                                       % (what, path, nm, got_name, want_name))
            for p, off, n in files:
                want = os.pread(arc.og.fd, n, off) if n else b""
                got = data.get(p)
                self.rep.check(got == want, "%s: %r: %s, want its %d payload bytes"
                               % (what, p, rl.errno_name(got) if isinstance(got, int)
                                  else "%d bytes" % len(got or b""), n))
            self.rep.note("%s: %d directories, %d sample files checked" % (what, len(dirs),
                                                                             len(files)))
            self.finish(m, what)
        arc.close()
        self.abcdump(archive, True)

    @staticmethod
    def _read_tree(root, dirs, files):
        listings, infos, data = {}, {}, {}
        for d in dirs:
            try:
                listings[d] = os.listdir(root + d)
            except OSError as e:
                listings[d] = e.errno
            if d:
                try:
                    with open(root + d + b"/.info", "rb") as f:
                        infos[d] = f.read().decode("utf-8")
                except OSError as e:
                    infos[d] = e.errno
        for p in files:
            try:
                with open(root + p, "rb") as f:
                    data[p] = f.read()
            except OSError as e:
                data[p] = e.errno
        return listings, infos, data

    def names_gen(self):
        self.check_names(self.gen("names"), "names (abcgen)")

    def names_hand(self):
        b = rl.Builder()
        long1, long2 = b"x" * 300, b"y" * 254 + b"\xc3\xa9"     # é across the 255 cut
        odd = [b"a/b", b"a/b", b"/", b"dup", b"dup", b"dup~2", b"dup", b"%2F", b"a%2Fb",
               b".", b"..", b".info", b"%2Einfo", b"\x00", b"\x1f\x7f", long1, long1, long2,
               b"z" * 237 + b"\xe6\x97\xa5" + b"z" * 20, b"shared"]
        kids = []
        for k, nm in enumerate(odd):
            pr = b.scalar(b"v", 6, [u32(k)])
            kids.append((nm, b"", b.obj([pr], [])))
        # properties of the top compound: one named like a child object, duplicates,
        # '/', and a compound with duplicate children
        inner = b.compound([b.scalar(b"q", 6, [u32(1)]), b.scalar(b"q", 6, [u32(2)]),
                            b.scalar(b"q/r", 6, [u32(3)]), b.scalar(b".info", 6, [u32(4)])])
        props = [b.scalar(b"shared", 6, [u32(7)]), b.scalar(b"p", 12, [b"one\0"]),
                 b.scalar(b"p", 12, [b"two\0"]), b.scalar(b"p/q", 11, [struct.pack("<d", 1.5)]),
                 (rl.Builder.prop_record(b"c", "compound"), inner)]
        holder = b.obj(props, kids)
        top = b.obj([], [(b"names", b"", holder)])
        path = os.path.join(self.tmp, "names_hand.abc")
        with open(path, "wb") as f:
            f.write(b.finish(top))
        self.check_names(path, "names (hand-made)")
        # an empty object name: shown as '%' or refused with EIO, nothing else
        b = rl.Builder()
        holder = b.obj([], [(b"", b"", b.obj([], [])), (b"ok", b"", b.obj([], []))])
        path = os.path.join(self.tmp, "empty_name.abc")
        with open(path, "wb") as f:
            f.write(b.finish(b.obj([], [(b"h", b"", holder)])))
        with rl.Mount(self.a.abcfs, path) as m:
            ok, res = rl.in_child(listdir, 30, m.dir.encode(), b"/h")
            self.rep.check(ok and (res == [b"%", b"ok", b".info"] or res == errno.EIO),
                           "empty name: listing %s, want ['%%', 'ok', '.info'] or EIO" % (res,))
            self.rep.note("empty name: the listing gives %s"
                          % (rl.errno_name(res) if isinstance(res, int) else res))
            self.finish(m, "empty name")
        self.abcdump(path, False)

    # -- wide, samples, deep --------------------------------------------------------------

    def wide(self):
        n = 1000000
        archive = self.gen("wide", "--children", str(n))
        want_mb = int(os.environ.get("ROBUST_WIDE_MB", "512"))
        with rl.Mount(self.a.abcfs, archive) as m:
            t0 = time.monotonic()
            ok, res = rl.in_child(listdir, 120, m.dir.encode(), b"/wide")
            if self.rep.check(ok, "wide: listing: %s" % (res,)):
                want = [b"c%d" % k for k in range(n)] + [b".info"]
                self.rep.check(res == want, "wide: listing of %d entries differs (%d got)"
                               % (len(want), len(res)))
            ok, res = rl.in_child(lambda: open(m.dir + "/wide/c999999/.info").read(), 30)
            self.rep.check(ok and '"/wide/c999999"' in res, "wide: last child's .info: %s"
                           % (res,))
            mem = self.finish(m, "wide", want_mb)
            self.rep.note("wide: listing %.1f s, daemon VmHWM %d MB"
                          % (time.monotonic() - t0, mem.get("VmHWM", 0) // MB))
        self.abcdump(archive, True)

    def samples(self):
        n = 1000000
        archive = self.gen("samples", "--samples", str(n))
        with rl.Mount(self.a.abcfs, archive) as m:
            root = m.dir.encode()
            t0 = time.monotonic()
            ok, res = rl.in_child(listdir, 120, root, b"/series/value")
            if self.rep.check(ok, "samples: listing: %s" % (res,)):
                want = [b"%06d.f64" % k for k in range(n)] + [b".info", b".times"]
                self.rep.check(res == want, "samples: listing of %d entries differs (%d got%s)"
                               % (len(want), len(res), ", first %r" % res[:3] if res else ""))

            def times():
                with open(root + b"/series/value/.times", "rb") as f:
                    return f.read()
            ok, res = rl.in_child(times, 60)
            if self.rep.check(ok, "samples: .times: %s" % (res,)):
                lines = res.split(b"\n")
                self.rep.check(len(lines) == n + 1 and lines[-1] == b"",
                               "samples: .times has %d lines, want %d" % (len(lines) - 1, n))
                bad = [i for i in range(0, min(n, len(lines)), 997)
                       if lines[i] != (b"%.17g" % (0.0 + i * (1.0 / 24)))]
                self.rep.check(not bad, "samples: .times lines differ at %s" % bad[:5])
            picks = sorted(random.Random(3).sample(range(n), 300)) + [0, n - 1]

            def reads():
                out = {}
                for k in picks:
                    with open(root + b"/series/value/%06d.f64" % k, "rb") as f:
                        out[k] = f.read()
                return out
            ok, res = rl.in_child(reads, 60)
            if self.rep.check(ok, "samples: reading samples: %s" % (res,)):
                bad = [k for k in picks if res[k] != struct.pack("<d", k * 0.5)]
                self.rep.check(not bad, "samples: wrong bytes in samples %s" % bad[:5])
            mem = self.finish(m, "samples", 512)
            self.rep.note("samples: %.1f s, daemon VmHWM %d MB"
                          % (time.monotonic() - t0, mem.get("VmHWM", 0) // MB))
        self.abcdump(archive, True)

    def deep(self):
        depth = 10000
        archive = self.gen("deep", "--depth", str(depth))
        max_mb = rl.mem_limit_mb(self.a.abcfs, int(os.environ.get("ROBUST_DEEP_MB", "100")))
        # root .info, then per level the object and its .info, then the
        # property directory with 0000.i32, .info, .times; plus the root itself
        want = 1 + 1 + 2 * depth + 4
        with rl.Mount(self.a.abcfs, archive) as m:
            t0 = time.monotonic()
            find = subprocess.Popen(["find", m.dir], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            import threading
            out = {}

            def drain(name, f):
                out[name] = f.read()
            ths = [threading.Thread(target=drain, args=(k, f))
                   for k, f in (("out", find.stdout), ("err", find.stderr))]
            for t in ths:
                t.start()
            peak, why = 0, None
            while find.poll() is None:
                peak = max(peak, m.mem_kb().get("VmHWM", 0))
                if peak > max_mb * MB:
                    why = "daemon peak RSS passed %d MB" % max_mb
                elif time.monotonic() - t0 > 120:
                    why = "find took more than 120 s"
                if why:
                    find.kill()
                    break
                time.sleep(0.2)
            find.wait()
            for t in ths:
                t.join()
            peak = max(peak, m.mem_kb().get("VmHWM", 0))
            lines = out.get("out", b"").count(b"\n")
            self.rep.note("deep: find listed %d entries in %.1f s, daemon VmHWM %d MB"
                          % (lines, time.monotonic() - t0, peak // MB))
            if why:
                self.rep.fail("deep: find stopped after %d of %d entries (%.1f s): %s"
                              % (lines, want, time.monotonic() - t0, why))
            else:
                self.rep.check(find.returncode == 0 and lines == want,
                               "deep: find exit %d, %d entries (want %d): %s"
                               % (find.returncode, lines, want,
                                  out.get("err", b"")[-300:].decode("utf-8", "replace")))

            def innermost():
                fd = os.open(m.dir, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    for k in range(depth):
                        nfd = os.open(b"d%d" % k, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                        os.close(fd)
                        fd = nfd
                    v = os.open(b"depth/0000.i32", os.O_RDONLY, dir_fd=fd)
                    data = os.read(v, 16)
                    os.close(v)
                    i = os.open(b".info", os.O_RDONLY, dir_fd=fd)
                    info = b""
                    while True:
                        chunk = os.read(i, 1 << 20)
                        if not chunk:
                            break
                        info += chunk
                    os.close(i)
                    return data, info
                finally:
                    os.close(fd)
            ok, res = rl.in_child(innermost, 120)
            if self.rep.check(ok, "deep: innermost entries: %s" % (res,)):
                data, info = res
                self.rep.check(data == struct.pack("<i", depth), "deep: depth/0000.i32 = %r"
                               % data)
                full = "".join("/d%d" % k for k in range(depth))
                try:
                    got = json.loads(info)["full_name"]
                except (ValueError, KeyError) as e:
                    got = "(%s)" % e
                self.rep.check(got == full, "deep: innermost .info full_name is %d chars, want "
                               "%d" % (len(got), len(full)))
            self.finish(m, "deep")
        self.abcdump(archive, True)

    # -- cycles and sizes near 2^64 ----------------------------------------------------------

    def hand_made(self):
        """[(name, bytes, what must fail)]."""
        out = []
        i32 = [u32(7)]
        # (affected None: any EIO allowed; b"": none allowed)

        def base(patch):
            b = rl.Builder()
            a = patch(b)
            top = b.obj([], [(b"a", b"", a), (b"fine", b"", b.obj([b.scalar(b"v", 6, i32)], []))])
            return b.finish(top)

        out.append(("control", base(lambda b: b.obj([b.scalar(b"v", 6, i32)], [])), b""))

        def self_child(b):
            kid = b.obj([], [])
            a = b.obj([b.scalar(b"v", 6, i32)], [(b"b", b"", kid)])
            b.patch_slot(a, 1, a)
            return a
        out.append(("cycle_self", base(self_child), b"/a"))

        def parent_child(b):
            c = b.obj([], [])
            kid = b.obj([], [(b"c", b"", c)])
            a = b.obj([], [(b"b", b"", kid)])
            b.patch_slot(kid, 1, a)         # a/b/c is a again
            return a
        out.append(("cycle_parent", base(parent_child), b"/a/b"))

        bt = rl.Builder()
        kid = bt.obj([], [])
        a = bt.obj([], [(b"b", b"", kid)])
        top = bt.obj([], [(b"a", b"", a)])
        bt.patch_slot(a, 1, top)            # a/b is the top object
        out.append(("cycle_top", bt.finish(top), b"/a"))

        def compound_self(b):
            inner = b.compound([b.scalar(b"v", 6, i32)])
            outer = b.compound([(rl.Builder.prop_record(b"in", "compound"), inner)])
            b.patch_slot(outer, 0, outer)   # outer/in is outer
            return b.obj([(rl.Builder.prop_record(b"out", "compound"), outer)], [])
        out.append(("cycle_compound", base(compound_self), b"/a/out"))

        def compound_top(b):
            inner = b.compound([b.scalar(b"v", 6, i32)])
            a = b.obj([(rl.Builder.prop_record(b"out", "compound"), inner)], [])
            top_cpd = struct.unpack_from("<Q", b.buf, a + 8)[0]
            b.patch_slot(inner, 0, top_cpd)  # out/v is the object's top compound
            return a
        out.append(("cycle_compound_top", base(compound_top), b"/a/out"))

        def huge_size(value):
            def f(b):
                s = b.sample(u32(7))
                g = b.group([s])
                b.patch_u64(s & ~rl.EMPTY_DATA, value)
                return b.obj([(rl.Builder.prop_record(b"v", "scalar", 6, 1, 1), g)], [])
            return f
        for v, nm in ((2 ** 64 - 1, "max"), (2 ** 64 - 16, "max16"), (2 ** 63, "2^63"),
                      (2 ** 63 - 1, "2^63-1")):
            out.append(("sample_size_%s" % nm, base(huge_size(v)), b"/a/v"))

        def huge_array(b):
            s = b.sample(struct.pack("<3f", 1, 2, 3))
            g = b.group([s, rl.EMPTY_DATA])
            b.patch_u64(s & ~rl.EMPTY_DATA, 2 ** 64 - 8)
            return b.obj([(rl.Builder.prop_record(b"P", "array", 10, 3, 1), g)], [])
        out.append(("array_size_huge", base(huge_array), b"/a/P"))

        def huge_count(b):
            s = b.sample(u32(7))
            g = b.group([s])
            b.patch_u64(g, 2 ** 64 - 1)
            return b.obj([(rl.Builder.prop_record(b"v", "scalar", 6, 1, 1), g)], [])
        out.append(("group_count_huge", base(huge_count), b"/a/v"))

        def huge_obj_count(b):
            a = b.obj([], [(b"b", b"", b.obj([], []))])
            b.patch_u64(a, 2 ** 61)
            return a
        out.append(("object_count_huge", base(huge_obj_count), b"/a"))

        def huge_name(b):
            hdr = u32(0xFFFFFFFF) + b"bbbb" + b"\0" + b"\0" * 32
            return b.group([0, b.obj([], []), b.data(hdr)])
        out.append(("object_name_len_huge", base(huge_name), b"/a"))

        def huge_prop_name(b):
            g = b.group([b.sample(u32(7))])
            rec = u32(1 | (2 << 2) | (6 << 4) | (1 << 12) | 0x800) + u32(1) + u32(0xFFFFFFF0) + b"v"
            cpd = b.group([g, b.data(rec)])
            hdr = b"\0" * 32
            return b.group([cpd, b.data(hdr)])
        out.append(("prop_name_len_huge", base(huge_prop_name), b"/a"))

        def huge_dims(b):
            s = b.sample(b"ab\0cd\0")
            d = b.data(u64(2 ** 64 - 1))
            g = b.group([s, d])
            return b.obj([(rl.Builder.prop_record(b"s", "array", 12, 1, 1), g)], [])
        out.append(("string_dims_huge", base(huge_dims), None))

        def ts_huge(b):
            return b.obj([b.scalar(b"v", 6, i32)], [])
        bts = rl.Builder()
        a = ts_huge(bts)
        ts_blob = (u32(1) + struct.pack("<d", 1.0) + u32(1) + struct.pack("<d", 0.0)
                   + u32(1) + struct.pack("<d", 0.5) + u32(0xFFFFFFFF) + struct.pack("<d", 0.0))
        out.append(("ts_count_huge", bts.finish(bts.obj([], [(b"a", b"", a)]), ts_blob=ts_blob),
                    None))
        return out

    def cycles_and_sizes(self):
        for name, data, affected in self.hand_made():
            path = os.path.join(self.tmp, name + ".abc")
            with open(path, "wb") as f:
                f.write(data)
            what = "hand-made %s" % name
            try:
                m = rl.Mount(self.a.abcfs, path)
            except rl.MountError as e:
                msg = str(e)
                self.rep.check("before mounting" in msg and "abcfs:" in msg,
                               "%s: refused without a clear message: %s" % (what, msg))
                self.rep.note("%s: refused at mount: %s" % (what, msg.split(": ", 1)[-1][:150]))
                self.abcdump(path, False)
                continue
            try:
                ok, res = rl.in_child(walk_read, 60, m.dir.encode())
                if self.rep.check(ok, "%s: walking and reading the mount: %s" % (what, res)):
                    seen, depth, errs, data_read = res
                    bad = [(p, rl.errno_name(e)) for p, e in errs if e != errno.EIO]
                    self.rep.check(not bad, "%s: errors other than EIO: %s" % (what, bad[:5]))
                    self.rep.check(depth < 20, "%s: the tree is %d levels deep: a loop shown as "
                                   "a tree" % (what, depth))
                    if affected == b"":
                        self.rep.check(not errs, "%s: errors %s" % (what, errs[:5]))
                    elif affected is not None:
                        hit = [p for p, e in errs if e == errno.EIO and
                               (p == affected or p.startswith(affected + b"/"))]
                        self.rep.check(hit, "%s: no EIO at or below %r (errors: %s)"
                                       % (what, affected, errs[:5]))
                    self.rep.check(data_read.get(b"/fine/v/0000.i32", b"") == u32(7) or
                                   name.startswith("cycle_top"),
                                   "%s: the healthy sibling /fine/v/0000.i32 reads %r"
                                   % (what, data_read.get(b"/fine/v/0000.i32")))
                    self.rep.note("%s: mounted; %d entries, %d EIO" % (what, seen, len(errs)))
                self.finish(m, what, 100)
            finally:
                m.close()
            self.abcdump(path, False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--abcfs", required=True)
    ap.add_argument("--abcgen", required=True)
    ap.add_argument("--abcdump", required=True)
    ap.add_argument("only", nargs="*", help="names, wide, samples, deep, cycles")
    a = ap.parse_args()
    rl.skip_unless_fuse()
    rep = rl.Report("robust_hostile")
    tmp = tempfile.mkdtemp(prefix="abcfs-robust-hostile-",
                           dir=os.environ.get("ROBUST_TMP", "/tmp"))
    h = Hostile(a, rep, tmp)
    steps = [("names", h.names_gen), ("names", h.names_hand), ("cycles", h.cycles_and_sizes),
             ("samples", h.samples), ("wide", h.wide), ("deep", h.deep)]
    try:
        for key, fn in steps:
            if a.only and key not in a.only:
                continue
            t0 = time.monotonic()
            try:
                fn()
            except rl.MountError as e:
                rep.fail("%s: mount: %s" % (fn.__name__, e))
            rep.note("%s: %.1f s" % (fn.__name__, time.monotonic() - t0))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
