#!/usr/bin/env python3
"""Archives on a web server: abcfs and the tools on http:// URLs, against a
real nginx started here on 127.0.0.1 (a free port, its own prefix, pid,
logs and configuration in a temporary directory).

    http_check.py --abcfs B/fs/abcfs --abcgen B/tools/abcgen --abcls B/tools/abcls \
        --abccat B/tools/abccat --abcdump B/tools/abcdump --data tests/data [--quick]

1. corpus     every archive of DATA/{reference,spec,real} mounted from its
              URL and checked against its dump by ../shared/tools/abccheck
              (--quick: reference and spec, and 10 of real); abcdump --json
              of a few URLs equals the local file's.
2. lazy       one sample of an `abcgen mesh --objects 1000 --verts 1000
              --frames 24` archive (~291 MB) read through a mount: nginx's
              access log (with $http_range) shows less than 1 MiB sent, and
              the bytes equal abccat's of the local file; the stats xattr's
              bytes_read equals what the log says was sent.
3. faults     nginx stopped in the middle of reading a sample: reads are EIO
              (within the bounded retries), then, nginx restarted, the same
              reads give the right bytes; the archive replaced on the server
              under a mount: reads of blocks not yet fetched are EIO; a
              location with `max_ranges 0` (200 to a ranged request): the
              mount is refused with one line; 404: refused; a server that
              accepts and never answers (-o timeout=1): refused in bounded
              time; a slow location (limit_rate): reads are right; a
              redirect is followed; -o header= reaches the server.
4. only-url   every request in the access log is for a URL given to abcfs
              (or to curl by this script), from 127.0.0.1.

Exit 0 pass, 1 fail, 77 skip (nginx, /dev/fuse or fusermount3 missing).
"""
import argparse
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mount_check  # noqa: E402  (Mount)

SKIP = 77
FAILED = []


def check(ok, what):
    print(("  ok   " if ok else "  FAIL ") + what)
    if not ok:
        FAILED.append(what)
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """nginx in the foreground (daemon off) with a configuration of its own."""

    def __init__(self, nginx, prefix, data, gen):
        self.nginx, self.prefix = nginx, prefix
        self.port = free_port()
        self.log = os.path.join(prefix, "access.log")
        self.conf = os.path.join(prefix, "nginx.conf")
        os.makedirs(os.path.join(prefix, "tmp"), exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""
        tmp = os.path.join(prefix, "tmp")
        with open(self.conf, "w") as f:
            f.write(f"""{user}worker_processes 2;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 256; }}
http {{
    log_format ranges '$remote_addr "$request_uri" "$http_range" $status $body_bytes_sent "$http_x_abcfs_test"';
    access_log {self.log} ranges;
    client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
    uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{self.port};
        root {data};
        location /gen/ {{ alias {gen}/; }}
        location /norange/ {{ alias {data}/; max_ranges 0; }}
        location /slow/ {{ alias {gen}/; limit_rate 2m; }}
        location = /moved.abc {{ return 302 /reference/camera.abc; }}
    }}
}}
""")
        self.proc = None
        self.start()

    def url(self, path):
        return "http://127.0.0.1:%d/%s" % (self.port, urllib.parse.quote(path))

    def start(self):
        self.proc = subprocess.Popen([self.nginx, "-p", self.prefix, "-c", self.conf,
                                      "-e", os.path.join(self.prefix, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("nginx did not start: %s" % self.proc.stderr.read().decode(errors="replace"))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)   # fast shutdown: connections cut
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_lines(self, start=0):
        """Access log entries from byte start: (addr, uri, range, status, bytes, header)."""
        with open(self.log) as f:
            f.seek(start)
            text = f.read()
        out = []
        for line in text.splitlines():
            addr, rest = line.split(" ", 1)
            q = rest.split('"')
            status, sent = q[4].split()
            out.append((addr, q[1], q[3], int(status), int(sent), q[5]))
        return out

    def log_size(self):
        return os.path.getsize(self.log)


def corpus(data, quick):
    for c in ("reference", "spec", "real"):
        names = sorted(f for f in os.listdir(os.path.join(data, c)) if f.endswith(".abc"))
        if quick and c == "real":
            names = names[:10]
        for f in names:
            base = os.path.join(data, c, f[:-4])
            for dump in (base + ".json", base + ".digest.json"):
                if os.path.exists(dump):
                    yield c + "/" + f, dump
                    break


def check_corpus(a, ng):
    print("corpus over HTTP" + (" (quick: reference, spec, 10 of real)" if a.quick else ""))
    n = bad = 0
    for rel, dump in corpus(a.data, a.quick):
        p = subprocess.run([a.abccheck, "--mount", a.abcfs, "--show", "5", ng.url(rel), dump],
                           capture_output=True, text=True)
        n += 1
        last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr.strip()
        if p.returncode != 0:
            bad += 1
            print("  FAIL %s: %s" % (rel, p.stdout[-1500:] + p.stderr[-500:]))
        elif a.verbose:
            print("  ok   %s: %s" % (rel, last))
    check(bad == 0, "abccheck --mount of %d archives from their URLs (%d failed)" % (n, bad))
    for rel in ("reference/camera.abc", "spec/" + sorted(os.listdir(os.path.join(a.data, "spec")))[0]):
        if not rel.endswith(".abc"):
            continue
        local = subprocess.run([a.abcdump, "--json", os.path.join(a.data, rel)], capture_output=True)
        remote = subprocess.run([a.abcdump, "--json", ng.url(rel)], capture_output=True)
        check(local.returncode == 0 and remote.returncode == 0 and remote.stdout == local.stdout,
              "abcdump --json of the URL of %s equals the file's" % rel)
    p = subprocess.run([a.abcls, ng.url("reference/camera.abc")], capture_output=True, text=True)
    q = subprocess.run([a.abcls, os.path.join(a.data, "reference/camera.abc")], capture_output=True, text=True)
    check(p.returncode == 0 and p.stdout == q.stdout, "abcls of a URL equals the file's")


def read_at(path, off, n):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, n, off)
    finally:
        os.close(fd)


def check_lazy(a, ng, gen):
    print("one sample of a 291 MB mesh archive")
    mesh = os.path.join(gen, "mesh.abc")
    subprocess.run([a.abcgen, "mesh", "--objects", "1000", "--verts", "1000", "--frames", "24", mesh],
                   check=True, stdout=subprocess.DEVNULL)
    rel = "xf500/mesh500/.geom/P/0012.f32"
    want = subprocess.run([a.abccat, mesh, "/" + rel], capture_output=True, check=True).stdout
    start = ng.log_size()
    m = mount_check.Mount(a.abcfs, ng.url("gen/mesh.abc"))
    try:
        with open(os.path.join(m.dir, rel), "rb") as f:
            got = f.read()
        stats = json.loads(os.getxattr(m.dir, "user.abcfs.stats"))
    finally:
        rc, err = m.close()
    lines = ng.log_lines(start)
    sent = sum(x[4] for x in lines)
    check(got == want and len(got) > 0, "the sample's %d bytes equal abccat's of the local file" % len(want))
    check(0 < sent < (1 << 20), "nginx sent %d bytes in %d requests for it (< 1 MiB of %d)"
          % (sent, len(lines), os.path.getsize(mesh)))
    check(all(x[1] == "/gen/mesh.abc" and x[2].startswith("bytes=") and x[3] == 206 for x in lines),
          "every request was a ranged GET of the archive answered 206")
    check(stats["source"]["kind"] == "http" and stats["source"]["bytes_read"] == sent,
          "stats: kind http, bytes_read %s = bytes sent" % stats["source"]["bytes_read"])
    check(rc == 0, "daemon exit %s: %s" % (rc, err.strip()))


def expect_eio(fn):
    try:
        fn()
    except OSError as e:
        return e.errno == errno.EIO
    return False


def check_server_down(a, ng, gen):
    print("nginx stopped in the middle of a read, then restarted")
    big = os.path.join(gen, "big.abc")
    subprocess.run([a.abcgen, "big", "--mib", "64", big], check=True, stdout=subprocess.DEVNULL)
    rel = "big/data/0000.u8"
    want = subprocess.run([a.abccat, big, "/" + rel], capture_output=True, check=True).stdout
    m = mount_check.Mount(a.abcfs, ng.url("gen/big.abc"))
    try:
        path = os.path.join(m.dir, rel)
        check(read_at(path, 0, 1 << 20) == want[:1 << 20], "the first MiB reads right")
        ng.stop()
        far = 40 << 20
        t0 = time.time()
        check(expect_eio(lambda: read_at(path, far, 1 << 20)), "server down: a read is EIO")
        took = time.time() - t0
        check(took < 30, "the EIO came after %.1f s of bounded retries" % took)
        ng.start()
        check(read_at(path, far, 1 << 20) == want[far:far + (1 << 20)],
              "server back: the same read gives the right bytes")
        with open(path, "rb") as f:
            check(f.read() == want, "server back: the whole sample reads right")
    finally:
        if ng.proc is None:
            ng.start()
        rc, err = m.close()
    check(rc == 0, "daemon exit %s" % rc)


def check_replaced(a, ng, gen):
    print("the archive replaced on the server under a mount")
    path = os.path.join(gen, "replaced.abc")
    subprocess.run([a.abcgen, "mesh", "--objects", "100", "--verts", "1000", "--frames", "24", path],
                   check=True, stdout=subprocess.DEVNULL)
    m = mount_check.Mount(a.abcfs, ng.url("gen/replaced.abc"), ("-o", "check=none"))
    try:
        first = os.path.join(m.dir, "xf0/mesh0/.geom/P/0000.f32")
        check(len(open(first, "rb").read()) > 0, "a sample reads before the change")
        other = os.path.join(gen, "other.abc")
        subprocess.run([a.abcgen, "mesh", "--objects", "100", "--verts", "1000", "--frames", "23", other],
                       check=True, stdout=subprocess.DEVNULL)
        st = os.stat(path)
        os.utime(other, (st.st_atime + 10, st.st_mtime + 10))
        os.replace(other, path)
        late = os.path.join(m.dir, "xf50/mesh50/.geom/P/0012.f32")
        # Near the first sample, in a block fetched with it (the kernel's
        # cache holds the first sample itself: the daemon never sees it).
        near = os.path.join(m.dir, "xf1/mesh1/.geom/P/0000.f32")
        check(expect_eio(lambda: open(late, "rb").read()), "after the change: a read of new blocks is EIO")
        check(expect_eio(lambda: read_at(near, 0, 4096)),
              "and so is every later read, of a block fetched before too")
    finally:
        rc, err = m.close()
    check(rc == 0, "daemon exit %s" % rc)


def refused(a, url, extra=()):
    d = tempfile.mkdtemp(prefix="abcfs-http-")
    try:
        t0 = time.time()
        p = subprocess.run([a.abcfs, *extra, url, d], capture_output=True, text=True, timeout=120)
        return p.returncode != 0 and not os.path.ismount(d), p.stderr.strip(), time.time() - t0
    finally:
        if os.path.ismount(d):
            subprocess.run(["fusermount3", "-u", d])
        os.rmdir(d)


def check_refusals(a, ng):
    print("refused at mount")
    ok, err, _ = refused(a, ng.url("norange/reference/camera.abc"))
    check(ok and len(err.splitlines()) == 1 and "Range" in err,
          "a server that ignores Range (200): refused with one line: %s" % err)
    ok, err, _ = refused(a, ng.url("reference/no-such-archive.abc"))
    check(ok and len(err.splitlines()) == 1, "404: refused with one line: %s" % err)
    # A server that accepts connections and never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(silent.accept()[0])
            except OSError:
                pass
    t = threading.Thread(target=accept)
    t.start()
    try:
        url = "http://127.0.0.1:%d/x.abc" % silent.getsockname()[1]
        ok, err, took = refused(a, url, ("-o", "timeout=1"))
        check(ok and len(err.splitlines()) == 1 and took < 20,
              "a silent server with -o timeout=1: refused after %.1f s: %s" % (took, err))
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        silent.close()


def check_slow_redirect_header(a, ng, gen):
    print("a slow location, a redirect, a header")
    rel = "xf3/mesh3/.geom/P/0005.f32"
    local = os.path.join(gen, "replaced.abc")
    shutil.copy(local, os.path.join(gen, "slow.abc"))
    want = subprocess.run([a.abccat, local, "/" + rel], capture_output=True, check=True).stdout
    m = mount_check.Mount(a.abcfs, ng.url("slow/slow.abc"))
    try:
        t0 = time.time()
        got = open(os.path.join(m.dir, rel), "rb").read()
        check(got == want, "limit_rate 2m: the sample reads right (%.1f s)" % (time.time() - t0))
    finally:
        m.close()
    p = subprocess.run([a.abccheck, "--mount", a.abcfs, ng.url("moved.abc"),
                        os.path.join(a.data, "reference/camera.json")], capture_output=True, text=True)
    check(p.returncode == 0, "a 302 to the archive is followed: abccheck passes")
    start = ng.log_size()
    m = mount_check.Mount(a.abcfs, ng.url("reference/camera.abc"), ("-o", "header=X-Abcfs-Test: yes"))
    m.close()
    lines = ng.log_lines(start)
    check(lines and all(x[5] == "yes" for x in lines), "-o header=X-Abcfs-Test: yes is on every request")


def check_only_urls(ng, allowed):
    print("requests went only to the URLs given")
    lines = ng.log_lines()
    bad = [x for x in lines
           if x[0] != "127.0.0.1" or urllib.parse.unquote(x[1].split("?")[0]) not in allowed]
    check(len(lines) > 0 and not bad, "%d requests, %d to anything else%s"
          % (len(lines), len(bad), (": " + repr(bad[:3])) if bad else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for tool in ("abcfs", "abcgen", "abcls", "abccat", "abcdump"):
        ap.add_argument("--" + tool, required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--abccheck", default=os.path.join(HERE, "..", "..", "shared", "tools", "abccheck"))
    ap.add_argument("--quick", action="store_true", help="reference, spec and 10 of real")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--tmp", default=os.environ.get("ROBUST_TMP"))
    a = ap.parse_args()
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if nginx is None:
        print("SKIP: nginx is not installed (Debian: nginx-light): no server to test against")
        return SKIP
    if not os.path.exists("/dev/fuse") or shutil.which("fusermount3") is None:
        print("SKIP: /dev/fuse or fusermount3 is missing: FUSE mounts cannot be tested here")
        return SKIP
    if not os.path.exists(a.abccheck):
        print("SKIP: %s is missing (it comes with ../shared, which CI has)" % a.abccheck)
        return SKIP
    a.data = os.path.abspath(a.data)
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        os.environ.pop(k, None)
    tmp = tempfile.mkdtemp(prefix="abcfs-http-", dir=a.tmp)
    os.chmod(tmp, 0o755)
    gen = os.path.join(tmp, "gen")
    os.makedirs(gen)
    ng = None
    try:
        ng = Nginx(nginx, os.path.join(tmp, "nginx"), a.data, gen)
        print("nginx on 127.0.0.1:%d" % ng.port)
        check_refusals(a, ng)
        check_lazy(a, ng, gen)
        check_server_down(a, ng, gen)
        check_replaced(a, ng, gen)
        check_slow_redirect_header(a, ng, gen)
        check_corpus(a, ng)
        allowed = {"/" + rel for rel, _ in corpus(a.data, a.quick)}
        allowed |= {"/gen/mesh.abc", "/gen/big.abc", "/gen/replaced.abc", "/slow/slow.abc",
                    "/moved.abc", "/norange/reference/camera.abc", "/reference/no-such-archive.abc"}
        check_only_urls(ng, allowed)
    finally:
        if ng is not None:
            ng.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
