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
#include <string.h>

#include <cmocka.h>

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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abc_archive_verify_complete_on_good_archives),
        cmocka_unit_test(test_abc_archive_verify_finds_damaged_blocks),
        cmocka_unit_test(test_abc_archive_verify_stops_at_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
