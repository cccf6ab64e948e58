/*
 * abc_archive.c — opening an AbcCoreOgawa archive: the root group and its
 * small data blocks (ogawa-format.md §3).
 *
 * Opening reads exactly: the 16-byte header, the root group's count and
 * six slots, and the five data blocks of slots 0, 1, 3, 4, 5 (versions,
 * archive metadata, time samplings, indexed metadata).  The object tree
 * (slot 2) is not touched until abc_archive_top.  Those blocks are small
 * and needed by almost every later question (a property's time sampling,
 * a header's metadata index), so they are parsed once here and kept.
 */
#include "abc_int.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

bool
abc_read_u32(const uint8_t *buf, size_t len, size_t *pos, uint32_t *out)
{
    if (len < 4 || *pos > len - 4)
        return false;
    *out = (uint32_t)buf[*pos] | (uint32_t)buf[*pos + 1] << 8 | (uint32_t)buf[*pos + 2] << 16 |
           (uint32_t)buf[*pos + 3] << 24;
    *pos += 4;
    return true;
}

bool
abc_read_hinted(const uint8_t *buf, size_t len, size_t *pos, unsigned hint, uint32_t *out)
{
    switch (hint) {
    case 0:
        if (*pos >= len)
            return false;
        *out = buf[(*pos)++];
        return true;
    case 1:
        if (len < 2 || *pos > len - 2)
            return false;
        *out = (uint32_t)buf[*pos] | (uint32_t)buf[*pos + 1] << 8;
        *pos += 2;
        return true;
    case 2:
        return abc_read_u32(buf, len, pos, out);
    default:
        return false;
    }
}

abc_str
abc_take_string(const uint8_t *buf, size_t *pos, size_t n, char **cursor)
{
    abc_str s = { *cursor, n };
    memcpy(*cursor, buf + *pos, n);
    (*cursor)[n] = 0;
    *cursor += n + 1;
    *pos += n;
    return s;
}

static double
abc_le_f64(const uint8_t *p)
{
    double d;
    memcpy(&d, p, 8);
    return d;
}

/* Reads an i32 root block that must be exactly 4 bytes; *present false if
 * the block has another size. */
static int
abc_read_root_i32(abc_archive *a, uint64_t slot, int32_t *out, bool *present,
                  struct ogawa_err *err)
{
    struct ogawa_data d;
    int rc = ogawa_data_read(a->ogawa, slot, &d, err);
    if (rc)
        return rc;
    *present = d.len == 4;
    *out = 0;
    if (!*present)
        return 0;
    uint8_t raw[4];
    rc = ogawa_archive_read(a->ogawa, d.off + 8, raw, 4, err);
    if (rc)
        return rc;
    *out = (int32_t)((uint32_t)raw[0] | (uint32_t)raw[1] << 8 | (uint32_t)raw[2] << 16 |
                     (uint32_t)raw[3] << 24);
    return 0;
}

/* §3.4: the table is a run of (u32 max, f64 tpc, u32 n, f64 times[n]). */
static int
abc_parse_time_samplings(abc_archive *a, uint64_t slot, struct ogawa_err *err)
{
    struct ogawa_data d;
    uint8_t *blob = NULL;
    int rc = ogawa_data_read(a->ogawa, slot, &d, err);
    if (!rc)
        rc = ogawa_data_load(a->ogawa, &d, ABC_MAX_TS_LEN, &blob, err);
    if (rc)
        return rc;
    size_t len = (size_t)d.len;
    /* Each entry takes at least 24 bytes: bounds both arrays. */
    size_t max_entries = len / 24 + 1, max_times = len / 8 + 1;
    a->ts = calloc(max_entries, sizeof(*a->ts));
    a->ts_times = calloc(max_times, sizeof(double));
    if (!a->ts || !a->ts_times) {
        free(blob);
        return ogawa_fail(err, OGAWA_E_NOMEM, d.off, "out of memory reading time samplings");
    }
    size_t pos = 0, used_times = 0;
    while (pos < len) {
        uint32_t max_samples, n_times;
        if (!abc_read_u32(blob, len, &pos, &max_samples) || len - pos < 8) {
            rc = OGAWA_CORRUPT(err, d.off, "time sampling entry is truncated");
            goto out;
        }
        double tpc = abc_le_f64(blob + pos);
        uint64_t tpc_bits;
        memcpy(&tpc_bits, blob + pos, 8);
        pos += 8;
        if (!abc_read_u32(blob, len, &pos, &n_times) || n_times == 0 ||
            n_times > (len - pos) / 8) {
            rc = OGAWA_CORRUPT(err, d.off, "time sampling stored times are missing or truncated");
            goto out;
        }
        struct abc_time_sampling *ts = &a->ts[a->n_ts++];
        ts->max_num_samples = max_samples;
        ts->time_per_cycle = tpc;
        ts->n_times = n_times;
        ts->times = a->ts_times + used_times;
        for (uint32_t i = 0; i < n_times; i++, pos += 8)
            a->ts_times[used_times++] = abc_le_f64(blob + pos);
        if (tpc_bits == 0x7F9FFFFFFFFFFFFFULL) {    /* DBL_MAX / 32, bit for bit */
            ts->type = ABC_TS_ACYCLIC;
            ts->samples_per_cycle = UINT32_MAX;
        } else if (n_times == 1) {
            ts->type = (tpc == 1.0 && ts->times[0] == 0.0) ? ABC_TS_IDENTITY : ABC_TS_UNIFORM;
            ts->samples_per_cycle = 1;
        } else {
            ts->type = ABC_TS_CYCLIC;
            ts->samples_per_cycle = n_times;
        }
    }
    if (a->n_ts == 0)
        rc = OGAWA_CORRUPT(err, d.off, "time sampling table is empty");
out:
    free(blob);
    return rc;
}

/* §3.5: u8 length + bytes per entry; an implicit empty entry 0 first. */
static int
abc_parse_indexed_metadata(abc_archive *a, uint64_t slot, struct ogawa_err *err)
{
    struct ogawa_data d;
    uint8_t *blob = NULL;
    int rc = ogawa_data_read(a->ogawa, slot, &d, err);
    if (!rc)
        rc = ogawa_data_load(a->ogawa, &d, ABC_MAX_INDEXED_META_LEN, &blob, err);
    if (rc)
        return rc;
    size_t len = (size_t)d.len;
    a->indexed = calloc(len + 1, sizeof(abc_str));
    a->indexed_blob = malloc(2 * len + 1);
    if (!a->indexed || !a->indexed_blob) {
        free(blob);
        return ogawa_fail(err, OGAWA_E_NOMEM, d.off, "out of memory reading indexed metadata");
    }
    char *cursor = (char *)a->indexed_blob;
    a->indexed[0].ptr = cursor;
    a->indexed[0].len = 0;
    *cursor++ = 0;
    a->n_indexed = 1;
    size_t pos = 0;
    while (pos < len) {
        size_t n = blob[pos++];
        if (n > len - pos) {
            free(blob);
            return OGAWA_CORRUPT(err, d.off, "indexed metadata entry is truncated");
        }
        a->indexed[a->n_indexed++] = abc_take_string(blob, &pos, n, &cursor);
    }
    free(blob);
    return 0;
}

bool
abc_archive_indexed_metadata(const abc_archive *a, unsigned idx, abc_str *out)
{
    if (idx >= a->n_indexed)
        return false;
    *out = a->indexed[idx];
    return true;
}

/* Takes over og (closed on failure too). */
static int
abc_archive_from_ogawa(ogawa_archive *og, abc_archive **out, struct ogawa_err *err)
{
    int rc;
    abc_archive *a = calloc(1, sizeof(*a));
    if (!a) {
        ogawa_archive_close(og);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory opening archive");
    }
    a->ogawa = og;
    pthread_mutex_init(&a->walk_lock, NULL);

    /* §3.1: at least six children, kinds D D G D D D. */
    struct ogawa_group root;
    uint64_t slots[6];
    rc = ogawa_group_read(og, ogawa_archive_root(og), &root, err);
    if (rc)
        goto fail;
    if (root.n_children < 6) {
        rc = OGAWA_CORRUPT(err, root.off ? root.off : ogawa_archive_root(og),
                           "root group has fewer than 6 children");
        goto fail;
    }
    rc = ogawa_group_children(og, &root, 0, 6, slots, err);
    if (rc)
        goto fail;
    for (int i = 0; i < 6; i++) {
        if (ogawa_slot_is_data(slots[i]) != (i != 2)) {
            rc = OGAWA_CORRUPT(err, root.off, "root group children have the wrong kinds");
            goto fail;
        }
    }
    int32_t file_version;
    bool present;
    rc = abc_read_root_i32(a, slots[0], &file_version, &present, err);
    if (rc)
        goto fail;
    if (!present || file_version != 0) {
        rc = ogawa_fail(err, OGAWA_E_VERSION, ogawa_slot_offset(slots[0]),
                        "unsupported AbcCoreOgawa file version");
        goto fail;
    }
    rc = abc_read_root_i32(a, slots[1], &a->library_version, &present, err);
    if (rc)
        goto fail;
    if (a->library_version < 9999) {
        rc = ogawa_fail(err, OGAWA_E_VERSION, ogawa_slot_offset(slots[1]),
                        "unsupported Alembic library version (below 9999)");
        goto fail;
    }
    a->top_slot = slots[2];
    if (ogawa_slot_offset(a->top_slot) == 0) {
        rc = OGAWA_CORRUPT(err, root.off, "root group has no top object");
        goto fail;
    }
    struct ogawa_data md;
    rc = ogawa_data_read(og, slots[3], &md, err);
    if (!rc)
        rc = ogawa_data_load(og, &md, ABC_MAX_META_LEN, &a->metadata, err);
    if (rc)
        goto fail;
    a->metadata_len = (size_t)md.len;
    rc = abc_parse_time_samplings(a, slots[4], err);
    if (rc)
        goto fail;
    rc = abc_parse_indexed_metadata(a, slots[5], err);
    if (rc)
        goto fail;
    *out = a;
    return 0;
fail:
    abc_archive_close(a);
    return rc;
}

int
abc_archive_open(const char *path, abc_archive **out, struct ogawa_err *err)
{
    return abc_archive_open_opts(path, NULL, out, err);
}

int
abc_archive_open_opts(const char *path, const struct ogawa_open_opts *opts, abc_archive **out,
                      struct ogawa_err *err)
{
    *out = NULL;
    ogawa_archive *og;
    int rc = ogawa_archive_open_opts(path, opts, &og, err);
    return rc ? rc : abc_archive_from_ogawa(og, out, err);
}

int
abc_archive_open_fd(int fd, abc_archive **out, struct ogawa_err *err)
{
    *out = NULL;
    ogawa_archive *og;
    int rc = ogawa_archive_open_fd(fd, &og, err);
    return rc ? rc : abc_archive_from_ogawa(og, out, err);
}

void
abc_archive_close(abc_archive *a)
{
    if (!a)
        return;
    abc_archive_walk_drop(a);
    pthread_mutex_destroy(&a->walk_lock);
    ogawa_archive_close(a->ogawa);
    free(a->metadata);
    free(a->ts);
    free(a->ts_times);
    free(a->indexed);
    free(a->indexed_blob);
    free(a);
}

const ogawa_archive *abc_archive_ogawa(const abc_archive *a) { return a->ogawa; }
int32_t abc_archive_library_version(const abc_archive *a) { return a->library_version; }
size_t abc_archive_time_sampling_count(const abc_archive *a) { return a->n_ts; }

abc_str
abc_archive_metadata(const abc_archive *a)
{
    abc_str s = { (const char *)a->metadata, a->metadata_len };
    return s;
}

const struct abc_time_sampling *
abc_archive_time_sampling(const abc_archive *a, size_t idx)
{
    return idx < a->n_ts ? &a->ts[idx] : NULL;
}
