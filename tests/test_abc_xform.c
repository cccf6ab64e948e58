/*
 * test_abc_xform.c — Xform local matrices (ogawa/abc_xform.h), the floor
 * sample of a time, and world transforms down object chains
 * (ogawa/abc_world.h), on archives written by libogawa's writer.
 *
 * Known matrices are written out by hand in Imath's row-vector convention
 * (translation in m[12..14]; a rotation of +90 degrees about z sends x to
 * y, so its row 0 is (0, 1, 0)).
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "abc_world.h"
#include "abc_write.h"

#define OK(expr)                                                                   \
    do {                                                                           \
        struct ogawa_err e_ = {0};                                                 \
        struct ogawa_err *err = &e_;                                               \
        int rc_ = (expr);                                                          \
        if (rc_ != 0)                                                              \
            fail_msg("%s: %d %s", #expr, rc_, e_.msg ? e_.msg : "?");              \
        (void)err;                                                                 \
    } while (0)

/* expr must fail with code. */
#define FAILS(want_, expr)                                                         \
    do {                                                                           \
        struct ogawa_err e_ = {0};                                                 \
        struct ogawa_err *err = &e_;                                               \
        int rc_ = (expr);                                                          \
        if (rc_ != (want_))                                                        \
            fail_msg("%s: got %d (%s), want %d", #expr, rc_, e_.msg ? e_.msg : "", \
                     (want_));                                                     \
        (void)err;                                                                 \
    } while (0)

#define XFORM_META ABC_WMETA("schema", "AbcGeom_Xform_v3", "schemaObjTitle", "AbcGeom_Xform_v3:.xform")

static const double identity[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};

static void
assert_matrix(const double *got, const double *want, double tol)
{
    for (int k = 0; k < 16; k++) {
        bool same = isnan(want[k]) ? isnan(got[k]) : fabs(got[k] - want[k]) <= tol;
        if (!same)
            fail_msg("element %d: got %.17g, want %.17g", k, got[k], want[k]);
    }
}

/* ---- writing ----------------------------------------------------------- */

struct archive_file {
    char path[64];
    abc_writer *w;
};

static abc_wobject *
begin_archive(struct archive_file *f)
{
    strcpy(f->path, "/tmp/test_abc_xform_XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    OK(abc_writer_create_fd(fd, NULL, &f->w, err));
    return abc_writer_top(f->w);
}

static abc_archive *
end_archive(struct archive_file *f)
{
    abc_archive *a;
    OK(abc_writer_close(f->w, err));
    f->w = NULL;
    OK(abc_archive_open(f->path, &a, err));
    return a;
}

static void
drop_archive(struct archive_file *f, abc_archive *a)
{
    abc_archive_close(a);
    unlink(f->path);
}

static uint32_t
add_ts(abc_writer *w, int type, double tpc, const double *times, uint32_t n)
{
    struct abc_time_sampling ts = {.type = type, .time_per_cycle = tpc, .n_times = n,
                                   .times = times};
    uint32_t idx;
    OK(abc_writer_add_time_sampling(w, &ts, 0, &idx, err));
    return idx;
}

/* An object with Xform metadata and its .xform compound (returned). */
static abc_wprop *
add_xform_object(abc_wobject *parent, const char *name, abc_wobject **obj)
{
    abc_wprop *xf;
    OK(abc_wobject_add_child(parent, abc_wstr(name), XFORM_META, obj, err));
    OK(abc_wprop_add_compound(abc_wobject_props(*obj), abc_wstr(".xform"),
                              ABC_WMETA("schema", "AbcGeom_Xform_v3"), &xf, err));
    return xf;
}

/* A scalar property with n samples of size bytes each, back to back. */
static void
put_scalar(abc_wprop *c, const char *name, int pod, unsigned extent, uint32_t ts,
           const void *data, size_t size, uint32_t n)
{
    abc_wprop *p;
    OK(abc_wprop_add_scalar(c, abc_wstr(name), NULL, pod, extent, ts, &p, err));
    for (uint32_t i = 0; i < n; i++)
        OK(abc_wprop_add_sample(p, (const uint8_t *)data + (size_t)i * size, size, err));
}

/* A 1-D array property with n samples of size bytes each. */
static void
put_array(abc_wprop *c, const char *name, int pod, unsigned extent, uint32_t ts,
          const void *data, size_t size, uint32_t n)
{
    abc_wprop *p;
    OK(abc_wprop_add_array(c, abc_wstr(name), NULL, pod, extent, ts, &p, err));
    for (uint32_t i = 0; i < n; i++)
        OK(abc_wprop_add_array_sample(p, (const uint8_t *)data + (size_t)i * size, size, NULL,
                                      0, err));
}

/*
 * A complete Xform as the C++ OXform writes it: .inherits (n samples,
 * all true unless inherits is given), .ops, .vals (scalar, n samples of
 * n_ch values), isNotConstantIdentity.
 */
static abc_wobject *
add_xform(abc_wobject *parent, const char *name, uint32_t ts, const uint8_t *ops,
          unsigned n_ops, const double *vals, unsigned n_ch, uint32_t n, const uint8_t *inherits)
{
    abc_wobject *o;
    abc_wprop *xf = add_xform_object(parent, name, &o);
    uint8_t *inh = malloc(n);
    for (uint32_t i = 0; i < n; i++)
        inh[i] = inherits ? inherits[i] : 1;
    const uint8_t yes = 1;
    put_scalar(xf, "isNotConstantIdentity", ABC_POD_BOOL, 1, 0, &yes, 1, 1);
    put_scalar(xf, ".inherits", ABC_POD_BOOL, 1, ts, inh, 1, n);
    if (n_ch)
        put_scalar(xf, ".vals", ABC_POD_FLOAT64, n_ch, ts, vals, n_ch * sizeof(double), n);
    if (n_ops)
        put_scalar(xf, ".ops", ABC_POD_UINT8, n_ops, 0, ops, n_ops, 1);
    free(inh);
    return o;
}

/* ---- reading ----------------------------------------------------------- */

/* Opens the object at a full path like "/a/b". */
static abc_object *
open_path(abc_archive *a, const char *path)
{
    abc_object *o;
    OK(abc_archive_top(a, &o, err));
    const char *p = path + 1;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        size_t idx;
        if (abc_object_find(o, p, len, &idx) != 0)
            fail_msg("no object %.*s in %s", (int)len, p, path);
        abc_object *child;
        OK(abc_object_child(o, idx, &child, err));
        abc_object_unref(o);
        o = child;
        p += len;
        if (*p == '/')
            p++;
    }
    return o;
}

static abc_xform *
open_xform(abc_archive *a, const char *path)
{
    abc_object *o = open_path(a, path);
    abc_xform *x;
    OK(abc_xform_open(o, &x, err));
    abc_object_unref(o);
    return x;
}

/* The worlds of every object on a path, top first; returns the last. */
static abc_world *
open_world(abc_archive *a, const char *path)
{
    abc_object *top;
    abc_world *w;
    OK(abc_archive_top(a, &top, err));
    OK(abc_world_open(NULL, top, &w, err));
    abc_object *o = top;
    const char *p = path + 1;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        size_t idx;
        assert_int_equal(abc_object_find(o, p, len, &idx), 0);
        abc_object *child;
        abc_world *cw;
        OK(abc_object_child(o, idx, &child, err));
        OK(abc_world_open(w, child, &cw, err));
        abc_world_unref(w);     /* cw holds it */
        abc_object_unref(o);
        o = child;
        w = cw;
        p += len;
        if (*p == '/')
            p++;
    }
    abc_object_unref(o);
    return w;
}

static void
sample_matrix(abc_xform *x, uint32_t i, double m[16], bool *inherits)
{
    OK(abc_xform_sample(x, i, m, inherits, err));
}

/* ---- floor index ------------------------------------------------------- */

static void
test_floor_uniform(void **state)
{
    (void)state;
    const double start = 0;
    struct abc_time_sampling u = {.type = ABC_TS_UNIFORM, .time_per_cycle = 1.0 / 24,
                                  .samples_per_cycle = 1, .n_times = 1, .times = &start};
    assert_int_equal(abc_time_sampling_floor_index(&u, -1, 10), 0);
    assert_int_equal(abc_time_sampling_floor_index(&u, 0, 10), 0);
    assert_int_equal(abc_time_sampling_floor_index(&u, 1.0 / 24, 10), 1);
    assert_int_equal(abc_time_sampling_floor_index(&u, 1.5 / 24, 10), 1);
    /* Within 1e-5 below a sample time is that sample; further is not. */
    assert_int_equal(abc_time_sampling_floor_index(&u, 2.0 / 24 - 5e-6, 10), 2);
    assert_int_equal(abc_time_sampling_floor_index(&u, 2.0 / 24 - 2e-5, 10), 1);
    assert_int_equal(abc_time_sampling_floor_index(&u, 9.0 / 24, 10), 9);
    assert_int_equal(abc_time_sampling_floor_index(&u, 100, 10), 9);
    assert_int_equal(abc_time_sampling_floor_index(&u, 100, 0), 0);
    assert_int_equal(abc_time_sampling_floor_index(&u, NAN, 10), 0);
    assert_int_equal(abc_time_sampling_floor_index(&u, INFINITY, 10), 9);
    assert_int_equal(abc_time_sampling_floor_index(&u, 5.0 / 24, 1), 0);

    /* Identity: uniform from 0 by 1. */
    struct abc_time_sampling id = {.type = ABC_TS_IDENTITY, .time_per_cycle = 1.0,
                                   .samples_per_cycle = 1, .n_times = 1, .times = &start};
    assert_int_equal(abc_time_sampling_floor_index(&id, 2.5, 5), 2);
    assert_int_equal(abc_time_sampling_floor_index(&id, 2.999995, 5), 3);
    assert_int_equal(abc_time_sampling_floor_index(&id, 7, 5), 4);

    /* Hostile periods stay in range. */
    struct abc_time_sampling neg = u, zero = u, nan_tpc = u;
    neg.time_per_cycle = -1;
    zero.time_per_cycle = 0;
    nan_tpc.time_per_cycle = NAN;
    for (double t = -2; t < 3; t += 0.25) {
        assert_true(abc_time_sampling_floor_index(&neg, t, 7) < 7);
        assert_true(abc_time_sampling_floor_index(&zero, t, 7) < 7);
        assert_true(abc_time_sampling_floor_index(&nan_tpc, t, 7) < 7);
    }
}

static void
test_floor_cyclic(void **state)
{
    (void)state;
    /* Three samples per second: 0, .25, .5, 1, 1.25, 1.5, 2, 2.25, 2.5. */
    const double times[3] = {0, 0.25, 0.5};
    struct abc_time_sampling c = {.type = ABC_TS_CYCLIC, .time_per_cycle = 1,
                                  .samples_per_cycle = 3, .n_times = 3, .times = times};
    assert_int_equal(abc_time_sampling_floor_index(&c, -1, 9), 0);
    assert_int_equal(abc_time_sampling_floor_index(&c, 0.3, 9), 1);
    assert_int_equal(abc_time_sampling_floor_index(&c, 0.9, 9), 2);
    assert_int_equal(abc_time_sampling_floor_index(&c, 1.0, 9), 3);
    assert_int_equal(abc_time_sampling_floor_index(&c, 1.0 - 5e-6, 9), 3);
    assert_int_equal(abc_time_sampling_floor_index(&c, 1.3, 9), 4);
    assert_int_equal(abc_time_sampling_floor_index(&c, 1.25, 9), 4);
    assert_int_equal(abc_time_sampling_floor_index(&c, 1.25 - 5e-6, 9), 4);
    assert_int_equal(abc_time_sampling_floor_index(&c, 1.25 - 1e-3, 9), 3);
    assert_int_equal(abc_time_sampling_floor_index(&c, 2.4, 9), 7);
    assert_int_equal(abc_time_sampling_floor_index(&c, 3, 9), 8);
    /* Fewer samples than the times suggest: clamped to n - 1. */
    assert_int_equal(abc_time_sampling_floor_index(&c, 1.3, 4), 3);
    /* A cycle count past every index. */
    assert_int_equal(abc_time_sampling_floor_index(&c, 1e300, UINT32_MAX), UINT32_MAX - 1);
}

static void
test_floor_acyclic(void **state)
{
    (void)state;
    const double times[5] = {0, 1, 5, 6, 10};
    struct abc_time_sampling a = {.type = ABC_TS_ACYCLIC, .time_per_cycle = ABC_ACYCLIC_TPC,
                                  .samples_per_cycle = UINT32_MAX, .n_times = 5,
                                  .times = times};
    assert_int_equal(abc_time_sampling_floor_index(&a, -3, 5), 0);
    assert_int_equal(abc_time_sampling_floor_index(&a, 0.5, 5), 0);
    assert_int_equal(abc_time_sampling_floor_index(&a, 1, 5), 1);
    assert_int_equal(abc_time_sampling_floor_index(&a, 4.9, 5), 1);
    assert_int_equal(abc_time_sampling_floor_index(&a, 4.999995, 5), 2);
    assert_int_equal(abc_time_sampling_floor_index(&a, 5, 5), 2);
    assert_int_equal(abc_time_sampling_floor_index(&a, 7, 5), 3);
    assert_int_equal(abc_time_sampling_floor_index(&a, 9.99, 5), 3);
    assert_int_equal(abc_time_sampling_floor_index(&a, 10, 5), 4);
    /* Fewer samples than stored times: the last sample caps. */
    assert_int_equal(abc_time_sampling_floor_index(&a, 7, 3), 2);
    assert_int_equal(abc_time_sampling_floor_index(&a, 0.5, 3), 0);
    /* More samples than stored times (C++ throws): as many as stored. */
    assert_int_equal(abc_time_sampling_floor_index(&a, 100, 12), 4);
    assert_int_equal(abc_time_sampling_floor_index(&a, 5.5, 12), 2);
    /* Unsorted (hostile) times: in range, no hang. */
    const double bad[4] = {3, 1, 2, 0};
    struct abc_time_sampling h = a;
    h.times = bad;
    h.n_times = 4;
    for (double t = -1; t < 5; t += 0.5)
        assert_true(abc_time_sampling_floor_index(&h, t, 4) < 4);
}

/* ---- op matrices ------------------------------------------------------- */

static void
test_op_channels(void **state)
{
    (void)state;
    static const unsigned want[16] = {3, 3, 4, 16, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (unsigned type = 0; type < 16; type++)
        for (unsigned hint = 0; hint < 16; hint++)
            assert_int_equal(abc_xform_op_channels((uint8_t)(type << 4 | hint)), want[type]);
}

static void
compose1(uint8_t op, const double *vals, unsigned n, double m[16])
{
    abc_xform_compose(&op, 1, vals, n, m);
}

static void
test_op_matrices(void **state)
{
    (void)state;
    double m[16];
    const double c90 = cos(M_PI / 2);   /* 6.1e-17, as Imath computes it */

    const double t[3] = {1, 2, 3};
    compose1(0x10, t, 3, m);
    assert_matrix(m, (double[16]){1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 2, 3, 1}, 0);
    /* Every translate hint (0-4) and out-of-range hints: the same matrix. */
    for (unsigned hint = 0; hint < 16; hint++) {
        double h[16];
        compose1((uint8_t)(0x10 | hint), t, 3, h);
        assert_matrix(h, m, 0);
    }

    const double s[3] = {2, 3, 4};
    compose1(0x00, s, 3, m);
    assert_matrix(m, (double[16]){2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1}, 0);

    const double rz[4] = {0, 0, 1, 90};
    compose1(0x20, rz, 4, m);
    assert_matrix(m, (double[16]){c90, 1, 0, 0, -1, c90, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}, 1e-15);
    /* The axis is normalized; hint 1 (rotate orientation) changes nothing. */
    const double rz5[4] = {0, 0, 5, 90};
    double m5[16];
    compose1(0x21, rz5, 4, m5);
    assert_matrix(m5, m, 0);
    /* rotateZ (type 6) is the same rotation. */
    const double a90 = 90;
    compose1(0x60, &a90, 1, m5);
    assert_matrix(m5, m, 0);

    compose1(0x40, &a90, 1, m);
    assert_matrix(m, (double[16]){1, 0, 0, 0, 0, c90, 1, 0, 0, -1, c90, 0, 0, 0, 0, 1}, 1e-15);
    compose1(0x50, &a90, 1, m);
    assert_matrix(m, (double[16]){c90, 0, -1, 0, 0, 1, 0, 0, 1, 0, c90, 0, 0, 0, 0, 1}, 1e-15);

    /* Axis (1,1,1), 120 degrees: cycles x -> y -> z. */
    const double r111[4] = {1, 1, 1, 120};
    compose1(0x20, r111, 4, m);
    assert_matrix(m, (double[16]){0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1}, 1e-15);

    /* A zero axis: Imath's normalized() gives (0,0,0), so the diagonal is
     * cos(angle) — not the identity. */
    const double r0[4] = {0, 0, 0, 60};
    compose1(0x20, r0, 4, m);
    assert_matrix(m, (double[16]){0.5, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 1}, 1e-15);

    double mat[16];
    for (int k = 0; k < 16; k++)
        mat[k] = k * 0.5 - 3;
    compose1(0x30, mat, 16, m);
    assert_matrix(m, mat, 0);
    compose1(0x31, mat, 16, m);     /* Maya shear hint */
    assert_matrix(m, mat, 0);

    /* Unknown types (7-15) have no channels and are the identity. */
    for (unsigned type = 7; type < 16; type++) {
        compose1((uint8_t)(type << 4), t, 3, m);
        assert_matrix(m, identity, 0);
    }
}

static void
test_op_combos(void **state)
{
    (void)state;
    double m[16];
    /* [translate (1,0,0), rotateZ 90, scale 2]: a point is scaled, then
     * rotated, then translated: (1,0,0) -> (2,0,0) -> (0,2,0) -> (1,2,0). */
    const uint8_t ops[3] = {0x10, 0x60, 0x00};
    const double vals[7] = {1, 0, 0, 90, 2, 2, 2};
    abc_xform_compose(ops, 3, vals, 7, m);
    double p[4] = {1, 0, 0, 1}, q[4];
    for (int c = 0; c < 4; c++)
        q[c] = p[0] * m[c] + p[1] * m[4 + c] + p[2] * m[8 + c] + p[3] * m[12 + c];
    assert_true(fabs(q[0] - 1) < 1e-15 && fabs(q[1] - 2) < 1e-15 && fabs(q[2]) < 1e-15);
    assert_matrix(m, (double[16]){2 * cos(M_PI / 2), 2, 0, 0, -2, 2 * cos(M_PI / 2), 0, 0, 0,
                                  0, 2, 0, 1, 0, 0, 1},
                  1e-15);

    /* Unknown ops consume no values: the second translate still reads
     * channels 3..5. */
    const uint8_t ops2[3] = {0x10, 0x70, 0x10};
    const double vals2[6] = {1, 2, 3, 10, 20, 30};
    abc_xform_compose(ops2, 3, vals2, 6, m);
    assert_matrix(m, (double[16]){1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 11, 22, 33, 1}, 0);

    /* Missing values are 0.0 (the C++ ops' initial values): a scale with
     * none is a zero scale. */
    const uint8_t sc = 0x00;
    abc_xform_compose(&sc, 1, NULL, 0, m);
    assert_matrix(m, (double[16]){0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 0);
    abc_xform_compose(NULL, 0, NULL, 0, m);
    assert_matrix(m, identity, 0);

    /* NaN and infinities flow through without trouble, and through the
     * product with the starting identity as in C++: NaN * 0 spreads a NaN
     * translation x over the whole last row. */
    const double nanv[4] = {NAN, 0, 1, INFINITY};
    const uint8_t rot = 0x20;
    abc_xform_compose(&rot, 1, nanv, 4, m);
    assert_true(isnan(m[0]));
    const double tn[3] = {NAN, 1, 2};
    compose1(0x10, tn, 3, m);
    assert_true(isnan(m[12]) && isnan(m[13]) && isnan(m[14]) && isnan(m[15]));
    assert_true(m[0] == 1 && m[5] == 1 && m[10] == 1 && m[1] == 0);
}

/* ---- Xform schemas in archives ----------------------------------------- */

/* Every op type and hint written to an archive, read back with the
 * channel values of .vals: equal to abc_xform_compose and to the known
 * matrices above. */
static void
test_xform_every_op(void **state)
{
    (void)state;
    struct archive_file f;
    abc_wobject *top = begin_archive(&f);
    static const uint8_t ops[] = {0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x20, 0x21, 0x30, 0x31,
                                  0x40, 0x41, 0x50, 0x51, 0x60, 0x61};
    double vals[256];
    unsigned n_ch = 0;
    for (size_t i = 0; i < sizeof(ops); i++)
        for (unsigned k = 0; k < abc_xform_op_channels(ops[i]); k++, n_ch++)
            vals[n_ch] = ops[i] >> 4 == 3 ? (k % 5 == 0 ? 1.0 : 0.01 * k)
                                         : 0.5 + 0.25 * (double)(n_ch % 7);
    for (size_t i = 0; i < sizeof(ops); i++) {
        char name[16];
        snprintf(name, sizeof(name), "op%02x", ops[i]);
        unsigned off = 0;
        for (size_t j = 0; j < i; j++)
            off += abc_xform_op_channels(ops[j]);
        add_xform(top, name, 0, &ops[i], 1, &vals[off], abc_xform_op_channels(ops[i]), 1, NULL);
    }
    add_xform(top, "all", 0, ops, sizeof(ops), vals, n_ch, 1, NULL);
    abc_archive *a = end_archive(&f);

    double all_want[16], m[16];
    abc_xform_compose(ops, sizeof(ops), vals, n_ch, all_want);
    unsigned off = 0;
    for (size_t i = 0; i < sizeof(ops); i++) {
        char path[16];
        snprintf(path, sizeof(path), "/op%02x", ops[i]);
        abc_xform *x = open_xform(a, path);
        assert_int_equal(abc_xform_num_ops(x), 1);
        assert_int_equal(abc_xform_ops(x)[0], ops[i]);
        assert_int_equal(abc_xform_num_samples(x), 1);
        bool inh = false;
        sample_matrix(x, 0, m, &inh);
        assert_true(inh);
        double want[16];
        compose1(ops[i], &vals[off], abc_xform_op_channels(ops[i]), want);
        assert_matrix(m, want, 0);
        off += abc_xform_op_channels(ops[i]);
        abc_xform_close(x);
    }
    abc_xform *x = open_xform(a, "/all");
    assert_int_equal(abc_xform_num_channels(x), n_ch);
    bool inh;
    sample_matrix(x, 0, m, &inh);
    assert_matrix(m, all_want, 0);
    FAILS(OGAWA_E_NOENT, abc_xform_sample(x, 1, m, &inh, err));
    assert_matrix(m, identity, 0);
    abc_xform_close(x);

    /* A translate of (1,2,3) by hand, through the archive. */
    x = open_xform(a, "/op10");
    sample_matrix(x, 0, m, &inh);
    assert_matrix(m, (double[16]){1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, vals[0 + 3], vals[4],
                                  vals[5], 1},
                  0);
    abc_xform_close(x);
    drop_archive(&f, a);
}

/* .vals as an array (what OXform writes past 256 channels) reads as the
 * scalar does; values past the ops' channels are ignored. */
static void
test_xform_vals_array(void **state)
{
    (void)state;
    struct archive_file f;
    abc_wobject *top = begin_archive(&f);
    const uint8_t ops[2] = {0x10, 0x40};
    const double vals[2][4] = {{1, 2, 3, 90}, {4, 5, 6, 0}};
    const uint8_t yes[2] = {1, 1};
    abc_wobject *o;
    abc_wprop *xf = add_xform_object(top, "arr", &o);
    put_scalar(xf, ".inherits", ABC_POD_BOOL, 1, 0, yes, 1, 2);
    put_scalar(xf, ".ops", ABC_POD_UINT8, 2, 0, ops, 2, 1);
    put_array(xf, ".vals", ABC_POD_FLOAT64, 1, 0, vals, sizeof(vals[0]), 2);
    add_xform(top, "sca", 0, ops, 2, &vals[0][0], 4, 2, NULL);

    /* 10^5 values for one translate: the first three count. */
    double *big = malloc(100000 * sizeof(double));
    for (int i = 0; i < 100000; i++)
        big[i] = i + 1;
    xf = add_xform_object(top, "big", &o);
    put_scalar(xf, ".inherits", ABC_POD_BOOL, 1, 0, yes, 1, 1);
    put_scalar(xf, ".ops", ABC_POD_UINT8, 1, 0, ops, 1, 1);
    put_array(xf, ".vals", ABC_POD_FLOAT64, 1, 0, big, 100000 * sizeof(double), 1);
    /* A scalar .vals with extent 5 for 3 channels. */
    add_xform(top, "extra", 0, ops, 1, big, 5, 1, NULL);
    /* An array of extent 3: C++ takes its element count (2) of doubles. */
    xf = add_xform_object(top, "ext3", &o);
    put_scalar(xf, ".inherits", ABC_POD_BOOL, 1, 0, yes, 1, 1);
    put_scalar(xf, ".ops", ABC_POD_UINT8, 1, 0, ops, 1, 1);
    put_array(xf, ".vals", ABC_POD_FLOAT64, 3, 0, big, 6 * sizeof(double), 1);
    free(big);
    abc_archive *a = end_archive(&f);

    abc_xform *xa = open_xform(a, "/arr"), *xs = open_xform(a, "/sca");
    for (uint32_t i = 0; i < 2; i++) {
        double ma[16], ms[16], want[16];
        bool ia, is;
        sample_matrix(xa, i, ma, &ia);
        sample_matrix(xs, i, ms, &is);
        abc_xform_compose(ops, 2, vals[i], 4, want);
        assert_matrix(ma, want, 0);
        assert_matrix(ms, want, 0);
    }
    abc_xform_close(xa);
    abc_xform_close(xs);

    double m[16];
    bool inh;
    abc_xform *x = open_xform(a, "/big");
    sample_matrix(x, 0, m, &inh);
    assert_matrix(m, (double[16]){1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 2, 3, 1}, 0);
    abc_xform_close(x);
    x = open_xform(a, "/extra");
    sample_matrix(x, 0, m, &inh);
    assert_matrix(m, (double[16]){1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 2, 3, 1}, 0);
    abc_xform_close(x);
    x = open_xform(a, "/ext3");
    FAILS(OGAWA_E_CORRUPT, abc_xform_sample(x, 0, m, &inh, err));
    abc_xform_close(x);
    drop_archive(&f, a);
}

/* Static and animated channels: every channel is in .vals at every sample;
 * .animChans and isNotConstantIdentity change nothing.  .vals with fewer
 * samples than .inherits holds its last one. */
static void
test_xform_static_animated(void **state)
{
    (void)state;
    struct archive_file f;
    abc_wobject *top = begin_archive(&f);
    const double start = 0;
    uint32_t ts = add_ts(f.w, ABC_TS_UNIFORM, 0.5, &start, 1);
    /* translate x animated, rotateY static at 90. */
    const uint8_t ops[2] = {0x10, 0x50};
    const double vals[3][4] = {{0, 0, 0, 90}, {1, 0, 0, 90}, {2, 0, 0, 90}};
    add_xform(top, "anim", ts, ops, 2, &vals[0][0], 4, 3, NULL);
    /* The same with .animChans = [0] (translate x), as OXform writes it. */
    abc_wobject *o2;
    abc_wprop *xf = add_xform_object(top, "anim2", &o2);
    const uint8_t yes[3] = {1, 1, 1};
    const uint32_t chans[1] = {0};
    put_scalar(xf, ".inherits", ABC_POD_BOOL, 1, ts, yes, 1, 3);
    put_scalar(xf, ".ops", ABC_POD_UINT8, 2, 0, ops, 2, 1);
    put_scalar(xf, ".vals", ABC_POD_FLOAT64, 4, ts, vals, sizeof(vals[0]), 3);
    put_array(xf, ".animChans", ABC_POD_UINT32, 1, ts, chans, sizeof(chans), 1);
    /* .vals with one sample for three .inherits samples. */
    abc_wobject *o3;
    xf = add_xform_object(top, "short", &o3);
    put_scalar(xf, ".inherits", ABC_POD_BOOL, 1, ts, yes, 1, 3);
    put_scalar(xf, ".ops", ABC_POD_UINT8, 2, 0, ops, 2, 1);
    put_scalar(xf, ".vals", ABC_POD_FLOAT64, 4, ts, vals[1], sizeof(vals[0]), 1);
    abc_archive *a = end_archive(&f);

    const double c90 = cos(M_PI / 2);
    const char *paths[2] = {"/anim", "/anim2"};
    for (int p = 0; p < 2; p++) {
        abc_xform *x = open_xform(a, paths[p]);
        assert_int_equal(abc_xform_num_samples(x), 3);
        assert_false(abc_xform_is_constant(x));
        assert_true(abc_xform_time(x, 2) == 1.0);
        for (uint32_t i = 0; i < 3; i++) {
            double m[16];
            bool inh;
            sample_matrix(x, i, m, &inh);
            assert_matrix(m, (double[16]){c90, 0, -1, 0, 0, 1, 0, 0, 1, 0, c90, 0, i, 0, 0, 1},
                          1e-15);
        }
        abc_xform_close(x);
    }
    abc_xform *x = open_xform(a, "/short");
    assert_true(abc_xform_is_constant(x));  /* constant .vals and .inherits */
    for (uint32_t i = 0; i < 3; i++) {
        double m[16];
        bool inh;
        sample_matrix(x, i, m, &inh);
        assert_matrix(m, (double[16]){c90, 0, -1, 0, 0, 1, 0, 0, 1, 0, c90, 0, 1, 0, 0, 1},
                      1e-15);
    }
    abc_xform_close(x);
    drop_archive(&f, a);
}

/* Sample counts: those of .inherits, at least one; none: identity times. */
static void
test_xform_counts(void **state)
{
    (void)state;
    struct archive_file f;
    abc_wobject *top = begin_archive(&f);
    const double start = 10;
    uint32_t ts = add_ts(f.w, ABC_TS_UNIFORM, 2, &start, 1);
    const uint8_t op = 0x10, no = 0;
    const double v[3] = {1, 2, 3};
    abc_wobject *o;
    /* No .inherits: 1 sample at time 0, inherits true, .vals sample 0. */
    abc_wprop *xf = add_xform_object(top, "noinh", &o);
    put_scalar(xf, ".ops", ABC_POD_UINT8, 1, 0, &op, 1, 1);
    put_scalar(xf, ".vals", ABC_POD_FLOAT64, 3, ts, v, sizeof(v), 1);
    /* .inherits without samples: 1 sample, its sampling. */
    xf = add_xform_object(top, "inh0", &o);
    put_scalar(xf, ".inherits", ABC_POD_BOOL, 1, ts, &no, 1, 0);
    /* No .ops: identity whatever .vals says.  No .vals: zeros. */
    xf = add_xform_object(top, "noops", &o);
    put_scalar(xf, ".inherits", ABC_POD_BOOL, 1, ts, &no, 1, 1);
    put_scalar(xf, ".vals", ABC_POD_FLOAT64, 3, ts, v, sizeof(v), 1);
    xf = add_xform_object(top, "novals", &o);
    const uint8_t ops2[2] = {0x00, 0x10};
    put_scalar(xf, ".ops", ABC_POD_UINT8, 2, 0, ops2, 2, 1);
    /* .ops without samples: no ops. */
    xf = add_xform_object(top, "ops0", &o);
    abc_wprop *p;
    OK(abc_wprop_add_scalar(xf, abc_wstr(".ops"), NULL, ABC_POD_UINT8, 4, 0, &p, err));
    put_scalar(xf, ".vals", ABC_POD_FLOAT64, 3, ts, v, sizeof(v), 1);
    abc_archive *a = end_archive(&f);

    double m[16];
    bool inh;
    abc_xform *x = open_xform(a, "/noinh");
    assert_int_equal(abc_xform_num_samples(x), 1);
    assert_true(abc_xform_time(x, 0) == 0.0);
    assert_int_equal(abc_xform_time_sampling(x)->type, ABC_TS_IDENTITY);
    sample_matrix(x, 0, m, &inh);
    assert_true(inh);
    assert_matrix(m, (double[16]){1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 2, 3, 1}, 0);
    assert_true(abc_xform_is_constant(x));
    abc_xform_close(x);

    x = open_xform(a, "/inh0");
    assert_int_equal(abc_xform_num_samples(x), 1);
    assert_true(abc_xform_time(x, 0) == 10.0);
    sample_matrix(x, 0, m, &inh);
    assert_true(inh);
    assert_matrix(m, identity, 0);
    abc_xform_close(x);

    x = open_xform(a, "/noops");
    sample_matrix(x, 0, m, &inh);
    assert_false(inh);
    assert_matrix(m, identity, 0);
    abc_xform_close(x);

    x = open_xform(a, "/novals");
    sample_matrix(x, 0, m, &inh);
    assert_matrix(m, (double[16]){0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 0);
    abc_xform_close(x);

    x = open_xform(a, "/ops0");
    assert_int_equal(abc_xform_num_ops(x), 0);
    sample_matrix(x, 0, m, &inh);
    assert_matrix(m, identity, 0);
    abc_xform_close(x);
    drop_archive(&f, a);
}

/* What is not an Xform, and malformed Xforms. */
static void
test_xform_malformed(void **state)
{
    (void)state;
    struct archive_file f;
    abc_wobject *top = begin_archive(&f);
    abc_wobject *o;
    abc_wprop *c, *p;
    const uint8_t yes = 1, op = 0x10;
    const double v2[2] = {1, 2}, v3[3] = {1, 2, 3};
    const float fv[3] = {1, 2, 3};
    const int32_t iv = 1;

    OK(abc_wobject_add_child(top, abc_wstr("plain"), NULL, &o, err));
    OK(abc_wobject_add_child(top, abc_wstr("other"), XFORM_META, &o, err));
    OK(abc_wprop_add_compound(abc_wobject_props(o), abc_wstr(".xform"),
                              ABC_WMETA("schema", "AbcGeom_PolyMesh_v1"), &c, err));
    OK(abc_wobject_add_child(top, abc_wstr("scalarxf"), XFORM_META, &o, err));
    OK(abc_wprop_add_scalar(abc_wobject_props(o), abc_wstr(".xform"),
                            ABC_WMETA("schema", "AbcGeom_Xform_v3"), ABC_POD_UINT8, 1, 0, &p,
                            err));
    OK(abc_wobject_add_child(top, abc_wstr("geomname"), XFORM_META, &o, err));
    OK(abc_wprop_add_compound(abc_wobject_props(o), abc_wstr(".geom"),
                              ABC_WMETA("schema", "AbcGeom_Xform_v3"), &c, err));

    c = add_xform_object(top, "opsfloat", &o);
    put_scalar(c, ".ops", ABC_POD_FLOAT32, 3, 0, fv, sizeof(fv), 1);
    c = add_xform_object(top, "opsarray", &o);
    put_array(c, ".ops", ABC_POD_UINT8, 1, 0, &op, 1, 1);
    c = add_xform_object(top, "valsfloat", &o);
    put_scalar(c, ".ops", ABC_POD_UINT8, 1, 0, &op, 1, 1);
    put_scalar(c, ".vals", ABC_POD_FLOAT32, 3, 0, fv, sizeof(fv), 1);
    c = add_xform_object(top, "inhint", &o);
    put_scalar(c, ".inherits", ABC_POD_INT32, 1, 0, &iv, sizeof(iv), 1);
    c = add_xform_object(top, "inharray", &o);
    put_array(c, ".inherits", ABC_POD_BOOL, 1, 0, &yes, 1, 1);

    /* ops/vals disagreeing: too few values (scalar, array), and 255 ops
     * (the most an 8-bit extent can hold) with one value each short. */
    c = add_xform_object(top, "fewscalar", &o);
    put_scalar(c, ".ops", ABC_POD_UINT8, 1, 0, &op, 1, 1);
    put_scalar(c, ".vals", ABC_POD_FLOAT64, 2, 0, v2, sizeof(v2), 1);
    c = add_xform_object(top, "fewarray", &o);
    put_scalar(c, ".ops", ABC_POD_UINT8, 1, 0, &op, 1, 1);
    put_array(c, ".vals", ABC_POD_FLOAT64, 1, 0, v2, sizeof(v2), 1);
    c = add_xform_object(top, "emptyarray", &o);
    put_scalar(c, ".ops", ABC_POD_UINT8, 1, 0, &op, 1, 1);
    put_array(c, ".vals", ABC_POD_FLOAT64, 1, 0, v3, 0, 1);
    uint8_t tops[255];
    memset(tops, 0x10, sizeof(tops));
    double *tv = calloc(255 * 3, sizeof(double));
    for (int i = 0; i < 255; i++)
        tv[3 * i] = 1;
    c = add_xform_object(top, "ops255", &o);
    put_scalar(c, ".ops", ABC_POD_UINT8, 255, 0, tops, sizeof(tops), 1);
    put_array(c, ".vals", ABC_POD_FLOAT64, 1, 0, tv, 255 * 3 * sizeof(double), 1);
    c = add_xform_object(top, "ops255short", &o);
    put_scalar(c, ".ops", ABC_POD_UINT8, 255, 0, tops, sizeof(tops), 1);
    put_array(c, ".vals", ABC_POD_FLOAT64, 1, 0, tv, (255 * 3 - 1) * sizeof(double), 1);
    /* 255 unknown ops: no channels, the identity. */
    memset(tops, 0xF0, sizeof(tops));
    c = add_xform_object(top, "unknown255", &o);
    put_scalar(c, ".ops", ABC_POD_UINT8, 255, 0, tops, sizeof(tops), 1);
    abc_archive *a = end_archive(&f);
    free(tv);

    const char *noent[] = {"/plain", "/other", "/scalarxf", "/geomname"};
    for (size_t i = 0; i < 4; i++) {
        abc_object *obj = open_path(a, noent[i]);
        abc_xform *x = (abc_xform *)1;
        FAILS(OGAWA_E_NOENT, abc_xform_open(obj, &x, err));
        assert_null(x);
        abc_world *w;
        OK(abc_world_open(NULL, obj, &w, err));
        assert_false(abc_world_has_xform(w));
        assert_null(abc_world_xform(w));
        abc_world_unref(w);
        abc_object_unref(obj);
    }
    const char *corrupt[] = {"/opsfloat", "/opsarray", "/valsfloat", "/inhint", "/inharray"};
    for (size_t i = 0; i < 5; i++) {
        abc_object *obj = open_path(a, corrupt[i]);
        abc_xform *x = (abc_xform *)1;
        FAILS(OGAWA_E_CORRUPT, abc_xform_open(obj, &x, err));
        assert_null(x);
        abc_world *w = (abc_world *)1;
        FAILS(OGAWA_E_CORRUPT, abc_world_open(NULL, obj, &w, err));
        assert_null(w);
        abc_object_unref(obj);
    }
    const char *few[] = {"/fewscalar", "/fewarray", "/emptyarray", "/ops255short"};
    for (size_t i = 0; i < 4; i++) {
        abc_xform *x = open_xform(a, few[i]);
        double m[16];
        bool inh = false;
        FAILS(OGAWA_E_CORRUPT, abc_xform_sample(x, 0, m, &inh, err));
        assert_matrix(m, identity, 0);
        assert_true(inh);
        abc_xform_close(x);
    }
    double m[16];
    bool inh;
    abc_xform *x = open_xform(a, "/ops255");
    assert_int_equal(abc_xform_num_ops(x), 255);
    assert_int_equal(abc_xform_num_channels(x), 765);
    sample_matrix(x, 0, m, &inh);
    assert_matrix(m, (double[16]){1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 255, 0, 0, 1}, 0);
    abc_xform_close(x);
    x = open_xform(a, "/unknown255");
    assert_int_equal(abc_xform_num_channels(x), 0);
    sample_matrix(x, 0, m, &inh);
    assert_matrix(m, identity, 0);
    abc_xform_close(x);
    drop_archive(&f, a);
}

/* ---- worlds ------------------------------------------------------------ */

static void
world_at(abc_world *w, double t, double m[16])
{
    OK(abc_world_matrix_at(w, t, m, err));
}

static void
translation(double x, double y, double z, double m[16])
{
    memcpy(m, identity, sizeof(identity));
    m[12] = x;
    m[13] = y;
    m[14] = z;
}

/*
 * /a       Xform translate (t*24, 0, 0) at t = 0, 1/24, 2/24 (uniform)
 * /a/b     not an Xform
 * /a/b/c   Xform translate (0, 1, 0), one sample (identity sampling)
 * /a/b/c/d Xform scale 2, acyclic times 0.5/24 and 1.5/24, inherits
 *          true then false
 * /e       not an Xform, nothing above
 */
static void
test_world_chain(void **state)
{
    (void)state;
    struct archive_file f;
    abc_wobject *top = begin_archive(&f);
    const double start = 0, acyc[2] = {0.5 / 24, 1.5 / 24};
    uint32_t ts24 = add_ts(f.w, ABC_TS_UNIFORM, 1.0 / 24, &start, 1);
    uint32_t tsa = add_ts(f.w, ABC_TS_ACYCLIC, 0, acyc, 2);
    const uint8_t tr = 0x10, sc = 0x00;
    const double av[3][3] = {{0, 0, 0}, {1, 0, 0}, {2, 0, 0}};
    const double cv[3] = {0, 1, 0}, dv[2][3] = {{2, 2, 2}, {2, 2, 2}};
    const uint8_t dinh[2] = {1, 0};
    abc_wobject *oa = add_xform(top, "a", ts24, &tr, 1, &av[0][0], 3, 3, NULL);
    abc_wobject *ob;
    OK(abc_wobject_add_child(oa, abc_wstr("b"), NULL, &ob, err));
    abc_wobject *oc = add_xform(ob, "c", 0, &tr, 1, cv, 3, 1, NULL);
    add_xform(oc, "d", tsa, &sc, 1, &dv[0][0], 3, 2, dinh);
    abc_wobject *oe;
    OK(abc_wobject_add_child(top, abc_wstr("e"), NULL, &oe, err));
    abc_archive *a = end_archive(&f);

    double m[16], want[16];
    const double *times;
    uint64_t n;

    abc_world *we = open_world(a, "/e");
    assert_false(abc_world_has_xform(we));
    OK(abc_world_times(we, &times, &n, err));
    assert_int_equal(n, 0);
    world_at(we, 0, m);
    assert_matrix(m, identity, 0);
    abc_world_unref(we);

    abc_world *wb = open_world(a, "/a/b");
    assert_true(abc_world_has_xform(wb));
    assert_null(abc_world_xform(wb));
    OK(abc_world_times(wb, &times, &n, err));
    assert_int_equal(n, 3);
    assert_true(times[0] == 0 && times[1] == 1.0 / 24 && times[2] == 2 * (1.0 / 24));
    world_at(wb, 1.0 / 24, m);
    translation(1, 0, 0, want);
    assert_matrix(m, want, 0);
    world_at(wb, 1.9 / 24, m);      /* floor: sample 1 */
    assert_matrix(m, want, 0);
    world_at(wb, -5, m);
    translation(0, 0, 0, want);
    assert_matrix(m, want, 0);
    abc_world_unref(wb);

    abc_world *wc = open_world(a, "/a/b/c");
    OK(abc_world_times(wc, &times, &n, err));
    assert_int_equal(n, 3);         /* time 0 of c is already there */
    world_at(wc, 2.0 / 24, m);
    translation(2, 1, 0, want);
    assert_matrix(m, want, 0);
    abc_world_unref(wc);

    abc_world *wd = open_world(a, "/a/b/c/d");
    OK(abc_world_times(wd, &times, &n, err));
    assert_int_equal(n, 5);
    const double want_t[5] = {0, 0.5 / 24, 1.0 / 24, 1.5 / 24, 2.0 / 24};
    for (int i = 0; i < 5; i++)
        assert_true(times[i] == want_t[i]);
    /* d: scale 2 under translate (x, 1, 0) while it inherits; from 1.5/24
     * on it does not: just the scale. */
    const double want_x[5] = {0, 0, 1, -1, -1};
    for (int i = 0; i < 5; i++) {
        world_at(wd, times[i], m);
        double s[16] = {2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1};
        if (want_x[i] >= 0) {
            s[12] = want_x[i];
            s[13] = 1;
        }
        assert_matrix(m, s, 0);
    }
    abc_world_unref(wd);
    drop_archive(&f, a);
}

/* Time unions of uniform, cyclic and acyclic Xforms: sorted, distinct by
 * exact equality; an Xform adding nothing shares its ancestor's array. */
static void
test_world_time_union(void **state)
{
    (void)state;
    struct archive_file f;
    abc_wobject *top = begin_archive(&f);
    const double start = 1, cyc[2] = {0, 0.25}, acyc[3] = {-1, 1.5, 2.75};
    uint32_t tsu = add_ts(f.w, ABC_TS_UNIFORM, 0.5, &start, 1);   /* 1, 1.5, 2, 2.5 */
    uint32_t tsc = add_ts(f.w, ABC_TS_CYCLIC, 1, cyc, 2);         /* 0, .25, 1, 1.25, 2 */
    uint32_t tsa = add_ts(f.w, ABC_TS_ACYCLIC, 0, acyc, 3);
    const uint8_t tr = 0x10;
    double v[5][3] = {{0}};
    for (int i = 0; i < 5; i++)
        v[i][0] = i;
    abc_wobject *u = add_xform(top, "u", tsu, &tr, 1, &v[0][0], 3, 4, NULL);
    abc_wobject *c = add_xform(u, "c", tsc, &tr, 1, &v[0][0], 3, 5, NULL);
    abc_wobject *ac = add_xform(c, "a", tsa, &tr, 1, &v[0][0], 3, 3, NULL);
    add_xform(ac, "same", tsu, &tr, 1, &v[0][0], 3, 2, NULL);      /* 1, 1.5: nothing new */
    abc_archive *a = end_archive(&f);

    const double *times;
    uint64_t n;
    abc_world *wu = open_world(a, "/u");
    OK(abc_world_times(wu, &times, &n, err));
    assert_int_equal(n, 4);
    abc_world_unref(wu);

    abc_world *wc = open_world(a, "/u/c");
    OK(abc_world_times(wc, &times, &n, err));
    const double want_c[7] = {0, 0.25, 1, 1.25, 1.5, 2, 2.5};
    assert_int_equal(n, 7);
    for (int i = 0; i < 7; i++)
        assert_true(times[i] == want_c[i]);
    abc_world_unref(wc);

    abc_world *ws = open_world(a, "/u/c/a/same");
    OK(abc_world_times(ws, &times, &n, err));
    const double want_s[9] = {-1, 0, 0.25, 1, 1.25, 1.5, 2, 2.5, 2.75};
    assert_int_equal(n, 9);
    for (int i = 0; i < 9; i++)
        assert_true(times[i] == want_s[i]);
    const double *again;
    uint64_t n2;
    OK(abc_world_times(ws, &again, &n2, err));
    assert_ptr_equal(again, times);
    /* The world at each time: every translate at its floor sample.  At
     * 2.5: u sample 3, c sample 4 (t=2), a sample 1 (t=1.5), same 1. */
    double m[16], want[16];
    world_at(ws, 2.5, m);
    translation(3 + 4 + 1 + 1, 0, 0, want);
    assert_matrix(m, want, 0);
    world_at(ws, -1, m);
    translation(0, 0, 0, want);
    assert_matrix(m, want, 0);
    world_at(ws, 1.25, m);          /* u 0 (t=1), c 3, a 0, same 0 */
    translation(0 + 3 + 0 + 0, 0, 0, want);
    assert_matrix(m, want, 0);
    abc_world_unref(ws);
    drop_archive(&f, a);
}

/* More than 2^20 times: OGAWA_E_TOOBIG, here and below; exactly 2^20 is
 * fine.  Constant .inherits samples cost nothing in the file. */
static void
test_world_too_many_times(void **state)
{
    (void)state;
    struct archive_file f;
    abc_wobject *top = begin_archive(&f);
    const double start = 0, half = 0.5;
    uint32_t ts1 = add_ts(f.w, ABC_TS_UNIFORM, 1, &start, 1);
    uint32_t tsh = add_ts(f.w, ABC_TS_UNIFORM, 1, &half, 1);
    const uint8_t yes = 1;
    abc_wobject *o, *o2;
    abc_wprop *xf = add_xform_object(top, "max", &o);
    abc_wprop *p;
    OK(abc_wprop_add_scalar(xf, abc_wstr(".inherits"), NULL, ABC_POD_BOOL, 1, ts1, &p, err));
    OK(abc_wprop_add_sample(p, &yes, 1, err));
    for (uint32_t i = 1; i < ABC_WORLD_MAX_TIMES; i++)
        OK(abc_wprop_repeat_sample(p, err));
    add_xform(o, "same", ts1, NULL, 0, NULL, 0, 3, NULL);
    add_xform(o, "more", tsh, NULL, 0, NULL, 0, 1, NULL);
    xf = add_xform_object(top, "over", &o2);
    OK(abc_wprop_add_scalar(xf, abc_wstr(".inherits"), NULL, ABC_POD_BOOL, 1, ts1, &p, err));
    OK(abc_wprop_add_sample(p, &yes, 1, err));
    for (uint32_t i = 0; i < ABC_WORLD_MAX_TIMES; i++)
        OK(abc_wprop_repeat_sample(p, err));
    OK(abc_wobject_add_child(o2, abc_wstr("below"), NULL, &o, err));
    abc_archive *a = end_archive(&f);

    const double *times;
    uint64_t n;
    abc_world *w = open_world(a, "/max/same");
    OK(abc_world_times(w, &times, &n, err));
    assert_int_equal(n, ABC_WORLD_MAX_TIMES);
    assert_true(times[n - 1] == ABC_WORLD_MAX_TIMES - 1);
    double m[16];
    world_at(w, 5, m);
    assert_matrix(m, identity, 0);
    abc_world_unref(w);

    w = open_world(a, "/max/more");
    FAILS(OGAWA_E_TOOBIG, abc_world_times(w, &times, &n, err));
    assert_int_equal(n, 0);
    FAILS(OGAWA_E_TOOBIG, abc_world_times(w, &times, &n, err));     /* kept */
    world_at(w, 0.5, m);            /* matrices still work */
    assert_matrix(m, identity, 0);
    abc_world_unref(w);

    w = open_world(a, "/over/below");
    FAILS(OGAWA_E_TOOBIG, abc_world_times(w, &times, &n, err));
    abc_world_unref(w);
    drop_archive(&f, a);
}

/*
 * A chain of DEEP Xforms, each translate (0,1,0) at times 0 and 1 (the
 * second sample (0,2,0)), with one in the middle not inheriting at time
 * 1.  Opening every world and asking each for every time evaluates each
 * local sample a bounded number of times: the work is linear in depth.
 */
#define DEEP 10000
#define BREAK_AT 6000

static void
test_world_deep_chain(void **state)
{
    (void)state;
    struct archive_file f;
    abc_wobject *o = begin_archive(&f);
    const double start = 0;
    uint32_t ts = add_ts(f.w, ABC_TS_UNIFORM, 1, &start, 1);
    const uint8_t tr = 0x10, both[2] = {1, 1}, second_off[2] = {1, 0};
    const double v[2][3] = {{0, 1, 0}, {0, 2, 0}};
    for (int d = 0; d < DEEP; d++)
        o = add_xform(o, "x", ts, &tr, 1, &v[0][0], 3, 2, d == BREAK_AT ? second_off : both);
    abc_archive *a = end_archive(&f);

    abc_world **worlds = calloc(DEEP + 1, sizeof(*worlds));
    abc_object *obj;
    OK(abc_archive_top(a, &obj, err));
    OK(abc_world_open(NULL, obj, &worlds[0], err));
    for (int d = 1; d <= DEEP; d++) {
        abc_object *child;
        OK(abc_object_child(obj, 0, &child, err));
        OK(abc_world_open(worlds[d - 1], child, &worlds[d], err));
        abc_object_unref(obj);
        obj = child;
    }
    abc_object_unref(obj);
    assert_int_equal(abc_world_local_evaluations(worlds[0]), 0);    /* opening is lazy */

    /* Deepest first: the worst order for a naive walk. */
    for (int d = DEEP; d >= 1; d--) {
        const double *times;
        uint64_t n;
        OK(abc_world_times(worlds[d], &times, &n, err));
        assert_int_equal(n, 2);
        double m[16], want[16];
        world_at(worlds[d], 0, m);
        translation(0, d, 0, want);
        assert_matrix(m, want, 0);
        world_at(worlds[d], 1, m);
        int above = d > BREAK_AT ? d - BREAK_AT : d;
        translation(0, 2.0 * above, 0, want);
        assert_matrix(m, want, 0);
    }
    uint64_t evals = abc_world_local_evaluations(worlds[0]);
    print_message("deep chain: %d levels, %llu local evaluations\n", DEEP,
                  (unsigned long long)evals);
    assert_true(evals <= 2 * 2 * (uint64_t)DEEP);
    /* Asking again costs nothing. */
    double m[16];
    world_at(worlds[DEEP], 1, m);
    assert_int_equal(abc_world_local_evaluations(worlds[0]), evals);
    /* A time between samples walks the chain once (floor: sample 0). */
    world_at(worlds[DEEP], 0.5, m);
    assert_true(m[13] == DEEP);
    assert_true(abc_world_local_evaluations(worlds[0]) <= evals + DEEP);

    /* Release from the top down: each world keeps its parent alive. */
    for (int d = 0; d <= DEEP; d++)
        abc_world_unref(worlds[d]);
    free(worlds);
    drop_archive(&f, a);
}

/* Many threads on fresh worlds of one chain agree with one thread. */
struct race {
    abc_world *w;
    const double *want;     /* 16 per time */
    int failures;
};

static void *
race_thread(void *arg)
{
    struct race *r = arg;
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 4; i++) {
            double m[16];
            struct ogawa_err err;
            const double *times;
            uint64_t n;
            if (abc_world_times(r->w, &times, &n, &err) != 0 || n != 4 ||
                abc_world_matrix_at(r->w, (double)i, m, &err) != 0 ||
                memcmp(m, &r->want[16 * i], sizeof(m)) != 0)
                r->failures++;
        }
    }
    return NULL;
}

static void
test_world_threads(void **state)
{
    (void)state;
    struct archive_file f;
    abc_wobject *o = begin_archive(&f);
    const double start = 0;
    uint32_t ts = add_ts(f.w, ABC_TS_UNIFORM, 1, &start, 1);
    const uint8_t ops[2] = {0x10, 0x60};
    double v[4][4];
    for (int i = 0; i < 4; i++) {
        v[i][0] = i;
        v[i][1] = 1;
        v[i][2] = 0;
        v[i][3] = 10.0 * i;
    }
    for (int d = 0; d < 50; d++)
        o = add_xform(o, "x", ts, ops, 2, &v[0][0], 4, 4, NULL);
    abc_archive *a = end_archive(&f);

    char path[256] = "";
    for (int d = 0; d < 50; d++)
        strcat(path, "/x");
    abc_world *ref = open_world(a, path);
    double want[4 * 16];
    for (int i = 0; i < 4; i++)
        world_at(ref, i, &want[16 * i]);
    abc_world_unref(ref);

    abc_world *w = open_world(a, path);
    pthread_t th[4];
    struct race r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (struct race){w, want, 0};
        assert_int_equal(pthread_create(&th[i], NULL, race_thread, &r[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(r[i].failures, 0);
    }
    abc_world_unref(w);
    drop_archive(&f, a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_floor_uniform),
        cmocka_unit_test(test_floor_cyclic),
        cmocka_unit_test(test_floor_acyclic),
        cmocka_unit_test(test_op_channels),
        cmocka_unit_test(test_op_matrices),
        cmocka_unit_test(test_op_combos),
        cmocka_unit_test(test_xform_every_op),
        cmocka_unit_test(test_xform_vals_array),
        cmocka_unit_test(test_xform_static_animated),
        cmocka_unit_test(test_xform_counts),
        cmocka_unit_test(test_xform_malformed),
        cmocka_unit_test(test_world_chain),
        cmocka_unit_test(test_world_time_union),
        cmocka_unit_test(test_world_too_many_times),
        cmocka_unit_test(test_world_deep_chain),
        cmocka_unit_test(test_world_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
