#!/usr/bin/env python3
"""Geometry view benchmarks of abcfs (.world/, .ply/, .obj/, .preview/ and
MOUNT/.preview.png of views.md): each figure with its baseline measured in
the same run, so the ratio means something on any machine.

  1. .world of the deepest object of a chain of Xforms (abcgen xdeep
     --depth N, every Xform an animated translate over 3 samples), N = 1000
     and 10000: time to stat .world/0000.f64 and to read it and
     .world/.times, on a fresh mount (cold: nothing of the chain's
     transforms computed yet) and again (warm); the ratio of the two depths
     shows the growth (10: linear, 100: quadratic).  The ancestors are
     looked up first, one directory file descriptor at a time (10000 levels
     are far past PATH_MAX), and that walk is timed apart (info).  The
     matrix read is checked against the known translate (N, N(N-1)/2, 0).
  2. PLY and OBJ of a 1M-face mesh (abcgen mesh --objects 1 --verts
     2000002 --frames 1: a strip of V/2 - 1 quads): `cat FILE > /dev/null`
     throughput vs `cat` of the raw P sample file of the same mesh, each on
     a fresh mount, and the first stat of each (the layout);
  3. the daemon's peak RSS (VmHWM) after reading every .ply of the mesh
     archive (abcgen mesh --objects 1000 --verts 1000 --frames 24, 24000
     files, reached by name as views are hidden), vs the same walk reading
     the raw P sample files;
  4. .preview/0000.png of one mesh of 10^3, 10^5 and 10^6 faces (fresh
     mount each): ms to look it up (stat) and to read it, and its size; and
     MOUNT/.preview.png of the 1000-object mesh archive.

Each value is the median of --repeat runs; the variants of a figure are
measured back to back in every run (in rotated order) and its ratio is the
median of the per-run ratios (tools/bench_mount.py, whose mounts, readers
and table this script uses).  Request counts and bytes read from the
archive come from user.abcfs.stats, read before and after the timed call.

Archives come from abcgen into a temporary directory under /tmp that is
removed at the end; every mount is taken down in a finally block.  Without
/dev/fuse (or fusermount3) it prints why and exits 77 (skip).  The exit
status is 0 whatever the times (these are measurements, not timed tests);
1 if a figure could not be measured or a view read back wrong.

  bench_geom.py --abcgen build/tools/abcgen --abcfs build/fs/abcfs \\
                [--repeat N] [--only 1234] [--quick] [--nice -15]
"""

import argparse
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_mount as bm  # noqa: E402  (the shared mounts, readers and table)

MIB = bm.MIB


def ms(t):
    return '%.1f ms' % (t * 1e3)


def med(xs):
    return statistics.median(xs)


def stats_delta(before, after):
    """What changed in user.abcfs.stats between two readings: bytes and
    reads of the archive, and the requests that came."""
    req = {k: after['requests'][k] - before['requests'][k] for k in after['requests']}
    return {'bytes_read': after['bytes_read'] - before['bytes_read'],
            'parse_reads': after['parse_reads'] - before['parse_reads'],
            'renders': after['view_cache']['renders'] - before['view_cache']['renders'],
            'requests': {k: v for k, v in req.items() if v}}


def fmt_delta(d):
    return '%d archive reads, %d B;%s requests %s' % (
        d['parse_reads'], d['bytes_read'],
        ' %d renders;' % d['renders'] if d['renders'] else '',
        ' '.join('%s %d' % kv for kv in sorted(d['requests'].items())) or 'none')


def open_chain(mnt, names):
    """A directory descriptor of MNT/names[0]/names[1]/..., each level
    opened relative to the last (a path this deep exceeds PATH_MAX)."""
    fd = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY)
    for name in names:
        try:
            nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        finally:
            os.close(fd)
        fd = nfd
    return fd


def read_at(dirfd, rel, buf):
    """Reads DIRFD/REL to its end; returns (bytes read, the first 4 KiB)."""
    fd = os.open(rel, os.O_RDONLY, dir_fd=dirfd)
    n = 0
    head = b''
    try:
        while True:
            k = os.readv(fd, [buf])
            if k == 0:
                return n, head
            if len(head) < 4096:
                head += bytes(buf[:min(k, 4096 - len(head))])
            n += k
    finally:
        os.close(fd)


def timed(fn, *args):
    t0 = time.perf_counter()
    r = fn(*args)
    return time.perf_counter() - t0, r


def cat(path):
    """Seconds of `cat PATH > /dev/null`."""
    t0 = time.perf_counter()
    subprocess.run(['cat', path], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def mesh_verts(faces):
    """abcgen mesh makes a strip of V/2 - 1 quads: the V for FACES faces."""
    return 2 * (faces + 1)


class GeomBench(bm.Bench):
    def __init__(self, args, tmp, table):
        super().__init__(args, tmp, table)
        self.bad = []               # views that read back wrong

    # 1 --------------------------------------------------------------------

    def world(self):
        depths = self.a.depths
        archives = {d: self.gen('xdeep%d' % d, 'xdeep', '--depth', str(d)) for d in depths}
        keys = ('walk', 'stat', 'read', 'times', 'wstat', 'wread', 'wtimes')
        res = {d: {k: [] for k in keys} for d in depths}
        deltas = {}
        buf = bytearray(bm.CHUNK)
        for r in range(self.a.repeat):
            order = depths[r % len(depths):] + depths[:r % len(depths)]
            for d in order:
                mnt = self.mnt('xdeep')
                with self.abcfs(archives[d], mnt):
                    t_walk, fd = timed(open_chain, mnt, ['x%d' % k for k in range(d)])
                    try:
                        s0 = bm.stats(mnt)
                        t_stat, st = timed(lambda: os.stat('.world/0000.f64', dir_fd=fd))
                        s1 = bm.stats(mnt)
                        t_read, (n, head) = timed(read_at, fd, '.world/0000.f64', buf)
                        s2 = bm.stats(mnt)
                        t_times, (nt, times) = timed(read_at, fd, '.world/.times', buf)
                        s3 = bm.stats(mnt)
                        w_stat, _ = timed(lambda: os.stat('.world/0000.f64', dir_fd=fd))
                        w_read, _ = timed(read_at, fd, '.world/0000.f64', buf)
                        w_times, _ = timed(read_at, fd, '.world/.times', buf)
                    finally:
                        os.close(fd)
                self.check_world(d, st.st_size, head, times)
                for k, v in zip(keys, (t_walk, t_stat, t_read, t_times, w_stat, w_read, w_times)):
                    res[d][k].append(v)
                deltas[d] = (stats_delta(s0, s1), stats_delta(s1, s2), stats_delta(s2, s3))
                bm.log('run %d, depth %d: walk %s; cold stat %s, read %s, .times %s; '
                       'warm %s, %s, %s' % (r + 1, d, ms(t_walk), ms(t_stat), ms(t_read),
                                           ms(t_times), ms(w_stat), ms(w_read), ms(w_times)))
        lo, hi = depths[0], depths[-1]
        for d in depths:
            first = d == lo
            self.t.add('%s.world/0000.f64 of the deepest of %d Xforms, cold: stat'
                       % ('1. ' if first else '   ', d), ms(med(res[d]['stat'])),
                       '%.1f us per level' % (med(res[d]['stat']) / d * 1e6))
            self.t.add('   same, read 128 B / .times (%d B)' % nt,
                       '%s / %s' % (ms(med(res[d]['read'])), ms(med(res[d]['times']))))
            self.t.add('   same, warm: stat / read / .times',
                       '%s / %s / %s' % (ms(med(res[d]['wstat'])), ms(med(res[d]['wread'])),
                                         ms(med(res[d]['wtimes']))))
            self.t.add('   lookup of the %d ancestors, one level at a time (info)' % d,
                       ms(med(res[d]['walk'])),
                       '%.1f us per level' % (med(res[d]['walk']) / d * 1e6))
            self.t.add('   daemon work of the cold stat (info)', fmt_delta(deltas[d][0]))
        if len(depths) > 1:
            self.figure('   growth: cold stat, depth %d vs %d' % (hi, lo), res[hi]['stat'],
                        'depth %d' % lo, res[lo]['stat'],
                        'linear ~%d, quadratic ~%d' % (hi // lo, (hi // lo) ** 2), fmt=ms)
            self.figure('   growth: ancestor lookups, depth %d vs %d (info)' % (hi, lo),
                        res[hi]['walk'], 'depth %d' % lo, res[lo]['walk'], fmt=ms)
        for a in archives.values():
            os.unlink(a)

    def check_world(self, depth, size, head, times):
        if size != 128 or len(head) != 128:
            self.bad.append('.world/0000.f64 of depth %d: %d B (stat %d), not 128'
                            % (depth, len(head), size))
            return
        m = struct.unpack('<16d', head)
        want = (float(depth), depth * (depth - 1) / 2.0, 0.0)
        if m[12:15] != want:
            self.bad.append('.world/0000.f64 of depth %d: translate %s, want %s'
                            % (depth, m[12:15], want))
        if times.split() != [b'0', b'0.041666666666666664', b'0.083333333333333329']:
            self.bad.append('.world/.times of depth %d: %r' % (depth, times[:80]))

    # 2 --------------------------------------------------------------------

    def mesh_files(self):
        faces = self.a.big_faces
        archive = self.gen('mesh1', 'mesh', '--objects', '1', '--verts',
                           str(mesh_verts(faces)), '--frames', '1')
        obj = ['xf0', 'mesh0']
        variants = [('raw P', '.geom/P/0000.f32'), ('PLY', '.ply/0000.ply'),
                    ('OBJ', '.obj/0000.obj')]
        speed = {v: [] for v, _ in variants}
        again = {v: [] for v, _ in variants}
        layout = {v: [] for v, _ in variants}
        sizes, deltas = {}, {}
        for r in range(self.a.repeat):
            order = variants[r % 3:] + variants[:r % 3]
            for name, rel in order:
                mnt = self.mnt('mesh1')
                with self.abcfs(archive, mnt):
                    fd = open_chain(mnt, obj)
                    try:
                        s0 = bm.stats(mnt)
                        t_stat, st = timed(lambda: os.stat(rel, dir_fd=fd))
                        s1 = bm.stats(mnt)
                    finally:
                        os.close(fd)
                    path = os.path.join(mnt, *obj, rel)
                    dt = cat(path)
                    s2 = bm.stats(mnt)
                    dt2 = cat(path)
                sizes[name] = st.st_size
                layout[name].append(t_stat)
                speed[name].append(bm.mbs(st.st_size, dt))
                again[name].append(bm.mbs(st.st_size, dt2))
                deltas[name] = (stats_delta(s0, s1), stats_delta(s1, s2))
            bm.log('run %d: %s' % (r + 1, '; '.join(
                '%s stat %s, cat %.0f MB/s, again %.0f MB/s'
                % (n, ms(layout[n][-1]), speed[n][-1], again[n][-1]) for n, _ in variants)))
        for name in ('PLY', 'OBJ'):
            self.figure('%s %s of a %d-face mesh (%.1f MB), cat, fresh mount'
                        % ('2.' if name == 'PLY' else '  ', name, faces, sizes[name] / 1e6),
                        speed[name], 'raw P (%.1f MB)' % (sizes['raw P'] / 1e6), speed['raw P'],
                        fmt=bm.fmt_mbs)
            self.figure('   same, read again', again[name], 'raw P', again['raw P'],
                        fmt=bm.fmt_mbs)
            self.figure('   first stat (layout) of the %s' % name, layout[name], 'raw P',
                        layout['raw P'], fmt=ms)
            self.t.add('   daemon work of that stat / of the first cat (info)',
                       fmt_delta(deltas[name][0]), fmt_delta(deltas[name][1]))
        os.unlink(archive)

    # 3 --------------------------------------------------------------------

    def mesh_archive(self):
        if getattr(self, 'mesh', None) is None:
            self.mesh = self.gen('mesh', 'mesh', '--objects', str(self.a.objects), '--verts',
                                 '1000', '--frames', str(self.a.frames))
        return self.mesh

    def walk_by_name(self, mnt, kind):
        """Reads, by name, every .ply (KIND 'ply') or raw P sample file
        (KIND 'raw') of the mesh archive, or only stats every .ply (KIND
        'ply stat': their layouts, nothing rendered); returns (files,
        bytes)."""
        buf = bytearray(bm.CHUNK)
        files = nbytes = 0
        for i in range(self.a.objects):
            for f in range(self.a.frames):
                if kind == 'raw':
                    rel = 'xf%d/mesh%d/.geom/P/%04d.f32' % (i, i, f)
                else:
                    rel = 'xf%d/mesh%d/.ply/%04d.ply' % (i, i, f)
                if kind == 'ply stat':
                    nbytes += os.stat(os.path.join(mnt, rel)).st_size
                else:
                    nbytes += bm.read_file(os.path.join(mnt, rel), buf)
                files += 1
        return files, nbytes

    def rss(self):
        archive = self.mesh_archive()
        size = os.path.getsize(archive)
        variants = [('raw', []), ('ply', []), ('ply stat', [])]
        hwm = {v: [] for v, _ in variants}
        secs = {v: [] for v, _ in variants}
        info = {}
        alive = {}                  # (peak, nodes alive at the end) per run
        for r in range(self.a.repeat):
            order = variants[r % 3:] + variants[:r % 3]
            for name, opts in order:
                mnt = self.mnt('rss')
                with self.abcfs(archive, mnt, opts) as m:
                    rss0 = m.status('VmRSS')
                    t, (files, nbytes) = timed(self.walk_by_name, mnt, name)
                    hwm[name].append(m.status('VmHWM'))
                    secs[name].append(t)
                    st = bm.stats(mnt)
                    info[name] = (files, nbytes, rss0, m.status('VmRSS'), st)
                    alive.setdefault(name, []).append((hwm[name][-1], st['nodes']))
            bm.log('run %d: %s' % (r + 1, '; '.join(
                '%s %d files in %.1f s, peak %.1f MiB, %d nodes'
                % (n, info[n][0], secs[n][-1], hwm[n][-1] / MIB, info[n][4]['nodes'])
                for n, _ in variants)))
        files, nbytes, rss0, rss_now, st = info['ply']
        vc = st['view_cache']
        self.figure('3. daemon peak RSS after reading %d .ply (%.0f MB) of %.0f MB'
                    % (files, nbytes / 1e6, size / 1e6), hwm['ply'],
                    'raw P, %d files (%.0f MB)' % (info['raw'][0], info['raw'][1] / 1e6),
                    hwm['raw'], '<= 64 MiB + cache %d MiB' % (vc['limit'] // MIB),
                    lambda x: med(hwm['ply']) <= 64 * MIB + vc['limit'],
                    lambda b: '%.1f MiB' % (b / MIB))
        self.t.add('   after mount / at the end, .ply walk (info)',
                   '%.1f / %.1f MiB' % (rss0 / MIB, rss_now / MIB),
                   'nodes %d, view cache %.1f MiB in %d entries, %d renders, %d evictions'
                   % (st['nodes'], vc['bytes'] / MIB, vc['entries'], vc['renders'],
                      vc['evictions']))
        self.figure('   time of the walk, .ply vs raw P (info)', secs['ply'], 'raw P', secs['raw'],
                    fmt=lambda t: '%.1f s' % t)
        self.figure('   peak RSS after only stat of every .ply (layouts; info)', hwm['ply stat'],
                    'raw P', hwm['raw'], fmt=lambda b: '%.1f MiB' % (b / MIB))
        # The kernel forgets nodes under memory pressure, so the peaks vary
        # with how many stayed alive: each run's pair, to read them by.
        for name in ('ply', 'ply stat', 'raw'):
            self.t.add('   %s walk, peak @ nodes alive at the end, per run (info)' % name,
                       ', '.join('%.1f MiB @ %d' % (p / MIB, n) for p, n in alive[name]))

    # 4 --------------------------------------------------------------------

    def preview(self):
        faces_list = self.a.preview_faces
        archives = {f: self.gen('prev%d' % f, 'mesh', '--objects', '1', '--verts',
                                str(mesh_verts(f)), '--frames', '1') for f in faces_list}
        variants = [(f, archives[f], ['xf0', 'mesh0'], '.preview/0000.png') for f in faces_list]
        big = self.mesh_archive()
        variants.append(('mount', big, [], '.preview.png'))
        look = {v[0]: [] for v in variants}
        read = {v[0]: [] for v in variants}
        warm = {v[0]: [] for v in variants}
        sizes, deltas = {}, {}
        buf = bytearray(bm.CHUNK)
        for r in range(self.a.repeat):
            order = variants[r % len(variants):] + variants[:r % len(variants)]
            for key, archive, obj, rel in order:
                mnt = self.mnt('prev')
                with self.abcfs(archive, mnt):
                    fd = open_chain(mnt, obj)
                    try:
                        s0 = bm.stats(mnt)
                        t_stat, st = timed(lambda: os.stat(rel, dir_fd=fd))
                        s1 = bm.stats(mnt)
                        t_read, (n, head) = timed(read_at, fd, rel, buf)
                        s2 = bm.stats(mnt)
                        t_warm, _ = timed(read_at, fd, rel, buf)
                    finally:
                        os.close(fd)
                if n != st.st_size or not head.startswith(b'\x89PNG\r\n\x1a\n'):
                    self.bad.append('%s: %d B read, stat %d, PNG signature %s'
                                    % (rel, n, st.st_size, head[:8] == b'\x89PNG\r\n\x1a\n'))
                sizes[key] = n
                look[key].append(t_stat)
                read[key].append(t_read)
                warm[key].append(t_warm)
                deltas[key] = (stats_delta(s0, s1), stats_delta(s1, s2))
            bm.log('run %d: %s' % (r + 1, '; '.join(
                '%s stat %s read %s' % (k, ms(look[k][-1]), ms(read[k][-1]))
                for k, _, _, _ in variants)))
        base = faces_list[0]
        for key, _, _, rel in variants:
            what = ('one mesh of %d faces' % key if key != 'mount'
                    else 'MOUNT/.preview.png, %d meshes of 499 faces' % self.a.objects)
            self.figure('%s%s: lookup + read, fresh mount (%d B PNG)'
                        % ('4. ' if key == base else '   ', what, sizes[key]),
                        [a + b for a, b in zip(look[key], read[key])],
                        '%d faces' % base, [a + b for a, b in zip(look[base], read[base])],
                        fmt=ms)
            self.t.add('   lookup (stat) / read / read again',
                       '%s / %s / %s' % (ms(med(look[key])), ms(med(read[key])),
                                         ms(med(warm[key]))),
                       'stat: %s' % fmt_delta(deltas[key][0]))
        for a in archives.values():
            os.unlink(a)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--abcgen', required=True)
    ap.add_argument('--abcfs', required=True)
    ap.add_argument('--repeat', type=int, default=3, help='runs per figure')
    ap.add_argument('--depths', default='1000,10000', help='xdeep depths, smallest first')
    ap.add_argument('--big-faces', type=int, default=1000000, help='faces of figure 2')
    ap.add_argument('--preview-faces', default='1000,100000,1000000')
    ap.add_argument('--objects', type=int, default=1000, help='meshes of figures 3 and 4')
    ap.add_argument('--frames', type=int, default=24, help='frames of figures 3 and 4')
    ap.add_argument('--only', default='1234', help='which figures, e.g. 24')
    ap.add_argument('--quick', action='store_true', help='small sizes, one run: a smoke test')
    ap.add_argument('--nice', type=int, default=0,
                    help='run at this nice value (negative needs root): less noise from other load')
    a = ap.parse_args()
    if a.quick:
        a.repeat, a.depths, a.big_faces = 1, '100,1000', 100000
        a.preview_faces, a.objects, a.frames = '1000,10000', 50, 4
    a.depths = [int(x) for x in a.depths.split(',')]
    a.preview_faces = [int(x) for x in a.preview_faces.split(',')]

    why = bm.fuse_usable()
    if why:
        print('bench_geom: skipped: %s' % why)
        return 77
    for exe in (a.abcgen, a.abcfs):
        if not os.access(exe, os.X_OK):
            print('bench_geom: %s is not an executable' % exe, file=sys.stderr)
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
            bm.log('bench_geom: cannot set the autogroup nice to %d: %s' % (a.nice, e))
        try:
            os.nice(a.nice)
        except OSError as e:
            bm.log('bench_geom: cannot renice to %d: %s' % (a.nice, e))
    with open('/proc/loadavg') as f:
        load = ' '.join(f.read().split()[:3])
    bm.log('load average at start: %s' % load)
    table = bm.Table()
    failed = False
    tmp = tempfile.mkdtemp(prefix='abcfs-bench-geom-', dir='/tmp')
    b = GeomBench(a, tmp, table)
    try:
        steps = {'1': b.world, '2': b.mesh_files, '3': b.rss, '4': b.preview}
        for k in sorted(steps):
            if k in a.only:
                try:
                    steps[k]()
                except (OSError, RuntimeError, subprocess.CalledProcessError) as e:
                    # One broken figure must not hide the others; the message
                    # is cut short (a deep path can be 60 KB long).
                    msg = str(e)[:300]
                    bm.log('bench_geom: figure %s failed: %s' % (k, msg))
                    table.add('%s. FAILED: %s' % (k, msg), '-', ok=False)
                    failed = True
    finally:
        for e in os.listdir(tmp):
            p = os.path.join(tmp, e)
            if bm.is_mounted(p):
                bm.unmount(p, None)
        if any(bm.is_mounted(os.path.join(tmp, e)) for e in os.listdir(tmp)):
            bm.log('bench_geom: %s left in place: still mounted' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    with open('/proc/loadavg') as f:
        load_end = ' '.join(f.read().split()[:3])
    print(flush=True)
    print('abcfs geometry view benchmarks: medians of %d runs, ratios paired by run; nice %d; '
          'load average at start %s, at end %s' % (a.repeat, a.nice, load, load_end))
    table.print()
    for msg in b.bad:
        print('WRONG: ' + msg)
    return 1 if failed or b.bad else 0


if __name__ == '__main__':
    sys.exit(main())
