/*
 * test_shelf.c — a directory of archives through fs/tree.h, without the
 * kernel (fs/shelf.c): what shows and what does not, laziness (nothing
 * opened by listing or stat), -o max_open's closing with nodes that stay
 * valid, files added, removed, replaced and rewritten under it, a damaged
 * archive beside good ones, paths across folders and archives, the
 * lookup/forget protocol down to the root, and threads racing over more
 * archives than may be open.
 */
#include <errno.h>
#include <pthread.h>
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

#include "tree.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

static char dir[256];

static void
copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    if (in == NULL || out == NULL)
        fail_msg("copy %s -> %s: %s", from, to, strerror(errno));
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

static void
put_ref(const char *name, const char *to)
{
    char from[512], path[512];
    snprintf(from, sizeof from, "%s/reference/%s", TEST_DATA_DIR, name);
    snprintf(path, sizeof path, "%s/%s", dir, to);
    copy_file(from, path);
}

static void
put_text(const char *to, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, to);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
rm_rf(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

/* DIR: a.abc, b.abc, sub/c.abc, sub/deeper/, bad.abc, empty.abc,
 * notes.txt, link.abc -> a.abc, dirlink -> sub (not followed). */
static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/abcfs-test-shelf-%d", (int)getpid());
    rm_rf(dir);
    char path[512];
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/sub/deeper", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    put_ref("polymesh.abc", "a.abc");
    put_ref("xform.abc", "b.abc");
    put_ref("camera.abc", "sub/c.abc");
    put_text("bad.abc", "not an archive at all");
    put_text("empty.abc", "");
    put_text("notes.txt", "hello");
    snprintf(path, sizeof path, "%s/link.abc", dir);
    assert_int_equal(symlink("a.abc", path), 0);
    snprintf(path, sizeof path, "%s/dirlink", dir);
    assert_int_equal(symlink("sub", path), 0);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    rm_rf(dir);
    return 0;
}

static tree *
open_dir(unsigned max_open)
{
    struct tree_options o = {.view = {.cache_bytes = VIEW_CACHE_DEFAULT},
                             .check_budget = 16 << 10, .max_open = max_open};
    struct ogawa_err err = {0};
    tree *t = NULL;
    int rc = tree_open(dir, &o, &t, &err);
    if (rc != 0)
        fail_msg("open %s: %s", dir, err.msg ? err.msg : "?");
    assert_null(tree_view(t));
    return t;
}

static uint64_t
resolve(tree *t, const char *path, struct view_attr *a)
{
    struct ogawa_err err = {0};
    uint64_t id = 0;
    int rc = tree_resolve(t, path, true, &id, a, &err);
    if (rc != 0)
        fail_msg("resolve %s: %d %s", path, rc, err.msg ? err.msg : "?");
    return id;
}

static int
resolve_rc(tree *t, const char *path)
{
    uint64_t id;
    struct view_attr a;
    int rc = tree_resolve(t, path, true, &id, &a, NULL);
    if (rc == 0)
        tree_forget(t, id, 1);
    return rc;
}

/* The whole of file path (a malloc'ed copy, length in *len). */
static char *
slurp(tree *t, const char *path, size_t *len)
{
    struct view_attr a;
    uint64_t id = resolve(t, path, &a);
    char *out = malloc(a.size + 1);
    assert_non_null(out);
    struct tree_data td;
    struct ogawa_err err = {0};
    int rc = tree_read(t, id, 0, a.size, &td, &err);
    if (rc != 0)
        fail_msg("read %s: %s", path, err.msg ? err.msg : "?");
    assert_int_equal(tree_read_check(t, &td, NULL), 0);
    assert_int_equal(td.d.len, a.size);
    if (td.d.fd >= 0)
        assert_int_equal(pread(td.d.fd, out, a.size, (off_t)td.d.off), (ssize_t)a.size);
    else
        memcpy(out, td.d.mem, a.size);
    tree_read_done(t, &td);
    tree_forget(t, id, 1);
    out[a.size] = '\0';
    *len = a.size;
    return out;
}

/* The listing of path as "name,name,...". */
static char *
listing(tree *t, const char *path)
{
    struct view_attr a;
    uint64_t d = resolve(t, path, &a), n;
    assert_int_equal(tree_dir_count(t, d, NULL, &n, NULL), 0);
    char *out = calloc(1, 4096);
    for (uint64_t i = 0; i < n; i++) {
        char name[VIEW_ENTRY_NAME_MAX];
        size_t len;
        int type;
        assert_int_equal(tree_dir_entry(t, d, NULL, i, name, &len, &type, NULL), 0);
        if (i)
            strcat(out, ",");
        strncat(out, name, 4000 - strlen(out));
    }
    tree_forget(t, d, 1);
    return out;
}

/* A number of the root's user.abcfs.stats. */
static long long
stat_of(tree *t, const char *key)
{
    char buf[4096], pat[64];
    size_t len;
    assert_int_equal(tree_xattr_get(t, VIEW_ROOT_ID, "user.abcfs.stats", buf, sizeof buf - 1,
                                    &len, NULL), 0);
    buf[len] = '\0';
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(buf, pat);
    if (p == NULL)
        fail_msg("no %s in %s", key, buf);
    return atoll(p + strlen(pat));
}

static void
test_what_shows(void **state)
{
    (void)state;
    tree *t = open_dir(0);
    char *l = listing(t, ".");
    /* sorted; notes.txt and dirlink not shown; link.abc is an archive */
    assert_string_equal(l, "a.abc,b.abc,bad.abc,empty.abc,link.abc,sub");
    free(l);
    l = listing(t, "sub");
    assert_string_equal(l, "c.abc,deeper");
    free(l);
    struct view_attr a;
    uint64_t id = resolve(t, "a.abc", &a);
    assert_true(view_type_is_dir(a.type));
    assert_int_equal(a.mode, S_IFDIR | 0555);
    assert_false(tree_view(t) != NULL);
    /* nor do the attributes ls -l asks for (no archive has them) */
    char xb[64];
    size_t xlen;
    struct ogawa_err xe = {0};
    assert_int_equal(tree_xattr_get(t, id, "security.selinux", xb, sizeof xb, &xlen, &xe), VIEW_E_NODATA);
    assert_int_equal(tree_xattr_get(t, id, "system.posix_acl_access", xb, sizeof xb, &xlen, &xe),
                     VIEW_E_NODATA);
    tree_forget(t, id, 1);
    assert_int_equal(stat_of(t, "opens"), 0);   /* listing and stat open nothing */
    assert_int_equal(resolve_rc(t, "notes.txt"), OGAWA_E_NOENT);
    assert_int_equal(resolve_rc(t, "dirlink"), OGAWA_E_NOENT);
    assert_int_equal(resolve_rc(t, "sub/deeper"), 0);
    l = listing(t, "sub/deeper");               /* an empty folder */
    assert_string_equal(l, "");
    free(l);
    /* into archives, across folders */
    size_t n1, n2;
    char *x = slurp(t, "sub/c.abc/.info", &n1);
    assert_non_null(strstr(x, "\"full_name\": \"/\""));
    free(x);
    char *p1 = slurp(t, "a.abc/.info", &n1), *p2 = slurp(t, "link.abc/.info", &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(p1, p2, n1);
    free(p1);
    free(p2);
    assert_int_equal(stat_of(t, "opens"), 3);
    /* ".." leaves an archive for its folder */
    l = listing(t, "sub/c.abc/..");
    assert_string_equal(l, "c.abc,deeper");
    free(l);
    /* distinct st_ino for the same archive under two names */
    struct view_attr a1, a2;
    uint64_t i1 = resolve(t, "a.abc/.info", &a1), i2 = resolve(t, "link.abc/.info", &a2);
    assert_true(a1.ino != a2.ino);
    tree_forget(t, i1, 1);
    tree_forget(t, i2, 1);
    assert_int_equal(stat_of(t, "nodes"), 1);   /* all given back */
    tree_close(t);
}

static void
test_damaged(void **state)
{
    (void)state;
    tree *t = open_dir(0);
    char *l = listing(t, "bad.abc");
    assert_string_equal(l, ".info");
    free(l);
    size_t n;
    char *info = slurp(t, "bad.abc/.info", &n);
    assert_non_null(strstr(info, "\"error\": \""));
    assert_non_null(strstr(info, "\"name\": \"bad.abc\""));
    free(info);
    info = slurp(t, "empty.abc/.info", &n);
    assert_non_null(strstr(info, "\"error\": \""));
    free(info);
    int rc = resolve_rc(t, "bad.abc/anything");
    assert_int_equal(view_errno(rc, NULL), EIO);
    struct view_attr a;
    uint64_t b1 = resolve(t, "bad.abc/.info", &a), b2 = resolve(t, "empty.abc/.info", &a);
    assert_int_equal(stat_of(t, "damaged"), 2);     /* known now */
    tree_forget(t, b1, 1);
    tree_forget(t, b2, 1);
    assert_int_equal(stat_of(t, "damaged"), 0);
    /* the others are unaffected */
    info = slurp(t, "b.abc/.info", &n);
    assert_true(n > 0);
    free(info);
    tree_close(t);
}

static void
test_max_open(void **state)
{
    (void)state;
    tree *t = open_dir(1);
    struct view_attr a;
    /* a node deep in a.abc, held while b.abc and c.abc close it */
    uint64_t held = resolve(t, "a.abc/.info", &a);
    size_t n0;
    char *before = slurp(t, "a.abc/.info", &n0);
    /* held too, so that their archives stay known; a forgotten archive
     * is closed at once */
    struct view_attr ab, ac;
    uint64_t hb = resolve(t, "b.abc/.info", &ab), hc = resolve(t, "sub/c.abc/.info", &ac);
    assert_int_equal(stat_of(t, "open"), 1);
    assert_int_equal(stat_of(t, "closes"), 2);
    long long opens = stat_of(t, "opens");
    /* the held node reopens its archive and finds its entry again */
    struct tree_data td;
    assert_int_equal(tree_read(t, held, 0, a.size, &td, NULL), 0);
    assert_int_equal(td.d.len, n0);
    char *again = malloc(n0);
    if (td.d.fd >= 0)
        assert_int_equal(pread(td.d.fd, again, n0, (off_t)td.d.off), (ssize_t)n0);
    else
        memcpy(again, td.d.mem, n0);
    tree_read_done(t, &td);
    assert_memory_equal(before, again, n0);
    assert_int_equal(stat_of(t, "opens"), opens + 1);
    struct view_attr a2;
    assert_int_equal(tree_getattr(t, held, &a2, NULL), 0);
    assert_int_equal(a2.ino, a.ino);    /* st_ino survives closing */
    free(before);
    free(again);
    tree_forget(t, held, 1);
    tree_forget(t, hb, 1);
    tree_forget(t, hc, 1);
    assert_int_equal(stat_of(t, "open"), 0);
    assert_int_equal(stat_of(t, "nodes"), 1);
    tree_close(t);
}

static void
test_changes(void **state)
{
    (void)state;
    tree *t = open_dir(1);
    char path[512], tmp[512];
    /* added: seen by the next listing and lookup */
    put_ref("points.abc", "new.abc");
    char *l = listing(t, ".");
    assert_non_null(strstr(l, "new.abc"));
    free(l);
    assert_int_equal(resolve_rc(t, "new.abc/.info"), 0);
    /* removed */
    snprintf(path, sizeof path, "%s/new.abc", dir);
    assert_int_equal(unlink(path), 0);
    l = listing(t, ".");
    assert_null(strstr(l, "new.abc"));
    free(l);
    assert_int_equal(resolve_rc(t, "new.abc"), OGAWA_E_NOENT);

    /* replaced by rename: new ids and st_ino; the old node, once its view
     * is closed, refuses (ESTALE) rather than read the new file */
    struct view_attr top1, top2, info1;
    uint64_t t1 = resolve(t, "b.abc", &top1);
    uint64_t old_info = resolve(t, "b.abc/.info", &info1);
    snprintf(tmp, sizeof tmp, "%s/b.tmp", dir);
    snprintf(path, sizeof path, "%s/b.abc", dir);
    copy_file(TEST_DATA_DIR "/reference/points.abc", tmp);
    assert_int_equal(rename(tmp, path), 0);
    uint64_t t2 = resolve(t, "b.abc", &top2);
    assert_true(t1 != t2);
    assert_true(top1.ino != top2.ino);
    size_t n;
    char *info = slurp(t, "b.abc/.info", &n);
    assert_non_null(strstr(info, "\"full_name\": \"/\""));
    free(info);
    free(slurp(t, "a.abc/.info", &n));   /* closes the old b.abc (max_open 1) */
    struct tree_data td;
    struct ogawa_err err = {0};
    int rc = tree_read(t, old_info, 0, info1.size, &td, &err);
    tree_read_done(t, &td);
    assert_int_not_equal(rc, 0);
    assert_int_equal(view_errno(rc, &err), ESTALE);
    tree_forget(t, old_info, 1);
    tree_forget(t, t1, 1);
    tree_forget(t, t2, 1);

    /* rewritten in place while open: the read check refuses */
    struct view_attr ai;
    uint64_t id = resolve(t, "a.abc/.info", &ai);
    assert_int_equal(tree_read(t, id, 0, 16, &td, NULL), 0);
    snprintf(path, sizeof path, "%s/a.abc", dir);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fputs("overwritten", f);
    fclose(f);
    assert_int_not_equal(tree_read_check(t, &td, NULL), 0);
    tree_read_done(t, &td);
    tree_forget(t, id, 1);
    put_ref("polymesh.abc", "a.abc");   /* as setup left it */

    /* a new folder appears, a removed one goes */
    snprintf(path, sizeof path, "%s/sub/fresh", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    l = listing(t, "sub");
    assert_string_equal(l, "c.abc,deeper,fresh");
    free(l);
    assert_int_equal(rmdir(path), 0);
    l = listing(t, "sub");
    assert_string_equal(l, "c.abc,deeper");
    free(l);
    assert_int_equal(stat_of(t, "nodes"), 1);
    tree_close(t);
}

/* ---- threads over more archives than may be open ------------------------ */

struct racer {
    tree *t;
    int seed;
    int failures;
};

static void *
race(void *arg)
{
    struct racer *r = arg;
    static const char *const paths[] = {"a.abc/.info", "b.abc/.info", "sub/c.abc/.info",
                                        "link.abc/.info", "bad.abc/.info"};
    for (int i = 0; i < 200; i++) {
        const char *p = paths[(i * 7 + r->seed) % 5];
        uint64_t id;
        struct view_attr a;
        if (tree_resolve(r->t, p, true, &id, &a, NULL) != 0) {
            r->failures++;
            continue;
        }
        struct tree_data td;
        if (tree_read(r->t, id, 0, a.size, &td, NULL) != 0 || td.d.len != a.size)
            r->failures++;
        tree_read_done(r->t, &td);
        uint64_t n;
        if (tree_dir_count(r->t, tree_parent(r->t, id), NULL, &n, NULL) != 0 || n == 0)
            r->failures++;
        tree_forget(r->t, id, 1);
    }
    return NULL;
}

static void
test_threads(void **state)
{
    (void)state;
    tree *t = open_dir(2);
    pthread_t th[4];
    struct racer r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (struct racer){.t = t, .seed = i};
        assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(r[i].failures, 0);
    }
    assert_true(stat_of(t, "open") <= 2);
    assert_int_equal(stat_of(t, "nodes"), 1);
    tree_close(t);
}

/* A read whose reply has gone out may release its archive after the
 * kernel forgot the last node of it (the archive's top included): the
 * archive is freed then, not before (ASan sees the difference). */
static void
test_read_outlives_top(void **state)
{
    (void)state;
    tree *t = open_dir(0);
    struct view_attr a;
    uint64_t id = resolve(t, "b.abc/.info", &a);
    long long archives = stat_of(t, "archives");
    struct tree_data td;
    struct ogawa_err err = {0};
    assert_int_equal(tree_read(t, id, 0, a.size, &td, &err), 0);
    tree_forget(t, id, 1);                      /* the last node of b.abc */
    assert_int_equal(stat_of(t, "archives"), archives - 1);
    assert_int_equal(stat_of(t, "open"), 1);    /* held by the read */
    assert_int_equal(tree_read_check(t, &td, NULL), 0);
    tree_read_done(t, &td);
    assert_int_equal(stat_of(t, "open"), 0);
    size_t n;
    char *x = slurp(t, "b.abc/.info", &n);      /* a new top, opened again */
    assert_true(n > 0);
    free(x);
    tree_close(t);
}

/* An open directory reads the listing it was opened with: offsets and
 * names stay consistent while DIR changes (a reader's getdents calls), and
 * a child taken from it is the entry of that name. */
static void
test_listing_snapshot(void **state)
{
    (void)state;
    tree *t = open_dir(0);
    struct view_attr a;
    uint64_t sub = resolve(t, "sub", &a), n0, n1;
    tree_listing *l;
    assert_int_equal(tree_opendir(t, sub, &l, NULL), 0);
    assert_non_null(l);
    assert_int_equal(tree_dir_count(t, sub, l, &n0, NULL), 0);
    assert_int_equal(n0, 2);                            /* c.abc, deeper */
    put_ref("points.abc", "sub/a0.abc");                /* sorts first */
    assert_int_equal(tree_dir_count(t, sub, NULL, &n1, NULL), 0);
    assert_int_equal(n1, 3);                            /* the current listing */
    char name[VIEW_ENTRY_NAME_MAX];
    size_t len;
    int type;
    assert_int_equal(tree_dir_entry(t, sub, l, 0, name, &len, &type, NULL), 0);
    assert_string_equal(name, "c.abc");                 /* still entry 0 here */
    uint64_t id;
    assert_int_equal(tree_child(t, sub, l, 0, &id, &a, NULL), 0);
    uint64_t want = resolve(t, "sub/c.abc", &a);
    assert_int_equal(id, want);
    tree_forget(t, id, 1);
    tree_forget(t, want, 1);
    assert_int_equal(tree_dir_entry(t, sub, NULL, 0, name, &len, &type, NULL), 0);
    assert_string_equal(name, "a0.abc");
    tree_releasedir(t, l);                              /* the last reference: freed (ASan) */
    assert_int_equal(tree_opendir(t, VIEW_ROOT_ID, &l, NULL), 0);
    tree_forget(t, sub, 1);
    tree_releasedir(t, l);
    char path[512];
    snprintf(path, sizeof path, "%s/sub/a0.abc", dir);
    assert_int_equal(unlink(path), 0);
    /* a folder node is its directory: renamed away and replaced, ESTALE */
    uint64_t deeper = resolve(t, "sub/deeper", &a);
    char moved[512];
    snprintf(path, sizeof path, "%s/sub/deeper", dir);
    snprintf(moved, sizeof moved, "%s/sub/deeper.old", dir);
    assert_int_equal(rename(path, moved), 0);
    assert_int_equal(mkdir(path, 0755), 0);
    struct ogawa_err err = {0};
    assert_int_equal(tree_getattr(t, deeper, &a, &err), OGAWA_E_IO);
    assert_int_equal(err.sys_errno, ESTALE);
    assert_int_equal(tree_dir_count(t, deeper, NULL, &n0, &err), OGAWA_E_IO);
    tree_forget(t, deeper, 1);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rename(moved, path), 0);
    tree_close(t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_shows),
        cmocka_unit_test(test_read_outlives_top),
        cmocka_unit_test(test_listing_snapshot),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_max_open),
        cmocka_unit_test(test_changes),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
