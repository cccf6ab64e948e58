/*
 * test_abc_archive.c — opening an AbcCoreOgawa archive (ogawa/abc_archive.c,
 * abc_meta.c; ogawa-format.md §2.3, §3): the root group and its kinds, the
 * two version blocks, archive metadata, the time-sampling table with its
 * type detection and time evaluation, the indexed metadata table, and the
 * metadata iterator's "quiet unique" rules.
 *
 * Most tests start from the same six root slots (std_slots) and break one.
 */
#include <errno.h>
#include <math.h>
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
#include "abc_int.h"
#include "test_util.h"

#define ALEMBIC_VERSION_MD "_ai_AlembicVersion=Alembic 1.8.12 (built Nov 23 2026 21:51:18)"

/* ---- helpers ----------------------------------------------------------- */

static uint64_t
i32_block(struct tb_buf *f, int32_t v)
{
    struct tb_buf b = { 0 };
    tb_u32(&b, (uint32_t)v);
    uint64_t s = tb_data_buf(f, &b);
    tb_free(&b);
    return s;
}

/* Writes the standard root children (§3.1) into slots[0..5]: versions 0
 * and 10812, a top object with nothing in it, metadata "a=b", the
 * identity sampling, no indexed metadata. */
static void
std_slots(struct tb_buf *f, uint64_t slots[6])
{
    struct tb_buf h = { 0 };
    tb_file_init(f);
    slots[0] = i32_block(f, 0);
    slots[1] = i32_block(f, 10812);
    tb_abc_hashes(&h);
    slots[2] = TB_GROUP(f, OGAWA_EMPTY_GROUP, tb_data_buf(f, &h));
    slots[3] = tb_data(f, "a=b", 3);
    h.len = 0;
    double zero = 0.0;
    tb_abc_ts(&h, 0, 1.0, 1, &zero);
    slots[4] = tb_data_buf(f, &h);
    slots[5] = OGAWA_EMPTY_DATA;
    tb_free(&h);
}

/* Appends a root group of n slots, writes the file, opens it. */
static int
open_root(struct tb_buf *f, size_t n, const uint64_t *slots, abc_archive **a,
          struct ogawa_err *err)
{
    tb_set_root(f, tb_group(f, n, slots));
    char *path = tb_write(f);
    *a = (abc_archive *)1;
    int rc = abc_archive_open(path, a, err);
    tb_remove(path);
    if (rc)
        assert_null(*a);
    return rc;
}

/* Standard slots with slot idx replaced; returns the open code and closes. */
static int
open_with_slot(size_t idx, uint64_t (*make)(struct tb_buf *f), struct ogawa_err *err)
{
    struct tb_buf f = { 0 };
    uint64_t slots[6];
    abc_archive *a;
    std_slots(&f, slots);
    slots[idx] = make(&f);
    int rc = open_root(&f, 6, slots, &a, err);
    abc_archive_close(rc ? NULL : a);
    tb_free(&f);
    return rc;
}

/* Opens an archive whose time-sampling table is ts. */
static int
open_with_ts(const struct tb_buf *ts, abc_archive **a, struct ogawa_err *err)
{
    struct tb_buf f = { 0 };
    uint64_t slots[6];
    std_slots(&f, slots);
    slots[4] = tb_data_buf(&f, ts);
    int rc = open_root(&f, 6, slots, a, err);
    tb_free(&f);
    return rc;
}

static int
open_with_indexed(const struct tb_buf *idx, abc_archive **a, struct ogawa_err *err)
{
    struct tb_buf f = { 0 };
    uint64_t slots[6];
    std_slots(&f, slots);
    slots[5] = tb_data_buf(&f, idx);
    int rc = open_root(&f, 6, slots, a, err);
    tb_free(&f);
    return rc;
}

static abc_archive *
open_corpus(const char *rel)
{
    char *path = tb_data_path(rel);
    struct ogawa_err err = { 0 };
    abc_archive *a = NULL;
    assert_int_equal(abc_archive_open(path, &a, &err), 0);
    free(path);
    return a;
}

static int
open_corpus_rc(const char *rel, struct ogawa_err *err)
{
    char *path = tb_data_path(rel);
    abc_archive *a = (abc_archive *)1;
    int rc = abc_archive_open(path, &a, err);
    free(path);
    if (rc)
        assert_null(a);
    abc_archive_close(rc ? NULL : a);
    return rc;
}

static abc_str
s_of(const char *s)
{
    abc_str r = { s, strlen(s) };
    return r;
}

static bool
str_is(abc_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

/* ---- root group --------------------------------------------------------- */

static void
test_abc_archive_open_spec_empty(void **state)
{
    (void)state;
    abc_archive *a = open_corpus("spec/empty.abc");
    assert_int_equal(abc_archive_library_version(a), 10812);
    abc_str md = abc_archive_metadata(a);
    assert_int_equal(md.len, 62);
    assert_true(str_is(md, ALEMBIC_VERSION_MD));
    assert_int_equal(abc_archive_time_sampling_count(a), 1);
    const struct abc_time_sampling *ts = abc_archive_time_sampling(a, 0);
    assert_int_equal(ts->type, ABC_TS_IDENTITY);
    assert_int_equal(ogawa_archive_size(abc_archive_ogawa(a)), 262);

    struct ogawa_err err = { 0 };
    abc_object *top = NULL;
    assert_int_equal(abc_archive_top(a, &top, &err), 0);
    assert_true(str_is(abc_object_name(top), "ABC"));
    assert_int_equal(abc_object_child_count(top), 0);
    assert_int_equal(abc_object_offset(top), 80);       /* §11.1 */
    abc_object_unref(top);
    abc_archive_close(a);
}

static void
test_abc_archive_open_std_slots_valid(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    uint64_t slots[6];
    struct ogawa_err err = { 0 };
    abc_archive *a;
    std_slots(&f, slots);
    assert_int_equal(open_root(&f, 6, slots, &a, &err), 0);
    assert_int_equal(abc_archive_library_version(a), 10812);
    assert_true(str_is(abc_archive_metadata(a), "a=b"));
    abc_archive_close(a);
    tb_free(&f);
}

static void
test_abc_archive_open_root_fewer_than_six(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    uint64_t slots[6];
    struct ogawa_err err = { 0 };
    abc_archive *a;
    for (size_t n = 0; n < 6; n++) {
        std_slots(&f, slots);
        assert_int_equal(open_root(&f, n, slots, &a, &err), OGAWA_E_CORRUPT);
        if (n > 0)  /* n == 0 writes root offset 0, refused by the header check */
            tb_assert_msg(&err, "root group has fewer than 6 children");
    }
    /* A root block whose count is 0 (treated as empty) is short too. */
    std_slots(&f, slots);
    uint64_t root = f.len;
    tb_u64(&f, 0);
    tb_set_root(&f, root);
    char *path = tb_write(&f);
    a = (abc_archive *)1;
    assert_int_equal(abc_archive_open(path, &a, &err), OGAWA_E_CORRUPT);
    assert_null(a);
    assert_int_equal(err.off, root);
    tb_assert_msg(&err, "root group has fewer than 6 children");
    tb_remove(path);
    tb_free(&f);
}

static void
test_abc_archive_open_root_more_than_six(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    uint64_t slots[8];
    struct ogawa_err err = { 0 };
    abc_archive *a;
    std_slots(&f, slots);
    slots[6] = OGAWA_EMPTY_GROUP;       /* extra children are ignored */
    slots[7] = OGAWA_EMPTY_DATA;
    assert_int_equal(open_root(&f, 8, slots, &a, &err), 0);
    abc_archive_close(a);
    tb_free(&f);
}

static void
test_abc_archive_open_root_wrong_kinds(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    uint64_t slots[6];
    struct ogawa_err err = { 0 };
    abc_archive *a;
    for (size_t i = 0; i < 6; i++) {
        std_slots(&f, slots);
        /* Same offset, other kind: only the kind is wrong. */
        slots[i] ^= OGAWA_SLOT_DATA_BIT;
        assert_int_equal(open_root(&f, 6, slots, &a, &err), OGAWA_E_CORRUPT);
        tb_assert_msg(&err, "root group children have the wrong kinds");
    }
    tb_free(&f);
}

static void
test_abc_archive_open_root_self_reference(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    uint64_t slots[6];
    struct ogawa_err err = { 0 };
    abc_archive *a;
    std_slots(&f, slots);
    slots[2] = f.len;                   /* the root group itself as top object */
    assert_int_equal(open_root(&f, 6, slots, &a, &err), OGAWA_E_DEPTH);
    tb_free(&f);
}

static uint64_t make_i32_1(struct tb_buf *f) { return i32_block(f, 1); }
static uint64_t make_i32_m1(struct tb_buf *f) { return i32_block(f, -1); }
static uint64_t make_i32_9998(struct tb_buf *f) { return i32_block(f, 9998); }
static uint64_t make_i32_9999(struct tb_buf *f) { return i32_block(f, 9999); }
static uint64_t make_i32_min(struct tb_buf *f) { return i32_block(f, INT32_MIN); }
static uint64_t make_empty_data(struct tb_buf *f) { (void)f; return OGAWA_EMPTY_DATA; }
static uint64_t make_empty_group(struct tb_buf *f) { (void)f; return OGAWA_EMPTY_GROUP; }
static uint64_t make_3_bytes(struct tb_buf *f) { return tb_data(f, "\0\0\0", 3); }
static uint64_t make_8_zero_bytes(struct tb_buf *f) { return tb_data(f, "\0\0\0\0\0\0\0\0", 8); }

static uint64_t
make_8_bytes_10812(struct tb_buf *f)
{
    struct tb_buf b = { 0 };
    tb_u64(&b, 10812);
    uint64_t s = tb_data_buf(f, &b);
    tb_free(&b);
    return s;
}

static void
test_abc_archive_open_file_version_nonzero(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    assert_int_equal(open_with_slot(0, make_i32_1, &err), OGAWA_E_VERSION);
    tb_assert_msg(&err, "unsupported AbcCoreOgawa file version");
    assert_int_equal(open_with_slot(0, make_i32_m1, &err), OGAWA_E_VERSION);
    assert_int_equal(open_with_slot(0, make_i32_9999, &err), OGAWA_E_VERSION);
}

static void
test_abc_archive_open_file_version_not_4_bytes(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    /* §3.1: slot 0 must be exactly 4 bytes, even when the value would be 0. */
    assert_int_equal(open_with_slot(0, make_8_zero_bytes, &err), OGAWA_E_VERSION);
    tb_assert_msg(&err, "unsupported AbcCoreOgawa file version");
    assert_int_equal(open_with_slot(0, make_3_bytes, &err), OGAWA_E_VERSION);
    assert_int_equal(open_with_slot(0, make_empty_data, &err), OGAWA_E_VERSION);
}

static void
test_abc_archive_open_library_version_old(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    assert_int_equal(open_with_slot(1, make_i32_9998, &err), OGAWA_E_VERSION);
    tb_assert_msg(&err, "unsupported Alembic library version");
    assert_int_equal(open_with_slot(1, make_i32_m1, &err), OGAWA_E_VERSION);
    assert_int_equal(open_with_slot(1, make_i32_min, &err), OGAWA_E_VERSION);
    /* Not 4 bytes: read as 0 (§3.1), hence too old. */
    assert_int_equal(open_with_slot(1, make_8_bytes_10812, &err), OGAWA_E_VERSION);
    tb_assert_msg(&err, "unsupported Alembic library version");
    assert_int_equal(open_with_slot(1, make_empty_data, &err), OGAWA_E_VERSION);
    /* The boundary. */
    assert_int_equal(open_with_slot(1, make_i32_9999, &err), 0);
}

static void
test_abc_archive_library_version_boundary_value(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    uint64_t slots[6];
    struct ogawa_err err = { 0 };
    abc_archive *a;
    std_slots(&f, slots);
    slots[1] = i32_block(&f, 9999);
    assert_int_equal(open_root(&f, 6, slots, &a, &err), 0);
    assert_int_equal(abc_archive_library_version(a), 9999);
    abc_archive_close(a);
    tb_free(&f);
}

static void
test_abc_archive_open_no_top_object(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    assert_int_equal(open_with_slot(2, make_empty_group, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "root group has no top object");
}

static void
test_abc_archive_open_bad_root_block_offsets(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    uint64_t slots[6];
    struct ogawa_err err = { 0 };
    abc_archive *a;
    /* A data slot of the root pointing past the file or into the header. */
    for (size_t i = 0; i < 6; i++) {
        if (i == 2)
            continue;
        std_slots(&f, slots);
        slots[i] = 100000 | OGAWA_SLOT_DATA_BIT;
        assert_int_equal(open_root(&f, 6, slots, &a, &err), OGAWA_E_CORRUPT);
        std_slots(&f, slots);
        slots[i] = 4 | OGAWA_SLOT_DATA_BIT;
        assert_int_equal(open_root(&f, 6, slots, &a, &err), OGAWA_E_CORRUPT);
    }
    tb_free(&f);
}

/* ---- archive metadata --------------------------------------------------- */

static void
test_abc_archive_metadata_empty(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    uint64_t slots[6];
    struct ogawa_err err = { 0 };
    abc_archive *a;
    std_slots(&f, slots);
    slots[3] = OGAWA_EMPTY_DATA;
    assert_int_equal(open_root(&f, 6, slots, &a, &err), 0);
    abc_str md = abc_archive_metadata(a);
    assert_int_equal(md.len, 0);
    assert_non_null(md.ptr);
    assert_int_equal(md.ptr[0], 0);
    size_t pos = 0;
    abc_str k, v;
    assert_false(abc_meta_next(md, &pos, &k, &v));
    abc_archive_close(a);
    tb_free(&f);
}

static void
test_abc_archive_metadata_is_top_object_metadata(void **state)
{
    (void)state;
    abc_archive *a = open_corpus("spec/props.abc");
    struct ogawa_err err = { 0 };
    abc_object *top;
    assert_int_equal(abc_archive_top(a, &top, &err), 0);
    abc_str v;
    assert_true(abc_meta_get(abc_object_metadata(top), "_ai_AlembicVersion", &v));
    assert_true(str_is(v, "Alembic 1.8.12 (built Nov 23 2026 21:51:18)"));
    abc_object_unref(top);
    abc_archive_close(a);
}

/* ---- time samplings (§3.4) ---------------------------------------------- */

static void
test_abc_archive_time_sampling_identity(void **state)
{
    (void)state;
    struct tb_buf ts = { 0 };
    struct ogawa_err err = { 0 };
    abc_archive *a;
    double t0 = 0.0;
    tb_abc_ts(&ts, 7, 1.0, 1, &t0);
    assert_int_equal(open_with_ts(&ts, &a, &err), 0);
    assert_int_equal(abc_archive_time_sampling_count(a), 1);
    const struct abc_time_sampling *s = abc_archive_time_sampling(a, 0);
    assert_int_equal(s->type, ABC_TS_IDENTITY);
    assert_int_equal(s->samples_per_cycle, 1);
    assert_int_equal(s->max_num_samples, 7);
    assert_int_equal(s->n_times, 1);
    assert_true(s->time_per_cycle == 1.0);
    assert_true(abc_time_sampling_time(s, 0) == 0.0);
    assert_true(abc_time_sampling_time(s, 5) == 5.0);
    abc_archive_close(a);
    tb_free(&ts);
}

static void
test_abc_archive_time_sampling_uniform(void **state)
{
    (void)state;
    struct tb_buf ts = { 0 };
    struct ogawa_err err = { 0 };
    abc_archive *a;
    double t0 = 0.0, t1 = 1.0;
    tb_abc_ts(&ts, 0, 1.0, 1, &t0);
    tb_abc_ts(&ts, 0, 1.0 / 24, 1, &t0);
    tb_abc_ts(&ts, 3, 1.0, 1, &t1);     /* tpc 1 but t0 1: uniform, not identity */
    tb_abc_ts(&ts, 0, 0.5, 1, &t0);
    assert_int_equal(open_with_ts(&ts, &a, &err), 0);
    assert_int_equal(abc_archive_time_sampling_count(a), 4);
    const struct abc_time_sampling *s = abc_archive_time_sampling(a, 1);
    assert_int_equal(s->type, ABC_TS_UNIFORM);
    assert_int_equal(s->samples_per_cycle, 1);
    assert_true(s->time_per_cycle == 1.0 / 24);
    assert_true(fabs(abc_time_sampling_time(s, 24) - 1.0) < 1e-12);
    s = abc_archive_time_sampling(a, 2);
    assert_int_equal(s->type, ABC_TS_UNIFORM);
    assert_int_equal(s->max_num_samples, 3);
    assert_true(abc_time_sampling_time(s, 0) == 1.0);
    assert_true(abc_time_sampling_time(s, 2) == 3.0);
    s = abc_archive_time_sampling(a, 3);
    assert_int_equal(s->type, ABC_TS_UNIFORM);
    assert_true(abc_time_sampling_time(s, 3) == 1.5);
    assert_null(abc_archive_time_sampling(a, 4));
    assert_null(abc_archive_time_sampling(a, SIZE_MAX));
    abc_archive_close(a);
    tb_free(&ts);
}

static void
test_abc_archive_time_sampling_cyclic(void **state)
{
    (void)state;
    struct tb_buf ts = { 0 };
    struct ogawa_err err = { 0 };
    abc_archive *a;
    double t0 = 0.0, cyc[3] = { 0.0, 0.25, 0.5 };
    tb_abc_ts(&ts, 0, 1.0, 1, &t0);
    tb_abc_ts(&ts, 4, 2.0, 3, cyc);
    assert_int_equal(open_with_ts(&ts, &a, &err), 0);
    const struct abc_time_sampling *s = abc_archive_time_sampling(a, 1);
    assert_int_equal(s->type, ABC_TS_CYCLIC);
    assert_int_equal(s->samples_per_cycle, 3);
    assert_int_equal(s->n_times, 3);
    assert_true(s->times[1] == 0.25);
    /* t[i mod N] + tpc * floor(i / N) */
    assert_true(abc_time_sampling_time(s, 0) == 0.0);
    assert_true(abc_time_sampling_time(s, 2) == 0.5);
    assert_true(abc_time_sampling_time(s, 3) == 2.0);
    assert_true(abc_time_sampling_time(s, 7) == 4.25);
    abc_archive_close(a);
    tb_free(&ts);
}

static void
test_abc_archive_time_sampling_acyclic(void **state)
{
    (void)state;
    struct tb_buf ts = { 0 };
    struct ogawa_err err = { 0 };
    abc_archive *a;
    double t0 = 0.0, acyc[3] = { 0.0, 0.5, 2.0 };
    tb_abc_ts(&ts, 0, 1.0, 1, &t0);
    /* The sentinel bit for bit: FF FF FF FF FF FF 9F 7F. */
    tb_u32(&ts, 3);
    tb_bytes(&ts, "\xff\xff\xff\xff\xff\xff\x9f\x7f", 8);
    tb_u32(&ts, 3);
    for (int i = 0; i < 3; i++)
        tb_f64(&ts, acyc[i]);
    /* A single stored time with the sentinel is acyclic too. */
    tb_abc_ts(&ts, 1, ABC_ACYCLIC_TPC, 1, &acyc[2]);
    assert_int_equal(open_with_ts(&ts, &a, &err), 0);
    const struct abc_time_sampling *s = abc_archive_time_sampling(a, 1);
    assert_int_equal(s->type, ABC_TS_ACYCLIC);
    assert_int_equal(s->samples_per_cycle, UINT32_MAX);
    assert_true(s->time_per_cycle == ABC_ACYCLIC_TPC);
    assert_int_equal(s->max_num_samples, 3);
    assert_true(abc_time_sampling_time(s, 1) == 0.5);
    assert_true(abc_time_sampling_time(s, 2) == 2.0);
    assert_true(isnan(abc_time_sampling_time(s, 3)));
    assert_true(isnan(abc_time_sampling_time(s, UINT64_MAX)));
    s = abc_archive_time_sampling(a, 2);
    assert_int_equal(s->type, ABC_TS_ACYCLIC);
    assert_int_equal(s->n_times, 1);
    abc_archive_close(a);
    tb_free(&ts);
}

static void
test_abc_archive_time_sampling_near_sentinel_is_not_acyclic(void **state)
{
    (void)state;
    struct tb_buf ts = { 0 };
    struct ogawa_err err = { 0 };
    abc_archive *a;
    double times[2] = { 0.0, 1.0 };
    /* One ulp below the sentinel: cyclic (the test is bit for bit). */
    tb_u32(&ts, 0);
    tb_bytes(&ts, "\xfe\xff\xff\xff\xff\xff\x9f\x7f", 8);
    tb_u32(&ts, 2);
    tb_f64(&ts, times[0]);
    tb_f64(&ts, times[1]);
    assert_int_equal(open_with_ts(&ts, &a, &err), 0);
    assert_int_equal(abc_archive_time_sampling(a, 0)->type, ABC_TS_CYCLIC);
    abc_archive_close(a);
    tb_free(&ts);
}

static void
test_abc_archive_time_sampling_spec_props(void **state)
{
    (void)state;
    abc_archive *a = open_corpus("spec/props.abc");
    assert_int_equal(abc_archive_time_sampling_count(a), 4);
    const struct abc_time_sampling *s0 = abc_archive_time_sampling(a, 0);
    const struct abc_time_sampling *s1 = abc_archive_time_sampling(a, 1);
    const struct abc_time_sampling *s2 = abc_archive_time_sampling(a, 2);
    const struct abc_time_sampling *s3 = abc_archive_time_sampling(a, 3);
    assert_int_equal(s0->type, ABC_TS_IDENTITY);
    assert_int_equal(s0->max_num_samples, 6);
    assert_int_equal(s1->type, ABC_TS_UNIFORM);
    assert_int_equal(s1->max_num_samples, 2);
    assert_true(s1->time_per_cycle == 1.0 / 24);        /* 0x3FA5555555555555 */
    assert_int_equal(s2->type, ABC_TS_ACYCLIC);
    assert_int_equal(s2->n_times, 3);
    assert_true(s2->times[2] == 2.0);
    assert_int_equal(s3->type, ABC_TS_CYCLIC);
    assert_int_equal(s3->samples_per_cycle, 2);
    assert_true(s3->times[1] == 0.25);
    abc_archive_close(a);
}

static void
test_abc_archive_time_sampling_truncated_entry(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    abc_archive *a;
    double t0 = 0.0;
    struct tb_buf good = { 0 };
    tb_abc_ts(&good, 0, 1.0, 1, &t0);
    /* Every strict prefix of a valid two-entry table is refused. */
    struct tb_buf full = { 0 };
    double two[2] = { 0.0, 0.5 };
    tb_bytes(&full, good.p, good.len);
    tb_abc_ts(&full, 0, 1.0, 2, two);
    for (size_t cut = 1; cut < full.len; cut++) {
        struct tb_buf t = { 0 };
        tb_bytes(&t, full.p, cut);
        int rc = open_with_ts(&t, &a, &err);
        if (cut == good.len) {
            assert_int_equal(rc, 0);
            abc_archive_close(a);
        } else {
            assert_int_equal(rc, OGAWA_E_CORRUPT);
            tb_assert_msg(&err, "time sampling");
        }
        tb_free(&t);
    }
    assert_int_equal(open_with_ts(&full, &a, &err), 0);
    assert_int_equal(abc_archive_time_sampling_count(a), 2);
    abc_archive_close(a);
    tb_free(&full);
    tb_free(&good);
}

static void
test_abc_archive_time_sampling_zero_times(void **state)
{
    (void)state;
    struct tb_buf ts = { 0 };
    struct ogawa_err err = { 0 };
    abc_archive *a;
    tb_abc_ts(&ts, 0, 1.0, 0, NULL);
    tb_f64(&ts, 0.0);                   /* room for a time, but n says 0 */
    assert_int_equal(open_with_ts(&ts, &a, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "time sampling stored times are missing or truncated");
    tb_free(&ts);
}

static void
test_abc_archive_time_sampling_huge_count(void **state)
{
    (void)state;
    struct tb_buf ts = { 0 };
    struct ogawa_err err = { 0 };
    abc_archive *a;
    tb_u32(&ts, 0);
    tb_f64(&ts, 1.0);
    tb_u32(&ts, UINT32_MAX);
    tb_f64(&ts, 0.0);
    assert_int_equal(open_with_ts(&ts, &a, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "time sampling stored times are missing or truncated");
    tb_free(&ts);
}

static void
test_abc_archive_time_sampling_empty_table(void **state)
{
    (void)state;
    struct tb_buf ts = { 0 };
    struct ogawa_err err = { 0 };
    abc_archive *a;
    /* Index 0 always exists (§3.4): an empty table is corrupt. */
    assert_int_equal(open_with_ts(&ts, &a, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "time sampling table is empty");
    tb_free(&ts);
}

static void
test_abc_time_sampling_time_each_type(void **state)
{
    (void)state;
    double t1 = 1.0, cyc[2] = { 0.0, 0.25 }, acyc[2] = { -1.0, 3.0 };
    struct abc_time_sampling id = { ABC_TS_IDENTITY, 1.0, 1, 0, 1, &cyc[0] };
    struct abc_time_sampling un = { ABC_TS_UNIFORM, 0.5, 1, 0, 1, &t1 };
    struct abc_time_sampling cy = { ABC_TS_CYCLIC, 1.0, 2, 0, 2, cyc };
    struct abc_time_sampling ac = { ABC_TS_ACYCLIC, ABC_ACYCLIC_TPC, UINT32_MAX, 0, 2, acyc };
    assert_true(abc_time_sampling_time(&id, 3) == 3.0);
    assert_true(abc_time_sampling_time(&un, 0) == 1.0);
    assert_true(abc_time_sampling_time(&un, 4) == 3.0);
    assert_true(abc_time_sampling_time(&cy, 1) == 0.25);
    assert_true(abc_time_sampling_time(&cy, 4) == 2.0);
    assert_true(abc_time_sampling_time(&cy, 5) == 2.25);
    assert_true(abc_time_sampling_time(&ac, 0) == -1.0);
    assert_true(abc_time_sampling_time(&ac, 1) == 3.0);
    assert_true(isnan(abc_time_sampling_time(&ac, 2)));
}

static void
test_abc_ts_type_name_each_type(void **state)
{
    (void)state;
    assert_string_equal(abc_ts_type_name(ABC_TS_IDENTITY), "identity");
    assert_string_equal(abc_ts_type_name(ABC_TS_UNIFORM), "uniform");
    assert_string_equal(abc_ts_type_name(ABC_TS_CYCLIC), "cyclic");
    assert_string_equal(abc_ts_type_name(ABC_TS_ACYCLIC), "acyclic");
    assert_string_equal(abc_ts_type_name(42), "unknown");
    assert_string_equal(abc_ts_type_name(-1), "unknown");
}

/* ---- indexed metadata (§3.5) -------------------------------------------- */

static void
test_abc_archive_indexed_metadata_table(void **state)
{
    (void)state;
    struct tb_buf idx = { 0 };
    struct ogawa_err err = { 0 };
    abc_archive *a;
    tb_u8(&idx, 3);
    tb_str(&idx, "a=b");
    tb_u8(&idx, 0);                     /* a zero-length entry is allowed */
    tb_u8(&idx, 16);
    tb_str(&idx, "interpretation=x");
    assert_int_equal(open_with_indexed(&idx, &a, &err), 0);
    abc_str s;
    assert_true(abc_archive_indexed_metadata(a, 0, &s));
    assert_int_equal(s.len, 0);
    assert_non_null(s.ptr);
    assert_true(abc_archive_indexed_metadata(a, 1, &s));
    assert_true(str_is(s, "a=b"));
    assert_int_equal(s.ptr[3], 0);      /* NUL-terminated copy */
    assert_true(abc_archive_indexed_metadata(a, 2, &s));
    assert_int_equal(s.len, 0);
    assert_true(abc_archive_indexed_metadata(a, 3, &s));
    assert_true(str_is(s, "interpretation=x"));
    assert_false(abc_archive_indexed_metadata(a, 4, &s));
    assert_false(abc_archive_indexed_metadata(a, 255, &s));
    abc_archive_close(a);
    tb_free(&idx);
}

static void
test_abc_archive_indexed_metadata_empty(void **state)
{
    (void)state;
    abc_archive *a = open_corpus("spec/empty.abc");     /* slot 5 EMPTY_DATA */
    abc_str s;
    assert_true(abc_archive_indexed_metadata(a, 0, &s));
    assert_int_equal(s.len, 0);
    assert_false(abc_archive_indexed_metadata(a, 1, &s));
    abc_archive_close(a);
}

static void
test_abc_archive_indexed_metadata_too_large(void **state)
{
    (void)state;
    struct tb_buf idx = { 0 };
    struct ogawa_err err = { 0 };
    abc_archive *a;
    /* 256 entries of 255 bytes: exactly 65536 bytes, the limit. */
    for (int i = 0; i < 256; i++) {
        tb_u8(&idx, 255);
        tb_fill(&idx, 'm', 255);
    }
    assert_int_equal(idx.len, 65536);
    assert_int_equal(open_with_indexed(&idx, &a, &err), 0);
    abc_str s;
    assert_true(abc_archive_indexed_metadata(a, 254, &s));
    assert_int_equal(s.len, 255);
    abc_archive_close(a);
    /* One byte more is refused (§3.5), even though it parses. */
    tb_u8(&idx, 0);
    assert_int_equal(open_with_indexed(&idx, &a, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "data block is larger than its kind allows");
    tb_free(&idx);
}

static void
test_abc_archive_indexed_metadata_truncated_entry(void **state)
{
    (void)state;
    struct tb_buf idx = { 0 };
    struct ogawa_err err = { 0 };
    abc_archive *a;
    tb_u8(&idx, 3);
    tb_str(&idx, "a=b");
    tb_u8(&idx, 10);
    tb_str(&idx, "short");
    assert_int_equal(open_with_indexed(&idx, &a, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "indexed metadata entry is truncated");
    idx.len = 0;
    tb_u8(&idx, 1);                     /* length byte, no bytes */
    assert_int_equal(open_with_indexed(&idx, &a, &err), OGAWA_E_CORRUPT);
    tb_free(&idx);
}

/* ---- metadata iterator (§2.3) -------------------------------------------- */

/* Collects "k=v|k=v|" from an iteration, to compare in one assert. */
static void
meta_list(const char *meta, size_t len, char *out, size_t cap)
{
    abc_str m = { meta, len };
    size_t pos = 0;
    abc_str k, v;
    out[0] = 0;
    while (abc_meta_next(m, &pos, &k, &v)) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%.*s=%.*s|", (int)k.len, k.ptr, (int)v.len, v.ptr);
    }
}

/* The same list through abc_meta_iter. */
static void
meta_list_iter(const char *meta, size_t len, char *out, size_t cap)
{
    abc_str m = { meta, len }, k, v;
    struct abc_meta_iter it;
    out[0] = 0;
    abc_meta_iter_init(&it, m);
    while (abc_meta_iter_next(&it, &k, &v)) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%.*s=%.*s|", (int)k.len, k.ptr, (int)v.len, v.ptr);
    }
    abc_meta_iter_done(&it);
}

#define META_LIST(s, want)                                 \
    do {                                                   \
        char got_[512];                                    \
        meta_list((s), strlen(s), got_, sizeof(got_));     \
        assert_string_equal(got_, (want));                 \
        meta_list_iter((s), strlen(s), got_, sizeof(got_)); \
        assert_string_equal(got_, (want));                 \
    } while (0)

static void
test_abc_meta_next_entries_in_order(void **state)
{
    (void)state;
    META_LIST("geoScope=vtx;interpretation=point", "geoScope=vtx|interpretation=point|");
    META_LIST("a=1", "a=1|");
    META_LIST("a=1;", "a=1|");
}

static void
test_abc_meta_next_malformed_stops(void **state)
{
    (void)state;
    /* An entry with no '=' before its ';' ends the parse; earlier entries stay. */
    META_LIST("a=1;bad;c=3", "a=1|");
    META_LIST("bad;c=3", "");
    /* No '=' left at all. */
    META_LIST("a=1;b", "a=1|");
    META_LIST("novalue", "");
    /* An empty entry is malformed too. */
    META_LIST("a=1;;c=3", "a=1|");
    META_LIST(";a=1", "");
}

static void
test_abc_meta_next_first_duplicate_wins(void **state)
{
    (void)state;
    META_LIST("a=1;a=2;b=3", "a=1|b=3|");
    META_LIST("a=1;b=2;a=3;c=4;b=5", "a=1|b=2|c=4|");
    /* Keys compare whole, not by prefix. */
    META_LIST("ab=1;a=2;abc=3", "ab=1|a=2|abc=3|");
    abc_str v;
    assert_true(abc_meta_get(s_of("a=1;b=2;a=3"), "a", &v));
    assert_true(str_is(v, "1"));
}

static void
test_abc_meta_next_value_containing_equals(void **state)
{
    (void)state;
    META_LIST("a=b=c;d=e", "a=b=c|d=e|");
    META_LIST("x==", "x==|");
    abc_str v;
    assert_true(abc_meta_get(s_of("a=b=c;d=e"), "a", &v));
    assert_true(str_is(v, "b=c"));
}

static void
test_abc_meta_next_empty_string(void **state)
{
    (void)state;
    META_LIST("", "");
    abc_str m = { NULL, 0 }, k, v;
    size_t pos = 0;
    assert_false(abc_meta_next(m, &pos, &k, &v));
    assert_false(abc_meta_get(m, "a", &v));
    assert_false(abc_meta_get(s_of(""), "", &v));
}

static void
test_abc_meta_next_empty_key_and_value(void **state)
{
    (void)state;
    META_LIST("=v;a=", "=v|a=|");
    abc_str v;
    assert_true(abc_meta_get(s_of("k=;a=1"), "k", &v));
    assert_int_equal(v.len, 0);
}

static void
test_abc_meta_next_respects_length(void **state)
{
    (void)state;
    /* The string is its length, not its NUL: a shorter view sees less. */
    char got[64];
    meta_list("a=1;b=2", 3, got, sizeof(got));
    assert_string_equal(got, "a=1|");
    meta_list("a=1;b=2", 5, got, sizeof(got));
    assert_string_equal(got, "a=1|");   /* "b" alone is malformed */
    /* Embedded NUL bytes are ordinary bytes. */
    static const char nul[] = "a=x\0y;b=2";
    abc_str m = { nul, sizeof(nul) - 1 }, v;
    assert_true(abc_meta_get(m, "a", &v));
    assert_int_equal(v.len, 3);
    assert_true(abc_meta_get(m, "b", &v));
}

/* k entries "keyN=vN", then "key0=repeat" and "key1" twice more. */
static char *
many_keys(size_t k, size_t *len)
{
    size_t cap = k * 24 + 64, n = 0;
    char *m = malloc(cap);
    assert_non_null(m);
    for (size_t i = 0; i < k; i++)
        n += (size_t)snprintf(m + n, cap - n, "%skey%zu=v%zu", i ? ";" : "", i, i);
    n += (size_t)snprintf(m + n, cap - n, ";key0=repeat;key1=again;key1=more");
    *len = n;
    return m;
}

/* Iterates k keys; returns the probes, checks first-key-wins. */
static uint64_t
meta_iter_probes(size_t k)
{
    size_t len;
    char *m = many_keys(k, &len);
    abc_str meta = { m, len }, key, val;
    struct abc_meta_iter it;
    size_t n = 0;
    abc_meta_iter_init(&it, meta);
    while (abc_meta_iter_next(&it, &key, &val)) {
        char want[32];
        snprintf(want, sizeof want, "v%zu", n);
        assert_int_equal(val.len, strlen(want));
        assert_memory_equal(val.ptr, want, val.len);
        n++;
    }
    uint64_t probes = it.probes;
    abc_meta_iter_done(&it);
    assert_int_equal(n, k);
    assert_true(abc_meta_get(meta, "key0", &val));
    assert_int_equal(val.len, 2);
    free(m);
    return probes;
}

static void
test_abc_meta_iter_linear(void **state)
{
    (void)state;
    uint64_t small = meta_iter_probes(5000), large = meta_iter_probes(20000);
    assert_true(small > 0);
    assert_true(large <= 6 * small);
}

static void
test_abc_meta_iter_matches_next(void **state)
{
    (void)state;
    /* Random strings over a few keys, with repeats, empty keys and values,
     * '=' in values and malformed entries: both iterations agree. */
    static const char *const parts[] = {"a=1", "b=2", "a=3", "=x", "c=", "d=e=f", "bad", "b=9",
                                        "e=1", "f=2", "g=3", "h=4", "i=5", "j=6", "k=7", "c=8"};
    unsigned seed = 777;
    for (int round = 0; round < 300; round++) {
        char m[1024];
        size_t len = 0;
        int n = 1 + round % 40;
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = parts[(seed >> 16) % (sizeof parts / sizeof *parts)];
            if (round % 3 != 0 && strcmp(p, "bad") == 0)
                continue;
            len += (size_t)snprintf(m + len, sizeof m - len, "%s%s", i ? ";" : "", p);
        }
        char a[4096], b[4096];
        meta_list(m, len, a, sizeof a);
        meta_list_iter(m, len, b, sizeof b);
        assert_string_equal(a, b);
    }
}

static void
test_abc_meta_get_missing_key(void **state)
{
    (void)state;
    abc_str v = { "untouched", 9 };
    assert_false(abc_meta_get(s_of("a=1;b=2"), "c", &v));
    assert_false(abc_meta_get(s_of("a=1;b=2"), "", &v));
    assert_false(abc_meta_get(s_of("ab=1"), "a", &v));
    assert_false(abc_meta_get(s_of("a=1;bad;c=3"), "c", &v));
    assert_true(str_is(v, "untouched"));
}

/* ---- damaged files -------------------------------------------------------- */

static void
test_abc_archive_open_damaged_corpus(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    /* The root group sits at the end: a missing last byte cuts its slots. */
    assert_int_equal(open_corpus_rc("bad/polymesh_trunc_last1.abc", &err), OGAWA_E_CORRUPT);
    assert_int_equal(open_corpus_rc("bad/xform_trunc_last1.abc", &err), OGAWA_E_CORRUPT);
    assert_int_equal(open_corpus_rc("bad/pod_arrays_trunc_last1.abc", &err), OGAWA_E_CORRUPT);
    assert_int_equal(open_corpus_rc("bad/polymesh_trunc50.abc", &err), OGAWA_E_CORRUPT);
    assert_int_equal(open_corpus_rc("bad/tail_ff64.abc", &err), OGAWA_E_CORRUPT);
    assert_int_equal(open_corpus_rc("bad/unfrozen.abc", &err), OGAWA_E_NOTFROZEN);
    assert_int_equal(open_corpus_rc("bad/hdf5_backend.abc", &err), OGAWA_E_HDF5);
}

static void
test_abc_archive_top_truncated_after_open(void **state)
{
    (void)state;
    char *src = tb_data_path("spec/props.abc");
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    uint8_t bytes[4096];
    size_t n = fread(bytes, 1, sizeof(bytes), in);
    fclose(in);
    free(src);
    assert_int_equal(n, 1169);
    char *path = tb_write_raw(bytes, n);
    struct ogawa_err err = { 0 };
    abc_archive *a = NULL;
    assert_int_equal(abc_archive_open(path, &a, &err), 0);
    /* Keep the root blocks (which are at the end) out of reach: cut the
     * file to its first 100 bytes; the object tree is gone. */
    assert_int_equal(truncate(path, 100), 0);
    abc_object *top = (abc_object *)1;
    assert_int_equal(abc_archive_top(a, &top, &err), OGAWA_E_IO);
    assert_null(top);
    assert_int_equal(err.sys_errno, EIO);
    abc_archive_close(a);
    tb_remove(path);
}

static void
test_abc_archive_open_fd_valid(void **state)
{
    (void)state;
    char *path = tb_data_path("spec/props.abc");
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    int fd = dup(fileno(fp));
    fclose(fp);
    struct ogawa_err err = { 0 };
    abc_archive *a = NULL;
    assert_int_equal(abc_archive_open_fd(fd, &a, &err), 0);
    assert_int_equal(ogawa_archive_fd(abc_archive_ogawa(a)), fd);
    abc_archive_close(a);
    abc_archive_close(NULL);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abc_archive_open_spec_empty),
        cmocka_unit_test(test_abc_archive_open_std_slots_valid),
        cmocka_unit_test(test_abc_archive_open_root_fewer_than_six),
        cmocka_unit_test(test_abc_archive_open_root_more_than_six),
        cmocka_unit_test(test_abc_archive_open_root_wrong_kinds),
        cmocka_unit_test(test_abc_archive_open_root_self_reference),
        cmocka_unit_test(test_abc_archive_open_file_version_nonzero),
        cmocka_unit_test(test_abc_archive_open_file_version_not_4_bytes),
        cmocka_unit_test(test_abc_archive_open_library_version_old),
        cmocka_unit_test(test_abc_archive_library_version_boundary_value),
        cmocka_unit_test(test_abc_archive_open_no_top_object),
        cmocka_unit_test(test_abc_archive_open_bad_root_block_offsets),
        cmocka_unit_test(test_abc_archive_metadata_empty),
        cmocka_unit_test(test_abc_archive_metadata_is_top_object_metadata),
        cmocka_unit_test(test_abc_archive_time_sampling_identity),
        cmocka_unit_test(test_abc_archive_time_sampling_uniform),
        cmocka_unit_test(test_abc_archive_time_sampling_cyclic),
        cmocka_unit_test(test_abc_archive_time_sampling_acyclic),
        cmocka_unit_test(test_abc_archive_time_sampling_near_sentinel_is_not_acyclic),
        cmocka_unit_test(test_abc_archive_time_sampling_spec_props),
        cmocka_unit_test(test_abc_archive_time_sampling_truncated_entry),
        cmocka_unit_test(test_abc_archive_time_sampling_zero_times),
        cmocka_unit_test(test_abc_archive_time_sampling_huge_count),
        cmocka_unit_test(test_abc_archive_time_sampling_empty_table),
        cmocka_unit_test(test_abc_time_sampling_time_each_type),
        cmocka_unit_test(test_abc_ts_type_name_each_type),
        cmocka_unit_test(test_abc_archive_indexed_metadata_table),
        cmocka_unit_test(test_abc_archive_indexed_metadata_empty),
        cmocka_unit_test(test_abc_archive_indexed_metadata_too_large),
        cmocka_unit_test(test_abc_archive_indexed_metadata_truncated_entry),
        cmocka_unit_test(test_abc_meta_next_entries_in_order),
        cmocka_unit_test(test_abc_meta_next_malformed_stops),
        cmocka_unit_test(test_abc_meta_next_first_duplicate_wins),
        cmocka_unit_test(test_abc_meta_next_value_containing_equals),
        cmocka_unit_test(test_abc_meta_next_empty_string),
        cmocka_unit_test(test_abc_meta_next_empty_key_and_value),
        cmocka_unit_test(test_abc_meta_next_respects_length),
        cmocka_unit_test(test_abc_meta_get_missing_key),
        cmocka_unit_test(test_abc_meta_iter_linear),
        cmocka_unit_test(test_abc_meta_iter_matches_next),
        cmocka_unit_test(test_abc_archive_open_damaged_corpus),
        cmocka_unit_test(test_abc_archive_top_truncated_after_open),
        cmocka_unit_test(test_abc_archive_open_fd_valid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
