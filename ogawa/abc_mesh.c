/*
 * abc_mesh.c — opening an object's geometry (ogawa-format.md §8.2, §9),
 * locating one mesh sample, checking its topology, and walking its points,
 * faces and curves in windows.
 */
#include "abc_mesh_int.h"

#include <stdlib.h>
#include <string.h>

/* Schema titles by kind (enum abc_mesh_kind order). */
static const char *const abc_mesh_titles[] = {
    "AbcGeom_PolyMesh_v1:.geom", "AbcGeom_SubD_v1:.geom", "AbcGeom_Points_v1:.geom",
    "AbcGeom_Curve_v2:.geom",
};

static bool
abc_meta_is(abc_str meta, const char *key, const char *want)
{
    abc_str v;
    return abc_meta_get(meta, key, &v) && v.len == strlen(want) && memcmp(v.ptr, want, v.len) == 0;
}

/* The C++ reader's strict matching (§8.2): schemaObjTitle or schema. */
static int
abc_mesh_kind_of(abc_str meta)
{
    for (int k = 0; k < (int)(sizeof(abc_mesh_titles) / sizeof(abc_mesh_titles[0])); k++)
        if (abc_meta_is(meta, "schemaObjTitle", abc_mesh_titles[k]) ||
            abc_meta_is(meta, "schema", abc_mesh_titles[k]))
            return k;
    return -1;
}

static void
abc_mesh_find_prop(abc_compound *geom, const char *name, int pod, unsigned extent,
                   struct abc_mesh_prop *out)
{
    memset(out, 0, sizeof(*out));
    size_t idx;
    if (abc_compound_find(geom, name, strlen(name), &idx) != 0)
        return;
    const struct abc_property_header *h = abc_compound_property(geom, idx);
    out->present = true;
    out->idx = idx;
    out->num_samples = h->num_samples;
    out->usable = h->kind == ABC_KIND_ARRAY && h->pod == pod && h->extent == extent;
}

/* The full name with bytes below 0x20 written %XX (views.md). */
static char *
abc_mesh_escaped_name(const abc_object *o, size_t *len)
{
    size_t raw_len;
    char *raw = abc_object_full_name(o, &raw_len);
    if (!raw)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < raw_len; i++)
        n += (unsigned char)raw[i] < 0x20 ? 3 : 1;
    char *s = malloc(n + 1);
    if (s) {
        static const char hex[] = "0123456789ABCDEF";
        size_t j = 0;
        for (size_t i = 0; i < raw_len; i++) {
            unsigned char c = (unsigned char)raw[i];
            if (c < 0x20) {
                s[j++] = '%';
                s[j++] = hex[c >> 4];
                s[j++] = hex[c & 15];
            } else {
                s[j++] = (char)c;
            }
        }
        s[j] = 0;
        *len = n;
    }
    free(raw);
    return s;
}

static uint32_t
max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

int
abc_mesh_open(abc_object *o, abc_mesh **out, struct ogawa_err *err)
{
    *out = NULL;
    int kind = abc_mesh_kind_of(abc_object_metadata(o));
    if (kind < 0)
        return ogawa_fail(err, OGAWA_E_NOENT, abc_object_offset(o), "object is not a mesh, points or curves");
    abc_compound *top, *geom = NULL;
    int rc = abc_object_properties(o, &top, err);
    if (rc)
        return rc;
    size_t idx;
    if (abc_compound_find(top, ".geom", 5, &idx) != 0 ||
        abc_compound_property(top, idx)->kind != ABC_KIND_COMPOUND) {
        abc_compound_unref(top);
        return ogawa_fail(err, OGAWA_E_NOENT, abc_object_offset(o), "object has no .geom compound");
    }
    rc = abc_compound_child(top, idx, &geom, err);
    abc_compound_unref(top);
    if (rc)
        return rc;
    abc_mesh *m = calloc(1, sizeof(*m));
    if (m)
        m->name = abc_mesh_escaped_name(o, &m->name_len);
    if (!m || !m->name) {
        free(m);
        abc_compound_unref(geom);
        return ogawa_fail(err, OGAWA_E_NOMEM, abc_object_offset(o), "out of memory opening a mesh");
    }
    m->archive = abc_object_archive(o);
    m->geom = geom;
    m->kind = kind;
    abc_mesh_find_prop(geom, "P", ABC_POD_FLOAT32, 3, &m->p);
    m->num_samples = m->p.num_samples;
    if (kind == ABC_MESH_CURVES) {
        abc_mesh_find_prop(geom, "nVertices", ABC_POD_INT32, 1, &m->n_vertices);
    } else {
        abc_mesh_find_prop(geom, ".faceIndices", ABC_POD_INT32, 1, &m->indices);
        abc_mesh_find_prop(geom, ".faceCounts", ABC_POD_INT32, 1, &m->counts);
        m->num_samples = max_u32(m->num_samples,
                                 max_u32(m->indices.num_samples, m->counts.num_samples));
    }
    *out = m;
    return 0;
}

void
abc_mesh_close(abc_mesh *m)
{
    if (!m)
        return;
    abc_compound_unref(m->geom);
    free(m->name);
    free(m);
}

int abc_mesh_kind(const abc_mesh *m) { return m->kind; }
uint32_t abc_mesh_num_samples(const abc_mesh *m) { return m->num_samples; }

/* Sample `sample` of one property, clamped to its last; absent: zeroed. */
static int
abc_mesh_prop_sample(const abc_mesh *m, const struct abc_mesh_prop *p, uint32_t sample,
                     struct abc_sample *out, bool *usable, struct ogawa_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!p->present)
        return 0;
    if (!p->usable) {
        *usable = false;
        return 0;
    }
    if (p->num_samples == 0)
        return 0;
    uint32_t i = sample < p->num_samples ? sample : p->num_samples - 1;
    return abc_property_sample(m->geom, p->idx, i, out, err);
}

int
abc_mesh_locate(const abc_mesh *m, uint32_t sample, struct abc_mesh_arrays *out,
                struct ogawa_err *err)
{
    memset(out, 0, sizeof(*out));
    if (sample >= m->num_samples)
        return ogawa_fail(err, OGAWA_E_NOENT, abc_compound_offset(m->geom), "mesh sample out of range");
    out->usable = true;
    const struct abc_mesh_prop *counts = m->kind == ABC_MESH_CURVES ? &m->n_vertices : &m->counts;
    int rc = abc_mesh_prop_sample(m, &m->p, sample, &out->p, &out->usable, err);
    /* Points have no faces (their face properties only count samples). */
    bool faces = m->kind == ABC_MESH_POLYMESH || m->kind == ABC_MESH_SUBD;
    if (!rc && faces)
        rc = abc_mesh_prop_sample(m, &m->indices, sample, &out->indices, &out->usable, err);
    /* Curves without a usable nVertices still have their points. */
    bool counts_usable = true;
    if (!rc && (faces || m->kind == ABC_MESH_CURVES))
        rc = abc_mesh_prop_sample(m, counts, sample, &out->counts,
                                  m->kind == ABC_MESH_CURVES ? &counts_usable : &out->usable, err);
    if (rc)
        return rc;
    out->points = out->p.payload_len / 12;
    out->n_indices = out->indices.payload_len / 4;
    out->n_counts = out->counts.payload_len / 4;
    return 0;
}

/* ---- windows ------------------------------------------------------------ */

int
abc_mesh_window_init(struct abc_mesh_window *w, const abc_archive *a, const struct abc_sample *s,
                     unsigned elem, struct ogawa_err *err)
{
    memset(w, 0, sizeof(*w));
    w->archive = a;
    w->sample = s;
    w->elem = elem;
    w->n = s->payload_len / elem;
    w->buf = malloc((size_t)ABC_MESH_WINDOW * elem);
    if (!w->buf)
        return ogawa_fail(err, OGAWA_E_NOMEM, s->block.off, "out of memory reading a mesh");
    return 0;
}

void
abc_mesh_window_free(struct abc_mesh_window *w)
{
    free(w->buf);
    w->buf = NULL;
}

static int
abc_mesh_window_fill(struct abc_mesh_window *w, uint64_t start, struct ogawa_err *err)
{
    uint64_t len = w->n - start < ABC_MESH_WINDOW ? w->n - start : ABC_MESH_WINDOW;
    w->start = start;
    w->len = 0;
    int rc = abc_sample_read(w->archive, w->sample, start * w->elem, w->buf, len * w->elem, err);
    if (!rc)
        w->len = len;
    return rc;
}

int
abc_mesh_window_load(struct abc_mesh_window *w, uint64_t pos, uint64_t count, struct ogawa_err *err)
{
    if (count > ABC_MESH_WINDOW || pos > w->n || count > w->n - pos)
        return ogawa_fail(err, OGAWA_E_INVAL, w->sample->block.off, "mesh window outside its sample");
    if (pos >= w->start && pos + count <= w->start + w->len)
        return 0;
    return abc_mesh_window_fill(w, pos, err);
}

int
abc_mesh_window_load_aligned(struct abc_mesh_window *w, uint64_t pos, struct ogawa_err *err)
{
    if (pos >= w->n)
        return ogawa_fail(err, OGAWA_E_INVAL, w->sample->block.off, "mesh window outside its sample");
    return abc_mesh_window_fill(w, pos / ABC_MESH_WINDOW * ABC_MESH_WINDOW, err);
}

/* ---- checking ----------------------------------------------------------- */

int
abc_mesh_check(const abc_archive *a, const struct abc_mesh_arrays *arr, bool faces,
               struct abc_mesh_info *out, struct ogawa_err *err)
{
    memset(out, 0, sizeof(*out));
    out->points = arr->usable ? arr->points : 0;
    out->faces = arr->n_counts;
    out->indices = faces ? arr->n_indices : 0;
    if (!arr->usable || !faces) {
        out->valid = arr->usable;
        return 0;
    }
    struct abc_mesh_window w;
    int rc = abc_mesh_window_init(&w, a, &arr->counts, 4, err);
    if (rc)
        return rc;
    /* The total stays below n_indices + 2^31: no overflow, however many faces. */
    uint64_t total = 0;
    uint32_t max = 0;
    bool ok = true;
    for (uint64_t pos = 0; ok && pos < w.n; pos += w.len) {
        rc = abc_mesh_window_load(&w, pos, w.n - pos < ABC_MESH_WINDOW ? w.n - pos : ABC_MESH_WINDOW, err);
        if (rc)
            break;
        const int32_t *c = (const int32_t *)(const void *)w.buf;
        for (uint64_t k = 0; k < w.len; k++) {
            if (c[k] < 0 || (total += (uint64_t)c[k]) > arr->n_indices) {
                ok = false;
                break;
            }
            if ((uint32_t)c[k] > max)
                max = (uint32_t)c[k];
        }
    }
    abc_mesh_window_free(&w);
    if (rc)
        return rc;
    ok = ok && total == arr->n_indices;
    if (ok) {
        rc = abc_mesh_window_init(&w, a, &arr->indices, 4, err);
        if (rc)
            return rc;
        for (uint64_t pos = 0; ok && pos < w.n; pos += w.len) {
            rc = abc_mesh_window_load(&w, pos, w.n - pos < ABC_MESH_WINDOW ? w.n - pos : ABC_MESH_WINDOW, err);
            if (rc)
                break;
            const int32_t *v = (const int32_t *)(const void *)w.buf;
            for (uint64_t k = 0; k < w.len; k++)
                if (v[k] < 0 || (uint64_t)v[k] >= arr->points) {
                    ok = false;
                    break;
                }
        }
        abc_mesh_window_free(&w);
        if (rc)
            return rc;
    }
    out->valid = ok;
    out->max_face = ok ? max : 0;
    return 0;
}

int
abc_mesh_info(abc_mesh *m, uint32_t sample, struct abc_mesh_info *out, struct ogawa_err *err)
{
    memset(out, 0, sizeof(*out));
    struct abc_mesh_arrays arr;
    int rc = abc_mesh_locate(m, sample, &arr, err);
    if (rc)
        return rc;
    bool faces = m->kind == ABC_MESH_POLYMESH || m->kind == ABC_MESH_SUBD;
    return abc_mesh_check(m->archive, &arr, faces, out, err);
}

/* ---- walks -------------------------------------------------------------- */

int
abc_mesh_foreach_point(abc_mesh *m, uint32_t sample, abc_mesh_points_fn fn, void *ctx,
                       struct ogawa_err *err)
{
    struct abc_mesh_arrays arr;
    int rc = abc_mesh_locate(m, sample, &arr, err);
    if (rc)
        return rc;
    if (m->p.present && !m->p.usable)
        return OGAWA_CORRUPT(err, abc_compound_offset(m->geom), "P is not an array of float32 triples");
    struct abc_mesh_window w;
    rc = abc_mesh_window_init(&w, m->archive, &arr.p, 12, err);
    for (uint64_t pos = 0; !rc && pos < w.n; pos += w.len) {
        rc = abc_mesh_window_load(&w, pos, w.n - pos < ABC_MESH_WINDOW ? w.n - pos : ABC_MESH_WINDOW, err);
        if (!rc)
            rc = fn(ctx, pos, (const float *)(const void *)w.buf, (size_t)w.len);
    }
    abc_mesh_window_free(&w);
    return rc;
}

static int
abc_mesh_bad_topology(const abc_mesh *m, struct ogawa_err *err)
{
    return OGAWA_CORRUPT(err, abc_compound_offset(m->geom), "mesh topology is invalid");
}

int
abc_mesh_foreach_face(abc_mesh *m, uint32_t sample, abc_mesh_face_fn fn, void *ctx,
                      struct ogawa_err *err)
{
    if (m->kind != ABC_MESH_POLYMESH && m->kind != ABC_MESH_SUBD)
        return ogawa_fail(err, OGAWA_E_INVAL, abc_compound_offset(m->geom), "object has no faces");
    struct abc_mesh_arrays arr;
    int rc = abc_mesh_locate(m, sample, &arr, err);
    if (rc)
        return rc;
    if (!arr.usable)
        return abc_mesh_bad_topology(m, err);
    struct abc_mesh_window counts, indices;
    rc = abc_mesh_window_init(&counts, m->archive, &arr.counts, 4, err);
    if (rc)
        return rc;
    rc = abc_mesh_window_init(&indices, m->archive, &arr.indices, 4, err);
    uint64_t first = 0;
    for (uint64_t face = 0; !rc && face < counts.n; face++) {
        int32_t c;
        rc = abc_mesh_window_int(&counts, face, &c, err);
        if (rc)
            break;
        if (c < 0 || (uint64_t)c > indices.n - first) {
            rc = abc_mesh_bad_topology(m, err);
            break;
        }
        struct abc_mesh_face f = {.face = face, .count = (uint64_t)c};
        do {
            uint64_t n = f.count - f.first < ABC_MESH_WINDOW ? f.count - f.first : ABC_MESH_WINDOW;
            rc = abc_mesh_window_load(&indices, first + f.first, n, err);
            if (rc)
                break;
            f.indices = (const int32_t *)(const void *)abc_mesh_window_ptr(&indices, first + f.first);
            f.n = (uint32_t)n;
            for (uint32_t k = 0; k < f.n; k++)
                if (f.indices[k] < 0 || (uint64_t)f.indices[k] >= arr.points)
                    rc = abc_mesh_bad_topology(m, err);
            if (!rc)
                rc = fn(ctx, &f);
            f.first += n;
        } while (!rc && f.first < f.count);
        first += (uint64_t)c;
    }
    if (!rc && first != indices.n)
        rc = abc_mesh_bad_topology(m, err);
    abc_mesh_window_free(&counts);
    abc_mesh_window_free(&indices);
    return rc;
}

int
abc_mesh_foreach_curve(abc_mesh *m, uint32_t sample, abc_mesh_curve_fn fn, void *ctx,
                       struct ogawa_err *err)
{
    if (m->kind != ABC_MESH_CURVES)
        return ogawa_fail(err, OGAWA_E_INVAL, abc_compound_offset(m->geom), "object is not curves");
    struct abc_mesh_arrays arr;
    const struct abc_mesh_prop *n_vertices = &m->n_vertices;
    int rc = abc_mesh_locate(m, sample, &arr, err);
    if (rc)
        return rc;
    if (m->p.present && !m->p.usable)
        return OGAWA_CORRUPT(err, abc_compound_offset(m->geom), "P is not an array of float32 triples");
    /* nVertices missing or of another type: the points are one curve. */
    if (!n_vertices->present || !n_vertices->usable || n_vertices->num_samples == 0)
        return arr.points ? fn(ctx, 0, 0, arr.points) : 0;
    struct abc_mesh_window w;
    rc = abc_mesh_window_init(&w, m->archive, &arr.counts, 4, err);
    uint64_t first = 0;
    for (uint64_t pos = 0; !rc && pos < w.n; pos++) {
        int32_t c;
        rc = abc_mesh_window_int(&w, pos, &c, err);
        if (rc)
            break;
        uint64_t n = c < 0 ? 0 : (uint64_t)c;
        if (n > arr.points - first)
            n = arr.points - first;
        rc = fn(ctx, pos, first, n);
        first += n;
    }
    abc_mesh_window_free(&w);
    return rc;
}
