/*
 * test_write.c — the writer's API (ogawa/abc_write.h): every bad-input
 * error path returns OGAWA_E_INVAL with its message and leaves the writer
 * usable; finishing out of order is refused; a failed or aborted writer
 * leaves an unfrozen file the reader refuses; and what is written reads
 * back through the reader (abc.h) with the de-duplication of §5.7/§5.8 —
 * including the wstring key quirk (§5.5), where we store colliding
 * payloads separately instead of merging them as the C++ writer would.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <errno.h>

#include <cmocka.h>

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

/* expr must fail with code and a message containing msg. */
#define BAD(want_, sub_, expr)                                                     \
    do {                                                                           \
        struct ogawa_err e_ = {0};                                                 \
        struct ogawa_err *err = &e_;                                               \
        int rc_ = (expr);                                                          \
        if (rc_ != (want_))                                                        \
            fail_msg("%s: got %d (%s), want %d", #expr, rc_, e_.msg ? e_.msg : "", \
                     (want_));                                                     \
        if (!e_.msg || !strstr(e_.msg, (sub_)))                                    \
            fail_msg("%s: message '%s' lacks '%s'", #expr, e_.msg ? e_.msg : "",   \
                     (sub_));                                                      \
        assert_int_equal(e_.code, (want_));                                        \
        (void)err;                                                                 \
    } while (0)

#define INVAL OGAWA_E_INVAL

struct fixture {
    char path[64];
    abc_writer *w;
    abc_wobject *top, *o;
    abc_wprop *props;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    strcpy(f->path, "/tmp/test_write_XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    OK(abc_writer_create_fd(fd, NULL, &f->w, err));
    f->top = abc_writer_top(f->w);
    OK(abc_wobject_add_child(f->top, abc_wstr("o"), NULL, &f->o, err));
    f->props = abc_wobject_props(f->o);
    *state = f;
    return 0;
}

/* Closes the writer (if the test has not) and checks the file reads. */
static int
teardown(void **state)
{
    struct fixture *f = *state;
    if (f->w)
        OK(abc_writer_close(f->w, err));
    abc_archive *a;
    OK(abc_archive_open(f->path, &a, err));
    abc_archive_close(a);
    unlink(f->path);
    free(f);
    return 0;
}

static void
close_and_open(struct fixture *f, abc_archive **a)
{
    OK(abc_writer_close(f->w, err));
    f->w = NULL;
    OK(abc_archive_open(f->path, a, err));
}

/* ---- names ------------------------------------------------------------ */

static void
test_write_names_rejected(void **state)
{
    struct fixture *f = *state;
    abc_wobject *o;
    abc_wprop *p;
    BAD(INVAL, "empty", abc_wobject_add_child(f->top, abc_wstr(""), NULL, &o, err));
    assert_null(o);
    BAD(INVAL, "empty", abc_wobject_add_child(f->top, (abc_str){NULL, 0}, NULL, &o, err));
    BAD(INVAL, "'/'", abc_wobject_add_child(f->top, abc_wstr("a/b"), NULL, &o, err));
    BAD(INVAL, "'/'", abc_wobject_add_child(f->top, abc_wstr("/"), NULL, &o, err));
    BAD(INVAL, "duplicate", abc_wobject_add_child(f->top, abc_wstr("o"), NULL, &o, err));
    BAD(INVAL, "empty", abc_wprop_add_compound(f->props, abc_wstr(""), NULL, &p, err));
    assert_null(p);
    BAD(INVAL, "'/'", abc_wprop_add_scalar(f->props, abc_wstr("x/"), NULL, ABC_POD_INT32, 1, 0,
                                           &p, err));
    OK(abc_wprop_add_scalar(f->props, abc_wstr("p"), NULL, ABC_POD_INT32, 1, 0, &p, err));
    BAD(INVAL, "duplicate",
        abc_wprop_add_array(f->props, abc_wstr("p"), NULL, ABC_POD_INT32, 1, 0, &p, err));
    /* Different parents, different namespaces: all fine. */
    abc_wprop *c;
    OK(abc_wprop_add_compound(f->props, abc_wstr("c"), NULL, &c, err));
    OK(abc_wprop_add_scalar(c, abc_wstr("p"), NULL, ABC_POD_INT32, 1, 0, &p, err));
    OK(abc_wobject_add_child(f->o, abc_wstr("o"), NULL, &o, err));
    OK(abc_wobject_add_child(f->o, abc_wstr("p"), NULL, &o, err));
    /* Names are bytes: NUL, '%', control bytes and ".." are fine. */
    OK(abc_wobject_add_child(f->o, (abc_str){"a\0b", 3}, NULL, &o, err));
    OK(abc_wobject_add_child(f->o, (abc_str){"a\0c", 3}, NULL, &o, err));
    OK(abc_wobject_add_child(f->o, abc_wstr(".."), NULL, &o, err));
    OK(abc_wobject_add_child(f->o, abc_wstr("%\x01\x7f"), NULL, &o, err));
}

/* ---- metadata --------------------------------------------------------- */

static void
test_write_metadata_rejected(void **state)
{
    struct fixture *f = *state;
    abc_wobject *o;
    BAD(INVAL, "';' or '='",
        abc_wobject_add_child(f->top, abc_wstr("a"), ABC_WMETA("k;", "v"), &o, err));
    BAD(INVAL, "';' or '='",
        abc_wobject_add_child(f->top, abc_wstr("a"), ABC_WMETA("k", "v;w"), &o, err));
    BAD(INVAL, "';' or '='",
        abc_wobject_add_child(f->top, abc_wstr("a"), ABC_WMETA("k=", "v"), &o, err));
    BAD(INVAL, "';' or '='",
        abc_wobject_add_child(f->top, abc_wstr("a"), ABC_WMETA("k", "a=b"), &o, err));
    BAD(INVAL, "key is empty",
        abc_wobject_add_child(f->top, abc_wstr("a"), ABC_WMETA("", "v"), &o, err));
    /* A failed creation leaves no trace: the name is still free. */
    OK(abc_wobject_add_child(f->top, abc_wstr("a"), ABC_WMETA("b", "2", "a", "1", "a", "3", "c", ""),
                             &o, err));
    abc_wprop *p;
    BAD(INVAL, "';' or '='", abc_wprop_add_scalar(f->props, abc_wstr("p"), ABC_WMETA("x", "1;2"),
                                                  ABC_POD_INT32, 1, 0, &p, err));
    /* Raw metadata is stored verbatim (copies of foreign archives). */
    const struct abc_wmeta raw = {.raw = {"z=1;a=b=c", 9}};
    OK(abc_wobject_add_child(f->top, abc_wstr("r"), &raw, &o, err));

    abc_archive *a;
    close_and_open(f, &a);
    abc_object *top;
    OK(abc_archive_top(a, &top, err));
    size_t idx;
    OK(abc_object_find(top, "a", 1, &idx));
    abc_str md = abc_object_child_header(top, idx)->metadata;
    /* Sorted, last value of a repeated key, empty values dropped. */
    assert_int_equal(md.len, strlen("a=3;b=2"));
    assert_memory_equal(md.ptr, "a=3;b=2", md.len);
    OK(abc_object_find(top, "r", 1, &idx));
    md = abc_object_child_header(top, idx)->metadata;
    assert_int_equal(md.len, 9);
    assert_memory_equal(md.ptr, "z=1;a=b=c", 9);
    abc_object_unref(top);
    abc_archive_close(a);
}

static void
test_write_metadata_value_missing(void **state)
{
    struct fixture *f = *state;
    abc_wobject *o;
    /* The last key has no value: the list ends where its value would be. */
    const char *const kv[] = {"a", "1", "k", NULL};
    const struct abc_wmeta m = {.kv = kv};
    BAD(INVAL, "without a value", abc_wobject_add_child(f->top, abc_wstr("a"), &m, &o, err));
    const struct abc_writer_opts o2 = {.metadata = &m};
    abc_writer *w;
    BAD(INVAL, "without a value", abc_writer_create("/tmp/test_write_never.abc", &o2, &w, err));
    unlink("/tmp/test_write_never.abc");
}

/* ---- properties ------------------------------------------------------- */

static void
test_write_property_types_rejected(void **state)
{
    struct fixture *f = *state;
    abc_wprop *p;
    BAD(INVAL, "extent", abc_wprop_add_scalar(f->props, abc_wstr("p"), NULL, ABC_POD_INT32, 0, 0,
                                              &p, err));
    BAD(INVAL, "extent", abc_wprop_add_array(f->props, abc_wstr("p"), NULL, ABC_POD_INT32, 256, 0,
                                             &p, err));
    BAD(INVAL, "POD", abc_wprop_add_scalar(f->props, abc_wstr("p"), NULL, ABC_POD_COUNT, 1, 0, &p,
                                           err));
    BAD(INVAL, "POD", abc_wprop_add_scalar(f->props, abc_wstr("p"), NULL, 127, 1, 0, &p, err));
    BAD(INVAL, "POD", abc_wprop_add_array(f->props, abc_wstr("p"), NULL, -1, 1, 0, &p, err));
    BAD(INVAL, "time sampling",
        abc_wprop_add_scalar(f->props, abc_wstr("p"), NULL, ABC_POD_INT32, 1, 1, &p, err));
    abc_wprop *s;
    OK(abc_wprop_add_scalar(f->props, abc_wstr("s"), NULL, ABC_POD_INT32, 1, 0, &s, err));
    BAD(INVAL, "not a compound",
        abc_wprop_add_scalar(s, abc_wstr("p"), NULL, ABC_POD_INT32, 1, 0, &p, err));
    OK(abc_wprop_add_scalar(f->props, abc_wstr("p"), NULL, ABC_POD_INT32, 255, 0, &p, err));
}

static void
test_write_sample_sizes_rejected(void **state)
{
    struct fixture *f = *state;
    abc_wprop *i, *s3, *ws, *a, *sa, *v;
    OK(abc_wprop_add_scalar(f->props, abc_wstr("i"), NULL, ABC_POD_INT32, 1, 0, &i, err));
    OK(abc_wprop_add_scalar(f->props, abc_wstr("s3"), NULL, ABC_POD_STRING, 3, 0, &s3, err));
    OK(abc_wprop_add_scalar(f->props, abc_wstr("ws"), NULL, ABC_POD_WSTRING, 1, 0, &ws, err));
    OK(abc_wprop_add_array(f->props, abc_wstr("a"), NULL, ABC_POD_FLOAT32, 3, 0, &a, err));
    OK(abc_wprop_add_array(f->props, abc_wstr("sa"), NULL, ABC_POD_STRING, 2, 0, &sa, err));
    OK(abc_wprop_add_scalar(f->props, abc_wstr("v"), NULL, ABC_POD_FLOAT64, 3, 0, &v, err));
    const int32_t x = 5;
    const double d3[3] = {1, 2, 3};
    const float f6[6] = {0};
    BAD(INVAL, "wrong size", abc_wprop_add_sample(i, &x, 3, err));
    BAD(INVAL, "wrong size", abc_wprop_add_sample(i, &x, 8, err));
    BAD(INVAL, "wrong size", abc_wprop_add_sample(i, NULL, 0, err));
    BAD(INVAL, "wrong size", abc_wprop_add_sample(v, d3, 16, err));
    BAD(INVAL, "NULL", abc_wprop_add_sample(v, NULL, 24, err));
    BAD(INVAL, "end with NUL", abc_wprop_add_sample(s3, "a\0b\0c", 5, err));
    BAD(INVAL, "number of strings", abc_wprop_add_sample(s3, "a\0b\0", 4, err));
    BAD(INVAL, "number of strings", abc_wprop_add_sample(s3, "", 0, err));
    BAD(INVAL, "whole u32", abc_wprop_add_sample(ws, "abc", 3, err));
    const uint32_t unterminated[2] = {0x61, 0x62};
    BAD(INVAL, "0 unit", abc_wprop_add_sample(ws, unterminated, 8, err));
    BAD(INVAL, "not an array", abc_wprop_add_array_sample(i, &x, 4, NULL, 0, err));
    BAD(INVAL, "not a scalar", abc_wprop_add_sample(a, f6, 12, err));
    BAD(INVAL, "whole values", abc_wprop_add_array_sample(a, f6, 7, NULL, 0, err));
    BAD(INVAL, "whole elements", abc_wprop_add_array_sample(a, f6, 8, NULL, 0, err));
    const uint64_t d2x2[2] = {2, 2}, d1[1] = {3}, huge[2] = {UINT64_MAX, 3};
    BAD(INVAL, "do not match", abc_wprop_add_array_sample(a, f6, sizeof(f6), d2x2, 2, err));
    BAD(INVAL, "do not match", abc_wprop_add_array_sample(a, f6, sizeof(f6), d1, 1, err));
    BAD(INVAL, "overflow", abc_wprop_add_array_sample(a, f6, sizeof(f6), huge, 2, err));
    BAD(INVAL, "dims are NULL", abc_wprop_add_array_sample(a, f6, sizeof(f6), NULL, 2, err));
    BAD(INVAL, "ABC_MAX_RANK", abc_wprop_add_array_sample(a, f6, sizeof(f6), d2x2, 65, err));
    BAD(INVAL, "whole elements", abc_wprop_add_array_sample(sa, "a\0b\0c\0", 6, NULL, 0, err));
    BAD(INVAL, "no previous sample", abc_wprop_repeat_sample(i, err));
    BAD(INVAL, "a compound has no samples", abc_wprop_repeat_sample(f->props, err));
    /* After all that, the properties still take good samples. */
    OK(abc_wprop_add_sample(i, &x, 4, err));
    OK(abc_wprop_repeat_sample(i, err));
    OK(abc_wprop_add_sample(s3, "a\0\0c\0", 5, err));
    const uint32_t good[3] = {0x68, 0xE9, 0};
    OK(abc_wprop_add_sample(ws, good, sizeof(good), err));
    const uint64_t d12[2] = {1, 2};
    OK(abc_wprop_add_array_sample(a, f6, sizeof(f6), d12, 2, err));
    OK(abc_wprop_add_array_sample(sa, "a\0b\0", 4, NULL, 0, err));
    OK(abc_wprop_add_sample(v, d3, 24, err));
    assert_int_equal(abc_wprop_num_samples(i), 2);
}

/* ---- time samplings --------------------------------------------------- */

static void
test_write_time_sampling_rejected(void **state)
{
    struct fixture *f = *state;
    uint32_t idx = 99;
    const double t0 = 0, inc[3] = {0, 1, 2}, flat[3] = {0, 1, 1}, down[2] = {1, 0};
    const double nan_t[2] = {0, __builtin_nan("")};
    struct abc_time_sampling ts = {.type = ABC_TS_UNIFORM, .time_per_cycle = 0, .n_times = 1,
                                   .times = &t0};
    BAD(INVAL, "positive", abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    ts.time_per_cycle = -1;
    BAD(INVAL, "positive", abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    ts.time_per_cycle = __builtin_inf();
    BAD(INVAL, "positive", abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    ts = (struct abc_time_sampling){.type = ABC_TS_UNIFORM, .time_per_cycle = 1, .n_times = 3,
                                    .times = inc};
    BAD(INVAL, "one start time", abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    ts = (struct abc_time_sampling){.type = ABC_TS_CYCLIC, .time_per_cycle = 3, .n_times = 3,
                                    .times = flat};
    BAD(INVAL, "not increasing", abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    ts.n_times = 1;
    BAD(INVAL, "two or more", abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    ts = (struct abc_time_sampling){.type = ABC_TS_ACYCLIC, .n_times = 2, .times = down};
    BAD(INVAL, "not increasing", abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    ts.times = nan_t;
    BAD(INVAL, "not finite", abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    ts.n_times = 0;
    BAD(INVAL, "needs a time", abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    ts.type = 9;
    BAD(INVAL, "unknown", abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    ts = (struct abc_time_sampling){.type = ABC_TS_ACYCLIC, .n_times = 2, .times = NULL};
    BAD(INVAL, "without times", abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    BAD(INVAL, "NULL", abc_writer_add_time_sampling(f->w, NULL, 0, &idx, err));
    BAD(INVAL, "no such", abc_writer_set_max_samples(f->w, 1, 5, err));

    /* Identity is index 0; equal samplings share an index unless APPEND. */
    ts = (struct abc_time_sampling){.type = ABC_TS_IDENTITY};
    OK(abc_writer_add_time_sampling(f->w, &ts, ABC_WTS_APPEND, &idx, err));
    assert_int_equal(idx, 0);
    ts = (struct abc_time_sampling){.type = ABC_TS_UNIFORM, .time_per_cycle = 1, .n_times = 1,
                                    .times = &t0};
    OK(abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    assert_int_equal(idx, 0);
    ts.time_per_cycle = 0.5;
    OK(abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    assert_int_equal(idx, 1);
    ts.time_per_cycle = 0.5 + 1e-12;
    OK(abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    assert_int_equal(idx, 1);
    OK(abc_writer_add_time_sampling(f->w, &ts, ABC_WTS_APPEND, &idx, err));
    assert_int_equal(idx, 2);
    ts = (struct abc_time_sampling){.type = ABC_TS_ACYCLIC, .n_times = 3, .times = inc};
    OK(abc_writer_add_time_sampling(f->w, &ts, 0, &idx, err));
    assert_int_equal(idx, 3);

    /* An acyclic sampling has one time per sample (§5.10). */
    abc_wprop *p;
    OK(abc_wprop_add_scalar(f->props, abc_wstr("p"), NULL, ABC_POD_INT8, 1, 3, &p, err));
    for (int8_t i = 0; i < 3; i++)
        OK(abc_wprop_add_sample(p, &i, 1, err));
    int8_t last = 3;
    BAD(INVAL, "acyclic", abc_wprop_add_sample(p, &last, 1, err));
    BAD(INVAL, "acyclic", abc_wprop_repeat_sample(p, err));
    OK(abc_writer_set_max_samples(f->w, 1, 42, err));

    abc_archive *a;
    close_and_open(f, &a);
    assert_int_equal(abc_archive_time_sampling_count(a), 4);
    assert_int_equal(abc_archive_time_sampling(a, 1)->max_num_samples, 42);
    assert_int_equal(abc_archive_time_sampling(a, 3)->max_num_samples, 3);
    assert_int_equal(abc_archive_time_sampling(a, 3)->type, ABC_TS_ACYCLIC);
    abc_archive_close(a);
}

/* ---- finishing order (§7) --------------------------------------------- */

static void
test_write_finish_order_enforced(void **state)
{
    struct fixture *f = *state;
    abc_wobject *child;
    abc_wprop *c, *p;
    OK(abc_wobject_add_child(f->o, abc_wstr("child"), NULL, &child, err));
    OK(abc_wprop_add_compound(f->props, abc_wstr("c"), NULL, &c, err));
    OK(abc_wprop_add_scalar(c, abc_wstr("p"), NULL, ABC_POD_INT32, 1, 0, &p, err));

    BAD(INVAL, "top object", abc_wobject_finish(f->top, err));
    BAD(INVAL, "top compound", abc_wprop_finish(f->props, err));
    BAD(INVAL, "unfinished property", abc_wprop_finish(c, err));
    BAD(INVAL, "unfinished child object", abc_wobject_finish(f->o, err));
    OK(abc_wobject_finish(child, err));
    BAD(INVAL, "already finished", abc_wobject_finish(child, err));
    abc_wobject *o2;
    BAD(INVAL, "already finished", abc_wobject_add_child(child, abc_wstr("x"), NULL, &o2, err));
    BAD(INVAL, "unfinished property", abc_wobject_finish(f->o, err));
    OK(abc_wprop_finish(p, err));
    BAD(INVAL, "already finished", abc_wprop_finish(p, err));
    int32_t v = 1;
    BAD(INVAL, "already finished", abc_wprop_add_sample(p, &v, 4, err));
    BAD(INVAL, "already finished", abc_wprop_repeat_sample(p, err));
    OK(abc_wprop_finish(c, err));
    abc_wprop *q;
    BAD(INVAL, "already finished",
        abc_wprop_add_scalar(c, abc_wstr("q"), NULL, ABC_POD_INT32, 1, 0, &q, err));
    OK(abc_wobject_finish(f->o, err));
    BAD(INVAL, "already finished",
        abc_wprop_add_scalar(f->props, abc_wstr("q"), NULL, ABC_POD_INT32, 1, 0, &q, err));
    BAD(INVAL, "already finished", abc_wobject_add_instance(f->o, abc_wstr("i"), abc_wstr("/o"), err));
}

/* ---- instances -------------------------------------------------------- */

static void
test_write_instance(void **state)
{
    struct fixture *f = *state;
    BAD(INVAL, "empty", abc_wobject_add_instance(f->top, abc_wstr("i"), abc_wstr(""), err));
    BAD(INVAL, "NUL", abc_wobject_add_instance(f->top, abc_wstr("i"), (abc_str){"/o\0", 3}, err));
    BAD(INVAL, "'/'", abc_wobject_add_instance(f->top, abc_wstr("i/"), abc_wstr("/o"), err));
    OK(abc_wobject_add_instance(f->top, abc_wstr("i"), abc_wstr("/o"), err));
    abc_archive *a;
    close_and_open(f, &a);
    abc_object *top, *inst, *target;
    OK(abc_archive_top(a, &top, err));
    size_t idx;
    OK(abc_object_find(top, "i", 1, &idx));
    OK(abc_object_child(top, idx, &inst, err));
    assert_true(abc_object_is_instance(inst));
    char *src;
    OK(abc_object_instance_source(inst, &src, err));
    assert_string_equal(src, "/o");
    free(src);
    OK(abc_object_resolve_instance(inst, &target, err));
    assert_memory_equal(abc_object_name(target).ptr, "o", 1);
    abc_object_unref(target);
    abc_object_unref(inst);
    abc_object_unref(top);
    abc_archive_close(a);
}

/* ---- options and IO --------------------------------------------------- */

static void
test_write_create_rejected(void **state)
{
    (void)state;
    abc_writer *w = (abc_writer *)1;
    struct abc_writer_opts o = {.library_version = 9998};
    BAD(INVAL, "9999", abc_writer_create("/tmp/test_write_never.abc", &o, &w, err));
    assert_null(w);
    const struct abc_writer_opts bad_md = {.metadata = ABC_WMETA("a;b", "1")};
    BAD(INVAL, "';' or '='", abc_writer_create("/tmp/test_write_never.abc", &bad_md, &w, err));
    const struct abc_writer_opts bad_app = {.application = "a=b"};
    BAD(INVAL, "';' or '='", abc_writer_create("/tmp/test_write_never.abc", &bad_app, &w, err));
    unlink("/tmp/test_write_never.abc");
    BAD(OGAWA_E_IO, "cannot create", abc_writer_create("/nonexistent/dir/x.abc", NULL, &w, err));
    assert_null(w);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    BAD(OGAWA_E_IO, "not seekable", abc_writer_create_fd(pfd[1], NULL, &w, err));
    close(pfd[0]);
    int afd = open("/tmp/test_write_never.abc", O_WRONLY | O_CREAT | O_APPEND, 0644);
    assert_true(afd >= 0);
    BAD(INVAL, "append", abc_writer_create_fd(afd, NULL, &w, err));
    unlink("/tmp/test_write_never.abc");
}

/* A writer that never closes leaves frozen = 0: the reader refuses it. */
static void
test_write_abort_leaves_unfrozen(void **state)
{
    struct fixture *f = *state;
    abc_wprop *p;
    OK(abc_wprop_add_scalar(f->props, abc_wstr("p"), NULL, ABC_POD_INT32, 1, 0, &p, err));
    int32_t v = 7;
    OK(abc_wprop_add_sample(p, &v, 4, err));
    abc_writer_abort(f->w);
    f->w = NULL;
    unsigned char hdr[16];
    int fd = open(f->path, O_RDONLY);
    assert_int_equal(read(fd, hdr, 16), 16);
    close(fd);
    assert_memory_equal(hdr, "Ogawa\0\0\1", 8);
    abc_archive *a = (abc_archive *)1;
    BAD(OGAWA_E_NOTFROZEN, "", abc_archive_open(f->path, &a, err));
    /* Let teardown find a valid file. */
    OK(abc_writer_create(f->path, NULL, &f->w, err));
    abc_writer_abort(NULL);
}

/* A failed write poisons the writer: every later call returns the same
 * IO error, close reports it, and the file stays unfrozen.  The failure is
 * a file-size limit (EFBIG) hit in the middle of the samples. */
static void
test_write_io_error_sticky(void **state)
{
    (void)state;
    char path[] = "/tmp/test_write_io_XXXXXX";
    int fd = mkstemp(path);
    abc_writer *w;
    OK(abc_writer_create_fd(fd, NULL, &w, err));
    abc_wobject *o;
    abc_wprop *p;
    OK(abc_wobject_add_child(abc_writer_top(w), abc_wstr("o"), NULL, &o, err));
    OK(abc_wprop_add_array(abc_wobject_props(o), abc_wstr("a"), NULL, ABC_POD_UINT8, 1, 0, &p,
                           err));
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 1 << 20;
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    static uint8_t big[600 << 10];
    struct ogawa_err e = {0};
    int rc = 0;
    for (int i = 0; i < 8 && rc == 0; i++) {
        big[0] = (uint8_t)i;        /* distinct payloads: each one is written */
        rc = abc_wprop_add_array_sample(p, big, sizeof(big), NULL, 0, &e);
    }
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_sig);
    assert_int_equal(rc, OGAWA_E_IO);
    assert_int_equal(e.sys_errno, EFBIG);
    /* Sticky: even valid calls now fail with the same error. */
    abc_wobject *o2;
    struct ogawa_err e2 = {0};
    assert_int_equal(abc_wobject_add_child(abc_writer_top(w), abc_wstr("x"), NULL, &o2, &e2),
                     OGAWA_E_IO);
    assert_int_equal(e2.sys_errno, EFBIG);
    assert_int_equal(abc_writer_close(w, &e2), OGAWA_E_IO);
    unsigned char hdr[8];
    fd = open(path, O_RDONLY);
    assert_int_equal(read(fd, hdr, 8), 8);
    close(fd);
    assert_int_equal(hdr[5], 0);    /* not frozen */
    unlink(path);
}

/* Archive metadata: user keys, the _ai_ info keys, and the version. */
static void
test_write_archive_metadata(void **state)
{
    (void)state;
    char path[] = "/tmp/test_write_md_XXXXXX";
    int fd = mkstemp(path);
    struct abc_writer_opts o = {.alembic_version = "V", .application = "App", .dcc_fps = 30,
                                .library_version = 10709,
                                .metadata = ABC_WMETA("_ai_AlembicVersion", "user", "zz", "1")};
    abc_writer *w;
    OK(abc_writer_create_fd(fd, &o, &w, err));
    OK(abc_writer_close(w, err));
    abc_archive *a;
    OK(abc_archive_open(path, &a, err));
    abc_str md = abc_archive_metadata(a);
    const char *want = "_ai_AlembicVersion=V;_ai_Application=App;_ai_DCC_FPS=30.000000;zz=1";
    assert_int_equal(md.len, strlen(want));
    assert_memory_equal(md.ptr, want, md.len);
    assert_int_equal(abc_archive_library_version(a), 10709);
    abc_archive_close(a);
    unlink(path);
}

/* ---- what is stored (§5.7, §5.8) -------------------------------------- */

static void
sample_of(abc_compound *c, const char *name, uint32_t i, struct abc_sample *s)
{
    size_t idx;
    OK(abc_compound_find(c, name, strlen(name), &idx));
    OK(abc_property_sample(c, idx, i, s, err));
}

static void
test_write_dedup_and_repeats(void **state)
{
    struct fixture *f = *state;
    abc_wprop *a, *b, *arr, *ws, *wsr;
    OK(abc_wprop_add_scalar(f->props, abc_wstr("a"), NULL, ABC_POD_INT32, 1, 0, &a, err));
    OK(abc_wprop_add_scalar(f->props, abc_wstr("b"), NULL, ABC_POD_UINT32, 1, 0, &b, err));
    OK(abc_wprop_add_array(f->props, abc_wstr("arr"), NULL, ABC_POD_INT32, 1, 0, &arr, err));
    OK(abc_wprop_add_scalar(f->props, abc_wstr("ws"), NULL, ABC_POD_WSTRING, 1, 0, &ws, err));
    OK(abc_wprop_add_scalar(f->props, abc_wstr("wsr"), NULL, ABC_POD_WSTRING, 1, 0, &wsr, err));
    const int32_t seq[] = {7, 7, 8, 8, 9, 9};
    for (int i = 0; i < 6; i++)
        OK(abc_wprop_add_sample(a, &seq[i], 4, err));
    OK(abc_wprop_add_sample(b, &seq[2], 4, err));           /* same bytes as a's 8 */
    OK(abc_wprop_add_array_sample(arr, seq, 8, NULL, 0, err));
    OK(abc_wprop_add_array_sample(arr, seq + 2, 4, NULL, 0, err)); /* = a's 8 again */
    /* wstrings "ab" and "ac": the C++ key hashes only 3 of their 12 bytes,
     * so they collide; they must still both be stored. */
    const uint32_t ab[3] = {'a', 'b', 0}, ac[3] = {'a', 'c', 0};
    OK(abc_wprop_add_sample(ws, ab, 12, err));
    OK(abc_wprop_add_sample(ws, ac, 12, err));
    OK(abc_wprop_add_sample(wsr, ac, 12, err));

    abc_archive *a_;
    close_and_open(f, &a_);
    abc_object *top, *o;
    abc_compound *c;
    OK(abc_archive_top(a_, &top, err));
    OK(abc_object_child(top, 0, &o, err));
    OK(abc_object_properties(o, &c, err));
    size_t idx;
    OK(abc_compound_find(c, "a", 1, &idx));
    const struct abc_property_header *h = abc_compound_property(c, idx);
    assert_int_equal(h->num_samples, 6);
    assert_int_equal(h->first_changed, 2);
    assert_int_equal(h->last_changed, 4);
    struct abc_sample s0, s2, s3, s4, bs, arr1;
    sample_of(c, "a", 0, &s0);
    sample_of(c, "a", 2, &s2);
    sample_of(c, "a", 3, &s3);
    sample_of(c, "a", 4, &s4);
    sample_of(c, "b", 0, &bs);
    sample_of(c, "arr", 1, &arr1);
    assert_true(s0.block.off != s2.block.off);
    assert_int_equal(s2.block.off, s3.block.off);
    assert_true(s4.block.off != s2.block.off);
    assert_int_equal(bs.block.off, s2.block.off);         /* across properties and types */
    assert_int_equal(arr1.block.off, s2.block.off);       /* scalar and array alike */
    struct abc_sample w0, w1, wr;
    sample_of(c, "ws", 0, &w0);
    sample_of(c, "ws", 1, &w1);
    sample_of(c, "wsr", 0, &wr);
    assert_true(w0.block.off != w1.block.off);
    assert_int_equal(wr.block.off, w1.block.off);         /* equal bytes do share */
    uint32_t got[3];
    OK(abc_sample_read(a_, &w1, 0, got, 12, err));
    assert_memory_equal(got, ac, 12);
    abc_compound_unref(c);
    abc_object_unref(o);
    abc_object_unref(top);
    abc_archive_close(a_);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_names_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_metadata_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_metadata_value_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_property_types_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_sample_sizes_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_time_sampling_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_finish_order_enforced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_instance, setup, teardown),
        cmocka_unit_test(test_write_create_rejected),
        cmocka_unit_test_setup_teardown(test_write_abort_leaves_unfrozen, setup, teardown),
        cmocka_unit_test(test_write_archive_metadata),
        cmocka_unit_test(test_write_io_error_sticky),
        cmocka_unit_test_setup_teardown(test_write_dedup_and_repeats, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
