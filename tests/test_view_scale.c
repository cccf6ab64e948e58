/*
 * test_view_scale.c — shapes of valid archives that once made the view
 * quadratic, checked by counting work at two scales (4x the entries may
 * cost at most 6x the work), never by timing; and the instance link
 * targets those shapes produce, checked against hand-written paths.
 *
 * Archives come from the generators of tools/gen_archives.c (the ones
 * abcgen runs), written to temporary files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "abc_int.h"
#include "abc_write.h"
#include "gen_archives.h"
#include "view_int.h"

static char *
temp_path(void)
{
    char *p = strdup("/tmp/test_view_scale_XXXXXX");
    assert_non_null(p);
    int fd = mkstemp(p);
    assert_true(fd >= 0);
    close(fd);
    return p;
}

static view *
open_view(const char *path)
{
    struct ogawa_err err = {0};
    view *v = NULL;
    if (view_open(path, &v, &err) != 0)
        fail_msg("cannot open %s: %s", path, err.msg ? err.msg : "?");
    return v;
}

static uint64_t
resolve(view *v, const char *path)
{
    struct ogawa_err err = {0};
    struct view_attr a;
    uint64_t id = 0;
    if (view_resolve(v, path, false, &id, &a, &err) != 0)
        fail_msg("resolve %s: %s", path, err.msg ? err.msg : "?");
    return id;
}

/* The target of link path. */
static char *
link_of(view *v, const char *path)
{
    uint64_t id = resolve(v, path);
    char *t = NULL;
    size_t len;
    assert_int_equal(view_readlink(v, id, &t, &len, NULL), 0);
    assert_int_equal(strlen(t), len);
    view_forget(v, id, 1);
    return t;
}

struct work {
    uint64_t bytes;         /* archive bytes read */
    uint64_t names;         /* child final names computed for links */
    uint64_t opens;         /* objects parsed by the archive's walk cache */
};

/* Lists w of an "instances" archive of n and reads every link. */
static struct work
instance_work(long n)
{
    char *path = temp_path();
    gen_instances(path, n);
    view *v = open_view(path);
    struct ogawa_stats before, after;
    ogawa_archive_stats(abc_archive_ogawa(view_archive(v)), &before);
    uint64_t w = resolve(v, "w"), count;
    assert_int_equal(view_dir_count(v, w, &count, NULL), 0);
    assert_int_equal(count, (uint64_t)n + 1);  /* the links and .info */
    for (uint64_t i = 0; i < (uint64_t)n; i++) {
        uint64_t id;
        struct view_attr a;
        assert_int_equal(view_child(v, w, i, &id, &a, NULL), 0);
        assert_int_equal(a.type, VIEW_T_INSTANCE);
        char *t = NULL, want[32];
        size_t len;
        assert_int_equal(view_readlink(v, id, &t, &len, NULL), 0);
        snprintf(want, sizeof want, "../s%llu", (unsigned long long)i);
        assert_string_equal(t, want);
        free(t);
        view_forget(v, id, 1);
    }
    ogawa_archive_stats(abc_archive_ogawa(view_archive(v)), &after);
    struct work k = {after.bytes_read - before.bytes_read, view_link_names_made(v),
                     abc_archive_walk_opens(view_archive(v))};
    view_forget(v, w, 1);
    view_close(v);
    unlink(path);
    free(path);
    return k;
}

static void
test_instances_linear(void **state)
{
    (void)state;
    struct work small = instance_work(500), large = instance_work(2000);
    assert_true(small.bytes > 0 && small.names > 0);
    assert_true(large.bytes <= 6 * small.bytes);
    assert_true(large.names <= 6 * small.names);
    assert_true(large.opens <= 6 * small.opens + 6);
}

#define CHECK(expr)                                                             \
    do {                                                                        \
        struct ogawa_err err_ = {0};                                            \
        struct ogawa_err *err = &err_;                                          \
        if ((expr) != 0)                                                        \
            fail_msg("%s: %s", #expr, err_.msg ? err_.msg : "?");               \
    } while (0)

/*
 * Link targets through the shapes the walk distinguishes: a source one
 * level down and deeper, a path through an instance, a source with an
 * escaped name, a missing component (dangling, escaped raw rest), a
 * trailing slash, the top itself, and a link beside its source.
 */
static void
test_instance_targets(void **state)
{
    (void)state;
    char *path = temp_path();
    abc_writer *wr;
    abc_wobject *a, *b, *c, *odd, *w, *deep;
    CHECK(abc_writer_create(path, NULL, &wr, err));
    abc_wobject *top = abc_writer_top(wr);
    CHECK(abc_wobject_add_child(top, abc_wstr("a"), NULL, &a, err));
    CHECK(abc_wobject_add_child(a, abc_wstr("b"), NULL, &b, err));
    CHECK(abc_wobject_add_child(b, abc_wstr("c"), NULL, &c, err));
    CHECK(abc_wobject_finish(c, err));
    CHECK(abc_wobject_finish(b, err));
    CHECK(abc_wobject_add_child(a, abc_wstr("o%d"), NULL, &odd, err));
    CHECK(abc_wobject_finish(odd, err));
    CHECK(abc_wobject_add_child(a, abc_wstr(".info"), NULL, &odd, err));
    CHECK(abc_wobject_finish(odd, err));
    CHECK(abc_wobject_add_instance(a, abc_wstr("near"), abc_wstr("/a/b"), err));
    CHECK(abc_wobject_finish(a, err));
    CHECK(abc_wobject_add_instance(top, abc_wstr("x"), abc_wstr("/a"), err));
    CHECK(abc_wobject_add_child(top, abc_wstr("w"), NULL, &w, err));
    CHECK(abc_wobject_add_child(w, abc_wstr("deep"), NULL, &deep, err));
    static const char *const links[][2] = {
        {"l1", "/a/b/c"}, {"l2", "/x/b/c"}, {"l3", "/a/o%d"}, {"l10", "/a/.info"}, {"l4", "/nope/q%"},
        {"l5", "/a/b/"}, {"l6", "/"}, {"l7", "//a//b"}, {"l8", "/x/nope/c"}, {"l9", "/x"},
    };
    for (size_t i = 0; i < sizeof links / sizeof *links; i++)
        CHECK(abc_wobject_add_instance(deep, abc_wstr(links[i][0]), abc_wstr(links[i][1]), err));
    CHECK(abc_wobject_finish(deep, err));
    CHECK(abc_wobject_finish(w, err));
    CHECK(abc_writer_close(wr, err));

    view *v = open_view(path);
    static const char *const want[][2] = {
        {"w/deep/l1", "../../a/b/c"},
        {"w/deep/l2", "../../x/b/c"},
        {"w/deep/l3", "../../a/o%25d"},
        {"w/deep/l10", "../../a/%2Einfo"},
        {"w/deep/l4", "../../nope/q%25"},
        {"w/deep/l5", "../../a/b"},
        {"w/deep/l6", "../.."},
        {"w/deep/l7", "../../a/b"},
        {"w/deep/l8", "../../x/nope/c"},
        {"w/deep/l9", "../../x"},
        {"a/near", "b"},
        {"x", "a"},
    };
    for (int round = 0; round < 2; round++) {   /* the second from the caches */
        for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
            char *t = link_of(v, want[i][0]);
            if (strcmp(t, want[i][1]) != 0)
                fail_msg("%s -> %s, want %s", want[i][0], t, want[i][1]);
            free(t);
        }
    }
    view_close(v);
    unlink(path);
    free(path);
}

int
main(void)
{
    gen_set_prog("test_view_scale");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_instances_linear),
        cmocka_unit_test(test_instance_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
