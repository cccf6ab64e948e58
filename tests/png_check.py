#!/usr/bin/python3
"""png_check.py — a second decoder for the PNG files of `.preview/`.

Runs `rastertest --raw DIR` (tools/rastertest.c), which writes NAME.png
and NAME.rgba (the pixels it encoded) for a few rendered shapes and a noise
pattern, then for every file:

  - decodes it with a decoder written here on Python's zlib module (chunk
    CRCs, IHDR, IDAT inflated, the five filters undone) and compares the
    pixels with NAME.rgba;
  - if PIL is installed (Debian's python3-pil), decodes it with PIL too
    and compares again;
  - runs file(1), when there is one, and expects "PNG image data, W x H,
    8-bit/color RGBA".

Then checks that cube.png looks like a cube seen from a corner: the three
faces opaque, lit differently (top lightest, right darkest), the corners
transparent.  Exit status 0 ok, 1 a failure.
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def decode(data):
    """Returns (width, height, rgba bytes) of an 8-bit RGBA PNG."""
    if data[:8] != SIGNATURE:
        raise ValueError("bad signature")
    off, idat, ihdr, ended = 8, b"", None, False
    while off < len(data):
        if ended:
            raise ValueError("bytes after IEND")
        (n,) = struct.unpack(">I", data[off:off + 4])
        ctype, body = data[off + 4:off + 8], data[off + 8:off + 8 + n]
        (crc,) = struct.unpack(">I", data[off + 8 + n:off + 12 + n])
        if len(body) != n or zlib.crc32(ctype + body) != crc:
            raise ValueError("bad chunk %r at %d" % (ctype, off))
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat += body
        elif ctype == b"IEND":
            ended = True
        else:
            raise ValueError("unexpected chunk %r" % ctype)
        off += 12 + n
    if ihdr is None or not ended:
        raise ValueError("no IHDR or no IEND")
    width, height, depth, colour, comp, filt, interlace = ihdr
    if (depth, colour, comp, filt, interlace) != (8, 6, 0, 0, 0):
        raise ValueError("not 8-bit RGBA: %r" % (ihdr,))
    raw = zlib.decompress(idat)
    stride = width * 4
    if len(raw) != height * (stride + 1):
        raise ValueError("IDAT inflates to %d bytes" % len(raw))
    out = bytearray(height * stride)
    prior = bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        row = bytearray(stride)
        for i in range(stride):
            a = row[i - 4] if i >= 4 else 0
            b = prior[i]
            c = prior[i - 4] if i >= 4 else 0
            if ftype == 0:
                pred = 0
            elif ftype == 1:
                pred = a
            elif ftype == 2:
                pred = b
            elif ftype == 3:
                pred = (a + b) // 2
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            else:
                raise ValueError("row %d: filter type %d" % (y, ftype))
            row[i] = (line[i] + pred) & 0xFF
        out[y * stride:(y + 1) * stride] = row
        prior = row
    return width, height, bytes(out)


def check_cube(width, rgba):
    def px(x, y):
        k = (y * width + x) * 4
        return rgba[k:k + 4]

    top, left, right = px(128, 68), px(76, 158), px(180, 158)
    for name, p in (("top", top), ("left", left), ("right", right)):
        if p[3] != 255:
            raise ValueError("cube: %s face not drawn" % name)
    if not sum(top[:3]) > sum(left[:3]) > sum(right[:3]):
        raise ValueError("cube: faces not lit top > left > right: %r %r %r"
                         % (top, left, right))
    for x, y in ((0, 0), (255, 0), (0, 255), (255, 255), (128, 2), (128, 253)):
        if px(x, y) != b"\0\0\0\0":
            raise ValueError("cube: (%d, %d) not transparent" % (x, y))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rastertest", required=True)
    args = ap.parse_args()
    try:
        from PIL import Image
    except ImportError:
        Image = None
    file_cmd = shutil.which("file")
    print("decoders: zlib%s; file(1): %s"
          % (" + PIL" if Image else " (PIL not installed)", file_cmd or "none"))
    failures = 0
    with tempfile.TemporaryDirectory(prefix="png_check.") as tmp:
        subprocess.run([args.rastertest, "--raw", tmp], check=True)
        names = sorted(f[:-4] for f in os.listdir(tmp) if f.endswith(".png"))
        if len(names) < 6:
            print("FAIL: rastertest wrote %d pictures" % len(names))
            return 1
        for name in names:
            path = os.path.join(tmp, name + ".png")
            with open(path, "rb") as f:
                data = f.read()
            with open(os.path.join(tmp, name + ".rgba"), "rb") as f:
                want = f.read()
            try:
                width, height, got = decode(data)
                if got != want:
                    raise ValueError("zlib decoder: pixels differ")
                if Image is not None:
                    with Image.open(path) as im:
                        if im.mode != "RGBA" or im.size != (width, height):
                            raise ValueError("PIL: %s %r" % (im.mode, im.size))
                        if im.tobytes() != want:
                            raise ValueError("PIL: pixels differ")
                if file_cmd:
                    what = subprocess.run([file_cmd, "-b", path], capture_output=True,
                                          text=True, check=True).stdout
                    expect = "PNG image data, %d x %d, 8-bit/color RGBA" % (width, height)
                    if expect not in what:
                        raise ValueError("file(1) says %r" % what.strip())
                if name == "cube":
                    check_cube(width, got)
                print("ok   %s.png %dx%d, %d bytes" % (name, width, height, len(data)))
            except (ValueError, zlib.error) as e:
                print("FAIL %s.png: %s" % (name, e))
                failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
