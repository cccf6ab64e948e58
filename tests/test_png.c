/*
 * test_png.c — fs/png.c, the PNG writer of `.preview/` pictures: every
 * file is taken apart here with zlib alone (signature, chunk CRCs, IHDR,
 * IDAT inflated and un-filtered) and must give back the input pixels
 * exactly; the per-row filter choice is checked against the
 * minimum-sum-of-absolute-differences rule; errors leave no buffer.
 * tests/png_check.py decodes rastertest's files with a second decoder.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "png.h"
#include "raster.h"

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What decode_png found. */
struct decoded {
    uint32_t width, height;
    uint8_t *rgba;          /* the un-filtered pixels, malloc'ed */
    uint8_t *filters;       /* each row's filter type, malloc'ed */
    size_t n_idat;
};

static void
decoded_free(struct decoded *d)
{
    free(d->rgba);
    free(d->filters);
}

static int
paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (pa <= pb && pa <= pc) ? a : pb <= pc ? b : c;
}

/* Decodes png[0 .. len), failing the test on anything out of place. */
static void
decode_png(const uint8_t *png, size_t len, struct decoded *d)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    memset(d, 0, sizeof *d);
    assert_true(len >= 8);
    assert_memory_equal(png, sig, 8);
    size_t off = 8;
    uint8_t *idat = NULL;
    size_t idat_len = 0;
    int seen_ihdr = 0, seen_iend = 0;
    while (off < len) {
        assert_false(seen_iend);            /* nothing after IEND */
        assert_true(len - off >= 12);
        uint32_t n = get32(png + off);
        assert_true(n <= len - off - 12);
        const uint8_t *type = png + off + 4, *data = png + off + 8;
        uLong crc = crc32(crc32(0L, Z_NULL, 0), type, 4 + n);
        assert_int_equal(get32(data + n), (uint32_t)crc);
        if (memcmp(type, "IHDR", 4) == 0) {
            assert_false(seen_ihdr);
            assert_int_equal(off, 8);       /* IHDR comes first */
            assert_int_equal(n, 13);
            d->width = get32(data);
            d->height = get32(data + 4);
            assert_int_equal(data[8], 8);   /* bit depth */
            assert_int_equal(data[9], 6);   /* RGBA */
            assert_int_equal(data[10], 0);
            assert_int_equal(data[11], 0);
            assert_int_equal(data[12], 0);  /* no interlace */
            seen_ihdr = 1;
        } else if (memcmp(type, "IDAT", 4) == 0) {
            assert_true(seen_ihdr);
            assert_true(n <= PNG_IDAT_MAX);
            idat = realloc(idat, idat_len + n);
            assert_non_null(idat);
            memcpy(idat + idat_len, data, n);
            idat_len += n;
            d->n_idat++;
        } else if (memcmp(type, "IEND", 4) == 0) {
            assert_int_equal(n, 0);
            seen_iend = 1;
        } else {
            fail_msg("unexpected chunk %.4s", (const char *)type);
        }
        off += 12 + n;
    }
    assert_true(seen_iend);
    assert_true(d->n_idat >= 1);

    /* Inflate to exactly height * (1 + 4 width) bytes, and the stream
     * ends there. */
    size_t row_len = (size_t)d->width * 4, raw_len = (size_t)d->height * (row_len + 1);
    uint8_t *raw = malloc(raw_len + 1);
    assert_non_null(raw);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(inflateInit(&zs), Z_OK);
    zs.next_in = idat;
    zs.avail_in = (uInt)idat_len;
    zs.next_out = raw;
    zs.avail_out = (uInt)(raw_len + 1);
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    assert_int_equal(zs.total_out, raw_len);
    assert_int_equal(zs.avail_in, 0);
    inflateEnd(&zs);
    free(idat);

    /* Un-filter (PNG §9). */
    d->rgba = malloc(row_len * d->height);
    d->filters = malloc(d->height);
    assert_non_null(d->rgba);
    assert_non_null(d->filters);
    for (size_t y = 0; y < d->height; y++) {
        const uint8_t *in = raw + y * (row_len + 1);
        uint8_t *row = d->rgba + y * row_len;
        const uint8_t *prior = y > 0 ? row - row_len : NULL;
        assert_true(in[0] <= 4);
        d->filters[y] = in[0];
        for (size_t i = 0; i < row_len; i++) {
            int a = i >= 4 ? row[i - 4] : 0, b = prior ? prior[i] : 0;
            int c = (i >= 4 && prior) ? prior[i - 4] : 0;
            int pred = 0;
            switch (in[0]) {
            case 1: pred = a; break;
            case 2: pred = b; break;
            case 3: pred = (a + b) / 2; break;
            case 4: pred = paeth(a, b, c); break;
            }
            row[i] = (uint8_t)(in[1 + i] + pred);
        }
    }
    free(raw);
}

/* Encodes, decodes and compares; returns the decoding for more checks. */
static void
roundtrip(const uint8_t *rgba, uint32_t w, uint32_t h, struct decoded *d, size_t *png_len)
{
    uint8_t *png = NULL;
    size_t len = 0;
    assert_int_equal(png_encode_rgba(rgba, w, h, &png, &len), 0);
    assert_non_null(png);
    decode_png(png, len, d);
    assert_int_equal(d->width, w);
    assert_int_equal(d->height, h);
    assert_memory_equal(d->rgba, rgba, (size_t)w * h * 4);
    /* Same bytes the second time. */
    uint8_t *again = NULL;
    size_t again_len = 0;
    assert_int_equal(png_encode_rgba(rgba, w, h, &again, &again_len), 0);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, png, len);
    free(again);
    free(png);
    if (png_len != NULL)
        *png_len = len;
}

static uint8_t *
noise(uint32_t w, uint32_t h, uint32_t seed)
{
    uint8_t *px = malloc((size_t)w * h * 4);
    assert_non_null(px);
    for (size_t k = 0; k < (size_t)w * h * 4; k++) {
        seed = seed * 1664525u + 1013904223u;
        px[k] = (uint8_t)(seed >> 24);
    }
    return px;
}

static void
test_png_rendered_picture(void **state)
{
    (void)state;
    const double lo[3] = {-1, -1, -1}, hi[3] = {1, 1, 1};
    struct raster *r = NULL;
    assert_int_equal(raster_init(&r, lo, hi), 0);
    raster_triangle(r, (double[3]){1, -1, 1}, (double[3]){1, 1, -1}, (double[3]){-1, 1, 1});
    raster_line(r, (double[3]){-1, -1, -1}, (double[3]){1, 1, -1});
    raster_point(r, (double[3]){0, -1, 0});
    struct decoded d;
    size_t len;
    roundtrip(raster_pixels(r), RASTER_SIZE, RASTER_SIZE, &d, &len);
    assert_int_equal(d.width, 256);
    assert_int_equal(d.height, 256);
    assert_int_equal(d.n_idat, 1);
    /* Mostly flat colour: it must compress well. */
    assert_true(len < 8000);
    decoded_free(&d);
    raster_free(r);
}

static void
test_png_empty_picture(void **state)
{
    (void)state;
    uint8_t *px = calloc(256 * 256, 4);
    assert_non_null(px);
    struct decoded d;
    size_t len;
    roundtrip(px, 256, 256, &d, &len);
    for (uint32_t y = 0; y < 256; y++)
        assert_int_equal(d.filters[y], 0);   /* all sums 0: the lowest type wins */
    assert_true(len < 1000);
    decoded_free(&d);
    free(px);
}

static void
test_png_odd_sizes(void **state)
{
    (void)state;
    const uint32_t sizes[][2] = {{1, 1}, {1, 9}, {9, 1}, {3, 7}, {257, 100}, {100, 257}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint8_t *px = noise(sizes[k][0], sizes[k][1], (uint32_t)k + 1);
        struct decoded d;
        roundtrip(px, sizes[k][0], sizes[k][1], &d, NULL);
        decoded_free(&d);
        free(px);
    }
}

/* Sum of the filtered bytes as signed magnitudes (PNG §12.8). */
static uint64_t
filter_sum(const uint8_t *row, const uint8_t *prior, size_t n, int type)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        int a = i >= 4 ? row[i - 4] : 0, b = prior ? prior[i] : 0;
        int c = (i >= 4 && prior) ? prior[i - 4] : 0;
        int pred = type == 0 ? 0 : type == 1 ? a : type == 2 ? b : type == 3 ? (a + b) / 2 : paeth(a, b, c);
        uint8_t f = (uint8_t)(row[i] - pred);
        sum += f < 128 ? f : 256 - f;
    }
    return sum;
}

/* Each row's filter is the one with the smallest sum (lowest type on a
 * tie); on a varied picture several types are used. */
static void
test_png_filter_choice(void **state)
{
    (void)state;
    const uint32_t w = 128, h = 120;
    uint8_t *px = noise(w, h, 99);
    for (uint32_t y = 0; y < h; y++) {
        uint8_t *row = px + (size_t)y * w * 4;
        for (uint32_t x = 0; x < w * 4; x++) {
            switch ((y / 8) % 5) {
            case 0: break;                                              /* noise */
            case 1: row[x] = (uint8_t)(x * 7); break;                   /* ramp along x */
            case 2: row[x] = (uint8_t)(y * 5 + (x & 3) * 40); break;    /* ramp down */
            case 3: row[x] = (uint8_t)((x / 4 + y) * 3); break;         /* diagonal */
            default: row[x] = (uint8_t)(row[x] / 64 * 64); break;       /* few levels */
            }
        }
    }
    struct decoded d;
    roundtrip(px, w, h, &d, NULL);
    int used[5] = {0};
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *row = px + (size_t)y * w * 4, *prior = y ? row - w * 4 : NULL;
        int chosen = d.filters[y];
        used[chosen] = 1;
        uint64_t best = filter_sum(row, prior, w * 4, chosen);
        for (int t = 0; t < 5; t++) {
            uint64_t s = filter_sum(row, prior, w * 4, t);
            if (s < best || (s == best && t < chosen))
                fail_msg("row %u: filter %d chosen, %d is better (%llu < %llu)", y, chosen, t,
                    (unsigned long long)s, (unsigned long long)best);
        }
    }
    assert_true(used[0] + used[1] + used[2] + used[3] + used[4] >= 3);
    decoded_free(&d);
    free(px);
}

/* Noise does not compress: a 1024 x 1024 picture needs several IDATs. */
static void
test_png_many_idat(void **state)
{
    (void)state;
    uint8_t *px = noise(1024, 1024, 7);
    struct decoded d;
    roundtrip(px, 1024, 1024, &d, NULL);
    assert_true(d.n_idat >= 4);
    decoded_free(&d);
    free(px);
}

static void
test_png_errors_leave_nothing(void **state)
{
    (void)state;
    uint8_t px[16] = {0};
    uint8_t *out = (uint8_t *)1;
    size_t len = 123;
    assert_int_equal(png_encode_rgba(px, 0, 1, &out, &len), -EINVAL);
    assert_null(out);
    assert_int_equal(len, 0);
    out = (uint8_t *)1, len = 123;
    assert_int_equal(png_encode_rgba(px, 1, 0, &out, &len), -EINVAL);
    assert_null(out);
    assert_int_equal(len, 0);
    assert_int_equal(png_encode_rgba(NULL, 1, 1, &out, &len), -EINVAL);
    assert_int_equal(png_encode_rgba(px, UINT32_C(0x80000000), 1, &out, &len), -EINVAL);
    assert_int_equal(png_encode_rgba(px, 1, UINT32_C(0xFFFFFFFF), &out, &len), -EINVAL);
    assert_null(out);
    assert_int_equal(len, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_rendered_picture),
        cmocka_unit_test(test_png_empty_picture),
        cmocka_unit_test(test_png_odd_sizes),
        cmocka_unit_test(test_png_filter_choice),
        cmocka_unit_test(test_png_many_idat),
        cmocka_unit_test(test_png_errors_leave_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
