/*
 * write_prop.c — properties and samples of the writer (ogawa-format.md
 * §5, §6.1–§6.3, §7 rules 3–6).
 *
 * A sample goes to the file when it is added (§7 rule 4), following the
 * C++ writer's bookkeeping exactly (§5.7): a sample equal to the previous
 * *written* one only bumps the count; a different one first appends
 * references for the run of repeats since the last change, then itself —
 * through the archive-wide map (§5.8), which returns an existing block when
 * the same payload (same length, POD class and digest) was stored before.
 * Only keys and offsets are kept in memory, never payloads.
 *
 * "Equal" is decided by the key (length, POD class, Murmur3 digest, as
 * C++) and then confirmed by comparing the bytes with the stored block
 * (read back through ogawa_writer_read).  The confirmation costs a read
 * per hit and changes nothing for real data; it stops the C++ writer's
 * silent merge of different payloads whose keys collide — trivially so
 * for wstrings, whose digest covers only a quarter of the payload (§5.5,
 * §12).  The stored digest keeps the quirk, for byte identity.
 *
 * Hashes (§6.2, §6.3): every sample set, repeats included, extends the
 * property's chain; finishing folds it with the header bytes into hash(p),
 * which the parent compound or object consumes.
 *
 * The header record of a property (§5.2) is written by its parent when the
 * parent is finished, which is also when its metadata index is assigned.
 */
#include <stdlib.h>
#include <string.h>

#include "write_int.h"

abc_wprop *
abc_wprop_new_top(abc_wobject *o)
{
    abc_wprop *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->w = o->w;
    p->obj = o;
    p->kind = ABC_KIND_COMPOUND;
    return p;
}

void
abc_wprop_free(abc_wprop *p)
{
    if (!p)
        return;
    free(p->children);
    free(p->slots);
    free(p->prev_dims);
    free(p->name);
    free(p->md);
    free(p);
}

void
abc_wmap_free(struct abc_wmap *m)
{
    free(m->tab);
    m->tab = NULL;
    m->cap = m->n = 0;
}

uint32_t
abc_wprop_num_samples(const abc_wprop *p)
{
    return p->n_samples;
}

/* ---- creation --------------------------------------------------------- */

static int
abc_wprop_new(abc_wprop *parent, int kind, abc_str name, const struct abc_wmeta *meta, int pod,
              unsigned extent, uint32_t ts, abc_wprop **out, struct ogawa_err *err)
{
    *out = NULL;
    abc_writer *w = parent->w;
    struct ogawa_err e = {0};
    int rc = abc_writer_failed(w, err);
    if (rc)
        return rc;
    if (parent->kind != ABC_KIND_COMPOUND)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "parent property is not a compound");
    if (parent->finished)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "parent compound already finished");
    rc = abc_wname_check(name, err);
    if (rc)
        return rc;
    if (kind != ABC_KIND_COMPOUND) {
        if (pod < 0 || pod >= ABC_POD_COUNT)
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "invalid POD type");
        if (extent < 1 || extent > 255)
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "extent must be 1..255");
        if (ts >= w->n_ts)
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "no such time sampling");
    }
    abc_wprop *p = calloc(1, sizeof(*p));
    char *nm = malloc(name.len);
    if (!p || !nm) {
        free(p);
        free(nm);
        ogawa_fail(&e, OGAWA_E_NOMEM, 0, "out of memory creating a property");
        return abc_writer_fail(w, OGAWA_E_NOMEM, &e, err);
    }
    memcpy(nm, name.ptr, name.len);
    p->w = w;
    p->obj = parent->obj;
    p->parent = parent;
    p->kind = kind;
    p->pod = kind == ABC_KIND_COMPOUND ? 0 : pod;
    p->extent = kind == ABC_KIND_COMPOUND ? 0 : extent;
    p->ts_idx = kind == ABC_KIND_COMPOUND ? 0 : ts;
    p->name = nm;
    p->name_len = name.len;
    p->scalar_like = true;
    p->homogenous = true;
    rc = abc_wmeta_serialize(meta, &p->md, &p->md_len, &e);
    if (rc == 0)
        rc = abc_writer_name_add(w, parent, p->name, p->name_len, &e);
    if (rc == 0 && parent->n_children == parent->cap_children) {
        size_t cap = parent->cap_children ? 2 * parent->cap_children : 4;
        abc_wprop **c = realloc(parent->children, cap * sizeof(*c));
        if (!c) {
            rc = ogawa_fail(&e, OGAWA_E_NOMEM, 0, "out of memory adding a property");
        } else {
            parent->children = c;
            parent->cap_children = cap;
        }
    }
    if (rc == 0)
        rc = abc_writer_add_node(w, false, p, &e);
    if (rc) {
        /* After the name went into the set only NOMEM can fail, and that
         * poisons the writer: the stale key is never looked at again. */
        abc_wprop_free(p);
        return abc_writer_fail(w, rc, &e, err);
    }
    parent->children[parent->n_children++] = p;
    parent->n_open++;
    *out = p;
    return 0;
}

int
abc_wprop_add_compound(abc_wprop *parent, abc_str name, const struct abc_wmeta *meta,
                       abc_wprop **out, struct ogawa_err *err)
{
    return abc_wprop_new(parent, ABC_KIND_COMPOUND, name, meta, 0, 0, 0, out, err);
}

int
abc_wprop_add_scalar(abc_wprop *parent, abc_str name, const struct abc_wmeta *meta, int pod,
                     unsigned extent, uint32_t ts, abc_wprop **out, struct ogawa_err *err)
{
    return abc_wprop_new(parent, ABC_KIND_SCALAR, name, meta, pod, extent, ts, out, err);
}

int
abc_wprop_add_array(abc_wprop *parent, abc_str name, const struct abc_wmeta *meta, int pod,
                    unsigned extent, uint32_t ts, abc_wprop **out, struct ogawa_err *err)
{
    return abc_wprop_new(parent, ABC_KIND_ARRAY, name, meta, pod, extent, ts, out, err);
}

/* ---- the written-sample map (§5.8) ------------------------------------ */

static int
abc_pod_class(int pod)
{
    return pod == ABC_POD_STRING || pod == ABC_POD_WSTRING ? pod : 0;
}

/* Does the stored block at off hold exactly data[0..len)?  check_size
 * also compares the block's size field (map hits, whose length is not
 * kept).  An unreadable output (a write-only fd) trusts the key, except
 * for wstrings, whose key is known to be weak (§5.5). */
static void
abc_wblock_same(abc_writer *w, uint64_t off, int pod_class, bool check_size, const uint8_t *data,
                uint64_t len, bool *same)
{
    struct ogawa_err e;
    *same = true;
    if (check_size) {
        uint8_t sz[8];
        uint64_t v = 0;
        if (ogawa_writer_read(w->ow, off, sz, 8, &e) != 0) {
            *same = pod_class != ABC_POD_WSTRING;
            return;
        }
        for (int i = 7; i >= 0; i--)
            v = v << 8 | sz[i];
        if (v != len + 16) {
            *same = false;
            return;
        }
    }
    off += 8 + 16;
    while (len > 0) {
        uint64_t chunk = len < WCMP_LEN ? len : WCMP_LEN;
        if (ogawa_writer_read(w->ow, off, w->cmp_buf, chunk, &e) != 0) {
            *same = pod_class != ABC_POD_WSTRING;
            return;
        }
        if (memcmp(w->cmp_buf, data, (size_t)chunk) != 0) {
            *same = false;
            return;
        }
        off += chunk;
        data += chunk;
        len -= chunk;
    }
}

static uint64_t
abc_wblock_class_bits(int pod_class)
{
    return (uint64_t)(pod_class == ABC_POD_STRING ? 1 : pod_class == ABC_POD_WSTRING ? 2 : 0) << 62;
}

static size_t
abc_wmap_start(const struct abc_wmap *m, ogawa_digest d)
{
    return (size_t)((d.w0 ^ (d.w1 >> 17)) & (m->cap - 1));
}

/* Finds a stored block with this key and these bytes, or NULL. */
static const struct abc_wblock *
abc_wmap_find(abc_writer *w, ogawa_digest d, uint64_t len, int pod_class, const uint8_t *data)
{
    const struct abc_wmap *m = &w->map;
    if (m->cap == 0)
        return NULL;
    uint64_t cls = abc_wblock_class_bits(pod_class);
    for (size_t j = abc_wmap_start(m, d);; j = (j + 1) & (m->cap - 1)) {
        const struct abc_wblock *b = &m->tab[j];
        if (b->off_class == 0)
            return NULL;
        if ((b->off_class & (3ULL << 62)) == cls && b->digest.w0 == d.w0 &&
            b->digest.w1 == d.w1) {
            bool same;
            abc_wblock_same(w, ABC_WBLOCK_OFF(b), pod_class, true, data, len, &same);
            if (same)
                return b;
        }
    }
}

/* Remembers a new block (unless the map is at its limit). */
static int
abc_wmap_insert(abc_writer *w, ogawa_digest d, uint64_t off, int pod_class, uint64_t n_points,
                struct ogawa_err *err)
{
    struct abc_wmap *m = &w->map;
    if (w->map_limit && m->n >= w->map_limit)
        return 0;
    if (4 * (m->n + 1) > 3 * m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 1024;
        struct abc_wblock *tab = calloc(cap, sizeof(*tab));
        if (!tab)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory for the sample map");
        struct abc_wmap old = *m;
        m->tab = tab;
        m->cap = cap;
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.tab[i].off_class)
                continue;
            size_t j = abc_wmap_start(m, old.tab[i].digest);
            while (tab[j].off_class)
                j = (j + 1) & (cap - 1);
            tab[j] = old.tab[i];
        }
        free(old.tab);
    }
    size_t j = abc_wmap_start(m, d);
    while (m->tab[j].off_class)
        j = (j + 1) & (m->cap - 1);
    m->tab[j] = (struct abc_wblock){d, off | abc_wblock_class_bits(pod_class), n_points};
    m->n++;
    return 0;
}

/* ---- samples (§5.5–§5.9, §6.2) ---------------------------------------- */

static int
abc_wprop_push_slot(abc_wprop *p, uint64_t slot, struct ogawa_err *err)
{
    if (p->n_slots == p->cap_slots) {
        size_t cap = p->cap_slots ? 2 * p->cap_slots : 4;
        uint64_t *s = realloc(p->slots, cap * sizeof(*s));
        if (!s)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory for sample slots");
        p->slots = s;
        p->cap_slots = cap;
    }
    p->slots[p->n_slots++] = slot;
    return 0;
}

/* §5.6: the dims child of an array sample.  1-D numeric samples need
 * none (the reader derives the count); strings and rank >= 2 get a new
 * block of u64s every time (dims blocks are not de-duplicated). */
static int
abc_wprop_push_dims(abc_wprop *p, const uint64_t *dims, unsigned rank, struct ogawa_err *err)
{
    uint64_t slot = OGAWA_EMPTY_DATA;
    if (p->pod == ABC_POD_STRING || p->pod == ABC_POD_WSTRING || rank >= 2) {
        uint8_t small[8 * 8];
        uint8_t *buf = rank <= 8 ? small : malloc((size_t)rank * 8);
        if (!buf)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory writing dims");
        for (unsigned i = 0; i < rank; i++)
            abc_put_u64(buf + 8 * i, dims[i]);
        struct iovec iov = {buf, (size_t)rank * 8};
        int rc = ogawa_writer_data(p->w->ow, &iov, 1, &slot, err);
        if (buf != small)
            free(buf);
        if (rc)
            return rc;
    }
    return abc_wprop_push_slot(p, slot, err);
}

/* §6.2: extend the chain with the digest d of the current (last written)
 * block; arrays first fold in the dims of that block. */
static void
abc_wprop_chain(abc_wprop *p, ogawa_digest d)
{
    if (p->kind == ABC_KIND_ARRAY && p->prev_rank > 0) {
        ogawa_spooky_state s;
        uint8_t buf[16];
        ogawa_spooky_init(&s);
        for (unsigned i = 0; i < p->prev_rank; i++) {
            uint8_t v[8];
            abc_put_u64(v, p->prev_dims[i]);
            ogawa_spooky_update(&s, v, 8);
        }
        ogawa_digest_to_bytes(d, buf);
        ogawa_spooky_update(&s, buf, 16);
        d = ogawa_spooky_final(&s);
    }
    if (p->n_samples == 0)
        p->chain = d;
    else
        p->chain = ogawa_spooky_short_end(p->chain.w0, p->chain.w1, d.w0, d.w1);
}

/*
 * The common path of scalar and array samples, after validation: data/len
 * is the payload, dims/rank its shape (arrays, rank >= 1), n_elems the
 * element count (scalars: 1).
 */
static int
abc_wprop_store(abc_wprop *p, const uint8_t *data, uint64_t len, const uint64_t *dims,
                unsigned rank, uint64_t n_elems, struct ogawa_err *err)
{
    abc_writer *w = p->w;
    bool array = p->kind == ABC_KIND_ARRAY;
    int pod_class = abc_pod_class(p->pod);
    uint32_t i = p->n_samples;
    int rc;

    /* §5.5, §6.1: the key; the wstring quirk hashes len/4 bytes. */
    ogawa_digest d = {0, 0};
    if (len > 0)
        d = ogawa_murmur3(data, p->pod == ABC_POD_WSTRING ? (size_t)(len / 4) : (size_t)len);

    /* §5.7 step 2: equal to the previous written sample? */
    if (i > 0 && p->prev_len == len && p->prev_digest.w0 == d.w0 && p->prev_digest.w1 == d.w1) {
        bool same = true;
        if (len > 0)
            abc_wblock_same(w, ogawa_slot_offset(p->prev_slot), pod_class, false, data, len,
                            &same);
        if (same) {
            abc_wprop_chain(p, p->prev_digest);
            p->n_samples++;
            return 0;
        }
    }

    /* Step 1a: references for the repeats since the last change. */
    if (p->first_changed != 0) {
        for (uint32_t j = p->last_changed + 1; j < i; j++) {
            rc = abc_wprop_push_slot(p, p->prev_slot, err);
            if (rc == 0 && array)
                rc = abc_wprop_push_dims(p, p->prev_dims, p->prev_rank, err);
            if (rc)
                return rc;
        }
    }

    /* Step 1b: the sample, through the map (§5.8). */
    uint64_t slot = OGAWA_EMPTY_DATA, n_points = 0;
    if (len > 0) {
        const struct abc_wblock *b = abc_wmap_find(w, d, len, pod_class, data);
        if (b) {
            slot = ABC_WBLOCK_OFF(b) | OGAWA_SLOT_DATA_BIT;
            n_points = b->n_points;
        } else {
            uint8_t key[16];
            ogawa_digest_to_bytes(d, key);
            struct iovec iov[2] = {{key, 16}, {(void *)data, (size_t)len}};
            rc = ogawa_writer_data(w->ow, iov, 2, &slot, err);
            if (rc)
                return rc;
            n_points = (uint64_t)p->extent * n_elems;
            rc = abc_wmap_insert(w, d, ogawa_slot_offset(slot), pod_class, n_points, err);
            if (rc)
                return rc;
        }
    }
    rc = abc_wprop_push_slot(p, slot, err);
    if (rc == 0 && array)
        rc = abc_wprop_push_dims(p, dims, rank, err);
    if (rc)
        return rc;

    if (array) {
        /* §5.9 */
        if (n_elems != 1)
            p->scalar_like = false;
        if (n_elems != n_points)
            p->homogenous = false;
        if (rank != p->prev_rank) {
            uint64_t *nd = realloc(p->prev_dims, (size_t)rank * sizeof(*nd));
            if (!nd)
                return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory for dims");
            p->prev_dims = nd;
            p->prev_rank = rank;
        }
        memcpy(p->prev_dims, dims, (size_t)rank * sizeof(*dims));
    }
    p->prev_slot = slot;
    p->prev_len = len;
    p->prev_digest = d;
    if (p->first_changed == 0 && i > 0)
        p->first_changed = i;
    p->last_changed = i;
    abc_wprop_chain(p, d);
    p->n_samples++;
    return 0;
}

/* Counts the strings of a string/wstring payload; it must be empty or end
 * with a terminator. */
static int
abc_wprop_count_strings(int pod, const uint8_t *data, uint64_t len, uint64_t *n,
                        struct ogawa_err *err)
{
    *n = 0;
    if (len == 0)
        return 0;
    if (pod == ABC_POD_STRING) {
        if (data[len - 1] != 0)
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "string payload does not end with NUL");
        for (uint64_t k = 0; k < len; k++)
            *n += data[k] == 0;
        return 0;
    }
    if (len % 4)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "wstring payload is not whole u32 units");
    uint32_t u;
    memcpy(&u, data + len - 4, 4);
    if (u != 0)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "wstring payload does not end with a 0 unit");
    for (uint64_t k = 0; k < len; k += 4) {
        memcpy(&u, data + k, 4);
        *n += u == 0;
    }
    return 0;
}

static int
abc_wprop_sample_check(abc_wprop *p, int kind, struct ogawa_err *err)
{
    if (p->kind != kind)
        return ogawa_fail(err, OGAWA_E_INVAL, 0,
                          kind == ABC_KIND_SCALAR ? "not a scalar property" : "not an array property");
    if (p->finished)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "property already finished");
    if (p->n_samples == UINT32_MAX)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "too many samples");
    const struct abc_wts *t = &p->w->ts[p->ts_idx];
    /* §5.10: an acyclic sampling has one time per sample. */
    if (t->spc == UINT32_MAX && p->n_samples >= t->n_times)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "more samples than acyclic sampling times");
    return 0;
}

int
abc_wprop_add_sample(abc_wprop *p, const void *data, size_t len, struct ogawa_err *err)
{
    abc_writer *w = p->w;
    struct ogawa_err e = {0};
    int rc = abc_writer_failed(w, err);
    if (rc == 0)
        rc = abc_wprop_sample_check(p, ABC_KIND_SCALAR, err);
    if (rc)
        return rc;
    if (len > 0 && !data)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "sample data is NULL");
    if (p->pod == ABC_POD_STRING || p->pod == ABC_POD_WSTRING) {
        uint64_t n;
        rc = abc_wprop_count_strings(p->pod, data, len, &n, err);
        if (rc)
            return rc;
        if (n != p->extent)
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "scalar sample has the wrong number of strings");
    } else if (len != (size_t)abc_pod_size(p->pod) * p->extent) {
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "scalar sample has the wrong size");
    }
    rc = abc_wprop_store(p, data, len, NULL, 0, 1, &e);
    return abc_writer_fail(w, rc, &e, err);
}

int
abc_wprop_add_array_sample(abc_wprop *p, const void *data, size_t len, const uint64_t *dims,
                           unsigned rank, struct ogawa_err *err)
{
    abc_writer *w = p->w;
    struct ogawa_err e = {0};
    int rc = abc_writer_failed(w, err);
    if (rc == 0)
        rc = abc_wprop_sample_check(p, ABC_KIND_ARRAY, err);
    if (rc)
        return rc;
    if (len > 0 && !data)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "sample data is NULL");
    if (rank > 0 && !dims)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "dims are NULL");
    if (rank > ABC_MAX_RANK)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "rank is above ABC_MAX_RANK");
    uint64_t n_values;
    if (p->pod == ABC_POD_STRING || p->pod == ABC_POD_WSTRING) {
        rc = abc_wprop_count_strings(p->pod, data, len, &n_values, err);
        if (rc)
            return rc;
    } else {
        uint64_t unit = abc_pod_size(p->pod);
        if (len % unit)
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "array sample is not whole values");
        n_values = len / unit;
    }
    if (n_values % p->extent)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "array sample is not whole elements");
    uint64_t n_elems = n_values / p->extent;
    uint64_t one[1] = {n_elems};
    if (rank == 0) {
        dims = one;
        rank = 1;
    } else {
        uint64_t prod = 1;
        for (unsigned k = 0; k < rank; k++) {
            if (dims[k] != 0 && prod > UINT64_MAX / dims[k])
                return ogawa_fail(err, OGAWA_E_INVAL, 0, "dims overflow");
            prod *= dims[k];
        }
        if (prod != n_elems)
            return ogawa_fail(err, OGAWA_E_INVAL, 0, "dims do not match the sample size");
    }
    rc = abc_wprop_store(p, data, len, dims, rank, n_elems, &e);
    return abc_writer_fail(w, rc, &e, err);
}

int
abc_wprop_repeat_sample(abc_wprop *p, struct ogawa_err *err)
{
    int rc = abc_writer_failed(p->w, err);
    if (rc)
        return rc;
    if (p->kind == ABC_KIND_COMPOUND)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "a compound has no samples");
    rc = abc_wprop_sample_check(p, p->kind, err);
    if (rc)
        return rc;
    if (p->n_samples == 0)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "no previous sample to repeat");
    abc_wprop_chain(p, p->prev_digest);
    p->n_samples++;
    return 0;
}

/* ---- header records (§5.2) -------------------------------------------- */

static size_t
abc_put_hinted(uint8_t *b, unsigned hint, uint32_t v)
{
    switch (hint) {
    case 0:
        b[0] = (uint8_t)v;
        return 1;
    case 1:
        b[0] = (uint8_t)v;
        b[1] = (uint8_t)(v >> 8);
        return 2;
    default:
        abc_put_u32(b, v);
        return 4;
    }
}

/* Appends the header record of p at buf + *pos (enough room assumed). */
static void
abc_wprop_record(abc_writer *w, const abc_wprop *p, uint8_t *buf, size_t *pos)
{
    uint8_t idx = abc_writer_md_index(w, p->md, p->md_len);
    uint64_t m = p->md_len > p->name_len ? p->md_len : p->name_len;
    uint32_t info = 0;
    bool sampled = p->kind != ABC_KIND_COMPOUND;
    if (sampled) {
        if (p->n_samples > m)
            m = p->n_samples;
        if (p->ts_idx > m)
            m = p->ts_idx;
    }
    unsigned hint = m <= 255 ? 0 : m <= 65535 ? 1 : 2;
    uint32_t n = p->n_samples, f = p->first_changed, l = p->last_changed;
    bool store_fl = false;
    if (sampled) {
        info |= p->kind == ABC_KIND_SCALAR ? 1u : 2u | (p->scalar_like ? 1u : 0u);
        info |= (uint32_t)p->pod << 4;
        if (p->ts_idx)
            info |= 0x100;
        if (f == 0 && l == 0)
            info |= 0x800;
        else if (!(f == 1 && l == n - 1)) {
            info |= 0x200;
            store_fl = true;
        }
        if (p->homogenous)
            info |= 0x400;
        info |= (uint32_t)p->extent << 12;
    }
    info |= hint << 2;
    info |= (uint32_t)idx << 20;
    abc_put_u32(buf + *pos, info);
    *pos += 4;
    if (sampled) {
        *pos += abc_put_hinted(buf + *pos, hint, n);
        if (store_fl) {
            *pos += abc_put_hinted(buf + *pos, hint, f);
            *pos += abc_put_hinted(buf + *pos, hint, l);
        }
        if (p->ts_idx)
            *pos += abc_put_hinted(buf + *pos, hint, p->ts_idx);
    }
    *pos += abc_put_hinted(buf + *pos, hint, (uint32_t)p->name_len);
    memcpy(buf + *pos, p->name, p->name_len);
    *pos += p->name_len;
    if (idx == 255) {
        *pos += abc_put_hinted(buf + *pos, hint, (uint32_t)p->md_len);
        memcpy(buf + *pos, p->md, p->md_len);
        *pos += p->md_len;
    }
}

int
abc_wprop_write_headers(abc_wprop *c, uint64_t *slot, struct ogawa_err *err)
{
    size_t len = 0;
    for (size_t i = 0; i < c->n_children; i++) {
        const abc_wprop *p = c->children[i];
        len += 4 + 4 * 6 + p->name_len + p->md_len;
    }
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory writing property headers");
    size_t pos = 0;
    for (size_t i = 0; i < c->n_children; i++)
        abc_wprop_record(c->w, c->children[i], buf, &pos);
    struct iovec iov = {buf, pos};
    int rc = ogawa_writer_data(c->w->ow, &iov, 1, slot, err);
    free(buf);
    return rc;
}

/* ---- finishing (§7 rules 5, 6; hashes §6.3) --------------------------- */

/* B(p) of §6.3 fed into s. */
static void
abc_wprop_hash_header(const abc_wprop *p, ogawa_spooky_state *s)
{
    ogawa_spooky_update(s, p->name, p->name_len);
    if (p->md_len)
        ogawa_spooky_update(s, p->md, p->md_len);
    if (p->kind == ABC_KIND_COMPOUND)
        return;
    const struct abc_wts *t = &p->w->ts[p->ts_idx];
    uint8_t b[3] = {(uint8_t)p->pod, (uint8_t)p->extent, 0};
    ogawa_spooky_update(s, b, p->kind == ABC_KIND_SCALAR ? 3 : 2);
    uint8_t v[8];
    uint64_t bits;
    memcpy(&bits, &t->tpc, 8);
    abc_put_u64(v, bits);
    ogawa_spooky_update(s, v, 8);
    abc_put_u32(v, t->n_times);
    ogawa_spooky_update(s, v, 4);
    for (uint32_t k = 0; k < t->n_times; k++) {
        memcpy(&bits, &t->times[k], 8);
        abc_put_u64(v, bits);
        ogawa_spooky_update(s, v, 8);
    }
}

int
abc_wprop_finish_now(abc_wprop *p, struct ogawa_err *err)
{
    abc_writer *w = p->w;
    ogawa_spooky_state s;
    uint8_t h[16];
    int rc;
    ogawa_spooky_init(&s);
    if (p->kind == ABC_KIND_COMPOUND) {
        uint64_t hdr = 0;
        if (p->n_children) {
            rc = abc_wprop_write_headers(p, &hdr, err);
            if (rc)
                return rc;
        }
        for (size_t i = 0; i < p->n_children; i++) {
            ogawa_digest_to_bytes(p->children[i]->hash, h);
            ogawa_spooky_update(&s, h, 16);
        }
        abc_wprop_hash_header(p, &s);
        p->hash = ogawa_spooky_final(&s);
        if (p->n_children) {
            uint64_t *slots = malloc((p->n_children + 1) * sizeof(*slots));
            if (!slots)
                return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory finishing a compound");
            for (size_t i = 0; i < p->n_children; i++)
                slots[i] = p->children[i]->group_slot;
            slots[p->n_children] = hdr;
            rc = ogawa_writer_group(w->ow, slots, p->n_children + 1, &p->group_slot, err);
            free(slots);
            if (rc)
                return rc;
        } else {
            p->group_slot = OGAWA_EMPTY_GROUP;
        }
        free(p->children);
        p->children = NULL;
    } else {
        rc = ogawa_writer_group(w->ow, p->slots, p->n_slots, &p->group_slot, err);
        if (rc)
            return rc;
        /* §3.4: a constant property counts once. */
        if (p->n_samples > 0) {
            uint32_t c = p->last_changed == 0 ? 1 : p->n_samples;
            struct abc_wts *t = &w->ts[p->ts_idx];
            if (c > t->max_samples)
                t->max_samples = c;
        }
        abc_wprop_hash_header(p, &s);
        if (p->n_samples > 0) {
            ogawa_digest_to_bytes(p->chain, h);
            ogawa_spooky_update(&s, h, 16);
        }
        p->hash = ogawa_spooky_final(&s);
        free(p->slots);
        p->slots = NULL;
        p->n_slots = p->cap_slots = 0;
        free(p->prev_dims);
        p->prev_dims = NULL;
    }
    p->finished = true;
    p->parent->n_open--;
    return 0;
}

int
abc_wprop_finish(abc_wprop *p, struct ogawa_err *err)
{
    struct ogawa_err e = {0};
    int rc = abc_writer_failed(p->w, err);
    if (rc)
        return rc;
    if (!p->parent)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "an object's top compound is finished by its object");
    if (p->finished)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "property already finished");
    if (p->n_open)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "compound has an unfinished property");
    rc = abc_wprop_finish_now(p, &e);
    return abc_writer_fail(p->w, rc, &e, err);
}
