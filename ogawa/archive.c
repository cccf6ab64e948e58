/*
 * archive.c — the Ogawa container: header, groups, data blocks
 * (ogawa-format.md §1).
 *
 * Every access reads exactly the bytes needed through the archive's source
 * (source.h: a plain file, or a gzip file inflated on demand), checked
 * first against the archive size seen at open.
 *
 * Invariants checked here, once, for every caller:
 *   1. no block starts inside the 16-byte header (offset >= 16, or 0 = empty);
 *   2. a group's n slots and a data block's payload lie inside the file,
 *      computed without overflow (ogawa_range_ok);
 *   3. a group slot never points at its own group (§1.6).
 * Loops through ancestors are the caller's to check (abc_object.c), since
 * only the caller knows the path it came by.
 */
#include "ogawa.h"

#include <stdlib.h>
#include <string.h>

#include "source.h"

struct ogawa_archive {
    ogawa_source *src;      /* owned */
    uint64_t size;          /* archive size at open; every range is checked against it */
    uint64_t root;          /* root group offset from the header, 16 <= root < size */
    uint64_t bytes_read;    /* statistics, updated atomically */
    uint64_t reads;
};

/* Bytes read by this thread from any archive (ogawa_thread_bytes_read). */
static _Thread_local uint64_t ogawa_thread_bytes;

static const uint8_t ogawa_magic[5] = { 'O', 'g', 'a', 'w', 'a' };

static uint64_t
ogawa_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;   /* the library supports little-endian hosts only, as C++ Alembic does */
}

/* Reads through the source with no range check, for the header before
 * size is trusted; counts what the container asked for. */
static int
ogawa_pread_all(const ogawa_archive *a, uint64_t off, void *buf, uint64_t len,
                struct ogawa_err *err)
{
    int rc = ogawa_source_pread(a->src, off, buf, len, err);
    if (rc)
        return rc;
    /* The struct is shared between threads; counters are its only mutable part. */
    ogawa_archive *mut = (ogawa_archive *)a;
    __atomic_fetch_add(&mut->bytes_read, len, __ATOMIC_RELAXED);
    __atomic_fetch_add(&mut->reads, 1, __ATOMIC_RELAXED);
    ogawa_thread_bytes += len;
    return 0;
}

uint64_t
ogawa_thread_bytes_read(void)
{
    return ogawa_thread_bytes;
}

int
ogawa_archive_open(const char *path, ogawa_archive **out, struct ogawa_err *err)
{
    return ogawa_archive_open_opts(path, NULL, out, err);
}

int
ogawa_archive_open_opts(const char *path, const struct ogawa_open_opts *opts,
                        ogawa_archive **out, struct ogawa_err *err)
{
    *out = NULL;
    ogawa_source *src;
    int rc = ogawa_source_open(path, opts, &src, err);
    return rc ? rc : ogawa_archive_open_source(src, out, err);
}

int
ogawa_archive_open_fd(int fd, ogawa_archive **out, struct ogawa_err *err)
{
    *out = NULL;
    ogawa_source *src;
    int rc = ogawa_source_open_plain_fd(fd, &src, err);
    return rc ? rc : ogawa_archive_open_source(src, out, err);
}

int
ogawa_archive_open_source(ogawa_source *src, ogawa_archive **out, struct ogawa_err *err)
{
    *out = NULL;
    ogawa_archive *a = calloc(1, sizeof(*a));
    if (!a) {
        ogawa_source_close(src);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory opening archive");
    }
    a->src = src;
    a->size = ogawa_source_size(src);

    uint8_t header[OGAWA_HEADER_LEN];
    uint64_t have = a->size < sizeof(header) ? a->size : sizeof(header);
    int rc = ogawa_pread_all(a, 0, header, have, err);
    if (rc)
        goto fail;
    /* §1.1; the HDF5 signature is "\x89HDF\r\n\x1a\n" at offset 0. */
    if (have >= 4 && memcmp(header, "\x89HDF", 4) == 0) {
        rc = ogawa_fail(err, OGAWA_E_HDF5, 0,
                        "HDF5-backed Alembic archive; only Ogawa archives are supported");
        goto fail;
    }
    if (have < sizeof(ogawa_magic) || memcmp(header, ogawa_magic, sizeof(ogawa_magic)) != 0) {
        rc = ogawa_fail(err, OGAWA_E_NOTOGAWA, 0, "no Ogawa magic at the start of the file");
        goto fail;
    }
    if (have < OGAWA_HEADER_LEN) {
        rc = OGAWA_CORRUPT(err, 0, "file too short for an Ogawa header");
        goto fail;
    }
    if (header[6] != 0 || header[7] != 1) {     /* big-endian version 1 */
        rc = ogawa_fail(err, OGAWA_E_VERSION, 6, "unsupported Ogawa format version");
        goto fail;
    }
    if (header[5] != 0xFF) {
        rc = ogawa_fail(err, OGAWA_E_NOTFROZEN, 5,
                        "archive was not closed by its writer (frozen byte not 0xff)");
        goto fail;
    }
    a->root = ogawa_le64(header + 8);
    if (a->root < OGAWA_HEADER_LEN) {
        rc = OGAWA_CORRUPT(err, 8, "root group offset points into the header");
        goto fail;
    }
    if (!ogawa_range_ok(a->root, 8, a->size)) {
        rc = OGAWA_CORRUPT(err, 8, "root group offset is past the end of the file");
        goto fail;
    }
    *out = a;
    return 0;
fail:
    ogawa_archive_close(a);
    return rc;
}

void
ogawa_archive_close(ogawa_archive *a)
{
    if (!a)
        return;
    ogawa_source_close(a->src);
    free(a);
}

uint64_t ogawa_archive_root(const ogawa_archive *a) { return a->root; }
uint64_t ogawa_archive_size(const ogawa_archive *a) { return a->size; }
int ogawa_archive_fd(const ogawa_archive *a) { return ogawa_source_fd(a->src, NULL); }
ogawa_source *ogawa_archive_source(const ogawa_archive *a) { return a->src; }

void
ogawa_archive_stats(const ogawa_archive *a, struct ogawa_stats *out)
{
    out->bytes_read = __atomic_load_n(&a->bytes_read, __ATOMIC_RELAXED);
    out->reads = __atomic_load_n(&a->reads, __ATOMIC_RELAXED);
    struct ogawa_source_stats ss;
    ogawa_source_stats(a->src, &ss);
    out->source_bytes_read = ss.bytes_read;
    out->source_reads = ss.reads;
    out->bytes_inflated = ss.bytes_inflated;
    out->cache_hits = ss.cache_hits;
    out->cache_misses = ss.cache_misses;
    out->cache_evictions = ss.cache_evictions;
    out->cache_bytes = ss.cache_bytes;
}

int
ogawa_archive_read(const ogawa_archive *a, uint64_t off, void *buf, uint64_t len,
                   struct ogawa_err *err)
{
    if (!ogawa_range_ok(off, len, a->size))
        return OGAWA_CORRUPT(err, off, "read past the end of the archive");
    if (len == 0)
        return 0;
    return ogawa_pread_all(a, off, buf, len, err);
}

int
ogawa_group_read(const ogawa_archive *a, uint64_t off, struct ogawa_group *out,
                 struct ogawa_err *err)
{
    out->off = 0;
    out->n_children = 0;
    if (off == 0)
        return 0;                       /* EMPTY_GROUP, §1.2 */
    if (off < OGAWA_HEADER_LEN)
        return OGAWA_CORRUPT(err, off, "group offset points into the header");
    if (!ogawa_range_ok(off, 8, a->size))
        return OGAWA_CORRUPT(err, off, "group offset is past the end of the file");
    uint8_t raw[8];
    int rc = ogawa_pread_all(a, off, raw, 8, err);
    if (rc)
        return rc;
    uint64_t n = ogawa_le64(raw);
    /* §1.3: the n slots must fit in the file after the count. */
    if (n > (a->size - off - 8) / 8)
        return OGAWA_CORRUPT(err, off, "group child count passes the end of the file");
    out->off = off;
    out->n_children = n;                /* n == 0 reads as an empty group, as in C++ */
    return 0;
}

int
ogawa_group_children(const ogawa_archive *a, const struct ogawa_group *g, uint64_t first,
                     uint64_t n, uint64_t *slots, struct ogawa_err *err)
{
    if (first > g->n_children || n > g->n_children - first)
        return ogawa_fail(err, OGAWA_E_NOENT, g->off, "group child index out of range");
    if (n == 0)
        return 0;
    int rc = ogawa_pread_all(a, g->off + 8 + 8 * first, slots, 8 * n, err);
    if (rc)
        return rc;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t s = ogawa_le64((const uint8_t *)&slots[i]);
        slots[i] = s;
        if (!ogawa_slot_is_data(s) && s == g->off)
            return ogawa_fail(err, OGAWA_E_DEPTH, g->off, "group lists itself as a child");
    }
    return 0;
}

int
ogawa_group_child(const ogawa_archive *a, const struct ogawa_group *g, uint64_t idx,
                  uint64_t *slot, struct ogawa_err *err)
{
    *slot = 0;
    return ogawa_group_children(a, g, idx, 1, slot, err);
}

int
ogawa_data_locate(const ogawa_archive *a, uint64_t slot, uint64_t *field_off,
                  struct ogawa_err *err)
{
    *field_off = 0;
    if (!ogawa_slot_is_data(slot))
        return OGAWA_CORRUPT(err, slot, "expected a data block, found a group");
    uint64_t off = ogawa_slot_offset(slot);
    if (off == 0)
        return 0;                       /* EMPTY_DATA */
    if (off < OGAWA_HEADER_LEN)
        return OGAWA_CORRUPT(err, off, "data block offset points into the header");
    if (!ogawa_range_ok(off, 8, a->size))
        return OGAWA_CORRUPT(err, off, "data block offset is past the end of the file");
    *field_off = off;
    return 0;
}

int
ogawa_data_finish(const ogawa_archive *a, uint64_t field_off, const uint8_t field[8],
                  struct ogawa_data *out, struct ogawa_err *err)
{
    out->off = 0;
    out->len = 0;
    if (field_off == 0)
        return 0;
    uint64_t len = ogawa_le64(field);
    if (len > a->size - field_off - 8)  /* §1.4 */
        return OGAWA_CORRUPT(err, field_off, "data block size passes the end of the file");
    out->off = field_off;
    out->len = len;
    return 0;
}

int
ogawa_data_read(const ogawa_archive *a, uint64_t slot, struct ogawa_data *out,
                struct ogawa_err *err)
{
    out->off = 0;
    out->len = 0;
    uint64_t off;
    int rc = ogawa_data_locate(a, slot, &off, err);
    if (rc || off == 0)
        return rc;
    uint8_t raw[8];
    rc = ogawa_pread_all(a, off, raw, 8, err);
    return rc ? rc : ogawa_data_finish(a, off, raw, out, err);
}

int
ogawa_data_load(const ogawa_archive *a, const struct ogawa_data *d, uint64_t max_len,
                uint8_t **buf, struct ogawa_err *err)
{
    *buf = NULL;
    if (d->len > max_len)
        return OGAWA_CORRUPT(err, d->off, "data block is larger than its kind allows");
    if (d->len >= SIZE_MAX)
        return ogawa_fail(err, OGAWA_E_NOMEM, d->off, "data block too large for memory");
    uint8_t *p = malloc((size_t)d->len + 1);
    if (!p)
        return ogawa_fail(err, OGAWA_E_NOMEM, d->off, "out of memory loading a data block");
    if (d->len) {
        int rc = ogawa_archive_read(a, d->off + 8, p, d->len, err);
        if (rc) {
            free(p);
            return rc;
        }
    }
    p[d->len] = 0;
    *buf = p;
    return 0;
}
