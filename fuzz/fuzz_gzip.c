/*
 * fuzz_gzip.c — fuzz target for the gzip sources (source.h): the input is
 * opened as a source (so a gzip input becomes blocked gzip or a gzip with a
 * checkpoint index, anything else a plain file), read whole and in pieces,
 * then opened a second time (a gzip input's index now comes from the index
 * file written by the first open).
 *
 * The reference is zlib's own gzip decoder run over the input member after
 * member, as zcat does.  The promise checked: bytes the source returns are
 * the reference's bytes, and a read that succeeds over the whole archive
 * means the reference decoded the whole input; a damaged input is refused
 * at open or reads fail with OGAWA_E_IO (EIO), never with other bytes.
 *
 * The index file is one fixed path in a temporary directory (removed at
 * exit), and the block cache is small so that eviction runs too.
 */
#include "fuzz_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "source.h"

#define FUZZ_REF_MAX (64u << 20)    /* reference output kept, and largest whole read */
#define FUZZ_PIECES 64              /* reads at offsets taken from the input */

static char fuzz_dir[64];
static char fuzz_index[96];
static uint8_t *ref, *got;

static void
fuzz_gzip_cleanup(void)
{
    unlink(fuzz_index);
    rmdir(fuzz_dir);
}

static void
fuzz_gzip_init(void)
{
    if (ref)
        return;
    snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/abcfs-fuzz-gzip-XXXXXX");
    FUZZ_ASSERT(mkdtemp(fuzz_dir) != NULL);
    snprintf(fuzz_index, sizeof fuzz_index, "%s/index.gzi", fuzz_dir);
    atexit(fuzz_gzip_cleanup);
    ref = malloc(FUZZ_REF_MAX);
    got = malloc(FUZZ_REF_MAX);
    FUZZ_ASSERT(ref && got);
}

/* zcat: every member in turn.  *len: output produced before any error (at
 * most FUZZ_REF_MAX); true when the whole input decoded. */
static bool
fuzz_reference(const uint8_t *data, size_t size, size_t *len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    *len = 0;
    if (inflateInit2(&zs, 31) != Z_OK)
        return false;
    zs.next_in = (uint8_t *)data;
    zs.avail_in = (uInt)size;
    bool ok = size > 0;
    while (ok && zs.avail_in > 0) {
        zs.next_out = ref + *len;
        zs.avail_out = (uInt)(FUZZ_REF_MAX - *len);
        int zr = inflate(&zs, Z_NO_FLUSH);
        *len = FUZZ_REF_MAX - zs.avail_out;
        if (zr == Z_STREAM_END) {
            ok = inflateReset(&zs) == Z_OK;
            if (zs.avail_in == 0)
                break;
        } else if (zr != Z_OK || zs.avail_out == 0) {
            ok = false;
        }
    }
    /* The input ended inside a member: not whole. */
    if (ok && zs.avail_in == 0 && inflate(&zs, Z_NO_FLUSH) != Z_BUF_ERROR)
        ok = false;
    inflateEnd(&zs);
    return ok;
}

static uint64_t
fuzz_word(const uint8_t *data, size_t size, size_t i)
{
    uint64_t v = 0;
    for (size_t k = 0; k < 8 && size > 0; k++)
        v = v << 8 | data[(i * 8 + k) % size];
    return v;
}

static void
fuzz_read_checks(ogawa_source *s, const uint8_t *data, size_t size, bool ref_ok, size_t ref_len)
{
    struct ogawa_err err = { 0 };
    uint64_t n = ogawa_source_size(s);
    if (ogawa_source_kind(s) == OGAWA_SOURCE_FILE) {
        FUZZ_ASSERT(n == size);
        FUZZ_ASSERT(size < 2 || data[0] != 0x1f || data[1] != 0x8b);
        if (n > 0) {
            FUZZ_ASSERT(ogawa_source_pread(s, 0, got, n, &err) == 0);
            FUZZ_ASSERT(memcmp(got, data, n) == 0);
        }
        return;
    }
    FUZZ_ASSERT(size >= 2 && data[0] == 0x1f && data[1] == 0x8b);
    FUZZ_ASSERT(ogawa_source_fd(s, NULL) == -1);
    /* The index pass inflated and checked every byte. */
    if (ogawa_source_kind(s) == OGAWA_SOURCE_GZIP)
        FUZZ_ASSERT(ref_ok || ref_len == FUZZ_REF_MAX);
    /* A plain gzip's size comes from inflating it all (the index pass);
     * a blocked gzip's from its members' trailers, which a damaged member
     * may contradict (BSIZE framing that zlib, reading on, ignores): then
     * its reads must fail, as checked below, rather than the sizes agree. */
    if (ref_ok && ogawa_source_kind(s) == OGAWA_SOURCE_GZIP)
        FUZZ_ASSERT(n == ref_len);
    if (n <= FUZZ_REF_MAX) {
        int rc = ogawa_source_pread(s, 0, got, n, &err);
        fuzz_check_err(rc, &err);
        if (rc == 0) {
            FUZZ_ASSERT(ref_ok && n == ref_len && memcmp(got, ref, n) == 0);
        } else {
            FUZZ_ASSERT(rc == OGAWA_E_IO && err.sys_errno == EIO);
        }
    }
    for (size_t i = 0; i < FUZZ_PIECES && n > 0; i++) {
        uint64_t w = fuzz_word(data, size, i);
        uint64_t off = w % n, len = (w >> 32) % 70000;
        if (len > n - off)
            len = n - off;
        int rc = ogawa_source_pread(s, off, got, len, &err);
        fuzz_check_err(rc, &err);
        if (rc == 0 && off + len <= ref_len)
            FUZZ_ASSERT(memcmp(got, ref + off, len) == 0);
        if (rc != 0)
            FUZZ_ASSERT(rc == OGAWA_E_IO || rc == OGAWA_E_NOMEM);
    }
    uint8_t b;
    FUZZ_ASSERT(ogawa_source_pread(s, n, &b, 1, &err) == OGAWA_E_CORRUPT);
    struct ogawa_source_stats st;
    ogawa_source_stats(s, &st);
    FUZZ_ASSERT(st.cache_bytes <= (1u << 18) || st.cache_bytes <= (16u << 20));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_gzip_init();
    size_t ref_len;
    bool ref_ok = size >= 2 && data[0] == 0x1f && data[1] == 0x8b && fuzz_reference(data, size, &ref_len);
    if (!(size >= 2 && data[0] == 0x1f && data[1] == 0x8b))
        ref_len = 0;
    int fd = fuzz_input_fd(data, size);
    int fd2 = fcntl(fd, F_DUPFD_CLOEXEC, 0);  /* the same file, unchanged, for the second open */
    FUZZ_ASSERT(fd2 >= 0);
    struct ogawa_open_opts opts = {.gz_index = fuzz_index, .quiet = true, .cache_bytes = 1u << 18};
    for (int pass = 0; pass < 2; pass++) {
        struct ogawa_err err = { 0 };
        ogawa_source *s = NULL;
        int rc = ogawa_source_open_fd(pass == 0 ? fd : fd2, &opts, &s, &err);
        fuzz_check_err(rc, &err);
        if (rc) {
            FUZZ_ASSERT(s == NULL);
            FUZZ_ASSERT(rc == OGAWA_E_IO || rc == OGAWA_E_CORRUPT || rc == OGAWA_E_NOMEM);
            if (pass == 0) {
                fuzz_input_done(fd);
                close(fd2);
                return 0;
            }
            break;
        }
        fuzz_read_checks(s, data, size, ref_ok, ref_len);
        ogawa_source_close(s);
    }
    fuzz_input_done(fd);
    fuzz_input_done(fd2);
    return 0;
}
