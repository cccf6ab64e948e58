/*
 * test_abc_property.c — compound, scalar and array properties and their
 * samples (ogawa/abc_property.c, pod.c; ogawa-format.md §5, §2.1):
 * every field of the property header record's info word, the §5.7
 * sample-index mapping, sample size checks, array dimensions, strings and
 * wstrings (UTF-8 conversion), and the values of spec/props.abc and
 * spec/edge.abc as §11.4 documents them.
 *
 * Hand-built compounds use struct pb: one header record and one property
 * group per pb_add, written as the top compound of object "o".
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

#include "abc.h"
#include "test_util.h"

/* ---- helpers ----------------------------------------------------------- */

struct pb {
    struct tb_buf f;            /* the file */
    struct tb_buf hdr;          /* the compound's header records */
    uint64_t slots[80];
    size_t n;
};

static void
pb_init(struct pb *b)
{
    memset(b, 0, sizeof(*b));
    tb_file_init(&b->f);
}

static void
pb_add(struct pb *b, const struct tb_prop *p, uint64_t group)
{
    tb_abc_prop(&b->hdr, p);
    b->slots[b->n++] = group;
}

/* A property group of one scalar sample. */
static uint64_t
pb_scalar(struct pb *b, const void *payload, size_t n)
{
    return TB_GROUP(&b->f, tb_abc_sample(&b->f, payload, n));
}

/* A property group of one array sample with the given dims (n_dims 0: EMPTY_DATA). */
static uint64_t
pb_array(struct pb *b, const void *payload, size_t n, size_t n_dims, const uint64_t *dims)
{
    struct tb_buf d = { 0 };
    for (size_t i = 0; i < n_dims; i++)
        tb_u64(&d, dims[i]);
    uint64_t data = n ? tb_abc_sample(&b->f, payload, n) : OGAWA_EMPTY_DATA;
    uint64_t g = TB_GROUP(&b->f, data, tb_data_buf(&b->f, &d));
    tb_free(&d);
    return g;
}

/* Four samplings: identity, then uniform 1, 2, 3 seconds per sample. */
static void
four_samplings(struct tb_buf *ts)
{
    double zero = 0.0;
    for (int i = 0; i < 4; i++)
        tb_abc_ts(ts, 0, i + 1.0, 1, &zero);
}

/* Writes the compound (slots + header block) as o's top compound and the
 * file; frees the builder.  idx: the indexed metadata table (or NULL). */
static char *
pb_write_idx(struct pb *b, const struct tb_buf *idx)
{
    struct tb_buf ts = { 0 };
    four_samplings(&ts);
    b->slots[b->n] = tb_data_buf(&b->f, &b->hdr);
    uint64_t comp = tb_group(&b->f, b->n + 1, b->slots);
    tb_abc_one_object(&b->f, comp, &ts, idx);
    char *path = tb_write(&b->f);
    tb_free(&ts);
    tb_free(&b->f);
    tb_free(&b->hdr);
    return path;
}

static char *
pb_write(struct pb *b)
{
    struct tb_buf idx = { 0 };
    tb_u8(&idx, 13);
    tb_str(&idx, "interp=vector");
    char *path = pb_write_idx(b, &idx);
    tb_free(&idx);
    return path;
}

/* Opens path's object "o" and returns abc_object_properties' code. */
static int
pb_open_rc(char *path, struct ogawa_err *err)
{
    struct ogawa_err e2 = { 0 };
    abc_archive *a = NULL;
    abc_object *top = NULL, *o = NULL;
    abc_compound *c = (abc_compound *)1;
    assert_int_equal(abc_archive_open(path, &a, &e2), 0);
    assert_int_equal(abc_archive_top(a, &top, &e2), 0);
    assert_int_equal(abc_object_child(top, 0, &o, &e2), 0);
    int rc = abc_object_properties(o, &c, err);
    if (rc)
        assert_null(c);
    else
        abc_compound_unref(c);
    abc_object_unref(o);
    abc_object_unref(top);
    abc_archive_close(a);
    tb_remove(path);
    return rc;
}

/* An open compound and everything it needs. */
struct pc {
    char *path;
    abc_archive *a;
    abc_object *o;
    abc_compound *c;
};

static void
pc_open(struct pc *p, char *path)
{
    p->path = path;
    tb_open_props(path, &p->a, &p->o, &p->c);
}

static void
pc_open_corpus(struct pc *p, const char *rel, const char *object)
{
    struct ogawa_err err = { 0 };
    abc_object *top = NULL;
    size_t idx;
    p->path = NULL;
    char *path = tb_data_path(rel);
    assert_int_equal(abc_archive_open(path, &p->a, &err), 0);
    free(path);
    assert_int_equal(abc_archive_top(p->a, &top, &err), 0);
    assert_int_equal(abc_object_find(top, object, strlen(object), &idx), 0);
    assert_int_equal(abc_object_child(top, idx, &p->o, &err), 0);
    abc_object_unref(top);
    assert_int_equal(abc_object_properties(p->o, &p->c, &err), 0);
}

static void
pc_close(struct pc *p)
{
    tb_close_props(p->a, p->o, p->c);
    tb_remove(p->path);
}

static size_t
find(const abc_compound *c, const char *name)
{
    size_t idx = SIZE_MAX;
    assert_int_equal(abc_compound_find(c, name, strlen(name), &idx), 0);
    return idx;
}

static const struct abc_property_header *
prop(const abc_compound *c, const char *name)
{
    return abc_compound_property(c, find(c, name));
}

static bool
str_is(abc_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

/* Loads sample i of property name; returns the code. */
static int
load(abc_compound *c, const char *name, uint32_t i, struct abc_sample *s, uint8_t **buf,
     uint64_t *len, struct ogawa_err *err)
{
    size_t idx = find(c, name);
    *buf = NULL;
    int rc = abc_property_sample(c, idx, i, s, err);
    if (rc)
        return rc;
    return abc_sample_load(abc_object_archive(abc_compound_object(c)), s,
                           abc_compound_property(c, idx)->pod, buf, len, err);
}

static int32_t
load_i32(abc_compound *c, const char *name, uint32_t i)
{
    struct abc_sample s;
    struct ogawa_err err = { 0 };
    uint8_t *buf;
    uint64_t len;
    int32_t v;
    assert_int_equal(load(c, name, i, &s, &buf, &len, &err), 0);
    assert_int_equal(len, 4);
    memcpy(&v, buf, 4);
    free(buf);
    return v;
}

/* The error of the last sample_rc call, for tb_assert_msg. */
static struct ogawa_err last_err;

static int
sample_rc(abc_compound *c, const char *name, uint32_t i, struct abc_sample *s)
{
    memset(&last_err, 0, sizeof(last_err));
    return abc_property_sample(c, find(c, name), i, s, &last_err);
}

/* ---- header records (§5.2) -------------------------------------------------- */

static void
test_abc_compound_property_info_fields(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    int32_t seven = 7;
    float v3[3] = { 1, 2, 3 };
    struct tb_prop sc = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 3,
                          .constant = true, .homogenous = true, .name = "sc" };
    pb_add(&b, &sc, pb_scalar(&b, &seven, 4));
    struct tb_prop ar = { .type = 2, .pod = ABC_POD_FLOAT32, .extent = 3, .num_samples = 2,
                          .name = "ar" };
    uint64_t s0 = tb_abc_sample(&b.f, v3, 12);
    pb_add(&b, &ar, TB_GROUP(&b.f, s0, OGAWA_EMPTY_DATA, s0, OGAWA_EMPTY_DATA));
    struct tb_prop sl = { .type = 3, .pod = ABC_POD_UINT8, .extent = 255, .num_samples = 0,
                          .constant = true, .name = "sl" };
    pb_add(&b, &sl, OGAWA_EMPTY_GROUP);
    struct tb_prop cp = { .type = 0, .meta_idx = 1, .name = "cp" };
    pb_add(&b, &cp, OGAWA_EMPTY_GROUP);
    struct pc p;
    pc_open(&p, pb_write(&b));
    assert_int_equal(abc_compound_count(p.c), 4);
    assert_null(abc_compound_header(p.c));      /* a top compound has none */
    assert_null(abc_compound_parent(p.c));
    assert_ptr_equal(abc_compound_object(p.c), p.o);

    const struct abc_property_header *h = prop(p.c, "sc");
    assert_int_equal(h->kind, ABC_KIND_SCALAR);
    assert_int_equal(h->pod, ABC_POD_INT32);
    assert_int_equal(h->extent, 1);
    assert_int_equal(h->num_samples, 3);
    assert_int_equal(h->first_changed, 0);
    assert_int_equal(h->last_changed, 0);
    assert_int_equal(h->time_sampling, 0);
    assert_true(h->is_homogenous);
    assert_int_equal(h->metadata.len, 0);
    assert_true(abc_property_is_constant(h));

    h = prop(p.c, "ar");
    assert_int_equal(h->kind, ABC_KIND_ARRAY);
    assert_int_equal(h->pod, ABC_POD_FLOAT32);
    assert_int_equal(h->extent, 3);
    assert_false(h->is_scalar_like);
    assert_false(h->is_homogenous);
    assert_int_equal(h->first_changed, 1);      /* neither flag: 1 .. n-1 */
    assert_int_equal(h->last_changed, 1);
    assert_false(abc_property_is_constant(h));

    h = prop(p.c, "sl");
    assert_int_equal(h->kind, ABC_KIND_ARRAY);  /* type 3 = scalar-like array */
    assert_true(h->is_scalar_like);
    assert_int_equal(h->extent, 255);
    assert_int_equal(h->num_samples, 0);

    h = prop(p.c, "cp");
    assert_int_equal(h->kind, ABC_KIND_COMPOUND);
    assert_true(str_is(h->metadata, "interp=vector"));
    assert_true(str_is(h->name, "cp"));
    assert_int_equal(h->name.ptr[2], 0);
    pc_close(&p);
}

static void
test_abc_compound_property_size_hints(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    char name300[301];
    memset(name300, 'n', 300);
    name300[300] = 0;
    int32_t v = 1;
    uint64_t g = pb_scalar(&b, &v, 4);
    struct tb_prop h0 = { .type = 1, .hint = 0, .pod = ABC_POD_INT32, .extent = 1,
                          .num_samples = 200, .constant = true, .has_ts = true, .ts = 2,
                          .name = "h0" };
    pb_add(&b, &h0, g);
    struct tb_prop h1 = { .type = 1, .hint = 1, .pod = ABC_POD_INT32, .extent = 1,
                          .num_samples = 300, .constant = true, .has_ts = true, .ts = 3,
                          .name = name300 };
    pb_add(&b, &h1, g);
    struct tb_prop h2 = { .type = 1, .hint = 2, .pod = ABC_POD_INT32, .extent = 1,
                          .num_samples = 70000, .first_last = true, .first = 0, .last = 0,
                          .has_ts = true, .ts = 1, .meta_idx = 255, .meta = "m=1",
                          .name = "h2" };
    pb_add(&b, &h2, g);
    struct pc p;
    pc_open(&p, pb_write(&b));
    const struct abc_property_header *h = prop(p.c, "h0");
    assert_int_equal(h->num_samples, 200);
    assert_int_equal(h->time_sampling, 2);
    size_t idx;
    assert_int_equal(abc_compound_find(p.c, name300, 300, &idx), 0);
    h = abc_compound_property(p.c, idx);
    assert_int_equal(h->name.len, 300);
    assert_int_equal(h->num_samples, 300);
    assert_int_equal(h->time_sampling, 3);
    h = prop(p.c, "h2");
    assert_int_equal(h->num_samples, 70000);
    assert_int_equal(h->time_sampling, 1);
    assert_true(str_is(h->metadata, "m=1"));
    assert_true(abc_property_is_constant(h));
    /* Every sample of all three maps to the one stored block. */
    struct abc_sample s;
    struct ogawa_err err = { 0 };
    assert_int_equal(abc_property_sample(p.c, find(p.c, "h2"), 69999, &s, &err), 0);
    assert_int_equal(s.payload_len, 4);
    pc_close(&p);
}

static void
test_abc_compound_property_invalid_size_hint(void **state)
{
    (void)state;
    struct pb b;
    struct ogawa_err err = { 0 };
    pb_init(&b);
    struct tb_prop h3 = { .type = 1, .hint = 3, .pod = ABC_POD_INT32, .extent = 1,
                          .num_samples = 0, .constant = true, .name = "h3" };
    pb_add(&b, &h3, OGAWA_EMPTY_GROUP);
    assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "property header has an invalid size hint");
    /* For a compound record too. */
    pb_init(&b);
    struct tb_prop c3 = { .type = 0, .hint = 3, .name = "c3" };
    pb_add(&b, &c3, OGAWA_EMPTY_GROUP);
    assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "property header has an invalid size hint");
}

static void
test_abc_compound_property_every_valid_pod(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    static const char *names[ABC_POD_COUNT] = { "p0", "p1", "p2", "p3", "p4", "p5", "p6",
                                                "p7", "p8", "p9", "p10", "p11", "p12", "p13" };
    static const uint8_t zeros[8] = { 0 };
    for (int pod = 0; pod < ABC_POD_COUNT; pod++) {
        struct tb_prop t = { .type = 1, .pod = (unsigned)pod, .extent = 1, .num_samples = 1,
                             .constant = true, .name = names[pod] };
        size_t n = pod == ABC_POD_STRING ? 1 : pod == ABC_POD_WSTRING ? 4 : abc_pod_size(pod);
        pb_add(&b, &t, pb_scalar(&b, zeros, n));
    }
    struct pc p;
    pc_open(&p, pb_write(&b));
    assert_int_equal(abc_compound_count(p.c), ABC_POD_COUNT);
    for (int pod = 0; pod < ABC_POD_COUNT; pod++) {
        struct abc_sample s;
        struct ogawa_err err = { 0 };
        assert_int_equal(abc_compound_property(p.c, (size_t)pod)->pod, pod);
        assert_int_equal(abc_property_sample(p.c, (size_t)pod, 0, &s, &err), 0);
        assert_int_equal(s.n_values, 1);
        assert_int_equal(s.rank, 0);
    }
    pc_close(&p);
}

static void
test_abc_compound_property_pod_out_of_range(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    for (unsigned pod = 14; pod <= 15; pod++) {
        for (unsigned type = 1; type <= 3; type++) {
            struct pb b;
            pb_init(&b);
            struct tb_prop t = { .type = type, .pod = pod, .extent = 1, .num_samples = 0,
                                 .constant = true, .name = "bad" };
            pb_add(&b, &t, OGAWA_EMPTY_GROUP);
            assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
            tb_assert_msg(&err, "property header has an invalid data type");
        }
    }
    /* A compound's pod bits are not a pod: ignored. */
    struct pb b;
    pb_init(&b);
    struct tb_prop t = { .type = 0, .name = "cp" };
    tb_abc_prop(&b.hdr, &t);
    b.hdr.p[0] |= 0xF0;
    b.slots[b.n++] = OGAWA_EMPTY_GROUP;
    assert_int_equal(pb_open_rc(pb_write(&b), &err), 0);
}

static void
test_abc_compound_property_extent_zero(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    for (unsigned type = 1; type <= 2; type++) {
        struct pb b;
        pb_init(&b);
        struct tb_prop t = { .type = type, .pod = ABC_POD_INT32, .extent = 0, .num_samples = 0,
                             .constant = true, .name = "e0" };
        pb_add(&b, &t, OGAWA_EMPTY_GROUP);
        assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
        tb_assert_msg(&err, "property header has extent 0");
    }
}

static void
test_abc_compound_property_first_last_flags(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    int32_t vals[4] = { 7, 8, 9, 10 };
    uint64_t s7 = tb_abc_sample(&b.f, &vals[0], 4), s8 = tb_abc_sample(&b.f, &vals[1], 4);
    uint64_t s9 = tb_abc_sample(&b.f, &vals[2], 4), s10 = tb_abc_sample(&b.f, &vals[3], 4);
    /* 0x0200: 7,7,8,8,9,9 stored as [7, 8, 8, 9] (§5.7). */
    struct tb_prop fl = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 6,
                          .first_last = true, .first = 2, .last = 4, .name = "fl" };
    pb_add(&b, &fl, TB_GROUP(&b.f, s7, s8, s8, s9));
    /* 0x0800: all samples identical. */
    struct tb_prop cn = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 5,
                          .constant = true, .name = "cn" };
    pb_add(&b, &cn, TB_GROUP(&b.f, s7));
    /* Neither: every sample stored, f = 1, l = n - 1. */
    struct tb_prop ne = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 4,
                          .name = "ne" };
    pb_add(&b, &ne, TB_GROUP(&b.f, s7, s8, s9, s10));
    /* Neither with no samples at all. */
    struct tb_prop nz = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 0,
                          .name = "nz" };
    pb_add(&b, &nz, OGAWA_EMPTY_GROUP);
    struct pc p;
    pc_open(&p, pb_write(&b));

    const struct abc_property_header *h = prop(p.c, "fl");
    assert_int_equal(h->first_changed, 2);
    assert_int_equal(h->last_changed, 4);
    static const int32_t want_fl[6] = { 7, 7, 8, 8, 9, 9 };
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal(load_i32(p.c, "fl", i), want_fl[i]);

    h = prop(p.c, "cn");
    assert_int_equal(h->first_changed, 0);
    assert_int_equal(h->last_changed, 0);
    for (uint32_t i = 0; i < 5; i++)
        assert_int_equal(load_i32(p.c, "cn", i), 7);

    h = prop(p.c, "ne");
    assert_int_equal(h->first_changed, 1);
    assert_int_equal(h->last_changed, 3);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(load_i32(p.c, "ne", i), vals[i]);

    h = prop(p.c, "nz");
    assert_int_equal(h->first_changed, 0);
    assert_int_equal(h->last_changed, 0);
    struct abc_sample s;
    assert_int_equal(sample_rc(p.c, "nz", 0, &s), OGAWA_E_NOENT);
    pc_close(&p);
}

static void
test_abc_compound_property_time_sampling_index(void **state)
{
    (void)state;
    struct pb b;
    struct ogawa_err err = { 0 };
    pb_init(&b);
    struct tb_prop t3 = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 0,
                          .constant = true, .has_ts = true, .ts = 3, .name = "t3" };
    pb_add(&b, &t3, OGAWA_EMPTY_GROUP);
    struct tb_prop t0 = { .type = 2, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 0,
                          .constant = true, .has_ts = true, .ts = 0, .name = "t0" };
    pb_add(&b, &t0, OGAWA_EMPTY_GROUP);
    struct tb_prop none = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 0,
                            .constant = true, .name = "none" };
    pb_add(&b, &none, OGAWA_EMPTY_GROUP);
    struct pc p;
    pc_open(&p, pb_write(&b));
    assert_int_equal(prop(p.c, "t3")->time_sampling, 3);
    assert_int_equal(prop(p.c, "t0")->time_sampling, 0);
    assert_int_equal(prop(p.c, "none")->time_sampling, 0);
    pc_close(&p);

    /* Index 4 with four samplings in the archive. */
    pb_init(&b);
    struct tb_prop t4 = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 0,
                          .constant = true, .has_ts = true, .ts = 4, .name = "t4" };
    pb_add(&b, &t4, OGAWA_EMPTY_GROUP);
    assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "property refers to a time sampling that does not exist");
    pb_init(&b);
    t4.hint = 2;
    t4.ts = UINT32_MAX;
    pb_add(&b, &t4, OGAWA_EMPTY_GROUP);
    assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
}

static void
test_abc_compound_property_metadata(void **state)
{
    (void)state;
    struct pb b;
    struct ogawa_err err = { 0 };
    pb_init(&b);
    struct tb_prop in = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .constant = true,
                          .meta_idx = 255, .meta = "interpretation=box", .name = "in" };
    pb_add(&b, &in, OGAWA_EMPTY_GROUP);
    struct tb_prop ie = { .type = 0, .meta_idx = 255, .meta = "", .name = "ie" };
    pb_add(&b, &ie, OGAWA_EMPTY_GROUP);
    struct tb_prop ix = { .type = 2, .pod = ABC_POD_INT32, .extent = 1, .constant = true,
                          .meta_idx = 1, .name = "ix" };
    pb_add(&b, &ix, OGAWA_EMPTY_GROUP);
    struct pc p;
    pc_open(&p, pb_write(&b));
    abc_str v;
    assert_true(abc_meta_get(prop(p.c, "in")->metadata, "interpretation", &v));
    assert_true(str_is(v, "box"));
    assert_int_equal(prop(p.c, "ie")->metadata.len, 0);
    assert_true(str_is(prop(p.c, "ix")->metadata, "interp=vector"));
    pc_close(&p);

    /* Index 2 is past the one-entry table. */
    pb_init(&b);
    ix.meta_idx = 2;
    pb_add(&b, &ix, OGAWA_EMPTY_GROUP);
    assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "property header metadata index is not in the table");
    /* With no table at all, only index 0 exists. */
    pb_init(&b);
    ix.meta_idx = 1;
    pb_add(&b, &ix, OGAWA_EMPTY_GROUP);
    assert_int_equal(pb_open_rc(pb_write_idx(&b, NULL), &err), OGAWA_E_CORRUPT);
}

static void
test_abc_compound_property_name_length_zero(void **state)
{
    (void)state;
    struct pb b;
    struct ogawa_err err = { 0 };
    pb_init(&b);
    struct tb_prop t = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .constant = true,
                         .name = "", .name_len = 0 };
    pb_add(&b, &t, OGAWA_EMPTY_GROUP);
    tb_fill(&b.hdr, 'x', 4);            /* bytes enough for the size bound */
    assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "property header name is empty or truncated");
    pb_init(&b);
    struct tb_prop c = { .type = 0, .name = "" };
    pb_add(&b, &c, OGAWA_EMPTY_GROUP);
    tb_fill(&b.hdr, 'x', 4);
    assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "property header name is empty or truncated");
}

static void
test_abc_compound_property_truncated_record(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    /* A record with every optional field, 2-byte hints. */
    struct tb_buf full = { 0 };
    struct tb_prop t = { .type = 1, .hint = 1, .pod = ABC_POD_INT32, .extent = 1,
                         .num_samples = 0, .first_last = true, .has_ts = true, .ts = 1,
                         .meta_idx = 255, .meta = "a=b", .name = "name" };
    tb_abc_prop(&full, &t);
    for (size_t cut = 0; cut <= full.len; cut++) {
        struct pb b;
        pb_init(&b);
        tb_bytes(&b.hdr, full.p, cut);
        b.slots[b.n++] = OGAWA_EMPTY_GROUP;
        assert_int_equal(pb_open_rc(pb_write(&b), &err), cut == full.len ? 0 : OGAWA_E_CORRUPT);
    }
    /* A name length larger than what is left. */
    struct pb b;
    pb_init(&b);
    t.name_len = 100;
    pb_add(&b, &t, OGAWA_EMPTY_GROUP);
    assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "property header name is empty or truncated");
    tb_free(&full);
}

static void
test_abc_compound_property_count_disagrees_with_groups(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    struct tb_prop t = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .constant = true,
                         .name = "x" };
    /* Two records, one group. */
    struct pb b;
    pb_init(&b);
    pb_add(&b, &t, OGAWA_EMPTY_GROUP);
    tb_abc_prop(&b.hdr, &t);
    assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "compound has more header records than property groups");
    /* One record, two groups: refused by the size bound, and (with a
     * name long enough to pass it) by the count. */
    pb_init(&b);
    pb_add(&b, &t, OGAWA_EMPTY_GROUP);
    b.slots[b.n++] = OGAWA_EMPTY_GROUP;
    assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "compound has more property groups than header records");
    pb_init(&b);
    t.name = "a-long-name-";
    pb_add(&b, &t, OGAWA_EMPTY_GROUP);
    b.slots[b.n++] = OGAWA_EMPTY_GROUP;
    assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "compound has fewer header records than property groups");
    t.name = "x";
    /* Groups but an empty header block. */
    pb_init(&b);
    b.slots[b.n++] = OGAWA_EMPTY_GROUP;
    assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "compound has more property groups than header records");
    /* Only a header block, with records. */
    pb_init(&b);
    tb_abc_prop(&b.hdr, &t);
    assert_int_equal(pb_open_rc(pb_write(&b), &err), OGAWA_E_CORRUPT);
}

static void
test_abc_object_properties_group_shapes(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    /* A compound group ending with a group slot. */
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    uint64_t comp = TB_GROUP(&f, OGAWA_EMPTY_GROUP, OGAWA_EMPTY_GROUP);
    tb_abc_one_object(&f, comp, NULL, NULL);
    assert_int_equal(pb_open_rc(tb_write(&f), &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "compound group does not end with a header block");
    /* A compound group with count 0: no properties. */
    tb_file_init(&f);
    comp = f.len;
    tb_u64(&f, 0);
    tb_abc_one_object(&f, comp, NULL, NULL);
    struct pc p;
    pc_open(&p, tb_write(&f));
    assert_int_equal(abc_compound_count(p.c), 0);
    assert_null(abc_compound_property(p.c, 0));
    size_t idx;
    assert_int_equal(abc_compound_find(p.c, "x", 1, &idx), OGAWA_E_NOENT);
    pc_close(&p);
    /* A lone empty header block: no properties either. */
    tb_file_init(&f);
    comp = TB_GROUP(&f, OGAWA_EMPTY_DATA);
    tb_abc_one_object(&f, comp, NULL, NULL);
    pc_open(&p, tb_write(&f));
    assert_int_equal(abc_compound_count(p.c), 0);
    assert_int_equal(abc_compound_offset(p.c), comp);
    pc_close(&p);
    /* A compound group that lists itself. */
    tb_file_init(&f);
    comp = f.len;
    TB_GROUP(&f, comp, OGAWA_EMPTY_DATA);
    tb_abc_one_object(&f, comp, NULL, NULL);
    assert_int_equal(pb_open_rc(tb_write(&f), &err), OGAWA_E_DEPTH);
    /* A compound group past the end of the file. */
    tb_file_init(&f);
    tb_abc_one_object(&f, 1u << 30, NULL, NULL);
    assert_int_equal(pb_open_rc(tb_write(&f), &err), OGAWA_E_CORRUPT);
    tb_free(&f);
}

/* ---- sub-compounds ------------------------------------------------------------ */

static void
test_abc_compound_child_nested_and_errors(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    /* inner: a compound holding scalar "v" and a compound slot patched
     * below to point at the outer (top) compound, an ancestor. */
    int32_t v = 5;
    struct tb_buf ih = { 0 };
    struct tb_prop tv = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 1,
                          .constant = true, .name = "v" };
    struct tb_prop tup = { .type = 0, .name = "up" };
    struct tb_prop tempty = { .type = 0, .name = "empty" };
    tb_abc_prop(&ih, &tv);
    tb_abc_prop(&ih, &tup);
    tb_abc_prop(&ih, &tempty);
    uint64_t vg = pb_scalar(&b, &v, 4);
    uint64_t inner = TB_GROUP(&b.f, vg, 0, OGAWA_EMPTY_GROUP, tb_data_buf(&b.f, &ih));
    tb_free(&ih);
    struct tb_prop tin = { .type = 0, .meta_idx = 255, .meta = "x=y", .name = "inner" };
    pb_add(&b, &tin, inner);
    struct tb_prop tsc = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 1,
                           .constant = true, .name = "sc" };
    pb_add(&b, &tsc, vg);
    struct tb_prop tdata = { .type = 0, .name = "dataslot" };
    pb_add(&b, &tdata, OGAWA_EMPTY_DATA);
    /* The outer compound lands right after its header block. */
    uint64_t outer = b.f.len + 8 + b.hdr.len;
    tb_patch_u64(&b.f, inner + 16, outer);
    char *path = pb_write(&b);
    struct pc p;
    pc_open(&p, path);
    assert_int_equal(abc_compound_offset(p.c), outer);

    struct ogawa_err err = { 0 };
    abc_compound *in = NULL, *x = (abc_compound *)1;
    assert_int_equal(abc_compound_child(p.c, find(p.c, "inner"), &in, &err), 0);
    assert_ptr_equal(abc_compound_parent(in), p.c);
    assert_ptr_equal(abc_compound_header(in), prop(p.c, "inner"));
    assert_true(str_is(abc_compound_header(in)->metadata, "x=y"));
    assert_int_equal(abc_compound_count(in), 3);
    assert_int_equal(load_i32(in, "v", 0), 5);
    /* The ancestor. */
    assert_int_equal(abc_compound_child(in, find(in, "up"), &x, &err), OGAWA_E_DEPTH);
    assert_null(x);
    tb_assert_msg(&err, "compound group is one of its ancestors");
    /* An EMPTY_GROUP compound has no properties. */
    assert_int_equal(abc_compound_child(in, find(in, "empty"), &x, &err), 0);
    assert_int_equal(abc_compound_count(x), 0);
    abc_compound_unref(x);
    /* Not a compound, out of range, a data slot. */
    x = (abc_compound *)1;
    assert_int_equal(abc_compound_child(in, find(in, "v"), &x, &err), OGAWA_E_INVAL);
    assert_null(x);
    assert_int_equal(abc_compound_child(in, 3, &x, &err), OGAWA_E_NOENT);
    assert_int_equal(abc_compound_child(p.c, find(p.c, "dataslot"), &x, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "compound property slot is not a group");
    /* The child keeps its parent compound and its object alive. */
    abc_compound_ref(in);
    abc_compound_unref(in);
    abc_compound_unref(p.c);
    abc_object_unref(p.o);
    assert_int_equal(abc_compound_count(abc_compound_parent(in)), 3);
    assert_true(str_is(abc_object_name(abc_compound_object(in)), "o"));
    abc_compound_unref(in);
    abc_compound_unref(NULL);
    abc_archive_close(p.a);
    tb_remove(path);
}

/* ---- the stored-index mapping (§5.7) ------------------------------------------- */

static void
test_abc_property_stored_index_examples(void **state)
{
    (void)state;
    struct abc_property_header h;
    memset(&h, 0, sizeof(h));
    /* 7,7,8,8,9,9: n 6, f 2, l 4, stored [7, 8, 8, 9]. */
    h.num_samples = 6;
    h.first_changed = 2;
    h.last_changed = 4;
    static const uint32_t k1[6] = { 0, 0, 1, 2, 3, 3 };
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal(abc_property_stored_index(&h, i), k1[i]);
    assert_false(abc_property_is_constant(&h));
    /* 1,2,2,2: f 1, l 1, stored [1, 2]. */
    h.num_samples = 4;
    h.first_changed = 1;
    h.last_changed = 1;
    static const uint32_t k2[4] = { 0, 1, 1, 1 };
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(abc_property_stored_index(&h, i), k2[i]);
    /* A,B,C: f 1, l 2. */
    h.num_samples = 3;
    h.last_changed = 2;
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(abc_property_stored_index(&h, i), i);
    /* Constant. */
    h.num_samples = 5;
    h.first_changed = h.last_changed = 0;
    for (uint32_t i = 0; i < 5; i++)
        assert_int_equal(abc_property_stored_index(&h, i), 0);
    assert_true(abc_property_is_constant(&h));
}

static void
test_abc_property_sample_spec_myint(void **state)
{
    (void)state;
    struct pc p;
    pc_open_corpus(&p, "spec/props.abc", "child");
    const struct abc_property_header *h = prop(p.c, "myint");
    /* §5.2: 61 16 00 00 06 02 04 05 'myint'. */
    assert_int_equal(h->kind, ABC_KIND_SCALAR);
    assert_int_equal(h->pod, ABC_POD_INT32);
    assert_int_equal(h->num_samples, 6);
    assert_int_equal(h->first_changed, 2);
    assert_int_equal(h->last_changed, 4);
    static const int32_t want[6] = { 7, 7, 8, 8, 9, 9 };
    uint64_t blocks[6];
    for (uint32_t i = 0; i < 6; i++) {
        struct abc_sample s;
        assert_int_equal(load_i32(p.c, "myint", i), want[i]);
        assert_int_equal(sample_rc(p.c, "myint", i, &s), 0);
        assert_int_equal(s.n_values, 1);
        assert_int_equal(s.payload_len, 4);
        assert_int_equal(s.payload_off, s.block.off + 24);
        blocks[i] = s.block.off;
    }
    /* Stored [7, 8, 8(ref), 9]: one block per value. */
    assert_int_equal(blocks[0], blocks[1]);
    assert_int_equal(blocks[2], blocks[3]);
    assert_int_equal(blocks[4], blocks[5]);
    assert_true(blocks[0] != blocks[2] && blocks[2] != blocks[4]);
    struct abc_sample s;
    assert_int_equal(sample_rc(p.c, "myint", 6, &s), OGAWA_E_NOENT);
    pc_close(&p);
}

static void
test_abc_property_sample_spec_tail_and_many(void **state)
{
    (void)state;
    struct pc p;
    pc_open_corpus(&p, "spec/edge.abc", "c");
    const struct abc_property_header *h = prop(p.c, "tail");
    assert_int_equal(h->num_samples, 4);
    assert_int_equal(h->first_changed, 1);
    assert_int_equal(h->last_changed, 1);
    static const int32_t tail[4] = { 1, 2, 2, 2 };
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(load_i32(p.c, "tail", i), tail[i]);
    h = prop(p.c, "many");
    assert_int_equal(h->num_samples, 300);      /* a 2-byte count (§5.2) */
    assert_int_equal(h->first_changed, 1);
    assert_int_equal(h->last_changed, 299);
    for (uint32_t i = 0; i < 300; i += 37)
        assert_int_equal(load_i32(p.c, "many", i), (int32_t)i);
    assert_int_equal(load_i32(p.c, "many", 299), 299);
    pc_close(&p);
}

/* ---- sample checks (§5.3–§5.6) --------------------------------------------------- */

static void
test_abc_property_sample_scalar_size_mismatch(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    static const uint8_t bytes[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    struct tb_prop t = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 1,
                         .constant = true };
    t.name = "three";
    pb_add(&b, &t, pb_scalar(&b, bytes, 3));
    t.name = "eight";
    pb_add(&b, &t, pb_scalar(&b, bytes, 8));
    t.name = "empty";
    pb_add(&b, &t, TB_GROUP(&b.f, OGAWA_EMPTY_DATA));
    t.name = "four";
    pb_add(&b, &t, pb_scalar(&b, bytes, 4));
    struct tb_prop v3 = { .type = 1, .pod = ABC_POD_FLOAT32, .extent = 3, .num_samples = 1,
                          .constant = true, .name = "v3short" };
    pb_add(&b, &v3, pb_scalar(&b, bytes, 8));
    struct pc p;
    pc_open(&p, pb_write(&b));
    struct abc_sample s;
    const char *bad[] = { "three", "eight", "empty", "v3short" };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(sample_rc(p.c, bad[i], 0, &s), OGAWA_E_CORRUPT);
        tb_assert_msg(&last_err, "scalar sample size does not match its data type");
    }
    assert_int_equal(load_i32(p.c, "four", 0), 0x04030201);
    pc_close(&p);
}

static void
test_abc_property_sample_failure_zeroes_out(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    static const uint8_t bytes[8] = { 0 };
    struct tb_prop t = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 1,
                         .constant = true, .name = "eight" };
    pb_add(&b, &t, pb_scalar(&b, bytes, 8));
    struct pc p;
    pc_open(&p, pb_write(&b));
    struct abc_sample s, zero;
    memset(&s, 0xAB, sizeof(s));
    memset(&zero, 0, sizeof(zero));
    /* abc.h: "every out-pointer is NULL (or zeroed) on failure". */
    assert_int_equal(sample_rc(p.c, "eight", 0, &s), OGAWA_E_CORRUPT);
    assert_memory_equal(&s, &zero, sizeof(s));
    pc_close(&p);
}

static void
test_abc_property_sample_block_shorter_than_key(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    struct tb_prop t = { .type = 1, .pod = ABC_POD_STRING, .extent = 1, .num_samples = 1,
                         .constant = true, .name = "short" };
    pb_add(&b, &t, TB_GROUP(&b.f, tb_data(&b.f, "0123456789", 10)));
    struct tb_prop a = { .type = 2, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 1,
                         .constant = true, .name = "key-only" };
    pb_add(&b, &a, TB_GROUP(&b.f, tb_data(&b.f, "0123456789abcdef", 16), OGAWA_EMPTY_DATA));
    a.name = "fifteen";
    pb_add(&b, &a, TB_GROUP(&b.f, tb_data(&b.f, "0123456789abcde", 15), OGAWA_EMPTY_DATA));
    struct pc p;
    pc_open(&p, pb_write(&b));
    struct abc_sample s;
    assert_int_equal(sample_rc(p.c, "short", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "sample block is shorter than its 16-byte key");
    assert_int_equal(sample_rc(p.c, "fifteen", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "sample block is shorter than its 16-byte key");
    /* Exactly 16: a key and no payload, an empty array. */
    assert_int_equal(sample_rc(p.c, "key-only", 0, &s), 0);
    assert_int_equal(s.payload_len, 0);
    assert_int_equal(s.n_values, 0);
    assert_int_equal(s.rank, 1);
    assert_int_equal(s.dims[0], 0);
    pc_close(&p);
}

static void
test_abc_property_sample_array_not_whole_elements(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    static const uint8_t bytes[24] = { 0 };
    struct tb_prop t = { .type = 2, .pod = ABC_POD_FLOAT32, .extent = 3, .num_samples = 1,
                         .constant = true, .name = "v3" };
    pb_add(&b, &t, pb_array(&b, bytes, 8, 0, NULL));
    t.name = "v3ok";
    pb_add(&b, &t, pb_array(&b, bytes, 24, 0, NULL));
    struct tb_prop h = { .type = 2, .pod = ABC_POD_FLOAT16, .extent = 1, .num_samples = 1,
                         .constant = true, .name = "half" };
    pb_add(&b, &h, pb_array(&b, bytes, 3, 0, NULL));
    struct pc p;
    pc_open(&p, pb_write(&b));
    struct abc_sample s;
    assert_int_equal(sample_rc(p.c, "v3", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "array sample is not a whole number of elements");
    assert_int_equal(sample_rc(p.c, "half", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "array sample is not a whole number of elements");
    assert_int_equal(sample_rc(p.c, "v3ok", 0, &s), 0);
    assert_int_equal(s.n_values, 6);            /* 2 elements x extent 3 */
    assert_int_equal(s.rank, 1);
    assert_int_equal(s.dims[0], 2);
    pc_close(&p);
}

static void
test_abc_property_sample_dims(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    float six[6] = { 1, 2, 3, 4, 5, 6 };
    struct tb_prop t = { .type = 2, .pod = ABC_POD_FLOAT32, .extent = 1, .num_samples = 1,
                         .constant = true };
    t.name = "derived";
    pb_add(&b, &t, pb_array(&b, six, 24, 0, NULL));
    t.name = "rank2";
    pb_add(&b, &t, pb_array(&b, six, 24, 2, (uint64_t[]){ 2, 3 }));
    t.name = "disagree";
    pb_add(&b, &t, pb_array(&b, six, 24, 1, (uint64_t[]){ 4 }));
    t.name = "disagree2";
    pb_add(&b, &t, pb_array(&b, six, 24, 2, (uint64_t[]){ 3, 3 }));
    t.name = "overflow";
    pb_add(&b, &t, pb_array(&b, six, 24, 3, (uint64_t[]){ 1ULL << 32, 1ULL << 32, 6 }));
    uint64_t ones[64];
    for (int i = 0; i < 64; i++)
        ones[i] = 1;
    ones[63] = 6;
    t.name = "rank64";
    pb_add(&b, &t, pb_array(&b, six, 24, 64, ones));
    uint64_t many[65];
    for (int i = 0; i < 65; i++)
        many[i] = 1;
    many[0] = 6;
    t.name = "rank65";
    pb_add(&b, &t, pb_array(&b, six, 24, 65, many));
    t.name = "oddbytes";
    pb_add(&b, &t, TB_GROUP(&b.f, tb_abc_sample(&b.f, six, 24), tb_data(&b.f, "\6\0\0\0", 4)));
    t.name = "dimsgroup";
    pb_add(&b, &t, TB_GROUP(&b.f, tb_abc_sample(&b.f, six, 24), OGAWA_EMPTY_GROUP));
    t.name = "datagroup";
    pb_add(&b, &t, TB_GROUP(&b.f, OGAWA_EMPTY_GROUP, OGAWA_EMPTY_DATA));
    t.name = "empty";
    pb_add(&b, &t, pb_array(&b, NULL, 0, 0, NULL));
    t.name = "empty2d";
    pb_add(&b, &t, pb_array(&b, NULL, 0, 2, (uint64_t[]){ 5, 0 }));
    struct pc p;
    pc_open(&p, pb_write(&b));
    struct abc_sample s;

    assert_int_equal(sample_rc(p.c, "derived", 0, &s), 0);
    assert_int_equal(s.rank, 1);
    assert_int_equal(s.dims[0], 6);
    assert_int_equal(s.n_values, 6);
    assert_int_equal(s.payload_len, 24);

    assert_int_equal(sample_rc(p.c, "rank2", 0, &s), 0);
    assert_int_equal(s.rank, 2);
    assert_int_equal(s.dims[0], 2);
    assert_int_equal(s.dims[1], 3);
    assert_int_equal(s.n_values, 6);

    /* Dims that disagree with the data fall back to the derived 1-D count. */
    const char *fallback[] = { "disagree", "disagree2", "overflow" };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sample_rc(p.c, fallback[i], 0, &s), 0);
        assert_int_equal(s.rank, 1);
        assert_int_equal(s.dims[0], 6);
        assert_int_equal(s.n_values, 6);
    }

    assert_int_equal(sample_rc(p.c, "rank64", 0, &s), 0);
    assert_int_equal(s.rank, 64);
    assert_int_equal(s.dims[63], 6);
    assert_int_equal(sample_rc(p.c, "rank65", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "array dimensions have too many ranks");
    assert_int_equal(sample_rc(p.c, "oddbytes", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "array dimensions block is not a whole number of u64");
    assert_int_equal(sample_rc(p.c, "dimsgroup", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "expected a data block, found a group");
    assert_int_equal(sample_rc(p.c, "datagroup", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "expected a data block, found a group");

    assert_int_equal(sample_rc(p.c, "empty", 0, &s), 0);
    assert_int_equal(s.block.off, 0);
    assert_int_equal(s.payload_len, 0);
    assert_int_equal(s.n_values, 0);
    assert_int_equal(s.rank, 1);
    assert_int_equal(s.dims[0], 0);
    assert_int_equal(sample_rc(p.c, "empty2d", 0, &s), 0);
    assert_int_equal(s.rank, 2);
    assert_int_equal(s.dims[0], 5);
    assert_int_equal(s.n_values, 0);
    pc_close(&p);
}

static void
test_abc_property_sample_string_arrays(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    static const char abc[] = "a\0bc\0";        /* plus the literal's NUL: "a","bc","" */
    struct tb_prop t = { .type = 2, .pod = ABC_POD_STRING, .extent = 1, .num_samples = 1,
                         .constant = true };
    t.name = "three";
    pb_add(&b, &t, pb_array(&b, abc, 6, 1, (uint64_t[]){ 3 }));
    t.name = "toomany";
    pb_add(&b, &t, pb_array(&b, abc, 6, 1, (uint64_t[]){ 7 }));
    t.name = "rank2";
    pb_add(&b, &t, pb_array(&b, abc, 6, 2, (uint64_t[]){ 1, 3 }));
    t.name = "nodims";
    pb_add(&b, &t, pb_array(&b, abc, 6, 0, NULL));
    t.name = "empty";
    pb_add(&b, &t, pb_array(&b, NULL, 0, 1, (uint64_t[]){ 0 }));
    t.name = "huge";
    pb_add(&b, &t, pb_array(&b, abc, 6, 2, (uint64_t[]){ 1ULL << 40, 1ULL << 40 }));
    struct tb_prop e2 = { .type = 2, .pod = ABC_POD_STRING, .extent = 2, .num_samples = 1,
                          .constant = true, .name = "extent2" };
    pb_add(&b, &e2, pb_array(&b, "a\0b\0c\0d\0", 8, 1, (uint64_t[]){ 2 }));
    struct pc p;
    pc_open(&p, pb_write(&b));
    struct abc_sample s;
    struct ogawa_err err = { 0 };
    uint8_t *buf;
    uint64_t len;

    assert_int_equal(load(p.c, "three", 0, &s, &buf, &len, &err), 0);
    assert_int_equal(s.n_values, 3);
    assert_int_equal(s.rank, 1);
    assert_int_equal(s.dims[0], 3);
    assert_int_equal(len, 6);
    assert_memory_equal(buf, abc, 6);
    assert_int_equal(buf[6], 0);
    free(buf);

    assert_int_equal(sample_rc(p.c, "toomany", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "string array dimensions exceed its data");
    assert_int_equal(sample_rc(p.c, "huge", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "string array dimensions exceed its data");
    assert_int_equal(sample_rc(p.c, "rank2", 0, &s), 0);
    assert_int_equal(s.rank, 2);
    assert_int_equal(s.n_values, 3);
    assert_int_equal(sample_rc(p.c, "nodims", 0, &s), 0);
    assert_int_equal(s.n_values, 0);
    assert_int_equal(sample_rc(p.c, "empty", 0, &s), 0);
    assert_int_equal(s.n_values, 0);
    assert_int_equal(s.payload_len, 0);
    assert_int_equal(sample_rc(p.c, "extent2", 0, &s), 0);
    assert_int_equal(s.n_values, 4);            /* strings = elements x extent */
    pc_close(&p);
}

static void
test_abc_property_sample_wstring(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    /* "h\u00e9" then U+1F600, a surrogate, past U+10FFFF, each 0-terminated. */
    struct tb_buf w = { 0 };
    tb_u32(&w, 'h');
    tb_u32(&w, 0xE9);
    tb_u32(&w, 0);
    tb_u32(&w, 0x1F600);
    tb_u32(&w, 0xD800);
    tb_u32(&w, 0x110000);
    tb_u32(&w, 0);
    struct tb_prop t = { .type = 2, .pod = ABC_POD_WSTRING, .extent = 1, .num_samples = 1,
                         .constant = true, .name = "wsa" };
    pb_add(&b, &t, pb_array(&b, w.p, w.len, 1, (uint64_t[]){ 2 }));
    t.name = "odd";
    pb_add(&b, &t, pb_array(&b, w.p, w.len - 1, 1, (uint64_t[]){ 2 }));
    struct tb_prop sc = { .type = 1, .pod = ABC_POD_WSTRING, .extent = 1, .num_samples = 1,
                          .constant = true, .name = "ws" };
    pb_add(&b, &sc, pb_scalar(&b, w.p, 12));
    sc.name = "wsodd";
    pb_add(&b, &sc, pb_scalar(&b, w.p, 10));
    struct pc p;
    pc_open(&p, pb_write(&b));
    struct abc_sample s;
    struct ogawa_err err = { 0 };
    uint8_t *buf;
    uint64_t len;

    assert_int_equal(load(p.c, "wsa", 0, &s, &buf, &len, &err), 0);
    assert_int_equal(s.n_values, 2);
    assert_int_equal(s.payload_len, 28);        /* the raw u32 units */
    static const char want[] = "h\xc3\xa9\0\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd";
    assert_int_equal(len, sizeof(want));        /* sizeof counts the final NUL */
    assert_memory_equal(buf, want, sizeof(want));
    assert_int_equal(buf[len], 0);
    free(buf);

    assert_int_equal(load(p.c, "ws", 0, &s, &buf, &len, &err), 0);
    assert_int_equal(s.n_values, 1);
    assert_int_equal(len, 4);
    assert_memory_equal(buf, "h\xc3\xa9\0", 4);
    free(buf);

    /* Not a whole number of 4-byte units: corrupt. */
    assert_int_equal(sample_rc(p.c, "odd", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "wstring sample is not a whole number of code units");
    assert_int_equal(sample_rc(p.c, "wsodd", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "wstring sample is not a whole number of code units");
    pc_close(&p);
    tb_free(&w);
}

static void
test_abc_wstring_to_utf8_code_points(void **state)
{
    (void)state;
    static const struct {
        uint32_t cp;
        const char *utf8;
    } cases[] = {
        { 0x00, "" },           /* one NUL byte: checked by length below */
        { 0x41, "A" },
        { 0x7F, "\x7f" },
        { 0x80, "\xc2\x80" },
        { 0x7FF, "\xdf\xbf" },
        { 0x800, "\xe0\xa0\x80" },
        { 0xD7FF, "\xed\x9f\xbf" },
        { 0xD800, "\xef\xbf\xbd" },     /* surrogates -> U+FFFD */
        { 0xDBFF, "\xef\xbf\xbd" },
        { 0xDC00, "\xef\xbf\xbd" },
        { 0xDFFF, "\xef\xbf\xbd" },
        { 0xE000, "\xee\x80\x80" },
        { 0xFFFD, "\xef\xbf\xbd" },
        { 0xFFFF, "\xef\xbf\xbf" },
        { 0x10000, "\xf0\x90\x80\x80" },
        { 0x10FFFF, "\xf4\x8f\xbf\xbf" },
        { 0x110000, "\xef\xbf\xbd" },   /* past Unicode -> U+FFFD */
        { 0x7FFFFFFF, "\xef\xbf\xbd" },
        { 0xFFFFFFFF, "\xef\xbf\xbd" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t in[4] = { (uint8_t)cases[i].cp, (uint8_t)(cases[i].cp >> 8),
                          (uint8_t)(cases[i].cp >> 16), (uint8_t)(cases[i].cp >> 24) };
        size_t want = cases[i].cp == 0 ? 1 : strlen(cases[i].utf8);
        uint8_t out[8] = { 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA };
        assert_int_equal(abc_wstring_to_utf8(in, 4, NULL), want);
        assert_int_equal(abc_wstring_to_utf8(in, 4, out), want);
        assert_memory_equal(out, cases[i].cp == 0 ? "\0" : cases[i].utf8, want);
        assert_int_equal(out[want], 0xAA);      /* nothing written past it */
    }
    /* A trailing partial unit is dropped; nothing in, nothing out. */
    static const uint8_t partial[6] = { 'x', 0, 0, 0, 'y', 0 };
    assert_int_equal(abc_wstring_to_utf8(partial, 6, NULL), 1);
    assert_int_equal(abc_wstring_to_utf8(partial, 3, NULL), 0);
    assert_int_equal(abc_wstring_to_utf8(NULL, 0, NULL), 0);
}

/* ---- stored samples versus the header ---------------------------------------------- */

static void
test_abc_property_sample_fewer_stored_than_header(void **state)
{
    (void)state;
    struct pb b;
    pb_init(&b);
    int32_t v = 1;
    uint64_t s1 = tb_abc_sample(&b.f, &v, 4);
    /* n 3, neither flag: three stored samples expected, two present. */
    struct tb_prop t = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 3,
                         .name = "sc" };
    pb_add(&b, &t, TB_GROUP(&b.f, s1, s1));
    /* Samples claimed, but no group at all. */
    struct tb_prop e = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 1,
                         .constant = true, .name = "nogroup" };
    pb_add(&b, &e, OGAWA_EMPTY_GROUP);
    /* An array needs two slots per stored sample: three for two samples. */
    struct tb_prop a = { .type = 2, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 2,
                         .name = "ar" };
    pb_add(&b, &a, TB_GROUP(&b.f, s1, OGAWA_EMPTY_DATA, s1));
    a.name = "ar1";
    a.num_samples = 1;
    a.constant = true;
    pb_add(&b, &a, TB_GROUP(&b.f, s1));
    /* f/l past what is stored. */
    struct tb_prop fl = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 10,
                          .first_last = true, .first = 1, .last = 9, .name = "fl" };
    pb_add(&b, &fl, TB_GROUP(&b.f, s1, s1));
    /* f > l (never written): the mapping must not wrap into a huge index. */
    struct tb_prop bad = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 10,
                           .first_last = true, .first = 5, .last = 2, .name = "fgtl" };
    pb_add(&b, &bad, TB_GROUP(&b.f, s1, s1));
    /* A property group whose slot is data. */
    struct tb_prop d = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 1,
                         .constant = true, .name = "dataslot" };
    pb_add(&b, &d, s1);
    struct pc p;
    pc_open(&p, pb_write(&b));
    struct abc_sample s;
    assert_int_equal(sample_rc(p.c, "sc", 0, &s), 0);
    assert_int_equal(sample_rc(p.c, "sc", 1, &s), 0);
    assert_int_equal(sample_rc(p.c, "sc", 2, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "property has fewer stored samples than its header says");
    assert_int_equal(sample_rc(p.c, "nogroup", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "property has fewer stored samples than its header says");
    assert_int_equal(sample_rc(p.c, "ar", 0, &s), 0);
    assert_int_equal(sample_rc(p.c, "ar", 1, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "property has fewer stored samples than its header says");
    assert_int_equal(sample_rc(p.c, "ar1", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "property has fewer stored samples than its header says");
    assert_int_equal(sample_rc(p.c, "fl", 1, &s), 0);
    assert_int_equal(sample_rc(p.c, "fl", 2, &s), OGAWA_E_CORRUPT);
    assert_int_equal(sample_rc(p.c, "fl", 9, &s), OGAWA_E_CORRUPT);
    assert_int_equal(sample_rc(p.c, "fgtl", 0, &s), 0);
    assert_int_equal(sample_rc(p.c, "fgtl", 7, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "property has fewer stored samples than its header says");
    assert_int_equal(sample_rc(p.c, "dataslot", 0, &s), OGAWA_E_CORRUPT);
    tb_assert_msg(&last_err, "property slot is not a group");
    pc_close(&p);
}

static void
test_abc_property_sample_bad_arguments(void **state)
{
    (void)state;
    struct pc p;
    pc_open_corpus(&p, "spec/props.abc", "child");
    struct abc_sample s;
    struct ogawa_err err = { 0 };
    assert_int_equal(abc_property_sample(p.c, find(p.c, "comp"), 0, &s, &err), OGAWA_E_INVAL);
    assert_int_equal(abc_property_sample(p.c, abc_compound_count(p.c), 0, &s, &err),
                     OGAWA_E_NOENT);
    assert_int_equal(abc_property_sample(p.c, find(p.c, "mystr"), 1, &s, &err), OGAWA_E_NOENT);
    assert_int_equal(abc_property_sample(p.c, find(p.c, "mystr"), UINT32_MAX, &s, &err),
                     OGAWA_E_NOENT);
    pc_close(&p);
}

static void
test_abc_sample_read_bounds(void **state)
{
    (void)state;
    struct pc p;
    pc_open_corpus(&p, "spec/props.abc", "child");
    struct abc_sample s;
    struct ogawa_err err = { 0 };
    const abc_archive *a = p.a;
    uint8_t buf[16];
    assert_int_equal(sample_rc(p.c, "mystr", 0, &s), 0);
    assert_int_equal(s.payload_len, 6);
    assert_int_equal(abc_sample_read(a, &s, 0, buf, 6, &err), 0);
    assert_memory_equal(buf, "hello\0", 6);
    assert_int_equal(abc_sample_read(a, &s, 2, buf, 3, &err), 0);
    assert_memory_equal(buf, "llo", 3);
    assert_int_equal(abc_sample_read(a, &s, 6, buf, 0, &err), 0);
    assert_int_equal(abc_sample_read(a, &s, 0, buf, 7, &err), OGAWA_E_INVAL);
    assert_int_equal(abc_sample_read(a, &s, 5, buf, 2, &err), OGAWA_E_INVAL);
    assert_int_equal(abc_sample_read(a, &s, 7, buf, 0, &err), OGAWA_E_INVAL);
    assert_int_equal(abc_sample_read(a, &s, 1, buf, UINT64_MAX, &err), OGAWA_E_INVAL);
    assert_int_equal(abc_sample_read(a, &s, UINT64_MAX, buf, 1, &err), OGAWA_E_INVAL);
    pc_close(&p);
}

static void
test_abc_property_sample_truncated_after_open(void **state)
{
    (void)state;
    char *src = tb_data_path("spec/props.abc");
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    uint8_t bytes[2048];
    size_t n = fread(bytes, 1, sizeof(bytes), in);
    fclose(in);
    free(src);
    struct pc p;
    pc_open(&p, tb_write_raw(bytes, n));
    struct abc_sample s;
    struct ogawa_err err = { 0 };
    assert_int_equal(sample_rc(p.c, "mystr", 0, &s), 0);
    assert_int_equal(truncate(p.path, 16), 0);
    uint8_t buf[8];
    assert_int_equal(abc_sample_read(p.a, &s, 0, buf, 6, &err), OGAWA_E_IO);
    assert_int_equal(err.sys_errno, EIO);
    uint8_t *lb = (uint8_t *)1;
    uint64_t len = 99;
    assert_int_equal(abc_sample_load(p.a, &s, ABC_POD_STRING, &lb, &len, &err), OGAWA_E_IO);
    assert_null(lb);
    assert_int_equal(len, 0);
    assert_int_equal(abc_property_sample(p.c, find(p.c, "myint"), 3, &s, &err), OGAWA_E_IO);
    abc_compound *cc = (abc_compound *)1;
    assert_int_equal(abc_compound_child(p.c, find(p.c, "comp"), &cc, &err), OGAWA_E_IO);
    assert_null(cc);
    pc_close(&p);
}

/* ---- the spec archives (§11.4) -------------------------------------------------------- */

static void
test_abc_property_sample_spec_props_values(void **state)
{
    (void)state;
    struct pc p;
    pc_open_corpus(&p, "spec/props.abc", "child");
    struct abc_sample s;
    struct ogawa_err err = { 0 };
    uint8_t *buf;
    uint64_t len;
    assert_int_equal(abc_compound_count(p.c), 8);

    /* mystr = "hello": §5.2 C1 1C 00 00 01 05 'mystr'. */
    const struct abc_property_header *h = prop(p.c, "mystr");
    assert_int_equal(h->pod, ABC_POD_STRING);
    assert_true(abc_property_is_constant(h));
    assert_int_equal(load(p.c, "mystr", 0, &s, &buf, &len, &err), 0);
    assert_int_equal(len, 6);
    assert_string_equal((char *)buf, "hello");
    assert_int_equal(s.n_values, 1);
    free(buf);

    /* farr = [1,2,3] then [1,2]. */
    h = prop(p.c, "farr");
    assert_int_equal(h->kind, ABC_KIND_ARRAY);
    assert_int_equal(h->num_samples, 2);
    assert_false(h->is_scalar_like);
    float f[3];
    assert_int_equal(load(p.c, "farr", 0, &s, &buf, &len, &err), 0);
    assert_int_equal(len, 12);
    assert_int_equal(s.rank, 1);
    assert_int_equal(s.dims[0], 3);
    memcpy(f, buf, 12);
    assert_true(f[0] == 1.0f && f[1] == 2.0f && f[2] == 3.0f);
    free(buf);
    assert_int_equal(load(p.c, "farr", 1, &s, &buf, &len, &err), 0);
    assert_int_equal(len, 8);
    assert_int_equal(s.dims[0], 2);
    memcpy(f, buf, 8);
    assert_true(f[0] == 1.0f && f[1] == 2.0f);
    free(buf);

    /* sarr = ["a","bc",""], dims 03 00.. (§11.2). */
    assert_int_equal(load(p.c, "sarr", 0, &s, &buf, &len, &err), 0);
    assert_int_equal(s.n_values, 3);
    assert_int_equal(len, 6);
    assert_memory_equal(buf, "a\0bc\0\0", 6);
    free(buf);

    /* comp/vec = (1,2,3), interpretation=vector, sharing farr's first block (§5.8). */
    abc_compound *comp = NULL;
    assert_int_equal(abc_compound_child(p.c, find(p.c, "comp"), &comp, &err), 0);
    h = prop(comp, "vec");
    assert_int_equal(h->extent, 3);
    abc_str v;
    assert_true(abc_meta_get(h->metadata, "interpretation", &v));
    assert_true(str_is(v, "vector"));
    struct abc_sample s0;
    assert_int_equal(sample_rc(p.c, "farr", 0, &s0), 0);
    assert_int_equal(sample_rc(comp, "vec", 0, &s), 0);
    assert_int_equal(s.n_values, 3);
    assert_int_equal(s.block.off, s0.block.off);
    abc_compound_unref(comp);

    /* Time sampling indices and the f64 values. */
    assert_int_equal(prop(p.c, "animd")->time_sampling, 1);
    assert_int_equal(prop(p.c, "acyc")->time_sampling, 2);
    assert_int_equal(prop(p.c, "cyc")->time_sampling, 3);
    double d;
    assert_int_equal(load(p.c, "animd", 1, &s, &buf, &len, &err), 0);
    memcpy(&d, buf, 8);
    assert_true(d == 2.0);
    free(buf);
    assert_int_equal(load(p.c, "cyc", 0, &s, &buf, &len, &err), 0);
    memcpy(&d, buf, 8);
    assert_true(d == 1.0);
    free(buf);
    pc_close(&p);
}

static void
test_abc_property_sample_spec_edge_values(void **state)
{
    (void)state;
    struct pc p;
    pc_open_corpus(&p, "spec/edge.abc", "c");
    struct abc_sample s;
    struct ogawa_err err = { 0 };
    uint8_t *buf;
    uint64_t len;
    abc_str v;

    /* bigmd: 300-byte metadata, necessarily inline. */
    const struct abc_property_header *h = prop(p.c, "bigmd");
    assert_true(abc_meta_get(h->metadata, "big", &v));
    assert_int_equal(v.len, 300);
    assert_int_equal(v.ptr[0], 'x');
    assert_int_equal(load_i32(p.c, "bigmd", 0), 1);

    /* A 300-byte name (2-byte size hint). */
    char name300[300];
    memset(name300, 'n', 300);
    size_t idx;
    assert_int_equal(abc_compound_find(p.c, name300, 300, &idx), 0);
    assert_int_equal(abc_compound_property(p.c, idx)->name.len, 300);
    assert_int_equal(abc_compound_find(p.c, name300, 299, &idx), OGAWA_E_NOENT);

    /* No samples: EMPTY_GROUP, 0x0800, type 3 for the array. */
    h = prop(p.c, "nosamp");
    assert_int_equal(h->num_samples, 0);
    assert_true(abc_property_is_constant(h));
    h = prop(p.c, "nosampa");
    assert_int_equal(h->kind, ABC_KIND_ARRAY);
    assert_true(h->is_scalar_like);
    assert_int_equal(sample_rc(p.c, "nosampa", 0, &s), OGAWA_E_NOENT);

    /* rank2: the reshaped repeat is not stored; both samples share one block. */
    h = prop(p.c, "rank2");
    assert_int_equal(h->num_samples, 2);
    assert_true(abc_property_is_constant(h));
    struct abc_sample s0;
    assert_int_equal(sample_rc(p.c, "rank2", 0, &s0), 0);
    assert_int_equal(sample_rc(p.c, "rank2", 1, &s), 0);
    assert_int_equal(s.block.off, s0.block.off);
    assert_int_equal(s.rank, 1);
    assert_int_equal(s.dims[0], 6);

    /* ws = "h\u00e9" (§11.2), wsa = ["a",""]. */
    assert_int_equal(load(p.c, "ws", 0, &s, &buf, &len, &err), 0);
    assert_int_equal(s.payload_len, 12);
    assert_int_equal(len, 4);
    assert_memory_equal(buf, "h\xc3\xa9\0", 4);
    free(buf);
    assert_int_equal(load(p.c, "wsa", 0, &s, &buf, &len, &err), 0);
    assert_int_equal(s.n_values, 2);
    assert_int_equal(len, 3);
    assert_memory_equal(buf, "a\0\0", 3);
    free(buf);

    /* half = 1.5 = 00 3E. */
    assert_int_equal(load(p.c, "half", 0, &s, &buf, &len, &err), 0);
    assert_int_equal(len, 2);
    assert_memory_equal(buf, "\x00\x3e", 2);
    free(buf);

    /* Empty numeric array (twice), empty string array, empty string. */
    for (uint32_t i = 0; i < 2; i++) {
        assert_int_equal(sample_rc(p.c, "emptyarr", i, &s), 0);
        assert_int_equal(s.block.off, 0);
        assert_int_equal(s.n_values, 0);
        assert_int_equal(s.dims[0], 0);
    }
    assert_int_equal(load(p.c, "emptyarr", 0, &s, &buf, &len, &err), 0);
    assert_int_equal(len, 0);
    free(buf);
    assert_int_equal(sample_rc(p.c, "emptystrarr", 0, &s), 0);
    assert_int_equal(s.n_values, 0);
    assert_int_equal(s.rank, 1);
    assert_int_equal(s.dims[0], 0);
    assert_int_equal(load(p.c, "emptystr", 0, &s, &buf, &len, &err), 0);
    assert_int_equal(len, 1);
    assert_int_equal(buf[0], 0);
    free(buf);
    pc_close(&p);
}

static void
test_abc_property_sample_spec_xform(void **state)
{
    (void)state;
    struct pc p;
    pc_open_corpus(&p, "spec/edge.abc", "x");
    struct ogawa_err err = { 0 };
    abc_compound *xf = NULL;
    assert_int_equal(abc_compound_child(p.c, find(p.c, ".xform"), &xf, &err), 0);
    struct abc_sample s;
    uint8_t *buf;
    uint64_t len;
    const struct abc_property_header *h = prop(xf, ".vals");
    assert_int_equal(h->pod, ABC_POD_FLOAT64);
    assert_int_equal(h->extent, 7);
    assert_int_equal(h->num_samples, 3);
    double vals[7];
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(load(xf, ".vals", i, &s, &buf, &len, &err), 0);
        assert_int_equal(len, 56);
        assert_int_equal(s.n_values, 7);
        memcpy(vals, buf, 56);
        assert_true(vals[0] == (double)i && vals[2] == 5.0 && vals[6] == 10.0);
        free(buf);
    }
    assert_int_equal(load(xf, ".ops", 2, &s, &buf, &len, &err), 0);
    assert_memory_equal(buf, "\x10\x20", 2);
    free(buf);
    h = prop(xf, ".animChans");
    assert_true(h->is_scalar_like);
    assert_int_equal(h->pod, ABC_POD_UINT32);
    abc_compound_unref(xf);
    pc_close(&p);
}

/* ---- pod and kind tables (§2.1) ------------------------------------------------------ */

static void
test_abc_pod_name_size_ext_each_pod(void **state)
{
    (void)state;
    static const unsigned sizes[ABC_POD_COUNT] = { 1, 1, 1, 2, 2, 4, 4, 8, 8, 2, 4, 8, 0, 0 };
    static const char *names[ABC_POD_COUNT] = { "bool", "uint8", "int8", "uint16", "int16",
                                                "uint32", "int32", "uint64", "int64",
                                                "float16", "float32", "float64", "string",
                                                "wstring" };
    for (int pod = 0; pod < ABC_POD_COUNT; pod++) {
        assert_int_equal(abc_pod_size(pod), sizes[pod]);
        assert_string_equal(abc_pod_name(pod), names[pod]);
        assert_non_null(abc_pod_ext(pod));
    }
    assert_string_equal(abc_pod_meta_name(ABC_POD_BOOL), "bool_t");
    assert_string_equal(abc_pod_meta_name(ABC_POD_FLOAT32), "float32_t");
    assert_string_equal(abc_pod_meta_name(ABC_POD_STRING), "string");
    assert_string_equal(abc_pod_ext(ABC_POD_FLOAT32), "f32");
    assert_string_equal(abc_pod_ext(ABC_POD_UINT8), "u8");
    assert_int_equal(abc_pod_size(ABC_POD_COUNT), 0);
    assert_int_equal(abc_pod_size(-1), 0);
    assert_int_equal(abc_pod_size(127), 0);
    assert_string_equal(abc_pod_name(14), "unknown");
    assert_string_equal(abc_pod_meta_name(-1), "unknown");
    assert_string_equal(abc_kind_name(ABC_KIND_COMPOUND), "compound");
    assert_string_equal(abc_kind_name(ABC_KIND_SCALAR), "scalar");
    assert_string_equal(abc_kind_name(ABC_KIND_ARRAY), "array");
    assert_string_equal(abc_kind_name(3), "unknown");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abc_compound_property_info_fields),
        cmocka_unit_test(test_abc_compound_property_size_hints),
        cmocka_unit_test(test_abc_compound_property_invalid_size_hint),
        cmocka_unit_test(test_abc_compound_property_every_valid_pod),
        cmocka_unit_test(test_abc_compound_property_pod_out_of_range),
        cmocka_unit_test(test_abc_compound_property_extent_zero),
        cmocka_unit_test(test_abc_compound_property_first_last_flags),
        cmocka_unit_test(test_abc_compound_property_time_sampling_index),
        cmocka_unit_test(test_abc_compound_property_metadata),
        cmocka_unit_test(test_abc_compound_property_name_length_zero),
        cmocka_unit_test(test_abc_compound_property_truncated_record),
        cmocka_unit_test(test_abc_compound_property_count_disagrees_with_groups),
        cmocka_unit_test(test_abc_object_properties_group_shapes),
        cmocka_unit_test(test_abc_compound_child_nested_and_errors),
        cmocka_unit_test(test_abc_property_stored_index_examples),
        cmocka_unit_test(test_abc_property_sample_spec_myint),
        cmocka_unit_test(test_abc_property_sample_spec_tail_and_many),
        cmocka_unit_test(test_abc_property_sample_scalar_size_mismatch),
        cmocka_unit_test(test_abc_property_sample_failure_zeroes_out),
        cmocka_unit_test(test_abc_property_sample_block_shorter_than_key),
        cmocka_unit_test(test_abc_property_sample_array_not_whole_elements),
        cmocka_unit_test(test_abc_property_sample_dims),
        cmocka_unit_test(test_abc_property_sample_string_arrays),
        cmocka_unit_test(test_abc_property_sample_wstring),
        cmocka_unit_test(test_abc_wstring_to_utf8_code_points),
        cmocka_unit_test(test_abc_property_sample_fewer_stored_than_header),
        cmocka_unit_test(test_abc_property_sample_bad_arguments),
        cmocka_unit_test(test_abc_sample_read_bounds),
        cmocka_unit_test(test_abc_property_sample_truncated_after_open),
        cmocka_unit_test(test_abc_property_sample_spec_props_values),
        cmocka_unit_test(test_abc_property_sample_spec_edge_values),
        cmocka_unit_test(test_abc_property_sample_spec_xform),
        cmocka_unit_test(test_abc_pod_name_size_ext_each_pod),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
