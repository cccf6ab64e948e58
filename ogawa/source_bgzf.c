/*
 * source_bgzf.c — blocked gzip: a sequence of gzip members, each holding
 * at most 64 KiB of archive bytes and carrying its own length in its
 * header, as htslib's BGZF (and abccopy --gzip) writes them:
 *
 *   1f 8b 08 04 MTIME(4) XFL OS XLEN(2) ... 'B' 'C' 02 00 BSIZE(2) ...
 *   deflate data, CRC-32(4), ISIZE(4)
 *
 * BSIZE is the member's total size minus 1, so member k+1 starts at a
 * known offset.  At open the member table is read from the headers only:
 * one pread per member of the previous member's trailer (its ISIZE gives
 * the archive offset) and the next header, 26 bytes for a standard one,
 * so a 1 GB archive (16k members) costs ~420 KB read and a table of
 * 24 bytes per member.  The whole table is needed at open since the
 * archive's size (the sum of the ISIZEs) is the container's bound for
 * every offset.  The file must end with an empty member (BGZF's
 * end-of-file marker): without it the file was cut at a member boundary.
 *
 * A read inflates the members it touches (through the block cache), each
 * checked: the deflate stream ends exactly at the trailer, and its CRC-32
 * and length equal the trailer's.
 */
#include "source_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define BGZF_HEADER_FIXED 12        /* ID1 ID2 CM FLG MTIME XFL OS XLEN */
#define BGZF_STD_HEADER 18          /* fixed part + one BC subfield */
#define BGZF_TRAILER 8
#define BGZF_MAX_MEMBER 65536       /* BSIZE is 16 bits: member size - 1 */
#define BGZF_MAX_ISIZE 65536

struct bgzf_member {
    uint64_t coff;              /* offset of the member in the file */
    uint64_t uoff;              /* archive offset of its first byte */
    uint32_t csize;             /* member bytes, header and trailer included */
    uint32_t usize;             /* archive bytes, 1..65536 */
};

struct bgzf {
    struct bgzf_member *m;      /* members with data, by uoff */
    uint64_t n, cap;
};

static uint16_t bgzf_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t
bgzf_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int bgzf_parse_extra(uint64_t coff, const uint8_t *x, uint32_t xlen, uint32_t *csize,
                            bool *no_bc, struct ogawa_err *err);

/*
 * Parses the header of the member at coff from hdr (have bytes of it),
 * reading more when its extra field is longer than what is there.  Sets
 * *csize (member size from BSIZE + 1) and *hlen; *no_bc when the header is
 * a valid gzip header without the BC subfield.
 */
static int
bgzf_parse_header(ogawa_source *s, uint64_t coff, const uint8_t *hdr, size_t have,
                  uint32_t *csize, uint32_t *hlen, bool *no_bc, struct ogawa_err *err)
{
    *no_bc = false;
    if (have < BGZF_HEADER_FIXED || hdr[0] != 0x1f || hdr[1] != 0x8b)
        return OGAWA_CORRUPT(err, coff, "bytes after a gzip member are not a gzip member");
    if (hdr[2] != 8)
        return OGAWA_CORRUPT(err, coff, "gzip member with an unknown compression method");
    if (hdr[3] != 0x04) {
        /* Not FEXTRA alone: a plain gzip header (or one BGZF never writes). */
        *no_bc = true;
        return 0;
    }
    uint32_t xlen = bgzf_le16(hdr + 10);
    uint8_t *big = NULL;
    const uint8_t *x = hdr + BGZF_HEADER_FIXED;
    if (have < BGZF_HEADER_FIXED + xlen) {
        if (!ogawa_range_ok(coff, BGZF_HEADER_FIXED + xlen, s->id.size))
            return ogawa_source_io_fail(err, EIO, coff, "blocked gzip file is truncated");
        big = malloc(xlen);
        if (!big)
            return ogawa_fail(err, OGAWA_E_NOMEM, coff, "out of memory reading a gzip header");
        int rc = ogawa_source_raw_pread(s, coff + BGZF_HEADER_FIXED, big, xlen, err);
        if (rc) {
            free(big);
            return rc;
        }
        x = big;
    }
    int rc = bgzf_parse_extra(coff, x, xlen, csize, no_bc, err);
    free(big);
    if (rc || *no_bc)
        return rc;
    *hlen = BGZF_HEADER_FIXED + xlen;
    if (*csize < *hlen + BGZF_TRAILER + 2)   /* 2: the smallest deflate stream */
        return OGAWA_CORRUPT(err, coff, "BGZF block size smaller than its header");
    return 0;
}

/* Finds the BC subfield in the extra field x (xlen bytes). */
static int
bgzf_parse_extra(uint64_t coff, const uint8_t *x, uint32_t xlen, uint32_t *csize, bool *no_bc,
                 struct ogawa_err *err)
{
    bool found = false;
    uint32_t bsize = 0;
    for (uint32_t i = 0; i < xlen;) {
        if (xlen - i < 4)
            return OGAWA_CORRUPT(err, coff, "gzip extra field with a cut subfield");
        uint32_t slen = bgzf_le16(x + i + 2);
        if (slen > xlen - i - 4)
            return OGAWA_CORRUPT(err, coff, "gzip extra subfield passes its field");
        if (x[i] == 'B' && x[i + 1] == 'C') {
            if (slen != 2 || found)
                return OGAWA_CORRUPT(err, coff, "bad BGZF block size subfield");
            bsize = bgzf_le16(x + i + 4);
            found = true;
        }
        i += 4 + slen;
    }
    *no_bc = !found;
    *csize = bsize + 1;
    return 0;
}

static int
bgzf_push(struct bgzf *z, struct bgzf_member m, uint64_t coff, struct ogawa_err *err)
{
    if (z->n == z->cap) {
        uint64_t cap = z->cap ? z->cap * 2 : 1024;
        struct bgzf_member *p = realloc(z->m, cap * sizeof *p);
        if (!p)
            return ogawa_fail(err, OGAWA_E_NOMEM, coff, "out of memory for the member table");
        z->m = p;
        z->cap = cap;
    }
    z->m[z->n++] = m;
    return 0;
}

static int bgzf_inflate_member(ogawa_source *s, const struct bgzf_member *m, const uint8_t *in,
                               uint8_t *buf, uint64_t len, struct ogawa_err *err);

/* Inflates member idx into buf (exactly its usize bytes) and checks it. */
static int
bgzf_fill(ogawa_source *s, uint64_t idx, uint8_t *buf, uint64_t len, struct ogawa_err *err)
{
    struct bgzf *z = s->impl;
    const struct bgzf_member *m = &z->m[idx];
    uint8_t *in = malloc(m->csize);
    if (!in)
        return ogawa_fail(err, OGAWA_E_NOMEM, m->coff, "out of memory inflating a member");
    int rc = ogawa_source_raw_pread(s, m->coff, in, m->csize, err);
    if (rc == 0)
        rc = bgzf_inflate_member(s, m, in, buf, len, err);
    free(in);
    return rc;
}

/* Inflates the member m, read into in, to buf (len bytes) and checks it. */
static int
bgzf_inflate_member(ogawa_source *s, const struct bgzf_member *m, const uint8_t *in,
                    uint8_t *buf, uint64_t len, struct ogawa_err *err)
{
    uint32_t hlen = BGZF_HEADER_FIXED + bgzf_le16(in + 10);
    if (in[0] != 0x1f || in[1] != 0x8b || hlen + BGZF_TRAILER > m->csize)
        return ogawa_source_io_fail(err, EIO, m->coff, "gzip member changed since open");
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -15) != Z_OK)
        return ogawa_fail(err, OGAWA_E_NOMEM, m->coff, "cannot start inflate");
    zs.next_in = (uint8_t *)in + hlen;
    zs.avail_in = m->csize - hlen - BGZF_TRAILER;
    zs.next_out = buf;
    zs.avail_out = len ? (uInt)len : 1;     /* room for one byte too many of an empty member */
    int zr = inflate(&zs, Z_FINISH);
    bool ok = zr == Z_STREAM_END && zs.avail_in == 0 && zs.total_out == len;
    inflateEnd(&zs);
    if (!ok)
        return ogawa_source_io_fail(err, EIO, m->coff, "damaged gzip member (inflate failed)");
    const uint8_t *t = in + m->csize - BGZF_TRAILER;
    if (bgzf_le32(t + 4) != len)
        return ogawa_source_io_fail(err, EIO, m->coff, "gzip member length does not match");
    if (crc32(0, buf, (uInt)len) != bgzf_le32(t))
        return ogawa_source_io_fail(err, EIO, m->coff, "gzip member checksum does not match");
    __atomic_fetch_add(&s->bytes_inflated, len, __ATOMIC_RELAXED);
    return 0;
}

static int
bgzf_check_empty(ogawa_source *s, const struct bgzf_member *m, struct ogawa_err *err)
{
    uint8_t *in = malloc(m->csize), dummy;
    if (!in)
        return ogawa_fail(err, OGAWA_E_NOMEM, m->coff, "out of memory inflating a member");
    int rc = ogawa_source_raw_pread(s, m->coff, in, m->csize, err);
    if (rc == 0)
        rc = bgzf_inflate_member(s, m, in, &dummy, 0, err);
    free(in);
    return rc;
}

static int
bgzf_read(ogawa_source *s, uint64_t off, void *buf, uint64_t len, struct ogawa_err *err)
{
    struct bgzf *z = s->impl;
    /* The last member whose uoff <= off. */
    uint64_t lo = 0, hi = z->n;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (z->m[mid].uoff <= off)
            lo = mid;
        else
            hi = mid;
    }
    uint8_t *p = buf;
    for (uint64_t i = lo; len > 0; i++) {
        if (i >= z->n)
            return OGAWA_CORRUPT(err, off, "read past the end of the archive");
        const struct bgzf_member *m = &z->m[i];
        uint64_t in = off - m->uoff;
        uint64_t take = m->usize - in < len ? m->usize - in : len;
        int rc = ogawa_block_cache_copy(s->cache, s, i, m->usize, in, p, take, bgzf_fill, err);
        if (rc)
            return rc;
        p += take;
        off += take;
        len -= take;
    }
    return 0;
}

static void
bgzf_close(ogawa_source *s)
{
    struct bgzf *z = s->impl;
    if (z)
        free(z->m);
    free(z);
}

static const struct ogawa_source_ops bgzf_ops = {
    .read = bgzf_read,
    .close = bgzf_close,
};

int
ogawa_source_bgzf_init(ogawa_source *s, const struct ogawa_open_opts *opts, bool *not_bgzf,
                       struct ogawa_err *err)
{
    *not_bgzf = false;
    uint64_t fsize = s->id.size;
    uint8_t hdr[BGZF_STD_HEADER + BGZF_TRAILER];
    size_t have = fsize < BGZF_STD_HEADER ? (size_t)fsize : BGZF_STD_HEADER;
    int rc = ogawa_source_raw_pread(s, 0, hdr, have, err);
    if (rc)
        return rc;
    uint32_t csize = 0, hlen = 0;
    bool no_bc;
    rc = bgzf_parse_header(s, 0, hdr, have, &csize, &hlen, &no_bc, err);
    if (rc)
        return rc;
    if (no_bc) {
        *not_bgzf = true;       /* a gzip file of another kind */
        return 0;
    }
    struct bgzf *z = calloc(1, sizeof *z);
    if (!z)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory opening archive");
    s->impl = z;
    s->ops = &bgzf_ops;
    s->kind = OGAWA_SOURCE_BGZF;

    uint64_t coff = 0, uoff = 0;
    for (;;) {
        if (!ogawa_range_ok(coff, csize, fsize))
            return ogawa_source_io_fail(err, EIO, coff, "blocked gzip file is truncated");
        uint64_t next = coff + csize;
        /* This member's trailer and the next member's standard header. */
        have = fsize - next < BGZF_STD_HEADER ? (size_t)(fsize - next) : BGZF_STD_HEADER;
        rc = ogawa_source_raw_pread(s, next - BGZF_TRAILER, hdr, BGZF_TRAILER + have, err);
        if (rc)
            return rc;
        uint32_t isize = bgzf_le32(hdr + 4);
        if (isize > BGZF_MAX_ISIZE)
            return OGAWA_CORRUPT(err, coff, "BGZF member holds more than 64 KiB");
        if (isize > 0) {
            rc = bgzf_push(z, (struct bgzf_member){coff, uoff, csize, isize}, coff, err);
            if (rc)
                return rc;
            uoff += isize;
        } else {
            /* An empty member (the end-of-file one) is never read later:
             * checked now, so that a damaged one is not taken for an end. */
            rc = bgzf_check_empty(s, &(struct bgzf_member){coff, uoff, csize, 0}, err);
            if (rc)
                return rc;
        }
        if (next == fsize) {
            if (isize != 0)
                return ogawa_source_io_fail(err, EIO, next,
                                            "blocked gzip file is truncated (no end-of-file member)");
            break;
        }
        rc = bgzf_parse_header(s, next, hdr + BGZF_TRAILER, have, &csize, &hlen, &no_bc, err);
        if (rc)
            return rc;
        if (no_bc)
            return OGAWA_CORRUPT(err, next, "gzip member without the BGZF block size field "
                                            "in a blocked gzip file");
        coff = next;
    }
    s->size = uoff;
    uint64_t cap = opts && opts->cache_bytes ? opts->cache_bytes : OGAWA_CACHE_DEFAULT;
    s->cache = ogawa_block_cache_new(cap, z->n);
    if (!s->cache)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory for the block cache");
    return 0;
}
