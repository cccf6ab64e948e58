/*
 * view_geom.c — the views of geometry objects (views.md ".ply/ and
 * .obj/", ".preview/"): mesh files laid out by ogawa/abc_mesh.h and served
 * segment by segment, and pictures drawn by fs/raster.c and encoded by
 * fs/png.c.
 *
 * A PLY or OBJ file node keeps its layout (abc_mesh_file: a few records per
 * MiB of output); bytes of the archive (the PLY vertex block) are served
 * from the archive's fd like sample files, computed chunks (header, faces,
 * OBJ lines; at most ABC_MESH_CHUNK each) go through the view cache.
 *
 * A picture is drawn when its file is looked up (its size must be exact)
 * and kept in the view cache; after an eviction it is drawn again, to the
 * same bytes.  Drawing happens outside the node table's lock; two readers
 * that miss on the same picture at once both draw it, and the cache keeps
 * the first (they are equal).  To draw a mesh, its points are loaded whole
 * when they fit the cache's bound; a larger mesh is drawn as its points
 * (streamed in windows), so memory stays bounded whatever its size.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "abc_mesh.h"
#include "hash.h"
#include "png.h"
#include "raster.h"
#include "view_int.h"

static char view_mesh_none_mark;
#define VIEW_MESH_NONE ((abc_mesh *)&view_mesh_none_mark)

void
view_mesh_release(abc_mesh *m)
{
    if (m != VIEW_MESH_NONE)
        abc_mesh_close(m);
}

abc_mesh *
view_object_mesh(struct view_node *n)
{
    abc_mesh *m = atomic_load(&n->x->mesh);
    if (m == NULL) {
        if (abc_mesh_open(n->obj, &m, NULL) != 0)
            m = VIEW_MESH_NONE;
        abc_mesh *expected = NULL;
        if (!atomic_compare_exchange_strong(&n->x->mesh, &expected, m)) {
            view_mesh_release(m);
            m = expected;
        }
    }
    return m == VIEW_MESH_NONE ? NULL : m;
}

/* ---- PLY and OBJ ---------------------------------------------------------- */

int
view_mesh_fill_file(view *v, struct view_node *c, struct ogawa_err *err)
{
    struct view_node *dir = c->parent, *obj = dir->parent;
    abc_mesh *m = view_object_mesh(obj);
    (void)v;
    if (m == NULL)
        return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
    abc_mesh_file *f;
    int rc = abc_mesh_file_open(m, (uint32_t)c->idx, dir->vk == VIEW_VK_PLY ? ABC_MESH_PLY
                                                                          : ABC_MESH_OBJ,
                                &f, err);
    if (rc != 0)
        return rc;
    c->x->mesh_file = f;
    c->sample = (uint32_t)c->idx;
    c->bad = !abc_mesh_file_valid(f);
    c->attr.size = abc_mesh_file_size(f);
    return 0;
}

struct view_chunk_ctx {
    abc_mesh_file *f;
    uint64_t chunk;
};

static int
view_chunk_render(view *v, void *vctx, struct view_buf *b, struct ogawa_err *err)
{
    struct view_chunk_ctx *x = vctx;
    uint8_t *bytes;
    uint64_t len;
    (void)v;
    int rc = abc_mesh_file_chunk(x->f, x->chunk, &bytes, &len, err);
    if (rc != 0)
        return rc;
    view_buf_adopt(b, bytes, (size_t)len);
    return 0;
}

int
view_mesh_read(view *v, struct view_node *n, uint64_t pos, uint64_t len, struct view_data *out,
               struct ogawa_err *err)
{
    const struct abc_mesh_segment *seg;
    size_t nseg = abc_mesh_file_segments(n->x->mesh_file, &seg), i = 0;
    while (i < nseg && seg[i].file_off + seg[i].len <= pos)
        i++;
    if (len == 0 || i == nseg)
        return 0;
    /* all of it in one archive segment: an fd range, like a sample file */
    if (seg[i].archive && pos + len <= seg[i].file_off + seg[i].len)
        return view_data_archive(v, seg[i].archive_off + (pos - seg[i].file_off), len,
                                 seg[i].archive_off + seg[i].len, out, err);
    uint8_t *m = malloc((size_t)len);
    if (m == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    uint64_t k = 0;
    int rc = 0;
    for (; rc == 0 && k < len && i < nseg; i++) {
        uint64_t in = pos + k - seg[i].file_off;
        uint64_t take = seg[i].len - in < len - k ? seg[i].len - in : len - k;
        if (seg[i].archive) {
            rc = ogawa_archive_read(abc_archive_ogawa(v->arc), seg[i].archive_off + in, m + k,
                                    take, err);
        } else {
            uint64_t kb[3] = {n->key, seg[i].chunk, 0x6d657368};   /* "mesh" */
            struct view_chunk_ctx x = {n->x->mesh_file, seg[i].chunk};
            rc = view_cache_read(v, ogawa_fnv1a64(kb, sizeof kb), VIEW_CK_MESH,
                                 view_chunk_render, &x, seg[i].len, in, take, m + k, err);
        }
        k += take;
    }
    if (rc == 0 && k != len)
        rc = ogawa_fail(err, OGAWA_E_CORRUPT, 0, "a mesh file changed size");
    return view_data_mem(out, m, len, rc);
}

/* ---- pictures ------------------------------------------------------------- */

/* Draws sample `sample` of mesh m, its points taken through matrix w (row
 * vectors; NULL: object space), into r; with r NULL only grows the bounds
 * lo, hi.  point_limit: bytes of points that may be loaded at once. */
struct view_draw {
    struct raster *r;
    double *lo, *hi;
    const double *w;
    float *pts;             /* all points, when loaded */
    uint64_t npts;
    double v0[3], prev[3];  /* the fan of the current face */
    uint64_t face_pos;
};

static void
view_draw_xform(const struct view_draw *d, const float *p, double out[3])
{
    double x = p[0], y = p[1], z = p[2];
    if (d->w == NULL) {
        out[0] = x;
        out[1] = y;
        out[2] = z;
        return;
    }
    const double *m = d->w;
    out[0] = x * m[0] + y * m[4] + z * m[8] + m[12];
    out[1] = x * m[1] + y * m[5] + z * m[9] + m[13];
    out[2] = x * m[2] + y * m[6] + z * m[10] + m[14];
}

static int
view_draw_points_fn(void *ctx, uint64_t first, const float *xyz, size_t n)
{
    struct view_draw *d = ctx;
    for (size_t i = 0; i < n; i++) {
        double p[3];
        view_draw_xform(d, xyz + 3 * i, p);
        if (d->r == NULL)
            raster_bounds_add(d->lo, d->hi, p);
        else
            raster_point(d->r, p);
        if (d->pts != NULL && first + i < d->npts)
            memcpy(d->pts + 3 * (first + i), xyz + 3 * i, 3 * sizeof(float));
    }
    return 0;
}

static int
view_draw_face_fn(void *ctx, const struct abc_mesh_face *f)
{
    struct view_draw *d = ctx;
    for (uint32_t i = 0; i < f->n; i++) {
        uint64_t at = f->first + i;
        int32_t idx = f->indices[i];
        if (idx < 0 || (uint64_t)idx >= d->npts)
            continue;
        double p[3];
        view_draw_xform(d, d->pts + 3 * (uint64_t)idx, p);
        if (at == 0) {
            memcpy(d->v0, p, sizeof p);
        } else if (at == 1) {
            memcpy(d->prev, p, sizeof p);
        } else {
            raster_triangle(d->r, d->v0, d->prev, p);
            memcpy(d->prev, p, sizeof p);
        }
    }
    return 0;
}

static int
view_draw_curve_fn(void *ctx, uint64_t curve, uint64_t first, uint64_t n)
{
    struct view_draw *d = ctx;
    (void)curve;
    for (uint64_t i = 1; i < n && first + i < d->npts; i++) {
        double a[3], b[3];
        view_draw_xform(d, d->pts + 3 * (first + i - 1), a);
        view_draw_xform(d, d->pts + 3 * (first + i), b);
        raster_line(d->r, a, b);
    }
    if (n == 1 && first < d->npts) {
        double a[3];
        view_draw_xform(d, d->pts + 3 * first, a);
        raster_point(d->r, a);
    }
    return 0;
}

/* Pass 1 (r NULL): bounds; pass 2: drawing. */
static int
view_draw_sample(abc_mesh *m, uint32_t sample, const double *w, struct raster *r, double lo[3],
                 double hi[3], uint64_t point_limit, struct ogawa_err *err)
{
    struct abc_mesh_info info;
    int rc = abc_mesh_info(m, sample, &info, err);
    if (rc != 0)
        return rc;
    int kind = abc_mesh_kind(m);
    if (!info.valid || info.points == 0)
        return 0;   /* left out of pictures */
    struct view_draw d = {.r = r, .lo = lo, .hi = hi, .w = w};
    bool edges = kind != ABC_MESH_POINTS && r != NULL;
    if (edges && info.points <= point_limit / (3 * sizeof(float))) {
        d.npts = info.points;
        d.pts = malloc((size_t)info.points * 3 * sizeof(float));
        if (d.pts == NULL)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
        struct view_draw load = d;
        load.r = NULL;
        double llo[3], lhi[3];
        load.lo = llo;
        load.hi = lhi;
        raster_bounds_init(llo, lhi);
        rc = abc_mesh_foreach_point(m, sample, view_draw_points_fn, &load, err);
        if (rc == 0 && kind == ABC_MESH_CURVES)
            rc = abc_mesh_foreach_curve(m, sample, view_draw_curve_fn, &d, err);
        else if (rc == 0)
            rc = abc_mesh_foreach_face(m, sample, view_draw_face_fn, &d, err);
        free(d.pts);
        return rc;
    }
    /* bounds, points, or a mesh too large to hold: its points */
    return abc_mesh_foreach_point(m, sample, view_draw_points_fn, &d, err);
}

static int
view_png_of(struct raster *r, struct view_buf *b, struct ogawa_err *err)
{
    uint8_t *png;
    size_t len;
    int rc = png_encode_rgba(raster_pixels(r), RASTER_SIZE, RASTER_SIZE, &png, &len);
    if (rc != 0)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "the picture cannot be encoded");
    view_buf_adopt(b, png, (size_t)len);
    return 0;
}

/* The empty box (nothing drawable) gives a transparent picture. */
static void
view_bounds_fix(double lo[3], double hi[3])
{
    for (int k = 0; k < 3; k++)
        if (!(lo[k] <= hi[k]))
            lo[k] = hi[k] = 0;
}

struct view_preview_ctx {
    struct view_node *obj;
    uint32_t sample;
};

int
view_picture_rgba(struct abc_mesh *m, uint32_t sample, uint64_t point_limit,
                  uint8_t rgba[VIEW_PICTURE_SIZE * VIEW_PICTURE_SIZE * 4], struct ogawa_err *err)
{
    double lo[3], hi[3];
    raster_bounds_init(lo, hi);
    int rc = view_draw_sample(m, sample, NULL, NULL, lo, hi, 0, err);
    if (rc != 0)
        return rc;
    view_bounds_fix(lo, hi);
    struct raster *r;
    if (raster_init(&r, lo, hi) != 0)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    rc = view_draw_sample(m, sample, NULL, r, lo, hi, point_limit, err);
    if (rc == 0)
        memcpy(rgba, raster_pixels(r), (size_t)VIEW_PICTURE_SIZE * VIEW_PICTURE_SIZE * 4);
    raster_free(r);
    return rc;
}

static int
view_preview_render(view *v, void *vctx, struct view_buf *b, struct ogawa_err *err)
{
    struct view_preview_ctx *x = vctx;
    abc_mesh *m = view_object_mesh(x->obj);
    if (m == NULL)
        return ogawa_fail(err, OGAWA_E_NOENT, 0, "no geometry");
    uint8_t *rgba = malloc((size_t)VIEW_PICTURE_SIZE * VIEW_PICTURE_SIZE * 4);
    if (rgba == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    int rc = view_picture_rgba(m, x->sample, v->cache_max, rgba, err);
    if (rc == 0) {
        uint8_t *png;
        size_t len;
        if (png_encode_rgba(rgba, VIEW_PICTURE_SIZE, VIEW_PICTURE_SIZE, &png, &len) != 0) {
            rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "the picture cannot be encoded");
        } else {
            view_buf_adopt(b, png, (size_t)len);
        }
    }
    free(rgba);
    return rc;
}

/* The mount point's picture: every geometry object in world space, each at
 * its first sample and every Xform at its first (the archive's earliest
 * time is at or before all of them, and a floor sample never goes below
 * the first). */
struct view_scene_item {
    abc_object *o;
    abc_world *w;
};

static int
view_scene_walk(view *v, struct raster *r, double lo[3], double hi[3], struct ogawa_err *err)
{
    size_t cap = 64, n = 0;
    struct view_scene_item *stack = malloc(cap * sizeof *stack);
    if (stack == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    abc_world *tw;
    int rc = abc_world_open(NULL, v->top, &tw, err);
    if (rc != 0) {
        free(stack);
        return rc;
    }
    abc_object_ref(v->top);
    stack[n++] = (struct view_scene_item){v->top, tw};
    while (n > 0) {
        struct view_scene_item it = stack[--n];
        abc_mesh *m;
        if (rc == 0 && abc_mesh_open(it.o, &m, NULL) == 0) {
            double wm[16];
            const double *times;
            uint64_t nt = 0;
            bool placed = abc_world_times(it.w, &times, &nt, NULL) == 0 &&
                          abc_world_matrix_at(it.w, nt > 0 ? times[0] : 0.0, wm, NULL) == 0;
            if (placed && abc_mesh_num_samples(m) > 0) {
                struct ogawa_err e2 = {0};
                (void)view_draw_sample(m, 0, wm, r, lo, hi, v->cache_max, &e2);
            }
            abc_mesh_close(m);
        }
        for (size_t i = 0; rc == 0 && i < abc_object_child_count(it.o); i++) {
            abc_object *c;
            abc_world *cw;
            if (abc_object_child(it.o, i, &c, NULL) != 0)
                continue;   /* a damaged child is left out of the picture */
            if (abc_object_is_instance(c) || abc_world_open(it.w, c, &cw, NULL) != 0) {
                abc_object_unref(c);
                continue;
            }
            if (n == cap) {
                struct view_scene_item *ns = realloc(stack, 2 * cap * sizeof *ns);
                if (ns == NULL) {
                    rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
                    abc_world_unref(cw);
                    abc_object_unref(c);
                    break;
                }
                stack = ns;
                cap *= 2;
            }
            stack[n++] = (struct view_scene_item){c, cw};
        }
        abc_world_unref(it.w);
        abc_object_unref(it.o);
    }
    while (n > 0) {
        n--;
        abc_world_unref(stack[n].w);
        abc_object_unref(stack[n].o);
    }
    free(stack);
    return rc;
}

static int
view_scene_render(view *v, void *vctx, struct view_buf *b, struct ogawa_err *err)
{
    (void)vctx;
    double lo[3], hi[3];
    raster_bounds_init(lo, hi);
    int rc = view_scene_walk(v, NULL, lo, hi, err);
    if (rc != 0)
        return rc;
    view_bounds_fix(lo, hi);
    struct raster *r;
    if (raster_init(&r, lo, hi) != 0)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    rc = view_scene_walk(v, r, lo, hi, err);
    if (rc == 0)
        rc = view_png_of(r, b, err);
    raster_free(r);
    return rc;
}

/* The picture of node n: (cache keys, the render) */
static void
view_png_source(struct view_node *n, uint64_t *k1, view_render_fn *fn,
                struct view_preview_ctx *x)
{
    if (n->parent->attr.type == VIEW_T_OBJECT) {       /* /.preview.png */
        *k1 = n->parent->key;
        *fn = view_scene_render;
        return;
    }
    x->obj = n->parent->parent;
    x->sample = n->sample;
    uint64_t kb[2] = {x->obj->key, n->sample};
    *k1 = ogawa_fnv1a64(kb, sizeof kb);
    *fn = view_preview_render;
}

int
view_preview_fill(view *v, struct view_node *c, struct ogawa_err *err)
{
    c->sample = (uint32_t)c->idx;
    uint64_t k1;
    view_render_fn fn;
    struct view_preview_ctx x;
    view_png_source(c, &k1, &fn, &x);
    struct view_cache_entry *e = view_cache_get(v, k1, VIEW_CK_PNG);
    if (e == NULL) {
        struct view_buf b = {0};
        int rc = fn(v, &x, &b, err);
        if (rc != 0) {
            view_buf_free(&b);
            return rc;
        }
        e = view_cache_put(v, k1, VIEW_CK_PNG, b.ptr, b.len);
        if (e == NULL)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    }
    size_t len;
    view_cache_bytes(e, &len);
    c->attr.size = len;
    view_cache_release(v, e);
    return 0;
}

int
view_preview_read(view *v, struct view_node *n, uint64_t pos, uint64_t len,
                  struct view_data *out, struct ogawa_err *err)
{
    uint64_t k1;
    view_render_fn fn;
    struct view_preview_ctx x;
    view_png_source(n, &k1, &fn, &x);
    uint8_t *m = len > 0 ? malloc((size_t)len) : NULL;
    if (len > 0 && m == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    int rc = view_cache_read(v, k1, VIEW_CK_PNG, fn, &x, n->attr.size, pos, len, m, err);
    return view_data_mem(out, m, len, rc);
}
