"""Shared helpers of the robustness tests (issue 5): tests/robust_*.py.

Three independent pieces, so that the tests do not trust the code they test:

- Mount: runs `abcfs -f ARCHIVE DIR` as a child (so its pid is known), waits
  for the mount to appear in /proc/self/mountinfo, and always unmounts and
  reaps the daemon (finally blocks, timeouts, SIGKILL as the last resort).
- Arc: a small Ogawa/Abc reader written from ogawa-format.md alone (not from
  ogawa/*.c): object and property headers, sample byte ranges (§5.5, §5.7),
  time samplings.  The tests compare what the mount shows with it.
- Builder: a small writer of hand-made archives (digests and hashes left
  zero: no reader checks them) that can say what the C writer refuses: '/'
  in names, duplicate siblings, cycles, sizes near 2^64.

Also the name escaping of layout.md "Names", written again from the text.
"""
import errno
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77

# ---- skipping -------------------------------------------------------------------


def _on_signal(signum, frame):
    raise SystemExit("stopped by signal %d" % signum)


def skip_unless_fuse():
    """Exits 77 (meson's skip) with a reason when FUSE mounts cannot work.
    Also makes SIGTERM/SIGHUP (meson's timeout) unwind like an exception, so
    that finally blocks unmount and reap what the test started."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    if not os.path.exists("/dev/fuse"):
        print("SKIP: /dev/fuse is missing: FUSE mounts cannot be tested here")
        sys.exit(SKIP)
    if shutil.which("fusermount3") is None:
        print("SKIP: fusermount3 is missing (Debian package fuse3)")
        sys.exit(SKIP)
    try:
        fd = os.open("/dev/fuse", os.O_RDWR)
        os.close(fd)
    except OSError as e:
        print("SKIP: /dev/fuse cannot be opened (%s)" % e.strerror)
        sys.exit(SKIP)


def sanitized(exe):
    """True when exe was built with AddressSanitizer (-Db_sanitize=address)."""
    try:
        with open(exe, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def mem_limit_mb(exe, mb):
    """A bound on a daemon's peak RSS: as given for a plain build; under
    ASan, whose shadow memory and 256 MB quarantine count in RSS, 3x + 512."""
    return mb * 3 + 512 if sanitized(exe) else mb


# ---- reporting --------------------------------------------------------------------


class Report:
    """Counts checks and keeps the first failures of each test."""

    def __init__(self, name, show=20):
        self.name = name
        self.show = show
        self.fails = []
        self.checks = 0

    def check(self, ok, msg):
        self.checks += 1
        if not ok:
            self.fail(msg)
        return ok

    def fail(self, msg):
        self.fails.append(msg)
        if len(self.fails) <= self.show:
            print("FAIL: %s" % msg, flush=True)

    def note(self, msg):
        print("  %s" % msg, flush=True)

    def finish(self):
        if self.fails:
            print("%s: %d of %d checks failed" % (self.name, len(self.fails), self.checks))
            return 1
        print("%s: all %d checks passed" % (self.name, self.checks))
        return 0


# ---- mounts -------------------------------------------------------------------------


def _unescape_mountinfo(s):
    out, i = b"", 0
    raw = s.encode("utf-8", "surrogateescape")
    while i < len(raw):
        if raw[i:i + 1] == b"\\" and raw[i + 1:i + 4].isdigit():
            out += bytes([int(raw[i + 1:i + 4], 8)])
            i += 4
        else:
            out += raw[i:i + 1]
            i += 1
    return out.decode("utf-8", "surrogateescape")


def mount_entry(path):
    """(fstype, mount options, super options) of the mount at path, or None."""
    path = os.path.realpath(path)
    found = None
    with open("/proc/self/mountinfo", "rb") as f:
        for line in f.read().decode("utf-8", "surrogateescape").splitlines():
            left, _, right = line.partition(" - ")
            fields = left.split(" ")
            if len(fields) < 6 or _unescape_mountinfo(fields[4]) != path:
                continue
            rfields = right.split(" ")
            found = (rfields[0], fields[5].split(","),
                     rfields[2].split(",") if len(rfields) > 2 else [])
    return found   # the last one is on top


def is_fuse_mount(path):
    e = mount_entry(path)
    return e is not None and e[0].startswith("fuse")


def proc_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except OSError:
        return False


def proc_mem_kb(pid):
    """{'VmHWM': kB, 'VmRSS': kB} of a live process."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


class MountError(Exception):
    pass


class Mount:
    """`abcfs -f [opts] ARCHIVE DIR` in the background; a context manager.

    The daemon's stderr goes to a file (self.log) so it never blocks on a
    full pipe; close() returns the daemon's exit status."""

    def __init__(self, abcfs, archive, mnt=None, opts=(), wait=15.0, wrapper=()):
        self.own_dir = mnt is None
        self.dir = mnt if mnt is not None else tempfile.mkdtemp(prefix="abcfs-robust-mnt-")
        self.logf = tempfile.NamedTemporaryFile(prefix="abcfs-robust-log-", delete=False)
        self.log = self.logf.name
        self.status = None
        self.proc = subprocess.Popen([*wrapper, abcfs, "-f", *opts, archive, self.dir],
                                     stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        deadline = time.monotonic() + wait
        while not is_fuse_mount(self.dir):
            if self.proc.poll() is not None:
                msg = self.log_text()
                self._cleanup_dir()
                self._drop_log()
                raise MountError("abcfs exited with %d before mounting: %s"
                                 % (self.proc.returncode, msg.strip()[-500:]))
            if time.monotonic() > deadline:
                self.close()
                raise MountError("no mount after %.0f s" % wait)
            time.sleep(0.02)

    def log_text(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None and proc_alive(self.pid)

    def mem_kb(self):
        return proc_mem_kb(self.pid)

    def signal(self, sig, timeout=15.0):
        """Sends sig; returns the exit status (None if it did not exit)."""
        self.proc.send_signal(sig)
        try:
            self.status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.status

    def unmount(self, timeout=20.0):
        """fusermount3 -u; returns (fusermount's status, daemon's status or None)."""
        rc = 0
        if is_fuse_mount(self.dir):
            try:
                rc = subprocess.run(["fusermount3", "-u", self.dir], timeout=timeout,
                                    stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL).returncode
            except subprocess.TimeoutExpired:
                rc = -1
        try:
            self.status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.status = None
        return rc, self.status

    def close(self):
        """Whatever state things are in: no mount, no process, no temp dir."""
        if self.status is None and self.proc.poll() is None:
            self.unmount(timeout=10.0)
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        if self.status is None:
            self.status = self.proc.returncode
        if is_fuse_mount(self.dir):
            subprocess.run(["fusermount3", "-uz", self.dir], timeout=10,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._cleanup_dir()
        self._drop_log()
        return self.status

    def _drop_log(self):
        try:
            self.logf.close()
            os.unlink(self.log)
        except OSError:
            pass

    def _cleanup_dir(self):
        if self.own_dir and not is_fuse_mount(self.dir):
            try:
                os.rmdir(self.dir)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def in_child(fn, timeout, *args):
    """Runs fn(*args) in a forked child; returns (ok, value or reason).

    A call into a hung mount blocks in the kernel; in a child it can be
    given up (SIGKILL ends a FUSE wait) without hanging the test."""
    import pickle
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            res = (True, fn(*args))
        except BaseException as e:   # noqa: the child reports everything
            res = (False, "%s: %s" % (type(e).__name__, e))
        try:
            try:
                data = pickle.dumps(res)
            except Exception as e:
                data = pickle.dumps((False, "unpicklable result: %s" % e))
            with os.fdopen(w, "wb") as f:
                f.write(data)
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    deadline = time.monotonic() + timeout
    import select
    reaped = False
    try:
        with os.fdopen(r, "rb") as f:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False, "timed out after %.0f s" % timeout
                ready, _, _ = select.select([f], [], [], left)
                if not ready:
                    continue
                chunk = os.read(f.fileno(), 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        os.waitpid(pid, 0)
        reaped = True
    finally:
        if not reaped:              # timed out, or the test is being stopped
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    try:
        return pickle.loads(b"".join(chunks))
    except Exception:
        return False, "child died without an answer"


# ---- names (layout.md "Names"), written again from the text ------------------------------


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def escape(raw, reserved=()):
    """Rules 1-4 for raw name bytes; reserved = virtual entries (bytes)."""
    out = bytearray()
    for b in raw:
        if b in (0x2F, 0x25) or b < 0x20 or b == 0x7F:
            out += b"%%%02X" % b
        else:
            out.append(b)
    out = bytes(out)
    if out in (b".", b".."):
        out = b"%2E" * len(out)
    elif out == b"":
        out = b"%"
    if out in reserved:
        out = b"%%%02X" % out[0] + out[1:]
    if len(out) > 255:
        cut = 238
        # back to a UTF-8 boundary: never end inside a multi-byte sequence
        while cut > 0 and (out[cut] & 0xC0) == 0x80:
            cut -= 1
        out = out[:cut] + b"~" + b"%016x" % fnv1a64(out)
    return out


class Names:
    """Rule 5: the final names of one directory."""

    def __init__(self):
        self.used = set()

    def add(self, escaped):
        name, k = escaped, 2
        while name in self.used:
            name = escaped + b"~%d" % k
            k += 1
        self.used.add(name)
        return name

    def try_add(self, name):
        if name in self.used:
            return False
        self.used.add(name)
        return True


POD_EXT = {0: b"bool", 1: b"u8", 2: b"i8", 3: b"u16", 4: b"i16", 5: b"u32", 6: b"i32",
           7: b"u64", 8: b"i64", 9: b"f16", 10: b"f32", 11: b"f64", 12: b"str", 13: b"str"}
POD_SIZE = {0: 1, 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 8, 8: 8, 9: 2, 10: 4, 11: 8}


def sample_name(i, n, pod):
    width = max(4, len(str(max(n - 1, 0))))
    return str(i).zfill(width).encode() + b"." + POD_EXT[pod]


# ---- an independent reader (ogawa-format.md §1-§5) ----------------------------------------

EMPTY_DATA = 1 << 63


class BadArchive(Exception):
    pass


class Ogawa:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size
        h = self.pread(0, 16)
        if h[:5] != b"Ogawa" or h[5] != 0xFF or h[6:8] != b"\0\1":
            raise BadArchive("not a frozen Ogawa v1 file")
        self.root = struct.unpack_from("<Q", h, 8)[0]

    def close(self):
        os.close(self.fd)

    def pread(self, off, n):
        if off < 0 or n < 0 or off + n > self.size:
            raise BadArchive("range %d+%d past the end (%d)" % (off, n, self.size))
        b = os.pread(self.fd, n, off)
        if len(b) != n:
            raise BadArchive("short read at %d" % off)
        return b

    def group(self, slot):
        if slot == 0:
            return []
        if slot & EMPTY_DATA:
            raise BadArchive("data where a group was expected")
        n = struct.unpack("<Q", self.pread(slot, 8))[0]
        if n > (self.size - slot - 8) // 8:
            raise BadArchive("group at %d: %d children do not fit" % (slot, n))
        return list(struct.unpack("<%dQ" % n, self.pread(slot + 8, 8 * n)))

    def data(self, slot):
        """(payload offset, size) of a data slot; (0, 0) when empty."""
        if not slot & EMPTY_DATA:
            raise BadArchive("group where data was expected")
        off = slot & ~EMPTY_DATA
        if off == 0:
            return 0, 0
        n = struct.unpack("<Q", self.pread(off, 8))[0]
        if n > self.size - off - 8:
            raise BadArchive("data at %d: size %d past the end" % (off, n))
        return off + 8, n

    def data_bytes(self, slot):
        off, n = self.data(slot)
        return self.pread(off, n) if n else b""


class Prop:
    def __init__(self):
        self.name = b""
        self.kind = "compound"
        self.pod = self.extent = self.n = self.f = self.l = self.ts = 0
        self.md = b""
        self.slot = 0
        self.children = None    # compound: list of Prop

    def stored(self, i):
        """§5.7: sample index -> stored position."""
        f, l = self.f, self.l
        if i < f or (f == 0 and l == 0):
            return 0
        if i >= l:
            return l - f + 1
        return i - f + 1


class Obj:
    def __init__(self, name, md, slot, parent):
        self.name, self.md, self.slot, self.parent = name, md, slot, parent
        self.children = []      # Obj
        self.props = []         # Prop of the top compound


class Arc:
    """Reads the whole object/property tree (iteratively: any depth)."""

    def __init__(self, path, load=True):
        self.og = Ogawa(path)
        self.path = path
        root = self.og.group(self.og.root)
        if len(root) < 6:
            raise BadArchive("root group has %d children" % len(root))
        self.root_slots = root
        self.table = [b""]
        blob = self.og.data_bytes(root[5])
        p = 0
        while p < len(blob):
            n = blob[p]
            self.table.append(blob[p + 1:p + 1 + n])
            p += 1 + n
        self.time_samplings = self._time_samplings(self.og.data_bytes(root[4]))
        self.top = Obj(b"ABC", self.og.data_bytes(root[3]), root[2], None)
        if load:
            self.load(self.top)

    def close(self):
        self.og.close()

    @staticmethod
    def _time_samplings(blob):
        out, p = [], 0
        while p + 16 <= len(blob):
            _max, tpc, n = struct.unpack_from("<IdI", blob, p)
            p += 16
            times = list(struct.unpack_from("<%dd" % n, blob, p))
            p += 8 * n
            out.append((tpc, times))
        return out

    def load(self, top):
        todo = [top]
        while todo:
            o = todo.pop()
            slots = self.og.group(o.slot)
            if not slots:
                continue
            o.props = self.compound(slots[0])
            hdr = self.og.data_bytes(slots[-1])
            recs = self._object_headers(hdr)
            kids = slots[1:-1]
            if len(recs) != len(kids):
                raise BadArchive("object %r: %d headers for %d children"
                                 % (o.name, len(recs), len(kids)))
            for (name, md), s in zip(recs, kids):
                c = Obj(name, md, s, o)
                o.children.append(c)
                todo.append(c)

    def _md(self, idx, inline):
        if idx == 255:
            return inline
        if idx >= len(self.table):
            raise BadArchive("metadata index %d" % idx)
        return self.table[idx]

    def _object_headers(self, blob):
        out, p, end = [], 0, max(len(blob) - 32, 0)
        while p < end:
            n = struct.unpack_from("<I", blob, p)[0]
            name = blob[p + 4:p + 4 + n]
            p += 4 + n
            idx = blob[p]
            p += 1
            inline = b""
            if idx == 255:
                m = struct.unpack_from("<I", blob, p)[0]
                inline = blob[p + 4:p + 4 + m]
                p += 4 + m
            out.append((name, self._md(idx, inline)))
        return out

    def compound(self, slot):
        slots = self.og.group(slot)
        if not slots:
            return []
        blob = self.og.data_bytes(slots[-1])
        props, p = [], 0
        while p < len(blob):
            pr = Prop()
            info = struct.unpack_from("<I", blob, p)[0]
            p += 4
            hint = (info >> 2) & 3
            w, code = {0: (1, "B"), 1: (2, "H"), 2: (4, "I")}[hint]

            def un():
                nonlocal p
                v = struct.unpack_from("<" + code, blob, p)[0]
                p += w
                return v
            t = info & 3
            pr.kind = ("compound", "scalar", "array", "array")[t]
            if t:
                pr.pod = (info >> 4) & 0xF
                pr.extent = (info >> 12) & 0xFF
                pr.n = un()
                if info & 0x200:
                    pr.f, pr.l = un(), un()
                elif info & 0x800:
                    pr.f = pr.l = 0
                else:
                    pr.f, pr.l = 1, pr.n - 1
                if info & 0x100:
                    pr.ts = un()
            ln = un()
            pr.name = blob[p:p + ln]
            p += ln
            idx = (info >> 20) & 0xFF
            inline = b""
            if idx == 255:
                ln = un()
                inline = blob[p:p + ln]
                p += ln
            pr.md = self._md(idx, inline)
            props.append(pr)
        if len(props) != len(slots) - 1:
            raise BadArchive("compound: %d headers for %d slots" % (len(props), len(slots) - 1))
        for pr, s in zip(props, slots):
            pr.slot = s
            if pr.kind == "compound":
                pr.children = self.compound(s)
        return props

    def sample_range(self, prop, i):
        """(archive offset, length) of sample i's payload (§5.5)."""
        k = prop.stored(i)
        slots = self.og.group(prop.slot)
        slot = slots[k if prop.kind == "scalar" else 2 * k]
        off, n = self.og.data(slot)
        if n < 16:
            return 0, 0
        return off + 16, n - 16

    def sample_time(self, prop, i):
        tpc, times = self.time_samplings[prop.ts]
        k = len(times)
        if struct.pack("<d", tpc) == b"\xff\xff\xff\xff\xff\xff\x9f\x7f":
            return times[i]
        if k == 1:
            return times[0] + i * tpc
        return times[i % k] + (i // k) * tpc


def md_dict(md):
    """§2.3 quiet parse: key=value;... (first key wins, stops on a malformed entry)."""
    out, p = {}, 0
    while p < len(md):
        semi = md.find(b";", p)
        semi = len(md) if semi < 0 else semi
        eq = md.find(b"=", p)
        if eq < 0 or eq > semi:
            break
        out.setdefault(md[p:eq], md[eq + 1:semi])
        p = semi + 1
    return out


def object_listing(o):
    """The ordered names of an object's directory (layout.md): children,
    properties, promoted links, then .info.  Returns [(name, what)] where what
    is ('object', Obj) | ('prop', Prop) | ('link', target) | ('info', None)."""
    names, out, reserved = Names(), [], (b".info",)
    for c in o.children:
        kind = "instance" if md_dict(c.md).get(b"isInstance") == b"1" else "object"
        out.append((names.add(escape(c.name, reserved)), (kind, c)))
    finals = {}
    for pr in o.props:
        fin = names.add(escape(pr.name, reserved))
        finals[id(pr)] = fin
        out.append((fin, ("prop", pr)))
    schema = next((pr for pr in o.props if b"schema" in md_dict(pr.md)), None)
    if schema is not None and schema.kind == "compound":
        base = finals[id(schema)]
        groups = [(base, schema.children)]
        for sub in (b".arbGeomParams", b".userProperties"):
            for c in schema.children:
                if c.name == sub and c.kind == "compound":
                    groups.append((base + b"/" + escape(sub, reserved), c.children))
                    break
        for where, props in groups:
            for pr in props:
                e = escape(pr.name, reserved)
                if e.startswith(b".") or not names.try_add(e):
                    continue
                out.append((e, ("link", where + b"/" + e)))
    out.append((b".info", ("info", None)))
    return out


def compound_listing(pr):
    names, out = Names(), []
    for c in pr.children:
        out.append((names.add(escape(c.name, (b".info",))), ("prop", c)))
    out.append((b".info", ("info", None)))
    return out


def sample_files(arc, base=b""):
    """Every sample file of the tree: [(mount-relative path, offset, length)],
    for non-wstring properties (whose files are the raw payload)."""
    out = []
    todo = [(arc.top, base)]
    while todo:
        o, path = todo.pop()
        props = []
        for name, (what, x) in object_listing(o):
            if what == "object":
                todo.append((x, path + b"/" + name))
            elif what == "prop":
                props.append((path + b"/" + name, x))
        while props:
            ppath, pr = props.pop()
            if pr.kind == "compound":
                for name, (what, c) in compound_listing(pr):
                    if what == "prop":
                        props.append((ppath + b"/" + name, c))
                continue
            if pr.pod == 13:
                continue
            for i in range(pr.n):
                off, n = arc.sample_range(pr, i)
                out.append((ppath + b"/" + sample_name(i, pr.n, pr.pod), off, n))
    return out


# ---- a writer of hand-made archives ---------------------------------------------------------


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


class Builder:
    """Append-only Ogawa bytes (§1) with the Abc records of §3-§5 (hint 2:
    every uN is 4 bytes).  Hashes and digests are zero."""

    def __init__(self):
        self.buf = bytearray(b"Ogawa\xff\x00\x01" + b"\0" * 8)

    def data(self, payload):
        if not payload:
            return EMPTY_DATA
        off = len(self.buf)
        self.buf += u64(len(payload)) + payload
        return off | EMPTY_DATA

    def group(self, slots):
        if not slots:
            return 0
        off = len(self.buf)
        self.buf += u64(len(slots)) + b"".join(u64(s) for s in slots)
        return off

    def patch_slot(self, group_off, k, value):
        struct.pack_into("<Q", self.buf, group_off + 8 + 8 * k, value)

    def patch_u64(self, off, value):
        struct.pack_into("<Q", self.buf, off, value)

    # Abc records
    def sample(self, payload):
        return self.data(b"\0" * 16 + payload)

    @staticmethod
    def prop_record(name, kind, pod=0, extent=1, n=0, ts=0, md=b""):
        t = {"compound": 0, "scalar": 1, "array": 2}[kind]
        info = t | (2 << 2) | ((255 if md else 0) << 20)
        rec = b""
        if t:
            info |= (pod << 4) | (extent << 12)
            rec += u32(n)
            if n <= 1:
                info |= 0x800           # f = l = 0: every sample is stored sample 0
            else:
                info |= 0x200
                rec += u32(1) + u32(n - 1)
            if ts:
                info |= 0x100
                rec += u32(ts)
        rec += u32(len(name)) + name
        if md:
            rec += u32(len(md)) + md
        return u32(info) + rec

    def scalar(self, name, pod, payloads, extent=1, md=b""):
        """(record, slot) of a scalar property storing every sample."""
        slot = self.group([self.sample(p) for p in payloads])
        return self.prop_record(name, "scalar", pod, extent, len(payloads), 0, md), slot

    def compound(self, props):
        """props: [(record, slot)] -> slot of the compound group."""
        if not props:
            return 0
        return self.group([s for _, s in props] + [self.data(b"".join(r for r, _ in props))])

    def obj(self, props, children):
        """props: [(record, slot)]; children: [(name, md, slot)] -> group slot."""
        hdr = b""
        for name, md, _ in children:
            hdr += u32(len(name)) + name
            hdr += (b"\xff" + u32(len(md)) + md) if md else b"\0"
        hdr += b"\0" * 32
        return self.group([self.compound(props)] + [s for _, _, s in children]
                          + [self.data(hdr)])

    def finish(self, top_slot, archive_md=b"_ai_Application=robust_lib", ts_blob=None):
        if ts_blob is None:
            ts_blob = u32(1) + struct.pack("<d", 1.0) + u32(1) + struct.pack("<d", 0.0)
        root = self.group([self.data(u32(0)), self.data(u32(10812)), top_slot,
                           self.data(archive_md), self.data(ts_blob), EMPTY_DATA])
        self.patch_u64(8, root)
        return bytes(self.buf)


def errno_name(e):
    return errno.errorcode.get(e, str(e))
