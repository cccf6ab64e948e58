/*
 * png.c — the PNG writer of `.preview/` pictures; the contract is in
 * png.h.  Section numbers are those of the PNG specification (W3C, second
 * edition).
 *
 * The whole filtered image is built first and deflated in one stream, then
 * cut into IDAT chunks: simple, and the output does not depend on how the
 * input was fed to zlib.  A 256 x 256 picture is 263 KiB filtered, so the
 * extra copy is cheap.
 *
 * Level 6 rather than 9: the rendered pictures (large flat areas, mostly
 * transparent) are small at 6 already, 9 takes several times as long for a
 * modest saving, and a picture is made each time a reader opens it.
 * Level 1 and Z_RLE are faster but give clearly bigger files; Z_FILTERED
 * gives slightly bigger ones than the default strategy.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "png.h"

#define PNG_BPP 4                   /* bytes per pixel: RGBA, 8 bits each */
#define PNG_MAX_DIM 0x7FFFFFFFu     /* PNG §11.2.2: width and height < 2^31 */

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

static void
png_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Writes a chunk (length, type, data, CRC of type and data) at p; returns
 * the byte after it. */
static uint8_t *
png_put_chunk(uint8_t *p, const char type[4], const uint8_t *data, uint32_t len)
{
    png_put32(p, len);
    memcpy(p + 4, type, 4);
    if (len > 0)
        memcpy(p + 8, data, len);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, p + 4, 4 + len);
    png_put32(p + 8 + len, (uint32_t)crc);
    return p + 12 + len;
}

/* PNG §9.4. */
static uint8_t
png_paeth(uint8_t a, uint8_t b, uint8_t c)
{
    int p = (int)a + (int)b - (int)c;
    int pa = abs(p - (int)a), pb = abs(p - (int)b), pc = abs(p - (int)c);
    if (pa <= pb && pa <= pc)
        return a;
    return pb <= pc ? b : c;
}

/* Filters one row (n bytes; prior is the row above, or zeros) with each of
 * the five filters into cand[type * n ...] and writes the best, after its
 * filter type byte, to out. */
static void
png_filter_row(const uint8_t *row, const uint8_t *prior, size_t n, uint8_t *cand, uint8_t *out)
{
    uint8_t *none = cand, *sub = cand + n, *up = cand + 2 * n;
    uint8_t *avg = cand + 3 * n, *paeth = cand + 4 * n;
    for (size_t i = 0; i < n; i++) {
        uint8_t x = row[i], b = prior[i];
        uint8_t a = i >= PNG_BPP ? row[i - PNG_BPP] : 0;
        uint8_t c = i >= PNG_BPP ? prior[i - PNG_BPP] : 0;
        none[i] = x;
        sub[i] = (uint8_t)(x - a);
        up[i] = (uint8_t)(x - b);
        avg[i] = (uint8_t)(x - (uint8_t)(((unsigned)a + b) >> 1));
        paeth[i] = (uint8_t)(x - png_paeth(a, b, c));
    }
    int best = 0;
    uint64_t best_sum = UINT64_MAX;
    for (int type = 0; type < 5; type++) {
        const uint8_t *f = cand + (size_t)type * n;
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += f[i] < 128 ? f[i] : 256u - f[i];
        if (sum < best_sum) {
            best_sum = sum;
            best = type;
        }
    }
    out[0] = (uint8_t)best;
    memcpy(out + 1, cand + (size_t)best * n, n);
}

/* Deflates in[0 .. in_len) into a new buffer (*zout, *zlen). */
static int
png_deflate(const uint8_t *in, size_t in_len, uint8_t **zout, size_t *zlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, PNG_DEFLATE_LEVEL, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -ENOMEM;
    uLong bound = deflateBound(&zs, (uLong)in_len);
    uint8_t *buf = malloc(bound);
    if (buf == NULL) {
        deflateEnd(&zs);
        return -ENOMEM;
    }
    /* avail_in and avail_out are 32-bit: feed and drain in slices. */
    size_t in_off = 0, out_off = 0;
    int zret;
    do {
        size_t in_left = in_len - in_off, out_left = bound - out_off;
        zs.next_in = (Bytef *)(uintptr_t)(in + in_off);
        zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
        zs.next_out = buf + out_off;
        zs.avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
        uInt had_in = zs.avail_in, had_out = zs.avail_out;
        bool last = in_left == zs.avail_in;
        zret = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
        in_off += had_in - zs.avail_in;
        out_off += had_out - zs.avail_out;
        if (zret != Z_OK && zret != Z_STREAM_END)
            break;
    } while (zret != Z_STREAM_END);
    deflateEnd(&zs);
    if (zret != Z_STREAM_END) {
        free(buf);
        return -EIO;
    }
    *zout = buf;
    *zlen = out_off;
    return 0;
}

int
png_encode_rgba(const uint8_t *rgba, uint32_t width, uint32_t height, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (rgba == NULL || width == 0 || height == 0 || width > PNG_MAX_DIM || height > PNG_MAX_DIM)
        return -EINVAL;
    size_t row_len = (size_t)width * PNG_BPP;   /* width < 2^31: no overflow on 64 bits */
    if (row_len > SIZE_MAX / 5 - 1 || height > (SIZE_MAX - 1) / (row_len + 1))
        return -EOVERFLOW;
    size_t filtered_len = (size_t)height * (row_len + 1);

    uint8_t *filtered = malloc(filtered_len);
    uint8_t *cand = malloc(5 * row_len);
    uint8_t *zeros = calloc(1, row_len);
    if (filtered == NULL || cand == NULL || zeros == NULL) {
        free(filtered);
        free(cand);
        free(zeros);
        return -ENOMEM;
    }
    for (size_t y = 0; y < height; y++) {
        const uint8_t *row = rgba + y * row_len;
        const uint8_t *prior = y > 0 ? row - row_len : zeros;
        png_filter_row(row, prior, row_len, cand, filtered + y * (row_len + 1));
    }
    free(cand);
    free(zeros);

    uint8_t *z = NULL;
    size_t zlen = 0;
    int rc = png_deflate(filtered, filtered_len, &z, &zlen);
    free(filtered);
    if (rc < 0)
        return rc;

    size_t n_idat = zlen == 0 ? 1 : (zlen + PNG_IDAT_MAX - 1) / PNG_IDAT_MAX;
    size_t total = sizeof png_signature + (12 + 13) + n_idat * 12 + zlen + 12;
    uint8_t *buf = malloc(total);
    if (buf == NULL) {
        free(z);
        return -ENOMEM;
    }
    uint8_t *p = buf;
    memcpy(p, png_signature, sizeof png_signature);
    p += sizeof png_signature;
    /* IHDR, PNG §11.2.2: bit depth 8, colour type 6 (RGBA), compression 0,
     * filter method 0, no interlace. */
    uint8_t ihdr[13];
    png_put32(ihdr, width);
    png_put32(ihdr + 4, height);
    ihdr[8] = 8;
    ihdr[9] = 6;
    ihdr[10] = 0;
    ihdr[11] = 0;
    ihdr[12] = 0;
    p = png_put_chunk(p, "IHDR", ihdr, sizeof ihdr);
    for (size_t off = 0; off < zlen; off += PNG_IDAT_MAX) {
        size_t n = zlen - off < PNG_IDAT_MAX ? zlen - off : PNG_IDAT_MAX;
        p = png_put_chunk(p, "IDAT", z + off, (uint32_t)n);
    }
    free(z);
    p = png_put_chunk(p, "IEND", NULL, 0);
    *out = buf;
    *len = (size_t)(p - buf);
    return 0;
}
