/*
 * test_view_hostile.c — names no sane tool writes, through the view layer:
 * an archive written here (ogawa/abc_write.h) with objects named "%",
 * "a\x01b", ".", "..", ".info", a 301-byte UTF-8 name, an object and a
 * property both named "x" beside an object "x~2", a child object that takes
 * a promoted name, and instances below hostile names (layout.md "Names",
 * "Promoted names"; rules 1–5).
 *
 * A second archive holds properties just at and just past the cap on
 * .times (VIEW_TIMES_MAX_SAMPLES, 2^20): the first renders, the second
 * answers EFBIG while its sample files still work.
 *
 * `test_view_hostile --write PATH` only writes the archive, for
 * tests/mount_check.py to mount and check the same names through the
 * kernel.
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
#include "hash.h"
#include "view.h"

/* "a" then 150 x "é": 301 bytes, so byte 238 is a continuation byte. */
static char long_raw[302];

static void
hostile_init(void)
{
    long_raw[0] = 'a';
    for (int i = 0; i < 150; i++)
        memcpy(long_raw + 1 + 2 * i, "\xc3\xa9", 2);
    long_raw[301] = '\0';
}

#define CHECK(call)                                                                \
    do {                                                                           \
        int rc_ = (call);                                                          \
        if (rc_ != 0) {                                                            \
            fprintf(stderr, "%s:%d: %s: %d %s\n", __FILE__, __LINE__, #call, rc_,  \
                    err.msg ? err.msg : "");                                       \
            return rc_;                                                            \
        }                                                                          \
    } while (0)

static int
hostile_scalar(abc_wprop *parent, const char *name, int32_t value, struct ogawa_err *errp)
{
    struct ogawa_err err = {0};
    abc_wprop *p;
    CHECK(abc_wprop_add_scalar(parent, abc_wstr(name), NULL, ABC_POD_INT32, 1, 0, &p, &err));
    CHECK(abc_wprop_add_sample(p, &value, sizeof value, &err));
    CHECK(abc_wprop_finish(p, &err));
    (void)errp;
    return 0;
}

static int
hostile_object(abc_wobject *parent, abc_str name, abc_wobject **out)
{
    struct ogawa_err err = {0};
    CHECK(abc_wobject_add_child(parent, name, NULL, out, &err));
    return 0;
}

/* Writes the hostile archive; 0 or an error code. */
static int
hostile_write(const char *path)
{
    struct ogawa_err err = {0};
    abc_writer *w;
    hostile_init();
    CHECK(abc_writer_create(path, NULL, &w, &err));
    abc_wobject *top = abc_writer_top(w), *o, *geo, *sub;
    static const char *const plain[] = {"%", ("a\x01" "b"), ".", "..", ".info", "x", "x~2"};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
        if (hostile_object(top, abc_wstr(plain[i]), &o) != 0)
            return -1;
        if (i == 0)
            CHECK(abc_wobject_add_instance(o, abc_wstr("ref"), abc_wstr("/a\x01" "b"), &err));
        CHECK(abc_wobject_finish(o, &err));
    }
    abc_str lname = {long_raw, 301};
    if (hostile_object(top, lname, &o) != 0)
        return -1;
    CHECK(abc_wobject_finish(o, &err));
    /* geo: a child "P" takes the promoted name P; Cd and note are promoted. */
    CHECK(abc_wobject_add_child(top, abc_wstr("geo"),
                                ABC_WMETA("schema", "AbcGeom_PolyMesh_v1"), &geo, &err));
    if (hostile_object(geo, abc_wstr("P"), &sub) != 0)
        return -1;
    CHECK(abc_wobject_finish(sub, &err));
    abc_wprop *geom, *arb, *user, *p;
    CHECK(abc_wprop_add_compound(abc_wobject_props(geo), abc_wstr(".geom"),
                                 ABC_WMETA("schema", "AbcGeom_PolyMesh_v1"), &geom, &err));
    float pts[6] = {0, 1, 2, 3, 4, 5};
    CHECK(abc_wprop_add_array(geom, abc_wstr("P"), ABC_WMETA("interpretation", "point"),
                              ABC_POD_FLOAT32, 3, 0, &p, &err));
    CHECK(abc_wprop_add_array_sample(p, pts, sizeof pts, NULL, 0, &err));
    CHECK(abc_wprop_finish(p, &err));
    CHECK(abc_wprop_add_compound(geom, abc_wstr(".arbGeomParams"), NULL, &arb, &err));
    CHECK(abc_wprop_add_array(arb, abc_wstr("Cd"), NULL, ABC_POD_FLOAT32, 3, 0, &p, &err));
    CHECK(abc_wprop_add_array_sample(p, pts, sizeof pts, NULL, 0, &err));
    CHECK(abc_wprop_finish(p, &err));
    if (hostile_scalar(arb, "P", 7, &err) != 0 || hostile_scalar(arb, ".hidden", 8, &err) != 0)
        return -1;
    CHECK(abc_wprop_finish(arb, &err));
    CHECK(abc_wprop_add_compound(geom, abc_wstr(".userProperties"), NULL, &user, &err));
    if (hostile_scalar(user, "note", 9, &err) != 0 || hostile_scalar(user, "Cd", 10, &err) != 0)
        return -1;
    CHECK(abc_wprop_finish(user, &err));
    CHECK(abc_wprop_finish(geom, &err));
    CHECK(abc_wobject_finish(geo, &err));
    CHECK(abc_wobject_add_instance(top, abc_wstr("inst"), abc_wstr("/geo"), &err));
    if (hostile_scalar(abc_wobject_props(top), "x", 1, &err) != 0)
        return -1;
    CHECK(abc_writer_close(w, &err));
    return 0;
}

static char archive_path[64];
static view *v;

static int
setup(void **state)
{
    (void)state;
    strcpy(archive_path, "/tmp/test_view_hostile_XXXXXX");
    int fd = mkstemp(archive_path);
    if (fd < 0)
        return -1;
    close(fd);
    if (hostile_write(archive_path) != 0)
        return -1;
    struct ogawa_err err = {0};
    return view_open(archive_path, &v, &err) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    view_close(v);
    unlink(archive_path);
    return 0;
}

static char *
listing(const char *path)
{
    struct view_attr a;
    uint64_t dir, n;
    assert_int_equal(view_resolve(v, path, true, &dir, &a, NULL), 0);
    assert_int_equal(view_dir_count(v, dir, &n, NULL), 0);
    struct view_buf b = {0};
    for (uint64_t i = 0; i < n; i++) {
        char name[VIEW_ENTRY_NAME_MAX];
        size_t len;
        int type;
        assert_int_equal(view_dir_entry(v, dir, i, name, &len, &type, NULL), 0);
        view_buf_puts(&b, i ? "|" : "");
        view_buf_put(&b, name, len);
    }
    view_forget(v, dir, 1);
    return b.ptr;
}

static const char *
link_of(const char *path)
{
    static char buf[512];
    struct view_attr a;
    uint64_t id;
    char *t;
    size_t len;
    assert_int_equal(view_resolve(v, path, false, &id, &a, NULL), 0);
    assert_int_equal(view_readlink(v, id, &t, &len, NULL), 0);
    snprintf(buf, sizeof buf, "%s", t);
    free(t);
    view_forget(v, id, 1);
    return buf;
}

static void
test_view_hostile_root_names(void **state)
{
    (void)state;
    char longname[256];
    memcpy(longname, long_raw, 237);
    snprintf(longname + 237, sizeof longname - 237, "~%016llx",
             (unsigned long long)ogawa_fnv1a64(long_raw, 301));
    char want[1024];
    snprintf(want, sizeof want, "%%25|a%%01b|%%2E|%%2E%%2E|%%2Einfo|x|x~2|%s|geo|inst|x~3|.info",
             longname);
    char *got = listing("");
    assert_string_equal(got, want);
    free(got);
    /* Each hostile directory is reachable by its escaped name. */
    static const char *const dirs[] = {"%25", "a%01b", "%2E", "%2E%2E", "%2Einfo", "x~2"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        struct view_attr a;
        uint64_t id;
        assert_int_equal(view_resolve(v, dirs[i], true, &id, &a, NULL), 0);
        assert_int_equal(a.type, VIEW_T_OBJECT);
        view_forget(v, id, 1);
    }
    struct view_attr a;
    uint64_t id;
    assert_int_equal(view_resolve(v, longname, true, &id, &a, NULL), 0);
    view_forget(v, id, 1);
    assert_int_equal(view_resolve(v, "x~3/0000.i32", true, &id, &a, NULL), 0);
    assert_int_equal(a.size, 4);
    view_forget(v, id, 1);
    /* The raw names stay in .info. */
    assert_int_equal(view_resolve(v, "a%01b/.info", true, &id, &a, NULL), 0);
    struct view_data d;
    assert_int_equal(view_read(v, id, 0, a.size, &d, NULL), 0);
    assert_non_null(memmem(d.mem, d.len, "\"name\": \"a\\u0001b\"", 18));
    free(d.mem);
    view_forget(v, id, 1);
}

static void
test_view_hostile_promoted(void **state)
{
    (void)state;
    char *got = listing("geo");
    assert_string_equal(got, "P|.geom|Cd|note|.info");
    free(got);
    assert_string_equal(link_of("geo/Cd"), ".geom/.arbGeomParams/Cd");
    assert_string_equal(link_of("geo/note"), ".geom/.userProperties/note");
    struct view_attr a;
    uint64_t id;
    assert_int_equal(view_resolve(v, "geo/P", false, &id, &a, NULL), 0);
    assert_int_equal(a.type, VIEW_T_OBJECT);   /* the child, not a link */
    view_forget(v, id, 1);
    assert_int_equal(view_resolve(v, "geo/Cd/0000.f32", true, &id, &a, NULL), 0);
    assert_int_equal(a.size, 24);
    view_forget(v, id, 1);
}

static void
test_view_hostile_instances(void **state)
{
    (void)state;
    assert_string_equal(link_of("inst"), "geo");
    assert_string_equal(link_of("%25/ref"), "../a%01b");
    struct view_attr a;
    uint64_t id;
    assert_int_equal(view_resolve(v, "%25/ref/.info", true, &id, &a, NULL), 0);
    view_forget(v, id, 1);
    assert_int_equal(view_resolve(v, "inst/Cd/0000.f32", true, &id, &a, NULL), 0);
    view_forget(v, id, 1);
}

/* A property of n int32 samples (identity sampling) whose samples after
 * the first repeat it, so that the archive stays small. */
static int
times_scalar(abc_wprop *parent, const char *name, uint64_t n)
{
    struct ogawa_err err = {0};
    abc_wprop *p;
    int32_t value = 7;
    CHECK(abc_wprop_add_scalar(parent, abc_wstr(name), NULL, ABC_POD_INT32, 1, 0, &p, &err));
    CHECK(abc_wprop_add_sample(p, &value, sizeof value, &err));
    for (uint64_t i = 1; i < n; i++)
        CHECK(abc_wprop_repeat_sample(p, &err));
    CHECK(abc_wprop_finish(p, &err));
    return 0;
}

#define TIMES_CAP VIEW_TIMES_MAX_SAMPLES

static void
test_view_hostile_times_cap(void **state)
{
    (void)state;
    char path[] = "/tmp/test_view_times_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct ogawa_err err = {0};
    abc_writer *w;
    assert_int_equal(abc_writer_create(path, NULL, &w, &err), 0);
    abc_wprop *top = abc_wobject_props(abc_writer_top(w));
    assert_int_equal(times_scalar(top, "many", TIMES_CAP), 0);
    assert_int_equal(times_scalar(top, "toomany", TIMES_CAP + 1), 0);
    assert_int_equal(abc_writer_close(w, &err), 0);

    view *tv;
    assert_int_equal(view_open(path, &tv, &err), 0);
    struct view_attr a;
    uint64_t id, n;

    /* At the cap: one "%.17g\n" line per sample, 0 .. 2^20-1. */
    uint64_t want = 0;
    for (uint64_t i = 0; i < TIMES_CAP; i++) {
        char line[40];
        want += (uint64_t)snprintf(line, sizeof line, "%.17g\n", (double)i);
    }
    assert_int_equal(view_resolve(tv, "many/.times", true, &id, &a, &err), 0);
    assert_int_equal(a.type, VIEW_T_TIMES);
    assert_int_equal(a.size, want);
    char last[40];
    size_t last_len = (size_t)snprintf(last, sizeof last, "%.17g\n", (double)(TIMES_CAP - 1));
    struct view_data d;
    assert_int_equal(view_read(tv, id, a.size - last_len, last_len, &d, &err), 0);
    assert_int_equal(d.len, last_len);
    assert_memory_equal(d.mem, last, last_len);
    free(d.mem);
    view_forget(tv, id, 1);

    /* One past it: EFBIG for .times, the rest of the directory works. */
    int rc = view_resolve(tv, "toomany/.times", true, &id, &a, &err);
    assert_int_equal(rc, VIEW_E_TOOBIG);
    assert_int_equal(view_errno(rc, &err), EFBIG);
    assert_int_equal(view_resolve(tv, "toomany", true, &id, &a, &err), 0);
    assert_int_equal(view_dir_count(tv, id, &n, &err), 0);
    assert_int_equal(n, TIMES_CAP + 1 + 2);
    view_forget(tv, id, 1);
    char name[64] = "toomany/";
    size_t len = view_sample_name(TIMES_CAP + 1, ABC_POD_INT32, TIMES_CAP, name + 8);
    assert_true(len > 0);
    assert_int_equal(view_resolve(tv, name, true, &id, &a, &err), 0);
    assert_int_equal(a.type, VIEW_T_SAMPLE);
    assert_int_equal(a.size, 4);
    assert_int_equal(view_read(tv, id, 0, 4, &d, &err), 0);
    assert_int_equal(d.len, 4);
    int32_t got;
    if (d.fd >= 0)
        assert_int_equal(pread(d.fd, &got, 4, (off_t)d.off), 4);
    else
        memcpy(&got, d.mem, 4);
    assert_int_equal(got, 7);
    free(d.mem);
    view_forget(tv, id, 1);

    /* all.npy (views.md): present up to 2^20 samples, its size exact and
     * its last sample where the size says; absent past the cap, while the
     * last sample's own .npy works. */
    assert_int_equal(view_resolve(tv, "many/.npy/all.npy", true, &id, &a, &err), 0);
    char hdr[512];
    int hk = snprintf(hdr, sizeof hdr,
                      "{'descr': '<i4', 'fortran_order': False, 'shape': (%u,), }", TIMES_CAP);
    assert_true(hk > 0);
    uint64_t hlen = ((10 + (uint64_t)hk + 21 - 7 + 1) + 63) / 64 * 64;
    assert_int_equal(a.size, hlen + 4ull * TIMES_CAP);
    assert_int_equal(view_read(tv, id, a.size - 4, 4, &d, &err), 0);
    assert_int_equal(d.len, 4);
    if (d.fd >= 0)
        assert_int_equal(pread(d.fd, &got, 4, (off_t)d.off), 4);
    else
        memcpy(&got, d.mem, 4);
    assert_int_equal(got, 7);
    free(d.mem);
    view_forget(tv, id, 1);
    rc = view_resolve(tv, "toomany/.npy/all.npy", true, &id, &a, &err);
    assert_int_equal(rc, OGAWA_E_NOENT);
    memcpy(name, "toomany/.npy/", 13);
    len = (size_t)snprintf(name + 13, sizeof name - 13, "%07u.npy", TIMES_CAP);
    assert_int_equal(view_resolve(tv, name, true, &id, &a, &err), 0);
    assert_int_equal(a.size, 128 + 4);
    view_forget(tv, id, 1);
    view_close(tv);
    unlink(path);
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0)
        return hostile_write(argv[2]) == 0 ? 0 : 1;
    hostile_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_hostile_root_names),
        cmocka_unit_test(test_view_hostile_promoted),
        cmocka_unit_test(test_view_hostile_instances),
        cmocka_unit_test(test_view_hostile_times_cap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
