/*
 * test_ogawa_archive.c — the Ogawa container (ogawa/archive.c, error.c;
 * ogawa-format.md §1, ogawa.h): header checks, groups, data blocks,
 * ranged reads, statistics, and a file that shrinks after open.
 *
 * Each error path gets its own hand-built byte sequence (test_util.h), so
 * that a failure names exactly one check; the damaged corpus files of
 * tests/data/bad are opened too, to pin the code each one produces.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "ogawa.h"
#include "test_util.h"

/* ---- helpers ----------------------------------------------------------- */

/* Opens raw bytes as an archive; returns the code, *a set on success. */
static int
open_bytes(const void *p, size_t n, ogawa_archive **a, struct ogawa_err *err)
{
    char *path = tb_write_raw(p, n);
    int rc = ogawa_archive_open(path, a, err);
    tb_remove(path);                    /* the open fd keeps the file alive */
    return rc;
}

static int
open_buf(const struct tb_buf *f, ogawa_archive **a, struct ogawa_err *err)
{
    return open_bytes(f->p, f->len, a, err);
}

/* A 16-byte header with the given fields, followed by pad zero bytes. */
static int
open_header(const char *magic, uint8_t frozen, uint8_t v0, uint8_t v1, uint64_t root, size_t pad,
            ogawa_archive **a, struct ogawa_err *err)
{
    struct tb_buf f = { 0 };
    tb_bytes(&f, magic, 5);
    tb_u8(&f, frozen);
    tb_u8(&f, v0);
    tb_u8(&f, v1);
    tb_u64(&f, root);
    tb_fill(&f, 0, pad);
    int rc = open_buf(&f, a, err);
    tb_free(&f);
    return rc;
}

static int
open_corpus(const char *rel, struct ogawa_err *err)
{
    char *path = tb_data_path(rel);
    ogawa_archive *a = (ogawa_archive *)1;
    int rc = ogawa_archive_open(path, &a, err);
    free(path);
    if (rc)
        assert_null(a);
    ogawa_archive_close(a);
    return rc;
}

/* A valid file whose root group is the given slots (a bare container). */
static ogawa_archive *
open_valid(struct tb_buf *f)
{
    struct ogawa_err err = { 0 };
    ogawa_archive *a = NULL;
    assert_int_equal(open_buf(f, &a, &err), 0);
    assert_non_null(a);
    return a;
}

/* ---- header ------------------------------------------------------------ */

static void
test_ogawa_archive_open_valid_empty_abc(void **state)
{
    (void)state;
    char *path = tb_data_path("spec/empty.abc");
    struct ogawa_err err = { 0 };
    ogawa_archive *a = NULL;
    assert_int_equal(ogawa_archive_open(path, &a, &err), 0);
    assert_non_null(a);
    assert_int_equal(err.code, 0);
    /* §11.1: 262 bytes, root at 206. */
    assert_int_equal(ogawa_archive_size(a), 262);
    assert_int_equal(ogawa_archive_root(a), 206);
    assert_true(ogawa_archive_fd(a) >= 0);
    ogawa_archive_close(a);
    free(path);
}

static void
test_ogawa_archive_open_bad_magic(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    ogawa_archive *a = (ogawa_archive *)1;
    assert_int_equal(open_header("Ogawb", 0xFF, 0, 1, 16, 8, &a, &err), OGAWA_E_NOTOGAWA);
    assert_null(a);
    assert_int_equal(err.code, OGAWA_E_NOTOGAWA);
    assert_non_null(err.msg);
    assert_int_equal(open_header("ogawa", 0xFF, 0, 1, 16, 8, &a, &err), OGAWA_E_NOTOGAWA);
    assert_int_equal(open_corpus("bad/polymesh_badmagic.abc", &err), OGAWA_E_NOTOGAWA);
    assert_int_equal(open_corpus("bad/xform_zeroheader.abc", &err), OGAWA_E_NOTOGAWA);
    assert_int_equal(open_corpus("bad/not_alembic.abc", &err), OGAWA_E_NOTOGAWA);
}

static void
test_ogawa_archive_open_hdf5_magic(void **state)
{
    (void)state;
    static const uint8_t hdf5[16] = { 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n' };
    struct ogawa_err err = { 0 };
    ogawa_archive *a = (ogawa_archive *)1;
    assert_int_equal(open_bytes(hdf5, sizeof(hdf5), &a, &err), OGAWA_E_HDF5);
    assert_null(a);
    assert_int_equal(err.code, OGAWA_E_HDF5);
    /* Only four bytes are enough to recognise it. */
    assert_int_equal(open_bytes(hdf5, 4, &a, &err), OGAWA_E_HDF5);
    assert_int_equal(open_corpus("bad/hdf5_backend.abc", &err), OGAWA_E_HDF5);
    assert_int_equal(
        open_corpus("hdf5/ImageEngine__cortex__contrib__IECoreAlembic__test__IECoreAlembic__data__cube@82972c6b60.abc",
                    &err),
        OGAWA_E_HDF5);
}

static void
test_ogawa_archive_open_bad_version(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    ogawa_archive *a = (ogawa_archive *)1;
    assert_int_equal(open_header("Ogawa", 0xFF, 0, 2, 16, 8, &a, &err), OGAWA_E_VERSION);
    assert_null(a);
    assert_int_equal(err.off, 6);
    /* Version 1 little-endian is not version 1: it is big-endian (§1.1). */
    assert_int_equal(open_header("Ogawa", 0xFF, 1, 0, 16, 8, &a, &err), OGAWA_E_VERSION);
    assert_int_equal(open_header("Ogawa", 0xFF, 0, 0, 16, 8, &a, &err), OGAWA_E_VERSION);
    assert_int_equal(open_corpus("bad/badversion.abc", &err), OGAWA_E_VERSION);
}

static void
test_ogawa_archive_open_not_frozen(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    ogawa_archive *a = (ogawa_archive *)1;
    assert_int_equal(open_header("Ogawa", 0x00, 0, 1, 16, 8, &a, &err), OGAWA_E_NOTFROZEN);
    assert_null(a);
    assert_int_equal(err.off, 5);
    assert_int_equal(open_header("Ogawa", 0xFE, 0, 1, 16, 8, &a, &err), OGAWA_E_NOTFROZEN);
    /* A crashed writer's header: frozen 0 and root offset 0. */
    assert_int_equal(open_header("Ogawa", 0x00, 0, 1, 0, 8, &a, &err), OGAWA_E_NOTFROZEN);
    assert_int_equal(open_corpus("bad/unfrozen.abc", &err), OGAWA_E_NOTFROZEN);
}

static void
test_ogawa_archive_open_root_in_header(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    ogawa_archive *a = (ogawa_archive *)1;
    assert_int_equal(open_header("Ogawa", 0xFF, 0, 1, 0, 8, &a, &err), OGAWA_E_CORRUPT);
    assert_null(a);
    assert_int_equal(err.off, 8);
    tb_assert_msg(&err, "root group offset points into the header");
    assert_int_equal(open_header("Ogawa", 0xFF, 0, 1, 8, 8, &a, &err), OGAWA_E_CORRUPT);
    assert_int_equal(open_header("Ogawa", 0xFF, 0, 1, 15, 8, &a, &err), OGAWA_E_CORRUPT);
    assert_int_equal(open_corpus("bad/root_offset_zero.abc", &err), OGAWA_E_CORRUPT);
}

static void
test_ogawa_archive_open_root_past_eof(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    ogawa_archive *a = (ogawa_archive *)1;
    /* 24-byte file: a root at 16 fits its count, at 17 it does not. */
    assert_int_equal(open_header("Ogawa", 0xFF, 0, 1, 17, 8, &a, &err), OGAWA_E_CORRUPT);
    assert_null(a);
    tb_assert_msg(&err, "root group offset is past the end of the file");
    assert_int_equal(open_header("Ogawa", 0xFF, 0, 1, 24, 8, &a, &err), OGAWA_E_CORRUPT);
    assert_int_equal(open_header("Ogawa", 0xFF, 0, 1, 1000, 8, &a, &err), OGAWA_E_CORRUPT);
    assert_int_equal(open_header("Ogawa", 0xFF, 0, 1, 16, 8, &a, &err), 0);
    ogawa_archive_close(a);
    /* Header only: the root cannot be anywhere. */
    assert_int_equal(open_header("Ogawa", 0xFF, 0, 1, 16, 0, &a, &err), OGAWA_E_CORRUPT);
    assert_int_equal(open_corpus("bad/header_only.abc", &err), OGAWA_E_CORRUPT);
    assert_int_equal(open_corpus("bad/root_offset_past_eof.abc", &err), OGAWA_E_CORRUPT);
}

static void
test_ogawa_archive_open_root_huge(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    ogawa_archive *a = (ogawa_archive *)1;
    /* off + 8 overflows: the range check must not wrap. */
    assert_int_equal(open_header("Ogawa", 0xFF, 0, 1, UINT64_MAX, 8, &a, &err), OGAWA_E_CORRUPT);
    assert_null(a);
    tb_assert_msg(&err, "root group offset is past the end of the file");
    assert_int_equal(open_header("Ogawa", 0xFF, 0, 1, UINT64_MAX - 7, 8, &a, &err),
                     OGAWA_E_CORRUPT);
    assert_int_equal(open_header("Ogawa", 0xFF, 0, 1, 0x8000000000000010ULL, 8, &a, &err),
                     OGAWA_E_CORRUPT);
    assert_int_equal(open_corpus("bad/root_offset_huge.abc", &err), OGAWA_E_CORRUPT);
}

static void
test_ogawa_archive_open_empty_file(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    ogawa_archive *a = (ogawa_archive *)1;
    assert_int_equal(open_bytes("", 0, &a, &err), OGAWA_E_NOTOGAWA);
    assert_null(a);
    assert_int_equal(open_corpus("bad/empty_file.abc", &err), OGAWA_E_NOTOGAWA);
}

static void
test_ogawa_archive_open_short_file(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    ogawa_archive *a = (ogawa_archive *)1;
    /* Shorter than the magic: not Ogawa. */
    assert_int_equal(open_bytes("Oga", 3, &a, &err), OGAWA_E_NOTOGAWA);
    assert_null(a);
    /* The magic but not a whole header: corrupt. */
    assert_int_equal(open_bytes("Ogawa\xff\x00\x01", 8, &a, &err), OGAWA_E_CORRUPT);
    assert_null(a);
    tb_assert_msg(&err, "file too short for an Ogawa header");
    assert_int_equal(open_bytes("Ogawa\xff\x00\x01\x10\x00\x00\x00\x00\x00\x00", 15, &a, &err),
                     OGAWA_E_CORRUPT);
}

static void
test_ogawa_archive_open_missing_file(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    ogawa_archive *a = (ogawa_archive *)1;
    assert_int_equal(ogawa_archive_open("/nonexistent/abcfs/x.abc", &a, &err), OGAWA_E_IO);
    assert_null(a);
    assert_int_equal(err.code, OGAWA_E_IO);
    assert_int_equal(err.sys_errno, ENOENT);
}

static void
test_ogawa_archive_open_directory(void **state)
{
    (void)state;
    struct ogawa_err err = { 0 };
    ogawa_archive *a = (ogawa_archive *)1;
    assert_int_equal(ogawa_archive_open(TEST_DATA_DIR, &a, &err), OGAWA_E_IO);
    assert_null(a);
    assert_int_equal(err.sys_errno, EISDIR);
}

static void
test_ogawa_archive_open_fd_closes_on_failure(void **state)
{
    (void)state;
    char *path = tb_write_raw("Ogawb\xff\x00\x01\x10\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct ogawa_err err = { 0 };
    ogawa_archive *a = (ogawa_archive *)1;
    assert_int_equal(ogawa_archive_open_fd(fd, &a, &err), OGAWA_E_NOTOGAWA);
    assert_null(a);
    /* The fd was taken over and closed. */
    errno = 0;
    assert_int_equal(fcntl(fd, F_GETFD), -1);
    assert_int_equal(errno, EBADF);
    tb_remove(path);
}

static void
test_ogawa_archive_open_fd_valid(void **state)
{
    (void)state;
    char *path = tb_data_path("spec/props.abc");
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct ogawa_err err = { 0 };
    ogawa_archive *a = NULL;
    assert_int_equal(ogawa_archive_open_fd(fd, &a, &err), 0);
    assert_int_equal(ogawa_archive_fd(a), fd);
    assert_int_equal(ogawa_archive_size(a), 1169);     /* §11.4 */
    assert_int_equal(ogawa_archive_root(a), 1113);
    ogawa_archive_close(a);
    free(path);
}

static void
test_ogawa_archive_open_null_err(void **state)
{
    (void)state;
    ogawa_archive *a = (ogawa_archive *)1;
    assert_int_equal(open_header("Ogawb", 0xFF, 0, 1, 16, 8, &a, NULL), OGAWA_E_NOTOGAWA);
    assert_null(a);
    assert_int_equal(ogawa_archive_open("/nonexistent/abcfs/x.abc", &a, NULL), OGAWA_E_IO);
    ogawa_archive_close(NULL);
}

/* ---- groups ------------------------------------------------------------ */

static void
test_ogawa_group_read_empty_group(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    tb_set_root(&f, TB_GROUP(&f, OGAWA_EMPTY_GROUP));
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_group g = { 99, 99 };
    assert_int_equal(ogawa_group_read(a, 0, &g, &err), 0);
    assert_int_equal(g.off, 0);
    assert_int_equal(g.n_children, 0);
    uint64_t slot = 1;
    assert_int_equal(ogawa_group_child(a, &g, 0, &slot, &err), OGAWA_E_NOENT);
    assert_int_equal(ogawa_group_children(a, &g, 0, 0, &slot, &err), 0);
    ogawa_archive_close(a);
    tb_free(&f);
}

static void
test_ogawa_group_read_count_zero(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    tb_u64(&f, 0);                      /* a group block with n == 0 at 16 */
    tb_set_root(&f, 16);
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_group g;
    /* Read as a group with no children, as the C++ reader does (§1.3). */
    assert_int_equal(ogawa_group_read(a, 16, &g, &err), 0);
    assert_int_equal(g.n_children, 0);
    uint64_t slot;
    assert_int_equal(ogawa_group_child(a, &g, 0, &slot, &err), OGAWA_E_NOENT);
    ogawa_archive_close(a);
    tb_free(&f);
}

static void
test_ogawa_group_read_count_past_eof(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    tb_u64(&f, 3);                      /* claims 3 slots, has 2 */
    tb_u64(&f, OGAWA_EMPTY_DATA);
    tb_u64(&f, OGAWA_EMPTY_DATA);
    tb_set_root(&f, 16);
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_group g = { 99, 99 };
    assert_int_equal(ogawa_group_read(a, 16, &g, &err), OGAWA_E_CORRUPT);
    assert_int_equal(err.off, 16);
    tb_assert_msg(&err, "group child count passes the end of the file");
    assert_int_equal(g.off, 0);
    assert_int_equal(g.n_children, 0);
    ogawa_archive_close(a);

    /* Exactly fitting is fine. */
    tb_patch_u64(&f, 16, 2);
    a = open_valid(&f);
    assert_int_equal(ogawa_group_read(a, 16, &g, &err), 0);
    assert_int_equal(g.n_children, 2);
    ogawa_archive_close(a);

    /* Counts whose byte size overflows 64 bits. */
    tb_patch_u64(&f, 16, UINT64_MAX);
    a = open_valid(&f);
    assert_int_equal(ogawa_group_read(a, 16, &g, &err), OGAWA_E_CORRUPT);
    ogawa_archive_close(a);
    tb_patch_u64(&f, 16, 0x2000000000000001ULL);
    a = open_valid(&f);
    assert_int_equal(ogawa_group_read(a, 16, &g, &err), OGAWA_E_CORRUPT);
    ogawa_archive_close(a);
    tb_free(&f);
}

static void
test_ogawa_group_read_bad_offset(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    uint64_t root = TB_GROUP(&f, OGAWA_EMPTY_DATA);
    tb_set_root(&f, root);
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_group g;
    assert_int_equal(ogawa_group_read(a, 8, &g, &err), OGAWA_E_CORRUPT);      /* in header */
    tb_assert_msg(&err, "group offset points into the header");
    assert_int_equal(ogawa_group_read(a, 1, &g, &err), OGAWA_E_CORRUPT);
    assert_int_equal(ogawa_group_read(a, f.len, &g, &err), OGAWA_E_CORRUPT);  /* at EOF */
    tb_assert_msg(&err, "group offset is past the end of the file");
    assert_int_equal(ogawa_group_read(a, f.len - 7, &g, &err), OGAWA_E_CORRUPT);
    assert_int_equal(ogawa_group_read(a, UINT64_MAX - 3, &g, &err), OGAWA_E_CORRUPT);
    assert_int_equal(ogawa_group_read(a, root, &g, &err), 0);
    assert_int_equal(g.off, root);
    assert_int_equal(g.n_children, 1);
    ogawa_archive_close(a);
    tb_free(&f);
}

static void
test_ogawa_group_child_self_reference(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    /* Group at 16 whose second slot is itself. */
    uint64_t root = TB_GROUP(&f, OGAWA_EMPTY_DATA, 16, OGAWA_EMPTY_GROUP);
    assert_int_equal(root, 16);
    tb_set_root(&f, root);
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_group g;
    uint64_t slot, slots[3];
    assert_int_equal(ogawa_group_read(a, root, &g, &err), 0);
    assert_int_equal(ogawa_group_child(a, &g, 0, &slot, &err), 0);
    assert_int_equal(slot, OGAWA_EMPTY_DATA);
    assert_int_equal(ogawa_group_child(a, &g, 1, &slot, &err), OGAWA_E_DEPTH);
    assert_int_equal(err.code, OGAWA_E_DEPTH);
    assert_int_equal(err.off, 16);
    tb_assert_msg(&err, "group lists itself as a child");
    assert_int_equal(ogawa_group_child(a, &g, 2, &slot, &err), 0);
    assert_int_equal(slot, OGAWA_EMPTY_GROUP);
    assert_int_equal(ogawa_group_children(a, &g, 0, 3, slots, &err), OGAWA_E_DEPTH);
    ogawa_archive_close(a);
    tb_free(&f);
}

static void
test_ogawa_group_child_data_slot_at_own_offset(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    /* A *data* slot with the group's own offset is no loop (bit 63 set). */
    uint64_t root = TB_GROUP(&f, 16 | OGAWA_SLOT_DATA_BIT);
    tb_set_root(&f, root);
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_group g;
    uint64_t slot;
    assert_int_equal(ogawa_group_read(a, root, &g, &err), 0);
    assert_int_equal(ogawa_group_child(a, &g, 0, &slot, &err), 0);
    assert_true(ogawa_slot_is_data(slot));
    assert_int_equal(ogawa_slot_offset(slot), 16);
    ogawa_archive_close(a);
    tb_free(&f);
}

static void
test_ogawa_group_child_index_out_of_range(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    uint64_t root = TB_GROUP(&f, OGAWA_EMPTY_DATA, OGAWA_EMPTY_GROUP);
    tb_set_root(&f, root);
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_group g;
    uint64_t slot;
    assert_int_equal(ogawa_group_read(a, root, &g, &err), 0);
    assert_int_equal(ogawa_group_child(a, &g, 2, &slot, &err), OGAWA_E_NOENT);
    assert_int_equal(err.code, OGAWA_E_NOENT);
    assert_int_equal(ogawa_group_child(a, &g, UINT64_MAX, &slot, &err), OGAWA_E_NOENT);
    assert_int_equal(ogawa_group_child(a, &g, 1, &slot, &err), 0);
    ogawa_archive_close(a);
    tb_free(&f);
}

static void
test_ogawa_group_children_bulk_read(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    uint64_t d1 = tb_data(&f, "abc", 3);
    uint64_t d2 = tb_data(&f, "de", 2);
    uint64_t sub = TB_GROUP(&f, d1);
    uint64_t root = TB_GROUP(&f, d1, d2, sub, OGAWA_EMPTY_DATA, OGAWA_EMPTY_GROUP);
    tb_set_root(&f, root);
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_group g;
    uint64_t slots[5] = { 0 };
    assert_int_equal(ogawa_group_read(a, root, &g, &err), 0);
    assert_int_equal(g.n_children, 5);
    assert_int_equal(ogawa_group_children(a, &g, 0, 5, slots, &err), 0);
    assert_int_equal(slots[0], d1);
    assert_int_equal(slots[1], d2);
    assert_int_equal(slots[2], sub);
    assert_int_equal(slots[3], OGAWA_EMPTY_DATA);
    assert_int_equal(slots[4], OGAWA_EMPTY_GROUP);
    memset(slots, 0, sizeof(slots));
    assert_int_equal(ogawa_group_children(a, &g, 2, 3, slots, &err), 0);
    assert_int_equal(slots[0], sub);
    assert_int_equal(slots[2], OGAWA_EMPTY_GROUP);
    /* Ranges past the count, including ones that overflow first + n. */
    assert_int_equal(ogawa_group_children(a, &g, 3, 3, slots, &err), OGAWA_E_NOENT);
    assert_int_equal(ogawa_group_children(a, &g, 6, 0, slots, &err), OGAWA_E_NOENT);
    assert_int_equal(ogawa_group_children(a, &g, 1, UINT64_MAX, slots, &err), OGAWA_E_NOENT);
    assert_int_equal(ogawa_group_children(a, &g, UINT64_MAX, 2, slots, &err), OGAWA_E_NOENT);
    assert_int_equal(ogawa_group_children(a, &g, 5, 0, slots, &err), 0);
    /* And the sub-group and data blocks it leads to. */
    struct ogawa_group sg;
    struct ogawa_data d;
    uint64_t slot;
    assert_int_equal(ogawa_group_read(a, sub, &sg, &err), 0);
    assert_int_equal(sg.n_children, 1);
    assert_int_equal(ogawa_group_child(a, &sg, 0, &slot, &err), 0);
    assert_int_equal(ogawa_data_read(a, slot, &d, &err), 0);
    assert_int_equal(d.len, 3);
    ogawa_archive_close(a);
    tb_free(&f);
}

/* ---- data -------------------------------------------------------------- */

static void
test_ogawa_data_read_empty_data(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    tb_set_root(&f, TB_GROUP(&f, OGAWA_EMPTY_DATA));
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_data d = { 99, 99 };
    uint8_t *buf = NULL;
    assert_int_equal(ogawa_data_read(a, OGAWA_EMPTY_DATA, &d, &err), 0);
    assert_int_equal(d.off, 0);
    assert_int_equal(d.len, 0);
    assert_int_equal(ogawa_data_payload(&d), 0);
    assert_int_equal(ogawa_data_load(a, &d, 0, &buf, &err), 0);
    assert_non_null(buf);
    assert_int_equal(buf[0], 0);
    free(buf);
    ogawa_archive_close(a);
    tb_free(&f);
}

static void
test_ogawa_data_read_valid_block(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    uint64_t s = tb_data(&f, "hello", 5);
    tb_set_root(&f, TB_GROUP(&f, s));
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_data d;
    uint8_t *buf = NULL;
    assert_int_equal(ogawa_data_read(a, s, &d, &err), 0);
    assert_int_equal(d.off, 16);
    assert_int_equal(d.len, 5);
    assert_int_equal(ogawa_data_payload(&d), 24);
    assert_int_equal(ogawa_data_load(a, &d, UINT64_MAX, &buf, &err), 0);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(buf[5], 0);        /* the NUL the loader appends */
    free(buf);
    ogawa_archive_close(a);
    tb_free(&f);
}

static void
test_ogawa_data_read_size_past_eof(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    uint64_t s = tb_data(&f, "hello", 5);
    tb_set_root(&f, TB_GROUP(&f, s));
    /* The block at 16 claims to run past the end of the file. */
    tb_patch_u64(&f, 16, f.len - 16 - 8 + 1);
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_data d = { 99, 99 };
    assert_int_equal(ogawa_data_read(a, s, &d, &err), OGAWA_E_CORRUPT);
    assert_int_equal(err.off, 16);
    tb_assert_msg(&err, "data block size passes the end of the file");
    assert_int_equal(d.off, 0);
    assert_int_equal(d.len, 0);
    ogawa_archive_close(a);
    /* Exactly to the end of the file is fine. */
    tb_patch_u64(&f, 16, f.len - 16 - 8);
    a = open_valid(&f);
    assert_int_equal(ogawa_data_read(a, s, &d, &err), 0);
    ogawa_archive_close(a);
    /* Huge sizes must not wrap the check. */
    tb_patch_u64(&f, 16, UINT64_MAX);
    a = open_valid(&f);
    assert_int_equal(ogawa_data_read(a, s, &d, &err), OGAWA_E_CORRUPT);
    ogawa_archive_close(a);
    tb_patch_u64(&f, 16, UINT64_MAX - 20);
    a = open_valid(&f);
    assert_int_equal(ogawa_data_read(a, s, &d, &err), OGAWA_E_CORRUPT);
    ogawa_archive_close(a);
    tb_free(&f);
}

static void
test_ogawa_data_read_group_slot(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    uint64_t s = tb_data(&f, "x", 1);
    uint64_t root = TB_GROUP(&f, s);
    tb_set_root(&f, root);
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_data d;
    assert_int_equal(ogawa_data_read(a, root, &d, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "expected a data block, found a group");
    assert_int_equal(ogawa_data_read(a, OGAWA_EMPTY_GROUP, &d, &err), OGAWA_E_CORRUPT);
    assert_int_equal(ogawa_data_read(a, ogawa_slot_offset(s), &d, &err), OGAWA_E_CORRUPT);
    ogawa_archive_close(a);
    tb_free(&f);
}

static void
test_ogawa_data_read_offset_in_header(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    tb_set_root(&f, TB_GROUP(&f, OGAWA_EMPTY_DATA));
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_data d;
    for (uint64_t off = 1; off < OGAWA_HEADER_LEN; off++) {
        assert_int_equal(ogawa_data_read(a, off | OGAWA_SLOT_DATA_BIT, &d, &err), OGAWA_E_CORRUPT);
        assert_int_equal(err.off, off);
        tb_assert_msg(&err, "data block offset points into the header");
    }
    /* And offsets past the end of the file. */
    assert_int_equal(ogawa_data_read(a, f.len | OGAWA_SLOT_DATA_BIT, &d, &err), OGAWA_E_CORRUPT);
    tb_assert_msg(&err, "data block offset is past the end of the file");
    assert_int_equal(ogawa_data_read(a, (f.len - 4) | OGAWA_SLOT_DATA_BIT, &d, &err),
                     OGAWA_E_CORRUPT);
    assert_int_equal(ogawa_data_read(a, UINT64_MAX, &d, &err), OGAWA_E_CORRUPT);
    ogawa_archive_close(a);
    tb_free(&f);
}

static void
test_ogawa_data_load_bound(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    uint64_t s = tb_data(&f, "0123456789", 10);
    tb_set_root(&f, TB_GROUP(&f, s));
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_data d;
    uint8_t *buf = (uint8_t *)1;
    assert_int_equal(ogawa_data_read(a, s, &d, &err), 0);
    assert_int_equal(ogawa_data_load(a, &d, 9, &buf, &err), OGAWA_E_CORRUPT);
    assert_null(buf);
    assert_int_equal(err.off, 16);
    tb_assert_msg(&err, "data block is larger than its kind allows");
    assert_int_equal(ogawa_data_load(a, &d, 0, &buf, &err), OGAWA_E_CORRUPT);
    assert_int_equal(ogawa_data_load(a, &d, 10, &buf, &err), 0);
    assert_memory_equal(buf, "0123456789", 11);
    free(buf);
    /* A forged descriptor past the end is caught by the ranged read. */
    struct ogawa_data bad = { f.len - 8, 100 };
    assert_int_equal(ogawa_data_load(a, &bad, UINT64_MAX, &buf, &err), OGAWA_E_CORRUPT);
    assert_null(buf);
    ogawa_archive_close(a);
    tb_free(&f);
}

/* ---- ranged reads and statistics ---------------------------------------- */

static void
test_ogawa_archive_read_past_eof(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    tb_set_root(&f, TB_GROUP(&f, OGAWA_EMPTY_DATA));   /* 32 bytes */
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    uint8_t buf[64];
    assert_int_equal(ogawa_archive_read(a, 0, buf, 32, &err), 0);
    assert_memory_equal(buf, "Ogawa\xff\x00\x01", 8);
    assert_int_equal(ogawa_archive_read(a, 0, buf, 33, &err), OGAWA_E_CORRUPT);
    assert_int_equal(ogawa_archive_read(a, 31, buf, 2, &err), OGAWA_E_CORRUPT);
    assert_int_equal(err.off, 31);
    tb_assert_msg(&err, "read past the end of the archive");
    assert_int_equal(ogawa_archive_read(a, 33, buf, 0, &err), OGAWA_E_CORRUPT);
    assert_int_equal(ogawa_archive_read(a, 32, buf, 0, &err), 0);
    assert_int_equal(ogawa_archive_read(a, UINT64_MAX, buf, 2, &err), OGAWA_E_CORRUPT);
    assert_int_equal(ogawa_archive_read(a, 8, buf, UINT64_MAX - 4, &err), OGAWA_E_CORRUPT);
    ogawa_archive_close(a);
    tb_free(&f);
}

static void
test_ogawa_archive_stats_counts_reads(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    uint64_t s = tb_data(&f, "0123456789", 10);
    uint64_t root = TB_GROUP(&f, s, OGAWA_EMPTY_DATA, OGAWA_EMPTY_GROUP);
    tb_set_root(&f, root);
    ogawa_archive *a = open_valid(&f);
    struct ogawa_err err = { 0 };
    struct ogawa_stats st;
    ogawa_archive_stats(a, &st);
    assert_int_equal(st.reads, 1);      /* the header only */
    assert_int_equal(st.bytes_read, 16);

    struct ogawa_group g;
    assert_int_equal(ogawa_group_read(a, root, &g, &err), 0);
    ogawa_archive_stats(a, &st);
    assert_int_equal(st.reads, 2);
    assert_int_equal(st.bytes_read, 24);

    uint64_t slots[3];
    assert_int_equal(ogawa_group_children(a, &g, 0, 3, slots, &err), 0);
    ogawa_archive_stats(a, &st);
    assert_int_equal(st.reads, 3);      /* one pread for all three slots */
    assert_int_equal(st.bytes_read, 48);

    struct ogawa_data d;
    uint8_t *buf;
    assert_int_equal(ogawa_data_read(a, s, &d, &err), 0);
    assert_int_equal(ogawa_data_load(a, &d, UINT64_MAX, &buf, &err), 0);
    free(buf);
    ogawa_archive_stats(a, &st);
    assert_int_equal(st.reads, 5);
    assert_int_equal(st.bytes_read, 66);

    /* Empty blocks, empty groups and refused ranges read nothing. */
    assert_int_equal(ogawa_data_read(a, OGAWA_EMPTY_DATA, &d, &err), 0);
    assert_int_equal(ogawa_group_read(a, 0, &g, &err), 0);
    assert_int_equal(ogawa_archive_read(a, f.len, buf, 0, &err), 0);
    assert_int_equal(ogawa_archive_read(a, f.len, slots, 1, &err), OGAWA_E_CORRUPT);
    assert_int_equal(ogawa_data_read(a, 8 | OGAWA_SLOT_DATA_BIT, &d, &err), OGAWA_E_CORRUPT);
    ogawa_archive_stats(a, &st);
    assert_int_equal(st.reads, 5);
    assert_int_equal(st.bytes_read, 66);
    ogawa_archive_close(a);
    tb_free(&f);
}

/* ---- the file shrinks after open (issue 5) ------------------------------- */

static void
test_ogawa_archive_read_truncated_after_open(void **state)
{
    (void)state;
    struct tb_buf f = { 0 };
    tb_file_init(&f);
    uint64_t s = tb_data(&f, "0123456789", 10);
    uint64_t sub = TB_GROUP(&f, s, s);
    uint64_t root = TB_GROUP(&f, s, sub);
    tb_set_root(&f, root);
    char *path = tb_write(&f);
    struct ogawa_err err = { 0 };
    ogawa_archive *a = NULL;
    assert_int_equal(ogawa_archive_open(path, &a, &err), 0);
    struct ogawa_group g;
    struct ogawa_data d;
    assert_int_equal(ogawa_group_read(a, root, &g, &err), 0);
    assert_int_equal(ogawa_data_read(a, s, &d, &err), 0);

    /* Cut the file to its header: every later read comes up short. */
    assert_int_equal(truncate(path, 16), 0);
    assert_int_equal(ogawa_archive_size(a), f.len);     /* the size seen at open */

    uint8_t *buf = (uint8_t *)1;
    memset(&err, 0, sizeof(err));
    assert_int_equal(ogawa_data_load(a, &d, UINT64_MAX, &buf, &err), OGAWA_E_IO);
    assert_null(buf);
    assert_int_equal(err.code, OGAWA_E_IO);
    assert_int_equal(err.sys_errno, EIO);
    tb_assert_msg(&err, "archive is shorter than when it was opened");
    assert_int_equal(ogawa_group_read(a, sub, &g, &err), OGAWA_E_IO);
    assert_int_equal(ogawa_data_read(a, s, &d, &err), OGAWA_E_IO);
    struct ogawa_group rg = { root, 2 };
    uint64_t slots[2];
    assert_int_equal(ogawa_group_children(a, &rg, 0, 2, slots, &err), OGAWA_E_IO);
    uint8_t raw[8];
    assert_int_equal(ogawa_archive_read(a, 20, raw, 8, &err), OGAWA_E_IO);
    /* A read that ends inside what is left still works. */
    assert_int_equal(ogawa_archive_read(a, 0, raw, 8, &err), 0);

    /* Cut in the middle of a block: a partial read is still an error. */
    assert_int_equal(truncate(path, 30), 0);
    assert_int_equal(ogawa_archive_read(a, 24, raw, 8, &err), OGAWA_E_IO);
    char msg[256];
    ogawa_err_format(&err, msg, sizeof(msg));
    assert_non_null(strstr(msg, strerror(EIO)));

    ogawa_archive_close(a);
    tb_remove(path);
    tb_free(&f);
}

/* ---- error values ------------------------------------------------------- */

static void
test_ogawa_strerror_every_code(void **state)
{
    (void)state;
    const int codes[] = { OGAWA_OK, OGAWA_E_NOTOGAWA, OGAWA_E_VERSION, OGAWA_E_NOTFROZEN,
                          OGAWA_E_HDF5, OGAWA_E_CORRUPT, OGAWA_E_DEPTH, OGAWA_E_IO,
                          OGAWA_E_NOMEM, OGAWA_E_NOENT, OGAWA_E_INVAL };
    const size_t n = sizeof(codes) / sizeof(codes[0]);
    for (size_t i = 0; i < n; i++) {
        const char *s = ogawa_strerror(codes[i]);
        assert_non_null(s);
        assert_string_not_equal(s, "unknown error");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, ogawa_strerror(codes[j]));
    }
    assert_string_equal(ogawa_strerror(-99), "unknown error");
    assert_string_equal(ogawa_strerror(1), "unknown error");
}

static void
test_ogawa_fail_fills_err(void **state)
{
    (void)state;
    struct ogawa_err err = { 0, 0, NULL, 42 };
    assert_int_equal(ogawa_fail(&err, OGAWA_E_CORRUPT, 1234, "bad block"), OGAWA_E_CORRUPT);
    assert_int_equal(err.code, OGAWA_E_CORRUPT);
    assert_int_equal(err.off, 1234);
    assert_string_equal(err.msg, "bad block");
    assert_int_equal(err.sys_errno, 0);
    assert_int_equal(OGAWA_CORRUPT(NULL, 1, "x"), OGAWA_E_CORRUPT);
    assert_int_equal(ogawa_fail(NULL, OGAWA_E_NOENT, 0, NULL), OGAWA_E_NOENT);
}

static void
test_ogawa_err_format_each_shape(void **state)
{
    (void)state;
    char buf[256];
    struct ogawa_err err = { 0 };
    ogawa_err_format(&err, buf, sizeof(buf));
    assert_string_equal(buf, "no error");
    ogawa_err_format(NULL, buf, sizeof(buf));
    assert_string_equal(buf, "no error");

    ogawa_fail(&err, OGAWA_E_CORRUPT, 1234, "bad block");
    ogawa_err_format(&err, buf, sizeof(buf));
    assert_string_equal(buf, "corrupt archive: bad block at offset 1234");
    ogawa_fail(&err, OGAWA_E_DEPTH, 0, "loop");
    ogawa_err_format(&err, buf, sizeof(buf));
    assert_string_equal(buf, "archive structure loops or nests too deep: loop");
    ogawa_fail(&err, OGAWA_E_NOTOGAWA, 0, "no magic");
    ogawa_err_format(&err, buf, sizeof(buf));
    assert_string_equal(buf, "no magic");
    ogawa_fail(&err, OGAWA_E_IO, 0, "cannot read");
    err.sys_errno = ENOENT;
    ogawa_err_format(&err, buf, sizeof(buf));
    assert_true(strncmp(buf, "cannot read: ", 13) == 0);
    ogawa_fail(&err, OGAWA_E_NOENT, 0, NULL);
    ogawa_err_format(&err, buf, sizeof(buf));
    assert_string_equal(buf, ogawa_strerror(OGAWA_E_NOENT));
    /* Truncation to the buffer, and a zero-length buffer, are safe. */
    ogawa_fail(&err, OGAWA_E_CORRUPT, 1234, "bad block");
    ogawa_err_format(&err, buf, 8);
    assert_int_equal(strlen(buf), 7);
    ogawa_err_format(&err, buf, 0);
    ogawa_err_format(&err, NULL, 10);
}

static void
test_ogawa_slot_is_data_and_range_ok(void **state)
{
    (void)state;
    assert_false(ogawa_slot_is_data(OGAWA_EMPTY_GROUP));
    assert_true(ogawa_slot_is_data(OGAWA_EMPTY_DATA));
    assert_int_equal(ogawa_slot_offset(OGAWA_EMPTY_DATA), 0);
    assert_int_equal(ogawa_slot_offset(0x8000000000000028ULL), 40);
    assert_true(ogawa_range_ok(0, 10, 10));
    assert_false(ogawa_range_ok(1, 10, 10));
    assert_false(ogawa_range_ok(11, 0, 10));
    assert_false(ogawa_range_ok(5, UINT64_MAX, 10));
    assert_false(ogawa_range_ok(UINT64_MAX, 1, UINT64_MAX));
    assert_true(ogawa_range_ok(UINT64_MAX, 0, UINT64_MAX));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ogawa_archive_open_valid_empty_abc),
        cmocka_unit_test(test_ogawa_archive_open_bad_magic),
        cmocka_unit_test(test_ogawa_archive_open_hdf5_magic),
        cmocka_unit_test(test_ogawa_archive_open_bad_version),
        cmocka_unit_test(test_ogawa_archive_open_not_frozen),
        cmocka_unit_test(test_ogawa_archive_open_root_in_header),
        cmocka_unit_test(test_ogawa_archive_open_root_past_eof),
        cmocka_unit_test(test_ogawa_archive_open_root_huge),
        cmocka_unit_test(test_ogawa_archive_open_empty_file),
        cmocka_unit_test(test_ogawa_archive_open_short_file),
        cmocka_unit_test(test_ogawa_archive_open_missing_file),
        cmocka_unit_test(test_ogawa_archive_open_directory),
        cmocka_unit_test(test_ogawa_archive_open_fd_closes_on_failure),
        cmocka_unit_test(test_ogawa_archive_open_fd_valid),
        cmocka_unit_test(test_ogawa_archive_open_null_err),
        cmocka_unit_test(test_ogawa_group_read_empty_group),
        cmocka_unit_test(test_ogawa_group_read_count_zero),
        cmocka_unit_test(test_ogawa_group_read_count_past_eof),
        cmocka_unit_test(test_ogawa_group_read_bad_offset),
        cmocka_unit_test(test_ogawa_group_child_self_reference),
        cmocka_unit_test(test_ogawa_group_child_data_slot_at_own_offset),
        cmocka_unit_test(test_ogawa_group_child_index_out_of_range),
        cmocka_unit_test(test_ogawa_group_children_bulk_read),
        cmocka_unit_test(test_ogawa_data_read_empty_data),
        cmocka_unit_test(test_ogawa_data_read_valid_block),
        cmocka_unit_test(test_ogawa_data_read_size_past_eof),
        cmocka_unit_test(test_ogawa_data_read_group_slot),
        cmocka_unit_test(test_ogawa_data_read_offset_in_header),
        cmocka_unit_test(test_ogawa_data_load_bound),
        cmocka_unit_test(test_ogawa_archive_read_past_eof),
        cmocka_unit_test(test_ogawa_archive_stats_counts_reads),
        cmocka_unit_test(test_ogawa_archive_read_truncated_after_open),
        cmocka_unit_test(test_ogawa_strerror_every_code),
        cmocka_unit_test(test_ogawa_fail_fills_err),
        cmocka_unit_test(test_ogawa_err_format_each_shape),
        cmocka_unit_test(test_ogawa_slot_is_data_and_range_ok),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
