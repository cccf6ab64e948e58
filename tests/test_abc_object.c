/*
 * test_abc_object.c — objects (ogawa/abc_object.c; ogawa-format.md §4):
 * the children's header block, object group shapes, full names, lookup,
 * loops through the tree (a group that is its own or an ancestor's child),
 * the depth bound, reference counting, and instances (§4.3) with their
 * failure modes (missing path, loops, ancestors).
 *
 * Trees are built with build_tree from a small static description; the
 * loop cases patch a slot after the fact, since a child is written before
 * the ancestor it points back to.
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
#include "test_util.h"

/* ---- helpers ----------------------------------------------------------- */

/* A node of a hand-built tree: name, inline metadata (NULL = index 0),
 * an .instanceSource string (NULL = none), NULL-terminated children. */
struct tnode {
    const char *name;
    const char *meta;
    const char *source;
    const struct tnode *kids[8];
};

/* Top compound holding one scalar string .instanceSource = source. */
static uint64_t
write_instance_compound(struct tb_buf *f, const char *source)
{
    uint64_t sample = tb_abc_sample(f, source, strlen(source) + 1);
    uint64_t prop = TB_GROUP(f, sample);
    struct tb_buf h = { 0 };
    struct tb_prop p = { .type = 1, .pod = ABC_POD_STRING, .extent = 1, .num_samples = 1,
                         .constant = true, .name = ".instanceSource" };
    tb_abc_prop(&h, &p);
    uint64_t c = TB_GROUP(f, prop, tb_data_buf(f, &h));
    tb_free(&h);
    return c;
}

/* Writes the group of an object whose children are kids; returns its offset. */
static uint64_t
write_object(struct tb_buf *f, const char *source, const struct tnode *const *kids)
{
    uint64_t slots[10];
    size_t n = 0;
    slots[n++] = source ? write_instance_compound(f, source) : OGAWA_EMPTY_GROUP;
    struct tb_buf h = { 0 };
    for (size_t i = 0; kids[i]; i++) {
        slots[n++] = write_object(f, kids[i]->source, kids[i]->kids);
        if (kids[i]->meta)
            tb_abc_objhdr(&h, kids[i]->name, 255, kids[i]->meta);
        else
            tb_abc_objhdr(&h, kids[i]->name, 0, NULL);
    }
    tb_abc_hashes(&h);
    slots[n++] = tb_data_buf(f, &h);
    tb_free(&h);
    return tb_group(f, n, slots);
}

/* Writes a whole archive whose top object has the given children. */
static char *
build_tree(const struct tnode *const *kids)
{
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    uint64_t top = write_object(&f, NULL, kids);
    tb_abc_finish(&f, top, "k=v", NULL, NULL);
    char *path = tb_write(&f);
    tb_free(&f);
    return path;
}

static abc_archive *
open_path(const char *path)
{
    struct ogawa_err err = { 0 };
    abc_archive *a = NULL;
    assert_int_equal(abc_archive_open(path, &a, &err), 0);
    return a;
}

static abc_object *
top_of(abc_archive *a)
{
    struct ogawa_err err = { 0 };
    abc_object *top = NULL;
    assert_int_equal(abc_archive_top(a, &top, &err), 0);
    return top;
}

/* Opens the object at a slash-separated path of names from the top. */
static abc_object *
walk(abc_archive *a, const char *path)
{
    abc_object *cur = top_of(a);
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save = NULL, *tok = strtok_r(buf, "/", &save); tok;
         tok = strtok_r(NULL, "/", &save)) {
        size_t idx;
        struct ogawa_err err = { 0 };
        abc_object *next = NULL;
        assert_int_equal(abc_object_find(cur, tok, strlen(tok), &idx), 0);
        assert_int_equal(abc_object_child(cur, idx, &next, &err), 0);
        abc_object_unref(cur);
        cur = next;
    }
    return cur;
}

static bool
str_is(abc_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static void
assert_full_name(const abc_object *o, const char *want)
{
    size_t len = 0;
    char *name = abc_object_full_name(o, &len);
    assert_non_null(name);
    assert_string_equal(name, want);
    assert_int_equal(len, strlen(want));
    free(name);
}

/* An archive whose top object's header block is blob (+ 32 hash bytes)
 * and whose top group has n_kids child groups (empty objects).  The
 * indexed table holds one entry "t=1".  Returns abc_archive_top's code. */
static int
open_top_with_headers(const struct tb_buf *blob, size_t n_kids, struct ogawa_err *err)
{
    struct tb_buf f = { 0 }, h = { 0 }, idx = { 0 };
    uint64_t slots[10];
    size_t n = 0;
    tb_file_init(&f);
    tb_abc_hashes(&h);
    uint64_t empty_hdr = tb_data_buf(&f, &h);
    slots[n++] = OGAWA_EMPTY_GROUP;
    for (size_t i = 0; i < n_kids; i++)
        slots[n++] = TB_GROUP(&f, OGAWA_EMPTY_GROUP, empty_hdr);
    h.len = 0;
    tb_bytes(&h, blob->p, blob->len);
    tb_abc_hashes(&h);
    slots[n++] = tb_data_buf(&f, &h);
    uint64_t top = tb_group(&f, n, slots);
    tb_u8(&idx, 3);
    tb_str(&idx, "t=1");
    tb_abc_finish(&f, top, NULL, NULL, &idx);
    char *path = tb_write(&f);
    abc_archive *a = open_path(path);
    abc_object *o = (abc_object *)1;
    int rc = abc_archive_top(a, &o, err);
    if (rc)
        assert_null(o);
    abc_object_unref(rc ? NULL : o);
    abc_archive_close(a);
    tb_remove(path);
    tb_free(&f);
    tb_free(&h);
    tb_free(&idx);
    return rc;
}

/* ---- the spec archives ---------------------------------------------------- */

static void
test_abc_archive_top_name_and_metadata(void **state)
{
    (void)state;
    char *path = tb_data_path("spec/props.abc");
    abc_archive *a = open_path(path);
    abc_object *top = top_of(a);
    assert_true(str_is(abc_object_name(top), "ABC"));
    assert_null(abc_object_parent(top));
    assert_int_equal(abc_object_depth(top), 0);
    assert_ptr_equal(abc_object_archive(top), a);
    assert_int_equal(abc_object_metadata(top).len, abc_archive_metadata(a).len);
    assert_full_name(top, "/");
    assert_false(abc_object_is_instance(top));
    assert_int_equal(abc_object_child_count(top), 1);
    const struct abc_object_header *h = abc_object_child_header(top, 0);
    assert_non_null(h);
    assert_true(str_is(h->name, "child"));
    assert_int_equal(h->metadata.len, 0);
    assert_null(abc_object_child_header(top, 1));
    abc_object_unref(top);
    abc_archive_close(a);
    free(path);
}

static void
test_abc_object_child_spec_props(void **state)
{
    (void)state;
    char *path = tb_data_path("spec/props.abc");
    abc_archive *a = open_path(path);
    abc_object *top = top_of(a);
    abc_object *child = NULL;
    struct ogawa_err err = { 0 };
    assert_int_equal(abc_object_child(top, 0, &child, &err), 0);
    assert_true(str_is(abc_object_name(child), "child"));
    assert_ptr_equal(abc_object_parent(child), top);
    assert_int_equal(abc_object_depth(child), 1);
    assert_full_name(child, "/child");
    assert_int_equal(abc_object_child_count(child), 0);
    assert_true(abc_object_offset(child) != abc_object_offset(top));
    abc_object_unref(child);
    abc_object_unref(top);
    abc_archive_close(a);
    free(path);
}

static void
test_abc_object_child_spec_geom_tree(void **state)
{
    (void)state;
    char *path = tb_data_path("spec/geom.abc");
    abc_archive *a = open_path(path);
    abc_object *top = top_of(a);
    assert_int_equal(abc_object_child_count(top), 3);
    assert_true(str_is(abc_object_child_header(top, 0)->name, "xf"));
    assert_true(str_is(abc_object_child_header(top, 1)->name, "xf2"));
    assert_true(str_is(abc_object_child_header(top, 2)->name, "cam"));
    abc_str v;
    assert_true(abc_meta_get(abc_object_child_header(top, 0)->metadata, "schema", &v));
    assert_true(str_is(v, "AbcGeom_Xform_v3"));
    abc_object *mesh = walk(a, "xf/mesh");
    assert_full_name(mesh, "/xf/mesh");
    assert_int_equal(abc_object_depth(mesh), 2);
    assert_true(abc_meta_get(abc_object_metadata(mesh), "schemaObjTitle", &v));
    assert_true(str_is(v, "AbcGeom_PolyMesh_v1:.geom"));
    assert_false(abc_object_is_instance(mesh));
    abc_object_unref(mesh);
    abc_object_unref(top);
    abc_archive_close(a);
    free(path);
}

/* ---- names and lookup ----------------------------------------------------- */

static void
test_abc_object_full_name_nested(void **state)
{
    (void)state;
    static const struct tnode c = { "c", NULL, NULL, { NULL } };
    static const struct tnode b = { "bee", NULL, NULL, { &c, NULL } };
    static const struct tnode a1 = { "a", NULL, NULL, { &b, NULL } };
    static const struct tnode *const kids[] = { &a1, NULL };
    char *path = build_tree(kids);
    abc_archive *a = open_path(path);
    abc_object *o = walk(a, "a/bee/c");
    assert_full_name(o, "/a/bee/c");
    assert_int_equal(abc_object_depth(o), 3);
    assert_full_name(abc_object_parent(o), "/a/bee");
    assert_full_name(abc_object_parent(abc_object_parent(o)), "/a");
    char *name = abc_object_full_name(o, NULL);  /* len is optional */
    assert_string_equal(name, "/a/bee/c");
    free(name);
    abc_object_unref(o);
    abc_archive_close(a);
    tb_remove(path);
}

static void
test_abc_object_find_by_name(void **state)
{
    (void)state;
    static const struct tnode ab = { "ab", NULL, NULL, { NULL } };
    static const struct tnode b = { "b", NULL, NULL, { NULL } };
    static const struct tnode dup = { "b", "dup=1", NULL, { NULL } };
    static const struct tnode *const kids[] = { &ab, &b, &dup, NULL };
    char *path = build_tree(kids);
    abc_archive *a = open_path(path);
    abc_object *top = top_of(a);
    size_t idx = 99;
    assert_int_equal(abc_object_find(top, "ab", 2, &idx), 0);
    assert_int_equal(idx, 0);
    assert_int_equal(abc_object_find(top, "b", 1, &idx), 0);
    assert_int_equal(idx, 1);           /* the first of two equal names */
    assert_int_equal(abc_object_find(top, "a", 1, &idx), OGAWA_E_NOENT);
    assert_int_equal(abc_object_find(top, "abc", 3, &idx), OGAWA_E_NOENT);
    assert_int_equal(abc_object_find(top, "", 0, &idx), OGAWA_E_NOENT);
    /* The length is the name: "abX" with len 2 is "ab". */
    assert_int_equal(abc_object_find(top, "abX", 2, &idx), 0);
    assert_int_equal(idx, 0);
    abc_object_unref(top);
    abc_archive_close(a);
    tb_remove(path);
}

static void
test_abc_object_find_name_with_nul_byte(void **state)
{
    (void)state;
    struct tb_buf blob = { 0 };
    struct tb_buf f = { 0 }, h = { 0 };
    tb_file_init(&f);
    tb_abc_hashes(&h);
    uint64_t kid = TB_GROUP(&f, OGAWA_EMPTY_GROUP, tb_data_buf(&f, &h));
    tb_u32(&blob, 3);
    tb_bytes(&blob, "x\0y", 3);
    tb_u8(&blob, 0);
    tb_abc_hashes(&blob);
    uint64_t top = TB_GROUP(&f, OGAWA_EMPTY_GROUP, kid, tb_data_buf(&f, &blob));
    tb_abc_finish(&f, top, NULL, NULL, NULL);
    char *path = tb_write(&f);
    abc_archive *a = open_path(path);
    abc_object *o = top_of(a);
    size_t idx;
    assert_int_equal(abc_object_child_header(o, 0)->name.len, 3);
    assert_int_equal(abc_object_find(o, "x\0y", 3, &idx), 0);
    assert_int_equal(abc_object_find(o, "x", 1, &idx), OGAWA_E_NOENT);
    abc_object *c = NULL;
    struct ogawa_err err = { 0 };
    assert_int_equal(abc_object_child(o, 0, &c, &err), 0);
    size_t len;
    char *full = abc_object_full_name(c, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(full, "/x\0y", 4);
    free(full);
    abc_object_unref(c);
    abc_object_unref(o);
    abc_archive_close(a);
    tb_remove(path);
    tb_free(&f);
    tb_free(&h);
    tb_free(&blob);
}

static void
test_abc_object_child_index_out_of_range(void **state)
{
    (void)state;
    static const struct tnode x = { "x", NULL, NULL, { NULL } };
    static const struct tnode *const kids[] = { &x, NULL };
    char *path = build_tree(kids);
    abc_archive *a = open_path(path);
    abc_object *top = top_of(a);
    abc_object *c = (abc_object *)1;
    struct ogawa_err err = { 0 };
    assert_int_equal(abc_object_child(top, 1, &c, &err), OGAWA_E_NOENT);
    assert_null(c);
    assert_int_equal(abc_object_child(top, SIZE_MAX, &c, &err), OGAWA_E_NOENT);
    abc_object_unref(top);
    abc_archive_close(a);
    tb_remove(path);
}

static void
test_abc_object_child_metadata_inline_and_indexed(void **state)
{
    (void)state;
    static const struct tnode x = { "x", "schema=S;isGeom=1", NULL, { NULL } };
    static const struct tnode *const kids[] = { &x, NULL };
    char *path = build_tree(kids);
    abc_archive *a = open_path(path);
    abc_object *o = walk(a, "x");
    abc_str v;
    assert_true(abc_meta_get(abc_object_metadata(o), "schema", &v));
    assert_true(str_is(v, "S"));
    abc_object_unref(o);
    abc_archive_close(a);
    tb_remove(path);

    /* Through the indexed table: index 1 is "t=1" in open_top_with_headers. */
    struct tb_buf blob = { 0 };
    struct ogawa_err err = { 0 };
    tb_abc_objhdr(&blob, "k", 1, NULL);
    assert_int_equal(open_top_with_headers(&blob, 1, &err), 0);
    tb_free(&blob);
}

/* ---- header block errors (§4.2) -------------------------------------------- */

static void
test_abc_object_headers_name_length_zero(void **state)
{
    (void)state;
    struct tb_buf blob = { 0 };
    struct ogawa_err err = { 0 };
    /* Accepted, as the C++ reader does (layout.md shows it as "%"). */
    tb_u32(&blob, 0);
    tb_u8(&blob, 0);
    assert_int_equal(open_top_with_headers(&blob, 1, &err), 0);
    /* Four more bytes are a truncated second record. */
    tb_fill(&blob, 0, 4);
    assert_int_equal(open_top_with_headers(&blob, 1, &err), OGAWA_E_CORRUPT);
    tb_free(&blob);
}

static void
test_abc_object_headers_truncated(void **state)
{
    (void)state;
    struct tb_buf blob = { 0 }, full = { 0 };
    struct ogawa_err err = { 0 };
    tb_abc_objhdr(&full, "name", 0, NULL);
    tb_abc_objhdr(&full, "inline", 255, "a=b");
    /* Every strict prefix of the two records fails; the 32 hash bytes
     * after it never count as record bytes. */
    for (size_t cut = 1; cut < full.len; cut++) {
        blob.len = 0;
        tb_bytes(&blob, full.p, cut);
        assert_int_equal(open_top_with_headers(&blob, 2, &err), OGAWA_E_CORRUPT);
    }
    assert_int_equal(open_top_with_headers(&full, 2, &err), 0);
    /* A name length running into the hash bytes. */
    blob.len = 0;
    tb_u32(&blob, 20);
    tb_str(&blob, "abc");
    assert_int_equal(open_top_with_headers(&blob, 1, &err), OGAWA_E_CORRUPT);
    blob.len = 0;
    tb_u32(&blob, UINT32_MAX);
    tb_str(&blob, "abcdef");
    assert_int_equal(open_top_with_headers(&blob, 1, &err), OGAWA_E_CORRUPT);
    tb_free(&blob);
    tb_free(&full);
}

static void
test_abc_object_headers_inline_metadata(void **state)
{
    (void)state;
    struct tb_buf blob = { 0 };
    struct ogawa_err err = { 0 };
    tb_abc_objhdr(&blob, "x", 255, "");         /* inline, length 0 */
    tb_abc_objhdr(&blob, "y", 255, "p=q;r=s");
    assert_int_equal(open_top_with_headers(&blob, 2, &err), 0);
    /* Inline length past the block. */
    blob.len = 0;
    tb_u32(&blob, 1);
    tb_str(&blob, "x");
    tb_u8(&blob, 255);
    tb_u32(&blob, 100);
    tb_str(&blob, "p=q");
    assert_int_equal(open_top_with_headers(&blob, 1, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "object header inline metadata is truncated");
    tb_free(&blob);
}

static void
test_abc_object_headers_bad_metadata_index(void **state)
{
    (void)state;
    struct tb_buf blob = { 0 };
    struct ogawa_err err = { 0 };
    /* The table has entry 1 only ("t=1"); 2 and 254 are not in it. */
    tb_abc_objhdr(&blob, "x", 2, NULL);
    assert_int_equal(open_top_with_headers(&blob, 1, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "object header metadata index is not in the table");
    blob.len = 0;
    tb_abc_objhdr(&blob, "x", 254, NULL);
    assert_int_equal(open_top_with_headers(&blob, 1, &err), OGAWA_E_CORRUPT);
    blob.len = 0;
    tb_abc_objhdr(&blob, "x", 1, NULL);
    assert_int_equal(open_top_with_headers(&blob, 1, &err), 0);
    tb_free(&blob);
}

static void
test_abc_object_headers_more_records_than_groups(void **state)
{
    (void)state;
    struct tb_buf blob = { 0 };
    struct ogawa_err err = { 0 };
    tb_abc_objhdr(&blob, "x", 0, NULL);
    tb_abc_objhdr(&blob, "y", 0, NULL);
    assert_int_equal(open_top_with_headers(&blob, 1, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "object has more header records than child groups");
    /* Records but no child groups at all (a group of [compound, header]). */
    assert_int_equal(open_top_with_headers(&blob, 0, &err), OGAWA_E_CORRUPT);
    tb_free(&blob);
}

static void
test_abc_object_headers_fewer_records_than_groups(void **state)
{
    (void)state;
    struct tb_buf blob = { 0 };
    struct ogawa_err err = { 0 };
    tb_abc_objhdr(&blob, "x", 0, NULL);
    assert_int_equal(open_top_with_headers(&blob, 2, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "object has more child groups than header records");
    /* A block long enough for two records that holds one. */
    blob.len = 0;
    tb_abc_objhdr(&blob, "a-long-name-", 0, NULL);
    assert_int_equal(open_top_with_headers(&blob, 2, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "object has fewer header records than child groups");
    /* No records at all (32 hash bytes only) for three groups. */
    blob.len = 0;
    assert_int_equal(open_top_with_headers(&blob, 3, &err), OGAWA_E_CORRUPT);
    tb_free(&blob);
}

static void
test_abc_object_headers_short_block_means_no_children(void **state)
{
    (void)state;
    /* §4.2: a header block of <= 32 bytes is "no children". */
    static const size_t sizes[] = { 0, 1, 31, 32 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct tb_buf f = { 0 }, h = { 0 };
        tb_file_init(&f);
        tb_fill(&h, 0xAB, sizes[i]);
        uint64_t top = TB_GROUP(&f, OGAWA_EMPTY_GROUP, tb_data_buf(&f, &h));
        tb_abc_finish(&f, top, NULL, NULL, NULL);
        char *path = tb_write(&f);
        abc_archive *a = open_path(path);
        abc_object *o = top_of(a);
        assert_int_equal(abc_object_child_count(o), 0);
        abc_object_unref(o);
        abc_archive_close(a);
        tb_remove(path);
        tb_free(&f);
        tb_free(&h);
    }
}

/* ---- object group shapes (§4.1) -------------------------------------------- */

/* An archive whose top object's group is given by the caller's slots. */
static int
open_top_group(struct tb_buf *f, size_t n, const uint64_t *slots, struct ogawa_err *err,
               abc_object **out)
{
    uint64_t top = f->len;
    if (n > 0)
        top = tb_group(f, n, slots);
    else
        tb_u64(f, 0);                   /* a group block with count 0 */
    tb_abc_finish(f, top, NULL, NULL, NULL);
    char *path = tb_write(f);
    abc_archive *a = open_path(path);
    abc_object *o = (abc_object *)1;
    int rc = abc_archive_top(a, &o, err);
    tb_remove(path);
    if (rc) {
        assert_null(o);
        abc_archive_close(a);
        return rc;
    }
    if (out) {
        *out = o;                       /* the caller closes the archive */
        return 0;
    }
    abc_object_unref(o);
    abc_archive_close(a);
    return 0;
}

static void
test_abc_object_group_count_zero(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    struct ogawa_err err = { 0 };
    tb_file_init(&f);
    assert_int_equal(open_top_group(&f, 0, NULL, &err, NULL), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "object group has no header block");
    tb_free(&f);
}

static void
test_abc_object_group_not_ending_with_data(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    struct ogawa_err err = { 0 };
    tb_file_init(&f);
    uint64_t slots[2] = { OGAWA_EMPTY_GROUP, OGAWA_EMPTY_GROUP };
    assert_int_equal(open_top_group(&f, 2, slots, &err, NULL), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "object group does not end with a header block");
    tb_file_init(&f);
    assert_int_equal(open_top_group(&f, 1, slots, &err, NULL), OGAWA_E_CORRUPT);
    tb_free(&f);
}

static void
test_abc_object_group_first_slot_data(void **state)
{
    (void)state;
    struct tb_buf f = { 0 }, h = { 0 };
    struct ogawa_err err = { 0 };
    tb_file_init(&f);
    tb_abc_hashes(&h);
    uint64_t hd = tb_data_buf(&f, &h);
    uint64_t slots[2] = { OGAWA_EMPTY_DATA, hd };
    assert_int_equal(open_top_group(&f, 2, slots, &err, NULL), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "object's first child is not a compound group");
    tb_free(&f);
    tb_free(&h);
}

static void
test_abc_object_group_lone_header_block(void **state)
{
    (void)state;
    struct tb_buf f = { 0 }, h = { 0 };
    struct ogawa_err err = { 0 };
    abc_object *o = NULL;
    tb_file_init(&f);
    tb_abc_hashes(&h);
    uint64_t slots[1] = { tb_data_buf(&f, &h) };
    assert_int_equal(open_top_group(&f, 1, slots, &err, &o), 0);
    assert_int_equal(abc_object_child_count(o), 0);
    abc_compound *c = NULL;
    assert_int_equal(abc_object_properties(o, &c, &err), 0);
    assert_int_equal(abc_compound_count(c), 0);
    assert_int_equal(abc_compound_offset(c), 0);
    abc_compound_unref(c);
    abc_archive *a = abc_object_archive(o);
    abc_object_unref(o);
    abc_archive_close(a);
    tb_free(&f);
    tb_free(&h);
}

static void
test_abc_object_child_slot_not_a_group(void **state)
{
    (void)state;
    struct tb_buf f = { 0 }, h = { 0 };
    struct ogawa_err err = { 0 };
    abc_object *o = NULL, *c = (abc_object *)1;
    tb_file_init(&f);
    tb_abc_objhdr(&h, "d", 0, NULL);
    tb_abc_objhdr(&h, "e", 0, NULL);
    tb_abc_hashes(&h);
    uint64_t hd = tb_data_buf(&f, &h);
    /* Child 0 is a data slot, child 1 an EMPTY_GROUP. */
    uint64_t slots[4] = { OGAWA_EMPTY_GROUP, hd, OGAWA_EMPTY_GROUP, hd };
    assert_int_equal(open_top_group(&f, 4, slots, &err, &o), 0);
    assert_int_equal(abc_object_child_count(o), 2);
    assert_int_equal(abc_object_child(o, 0, &c, &err), OGAWA_E_CORRUPT);
    assert_null(c);
    tb_assert_msg(&err, "child object slot is not a group");
    assert_int_equal(abc_object_child(o, 1, &c, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "child object slot is not a group");
    abc_archive *a = abc_object_archive(o);
    abc_object_unref(o);
    abc_archive_close(a);
    tb_free(&f);
    tb_free(&h);
}

static void
test_abc_object_child_group_past_eof(void **state)
{
    (void)state;
    struct tb_buf f = { 0 }, h = { 0 };
    struct ogawa_err err = { 0 };
    abc_object *o = NULL, *c = (abc_object *)1;
    tb_file_init(&f);
    tb_abc_objhdr(&h, "far", 0, NULL);
    tb_abc_hashes(&h);
    uint64_t slots[3] = { OGAWA_EMPTY_GROUP, 1u << 30, tb_data_buf(&f, &h) };
    assert_int_equal(open_top_group(&f, 3, slots, &err, &o), 0);
    assert_int_equal(abc_object_child(o, 0, &c, &err), OGAWA_E_CORRUPT);
    assert_null(c);
    abc_archive *a = abc_object_archive(o);
    abc_object_unref(o);
    abc_archive_close(a);
    tb_free(&f);
    tb_free(&h);
}

/* ---- loops and depth -------------------------------------------------------- */

static void
test_abc_object_child_points_at_itself(void **state)
{
    (void)state;
    struct tb_buf f = { 0 }, h = { 0 };
    struct ogawa_err err = { 0 };
    tb_file_init(&f);
    tb_abc_objhdr(&h, "self", 0, NULL);
    tb_abc_hashes(&h);
    uint64_t hd = tb_data_buf(&f, &h);
    /* Object A at f.len lists itself as its child. */
    uint64_t a_off = f.len;
    assert_int_equal(TB_GROUP(&f, OGAWA_EMPTY_GROUP, a_off, hd), a_off);
    uint64_t top = TB_GROUP(&f, OGAWA_EMPTY_GROUP, a_off, hd);
    tb_abc_finish(&f, top, NULL, NULL, NULL);
    char *path = tb_write(&f);
    abc_archive *a = open_path(path);
    abc_object *t = top_of(a), *o = (abc_object *)1;
    assert_int_equal(abc_object_child(t, 0, &o, &err), OGAWA_E_DEPTH);
    assert_null(o);
    tb_assert_msg(&err, "group lists itself as a child");
    abc_object_unref(t);
    abc_archive_close(a);
    tb_remove(path);
    tb_free(&f);
    tb_free(&h);
}

static void
test_abc_object_child_points_at_ancestor(void **state)
{
    (void)state;
    struct tb_buf f = { 0 }, h = { 0 };
    struct ogawa_err err = { 0 };
    tb_file_init(&f);
    tb_abc_objhdr(&h, "up", 0, NULL);
    tb_abc_hashes(&h);
    uint64_t hd = tb_data_buf(&f, &h);
    /* top -> A -> B -> (top, A): B's slots are patched once top is known. */
    uint64_t b_off = TB_GROUP(&f, OGAWA_EMPTY_GROUP, 0, 0, hd);
    h.len = 0;
    tb_abc_objhdr(&h, "up", 0, NULL);
    tb_abc_objhdr(&h, "up2", 0, NULL);
    tb_abc_hashes(&h);
    tb_patch_u64(&f, b_off + 8 + 24, tb_data_buf(&f, &h));
    h.len = 0;
    tb_abc_objhdr(&h, "b", 0, NULL);
    tb_abc_hashes(&h);
    uint64_t a_off = TB_GROUP(&f, OGAWA_EMPTY_GROUP, b_off, tb_data_buf(&f, &h));
    h.len = 0;
    tb_abc_objhdr(&h, "a", 0, NULL);
    tb_abc_hashes(&h);
    uint64_t top = TB_GROUP(&f, OGAWA_EMPTY_GROUP, a_off, tb_data_buf(&f, &h));
    tb_patch_u64(&f, b_off + 16, top);
    tb_patch_u64(&f, b_off + 24, a_off);
    tb_abc_finish(&f, top, NULL, NULL, NULL);
    char *path = tb_write(&f);
    abc_archive *a = open_path(path);
    abc_object *b = walk(a, "a/b"), *o = (abc_object *)1;
    assert_int_equal(abc_object_child_count(b), 2);
    assert_int_equal(abc_object_child(b, 0, &o, &err), OGAWA_E_DEPTH);     /* the top */
    assert_null(o);
    assert_int_equal(err.off, top);
    tb_assert_msg(&err, "child object group is one of its ancestors");
    assert_int_equal(abc_object_child(b, 1, &o, &err), OGAWA_E_DEPTH);     /* its parent */
    assert_int_equal(err.off, a_off);
    abc_object_unref(b);
    abc_archive_close(a);
    tb_remove(path);
    tb_free(&f);
    tb_free(&h);
}

static void
test_abc_object_child_shared_group_is_not_a_loop(void **state)
{
    (void)state;
    struct tb_buf f = { 0 }, h = { 0 };
    struct ogawa_err err = { 0 };
    tb_file_init(&f);
    tb_abc_hashes(&h);
    uint64_t g = TB_GROUP(&f, OGAWA_EMPTY_GROUP, tb_data_buf(&f, &h));
    h.len = 0;
    tb_abc_objhdr(&h, "x", 0, NULL);
    tb_abc_objhdr(&h, "y", 0, NULL);
    tb_abc_hashes(&h);
    uint64_t top = TB_GROUP(&f, OGAWA_EMPTY_GROUP, g, g, tb_data_buf(&f, &h));
    tb_abc_finish(&f, top, NULL, NULL, NULL);
    char *path = tb_write(&f);
    abc_archive *a = open_path(path);
    abc_object *t = top_of(a), *x = NULL, *y = NULL;
    assert_int_equal(abc_object_child(t, 0, &x, &err), 0);
    assert_int_equal(abc_object_child(t, 1, &y, &err), 0);
    assert_int_equal(abc_object_offset(x), abc_object_offset(y));
    assert_true(str_is(abc_object_name(y), "y"));
    abc_object_unref(x);
    abc_object_unref(y);
    abc_object_unref(t);
    abc_archive_close(a);
    tb_remove(path);
    tb_free(&f);
    tb_free(&h);
}

/*
 * Reaching the limit means opening 10^5 nested objects.  Loop checks are
 * O(1) per level when offsets run one way (abc_object_child), so this
 * takes well under a second; it was a minute when every open walked the
 * whole chain.
 */
static void
test_abc_object_child_depth_limit(void **state)
{
    (void)state;
    struct tb_buf f = { 0 }, h = { 0 };
    struct ogawa_err err = { 0 };
    tb_file_init(&f);
    tb_abc_hashes(&h);
    uint64_t leaf_hdr = tb_data_buf(&f, &h);
    h.len = 0;
    tb_abc_objhdr(&h, "n", 0, NULL);
    tb_abc_hashes(&h);
    uint64_t hdr = tb_data_buf(&f, &h);
    /* A chain of distinct groups: the top, then ABC_MAX_DEPTH + 1 levels. */
    uint64_t g = TB_GROUP(&f, OGAWA_EMPTY_GROUP, leaf_hdr);
    for (size_t i = 0; i < (size_t)ABC_MAX_DEPTH + 1; i++)
        g = TB_GROUP(&f, OGAWA_EMPTY_GROUP, g, hdr);
    tb_abc_finish(&f, g, NULL, NULL, NULL);
    char *path = tb_write(&f);
    abc_archive *a = open_path(path);
    abc_object *o = top_of(a);
    for (size_t d = 1; d <= ABC_MAX_DEPTH; d++) {
        abc_object *next = NULL;
        assert_int_equal(abc_object_child(o, 0, &next, &err), 0);
        abc_object_unref(o);            /* the child keeps it alive */
        o = next;
    }
    assert_int_equal(abc_object_depth(o), ABC_MAX_DEPTH);
    assert_int_equal(abc_object_child_count(o), 1);
    abc_object *next = (abc_object *)1;
    assert_int_equal(abc_object_child(o, 0, &next, &err), OGAWA_E_DEPTH);
    assert_null(next);
    tb_assert_msg(&err, "object hierarchy nests too deep");
    size_t len;
    char *name = abc_object_full_name(o, &len);
    assert_int_equal(len, 2 * (size_t)ABC_MAX_DEPTH);
    free(name);
    /* Dropping the deepest handle frees the whole chain without recursion. */
    abc_object_unref(o);
    abc_archive_close(a);
    tb_remove(path);
    tb_free(&f);
    tb_free(&h);
}

/* ---- reference counts -------------------------------------------------------- */

static void
test_abc_object_unref_child_keeps_parent(void **state)
{
    (void)state;
    char *path = tb_data_path("spec/geom.abc");
    abc_archive *a = open_path(path);
    abc_object *mesh = walk(a, "xf/mesh");          /* walk drops top and xf */
    abc_object *xf = abc_object_parent(mesh);
    assert_true(str_is(abc_object_name(xf), "xf"));
    assert_true(str_is(abc_object_name(abc_object_parent(xf)), "ABC"));
    abc_object_ref(mesh);
    abc_object_unref(mesh);
    assert_true(str_is(abc_object_name(mesh), "mesh"));
    abc_object_unref(mesh);
    abc_object_unref(NULL);
    abc_archive_close(a);
    free(path);
}

/* ---- instances (§4.3) ---------------------------------------------------------- */

static void
test_abc_object_resolve_instance_spec_geom(void **state)
{
    (void)state;
    char *path = tb_data_path("spec/geom.abc");
    abc_archive *a = open_path(path);
    abc_object *inst = walk(a, "xf2/meshInst");
    struct ogawa_err err = { 0 };
    assert_true(abc_object_is_instance(inst));
    char *src = NULL;
    assert_int_equal(abc_object_instance_source(inst, &src, &err), 0);
    assert_string_equal(src, "/xf/mesh");
    free(src);
    abc_object *t = NULL;
    assert_int_equal(abc_object_resolve_instance(inst, &t, &err), 0);
    assert_full_name(t, "/xf/mesh");
    assert_false(abc_object_is_instance(t));
    abc_object *mesh = walk(a, "xf/mesh");
    assert_int_equal(abc_object_offset(t), abc_object_offset(mesh));
    abc_object_unref(mesh);
    abc_object_unref(t);
    abc_object_unref(inst);
    abc_archive_close(a);
    free(path);
}

static void
test_abc_object_resolve_instance_not_instance(void **state)
{
    (void)state;
    static const struct tnode no = { "no", "isInstance=0", "/x", { NULL } };
    static const struct tnode eleven = { "eleven", "isInstance=11", "/x", { NULL } };
    static const struct tnode x = { "x", NULL, NULL, { NULL } };
    static const struct tnode *const kids[] = { &no, &eleven, &x, NULL };
    char *path = build_tree(kids);
    abc_archive *a = open_path(path);
    struct ogawa_err err = { 0 };
    abc_object *t = (abc_object *)1;
    abc_object *top = top_of(a);
    assert_int_equal(abc_object_resolve_instance(top, &t, &err), OGAWA_E_INVAL);
    assert_null(t);
    abc_object_unref(top);
    const char *names[] = { "no", "eleven", "x" };
    for (int i = 0; i < 3; i++) {
        abc_object *o = walk(a, names[i]);
        assert_false(abc_object_is_instance(o));
        t = (abc_object *)1;
        assert_int_equal(abc_object_resolve_instance(o, &t, &err), OGAWA_E_INVAL);
        assert_null(t);
        abc_object_unref(o);
    }
    abc_archive_close(a);
    tb_remove(path);
}

static void
test_abc_object_resolve_instance_paths(void **state)
{
    (void)state;
    static const struct tnode leaf = { "leaf", NULL, NULL, { NULL } };
    static const struct tnode b = { "b", NULL, NULL, { &leaf, NULL } };
    static const struct tnode i1 = { "i1", "isInstance=1", "b/leaf", { NULL } };
    static const struct tnode i2 = { "i2", "isInstance=1", "//b//leaf/", { NULL } };
    /* A path through another instance: /c/ib is an instance of /b. */
    static const struct tnode ib = { "ib", "isInstance=1", "/b", { NULL } };
    static const struct tnode c = { "c", NULL, NULL, { &ib, NULL } };
    static const struct tnode i3 = { "i3", "isInstance=1", "/c/ib/leaf", { NULL } };
    static const struct tnode *const kids[] = { &b, &i1, &i2, &c, &i3, NULL };
    char *path = build_tree(kids);
    abc_archive *a = open_path(path);
    struct ogawa_err err = { 0 };
    const char *names[] = { "i1", "i2", "i3" };
    for (int i = 0; i < 3; i++) {
        abc_object *o = walk(a, names[i]), *t = NULL;
        assert_int_equal(abc_object_resolve_instance(o, &t, &err), 0);
        assert_full_name(t, "/b/leaf");
        abc_object_unref(t);
        abc_object_unref(o);
    }
    abc_archive_close(a);
    tb_remove(path);
}

static void
test_abc_object_resolve_instance_missing_path(void **state)
{
    (void)state;
    static const struct tnode x = { "x", NULL, NULL, { NULL } };
    static const struct tnode i1 = { "i1", "isInstance=1", "/nope", { NULL } };
    static const struct tnode i2 = { "i2", "isInstance=1", "/x/deeper", { NULL } };
    static const struct tnode *const kids[] = { &x, &i1, &i2, NULL };
    char *path = build_tree(kids);
    abc_archive *a = open_path(path);
    struct ogawa_err err = { 0 };
    const char *names[] = { "i1", "i2" };
    for (int i = 0; i < 2; i++) {
        abc_object *o = walk(a, names[i]), *t = (abc_object *)1;
        assert_int_equal(abc_object_resolve_instance(o, &t, &err), OGAWA_E_NOENT);
        assert_null(t);
        tb_assert_msg(&err, "instance source path not found");
        abc_object_unref(o);
    }
    abc_archive_close(a);
    tb_remove(path);
}

static void
test_abc_object_resolve_instance_loop(void **state)
{
    (void)state;
    static const struct tnode i1 = { "i1", "isInstance=1", "/i2", { NULL } };
    static const struct tnode i2 = { "i2", "isInstance=1", "/i1", { NULL } };
    static const struct tnode self = { "self", "isInstance=1", "/self", { NULL } };
    static const struct tnode *const kids[] = { &i1, &i2, &self, NULL };
    char *path = build_tree(kids);
    abc_archive *a = open_path(path);
    struct ogawa_err err = { 0 };
    const char *names[] = { "i1", "i2", "self" };
    for (int i = 0; i < 3; i++) {
        abc_object *o = walk(a, names[i]), *t = (abc_object *)1;
        assert_int_equal(abc_object_resolve_instance(o, &t, &err), OGAWA_E_DEPTH);
        assert_null(t);
        tb_assert_msg(&err, "instances refer to each other in a loop");
        abc_object_unref(o);
    }
    abc_archive_close(a);
    tb_remove(path);
}

static void
test_abc_object_resolve_instance_ancestor(void **state)
{
    (void)state;
    static const struct tnode up = { "up", "isInstance=1", "/p", { NULL } };
    static const struct tnode top = { "top", "isInstance=1", "/", { NULL } };
    static const struct tnode empty = { "empty", "isInstance=1", "", { NULL } };
    static const struct tnode p = { "p", NULL, NULL, { &up, &top, &empty, NULL } };
    static const struct tnode *const kids[] = { &p, NULL };
    char *path = build_tree(kids);
    abc_archive *a = open_path(path);
    struct ogawa_err err = { 0 };
    const char *names[] = { "p/up", "p/top", "p/empty" };
    for (int i = 0; i < 3; i++) {
        abc_object *o = walk(a, names[i]), *t = (abc_object *)1;
        assert_int_equal(abc_object_resolve_instance(o, &t, &err), OGAWA_E_DEPTH);
        assert_null(t);
        tb_assert_msg(&err, "instance source is the instance or one of its ancestors");
        abc_object_unref(o);
    }
    abc_archive_close(a);
    tb_remove(path);
}

static void
test_abc_object_instance_source_missing_property(void **state)
{
    (void)state;
    static const struct tnode bare = { "bare", "isInstance=1", NULL, { NULL } };
    static const struct tnode *const kids[] = { &bare, NULL };
    char *path = build_tree(kids);
    abc_archive *a = open_path(path);
    struct ogawa_err err = { 0 };
    abc_object *o = walk(a, "bare"), *t = (abc_object *)1;
    assert_true(abc_object_is_instance(o));
    char *src = (char *)1;
    assert_int_equal(abc_object_instance_source(o, &src, &err), OGAWA_E_CORRUPT);
    assert_null(src);
    tb_assert_msg(&err, "instance has no .instanceSource string");
    assert_int_equal(abc_object_resolve_instance(o, &t, &err), OGAWA_E_CORRUPT);
    assert_null(t);
    abc_object_unref(o);
    abc_archive_close(a);
    tb_remove(path);
}

static void
test_abc_object_instance_source_wrong_type(void **state)
{
    (void)state;
    /* .instanceSource as an int32 scalar: not a string, so no source. */
    struct tb_buf f = { 0 }, h = { 0 };
    tb_file_init(&f);
    int32_t v = 7;
    uint64_t prop = TB_GROUP(&f, tb_abc_sample(&f, &v, 4));
    struct tb_prop p = { .type = 1, .pod = ABC_POD_INT32, .extent = 1, .num_samples = 1,
                         .constant = true, .name = ".instanceSource" };
    tb_abc_prop(&h, &p);
    uint64_t comp = TB_GROUP(&f, prop, tb_data_buf(&f, &h));
    h.len = 0;
    tb_abc_hashes(&h);
    uint64_t o_off = TB_GROUP(&f, comp, tb_data_buf(&f, &h));
    h.len = 0;
    tb_abc_objhdr(&h, "i", 255, "isInstance=1");
    tb_abc_hashes(&h);
    uint64_t top = TB_GROUP(&f, OGAWA_EMPTY_GROUP, o_off, tb_data_buf(&f, &h));
    tb_abc_finish(&f, top, NULL, NULL, NULL);
    char *path = tb_write(&f);
    abc_archive *a = open_path(path);
    struct ogawa_err err = { 0 };
    abc_object *o = walk(a, "i");
    char *src = (char *)1;
    assert_int_equal(abc_object_instance_source(o, &src, &err), OGAWA_E_CORRUPT);
    assert_null(src);
    abc_object_unref(o);
    abc_archive_close(a);
    tb_remove(path);
    tb_free(&f);
    tb_free(&h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abc_archive_top_name_and_metadata),
        cmocka_unit_test(test_abc_object_child_spec_props),
        cmocka_unit_test(test_abc_object_child_spec_geom_tree),
        cmocka_unit_test(test_abc_object_full_name_nested),
        cmocka_unit_test(test_abc_object_find_by_name),
        cmocka_unit_test(test_abc_object_find_name_with_nul_byte),
        cmocka_unit_test(test_abc_object_child_index_out_of_range),
        cmocka_unit_test(test_abc_object_child_metadata_inline_and_indexed),
        cmocka_unit_test(test_abc_object_headers_name_length_zero),
        cmocka_unit_test(test_abc_object_headers_truncated),
        cmocka_unit_test(test_abc_object_headers_inline_metadata),
        cmocka_unit_test(test_abc_object_headers_bad_metadata_index),
        cmocka_unit_test(test_abc_object_headers_more_records_than_groups),
        cmocka_unit_test(test_abc_object_headers_fewer_records_than_groups),
        cmocka_unit_test(test_abc_object_headers_short_block_means_no_children),
        cmocka_unit_test(test_abc_object_group_count_zero),
        cmocka_unit_test(test_abc_object_group_not_ending_with_data),
        cmocka_unit_test(test_abc_object_group_first_slot_data),
        cmocka_unit_test(test_abc_object_group_lone_header_block),
        cmocka_unit_test(test_abc_object_child_slot_not_a_group),
        cmocka_unit_test(test_abc_object_child_group_past_eof),
        cmocka_unit_test(test_abc_object_child_points_at_itself),
        cmocka_unit_test(test_abc_object_child_points_at_ancestor),
        cmocka_unit_test(test_abc_object_child_shared_group_is_not_a_loop),
        cmocka_unit_test(test_abc_object_child_depth_limit),
        cmocka_unit_test(test_abc_object_unref_child_keeps_parent),
        cmocka_unit_test(test_abc_object_resolve_instance_spec_geom),
        cmocka_unit_test(test_abc_object_resolve_instance_not_instance),
        cmocka_unit_test(test_abc_object_resolve_instance_paths),
        cmocka_unit_test(test_abc_object_resolve_instance_missing_path),
        cmocka_unit_test(test_abc_object_resolve_instance_loop),
        cmocka_unit_test(test_abc_object_resolve_instance_ancestor),
        cmocka_unit_test(test_abc_object_instance_source_missing_property),
        cmocka_unit_test(test_abc_object_instance_source_wrong_type),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
