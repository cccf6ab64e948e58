#!/usr/bin/env python3
"""A directory of archives in one mount (`abcfs DIR MOUNTPOINT`), end to end.

    dir_check.py --abcfs B/fs/abcfs --abccopy B/tools/abccopy --abcgen B/tools/abcgen \
        --abcls B/tools/abcls --abccat B/tools/abccat --data tests/data

DIR is built in a temporary folder: corpus archives as they are, as
blocked gzip (abccopy --gzip) and as `gzip -9`, in subdirectories; a
damaged archive; a symbolic link to an archive (shown) and to a folder (not
shown); files that are no archives, a FIFO and a dangling link (not
shown).  It is mounted with a small
-o max_open, and:

1. the listing mirrors DIR, and listing and stat-ing every folder and
   archive directory opens no archive (root xattr user.abcfs.stats);
2. every archive's directory is what a mount of that archive alone shows
   (every name, type, size, link target and byte), and holds to its
   reference dump (mount_check.TreeCheck) where there is one; no st_ino is
   shared between two archives; never more than max_open are open, and
   those closed by the LRU reopen with the same bytes and st_ino numbers;
3. the damaged archive lists only .info, which says why, and answers EIO
   for any other name, while the others work;
4. changes in DIR while mounted are seen within a second or so: a new
   archive, a removed one, a new and a removed folder, an archive replaced
   by rename (new st_ino numbers, its new bytes; an fd opened before the
   change gives the old bytes or an error, never the new ones) and one
   rewritten in place;
5. abcls -R DIR lists what `ls -RAU` lists in the mount, and abccat DIR
   PATH prints what cat prints;
6. the daemon exits 0 when unmounted, with nothing on stderr;
7. four reader threads over six archives that a writer keeps replacing
   (by rename) under -o max_open=2: each read gives the bytes its path has
   in one of the two archives, or ENOENT/ESTALE/EIO; never a mix.

Exit 0 ok, 1 failure, 77 (skip) when /dev/fuse or fusermount3 is missing.
"""
import argparse
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mount_check  # noqa: E402  (Mount, TreeCheck, Report, load_dump)
from gzip_check import walk  # noqa: E402

SKIP = 77
MAX_OPEN = 3
# How long a change in DIR may take to show: the contract says a second;
# the kernel's entry timeout is one second and a listing is read again
# when a second old, so allow that plus slack for a loaded machine.
SETTLE = 1.3
PLAIN = ["polymesh.abc", "instancing.abc", "strings.abc", "xform_hierarchy.abc", "arrays.abc"]


def stats(mnt):
    return json.loads(os.getxattr(mnt, "user.abcfs.stats"))


def waits_for(cond, seconds=SETTLE + 2.0):
    """True when cond() holds within seconds (polled); also says how long."""
    start = time.time()
    while True:
        if cond():
            return True, time.time() - start
        if time.time() - start > seconds:
            return False, time.time() - start
        time.sleep(0.05)


def exists(p):
    try:
        os.stat(p)
        return True
    except OSError:
        return False


def build_dir(a, top, r):
    """DIR's contents: {relative archive path: (plain source archive, dump or None)}."""
    archives = {}
    ref = os.path.join(a.data, "reference")
    names = [n for n in PLAIN if os.path.exists(os.path.join(ref, n))]
    for n in sorted(os.listdir(ref)):
        if n.endswith(".abc") and n not in names and len(names) < 8:
            names.append(n)

    def dump_of(src):
        for d in (src[:-4] + ".json", src[:-4] + ".digest.json"):
            if os.path.exists(d):
                return d
        return None

    os.makedirs(os.path.join(top, "seq010"))
    os.makedirs(os.path.join(top, "seq020", "deep"))
    os.makedirs(os.path.join(top, "old"))
    os.makedirs(os.path.join(top, "empty"))
    for i, n in enumerate(names):
        src = os.path.join(ref, n)
        rel = os.path.join("seq010", n)
        shutil.copyfile(src, os.path.join(top, rel))
        archives[rel] = (src, dump_of(src))
        if i < 4:
            rel = os.path.join("seq020", "deep", n + ".gz")
            p = subprocess.run([a.abccopy, "--gzip", src, os.path.join(top, rel)], capture_output=True)
            r.check(p.returncode == 0, rel, "abccopy --gzip: %r" % p.stderr)
            archives[rel] = (src, dump_of(src))
        if i < 2:
            rel = os.path.join("old", n + ".gz")
            with open(src, "rb") as f, open(os.path.join(top, rel), "wb") as out:
                out.write(subprocess.run(["gzip", "-9", "-c"], stdin=f, capture_output=True).stdout)
            archives[rel] = (src, dump_of(src))
    # Not archives, or not followed: none of these shows.
    with open(os.path.join(top, "seq010", "notes.txt"), "w") as f:
        f.write("not an archive\n")
    with open(os.path.join(top, "seq010", "abc"), "w") as f:
        f.write("x")
    os.symlink("../seq020", os.path.join(top, "seq010", "link_to_folder"))
    os.mkfifo(os.path.join(top, "seq010", "fifo.abc"))     # opening it would hang
    os.symlink("nowhere.abc", os.path.join(top, "seq010", "dangling.abc"))
    # A link to an archive shows as that archive.
    os.symlink(names[0], os.path.join(top, "seq010", "linked.abc"))
    archives[os.path.join("seq010", "linked.abc")] = archives[os.path.join("seq010", names[0])]
    shutil.copyfile(os.path.join(a.data, "bad", "polymesh_trunc50.abc"), os.path.join(top, "bad.abc"))
    return archives


def expected_listing(top, rel):
    """What MNT/rel should list: folders (not links to them), *.abc and
    *.abc.gz files (and links to such files)."""
    out = []
    d = os.path.join(top, rel)
    for n in os.listdir(d):
        p = os.path.join(d, n)
        if os.path.isdir(p) and not os.path.islink(p):
            out.append(n)
        elif (n.endswith(".abc") or n.endswith(".abc.gz")) and os.path.isfile(p):
            out.append(n)
    return sorted(out)


def check_listing_lazy(top, mnt, r):
    """1: the tree of folders and archive directories, stat-ed and listed,
    opens no archive."""
    for d, _dirs, _files in os.walk(top):
        rel = os.path.relpath(d, top)
        want = expected_listing(top, rel)
        got = os.listdir(os.path.join(mnt, rel))
        r.check(sorted(got) == want, "listing " + rel, "got %s, want %s" % (sorted(got), want))
        r.check(got == sorted(got), "listing " + rel, "not sorted: %s" % got)
        for n in got:
            st = os.lstat(os.path.join(mnt, rel, n))
            r.check(os.path.isdir(os.path.join(mnt, rel, n)), rel + "/" + n, "not a directory")
            if n.endswith(".abc") or n.endswith(".abc.gz"):
                src = os.stat(os.path.join(top, rel, n))
                r.check(int(st.st_mtime) == int(src.st_mtime), rel + "/" + n, "st_mtime is not the file's")
        subprocess.run(["ls", "-lA", os.path.join(mnt, rel)], capture_output=True)
    s = stats(mnt)
    r.check(s["opens"] == 0 and s["open"] == 0, "laziness",
            "listing and stat-ing opened archives: %s" % s)
    r.check(s["max_open"] == MAX_OPEN, "stats", "max_open %s" % s.get("max_open"))
    r.check(not exists(os.path.join(mnt, "seq010", "notes.txt")), "notes.txt", "shown")
    r.check(not exists(os.path.join(mnt, "seq010", "link_to_folder")), "link_to_folder", "shown")
    r.check(not exists(os.path.join(mnt, "seq010", "fifo.abc")), "fifo.abc", "shown")
    r.check(not exists(os.path.join(mnt, "seq010", "dangling.abc")), "dangling.abc", "shown")
    r.check(not exists(os.path.join(mnt, "nothing.abc")), "nothing.abc", "a missing name exists")


def check_archives(a, top, mnt, archives, r):
    """2: each archive directory equals the single mount of its archive."""
    owner = {}      # st_ino -> archive it was seen in
    first = None
    for rel, (src, dump) in sorted(archives.items()):
        root = os.path.join(mnt, rel)
        single = mount_check.Mount(a.abcfs, os.path.join(top, rel))
        try:
            want = walk(single.dir)
        finally:
            rc, err = single.close()
            r.check(rc == 0 and not err.strip(), rel, "single mount exit %s: %s" % (rc, err))
        got = walk(root)
        r.check(got == want, rel, "differs from its single mount (%d vs %d entries; first difference %s)"
                % (len(got), len(want), next((k for k in sorted(set(got) | set(want))
                                              if got.get(k) != want.get(k)), None)))
        if dump:
            mount_check.TreeCheck(mount_check.load_dump(dump), root, r, False).run()
        for dpath, dirs, files in os.walk(root):
            for n in dirs + files:
                ino = os.lstat(os.path.join(dpath, n)).st_ino
                other = owner.setdefault(ino, rel)
                r.check(other == rel, rel, "st_ino %d of %s also in %s" % (ino, n, other))
        s = stats(mnt)
        r.check(s["open"] <= MAX_OPEN, "max_open", "%d open with max_open %d" % (s["open"], MAX_OPEN))
        if first is None:
            first = (rel, got, {k: os.lstat(os.path.join(root, k)).st_ino for k in got})
    s = stats(mnt)
    r.check(s["closes"] > 0 and s["opens"] >= len(set(archives)) - 1, "LRU",
            "%d archives touched with max_open %d: %s" % (len(archives), MAX_OPEN, s))
    # the first archive was closed long ago: it reopens, same bytes, same st_ino
    rel, got0, inos = first
    root = os.path.join(mnt, rel)
    r.check(walk(root) == got0, rel, "bytes differ after the LRU closed and reopened it")
    same = all(os.lstat(os.path.join(root, k)).st_ino == v for k, v in inos.items())
    r.check(same, rel, "st_ino numbers changed after reopening")
    print("archives: %d checked; stats %s" % (len(archives), json.dumps(stats(mnt))))


def check_held_across_lru(mnt, archives, r):
    """An open file and a cwd inside an archive survive its closing by the LRU."""
    rels = sorted(archives)
    target = None
    for dpath, _dirs, files in os.walk(os.path.join(mnt, rels[0])):
        for n in files:
            if n[0] != "." and os.path.getsize(os.path.join(dpath, n)) > 0:
                target = os.path.join(dpath, n)
                break
        if target:
            break
    if not r.check(target is not None, rels[0], "no file to hold"):
        return
    with open(target, "rb") as f:
        want = f.read()
    fd = os.open(target, os.O_RDONLY)
    dfd = os.open(os.path.dirname(target), os.O_RDONLY)
    try:
        before = stats(mnt)["closes"]
        for rel in rels[1:]:                       # push it out of the LRU
            os.listdir(os.path.join(mnt, rel))
        r.check(stats(mnt)["closes"] > before, "held", "nothing closed")
        r.check(os.pread(fd, len(want) + 1, 0) == want, "held fd", "bytes differ after LRU churn")
        r.check(sorted(os.listdir(dfd)) == sorted(os.listdir(os.path.dirname(target))),
                "held dir", "listing differs after LRU churn")
    finally:
        os.close(fd)
        os.close(dfd)


def check_damaged(mnt, r):
    """3: bad.abc lists .info only; .info says why; other names give EIO."""
    bad = os.path.join(mnt, "bad.abc")
    r.check(os.path.isdir(bad), "bad.abc", "not a directory")
    try:
        r.check(os.listdir(bad) == [".info"], "bad.abc", "lists %s" % os.listdir(bad))
        with open(os.path.join(bad, ".info"), "rb") as f:
            info = json.loads(f.read())
        r.check(isinstance(info.get("error"), str) and info["error"], "bad.abc/.info", "no error: %s" % info)
        r.check(info.get("name") == "bad.abc", "bad.abc/.info", "name %r" % info.get("name"))
    except (OSError, ValueError) as e:
        r.check(False, "bad.abc", "%r" % e)
    mount_check.expect_errno(r, "bad.abc/ABC", (errno.EIO,), lambda: os.stat(os.path.join(bad, "ABC")))
    r.check(os.listdir(os.path.join(mnt, "seq010")) != [], "after damage", "others stopped working")
    r.check(stats(mnt)["damaged"] >= 1, "stats", "damaged not counted")


def check_changes(a, top, mnt, archives, r):
    """4: DIR changes under the mount."""
    ref = os.path.join(a.data, "reference")
    src_a = os.path.join(ref, "polymesh.abc")
    src_b = os.path.join(ref, "strings.abc")
    single_b = mount_check.Mount(a.abcfs, src_b)
    try:
        tree_b = walk(single_b.dir)
    finally:
        single_b.close()

    # a new archive in an existing folder
    new = os.path.join(top, "seq010", "new_shot.abc")
    os.listdir(os.path.join(mnt, "seq010"))            # the old listing is cached
    shutil.copyfile(src_b, new + ".tmp")
    os.rename(new + ".tmp", new)
    ok, t = waits_for(lambda: "new_shot.abc" in os.listdir(os.path.join(mnt, "seq010")))
    r.check(ok and t <= SETTLE, "new archive", "shown after %.2f s" % t)
    r.check(walk(os.path.join(mnt, "seq010", "new_shot.abc")) == tree_b, "new archive", "contents")

    # a new folder with an archive in it, then removed
    os.makedirs(os.path.join(top, "seq030"))
    shutil.copyfile(src_a, os.path.join(top, "seq030", "a.abc"))
    ok, t = waits_for(lambda: exists(os.path.join(mnt, "seq030", "a.abc", ".info")))
    r.check(ok and t <= SETTLE, "new folder", "shown after %.2f s" % t)
    shutil.rmtree(os.path.join(top, "seq030"))
    ok, t = waits_for(lambda: "seq030" not in os.listdir(mnt) and not exists(os.path.join(mnt, "seq030")))
    r.check(ok and t <= SETTLE, "removed folder", "still shown after %.2f s" % t)

    # a removed archive
    os.unlink(new)
    ok, t = waits_for(lambda: "new_shot.abc" not in os.listdir(os.path.join(mnt, "seq010"))
                      and not exists(os.path.join(mnt, "seq010", "new_shot.abc")))
    r.check(ok and t <= SETTLE, "removed archive", "still shown after %.2f s" % t)

    # replaced by rename: polymesh.abc becomes strings.abc's bytes
    name = os.path.join("seq010", "polymesh.abc")
    if not os.path.exists(os.path.join(top, name)):
        return
    root = os.path.join(mnt, name)
    old_tree = walk(root)
    old_top = os.stat(root).st_ino
    old_info = os.stat(os.path.join(root, ".info")).st_ino
    held = None
    for k, (kind, size, _c) in sorted(old_tree.items()):
        if kind == "file" and size > 0 and not k.startswith("."):
            held = (k, os.open(os.path.join(root, k), os.O_RDONLY), old_tree[k][2])
            break
    shutil.copyfile(src_b, os.path.join(top, name) + ".tmp")
    os.rename(os.path.join(top, name) + ".tmp", os.path.join(top, name))
    ok, t = waits_for(lambda: exists(root) and os.stat(root).st_ino != old_top)
    r.check(ok and t <= SETTLE, "replaced archive", "old st_ino after %.2f s" % t)
    r.check(walk(root) == tree_b, "replaced archive", "not the new archive's tree")
    r.check(os.stat(os.path.join(root, ".info")).st_ino != old_info, "replaced archive",
            ".info kept its st_ino")
    new_inos = {os.lstat(os.path.join(root, k)).st_ino for k in tree_b}
    r.check(old_top not in new_inos and old_info not in new_inos, "replaced archive", "old st_ino reused")
    if held:
        k, fd, want = held
        try:
            got = os.pread(fd, len(want) + 1, 0)
            r.check(got == want, "held across replace", "%s: neither the old bytes nor an error" % k)
        except OSError as e:
            r.check(e.errno in (errno.ESTALE, errno.EIO), "held across replace", "%s: %r" % (k, e))
        finally:
            os.close(fd)

    # rewritten in place (same inode): polymesh bytes again, truncated and written
    root_tree = walk(root)
    fd = None
    for k, (kind, size, c) in sorted(root_tree.items()):
        if kind == "file" and size > 0 and not k.startswith("."):
            fd, want = os.open(os.path.join(root, k), os.O_RDONLY), c
            break
    top_ino = os.stat(root).st_ino
    time.sleep(0.01)            # a different mtime even on coarse clocks
    with open(src_a, "rb") as f, open(os.path.join(top, name), "r+b") as out:
        out.truncate(0)
        out.write(f.read())
    ok, t = waits_for(lambda: exists(root) and os.stat(root).st_ino != top_ino)
    r.check(ok and t <= SETTLE, "rewritten archive", "old st_ino after %.2f s" % t)
    r.check(walk(root) == old_tree, "rewritten archive", "not the rewritten bytes' tree")
    if fd is not None:
        try:
            got = os.pread(fd, len(want) + 1, 0)
            r.check(got == want, "held across rewrite", "neither the old bytes nor an error")
        except OSError as e:
            r.check(e.errno in (errno.ESTALE, errno.EIO), "held across rewrite", "%r" % e)
        finally:
            os.close(fd)


def check_race(a, tmp, r, seconds=5.0):
    """7: readers in threads over archives that a writer keeps replacing
    (rename over the name) under -o max_open=2: every read gives the bytes
    that path has in one of the two archives, or an error; never a mix."""
    import random
    import threading
    src = os.path.join(tmp, "race-src")
    top = os.path.join(tmp, "race")
    os.makedirs(src)
    os.makedirs(top)
    kinds = {}
    for k, verts in (("A", 300), ("B", 700)):
        path = os.path.join(src, k + ".abc")
        p = subprocess.run([a.abcgen, "mesh", "--objects", "3", "--verts", str(verts), "--frames", "4", path],
                           capture_output=True)
        if not r.check(p.returncode == 0, "race", "abcgen: %r" % p.stderr):
            return
        m = mount_check.Mount(a.abcfs, path)
        try:
            kinds[k] = {rel: c for rel, (kind, _s, c) in walk(m.dir).items() if kind == "file"}
        finally:
            m.close()
    paths = sorted(set(kinds["A"]) | set(kinds["B"]))
    differ = sum(1 for p in paths if kinds["A"].get(p) != kinds["B"].get(p))
    r.check(differ > 10, "race", "the two archives hardly differ (%d paths)" % differ)
    names = ["shot%d.abc" % i for i in range(6)]
    for i, n in enumerate(names):
        shutil.copyfile(os.path.join(src, "AB"[i % 2] + ".abc"), os.path.join(top, n))
    m = mount_check.Mount(a.abcfs, top, ("-o", "max_open=2"))
    stop = time.time() + seconds
    bad, counts = [], {"A": 0, "B": 0, "error": 0}
    lock = threading.Lock()

    def reader(seed):
        rnd = random.Random(seed)
        while time.time() < stop:
            rel = rnd.choice(paths)
            path = os.path.join(m.dir, rnd.choice(names), rel)
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError as e:
                if e.errno not in (errno.ENOENT, errno.ESTALE, errno.EIO):
                    with lock:
                        bad.append("%s: %r" % (rel, e))
                with lock:
                    counts["error"] += 1
                continue
            which = [k for k in "AB" if kinds[k].get(rel) == data]
            with lock:
                if which:
                    counts[which[0]] += 1
                else:
                    bad.append("%s: %d bytes, neither archive's" % (rel, len(data)))

    def writer():
        rnd = random.Random(99)
        i = 0
        while time.time() < stop:
            n = rnd.choice(names)
            tmpname = os.path.join(top, ".tmp%d" % i)
            shutil.copyfile(os.path.join(src, rnd.choice("AB") + ".abc"), tmpname)
            os.rename(tmpname, os.path.join(top, n))
            i += 1
            time.sleep(0.01)

    try:
        threads = [threading.Thread(target=reader, args=(k,)) for k in range(4)]
        threads.append(threading.Thread(target=writer))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        s = stats(m.dir)
    finally:
        rc, err = m.close()
        r.check(rc == 0 and not err.strip(), "race daemon", "exit %s: %s" % (rc, err))
    for b in bad[:5]:
        r.check(False, "race", b)
    r.check(not bad, "race", "%d bad reads" % len(bad))
    r.check(counts["A"] > 0 and counts["B"] > 0, "race", "reads %s" % counts)
    print("race: reads %s; %d opens, %d closes, %d open (max_open 2)"
          % (counts, s["opens"], s["closes"], s["open"]))


def check_tools(a, top, mnt, r):
    """5: abcls and abccat on DIR."""
    want = subprocess.run(["ls", "-RAU", "."], cwd=mnt, capture_output=True).stdout
    p = subprocess.run([a.abcls, "-R", top], capture_output=True)
    r.check(p.returncode == 0 and p.stdout == want, "abcls -R DIR",
            "differs from ls -RAU (%d vs %d bytes): %r" % (len(p.stdout), len(want), p.stderr[:200]))
    n = 0
    for dpath, _dirs, files in os.walk(os.path.join(mnt, "seq020")):
        for f in files:
            path = os.path.join(dpath, f)
            rel = os.path.relpath(path, mnt)
            with open(path, "rb") as fh:
                data = fh.read()
            p = subprocess.run([a.abccat, top, rel], capture_output=True)
            r.check(p.returncode == 0 and p.stdout == data, "abccat DIR " + rel, "differs from cat")
            n += 1
    r.check(n > 0, "abccat", "no file under seq020")
    p = subprocess.run([a.abccat, top, "bad.abc/ABC"], capture_output=True)
    r.check(p.returncode != 0 and p.stderr, "abccat DIR bad.abc/ABC", "no error")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--abcfs", required=True)
    ap.add_argument("--abccopy", required=True)
    ap.add_argument("--abcls", required=True)
    ap.add_argument("--abccat", required=True)
    ap.add_argument("--abcgen", required=True)
    ap.add_argument("--data", required=True)
    a = ap.parse_args()
    if not os.path.exists("/dev/fuse") or not shutil.which("fusermount3"):
        print("SKIP: /dev/fuse or fusermount3 is missing: FUSE mounts cannot be tested here")
        return SKIP
    r = mount_check.Report(show=30)
    tmp = tempfile.mkdtemp(prefix="abcfs-dir-")
    top = os.path.join(tmp, "shots")
    os.makedirs(top)
    try:
        archives = build_dir(a, top, r)
        m = mount_check.Mount(a.abcfs, top, ("-o", "max_open=%d" % MAX_OPEN))
        try:
            for name, step in (("listing", lambda: check_listing_lazy(top, m.dir, r)),
                               ("archives", lambda: check_archives(a, top, m.dir, archives, r)),
                               ("held", lambda: check_held_across_lru(m.dir, archives, r)),
                               ("damaged", lambda: check_damaged(m.dir, r)),
                               ("tools", lambda: check_tools(a, top, m.dir, r)),
                               ("changes", lambda: check_changes(a, top, m.dir, archives, r))):
                before = r.failed
                try:
                    step()
                except Exception as e:  # noqa: BLE001 - report and go on
                    traceback.print_exc()
                    r.check(False, name, "checker crashed: %r" % e)
                print("%s %s" % ("ok  " if r.failed == before else "FAIL", name))
        finally:
            rc, err = m.close()
            r.check(rc == 0 and not err.strip(), "daemon", "exit %s after unmount: %s" % (rc, err))
        before = r.failed
        check_race(a, tmp, r)
        print("%s race" % ("ok  " if r.failed == before else "FAIL"))
        # A DIR that is not there, or a file that is neither: refused.
        p = subprocess.run([a.abcfs, os.path.join(tmp, "none"), tmp], capture_output=True, timeout=30)
        r.check(p.returncode != 0 and p.stderr.startswith(b"abcfs: "), "missing DIR", "%r" % p.stderr)
        # one gzip index file for a whole directory: refused (a directory is asked for)
        mp = os.path.join(tmp, "mp")
        os.makedirs(mp)
        p = subprocess.run([a.abcfs, "-o", "gzindex=" + os.path.join(tmp, "one.idx"), top, mp],
                           capture_output=True, timeout=30)
        r.check(p.returncode != 0 and b"gzindex" in p.stderr and not os.path.ismount(mp),
                "gzindex=FILE with DIR", "%r" % p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%s directory mount: %d checks, %d failed" % ("ok  " if r.failed == 0 else "FAIL",
                                                      r.passed + r.failed, r.failed))
    return 0 if r.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
