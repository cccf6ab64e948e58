#!/usr/bin/env python3
"""Compressed archives end to end (abccopy --gzip, gzip -9, abcdump, abcfs).

    gzip_check.py --abccopy B/tools/abccopy --abcdump B/tools/abcdump \
        --abcfs B/fs/abcfs --data tests/data [--bomb-gib N]

1. Every archive of DATA/{reference,spec,real} is converted to blocked gzip
   (abccopy --gzip: zcat of it must be the archive byte for byte) and to
   `gzip -9`; `abcdump --json` of both must equal the plain file's.
2. A few of them are mounted (mount_check.py's Mount, and its TreeCheck
   against the reference dump): every name, type, size, link target and
   byte equal to the plain file's mount.
3. Damaged gzip files (truncated, CRC-32, ISIZE, deflate data, the BGZF
   extra field, concatenated members, trailing bytes) are refused or read
   as EIO: abcdump fails or prints exactly the plain dump, and a mount
   either refuses or serves only bytes equal to the plain mount's.
4. Gzip bombs (N GiB of zeros as one deflate stream, and as BGZF members)
   are opened with bounded memory and a small index on disk.

Indexes go to a temporary XDG_CACHE_HOME.  Exit 0 ok, 1 failure, 77 (skip)
for the mount part only when /dev/fuse is missing (the rest still runs).
"""
import argparse
import errno
import gzip
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mount_check  # noqa: E402  (Mount, TreeCheck, Report, load_dump)

FAILED = []


def check(ok, what):
    if not ok:
        FAILED.append(what)
        print("  FAIL " + what)
    return ok


def dump(abcdump, path):
    p = subprocess.run([abcdump, "--json", path], capture_output=True)
    return p.returncode, p.stdout


def corpus(data):
    for c in ("reference", "spec", "real"):
        folder = os.path.join(data, c)
        for f in sorted(os.listdir(folder)):
            if f.endswith(".abc"):
                yield os.path.join(folder, f)


def convert_all(a, tmp):
    """Part 1; returns {plain: (bgzf, gzip9)}."""
    out = {}
    n = 0
    for src in corpus(a.data):
        base = os.path.join(tmp, os.path.basename(os.path.dirname(src)) + "-" + os.path.basename(src))
        bgz, gz9 = base + ".bgzf.gz", base + ".gz9.gz"
        p = subprocess.run([a.abccopy, "--gzip", src, bgz], capture_output=True)
        if not check(p.returncode == 0, "abccopy --gzip %s: %s" % (src, p.stderr.decode(errors="replace"))):
            continue
        with open(src, "rb") as f:
            plain = f.read()
        with gzip.open(bgz, "rb") as f:
            check(f.read() == plain, "zcat of %s differs from the archive" % bgz)
        with open(gz9, "wb") as f:
            f.write(gzip.compress(plain, 9))
        want = dump(a.abcdump, src)
        for g in (bgz, gz9):
            got = dump(a.abcdump, g)
            check(got == want, "abcdump --json %s differs from the plain file's (exit %d vs %d)"
                  % (g, got[0], want[0]))
        out[src] = (bgz, gz9)
        n += 1
    print("converted %d archives; dumps of both gzip kinds equal the plain ones" % n)
    return out


def walk(root):
    """Everything a user sees: {relative path: (kind, size, target or bytes)}."""
    seen = {}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if os.path.islink(p):
                seen[rel] = ("link", st.st_size, os.readlink(p))
            elif os.path.isdir(p):
                seen[rel] = ("dir", 0, sorted(os.listdir(p)))
            else:
                with open(p, "rb") as f:
                    seen[rel] = ("file", st.st_size, f.read())
    return seen


def read_all_or_eio(root, good):
    """Reads every file under root; each read gives good's bytes or EIO.
    Returns (files equal, files EIO, files wrong)."""
    eq = eio = wrong = 0
    for rel, (kind, _size, content) in good.items():
        if kind != "file":
            continue
        try:
            with open(os.path.join(root, rel), "rb") as f:
                got = f.read()
            if got == content:
                eq += 1
            else:
                wrong += 1
                print("  wrong bytes: " + rel)
        except OSError as e:
            if e.errno == errno.EIO:
                eio += 1
            else:
                wrong += 1
    return eq, eio, wrong


def mount_some(a, conv):
    picks = [s for s in conv if os.path.basename(s) in a.mount_names]
    for src in picks:
        m = mount_check.Mount(a.abcfs, src)
        try:
            want = walk(m.dir)
        finally:
            m.close()
        base = src[:-4]
        dump_path = base + ".json" if os.path.exists(base + ".json") else base + ".digest.json"
        for g in conv[src]:
            m = mount_check.Mount(a.abcfs, g)
            try:
                got = walk(m.dir)
                check(got == want, "mount of %s differs from the plain mount" % g)
                r = mount_check.Report()
                mount_check.TreeCheck(mount_check.load_dump(dump_path), m.dir, r,
                                      "reference" in src).run()
                check(r.failed == 0, "%s: %d layout checks failed" % (g, r.failed))
            finally:
                rc, err = m.close()
                check(rc == 0, "daemon of %s exit %s: %s" % (g, rc, err))
    print("mounted %d archives as both gzip kinds: trees equal the plain mounts" % len(picks))


def damaged_variants(bgz, gz9):
    with open(bgz, "rb") as f:
        b = bytearray(f.read())
    with open(gz9, "rb") as f:
        g = bytearray(f.read())
    m0 = struct.unpack_from("<H", b, 16)[0] + 1
    out = []

    def var(name, data):
        out.append((name, bytes(data)))

    mid = 0                     # the member around the middle of the file
    while True:
        size = struct.unpack_from("<H", b, mid + 16)[0] + 1
        if mid + size > len(b) // 2:
            break
        mid += size
    x = bytearray(b); x[mid + size // 2] ^= 0x20; var("bgzf-data-middle", x)
    x = bytearray(b); x[mid + size - 8] ^= 1; var("bgzf-crc-middle", x)
    var("bgzf-truncated-no-eof", b[:-28])
    var("bgzf-truncated-mid", b[:len(b) // 2])
    x = bytearray(b); x[m0 - 8] ^= 1; var("bgzf-crc", x)
    x = bytearray(b); x[m0 - 4] ^= 1; var("bgzf-isize", x)
    x = bytearray(b); x[m0 // 2] ^= 0x20; var("bgzf-data", x)
    x = bytearray(b); x[16] ^= 0x10; var("bgzf-bsize", x)
    x = bytearray(b); x[12] = ord("X"); var("bgzf-extra-id", x)
    x = bytearray(b); x[14] = 4; var("bgzf-extra-len", x)
    var("bgzf-trailing", b + b"junk")
    var("gzip-truncated", g[:-100])
    x = bytearray(g); x[-8] ^= 1; var("gzip-crc", x)
    x = bytearray(g); x[-4] ^= 1; var("gzip-isize", x)
    x = bytearray(g); x[len(g) // 2] ^= 0x20; var("gzip-data", x)
    var("gzip-concatenated", g + g)
    var("gzip-trailing-zeros", g + bytes(32))
    return out


def damage(a, conv, tmp):
    src = os.path.join(a.data, a.damage_name)
    bgz, gz9 = conv[src]
    want = dump(a.abcdump, src)
    variants = damaged_variants(bgz, gz9)
    fuse = os.path.exists("/dev/fuse")
    good = None
    if fuse:
        m = mount_check.Mount(a.abcfs, src)
        try:
            good = walk(m.dir)
        finally:
            m.close()
    for name, data in variants:
        path = os.path.join(tmp, name + ".abc.gz")
        with open(path, "wb") as f:
            f.write(data)
        rc, out = dump(a.abcdump, path)
        check(rc != 0 or out == want[1], "abcdump of %s printed a different dump" % name)
        if not fuse:
            continue
        try:
            m = mount_check.Mount(a.abcfs, path, ("-o", "check=none"))
        except RuntimeError:
            print("  %s: refused at mount" % name)
            continue
        try:
            eq, eio, wrong = read_all_or_eio(m.dir, good)
            check(wrong == 0, "%s: %d files read with wrong bytes" % (name, wrong))
            print("  %s: mounted; %d files equal, %d EIO" % (name, eq, eio))
        except OSError as e:
            print("  %s: mounted; walking it failed with %s" % (name, e.strerror))
            check(e.errno == errno.EIO, "%s: walk failed with %s, not EIO" % (name, e.strerror))
        finally:
            m.close()
    print("damaged gzip files: %d variants, none gave wrong bytes" % len(variants))


def zeros_gzip(path, gib):
    """gib GiB of zeros as one gzip member, ~1 MiB of deflate per GiB: one
    byte-aligned piece repeated (a sync flush ends each on a byte)."""
    chunk = 1 << 20
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = co.compress(bytes(chunk)) + co.flush(zlib.Z_SYNC_FLUSH)
    mid = co.compress(bytes(chunk)) + co.flush(zlib.Z_SYNC_FLUSH)
    end = co.flush(zlib.Z_FINISH)
    n = gib * 1024
    crc = 0
    zero = bytes(chunk)
    for _ in range(n):
        crc = zlib.crc32(zero, crc)
    with open(path, "wb") as f:
        f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")
        f.write(first)
        for _ in range(n - 1):
            f.write(mid)
        f.write(end)
        f.write(struct.pack("<II", crc, (n * chunk) & 0xffffffff))


def zeros_bgzf(path, gib):
    """gib GiB of zeros as blocked gzip members of 65280 bytes each."""
    block = 0xff00
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    cdata = co.compress(bytes(block)) + co.flush()
    size = 18 + len(cdata) + 8
    member = (b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00" + struct.pack("<H", size - 1)
              + cdata + struct.pack("<II", zlib.crc32(bytes(block)), block))
    n = (gib << 30) // block
    with open(path, "wb") as f:
        for _ in range(n):
            f.write(member)
        f.write(bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000"))


def du(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(d, f))
    return total


def bombs(a, tmp, cache):
    for kind, make in (("gzip", zeros_gzip), ("bgzf", zeros_bgzf)):
        path = os.path.join(tmp, "bomb-%s.gz" % kind)
        make(path, a.bomb_gib)
        before_disk = du(cache)
        # Peak RSS of abcdump itself, measured by time(1) (no address-space
        # limit: a sanitized build reserves terabytes of it).
        p = subprocess.run(["/usr/bin/time", "-f", "%M", a.abcdump, "--json", path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        lines = p.stderr.decode(errors="replace").strip().splitlines()
        rss_kib = int(lines[-1]) if lines and lines[-1].isdigit() else 1 << 30
        err = "\n".join(lines[:-1]).encode()
        index = du(cache) - before_disk
        print("  bomb %s: %d MiB file -> %d GiB of zeros: exit %d, peak RSS <= %d MiB, index %d KiB (%s)"
              % (kind, os.path.getsize(path) >> 20, a.bomb_gib, p.returncode, rss_kib >> 10, index >> 10,
                 err.decode(errors="replace").strip()))
        check(p.returncode != 0 and b"no Ogawa magic" in err,
              "bomb %s: not refused for what it is (zeros are not an archive)" % kind)
        # 512 MiB: far below the inflated size, above ASan's 256 MiB quarantine.
        check(rss_kib < 512 * 1024, "bomb %s: peak RSS %d MiB" % (kind, rss_kib >> 10))
        check(index < (4 << 20), "bomb %s: index %d bytes on disk" % (kind, index))
        os.unlink(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--abccopy", required=True)
    ap.add_argument("--abcdump", required=True)
    ap.add_argument("--abcfs", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--bomb-gib", type=int, default=int(os.environ.get("GZIP_BOMB_GIB", "2")))
    ap.add_argument("--damage-name", default="real/ssoj13__alembic-rs__data__bed.abc")
    ap.add_argument("--mount-names", nargs="*",
                    default=["polymesh.abc", "instancing.abc", "strings.abc",
                             "ImageEngine__cortex__contrib__IECoreAlembic__test__IECoreAlembic__data__animatedCube.abc"])
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="abcfs-gzip-")
    cache = os.path.join(tmp, "cache")
    os.makedirs(cache)
    os.environ["XDG_CACHE_HOME"] = cache
    try:
        conv = convert_all(a, tmp)
        if os.path.exists("/dev/fuse") and shutil.which("fusermount3"):
            mount_some(a, conv)
        else:
            print("SKIP mounts: /dev/fuse or fusermount3 is missing")
        damage(a, conv, tmp)
        bombs(a, tmp, cache)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILED:
        print("%d failures" % len(FAILED))
        return 1
    print("all gzip checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
