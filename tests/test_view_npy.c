/*
 * test_view_npy.c — the .npy and .expanded views (views.md) through the
 * view layer: NPY headers against what numpy 1.24's
 * write_array_header_1_0 writes, the shape rules, string samples as
 * unicode arrays, and the expansion of indexed parameters (clamping, an
 * empty index sample, an index past the values), on an archive written
 * here with libogawa's writer.  Hidden, visible and off modes too.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "abc_write.h"
#include "view.h"
#include "view_int.h"

/* ---- headers ---------------------------------------------------------------- */

/* The dict of a header (between the length field and the padding), and
 * checks of what numpy guarantees: magic, version, 64-byte alignment, '\n'. */
static void
check_header(const char *descr, const uint64_t *shape, unsigned rank, const char *want_dict,
             size_t want_len)
{
    char h[VIEW_NPY_HEADER_MAX];
    size_t n = view_npy_header(descr, shape, rank, h);
    assert_int_equal(n, want_len);
    assert_int_equal(n % 64, 0);
    assert_memory_equal(h, "\x93NUMPY\x01\x00", 8);
    assert_int_equal((unsigned char)h[8] | (unsigned char)h[9] << 8, n - 10);
    assert_int_equal(h[n - 1], '\n');
    assert_memory_equal(h + 10, want_dict, strlen(want_dict));
    for (size_t i = 10 + strlen(want_dict); i < n - 1; i++)
        assert_int_equal(h[i], ' ');
}

static void
test_npy_headers(void **state)
{
    (void)state;
    /* dicts as numpy 1.24 writes them (from np.lib.format) */
    check_header("<f4", (uint64_t[]){24, 3}, 2,
                 "{'descr': '<f4', 'fortran_order': False, 'shape': (24, 3), }", 128);
    check_header("|b1", NULL, 0, "{'descr': '|b1', 'fortran_order': False, 'shape': (), }", 128);
    check_header("<i8", (uint64_t[]){0}, 1,
                 "{'descr': '<i8', 'fortran_order': False, 'shape': (0,), }", 128);
    check_header("<f4", (uint64_t[]){1048576, 1000, 3}, 3,
                 "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1000, 3), }", 128);
    check_header("<u2", (uint64_t[]){5, 2, 3}, 3,
                 "{'descr': '<u2', 'fortran_order': False, 'shape': (5, 2, 3), }", 128);
    /* the largest header: 20-digit dimensions still fit 128 bytes */
    check_header("<U4294967295", (uint64_t[]){UINT64_MAX, UINT64_MAX, 4, 4}, 4,
                 "{'descr': '<U4294967295', 'fortran_order': False, 'shape': "
                 "(18446744073709551615, 18446744073709551615, 4, 4), }", 128);
}

static void
test_npy_descr_and_shapes(void **state)
{
    (void)state;
    static const char *const want[] = {"|b1", "|u1", "|i1", "<u2", "<i2", "<u4",
                                       "<i4", "<u8", "<i8", "<f2", "<f4", "<f8"};
    for (int pod = 0; pod < ABC_POD_STRING; pod++)
        assert_string_equal(view_npy_descr(pod), want[pod]);
    assert_null(view_npy_descr(ABC_POD_STRING));
    assert_null(view_npy_descr(ABC_POD_WSTRING));
    assert_null(view_npy_descr(-1));
    uint64_t s[2];
    abc_str m16 = {"interpretation=matrix", 21}, box = {"interpretation=box", 18};
    abc_str pt = {"interpretation=point", 20}, none = {"", 0};
    assert_int_equal(view_npy_elem_shape(16, m16, s), 2);
    assert_true(s[0] == 4 && s[1] == 4);
    assert_int_equal(view_npy_elem_shape(9, m16, s), 2);
    assert_true(s[0] == 3 && s[1] == 3);
    assert_int_equal(view_npy_elem_shape(6, box, s), 2);
    assert_true(s[0] == 2 && s[1] == 3);
    assert_int_equal(view_npy_elem_shape(4, box, s), 2);
    assert_true(s[0] == 2 && s[1] == 2);
    assert_int_equal(view_npy_elem_shape(3, pt, s), 1);
    assert_true(s[0] == 3);
    assert_int_equal(view_npy_elem_shape(1, m16, s), 0);
    assert_int_equal(view_npy_elem_shape(12, m16, s), 1);  /* matrix, but not 9 or 16 */
    assert_int_equal(view_npy_elem_shape(16, none, s), 1);
}

/* The data part of a string .npy: UTF-32LE code points padded to width. */
static void
test_npy_strings(void **state)
{
    (void)state;
    /* "ab", "", "é" then an invalid byte (one U+FFFD) */
    static const uint8_t raw[] = "ab\0\0\xc3\xa9\xff";
    struct view_buf b = {0};
    assert_int_equal(view_npy_strings(raw, sizeof raw, false, 1, (abc_str){"", 0}, &b), 0);
    char hdr[VIEW_NPY_HEADER_MAX];
    size_t hl = view_npy_header("<U2", (uint64_t[]){3}, 1, hdr);
    assert_int_equal(b.len, hl + 3 * 2 * 4);
    assert_memory_equal(b.ptr, hdr, hl);
    static const uint32_t cps[] = {'a', 'b', 0, 0, 0xe9, 0xfffd};
    for (int i = 0; i < 6; i++) {
        const uint8_t *p = (const uint8_t *)b.ptr + hl + 4 * i;
        assert_int_equal(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24, cps[i]);
    }
    struct view_buf c = {.count = true};
    assert_int_equal(view_npy_strings(raw, sizeof raw, false, 1, (abc_str){"", 0}, &c), 0);
    assert_int_equal(c.len, b.len);
    view_buf_free(&b);
    /* a scalar of extent 1 has shape (); not NUL-ended or a count that
     * does not fit the extent: not a string sample */
    struct view_buf d = {0};
    assert_int_equal(view_npy_strings((const uint8_t *)"xyz", 4, true, 1, (abc_str){"", 0}, &d),
                     0);
    hl = view_npy_header("<U3", NULL, 0, hdr);
    assert_int_equal(d.len, hl + 12);
    view_buf_free(&d);
    struct view_buf e = {0};
    assert_int_equal(view_npy_strings((const uint8_t *)"xy", 2, false, 1, (abc_str){"", 0}, &e),
                     OGAWA_E_CORRUPT);
    assert_int_equal(view_npy_strings((const uint8_t *)"a\0b", 4, true, 1, (abc_str){"", 0}, &e),
                     OGAWA_E_CORRUPT);
    view_buf_free(&e);
}

/* ---- an archive with indexed parameters ------------------------------------ */

#define CHECK(call)                                                                \
    do {                                                                           \
        int rc_ = (call);                                                          \
        if (rc_ != 0) {                                                            \
            fprintf(stderr, "%s:%d: %s: %d %s\n", __FILE__, __LINE__, #call, rc_,  \
                    err.msg ? err.msg : "");                                       \
            return rc_;                                                            \
        }                                                                          \
    } while (0)

static const float uv_vals[3][2] = {{0, 0}, {1, 0}, {1, 1}};

/* One geometry parameter compound: .vals samples v0 (nv0 values), then v1
 * (nv1) if nv1 > 0; .indices samples i0 (ni0), i1 (ni1), i2 (ni2) */
static int
write_param(abc_wprop *parent, const char *name, int n_vals_samples,
            const uint32_t *const idx[], const size_t nidx[], int n_idx_samples)
{
    struct ogawa_err err = {0};
    abc_wprop *c, *vals, *ind;
    CHECK(abc_wprop_add_compound(parent, abc_wstr(name),
                                 ABC_WMETA("isGeomParam", "true", "podName", "float32_t"), &c,
                                 &err));
    CHECK(abc_wprop_add_array(c, abc_wstr(".vals"), ABC_WMETA("interpretation", "vector"),
                              ABC_POD_FLOAT32, 2, 0, &vals, &err));
    for (int s = 0; s < n_vals_samples; s++) {
        float shifted[3][2];
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 2; k++)
                shifted[i][k] = uv_vals[i][k] + 10.0f * (float)s;
        CHECK(abc_wprop_add_array_sample(vals, shifted, sizeof shifted, NULL, 0, &err));
    }
    CHECK(abc_wprop_finish(vals, &err));
    CHECK(abc_wprop_add_array(c, abc_wstr(".indices"), NULL, ABC_POD_UINT32, 1, 0, &ind, &err));
    for (int s = 0; s < n_idx_samples; s++)
        CHECK(abc_wprop_add_array_sample(ind, idx[s], nidx[s] * 4, NULL, 0, &err));
    CHECK(abc_wprop_finish(ind, &err));
    CHECK(abc_wprop_finish(c, &err));
    return 0;
}

static int
write_archive(const char *path)
{
    struct ogawa_err err = {0};
    abc_writer *w;
    CHECK(abc_writer_create(path, NULL, &w, &err));
    abc_wobject *top = abc_writer_top(w), *o;
    CHECK(abc_wobject_add_child(top, abc_wstr("mesh"), NULL, &o, &err));
    abc_wprop *props = abc_wobject_props(o), *p;
    /* uv: 2 value samples, 3 index samples (the last one empty) */
    static const uint32_t i0[] = {2, 1, 0, 0}, i1[] = {1, 1};
    if (write_param(props, "uv", 2, (const uint32_t *const[]){i0, i1, i1},
                    (const size_t[]){4, 2, 0}, 3) != 0)
        return -1;
    /* bad: an index past the values */
    static const uint32_t ib[] = {0, 3};
    if (write_param(props, "bad", 1, (const uint32_t *const[]){ib}, (const size_t[]){2}, 1) != 0)
        return -1;
    /* notparam: .vals and .indices without isGeomParam */
    abc_wprop *c;
    CHECK(abc_wprop_add_compound(props, abc_wstr("notparam"), NULL, &c, &err));
    CHECK(abc_wprop_add_array(c, abc_wstr(".vals"), NULL, ABC_POD_FLOAT32, 1, 0, &p, &err));
    CHECK(abc_wprop_finish(p, &err));
    CHECK(abc_wprop_add_array(c, abc_wstr(".indices"), NULL, ABC_POD_UINT32, 1, 0, &p, &err));
    CHECK(abc_wprop_finish(p, &err));
    CHECK(abc_wprop_finish(c, &err));
    /* names: a string array, 2 samples of different shapes */
    CHECK(abc_wprop_add_array(props, abc_wstr("names"), NULL, ABC_POD_STRING, 1, 0, &p, &err));
    CHECK(abc_wprop_add_array_sample(p, "a\0bcd\0", 6, NULL, 0, &err));
    CHECK(abc_wprop_add_array_sample(p, "x\0", 2, NULL, 0, &err));
    CHECK(abc_wprop_finish(p, &err));
    /* xf: a scalar matrix of 3 samples */
    CHECK(abc_wprop_add_scalar(props, abc_wstr("xf"), ABC_WMETA("interpretation", "matrix"),
                               ABC_POD_FLOAT64, 16, 0, &p, &err));
    for (int s = 0; s < 3; s++) {
        double m[16] = {0};
        m[0] = m[5] = m[10] = m[15] = 1;
        m[12] = s;
        CHECK(abc_wprop_add_sample(p, m, sizeof m, &err));
    }
    CHECK(abc_wprop_finish(p, &err));
    CHECK(abc_wobject_finish(o, &err));
    CHECK(abc_writer_close(w, &err));
    return 0;
}

static char archive_path[64];

static int
setup(void **state)
{
    (void)state;
    strcpy(archive_path, "/tmp/test_view_npy_XXXXXX");
    int fd = mkstemp(archive_path);
    if (fd < 0)
        return -1;
    close(fd);
    return write_archive(archive_path);
}

static int
teardown(void **state)
{
    (void)state;
    unlink(archive_path);
    return 0;
}

static view *
open_view(int mode)
{
    view *v;
    struct ogawa_err err = {0};
    assert_int_equal(view_open(archive_path, &v, &err), 0);
    view_configure(v, &(struct view_options){.views = mode, .cache_bytes = 1 << 20});
    return v;
}

/* The whole file at path (malloc'ed), or NULL with *rc the view's code. */
static uint8_t *
read_path(view *v, const char *path, uint64_t *len, int *rc)
{
    uint64_t id;
    struct view_attr a;
    struct ogawa_err err = {0};
    *rc = view_resolve(v, path, true, &id, &a, &err);
    if (*rc != 0)
        return NULL;
    uint8_t *buf = malloc(a.size + 1);
    uint64_t pos = 0;
    while (pos < a.size || a.size == 0) {
        struct view_data d;
        *rc = view_read(v, id, pos, 7, &d, &err);     /* odd pieces: range logic */
        if (*rc != 0 || d.len == 0)
            break;
        if (d.fd >= 0)
            assert_int_equal(pread(d.fd, buf + pos, d.len, (off_t)d.off), (ssize_t)d.len);
        else
            memcpy(buf + pos, d.mem, d.len);
        free(d.mem);
        pos += d.len;
    }
    view_forget(v, id, 1);
    if (*rc != 0) {
        free(buf);
        return NULL;
    }
    assert_int_equal(pos, a.size);
    *len = a.size;
    return buf;
}

static bool
listed(view *v, const char *dir, const char *name)
{
    uint64_t id, n;
    struct view_attr a;
    assert_int_equal(view_resolve(v, dir, true, &id, &a, NULL), 0);
    assert_int_equal(view_dir_count(v, id, &n, NULL), 0);
    bool found = false;
    for (uint64_t i = 0; i < n; i++) {
        char e[VIEW_ENTRY_NAME_MAX];
        size_t len;
        int type;
        assert_int_equal(view_dir_entry(v, id, i, e, &len, &type, NULL), 0);
        found |= strcmp(e, name) == 0;
    }
    view_forget(v, id, 1);
    return found;
}

static void
expect_floats(const uint8_t *buf, uint64_t len, const float *want, size_t n)
{
    assert_int_equal(len, n * 4);
    assert_memory_equal(buf, want, n * 4);
}

static void
test_expanded(void **state)
{
    (void)state;
    view *v = open_view(VIEW_MODE_HIDDEN);
    uint64_t len;
    int rc;
    /* sample 0: vals0[2,1,0,0]; sample 1: vals1[1,1]; sample 2: indices
     * empty, vals clamped to sample 1: vals1 unchanged */
    uint8_t *b = read_path(v, "mesh/uv/.expanded/0000.f32", &len, &rc);
    expect_floats(b, len, (const float[]){1, 1, 1, 0, 0, 0, 0, 0}, 8);
    free(b);
    b = read_path(v, "mesh/uv/.expanded/0001.f32", &len, &rc);
    expect_floats(b, len, (const float[]){11, 10, 11, 10}, 4);
    free(b);
    b = read_path(v, "mesh/uv/.expanded/0002.f32", &len, &rc);
    expect_floats(b, len, (const float[]){10, 10, 11, 10, 11, 11}, 6);
    free(b);
    assert_null(read_path(v, "mesh/uv/.expanded/0003.f32", &len, &rc));
    assert_int_equal(rc, OGAWA_E_NOENT);
    /* .times: three lines (the indices' samples); .info keys */
    b = read_path(v, "mesh/uv/.expanded/.times", &len, &rc);
    assert_non_null(b);
    int lines = 0;
    for (uint64_t i = 0; i < len; i++)
        lines += b[i] == '\n';
    assert_int_equal(lines, 3);
    free(b);
    b = read_path(v, "mesh/uv/.expanded/.info", &len, &rc);
    assert_non_null(b);
    b[len] = '\0';
    assert_non_null(strstr((char *)b, "\"kind\": \"view\""));
    assert_non_null(strstr((char *)b, "\"of\": \"/mesh/uv\""));
    assert_non_null(strstr((char *)b, "\"num_samples\": 3"));
    assert_non_null(strstr((char *)b, "\"views\": [\".npy\"]"));
    free(b);
    /* its .npy: shapes differ, so no all.npy */
    b = read_path(v, "mesh/uv/.expanded/.npy/0000.npy", &len, &rc);
    assert_non_null(b);
    char hdr[VIEW_NPY_HEADER_MAX];
    size_t hl = view_npy_header("<f4", (uint64_t[]){4, 2}, 2, hdr);
    assert_int_equal(len, hl + 32);
    assert_memory_equal(b, hdr, hl);
    free(b);
    assert_null(read_path(v, "mesh/uv/.expanded/.npy/all.npy", &len, &rc));
    assert_int_equal(rc, OGAWA_E_NOENT);
    /* an index past the values: size 0, EIO */
    uint64_t id;
    struct view_attr a;
    assert_int_equal(view_resolve(v, "mesh/bad/.expanded/0000.f32", true, &id, &a, NULL), 0);
    assert_int_equal(a.size, 0);
    struct view_data d;
    struct ogawa_err err = {0};
    rc = view_read(v, id, 0, 10, &d, &err);
    assert_int_equal(view_errno(rc, &err), EIO);
    view_forget(v, id, 1);
    /* no .expanded without isGeomParam; hidden from listings */
    assert_null(read_path(v, "mesh/notparam/.expanded/.info", &len, &rc));
    assert_int_equal(rc, OGAWA_E_NOENT);
    assert_false(listed(v, "mesh/uv", ".expanded"));
    assert_true(listed(v, "mesh/uv/.expanded", "0002.f32"));
    view_close(v);
}

static void
test_npy_files(void **state)
{
    (void)state;
    view *v = open_view(VIEW_MODE_HIDDEN);
    uint64_t len;
    int rc;
    /* a scalar matrix: (4, 4) per sample, all.npy (3, 4, 4) */
    uint8_t *b = read_path(v, "mesh/xf/.npy/0001.npy", &len, &rc);
    char hdr[VIEW_NPY_HEADER_MAX];
    size_t hl = view_npy_header("<f8", (uint64_t[]){4, 4}, 2, hdr);
    assert_int_equal(len, hl + 128);
    assert_memory_equal(b, hdr, hl);
    double m[16];
    memcpy(m, b + hl, sizeof m);
    assert_true(m[12] == 1.0 && m[0] == 1.0);
    free(b);
    b = read_path(v, "mesh/xf/.npy/all.npy", &len, &rc);
    hl = view_npy_header("<f8", (uint64_t[]){3, 4, 4}, 3, hdr);
    assert_int_equal(len, hl + 3 * 128);
    assert_memory_equal(b, hdr, hl);
    for (int s = 0; s < 3; s++) {
        memcpy(m, b + hl + 128 * s, sizeof m);
        assert_true(m[12] == (double)s);
    }
    free(b);
    /* strings: no all.npy; sample 0 is <U3 of 2 */
    b = read_path(v, "mesh/names/.npy/0000.npy", &len, &rc);
    hl = view_npy_header("<U3", (uint64_t[]){2}, 1, hdr);
    assert_int_equal(len, hl + 2 * 3 * 4);
    free(b);
    assert_null(read_path(v, "mesh/names/.npy/all.npy", &len, &rc));
    assert_false(listed(v, "mesh/names/.npy", "all.npy"));
    assert_true(listed(v, "mesh/xf/.npy", "all.npy"));
    assert_false(listed(v, "mesh/xf", ".npy"));
    /* .info of .npy: descr, shape of all.npy */
    b = read_path(v, "mesh/xf/.npy/.info", &len, &rc);
    b[len] = '\0';
    assert_non_null(strstr((char *)b, "\"descr\": \"<f8\""));
    assert_non_null(strstr((char *)b, "\"shape\": [3, 4, 4]"));
    assert_non_null(strstr((char *)b, "\"of\": \"/mesh/xf\""));
    free(b);
    b = read_path(v, "mesh/xf/.info", &len, &rc);
    b[len] = '\0';
    assert_non_null(strstr((char *)b, "\"views\": [\".npy\"]"));
    free(b);
    view_close(v);
}

static void
test_modes(void **state)
{
    (void)state;
    view *v = open_view(VIEW_MODE_VISIBLE);
    assert_true(listed(v, "mesh/xf", ".npy"));
    assert_true(listed(v, "mesh/uv", ".expanded"));
    assert_true(listed(v, "mesh/uv/.expanded", ".npy"));
    view_close(v);
    v = open_view(VIEW_MODE_OFF);
    uint64_t len;
    int rc;
    assert_null(read_path(v, "mesh/xf/.npy/0000.npy", &len, &rc));
    assert_int_equal(rc, OGAWA_E_NOENT);
    assert_null(read_path(v, "mesh/uv/.expanded/0000.f32", &len, &rc));
    uint8_t *b = read_path(v, "mesh/xf/.info", &len, &rc);
    b[len] = '\0';
    assert_non_null(strstr((char *)b, "\"views\": []"));
    free(b);
    view_close(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npy_headers),
        cmocka_unit_test(test_npy_descr_and_shapes),
        cmocka_unit_test(test_npy_strings),
        cmocka_unit_test(test_expanded),
        cmocka_unit_test(test_npy_files),
        cmocka_unit_test(test_modes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
