/*
 * view_node.c — the node table: ids the kernel (or a tool) holds, mapped to
 * immutable records of what each entry of layout.md's tree is.
 *
 * Kinds of numbers:
 *  - the node id (FUSE nodeid): 1 for the root, then a counter; never
 *    reused while the view is open, so a stale id cannot name a new node;
 *  - the position key: FNV-1a of (parent's key, entry index), the same
 *    each time an entry is looked up, whatever the node id;
 *  - st_ino: for a sample whose bytes are served raw, the archive offset of
 *    its stored data block (samples that share a block share st_ino, as
 *    layout.md asks); for everything else key | 1 << 63, which no file
 *    offset reaches, and 1 for the root.  Empty samples have no block and
 *    take the key form, so each has its own.
 *
 * Lifetime: view_lookup / view_child count one lookup, view_forget drops
 * them (FUSE's nlookup protocol); a node also counts its live children
 * (view_int.h invariants).  So the table holds what the kernel holds and
 * the chain up to the root, and memory follows the kernel's inode cache,
 * not the archive's size.
 *
 * Building a node does its archive I/O outside the table lock: the lock is
 * taken to find, then again to insert, and a node built twice by a race is
 * dropped.  Listings are published by compare-and-swap on the node.
 *
 * Alternative rejected: nodeid = archive position (squashfuse's trick).
 * Alembic entries are not one block each (a sample file is a slot in a
 * property group, .info is generated, links are made up), and a table keyed
 * by position is needed anyway to hold parsed objects.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abc_mesh.h"
#include "hash.h"
#include "source.h"
#include "view_int.h"

#define VIEW_INO_KEY_BIT (1ULL << 63)
#define VIEW_ROOT_KEY 0x6162636673726f6fULL   /* "abcfsroo" */

const char *
view_type_name(int type)
{
    switch (type) {
    case VIEW_T_OBJECT: return "object";
    case VIEW_T_COMPOUND: return "compound";
    case VIEW_T_PROPERTY: return "property";
    case VIEW_T_SAMPLE: return "sample";
    case VIEW_T_INFO: return "info";
    case VIEW_T_TIMES: return "times";
    case VIEW_T_PROMOTED: return "promoted";
    case VIEW_T_INSTANCE: return "instance";
    case VIEW_T_VIEWDIR: return "view";
    case VIEW_T_VIEWFILE: return "viewfile";
    case VIEW_T_FOLDER: return "folder";
    default: return "?";
    }
}

bool
view_type_is_dir(int type)
{
    return type == VIEW_T_OBJECT || type == VIEW_T_COMPOUND || type == VIEW_T_PROPERTY ||
           type == VIEW_T_VIEWDIR || type == VIEW_T_FOLDER;
}

bool
view_type_is_link(int type)
{
    return type == VIEW_T_PROMOTED || type == VIEW_T_INSTANCE;
}

/* ---- hash tables ---------------------------------------------------------- */

static size_t
view_hash_id(uint64_t id, size_t cap)
{
    return (size_t)((id * 0x9E3779B97F4A7C15ULL) >> 17) & (cap - 1);
}

static size_t
view_hash_pos(uint64_t parent, uint64_t idx, size_t cap)
{
    uint64_t h = (parent * 0x9E3779B97F4A7C15ULL) ^ (idx * 0xC2B2AE3D27D4EB4FULL);
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static struct view_node *
view_table_find_pos(view *v, uint64_t parent, uint64_t idx)
{
    struct view_node *n = v->by_pos[view_hash_pos(parent, idx, v->cap)];
    while (n != NULL && !(n->parent != NULL && n->parent->id == parent && n->idx == idx))
        n = n->next_pos;
    return n;
}

static struct view_node *
view_table_find_id(view *v, uint64_t id)
{
    struct view_node *n = v->by_id[view_hash_id(id, v->cap)];
    while (n != NULL && n->id != id)
        n = n->next_id;
    return n;
}

static void
view_table_link(view *v, struct view_node *n)
{
    size_t h = view_hash_id(n->id, v->cap);
    n->next_id = v->by_id[h];
    v->by_id[h] = n;
    if (n->parent != NULL) {
        h = view_hash_pos(n->parent->id, n->idx, v->cap);
        n->next_pos = v->by_pos[h];
        v->by_pos[h] = n;
    }
}

static void
view_table_unlink(view *v, struct view_node *n)
{
    struct view_node **pp = &v->by_id[view_hash_id(n->id, v->cap)];
    while (*pp != n)
        pp = &(*pp)->next_id;
    *pp = n->next_id;
    if (n->parent != NULL) {
        pp = &v->by_pos[view_hash_pos(n->parent->id, n->idx, v->cap)];
        while (*pp != n)
            pp = &(*pp)->next_pos;
        *pp = n->next_pos;
    }
}

/* Doubles both tables when they get full; a failed grow just leaves longer
 * chains. */
static void
view_table_grow(view *v)
{
    size_t ncap = v->cap * 2;
    struct view_node **nid = calloc(ncap, sizeof *nid), **npos = calloc(ncap, sizeof *npos);
    if (nid == NULL || npos == NULL) {
        free(nid);
        free(npos);
        return;
    }
    struct view_node **oid = v->by_id, **opos = v->by_pos;
    size_t ocap = v->cap;
    v->by_id = nid;
    v->by_pos = npos;
    v->cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        for (struct view_node *n = oid[i], *next; n != NULL; n = next) {
            next = n->next_id;
            view_table_link(v, n);
        }
    }
    free(oid);
    free(opos);
}

/* ---- nodes ---------------------------------------------------------------- */

static void
view_node_free(struct view_node *n)
{
    if (n == NULL)
        return;
    abc_object_unref(n->obj);
    abc_compound_unref(n->cpd);
    if (n->x != NULL) {
        view_world_release(atomic_load(&n->x->world));
        abc_prop_unref(atomic_load(&n->x->prop));
        if (atomic_load(&n->x->mesh) != NULL)
            view_mesh_release(atomic_load(&n->x->mesh));
        abc_mesh_file_close(n->x->mesh_file);
        free(n->x);
    }
    free(n->text);
    view_dir_free(atomic_load(&n->dir));
    free(n);
}

/* Unlinks n, then each ancestor it was the last holder of, if nothing
 * holds n; returns the unlinked nodes chained by next_id.  Under v->lock. */
static struct view_node *
view_table_reap(view *v, struct view_node *n)
{
    struct view_node *dead = NULL;
    while (n != NULL && n != v->root && n->nlookup == 0 && n->nchild == 0 && n->pins == 0) {
        struct view_node *p = n->parent;
        view_table_unlink(v, n);
        v->n_nodes--;
        p->nchild--;
        n->next_id = dead;
        dead = n;
        n = p;
    }
    return dead;
}

static void
view_free_chain(struct view_node *dead)
{
    while (dead != NULL) {
        struct view_node *next = dead->next_id;
        view_node_free(dead);
        dead = next;
    }
}

struct view_node *
view_node_pin(view *v, uint64_t id)
{
    pthread_mutex_lock(&v->lock);
    struct view_node *n = view_table_find_id(v, id);
    if (n != NULL)
        n->pins++;
    pthread_mutex_unlock(&v->lock);
    return n;
}

void
view_node_unpin(view *v, struct view_node *n)
{
    if (n == NULL)
        return;
    pthread_mutex_lock(&v->lock);
    n->pins--;
    struct view_node *dead = view_table_reap(v, n);
    pthread_mutex_unlock(&v->lock);
    view_free_chain(dead);
}

bool
view_node_hold(view *v, uint64_t id, struct view_attr *attr)
{
    pthread_mutex_lock(&v->lock);
    struct view_node *n = view_table_find_id(v, id);
    if (n != NULL) {
        n->nlookup++;
        *attr = n->attr;
    }
    pthread_mutex_unlock(&v->lock);
    return n != NULL;
}

int
view_node_listing(view *v, struct view_node *n, struct view_dir **out, struct ogawa_err *err)
{
    struct view_dir *d = atomic_load_explicit(&n->dir, memory_order_acquire);
    if (d != NULL) {
        atomic_fetch_add_explicit(&v->dir_hits, 1, memory_order_relaxed);
        *out = d;
        return 0;
    }
    int rc;
    /* rule 3: ".info" and the views of this directory are reserved */
    int kinds[VIEW_VK_COUNT];
    unsigned nv = view_views_at(v, n, kinds);
    const char *reserved[VIEW_VK_COUNT + 2] = {".info"};
    for (unsigned k = 0; k < nv; k++)
        reserved[k + 1] = view_kind_name(kinds[k]);
    if (n->attr.type == VIEW_T_OBJECT)
        rc = view_dir_build_object(n->obj, n->cpd, true, reserved, &d, err);
    else if (n->attr.type == VIEW_T_COMPOUND)
        rc = view_dir_build_compound(n->cpd, reserved, &d, err);
    else
        return ogawa_fail(err, VIEW_E_NOTDIR, 0, "not a directory");
    if (rc != 0)
        return rc;
    atomic_fetch_add_explicit(&v->dir_builds, 1, memory_order_relaxed);
    struct view_dir *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&n->dir, &expected, d, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        view_dir_free(d);   /* another thread published first */
        d = expected;
    }
    *out = d;
    return 0;
}

uint64_t
view_node_entries(view *v, struct view_node *n, const struct view_dir *d)
{
    if (n->attr.type == VIEW_T_PROPERTY || n->attr.type == VIEW_T_VIEWDIR)
        return view_series_entries(v, n);
    int kinds[VIEW_VK_COUNT];
    unsigned nv = view_views_at(v, n, kinds);
    return (d != NULL ? d->n : 0) + (v->views == VIEW_MODE_VISIBLE ? nv : 0);
}

static void
view_attr_dir(view *v, struct view_node *n, uint32_t nlink)
{
    n->attr.mode = S_IFDIR | 0555;
    n->attr.nlink = nlink;
    n->attr.size = 0;
    (void)v;
}

static void
view_attr_file(struct view_node *n, uint32_t mode, uint64_t size)
{
    n->attr.mode = mode;
    n->attr.nlink = 1;
    n->attr.size = size;
}

/* Subdirectories of an object: non-instance children and all properties. */
static uint32_t
view_object_nlink(abc_object *o, abc_compound *top)
{
    uint64_t k = 2 + abc_compound_count(top);
    for (size_t i = 0; i < abc_object_child_count(o); i++)
        k += !view_header_is_instance(abc_object_child_header(o, i));
    return k > UINT32_MAX ? UINT32_MAX : (uint32_t)k;
}

static int
view_node_fill_object(view *v, struct view_node *n, abc_object *o, struct ogawa_err *err)
{
    n->obj = o;
    if (n->parent != NULL) {
        /* '/' ends any invalid UTF-8 sequence before it, so the escaped
         * full name is the escaped names joined by '/' (view_info.c). */
        abc_str name = abc_object_name(o);
        struct view_buf b = {.count = true};
        view_buf_json_str(&b, name.ptr, name.len);
        n->full_json = n->parent->full_json + 1 + (b.len - 2);
    }
    int rc = abc_object_properties(o, &n->cpd, err);
    if (rc != 0)
        return rc;
    view_attr_dir(v, n, view_object_nlink(o, n->cpd));
    return 0;
}

/* Builds the record of entry idx of parent, not yet in the table. */
static int
view_node_build(view *v, struct view_node *parent, uint64_t idx, struct view_node **out,
                struct ogawa_err *err)
{
    *out = NULL;
    struct view_node *n = calloc(1, sizeof *n);
    if (n != NULL)
        n->x = calloc(1, sizeof *n->x);
    if (n == NULL || n->x == NULL) {
        free(n);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    }
    n->parent = parent;
    n->idx = idx;
    uint64_t kb[2] = {parent->key, idx};
    n->key = ogawa_fnv1a64(kb, sizeof kb);
    n->attr.ino = n->key | VIEW_INO_KEY_BIT;
    n->attr.mtime = v->mtime;
    n->attr.mtime_nsec = v->mtime_nsec;
    int rc = 0;
    if (parent->attr.type == VIEW_T_PROPERTY || parent->attr.type == VIEW_T_VIEWDIR ||
        idx >= VIEW_KEY_VIEW) {
        rc = view_views_fill(v, n, err);
    } else {
        struct view_dir *d;
        rc = view_node_listing(v, parent, &d, err);
        if (rc == 0 && idx >= d->n)
            rc = ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
        const struct view_entry *e = rc == 0 ? &d->e[idx] : NULL;
        if (e != NULL)
            n->attr.type = e->type;
        abc_object *o = NULL;
        switch (e != NULL ? e->type : 0) {
        case VIEW_T_OBJECT:
            rc = abc_object_child(parent->obj, e->src, &o, err);
            if (rc == 0)
                rc = view_node_fill_object(v, n, o, err);
            break;
        case VIEW_T_INSTANCE:
            rc = abc_object_child(parent->obj, e->src, &n->obj, err);
            if (rc == 0)
                rc = view_instance_target(v, n, &n->text, &n->text_len, err);
            view_attr_file(n, S_IFLNK | 0777, n->text_len);
            break;
        case VIEW_T_COMPOUND:
            rc = abc_compound_child(parent->cpd, e->src, &n->cpd, err);
            if (rc == 0) {
                n->ph = abc_compound_header(n->cpd);
                uint64_t k = 2 + abc_compound_count(n->cpd);
                view_attr_dir(v, n, k > UINT32_MAX ? UINT32_MAX : (uint32_t)k);
            }
            break;
        case VIEW_T_PROPERTY:
            abc_compound_ref(parent->cpd);
            n->cpd = parent->cpd;
            n->pidx = e->src;
            n->ph = abc_compound_property(n->cpd, n->pidx);
            view_series_of_property(n);
            view_attr_dir(v, n, 2 + (v->views == VIEW_MODE_VISIBLE));
            break;
        case VIEW_T_PROMOTED:
            n->text = strdup(d->blob + e->link_off);
            if (n->text == NULL)
                rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
            n->text_len = e->link_len;
            view_attr_file(n, S_IFLNK | 0777, n->text_len);
            break;
        case VIEW_T_INFO: {
            uint64_t size = 0;
            rc = view_gen_size(v, parent, VIEW_T_INFO, &size, err);
            view_attr_file(n, S_IFREG | 0444, size);
            break;
        }
        default:
            break;
        }
    }
    if (rc != 0) {
        view_node_free(n);
        return rc;
    }
    n->attr.invalid = n->bad;
    if (n->attr.type != VIEW_T_OBJECT && n->attr.type != VIEW_T_PROPERTY &&
        n->attr.type != VIEW_T_VIEWDIR && n->attr.type != VIEW_T_VIEWFILE) {
        free(n->x);     /* samples, texts and links need none of it */
        n->x = NULL;
    }
    atomic_fetch_add_explicit(&v->node_builds, 1, memory_order_relaxed);
    *out = n;
    return 0;
}

/* Entry idx of parent: found or built, with one more lookup if keep. */
static int
view_child_get(view *v, struct view_node *parent, uint64_t idx, bool keep, uint64_t *id,
               struct view_attr *attr, struct ogawa_err *err)
{
    pthread_mutex_lock(&v->lock);
    struct view_node *n = view_table_find_pos(v, parent->id, idx);
    if (n != NULL) {
        if (keep)
            n->nlookup++;
        *id = n->id;
        *attr = n->attr;
        pthread_mutex_unlock(&v->lock);
        atomic_fetch_add_explicit(&v->node_hits, 1, memory_order_relaxed);
        return 0;
    }
    pthread_mutex_unlock(&v->lock);
    struct view_node *c;
    int rc = view_node_build(v, parent, idx, &c, err);
    if (rc != 0)
        return rc;
    if (!keep) {
        *id = 0;
        *attr = c->attr;
        view_node_free(c);
        return 0;
    }
    pthread_mutex_lock(&v->lock);
    n = view_table_find_pos(v, parent->id, idx);
    if (n == NULL) {
        if (v->n_nodes >= v->cap)
            view_table_grow(v);
        c->id = v->next_id++;
        view_table_link(v, c);
        v->n_nodes++;
        parent->nchild++;
        n = c;
        c = NULL;
    }
    n->nlookup++;
    *id = n->id;
    *attr = n->attr;
    pthread_mutex_unlock(&v->lock);
    view_node_free(c);      /* lost a race: the other build won */
    return 0;
}

/* ---- the API ---------------------------------------------------------------- */

int
view_open(const char *path, view **out, struct ogawa_err *err)
{
    return view_open_opts(path, NULL, out, err);
}

/* PATH as given, prefixed with the working directory when relative (not
 * resolved: a link in it stays a link); NULL when it cannot be made. */
static char *
view_absolute_path(const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    char *cwd = getcwd(NULL, 0);
    if (cwd == NULL)
        return NULL;
    size_t clen = strlen(cwd), plen = strlen(path);
    while (plen >= 2 && path[0] == '.' && path[1] == '/') {
        path += 2;      /* "./x" is "x" */
        plen -= 2;
    }
    char *abs = malloc(clen + 1 + plen + 1);
    if (abs != NULL) {
        memcpy(abs, cwd, clen);
        abs[clen] = '/';
        memcpy(abs + clen + (clen == 0 || cwd[clen - 1] != '/'), path, plen + 1);
    }
    free(cwd);
    return abs;
}

int
view_open_opts(const char *path, const struct ogawa_open_opts *opts, view **out,
               struct ogawa_err *err)
{
    *out = NULL;
    view *v = calloc(1, sizeof *v);
    if (v == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    pthread_mutex_init(&v->lock, NULL);
    v->cap = 1024;
    v->by_id = calloc(v->cap, sizeof *v->by_id);
    v->by_pos = calloc(v->cap, sizeof *v->by_pos);
    v->root = calloc(1, sizeof *v->root);
    if (v->root != NULL)
        v->root->x = calloc(1, sizeof *v->root->x);
    if (view_cache_init(v, VIEW_CACHE_DEFAULT) != 0 || v->by_id == NULL || v->by_pos == NULL ||
        v->root == NULL || v->root->x == NULL) {
        view_close(v);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    }
    int rc = abc_archive_open_opts(path, opts, &v->arc, err);
    if (rc == 0)
        rc = abc_archive_top(v->arc, &v->top, err);
    if (rc != 0) {
        view_close(v);
        return rc;
    }
    v->fd = ogawa_archive_fd(abc_archive_ogawa(v->arc));   /* -1: a compressed archive */
    v->path = view_absolute_path(path);
    const struct ogawa_source_identity *src_id =
        ogawa_source_identity(ogawa_archive_source(abc_archive_ogawa(v->arc)));
    v->mtime = src_id->mtime_sec;
    v->mtime_nsec = src_id->mtime_nsec;
    struct view_node *r = v->root;
    r->id = VIEW_ROOT_ID;
    r->key = VIEW_ROOT_KEY;
    r->attr.type = VIEW_T_OBJECT;
    r->attr.ino = 1;
    r->attr.mtime = v->mtime;
    r->attr.mtime_nsec = v->mtime_nsec;
    r->nlookup = 1;
    abc_object_ref(v->top);
    rc = view_node_fill_object(v, r, v->top, err);
    if (rc != 0) {
        view_close(v);
        return rc;
    }
    view_table_link(v, r);
    v->n_nodes = 1;
    v->next_id = VIEW_ROOT_ID + 1;
    *out = v;
    return 0;
}

void
view_close(view *v)
{
    if (v == NULL)
        return;
    if (v->by_id != NULL) {
        for (size_t i = 0; i < v->cap; i++) {
            for (struct view_node *n = v->by_id[i], *next; n != NULL; n = next) {
                next = n->next_id;
                if (n != v->root)
                    view_node_free(n);
            }
        }
    }
    pthread_mutex_destroy(&v->lock);
    view_cache_free(v);
    view_link_names_free(atomic_load(&v->link_names));
    view_node_free(v->root);
    free(v->by_id);
    free(v->by_pos);
    abc_object_unref(v->top);
    abc_archive_close(v->arc);
    free(v->path);
    free(v);
}

int
view_verify(view *v, uint64_t budget, bool *complete, struct ogawa_err *err)
{
    struct ogawa_stats before, after;
    ogawa_archive_stats(abc_archive_ogawa(v->arc), &before);
    int rc = abc_archive_verify(v->arc, budget, complete, err);
    ogawa_archive_stats(abc_archive_ogawa(v->arc), &after);
    v->verify_bytes += after.bytes_read - before.bytes_read;
    v->verify_reads += after.reads - before.reads;
    v->verify_state = *complete ? 2 : 1;
    return rc;
}

void
view_configure(view *v, const struct view_options *o)
{
    v->views = o->views;
    pthread_mutex_lock(&v->cache_lock);
    v->cache_max = o->cache_bytes;
    pthread_mutex_unlock(&v->cache_lock);
}

int
view_check_archive(view *v, struct ogawa_err *err)
{
    return ogawa_source_check(ogawa_archive_source(abc_archive_ogawa(v->arc)), err);
}

const abc_archive *
view_archive(const view *v)
{
    return v->arc;
}

int
view_archive_fd(const view *v)
{
    return v->fd;
}

int
view_root_attr(view *v, struct view_attr *attr, struct ogawa_err *err)
{
    (void)err;
    *attr = v->root->attr;
    return 0;
}

/* Pins node id for the length of one call (view_node_unpin at its end). */
static int
view_node_or_fail(view *v, uint64_t id, struct view_node **out, struct ogawa_err *err)
{
    *out = view_node_pin(v, id);
    if (*out == NULL)
        return ogawa_fail(err, OGAWA_E_NOENT, 0, "unknown node id");
    return 0;
}

/* Copies a name into the caller's buffer (names are at most
 * VIEW_ENTRY_NAME_MAX - 1 bytes: rule 4 cuts to 255, rule 5 adds ~N). */
static void
view_copy_name(char *out, size_t *len, const char *name, size_t n)
{
    if (n >= VIEW_ENTRY_NAME_MAX)
        n = VIEW_ENTRY_NAME_MAX - 1;
    memcpy(out, name, n);
    out[n] = '\0';
    *len = n;
}

/* The key of listing position pos of directory n (and its name and type
 * when name is not NULL). */
static int
view_node_position(view *v, struct view_node *n, uint64_t pos, char *name, size_t *len,
                   int *type, uint64_t *key, struct ogawa_err *err)
{
    char scratch[VIEW_ENTRY_NAME_MAX];
    size_t slen;
    int stype;
    if (name == NULL) {
        name = scratch;
        len = &slen;
        type = &stype;
    }
    if (!view_type_is_dir(n->attr.type))
        return ogawa_fail(err, VIEW_E_NOTDIR, 0, "not a directory");
    if (n->attr.type == VIEW_T_PROPERTY || n->attr.type == VIEW_T_VIEWDIR)
        return view_vdir_entry(v, n, pos, name, len, type, key, err);
    struct view_dir *d;
    int rc = view_node_listing(v, n, &d, err);
    if (rc != 0)
        return rc;
    if (pos < d->n) {
        view_copy_name(name, len, view_dir_name(d, pos), d->e[pos].name_len);
        *type = d->e[pos].type;
        *key = pos;
        return 0;
    }
    int kinds[VIEW_VK_COUNT];
    unsigned nv = view_views_at(v, n, kinds);
    if (v->views != VIEW_MODE_VISIBLE || pos - d->n >= nv)
        return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
    const char *vn = view_kind_name(kinds[pos - d->n]);
    view_copy_name(name, len, vn, strlen(vn));
    *type = kinds[pos - d->n] == VIEW_VK_PREVIEW_PNG ? VIEW_T_VIEWFILE : VIEW_T_VIEWDIR;
    *key = VIEW_KEY_VIEW + (uint64_t)kinds[pos - d->n];
    return 0;
}

int
view_lookup(view *v, uint64_t parent, const char *name, size_t len, uint64_t *id,
            struct view_attr *attr, struct ogawa_err *err)
{
    struct view_node *p;
    int rc = view_node_or_fail(v, parent, &p, err);
    if (rc != 0)
        return rc;
    uint64_t idx = 0;
    if (!view_type_is_dir(p->attr.type)) {
        rc = ogawa_fail(err, VIEW_E_NOTDIR, 0, "not a directory");
    } else if (p->attr.type == VIEW_T_PROPERTY || p->attr.type == VIEW_T_VIEWDIR) {
        if (!view_vdir_lookup(v, p, name, len, &idx, err))
            rc = ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
    } else {
        struct view_dir *d;
        rc = view_node_listing(v, p, &d, err);
        long long i = rc == 0 ? view_dir_find(d, name, len) : 0;
        idx = (uint64_t)i;
        if (i < 0 && !view_views_key(v, p, name, len, &idx))
            rc = ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
    }
    if (rc == 0)
        rc = view_child_get(v, p, idx, true, id, attr, err);
    view_node_unpin(v, p);
    return rc;
}

void
view_forget(view *v, uint64_t id, uint64_t nlookup)
{
    struct view_node *dead = NULL;
    pthread_mutex_lock(&v->lock);
    struct view_node *n = view_table_find_id(v, id);
    if (n != NULL) {
        n->nlookup -= nlookup < n->nlookup ? nlookup : n->nlookup;
        dead = view_table_reap(v, n);
    }
    pthread_mutex_unlock(&v->lock);
    view_free_chain(dead);
}

int
view_getattr(view *v, uint64_t id, struct view_attr *attr, struct ogawa_err *err)
{
    struct view_node *n;
    int rc = view_node_or_fail(v, id, &n, err);
    if (rc == 0)
        *attr = n->attr;
    view_node_unpin(v, n);
    return rc;
}

uint64_t
view_parent(view *v, uint64_t id)
{
    pthread_mutex_lock(&v->lock);
    struct view_node *n = view_table_find_id(v, id);
    uint64_t p = n != NULL && n->parent != NULL ? n->parent->id : VIEW_ROOT_ID;
    pthread_mutex_unlock(&v->lock);
    return p;
}

int
view_dir_count(view *v, uint64_t dir, uint64_t *count, struct ogawa_err *err)
{
    struct view_node *n;
    struct view_dir *d = NULL;
    int rc = view_node_or_fail(v, dir, &n, err);
    if (rc == 0 && !view_type_is_dir(n->attr.type))
        rc = ogawa_fail(err, VIEW_E_NOTDIR, 0, "not a directory");
    if (rc == 0 && (n->attr.type == VIEW_T_OBJECT || n->attr.type == VIEW_T_COMPOUND))
        rc = view_node_listing(v, n, &d, err);
    if (rc == 0)
        *count = view_node_entries(v, n, d);
    view_node_unpin(v, n);
    return rc;
}

int
view_dir_entry(view *v, uint64_t dir, uint64_t idx, char name[VIEW_ENTRY_NAME_MAX],
               size_t *len, int *type, struct ogawa_err *err)
{
    struct view_node *n;
    uint64_t key;
    int rc = view_node_or_fail(v, dir, &n, err);
    if (rc == 0)
        rc = view_node_position(v, n, idx, name, len, type, &key, err);
    view_node_unpin(v, n);
    return rc;
}

int
view_child(view *v, uint64_t dir, uint64_t idx, uint64_t *id, struct view_attr *attr,
           struct ogawa_err *err)
{
    struct view_node *n;
    int rc = view_node_or_fail(v, dir, &n, err);
    uint64_t key = 0;
    if (rc == 0)
        rc = view_node_position(v, n, idx, NULL, NULL, NULL, &key, err);
    if (rc == 0)
        rc = view_child_get(v, n, key, true, id, attr, err);
    view_node_unpin(v, n);
    return rc;
}

int
view_child_attr(view *v, uint64_t dir, uint64_t idx, struct view_attr *attr,
                struct ogawa_err *err)
{
    struct view_node *n;
    uint64_t id;
    int rc = view_node_or_fail(v, dir, &n, err);
    uint64_t key = 0;
    if (rc == 0)
        rc = view_node_position(v, n, idx, NULL, NULL, NULL, &key, err);
    if (rc == 0)
        rc = view_child_get(v, n, key, false, &id, attr, err);
    view_node_unpin(v, n);
    return rc;
}

int
view_child_ino(view *v, uint64_t dir, uint64_t idx, uint64_t *ino, int *type,
               struct ogawa_err *err)
{
    struct view_node *n;
    uint64_t key = 0;
    char name[VIEW_ENTRY_NAME_MAX];
    size_t len;
    int rc = view_node_or_fail(v, dir, &n, err);
    if (rc == 0)
        rc = view_node_position(v, n, idx, name, &len, type, &key, err);
    if (rc != 0) {
        view_node_unpin(v, n);
        return rc;
    }
    pthread_mutex_lock(&v->lock);
    struct view_node *c = view_table_find_pos(v, n->id, key);
    bool known = c != NULL;
    if (known)
        *ino = c->attr.ino;
    pthread_mutex_unlock(&v->lock);
    if (!known) {
        /* what view_node_build would give, without building: the key
         * form, or a raw sample's stored block */
        uint64_t kb[2] = {n->key, key};
        *ino = ogawa_fnv1a64(kb, sizeof kb) | VIEW_INO_KEY_BIT;
        uint64_t block;
        if (*type == VIEW_T_SAMPLE && view_series_sample_block(v, n, key, &block) && block != 0)
            *ino = block;
    }
    view_node_unpin(v, n);
    return 0;
}

int
view_readlink(view *v, uint64_t id, char **target, size_t *len, struct ogawa_err *err)
{
    struct view_node *n;
    *target = NULL;
    int rc = view_node_or_fail(v, id, &n, err);
    if (rc == 0 && !view_type_is_link(n->attr.type))
        rc = ogawa_fail(err, VIEW_E_NOTLINK, 0, "not a symbolic link");
    if (rc == 0) {
        *target = malloc(n->text_len + 1);
        if (*target == NULL) {
            rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
        } else {
            memcpy(*target, n->text, n->text_len + 1);
            *len = n->text_len;
        }
    }
    view_node_unpin(v, n);
    return rc;
}

int
view_data_mem(struct view_data *out, void *m, uint64_t len, int rc)
{
    if (rc != 0) {
        free(m);
        return rc;
    }
    out->fd = -1;
    out->mem = m;
    out->len = len;
    return 0;
}

int
view_data_archive(view *v, uint64_t off, uint64_t len, uint64_t src_end, struct view_data *out,
                  struct ogawa_err *err)
{
    out->len = len;
    out->src_end = src_end;
    if (v->fd >= 0) {
        out->fd = v->fd;
        out->off = off;
        return 0;
    }
    /* A compressed archive has no fd to splice from: its bytes are
     * inflated through its source into a copy. */
    out->fd = -1;
    out->mem = len > 0 ? malloc(len) : NULL;
    if (len > 0 && out->mem == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    int rc = len > 0 ? ogawa_archive_read(abc_archive_ogawa(v->arc), off, out->mem, len, err) : 0;
    if (rc != 0) {
        free(out->mem);
        out->mem = NULL;
        out->len = 0;
    }
    return rc;
}

int
view_read(view *v, uint64_t id, uint64_t pos, uint64_t len, struct view_data *out,
          struct ogawa_err *err)
{
    struct view_node *n;
    memset(out, 0, sizeof *out);
    out->fd = -1;
    int rc = view_node_or_fail(v, id, &n, err);
    if (rc != 0)
        return rc;
    uint64_t size = n->attr.size;
    if (pos > size)
        pos = size;
    if (len > size - pos)
        len = size - pos;
    if (view_type_is_dir(n->attr.type)) {
        rc = ogawa_fail(err, VIEW_E_ISDIR, 0, "is a directory");
    } else if (view_type_is_link(n->attr.type)) {
        rc = ogawa_fail(err, VIEW_E_NOTLINK, 0, "a symbolic link has no bytes");
    } else if (n->bad) {
        rc = ogawa_fail(err, VIEW_E_BADSRC, 0, "the view's source is invalid");
    } else if ((n->attr.type == VIEW_T_SAMPLE && !n->raw) || n->attr.type == VIEW_T_VIEWFILE) {
        rc = view_views_read(v, n, pos, len, out, err);
        if (rc == 0 && out->fd >= 0)
            atomic_fetch_add_explicit(&v->served_bytes, len, memory_order_relaxed);
        else if (rc == 0)
            atomic_fetch_add_explicit(&v->mem_bytes, len, memory_order_relaxed);
    } else if (n->attr.type == VIEW_T_SAMPLE && n->raw) {
        rc = view_data_archive(v, n->data_off + pos, len, n->src_end, out, err);
        if (rc == 0) {
            atomic_fetch_add_explicit(&v->served_bytes, len, memory_order_relaxed);
            atomic_fetch_add_explicit(&v->served_reads, 1, memory_order_relaxed);
        }
    } else {
        /* .info, .times: a copy (the node may be forgotten before the
         * caller is done) */
        void *m = len > 0 ? malloc(len) : NULL;
        if (len > 0 && m == NULL)
            rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
        else if (len > 0)
            rc = view_gen_read(v, n, pos, len, m, err);
        rc = view_data_mem(out, m, len, rc);
        if (rc == 0)
            atomic_fetch_add_explicit(&v->mem_bytes, len, memory_order_relaxed);
    }
    view_node_unpin(v, n);
    return rc;
}

void
view_count_request(view *v, int kind)
{
    if (kind >= 0 && kind < VIEW_REQ_COUNT)
        atomic_fetch_add_explicit(&v->req[kind], 1, memory_order_relaxed);
}

void
view_statfs(view *v, uint64_t *archive_bytes, uint64_t *nodes)
{
    *archive_bytes = ogawa_archive_size(abc_archive_ogawa(v->arc));
    pthread_mutex_lock(&v->lock);
    *nodes = v->n_nodes;
    pthread_mutex_unlock(&v->lock);
}
