/*
 * abc_property.c — compound, scalar and array properties and their samples
 * (ogawa-format.md §5).
 *
 * A compound group holds one group per sub-property and, last, a data
 * block of header records (§5.2) that say what each sub-property is.
 * Opening a compound reads its slots and that block.  A sample is located
 * only when asked: the property group's count and one or two slots, the
 * data block's size field, and for arrays the small dims block (§5.6).
 * The payload itself is never read here: its offset and length are
 * handed out so that a filesystem can serve it straight from the file.
 */
#include "abc_int.h"

#include <stdlib.h>
#include <string.h>

/* Info word fields, §5.2. */
#define ABC_INFO_TS_INDEX 0x0100u
#define ABC_INFO_FIRST_LAST 0x0200u
#define ABC_INFO_HOMOGENOUS 0x0400u
#define ABC_INFO_CONSTANT 0x0800u

void
abc_compound_ref(abc_compound *c)
{
    __atomic_fetch_add(&c->refs, 1, __ATOMIC_RELAXED);
}

void
abc_compound_unref(abc_compound *c)
{
    while (c && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        abc_compound *parent = c->parent;
        abc_object_unref(c->object);
        free(c->slots);
        free(c->props);
        free(c->strings);
        free(c);
        c = parent;
    }
}

abc_object *abc_compound_object(const abc_compound *c) { return c->object; }
abc_compound *abc_compound_parent(const abc_compound *c) { return c->parent; }
uint64_t abc_compound_offset(const abc_compound *c) { return c->off; }
const struct abc_property_header *abc_compound_header(const abc_compound *c) { return c->self; }
size_t abc_compound_count(const abc_compound *c) { return c->n_props; }

const struct abc_property_header *
abc_compound_property(const abc_compound *c, size_t idx)
{
    return idx < c->n_props ? &c->props[idx] : NULL;
}

int
abc_compound_find(const abc_compound *c, const char *name, size_t len, size_t *idx)
{
    for (size_t i = 0; i < c->n_props; i++) {
        const abc_str *n = &c->props[i].name;
        if (n->len == len && memcmp(n->ptr, name, len) == 0) {
            *idx = i;
            return 0;
        }
    }
    return OGAWA_E_NOENT;
}

uint32_t
abc_property_stored_index(const struct abc_property_header *h, uint32_t i)
{
    uint32_t f = h->first_changed, l = h->last_changed;
    if (i < f || (f == 0 && l == 0))
        return 0;
    if (i >= l)
        return l - f + 1;
    return i - f + 1;
}

bool
abc_property_is_constant(const struct abc_property_header *h)
{
    return h->first_changed == 0;
}

/* One §5.2 record at blob[*pos]. */
static int
abc_parse_property_header(const abc_archive *a, const uint8_t *blob, size_t len, size_t *pos,
                          struct abc_property_header *h, char **cursor, uint64_t off,
                          struct ogawa_err *err)
{
    uint32_t info;
    if (!abc_read_u32(blob, len, pos, &info))
        return OGAWA_CORRUPT(err, off, "property header info word is truncated");
    unsigned type = info & 3u, hint = (info >> 2) & 3u;
    if (hint == 3)
        return OGAWA_CORRUPT(err, off, "property header has an invalid size hint");
    h->kind = type == 0 ? ABC_KIND_COMPOUND : type == 1 ? ABC_KIND_SCALAR : ABC_KIND_ARRAY;
    h->is_scalar_like = (type & 1u) != 0;
    h->is_homogenous = (info & ABC_INFO_HOMOGENOUS) != 0;
    if (h->kind != ABC_KIND_COMPOUND) {
        h->pod = (int)((info >> 4) & 0xFu);
        h->extent = (info >> 12) & 0xFFu;
        if (h->pod >= ABC_POD_COUNT)
            return OGAWA_CORRUPT(err, off, "property header has an invalid data type");
        if (h->extent == 0)
            return OGAWA_CORRUPT(err, off, "property header has extent 0");
        if (!abc_read_hinted(blob, len, pos, hint, &h->num_samples))
            return OGAWA_CORRUPT(err, off, "property header sample count is truncated");
        if (info & ABC_INFO_FIRST_LAST) {
            if (!abc_read_hinted(blob, len, pos, hint, &h->first_changed) ||
                !abc_read_hinted(blob, len, pos, hint, &h->last_changed))
                return OGAWA_CORRUPT(err, off, "property header changed indices are truncated");
        } else if ((info & ABC_INFO_CONSTANT) || h->num_samples == 0) {
            h->first_changed = h->last_changed = 0;
        } else {
            h->first_changed = 1;       /* §5.2: neither flag means 1 .. n-1 */
            h->last_changed = h->num_samples - 1;
        }
        if (info & ABC_INFO_TS_INDEX) {
            if (!abc_read_hinted(blob, len, pos, hint, &h->time_sampling))
                return OGAWA_CORRUPT(err, off, "property header time sampling is truncated");
        }
        if (h->time_sampling >= abc_archive_time_sampling_count(a))
            return OGAWA_CORRUPT(err, off, "property refers to a time sampling that does not exist");
    }
    uint32_t name_len, meta_len;
    if (!abc_read_hinted(blob, len, pos, hint, &name_len) || name_len == 0 ||
        name_len > len - *pos)
        return OGAWA_CORRUPT(err, off, "property header name is empty or truncated");
    h->name = abc_take_string(blob, pos, name_len, cursor);
    unsigned meta_idx = (info >> 20) & 0xFFu;
    if (meta_idx == 255) {
        if (!abc_read_hinted(blob, len, pos, hint, &meta_len) || meta_len > len - *pos)
            return OGAWA_CORRUPT(err, off, "property header inline metadata is truncated");
        h->metadata = abc_take_string(blob, pos, meta_len, cursor);
    } else if (!abc_archive_indexed_metadata(a, meta_idx, &h->metadata)) {
        return OGAWA_CORRUPT(err, off, "property header metadata index is not in the table");
    }
    return 0;
}

/* Reads the compound group at off into c (§5.1). */
static int
abc_compound_parse(abc_compound *c, uint64_t off, struct ogawa_err *err)
{
    const abc_archive *a = c->object->archive;
    struct ogawa_group g;
    int rc = ogawa_group_read(a->ogawa, off, &g, err);
    if (rc || g.n_children == 0)
        return rc;                      /* empty compound: no sub-properties */
    c->off = off;
    uint64_t n = g.n_children;
    c->slots = malloc(n * sizeof(uint64_t));
    if (!c->slots)
        return ogawa_fail(err, OGAWA_E_NOMEM, off, "out of memory reading a compound");
    rc = ogawa_group_children(a->ogawa, &g, 0, n, c->slots, err);
    if (rc)
        return rc;
    if (!ogawa_slot_is_data(c->slots[n - 1]))
        return OGAWA_CORRUPT(err, off, "compound group does not end with a header block");
    struct ogawa_data d;
    uint8_t *blob;
    rc = ogawa_data_read(a->ogawa, c->slots[n - 1], &d, err);
    if (!rc)
        rc = ogawa_data_load(a->ogawa, &d, UINT64_MAX, &blob, err);
    if (rc)
        return rc;
    size_t len = (size_t)d.len;
    c->n_props = (size_t)(n - 1);
    /* A record takes at least 6 bytes (info, count, name length, name). */
    if (c->n_props > len / 6) {
        free(blob);
        return OGAWA_CORRUPT(err, d.off, "compound has more property groups than header records");
    }
    c->props = calloc(c->n_props ? c->n_props : 1, sizeof(*c->props));
    c->strings = malloc(len + 2 * c->n_props + 1);
    if (!c->props || !c->strings) {
        free(blob);
        return ogawa_fail(err, OGAWA_E_NOMEM, d.off, "out of memory reading property headers");
    }
    char *cursor = c->strings;
    size_t pos = 0, i = 0;
    for (; pos < len; i++) {
        if (i == c->n_props) {
            rc = OGAWA_CORRUPT(err, d.off, "compound has more header records than property groups");
            break;
        }
        rc = abc_parse_property_header(a, blob, len, &pos, &c->props[i], &cursor, d.off, err);
        if (rc)
            break;
    }
    if (!rc && i != c->n_props)
        rc = OGAWA_CORRUPT(err, d.off, "compound has fewer header records than property groups");
    free(blob);
    return rc;
}

static int
abc_compound_new(abc_object *o, abc_compound *parent, const struct abc_property_header *self,
                 uint64_t off, abc_compound **out, struct ogawa_err *err)
{
    *out = NULL;
    abc_compound *c = calloc(1, sizeof(*c));
    if (!c)
        return ogawa_fail(err, OGAWA_E_NOMEM, off, "out of memory opening a compound");
    c->refs = 1;
    abc_object_ref(o);
    c->object = o;
    if (parent) {
        abc_compound_ref(parent);
        c->parent = parent;
    }
    c->self = self;
    c->depth = parent ? parent->depth + 1 : 0;
    c->anc_min = parent && parent->anc_min && parent->anc_min < off ? parent->anc_min : off;
    c->anc_max = parent && parent->anc_max > off ? parent->anc_max : off;
    int rc = abc_compound_parse(c, off, err);
    if (rc) {
        abc_compound_unref(c);
        return rc;
    }
    *out = c;
    return 0;
}

int
abc_object_properties(abc_object *o, abc_compound **out, struct ogawa_err *err)
{
    return abc_compound_new(o, NULL, NULL, ogawa_slot_offset(o->compound_slot), out, err);
}

int
abc_compound_child(abc_compound *c, size_t idx, abc_compound **out, struct ogawa_err *err)
{
    *out = NULL;
    if (idx >= c->n_props)
        return ogawa_fail(err, OGAWA_E_NOENT, c->off, "property index out of range");
    if (c->props[idx].kind != ABC_KIND_COMPOUND)
        return ogawa_fail(err, OGAWA_E_INVAL, c->off, "property is not a compound");
    uint64_t slot = c->slots[idx];
    if (ogawa_slot_is_data(slot))
        return OGAWA_CORRUPT(err, c->off, "compound property slot is not a group");
    uint64_t off = ogawa_slot_offset(slot);
    /* Loops as in abc_object_child: only an offset inside the range of
     * the ancestors' offsets needs the walk. */
    if (c->depth + 1 > ABC_MAX_DEPTH)
        return ogawa_fail(err, OGAWA_E_DEPTH, off, "compounds nest too deep");
    if (off != 0 && off >= c->anc_min && off <= c->anc_max) {
        for (const abc_compound *p = c; p; p = p->parent)
            if (p->off == off)
                return ogawa_fail(err, OGAWA_E_DEPTH, off, "compound group is one of its ancestors");
    }
    return abc_compound_new(c->object, c, &c->props[idx], off, out, err);
}

/* ---- locating samples, with or without a handle's caches --------------
 *
 * One code path for abc_property_sample (no handle: each slot, size field
 * and dims block read as needed) and abc_prop_sample (handle: the same
 * bytes taken from its batched caches, abc_prop.c), so both give the same
 * samples and the same errors. */

static int
abc_loc_bytes(const abc_archive *a, struct abc_prop *p, uint64_t off, void *buf, uint64_t len,
              struct ogawa_err *err)
{
    return p ? abc_prop_bytes(p, off, buf, len, err)
             : ogawa_archive_read(a->ogawa, off, buf, len, err);
}

static int
abc_loc_data(const abc_archive *a, struct abc_prop *p, uint64_t slot, struct ogawa_data *out,
             struct ogawa_err *err)
{
    if (!p)
        return ogawa_data_read(a->ogawa, slot, out, err);
    out->off = out->len = 0;
    uint64_t field_off;
    uint8_t field[8];
    int rc = ogawa_data_locate(a->ogawa, slot, &field_off, err);
    if (!rc && field_off)
        rc = abc_prop_bytes(p, field_off, field, 8, err);
    return rc ? rc : ogawa_data_finish(a->ogawa, field_off, field, out, err);
}

/* §5.6: the dims block of an array sample, and the value count. */
static int
abc_sample_dims(const abc_archive *a, struct abc_prop *p, const struct abc_property_header *h,
                uint64_t dims_slot, struct abc_sample *s, struct ogawa_err *err)
{
    unsigned pod_size = abc_pod_size(h->pod);
    uint64_t elem_len = (uint64_t)pod_size * h->extent;
    uint64_t derived = elem_len ? s->payload_len / elem_len : 0;
    struct ogawa_data d;
    int rc = abc_loc_data(a, p, dims_slot, &d, err);
    if (rc)
        return rc;
    if (d.len % 8 != 0)
        return OGAWA_CORRUPT(err, d.off, "array dimensions block is not a whole number of u64");
    if (d.len / 8 > ABC_MAX_RANK)
        return OGAWA_CORRUPT(err, d.off, "array dimensions have too many ranks");
    s->rank = (uint32_t)(d.len / 8);
    uint8_t raw[ABC_MAX_RANK * 8];
    if (d.len) {
        rc = abc_loc_bytes(a, p, d.off + 8, raw, d.len, err);
        if (rc)
            return rc;
    }
    uint64_t product = 1;
    bool overflow = false;
    for (uint32_t r = 0; r < s->rank; r++) {
        memcpy(&s->dims[r], raw + 8 * r, 8);
        if (s->dims[r] && product > UINT64_MAX / s->dims[r])
            overflow = true;
        product *= s->dims[r];
    }
    if (elem_len) {
        /* Numeric: a missing dims block means 1-D; dims that disagree with
         * the data's size fall back to the size-derived count (§5.6). */
        if (s->rank == 0 || overflow || product != derived) {
            s->rank = 1;
            s->dims[0] = derived;
        }
        s->n_values = derived * h->extent;
        return 0;
    }
    /* string/wstring: the dims say how many strings there are. */
    if (s->rank == 0) {
        s->rank = 1;
        s->dims[0] = 0;
        product = 0;
    }
    if (overflow || product > UINT64_MAX / h->extent || product * h->extent > s->payload_len)
        return OGAWA_CORRUPT(err, d.off, "string array dimensions exceed its data");
    s->n_values = product * h->extent;
    return 0;
}

static int
abc_property_sample_locate(abc_compound *c, size_t idx, struct abc_prop *p, uint32_t i,
                           struct abc_sample *out, struct ogawa_err *err)
{
    memset(out, 0, sizeof(*out));
    const abc_archive *a = c->object->archive;
    const struct abc_property_header *h = abc_compound_property(c, idx);
    if (!h)
        return ogawa_fail(err, OGAWA_E_NOENT, c->off, "sample's property index out of range");
    if (h->kind == ABC_KIND_COMPOUND)
        return ogawa_fail(err, OGAWA_E_INVAL, c->off, "not a scalar or array property");
    if (i >= h->num_samples)
        return ogawa_fail(err, OGAWA_E_NOENT, c->off, "sample index out of range");
    uint64_t slot = c->slots[idx];
    if (ogawa_slot_is_data(slot))
        return OGAWA_CORRUPT(err, c->off, "property slot is not a group");
    struct ogawa_group g;
    int rc = p ? abc_prop_group(p, &g, err)
               : ogawa_group_read(a->ogawa, ogawa_slot_offset(slot), &g, err);
    if (rc)
        return rc;
    uint64_t k = abc_property_stored_index(h, i);
    bool array = h->kind == ABC_KIND_ARRAY;
    uint64_t slots[2];
    uint64_t per = array ? 2 : 1;
    if (g.n_children < per || k > g.n_children / per - 1)
        return OGAWA_CORRUPT(err, g.off ? g.off : c->off,
                             "property has fewer stored samples than its header says");
    rc = p ? abc_prop_slots(p, &g, k * per, per, slots, err)
           : ogawa_group_children(a->ogawa, &g, k * per, per, slots, err);
    if (rc)
        return rc;
    rc = abc_loc_data(a, p, slots[0], &out->block, err);
    if (rc)
        return rc;
    const struct ogawa_data *b = &out->block;
    if (b->len != 0 && b->len < 16)
        return OGAWA_CORRUPT(err, b->off, "sample block is shorter than its 16-byte key");
    out->payload_len = b->len ? b->len - 16 : 0;
    out->payload_off = b->len ? b->off + 8 + 16 : 0;
    unsigned pod_size = abc_pod_size(h->pod);
    if (h->pod == ABC_POD_WSTRING && out->payload_len % 4 != 0)
        return OGAWA_CORRUPT(err, b->off, "wstring sample is not a whole number of code units");
    if (!array) {
        /* §5.3: a scalar sample is exactly one element. */
        if (pod_size && out->payload_len != (uint64_t)pod_size * h->extent)
            return OGAWA_CORRUPT(err, b->off ? b->off : g.off,
                                 "scalar sample size does not match its data type");
        out->n_values = h->extent;
        return 0;
    }
    if (pod_size && out->payload_len % ((uint64_t)pod_size * h->extent) != 0)
        return OGAWA_CORRUPT(err, b->off, "array sample is not a whole number of elements");
    return abc_sample_dims(a, p, h, slots[1], out, err);
}

int
abc_property_sample_with(abc_compound *c, size_t idx, struct abc_prop *p, uint32_t i,
                         struct abc_sample *out, struct ogawa_err *err)
{
    int rc = abc_property_sample_locate(c, idx, p, i, out, err);
    /* abc.h: out is zeroed on failure; the checks above fail after
     * parts of it (block, payload, dims) were already filled in. */
    if (rc)
        memset(out, 0, sizeof(*out));
    return rc;
}

int
abc_property_sample(abc_compound *c, size_t idx, uint32_t i, struct abc_sample *out,
                    struct ogawa_err *err)
{
    return abc_property_sample_with(c, idx, NULL, i, out, err);
}

int
abc_sample_read(const abc_archive *a, const struct abc_sample *s, uint64_t pos, void *buf,
                uint64_t len, struct ogawa_err *err)
{
    if (pos > s->payload_len || len > s->payload_len - pos)
        return ogawa_fail(err, OGAWA_E_INVAL, s->block.off, "read past the end of a sample");
    if (len == 0)
        return 0;
    return ogawa_archive_read(a->ogawa, s->payload_off + pos, buf, len, err);
}

int
abc_sample_load(const abc_archive *a, const struct abc_sample *s, int pod, uint8_t **buf,
                uint64_t *len, struct ogawa_err *err)
{
    *buf = NULL;
    *len = 0;
    if (s->payload_len >= SIZE_MAX / 2)
        return ogawa_fail(err, OGAWA_E_NOMEM, s->block.off, "sample too large for memory");
    uint8_t *raw = malloc((size_t)s->payload_len + 1);
    if (!raw)
        return ogawa_fail(err, OGAWA_E_NOMEM, s->block.off, "out of memory loading a sample");
    int rc = abc_sample_read(a, s, 0, raw, s->payload_len, err);
    if (rc) {
        free(raw);
        return rc;
    }
    raw[s->payload_len] = 0;
    if (pod != ABC_POD_WSTRING) {
        *buf = raw;
        *len = s->payload_len;
        return 0;
    }
    /*
     * The C++ reader splits the units at 0 into exactly n_values strings:
     * a trailing unterminated run is dropped, missing strings are empty.
     * We do the same, so a damaged sample reads as it does there.
     */
    size_t units = (size_t)s->payload_len / 4, end = 0, found = 0;
    for (size_t u = 0; u < units && found < s->n_values; u++) {
        if (raw[4 * u] == 0 && raw[4 * u + 1] == 0 && raw[4 * u + 2] == 0 && raw[4 * u + 3] == 0) {
            found++;
            end = 4 * (u + 1);
        }
    }
    size_t pad = (size_t)(s->n_values - found);
    size_t n = abc_wstring_to_utf8(raw, end, NULL);
    if (pad > SIZE_MAX - n - 1) {
        free(raw);
        return ogawa_fail(err, OGAWA_E_NOMEM, s->block.off, "wstring sample too large");
    }
    uint8_t *utf8 = malloc(n + pad + 1);
    if (!utf8) {
        free(raw);
        return ogawa_fail(err, OGAWA_E_NOMEM, s->block.off, "out of memory converting a wstring");
    }
    abc_wstring_to_utf8(raw, end, utf8);
    memset(utf8 + n, 0, pad + 1);
    free(raw);
    *buf = utf8;
    *len = n + pad;
    return 0;
}
