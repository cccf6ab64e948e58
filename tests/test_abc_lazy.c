/*
 * test_abc_lazy.c — laziness of abc_archive_open (abc.h "Laziness",
 * issue 2: "opening reads the header and the root group only").
 *
 * reference/hierarchy_wide.abc is 349 KB with many objects under the top
 * object: a reader that parsed the hierarchy at open would read most of
 * it.  Counting bytes with ogawa_archive_stats shows that open reads under
 * 4 KiB, and that opening the top object and one child reads a bounded,
 * small amount more (the top's header block and one child's group), not
 * the whole tree.  The byte counts are printed so the numbers can be quoted.
 *
 * The data directory comes from the environment (ABCFS_TEST_DATA, set by
 * tests/meson.build), so the test runs from any build directory.
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

/* issue 2: "reads under 4 KiB of it before any object is asked for". */
#define LAZY_OPEN_MAX_BYTES 4096

static char *
data_path(const char *rel)
{
    const char *dir = getenv("ABCFS_TEST_DATA");
    size_t n;
    char *p;

    if (!dir)
        dir = "tests/data";
    n = strlen(dir) + 1 + strlen(rel) + 1;
    p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, rel);
    return p;
}

static uint64_t
bytes_read(const abc_archive *a)
{
    struct ogawa_stats st = { 0 };

    ogawa_archive_stats(abc_archive_ogawa(a), &st);
    return st.bytes_read;
}

static void
test_abc_archive_open_reads_under_4k(void **state)
{
    char *path = data_path("reference/hierarchy_wide.abc");
    struct ogawa_err err = { 0 };
    abc_archive *a = NULL;
    abc_object *top = NULL, *child = NULL;
    uint64_t at_open, at_top, at_child, size;
    int rc;

    (void)state;
    rc = abc_archive_open(path, &a, &err);
    assert_int_equal(rc, 0);
    assert_non_null(a);
    size = ogawa_archive_size(abc_archive_ogawa(a));
    at_open = bytes_read(a);
    printf("# hierarchy_wide.abc: %llu bytes; open read %llu bytes\n",
           (unsigned long long)size, (unsigned long long)at_open);
    assert_true(at_open < LAZY_OPEN_MAX_BYTES);

    rc = abc_archive_top(a, &top, &err);
    assert_int_equal(rc, 0);
    at_top = bytes_read(a);
    assert_true(abc_object_child_count(top) > 0);
    rc = abc_object_child(top, 0, &child, &err);
    assert_int_equal(rc, 0);
    at_child = bytes_read(a);
    printf("# top object (%zu children): %llu bytes in all; one child: %llu bytes in all\n",
           abc_object_child_count(top), (unsigned long long)at_top,
           (unsigned long long)at_child);
    /* Opening one child must not parse its siblings: well under the file. */
    assert_true(at_child < size / 2);

    abc_object_unref(child);
    abc_object_unref(top);
    abc_archive_close(a);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abc_archive_open_reads_under_4k),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
