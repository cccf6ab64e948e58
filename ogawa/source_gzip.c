/*
 * source_gzip.c — random access into any gzip file (one member, as gzip(1)
 * and pigz write it) through a checkpoint index.
 *
 * Deflate cannot be entered in the middle: a block may refer to the 32 KiB
 * of output before it.  So one inflate pass at open stops at deflate block
 * boundaries (inflate's Z_BLOCK) and, about every GZ_SPAN bytes of output,
 * records a checkpoint: the output offset, the input position (a byte and
 * the bits of the byte before it not yet consumed) and the 32 KiB window
 * of output before it.  A read starts a raw inflate at the checkpoint
 * before its offset (inflatePrime for the bits, inflateSetDictionary for
 * the window) and inflates the chunk up to the next checkpoint, which the
 * block cache keeps.  This is the technique of zlib's examples/zran.c.
 *
 * The pass also checks the whole file (gzip's own CRC-32 and ISIZE) and
 * records the CRC-32 of every chunk, which a read checks again: a file
 * changed or damaged after indexing reads as EIO, never as wrong bytes.
 *
 * The index is kept in a file (gz_index_path) so that the next open is
 * instant: a header with the gzip file's identity (device, inode, size,
 * mtime) and last 8 bytes, the checkpoint table, then the windows, each
 * deflate-compressed, the whole covered by a CRC-32.  An index that does not
 * match or does not check is rebuilt, never trusted.  Windows are read from
 * it when a chunk is inflated; an index that cannot be written is kept in
 * memory instead.
 *
 * Bounds: a chunk is at most GZ_MAX_CHUNK bytes (zlib writes deflate blocks
 * of at most a few MiB of output; a stream whose blocks are longer is
 * refused), and the compressed windows at most GZ_INDEX_MAX or the gzip
 * file's size, whichever is larger (a stream crafted so that its windows do
 * not compress is refused rather than filling the disk).  Memory is the
 * table: 48 bytes per MiB of output.
 *
 * Refused: several concatenated gzip members (cat a.gz b.gz; recompress,
 * or use abccopy --gzip) and bytes after the gzip stream.
 */
#include "source_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define GZ_SPAN (1ULL << 20)            /* output between checkpoints */
#define GZ_WINDOW 32768                 /* deflate's window */
#define GZ_MAX_CHUNK (16ULL << 20)      /* longest output between checkpoints */
#define GZ_INDEX_MAX (64ULL << 20)      /* compressed windows allowed whatever the file size */
#define GZ_PROGRESS_MIN (64ULL << 20)   /* files larger than this show progress */
#define GZ_IN_BUF (256u << 10)          /* input read at once by the index pass */
#define GZ_READ_BUF (128u << 10)        /* input read at once by a chunk inflate */

#define GZ_INDEX_MAGIC "ABCFSGZ1"
#define GZ_INDEX_VERSION 1
#define GZ_INDEX_HEADER 88
#define GZ_INDEX_ENTRY 48

struct gz_point {
    uint64_t out;               /* archive offset of the checkpoint */
    uint64_t in;                /* file offset of the next byte to inflate */
    uint64_t win_off;           /* compressed window: offset in the index file, or in win_mem */
    uint32_t win_zlen, win_len; /* its compressed and inflated lengths */
    uint32_t chunk_crc;         /* CRC-32 of the output up to the next checkpoint */
    uint32_t win_crc;           /* CRC-32 of the window */
    uint32_t bits;              /* bits of the byte at in - 1 still to inflate, 0..7 */
};

struct gz_index {
    struct gz_point *pt;
    uint64_t n, cap;
    uint64_t total_out;
    uint8_t trailer[8];         /* the gzip file's last 8 bytes: CRC-32, ISIZE */
    int win_fd;                 /* the index file the windows are read from, or -1 */
    uint8_t *win_mem;           /* else the windows, in memory */
    uint64_t win_bytes, win_cap;
};

/* ---- little-endian fields of the index file ---------------------------------- */

static void gz_put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void gz_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint64_t gz_get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t gz_get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static uint64_t
gz_chunk_len(const struct gz_index *x, uint64_t i)
{
    return (i + 1 < x->n ? x->pt[i + 1].out : x->total_out) - x->pt[i].out;
}

static void
gz_index_free(struct gz_index *x)
{
    if (!x)
        return;
    if (x->win_fd >= 0)
        close(x->win_fd);
    free(x->win_mem);
    free(x->pt);
    free(x);
}

/* ---- the index pass ---------------------------------------------------------- */

static int
gz_add_point(struct gz_index *x, struct gz_point p, const uint8_t *win, struct ogawa_err *err)
{
    if (x->n == x->cap) {
        uint64_t cap = x->cap ? x->cap * 2 : 64;
        struct gz_point *np = realloc(x->pt, cap * sizeof *np);
        if (!np)
            return ogawa_fail(err, OGAWA_E_NOMEM, p.in, "out of memory for the gzip index");
        x->pt = np;
        x->cap = cap;
    }
    if (p.win_len > 0) {
        uLong bound = compressBound(p.win_len);
        if (x->win_bytes + bound > x->win_cap) {
            uint64_t cap = x->win_cap ? x->win_cap * 2 : (1u << 20);
            while (cap < x->win_bytes + bound)
                cap *= 2;
            uint8_t *nm = realloc(x->win_mem, cap);
            if (!nm)
                return ogawa_fail(err, OGAWA_E_NOMEM, p.in, "out of memory for the gzip index");
            x->win_mem = nm;
            x->win_cap = cap;
        }
        uLongf zlen = bound;
        if (compress2(x->win_mem + x->win_bytes, &zlen, win, p.win_len, 1) != Z_OK)
            return ogawa_fail(err, OGAWA_E_NOMEM, p.in, "cannot compress a gzip index window");
        p.win_off = x->win_bytes;
        p.win_zlen = (uint32_t)zlen;
        p.win_crc = (uint32_t)crc32(0, win, p.win_len);
        x->win_bytes += zlen;
    }
    x->pt[x->n++] = p;
    return 0;
}

static void
gz_progress(uint64_t done, uint64_t total, int *shown)
{
    int pct = (int)(done * 100 / (total ? total : 1));
    if (pct == *shown)
        return;
    *shown = pct;
    fprintf(stderr, "\rabcfs: indexing gzip archive (%llu MiB): %3d%%%s",
            (unsigned long long)(total >> 20), pct, pct == 100 ? "\n" : "");
    fflush(stderr);
}

/* What inflate's error message says went wrong, as a static string. */
static const char *
gz_inflate_why(const z_stream *zs)
{
    if (zs->msg && strcmp(zs->msg, "incorrect data check") == 0)
        return "gzip checksum (CRC-32) does not match its data";
    if (zs->msg && strcmp(zs->msg, "incorrect length check") == 0)
        return "gzip length (ISIZE) does not match its data";
    if (zs->msg && strstr(zs->msg, "header"))
        return "bad gzip header";
    return "damaged gzip data (inflate failed)";
}

struct gz_pass {
    z_stream zs;
    uint8_t *in, *win, *lin;    /* input buffer, circular window, window in order */
};

static int
gz_pass_run(ogawa_source *s, const struct ogawa_open_opts *opts, struct gz_index *x,
            struct gz_pass *g, struct ogawa_err *err)
{
    const uint64_t fsize = s->id.size;
    z_stream *zs = &g->zs;
    uint64_t pos = 0, totout = 0, last = 0;
    uint32_t wpos = 0, crc = 0;
    int shown = -1;
    bool progress = !(opts && opts->quiet) && fsize > GZ_PROGRESS_MIN;
    const uint64_t win_max = fsize > GZ_INDEX_MAX ? fsize : GZ_INDEX_MAX;
    for (;;) {
        if (zs->avail_in == 0) {
            if (pos == fsize)
                return ogawa_source_io_fail(err, EIO, pos, "gzip file is truncated");
            uint32_t n = fsize - pos < GZ_IN_BUF ? (uint32_t)(fsize - pos) : GZ_IN_BUF;
            int rc = ogawa_source_raw_pread(s, pos, g->in, n, err);
            if (rc)
                return rc;
            pos += n;
            zs->next_in = g->in;
            zs->avail_in = n;
            if (progress)
                gz_progress(pos, fsize, &shown);
        }
        if (wpos == GZ_WINDOW)
            wpos = 0;
        zs->next_out = g->win + wpos;
        zs->avail_out = GZ_WINDOW - wpos;
        int zr = inflate(zs, Z_BLOCK);
        uint32_t got = GZ_WINDOW - wpos - zs->avail_out;
        crc = (uint32_t)crc32(crc, g->win + wpos, got);
        totout += got;
        wpos += got;
        if (zr == Z_MEM_ERROR)
            return ogawa_fail(err, OGAWA_E_NOMEM, pos, "out of memory inflating");
        if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_STREAM_ERROR)
            return OGAWA_CORRUPT(err, pos - zs->avail_in, gz_inflate_why(zs));
        if (zr == Z_STREAM_END)
            break;
        if ((zs->data_type & 128) && !(zs->data_type & 64) && (x->n == 0 || totout - last >= GZ_SPAN)) {
            if (x->n > 0)
                x->pt[x->n - 1].chunk_crc = crc;
            crc = 0;
            struct gz_point p = {.out = totout, .in = pos - zs->avail_in,
                                 .bits = (uint32_t)zs->data_type & 7};
            p.win_len = totout < GZ_WINDOW ? (uint32_t)totout : GZ_WINDOW;
            if (totout >= GZ_WINDOW) {       /* the circular window, oldest byte first */
                memcpy(g->lin, g->win + wpos, GZ_WINDOW - wpos);
                memcpy(g->lin + GZ_WINDOW - wpos, g->win, wpos);
            } else {
                memcpy(g->lin, g->win, wpos);
            }
            int rc = gz_add_point(x, p, g->lin, err);
            if (rc)
                return rc;
            if (x->win_bytes > win_max)
                return OGAWA_CORRUPT(err, p.in, "gzip index would be larger than the gzip "
                                                "file (windows that do not compress)");
            last = totout;
        }
        if (x->n > 0 && totout - last > GZ_MAX_CHUNK)
            return OGAWA_CORRUPT(err, pos - zs->avail_in,
                                 "deflate block of more than 16 MiB of output: no random access");
    }
    if (progress && shown != 100)
        gz_progress(fsize, fsize, &shown);
    if (x->n == 0)
        return OGAWA_CORRUPT(err, 0, "gzip stream without a deflate block");
    x->pt[x->n - 1].chunk_crc = crc;
    x->total_out = totout;
    /* One member only, and nothing after it. */
    uint64_t rest = zs->avail_in + (fsize - pos);
    if (rest > 0) {
        uint8_t m[2] = {0, 0};
        uint64_t at = pos - zs->avail_in;
        if (rest >= 2 && ogawa_source_raw_pread(s, at, m, 2, err) != 0)
            return OGAWA_E_IO;
        if (m[0] == 0x1f && m[1] == 0x8b)
            return OGAWA_CORRUPT(err, at, "concatenated gzip members are not supported "
                                          "(recompress, or write blocked gzip: abccopy --gzip)");
        return OGAWA_CORRUPT(err, at, "bytes after the end of the gzip stream");
    }
    return ogawa_source_raw_pread(s, fsize - 8, x->trailer, 8, err);
}

static int
gz_build(ogawa_source *s, const struct ogawa_open_opts *opts, struct gz_index *x,
         struct ogawa_err *err)
{
    struct gz_pass g;
    memset(&g, 0, sizeof g);
    if (s->id.size < 18)
        return ogawa_source_io_fail(err, EIO, 0, "gzip file is truncated");
    g.in = malloc(GZ_IN_BUF);
    g.win = malloc(GZ_WINDOW);
    g.lin = malloc(GZ_WINDOW);
    int rc;
    if (!g.in || !g.win || !g.lin)
        rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory indexing a gzip file");
    else if (inflateInit2(&g.zs, 15 + 16) != Z_OK)     /* gzip wrapper only */
        rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "cannot start inflate");
    else {
        rc = gz_pass_run(s, opts, x, &g, err);
        inflateEnd(&g.zs);
    }
    free(g.in);
    free(g.win);
    free(g.lin);
    return rc;
}

/* ---- the index file ---------------------------------------------------------- */

/* mkdir -p of the directories of path (only those missing), mode 0700. */
static void
gz_mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(path, 0700);
        *p = '/';
    }
    mkdir(path, 0700);
}

/* Where the index of s lives; false when there is nowhere to keep it. */
static bool
gz_index_path(const ogawa_source *s, const struct ogawa_open_opts *opts, char *buf, size_t cap)
{
    char dir[4096];
    const char *user = opts ? opts->gz_index : NULL;
    struct stat st;
    if (user && *user && !(stat(user, &st) == 0 && S_ISDIR(st.st_mode))) {
        int n = snprintf(buf, cap, "%s", user);     /* the index file itself */
        return n > 0 && (size_t)n < cap;
    }
    int n;
    if (user && *user) {
        n = snprintf(dir, sizeof dir, "%s", user);
    } else {
        const char *xdg = getenv("XDG_CACHE_HOME");
        const char *home = getenv("HOME");
        if (xdg && xdg[0] == '/')
            n = snprintf(dir, sizeof dir, "%s/abcfs", xdg);
        else if (home && home[0] == '/')
            n = snprintf(dir, sizeof dir, "%s/.cache/abcfs", home);
        else
            return false;
        if (n > 0 && (size_t)n < sizeof dir)
            gz_mkdirs(dir);
    }
    if (n <= 0 || (size_t)n >= sizeof dir)
        return false;
    const struct ogawa_source_identity *id = &s->id;
    n = snprintf(buf, cap, "%s/%llx-%llx-%llx-%llx.%09ld.gzi", dir, (unsigned long long)id->dev,
                 (unsigned long long)id->ino, (unsigned long long)id->size,
                 (unsigned long long)id->mtime_sec, id->mtime_nsec);
    return n > 0 && (size_t)n < cap;
}

static void
gz_header_encode(const ogawa_source *s, const struct gz_index *x, uint8_t *h)
{
    memset(h, 0, GZ_INDEX_HEADER);
    memcpy(h, GZ_INDEX_MAGIC, 8);
    gz_put32(h + 12, GZ_INDEX_VERSION);
    gz_put64(h + 16, s->id.dev);
    gz_put64(h + 24, s->id.ino);
    gz_put64(h + 32, s->id.size);
    gz_put64(h + 40, (uint64_t)s->id.mtime_sec);
    gz_put64(h + 48, (uint64_t)s->id.mtime_nsec);
    gz_put64(h + 56, x->total_out);
    gz_put64(h + 64, x->n);
    memcpy(h + 72, x->trailer, 8);
    gz_put64(h + 80, GZ_SPAN);
}

static void
gz_entry_encode(const struct gz_point *p, uint64_t win_base, uint8_t *e)
{
    memset(e, 0, GZ_INDEX_ENTRY);
    gz_put64(e, p->out);
    gz_put64(e + 8, p->in);
    gz_put64(e + 16, p->win_len ? win_base + p->win_off : 0);
    gz_put32(e + 24, p->win_zlen);
    gz_put32(e + 28, p->win_len);
    gz_put32(e + 32, p->chunk_crc);
    gz_put32(e + 36, p->win_crc);
    gz_put32(e + 40, p->bits);
}

static bool
gz_write_all(int fd, const void *buf, size_t len, uint32_t *crc)
{
    const uint8_t *p = buf;
    *crc = (uint32_t)crc32(*crc, p, (uInt)len);
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        len -= (size_t)w;
    }
    return true;
}

/* Writes the in-memory index x to path (a temporary file renamed over it,
 * so a reader never sees half an index).  Best effort: false on failure. */
static bool
gz_index_write(const ogawa_source *s, const struct gz_index *x, const char *path)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 8);
    if (!tmp)
        return false;
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".XXXXXX", 8);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        free(tmp);
        return false;
    }
    uint8_t h[GZ_INDEX_HEADER], e[GZ_INDEX_ENTRY];
    gz_header_encode(s, x, h);
    uint32_t crc = 0;
    bool ok = gz_write_all(fd, h, 12, &crc);
    crc = 0;        /* the checksum covers everything after its own field */
    ok = ok && gz_write_all(fd, h + 12, GZ_INDEX_HEADER - 12, &crc);
    uint64_t base = GZ_INDEX_HEADER + x->n * GZ_INDEX_ENTRY;
    for (uint64_t i = 0; ok && i < x->n; i++) {
        gz_entry_encode(&x->pt[i], base, e);
        ok = gz_write_all(fd, e, GZ_INDEX_ENTRY, &crc);
    }
    ok = ok && gz_write_all(fd, x->win_mem, x->win_bytes, &crc);
    uint8_t c[4];
    gz_put32(c, crc);
    ok = ok && pwrite(fd, c, 4, 8) == 4;
    ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok)
        unlink(tmp);
    free(tmp);
    return ok;
}

static bool
gz_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t r = pread(fd, p, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return true;
}

/* Checks every field of entry i against the file and its neighbours. */
static bool
gz_point_ok(const ogawa_source *s, const struct gz_index *x, uint64_t i, uint64_t idx_size)
{
    const struct gz_point *p = &x->pt[i];
    uint64_t win_base = GZ_INDEX_HEADER + x->n * GZ_INDEX_ENTRY;
    if (i == 0 ? p->out != 0 : p->out <= x->pt[i - 1].out || p->in < x->pt[i - 1].in)
        return false;
    if (p->out > x->total_out || gz_chunk_len(x, i) > GZ_MAX_CHUNK)
        return false;
    if (p->in >= s->id.size || p->bits > 7 || (p->bits && p->in == 0))
        return false;
    uint32_t want_win = p->out < GZ_WINDOW ? (uint32_t)p->out : GZ_WINDOW;
    if (p->win_len != want_win)
        return false;
    if (p->win_len && (p->win_off < win_base || !ogawa_range_ok(p->win_off, p->win_zlen, idx_size)))
        return false;
    return true;
}

/* Loads the index at path if it is the index of s and checks; else false. */
static bool
gz_index_load(const ogawa_source *s, const char *path, struct gz_index **out)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);   /* a FIFO must not hang us */
    if (fd < 0)
        return false;
    struct gz_index *x = calloc(1, sizeof *x);
    uint8_t h[GZ_INDEX_HEADER], want[GZ_INDEX_HEADER], *buf = malloc(1u << 16);
    struct stat st;
    bool ok = x && buf && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
              gz_pread_all(fd, h, GZ_INDEX_HEADER, 0);
    if (x)
        x->win_fd = fd;
    uint64_t idx_size = ok ? (uint64_t)st.st_size : 0;
    if (ok) {
        x->total_out = gz_get64(h + 56);
        x->n = gz_get64(h + 64);
        memcpy(x->trailer, h + 72, 8);
        uint8_t tail[8];
        ok = ogawa_source_raw_pread((ogawa_source *)s, s->id.size - 8, tail, 8, NULL) == 0;
        gz_header_encode(s, x, want);      /* what the header of our index must be */
        ok = ok && memcmp(h + 12, want + 12, GZ_INDEX_HEADER - 12) == 0 &&
             memcmp(h, GZ_INDEX_MAGIC, 8) == 0 && memcmp(tail, x->trailer, 8) == 0;
        ok = ok && x->n >= 1 && x->n <= (idx_size - GZ_INDEX_HEADER) / GZ_INDEX_ENTRY;
    }
    if (ok) {                           /* the checksum of everything after it */
        uint32_t crc = 0;
        for (uint64_t off = 12; ok && off < idx_size;) {
            size_t n = idx_size - off < (1u << 16) ? (size_t)(idx_size - off) : (1u << 16);
            ok = gz_pread_all(fd, buf, n, off);
            crc = (uint32_t)crc32(crc, buf, (uInt)n);
            off += n;
        }
        ok = ok && crc == gz_get32(h + 8);
    }
    if (ok) {
        x->pt = calloc(x->n, sizeof *x->pt);
        x->cap = x->n;
        ok = x->pt != NULL;
    }
    for (uint64_t i = 0; ok && i < x->n; i++) {
        uint8_t e[GZ_INDEX_ENTRY];
        ok = gz_pread_all(fd, e, GZ_INDEX_ENTRY, GZ_INDEX_HEADER + i * GZ_INDEX_ENTRY);
        struct gz_point *p = &x->pt[i];
        p->out = gz_get64(e);
        p->in = gz_get64(e + 8);
        p->win_off = gz_get64(e + 16);
        p->win_zlen = gz_get32(e + 24);
        p->win_len = gz_get32(e + 28);
        p->chunk_crc = gz_get32(e + 32);
        p->win_crc = gz_get32(e + 36);
        p->bits = gz_get32(e + 40);
    }
    for (uint64_t i = 0; ok && i < x->n; i++)
        ok = gz_point_ok(s, x, i, idx_size);
    free(buf);
    if (!ok) {
        if (x)
            gz_index_free(x);
        else
            close(fd);
        return false;
    }
    *out = x;
    return true;
}

/* ---- reads ------------------------------------------------------------------- */

/* The window before checkpoint p, inflated into win (GZ_WINDOW bytes). */
static int
gz_window(ogawa_source *s, const struct gz_index *x, const struct gz_point *p, uint8_t *win,
          struct ogawa_err *err)
{
    uint8_t *z = malloc(p->win_zlen ? p->win_zlen : 1);
    if (!z)
        return ogawa_fail(err, OGAWA_E_NOMEM, p->in, "out of memory reading a gzip window");
    bool ok;
    if (x->win_fd >= 0)
        ok = gz_pread_all(x->win_fd, z, p->win_zlen, p->win_off);
    else
        ok = (memcpy(z, x->win_mem + p->win_off, p->win_zlen), true);
    uLongf len = GZ_WINDOW;
    ok = ok && uncompress(win, &len, z, p->win_zlen) == Z_OK && len == p->win_len &&
         crc32(0, win, p->win_len) == p->win_crc;
    free(z);
    if (!ok)
        return ogawa_source_io_fail(err, EIO, p->in, "gzip index is damaged (a window)");
    (void)s;
    return 0;
}

/* Inflates chunk idx (from its checkpoint to the next) into buf. */
static int
gz_fill(ogawa_source *s, uint64_t idx, uint8_t *buf, uint64_t len, struct ogawa_err *err)
{
    const struct gz_index *x = s->impl;
    const struct gz_point *p = &x->pt[idx];
    uint8_t *win = malloc(GZ_WINDOW), *in = malloc(GZ_READ_BUF);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    int rc = 0;
    if (!win || !in) {
        free(win);
        free(in);
        return ogawa_fail(err, OGAWA_E_NOMEM, p->in, "out of memory inflating");
    }
    if (p->win_len)
        rc = gz_window(s, x, p, win, err);
    if (rc == 0 && inflateInit2(&zs, -15) != Z_OK)
        rc = ogawa_fail(err, OGAWA_E_NOMEM, p->in, "cannot start inflate");
    else if (rc == 0) {
        uint64_t pos = p->in;
        if (p->bits) {
            uint8_t b;
            rc = ogawa_source_raw_pread(s, p->in - 1, &b, 1, err);
            if (rc == 0)
                inflatePrime(&zs, (int)p->bits, b >> (8 - p->bits));
        }
        if (rc == 0 && p->win_len)
            inflateSetDictionary(&zs, win, p->win_len);
        zs.next_out = buf;
        uint64_t done = 0;
        while (rc == 0 && done < len) {
            if (zs.avail_in == 0) {
                if (pos >= s->id.size) {
                    rc = ogawa_source_io_fail(err, EIO, pos, "gzip file is shorter than indexed");
                    break;
                }
                uint32_t n = s->id.size - pos < GZ_READ_BUF ? (uint32_t)(s->id.size - pos)
                                                             : GZ_READ_BUF;
                rc = ogawa_source_raw_pread(s, pos, in, n, err);
                if (rc)
                    break;
                pos += n;
                zs.next_in = in;
                zs.avail_in = n;
            }
            uint64_t want = len - done;
            zs.avail_out = want > (1u << 30) ? (1u << 30) : (uInt)want;
            uInt before = zs.avail_out;
            int zr = inflate(&zs, Z_NO_FLUSH);
            done += before - zs.avail_out;
            if (zr == Z_STREAM_END && done < len)
                zr = Z_DATA_ERROR;
            if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
                rc = ogawa_source_io_fail(err, EIO, p->in, "damaged gzip data (inflate failed)");
        }
        inflateEnd(&zs);
    }
    if (rc == 0 && crc32(0, buf, (uInt)len) != p->chunk_crc)
        rc = ogawa_source_io_fail(err, EIO, p->in, "gzip data changed since it was indexed");
    if (rc == 0)
        __atomic_fetch_add(&s->bytes_inflated, len, __ATOMIC_RELAXED);
    free(win);
    free(in);
    return rc;
}

static int
gz_read(ogawa_source *s, uint64_t off, void *buf, uint64_t len, struct ogawa_err *err)
{
    const struct gz_index *x = s->impl;
    uint64_t lo = 0, hi = x->n;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (x->pt[mid].out <= off)
            lo = mid;
        else
            hi = mid;
    }
    uint8_t *p = buf;
    for (uint64_t i = lo; len > 0; i++) {
        if (i >= x->n)
            return OGAWA_CORRUPT(err, off, "read past the end of the archive");
        uint64_t clen = gz_chunk_len(x, i), in = off - x->pt[i].out;
        uint64_t take = clen - in < len ? clen - in : len;
        int rc = ogawa_block_cache_copy(s->cache, s, i, clen, in, p, take, gz_fill, err);
        if (rc)
            return rc;
        p += take;
        off += take;
        len -= take;
    }
    return 0;
}

static void
gz_close(ogawa_source *s)
{
    gz_index_free(s->impl);
}

static const struct ogawa_source_ops gz_ops = {
    .read = gz_read,
    .close = gz_close,
};

int
ogawa_source_gzip_init(ogawa_source *s, const struct ogawa_open_opts *opts,
                       struct ogawa_err *err)
{
    char path[4096];
    bool have_path = gz_index_path(s, opts, path, sizeof path);
    struct gz_index *x = NULL;
    s->ops = &gz_ops;
    s->kind = OGAWA_SOURCE_GZIP;
    if (!have_path || !gz_index_load(s, path, &x)) {
        x = calloc(1, sizeof *x);
        if (!x)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory opening archive");
        x->win_fd = -1;
        int rc = gz_build(s, opts, x, err);
        if (rc) {
            gz_index_free(x);
            return rc;
        }
        /* Serve from the written file (windows stay on disk, and the file
         * is checked as the next open will check it); else from memory. */
        struct gz_index *loaded;
        if (have_path && gz_index_write(s, x, path) && gz_index_load(s, path, &loaded)) {
            gz_index_free(x);
            x = loaded;
        }
    }
    s->impl = x;
    s->size = x->total_out;
    uint64_t cap = opts && opts->cache_bytes ? opts->cache_bytes : OGAWA_CACHE_DEFAULT;
    s->cache = ogawa_block_cache_new(cap, x->n);
    if (!s->cache)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory for the block cache");
    return 0;
}
