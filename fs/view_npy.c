/*
 * view_npy.c — NPY files (views.md ".npy/"): the header numpy.save writes
 * (format 1.0) and string samples as numpy unicode arrays.  No archive
 * reading here: callers pass shapes and bytes.
 *
 * numpy 1.24 writes: the magic "\x93NUMPY", version 1 0, a little-endian
 * u16 header length, then the repr of a dict with sorted keys,
 * "{'descr': '<f4', 'fortran_order': False, 'shape': (24, 3), }", followed
 * by 21 - len(repr(shape[0])) spaces (room to grow the first axis in
 * place; none for shape ()), then spaces and one '\n' so that the data
 * starts at a multiple of 64.
 */
#include <stdio.h>
#include <string.h>

#include "view_int.h"

const char *
view_npy_descr(int pod)
{
    static const char *const descr[ABC_POD_COUNT] = {
        [ABC_POD_BOOL] = "|b1", [ABC_POD_UINT8] = "|u1", [ABC_POD_INT8] = "|i1",
        [ABC_POD_UINT16] = "<u2", [ABC_POD_INT16] = "<i2", [ABC_POD_UINT32] = "<u4",
        [ABC_POD_INT32] = "<i4", [ABC_POD_UINT64] = "<u8", [ABC_POD_INT64] = "<i8",
        [ABC_POD_FLOAT16] = "<f2", [ABC_POD_FLOAT32] = "<f4", [ABC_POD_FLOAT64] = "<f8",
    };
    return pod >= 0 && pod < ABC_POD_COUNT ? descr[pod] : NULL;
}

unsigned
view_npy_elem_shape(unsigned extent, abc_str meta, uint64_t shape[2])
{
    abc_str in;
    bool has = abc_meta_get(meta, "interpretation", &in);
    bool matrix = has && in.len == 6 && memcmp(in.ptr, "matrix", 6) == 0;
    bool box = has && in.len == 3 && memcmp(in.ptr, "box", 3) == 0;
    if (matrix && (extent == 16 || extent == 9)) {
        shape[0] = shape[1] = extent == 16 ? 4 : 3;
        return 2;
    }
    if (box && (extent == 6 || extent == 4)) {
        shape[0] = 2;
        shape[1] = extent == 6 ? 3 : 2;
        return 2;
    }
    if (extent == 1)
        return 0;
    shape[0] = extent;
    return 1;
}

size_t
view_npy_header(const char *descr, const uint64_t *shape, unsigned rank,
                char buf[VIEW_NPY_HEADER_MAX])
{
    char dict[VIEW_NPY_HEADER_MAX];
    int k = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     descr);
    for (unsigned i = 0; i < rank; i++)
        k += snprintf(dict + k, sizeof dict - (size_t)k, i ? ", %llu" : "%llu",
                      (unsigned long long)shape[i]);
    k += snprintf(dict + k, sizeof dict - (size_t)k, "%s), }", rank == 1 ? "," : "");
    if (rank > 0) {
        char first[24];
        int digits = snprintf(first, sizeof first, "%llu", (unsigned long long)shape[0]);
        for (int i = digits; i < 21; i++)
            dict[k++] = ' ';
    }
    size_t hlen = (size_t)k + 1;                /* with the final '\n' */
    size_t pad = 64 - (10 + hlen) % 64;
    if (pad == 64)
        pad = 0;
    size_t total = 10 + hlen + pad;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (char)((hlen + pad) & 0xff);
    buf[9] = (char)((hlen + pad) >> 8);
    memcpy(buf + 10, dict, (size_t)k);
    memset(buf + 10 + k, ' ', pad);
    buf[total - 1] = '\n';
    return total;
}

/* One code point of UTF-8 at s (n bytes left), as the reference dumps read
 * it: a valid sequence (no overlong form, surrogate or value past U+10FFFF)
 * or U+FFFD for its first byte alone.  *used gets the bytes consumed. */
static uint32_t
view_utf8_decode(const unsigned char *s, size_t n, size_t *used)
{
    unsigned char c = s[0];
    size_t size = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                : (c & 0xF8) == 0xF0 ? 4 : 0;
    *used = 1;
    if (size == 1)
        return c;
    if (size == 0 || size > n)
        return 0xFFFD;
    uint32_t cp = c & (0x7F >> size);
    for (size_t i = 1; i < size; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0xFFFD;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[size] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0xFFFD;
    *used = size;
    return cp;
}

static uint64_t
view_utf8_length(const unsigned char *s, size_t n)
{
    uint64_t k = 0;
    for (size_t i = 0, used; i < n; i += used, k++)
        view_utf8_decode(s + i, n - i, &used);
    return k;
}

int
view_npy_strings(const uint8_t *raw, size_t len, bool scalar, unsigned extent,
                 abc_str meta, struct view_buf *b)
{
    /* Elements: UTF-8, each followed by one NUL. */
    if (len > 0 && raw[len - 1] != '\0')
        return OGAWA_E_CORRUPT;
    uint64_t count = 0, width = 1;
    for (size_t i = 0; i < len;) {
        const uint8_t *end = memchr(raw + i, '\0', len - i);
        uint64_t cps = view_utf8_length(raw + i, (size_t)(end - (raw + i)));
        if (cps > width)
            width = cps;
        count++;
        i = (size_t)(end - raw) + 1;
    }
    if (extent == 0 || count % extent != 0 || (scalar && count != extent))
        return OGAWA_E_CORRUPT;
    uint64_t eshape[2], shape[3];
    unsigned erank = view_npy_elem_shape(extent, meta, eshape), rank = 0;
    if (!scalar)
        shape[rank++] = count / extent;
    for (unsigned i = 0; i < erank; i++)
        shape[rank++] = eshape[i];
    char descr[32], hdr[VIEW_NPY_HEADER_MAX];
    snprintf(descr, sizeof descr, "<U%llu", (unsigned long long)width);
    view_buf_put(b, hdr, view_npy_header(descr, shape, rank, hdr));
    if (b->count) {
        b->len += count * width * 4;
        return 0;
    }
    for (size_t i = 0; i < len && !b->oom;) {
        const uint8_t *end = memchr(raw + i, '\0', len - i);
        size_t n = (size_t)(end - (raw + i)), used;
        uint64_t k = 0;
        for (size_t j = 0; j < n; j += used, k++) {
            uint32_t cp = view_utf8_decode(raw + i + j, n - j, &used);
            unsigned char u[4] = {cp & 0xff, cp >> 8 & 0xff, cp >> 16 & 0xff, cp >> 24};
            view_buf_put(b, u, 4);
        }
        static const unsigned char zero[4];
        for (; k < width; k++)
            view_buf_put(b, zero, 4);
        i = (size_t)(end - raw) + 1;
    }
    return 0;
}
