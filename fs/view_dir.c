/*
 * view_dir.c — the listings of object and compound directories
 * (layout.md "Directories and files", "Promoted names") and the targets of
 * instance links.
 *
 * An object's directory lists its child objects in file order, then the
 * properties of its top compound, then the promoted links, then ".info".
 * Final names come from view_name.c, with ".info" reserved and one set of
 * used names per directory, so that rule 5's ~N depends only on what came
 * before in this order.  A listing is built once per directory node, when
 * first needed, and never changes after (view_node.c publishes it).
 *
 * Promoted links: the first property of the top compound whose metadata
 * has a "schema" key (and that is a compound) is the schema compound; its
 * properties, then those of its .arbGeomParams, then of its .userProperties
 * become links "P -> .geom/P", skipping raw names that start with "." and
 * final names already used.  Targets are built from the final names the
 * link's target directories show, so they always resolve in the mount.
 *
 * Instances (ogawa-format.md §4.3) are symbolic links whose target is the
 * relative path from the instance's parent directory to the source's
 * directory.  The source path is walked from the top object by raw names,
 * each component turned into the final name its parent directory shows;
 * a component that is itself an instance is resolved to go on below it.
 * A child's final name depends only on its earlier siblings (children come
 * first in a listing), so the walk needs no property compound.  A path that
 * does not resolve still gives a link (dangling), as `ln -s` would.
 *
 * Many links usually point into the same few directories, so the walk
 * costs O(components) per link, not O(siblings): names are found by
 * abc_object_find's index, interior objects come from the archive's walk
 * cache (abc_object_child_cached), and the final names of an object's
 * children are computed once and kept in the view's small cache of them
 * (struct view_link_names, keyed by the object handle it holds).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "view_int.h"

static const char *const view_dir_reserved[] = {".info", NULL};

bool
view_header_is_instance(const struct abc_object_header *h)
{
    abc_str val;
    return abc_meta_get(h->metadata, "isInstance", &val) && val.len == 1 && val.ptr[0] == '1';
}

void
view_dir_free(struct view_dir *d)
{
    if (d == NULL)
        return;
    free(d->e);
    free(d->blob);
    free(d->index);
    free(d);
}

/* A listing under construction. */
struct view_dir_builder {
    struct view_dir *d;
    size_t cap_e;
    struct view_buf blob;
    struct view_names *names;
    const char *const *reserved;    /* the directory's reserved names (rule 3) */
};

static int
view_dir_builder_init(struct view_dir_builder *b, size_t expect)
{
    memset(b, 0, sizeof *b);
    b->d = calloc(1, sizeof *b->d);
    b->names = view_names_new(expect);
    if (b->d == NULL || b->names == NULL) {
        free(b->d);
        view_names_free(b->names);
        return OGAWA_E_NOMEM;
    }
    return 0;
}

static void
view_dir_builder_abort(struct view_dir_builder *b)
{
    view_dir_free(b->d);
    view_buf_free(&b->blob);
    view_names_free(b->names);
}

/* Appends an entry whose final name is given (already unique). */
static int
view_dir_push(struct view_dir_builder *b, const char *name, size_t len, int type, size_t src,
              const char *link, size_t link_len)
{
    struct view_dir *d = b->d;
    if (d->n == b->cap_e) {
        size_t ncap = b->cap_e ? b->cap_e * 2 : 16;
        struct view_entry *ne = realloc(d->e, ncap * sizeof *ne);
        if (ne == NULL)
            return OGAWA_E_NOMEM;
        d->e = ne;
        b->cap_e = ncap;
    }
    struct view_entry *e = &d->e[d->n];
    memset(e, 0, sizeof *e);
    e->type = type;
    e->src = src;
    e->name_off = b->blob.len;
    e->name_len = len;
    view_buf_put(&b->blob, name, len);
    view_buf_put(&b->blob, "", 1);
    if (link != NULL) {
        e->link_off = b->blob.len;
        e->link_len = link_len;
        view_buf_put(&b->blob, link, link_len);
        view_buf_put(&b->blob, "", 1);
    }
    if (b->blob.oom)
        return OGAWA_E_NOMEM;
    d->n++;
    return 0;
}

/* Escapes a raw name and appends it with rule 5 applied. */
static int
view_dir_add(struct view_dir_builder *b, abc_str raw, int type, size_t src)
{
    size_t elen, flen;
    char *e = view_name_escape(raw.ptr, raw.len, b->reserved, &elen);
    if (e == NULL)
        return OGAWA_E_NOMEM;
    char *f = view_names_add(b->names, e, elen, &flen);
    free(e);
    if (f == NULL)
        return OGAWA_E_NOMEM;
    int rc = view_dir_push(b, f, flen, type, src, NULL, 0);
    free(f);
    return rc;
}

static int
view_dir_finish(struct view_dir_builder *b, struct view_dir **out)
{
    int rc = view_dir_push(b, ".info", 5, VIEW_T_INFO, 0, NULL, 0);
    if (rc != 0)
        return rc;
    struct view_dir *d = b->d;
    d->blob = b->blob.ptr;
    b->blob.ptr = NULL;
    d->index_cap = 16;
    while (d->index_cap < d->n * 2)
        d->index_cap *= 2;
    d->index = calloc(d->index_cap, sizeof *d->index);
    if (d->index == NULL)
        return OGAWA_E_NOMEM;
    for (size_t i = 0; i < d->n; i++) {
        size_t mask = d->index_cap - 1;
        size_t h = (size_t)ogawa_fnv1a64(view_dir_name(d, i), d->e[i].name_len) & mask;
        while (d->index[h] != 0)
            h = (h + 1) & mask;
        d->index[h] = i + 1;
    }
    view_names_free(b->names);
    b->names = NULL;
    b->d = NULL;
    *out = d;
    return 0;
}

long long
view_dir_find(const struct view_dir *d, const char *name, size_t len)
{
    size_t mask = d->index_cap - 1;
    for (size_t h = (size_t)ogawa_fnv1a64(name, len) & mask; d->index[h] != 0; h = (h + 1) & mask) {
        size_t i = d->index[h] - 1;
        if (d->e[i].name_len == len && memcmp(view_dir_name(d, i), name, len) == 0)
            return (long long)i;
    }
    return -1;
}

/* Final names of the properties of c, as c's own directory shows them. */
static int
view_dir_prop_names(abc_compound *c, char ***out)
{
    size_t n = abc_compound_count(c);
    char **names = calloc(n + 1, sizeof *names);
    struct view_names *set = view_names_new(n);
    if (names == NULL || set == NULL) {
        free(names);
        view_names_free(set);
        return OGAWA_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const struct abc_property_header *h = abc_compound_property(c, i);
        size_t elen;
        char *e = view_name_escape(h->name.ptr, h->name.len, view_dir_reserved, &elen);
        if (e != NULL)
            names[i] = view_names_add(set, e, elen, NULL);
        free(e);
        if (names[i] == NULL) {
            for (size_t k = 0; k < i; k++)
                free(names[k]);
            free(names);
            view_names_free(set);
            return OGAWA_E_NOMEM;
        }
    }
    view_names_free(set);
    *out = names;
    return 0;
}

static void
view_dir_free_names(char **names)
{
    for (size_t i = 0; names != NULL && names[i] != NULL; i++)
        free(names[i]);
    free(names);
}

/* Adds the links to the properties of c, whose directory is at prefix
 * (relative to the object's directory). */
static int
view_dir_promote(struct view_dir_builder *b, abc_compound *c, const char *prefix)
{
    char **names;
    int rc = view_dir_prop_names(c, &names);
    if (rc != 0)
        return rc;
    size_t plen = strlen(prefix);
    for (size_t i = 0; rc == 0 && i < abc_compound_count(c); i++) {
        const struct abc_property_header *h = abc_compound_property(c, i);
        if (h->name.len == 0 || h->name.ptr[0] == '.')
            continue;
        size_t nlen = strlen(names[i]);
        int t = view_names_try(b->names, names[i], nlen);
        if (t < 0) {
            rc = t;
        } else if (t == 1) {
            char *link = malloc(plen + 1 + nlen + 1);
            if (link == NULL) {
                rc = OGAWA_E_NOMEM;
                break;
            }
            memcpy(link, prefix, plen);
            link[plen] = '/';
            memcpy(link + plen + 1, names[i], nlen + 1);
            rc = view_dir_push(b, names[i], nlen, VIEW_T_PROMOTED, i, link, plen + 1 + nlen);
            free(link);
        }
    }
    view_dir_free_names(names);
    return rc;
}

/* Opens the sub-compound of c named name, if it is one: 1 found, 0 none. */
static int
view_dir_sub(abc_compound *c, const char *name, abc_compound **out, size_t *idx,
             struct ogawa_err *err)
{
    *out = NULL;
    if (abc_compound_find(c, name, strlen(name), idx) != 0)
        return 0;
    if (abc_compound_property(c, *idx)->kind != ABC_KIND_COMPOUND)
        return 0;
    int rc = abc_compound_child(c, *idx, out, err);
    return rc != 0 ? rc : 1;
}

static int
view_dir_promoted(struct view_dir_builder *b, abc_compound *top, const char *schema_name,
                  size_t schema_idx, struct ogawa_err *err)
{
    abc_compound *sc = NULL, *sub = NULL;
    char **snames = NULL;
    int rc = abc_compound_child(top, schema_idx, &sc, err);
    if (rc == 0)
        rc = view_dir_promote(b, sc, schema_name);
    if (rc == 0)
        rc = view_dir_prop_names(sc, &snames);
    static const char *const subs[] = {".arbGeomParams", ".userProperties"};
    for (size_t k = 0; rc == 0 && k < 2; k++) {
        size_t idx;
        rc = view_dir_sub(sc, subs[k], &sub, &idx, err);
        if (rc == 1) {
            size_t a = strlen(schema_name), s = strlen(snames[idx]);
            char *prefix = malloc(a + 1 + s + 1);
            if (prefix == NULL) {
                rc = OGAWA_E_NOMEM;
            } else {
                memcpy(prefix, schema_name, a);
                prefix[a] = '/';
                memcpy(prefix + a + 1, snames[idx], s + 1);
                rc = view_dir_promote(b, sub, prefix);
                free(prefix);
            }
        }
        abc_compound_unref(sub);
        sub = NULL;
    }
    view_dir_free_names(snames);
    abc_compound_unref(sc);
    return rc;
}

int
view_dir_build_object(abc_object *o, abc_compound *top, bool promoted,
                      const char *const *reserved, struct view_dir **out, struct ogawa_err *err)
{
    struct view_dir_builder b;
    size_t nc = abc_object_child_count(o), np = top ? abc_compound_count(top) : 0;
    *out = NULL;
    if (view_dir_builder_init(&b, nc + np + 1) != 0)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    b.reserved = reserved != NULL ? reserved : view_dir_reserved;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nc; i++) {
        const struct abc_object_header *h = abc_object_child_header(o, i);
        rc = view_dir_add(&b, h->name, view_header_is_instance(h) ? VIEW_T_INSTANCE : VIEW_T_OBJECT, i);
    }
    for (size_t i = 0; rc == 0 && i < np; i++) {
        const struct abc_property_header *h = abc_compound_property(top, i);
        rc = view_dir_add(&b, h->name, h->kind == ABC_KIND_COMPOUND ? VIEW_T_COMPOUND : VIEW_T_PROPERTY, i);
    }
    for (size_t i = 0; rc == 0 && promoted && i < np; i++) {
        const struct abc_property_header *h = abc_compound_property(top, i);
        abc_str val;
        if (h->kind != ABC_KIND_COMPOUND || !abc_meta_get(h->metadata, "schema", &val))
            continue;
        /* The blob moves while links are added: copy the schema's name. */
        char *sname = strdup(b.blob.ptr + b.d->e[nc + i].name_off);
        rc = sname ? view_dir_promoted(&b, top, sname, i, err) : OGAWA_E_NOMEM;
        free(sname);
        /* A damaged schema compound costs the links, not the directory:
         * its own directory reports the damage. */
        if (rc != OGAWA_E_NOMEM)
            rc = 0;
        break;
    }
    if (rc == 0)
        rc = view_dir_finish(&b, out);
    if (rc != 0) {
        view_dir_builder_abort(&b);
        if (rc == OGAWA_E_NOMEM)
            ogawa_fail(err, rc, 0, "out of memory");
        return rc;
    }
    return 0;
}

int
view_dir_build_compound(abc_compound *c, const char *const *reserved, struct view_dir **out,
                        struct ogawa_err *err)
{
    struct view_dir_builder b;
    size_t np = abc_compound_count(c);
    *out = NULL;
    if (view_dir_builder_init(&b, np + 1) != 0)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    b.reserved = reserved != NULL ? reserved : view_dir_reserved;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < np; i++) {
        const struct abc_property_header *h = abc_compound_property(c, i);
        rc = view_dir_add(&b, h->name, h->kind == ABC_KIND_COMPOUND ? VIEW_T_COMPOUND : VIEW_T_PROPERTY, i);
    }
    if (rc == 0)
        rc = view_dir_finish(&b, out);
    if (rc != 0) {
        view_dir_builder_abort(&b);
        return ogawa_fail(err, rc, 0, "out of memory");
    }
    return 0;
}

/* ---- instance links ----------------------------------------------------- */

/* The final names of one object's children, as its directory shows them. */
struct view_child_names {
    abc_object *obj;        /* held: keeps the key's address unique; NULL = free */
    char *blob;             /* names, each NUL-terminated */
    size_t *off;            /* child i's name at blob + off[i] */
    uint64_t used;          /* clock of the last use */
};

#define VIEW_LINK_NAMES_SLOTS 16

struct view_link_names {
    pthread_mutex_t lock;
    struct view_child_names slot[VIEW_LINK_NAMES_SLOTS];
    uint64_t clock;
    uint64_t names_made;    /* child names escaped and deduplicated, in all */
};

static void
view_child_names_clear(struct view_child_names *c)
{
    abc_object_unref(c->obj);
    free(c->blob);
    free(c->off);
    memset(c, 0, sizeof *c);
}

void
view_link_names_free(struct view_link_names *ln)
{
    if (ln == NULL)
        return;
    for (size_t i = 0; i < VIEW_LINK_NAMES_SLOTS; i++)
        view_child_names_clear(&ln->slot[i]);
    pthread_mutex_destroy(&ln->lock);
    free(ln);
}

uint64_t
view_link_names_made(view *v)
{
    struct view_link_names *ln = atomic_load(&v->link_names);
    if (ln == NULL)
        return 0;
    pthread_mutex_lock(&ln->lock);
    uint64_t n = ln->names_made;
    pthread_mutex_unlock(&ln->lock);
    return n;
}

/* Rule 5 over all children of o, into c; OGAWA_E_NOMEM on failure. */
static int
view_child_names_build(abc_object *o, struct view_child_names *c, uint64_t *made)
{
    size_t n = abc_object_child_count(o);
    struct view_names *set = view_names_new(n);
    struct view_buf blob = {0};
    c->off = malloc((n ? n : 1) * sizeof *c->off);
    int rc = set != NULL && c->off != NULL ? 0 : OGAWA_E_NOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct abc_object_header *h = abc_object_child_header(o, i);
        size_t elen, flen;
        char *e = view_name_escape(h->name.ptr, h->name.len, view_dir_reserved, &elen);
        char *f = e != NULL ? view_names_add(set, e, elen, &flen) : NULL;
        free(e);
        if (f == NULL) {
            rc = OGAWA_E_NOMEM;
            break;
        }
        c->off[i] = blob.len;
        view_buf_put(&blob, f, flen + 1);
        free(f);
        (*made)++;
    }
    view_names_free(set);
    if (rc == 0 && blob.oom)
        rc = OGAWA_E_NOMEM;
    if (rc != 0) {
        view_buf_free(&blob);
        free(c->off);
        c->off = NULL;
        return rc;
    }
    abc_object_ref(o);
    c->obj = o;
    c->blob = blob.ptr;
    return 0;
}

/* Final name of child idx of o (a new malloc'ed string, NULL when out of
 * memory): rule 5 over the children before it, from the view's cache. */
static char *
view_dir_child_name(view *v, abc_object *o, size_t idx)
{
    struct view_link_names *ln = atomic_load(&v->link_names);
    if (ln == NULL) {
        struct view_link_names *fresh = calloc(1, sizeof *fresh);
        if (fresh == NULL)
            return NULL;
        pthread_mutex_init(&fresh->lock, NULL);
        if (atomic_compare_exchange_strong(&v->link_names, &ln, fresh)) {
            ln = fresh;
        } else {
            pthread_mutex_destroy(&fresh->lock);
            free(fresh);
        }
    }
    char *name = NULL;
    pthread_mutex_lock(&ln->lock);
    struct view_child_names *c = NULL, *oldest = &ln->slot[0];
    for (size_t i = 0; i < VIEW_LINK_NAMES_SLOTS && c == NULL; i++) {
        struct view_child_names *s = &ln->slot[i];
        if (s->obj == o)
            c = s;
        else if (oldest->obj != NULL && (s->obj == NULL || s->used < oldest->used))
            oldest = s;
    }
    if (c == NULL) {
        /* Built under the lock: other links wait for the names they
         * would most likely build too. */
        view_child_names_clear(oldest);
        if (view_child_names_build(o, oldest, &ln->names_made) == 0)
            c = oldest;
    }
    if (c != NULL) {
        c->used = ++ln->clock;
        name = strdup(c->blob + c->off[idx]);
    }
    pthread_mutex_unlock(&ln->lock);
    return name;
}

/* A growing list of path components. */
struct view_comps {
    char **c;
    size_t n, cap;
};

static int
view_comps_push(struct view_comps *p, char *s)
{
    if (s == NULL)
        return OGAWA_E_NOMEM;
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 8;
        char **nc = realloc(p->c, ncap * sizeof *nc);
        if (nc == NULL) {
            free(s);
            return OGAWA_E_NOMEM;
        }
        p->c = nc;
        p->cap = ncap;
    }
    p->c[p->n++] = s;
    return 0;
}

static void
view_comps_free(struct view_comps *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->c[i]);
    free(p->c);
}

/* Mount components of the source path src, walked from the top object. */
static int
view_instance_walk(view *v, const char *src, struct view_comps *out, struct ogawa_err *err)
{
    abc_object *cur = v->top;
    abc_object_ref(cur);
    int rc = 0;
    const char *p = src;
    while (rc == 0 && *p != '\0') {
        if (*p == '/') {
            p++;
            continue;
        }
        size_t len = strcspn(p, "/");
        size_t idx;
        if (cur != NULL && abc_object_find(cur, p, len, &idx) == 0) {
            rc = view_comps_push(out, view_dir_child_name(v, cur, idx));
            abc_object *next = NULL;
            /* The last component is named, never opened. */
            if (rc == 0 && p[len] != '\0' && abc_object_child_cached(cur, idx, &next, NULL) == 0 &&
                abc_object_is_instance(next)) {
                abc_object *t = NULL;
                if (abc_object_resolve_instance(next, &t, NULL) != 0)
                    t = NULL;
                abc_object_unref(next);
                next = t;
            }
            abc_object_unref(cur);
            cur = next;
        } else {
            /* Not found: the rest of the link is the escaped raw path. */
            rc = view_comps_push(out, view_name_escape(p, len, view_dir_reserved, NULL));
            abc_object_unref(cur);
            cur = NULL;
        }
        p += len;
    }
    abc_object_unref(cur);
    if (rc != 0)
        return ogawa_fail(err, rc, 0, "out of memory");
    return 0;
}

int
view_instance_target(view *v, struct view_node *n, char **out, size_t *len,
                     struct ogawa_err *err)
{
    struct view_comps from = {0}, to = {0};
    char *src = NULL;
    int rc = abc_object_instance_source(n->obj, &src, err);
    if (rc == 0)
        rc = view_instance_walk(v, src, &to, err);
    free(src);
    /* The instance's parent directory, root first. */
    for (struct view_node *p = n->parent; rc == 0 && p->parent != NULL; p = p->parent) {
        struct view_dir *d = atomic_load(&p->parent->dir);
        rc = view_comps_push(&from, strdup(view_dir_name(d, p->idx)));
    }
    if (rc != 0) {
        view_comps_free(&from);
        view_comps_free(&to);
        if (rc == OGAWA_E_NOMEM)
            ogawa_fail(err, rc, 0, "out of memory");
        return rc;
    }
    /* from is leaf first: compare it reversed with to. */
    size_t common = 0;
    while (common < from.n && common < to.n &&
           strcmp(from.c[from.n - 1 - common], to.c[common]) == 0)
        common++;
    struct view_buf b = {0};
    for (size_t i = common; i < from.n; i++)
        view_buf_puts(&b, b.len ? "/.." : "..");
    for (size_t i = common; i < to.n; i++) {
        if (b.len)
            view_buf_puts(&b, "/");
        view_buf_puts(&b, to.c[i]);
    }
    if (b.len == 0)
        view_buf_puts(&b, ".");
    view_comps_free(&from);
    view_comps_free(&to);
    if (b.oom) {
        view_buf_free(&b);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    }
    *out = b.ptr;
    *len = b.len;
    return 0;
}
