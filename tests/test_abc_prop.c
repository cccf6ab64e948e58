/*
 * test_abc_prop.c — property handles (abc.h, abc_prop_*): every sample of
 * every property of tests/data located through a handle equals
 * abc_property_sample's answer (sample and error alike, damaged files
 * included), and locating all samples costs O(n / batch) preads.
 */
#include <dirent.h>
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

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

/* Samples compared per property (the big real files have 10^4+). */
#define MAX_SAMPLES_CHECKED 3000

struct tally {
    uint64_t props, samples, errors;
};

static void
compare_property(abc_compound *c, size_t idx, struct tally *t)
{
    abc_prop *p;
    struct ogawa_err err = {0};
    assert_int_equal(abc_prop_open(c, idx, &p, &err), 0);
    assert_ptr_equal(abc_prop_header(p), abc_compound_property(c, idx));
    uint32_t n = abc_compound_property(c, idx)->num_samples;
    t->props++;
    /* Forward, then a few backwards and past the end. */
    for (uint64_t k = 0; k < (uint64_t)n + 3 && k < MAX_SAMPLES_CHECKED + 3; k++) {
        uint32_t i = k < n && k < MAX_SAMPLES_CHECKED ? (uint32_t)k : (uint32_t)(n - 1 - (k % 3));
        if (k >= n && n == 0)
            i = 0;
        struct abc_sample want, got;
        struct ogawa_err e1 = {0}, e2 = {0};
        int rc1 = abc_property_sample(c, idx, i, &want, &e1);
        int rc2 = abc_prop_sample(p, i, &got, &e2);
        assert_int_equal(rc1, rc2);
        assert_memory_equal(&want, &got, sizeof want);
        if (rc1) {
            assert_int_equal(e1.off, e2.off);
            assert_string_equal(e1.msg, e2.msg);
            t->errors++;
        }
        t->samples++;
    }
    abc_prop_unref(p);
}

static void walk_compound(abc_compound *c, struct tally *t, int depth);

static void
walk_compound(abc_compound *c, struct tally *t, int depth)
{
    for (size_t i = 0; i < abc_compound_count(c); i++) {
        if (abc_compound_property(c, i)->kind != ABC_KIND_COMPOUND) {
            compare_property(c, i, t);
            continue;
        }
        abc_compound *sub;
        if (depth < 200 && abc_compound_child(c, i, &sub, NULL) == 0) {
            walk_compound(sub, t, depth + 1);
            abc_compound_unref(sub);
        }
    }
}

static void
walk_object(abc_object *o, struct tally *t, int depth)
{
    abc_compound *c;
    if (abc_object_properties(o, &c, NULL) == 0) {
        walk_compound(c, t, 0);
        abc_compound_unref(c);
    }
    for (size_t i = 0; i < abc_object_child_count(o) && depth < 200; i++) {
        abc_object *child;
        if (abc_object_child(o, i, &child, NULL) == 0) {
            walk_object(child, t, depth + 1);
            abc_object_unref(child);
        }
    }
}

static void
compare_corpus(const char *corpus, struct tally *t)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", TEST_DATA_DIR, corpus);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 4, ".abc") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        abc_archive *a;
        abc_object *top;
        if (abc_archive_open(path, &a, NULL) != 0)
            continue;
        if (abc_archive_top(a, &top, NULL) == 0) {
            walk_object(top, t, 0);
            abc_object_unref(top);
        }
        abc_archive_close(a);
    }
    closedir(d);
}

static void
test_prop_same_as_property_sample(void **state)
{
    (void)state;
    struct tally t = {0};
    compare_corpus("reference", &t);
    compare_corpus("real", &t);
    compare_corpus("spec", &t);
    assert_true(t.props > 100);
    assert_true(t.samples > 1000);
}

static void
test_prop_same_on_damaged_files(void **state)
{
    (void)state;
    struct tally t = {0};
    compare_corpus("bad", &t);
    assert_true(t.props > 0);
    print_message("bad: %llu properties, %llu samples, %llu errors, same answers\n",
                  (unsigned long long)t.props, (unsigned long long)t.samples,
                  (unsigned long long)t.errors);
}

static void
test_prop_open_errors(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/reference/instancing.abc", TEST_DATA_DIR);
    abc_archive *a;
    abc_object *top;
    abc_compound *c;
    assert_int_equal(abc_archive_open(path, &a, NULL), 0);
    assert_int_equal(abc_archive_top(a, &top, NULL), 0);
    assert_int_equal(abc_object_properties(top, &c, NULL), 0);
    abc_prop *p = (abc_prop *)1;
    struct ogawa_err err = {0};
    assert_int_equal(abc_prop_open(c, abc_compound_count(c), &p, &err), OGAWA_E_NOENT);
    assert_null(p);
    abc_compound_unref(c);
    abc_object_unref(top);
    abc_archive_close(a);
}

/* An archive with one scalar float64 property and one float32 array
 * property (3 values a sample), n samples each, all distinct. */
static char *
write_series(uint32_t n)
{
    char *path = strdup("/tmp/test_abc_prop_XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ogawa_err err = {0};
    abc_writer *w;
    abc_wobject *o;
    abc_wprop *s, *arr;
    assert_int_equal(abc_writer_create(path, NULL, &w, &err), 0);
    assert_int_equal(abc_wobject_add_child(abc_writer_top(w), abc_wstr("o"), NULL, &o, &err), 0);
    assert_int_equal(abc_wprop_add_scalar(abc_wobject_props(o), abc_wstr("s"), NULL,
                                          ABC_POD_FLOAT64, 1, 0, &s, &err), 0);
    assert_int_equal(abc_wprop_add_array(abc_wobject_props(o), abc_wstr("a"), NULL,
                                         ABC_POD_FLOAT32, 3, 0, &arr, &err), 0);
    for (uint32_t i = 0; i < n; i++) {
        double v = i;
        float f[3] = {(float)i, 1, 2};
        assert_int_equal(abc_wprop_add_sample(s, &v, 8, &err), 0);
        assert_int_equal(abc_wprop_add_array_sample(arr, f, sizeof f, NULL, 0, &err), 0);
    }
    assert_int_equal(abc_writer_close(w, &err), 0);
    return path;
}

/* preads to locate every sample of property name, by handle or not. */
static uint64_t
locate_all_reads(const char *path, const char *name, bool handle)
{
    abc_archive *a;
    abc_object *top, *o;
    abc_compound *c;
    size_t idx;
    assert_int_equal(abc_archive_open(path, &a, NULL), 0);
    assert_int_equal(abc_archive_top(a, &top, NULL), 0);
    assert_int_equal(abc_object_child(top, 0, &o, NULL), 0);
    assert_int_equal(abc_object_properties(o, &c, NULL), 0);
    assert_int_equal(abc_compound_find(c, name, strlen(name), &idx), 0);
    uint32_t n = abc_compound_property(c, idx)->num_samples;
    struct ogawa_stats before, after;
    ogawa_archive_stats(abc_archive_ogawa(a), &before);
    abc_prop *p = NULL;
    if (handle)
        assert_int_equal(abc_prop_open(c, idx, &p, NULL), 0);
    for (uint32_t i = 0; i < n; i++) {
        struct abc_sample s;
        assert_int_equal(handle ? abc_prop_sample(p, i, &s, NULL)
                                : abc_property_sample(c, idx, i, &s, NULL), 0);
    }
    ogawa_archive_stats(abc_archive_ogawa(a), &after);
    abc_prop_unref(p);
    abc_compound_unref(c);
    abc_object_unref(o);
    abc_object_unref(top);
    abc_archive_close(a);
    return after.reads - before.reads;
}

static void
test_prop_batched_reads(void **state)
{
    (void)state;
    const uint32_t small_n = 4096, large_n = 4 * 4096;
    char *small = write_series(small_n), *large = write_series(large_n);
    static const char *const names[] = {"s", "a"};
    for (int k = 0; k < 2; k++) {
        uint64_t direct = locate_all_reads(small, names[k], false);
        uint64_t rs = locate_all_reads(small, names[k], true);
        uint64_t rl = locate_all_reads(large, names[k], true);
        print_message("%s: %llu samples: %.2f preads/sample direct, %.4f by handle; "
                      "%llu samples by handle: %.4f\n", names[k],
                      (unsigned long long)small_n, (double)direct / small_n, (double)rs / small_n,
                      (unsigned long long)large_n, (double)rl / large_n);
        /* O(n / batch): far below one pread a sample, and linear. */
        assert_true(rs * 16 <= small_n);
        assert_true(rl <= 6 * rs);
        assert_true(direct >= 3 * (uint64_t)small_n);
    }
    unlink(small);
    unlink(large);
    free(small);
    free(large);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prop_same_as_property_sample),
        cmocka_unit_test(test_prop_same_on_damaged_files),
        cmocka_unit_test(test_prop_open_errors),
        cmocka_unit_test(test_prop_batched_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
