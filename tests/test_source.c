/*
 * test_source.c — the sources below the container (ogawa/source.h): a
 * plain file, blocked gzip written by ogawa_gzip_compress, any gzip file
 * through its checkpoint index, and the block cache between them.
 *
 * The data is a few MiB of bytes that compress moderately (so that there
 * are many BGZF members and several gzip checkpoints); every read is
 * compared with the plain bytes.  Damaged files are made by editing a good
 * one at a known place: each must be refused at open or read as EIO.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "source.h"

#define DATA_LEN ((size_t)3500000)      /* 54 BGZF members, 4 gzip checkpoints */

static uint8_t *data;                   /* the plain bytes */
static char dir[] = "/tmp/abcfs-test-source-XXXXXX";

static void
make_data(void)
{
    data = malloc(DATA_LEN);
    uint32_t x = 12345;
    for (size_t i = 0; i < DATA_LEN; i++) {
        x = x * 1103515245u + 12345u;
        /* Runs of a repeating pattern with random bytes sprinkled in. */
        data[i] = (i % 97 < 60) ? (uint8_t)(i / 4096 + i % 13) : (uint8_t)(x >> 24);
    }
}

static char *
path_in_dir(const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static void
write_file(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
}

static uint8_t *
read_file(const char *path, size_t *n)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    uint8_t *p = malloc((size_t)st.st_size + 1);
    assert_int_equal(read(fd, p, (size_t)st.st_size), st.st_size);
    close(fd);
    *n = (size_t)st.st_size;
    return p;
}

/* The blocked gzip of data, as ogawa_gzip_compress writes it. */
static char *
make_bgzf(const char *name)
{
    char *plain = path_in_dir("plain.bin"), *gz = path_in_dir(name);
    write_file(plain, data, DATA_LEN);
    int in = open(plain, O_RDONLY), out = open(gz, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct ogawa_err err = {0};
    assert_int_equal(ogawa_gzip_compress(in, out, 6, &err), 0);
    close(in);
    close(out);
    free(plain);
    return gz;
}

/* data as one ordinary gzip member (what gzip -9 writes). */
static char *
make_gzip(const char *name)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, DATA_LEN);
    uint8_t *out = malloc(cap);
    zs.next_in = data;
    zs.avail_in = DATA_LEN;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    char *gz = path_in_dir(name);
    write_file(gz, out, zs.total_out);
    deflateEnd(&zs);
    free(out);
    return gz;
}

static struct ogawa_open_opts
opts_in_dir(void)
{
    struct ogawa_open_opts o = {.gz_index = dir, .quiet = true};
    return o;
}

/* Every byte, then reads at many offsets and lengths (across members and
 * chunks), against data. */
static void
check_all_bytes(ogawa_source *s)
{
    assert_int_equal(ogawa_source_size(s), DATA_LEN);
    uint8_t *buf = malloc(DATA_LEN);
    struct ogawa_err err = {0};
    assert_int_equal(ogawa_source_pread(s, 0, buf, DATA_LEN, &err), 0);
    assert_memory_equal(buf, data, DATA_LEN);
    uint32_t x = 99;
    for (int i = 0; i < 300; i++) {
        x = x * 1103515245u + 12345u;
        uint64_t off = x % DATA_LEN;
        x = x * 1103515245u + 12345u;
        uint64_t len = x % 200000;
        if (len > DATA_LEN - off)
            len = DATA_LEN - off;
        memset(buf, 0xaa, len);
        assert_int_equal(ogawa_source_pread(s, off, buf, len, &err), 0);
        assert_memory_equal(buf, data + off, len);
    }
    /* Exactly on a BGZF member boundary and one byte each side of it. */
    for (uint64_t off = OGAWA_BGZF_BLOCK - 1; off <= OGAWA_BGZF_BLOCK + 1; off++) {
        assert_int_equal(ogawa_source_pread(s, off, buf, 3, &err), 0);
        assert_memory_equal(buf, data + off, 3);
    }
    assert_int_equal(ogawa_source_pread(s, DATA_LEN - 1, buf, 2, &err), OGAWA_E_CORRUPT);
    free(buf);
}

/* ---- plain file ---------------------------------------------------------- */

static void
test_file_source(void **state)
{
    (void)state;
    char *p = path_in_dir("plain2.bin");
    write_file(p, data, DATA_LEN);
    ogawa_source *s;
    struct ogawa_err err = {0};
    assert_int_equal(ogawa_source_open(p, NULL, &s, &err), 0);
    assert_int_equal(ogawa_source_kind(s), OGAWA_SOURCE_FILE);
    assert_string_equal(ogawa_source_kind_name(s), "file");
    uint64_t base = 7;
    assert_true(ogawa_source_fd(s, &base) >= 0);
    assert_int_equal(base, 0);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    const struct ogawa_source_identity *id = ogawa_source_identity(s);
    assert_int_equal(id->ino, st.st_ino);
    assert_int_equal(id->dev, st.st_dev);
    assert_int_equal(id->size, DATA_LEN);
    assert_int_equal(id->mtime_sec, st.st_mtim.tv_sec);
    check_all_bytes(s);
    struct ogawa_source_stats ss;
    ogawa_source_stats(s, &ss);
    assert_true(ss.bytes_read >= DATA_LEN);
    assert_int_equal(ss.bytes_inflated, 0);
    assert_int_equal(ss.cache_misses, 0);
    ogawa_source_close(s);
    unlink(p);
    free(p);
}

static void
test_directory_refused(void **state)
{
    (void)state;
    ogawa_source *s;
    struct ogawa_err err = {0};
    assert_int_equal(ogawa_source_open(dir, NULL, &s, &err), OGAWA_E_IO);
    assert_null(s);
}

/* A FIFO (no writer: a blocking open would never return) and a character
 * device are refused at once, not waited on. */
static void
test_fifo_refused(void **state)
{
    (void)state;
    char fifo[4096];
    snprintf(fifo, sizeof fifo, "%s/fifo.abc", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    ogawa_source *s;
    struct ogawa_err err = {0};
    assert_int_equal(ogawa_source_open(fifo, NULL, &s, &err), OGAWA_E_IO);
    assert_null(s);
    assert_non_null(strstr(err.msg, "not a regular file"));
    unlink(fifo);
    assert_int_equal(ogawa_source_open("/dev/zero", NULL, &s, &err), OGAWA_E_IO);
    assert_null(s);
}

/* ---- blocked gzip -------------------------------------------------------- */

static void
test_bgzf_format(void **state)
{
    (void)state;
    char *gz = make_bgzf("fmt.gz");
    size_t n;
    uint8_t *f = read_file(gz, &n);
    /* Every member: FEXTRA header with BC, BSIZE, ISIZE <= 64 KiB. */
    size_t pos = 0, members = 0;
    uint64_t total = 0;
    while (pos < n) {
        assert_true(n - pos >= 28);
        assert_int_equal(f[pos], 0x1f);
        assert_int_equal(f[pos + 1], 0x8b);
        assert_int_equal(f[pos + 3], 4);
        assert_int_equal(f[pos + 10] | f[pos + 11] << 8, 6);
        assert_int_equal(f[pos + 12], 'B');
        assert_int_equal(f[pos + 13], 'C');
        assert_int_equal(f[pos + 14] | f[pos + 15] << 8, 2);
        size_t size = (size_t)(f[pos + 16] | f[pos + 17] << 8) + 1;
        uint32_t isize;
        memcpy(&isize, f + pos + size - 4, 4);
        assert_true(isize <= OGAWA_BGZF_BLOCK);
        total += isize;
        pos += size;
        members++;
    }
    assert_int_equal(pos, n);
    assert_int_equal(total, DATA_LEN);
    assert_int_equal(members, (DATA_LEN + OGAWA_BGZF_BLOCK - 1) / OGAWA_BGZF_BLOCK + 1);
    /* The last member is htslib's end-of-file block. */
    static const uint8_t eof[28] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C', 2, 0,
                                    0x1b, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(f + n - 28, eof, 28);
    /* And zlib's own gzip reader (as zcat) gives the data back. */
    uint8_t *back = malloc(DATA_LEN + 1);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(inflateInit2(&zs, 31), Z_OK);
    zs.next_in = f;
    zs.avail_in = (uInt)n;
    size_t got = 0;
    while (zs.avail_in > 0) {
        zs.next_out = back + got;
        zs.avail_out = (uInt)(DATA_LEN + 1 - got);
        int zr = inflate(&zs, Z_NO_FLUSH);
        got = zs.total_out;
        if (zr == Z_STREAM_END)
            assert_int_equal(inflateReset(&zs), Z_OK);
        else
            assert_int_equal(zr, Z_OK);
        zs.total_out = got;
    }
    inflateEnd(&zs);
    assert_int_equal(got, DATA_LEN);
    assert_memory_equal(back, data, DATA_LEN);
    free(back);
    free(f);
    unlink(gz);
    free(gz);
}

static void
test_bgzf_reads(void **state)
{
    (void)state;
    char *gz = make_bgzf("reads.gz");
    ogawa_source *s;
    struct ogawa_err err = {0};
    struct ogawa_open_opts o = opts_in_dir();
    assert_int_equal(ogawa_source_open(gz, &o, &s, &err), 0);
    assert_int_equal(ogawa_source_kind(s), OGAWA_SOURCE_BGZF);
    assert_int_equal(ogawa_source_fd(s, NULL), -1);
    struct ogawa_source_stats ss;
    ogawa_source_stats(s, &ss);
    /* The member table came from the headers: 26 bytes per member. */
    size_t members = (DATA_LEN + OGAWA_BGZF_BLOCK - 1) / OGAWA_BGZF_BLOCK + 1;
    assert_true(ss.bytes_read <= 26 * members + 2 + 28);   /* + the end-of-file member, checked */
    assert_int_equal(ss.bytes_inflated, 0);
    /* One byte inflates just its member. */
    uint8_t b;
    assert_int_equal(ogawa_source_pread(s, 3 * OGAWA_BGZF_BLOCK + 5, &b, 1, &err), 0);
    assert_int_equal(b, data[3 * OGAWA_BGZF_BLOCK + 5]);
    ogawa_source_stats(s, &ss);
    assert_int_equal(ss.bytes_inflated, OGAWA_BGZF_BLOCK);
    assert_int_equal(ss.cache_misses, 1);
    assert_int_equal(ogawa_source_pread(s, 3 * OGAWA_BGZF_BLOCK + 6, &b, 1, &err), 0);
    ogawa_source_stats(s, &ss);
    assert_int_equal(ss.cache_hits, 1);
    check_all_bytes(s);
    ogawa_source_close(s);
    unlink(gz);
    free(gz);
}

/* Opens the bytes f (n) as a file; returns the open's code; on success
 * reads everything and returns the read's code instead. */
static int
open_and_read(const char *name, const uint8_t *f, size_t n)
{
    char *p = path_in_dir(name);
    write_file(p, f, n);
    ogawa_source *s;
    struct ogawa_err err = {0};
    struct ogawa_open_opts o = opts_in_dir();
    int rc = ogawa_source_open(p, &o, &s, &err);
    if (rc == 0) {
        uint8_t *buf = malloc(ogawa_source_size(s) + 1);
        rc = ogawa_source_pread(s, 0, buf, ogawa_source_size(s), &err);
        if (rc == 0) /* whatever it read must be the data */
            assert_memory_equal(buf, data, DATA_LEN);
        if (rc == OGAWA_E_IO)
            assert_int_equal(err.sys_errno, EIO);
        free(buf);
        ogawa_source_close(s);
    }
    unlink(p);
    free(p);
    return rc;
}

static void
test_bgzf_damage(void **state)
{
    (void)state;
    char *gz = make_bgzf("damage.gz");
    size_t n;
    uint8_t *f = read_file(gz, &n);
    uint8_t *g = malloc(n + 100);
    size_t m0 = (size_t)(f[16] | f[17] << 8) + 1;  /* first member's size */

    /* Untouched: reads back. */
    assert_int_equal(open_and_read("ok.gz", f, n), 0);
    /* No end-of-file member: truncated. */
    assert_int_equal(open_and_read("noeof.gz", f, n - 28), OGAWA_E_IO);
    /* Cut inside a member. */
    assert_int_equal(open_and_read("cut.gz", f, n - 1000), OGAWA_E_IO);
    /* A flipped bit in the deflate data: EIO at read. */
    memcpy(g, f, n);
    g[m0 / 2] ^= 0x10;
    assert_int_equal(open_and_read("bit.gz", g, n), OGAWA_E_IO);
    /* CRC-32 of the second member wrong. */
    memcpy(g, f, n);
    size_t m1 = (size_t)(f[m0 + 16] | f[m0 + 17] << 8) + 1;
    g[m0 + m1 - 8] ^= 1;
    assert_int_equal(open_and_read("crc.gz", g, n), OGAWA_E_IO);
    /* ISIZE of the first member wrong: the member table is wrong from there
     * on, and the read of that member says so. */
    memcpy(g, f, n);
    g[m0 - 4] ^= 1;
    assert_int_not_equal(open_and_read("isize.gz", g, n), 0);
    /* BSIZE pointing inside the member: not a member header there. */
    memcpy(g, f, n);
    g[16] ^= 0x40;
    assert_int_not_equal(open_and_read("bsize.gz", g, n), 0);
    /* A BC subfield of length 3. */
    memcpy(g, f, n);
    g[14] = 3;
    assert_int_equal(open_and_read("slen.gz", g, n), OGAWA_E_CORRUPT);
    /* A second member without BC (a plain gzip member in the middle). */
    memcpy(g, f, n);
    g[m0 + 3] = 0;
    assert_int_equal(open_and_read("nobc.gz", g, n), OGAWA_E_CORRUPT);
    /* Bytes after the end-of-file member. */
    memcpy(g, f, n);
    memcpy(g + n, "garbage!", 8);
    assert_int_not_equal(open_and_read("trail.gz", g, n + 8), 0);
    /* Two blocked gzip files concatenated: members all the way, and an
     * end-of-file member in the middle is only an empty member, so it reads
     * as the data twice, which is what zcat gives too. */
    uint8_t *two = malloc(2 * n);
    memcpy(two, f, n);
    memcpy(two + n, f, n);
    char *p = path_in_dir("two.gz");
    write_file(p, two, 2 * n);
    ogawa_source *s;
    struct ogawa_err err = {0};
    assert_int_equal(ogawa_source_open(p, NULL, &s, &err), 0);
    assert_int_equal(ogawa_source_size(s), 2 * DATA_LEN);
    uint8_t tail[1000];
    assert_int_equal(ogawa_source_pread(s, 2 * DATA_LEN - 1000, tail, 1000, &err), 0);
    assert_memory_equal(tail, data + DATA_LEN - 1000, 1000);
    ogawa_source_close(s);
    unlink(p);
    free(p);
    free(two);
    free(g);
    free(f);
    unlink(gz);
    free(gz);
}

/* ---- any gzip: the checkpoint index ------------------------------------- */

static int
count_index_files(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c '\\.gzi$'", dir);
    FILE *p = popen(cmd, "r");
    int n = 0;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static void
test_gzip_index(void **state)
{
    (void)state;
    char *gz = make_gzip("plain9.gz");
    ogawa_source *s;
    struct ogawa_err err = {0};
    struct ogawa_open_opts o = opts_in_dir();
    int before = count_index_files();
    assert_int_equal(ogawa_source_open(gz, &o, &s, &err), 0);
    assert_int_equal(ogawa_source_kind(s), OGAWA_SOURCE_GZIP);
    assert_int_equal(ogawa_source_fd(s, NULL), -1);
    assert_int_equal(count_index_files(), before + 1);
    struct ogawa_source_stats first;
    ogawa_source_stats(s, &first);
    assert_true(first.bytes_read >= ogawa_source_identity(s)->size);    /* one full pass */
    check_all_bytes(s);
    struct ogawa_source_stats ss;
    ogawa_source_stats(s, &ss);
    assert_true(ss.cache_misses >= 4);     /* 3.5 MB in chunks of about 1 MiB */
    ogawa_source_close(s);

    /* Second open: the index file, no inflate pass. */
    assert_int_equal(ogawa_source_open(gz, &o, &s, &err), 0);
    ogawa_source_stats(s, &ss);
    assert_true(ss.bytes_read < 64);
    assert_int_equal(ss.bytes_inflated, 0);
    uint8_t b[100];
    assert_int_equal(ogawa_source_pread(s, 2500000, b, 100, &err), 0);
    assert_memory_equal(b, data + 2500000, 100);
    ogawa_source_stats(s, &ss);
    assert_true(ss.bytes_inflated <= (2u << 20));   /* one chunk, not from the start */
    check_all_bytes(s);
    ogawa_source_close(s);
    unlink(gz);
    free(gz);
}

/* An index file given by name: written there, damaged copies rebuilt. */
static void
test_gzip_index_file_damaged(void **state)
{
    (void)state;
    char *gz = make_gzip("idx.gz"), *idx = path_in_dir("explicit.gzi");
    struct ogawa_open_opts o = {.gz_index = idx, .quiet = true};
    ogawa_source *s;
    struct ogawa_err err = {0};
    assert_int_equal(ogawa_source_open(gz, &o, &s, &err), 0);
    ogawa_source_close(s);
    size_t n;
    uint8_t *good = read_file(idx, &n);
    assert_true(n > 88 + 48);
    /* Every single-byte change anywhere (a sample of positions) is caught
     * and the index rebuilt: the open does a full pass again. */
    size_t positions[] = {0, 9, 13, 20, 60, 70, 88, 90, 100, 130, n / 2, n - 1};
    for (size_t i = 0; i < sizeof positions / sizeof *positions; i++) {
        uint8_t *bad = malloc(n);
        memcpy(bad, good, n);
        bad[positions[i]] ^= 0x5a;
        write_file(idx, bad, n);
        assert_int_equal(ogawa_source_open(gz, &o, &s, &err), 0);
        struct ogawa_source_stats ss;
        ogawa_source_stats(s, &ss);
        assert_true(ss.bytes_read >= ogawa_source_identity(s)->size);
        check_all_bytes(s);
        ogawa_source_close(s);
        size_t n2;
        uint8_t *again = read_file(idx, &n2);      /* rewritten, good again */
        assert_int_equal(n2, n);
        assert_memory_equal(again, good, n);
        free(again);
        free(bad);
    }
    /* A truncated index. */
    write_file(idx, good, n - 10);
    assert_int_equal(ogawa_source_open(gz, &o, &s, &err), 0);
    check_all_bytes(s);
    ogawa_source_close(s);

    /* Stale: the gzip file changed (same path, new content and mtime). */
    struct stat st;
    assert_int_equal(stat(gz, &st), 0);
    size_t gn;
    uint8_t *g = read_file(gz, &gn);
    write_file(gz, g, gn);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    ts[1].tv_sec += 10;
    assert_int_equal(utimensat(AT_FDCWD, gz, ts, 0), 0);
    assert_int_equal(ogawa_source_open(gz, &o, &s, &err), 0);
    struct ogawa_source_stats ss;
    ogawa_source_stats(s, &ss);
    assert_true(ss.bytes_read >= gn);       /* rebuilt */
    ogawa_source_close(s);
    free(g);
    free(good);
    unlink(idx);
    unlink(gz);
    free(idx);
    free(gz);
}

/* The index's windows damaged after it was loaded: EIO, never wrong bytes. */
static void
test_gzip_window_damaged_after_open(void **state)
{
    (void)state;
    char *gz = make_gzip("win.gz"), *idx = path_in_dir("win.gzi");
    struct ogawa_open_opts o = {.gz_index = idx, .quiet = true};
    ogawa_source *s;
    struct ogawa_err err = {0};
    assert_int_equal(ogawa_source_open(gz, &o, &s, &err), 0);
    ogawa_source_close(s);
    assert_int_equal(ogawa_source_open(gz, &o, &s, &err), 0);  /* served from the file */
    size_t n;
    uint8_t *f = read_file(idx, &n);
    int fd = open(idx, O_WRONLY);      /* in place: the source holds it open */
    for (size_t i = n - 2000; i < n; i++)
        f[i] ^= 0xff;
    assert_int_equal(pwrite(fd, f + n - 2000, 2000, (off_t)(n - 2000)), 2000);
    close(fd);
    uint8_t *buf = malloc(DATA_LEN);
    int rc = ogawa_source_pread(s, DATA_LEN - 10, buf, 10, &err);
    assert_int_equal(rc, OGAWA_E_IO);
    free(buf);
    free(f);
    ogawa_source_close(s);
    unlink(idx);
    unlink(gz);
    free(idx);
    free(gz);
}

static void
test_gzip_damage(void **state)
{
    (void)state;
    char *gz = make_gzip("dmg.gz");
    size_t n;
    uint8_t *f = read_file(gz, &n);
    uint8_t *g = malloc(2 * n + 100);
    /* Indexes of damaged files go to the test directory and are removed
     * with it; none of these may be opened. */
    memcpy(g, f, n);
    g[n - 8] ^= 1;                                  /* CRC-32 */
    assert_int_equal(open_and_read("gcrc.gz", g, n), OGAWA_E_CORRUPT);
    memcpy(g, f, n);
    g[n - 4] ^= 1;                                  /* ISIZE */
    assert_int_equal(open_and_read("gisize.gz", g, n), OGAWA_E_CORRUPT);
    memcpy(g, f, n);
    g[n / 2] ^= 0x08;                               /* deflate data */
    assert_int_not_equal(open_and_read("gdata.gz", g, n), 0);
    assert_int_equal(open_and_read("gtrunc.gz", f, n - 100), OGAWA_E_IO);
    assert_int_equal(open_and_read("gtrunc2.gz", f, 15), OGAWA_E_IO);
    memcpy(g, f, n);
    memcpy(g + n, f, n);                            /* concatenated members */
    assert_int_equal(open_and_read("gcat.gz", g, 2 * n), OGAWA_E_CORRUPT);
    memcpy(g, f, n);
    memset(g + n, 0, 16);                           /* trailing zeros */
    assert_int_equal(open_and_read("gzero.gz", g, n + 16), OGAWA_E_CORRUPT);
    memcpy(g, f, n);
    g[2] = 7;                                       /* compression method */
    assert_int_not_equal(open_and_read("gcm.gz", g, n), 0);
    free(g);
    free(f);
    unlink(gz);
    free(gz);
}

/* ---- block cache ----------------------------------------------------------- */

static void
test_cache_bounded(void **state)
{
    (void)state;
    char *gz = make_bgzf("bounded.gz");
    struct ogawa_open_opts o = {.cache_bytes = 200000, .quiet = true};
    ogawa_source *s;
    struct ogawa_err err = {0};
    assert_int_equal(ogawa_source_open(gz, &o, &s, &err), 0);
    check_all_bytes(s);
    struct ogawa_source_stats ss;
    ogawa_source_stats(s, &ss);
    assert_true(ss.cache_bytes <= 200000);
    assert_true(ss.cache_evictions > 0);
    assert_true(ss.cache_misses > ss.cache_evictions / 2);
    ogawa_source_close(s);
    unlink(gz);
    free(gz);
}

struct reader {
    ogawa_source *s;
    pthread_barrier_t *go;
    int rc;
};

static void *
read_block_five(void *arg)
{
    struct reader *r = arg;
    uint8_t buf[1000];
    struct ogawa_err err = {0};
    pthread_barrier_wait(r->go);
    r->rc = ogawa_source_pread(r->s, 5 * OGAWA_BGZF_BLOCK + 100, buf, sizeof buf, &err);
    if (r->rc == 0 && memcmp(buf, data + 5 * OGAWA_BGZF_BLOCK + 100, sizeof buf) != 0)
        r->rc = -1;
    return NULL;
}

/* Many threads miss on one block at once: it is inflated once. */
static void
test_cache_one_inflate(void **state)
{
    (void)state;
    char *gz = make_bgzf("once.gz");
    for (int round = 0; round < 20; round++) {
        ogawa_source *s;
        struct ogawa_err err = {0};
        struct ogawa_open_opts o = {.quiet = true};
        assert_int_equal(ogawa_source_open(gz, &o, &s, &err), 0);
        enum { N = 8 };
        pthread_t t[N];
        struct reader r[N];
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, N);
        for (int i = 0; i < N; i++) {
            r[i] = (struct reader){s, &go, 0};
            pthread_create(&t[i], NULL, read_block_five, &r[i]);
        }
        for (int i = 0; i < N; i++) {
            pthread_join(t[i], NULL);
            assert_int_equal(r[i].rc, 0);
        }
        pthread_barrier_destroy(&go);
        struct ogawa_source_stats ss;
        ogawa_source_stats(s, &ss);
        assert_int_equal(ss.cache_misses, 1);
        assert_int_equal(ss.cache_hits, N - 1);
        assert_int_equal(ss.bytes_inflated, OGAWA_BGZF_BLOCK);
        ogawa_source_close(s);
    }
    unlink(gz);
    free(gz);
}

static void
test_compress_bad_level(void **state)
{
    (void)state;
    struct ogawa_err err = {0};
    assert_int_equal(ogawa_gzip_compress(0, 1, 10, &err), OGAWA_E_INVAL);
}

static int
setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    make_data();
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    free(data);
    return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_source),
        cmocka_unit_test(test_directory_refused),
        cmocka_unit_test(test_fifo_refused),
        cmocka_unit_test(test_bgzf_format),
        cmocka_unit_test(test_bgzf_reads),
        cmocka_unit_test(test_bgzf_damage),
        cmocka_unit_test(test_gzip_index),
        cmocka_unit_test(test_gzip_index_file_damaged),
        cmocka_unit_test(test_gzip_window_damaged_after_open),
        cmocka_unit_test(test_gzip_damage),
        cmocka_unit_test(test_cache_bounded),
        cmocka_unit_test(test_cache_one_inflate),
        cmocka_unit_test(test_compress_bad_level),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
