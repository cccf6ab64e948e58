/*
 * gzip_write.c — ogawa_gzip_compress: a plain archive to blocked gzip.
 *
 * A separate streaming converter rather than a mode of the writer: the
 * writer patches the header (root offset, frozen byte) when it finishes
 * and reads payloads back to de-duplicate them, so its output must be a
 * seekable plain file; compressing that file afterwards keeps the writer
 * as it is and also turns any existing archive into blocked gzip.
 *
 * Each member: an 18-byte header (FLG = FEXTRA, XLEN 6, subfield 'B','C'
 * of length 2 holding the member size - 1), raw deflate of at most
 * OGAWA_BGZF_BLOCK input bytes, CRC-32 and ISIZE.  A block that deflate
 * would make too large for the 16-bit size field is stored instead (level
 * 0), which always fits.  The file ends with BGZF's 28-byte empty member.
 */
#include "source_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define BGZF_HEADER 18
#define BGZF_TRAILER 8
#define BGZF_MAX_MEMBER 65536

static const uint8_t bgzf_eof[28] = {
    0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x06, 0, 'B', 'C', 0x02, 0,
    0x1b, 0, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static int
gzw_write_all(int fd, const uint8_t *p, size_t len, struct ogawa_err *err)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return ogawa_source_io_fail(err, errno, 0, "cannot write compressed archive");
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Where the bytes to compress come from: an fd read to its end, or a
 * source read from offset 0 to its size. */
struct gzw_input {
    int fd;
    ogawa_source *src;
    uint64_t pos;
};

/* Reads up to cap bytes (fewer only at end of input). */
static int
gzw_read_full(struct gzw_input *in, uint8_t *p, size_t cap, size_t *got, struct ogawa_err *err)
{
    *got = 0;
    if (in->src) {
        uint64_t left = ogawa_source_size(in->src) - in->pos;
        size_t n = left < cap ? (size_t)left : cap;
        int rc = ogawa_source_pread(in->src, in->pos, p, n, err);
        if (rc == 0) {
            in->pos += n;
            *got = n;
        }
        return rc;
    }
    int fd = in->fd;
    while (*got < cap) {
        ssize_t r = read(fd, p + *got, cap - *got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ogawa_source_io_fail(err, errno, 0, "cannot read archive to compress");
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return 0;
}

/* Deflates in[0..n) into out + BGZF_HEADER at level; *clen the deflate
 * bytes, or 0 when they would not fit a member. */
static int
gzw_deflate(z_stream *zs, int level, const uint8_t *in, size_t n, uint8_t *out, size_t *clen)
{
    if (deflateReset(zs) != Z_OK || deflateParams(zs, level, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    zs->next_in = (uint8_t *)in;
    zs->avail_in = (uInt)n;
    zs->next_out = out + BGZF_HEADER;
    zs->avail_out = BGZF_MAX_MEMBER - BGZF_HEADER - BGZF_TRAILER;
    int zr = deflate(zs, Z_FINISH);
    if (zr == Z_STREAM_END) {
        *clen = zs->total_out;
        return 0;
    }
    if (zr == Z_OK || zr == Z_BUF_ERROR) {  /* did not fit */
        *clen = 0;
        return 0;
    }
    return -1;
}

static int gzw_compress(struct gzw_input *src, int out_fd, int level, struct ogawa_err *err);

int
ogawa_gzip_compress(int in_fd, int out_fd, int level, struct ogawa_err *err)
{
    struct gzw_input in = {.fd = in_fd};
    return gzw_compress(&in, out_fd, level, err);
}

int
ogawa_gzip_compress_source(ogawa_source *src, int out_fd, int level, struct ogawa_err *err)
{
    struct gzw_input in = {.fd = -1, .src = src};
    return gzw_compress(&in, out_fd, level, err);
}

static int
gzw_compress(struct gzw_input *src, int out_fd, int level, struct ogawa_err *err)
{
    if (level == 0)
        level = 6;
    if (level < 1 || level > 9)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "gzip level must be 1 to 9");
    uint8_t *in = malloc(OGAWA_BGZF_BLOCK), *out = malloc(BGZF_MAX_MEMBER);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    int rc = 0;
    if (!in || !out || deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(in);
        free(out);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory compressing");
    }
    for (;;) {
        size_t n;
        rc = gzw_read_full(src, in, OGAWA_BGZF_BLOCK, &n, err);
        if (rc || n == 0)
            break;
        size_t clen;
        if (gzw_deflate(&zs, level, in, n, out, &clen) != 0) {
            rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "deflate failed");
            break;
        }
        if (clen == 0 && (gzw_deflate(&zs, 0, in, n, out, &clen) != 0 || clen == 0)) {
            rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "deflate failed (stored block)");
            break;
        }
        size_t total = BGZF_HEADER + clen + BGZF_TRAILER;
        memcpy(out, bgzf_eof, BGZF_HEADER);     /* same header, own size */
        out[16] = (uint8_t)((total - 1) & 0xff);
        out[17] = (uint8_t)((total - 1) >> 8);
        uint32_t crc = (uint32_t)crc32(0, in, (uInt)n), isize = (uint32_t)n;
        uint8_t *t = out + BGZF_HEADER + clen;
        for (int i = 0; i < 4; i++) {
            t[i] = (uint8_t)(crc >> (8 * i));
            t[4 + i] = (uint8_t)(isize >> (8 * i));
        }
        rc = gzw_write_all(out_fd, out, total, err);
        if (rc)
            break;
    }
    if (rc == 0)
        rc = gzw_write_all(out_fd, bgzf_eof, sizeof bgzf_eof, err);
    deflateEnd(&zs);
    free(in);
    free(out);
    return rc;
}
