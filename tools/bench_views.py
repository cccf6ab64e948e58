#!/usr/bin/env python3
"""View benchmarks of abcfs (.npy/ and .expanded/, views.md): each figure
with its baseline measured in the same run, so the ratio means something on
any machine.

  1. first read (cold page cache, fresh mount) of one 256 MiB sample as
     .npy (P/.npy/0000.npy) vs the raw sample file;
  2. np.load(".../P/.npy/all.npy", mmap_mode="r")[k] on the mesh archive
     (abcgen mesh --objects 1000 --verts 1000 --frames 24): bytes read from
     the archive (user.abcfs.stats) vs that frame's payload; rows marked
     (info) take the same reads apart: the kernel's readahead off, and the
     header read unbuffered (what the view layer itself reads);
  3. the daemon's peak RSS after reading every .npy and .expanded file of
     the mesh archive, vs the same after reading every sample file with
     -o views=off;
  4. the whole animation: every property of the mesh archive read as one
     all.npy each (np.load, which reads the data), vs tools/abcreadall
     (every sample read in-process with libogawa, no FUSE), cold and warm;
     every sample file read one by one (info);
  5. `find MOUNT -type f | wc -l` with views hidden (the default) vs
     -o views=off: the same count, and the time of each.

Each value is the median of --repeat runs; the variants of a figure are
measured back to back in every run (in rotated order) and its ratio is the
median of the per-run ratios (tools/bench_mount.py, whose mounts, readers
and table this script uses).  numpy comes from --python (default
/usr/bin/python3, the interpreter python3-numpy installs for).

Archives come from abcgen into a temporary directory under /tmp that is
removed at the end; every mount is taken down in a finally block.  Without
/dev/fuse (or fusermount3) it prints why and exits 77 (skip); without numpy
figures 2 and 4 are skipped.  The exit status is 0 even when a goal is
missed (these are measurements, not timed tests) unless --strict is given;
1 if a figure could not be measured.

  bench_views.py --abcgen build/tools/abcgen --abcfs build/fs/abcfs \\
                 --readall build/tools/abcreadall [--repeat N] [--quick]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_mount as bm  # noqa: E402  (the shared mounts, readers and table)

MIB = bm.MIB
KIB = 1 << 10

# The numpy side of figures 2 and 4, run by --python.  Every reading of
# the stats xattr is taken by the same process that reads the files, so
# nothing else touches the mount in between.
NP_FRAME = r'''
import json, os, sys
import numpy as np
from numpy.lib import format as npf
mnt, rel, k, how = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def read():
    return json.loads(os.getxattr(mnt, 'user.abcfs.stats'))['bytes_read']
path = os.path.join(mnt, rel)
b0 = read()
if how == 'npload':
    a = np.load(path, mmap_mode='r')
else:
    # The header read unbuffered (a small read of the first page), then the
    # data mapped: what the view layer serves for one frame, without
    # Python's st_blksize-sized buffer.
    with open(path, 'rb', buffering=0) as f:
        npf.read_magic(f)
        shape, fortran, dtype = npf.read_array_header_1_0(f)
        start = f.tell()
    a = np.memmap(path, dtype=dtype, mode='r', shape=shape, offset=start)
b1 = read()
frame = np.array(a[k])
b2 = read()
print(json.dumps({'open': b1 - b0, 'frame': b2 - b1, 'payload': frame.nbytes}))
'''

NP_ALL = r'''
import json, sys, time
import numpy as np
paths = [l.rstrip('\n') for l in open(sys.argv[1])]
n = 0
t0 = time.perf_counter()
for p in paths:
    n += np.load(p).nbytes      # not mmap: np.load reads the whole array
dt = time.perf_counter() - t0
print(json.dumps({'files': len(paths), 'bytes': n, 'seconds': dt}))
'''


def set_readahead(mnt, kib):
    """Sets the kernel's readahead of the FUSE mount MNT (its bdi); False
    when this user may not."""
    dev = os.stat(mnt).st_dev
    path = '/sys/class/bdi/%d:%d/read_ahead_kb' % (os.major(dev), os.minor(dev))
    try:
        with open(path, 'w') as f:
            f.write('%d\n' % kib)
        return True
    except OSError:
        return False


def is_view_file(rel):
    parts = rel.split(os.sep)
    return '.npy' in parts or '.expanded' in parts


def read_view_files(mnt):
    """Reads every file below a .npy or .expanded directory of MNT (views
    listed); returns (files, bytes)."""
    buf = bytearray(bm.CHUNK)
    files = nbytes = 0
    for d, _dirs, names in os.walk(mnt):
        in_view = is_view_file(os.path.relpath(d, mnt))
        for name in names:
            if in_view:
                nbytes += bm.read_file(os.path.join(d, name), buf)
                files += 1
    return files, nbytes


class ViewBench(bm.Bench):
    def __init__(self, args, tmp, table):
        super().__init__(args, tmp, table)
        self.mesh = None
        self.numpy_ok = None

    def mesh_archive(self):
        if self.mesh is None:
            a = self.a
            self.mesh = self.gen('mesh', 'mesh', '--objects', str(a.objects), '--verts',
                                 str(a.verts), '--frames', str(a.frames))
        return self.mesh

    def has_numpy(self):
        if self.numpy_ok is None:
            r = subprocess.run([self.a.python, '-c', 'import numpy'], capture_output=True)
            self.numpy_ok = r.returncode == 0
            if not self.numpy_ok:
                self.t.add('numpy: not importable by %s (figures 2 and 4 skipped)'
                           % self.a.python, '-')
        return self.numpy_ok

    def python(self, code, *argv):
        r = subprocess.run([self.a.python, '-c', code] + [str(x) for x in argv],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError('%s: %s' % (self.a.python, r.stderr.strip()[-500:]))
        return json.loads(r.stdout)

    # 1 --------------------------------------------------------------------

    def big_npy(self):
        mib = self.a.big_mib
        archive = self.gen('big', 'big', '--mib', str(mib))
        variants = [('raw', 'big/data/0000.u8'), ('npy', 'big/data/.npy/0000.npy')]
        cold = {v: [] for v, _ in variants}
        cached = {v: [] for v, _ in variants}
        sizes = {}
        for r in range(self.a.repeat):
            order = variants[r % 2:] + variants[:r % 2]
            for name, rel in order:
                mnt = self.mnt('big')
                with self.abcfs(archive, mnt):
                    self.cold()
                    dt, n = bm.timed_read(os.path.join(mnt, rel))
                    cold[name].append(bm.mbs(n, dt))
                    sizes[name] = n
            for name, rel in order:
                mnt = self.mnt('big')
                with self.abcfs(archive, mnt):
                    dt, n = bm.timed_read(os.path.join(mnt, rel))
                    cached[name].append(bm.mbs(n, dt))
            bm.log('run %d: cold raw %.0f, npy %.0f MB/s; archive cached raw %.0f, npy %.0f MB/s'
                   % (r + 1, cold['raw'][-1], cold['npy'][-1], cached['raw'][-1],
                      cached['npy'][-1]))
        tag = '' if self.cold_ok else ' (page cache NOT dropped: not permitted)'
        self.figure('1. first read %d MiB sample as .npy (%d B)%s' % (mib, sizes['npy'], tag),
                    cold['npy'], 'raw', cold['raw'], '>= 0.95', lambda x: x >= 0.95, bm.fmt_mbs)
        self.figure('   same, archive already cached (info)', cached['npy'], 'raw',
                    cached['raw'], fmt=bm.fmt_mbs)
        os.unlink(archive)

    # 2 --------------------------------------------------------------------

    def frame_bytes(self):
        if not self.has_numpy():
            return
        archive = self.mesh_archive()
        frames = sorted({0, self.a.frames // 3, self.a.frames - 1})
        # (label, how the header is read, kernel readahead KiB or None: as is)
        modes = [('np.load', 'npload', None), ('np.load, readahead 0', 'npload', 0),
                 ('unbuffered header + memmap, readahead 0', 'memmap', 0)]
        res = {(m, k): [] for m, _, _ in modes for k in frames}
        ra_ok = True
        obj = 0
        for _ in range(self.a.repeat):
            for label, how, ra in modes:
                mnt = self.mnt('frame')
                with self.abcfs(archive, mnt):
                    if ra is not None and not set_readahead(mnt, ra):
                        ra_ok = False
                        continue
                    for k in frames:
                        # A different object each time: nothing of it cached.
                        obj = (obj + 37) % self.a.objects
                        rel = 'xf%d/mesh%d/.geom/P/.npy/all.npy' % (obj, obj)
                        res[(label, k)].append(self.python(NP_FRAME, mnt, rel, k, how))
        for label, _, ra in modes:
            if ra is not None and not ra_ok:
                self.t.add('   %s: readahead not settable here (info)' % label, '-')
                continue
            for k in frames:
                rs = res[(label, k)]
                payload = rs[0]['payload']
                limit = int(1.1 * payload + 64 * KIB)
                total = statistics.median(r['open'] + r['frame'] for r in rs)
                opened = statistics.median(r['open'] for r in rs)
                frame = statistics.median(r['frame'] for r in rs)
                main = label == 'np.load'
                self.t.add('%s %s all.npy [%d]%s'
                           % ('2.' if main and k == frames[0] else '  ', label, k,
                              '' if main else ' (info)'),
                           '%d B (open %d + frame %d)' % (total, opened, frame),
                           'payload %d B' % payload, total / payload,
                           '<= 1.1 x payload + 64 KiB = %d B' % limit if main else None,
                           (max(r['open'] + r['frame'] for r in rs) <= limit) if main else None)

    # 3 --------------------------------------------------------------------

    def rss(self):
        archive = self.mesh_archive()
        size = os.path.getsize(archive)
        views, base = [], []
        for r in range(max(1, min(self.a.repeat, 2))):
            mnt = self.mnt('rss')
            with self.abcfs(archive, mnt, ['-o', 'views=off']) as m:
                t0 = time.perf_counter()
                files0, nbytes0 = bm.walk_read([mnt])
                dt0 = time.perf_counter() - t0
                base.append(m.status('VmHWM'))
                st0 = bm.stats(mnt)
            mnt = self.mnt('rss')
            with self.abcfs(archive, mnt, ['-o', 'views=visible']) as m:
                t0 = time.perf_counter()
                files, nbytes = read_view_files(mnt)
                dt = time.perf_counter() - t0
                views.append(m.status('VmHWM'))
                rss_now = m.status('VmRSS')
                st = bm.stats(mnt)
            bm.log('run %d: views: %d files, %.1f MB in %.1f s, peak %.1f MiB, %d nodes, '
                   'view cache %s; samples (views=off): %d files in %.1f s, peak %.1f MiB, '
                   '%d nodes' % (r + 1, files, nbytes / 1e6, dt, views[-1] / MIB, st['nodes'],
                                 st['view_cache'], files0, dt0, base[-1] / MIB, st0['nodes']))
        limit = st['view_cache']['limit']
        goal = 64 * MIB + limit
        hwm = statistics.median(views)
        self.t.add('3. daemon peak RSS after reading %d view files (%.1f MB) of %.0f MB'
                   % (files, nbytes / 1e6, size / 1e6),
                   '%.1f MiB (now %.1f; %d nodes, view cache %.1f MiB)'
                   % (hwm / MIB, rss_now / MIB, st['nodes'], st['view_cache']['bytes'] / MIB),
                   'views=off, %d sample files: %.1f MiB, %d nodes'
                   % (files0, statistics.median(base) / MIB, st0['nodes']),
                   paired(views, base), '<= 64 MiB + cache %d MiB = %d MiB'
                   % (limit // MIB, goal // MIB), hwm <= goal)
        corpus = self.a.expanded_archive
        if corpus and os.path.exists(corpus):
            mnt = self.mnt('rss')
            with self.abcfs(corpus, mnt, ['-o', 'views=visible']) as m:
                rss0 = m.status('VmRSS')
                files, nbytes = read_view_files(mnt)
                hwm = m.status('VmHWM')
                st = bm.stats(mnt)
            short = os.path.basename(corpus).rsplit('__', 1)[-1]
            self.t.add('   same, corpus %s (has .expanded; info)' % short,
                       '%.1f MiB, %d files, %.1f MB' % (hwm / MIB, files, nbytes / 1e6),
                       'after mount %.1f MiB' % (rss0 / MIB), None,
                       'view cache %.1f MiB, %d renders' % (st['view_cache']['bytes'] / MIB,
                                                            st['view_cache']['renders']))

    # 4 --------------------------------------------------------------------

    def whole(self):
        if not self.has_numpy():
            return
        archive = self.mesh_archive()
        # The all.npy files (and the .npy of properties without one), listed
        # once on a mount of their own; the timed mounts start fresh.
        lst = os.path.join(self.tmp, 'npy-list')
        mnt = self.mnt('whole')
        rels = []
        with self.abcfs(archive, mnt, ['-o', 'views=visible']):
            for d, dirs, names in os.walk(mnt):
                rel = os.path.relpath(d, mnt)
                if '.expanded' in rel.split(os.sep):
                    dirs[:] = []            # views of parameters, not properties
                elif os.path.basename(d) == '.npy':
                    dirs[:] = []
                    if 'all.npy' in names:
                        rels.append(os.path.join(rel, 'all.npy'))
                    else:
                        rels.extend(os.path.join(rel, n) for n in names if n.endswith('.npy'))
        res = {'readall': [], 'npy': [], 'files': []}
        warm = {'readall': [], 'npy': [], 'files': []}
        npy_bytes = nfiles = 0

        def readall():
            r = subprocess.run([self.a.readall, archive], capture_output=True, text=True,
                               check=True)
            return json.loads(r.stdout)

        def npy():
            m = self.mnt('whole')
            with open(lst, 'w') as f:
                f.write(''.join(os.path.join(m, r) + '\n' for r in rels))
            with self.abcfs(archive, m):
                return self.python(NP_ALL, lst)

        def files():
            m = self.mnt('whole')
            with self.abcfs(archive, m):
                t0 = time.perf_counter()
                n, b = bm.walk_read([m])
                return {'seconds': time.perf_counter() - t0, 'files': n, 'bytes': b}

        runs = [('readall', readall), ('npy', npy), ('files', files)]
        for r in range(self.a.repeat):
            order = runs[r % 3:] + runs[:r % 3]
            for name, fn in order:
                self.cold()
                out = fn()
                res[name].append(out['seconds'])
                if name == 'npy':
                    npy_bytes, nfiles = out['bytes'], out['files']
                if name == 'files':
                    sample_files, sample_bytes = out['files'], out['bytes']
                if name == 'readall':
                    ra = out
            for name, fn in order:
                fn()                        # the archive in the page cache
                warm[name].append(fn()['seconds'])
            bm.log('run %d: cold readall %.2f s, all.npy %.2f s, sample files %.2f s; '
                   'warm %.2f, %.2f, %.2f s'
                   % (r + 1, res['readall'][-1], res['npy'][-1], res['files'][-1],
                      warm['readall'][-1], warm['npy'][-1], warm['files'][-1]))
        sec = lambda t: '%.2f s' % t  # noqa: E731
        tag = '' if self.cold_ok else ' (page cache NOT dropped: not permitted)'
        self.figure('4. whole animation, %d all.npy (%.1f MB), cold%s'
                    % (nfiles, npy_bytes / 1e6, tag), res['npy'],
                    'abcreadall %d samples (%.1f MB)' % (ra['samples'], ra['bytes'] / 1e6),
                    res['readall'], '<= 2', lambda x: x <= 2, sec)
        self.figure('   same, archive warm', warm['npy'], 'abcreadall', warm['readall'],
                    '<= 2', lambda x: x <= 2, sec)
        self.figure('   %d sample files one by one, cold (info)' % sample_files, res['files'],
                    'abcreadall', res['readall'], fmt=sec)
        self.figure('   same, archive warm (info)', warm['files'], 'abcreadall',
                    warm['readall'], fmt=sec)
        bm.log('sample files: %d, %.1f MB; all.npy bodies %.1f MB; abcreadall %.1f MB'
               % (sample_files, sample_bytes / 1e6, npy_bytes / 1e6, ra['bytes'] / 1e6))

    # 5 --------------------------------------------------------------------

    def find(self):
        archive = self.mesh_archive()
        variants = [('hidden', []), ('off', ['-o', 'views=off'])]
        times = {v: [] for v, _ in variants}
        counts = {v: set() for v, _ in variants}
        for r in range(self.a.repeat):
            order = variants[r % 2:] + variants[:r % 2]
            for name, opts in order:
                mnt = self.mnt('find')
                with self.abcfs(archive, mnt, opts):
                    t0 = time.perf_counter()
                    out = subprocess.run('find %s -type f | wc -l' % mnt, shell=True,
                                         capture_output=True, text=True, check=True).stdout
                    times[name].append(time.perf_counter() - t0)
                    counts[name].add(int(out))
            bm.log('run %d: find hidden %.2f s (%s files), off %.2f s (%s files)'
                   % (r + 1, times['hidden'][-1], counts['hidden'], times['off'][-1],
                      counts['off']))
        same = len(counts['hidden']) == 1 and counts['hidden'] == counts['off']
        self.t.add('5. find -type f | wc -l, views hidden vs off',
                   '%s files' % '/'.join(map(str, sorted(counts['hidden']))),
                   'off: %s files' % '/'.join(map(str, sorted(counts['off']))), None,
                   'equal', same)
        self.figure('   its time, views hidden', times['hidden'], 'off', times['off'],
                    '~1 (similar)', None, lambda t: '%.2f s' % t)


def paired(values, baselines):
    return bm.paired(values, baselines)


def default_expanded_archive():
    here = os.path.dirname(os.path.abspath(__file__))
    p = os.path.join(here, '..', '..', 'shared', 'corpus', 'real',
                     'Unity-Technologies__com.unity.formats.alembic__proto.com.unity.formats.'
                     'alembic__Tests__Runtime__Data__MVPCloth.abc')
    return os.path.normpath(p)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--abcgen', required=True)
    ap.add_argument('--abcfs', required=True)
    ap.add_argument('--readall', required=True, help='the abcreadall binary')
    ap.add_argument('--python', default='/usr/bin/python3', help='a python3 with numpy')
    ap.add_argument('--repeat', type=int, default=3, help='runs per figure')
    ap.add_argument('--big-mib', type=int, default=256)
    ap.add_argument('--objects', type=int, default=1000)
    ap.add_argument('--verts', type=int, default=1000)
    ap.add_argument('--frames', type=int, default=24)
    ap.add_argument('--expanded-archive', default=default_expanded_archive(),
                    help='an archive with .expanded views for an extra RSS row (info)')
    ap.add_argument('--only', default='12345', help='which figures, e.g. 25')
    ap.add_argument('--quick', action='store_true', help='small sizes, one run: a smoke test')
    ap.add_argument('--strict', action='store_true', help='exit 1 when a goal is missed')
    ap.add_argument('--nice', type=int, default=0,
                    help='run at this nice value (negative needs root): less noise from other load')
    a = ap.parse_args()
    if a.quick:
        a.repeat, a.big_mib, a.objects = 1, 32, 50

    why = bm.fuse_usable()
    if why:
        print('bench_views: skipped: %s' % why)
        return 77
    for exe in (a.abcgen, a.abcfs, a.readall):
        if not os.access(exe, os.X_OK):
            print('bench_views: %s is not an executable' % exe, file=sys.stderr)
            return 2
    if a.nice and os.environ.get('ABCFS_BENCH_SESSION') != '1':
        # As bench_mount.py: the scheduler shares the CPUs among sessions
        # (autogroups), so run again in a session of our own at that nice.
        env = dict(os.environ, ABCFS_BENCH_SESSION='1')
        return subprocess.run([sys.executable] + sys.argv, env=env,
                              start_new_session=True).returncode
    if a.nice:
        try:
            with open('/proc/self/autogroup', 'w') as f:
                f.write('%d\n' % a.nice)
        except OSError as e:
            bm.log('bench_views: cannot set the autogroup nice to %d: %s' % (a.nice, e))
        try:
            os.nice(a.nice)
        except OSError as e:
            bm.log('bench_views: cannot renice to %d: %s' % (a.nice, e))
    with open('/proc/loadavg') as f:
        load = ' '.join(f.read().split()[:3])
    bm.log('load average at start: %s' % load)
    table = bm.Table()
    failed = False
    tmp = tempfile.mkdtemp(prefix='abcfs-bench-views-', dir='/tmp')
    try:
        b = ViewBench(a, tmp, table)
        steps = {'1': b.big_npy, '2': b.frame_bytes, '3': b.rss, '4': b.whole, '5': b.find}
        for k in sorted(steps):
            if k in a.only:
                try:
                    steps[k]()
                except (OSError, RuntimeError, subprocess.CalledProcessError) as e:
                    bm.log('bench_views: figure %s failed: %s' % (k, e))
                    table.add('%s. FAILED: %s' % (k, e), '-', ok=False)
                    failed = True
    finally:
        for e in os.listdir(tmp):
            p = os.path.join(tmp, e)
            if bm.is_mounted(p):
                bm.unmount(p, None)
        if any(bm.is_mounted(os.path.join(tmp, e)) for e in os.listdir(tmp)):
            bm.log('bench_views: %s left in place: still mounted' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    with open('/proc/loadavg') as f:
        load_end = ' '.join(f.read().split()[:3])
    print(flush=True)
    print('abcfs view benchmarks: medians of %d runs, ratios paired by run; nice %d; '
          'load average at start %s, at end %s' % (a.repeat, a.nice, load, load_end))
    table.print()
    if table.missed:
        print('\nmissed: ' + '; '.join(table.missed))
    return 1 if failed or (a.strict and table.missed) else 0


if __name__ == '__main__':
    sys.exit(main())
