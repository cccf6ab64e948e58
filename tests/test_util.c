/*
 * test_util.c — the byte builder of test_util.h.
 *
 * Allocation failures abort the test run (they are not what these tests
 * are about); temporary files go to $TMPDIR (or /tmp) and are removed by
 * the test that made them.
 */
#include "test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void
tb_reserve(struct tb_buf *b, size_t n)
{
    if (b->len + n <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        abort();
    b->p = p;
    b->cap = cap;
}

void
tb_bytes(struct tb_buf *b, const void *p, size_t n)
{
    tb_reserve(b, n);
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

void
tb_u8(struct tb_buf *b, uint8_t v)
{
    tb_bytes(b, &v, 1);
}

void
tb_u16(struct tb_buf *b, uint16_t v)
{
    uint8_t raw[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    tb_bytes(b, raw, 2);
}

void
tb_u32(struct tb_buf *b, uint32_t v)
{
    uint8_t raw[4];
    for (int i = 0; i < 4; i++)
        raw[i] = (uint8_t)(v >> (8 * i));
    tb_bytes(b, raw, 4);
}

void
tb_u64(struct tb_buf *b, uint64_t v)
{
    uint8_t raw[8];
    for (int i = 0; i < 8; i++)
        raw[i] = (uint8_t)(v >> (8 * i));
    tb_bytes(b, raw, 8);
}

void
tb_f64(struct tb_buf *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    tb_u64(b, bits);
}

void
tb_str(struct tb_buf *b, const char *s)
{
    tb_bytes(b, s, strlen(s));
}

void
tb_fill(struct tb_buf *b, uint8_t v, size_t n)
{
    tb_reserve(b, n);
    if (n)
        memset(b->p + b->len, v, n);
    b->len += n;
}

void
tb_hinted(struct tb_buf *b, unsigned hint, uint32_t v)
{
    if (hint == 0)
        tb_u8(b, (uint8_t)v);
    else if (hint == 1)
        tb_u16(b, (uint16_t)v);
    else
        tb_u32(b, v);
}

void
tb_free(struct tb_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void
tb_file_init(struct tb_buf *f)
{
    static const uint8_t header[16] = { 'O', 'g', 'a', 'w', 'a', 0xFF, 0x00, 0x01 };
    f->len = 0;
    tb_bytes(f, header, sizeof(header));
}

uint64_t
tb_data(struct tb_buf *f, const void *p, size_t n)
{
    if (n == 0)
        return OGAWA_EMPTY_DATA;
    uint64_t off = f->len;
    tb_u64(f, n);
    tb_bytes(f, p, n);
    return off | OGAWA_SLOT_DATA_BIT;
}

uint64_t
tb_data_buf(struct tb_buf *f, const struct tb_buf *blob)
{
    return tb_data(f, blob->p, blob->len);
}

uint64_t
tb_group(struct tb_buf *f, size_t n, const uint64_t *slots)
{
    if (n == 0)
        return OGAWA_EMPTY_GROUP;
    uint64_t off = f->len;
    tb_u64(f, n);
    for (size_t i = 0; i < n; i++)
        tb_u64(f, slots[i]);
    return off;
}

void
tb_patch(struct tb_buf *f, size_t off, const void *p, size_t n)
{
    if (off + n > f->len)
        abort();
    memcpy(f->p + off, p, n);
}

void
tb_patch_u64(struct tb_buf *f, size_t off, uint64_t v)
{
    uint8_t raw[8];
    for (int i = 0; i < 8; i++)
        raw[i] = (uint8_t)(v >> (8 * i));
    tb_patch(f, off, raw, 8);
}

void
tb_set_root(struct tb_buf *f, uint64_t off)
{
    tb_patch_u64(f, 8, off);
}

char *
tb_write_raw(const void *p, size_t n)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    size_t len = strlen(dir) + 32;
    char *path = malloc(len);
    if (!path)
        abort();
    snprintf(path, len, "%s/abcfs-test-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0)
        abort();
    const uint8_t *q = p;
    while (n > 0) {
        ssize_t got = write(fd, q, n);
        if (got <= 0)
            abort();
        q += got;
        n -= (size_t)got;
    }
    close(fd);
    return path;
}

char *
tb_write(const struct tb_buf *f)
{
    return tb_write_raw(f->p, f->len);
}

void
tb_remove(char *path)
{
    if (!path)
        return;
    unlink(path);
    free(path);
}

void
tb_assert_msg(const struct ogawa_err *err, const char *part)
{
    if (!err->msg || !strstr(err->msg, part)) {
        print_error("error message \"%s\" does not contain \"%s\"\n",
                    err->msg ? err->msg : "(null)", part);
        fail();
    }
}

char *
tb_data_path(const char *rel)
{
    size_t n = strlen(TEST_DATA_DIR) + 1 + strlen(rel) + 1;
    char *p = malloc(n);
    if (!p)
        abort();
    snprintf(p, n, "%s/%s", TEST_DATA_DIR, rel);
    return p;
}

void
tb_abc_ts(struct tb_buf *table, uint32_t max_samples, double tpc, uint32_t n_times,
          const double *times)
{
    tb_u32(table, max_samples);
    tb_f64(table, tpc);
    tb_u32(table, n_times);
    for (uint32_t i = 0; i < n_times; i++)
        tb_f64(table, times[i]);
}

uint64_t
tb_abc_finish(struct tb_buf *f, uint64_t top, const char *md, const struct tb_buf *ts,
              const struct tb_buf *idx)
{
    struct tb_buf v = { 0 };
    tb_u32(&v, 0);
    uint64_t s0 = tb_data_buf(f, &v);
    v.len = 0;
    tb_u32(&v, 10812);
    uint64_t s1 = tb_data_buf(f, &v);
    tb_free(&v);
    uint64_t s3 = md ? tb_data(f, md, strlen(md)) : OGAWA_EMPTY_DATA;
    uint64_t s4;
    if (ts) {
        s4 = tb_data_buf(f, ts);
    } else {
        struct tb_buf t = { 0 };
        double zero = 0.0;
        tb_abc_ts(&t, 0, 1.0, 1, &zero);
        s4 = tb_data_buf(f, &t);
        tb_free(&t);
    }
    uint64_t s5 = idx ? tb_data_buf(f, idx) : OGAWA_EMPTY_DATA;
    uint64_t root = TB_GROUP(f, s0, s1, top, s3, s4, s5);
    tb_set_root(f, root);
    return root;
}

void
tb_abc_objhdr(struct tb_buf *blob, const char *name, uint8_t meta_idx, const char *meta)
{
    tb_u32(blob, (uint32_t)strlen(name));
    tb_str(blob, name);
    tb_u8(blob, meta_idx);
    if (meta_idx == 255) {
        tb_u32(blob, (uint32_t)strlen(meta));
        tb_str(blob, meta);
    }
}

void
tb_abc_hashes(struct tb_buf *blob)
{
    tb_fill(blob, 0, 32);
}

uint32_t
tb_abc_prop_info(const struct tb_prop *p)
{
    uint32_t info = (p->type & 3u) | (p->hint & 3u) << 2 | (uint32_t)p->meta_idx << 20;
    if (p->type != 0) {
        info |= (p->pod & 0xFu) << 4 | (p->extent & 0xFFu) << 12;
        if (p->has_ts)
            info |= 0x0100;
        if (p->first_last)
            info |= 0x0200;
        if (p->constant)
            info |= 0x0800;
    }
    if (p->homogenous)
        info |= 0x0400;
    return info;
}

void
tb_abc_prop(struct tb_buf *blob, const struct tb_prop *p)
{
    tb_u32(blob, tb_abc_prop_info(p));
    if (p->type != 0) {
        tb_hinted(blob, p->hint, p->num_samples);
        if (p->first_last) {
            tb_hinted(blob, p->hint, p->first);
            tb_hinted(blob, p->hint, p->last);
        }
        if (p->has_ts)
            tb_hinted(blob, p->hint, p->ts);
    }
    uint32_t name_len = p->name_len ? p->name_len : (uint32_t)strlen(p->name);
    tb_hinted(blob, p->hint, name_len);
    tb_bytes(blob, p->name, strlen(p->name));
    if (p->meta_idx == 255) {
        tb_hinted(blob, p->hint, (uint32_t)strlen(p->meta));
        tb_str(blob, p->meta);
    }
}

uint64_t
tb_abc_sample(struct tb_buf *f, const void *payload, size_t n)
{
    struct tb_buf b = { 0 };
    tb_fill(&b, 0, 16);
    tb_bytes(&b, payload, n);
    uint64_t slot = tb_data_buf(f, &b);
    tb_free(&b);
    return slot;
}

void
tb_abc_one_object(struct tb_buf *f, uint64_t compound, const struct tb_buf *ts,
                  const struct tb_buf *idx)
{
    struct tb_buf h = { 0 };
    tb_abc_hashes(&h);
    uint64_t o = TB_GROUP(f, compound, tb_data_buf(f, &h));
    h.len = 0;
    tb_abc_objhdr(&h, "o", 0, NULL);
    tb_abc_hashes(&h);
    uint64_t top = TB_GROUP(f, OGAWA_EMPTY_GROUP, o, tb_data_buf(f, &h));
    tb_free(&h);
    tb_abc_finish(f, top, NULL, ts, idx);
}

void
tb_open_props(const char *path, abc_archive **a, abc_object **o, abc_compound **c)
{
    struct ogawa_err err = { 0 };
    abc_object *top = NULL;

    assert_int_equal(abc_archive_open(path, a, &err), 0);
    assert_int_equal(abc_archive_top(*a, &top, &err), 0);
    assert_true(abc_object_child_count(top) >= 1);
    assert_int_equal(abc_object_child(top, 0, o, &err), 0);
    abc_object_unref(top);
    assert_int_equal(abc_object_properties(*o, c, &err), 0);
}

void
tb_close_props(abc_archive *a, abc_object *o, abc_compound *c)
{
    abc_compound_unref(c);
    abc_object_unref(o);
    abc_archive_close(a);
}
