/*
 * abc_object.c — objects (ogawa-format.md §4) and instances (§4.3).
 *
 * An object group holds: slot 0 the top compound, slots 1..k the child
 * objects, and last a data block with one header record per child (name,
 * metadata) and 32 hash bytes.  Opening an object reads its group's slots
 * and that block, nothing more; a child's own group is read only when the
 * child is opened.
 *
 * An object keeps a counted reference to its parent: its name and
 * metadata live in the parent's header block, and the chain of ancestors
 * is how a group that points back up the tree (a cycle) is caught before
 * it becomes an infinite directory tree.  Full names are built on demand
 * from that chain rather than stored, so that a 10^4-deep hierarchy does
 * not cost O(depth^2) memory.
 */
#include "abc_int.h"
#include "hash.h"

#include <stdlib.h>
#include <string.h>

/* Objects with at most this many children are searched by a plain scan. */
#define ABC_FIND_SCAN_MAX 8

/* Instances may name instances; following more than this many in one
 * resolution is treated as a loop. */
#define ABC_MAX_INSTANCE_HOPS 64

void
abc_object_ref(abc_object *o)
{
    __atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED);
}

void
abc_object_unref(abc_object *o)
{
    /* Iterative, so dropping the last leaf of a deep chain does not recurse. */
    while (o && __atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        abc_object *parent = o->parent;
        free(o->child_slots);
        free(o->children);
        free(o->strings);
        free(o->name_index);
        free(o);
        o = parent;
    }
}

abc_archive *abc_object_archive(const abc_object *o) { return o->archive; }
abc_str abc_object_name(const abc_object *o) { return o->name; }
abc_str abc_object_metadata(const abc_object *o) { return o->metadata; }
abc_object *abc_object_parent(const abc_object *o) { return o->parent; }
uint64_t abc_object_offset(const abc_object *o) { return o->off; }
size_t abc_object_depth(const abc_object *o) { return o->depth; }
size_t abc_object_child_count(const abc_object *o) { return o->n_children; }

const struct abc_object_header *
abc_object_child_header(const abc_object *o, size_t idx)
{
    return idx < o->n_children ? &o->children[idx] : NULL;
}

/* The name index of o: built on first use (O(children)), then shared.
 * NULL when out of memory (the caller scans instead). */
static const size_t *
abc_object_name_index(const abc_object *o)
{
    size_t *index = __atomic_load_n(&o->name_index, __ATOMIC_ACQUIRE);
    if (index)
        return index;
    size_t cap = 16;
    while (cap < 2 * o->n_children)
        cap *= 2;
    index = calloc(cap + 1, sizeof(size_t));
    if (!index)
        return NULL;
    index[0] = cap;
    size_t *slots = index + 1;
    for (size_t i = 0; i < o->n_children; i++) {
        const abc_str *n = &o->children[i].name;
        size_t h = (size_t)ogawa_fnv1a64(n->ptr, n->len) & (cap - 1);
        bool dup = false;
        for (; slots[h] != 0 && !dup; h = (h + 1) & (cap - 1)) {
            const abc_str *m = &o->children[slots[h] - 1].name;
            dup = m->len == n->len && memcmp(m->ptr, n->ptr, n->len) == 0;
        }
        if (!dup)
            slots[h] = i + 1;       /* the first child of a name is the one found */
    }
    size_t *expected = NULL;
    abc_object *mut = (abc_object *)o;  /* a cache, not a change of the object */
    if (!__atomic_compare_exchange_n(&mut->name_index, &expected, index, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        free(index);                /* another thread published first */
        index = expected;
    }
    return index;
}

int
abc_object_find(const abc_object *o, const char *name, size_t len, size_t *idx)
{
    const size_t *index = o->n_children > ABC_FIND_SCAN_MAX ? abc_object_name_index(o) : NULL;
    if (index) {
        size_t cap = index[0];
        const size_t *slots = index + 1;
        for (size_t h = (size_t)ogawa_fnv1a64(name, len) & (cap - 1); slots[h] != 0;
             h = (h + 1) & (cap - 1)) {
            const abc_str *n = &o->children[slots[h] - 1].name;
            if (n->len == len && memcmp(n->ptr, name, len) == 0) {
                *idx = slots[h] - 1;
                return 0;
            }
        }
        return OGAWA_E_NOENT;
    }
    for (size_t i = 0; i < o->n_children; i++) {
        const abc_str *n = &o->children[i].name;
        if (n->len == len && memcmp(n->ptr, name, len) == 0) {
            *idx = i;
            return 0;
        }
    }
    return OGAWA_E_NOENT;
}

char *
abc_object_full_name(const abc_object *o, size_t *len)
{
    size_t n = 0;
    for (const abc_object *p = o; p->parent; p = p->parent)
        n += 1 + p->name.len;
    if (n == 0)
        n = 1;                          /* "/" */
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    s[0] = '/';
    s[n] = 0;
    size_t end = n;
    for (const abc_object *p = o; p->parent; p = p->parent) {
        end -= p->name.len;
        memcpy(s + end, p->name.ptr, p->name.len);
        s[--end] = '/';
    }
    if (len)
        *len = n;
    return s;
}

/*
 * §4.2: parses the children's header block into o->children.  Records are
 * (u32 name length, name, u8 metadata index[, u32 length, metadata]); the
 * last 32 bytes are hashes.  The count must match the group's child slots.
 */
static int
abc_parse_object_headers(abc_object *o, const struct ogawa_data *d, struct ogawa_err *err)
{
    uint8_t *blob;
    int rc = ogawa_data_load(o->archive->ogawa, d, UINT64_MAX, &blob, err);
    if (rc)
        return rc;
    size_t len = d->len > 32 ? (size_t)d->len - 32 : 0;  /* ≤ 32 bytes: no children */
    /* Every record takes at least 5 bytes, which bounds the arrays below
     * by the block's size rather than by the (untrusted) slot count. */
    if (o->n_children > len / 5) {
        free(blob);
        return OGAWA_CORRUPT(err, d->off, "object has more child groups than header records");
    }
    o->children = calloc(o->n_children ? o->n_children : 1, sizeof(*o->children));
    o->strings = malloc(len + 2 * o->n_children + 1);
    if (!o->children || !o->strings) {
        free(blob);
        return ogawa_fail(err, OGAWA_E_NOMEM, d->off, "out of memory reading object headers");
    }
    char *cursor = o->strings;
    size_t pos = 0, i = 0;
    for (; pos < len; i++) {
        uint32_t name_len, meta_len;
        if (i == o->n_children) {
            rc = OGAWA_CORRUPT(err, d->off, "object has more header records than child groups");
            goto out;
        }
        /* An empty name is not refused: the C++ reader accepts it and
         * layout.md shows it as "%". */
        if (!abc_read_u32(blob, len, &pos, &name_len) || name_len > len - pos ||
            len - pos - name_len < 1) {
            rc = OGAWA_CORRUPT(err, d->off, "object header name is truncated");
            goto out;
        }
        struct abc_object_header *h = &o->children[i];
        h->name = abc_take_string(blob, &pos, name_len, &cursor);
        unsigned meta_idx = blob[pos++];
        if (meta_idx == 255) {
            if (!abc_read_u32(blob, len, &pos, &meta_len) || meta_len > len - pos) {
                rc = OGAWA_CORRUPT(err, d->off, "object header inline metadata is truncated");
                goto out;
            }
            h->metadata = abc_take_string(blob, &pos, meta_len, &cursor);
        } else if (!abc_archive_indexed_metadata(o->archive, meta_idx, &h->metadata)) {
            rc = OGAWA_CORRUPT(err, d->off, "object header metadata index is not in the table");
            goto out;
        }
    }
    if (i != o->n_children)
        rc = OGAWA_CORRUPT(err, d->off, "object has fewer header records than child groups");
out:
    free(blob);
    return rc;
}

/* Reads the object group at off into a new object (name and metadata are
 * filled in by the caller). */
static int
abc_object_parse(abc_archive *a, abc_object *parent, uint64_t off, abc_object **out,
                 struct ogawa_err *err)
{
    *out = NULL;
    abc_object *o = calloc(1, sizeof(*o));
    if (!o)
        return ogawa_fail(err, OGAWA_E_NOMEM, off, "out of memory opening an object");
    o->refs = 1;
    o->archive = a;
    o->off = off;
    o->anc_min = o->anc_max = off;
    if (parent) {
        abc_object_ref(parent);
        o->parent = parent;
        o->depth = parent->depth + 1;
        o->anc_min = off < parent->anc_min ? off : parent->anc_min;
        o->anc_max = off > parent->anc_max ? off : parent->anc_max;
    }
    struct ogawa_group g;
    int rc = ogawa_group_read(a->ogawa, off, &g, err);
    if (rc)
        goto fail;
    if (g.n_children == 0) {
        rc = OGAWA_CORRUPT(err, off, "object group has no header block");
        goto fail;
    }
    uint64_t n = g.n_children;
    uint64_t *slots = malloc(n * sizeof(uint64_t));
    if (!slots) {
        rc = ogawa_fail(err, OGAWA_E_NOMEM, off, "out of memory reading an object group");
        goto fail;
    }
    o->child_slots = slots;
    rc = ogawa_group_children(a->ogawa, &g, 0, n, slots, err);
    if (rc)
        goto fail;
    /* §4.1: [compound] [children...] headers.  A lone data slot is an
     * object with neither properties nor children. */
    uint64_t last = slots[n - 1];
    if (!ogawa_slot_is_data(last)) {
        rc = OGAWA_CORRUPT(err, off, "object group does not end with a header block");
        goto fail;
    }
    if (n >= 2) {
        o->compound_slot = slots[0];
        if (ogawa_slot_is_data(o->compound_slot)) {
            rc = OGAWA_CORRUPT(err, off, "object's first child is not a compound group");
            goto fail;
        }
        o->n_children = (size_t)(n - 2);
        memmove(slots, slots + 1, o->n_children * sizeof(uint64_t));
    }
    struct ogawa_data hd;
    rc = ogawa_data_read(a->ogawa, last, &hd, err);
    if (rc)
        goto fail;
    rc = abc_parse_object_headers(o, &hd, err);
    if (rc)
        goto fail;
    *out = o;
    return 0;
fail:
    abc_object_unref(o);
    return rc;
}

int
abc_archive_top(abc_archive *a, abc_object **out, struct ogawa_err *err)
{
    int rc = abc_object_parse(a, NULL, ogawa_slot_offset(a->top_slot), out, err);
    if (rc)
        return rc;
    (*out)->name.ptr = "ABC";
    (*out)->name.len = 3;
    (*out)->metadata = abc_archive_metadata(a);
    return 0;
}

int
abc_object_child(abc_object *o, size_t idx, abc_object **out, struct ogawa_err *err)
{
    *out = NULL;
    if (idx >= o->n_children)
        return ogawa_fail(err, OGAWA_E_NOENT, o->off, "object child index out of range");
    uint64_t slot = o->child_slots[idx];
    uint64_t off = ogawa_slot_offset(slot);
    if (ogawa_slot_is_data(slot) || off == 0)
        return OGAWA_CORRUPT(err, o->off, "child object slot is not a group");
    if (o->depth + 1 > ABC_MAX_DEPTH)
        return ogawa_fail(err, OGAWA_E_DEPTH, off, "object hierarchy nests too deep");
    /*
     * A child that is one of its ancestors would make an endless tree.
     * Every object knows the lowest and highest group offset on its chain
     * of ancestors, so a child outside that range (always, for files whose
     * writer appends groups after their children, §1.5, or before them)
     * is settled in O(1); only a mixed order needs the walk.
     */
    if (off >= o->anc_min && off <= o->anc_max) {
        for (const abc_object *p = o; p; p = p->parent)
            if (p->off == off)
                return ogawa_fail(err, OGAWA_E_DEPTH, off,
                                  "child object group is one of its ancestors");
    }
    int rc = abc_object_parse(o->archive, o, off, out, err);
    if (rc)
        return rc;
    (*out)->name = o->children[idx].name;
    (*out)->metadata = o->children[idx].metadata;
    return 0;
}

/* The walk cache's entry for (parent, idx), opened if missing; one more
 * reference for the caller.  parent NULL: the top object. */
static int
abc_walk_open(abc_archive *a, abc_object *parent, size_t idx, abc_object **out,
              struct ogawa_err *err)
{
    *out = NULL;
    pthread_mutex_lock(&a->walk_lock);
    for (size_t i = 0; i < ABC_WALK_SLOTS; i++) {
        struct abc_walk_entry *e = &a->walk[i];
        if (e->obj && e->parent == parent && e->idx == idx) {
            e->used = ++a->walk_clock;
            abc_object_ref(e->obj);
            *out = e->obj;
            pthread_mutex_unlock(&a->walk_lock);
            return 0;
        }
    }
    pthread_mutex_unlock(&a->walk_lock);
    /* Parsed outside the lock: two threads may both parse, one keeps its own. */
    abc_object *o;
    int rc = parent ? abc_object_child(parent, idx, &o, err) : abc_archive_top(a, &o, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&a->walk_lock);
    a->walk_opens++;
    /* A free slot, else the least recently used. */
    struct abc_walk_entry *oldest = &a->walk[0];
    for (size_t i = 1; i < ABC_WALK_SLOTS && oldest->obj; i++)
        if (!a->walk[i].obj || a->walk[i].used < oldest->used)
            oldest = &a->walk[i];
    abc_object *evicted = oldest->obj;
    abc_object_ref(o);
    *oldest = (struct abc_walk_entry){ parent, idx, o, ++a->walk_clock };
    pthread_mutex_unlock(&a->walk_lock);
    abc_object_unref(evicted);
    *out = o;
    return 0;
}

int
abc_object_child_cached(abc_object *o, size_t idx, abc_object **out, struct ogawa_err *err)
{
    *out = NULL;
    if (idx >= o->n_children)
        return ogawa_fail(err, OGAWA_E_NOENT, o->off, "object child index out of range");
    return abc_walk_open(o->archive, o, idx, out, err);
}

void
abc_archive_walk_drop(abc_archive *a)
{
    for (size_t i = 0; i < ABC_WALK_SLOTS; i++) {
        abc_object_unref(a->walk[i].obj);
        a->walk[i].obj = NULL;
    }
}

uint64_t
abc_archive_walk_opens(const abc_archive *a)
{
    abc_archive *mut = (abc_archive *)a;
    pthread_mutex_lock(&mut->walk_lock);
    uint64_t n = a->walk_opens;
    pthread_mutex_unlock(&mut->walk_lock);
    return n;
}

bool
abc_object_is_instance(const abc_object *o)
{
    abc_str v;
    return o->parent && abc_meta_get(o->metadata, "isInstance", &v) && v.len == 1 &&
           v.ptr[0] == '1';
}

int
abc_object_instance_source(abc_object *o, char **path, struct ogawa_err *err)
{
    *path = NULL;
    abc_compound *c;
    int rc = abc_object_properties(o, &c, err);
    if (rc)
        return rc;
    size_t idx;
    const struct abc_property_header *h;
    if (abc_compound_find(c, ".instanceSource", 15, &idx) != 0 ||
        (h = abc_compound_property(c, idx))->kind != ABC_KIND_SCALAR ||
        h->pod != ABC_POD_STRING || h->num_samples == 0) {
        rc = OGAWA_CORRUPT(err, o->off, "instance has no .instanceSource string");
        goto out;
    }
    struct abc_sample s;
    uint8_t *buf;
    uint64_t len;
    rc = abc_property_sample(c, idx, 0, &s, err);
    if (!rc)
        rc = abc_sample_load(o->archive, &s, ABC_POD_STRING, &buf, &len, err);
    if (!rc)
        *path = (char *)buf;            /* NUL-terminated: the first string */
out:
    abc_compound_unref(c);
    return rc;
}

/* Opens the object at path from the top, following instances met on the
 * way; *hops counts instance resolutions against ABC_MAX_INSTANCE_HOPS. */
static int abc_object_follow(abc_object *o, abc_object **out, int *hops, struct ogawa_err *err);

static int
abc_object_open_path(abc_archive *a, const char *path, abc_object **out, int *hops,
                     struct ogawa_err *err)
{
    abc_object *cur;
    int rc = abc_walk_open(a, NULL, 0, &cur, err);
    if (rc)
        return rc;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        size_t idx;
        abc_object *child = NULL, *target = NULL;
        if (abc_object_find(cur, p, len, &idx) != 0) {
            rc = ogawa_fail(err, OGAWA_E_NOENT, cur->off, "instance source path not found");
        } else {
            rc = abc_object_child_cached(cur, idx, &child, err);
            if (!rc)
                rc = abc_object_follow(child, &target, hops, err);
        }
        abc_object_unref(child);
        abc_object_unref(cur);
        if (rc)
            return rc;
        cur = target;
        p += len;
    }
    *out = cur;
    return 0;
}

static int
abc_object_follow(abc_object *o, abc_object **out, int *hops, struct ogawa_err *err)
{
    *out = NULL;
    if (!abc_object_is_instance(o)) {
        abc_object_ref(o);
        *out = o;
        return 0;
    }
    if (++*hops > ABC_MAX_INSTANCE_HOPS)
        return ogawa_fail(err, OGAWA_E_DEPTH, o->off, "instances refer to each other in a loop");
    char *path;
    int rc = abc_object_instance_source(o, &path, err);
    if (rc)
        return rc;
    rc = abc_object_open_path(o->archive, path, out, hops, err);
    free(path);
    return rc;
}

int
abc_object_resolve_instance(abc_object *o, abc_object **target, struct ogawa_err *err)
{
    *target = NULL;
    if (!abc_object_is_instance(o))
        return ogawa_fail(err, OGAWA_E_INVAL, o->off, "object is not an instance");
    int hops = 0;
    abc_object *t;
    int rc = abc_object_follow(o, &t, &hops, err);
    if (rc)
        return rc;
    for (const abc_object *p = o; p; p = p->parent) {
        if (p->off == t->off) {
            abc_object_unref(t);
            return ogawa_fail(err, OGAWA_E_DEPTH, o->off,
                              "instance source is the instance or one of its ancestors");
        }
    }
    *target = t;
    return 0;
}
