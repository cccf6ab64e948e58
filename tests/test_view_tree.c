/*
 * test_view_tree.c — the view layer (fs/view.h) over archives of
 * tests/data, without the kernel: listings in layout.md order, promoted
 * links, instance link targets, sample sizes and bytes, shared st_ino for
 * de-duplicated samples, .info and .times contents, xattrs, the lookup /
 * forget protocol, and the errno mapping.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "view.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

static view *
open_ref(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/reference/%s", TEST_DATA_DIR, name);
    struct ogawa_err err = {0};
    view *v = NULL;
    int rc = view_open(path, &v, &err);
    if (rc != 0)
        fail_msg("cannot open %s: %s", path, err.msg ? err.msg : "?");
    return v;
}

/* Resolves path (links followed at the end if follow); one lookup held. */
static uint64_t
resolve(view *v, const char *path, bool follow, struct view_attr *a)
{
    struct ogawa_err err = {0};
    uint64_t id = 0;
    int rc = view_resolve(v, path, follow, &id, a, &err);
    if (rc != 0)
        fail_msg("resolve %s: %d %s", path, rc, err.msg ? err.msg : "?");
    return id;
}

/* The listing of path as "name,name,...". */
static char *
listing(view *v, const char *path)
{
    struct view_attr a;
    uint64_t dir = resolve(v, path, true, &a), n;
    assert_int_equal(view_dir_count(v, dir, &n, NULL), 0);
    struct view_buf b = {0};
    for (uint64_t i = 0; i < n; i++) {
        char name[VIEW_ENTRY_NAME_MAX];
        size_t len;
        int type;
        assert_int_equal(view_dir_entry(v, dir, i, name, &len, &type, NULL), 0);
        if (i)
            view_buf_puts(&b, ",");
        view_buf_put(&b, name, len);
    }
    view_forget(v, dir, 1);
    return b.ptr;
}

/* Whole content of a file as a NUL-terminated string. */
static char *
content(view *v, const char *path, uint64_t *size)
{
    struct view_attr a;
    uint64_t id = resolve(v, path, true, &a);
    char *buf = malloc(a.size + 1);
    assert_non_null(buf);
    struct view_data d;
    assert_int_equal(view_read(v, id, 0, a.size + 100, &d, NULL), 0);
    assert_int_equal(d.len, a.size);
    if (d.fd >= 0)
        assert_int_equal(pread(d.fd, buf, d.len, (off_t)d.off), (ssize_t)d.len);
    else
        memcpy(buf, d.mem, d.len);
    free(d.mem);
    buf[a.size] = '\0';
    if (size != NULL)
        *size = a.size;
    view_forget(v, id, 1);
    return buf;
}

static void
test_view_tree_polymesh_listing(void **state)
{
    (void)state;
    view *v = open_ref("polymesh.abc");
    char *s = listing(v, "");
    assert_string_equal(s, "cube,triangle,quad_nonindexed,.info");
    free(s);
    /* Children, the top compound, promoted links, then .info. */
    s = listing(v, "cube");
    assert_string_equal(s, "top,sides,.geom,P,uv,N,.info");
    free(s);
    s = listing(v, "cube/P");
    assert_string_equal(s, "0000.f32,0001.f32,0002.f32,0003.f32,0004.f32,.info,.times");
    free(s);
    struct view_attr a;
    uint64_t id = resolve(v, "cube/P", false, &a);
    assert_int_equal(a.type, VIEW_T_PROMOTED);
    assert_int_equal(a.mode, S_IFLNK | 0777);
    char *target;
    size_t len;
    assert_int_equal(view_readlink(v, id, &target, &len, NULL), 0);
    assert_string_equal(target, ".geom/P");
    assert_int_equal(a.size, len);
    free(target);
    view_forget(v, id, 1);
    id = resolve(v, "cube/.geom", false, &a);
    assert_int_equal(a.type, VIEW_T_COMPOUND);
    assert_int_equal(a.mode, S_IFDIR | 0555);
    view_forget(v, id, 1);
    view_close(v);
}

static void
test_view_tree_polymesh_samples(void **state)
{
    (void)state;
    view *v = open_ref("polymesh.abc");
    struct view_attr a, b;
    uint64_t id = resolve(v, "cube/P/0001.f32", true, &a);
    assert_int_equal(a.type, VIEW_T_SAMPLE);
    assert_int_equal(a.mode, S_IFREG | 0444);
    assert_int_equal(a.size, 8 * 3 * 4);
    assert_true(a.ino < (1ULL << 62));  /* a raw sample: its block's offset */
    /* The same entry by another path is the same node and inode. */
    uint64_t id2 = resolve(v, "cube/.geom/P/0001.f32", true, &b);
    assert_int_equal(id, id2);
    assert_int_equal(a.ino, b.ino);
    view_forget(v, id2, 1);
    struct view_data d;
    assert_int_equal(view_read(v, id, 4, 1000, &d, NULL), 0);
    assert_int_equal(d.len, 92);
    assert_true(d.fd >= 0);
    assert_int_equal(view_read(v, id, 200, 10, &d, NULL), 0);
    assert_int_equal(d.len, 0);
    view_forget(v, id, 1);
    uint64_t size;
    char *bytes = content(v, "cube/P/0001.f32", &size);
    float f[4];
    memcpy(f, bytes, sizeof f);
    assert_true(f[0] == -1.0f && f[1] == -1.0f && f[2] == -1.0f && f[3] == 1.0f);
    free(bytes);
    view_close(v);
}

static void
test_view_tree_info_and_times(void **state)
{
    (void)state;
    view *v = open_ref("polymesh.abc");
    uint64_t size;
    char *s = content(v, "cube/.info", &size);
    assert_int_equal(strlen(s), size);
    assert_non_null(strstr(s, "{\n  \"name\": \"cube\",\n  \"kind\": \"object\",\n"));
    assert_non_null(strstr(s, "\"full_name\": \"/cube\""));
    assert_non_null(strstr(s, "\"schema\": \"AbcGeom_PolyMesh_v1\""));
    assert_non_null(strstr(s, "\"instance_source\": null"));
    assert_non_null(strstr(s, "\"num_children\": 2"));
    assert_non_null(strstr(s, "\"num_properties\": 1"));
    assert_null(strstr(s, "\"archive\""));
    free(s);
    s = content(v, ".info", NULL);
    assert_non_null(strstr(s, "\"full_name\": \"/\""));
    assert_non_null(strstr(s, "\"archive\": {\"metadata\": {"));
    assert_non_null(strstr(s, "\"time_samplings\": [{\"type\": \"identity\""));
    free(s);
    s = content(v, "cube/P/.info", NULL);
    assert_non_null(strstr(s, "\"kind\": \"array\""));
    assert_non_null(strstr(s, "\"pod\": \"float32\""));
    assert_non_null(strstr(s, "\"extent\": 3"));
    assert_non_null(strstr(s, "\"interpretation\": \"point\""));
    assert_non_null(strstr(s, "\"num_samples\": 5"));
    assert_non_null(strstr(s, "\"constant\": false"));
    free(s);
    s = content(v, "cube/P/.times", &size);
    int lines = 0;
    for (char *p = s; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 5);
    free(s);
    view_close(v);
}

static void
test_view_tree_times_cyclic(void **state)
{
    (void)state;
    view *v = open_ref("ts_cyclic.abc");
    /* Find a property with 6 samples anywhere: walk with view_resolve. */
    char *top = listing(v, "");
    char first[256];
    sscanf(top, "%255[^,]", first);
    free(top);
    char *l = listing(v, first);
    char prop[256];
    sscanf(l, "%255[^,]", prop);
    free(l);
    char path[600];
    snprintf(path, sizeof path, "%s/%s/.times", first, prop);
    char *s = content(v, path, NULL);
    /* ogawa corpus README: times 1.0, 1.1, 1.3, cycle 1.0. */
    double t[6];
    int n = sscanf(s, "%lf %lf %lf %lf %lf %lf", &t[0], &t[1], &t[2], &t[3], &t[4], &t[5]);
    assert_int_equal(n, 6);
    assert_true(t[0] == 1.0 && t[1] == 1.1 && t[2] == 1.3);
    assert_true(t[3] == 2.0 && t[4] == 1.1 + 1.0 && t[5] == 1.3 + 1.0);
    free(s);
    view_close(v);
}

static void
test_view_tree_instance_links(void **state)
{
    (void)state;
    view *v = open_ref("instancing.abc");
    static const char *const links[][2] = {
        {"inst1/geoInstance", "../geo"},
        {"inst2/meshInstance", "../geo/mesh"},
        {"inst2/geoInstanceB", "../geo"},
        {"group/deep/inst1Instance", "../../inst1"},
    };
    for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
        struct view_attr a;
        uint64_t id = resolve(v, links[i][0], false, &a);
        assert_int_equal(a.type, VIEW_T_INSTANCE);
        char *target;
        size_t len;
        assert_int_equal(view_readlink(v, id, &target, &len, NULL), 0);
        assert_string_equal(target, links[i][1]);
        free(target);
        view_forget(v, id, 1);
    }
    /* Through two instances down to a sample. */
    uint64_t size;
    char *s = content(v, "group/deep/inst1Instance/geoInstance/mesh/P/0000.f32", &size);
    assert_int_equal(size, 96);
    free(s);
    view_close(v);
}

static void
test_view_tree_shared_inodes(void **state)
{
    (void)state;
    view *v = open_ref("constant_vs_animated.abc");
    struct view_attr a, b;
    uint64_t x = resolve(v, "anim/array_50_identical/0000.f32", true, &a);
    uint64_t y = resolve(v, "anim/array_50_identical/0049.f32", true, &b);
    assert_int_not_equal(x, y);
    assert_int_equal(a.ino, b.ino);
    view_forget(v, y, 1);
    y = resolve(v, "anim/array_ABAB/0000.f32", true, &a);
    uint64_t z = resolve(v, "anim/array_ABAB/0002.f32", true, &b);
    assert_int_equal(a.ino, b.ino);
    view_forget(v, z, 1);
    z = resolve(v, "anim/array_ABAB/0001.f32", true, &b);
    assert_int_not_equal(a.ino, b.ino);
    view_forget(v, z, 1);
    view_forget(v, y, 1);
    /* Across properties too. */
    y = resolve(v, "anim/array_same_data_1/0000.f32", true, &a);
    z = resolve(v, "anim/array_same_data_2/0000.f32", true, &b);
    assert_int_equal(a.ino, b.ino);
    view_forget(v, y, 1);
    view_forget(v, z, 1);
    /* Other entries have inodes of their own, stable across forgets. */
    y = resolve(v, "anim/array_ABAB/.info", true, &a);
    view_forget(v, y, 1);
    y = resolve(v, "anim/array_ABAB/.info", true, &b);
    assert_int_equal(a.ino, b.ino);
    assert_true(a.ino >> 63);
    view_forget(v, y, 1);
    view_forget(v, x, 1);
    view_close(v);
}

static void
test_view_tree_wstring_converted(void **state)
{
    (void)state;
    view *v = open_ref("strings.abc");
    /* Find every .str sample under the tree with abcls-like walking is long:
     * check the .info of each property of the first object instead. */
    char *top = listing(v, "");
    char first[256];
    sscanf(top, "%255[^,]", first);
    free(top);
    char *l = listing(v, first);
    char *save = NULL;
    int converted = 0;
    for (char *name = strtok_r(l, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        char path[700];
        snprintf(path, sizeof path, "%s/%s/.info", first, name);
        struct view_attr a;
        struct ogawa_err err = {0};
        uint64_t id;
        if (view_resolve(v, path, true, &id, &a, &err) != 0)
            continue;
        view_forget(v, id, 1);
        char *info = content(v, path, NULL);
        bool wide = strstr(info, "\"pod\": \"wstring\"") != NULL;
        free(info);
        if (!wide)
            continue;
        snprintf(path, sizeof path, "%s/%s/0000.str", first, name);
        id = resolve(v, path, true, &a);
        assert_true(a.ino >> 63);   /* converted: never a raw file's inode */
        view_forget(v, id, 1);
        uint64_t size;
        char *s = content(v, path, &size);
        assert_true(size > 0);
        assert_int_equal(s[size - 1], '\0');
        free(s);
        converted++;
    }
    free(l);
    assert_true(converted > 0);
    view_close(v);
}

static void
test_view_tree_lookup_forget(void **state)
{
    (void)state;
    view *v = open_ref("polymesh.abc");
    uint64_t bytes, nodes;
    view_statfs(v, &bytes, &nodes);
    assert_int_equal(nodes, 1);
    struct view_attr a;
    uint64_t id, id2, p;
    assert_int_equal(view_lookup(v, VIEW_ROOT_ID, "cube", 4, &p, &a, NULL), 0);
    assert_int_equal(view_lookup(v, p, ".geom", 5, &id, &a, NULL), 0);
    assert_int_equal(view_lookup(v, p, ".geom", 5, &id2, &a, NULL), 0);
    assert_int_equal(id, id2);
    view_forget(v, p, 1);   /* the child keeps its parent */
    assert_int_equal(view_parent(v, id), p);
    view_statfs(v, &bytes, &nodes);
    assert_int_equal(nodes, 3);
    view_forget(v, id, 1);
    view_statfs(v, &bytes, &nodes);
    assert_int_equal(nodes, 3);
    view_forget(v, id, 1);
    view_statfs(v, &bytes, &nodes);
    assert_int_equal(nodes, 1);
    /* A new lookup makes a new node id. */
    assert_int_equal(view_lookup(v, VIEW_ROOT_ID, "cube", 4, &id2, &a, NULL), 0);
    assert_int_not_equal(id2, p);
    view_forget(v, id2, 1);
    /* Misses and wrong kinds. */
    struct ogawa_err err = {0};
    assert_int_equal(view_lookup(v, VIEW_ROOT_ID, "nope", 4, &id, &a, &err), OGAWA_E_NOENT);
    assert_int_equal(view_lookup(v, VIEW_ROOT_ID, "cube/P", 6, &id, &a, &err), OGAWA_E_NOENT);
    id = resolve(v, "cube/.info", true, &a);
    assert_int_equal(view_lookup(v, id, "x", 1, &id2, &a, &err), VIEW_E_NOTDIR);
    char *t;
    size_t len;
    assert_int_equal(view_readlink(v, id, &t, &len, &err), VIEW_E_NOTLINK);
    assert_null(t);
    view_forget(v, id, 1);
    struct view_data d;
    assert_int_equal(view_read(v, VIEW_ROOT_ID, 0, 10, &d, &err), VIEW_E_ISDIR);
    assert_null(d.mem);
    assert_int_equal(view_resolve(v, "cube/.info/x", true, &id, &a, &err), VIEW_E_NOTDIR);
    /* .. and . in paths, and .. above the root. */
    id = resolve(v, "../cube/./top/../.geom/P/..", true, &a);
    assert_int_equal(a.type, VIEW_T_COMPOUND);
    view_forget(v, id, 1);
    view_statfs(v, &bytes, &nodes);
    assert_int_equal(nodes, 1);
    view_close(v);
}

static void
test_view_tree_xattrs(void **state)
{
    (void)state;
    view *v = open_ref("polymesh.abc");
    char buf[4096];
    size_t len;
    assert_int_equal(view_xattr_list(v, VIEW_ROOT_ID, NULL, 0, &len, NULL), 0);
    assert_true(len > 0 && len < sizeof buf);
    assert_int_equal(view_xattr_list(v, VIEW_ROOT_ID, buf, sizeof buf, &len, NULL), 0);
    bool stats = false, kind = false;
    for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
        stats |= strcmp(buf + i, "user.abcfs.stats") == 0;
        kind |= strcmp(buf + i, "user.abc.kind") == 0;
    }
    assert_true(stats && kind);
    assert_int_equal(view_xattr_list(v, VIEW_ROOT_ID, buf, 3, &len, NULL), VIEW_E_RANGE);
    assert_int_equal(view_xattr_get(v, VIEW_ROOT_ID, "user.abcfs.stats", buf, sizeof buf, &len, NULL), 0);
    buf[len] = '\0';
    assert_non_null(strstr(buf, "\"bytes_read\": "));
    assert_non_null(strstr(buf, "\"requests\": {"));
    struct view_attr a;
    uint64_t id = resolve(v, "cube/P", true, &a);
    assert_int_equal(view_xattr_get(v, id, "user.abc.pod", buf, sizeof buf, &len, NULL), 0);
    assert_int_equal(len, 7);
    assert_memory_equal(buf, "float32", 7);
    assert_int_equal(view_xattr_get(v, id, "user.abc.kind", buf, sizeof buf, &len, NULL), 0);
    assert_memory_equal(buf, "array", 5);
    assert_int_equal(view_xattr_get(v, id, "user.abc.meta.interpretation", buf, sizeof buf, &len, NULL), 0);
    assert_memory_equal(buf, "point", 5);
    assert_int_equal(view_xattr_get(v, id, "user.abc.num_samples", NULL, 0, &len, NULL), 0);
    assert_int_equal(len, 1);
    assert_int_equal(view_xattr_get(v, id, "user.nope", buf, sizeof buf, &len, NULL), VIEW_E_NODATA);
    assert_int_equal(view_xattr_get(v, id, "user.abc.pod", buf, 2, &len, NULL), VIEW_E_RANGE);
    view_forget(v, id, 1);
    id = resolve(v, "cube", true, &a);
    assert_int_equal(view_xattr_get(v, id, "user.abc.schema", buf, sizeof buf, &len, NULL), 0);
    assert_memory_equal(buf, "AbcGeom_PolyMesh_v1", len);
    view_forget(v, id, 1);
    view_close(v);
}

static void
test_view_tree_errno_mapping(void **state)
{
    (void)state;
    struct ogawa_err io = {OGAWA_E_IO, 0, "read", EACCES};
    assert_int_equal(view_errno(OGAWA_E_CORRUPT, NULL), EIO);
    assert_int_equal(view_errno(OGAWA_E_DEPTH, NULL), EIO);
    assert_int_equal(view_errno(OGAWA_E_NOENT, NULL), ENOENT);
    assert_int_equal(view_errno(OGAWA_E_NOMEM, NULL), ENOMEM);
    assert_int_equal(view_errno(OGAWA_E_IO, &io), EACCES);
    assert_int_equal(view_errno(OGAWA_E_IO, NULL), EIO);
    assert_int_equal(view_errno(VIEW_E_NOTDIR, NULL), ENOTDIR);
    assert_int_equal(view_errno(VIEW_E_NODATA, NULL), ENODATA);
    assert_int_equal(view_errno(VIEW_E_RANGE, NULL), ERANGE);
    assert_int_equal(view_errno(VIEW_E_TOOBIG, NULL), EFBIG);
    assert_int_equal(view_errno(VIEW_E_ISDIR, NULL), EISDIR);
}

static void
test_view_tree_open_bad(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/bad/not_alembic.abc", TEST_DATA_DIR);
    view *v = (view *)1;
    struct ogawa_err err = {0};
    assert_int_equal(view_open(path, &v, &err), OGAWA_E_NOTOGAWA);
    assert_null(v);
    assert_int_equal(view_open("/nonexistent/x.abc", &v, &err), OGAWA_E_IO);
    assert_int_equal(view_errno(OGAWA_E_IO, &err), ENOENT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_tree_polymesh_listing),
        cmocka_unit_test(test_view_tree_polymesh_samples),
        cmocka_unit_test(test_view_tree_info_and_times),
        cmocka_unit_test(test_view_tree_times_cyclic),
        cmocka_unit_test(test_view_tree_instance_links),
        cmocka_unit_test(test_view_tree_shared_inodes),
        cmocka_unit_test(test_view_tree_wstring_converted),
        cmocka_unit_test(test_view_tree_lookup_forget),
        cmocka_unit_test(test_view_tree_xattrs),
        cmocka_unit_test(test_view_tree_errno_mapping),
        cmocka_unit_test(test_view_tree_open_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
