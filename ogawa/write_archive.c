/*
 * write_archive.c — the archive level of the writer: creation (header and
 * root version blocks, ogawa-format.md §3.1, §7 rule 1), archive metadata
 * (§3.2), time samplings (§3.4), the indexed metadata table (§3.5),
 * metadata serialization (§2.3), sibling-name checks (§5.10), and close
 * (§7 rule 8): finish what is open, the top object, then root slots 3, 4, 5,
 * the root group, the root offset and the frozen byte.
 *
 * Objects live in write_object.c, properties and samples in write_prop.c,
 * the container in write_ogawa.c.
 *
 * Every node ever created is kept in creation order (abc_writer.nodes).
 * That list is what close walks backwards to finish what the caller left
 * open — reverse creation order is always children-first, so no
 * recursion is needed even for very deep trees — and what frees the
 * handles.  The alternative, a tree walk, would recurse as deep as the
 * hierarchy (abcgen deep makes 100k levels).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "write_int.h"

int
abc_writer_failed(abc_writer *w, struct ogawa_err *err)
{
    if (!w->failed)
        return 0;
    if (err)
        *err = w->fail_err;
    return w->failed;
}

int
abc_writer_fail(abc_writer *w, int code, struct ogawa_err *e, struct ogawa_err *err)
{
    if (code == 0)
        return 0;
    /* IO and NOMEM may have left half a structure behind: poison. */
    if ((code == OGAWA_E_IO || code == OGAWA_E_NOMEM) && !w->failed) {
        w->failed = code;
        w->fail_err = *e;
    }
    if (err)
        *err = *e;
    return code;
}

int
abc_writer_add_node(abc_writer *w, bool is_object, void *node, struct ogawa_err *err)
{
    if (w->n_nodes == w->cap_nodes) {
        size_t cap = w->cap_nodes ? 2 * w->cap_nodes : 64;
        struct abc_wnode *n = realloc(w->nodes, cap * sizeof(*n));
        if (!n)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory recording a node");
        w->nodes = n;
        w->cap_nodes = cap;
    }
    struct abc_wnode *n = &w->nodes[w->n_nodes++];
    n->is_object = is_object;
    if (is_object)
        n->u.obj = node;
    else
        n->u.prop = node;
    return 0;
}

/* §3.5: 0 empty; an entry of the table (numbered in order of first use);
 * 255 inline when too long or the table is full. */
uint8_t
abc_writer_md_index(abc_writer *w, const char *md, size_t len)
{
    if (len == 0)
        return 0;
    if (len > 255)
        return 255;
    for (size_t i = 0; i < w->n_md; i++) {
        if (w->md_len[i] == len && memcmp(w->md_table[i], md, len) == 0)
            return (uint8_t)(i + 1);
    }
    if (w->n_md >= 254)
        return 255;
    char *copy = malloc(len);
    if (!copy)
        return 255;     /* inline is always valid; only the bytes differ */
    memcpy(copy, md, len);
    w->md_table[w->n_md] = copy;
    w->md_len[w->n_md] = (uint8_t)len;
    w->n_md++;
    return (uint8_t)w->n_md;
}

int
abc_wname_check(abc_str name, struct ogawa_err *err)
{
    if (!name.ptr || name.len == 0)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "name is empty");
    if (memchr(name.ptr, '/', name.len))
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "name contains '/'");
    if (name.len > UINT32_MAX)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "name is longer than 4 GiB");
    return 0;
}

static size_t
abc_wname_probe(const abc_writer *w, const void *parent, uint64_t h)
{
    return (size_t)((h ^ ((uint64_t)(uintptr_t)parent * 0x9E3779B97F4A7C15ULL)) &
                    (w->cap_names - 1));
}

int
abc_writer_name_add(abc_writer *w, const void *parent, const char *name, size_t len,
                    struct ogawa_err *err)
{
    if (2 * (w->n_names + 1) > w->cap_names) {
        size_t cap = w->cap_names ? 2 * w->cap_names : 256;
        struct abc_wname *tab = calloc(cap, sizeof(*tab));
        if (!tab)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory for the name set");
        struct abc_wname *old = w->names;
        size_t old_cap = w->cap_names;
        w->names = tab;
        w->cap_names = cap;
        for (size_t i = 0; i < old_cap; i++) {
            if (!old[i].parent)
                continue;
            size_t j = abc_wname_probe(w, old[i].parent, old[i].h);
            while (tab[j].parent)
                j = (j + 1) & (cap - 1);
            tab[j] = old[i];
        }
        free(old);
    }
    uint64_t h = ogawa_fnv1a64(name, len);
    size_t j = abc_wname_probe(w, parent, h);
    while (w->names[j].parent) {
        const struct abc_wname *e = &w->names[j];
        if (e->parent == parent && e->h == h && e->len == len && memcmp(e->name, name, len) == 0)
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "duplicate name among siblings");
        j = (j + 1) & (w->cap_names - 1);
    }
    w->names[j] = (struct abc_wname){parent, h, name, len};
    w->n_names++;
    return 0;
}

/* ---- metadata serialization (§2.3) ------------------------------------ */

struct abc_wkv {
    const char *key, *value;
    size_t key_len, value_len;
    size_t order;               /* position in the input: the last one wins */
};

static int
abc_wkv_cmp(const void *a, const void *b)
{
    const struct abc_wkv *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Number of pairs of a kv list; a key without a value is an error (the
 * list then ends at the value's place: never read past it). */
static int
abc_wmeta_count(const char *const *kv, size_t *n, struct ogawa_err *err)
{
    for (*n = 0; kv[2 * *n]; (*n)++) {
        if (!kv[2 * *n + 1])
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "metadata key without a value");
    }
    return 0;
}

static int
abc_wmeta_serialize_kv(const char *const *kv, char **out, size_t *len, struct ogawa_err *err)
{
    size_t n;
    int rc = abc_wmeta_count(kv, &n, err);
    if (rc || n == 0)
        return rc;
    struct abc_wkv *e = calloc(n, sizeof(*e));
    if (!e)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory serializing metadata");
    for (size_t i = 0; i < n; i++) {
        const char *k = kv[2 * i], *v = kv[2 * i + 1];
        e[i] = (struct abc_wkv){k, v, strlen(k), strlen(v), i};
        if (e[i].key_len == 0) {
            free(e);
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "metadata key is empty");
        }
        if (strpbrk(k, ";=") || strpbrk(v, ";=")) {
            free(e);
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "metadata contains ';' or '='");
        }
    }
    qsort(e, n, sizeof(*e), abc_wkv_cmp);
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += e[i].key_len + e[i].value_len + 2;
    char *buf = malloc(total + 1);
    if (!buf) {
        free(e);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory serializing metadata");
    }
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        /* Equal keys are adjacent, in input order: keep the last. */
        if (i + 1 < n && e[i + 1].key_len == e[i].key_len &&
            memcmp(e[i + 1].key, e[i].key, e[i].key_len) == 0)
            continue;
        if (e[i].value_len == 0)
            continue;
        if (pos)
            buf[pos++] = ';';
        memcpy(buf + pos, e[i].key, e[i].key_len);
        pos += e[i].key_len;
        buf[pos++] = '=';
        memcpy(buf + pos, e[i].value, e[i].value_len);
        pos += e[i].value_len;
    }
    free(e);
    if (pos == 0) {
        free(buf);
        return 0;
    }
    *out = buf;
    *len = pos;
    return 0;
}

int
abc_wmeta_serialize(const struct abc_wmeta *m, char **out, size_t *len, struct ogawa_err *err)
{
    *out = NULL;
    *len = 0;
    if (!m)
        return 0;
    if (m->kv)
        return abc_wmeta_serialize_kv(m->kv, out, len, err);
    if (m->raw.len == 0)
        return 0;
    if (!m->raw.ptr)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "raw metadata without bytes");
    if (m->raw.len > UINT32_MAX)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "metadata longer than 4 GiB");
    char *buf = malloc(m->raw.len);
    if (!buf)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory copying metadata");
    memcpy(buf, m->raw.ptr, m->raw.len);
    *out = buf;
    *len = m->raw.len;
    return 0;
}

/* §3.2: user entries, then the _ai_ info keys, then the version, which
 * always wins (the C++ writer overwrites any user value). */
static int
abc_writer_archive_md(abc_writer *w, const struct abc_writer_opts *o, struct ogawa_err *err)
{
    const struct abc_wmeta *m = o ? o->metadata : NULL;
    if (m && !m->kv)
        return abc_wmeta_serialize(m, &w->archive_md, &w->archive_md_len, err);
    size_t n_user = 0;
    if (m) {
        int rc = abc_wmeta_count(m->kv, &n_user, err);
        if (rc)
            return rc;
    }
    const char **kv = calloc(2 * n_user + 11, sizeof(*kv));
    if (!kv)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory building archive metadata");
    size_t n = 0;
    for (size_t i = 0; i < 2 * n_user; i++)
        kv[n++] = m->kv[i];
    char fps[64];
    if (o && o->application && *o->application) {
        kv[n++] = "_ai_Application";
        kv[n++] = o->application;
    }
    if (o && o->description && *o->description) {
        kv[n++] = "_ai_Description";
        kv[n++] = o->description;
    }
    if (o && o->date_written && *o->date_written) {
        kv[n++] = "_ai_DateWritten";
        kv[n++] = o->date_written;
    }
    if (o && o->dcc_fps > 0) {
        snprintf(fps, sizeof(fps), "%f", o->dcc_fps);
        kv[n++] = "_ai_DCC_FPS";
        kv[n++] = fps;
    }
    kv[n++] = "_ai_AlembicVersion";
    kv[n++] = o && o->alembic_version ? o->alembic_version : ABC_WRITER_DEFAULT_VERSION;
    kv[n] = NULL;
    int rc = abc_wmeta_serialize_kv(kv, &w->archive_md, &w->archive_md_len, err);
    free(kv);
    return rc;
}

/* ---- time samplings (§3.4) -------------------------------------------- */

static int
abc_writer_ts_push(abc_writer *w, double tpc, uint32_t spc, const double *times, uint32_t n,
                   struct ogawa_err *err)
{
    if (w->n_ts == w->cap_ts) {
        size_t cap = w->cap_ts ? 2 * w->cap_ts : 8;
        struct abc_wts *t = realloc(w->ts, cap * sizeof(*t));
        if (!t)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory for time samplings");
        w->ts = t;
        w->cap_ts = cap;
    }
    double *copy = malloc((size_t)n * sizeof(double));
    if (!copy)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory for time samplings");
    memcpy(copy, times, (size_t)n * sizeof(double));
    w->ts[w->n_ts++] = (struct abc_wts){.tpc = tpc, .spc = spc, .n_times = n, .times = copy};
    return 0;
}

int
abc_writer_add_time_sampling(abc_writer *w, const struct abc_time_sampling *ts, unsigned flags,
                             uint32_t *idx, struct ogawa_err *err)
{
    struct ogawa_err e = {0};
    int rc = abc_writer_failed(w, err);
    if (rc)
        return rc;
    if (!ts || !idx)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "time sampling or index pointer is NULL");
    static const double zero = 0.0;
    double tpc = ts->time_per_cycle;
    const double *times = ts->times;
    uint32_t n = ts->n_times, spc;
    switch (ts->type) {
    case ABC_TS_IDENTITY:
        tpc = 1.0;
        times = &zero;
        n = 1;
        spc = 1;
        break;
    case ABC_TS_UNIFORM:
        if (n != 1)
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "uniform time sampling needs one start time");
        spc = 1;
        break;
    case ABC_TS_CYCLIC:
        if (n < 2)
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "cyclic time sampling needs two or more times");
        spc = n;
        break;
    case ABC_TS_ACYCLIC:
        if (n < 1)
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "acyclic time sampling needs a time");
        tpc = ABC_ACYCLIC_TPC;
        spc = UINT32_MAX;
        break;
    default:
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "unknown time sampling type");
    }
    if (spc != UINT32_MAX && !(isfinite(tpc) && tpc > 0))
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "time per cycle is not a positive number");
    if (!times)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "time sampling without times");
    for (uint32_t i = 0; i < n; i++) {
        if (!isfinite(times[i]))
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "time sampling time is not finite");
        if (i > 0 && !(times[i] > times[i - 1]))
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "time sampling times are not increasing");
    }
    if (!(flags & ABC_WTS_APPEND) || ts->type == ABC_TS_IDENTITY) {
        /* The C++ equality: samples per cycle, tpc within 1e-9, same times. */
        for (size_t i = 0; i < w->n_ts; i++) {
            const struct abc_wts *t = &w->ts[i];
            if (t->spc == spc && fabs(t->tpc - tpc) <= 1e-9 && t->n_times == n &&
                memcmp(t->times, times, (size_t)n * sizeof(double)) == 0) {
                *idx = (uint32_t)i;
                return 0;
            }
        }
    }
    if (w->n_ts >= UINT32_MAX)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "too many time samplings");
    rc = abc_writer_ts_push(w, tpc, spc, times, n, &e);
    if (rc)
        return abc_writer_fail(w, rc, &e, err);
    *idx = (uint32_t)(w->n_ts - 1);
    return 0;
}

int
abc_writer_set_max_samples(abc_writer *w, uint32_t idx, uint32_t max_samples,
                           struct ogawa_err *err)
{
    if (idx >= w->n_ts)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "no such time sampling");
    w->ts[idx].max_forced = true;
    w->ts[idx].max_forced_value = max_samples;
    return 0;
}

/* ---- create / close --------------------------------------------------- */

static void
abc_writer_free(abc_writer *w)
{
    for (size_t i = 0; i < w->n_nodes; i++) {
        if (w->nodes[i].is_object)
            abc_wobject_free(w->nodes[i].u.obj);
        else
            abc_wprop_free(w->nodes[i].u.prop);
    }
    free(w->nodes);
    for (size_t i = 0; i < w->n_ts; i++)
        free(w->ts[i].times);
    free(w->ts);
    for (size_t i = 0; i < w->n_md; i++)
        free(w->md_table[i]);
    abc_wmap_free(&w->map);
    free(w->names);
    free(w->cmp_buf);
    free(w->archive_md);
    free(w);
}

int
abc_writer_create_fd(int fd, const struct abc_writer_opts *opts, abc_writer **out,
                     struct ogawa_err *err)
{
    *out = NULL;
    if (opts && opts->library_version != 0 && opts->library_version < 9999) {
        close(fd);
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "library version below 9999 is unreadable");
    }
    abc_writer *w = calloc(1, sizeof(*w));
    if (!w) {
        close(fd);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory creating the writer");
    }
    w->library_version = opts && opts->library_version ? opts->library_version
                                                       : ABC_WRITER_LIBRARY_VERSION;
    w->map_limit = opts ? opts->sample_map_limit : 0;
    static const double zero = 0.0;
    int rc = abc_writer_archive_md(w, opts, err);
    if (rc == 0)
        rc = abc_writer_ts_push(w, 1.0, 1, &zero, 1, err);   /* index 0: identity */
    if (rc == 0 && !(w->cmp_buf = malloc(WCMP_LEN)))
        rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory creating the writer");
    if (rc == 0) {
        abc_wobject *top;
        rc = abc_wobject_new(w, NULL, abc_wstr("ABC"), NULL, 0, &top, err);
        if (rc == 0)
            w->top = top;
    }
    if (rc) {
        close(fd);
        abc_writer_free(w);
        return rc;
    }
    rc = ogawa_writer_open_fd(fd, &w->ow, err);
    if (rc == 0) {
        /* §3.1: root slots 0 and 1, at offsets 16 and 28 in every file. */
        uint8_t v0[4], v1[4];
        uint64_t slot;
        abc_put_u32(v0, 0);
        abc_put_u32(v1, (uint32_t)w->library_version);
        struct iovec iov0 = {v0, 4}, iov1 = {v1, 4};
        rc = ogawa_writer_data(w->ow, &iov0, 1, &slot, err);
        if (rc == 0)
            rc = ogawa_writer_data(w->ow, &iov1, 1, &slot, err);
    }
    if (rc) {
        ogawa_writer_abort(w->ow);
        abc_writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int
abc_writer_create(const char *path, const struct abc_writer_opts *opts, abc_writer **out,
                  struct ogawa_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        ogawa_fail(err, OGAWA_E_IO, 0, "cannot create the archive file");
        if (err)
            err->sys_errno = e;
        return OGAWA_E_IO;
    }
    return abc_writer_create_fd(fd, opts, out, err);
}

abc_wobject *
abc_writer_top(abc_writer *w)
{
    return w->top;
}

uint64_t
abc_writer_size(const abc_writer *w)
{
    return w->ow ? ogawa_writer_size(w->ow) : 0;
}

/* Root slots 3, 4, 5 and the root group (§3.1, §7 rule 8). */
static int
abc_writer_write_root(abc_writer *w, uint64_t *root, struct ogawa_err *err)
{
    uint64_t slots[6];
    slots[0] = OGAWA_HEADER_LEN | OGAWA_SLOT_DATA_BIT;            /* written at open */
    slots[1] = (OGAWA_HEADER_LEN + 12) | OGAWA_SLOT_DATA_BIT;
    slots[2] = w->top->group_slot;
    struct iovec iov = {w->archive_md, w->archive_md_len};
    int rc = ogawa_writer_data(w->ow, &iov, 1, &slots[3], err);
    if (rc)
        return rc;

    size_t len = 0;
    for (size_t i = 0; i < w->n_ts; i++)
        len += 16 + 8 * (size_t)w->ts[i].n_times;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory writing time samplings");
    size_t pos = 0;
    for (size_t i = 0; i < w->n_ts; i++) {
        const struct abc_wts *t = &w->ts[i];
        uint64_t bits;
        abc_put_u32(buf + pos, t->max_forced ? t->max_forced_value : t->max_samples);
        memcpy(&bits, &t->tpc, 8);
        abc_put_u64(buf + pos + 4, bits);
        abc_put_u32(buf + pos + 12, t->n_times);
        pos += 16;
        for (uint32_t k = 0; k < t->n_times; k++) {
            memcpy(&bits, &t->times[k], 8);
            abc_put_u64(buf + pos, bits);
            pos += 8;
        }
    }
    iov = (struct iovec){buf, len};
    rc = ogawa_writer_data(w->ow, &iov, 1, &slots[4], err);
    free(buf);
    if (rc)
        return rc;

    uint8_t table[254 * 256];
    pos = 0;
    for (size_t i = 0; i < w->n_md; i++) {
        table[pos++] = w->md_len[i];
        memcpy(table + pos, w->md_table[i], w->md_len[i]);
        pos += w->md_len[i];
    }
    iov = (struct iovec){table, pos};
    rc = ogawa_writer_data(w->ow, &iov, 1, &slots[5], err);
    if (rc)
        return rc;
    return ogawa_writer_group(w->ow, slots, 6, root, err);
}

int
abc_writer_close(abc_writer *w, struct ogawa_err *err)
{
    if (!w)
        return 0;
    struct ogawa_err e = {0};
    int rc = abc_writer_failed(w, &e);
    /* Reverse creation order: every node's descendants come after it. */
    for (size_t i = w->n_nodes; rc == 0 && i-- > 0;) {
        struct abc_wnode *n = &w->nodes[i];
        if (n->is_object && !n->u.obj->finished && n->u.obj != w->top)
            rc = abc_wobject_finish_now(n->u.obj, &e);
        else if (!n->is_object && !n->u.prop->finished && n->u.prop->parent)
            rc = abc_wprop_finish_now(n->u.prop, &e);
    }
    if (rc == 0)
        rc = abc_wobject_finish_now(w->top, &e);
    uint64_t root = 0;
    if (rc == 0)
        rc = abc_writer_write_root(w, &root, &e);
    if (rc == 0) {
        rc = ogawa_writer_close(w->ow, root, &e);
        w->ow = NULL;
    }
    ogawa_writer_abort(w->ow);
    w->ow = NULL;
    if (rc && err)
        *err = e;
    abc_writer_free(w);
    return rc;
}

void
abc_writer_abort(abc_writer *w)
{
    if (!w)
        return;
    ogawa_writer_abort(w->ow);
    abc_writer_free(w);
}
