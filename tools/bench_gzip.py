#!/usr/bin/env python3
"""Benchmarks of compressed archives (source.h), each next to its baseline
measured in the same run:

  1. abccopy --gzip: compression ratio and write speed on a ~291 MB mesh
     archive (abcgen mesh --objects 1000 --verts 1000 --frames 24) and on
     the real corpus (tests/data/real), against gzip -6 of the same bytes;
  2. first read (cold page cache, fresh mount) of one 256 MiB sample from
     blocked gzip through abcfs, against `zcat FILE > /dev/null`;
  3. one small sample deep inside a ~1 GB blocked-gzip archive (abcgen mesh
     --objects 1000 --verts 4000 --frames 24) from a fresh mount: time from
     starting the daemon to the bytes, and bytes read from the .gz
     (user.abcfs.stats bytes_read; goal under 1 MiB);
  4. the same 1 GB archive as plain gzip (gzip -1): checkpoint index build
     (first mount) and second mount time.

Archives go to a temporary directory under --tmp (removed at the end),
indexes to a temporary XDG_CACHE_HOME.  Exit 77 without FUSE.

  bench_gzip.py --abcgen B/tools/abcgen --abccopy B/tools/abccopy \
      --abcfs B/fs/abcfs --data tests/data [--quick]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_mount  # noqa: E402  (Mount, drop_caches, stats, fuse_usable)

bench_mount.MOUNT_WAIT = 1800       # a first mount of plain gzip builds its index


def log(msg):
    print(msg, flush=True)


def timed(argv, **kw):
    t = time.perf_counter()
    subprocess.run(argv, check=True, **kw)
    return time.perf_counter() - t


def mb(n):
    return n / 1e6


class Bench:
    def __init__(self, a, tmp):
        self.a, self.tmp = a, tmp
        self.rows = []

    def row(self, figure, value):
        self.rows.append((figure, value))
        log('  %-58s %s' % (figure, value))

    def gen(self, name, *args):
        path = os.path.join(self.tmp, name + '.abc')
        if not os.path.exists(path):
            subprocess.run([self.a.abcgen, *args, path], check=True, stdout=subprocess.DEVNULL)
        return path

    def gzip_copy(self, src, level=None):
        out = src + '.gz'
        argv = [self.a.abccopy] + (['--gzip=%d' % level] if level else ['--gzip']) + [src, out]
        bench_mount.drop_caches()
        return out, timed(argv)

    def compress(self):
        objs = 100 if self.a.quick else 1000
        mesh = self.gen('mesh', 'mesh', '--objects', str(objs), '--verts', '1000', '--frames', '24')
        size = os.path.getsize(mesh)
        gz, t = self.gzip_copy(mesh)
        gsize = os.path.getsize(gz)
        self.row('mesh %.0f MB: abccopy --gzip ratio' % mb(size), '%.3f (%.0f MB)' % (gsize / size, mb(gsize)))
        self.row('mesh: abccopy --gzip write speed', '%.1f MB/s of archive (%.1f s)' % (mb(size) / t, t))
        bench_mount.drop_caches()
        with open(os.path.join(self.tmp, 'mesh.gz6'), 'wb') as f:
            t6 = timed(['gzip', '-6', '-c', mesh], stdout=f)
        g6 = os.path.getsize(os.path.join(self.tmp, 'mesh.gz6'))
        self.row('mesh: gzip -6 (baseline) ratio, speed', '%.3f, %.1f MB/s' % (g6 / size, mb(size) / t6))
        os.unlink(os.path.join(self.tmp, 'mesh.gz6'))
        real = os.path.join(self.a.data, 'real')
        total = gtotal = 0
        t = 0.0
        for f in sorted(os.listdir(real)):
            if not f.endswith('.abc'):
                continue
            src = os.path.join(real, f)
            out = os.path.join(self.tmp, 'real.abc.gz')
            t0 = time.perf_counter()
            r = subprocess.run([self.a.abccopy, '--gzip', src, out], capture_output=True)
            t += time.perf_counter() - t0
            if r.returncode == 0:
                total += os.path.getsize(src)
                gtotal += os.path.getsize(out)
        self.row('real corpus %.1f MB: abccopy --gzip ratio' % mb(total), '%.3f' % (gtotal / total))
        self.row('real corpus: abccopy --gzip write speed', '%.1f MB/s (%.2f s, process starts included)'
                 % (mb(total) / t, t))

    def first_read(self):
        mib = 32 if self.a.quick else 256
        big = self.gen('big', 'big', '--mib', str(mib))
        gz, _ = self.gzip_copy(big)
        mnt = os.path.join(self.tmp, 'mnt')
        fuse, zcat = [], []
        for _ in range(self.a.repeat):
            bench_mount.drop_caches()
            t = time.perf_counter()
            subprocess.run('zcat %s > /dev/null' % gz, shell=True, check=True)
            zcat.append(time.perf_counter() - t)
            bench_mount.drop_caches()
            with bench_mount.Mount([self.a.abcfs, '-f', gz, mnt], mnt):
                t = time.perf_counter()
                with open(os.path.join(mnt, 'big', 'data', '0000.u8'), 'rb') as f:
                    n = 0
                    while True:
                        b = f.read(1 << 20)
                        if not b:
                            break
                        n += len(b)
                fuse.append(time.perf_counter() - t)
                st = bench_mount.stats(mnt)
        fuse.sort()
        zcat.sort()
        f_med, z_med = fuse[len(fuse) // 2], zcat[len(zcat) // 2]
        self.row('first read %d MiB sample, blocked gzip, abcfs' % mib, '%.0f MB/s (%.2f s)' % (mb(n) / f_med, f_med))
        self.row('zcat of the whole .gz > /dev/null (baseline)', '%.0f MB/s of output (%.2f s)'
                 % (mb(os.path.getsize(big)) / z_med, z_med))
        self.row('ratio abcfs / zcat (time)', '%.2f' % (f_med / z_med))
        src = st.get('source', {})
        self.row('  (info) inflated, cache misses/evictions', '%d MB, %d/%d'
                 % (mb(src.get('bytes_inflated', 0)), src.get('cache_misses', 0), src.get('cache_evictions', 0)))
        os.unlink(gz)

    def deep_sample(self):
        objs = 100 if self.a.quick else 1000
        mesh = self.gen('mesh4k', 'mesh', '--objects', str(objs), '--verts', '4000', '--frames', '24')
        size = os.path.getsize(mesh)
        gz, t = self.gzip_copy(mesh)
        self.row('mesh %.0f MB: abccopy --gzip' % mb(size), '%.1f s, ratio %.3f' % (t, os.path.getsize(gz) / size))
        mnt = os.path.join(self.tmp, 'mnt')
        # The smallest sample file under the last top-level object: deep
        # in the tree and near the end of the file.
        with bench_mount.Mount([self.a.abcfs, '-f', mesh, mnt], mnt):
            last = [d for d in sorted(os.listdir(mnt)) if not d.startswith('.')][-1]
            small = None
            for d, _, files in os.walk(os.path.join(mnt, last)):
                for fname in files:
                    if not fname[:1].isdigit():
                        continue
                    full = os.path.relpath(os.path.join(d, fname), mnt)
                    sz = os.path.getsize(os.path.join(mnt, full))
                    if small is None or (sz, full) < (small[1], small[0]) and sz > 0:
                        small = (full, sz)
            with open(os.path.join(mnt, small[0]), 'rb') as f:
                want = f.read()
        times, reads = [], []
        for _ in range(self.a.repeat):
            bench_mount.drop_caches()
            t = time.perf_counter()
            with bench_mount.Mount([self.a.abcfs, '-f', gz, mnt], mnt) as m:
                with open(os.path.join(mnt, small[0]), 'rb') as f:
                    got = f.read()
                times.append(time.perf_counter() - t)
                st = bench_mount.stats(mnt)
                reads.append(st['bytes_read'])
                assert got == want, 'deep sample differs'
        times.sort()
        reads.sort()
        self.row('deep small sample (%s, %d B) in %.0f MB bgzf' % (small[0], small[1], mb(size)),
                 '%.3f s from daemon start; %d KiB read from the .gz (goal < 1024)'
                 % (times[len(times) // 2], reads[len(reads) // 2] >> 10))
        self.row('  (info) member table + parse + sample: source reads', '%d' % st['source']['reads'])
        os.unlink(gz)
        return mesh

    def plain_gzip(self, mesh):
        gz = mesh + '.gz1'
        with open(gz, 'wb') as f:
            t = timed(['gzip', '-1', '-c', mesh], stdout=f)
        self.row('1 GB mesh: gzip -1 (to make the input)', '%.1f s, ratio %.3f' % (t, os.path.getsize(gz) / os.path.getsize(mesh)))
        mnt = os.path.join(self.tmp, 'mnt')
        cache = os.environ['XDG_CACHE_HOME']
        for what in ('first mount (index build)', 'second mount (index file)'):
            bench_mount.drop_caches()
            with bench_mount.Mount([self.a.abcfs, '-f', gz, mnt], mnt) as m:
                took = m.t_ready - m.t_start
                st = bench_mount.stats(mnt)
            self.row('plain gzip %.0f MB: %s' % (mb(os.path.getsize(gz)), what),
                     '%.2f s (read %.1f MB of the .gz)' % (took, mb(st['bytes_read'])))
        idx = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(cache) for f in fs)
        self.row('  (info) index files on disk', '%.1f MB' % mb(idx))
        os.unlink(gz)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--abcgen', required=True)
    ap.add_argument('--abccopy', required=True)
    ap.add_argument('--abcfs', required=True)
    ap.add_argument('--data', required=True)
    ap.add_argument('--tmp', default='/tmp')
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--quick', action='store_true', help='small archives (a smoke run)')
    ap.add_argument('--only', nargs='*', default=['compress', 'first_read', 'deep', 'plain_gzip'])
    a = ap.parse_args()
    why = bench_mount.fuse_usable()
    if why:
        log('SKIP: ' + why)
        return 77
    tmp = tempfile.mkdtemp(prefix='abcfs-bench-gzip-', dir=a.tmp)
    os.environ['XDG_CACHE_HOME'] = os.path.join(tmp, 'cache')
    b = Bench(a, tmp)
    try:
        if 'compress' in a.only:
            b.compress()
        if 'first_read' in a.only:
            b.first_read()
        if 'deep' in a.only or 'plain_gzip' in a.only:
            mesh = b.deep_sample()
            if 'plain_gzip' in a.only:
                b.plain_gzip(mesh)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
