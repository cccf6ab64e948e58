/*
 * abc_prop.c — property handles (abc.h, abc_prop_open): a scalar or array
 * property resolved once, whose samples are then located from bytes read
 * in batches instead of three to five small preads each.
 *
 * Locating sample i needs the property group's slot(s) of its stored
 * position, the data block's 8-byte size field and, for arrays, the dims
 * block (§5.6).  The handle keeps:
 *   - a window of ABC_PROP_WINDOW raw slots of the group (4 KiB), read in
 *     one pread and aligned so that consecutive samples share it;
 *   - ABC_PROP_CHUNKS chunks of ABC_PROP_CHUNK archive bytes, each read at
 *     the first size field or dims block that misses: writers append a
 *     sample's data block and its dims block together, sample after
 *     sample, so small samples' fields lie in the same few KiB.
 * So locating every sample in order costs O(n / batch) preads when samples
 * are small; a sample larger than a chunk costs about one pread (its dims
 * and the next sample's size field usually share a chunk), a small price
 * beside its payload.  Memory is fixed at about 12 KiB a handle, however
 * many samples the property has (2^20 samples' slots would be 16 MiB).
 *
 * The locate code itself is abc_property.c's, shared with
 * abc_property_sample, so both give the same samples and errors: the
 * caches hold raw bytes and every check runs on them as on a direct read.
 * A lock per handle guards the caches; the handle is otherwise immutable.
 */
#include "abc_int.h"

#include <stdlib.h>
#include <string.h>

int
abc_prop_open(abc_compound *c, size_t idx, abc_prop **out, struct ogawa_err *err)
{
    *out = NULL;
    const struct abc_property_header *h = abc_compound_property(c, idx);
    if (!h)
        return ogawa_fail(err, OGAWA_E_NOENT, c->off, "property handle index out of range");
    if (h->kind == ABC_KIND_COMPOUND)
        return ogawa_fail(err, OGAWA_E_INVAL, c->off, "property handle of a compound");
    abc_prop *p = calloc(1, sizeof(*p));
    if (!p)
        return ogawa_fail(err, OGAWA_E_NOMEM, c->off, "out of memory opening a property");
    p->refs = 1;
    abc_compound_ref(c);
    p->compound = c;
    p->idx = idx;
    pthread_mutex_init(&p->lock, NULL);
    *out = p;
    return 0;
}

void
abc_prop_ref(abc_prop *p)
{
    __atomic_fetch_add(&p->refs, 1, __ATOMIC_RELAXED);
}

void
abc_prop_unref(abc_prop *p)
{
    if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    abc_compound_unref(p->compound);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

const struct abc_property_header *
abc_prop_header(const abc_prop *p)
{
    return abc_compound_property(p->compound, p->idx);
}

abc_compound *abc_prop_compound(const abc_prop *p) { return p->compound; }
size_t abc_prop_index(const abc_prop *p) { return p->idx; }

int
abc_prop_sample(abc_prop *p, uint32_t i, struct abc_sample *out, struct ogawa_err *err)
{
    pthread_mutex_lock(&p->lock);
    int rc = abc_property_sample_with(p->compound, p->idx, p, i, out, err);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

/* ---- the caches (called with p->lock held) ----------------------------- */

int
abc_prop_group(struct abc_prop *p, struct ogawa_group *g, struct ogawa_err *err)
{
    if (!p->have_group) {
        const abc_archive *a = p->compound->object->archive;
        uint64_t off = ogawa_slot_offset(p->compound->slots[p->idx]);
        int rc = ogawa_group_read(a->ogawa, off, &p->group, err);
        if (rc)
            return rc;                  /* not kept: a later call reads again */
        p->have_group = true;
    }
    *g = p->group;
    return 0;
}

int
abc_prop_slots(struct abc_prop *p, const struct ogawa_group *g, uint64_t first, uint64_t n,
               uint64_t *slots, struct ogawa_err *err)
{
    if (first > g->n_children || n > g->n_children - first || n > ABC_PROP_WINDOW / 2)
        return ogawa_fail(err, OGAWA_E_NOENT, g->off, "property handle slot index out of range");
    if (first < p->win_first || first + n > p->win_first + p->win_n) {
        /* Aligned windows: a pair of array slots (even first) never
         * straddles two of them. */
        uint64_t start = first - first % ABC_PROP_WINDOW;
        uint64_t count = g->n_children - start < ABC_PROP_WINDOW ? g->n_children - start
                                                                  : ABC_PROP_WINDOW;
        if (first + n > start + count)
            start = first, count = n;
        const abc_archive *a = p->compound->object->archive;
        p->win_n = 0;
        int rc = ogawa_archive_read(a->ogawa, g->off + 8 + 8 * start, p->win, 8 * count, err);
        if (rc)
            return rc;
        p->win_first = start;
        p->win_n = count;
    }
    for (uint64_t k = 0; k < n; k++) {
        uint64_t s;
        memcpy(&s, &p->win[first - p->win_first + k], 8);   /* little-endian hosts */
        /* ogawa_group_children's check, on the slots asked for only. */
        if (!ogawa_slot_is_data(s) && s == g->off)
            return ogawa_fail(err, OGAWA_E_DEPTH, g->off, "group lists itself as a child");
        slots[k] = s;
    }
    return 0;
}

int
abc_prop_bytes(struct abc_prop *p, uint64_t off, void *buf, uint64_t len, struct ogawa_err *err)
{
    const abc_archive *a = p->compound->object->archive;
    if (len > ABC_PROP_CHUNK)
        return ogawa_archive_read(a->ogawa, off, buf, len, err);
    for (unsigned k = 0; k < ABC_PROP_CHUNKS; k++) {
        struct abc_prop_chunk *c = &p->chunk[k];
        if (c->len && off >= c->off && len <= c->len && off - c->off <= c->len - len) {
            memcpy(buf, c->buf + (off - c->off), len);
            return 0;
        }
    }
    uint64_t size = ogawa_archive_size(a->ogawa);
    if (!ogawa_range_ok(off, len, size))
        return ogawa_archive_read(a->ogawa, off, buf, len, err);   /* its error */
    struct abc_prop_chunk *c = &p->chunk[p->next_chunk];
    p->next_chunk = (p->next_chunk + 1) % ABC_PROP_CHUNKS;
    uint64_t want = size - off < ABC_PROP_CHUNK ? size - off : ABC_PROP_CHUNK;
    c->len = 0;
    int rc = ogawa_archive_read(a->ogawa, off, c->buf, want, err);
    if (rc)
        return rc;
    c->off = off;
    c->len = want;
    memcpy(buf, c->buf, len);
    return 0;
}
