/*
 * abc_meta.c — reading serialized metadata (ogawa-format.md §2.3) and
 * evaluating time samplings (§3.4, layout.md "Times").
 *
 * Metadata is kept as the serialized string and iterated on demand rather
 * than parsed into a map: most strings are short, most are never asked
 * for, and iteration needs no allocation.  The iterator reproduces the C++
 * reader's "quiet unique" rules, including stopping at the first malformed
 * entry and letting the first of two equal keys win.
 */
#include "abc.h"

#include <math.h>
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
    while (abc_meta_next(meta, &pos, &k, &v)) {
        if (k.len == klen && memcmp(k.ptr, key, klen) == 0) {
            *value = v;
            return true;
        }
    }
    return false;
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
