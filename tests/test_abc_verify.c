/*
 * test_abc_verify.c — abc_archive_verify: the structural check a mount
 * runs before mounting (ogawa/abc_verify.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "abc.h"

static int
verify_file(const char *rel, uint64_t budget, bool *complete, struct ogawa_err *err)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, rel);
    abc_archive *a;
    int rc = abc_archive_open(path, &a, err);
    assert_int_equal(rc, 0);
    rc = abc_archive_verify(a, budget, complete, err);
    abc_archive_close(a);
    return rc;
}

static void
test_abc_archive_verify_complete_on_good_archives(void **state)
{
    (void)state;
    static const char *const good[] = {
        "reference/polymesh.abc", "reference/instancing.abc", "reference/hierarchy_deep.abc",
        "reference/constant_vs_animated.abc", "spec/edge.abc",
        "bad/pod_arrays_flip1_seed1.abc",   /* damage only in payloads: reads as the reference */
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        bool complete = false;
        struct ogawa_err err = { 0 };
        assert_int_equal(verify_file(good[i], UINT64_MAX, &complete, &err), 0);
        assert_true(complete);
    }
}

static void
test_abc_archive_verify_finds_damaged_blocks(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "bad/polymesh_flip1_seed1.abc", "bad/polymesh_flip8_seed2.abc",
        "bad/xform_flip1_seed1.abc", "bad/xform_flip8_seed2.abc",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bool complete = true;
        struct ogawa_err err = { 0 };
        assert_int_equal(verify_file(bad[i], UINT64_MAX, &complete, &err), OGAWA_E_CORRUPT);
        assert_false(complete);
        assert_non_null(err.msg);
    }
}

static void
test_abc_archive_verify_stops_at_budget(void **state)
{
    (void)state;
    bool complete = true;
    struct ogawa_err err = { 0 };
    /* hierarchy_wide has 2000 objects: 1 KiB of reads is far from enough. */
    assert_int_equal(verify_file("reference/hierarchy_wide.abc", 1024, &complete, &err), 0);
    assert_false(complete);
    assert_int_equal(verify_file("reference/hierarchy_wide.abc", UINT64_MAX, &complete, &err), 0);
    assert_true(complete);
}

struct hammer {
    abc_archive *a;
    int stop;               /* atomic */
    uint64_t bytes;
};

/* Reads the whole archive over and over until told to stop. */
static void *
hammer_run(void *arg)
{
    struct hammer *h = arg;
    const ogawa_archive *og = abc_archive_ogawa(h->a);
    uint64_t size = ogawa_archive_size(og);
    static uint8_t buf[1 << 16];
    while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
        for (uint64_t off = 0; off < size; off += sizeof buf) {
            uint64_t n = size - off < sizeof buf ? size - off : sizeof buf;
            if (ogawa_archive_read(og, off, buf, n, NULL) == 0)
                __atomic_fetch_add(&h->bytes, n, __ATOMIC_RELAXED);
        }
    }
    return NULL;
}

static void
test_abc_archive_verify_budget_is_its_own(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/reference/hierarchy_wide.abc", TEST_DATA_DIR);
    abc_archive *a;
    bool complete = false;
    /* What a full walk reads, alone. */
    assert_int_equal(abc_archive_open(path, &a, NULL), 0);
    uint64_t before = ogawa_thread_bytes_read();
    assert_int_equal(abc_archive_verify(a, UINT64_MAX, &complete, NULL), 0);
    uint64_t need = ogawa_thread_bytes_read() - before;
    abc_archive_close(a);
    assert_true(complete && need > 0);
    /* The same budget suffices while another thread reads the archive. */
    assert_int_equal(abc_archive_open(path, &a, NULL), 0);
    struct hammer h = { a, 0, 0 };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, hammer_run, &h), 0);
    while (__atomic_load_n(&h.bytes, __ATOMIC_RELAXED) == 0)
        sched_yield();
    complete = false;
    assert_int_equal(abc_archive_verify(a, need, &complete, NULL), 0);
    __atomic_store_n(&h.stop, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    assert_true(complete);
    assert_true(h.bytes > need);
    abc_archive_close(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abc_archive_verify_complete_on_good_archives),
        cmocka_unit_test(test_abc_archive_verify_finds_damaged_blocks),
        cmocka_unit_test(test_abc_archive_verify_stops_at_budget),
        cmocka_unit_test(test_abc_archive_verify_budget_is_its_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
