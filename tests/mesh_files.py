#!/usr/bin/env python3
"""The PLY and OBJ files of views.md (".ply/ and .obj/"), written by
tools/abcmesh through ogawa/abc_mesh.h, for every mesh object that the
reference lists (tests/data/CORPUS/NAME.views.json, "meshes"), checked
against the samples as tools/abcdump prints them (dump-format.md):

- the sample count (`abcmesh --info`) is the reference's;
- PLY: the header lines, byte for byte; the vertex block is P's float32
  values; each face is its stored indices reversed (counter-clockwise),
  with a uchar count, or uint when some face has more than 255 vertices;
- OBJ: every line, byte for byte ("v" lines with %.9g, 1-based "f" lines
  in reverse order);
- a sample whose topology is invalid gives no file (exit 1), a Points
  object no OBJ (exit 2), a sample past the count an error (exit 2).

With --assimp, also opens one PLY and one OBJ of a multi-object archive
of the real corpus with Assimp's `assimp info --raw` (Debian package
assimp-utils) and compares its vertex and face counts; exit 77 (skipped)
when `assimp` is not installed.
"""
import argparse
import glob
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile


def load_dump(abcdump, path):
    r = subprocess.run([abcdump, "--json", path], capture_output=True, check=True)
    return json.loads(r.stdout)


def objects_by_name(obj, out):
    out[obj["full_name"]] = obj
    for c in obj.get("children", []):
        objects_by_name(c, out)
    return out


def geom_props(obj):
    for p in obj.get("properties", {}).get("properties", []):
        if p["name"] == ".geom" and p["kind"] == "compound":
            return {q["name"]: q for q in p.get("properties", [])}
    return None


def as_float(v):
    return float(v) if isinstance(v, str) else float(v)


def values_at(prop, i, pod, extent):
    """(values of sample min(i, last), usable): [] for a missing property."""
    if prop is None or prop["num_samples"] == 0:
        return [], True
    if prop["kind"] != "array" or prop["pod"] != pod or prop["extent"] != extent:
        return [], False
    return prop["samples"][min(i, prop["num_samples"] - 1)]["values"], True


def escaped_name(full):
    return "".join("%%%02X" % ord(ch) if ord(ch) < 0x20 else ch for ch in full)


def expected_files(full, i, P, fi, fc, points_only):
    """(ply bytes, obj bytes or None) that views.md asks for."""
    faces, pos = [], 0
    for c in fc:
        faces.append(fi[pos:pos + c])
        pos += c
    name = escaped_name(full).encode("utf-8", "surrogateescape")
    nv = len(P) // 3
    wide = any(len(f) > 255 for f in faces)
    head = [b"ply", b"format binary_little_endian 1.0", b"comment abcfs " + name + b" sample %d" % i,
            b"element vertex %d" % nv, b"property float x", b"property float y", b"property float z"]
    if not points_only:
        head += [b"element face %d" % len(faces),
                 b"property list %s int vertex_indices" % (b"uint" if wide else b"uchar")]
    head.append(b"end_header")
    parts = [b"\n".join(head) + b"\n", struct.pack("<%df" % len(P), *[as_float(v) for v in P])]
    if not points_only:
        for f in faces:
            parts.append(struct.pack("<I" if wide else "<B", len(f)) + struct.pack("<%di" % len(f), *f[::-1]))
    ply = b"".join(parts)
    if points_only:
        return ply, None
    lines = [b"# abcfs " + name + b" sample %d" % i]
    for k in range(nv):
        lines.append(b"v " + b" ".join(b"%.9g" % as_float(v) for v in P[3 * k:3 * k + 3]))
    for f in faces:
        lines.append(b" ".join([b"f"] + [b"%d" % (x + 1) for x in f[::-1]]))
    return ply, b"\n".join(lines) + b"\n"


def same_floats(got, want):
    """Equal float32 blocks, a NaN matching any NaN (the dump prints "nan")."""
    if len(got) != len(want):
        return False
    if got == want:
        return True
    g = struct.unpack("<%df" % (len(got) // 4), got)
    w = struct.unpack("<%df" % (len(want) // 4), want)
    return all(a == b or (math.isnan(a) and math.isnan(b)) or
               struct.pack("<f", a) == struct.pack("<f", b) for a, b in zip(g, w))


def ply_matches(got, want, n_points):
    if got == want:
        return None
    end = want.index(b"end_header\n") + len(b"end_header\n")
    if got[:end] != want[:end]:
        return "header %r, want %r" % (got[:end], want[:end])
    vb = 12 * n_points
    if not same_floats(got[end:end + vb], want[end:end + vb]):
        return "vertex block differs"
    if got[end + vb:] != want[end + vb:]:
        return "face block differs (%d bytes, want %d)" % (len(got) - end - vb, len(want) - end - vb)
    return None


def obj_matches(got, want):
    if got == want:
        return None
    gl, wl = got.split(b"\n"), want.split(b"\n")
    if len(gl) != len(wl):
        return "%d lines, want %d" % (len(gl), len(wl))
    for k, (g, w) in enumerate(zip(gl, wl)):
        if g != w and g.replace(b"-nan", b"nan") != w:
            return "line %d %r, want %r" % (k + 1, g[:120], w[:120])
    return None


def sample_indices(n):
    return list(range(n)) if n <= 6 else sorted({0, 1, n // 2, n - 2, n - 1})


class Checker:
    def __init__(self, abcmesh):
        self.abcmesh = abcmesh
        self.passed = 0
        self.failed = 0

    def bad(self, what, msg):
        self.failed += 1
        print("FAIL %s: %s" % (what, msg))

    def run(self, *args):
        return subprocess.run([self.abcmesh] + [str(a) for a in args], capture_output=True)

    def check_object(self, abc, full, ref, obj):
        what = "%s %s" % (os.path.basename(abc), full)
        n, schema = ref["num_samples"], ref["schema"]
        geom = geom_props(obj)
        if geom is None:
            self.bad(what, "no .geom compound in the dump")
            return
        r = self.run("--info", abc, full, 0)
        if n > 0:
            fields = r.stdout.decode().split()
            info = dict(zip(fields[::2], fields[1::2]))
            if info.get("kind") != schema or info.get("samples") != str(n):
                self.bad(what, "--info %r, want kind %s samples %d" % (r.stdout, schema, n))
                return
        past = self.run(abc, full, n, "ply")
        if past.returncode != 2 or past.stdout:
            self.bad(what, "sample %d (past the count) exit %d" % (n, past.returncode))
        points_only = schema == "Points"
        for i in sample_indices(n):
            P, p_ok = values_at(geom.get("P"), i, "float32", 3)
            fi, fi_ok = values_at(geom.get(".faceIndices"), i, "int32", 1)
            fc, fc_ok = values_at(geom.get(".faceCounts"), i, "int32", 1)
            if points_only:
                valid = p_ok
                fi, fc = [], []
            else:
                valid = (p_ok and fi_ok and fc_ok and all(c >= 0 for c in fc) and sum(fc) == len(fi)
                         and all(0 <= x < len(P) // 3 for x in fi))
            ply = self.run(abc, full, i, "ply")
            obj_r = self.run(abc, full, i, "obj")
            if points_only and (obj_r.returncode != 2 or obj_r.stdout):
                self.bad(what, "sample %d: OBJ of Points exit %d" % (i, obj_r.returncode))
            if not valid:
                for fmt, r in (("ply", ply),) + (() if points_only else (("obj", obj_r),)):
                    if r.returncode != 1 or r.stdout:
                        self.bad(what, "sample %d %s: invalid topology, exit %d" % (i, fmt, r.returncode))
                        return
                self.passed += 1
                continue
            want_ply, want_obj = expected_files(full, i, P, fi, fc, points_only)
            if ply.returncode != 0:
                self.bad(what, "sample %d ply: exit %d %s" % (i, ply.returncode, ply.stderr.decode()))
                return
            msg = ply_matches(ply.stdout, want_ply, len(P) // 3)
            if msg:
                self.bad(what, "sample %d ply: %s" % (i, msg))
                return
            if not points_only:
                if obj_r.returncode != 0:
                    self.bad(what, "sample %d obj: exit %d %s" % (i, obj_r.returncode, obj_r.stderr.decode()))
                    return
                msg = obj_matches(obj_r.stdout, want_obj)
                if msg:
                    self.bad(what, "sample %d obj: %s" % (i, msg))
                    return
            self.passed += 1

    def check_archive(self, abcdump, views_json):
        abc = views_json[:-len(".views.json")] + ".abc"
        meshes = json.load(open(views_json)).get("meshes", {})
        if not meshes or not os.path.exists(abc):
            return
        objs = objects_by_name(load_dump(abcdump, abc)["root"], {})
        for full, ref in sorted(meshes.items()):
            obj = objs.get(full)
            if obj is None:
                self.bad(abc, "mesh %s is not in the dump" % full)
            elif not obj.get("instance_source"):
                self.check_object(abc, full, ref, obj)


def assimp_counts(path):
    r = subprocess.run(["assimp", "info", path, "--raw"], capture_output=True, text=True)
    if r.returncode != 0:
        return None
    got = {}
    for line in r.stdout.splitlines():
        key, _, val = line.partition(":")
        key, val = key.strip(), val.split()
        if key in ("Vertices", "Faces", "Meshes") and key not in got and val and val[0].isdigit():
            got[key] = int(val[0])
    return got


def check_assimp(abcmesh, abcdump, data):
    """One PLY and one OBJ of a multi-object real archive through Assimp."""
    if shutil.which("assimp") is None:
        print("SKIP: `assimp` not found (Debian package assimp-utils): the PLY/OBJ files are "
              "not checked with a real mesh reader")
        return 77
    best = None
    for vj in sorted(glob.glob(os.path.join(data, "real", "*.views.json"))):
        meshes = json.load(open(vj)).get("meshes", {})
        polys = [k for k, v in meshes.items() if v.get("schema") in ("PolyMesh", "SubD") and v["num_samples"]]
        if len(polys) >= 2 and (best is None or len(polys) > len(best[1])):
            best = (vj, polys)
    if best is None:
        print("SKIP: no multi-object real archive in %s" % data)
        return 77
    vj, polys = best
    abc = vj[:-len(".views.json")] + ".abc"
    objs = objects_by_name(load_dump(abcdump, abc)["root"], {})
    # the mesh with the most faces, for a file that means something
    def faces_of(full):
        fc, _ = values_at(geom_props(objs[full]).get(".faceCounts"), 0, "int32", 1)
        return len(fc)
    full = max(sorted(polys), key=faces_of)
    geom = geom_props(objs[full])
    P, _ = values_at(geom.get("P"), 0, "float32", 3)
    fi, _ = values_at(geom.get(".faceIndices"), 0, "int32", 1)
    fc, _ = values_at(geom.get(".faceCounts"), 0, "int32", 1)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("ply", "obj"):
            path = os.path.join(tmp, "mesh." + fmt)
            with open(path, "wb") as out:
                r = subprocess.run([abcmesh, abc, full, "0", fmt], stdout=out)
            got = assimp_counts(path) if r.returncode == 0 else None
            # Assimp's OBJ importer gives each face corner a vertex of its own.
            want = {"Meshes": 1, "Vertices": len(P) // 3 if fmt == "ply" else len(fi), "Faces": len(fc)}
            ok = got == want
            failed += not ok
            print("%s %s %s %s: assimp %s, want %s" % ("ok" if ok else "FAIL", os.path.basename(abc),
                                                      full, fmt, got, want))
    print("%d passed, %d failed" % (2 - failed, failed))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--abcmesh", required=True)
    ap.add_argument("--abcdump", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--assimp", action="store_true", help="check with Assimp instead")
    ap.add_argument("corpora", nargs="*", default=["reference", "real"])
    a = ap.parse_args()
    if a.assimp:
        return check_assimp(a.abcmesh, a.abcdump, a.data)
    c = Checker(a.abcmesh)
    for corpus in a.corpora:
        for vj in sorted(glob.glob(os.path.join(a.data, corpus, "*.views.json"))):
            c.check_archive(a.abcdump, vj)
    print("%d passed, %d failed" % (c.passed, c.failed))
    if c.passed == 0:
        print("no mesh sample checked")
        return 1
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
