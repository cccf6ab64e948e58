/*
 * view_views.c — the views of views.md on the node table: which views a
 * directory has, the entries of property-like ("series") directories and
 * of view directories, and the bytes of computed files.
 *
 * Entry keys: in an object or compound directory a key below VIEW_KEY_VIEW
 * is a listing position (view_dir.c); VIEW_KEY_VIEW + kind is that view.
 * In a series directory (a property, .expanded) key i < n is sample i, n
 * is .info, n + 1 is .times.  In .npy/ key i < n is NNNN.npy, n all.npy,
 * n + 1 .info.  Keys never depend on whether views are listed, so a node
 * keeps its identity across -o views= settings and listings.
 *
 * Views are found lazily: nothing here runs before a view's parent is
 * looked up, and nothing at mount time.  A view's bytes are either a range
 * of the archive (the body of a numeric .npy, served like a sample file)
 * or computed into the view cache (view_cache.c) and computed again after
 * an eviction, to the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "abc_mesh.h"
#include "hash.h"
#include "view_int.h"

#define VIEW_ALL_MAX_SAMPLES (1u << 20)     /* views.md: all.npy up to 2^20 samples */
#define VIEW_COMPUTED_MAX (256ull << 20)    /* the largest computed file: EFBIG beyond */

const char *
view_kind_name(int vk)
{
    switch (vk) {
    case VIEW_VK_NPY: return ".npy";
    case VIEW_VK_EXPANDED: return ".expanded";
    case VIEW_VK_MATRIX: return ".matrix";
    case VIEW_VK_WORLD: return ".world";
    case VIEW_VK_PLY: return ".ply";
    case VIEW_VK_OBJ: return ".obj";
    case VIEW_VK_PREVIEW: return ".preview";
    case VIEW_VK_PREVIEW_PNG: return ".preview.png";
    default: return "";
    }
}

int
view_mode_parse(const char *s)
{
    if (strcmp(s, "hidden") == 0)
        return VIEW_MODE_HIDDEN;
    if (strcmp(s, "visible") == 0)
        return VIEW_MODE_VISIBLE;
    if (strcmp(s, "off") == 0)
        return VIEW_MODE_OFF;
    return -1;
}

static bool
view_str_is(abc_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

/* ---- which views exist ------------------------------------------------------ */

/* A view directory of one file per sample of an object's geometry. */
static bool
view_is_filedir(const struct view_node *n)
{
    return n->attr.type == VIEW_T_VIEWDIR &&
           (n->vk == VIEW_VK_PLY || n->vk == VIEW_VK_OBJ || n->vk == VIEW_VK_PREVIEW);
}

static const char *
view_filedir_ext(int vk)
{
    return vk == VIEW_VK_PLY ? "ply" : vk == VIEW_VK_OBJ ? "obj" : "png";
}

bool
view_is_series(const struct view_node *n)
{
    return n->attr.type == VIEW_T_PROPERTY ||
           (n->attr.type == VIEW_T_VIEWDIR &&
            (n->vk == VIEW_VK_EXPANDED || n->vk == VIEW_VK_MATRIX || n->vk == VIEW_VK_WORLD));
}

/* ---- worlds of objects ------------------------------------------------------ */

/* An object whose world could not be opened (a malformed Xform): it and
 * the objects below it have no .matrix or .world. */
static char view_world_failed_mark;
#define VIEW_WORLD_FAILED ((abc_world *)&view_world_failed_mark)

void
view_world_release(abc_world *w)
{
    if (w != VIEW_WORLD_FAILED)
        abc_world_unref(w);
}

/* The world of object node n, opened on first need from its parent's (so a
 * deep chain opens each level once); NULL if it could not be opened. */
static abc_world *
view_object_world(struct view_node *n)
{
    abc_world *w = atomic_load(&n->x->world);
    if (w != NULL)
        return w == VIEW_WORLD_FAILED ? NULL : w;
    /* the nodes from n up to the first that has its world, opened top down */
    size_t depth = 0;
    for (struct view_node *m = n; m != NULL && atomic_load(&m->x->world) == NULL; m = m->parent)
        depth++;
    struct view_node **chain = malloc(depth * sizeof *chain);
    if (chain == NULL)
        return NULL;
    size_t k = depth;
    for (struct view_node *m = n; k > 0; m = m->parent)
        chain[--k] = m;
    for (size_t i = 0; i < depth; i++) {
        struct view_node *m = chain[i];
        abc_world *parent = m->parent != NULL ? atomic_load(&m->parent->x->world) : NULL;
        abc_world *mine = VIEW_WORLD_FAILED;
        if (parent != VIEW_WORLD_FAILED && abc_world_open(parent, m->obj, &mine, NULL) != 0)
            mine = VIEW_WORLD_FAILED;
        abc_world *expected = NULL;
        if (!atomic_compare_exchange_strong(&m->x->world, &expected, mine))
            view_world_release(mine);   /* another thread published first */
    }
    free(chain);
    w = atomic_load(&n->x->world);
    return w == VIEW_WORLD_FAILED ? NULL : w;
}

/* An indexed geometry parameter (views.md ".expanded"): isGeomParam true,
 * an array .vals and an array .indices of uint32. */
static bool
view_geom_param(abc_compound *c, size_t *vals, size_t *ind)
{
    const struct abc_property_header *h = abc_compound_header(c);
    abc_str val;
    if (h == NULL || !abc_meta_get(h->metadata, "isGeomParam", &val) || !view_str_is(val, "true"))
        return false;
    if (abc_compound_find(c, ".vals", 5, vals) != 0 || abc_compound_find(c, ".indices", 8, ind) != 0)
        return false;
    const struct abc_property_header *hv = abc_compound_property(c, *vals);
    const struct abc_property_header *hi = abc_compound_property(c, *ind);
    return hv->kind == ABC_KIND_ARRAY && hi->kind == ABC_KIND_ARRAY && hi->pod == ABC_POD_UINT32;
}

unsigned
view_views_at(view *v, struct view_node *n, int kinds[VIEW_VK_COUNT])
{
    unsigned k = 0;
    size_t a, b;
    if (v->views == VIEW_MODE_OFF)
        return 0;
    if (view_is_series(n)) {
        kinds[k++] = VIEW_VK_NPY;
    } else if (n->attr.type == VIEW_T_COMPOUND && view_geom_param(n->cpd, &a, &b)) {
        kinds[k++] = VIEW_VK_EXPANDED;
    } else if (n->attr.type == VIEW_T_OBJECT) {
        abc_world *w = view_object_world(n);
        if (w != NULL && abc_world_xform(w) != NULL)
            kinds[k++] = VIEW_VK_MATRIX;
        if (w != NULL && abc_world_has_xform(w))
            kinds[k++] = VIEW_VK_WORLD;
        abc_mesh *m = view_object_mesh(n);
        int mk = m != NULL ? abc_mesh_kind(m) : -1;
        if (mk == ABC_MESH_POLYMESH || mk == ABC_MESH_SUBD || mk == ABC_MESH_POINTS)
            kinds[k++] = VIEW_VK_PLY;
        if (mk == ABC_MESH_POLYMESH || mk == ABC_MESH_SUBD)
            kinds[k++] = VIEW_VK_OBJ;
        if (m != NULL)
            kinds[k++] = VIEW_VK_PREVIEW;
        if (n->parent == NULL)
            kinds[k++] = VIEW_VK_PREVIEW_PNG;
    }
    return k;
}

void
view_series_of_property(struct view_node *n)
{
    const struct abc_property_header *h = n->ph;
    n->x->ser.pod = h->pod;
    n->x->ser.extent = h->extent;
    n->x->ser.meta = h->metadata;
    n->x->ser.n = h->num_samples;
    n->x->ser.ts = h->time_sampling;
    n->x->ser.scalar = h->kind == ABC_KIND_SCALAR;
}

/* ---- pieces: the bytes of one sample of a series ------------------------- */

/* Sample i of a series: a range of the archive, or computed bytes pinned in
 * the cache, or bad (its source is invalid: EIO). */
struct view_piece {
    bool raw, bad;
    uint64_t off, len;          /* raw: archive range */
    uint64_t src_end;           /* end of the stored payload it comes from */
    uint64_t block;             /* raw: stored block offset (st_ino) */
    struct view_cache_entry *ce;
    const uint8_t *mem;         /* computed: ce's bytes */
};

static uint64_t
view_key2(uint64_t a, uint64_t b)
{
    uint64_t k[2] = {a, b};
    return ogawa_fnv1a64(k, sizeof k);
}

static void
view_piece_release(view *v, struct view_piece *p)
{
    view_cache_release(v, p->ce);
    p->ce = NULL;
}

struct view_expand_ctx {
    struct view_node *dir;
    uint32_t i;
};

static uint32_t
view_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* views.md ".expanded": vals[indices[k]] for every k, each property taken
 * at sample i clamped to its last; an empty index sample gives the values
 * unchanged; an index past the values is VIEW_E_BADSRC (EIO). */
static int
view_expand_render(view *v, void *vctx, struct view_buf *b, struct ogawa_err *err)
{
    struct view_expand_ctx *x = vctx;
    struct view_node *d = x->dir;
    const struct abc_property_header *hv = abc_compound_property(d->cpd, d->x->vals_idx);
    const struct abc_property_header *hi = abc_compound_property(d->cpd, d->x->ind_idx);
    uint32_t iv = x->i < hv->num_samples ? x->i : hv->num_samples - 1;
    uint32_t ii = x->i < hi->num_samples ? x->i : hi->num_samples - 1;
    struct abc_sample sv, si;
    uint8_t *vals = NULL, *ind = NULL;
    uint64_t vlen = 0, ilen = 0;
    int rc = hv->num_samples == 0 ? 0 : abc_property_sample(d->cpd, d->x->vals_idx, iv, &sv, err);
    if (rc == 0 && hv->num_samples > 0)
        rc = abc_sample_load(v->arc, &sv, hv->pod, &vals, &vlen, err);
    if (rc == 0 && hi->num_samples > 0)
        rc = abc_property_sample(d->cpd, d->x->ind_idx, ii, &si, err);
    if (rc == 0 && hi->num_samples > 0)
        rc = abc_sample_load(v->arc, &si, hi->pod, &ind, &ilen, err);
    if (rc != 0)
        goto out;
    if (ilen == 0) {
        view_buf_put(b, vals, vlen);
        goto out;
    }
    unsigned ext = hv->extent ? hv->extent : 1;
    uint64_t nidx = ilen / 4;
    if (hv->pod == ABC_POD_STRING || hv->pod == ABC_POD_WSTRING) {
        /* values are groups of ext NUL-ended strings: start[j] is where
         * string j begins, start[nstr] the end */
        uint64_t nstr = 0;
        for (uint64_t k = 0; k < vlen; k++)
            nstr += vals[k] == '\0';
        size_t *start = malloc((nstr + 1) * sizeof *start);
        if (start == NULL) {
            rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
            goto out;
        }
        uint64_t s = 0;
        for (uint64_t k = 0; k < vlen; k++)
            if (k == 0 || vals[k - 1] == '\0')
                if (s < nstr)
                    start[s++] = (size_t)k;
        start[nstr] = (size_t)vlen;
        uint64_t nval = nstr / ext;
        for (uint64_t k = 0; k < nidx && rc == 0; k++) {
            uint32_t j = view_u32le(ind + 4 * k);
            if (j >= nval)
                rc = ogawa_fail(err, VIEW_E_BADSRC, 0, "an index past the end of the values");
            else
                view_buf_put(b, vals + start[(uint64_t)j * ext],
                             start[((uint64_t)j + 1) * ext] - start[(uint64_t)j * ext]);
            if (b->len > VIEW_COMPUTED_MAX)
                rc = ogawa_fail(err, VIEW_E_TOOBIG, 0, "expanded sample too large");
        }
        free(start);
    } else {
        uint64_t vsize = (uint64_t)abc_pod_size(hv->pod) * ext;
        uint64_t nval = vsize ? vlen / vsize : 0;
        if (vsize != 0 && nidx > VIEW_COMPUTED_MAX / vsize)
            rc = ogawa_fail(err, VIEW_E_TOOBIG, 0, "expanded sample too large");
        for (uint64_t k = 0; k < nidx && rc == 0; k++) {
            uint32_t j = view_u32le(ind + 4 * k);
            if (j >= nval)
                rc = ogawa_fail(err, VIEW_E_BADSRC, 0, "an index past the end of the values");
            else
                view_buf_put(b, vals + j * vsize, (size_t)vsize);
        }
    }
out:
    free(vals);
    free(ind);
    return rc;
}

/* Sample i of .matrix (the local matrix) or .world (at its i-th time). */
static int
view_matrix_render(view *v, void *vctx, struct view_buf *b, struct ogawa_err *err)
{
    struct view_expand_ctx *x = vctx;
    struct view_node *d = x->dir;
    double m[16];
    bool inherits;
    int rc;
    (void)v;
    if (d->vk == VIEW_VK_MATRIX) {
        rc = abc_xform_sample(abc_world_xform(d->x->world), x->i, m, &inherits, err);
    } else {
        const double *times;
        uint64_t n;
        rc = abc_world_times(d->x->world, &times, &n, err);
        if (rc == 0 && x->i >= n)
            rc = ogawa_fail(err, OGAWA_E_NOENT, 0, "no such sample");
        if (rc == 0)
            rc = abc_world_matrix_at(d->x->world, times[x->i], m, err);
    }
    if (rc == 0)
        view_buf_put(b, m, sizeof m);   /* little-endian doubles (the host's) */
    return rc;
}

struct view_load_ctx {
    const struct abc_sample *s;
    int pod;
};

static int
view_load_render(view *v, void *vctx, struct view_buf *b, struct ogawa_err *err)
{
    struct view_load_ctx *x = vctx;
    uint8_t *buf;
    uint64_t len;
    int rc = abc_sample_load(v->arc, x->s, x->pod, &buf, &len, err);
    if (rc != 0)
        return rc;
    view_buf_adopt(b, buf, (size_t)len);
    return 0;
}

/* Computes (or finds) bytes under (k1, k2) and pins them in p. */
static int
view_piece_compute(view *v, uint64_t k1, uint64_t k2, view_render_fn render, void *ctx,
                   struct view_piece *p, struct ogawa_err *err)
{
    p->ce = view_cache_get(v, k1, k2);
    if (p->ce == NULL) {
        struct view_buf b = {0};
        int rc = render(v, ctx, &b, err);
        if (rc == 0 && b.oom)
            rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
        if (rc != 0) {
            view_buf_free(&b);
            return rc;
        }
        atomic_fetch_add_explicit(&v->cache_renders, 1, memory_order_relaxed);
        p->ce = view_cache_put(v, k1, k2, b.ptr, b.len);
        if (p->ce == NULL)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    }
    size_t len;
    p->mem = view_cache_bytes(p->ce, &len);
    p->len = len;
    return 0;
}

/* Sample i of series d.  Errors of the archive are returned; an expansion
 * whose indices are out of range gives a bad piece (EIO when read). */
static int
view_piece_get(view *v, struct view_node *d, uint32_t i, bool need_bytes, struct view_piece *p,
               struct ogawa_err *err)
{
    memset(p, 0, sizeof *p);
    if (d->attr.type == VIEW_T_PROPERTY) {
        /* the handle locates samples from batched slot reads */
        abc_prop *h = atomic_load(&d->x->prop);
        if (h == NULL) {
            int rc = abc_prop_open(d->cpd, d->pidx, &h, err);
            if (rc != 0)
                return rc;
            abc_prop *expected = NULL;
            if (!atomic_compare_exchange_strong(&d->x->prop, &expected, h)) {
                abc_prop_unref(h);
                h = expected;
            }
        }
        struct abc_sample s;
        int rc = abc_prop_sample(h, i, &s, err);
        if (rc != 0)
            return rc;
        p->src_end = s.payload_len > 0 ? s.payload_off + s.payload_len : 0;
        if (d->x->ser.pod != ABC_POD_WSTRING && !need_bytes) {
            p->raw = true;
            p->off = s.payload_off;
            p->len = s.payload_len;
            p->block = s.block.off;
            return 0;
        }
        struct view_load_ctx x = {&s, d->x->ser.pod};
        uint64_t k1 = s.block.off != 0 ? s.block.off : view_key2(d->key, i);
        return view_piece_compute(v, k1, d->x->ser.pod == ABC_POD_WSTRING ? VIEW_CK_WSTRING
                                                                       : VIEW_CK_STRING,
                                  view_load_render, &x, p, err);
    }
    if (d->vk == VIEW_VK_MATRIX || d->vk == VIEW_VK_WORLD) {
        struct view_expand_ctx x = {d, i};
        return view_piece_compute(v, view_key2(d->key, i), VIEW_CK_MATRIX, view_matrix_render,
                                  &x, p, err);
    }
    struct view_expand_ctx x = {d, i};
    struct ogawa_err e2 = {0};
    int rc = view_piece_compute(v, view_key2(d->key, i), VIEW_CK_EXPANDED, view_expand_render,
                                &x, p, &e2);
    if (rc == VIEW_E_BADSRC) {
        p->bad = true;
        return 0;
    }
    if (rc != 0 && err != NULL)
        *err = e2;
    return rc;
}

bool
view_series_sample_block(view *v, struct view_node *d, uint64_t i, uint64_t *block)
{
    struct view_piece p;
    if (!view_is_series(d) || i >= d->x->ser.n ||
        view_piece_get(v, d, (uint32_t)i, false, &p, NULL) != 0)
        return false;
    bool raw = p.raw;
    *block = p.block;
    view_piece_release(v, &p);
    return raw;
}

/* ---- .npy ------------------------------------------------------------------ */

/* The header of a numeric .npy of n_rows samples (0: one sample) whose
 * sample has len bytes; false if len does not fit the element size. */
static bool
view_npy_numeric_header(const struct view_series *s, uint64_t len, uint64_t n_rows,
                        char hdr[VIEW_NPY_HEADER_MAX], size_t *hlen)
{
    uint64_t esize = (uint64_t)abc_pod_size(s->pod) * s->extent;
    uint64_t shape[4], eshape[2];
    unsigned rank = 0, erank = view_npy_elem_shape(s->extent, s->meta, eshape);
    if (esize == 0)
        return false;
    if (n_rows > 0)
        shape[rank++] = n_rows;
    if (s->scalar) {
        if (len != esize)
            return false;
    } else {
        if (len % esize != 0)
            return false;
        shape[rank++] = len / esize;
    }
    for (unsigned k = 0; k < erank; k++)
        shape[rank++] = eshape[k];
    *hlen = view_npy_header(view_npy_descr(s->pod), shape, rank, hdr);
    return true;
}

static bool
view_pod_is_string(int pod)
{
    return pod == ABC_POD_STRING || pod == ABC_POD_WSTRING;
}

struct view_npystr_ctx {
    struct view_node *series;
    uint32_t i;
};

static int
view_npystr_render(view *v, void *vctx, struct view_buf *b, struct ogawa_err *err)
{
    struct view_npystr_ctx *x = vctx;
    struct view_piece p;
    int rc = view_piece_get(v, x->series, x->i, true, &p, err);
    if (rc == 0 && p.bad)
        rc = ogawa_fail(err, VIEW_E_BADSRC, 0, "an index past the end of the values");
    if (rc == 0 && view_npy_strings(p.mem, (size_t)p.len, x->series->x->ser.scalar,
                                    x->series->x->ser.extent, x->series->x->ser.meta, b) != 0)
        rc = ogawa_fail(err, OGAWA_E_CORRUPT, 0, "a string sample that is not NUL-ended strings");
    view_piece_release(v, &p);
    return rc;
}

/* Does .npy dir d (below series s) have all.npy?  Every sample must be
 * numeric, valid and of one size.  Found once, then kept on the node as
 * one atomic word: 0 not known, 1 no, (bytes of a sample) << 2 | 2 yes;
 * two threads may both find it, to the same value. */
static bool
view_npy_has_all(view *v, struct view_node *d, uint64_t *sample_bytes)
{
    struct view_node *s = d->parent;
    uint64_t state = atomic_load(&d->x->all_state);
    if (state == 0) {
        uint64_t first = 0;
        bool ok = !view_pod_is_string(s->x->ser.pod) && s->x->ser.n > 0 &&
                  s->x->ser.n <= VIEW_ALL_MAX_SAMPLES;
        for (uint32_t i = 0; ok && i < s->x->ser.n; i++) {
            struct view_piece p;
            char hdr[VIEW_NPY_HEADER_MAX];
            size_t hlen;
            ok = view_piece_get(v, s, i, false, &p, NULL) == 0 && !p.bad &&
                 view_npy_numeric_header(&s->x->ser, p.len, 0, hdr, &hlen) &&
                 (i == 0 || p.len == first);
            first = i == 0 ? p.len : first;
            view_piece_release(v, &p);
        }
        uint64_t expected = 0;
        state = ok ? first << 2 | 2 : 1;
        if (!atomic_compare_exchange_strong(&d->x->all_state, &expected, state))
            state = expected;
    }
    *sample_bytes = state >> 2;
    return (state & 2) != 0;
}

/* ---- entries ------------------------------------------------------------ */

uint64_t
view_series_entries(view *v, struct view_node *n)
{
    uint64_t sb;
    if (view_is_filedir(n))
        return (uint64_t)n->x->ser.n + 1;
    if (n->attr.type == VIEW_T_VIEWDIR && n->vk == VIEW_VK_NPY)
        return (uint64_t)n->parent->x->ser.n + view_npy_has_all(v, n, &sb) + 1;
    int kinds[VIEW_VK_COUNT];
    unsigned nv = view_views_at(v, n, kinds);
    return (uint64_t)n->x->ser.n + 2 + (v->views == VIEW_MODE_VISIBLE ? nv : 0);
}

static size_t
view_copy(char name[VIEW_ENTRY_NAME_MAX], const char *s)
{
    size_t n = strlen(s);
    memcpy(name, s, n + 1);
    return n;
}

int
view_vdir_entry(view *v, struct view_node *n, uint64_t pos, char name[VIEW_ENTRY_NAME_MAX],
                size_t *len, int *type, uint64_t *key, struct ogawa_err *err)
{
    if (view_is_filedir(n)) {
        uint64_t ns = n->x->ser.n;
        if (pos < ns) {
            *len = (size_t)snprintf(name, 32, "%0*llu.%s", (int)view_sample_width(ns),
                                    (unsigned long long)pos, view_filedir_ext(n->vk));
            *type = VIEW_T_VIEWFILE;
        } else if (pos == ns) {
            *len = view_copy(name, ".info");
            *type = VIEW_T_INFO;
        } else {
            return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
        }
        *key = pos;
        return 0;
    }
    if (n->attr.type == VIEW_T_VIEWDIR && n->vk == VIEW_VK_NPY) {
        uint64_t ns = n->parent->x->ser.n, sb;
        bool all = view_npy_has_all(v, n, &sb);
        if (pos < ns) {
            *len = (size_t)snprintf(name, 32, "%0*llu.npy", (int)view_sample_width(ns),
                                    (unsigned long long)pos);
            *type = VIEW_T_VIEWFILE;
            *key = pos;
        } else if (pos == ns && all) {
            *len = view_copy(name, "all.npy");
            *type = VIEW_T_VIEWFILE;
            *key = ns;
        } else if (pos == ns + all) {
            *len = view_copy(name, ".info");
            *type = VIEW_T_INFO;
            *key = ns + 1;
        } else {
            return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
        }
        return 0;
    }
    uint64_t ns = n->x->ser.n;
    if (pos < ns) {
        *len = view_sample_name(ns, n->x->ser.pod, pos, name);
        *type = VIEW_T_SAMPLE;
        *key = pos;
    } else if (pos == ns || pos == ns + 1) {
        *len = view_copy(name, pos == ns ? ".info" : ".times");
        *type = pos == ns ? VIEW_T_INFO : VIEW_T_TIMES;
        *key = pos;
    } else {
        int kinds[VIEW_VK_COUNT];
        unsigned nv = view_views_at(v, n, kinds);
        if (v->views != VIEW_MODE_VISIBLE || pos - ns - 2 >= nv)
            return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
        *len = view_copy(name, view_kind_name(kinds[pos - ns - 2]));
        *type = VIEW_T_VIEWDIR;
        *key = VIEW_KEY_VIEW + (uint64_t)kinds[pos - ns - 2];
    }
    return 0;
}

/* Parses NNNN.ext (the width of n samples) into *i < n. */
static bool
view_parse_indexed(uint64_t n, const char *ext, const char *name, size_t len, uint64_t *i)
{
    unsigned w = view_sample_width(n);
    size_t elen = strlen(ext);
    if (len != w + 1 + elen || name[w] != '.' || memcmp(name + w + 1, ext, elen) != 0)
        return false;
    uint64_t x = 0;
    for (unsigned k = 0; k < w; k++) {
        if (name[k] < '0' || name[k] > '9' || x > (UINT64_MAX - 9) / 10)
            return false;
        x = x * 10 + (uint64_t)(name[k] - '0');
    }
    *i = x;
    return x < n;
}

bool
view_vdir_lookup(view *v, struct view_node *n, const char *name, size_t len, uint64_t *key,
                 struct ogawa_err *err)
{
    (void)err;
    if (view_is_filedir(n)) {
        if (len == 5 && memcmp(name, ".info", 5) == 0) {
            *key = n->x->ser.n;
            return true;
        }
        return view_parse_indexed(n->x->ser.n, view_filedir_ext(n->vk), name, len, key);
    }
    if (n->attr.type == VIEW_T_VIEWDIR && n->vk == VIEW_VK_NPY) {
        uint64_t ns = n->parent->x->ser.n, sb;
        if (len == 5 && memcmp(name, ".info", 5) == 0) {
            *key = ns + 1;
            return true;
        }
        if (len == 7 && memcmp(name, "all.npy", 7) == 0) {
            *key = ns;
            return view_npy_has_all(v, n, &sb);
        }
        return view_parse_indexed(ns, "npy", name, len, key);
    }
    uint64_t ns = n->x->ser.n;
    if (len == 5 && memcmp(name, ".info", 5) == 0) {
        *key = ns;
        return true;
    }
    if (len == 6 && memcmp(name, ".times", 6) == 0) {
        *key = ns + 1;
        return true;
    }
    if (view_sample_parse(ns, n->x->ser.pod, name, len, key))
        return true;
    return view_views_key(v, n, name, len, key);
}

bool
view_views_key(view *v, struct view_node *n, const char *name, size_t len, uint64_t *key)
{
    int kinds[VIEW_VK_COUNT];
    unsigned nv = view_views_at(v, n, kinds);
    for (unsigned k = 0; k < nv; k++) {
        const char *vn = view_kind_name(kinds[k]);
        if (strlen(vn) == len && memcmp(vn, name, len) == 0) {
            *key = VIEW_KEY_VIEW + (uint64_t)kinds[k];
            return true;
        }
    }
    return false;
}

/* ---- nodes ------------------------------------------------------------------ */

static void
view_set_file(struct view_node *c, int type, uint64_t size)
{
    c->attr.type = type;
    c->attr.mode = S_IFREG | 0444;
    c->attr.nlink = 1;
    c->attr.size = size;
}

static void
view_set_dir(struct view_node *c, int vk, uint32_t nlink)
{
    c->attr.type = VIEW_T_VIEWDIR;
    c->attr.mode = S_IFDIR | 0555;
    c->attr.nlink = nlink;
    c->attr.size = 0;
    c->vk = vk;
}

/* A view entry (key VIEW_KEY_VIEW + kind) of directory p. */
static int
view_fill_view_dir(view *v, struct view_node *c, struct ogawa_err *err)
{
    struct view_node *p = c->parent;
    int vk = (int)(c->idx - VIEW_KEY_VIEW);
    int kinds[VIEW_VK_COUNT];
    unsigned nv = view_views_at(v, p, kinds), k = 0;
    while (k < nv && kinds[k] != vk)
        k++;
    if (k == nv)
        return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
    if (vk == VIEW_VK_NPY) {
        view_set_dir(c, vk, 2);
        return 0;
    }
    if (vk == VIEW_VK_PLY || vk == VIEW_VK_OBJ || vk == VIEW_VK_PREVIEW) {
        c->x->ser.n = abc_mesh_num_samples(view_object_mesh(p));
        view_set_dir(c, vk, 2);
        return 0;
    }
    if (vk == VIEW_VK_PREVIEW_PNG) {
        view_set_file(c, VIEW_T_VIEWFILE, 0);
        c->vk = vk;
        return view_preview_fill(v, c, err);
    }
    if (vk == VIEW_VK_MATRIX || vk == VIEW_VK_WORLD) {
        abc_world *w = view_object_world(p);
        abc_world_ref(w);
        c->x->world = w;
        abc_object_ref(p->obj);
        c->obj = p->obj;
        static const char meta[] = "interpretation=matrix";
        c->x->ser = (struct view_series){.pod = ABC_POD_FLOAT64, .extent = 16,
                                      .meta = {meta, sizeof meta - 1}, .scalar = true};
        if (vk == VIEW_VK_MATRIX) {
            abc_xform *x = abc_world_xform(w);
            c->x->ser.n = abc_xform_num_samples(x);
            const struct abc_time_sampling *ts = abc_xform_time_sampling(x);
            for (size_t i = 0; i < abc_archive_time_sampling_count(v->arc); i++)
                if (abc_archive_time_sampling(v->arc, i) == ts)
                    c->x->ser.ts = (uint32_t)i;
        } else {
            const double *times;
            uint64_t n = 0;
            c->x->world_rc = abc_world_times(w, &times, &n, NULL);
            if (c->x->world_rc == OGAWA_E_TOOBIG)
                c->x->world_rc = VIEW_E_TOOBIG;
            else if (c->x->world_rc != 0)
                return ogawa_fail(err, c->x->world_rc, 0, "the world times cannot be computed");
            c->x->ser.n = (uint32_t)n;
        }
        view_set_dir(c, vk, 2 + (v->views == VIEW_MODE_VISIBLE));
        return 0;
    }
    /* VIEW_VK_EXPANDED: behaves like a property directory */
    size_t vi, ii;
    if (!view_geom_param(p->cpd, &vi, &ii))
        return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
    abc_compound_ref(p->cpd);
    c->cpd = p->cpd;
    c->x->vals_idx = vi;
    c->x->ind_idx = ii;
    const struct abc_property_header *hv = abc_compound_property(c->cpd, vi);
    const struct abc_property_header *hi = abc_compound_property(c->cpd, ii);
    c->ph = hv;
    c->x->ser.pod = hv->pod;
    c->x->ser.extent = hv->extent;
    c->x->ser.meta = hv->metadata;
    c->x->ser.n = hv->num_samples > hi->num_samples ? hv->num_samples : hi->num_samples;
    c->x->ser.ts = hv->num_samples > hi->num_samples ? hv->time_sampling : hi->time_sampling;
    c->x->ser.scalar = false;
    view_set_dir(c, vk, 2 + (v->views == VIEW_MODE_VISIBLE));
    return 0;
}

/* A sample file of series p: raw bytes keep their archive range. */
static int
view_fill_series_sample(view *v, struct view_node *c, struct ogawa_err *err)
{
    struct view_piece p;
    int rc = view_piece_get(v, c->parent, (uint32_t)c->idx, false, &p, err);
    if (rc != 0)
        return rc;
    c->sample = (uint32_t)c->idx;
    c->src_end = p.src_end;
    view_set_file(c, VIEW_T_SAMPLE, p.bad ? 0 : p.len);
    c->bad = p.bad;
    c->raw = p.raw;
    c->data_off = p.off;
    if (p.raw && p.block != 0)
        c->attr.ino = p.block;
    view_piece_release(v, &p);
    return 0;
}

static int
view_fill_npy_file(view *v, struct view_node *c, struct ogawa_err *err)
{
    struct view_node *npy = c->parent, *s = npy->parent;
    uint64_t ns = s->x->ser.n;
    view_set_file(c, VIEW_T_VIEWFILE, 0);
    c->vk = VIEW_VK_NPY;
    if (c->idx == ns) {
        uint64_t sb;
        if (!view_npy_has_all(v, npy, &sb))
            return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
        char hdr[VIEW_NPY_HEADER_MAX];
        size_t hlen;
        view_npy_numeric_header(&s->x->ser, sb, ns, hdr, &hlen);
        c->all = true;
        c->x->head_len = hlen;
        c->x->sample_bytes = sb;
        c->attr.size = hlen + ns * sb;
        return 0;
    }
    c->sample = (uint32_t)c->idx;
    if (view_pod_is_string(s->x->ser.pod)) {
        struct view_npystr_ctx x = {s, c->sample};
        struct view_buf b = {.count = true};
        struct ogawa_err e2 = {0};
        int rc = view_npystr_render(v, &x, &b, &e2);
        if (rc == VIEW_E_BADSRC || rc == OGAWA_E_CORRUPT) {
            c->bad = true;
            return 0;
        }
        if (rc != 0) {
            if (err != NULL)
                *err = e2;
            return rc;
        }
        if (b.len > VIEW_COMPUTED_MAX)
            return ogawa_fail(err, VIEW_E_TOOBIG, 0, "a .npy file too large to compute");
        c->attr.size = b.len;
        return 0;
    }
    struct view_piece p;
    int rc = view_piece_get(v, s, c->sample, false, &p, err);
    if (rc != 0)
        return rc;
    char hdr[VIEW_NPY_HEADER_MAX];
    size_t hlen;
    if (p.bad || !view_npy_numeric_header(&s->x->ser, p.len, 0, hdr, &hlen)) {
        c->bad = true;
    } else {
        c->x->head_len = hlen;
        c->attr.size = hlen + p.len;
        c->src_end = p.src_end;
    }
    view_piece_release(v, &p);
    return 0;
}

int
view_views_fill(view *v, struct view_node *c, struct ogawa_err *err)
{
    struct view_node *p = c->parent;
    if (c->idx >= VIEW_KEY_VIEW && !(p->attr.type == VIEW_T_VIEWDIR && p->vk == VIEW_VK_NPY))
        return view_fill_view_dir(v, c, err);
    if (view_is_filedir(p)) {
        if (c->idx < p->x->ser.n) {
            view_set_file(c, VIEW_T_VIEWFILE, 0);
            c->vk = p->vk;
            return p->vk == VIEW_VK_PREVIEW ? view_preview_fill(v, c, err)
                                            : view_mesh_fill_file(v, c, err);
        }
        if (c->idx == p->x->ser.n) {
            uint64_t size = 0;
            int rc = view_gen_size(v, p, VIEW_T_INFO, &size, err);
            view_set_file(c, VIEW_T_INFO, size);
            return rc;
        }
        return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
    }
    if (view_is_series(p)) {
        uint64_t ns = p->x->ser.n;
        if (c->idx < ns)
            return view_fill_series_sample(v, c, err);
        if (c->idx == ns || c->idx == ns + 1) {
            int type = c->idx == ns ? VIEW_T_INFO : VIEW_T_TIMES;
            uint64_t size = 0;
            int rc = view_gen_size(v, p, type, &size, err);
            view_set_file(c, type, size);
            return rc;
        }
    } else if (p->attr.type == VIEW_T_VIEWDIR && p->vk == VIEW_VK_NPY) {
        uint64_t ns = p->parent->x->ser.n;
        if (c->idx <= ns)
            return view_fill_npy_file(v, c, err);
        if (c->idx == ns + 1) {
            uint64_t size = 0;
            int rc = view_gen_size(v, p, VIEW_T_INFO, &size, err);
            view_set_file(c, VIEW_T_INFO, size);
            return rc;
        }
    }
    return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
}

/* ---- reading ---------------------------------------------------------------- */

/* Copies [pos, pos + len) of a piece into dst. */
static int
view_piece_copy(view *v, const struct view_piece *p, uint64_t pos, uint64_t len, uint8_t *dst,
                struct ogawa_err *err)
{
    if (len == 0)
        return 0;
    if (!p->raw) {
        memcpy(dst, p->mem + pos, (size_t)len);
        return 0;
    }
    return ogawa_archive_read(abc_archive_ogawa(v->arc), p->off + pos, dst, len, err);
}

/* Serves [pos, pos + len) of header + body piece: an archive range when it
 * lies in a raw body, else a copy. */
static int
view_read_head_piece(view *v, const char *hdr, uint64_t hlen, const struct view_piece *p,
                     uint64_t pos, uint64_t len, struct view_data *out, struct ogawa_err *err)
{
    if (len == 0)
        return 0;   /* at or past the end */
    if (p->raw && pos >= hlen)
        return view_data_archive(v, p->off + (pos - hlen), len, p->src_end, out, err);
    uint8_t *m = malloc((size_t)len);
    if (m == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    uint64_t k = 0;
    if (pos < hlen) {
        k = hlen - pos < len ? hlen - pos : len;
        memcpy(m, hdr + pos, (size_t)k);
    }
    int rc = view_piece_copy(v, p, pos + k - hlen, len - k, m + k, err);
    out->src_end = p->src_end;
    return view_data_mem(out, m, len, rc);
}

static int
view_read_all(view *v, struct view_node *n, uint64_t pos, uint64_t len, struct view_data *out,
              struct ogawa_err *err)
{
    struct view_node *s = n->parent->parent;
    char hdr[VIEW_NPY_HEADER_MAX];
    size_t hlen;
    uint64_t sb = n->x->sample_bytes;
    view_npy_numeric_header(&s->x->ser, sb, s->x->ser.n, hdr, &hlen);
    if (sb == 0 || len == 0)
        return view_read_head_piece(v, hdr, hlen, &(struct view_piece){0}, pos, len, out, err);
    /* One sample: served from the archive (or its computed bytes). */
    uint64_t first = pos < hlen ? 0 : (pos - hlen) / sb;
    uint64_t last = (pos + len - 1 < hlen) ? 0 : (pos + len - 1 - hlen) / sb;
    if (pos >= hlen && first == last) {
        struct view_piece p;
        int rc = view_piece_get(v, s, (uint32_t)first, false, &p, err);
        if (rc == 0 && (p.bad || p.len != sb))
            rc = ogawa_fail(err, OGAWA_E_CORRUPT, 0, "a sample changed size");
        if (rc == 0)
            rc = view_read_head_piece(v, NULL, 0, &p, pos - hlen - first * sb, len, out, err);
        view_piece_release(v, &p);
        return rc;
    }
    uint8_t *m = malloc((size_t)len);
    if (m == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    uint64_t k = 0;
    int rc = 0;
    if (pos < hlen) {
        k = hlen - pos < len ? hlen - pos : len;
        memcpy(m, hdr + pos, (size_t)k);
    }
    while (rc == 0 && k < len) {
        uint64_t at = pos + k - hlen, i = at / sb, in = at % sb;
        uint64_t take = sb - in < len - k ? sb - in : len - k;
        struct view_piece p;
        rc = view_piece_get(v, s, (uint32_t)i, false, &p, err);
        if (rc == 0 && (p.bad || p.len != sb))
            rc = ogawa_fail(err, OGAWA_E_CORRUPT, 0, "a sample changed size");
        if (rc == 0)
            rc = view_piece_copy(v, &p, in, take, m + k, err);
        view_piece_release(v, &p);
        k += take;
    }
    return view_data_mem(out, m, len, rc);
}

int
view_views_read(view *v, struct view_node *n, uint64_t pos, uint64_t len, struct view_data *out,
                struct ogawa_err *err)
{
    if (n->bad)
        return ogawa_fail(err, VIEW_E_BADSRC, 0, "the view's source is invalid");
    if (n->attr.type == VIEW_T_SAMPLE) {     /* a computed sample of a series */
        struct view_piece p;
        int rc = view_piece_get(v, n->parent, n->sample, true, &p, err);
        if (rc == 0 && (p.bad || p.len != n->attr.size))
            rc = ogawa_fail(err, OGAWA_E_CORRUPT, 0, "a computed sample changed size");
        if (rc == 0)
            rc = view_read_head_piece(v, NULL, 0, &p, pos, len, out, err);
        view_piece_release(v, &p);
        return rc;
    }
    if (n->vk == VIEW_VK_PLY || n->vk == VIEW_VK_OBJ)
        return view_mesh_read(v, n, pos, len, out, err);
    if (n->vk == VIEW_VK_PREVIEW || n->vk == VIEW_VK_PREVIEW_PNG)
        return view_preview_read(v, n, pos, len, out, err);
    if (n->all)
        return view_read_all(v, n, pos, len, out, err);
    struct view_node *s = n->parent->parent;
    if (view_pod_is_string(s->x->ser.pod)) {
        struct view_npystr_ctx x = {s, n->sample};
        uint8_t *m = len > 0 ? malloc((size_t)len) : NULL;
        if (len > 0 && m == NULL)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
        int rc = view_cache_read(v, view_key2(s->key, n->sample), VIEW_CK_NPY, view_npystr_render,
                                 &x, n->attr.size, pos, len, m, err);
        return view_data_mem(out, m, len, rc);
    }
    struct view_piece p;
    int rc = view_piece_get(v, s, n->sample, false, &p, err);
    char hdr[VIEW_NPY_HEADER_MAX];
    size_t hlen = 0;
    if (rc == 0 && (p.bad || !view_npy_numeric_header(&s->x->ser, p.len, 0, hdr, &hlen) ||
                    hlen + p.len != n->attr.size))
        rc = ogawa_fail(err, OGAWA_E_CORRUPT, 0, "a sample changed size");
    if (rc == 0)
        rc = view_read_head_piece(v, hdr, hlen, &p, pos, len, out, err);
    view_piece_release(v, &p);
    return rc;
}

bool
view_node_direct(view *v, struct view_node *n, uint64_t *off, uint64_t *skip)
{
    if (v->fd < 0 || n->bad || n->attr.size == 0)
        return false;
    if (n->attr.type == VIEW_T_SAMPLE) {
        *off = n->data_off;
        *skip = 0;
        return n->raw;
    }
    if (n->attr.type != VIEW_T_VIEWFILE || n->vk != VIEW_VK_NPY || n->all)
        return false;
    struct view_node *s = n->parent->parent;
    if (view_pod_is_string(s->x->ser.pod))
        return false;
    struct view_piece p;
    char hdr[VIEW_NPY_HEADER_MAX];
    size_t hlen = 0;
    bool direct = view_piece_get(v, s, n->sample, false, &p, NULL) == 0 && p.raw && !p.bad &&
                  view_npy_numeric_header(&s->x->ser, p.len, 0, hdr, &hlen) &&
                  hlen + p.len == n->attr.size && p.len > 0;
    if (direct) {
        *off = p.off;
        *skip = hlen;
    }
    view_piece_release(v, &p);
    return direct;
}

/* ---- .info and .times ------------------------------------------------------ */

static void
view_info_key(struct view_buf *b, const char *key)
{
    view_buf_printf(b, ",\n  \"%s\": ", key);
}

int
view_views_info(view *v, struct view_node *d, struct view_buf *b, struct ogawa_err *err)
{
    view_info_key(b, "kind");
    view_buf_puts(b, "\"view\"");
    view_info_key(b, "of");
    struct view_buf path = {0};
    int rc = view_node_path(v, d->parent, &path, err);
    if (rc != 0) {
        view_buf_free(&path);
        return rc;
    }
    view_buf_json_str(b, path.len ? path.ptr : "/", path.len ? path.len : 1);
    view_buf_free(&path);
    if (view_is_filedir(d)) {
        view_info_key(b, "num_samples");
        view_buf_printf(b, "%u", (unsigned)d->x->ser.n);
        return 0;
    }
    if (d->vk == VIEW_VK_NPY) {
        struct view_node *s = d->parent;
        uint64_t sb, eshape[2], shape[4];
        unsigned rank = 0, erank = view_npy_elem_shape(s->x->ser.extent, s->x->ser.meta, eshape);
        const char *descr = view_npy_descr(s->x->ser.pod);
        char sdescr[32];
        bool all = view_npy_has_all(v, d, &sb);
        if (all)
            shape[rank++] = s->x->ser.n;
        if (!s->x->ser.scalar && s->x->ser.n > 0) {
            /* rows of sample 0 */
            struct view_piece p;
            rc = view_piece_get(v, s, 0, view_pod_is_string(s->x->ser.pod), &p, err);
            if (rc != 0)
                return rc;
            uint64_t rows = 0;
            if (view_pod_is_string(s->x->ser.pod)) {
                uint64_t strs = 0;
                for (uint64_t k = 0; k < p.len; k++)
                    strs += p.mem[k] == '\0';
                rows = s->x->ser.extent ? strs / s->x->ser.extent : 0;
            } else {
                uint64_t esize = (uint64_t)abc_pod_size(s->x->ser.pod) * s->x->ser.extent;
                rows = esize && !p.bad ? p.len / esize : 0;
            }
            view_piece_release(v, &p);
            shape[rank++] = rows;
        }
        for (unsigned k = 0; k < erank; k++)
            shape[rank++] = eshape[k];
        if (descr == NULL) {
            /* strings: the width of sample 0's .npy, read from its header */
            uint64_t width = 1;
            if (s->x->ser.n > 0) {
                struct view_piece p;
                rc = view_piece_get(v, s, 0, true, &p, err);
                if (rc != 0)
                    return rc;
                for (uint64_t k = 0, cur = 0; k < p.len; k++) {
                    if (p.mem[k] == '\0') {
                        cur = 0;
                    } else if ((p.mem[k] & 0xC0) != 0x80) {
                        if (++cur > width)
                            width = cur;
                    }
                }
                view_piece_release(v, &p);
            }
            snprintf(sdescr, sizeof sdescr, "<U%llu", (unsigned long long)width);
            descr = sdescr;
        }
        view_info_key(b, "descr");
        view_buf_printf(b, "\"%s\"", descr);
        view_info_key(b, "shape");
        view_buf_puts(b, "[");
        for (unsigned k = 0; k < rank; k++)
            view_buf_printf(b, k ? ", %llu" : "%llu", (unsigned long long)shape[k]);
        view_buf_puts(b, "]");
        view_info_key(b, "all");
        view_buf_puts(b, all ? "true" : "false");
        return 0;
    }
    /* property-like views */
    view_info_key(b, "pod");
    view_buf_printf(b, "\"%s\"", abc_pod_name(d->x->ser.pod));
    view_info_key(b, "extent");
    view_buf_printf(b, "%u", d->x->ser.extent);
    view_info_key(b, "interpretation");
    abc_str in;
    if (abc_meta_get(d->x->ser.meta, "interpretation", &in))
        view_buf_json_str(b, in.ptr, in.len);
    else
        view_buf_puts(b, "null");
    view_info_key(b, "num_samples");
    view_buf_printf(b, "%u", (unsigned)d->x->ser.n);
    view_info_key(b, "time_sampling");
    if (d->vk == VIEW_VK_WORLD)
        view_buf_puts(b, "null");   /* a union of times */
    else
        view_buf_printf(b, "%u", (unsigned)d->x->ser.ts);
    view_info_key(b, "constant");
    if (d->vk == VIEW_VK_MATRIX || d->vk == VIEW_VK_WORLD) {
        bool constant = d->x->ser.n <= 1;
        if (d->vk == VIEW_VK_MATRIX)
            constant = abc_xform_is_constant(abc_world_xform(d->x->world));
        view_buf_puts(b, constant ? "true" : "false");
        return 0;
    }
    const struct abc_property_header *hv = abc_compound_property(d->cpd, d->x->vals_idx);
    const struct abc_property_header *hi = abc_compound_property(d->cpd, d->x->ind_idx);
    view_buf_puts(b, abc_property_is_constant(hv) && abc_property_is_constant(hi) ? "true"
                                                                                  : "false");
    return 0;
}

double
view_series_time(view *v, struct view_node *d, uint32_t i)
{
    if (d->attr.type == VIEW_T_VIEWDIR && d->vk == VIEW_VK_MATRIX)
        return abc_xform_time(abc_world_xform(d->x->world), i);
    if (d->attr.type == VIEW_T_VIEWDIR && d->vk == VIEW_VK_WORLD) {
        const double *times;
        uint64_t n;
        if (abc_world_times(d->x->world, &times, &n, NULL) != 0 || i >= n)
            return 0.0 / 0.0;
        return times[i];
    }
    const struct abc_time_sampling *ts =
        d->x->ser.ts < abc_archive_time_sampling_count(v->arc)
            ? abc_archive_time_sampling(v->arc, d->x->ser.ts) : NULL;
    return ts != NULL ? abc_time_sampling_time(ts, i) : 0.0 / 0.0;
}

int
view_series_times(view *v, struct view_node *d, struct view_buf *b, struct ogawa_err *err)
{
    if (d->x->ser.n > VIEW_TIMES_MAX_SAMPLES || d->x->world_rc == VIEW_E_TOOBIG)
        return ogawa_fail(err, VIEW_E_TOOBIG, 0, "too many samples for a .times file");
    bool has_ts = d->attr.type == VIEW_T_VIEWDIR && (d->vk == VIEW_VK_MATRIX ||
                                                      d->vk == VIEW_VK_WORLD);
    has_ts |= d->x->ser.ts < abc_archive_time_sampling_count(v->arc);
    for (uint32_t i = 0; has_ts && i < d->x->ser.n && !b->oom; i++)
        view_buf_printf(b, "%.17g\n", view_series_time(v, d, i));
    return 0;
}

/* ---- names and paths -------------------------------------------------------- */

size_t
view_node_name(view *v, struct view_node *n, char buf[VIEW_ENTRY_NAME_MAX])
{
    struct view_node *p = n->parent;
    char name[VIEW_ENTRY_NAME_MAX];
    size_t len = 0;
    int type;
    uint64_t key;
    buf[0] = '\0';
    if (p == NULL)
        return 0;
    if (n->idx >= VIEW_KEY_VIEW && !(p->attr.type == VIEW_T_VIEWDIR && p->vk == VIEW_VK_NPY))
        return view_copy(buf, view_kind_name((int)(n->idx - VIEW_KEY_VIEW)));
    if (p->attr.type == VIEW_T_OBJECT || p->attr.type == VIEW_T_COMPOUND) {
        struct view_dir *d = atomic_load(&p->dir);
        if (d == NULL || n->idx >= d->n)
            return 0;
        len = d->e[n->idx].name_len < VIEW_ENTRY_NAME_MAX ? d->e[n->idx].name_len
                                                          : VIEW_ENTRY_NAME_MAX - 1;
        memcpy(buf, view_dir_name(d, n->idx), len);
        buf[len] = '\0';
        return len;
    }
    /* series and .npy: a key is the position but for all.npy/.info of
     * .npy without all.npy, which view_vdir_entry numbers one lower */
    uint64_t pos = n->idx;
    if (p->attr.type == VIEW_T_VIEWDIR && p->vk == VIEW_VK_NPY) {
        uint64_t sb;
        if (n->idx == (uint64_t)p->parent->x->ser.n + 1 && !view_npy_has_all(v, p, &sb))
            pos = n->idx - 1;
    }
    if (view_vdir_entry(v, p, pos, name, &len, &type, &key, NULL) != 0)
        return 0;
    memcpy(buf, name, len + 1);
    return len;
}

int
view_node_path(view *v, struct view_node *n, struct view_buf *b, struct ogawa_err *err)
{
    /* names from n up to the root, then written root first */
    size_t depth = 0;
    for (struct view_node *m = n; m->parent != NULL; m = m->parent)
        depth++;
    char (*names)[VIEW_ENTRY_NAME_MAX] = malloc((depth ? depth : 1) * sizeof *names);
    size_t *lens = malloc((depth ? depth : 1) * sizeof *lens);
    if (names == NULL || lens == NULL) {
        free(names);
        free(lens);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    }
    size_t k = depth;
    for (struct view_node *m = n; m->parent != NULL; m = m->parent) {
        k--;
        lens[k] = view_node_name(v, m, names[k]);
    }
    for (size_t i = 0; i < depth; i++) {
        view_buf_put(b, "/", 1);
        view_buf_put(b, names[i], lens[i]);
    }
    free(names);
    free(lens);
    return 0;
}
