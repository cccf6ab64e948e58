#!/usr/bin/env python3
"""Mount benchmarks of abcfs (issue 4, item 4): each figure with its baseline
measured in the same run, so the ratio means something on any machine.

  1. first read (cold page cache, fresh mount) of one 256 MiB sample through
     abcfs, with splice and with -o nosplice, vs the same archive file served
     by tools/bench/fuse_ceiling (a bare one-file FUSE with splice);
  2. re-read (warm) of that sample vs reading the archive file directly, and
     vs the bare FUSE's own re-read (keep_cache): through any FUSE mount a
     re-read is capped by the kernel's FUSE page cache, which on kernels
     before large folios for FUSE holds 4 KiB folios only (the kernel
     version and the folio sizes of the cached sample, read from
     /proc/kpageflags through /proc/self/pagemap, are printed; without
     permission they are inferred from the timing); the same bytes read
     through user.abc.source / user.abc.offset (the direct path) vs the
     archive file read directly;
  3. mount time (process start until a first-level entry stats) of a
     100k-object archive vs a 1-object one;
  4. reading every sample file of a 50-object mesh: us per file with one
     reader, throughput of two readers in parallel vs one;
  5. bytes read from the archive to serve one sample (user.abcfs.stats) vs
     its payload; the daemon's peak RSS after reading every file of a
     ~300 MB archive;
  6. FUSE requests by opcode (user.abcfs.stats), per file, on a fresh mount
     (cold) and again (warm): find -type f -exec cat over figure 4's mesh
     archive and over a 5000-entry directory, ls -l of that directory,
     numpy.load of one .npy file;
  7. find -type f -exec cat over every file of figure 4's mesh archive on a
     fresh mount vs the same tree copied to tmpfs (/dev/shm).

Each value is the median of --repeat runs; the variants of a figure are
measured back to back in every run (in rotated order) and its ratio is the
median of the per-run ratios, so that other load on the machine, which
comes and goes, weighs on value and baseline alike.  Rows marked (info)
help to read the others: the same reads with the archive already cached
(no disk noise), the disk itself, CPU per file, time spent waiting for a
CPU, and the same parallel readers on a plain copy of the tree (what the
machine allows without FUSE).  --nice -15 (root) runs it in a scheduler
group of its own at that priority, which a shared machine needs.

Archives come from abcgen into a temporary directory under /tmp that is
removed at the end; every mount is taken down in a finally block.  Without
/dev/fuse (or fusermount3) it prints why and exits 77 (skip).  The exit
status is 0 even when a goal is missed (these are measurements, not timed
tests) unless --strict is given; 1 if a figure could not be measured.

  bench_mount.py --abcgen build/tools/abcgen --abcfs build/fs/abcfs \
                 --ceiling build/tools/fuse_ceiling [--repeat N] [--nice -15] [--quick]
"""

import argparse
import ctypes
import json
import mmap
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MIB = 1 << 20
CHUNK = MIB                     # read size of every reader here
MOUNT_WAIT = 20.0               # seconds a daemon gets to answer


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- environment --------------------------------------------------------

def fuse_usable():
    """None when mounts can be made here, else the reason they cannot."""
    if not os.path.exists('/dev/fuse'):
        return '/dev/fuse is missing'
    if not os.access('/dev/fuse', os.R_OK | os.W_OK):
        return '/dev/fuse is not readable and writable by this user'
    if shutil.which('fusermount3') is None:
        return 'fusermount3 is not installed'
    return None


def drop_caches():
    """Empties the page cache; False when this user may not."""
    os.sync()
    try:
        with open('/proc/sys/vm/drop_caches', 'w') as f:
            f.write('3\n')
        return True
    except OSError:
        return False


# ---- mounts -------------------------------------------------------------

def is_mounted(path):
    try:
        return os.path.ismount(path)
    except OSError:
        return False


def unmount(path, proc):
    """Takes PATH down and reaps PROC (the daemon we started), whatever
    state they are in: fusermount3 -u, then a lazy unmount, then SIGTERM
    and SIGKILL of that one process id."""
    if is_mounted(path):
        r = subprocess.run(['fusermount3', '-u', path], capture_output=True)
        if r.returncode != 0 and is_mounted(path):
            subprocess.run(['fusermount3', '-uz', path], capture_output=True)
    if proc is None:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Mount:
    """A daemon run in the foreground (so its pid is ours to read RSS of
    and to reap) with the mount point MNT; `with` guarantees the unmount."""

    def __init__(self, argv, mnt, probe=None):
        self.argv = argv
        self.mnt = mnt
        self.probe = probe          # a path that must stat before we go on
        self.proc = self.err = None
        self.t_start = self.t_ready = None

    def __enter__(self):
        os.makedirs(self.mnt, exist_ok=True)
        parent_dev = os.stat(self.mnt).st_dev
        self.t_start = time.perf_counter()
        # stderr to an unlinked file: a chatty daemon can never block on it.
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        try:
            self._wait(parent_dev)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait(self, parent_dev):
        # Tight polling: the mount time figure is taken here.
        deadline = self.t_start + MOUNT_WAIT
        while True:
            try:
                if self.probe is not None:
                    st = os.stat(self.probe)
                    ok = st.st_dev != parent_dev
                else:
                    ok = os.stat(self.mnt).st_dev != parent_dev
            except OSError:
                ok = False
            if ok:
                self.t_ready = time.perf_counter()
                return
            rc = self.proc.poll()
            if rc is not None:
                self.err.seek(0)
                err = self.err.read().decode(errors='replace').strip()
                raise RuntimeError('%s exited %d before mounting: %s'
                                   % (self.argv[0], rc, err))
            if time.perf_counter() > deadline:
                raise RuntimeError('%s did not mount %s in %.0f s'
                                   % (self.argv[0], self.mnt, MOUNT_WAIT))
            time.sleep(0.0002)

    def __exit__(self, *exc):
        unmount(self.mnt, self.proc)
        if self.err is not None:
            self.err.close()
        return False

    def status(self, key):
        """A /proc/PID/status field of the daemon, in bytes."""
        with open('/proc/%d/status' % self.proc.pid) as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1]) * 1024
        return None


def stats(mnt):
    """The daemon's counters (getfattr -n user.abcfs.stats MOUNT)."""
    return json.loads(os.getxattr(mnt, 'user.abcfs.stats').decode())


# ---- readers ------------------------------------------------------------

def read_file(path, buf):
    """Reads PATH to its end in CHUNK reads; returns the byte count."""
    fd = os.open(path, os.O_RDONLY)
    n = 0
    try:
        while True:
            k = os.readv(fd, [buf])
            if k == 0:
                return n
            n += k
    finally:
        os.close(fd)


def timed_read(path):
    """(seconds, bytes) of reading PATH once, open included."""
    buf = bytearray(CHUNK)
    t0 = time.perf_counter()
    n = read_file(path, buf)
    return time.perf_counter() - t0, n


def direct_path(path):
    """(archive, offset) that PATH's user.abc.source / user.abc.offset give."""
    return (os.getxattr(path, 'user.abc.source').decode(),
            int(os.getxattr(path, 'user.abc.offset')))


def timed_read_range(path, offset, size):
    """(seconds, bytes) of reading SIZE bytes of PATH from OFFSET, as a
    reader of the direct path would (open included)."""
    buf = bytearray(CHUNK)
    t0 = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    n = 0
    try:
        while n < size:
            k = os.preadv(fd, [memoryview(buf)[:min(CHUNK, size - n)]], offset + n)
            if k == 0:
                break
            n += k
    finally:
        os.close(fd)
    return time.perf_counter() - t0, n


KPF_COMPOUND_HEAD, KPF_COMPOUND_TAIL = 15, 16     # linux/kernel-page-flags.h


def folio_pages(path, max_pages=4096):
    """(pages looked at, pages in a large folio) of PATH's page cache,
    through its mapping: /proc/self/pagemap gives each mapped page's frame,
    /proc/kpageflags whether that frame is part of a compound page (a folio
    larger than 4 KiB).  None when this process may not read frame numbers
    (needs CAP_SYS_ADMIN) or kpageflags."""
    page = mmap.PAGESIZE
    fd = os.open(path, os.O_RDONLY)
    try:
        n = min(os.fstat(fd).st_size, max_pages * page) // page * page
        if n == 0:
            return None
        # A private writable mapping that is only read maps the page cache's
        # own pages; ctypes needs a writable buffer for the address.
        mm = mmap.mmap(fd, n, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    finally:
        os.close(fd)
    try:
        addr = ctypes.addressof(ctypes.c_char.from_buffer(mm))
        for off in range(0, n, page):
            mm[off]                     # fault each page in
        with open('/proc/self/pagemap', 'rb') as pm, open('/proc/kpageflags', 'rb') as kf:
            large = seen = 0
            for k in range(n // page):
                pm.seek((addr // page + k) * 8)
                entry = int.from_bytes(pm.read(8), 'little')
                pfn = entry & ((1 << 55) - 1)
                if not entry >> 63 or pfn == 0:
                    continue            # not present, or frame numbers hidden
                kf.seek(pfn * 8)
                flags = int.from_bytes(kf.read(8), 'little')
                seen += 1
                large += bool(flags & (1 << KPF_COMPOUND_HEAD | 1 << KPF_COMPOUND_TAIL))
        return (seen, large) if seen else None
    except OSError:
        return None
    finally:
        mm.close()


def is_sample(name):
    return name[:1].isdigit()


def walk_read(roots):
    """Walks every directory under ROOTS (links not followed) and reads
    every sample file fully; returns (files, bytes)."""
    buf = bytearray(CHUNK)
    files = nbytes = 0
    for root in roots:
        for d, _dirs, names in os.walk(root):
            for name in names:
                if is_sample(name):
                    nbytes += read_file(os.path.join(d, name), buf)
                    files += 1
    return files, nbytes


def schedstat(pid, tid=None):
    """(CPU ns, run-queue wait ns) of a task: waiting on a busy CPU is what
    other load on the machine costs this measurement."""
    path = '/proc/%d/schedstat' % pid if tid is None else '/proc/%d/task/%d/schedstat' % (pid, tid)
    try:
        with open(path) as f:
            cpu, wait = f.read().split()[:2]
        return int(cpu), int(wait)
    except (OSError, ValueError):
        return 0, 0


def daemon_wait(pid):
    """Run-queue wait (ns) summed over the daemon's live threads."""
    try:
        tids = [int(t) for t in os.listdir('/proc/%d/task' % pid)]
    except OSError:
        return 0
    return sum(schedstat(pid, t)[1] for t in tids)


def _worker(roots, start, out):
    start.wait()
    w0 = schedstat(os.getpid())[1]
    files, nbytes = walk_read(roots)
    out.put((files, nbytes, schedstat(os.getpid())[1] - w0))


def proc_cpu(pid):
    """User + system CPU seconds used so far by process PID."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def parallel_walk_read(mnt, readers, daemon_pid):
    """Splits the mount's first-level directories among READERS processes
    (so no two read the same file or list the same directory), starts them
    together; returns (seconds, files, bytes, readers' CPU s, daemon CPU s,
    run-queue wait s of readers and daemon threads)."""
    top = sorted(e for e in os.listdir(mnt) if not e.startswith('.'))
    ctx = multiprocessing.get_context('fork')
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker,
                         args=([os.path.join(mnt, e) for e in top[k::readers]], start, out))
             for k in range(readers)]
    c0 = children_cpu()
    for p in procs:
        p.start()
    try:
        time.sleep(0.05)        # every worker is waiting on START
        d0 = proc_cpu(daemon_pid) if daemon_pid else 0
        dw0 = daemon_wait(daemon_pid) if daemon_pid else 0
        t0 = time.perf_counter()
        start.set()
        res = [out.get(timeout=600) for _ in procs]
        dt = time.perf_counter() - t0
        dcpu = proc_cpu(daemon_pid) - d0 if daemon_pid else 0
        dwait = daemon_wait(daemon_pid) - dw0 if daemon_pid else 0
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
                p.join()
    return (dt, sum(r[0] for r in res), sum(r[1] for r in res), children_cpu() - c0, dcpu,
            (sum(r[2] for r in res) + dwait) / 1e9)


# ---- the table ----------------------------------------------------------

class Table:
    def __init__(self):
        self.rows = []
        self.missed = []

    def add(self, figure, value, baseline=None, ratio=None, goal=None, ok=None):
        verdict = '' if ok is None else ('PASS' if ok else 'MISS')
        if ok is False:
            self.missed.append(figure)
        self.rows.append((figure, value, baseline or '-',
                          '-' if ratio is None else '%.3f' % ratio,
                          goal or '-', verdict))
        log('  %s: %s (baseline %s, ratio %s) %s'
            % (figure, value, baseline or '-', '-' if ratio is None else '%.3f' % ratio,
               verdict))

    def print(self):
        head = ('figure', 'value', 'baseline', 'ratio', 'goal', '')
        widths = [max(len(str(r[i])) for r in self.rows + [head]) for i in range(6)]
        fmt = '  '.join('%%-%ds' % w for w in widths)
        print(fmt % head)
        print(fmt % tuple('-' * w for w in widths))
        for r in self.rows:
            print((fmt % r).rstrip())


def paired(values, baselines):
    """The median over runs of value / baseline, each pair taken in the same
    run: other load on the machine comes and goes, and a pair measured
    back to back sees the same of it."""
    return statistics.median(v / b for v, b in zip(values, baselines))


def mbs(nbytes, seconds):
    return nbytes / seconds / 1e6


def fmt_mbs(v):
    return '%.0f MB/s' % v


# ---- the benchmarks -----------------------------------------------------

class Bench:
    def __init__(self, args, tmp, table):
        self.a = args
        self.tmp = tmp
        self.t = table
        self.cold_ok = True

    def figure(self, label, values, base_name, baselines, goal=None, test=None, fmt=str):
        """A row: the median value and baseline, their paired ratio, and
        TEST(ratio) as PASS/MISS."""
        ratio = paired(values, baselines)
        self.t.add(label, fmt(statistics.median(values)),
                   '%s %s' % (base_name, fmt(statistics.median(baselines))), ratio,
                   goal, None if test is None else test(ratio))

    def gen(self, name, *argv):
        path = os.path.join(self.tmp, name + '.abc')
        t0 = time.perf_counter()
        subprocess.run([self.a.abcgen] + list(argv) + [path], check=True)
        log('generated %s (%.1f MB) in %.1f s'
            % (name, os.path.getsize(path) / 1e6, time.perf_counter() - t0))
        return path

    def abcfs(self, archive, mnt, opts=(), probe=None):
        return Mount([self.a.abcfs, '-f'] + list(opts) + [archive, mnt], mnt, probe)

    def mnt(self, name):
        return os.path.join(self.tmp, 'mnt-' + name)

    def cold(self):
        if not drop_caches():
            self.cold_ok = False

    # 1 and 2 --------------------------------------------------------------

    def big(self):
        mib = self.a.big_mib
        archive = self.gen('big', 'big', '--mib', str(mib))
        sample = os.path.join('big', 'data', '0000.u8')
        variants = [('ceiling', None), ('abcfs splice', []), ('abcfs nosplice', ['-o', 'nosplice'])]
        cold = {v: [] for v, _ in variants}
        warm = {v: [] for v, _ in variants}
        fresh = {v: [] for v, _ in variants}
        direct, disk, via_xattr = [], [], []
        self.folios = None

        def mount(name, opts):
            mnt = self.mnt('big')
            if opts is None:
                # Single-threaded unless asked: built as given (FUSE_USE_VERSION
                # 34), its "mt" mode hands a 3.12-style loop config to the 3.2
                # entry point of libfuse 3.14, which then runs clone_fd with a
                # new thread per request -- a crippled baseline.
                return (Mount([self.a.ceiling, archive, mnt, 'splice', 'keep1']
                              + (['mt'] if self.a.ceiling_mt else []), mnt),
                        os.path.join(mnt, 'data'))
            return self.abcfs(archive, mnt, opts), os.path.join(mnt, sample)

        for r in range(self.a.repeat):
            self.cold()
            dt, n = timed_read(archive)
            disk.append(mbs(n, dt))
            # Rotated each run, so that no variant always goes first.
            order = variants[r % 3:] + variants[:r % 3]
            for name, opts in order:
                m, path = mount(name, opts)
                self.cold()
                with m:
                    dt, n = timed_read(path)
                    cold[name].append(mbs(n, dt))
                    dt, n = timed_read(path)
                    warm[name].append(mbs(n, dt))
                    if name == 'abcfs splice':
                        if self.folios is None:
                            self.folios = (folio_pages(path), folio_pages(archive))
                        try:
                            source, offset = direct_path(path)
                        except OSError as e:
                            log('no direct path: %s' % e)
                            continue
                        timed_read_range(source, offset, n)
                        dt, n2 = timed_read_range(source, offset, n)
                        if n2 != n:
                            raise RuntimeError('the direct path gave %d bytes of %d' % (n2, n))
                        via_xattr.append(mbs(n2, dt))
            # Fresh mounts again, the archive now in the page cache: the FUSE
            # path and the daemon without the disk's noise.
            for name, opts in order:
                m, path = mount(name, opts)
                with m:
                    dt, n = timed_read(path)
                    fresh[name].append(mbs(n, dt))
            # The archive file itself, warm.
            timed_read(archive)
            dt, n = timed_read(archive)
            direct.append(mbs(n, dt))
            log('run %d: cold %s; cached archive %s; re-read %s; direct %.0f MB/s'
                % (r + 1, ', '.join('%s %.0f' % (k, v[-1]) for k, v in cold.items()),
                   ', '.join('%s %.0f' % (k, v[-1]) for k, v in fresh.items()),
                   ', '.join('%s %.0f' % (k, v[-1]) for k, v in warm.items()), direct[-1]))
        tag = '' if self.cold_ok else ' (page cache NOT dropped: not permitted)'
        fig = self.figure
        self.last_warm, self.last_direct = warm['abcfs splice'], direct
        for name in ('abcfs splice', 'abcfs nosplice'):
            default = name == 'abcfs splice'
            fig('1. first read %d MiB, %s%s%s' % (mib, name, ' (default)' if default else '', tag),
                cold[name], 'ceiling', cold['ceiling'], '>= 0.90', lambda x: x >= 0.90, fmt_mbs)
        for name in ('abcfs splice', 'abcfs nosplice'):
            fig('   first read, archive already cached, %s (info)' % name,
                fresh[name], 'ceiling', fresh['ceiling'], fmt=fmt_mbs)
        fig('   first read, the archive file itself (info: the disk)', disk,
            'ceiling', cold['ceiling'], fmt=fmt_mbs)
        r = paired(cold['abcfs splice'], cold['abcfs nosplice'])
        self.t.add('   faster on first read (info)', 'splice' if r >= 1 else 'nosplice',
                   'splice/nosplice', r)
        for name in ('abcfs splice', 'abcfs nosplice'):
            default = name == 'abcfs splice'
            fig('2. re-read %d MiB, %s%s' % (mib, name, ' (default)' if default else ''),
                warm[name], 'file', direct, '>= 0.90', lambda x: x >= 0.90, fmt_mbs)
        fig('   re-read %d MiB, ceiling (info: the kernel\'s limit)' % mib, warm['ceiling'],
            'file', direct, fmt=fmt_mbs)
        fig('2. re-read %d MiB, abcfs vs the bare FUSE\'s re-read (keep_cache)' % mib,
            warm['abcfs splice'], 'ceiling', warm['ceiling'], '>= 0.90', lambda x: x >= 0.90,
            fmt_mbs)
        if via_xattr:
            fig('2. read %d MiB through user.abc.source/offset' % mib, via_xattr, 'file',
                direct[-len(via_xattr):], '>= 0.90', lambda x: x >= 0.90, fmt_mbs)
        self.folio_rows()
        os.unlink(archive)

    def folio_rows(self):
        """Whether the FUSE page cache holds large folios (what caps a
        re-read through any FUSE mount below the file's own speed)."""
        self.t.add('   kernel (info)', platform.release())
        fuse, ext = self.folios or (None, None)
        if fuse is None:
            ratio = None
            try:
                ratio = paired(self.last_warm, self.last_direct)
            except (AttributeError, ZeroDivisionError, statistics.StatisticsError):
                pass
            guess = ('unknown' if ratio is None else
                     'likely large' if ratio >= 0.9 else 'likely 4 KiB only')
            self.t.add('   FUSE page cache folios (info)', guess,
                       'inferred from timing: /proc/kpageflags not readable')
            return
        self.t.add('   FUSE page cache folios (info)',
                   '%s: %d of %d pages in large folios'
                   % ('large' if fuse[1] else '4 KiB only', fuse[1], fuse[0]),
                   'archive file: %d of %d' % (ext[1], ext[0]) if ext else 'archive file: -',
                   None, None, None)

    # 3 --------------------------------------------------------------------

    def mount_time(self):
        archives = [(n, self.gen('tree%d' % n, 'tree', '--objects', str(n)))
                    for n in (1, self.a.tree_objects)]
        probes = {}
        for n, archive in archives:
            mnt = self.mnt('tree')
            with self.abcfs(archive, mnt):
                first = sorted(e for e in os.listdir(mnt) if not e.startswith('.'))[0]
            probes[n] = first
        times = {n: [] for n, _ in archives}
        for _ in range(max(5, self.a.repeat)):
            for n, archive in archives:
                mnt = self.mnt('tree')
                with self.abcfs(archive, mnt, probe=os.path.join(mnt, probes[n])) as m:
                    times[n].append(m.t_ready - m.t_start)
        self.figure('3. mount time, %d objects' % self.a.tree_objects, times[self.a.tree_objects],
                    '1 object', times[1], '<= 1.5', lambda x: x <= 1.5,
                    lambda t: '%.1f ms' % (t * 1e3))
        for _, archive in archives:
            os.unlink(archive)

    # 4 --------------------------------------------------------------------

    def parallel(self):
        archive = self.gen('mesh', 'mesh', '--objects', '50', '--verts', str(self.a.mesh_verts),
                           '--frames', '24')
        res = {1: [], 2: []}
        for _ in range(self.a.repeat):
            for readers in (1, 2):
                mnt = self.mnt('mesh')
                # Fresh mount each time, archive warm in the page cache: what is
                # measured is the daemon and the kernel, not the disk.
                with self.abcfs(archive, mnt) as m:
                    r = parallel_walk_read(mnt, readers, m.proc.pid)
                    res[readers].append(r)
                    if readers == 1:
                        self.mesh_stats = stats(mnt)
                log('%d reader(s): %.3f s for %d files; CPU readers %.3f s, daemon %.3f s; '
                    'waited for a CPU %.3f s' % (readers, r[0], r[1], r[3], r[4], r[5]))
        files = res[1][0][1]
        nbytes = res[1][0][2]
        for readers in (1, 2):
            for r in res[readers]:
                if r[1] != files or r[2] != nbytes:
                    raise RuntimeError('%d readers read %d files, %d bytes; 1 reader %d, %d'
                                       % (readers, r[1], r[2], files, nbytes))
        t1 = statistics.median(r[0] for r in res[1])
        t2 = statistics.median(r[0] for r in res[2])
        cr = statistics.median(r[3] for r in res[1]) / files * 1e6
        cd = statistics.median(r[4] for r in res[1]) / files * 1e6
        self.t.add('4. read all %d sample files (%.1f MB), 1 reader' % (files, nbytes / 1e6),
                   '%.1f us/file' % (t1 / files * 1e6))
        self.t.add('   CPU per file, 1 reader (info)',
                   '%.1f us' % (cr + cd), 'reader %.1f + daemon %.1f us' % (cr, cd))
        cr2 = statistics.median(r[3] for r in res[2]) / files * 1e6
        cd2 = statistics.median(r[4] for r in res[2]) / files * 1e6
        self.t.add('   CPU per file, 2 readers (info)',
                   '%.1f us' % (cr2 + cd2), 'readers %.1f + daemon %.1f us' % (cr2, cd2))
        self.figure('   same, 2 readers in parallel', [files / r[0] for r in res[2]],
                    '1 reader', [files / r[0] for r in res[1]], '>= 1.6', lambda x: x >= 1.6,
                    lambda v: '%.0f files/s' % v)
        w1 = statistics.median(r[5] for r in res[1])
        w2 = statistics.median(r[5] for r in res[2])
        self.t.add('   run-queue wait (info: other load), 1 / 2 readers',
                   '%.0f / %.0f ms' % (w1 * 1e3, w2 * 1e3),
                   'wall %.0f / %.0f ms' % (t1 * 1e3, t2 * 1e3))
        log('daemon stats after 1 reader: %s' % self.mesh_stats)

        # Control: the same readers over a plain copy of the tree (local
        # file system, page cache warm).  Its speedup is what this machine,
        # with its cores and its other load, allows the readers alone.
        plain = os.path.join(self.tmp, 'plain')
        mnt = self.mnt('mesh')
        with self.abcfs(archive, mnt):
            shutil.copytree(mnt, plain, symlinks=True)
        ctl = {1: [], 2: []}
        for _ in range(self.a.repeat):
            for readers in (1, 2):
                ctl[readers].append(files / parallel_walk_read(plain, readers, None)[0])
        shutil.rmtree(plain)
        self.figure('   control: same readers on a plain copy, 2 vs 1 (info)', ctl[2],
                    '1 reader', ctl[1], fmt=lambda v: '%.0f files/s' % v)
        os.unlink(archive)

    # 5 --------------------------------------------------------------------

    def bytes_per_sample(self, archive, rel, what):
        mnt = self.mnt('stats')
        with self.abcfs(archive, mnt):
            before = stats(mnt)['bytes_read']
            path = os.path.join(mnt, rel)
            n = read_file(path, bytearray(CHUNK))
            after = stats(mnt)['bytes_read']
        levels = rel.count('/')          # directories between the mount and the file
        used = after - before
        limit = n + 4096 * levels
        self.t.add('5. bytes read for one sample, %s (%d levels)' % (what, levels),
                   '%d B' % used, 'payload %d B' % n, used / n if n else None,
                   '<= payload + 4 KiB/level = %d B' % limit, used <= limit)

    def memory(self):
        depth = self.a.deep
        archive = self.gen('deep', 'deep', '--depth', str(depth))
        rel = '/'.join(['d%d' % k for k in range(depth)] + ['depth', '0000.i32'])
        self.bytes_per_sample(archive, rel, 'deep --depth %d' % depth)
        os.unlink(archive)

        archive = self.gen('rss', 'mesh', '--objects', str(self.a.rss_objects), '--verts', '1000',
                           '--frames', '24')
        size = os.path.getsize(archive)
        self.bytes_per_sample(archive, 'xf0/mesh0/.geom/P/0000.f32', 'mesh P')
        mnt = self.mnt('rss')
        with self.abcfs(archive, mnt) as m:
            rss0 = m.status('VmRSS')
            t0 = time.perf_counter()
            files, nbytes = walk_read([mnt])
            dt = time.perf_counter() - t0
            hwm, rss = m.status('VmHWM'), m.status('VmRSS')
            st = stats(mnt)
        log('read %d files, %.1f MB in %.1f s; daemon stats: %s' % (files, nbytes / 1e6, dt, st))
        self.t.add('5. daemon peak RSS after reading %d files of %.0f MB' % (files, size / 1e6),
                   '%.1f MiB (now %.1f)' % (hwm / MIB, rss / MIB),
                   'after mount %.1f MiB' % (rss0 / MIB), None, '<= 64 MiB', hwm <= 64 * MIB)
        os.unlink(archive)


    # 6 --------------------------------------------------------------------

    def request_delta(self, mnt, action):
        """FUSE requests by opcode that ACTION caused (user.abcfs.stats before
        and after; reading the stats costs requests of its own, measured by
        reading them twice before)."""
        first = stats(mnt)['requests']
        before = stats(mnt)['requests']     # what one stats read costs
        action()
        after = stats(mnt)['requests']
        d = {k: after[k] - before[k] - (before[k] - first[k]) for k in after}
        return {k: v for k, v in d.items() if v}

    def request_row(self, label, counts, files):
        total = sum(counts.values())
        by_op = ', '.join('%s %d' % (k, v)
                          for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
        self.t.add(label, '%.2f/file' % (total / files), '%d files' % files, None,
                   None, None)
        log('    by opcode, total: %s' % (by_op or 'none'))
        self.t.rows.append(('     ' + (by_op or 'none'), '', '', '', '', ''))

    def requests(self):
        """Messages per file, cold (fresh mount: the kernel knows nothing)
        and warm (the same again), by opcode, for three ways of reading."""
        mesh = self.gen('reqmesh', 'mesh', '--objects', '50', '--verts', str(self.a.mesh_verts),
                        '--frames', '24')
        series = self.gen('reqseries', 'samples', '--samples', '5000')
        mnt = self.mnt('req')

        def find_cat():
            subprocess.run('find %s -type f -exec cat {} + >/dev/null' % mnt, shell=True,
                           check=True)
        with self.abcfs(mesh, mnt):
            counts = [self.request_delta(mnt, find_cat) for _ in range(2)]
            files = sum(len(n) for _d, _s, n in os.walk(mnt))
            for state, c in zip(('cold', 'warm'), counts):
                self.request_row('6. find -type f -exec cat, %s' % state, c, files)

        big = os.path.join(mnt, 'series', 'value')

        def ls_l():
            subprocess.run(['ls', '-l', big], check=True, stdout=subprocess.DEVNULL)
        def find_cat_big():
            subprocess.run('find %s -type f -exec cat {} + >/dev/null' % big, shell=True,
                           check=True)
        files = 5000
        with self.abcfs(series, mnt):
            for state in ('cold', 'warm'):
                self.request_row('6. ls -l of a %d-entry directory, %s' % (files, state),
                                 self.request_delta(mnt, ls_l), files)
        with self.abcfs(series, mnt):
            for state in ('cold', 'warm'):
                self.request_row('6. find -type f -exec cat in a %d-entry directory, %s'
                                 % (files, state), self.request_delta(mnt, find_cat_big), files)

        npy = os.path.join(big, '.npy', '0000.npy')

        def np_load():
            subprocess.run(['/usr/bin/python3', '-c',
                            'import sys, numpy; numpy.load(sys.argv[1])', npy], check=True)
        with self.abcfs(series, mnt):
            for state in ('cold', 'warm'):
                self.request_row('6. numpy.load of one .npy sample, %s' % state,
                                 self.request_delta(mnt, np_load), 1)
        os.unlink(mesh)
        os.unlink(series)


    # 7 --------------------------------------------------------------------

    def scan(self):
        """find -type f -exec cat over every file of figure 4's mesh archive
        on a fresh mount (the kernel knows nothing of the tree; the archive
        is in the page cache), vs the same tree copied to tmpfs."""
        archive = self.gen('scan', 'mesh', '--objects', '50', '--verts',
                           str(self.a.mesh_verts), '--frames', '24')
        shm = '/dev/shm' if tmpfs_dir('/dev/shm') else None
        copy = tempfile.mkdtemp(prefix='abcfs-scan-', dir=shm or self.tmp)
        mnt = self.mnt('scan')
        try:
            with self.abcfs(archive, mnt):
                shutil.copytree(mnt, os.path.join(copy, 't'), symlinks=True)
            tree = os.path.join(copy, 't')
            files = sum(len(n) for _d, _s, n in os.walk(tree))

            def find_cat(root):
                t0 = time.perf_counter()
                subprocess.run('find %s -type f -exec cat {} + >/dev/null' % root, shell=True,
                               check=True)
                return time.perf_counter() - t0
            timed_read(archive)
            cold, warm, plain, reads = [], [], [], []
            for r in range(self.a.repeat):
                for which in (('fuse', 'tmpfs') if r % 2 == 0 else ('tmpfs', 'fuse')):
                    if which == 'tmpfs':
                        plain.append(find_cat(tree))
                        continue
                    with self.abcfs(archive, mnt):
                        before = stats(mnt)['requests']
                        cold.append(find_cat(mnt))
                        after = stats(mnt)['requests']
                        warm.append(find_cat(mnt))
                    reads.append(sum(after.values()) - sum(before.values()) - 2)
                log('scan run %d: fresh mount %.0f ms, again %.0f ms, tmpfs %.0f ms'
                    % (r + 1, cold[-1] * 1e3, warm[-1] * 1e3, plain[-1] * 1e3))
            us = lambda t: '%.1f us/file' % (t / files * 1e6)
            self.figure('7. cold scan (find + cat) of %d files, fresh mount' % files, cold,
                        'tmpfs' if shm else 'local copy', plain, '<= 1.5', lambda x: x <= 1.5, us)
            self.figure('   same scan again (info)', warm, 'tmpfs' if shm else 'local copy',
                        plain, fmt=us)
            self.t.add('   requests per file, cold scan (info)',
                       '%.2f' % (statistics.median(reads) / files))
        finally:
            shutil.rmtree(copy, ignore_errors=True)
            os.unlink(archive)


def tmpfs_dir(path):
    """True when PATH is a tmpfs mount point."""
    try:
        with open('/proc/mounts') as f:
            return any(line.split()[1] == path and line.split()[2] == 'tmpfs' for line in f)
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--abcgen', required=True)
    ap.add_argument('--abcfs', required=True)
    ap.add_argument('--ceiling', required=True, help='the fuse_ceiling binary')
    ap.add_argument('--repeat', type=int, default=5, help='runs per figure')
    ap.add_argument('--big-mib', type=int, default=256)
    ap.add_argument('--tree-objects', type=int, default=100000)
    ap.add_argument('--mesh-verts', type=int, default=1000)
    ap.add_argument('--rss-objects', type=int, default=1000)
    ap.add_argument('--deep', type=int, default=32, help='depth of the deep archive')
    ap.add_argument('--ceiling-mt', action='store_true',
                    help='run the ceiling with its "mt" loop (default: single-threaded, its best)')
    ap.add_argument('--only', default='1234567', help='which figures, e.g. 35')
    ap.add_argument('--quick', action='store_true', help='small sizes, one run: a smoke test')
    ap.add_argument('--strict', action='store_true', help='exit 1 when a goal is missed')
    ap.add_argument('--nice', type=int, default=0,
                    help='run at this nice value (negative needs root): less noise from other load')
    a = ap.parse_args()
    if a.quick:
        a.repeat, a.big_mib, a.tree_objects, a.rss_objects = 1, 32, 10000, 50

    why = fuse_usable()
    if why:
        print('bench_mount: skipped: %s' % why)
        return 77
    for exe in (a.abcgen, a.abcfs, a.ceiling):
        if not os.access(exe, os.X_OK):
            print('bench_mount: %s is not an executable' % exe, file=sys.stderr)
            return 2

    if a.nice and os.environ.get('ABCFS_BENCH_SESSION') != '1':
        # The scheduler's autogroups share the CPUs fairly among sessions,
        # whatever the nice value inside one: run again in a session of our
        # own and give that group the nice value.
        env = dict(os.environ, ABCFS_BENCH_SESSION='1')
        return subprocess.run([sys.executable] + sys.argv, env=env,
                              start_new_session=True).returncode
    if a.nice:
        try:
            with open('/proc/self/autogroup', 'w') as f:
                f.write('%d\n' % a.nice)
        except OSError as e:
            log('bench_mount: cannot set the autogroup nice to %d: %s' % (a.nice, e))
        try:
            os.nice(a.nice)
        except OSError as e:
            log('bench_mount: cannot renice to %d: %s' % (a.nice, e))
    with open('/proc/loadavg') as f:
        load = ' '.join(f.read().split()[:3])
    log('load average at start: %s' % load)
    table = Table()
    failed = False
    tmp = tempfile.mkdtemp(prefix='abcfs-bench-', dir='/tmp')
    try:
        b = Bench(a, tmp, table)
        steps = {'1': b.big, '3': b.mount_time, '4': b.parallel, '5': b.memory,
                 '6': b.requests, '7': b.scan}
        if '1' not in a.only and '2' in a.only:
            steps['2'] = b.big
        for k in sorted(steps):
            if k in a.only:
                try:
                    steps[k]()
                except (OSError, RuntimeError, subprocess.CalledProcessError) as e:
                    # One broken figure must not hide the others.
                    log('bench_mount: figure %s failed: %s' % (k, e))
                    table.add('%s. FAILED: %s' % (k, e), '-', ok=False)
                    failed = True
    finally:
        # Nothing may stay mounted; never recurse into a live mount.
        for e in os.listdir(tmp):
            p = os.path.join(tmp, e)
            if is_mounted(p):
                unmount(p, None)
        if any(is_mounted(os.path.join(tmp, e)) for e in os.listdir(tmp)):
            log('bench_mount: %s left in place: still mounted' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(flush=True)
    print('abcfs mount benchmarks: medians of %d runs, ratios paired by run; '
          'load average at start %s; kernel %s' % (a.repeat, load, platform.release()))
    table.print()
    if table.missed:
        print('\nmissed: ' + '; '.join(table.missed))
    return 1 if failed or (a.strict and table.missed) else 0


if __name__ == '__main__':
    sys.exit(main())
