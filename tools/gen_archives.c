/*
 * gen_archives.c — the archive generators of abcgen (and bench_write):
 * deterministic Alembic archives for tests and benchmarks, written with
 * the writer of ogawa/abc_write.h.
 *
 *   abcgen mesh --objects N --verts V --frames F OUT
 *       N animated PolyMeshes, each under its own Xform (ogawa-format.md
 *       §9.3, §9.9): positions change every frame, topology is set every
 *       frame too and is the same for all meshes, so de-duplication stores
 *       it once (§5.7, §5.8).  Uniform 24 fps sampling.
 *   abcgen tree --objects N OUT      a 3-level hierarchy of N objects, one
 *                                    small int32 property each
 *   abcgen big --mib M OUT           one uint8 array sample of M MiB
 *   abcgen wide --children N OUT     one object with N children
 *   abcgen deep --depth N OUT        N objects nested in a chain
 *   abcgen xdeep --depth N [--frames F] OUT
 *                                    N Xforms nested in a chain, each a
 *                                    translate whose value changes over F
 *                                    samples (default 3) at 24 fps
 *   abcgen samples --samples N OUT   one float64 property with N samples
 *   abcgen names OUT                 objects and properties with odd names
 *                                    ('%', control bytes, NUL, ".", "..",
 *                                    1000-byte names, UTF-8, invalid UTF-8,
 *                                    ".info", ...)
 *   abcgen instances --objects N OUT N source objects s0.. beside an object
 *                                    w of N instances i0.. -> /sK
 *   abcgen metakeys --keys N OUT     one object whose metadata has N keys
 *                                    (the first repeated, so that
 *                                    first-key-wins matters)
 *   abcgen twins --children N OUT    one object with N children of one
 *                                    name (layout.md rule 5); the writer
 *                                    refuses duplicates, so the names are
 *                                    written distinct and made equal after
 *
 * Same arguments, same bytes: no clock, no randomness, and no libm (the
 * positions are rational arithmetic), with a fixed _ai_DateWritten.
 * A generator that fails prints the reason and exits with status 2: the
 * tools have nothing to recover.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_archives.h"

#define GEN_APP "abcgen"
#define GEN_DATE "Thu Jan  1 00:00:00 1970"

static const char *prog = "abcgen";

void
gen_set_prog(const char *name)
{
    prog = name;
}

/* Stops on the first error: abcgen has nothing to recover. */
static void
check(int rc, const struct ogawa_err *e, const char *what)
{
    if (rc == 0)
        return;
    char buf[256];
    ogawa_err_format(e, buf, sizeof(buf));
    fprintf(stderr, "%s: %s: %s\n", prog, what, buf);
    exit(2);
}

#define CHECK(expr) check((expr), &err, #expr)

static abc_writer *
gen_open(const char *out, double fps)
{
    struct abc_writer_opts o = {.application = GEN_APP, .date_written = GEN_DATE,
                                .description = "deterministic test archive",
                                .dcc_fps = fps};
    struct ogawa_err err;
    abc_writer *w;
    check(abc_writer_create(out, &o, &w, &err), &err, out);
    return w;
}

static void
gen_close(abc_writer *w)
{
    struct ogawa_err err;
    CHECK(abc_writer_close(w, &err));
}

static uint32_t
gen_uniform(abc_writer *w, double tpc)
{
    static const double zero = 0.0;
    struct abc_time_sampling ts = {.type = ABC_TS_UNIFORM, .time_per_cycle = tpc, .n_times = 1,
                                   .times = &zero};
    struct ogawa_err err;
    uint32_t idx;
    CHECK(abc_writer_add_time_sampling(w, &ts, 0, &idx, &err));
    return idx;
}

/* ---- mesh ------------------------------------------------------------- */

struct gen_mesh {
    abc_wprop *inherits, *ops, *vals, *nci;     /* .xform */
    abc_wprop *bnds, *P, *fi, *fc;              /* .geom */
};

void
gen_mesh(const char *out, long n_obj, long n_verts, long n_frames)
{
    if (n_verts < 4)
        n_verts = 4;
    abc_writer *w = gen_open(out, 24.0);
    struct ogawa_err err;
    uint32_t ts = gen_uniform(w, 1.0 / 24);
    abc_wobject *top = abc_writer_top(w);

    /* A strip of quads: two rows of V/2 points. */
    long cols = n_verts / 2, n_pts = 2 * cols, n_quads = cols - 1;
    int32_t *fi = malloc((size_t)n_quads * 4 * sizeof(*fi));
    int32_t *fc = malloc((size_t)n_quads * sizeof(*fc));
    float *P = malloc((size_t)n_pts * 3 * sizeof(*P));
    struct gen_mesh *m = calloc((size_t)n_obj, sizeof(*m));
    if (!fi || !fc || !P || !m) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(2);
    }
    for (long q = 0; q < n_quads; q++) {
        fi[4 * q + 0] = (int32_t)q;
        fi[4 * q + 1] = (int32_t)(q + cols);
        fi[4 * q + 2] = (int32_t)(q + cols + 1);
        fi[4 * q + 3] = (int32_t)(q + 1);
        fc[q] = 4;
    }

    for (long i = 0; i < n_obj; i++) {
        char name[32];
        abc_wobject *xf, *mesh;
        abc_wprop *xform, *geom;
        snprintf(name, sizeof(name), "xf%ld", i);
        CHECK(abc_wobject_add_child(top, abc_wstr(name),
                                    ABC_WMETA("schema", "AbcGeom_Xform_v3", "schemaObjTitle",
                                              "AbcGeom_Xform_v3:.xform"),
                                    &xf, &err));
        CHECK(abc_wprop_add_compound(abc_wobject_props(xf), abc_wstr(".xform"),
                                     ABC_WMETA("schema", "AbcGeom_Xform_v3"), &xform, &err));
        CHECK(abc_wprop_add_scalar(xform, abc_wstr(".inherits"), NULL, ABC_POD_BOOL, 1, ts,
                                   &m[i].inherits, &err));
        CHECK(abc_wprop_add_scalar(xform, abc_wstr(".ops"), NULL, ABC_POD_UINT8, 1, 0, &m[i].ops,
                                   &err));
        CHECK(abc_wprop_add_scalar(xform, abc_wstr(".vals"), NULL, ABC_POD_FLOAT64, 3, ts,
                                   &m[i].vals, &err));
        CHECK(abc_wprop_add_scalar(xform, abc_wstr("isNotConstantIdentity"), NULL, ABC_POD_BOOL,
                                   1, 0, &m[i].nci, &err));
        snprintf(name, sizeof(name), "mesh%ld", i);
        CHECK(abc_wobject_add_child(xf, abc_wstr(name),
                                    ABC_WMETA("schema", "AbcGeom_PolyMesh_v1", "schemaBaseType",
                                              "AbcGeom_GeomBase_v1", "schemaObjTitle",
                                              "AbcGeom_PolyMesh_v1:.geom"),
                                    &mesh, &err));
        CHECK(abc_wprop_add_compound(abc_wobject_props(mesh), abc_wstr(".geom"),
                                     ABC_WMETA("schema", "AbcGeom_PolyMesh_v1", "schemaBaseType",
                                               "AbcGeom_GeomBase_v1"),
                                     &geom, &err));
        CHECK(abc_wprop_add_scalar(geom, abc_wstr(".selfBnds"), ABC_WMETA("interpretation", "box"),
                                   ABC_POD_FLOAT64, 6, ts, &m[i].bnds, &err));
        CHECK(abc_wprop_add_array(geom, abc_wstr("P"),
                                  ABC_WMETA("geoScope", "vtx", "interpretation", "point"),
                                  ABC_POD_FLOAT32, 3, ts, &m[i].P, &err));
        CHECK(abc_wprop_add_array(geom, abc_wstr(".faceIndices"), NULL, ABC_POD_INT32, 1, ts,
                                  &m[i].fi, &err));
        CHECK(abc_wprop_add_array(geom, abc_wstr(".faceCounts"), NULL, ABC_POD_INT32, 1, ts,
                                  &m[i].fc, &err));
    }

    /* Frame-major, as an exporter writes. */
    for (long f = 0; f < n_frames; f++) {
        for (long i = 0; i < n_obj; i++) {
            const uint8_t yes = 1, op = 0x10;
            const double t[3] = {(double)(i % 100) * 3.0 + 1.0, 0, (double)(i / 100) * 3.0};
            CHECK(abc_wprop_add_sample(m[i].inherits, &yes, 1, &err));
            CHECK(abc_wprop_add_sample(m[i].vals, t, sizeof(t), &err));
            CHECK(abc_wprop_add_sample(m[i].ops, &op, 1, &err));
            if (f == 0)
                CHECK(abc_wprop_add_sample(m[i].nci, &yes, 1, &err));
            /* A wave along the strip, different for every object and frame
             * (x is offset per object); a table keeps the loop cheap, so
             * the benchmark measures the writer rather than this. */
            float zt[64], scale = 1.0f + (float)(i % 7) * 0.125f;
            float zlo = 1e30f, zhi = -1e30f;
            for (int ph = 0; ph < 64; ph++)
                zt[ph] = ((float)(ph < 32 ? ph : 64 - ph) / 32.0f - 0.5f) * scale;
            const float x0 = (float)i * 100.0f, y0 = (float)f * 0.01f;
            const long ph0 = (f * 5 + i * 3) & 63;
            for (long r = 0; r < 2; r++) {
                float *row = &P[3 * r * cols];
                for (long c = 0; c < cols; c++) {
                    float z = zt[(ph0 + 7 * c) & 63];
                    row[3 * c + 0] = x0 + (float)c * 0.1f;
                    row[3 * c + 1] = (float)r + y0;
                    row[3 * c + 2] = z;
                    zlo = z < zlo ? z : zlo;
                    zhi = z > zhi ? z : zhi;
                }
            }
            const float lo[3] = {x0, y0, zlo};
            const float hi[3] = {x0 + (float)(cols - 1) * 0.1f, 1.0f + y0, zhi};
            const double box[6] = {lo[0], lo[1], lo[2], hi[0], hi[1], hi[2]};
            CHECK(abc_wprop_add_array_sample(m[i].P, P, (size_t)n_pts * 12, NULL, 0, &err));
            CHECK(abc_wprop_add_array_sample(m[i].fi, fi, (size_t)n_quads * 16, NULL, 0, &err));
            CHECK(abc_wprop_add_array_sample(m[i].fc, fc, (size_t)n_quads * 4, NULL, 0, &err));
            CHECK(abc_wprop_add_sample(m[i].bnds, box, sizeof(box), &err));
        }
    }
    free(fi);
    free(fc);
    free(P);
    free(m);
    gen_close(w);     /* finishes all, reverse creation order */
}

/* ---- tree ------------------------------------------------------------- */

void
gen_tree(const char *out, long n)
{
    abc_writer *w = gen_open(out, 0);
    struct ogawa_err err;
    /* Branching b with b + b^2 + b^3 >= n: level 1, 2, 3 in order. */
    long b = 1;
    while (b + b * b + b * b * b < n)
        b++;
    abc_wobject **lvl = calloc((size_t)(b + b * b), sizeof(*lvl));
    if (!lvl) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(2);
    }
    abc_wobject *top = abc_writer_top(w);
    for (long k = 0; k < n; k++) {
        abc_wobject *parent;
        if (k < b)
            parent = top;
        else if (k < b + b * b)
            parent = lvl[(k - b) / b];
        else
            parent = lvl[b + ((k - b - b * b) / b) % (b * b)];
        char name[32];
        snprintf(name, sizeof(name), "n%ld", k);
        abc_wobject *o;
        abc_wprop *p;
        CHECK(abc_wobject_add_child(parent, abc_wstr(name), NULL, &o, &err));
        if (k < b + b * b)
            lvl[k] = o;
        const int32_t id = (int32_t)k;
        CHECK(abc_wprop_add_scalar(abc_wobject_props(o), abc_wstr("id"), NULL, ABC_POD_INT32, 1,
                                   0, &p, &err));
        CHECK(abc_wprop_add_sample(p, &id, 4, &err));
        CHECK(abc_wprop_finish(p, &err));
        if (k >= b + b * b)
            CHECK(abc_wobject_finish(o, &err));   /* leaves: done at once */
    }
    free(lvl);
    gen_close(w);
}

/* ---- big -------------------------------------------------------------- */

void
gen_big(const char *out, long mib)
{
    size_t len = (size_t)mib << 20;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        fprintf(stderr, "%s: cannot allocate %ld MiB\n", prog, mib);
        exit(2);
    }
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (size_t k = 0; k < len; k += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + k, &x, len - k < 8 ? len - k : 8);
    }
    abc_writer *w = gen_open(out, 0);
    struct ogawa_err err;
    abc_wobject *o;
    abc_wprop *p;
    CHECK(abc_wobject_add_child(abc_writer_top(w), abc_wstr("big"), NULL, &o, &err));
    CHECK(abc_wprop_add_array(abc_wobject_props(o), abc_wstr("data"), NULL, ABC_POD_UINT8, 1, 0,
                              &p, &err));
    CHECK(abc_wprop_add_array_sample(p, buf, len, NULL, 0, &err));
    free(buf);
    gen_close(w);
}

/* ---- wide, deep, samples ---------------------------------------------- */

void
gen_wide(const char *out, long n)
{
    abc_writer *w = gen_open(out, 0);
    struct ogawa_err err;
    abc_wobject *parent, *o;
    CHECK(abc_wobject_add_child(abc_writer_top(w), abc_wstr("wide"), NULL, &parent, &err));
    for (long k = 0; k < n; k++) {
        char name[32];
        snprintf(name, sizeof(name), "c%ld", k);
        CHECK(abc_wobject_add_child(parent, abc_wstr(name), NULL, &o, &err));
        CHECK(abc_wobject_finish(o, &err));
    }
    gen_close(w);
}

void
gen_deep(const char *out, long depth)
{
    abc_writer *w = gen_open(out, 0);
    struct ogawa_err err;
    abc_wobject *o = abc_writer_top(w);
    for (long k = 0; k < depth; k++) {
        char name[32];
        snprintf(name, sizeof(name), "d%ld", k);
        CHECK(abc_wobject_add_child(o, abc_wstr(name), NULL, &o, &err));
    }
    abc_wprop *p;
    const int32_t v = (int32_t)depth;
    CHECK(abc_wprop_add_scalar(abc_wobject_props(o), abc_wstr("depth"), NULL, ABC_POD_INT32, 1, 0,
                               &p, &err));
    CHECK(abc_wprop_add_sample(p, &v, 4, &err));
    gen_close(w);     /* innermost first */
}

/*
 * A chain of Xforms x0/x1/.../x{N-1}, as the C++ OXform writes each one
 * (.inherits and .vals animated, .ops constant, isNotConstantIdentity):
 * object k translates by (1, k, f) at frame f, so the world matrix of the
 * deepest object at frame f translates by (N, N(N-1)/2, N f).  Every
 * Xform shares one uniform time sampling, so the union of times stays F.
 */
void
gen_xdeep(const char *out, long depth, long n_frames)
{
    if (n_frames < 1)
        n_frames = 1;
    abc_writer *w = gen_open(out, 24.0);
    struct ogawa_err err;
    uint32_t ts = gen_uniform(w, 1.0 / 24);
    abc_wprop **inherits = calloc((size_t)depth + 1, sizeof(*inherits));
    abc_wprop **vals = calloc((size_t)depth + 1, sizeof(*vals));
    if (!inherits || !vals) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(2);
    }
    abc_wobject *o = abc_writer_top(w);
    for (long k = 0; k < depth; k++) {
        char name[32];
        abc_wprop *xform, *p;
        const uint8_t yes = 1, op = 0x10;   /* translate, no hint */
        snprintf(name, sizeof(name), "x%ld", k);
        CHECK(abc_wobject_add_child(o, abc_wstr(name),
                                    ABC_WMETA("schema", "AbcGeom_Xform_v3", "schemaObjTitle",
                                              "AbcGeom_Xform_v3:.xform"),
                                    &o, &err));
        CHECK(abc_wprop_add_compound(abc_wobject_props(o), abc_wstr(".xform"),
                                     ABC_WMETA("schema", "AbcGeom_Xform_v3"), &xform, &err));
        CHECK(abc_wprop_add_scalar(xform, abc_wstr("isNotConstantIdentity"), NULL, ABC_POD_BOOL,
                                   1, 0, &p, &err));
        CHECK(abc_wprop_add_sample(p, &yes, 1, &err));
        CHECK(abc_wprop_finish(p, &err));
        CHECK(abc_wprop_add_scalar(xform, abc_wstr(".inherits"), NULL, ABC_POD_BOOL, 1, ts,
                                   &inherits[k], &err));
        CHECK(abc_wprop_add_scalar(xform, abc_wstr(".vals"), NULL, ABC_POD_FLOAT64, 3, ts,
                                   &vals[k], &err));
        CHECK(abc_wprop_add_scalar(xform, abc_wstr(".ops"), NULL, ABC_POD_UINT8, 1, 0, &p, &err));
        CHECK(abc_wprop_add_sample(p, &op, 1, &err));
        CHECK(abc_wprop_finish(p, &err));
    }
    for (long f = 0; f < n_frames; f++) {
        for (long k = 0; k < depth; k++) {
            const uint8_t yes = 1;
            const double t[3] = {1.0, (double)k, (double)f};
            CHECK(abc_wprop_add_sample(inherits[k], &yes, 1, &err));
            CHECK(abc_wprop_add_sample(vals[k], t, sizeof(t), &err));
        }
    }
    free(inherits);
    free(vals);
    gen_close(w);     /* innermost first */
}

void
gen_samples(const char *out, long n)
{
    abc_writer *w = gen_open(out, 24.0);
    struct ogawa_err err;
    uint32_t ts = gen_uniform(w, 1.0 / 24);
    abc_wobject *o;
    abc_wprop *p;
    CHECK(abc_wobject_add_child(abc_writer_top(w), abc_wstr("series"), NULL, &o, &err));
    CHECK(abc_wprop_add_scalar(abc_wobject_props(o), abc_wstr("value"), NULL, ABC_POD_FLOAT64, 1,
                               ts, &p, &err));
    for (long k = 0; k < n; k++) {
        const double v = (double)k * 0.5;
        CHECK(abc_wprop_add_sample(p, &v, 8, &err));
    }
    gen_close(w);
}

/* ---- badmesh ---------------------------------------------------------- */

void
gen_badmesh(const char *out)
{
    abc_writer *w = gen_open(out, 24.0);
    struct ogawa_err err;
    uint32_t ts = gen_uniform(w, 1.0 / 24);
    abc_wobject *mesh;
    abc_wprop *geom, *P, *fi, *fc;
    CHECK(abc_wobject_add_child(abc_writer_top(w), abc_wstr("mesh"),
                                ABC_WMETA("schema", "AbcGeom_PolyMesh_v1", "schemaBaseType",
                                          "AbcGeom_GeomBase_v1", "schemaObjTitle",
                                          "AbcGeom_PolyMesh_v1:.geom"),
                                &mesh, &err));
    CHECK(abc_wprop_add_compound(abc_wobject_props(mesh), abc_wstr(".geom"),
                                 ABC_WMETA("schema", "AbcGeom_PolyMesh_v1", "schemaBaseType",
                                           "AbcGeom_GeomBase_v1"),
                                 &geom, &err));
    CHECK(abc_wprop_add_array(geom, abc_wstr("P"),
                              ABC_WMETA("geoScope", "vtx", "interpretation", "point"),
                              ABC_POD_FLOAT32, 3, ts, &P, &err));
    CHECK(abc_wprop_add_array(geom, abc_wstr(".faceIndices"), NULL, ABC_POD_INT32, 1, ts, &fi,
                              &err));
    CHECK(abc_wprop_add_array(geom, abc_wstr(".faceCounts"), NULL, ABC_POD_INT32, 1, ts, &fc,
                              &err));
    /* Sample 0 is one quad; sample 1 points at a fifth point of four. */
    static const float pts[12] = {0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0};
    static const int32_t good[4] = {0, 1, 2, 3}, bad[4] = {0, 1, 2, 4}, four = 4;
    for (int k = 0; k < 2; k++) {
        CHECK(abc_wprop_add_array_sample(P, pts, sizeof(pts), NULL, 0, &err));
        CHECK(abc_wprop_add_array_sample(fi, k == 0 ? good : bad, sizeof(good), NULL, 0, &err));
        CHECK(abc_wprop_add_array_sample(fc, &four, sizeof(four), NULL, 0, &err));
    }
    gen_close(w);
}

/* ---- names ------------------------------------------------------------ */

void
gen_names(const char *out)
{
    char l1000[1000], l255[255], l256[256];
    memset(l1000, 'L', sizeof(l1000));
    memset(l255, 'm', sizeof(l255));
    memset(l256, 'n', sizeof(l256));
    const abc_str names[] = {
        {"%", 1}, {"%25", 3}, {"%2F", 3}, {"a%b", 3},
        {"\x01" "ctl\x1f", 5}, {"tab\there", 8}, {"nl\nx", 4}, {"\x7f", 1},
        {"nul\0byte", 8}, {"\0", 1},
        {".", 1}, {"..", 2}, {"...", 3}, {".hidden", 7},
        {l1000, sizeof(l1000)}, {l255, sizeof(l255)}, {l256, sizeof(l256)},
        {"h\xc3\xa9llo", 6}, {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9},
        {"\xf0\x9f\x98\x80", 4}, {"bad\xff\xfeutf8", 9}, {"\xc3", 1},
        {".info", 5}, {".times", 6}, {".info2", 6},
        {" ", 1}, {"sp ace", 6}, {"trail ", 6}, {"A", 1}, {"a", 1},
        {"back\\slash", 10}, {"q\"uote", 6}, {"*?[]", 4}, {"-dash", 5},
    };
    size_t n = sizeof(names) / sizeof(names[0]);
    abc_writer *w = gen_open(out, 0);
    struct ogawa_err err;
    abc_wobject *holder, *o;
    abc_wprop *p;
    /* Every odd name as an object, each with a property of the same name
     * (a string sample naming its index), and as properties of one object. */
    CHECK(abc_wobject_add_child(abc_writer_top(w), abc_wstr("objects"), NULL, &holder, &err));
    for (size_t k = 0; k < n; k++) {
        char v[32];
        int len = snprintf(v, sizeof(v), "name %zu", k);
        CHECK(abc_wobject_add_child(holder, names[k], NULL, &o, &err));
        CHECK(abc_wprop_add_scalar(abc_wobject_props(o), names[k], NULL, ABC_POD_STRING, 1, 0, &p,
                                   &err));
        CHECK(abc_wprop_add_sample(p, v, (size_t)len + 1, &err));
    }
    CHECK(abc_wobject_add_child(abc_writer_top(w), abc_wstr("properties"), NULL, &o, &err));
    abc_wprop *c;
    CHECK(abc_wprop_add_compound(abc_wobject_props(o), abc_wstr("compound"), NULL, &c, &err));
    for (size_t k = 0; k < n; k++) {
        const int32_t v = (int32_t)k;
        CHECK(abc_wprop_add_scalar(abc_wobject_props(o), names[k], NULL, ABC_POD_INT32, 1, 0, &p,
                                   &err));
        CHECK(abc_wprop_add_sample(p, &v, 4, &err));
        CHECK(abc_wprop_add_scalar(c, names[k], NULL, ABC_POD_INT32, 1, 0, &p, &err));
        CHECK(abc_wprop_add_sample(p, &v, 4, &err));
    }
    gen_close(w);
}


/* ---- shapes that once made the reader or the view quadratic ----------- */

void
gen_instances(const char *out, long n)
{
    abc_writer *w = gen_open(out, 0);
    struct ogawa_err err;
    abc_wobject *o, *holder;
    for (long k = 0; k < n; k++) {
        char name[32];
        snprintf(name, sizeof(name), "s%ld", k);
        CHECK(abc_wobject_add_child(abc_writer_top(w), abc_wstr(name), NULL, &o, &err));
        CHECK(abc_wobject_finish(o, &err));
    }
    CHECK(abc_wobject_add_child(abc_writer_top(w), abc_wstr("w"), NULL, &holder, &err));
    for (long k = 0; k < n; k++) {
        char name[32], target[32];
        snprintf(name, sizeof(name), "i%ld", k);
        snprintf(target, sizeof(target), "/s%ld", k);
        CHECK(abc_wobject_add_instance(holder, abc_wstr(name), abc_wstr(target), &err));
    }
    gen_close(w);
}

void
gen_metakeys(const char *out, long n)
{
    /* Serialized by hand ("raw"): the writer's kv form would sort the keys
     * and drop the repeat. */
    size_t cap = (size_t)n * 24 + 64, len = 0;
    char *meta = malloc(cap);
    if (!meta) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(2);
    }
    for (long k = 0; k < n; k++)
        len += (size_t)snprintf(meta + len, cap - len, "%skey%ld=v%ld", k ? ";" : "", k, k);
    if (n > 0)
        len += (size_t)snprintf(meta + len, cap - len, ";key0=repeat");
    abc_writer *w = gen_open(out, 0);
    struct ogawa_err err;
    abc_wobject *o;
    struct abc_wmeta m = {.kv = NULL, .raw = {meta, len}};
    CHECK(abc_wobject_add_child(abc_writer_top(w), abc_wstr("keys"), &m, &o, &err));
    CHECK(abc_wobject_finish(o, &err));
    gen_close(w);
    free(meta);
}

void
gen_twins(const char *out, long n)
{
    if (n > 100000000) {
        fprintf(stderr, "%s: too many twins\n", prog);
        exit(1);
    }
    abc_writer *w = gen_open(out, 0);
    struct ogawa_err err;
    abc_wobject *holder, *o;
    CHECK(abc_wobject_add_child(abc_writer_top(w), abc_wstr("twins"), NULL, &holder, &err));
    for (long k = 0; k < n; k++) {
        char name[32];
        snprintf(name, sizeof(name), "t%08ld", k);
        CHECK(abc_wobject_add_child(holder, abc_wstr(name), NULL, &o, &err));
        CHECK(abc_wobject_finish(o, &err));
    }
    gen_close(w);
    /* Every header record "u32 9, t" + 8 digits becomes "t00000000".  The
     * pattern occurs nowhere else (no other name or value has that form);
     * the header block's hashes are not checked by readers. */
    FILE *f = fopen(out, "r+b");
    if (!f) {
        perror(out);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    char *buf = size > 0 ? malloc((size_t)size) : NULL;
    if (!buf || fseek(f, 0, SEEK_SET) != 0 || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "%s: cannot read back %s\n", prog, out);
        exit(2);
    }
    static const char len9[4] = {9, 0, 0, 0};
    for (long i = 0; i + 13 <= size; i++) {
        if (memcmp(buf + i, len9, 4) != 0 || buf[i + 4] != 't')
            continue;
        bool digits = true;
        for (int d = 5; d < 13; d++)
            digits = digits && buf[i + d] >= '0' && buf[i + d] <= '9';
        if (digits)
            memset(buf + i + 5, '0', 8);
    }
    if (fseek(f, 0, SEEK_SET) != 0 || fwrite(buf, 1, (size_t)size, f) != (size_t)size ||
        fclose(f) != 0) {
        fprintf(stderr, "%s: cannot patch %s\n", prog, out);
        exit(2);
    }
    free(buf);
}
