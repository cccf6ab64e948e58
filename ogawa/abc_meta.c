/*
 * abc_meta.c — reading serialized metadata (ogawa-format.md §2.3) and
 * evaluating time samplings (§3.4, layout.md "Times").
 *
 * Metadata is kept as the serialized string and iterated on demand rather
 * than parsed into a map: most strings are short, most are never asked
 * for, and each consumer (a listing's instance and schema checks, one
 * .info, one dump) reads a string a bounded number of times, so one pass
 * per question keeps the whole cost linear in the metadata's size.  The
 * iterators reproduce the C++ reader's "quiet unique" rules, including
 * stopping at the first malformed entry and letting the first of two
 * equal keys win; abc_meta_get's single scan gets the latter for free
 * (the first raw match is the winner), abc_meta_iter keeps a set of the
 * keys seen so that a pass over k entries is O(k), not O(k^2).
 */
#include "abc.h"
#include "hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *
abc_meta_find_byte(const char *p, const char *end, char c)
{
    const char *hit = memchr(p, c, (size_t)(end - p));
    return hit ? hit : end;
}

/* The raw entry scan: no duplicate suppression. */
static bool
abc_meta_next_raw(abc_str meta, size_t *pos, abc_str *key, abc_str *value)
{
    if (!meta.ptr || *pos >= meta.len)
        return false;
    const char *start = meta.ptr + *pos, *end = meta.ptr + meta.len;
    const char *semi = abc_meta_find_byte(start, end, ';');
    const char *eq = abc_meta_find_byte(start, end, '=');
    if (eq == end || eq > semi) {       /* malformed: stop, keep what we have */
        *pos = meta.len;
        return false;
    }
    key->ptr = start;
    key->len = (size_t)(eq - start);
    value->ptr = eq + 1;
    value->len = (size_t)(semi - eq - 1);
    *pos = semi == end ? meta.len : (size_t)(semi - meta.ptr) + 1;
    return true;
}

bool
abc_meta_next(abc_str meta, size_t *pos, abc_str *key, abc_str *value)
{
    while (abc_meta_next_raw(meta, pos, key, value)) {
        /* First occurrence wins: skip a key seen earlier in the string. */
        size_t before = (size_t)(key->ptr - meta.ptr), p = 0;
        abc_str k, v;
        bool dup = false;
        while (p < before && abc_meta_next_raw(meta, &p, &k, &v)) {
            if ((size_t)(k.ptr - meta.ptr) >= before)
                break;
            if (k.len == key->len && memcmp(k.ptr, key->ptr, k.len) == 0) {
                dup = true;
                break;
            }
        }
        if (!dup)
            return true;
    }
    return false;
}

bool
abc_meta_get(abc_str meta, const char *key, abc_str *value)
{
    size_t pos = 0, klen = strlen(key);
    abc_str k, v;
    /* The first raw entry with the key is the first occurrence, which is
     * the one that wins: no duplicate check needed. */
    while (abc_meta_next_raw(meta, &pos, &k, &v)) {
        if (k.len == klen && memcmp(k.ptr, key, klen) == 0) {
            *value = v;
            return true;
        }
    }
    return false;
}

/* A raw key met by an abc_meta_iter (points into the metadata). */
struct abc_meta_seen {
    const char *ptr;        /* NULL = free slot */
    size_t len;
    uint64_t hash;
};

/* The first this many raw entries are checked by a scan, as abc_meta_next
 * does (no allocation for the usual short strings); later ones in a set of
 * every key met. */
#define ABC_META_ITER_SCAN_MAX 8

void
abc_meta_iter_init(struct abc_meta_iter *it, abc_str meta)
{
    memset(it, 0, sizeof(*it));
    it->meta = meta;
}

void
abc_meta_iter_done(struct abc_meta_iter *it)
{
    free(it->seen);
    it->seen = NULL;
    it->n_seen = it->cap_seen = 0;
}

/* Slot of key in the set: its own, or the free one where it belongs. */
static struct abc_meta_seen *
abc_meta_seen_slot(struct abc_meta_iter *it, const char *ptr, size_t len, uint64_t h)
{
    size_t mask = it->cap_seen - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct abc_meta_seen *s = &it->seen[i];
        it->probes++;
        if (!s->ptr || (s->hash == h && s->len == len && memcmp(s->ptr, ptr, len) == 0))
            return s;
    }
}

/* Makes room for one more key; false when out of memory. */
static bool
abc_meta_seen_reserve(struct abc_meta_iter *it)
{
    if ((it->n_seen + 1) * 2 <= it->cap_seen)
        return true;
    size_t cap = it->cap_seen ? 2 * it->cap_seen : 64;
    struct abc_meta_seen *old = it->seen, *tab = calloc(cap, sizeof(*tab));
    if (!tab)
        return false;
    size_t old_cap = it->cap_seen;
    it->seen = tab;
    it->cap_seen = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].ptr)
            *abc_meta_seen_slot(it, old[i].ptr, old[i].len, old[i].hash) = old[i];
    free(old);
    return true;
}

/* Adds key to the set unless present: true if it was present. */
static bool
abc_meta_seen_add(struct abc_meta_iter *it, const abc_str *key)
{
    uint64_t h = ogawa_fnv1a64(key->ptr, key->len);
    struct abc_meta_seen *s = abc_meta_seen_slot(it, key->ptr, key->len, h);
    if (s->ptr)
        return true;
    s->ptr = key->ptr;
    s->len = key->len;
    s->hash = h;
    it->n_seen++;
    return false;
}

/* abc_meta_next's check: does an entry before key (at offset before)
 * have the same key? */
static bool
abc_meta_dup_scan(struct abc_meta_iter *it, const abc_str *key, size_t before)
{
    size_t p = 0;
    abc_str k, v;
    while (p < before && abc_meta_next_raw(it->meta, &p, &k, &v)) {
        it->probes++;
        if ((size_t)(k.ptr - it->meta.ptr) >= before)
            break;
        if (k.len == key->len && memcmp(k.ptr, key->ptr, k.len) == 0)
            return true;
    }
    return false;
}

bool
abc_meta_iter_next(struct abc_meta_iter *it, abc_str *key, abc_str *value)
{
    for (;;) {
        size_t at = it->pos;
        if (!abc_meta_next_raw(it->meta, &it->pos, key, value))
            return false;
        bool dup;
        if (it->scan_only || it->n_raw < ABC_META_ITER_SCAN_MAX) {
            dup = abc_meta_dup_scan(it, key, at);
        } else {
            if (!it->seen) {
                /* Switching to the set: enter the keys met so far. */
                size_t p = 0;
                abc_str k, v;
                while (!it->scan_only && p < at && abc_meta_next_raw(it->meta, &p, &k, &v)) {
                    if (abc_meta_seen_reserve(it))
                        abc_meta_seen_add(it, &k);
                    else
                        it->scan_only = true;
                }
            }
            if (it->scan_only || !abc_meta_seen_reserve(it)) {
                abc_meta_iter_done(it);
                it->scan_only = true;
                dup = abc_meta_dup_scan(it, key, at);
            } else {
                dup = abc_meta_seen_add(it, key);
            }
        }
        it->n_raw++;
        if (!dup)
            return true;
    }
}

const char *
abc_ts_type_name(int type)
{
    switch (type) {
    case ABC_TS_IDENTITY: return "identity";
    case ABC_TS_UNIFORM: return "uniform";
    case ABC_TS_CYCLIC: return "cyclic";
    case ABC_TS_ACYCLIC: return "acyclic";
    default: return "unknown";
    }
}

double
abc_time_sampling_time(const struct abc_time_sampling *ts, uint64_t i)
{
    switch (ts->type) {
    case ABC_TS_IDENTITY:
    case ABC_TS_UNIFORM:
        return ts->times[0] + (double)i * ts->time_per_cycle;
    case ABC_TS_CYCLIC:
        return ts->times[i % ts->n_times] + (double)(i / ts->n_times) * ts->time_per_cycle;
    default:
        return i < ts->n_times ? ts->times[i] : NAN;
    }
}
