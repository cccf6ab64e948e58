#!/usr/bin/env python3
"""Directory mount benchmarks of abcfs (`abcfs [-o max_open=N] DIR MOUNTPOINT`,
fs/shelf.c): each figure with its baseline measured in the same run, so the
ratio means something on any machine.

DIR holds --folders subdirectories of --per-folder archives each (default
10 x 100 = 1000): hard links to five archives made by abcgen (meshes of
about 0.5, 1.2 and 5 MB, a 1000-object tree of 0.2 MB, and the 1.2 MB mesh
as blocked gzip, *.abc.gz), taken in turn, so that sizes and kinds differ
while the disk holds only the five (--quick: 2 x 50 archives, one run).
"One archive" below is the 1.2 MB mesh mounted directly (`abcfs ARCHIVE
MNT`).

  1. mount time, from the daemon's start until os.stat(MNT/<first folder>)
     answers, of DIR vs one archive's mount (until its first entry
     stats); goal ratio <= 1.5, i.e. no work per archive at mount (the
     one-archive mount even opens and checks its archive);
  2. the daemon's VmRSS (-f, -o max_open=64): right after mount; after
     listing every folder and stat of every archive directory (a walk that
     never enters an archive, which opens none); after a listdir inside
     every archive directory (which opens each; at most 64 stay open).
     Each vs a baseline (the one-archive mount after mount, DIR after
     mount, the one-archive mount with its root listed), and the growth
     as KiB per archive.  The nodes of closed archives stay as long as the
     kernel holds their entries, so RSS after touching all still grows
     with the archives touched; peak RSS and RssAnon are info;
  3. the root's user.abcfs.stats (archives, open, opens, closes) after each
     step of figure 2: 0 opens after mount and after the listing (goal),
     open <= max_open and one open per archive after touching all (goal);
     and (info) how many archives `ls -l` of every folder opens (ls reads
     the ACL and security xattrs of each entry) and its time vs the
     listing + stat of figure 2, each on a fresh mount;
  4. first touch of an archive on a fresh mount (-o max_open=N, so that no
     archive is closed meanwhile): mean time of the first listdir inside
     an archive directory (which opens the archive) of --touch archives,
     vs listdir of the root of a fresh one-archive mount of the same
     archive (opened at mount); the same listdir again (info); and the
     read of one sample file (the first *.f32 of the archive, else its
     first regular file) in --touch other archives: first touch (lookups
     of its path and the archive's open included) vs reading it again,
     and (info) its first read on a fresh one-archive mount (no open);
  5. (info) `find MNT/<folder> -type f | wc -l` over one folder's archives
     (--per-folder, 100) on a fresh mount with -o max_open=16 vs
     max_open=N (nothing closed): the cost of LRU churn; and the same find
     again, whose listings the kernel does not cache, so that with 16 open
     every archive is opened again.  Opens and closes come from
     user.abcfs.stats.

Each value is the median of --repeat runs (figure 1: at least 5, mounts
are cheap); the variants of a figure are measured back to back in every run
(in rotated order) and its ratio is the median of the per-run ratios
(tools/bench_mount.py, whose mounts and table this script uses).  Every
archive is in the page cache (made just before): what is measured is the
daemon and the kernel, not the disk.

Archives come from abcgen into a temporary directory under /tmp that is
removed at the end; every mount is taken down in a finally block.  Without
/dev/fuse (or fusermount3) it prints why and exits 77 (skip).  The exit
status is 0 even when a goal is missed (these are measurements, not timed
tests) unless --strict is given; 1 if a figure could not be measured.

  bench_dir.py --abcgen build/tools/abcgen --abccopy build/tools/abccopy \\
               --abcfs build/fs/abcfs [--repeat N] [--only 12345] [--quick] [--nice -15]
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_mount as bm  # noqa: E402  (the shared mounts and table)

KIB, MIB = 1 << 10, 1 << 20
RSS_MAX_OPEN = 64               # max_open of figures 2 and 3 (the daemon's default)
CHURN_MAX_OPEN = 16             # the small max_open of figure 5

# name, abcgen arguments (None: the gzip copy of 'mesh-m'), file suffix
TEMPLATES = [
    ('mesh-s', ['mesh', '--objects', '4', '--verts', '1000', '--frames', '10'], '.abc'),
    ('mesh-m', ['mesh', '--objects', '10', '--verts', '1000', '--frames', '10'], '.abc'),
    ('mesh-l', ['mesh', '--objects', '20', '--verts', '2000', '--frames', '10'], '.abc'),
    ('tree', ['tree', '--objects', '1000'], '.abc'),
    ('mesh-gz', None, '.abc.gz'),
]
SINGLE = 'mesh-m'               # the one archive mounted directly


def is_archive(name):
    return name.endswith('.abc') or name.endswith('.abc.gz')


def list_folders(root):
    """Lists every folder under ROOT and stats every entry, never going
    into an archive's directory (os.walk would); returns the archive
    directories, sorted."""
    archives, todo = [], [root]
    while todo:
        d = todo.pop()
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            st = os.stat(p)
            if is_archive(name):
                archives.append(p)
            elif (st.st_mode & 0o170000) == 0o040000:
                todo.append(p)
    return sorted(archives)


def timed(fn, *args):
    t0 = time.perf_counter()
    r = fn(*args)
    return time.perf_counter() - t0, r


def read_all(path):
    return bm.read_file(path, bytearray(bm.CHUNK))


def ms(t):
    return '%.1f ms' % (t * 1e3)


def us(t):
    return '%.0f us' % (t * 1e6)


def mib(n):
    return '%.1f MiB' % (n / MIB)


class DirBench:
    def __init__(self, args, tmp, table):
        self.a = args
        self.tmp = tmp
        self.t = table
        self.templates = {}     # name -> archive file
        self.probe = {}         # name -> first top-level entry of its tree
        self.sample = {}        # name -> path of one sample file inside its tree
        self.of = {}            # relative archive path in DIR -> template name
        self.dir = os.path.join(tmp, 'shelf')
        self.stats_ok = None    # None, or why user.abcfs.stats cannot be read

    # ---- setup ------------------------------------------------------------

    def setup(self):
        for name, argv, suffix in TEMPLATES:
            path = os.path.join(self.tmp, name + suffix)
            if argv is None:
                cmd = [self.a.abccopy, '--gzip', self.templates['mesh-m'], path]
            else:
                cmd = [self.a.abcgen] + argv + [path]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            self.templates[name] = path
            bm.log('template %s: %.2f MB' % (name, os.path.getsize(path) / 1e6))
        # Hard links: a thousand archives for the disk space of five.
        names = [n for n, _a, _s in TEMPLATES]
        i = 0
        for f in range(self.a.folders):
            folder = os.path.join(self.dir, 'shot%02d' % f)
            os.makedirs(folder)
            for k in range(self.a.per_folder):
                tpl = names[i % len(names)]
                rel = os.path.join('shot%02d' % f, 'take%03d%s' % (k, TEMPLATES[i % len(names)][2]))
                os.link(self.templates[tpl], os.path.join(self.dir, rel))
                self.of[rel] = tpl
                i += 1
        self.n = i
        # Where to look inside each template: its first entry (the probe
        # of a one-archive mount) and one sample file.
        for name, path in self.templates.items():
            mnt = self.mnt('probe')
            with self.abcfs(path, mnt):
                self.probe[name] = sorted(e for e in os.listdir(mnt) if not e.startswith('.'))[0]
                self.sample[name] = find_sample(mnt)
            bm.log('template %s: probe %s, sample %s' % (name, self.probe[name], self.sample[name]))
        # Is the stats xattr there at all?
        mnt = self.mnt('dir')
        with self.dirmount(mnt):
            try:
                bm.stats(mnt)
            except (OSError, ValueError) as e:
                self.stats_ok = 'user.abcfs.stats of the root unreadable: %s' % e
                bm.log('bench_dir: %s; figures 3 and 5 lose their counts' % self.stats_ok)
        total = sum(os.path.getsize(p) for p in self.templates.values())
        bm.log('DIR: %d archives in %d folders (hard links to %d files, %.1f MB)'
               % (self.n, self.a.folders, len(self.templates), total / 1e6))

    def mnt(self, name):
        return os.path.join(self.tmp, 'mnt-' + name)

    def abcfs(self, archive, mnt, opts=(), probe=None):
        return bm.Mount([self.a.abcfs, '-f'] + list(opts) + [archive, mnt], mnt, probe)

    def dirmount(self, mnt, max_open=None, probe=None):
        opts = ['-o', 'max_open=%d' % max_open] if max_open else []
        return self.abcfs(self.dir, mnt, opts, probe)

    def stats(self, mnt):
        """user.abcfs.stats, or None when figure 3 found it missing."""
        return None if self.stats_ok else bm.stats(mnt)

    def archive_paths(self, mnt):
        return [os.path.join(mnt, rel) for rel in sorted(self.of)]

    def single(self):
        return self.templates[SINGLE]

    # 1 --------------------------------------------------------------------

    def mount_time(self):
        dmnt, smnt = self.mnt('dir'), self.mnt('one')
        variants = [('dir', lambda: self.dirmount(dmnt, probe=os.path.join(dmnt, 'shot00'))),
                    ('one', lambda: self.abcfs(self.single(), smnt,
                                               probe=os.path.join(smnt, self.probe[SINGLE])))]
        times = {v: [] for v, _ in variants}
        opens = []
        for r in range(max(5, self.a.repeat)):
            for name, make in variants[r % 2:] + variants[:r % 2]:
                with make() as m:
                    times[name].append(m.t_ready - m.t_start)
                    if name == 'dir' and not self.stats_ok:
                        opens.append(bm.stats(dmnt)['opens'])
        bm.log('mount times: DIR %s; one archive %s'
               % (', '.join(ms(t) for t in times['dir']), ', '.join(ms(t) for t in times['one'])))
        fig = '1. mount time, DIR of %d archives' % self.n
        ratio = bm.paired(times['dir'], times['one'])
        self.t.add(fig, ms(statistics.median(times['dir'])),
                   'one archive %s' % ms(statistics.median(times['one'])), ratio,
                   '<= 1.5', ratio <= 1.5)
        if opens:
            self.t.add('   archives opened by the mount (info)', '%d' % max(opens))

    # 2 and 3 --------------------------------------------------------------

    def memory(self):
        dmnt, smnt = self.mnt('dir'), self.mnt('one')
        steps = ('mount', 'list', 'touch')
        rss = {k: [] for k in steps}
        anon, hwm, st = [], [], {k: [] for k in steps}
        one = {'mount': [], 'list': []}
        for r in range(self.a.repeat):
            def run_dir():
                with self.dirmount(dmnt, RSS_MAX_OPEN) as m:
                    rss['mount'].append(m.status('VmRSS'))
                    st['mount'].append(self.stats(dmnt))
                    archives = list_folders(dmnt)
                    if len(archives) != self.n:
                        raise RuntimeError('the listing found %d archives of %d'
                                           % (len(archives), self.n))
                    rss['list'].append(m.status('VmRSS'))
                    st['list'].append(self.stats(dmnt))
                    for p in archives:
                        os.listdir(p)
                    rss['touch'].append(m.status('VmRSS'))
                    anon.append(m.status('RssAnon'))
                    hwm.append(m.status('VmHWM'))
                    st['touch'].append(self.stats(dmnt))

            def run_one():
                with self.abcfs(self.single(), smnt) as m:
                    one['mount'].append(m.status('VmRSS'))
                    os.listdir(smnt)
                    one['list'].append(m.status('VmRSS'))
            for run in ((run_dir, run_one) if r % 2 == 0 else (run_one, run_dir)):
                run()
            bm.log('RSS run %d: DIR %s; one archive %s'
                   % (r + 1, ' / '.join(mib(rss[k][-1]) for k in steps),
                      ' / '.join(mib(one[k][-1]) for k in one)))
        n = self.n
        med = {k: statistics.median(v) for k, v in rss.items()}
        per = lambda k: '%.2f KiB/archive' % ((med[k] - med['mount']) / n / KIB)
        self.t.add('2. daemon RSS right after mount, DIR', mib(med['mount']),
                   'one archive %s' % mib(statistics.median(one['mount'])),
                   bm.paired(rss['mount'], one['mount']))
        self.t.add('2. RSS after listing every folder + stat of %d archive dirs' % n,
                   '%s (+%s)' % (mib(med['list']), per('list')),
                   'DIR after mount %s' % mib(med['mount']), bm.paired(rss['list'], rss['mount']))
        self.t.add('2. RSS after listdir inside every archive, max_open=%d' % RSS_MAX_OPEN,
                   '%s (+%s)' % (mib(med['touch']), per('touch')),
                   'one archive, root listed %s' % mib(statistics.median(one['list'])),
                   bm.paired(rss['touch'], one['list']))
        self.t.add('   same, peak (VmHWM) / anonymous (RssAnon) (info)',
                   '%s / %s' % (mib(statistics.median(hwm)), mib(statistics.median(anon))))
        self.stats_rows(st)

    def stats_rows(self, st):
        if self.stats_ok:
            self.t.add('3. user.abcfs.stats: cannot be measured (%s)' % self.stats_ok, '-')
            return

        def show(s):
            return 'archives %d, opens %d, closes %d, open %d' % (
                s['archives'], s['opens'], s['closes'], s['open'])
        n = self.n
        for s in st['touch']:
            bm.log('stats after touching all: %s' % s)
        # Counts are exact, not timed: every run must meet the goal.
        ok = all(s['opens'] == 0 and s['open'] == 0 for s in st['mount'])
        self.t.add('3. stats after mount', show(st['mount'][-1]), None, None, 'opens 0', ok)
        ok = all(s['opens'] == 0 and s['archives'] == n for s in st['list'])
        self.t.add('3. stats after listing + stat of every archive dir', show(st['list'][-1]),
                   None, None, 'opens 0, archives %d' % n, ok)
        ok = all(s['open'] <= s['max_open'] and s['opens'] == n for s in st['touch'])
        self.t.add('3. stats after listdir inside every archive', show(st['touch'][-1]),
                   'max_open %d' % st['touch'][-1]['max_open'], None,
                   'open <= max_open, opens %d' % n, ok)
        self.ls_l()

    def ls_l(self):
        """`ls -l` of every folder (stat plus getxattr of security.selinux
        and the POSIX ACLs of each entry) vs the listing + stat of figure
        2, each on a fresh mount: time, and archives opened."""
        mnt = self.mnt('dir')
        ls, walk, opens = [], [], []
        for r in range(self.a.repeat):
            for which in (('ls', 'walk') if r % 2 == 0 else ('walk', 'ls')):
                with self.dirmount(mnt, RSS_MAX_OPEN):
                    if which == 'walk':
                        walk.append(timed(list_folders, mnt)[0])
                        continue
                    folders = sorted(os.path.join(mnt, e) for e in os.listdir(mnt))
                    t0 = time.perf_counter()
                    subprocess.run(['ls', '-l'] + folders, check=True, stdout=subprocess.DEVNULL)
                    ls.append(time.perf_counter() - t0)
                    s = bm.stats(mnt)
                    opens.append(s['opens'])
                    bm.log('stats after ls -l of every folder: %s' % s)
        self.figure('   ls -l of every folder, opens %d of %d archives (info)'
                    % (statistics.median(opens), self.n), ls, 'listing + stat', walk, fmt=ms)

    # 4 --------------------------------------------------------------------

    def first_touch(self):
        touch = min(self.a.touch, self.n // 2)
        dmnt, smnt = self.mnt('dir'), self.mnt('one')
        paths = self.archive_paths(dmnt)
        rels = sorted(self.of)
        set_a, set_b = range(0, touch), range(touch, 2 * touch)
        first, again, read1, read2, base_ls, base_read = [], [], [], [], [], []
        used = sorted({self.of[rels[i]] for i in list(set_a) + list(set_b)})
        for r in range(self.a.repeat):
            def run_dir():
                with self.dirmount(dmnt, self.n):
                    # The archives' own entries are looked up first: what is
                    # timed is the work inside them.
                    for d in sorted(os.listdir(dmnt)):
                        os.listdir(os.path.join(dmnt, d))
                    t1, t2 = [], []
                    for i in set_a:
                        t1.append(timed(os.listdir, paths[i])[0])
                        t2.append(timed(os.listdir, paths[i])[0])
                    r1, r2 = [], []
                    for i in set_b:
                        p = os.path.join(paths[i], self.sample[self.of[rels[i]]])
                        r1.append(timed(read_all, p)[0])
                        r2.append(timed(read_all, p)[0])
                    s = self.stats(dmnt)
                    if s is not None and s['closes']:
                        raise RuntimeError('%d archives closed with max_open=%d'
                                           % (s['closes'], self.n))
                first.append(statistics.mean(t1))
                again.append(statistics.mean(t2))
                read1.append(statistics.mean(r1))
                read2.append(statistics.mean(r2))

            def run_one():
                # Per template, each on a fresh mount: listdir of the root,
                # and the first read of the sample file.
                ls_t, rd_t = {}, {}
                for name in used:
                    with self.abcfs(self.templates[name], smnt):
                        ls_t[name] = timed(os.listdir, smnt)[0]
                    with self.abcfs(self.templates[name], smnt):
                        rd_t[name] = timed(read_all, os.path.join(smnt, self.sample[name]))[0]
                # Weighed as the archives of sets A and B are.
                base_ls.append(statistics.mean(ls_t[self.of[rels[i]]] for i in set_a))
                base_read.append(statistics.mean(rd_t[self.of[rels[i]]] for i in set_b))
                bm.log('one-archive mounts: listdir of the root %s; first read %s'
                       % (', '.join('%s %s' % (k, us(v)) for k, v in ls_t.items()),
                          ', '.join('%s %s' % (k, us(v)) for k, v in rd_t.items())))
            for run in ((run_dir, run_one) if r % 2 == 0 else (run_one, run_dir)):
                run()
            bm.log('first touch run %d: listdir %s, again %s; read %s, again %s'
                   % (r + 1, us(first[-1]), us(again[-1]), us(read1[-1]), us(read2[-1])))
        fig = self.figure
        fig('4. first listdir inside an archive dir, mean of %d (opens it)' % touch, first,
            'root of a one-archive mount', base_ls, fmt=us)
        fig('   same listdir again (info)', again, 'root of a one-archive mount', base_ls,
            fmt=us)
        fig('4. read one sample file, first touch, mean of %d archives' % touch, read1,
            'second touch', read2, fmt=us)
        fig('   its first read on a fresh one-archive mount (info: no open)', base_read,
            'second touch', read2, fmt=us)

    def figure(self, label, values, base_name, baselines, goal=None, test=None, fmt=str):
        ratio = bm.paired(values, baselines)
        self.t.add(label, fmt(statistics.median(values)),
                   '%s %s' % (base_name, fmt(statistics.median(baselines))), ratio,
                   goal, None if test is None else test(ratio))

    # 5 --------------------------------------------------------------------

    def churn(self):
        dmnt = self.mnt('dir')
        folder = sorted(os.listdir(self.dir))[0]
        n_arch = sum(1 for rel in self.of if rel.startswith(folder + os.sep))
        variants = [CHURN_MAX_OPEN, self.n]
        res = {v: {'first': [], 'again': []} for v in variants}
        counts = {}
        ops = {}
        cmd = 'find %s -type f | wc -l' % os.path.join(dmnt, folder)
        for r in range(self.a.repeat):
            for max_open in variants[r % 2:] + variants[:r % 2]:
                with self.dirmount(dmnt, max_open):
                    seen = []
                    for step in ('first', 'again'):
                        s0 = self.stats(dmnt)
                        t0 = time.perf_counter()
                        out = subprocess.run(cmd, shell=True, check=True, capture_output=True)
                        res[max_open][step].append(time.perf_counter() - t0)
                        seen.append(int(out.stdout))
                        s1 = self.stats(dmnt)
                        if s1 is not None:
                            ops[(max_open, step)] = (s1['opens'] - s0['opens'],
                                                     s1['closes'] - s0['closes'])
                    counts[max_open] = seen
            bm.log('find run %d: %s' % (r + 1, '; '.join(
                'max_open=%d %s then %s' % (v, ms(res[v]['first'][-1]), ms(res[v]['again'][-1]))
                for v in variants)))
        if len({c for v in counts.values() for c in v}) != 1:
            raise RuntimeError('find counted different files: %s' % counts)
        files = counts[self.n][0]
        for step, what in (('first', '5. find -type f | wc over %d archives (%d files), '
                                     'max_open=%d (info)' % (n_arch, files, CHURN_MAX_OPEN)),
                           ('again', '   same find again, max_open=%d (info)' % CHURN_MAX_OPEN)):
            self.figure(what, res[CHURN_MAX_OPEN][step], 'max_open=%d' % self.n,
                        res[self.n][step], fmt=ms)
        if ops:
            show = lambda v, step: 'opens %d, closes %d' % ops[(v, step)]
            for step in ('first', 'again'):
                self.t.add('   %s find: opens, closes (info)' % step,
                           'max_open=%d: %s' % (CHURN_MAX_OPEN, show(CHURN_MAX_OPEN, step)),
                           'max_open=%d: %s' % (self.n, show(self.n, step)))
        else:
            self.t.add('   opens, closes: cannot be measured (%s)' % self.stats_ok, '-')


def find_sample(mnt):
    """The first *.f32 file under MNT, else its first regular file, as a
    path relative to MNT (hidden views are not listed, so not seen)."""
    other = None
    for d, dirs, names in os.walk(mnt):
        dirs.sort()
        for name in sorted(names):
            p = os.path.join(d, name)
            if not os.path.isfile(p) or os.path.islink(p):
                continue
            if name.endswith('.f32'):
                return os.path.relpath(p, mnt)
            if other is None:
                other = os.path.relpath(p, mnt)
    if other is None:
        raise RuntimeError('no regular file in %s' % mnt)
    return other


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--abcgen', required=True)
    ap.add_argument('--abccopy', required=True)
    ap.add_argument('--abcfs', required=True)
    ap.add_argument('--repeat', type=int, default=3, help='runs per figure')
    ap.add_argument('--folders', type=int, default=10, help='subdirectories of DIR')
    ap.add_argument('--per-folder', type=int, default=100, help='archives per subdirectory')
    ap.add_argument('--touch', type=int, default=100, help='archives timed in figure 4')
    ap.add_argument('--only', default='12345', help='which figures, e.g. 14')
    ap.add_argument('--quick', action='store_true', help='100 archives, one run: a smoke test')
    ap.add_argument('--strict', action='store_true', help='exit 1 when a goal is missed')
    ap.add_argument('--nice', type=int, default=0,
                    help='run at this nice value (negative needs root): less noise from other load')
    a = ap.parse_args()
    if a.quick:
        a.repeat, a.folders, a.per_folder, a.touch = 1, 2, 50, 50

    why = bm.fuse_usable()
    if why:
        print('bench_dir: skipped: %s' % why)
        return 77
    for exe in (a.abcgen, a.abccopy, a.abcfs):
        if not os.access(exe, os.X_OK):
            print('bench_dir: %s is not an executable' % exe, file=sys.stderr)
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
            bm.log('bench_dir: cannot set the autogroup nice to %d: %s' % (a.nice, e))
        try:
            os.nice(a.nice)
        except OSError as e:
            bm.log('bench_dir: cannot renice to %d: %s' % (a.nice, e))
    with open('/proc/loadavg') as f:
        load = ' '.join(f.read().split()[:3])
    bm.log('load average at start: %s' % load)
    table = bm.Table()
    failed = False
    t_start = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix='abcfs-bench-dir-', dir='/tmp')
    b = DirBench(a, tmp, table)
    try:
        b.setup()
        steps = {'1': b.mount_time, '2': b.memory, '4': b.first_touch, '5': b.churn}
        if '2' not in a.only and '3' in a.only:
            steps['3'] = b.memory
        for k in sorted(steps):
            if k in a.only:
                try:
                    steps[k]()
                except (OSError, RuntimeError, ValueError, subprocess.CalledProcessError) as e:
                    # One broken figure must not hide the others.
                    msg = str(e)[:300]
                    bm.log('bench_dir: figure %s failed: %s' % (k, msg))
                    table.add('%s. FAILED: %s' % (k, msg), '-', ok=False)
                    failed = True
    except (OSError, RuntimeError, subprocess.CalledProcessError) as e:
        bm.log('bench_dir: setup failed: %s' % e)
        table.add('setup FAILED: %s' % str(e)[:300], '-', ok=False)
        failed = True
    finally:
        # Nothing may stay mounted; never recurse into a live mount.
        for e in os.listdir(tmp):
            p = os.path.join(tmp, e)
            if bm.is_mounted(p):
                bm.unmount(p, None)
        if any(bm.is_mounted(os.path.join(tmp, e)) for e in os.listdir(tmp)):
            bm.log('bench_dir: %s left in place: still mounted' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    with open('/proc/loadavg') as f:
        load_end = ' '.join(f.read().split()[:3])
    print(flush=True)
    print('abcfs directory mount benchmarks: %d archives in %d folders; medians of %d runs, '
          'ratios paired by run; nice %d; load average at start %s, at end %s; kernel %s; %.0f s'
          % (a.folders * a.per_folder, a.folders, a.repeat, a.nice, load, load_end,
             platform.release(), time.perf_counter() - t_start))
    table.print()
    if table.missed:
        print('\nmissed: ' + '; '.join(table.missed))
    return 1 if failed or (a.strict and table.missed) else 0


if __name__ == '__main__':
    sys.exit(main())
