/*
 * test_write_spec.c — the writer reproduces, byte for byte, the archives
 * the C++ library wrote for the scenarios of ogawa-format.md §11.4
 * (tests/data/spec/{empty,emptyinfo,props,geom,edge}.abc), given the same
 * calls, the same finalization order and the same version string.
 *
 * Each scenario below says where its order comes from; the sample values
 * are those of the fixtures' dumps (spec/NAME.json).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "abc_write.h"

#define SPEC_VERSION "Alembic 1.8.12 (built Nov 23 2026 21:51:18)"

static const struct abc_writer_opts spec_opts = {.alembic_version = SPEC_VERSION};

#define OK(expr)                                                                   \
    do {                                                                           \
        struct ogawa_err e_ = {0};                                                 \
        struct ogawa_err *err = &e_;                                               \
        int rc_ = (expr);                                                          \
        if (rc_ != 0)                                                              \
            fail_msg("%s: %d %s", #expr, rc_, e_.msg ? e_.msg : "?");              \
        (void)err;                                                                 \
    } while (0)

static char *
spec_path(const char *name)
{
    const char *dir = getenv("ABCFS_TEST_DATA");
    char *p;
    if (asprintf(&p, "%s/spec/%s", dir ? dir : "tests/data", name) < 0)
        abort();
    return p;
}

static char *
tmp_path(void)
{
    char *p = strdup("/tmp/test_write_spec_XXXXXX");
    int fd = mkstemp(p);
    assert_true(fd >= 0);
    close(fd);
    return p;
}

static unsigned char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Compares our file with the fixture; reports the first differing byte. */
static void
same_bytes(const char *ours, const char *fixture)
{
    char *ref = spec_path(fixture);
    size_t la, lb;
    unsigned char *a = slurp(ours, &la), *b = slurp(ref, &lb);
    size_t n = la < lb ? la : lb, i = 0;
    while (i < n && a[i] == b[i])
        i++;
    if (i < n || la != lb)
        fail_msg("%s: first difference at byte %zu (ours %zu bytes, fixture %zu)", fixture, i,
                 la, lb);
    free(a);
    free(b);
    free(ref);
    unlink(ours);
}

static const double zero_time = 0.0;

/* ---- empty.abc: nothing added (§11.1) --------------------------------- */

static void
test_write_spec_empty(void **state)
{
    (void)state;
    char *out = tmp_path();
    abc_writer *w;
    OK(abc_writer_create(out, &spec_opts, &w, err));
    OK(abc_writer_close(w, err));
    same_bytes(out, "empty.abc");
    free(out);
}

/* ---- emptyinfo.abc: CreateArchiveWithInfo, nothing added (§3.2) ------- */

static void
test_write_spec_emptyinfo(void **state)
{
    (void)state;
    char *out = tmp_path();
    struct abc_writer_opts o = {.alembic_version = SPEC_VERSION, .application = "MyApp",
                                .description = "desc",
                                .date_written = "Mon Nov 23 21:52:43 2026", .dcc_fps = 24.0};
    abc_writer *w;
    OK(abc_writer_create(out, &o, &w, err));
    OK(abc_writer_close(w, err));
    same_bytes(out, "emptyinfo.abc");
    free(out);
}

/* ---- props.abc --------------------------------------------------------
 * Every writer a local of one scope: finalization is reverse creation
 * order, which is what close does with everything left open. */

static void
test_write_spec_props(void **state)
{
    (void)state;
    char *out = tmp_path();
    abc_writer *w;
    OK(abc_writer_create(out, &spec_opts, &w, err));

    uint32_t ts_uni, ts_acyc, ts_cyc;
    struct abc_time_sampling uni = {.type = ABC_TS_UNIFORM, .time_per_cycle = 1.0 / 24,
                                    .n_times = 1, .times = &zero_time};
    const double acyc_t[] = {0, 0.5, 2}, cyc_t[] = {0, 0.25};
    struct abc_time_sampling acyc = {.type = ABC_TS_ACYCLIC, .n_times = 3, .times = acyc_t};
    struct abc_time_sampling cyc = {.type = ABC_TS_CYCLIC, .time_per_cycle = 1.0, .n_times = 2,
                                    .times = cyc_t};
    OK(abc_writer_add_time_sampling(w, &uni, 0, &ts_uni, err));
    OK(abc_writer_add_time_sampling(w, &acyc, 0, &ts_acyc, err));
    OK(abc_writer_add_time_sampling(w, &cyc, 0, &ts_cyc, err));
    assert_int_equal(ts_uni, 1);
    assert_int_equal(ts_acyc, 2);
    assert_int_equal(ts_cyc, 3);

    abc_wobject *child;
    OK(abc_wobject_add_child(abc_writer_top(w), abc_wstr("child"), NULL, &child, err));
    abc_wprop *top = abc_wobject_props(child), *p, *comp;

    OK(abc_wprop_add_scalar(top, abc_wstr("myint"), NULL, ABC_POD_INT32, 1, 0, &p, err));
    const int32_t ints[] = {7, 7, 8, 8, 9, 9};
    for (int i = 0; i < 6; i++)
        OK(abc_wprop_add_sample(p, &ints[i], 4, err));

    OK(abc_wprop_add_scalar(top, abc_wstr("mystr"), NULL, ABC_POD_STRING, 1, 0, &p, err));
    OK(abc_wprop_add_sample(p, "hello", 6, err));

    OK(abc_wprop_add_array(top, abc_wstr("farr"), NULL, ABC_POD_FLOAT32, 1, 0, &p, err));
    const float f3[] = {1, 2, 3};
    OK(abc_wprop_add_array_sample(p, f3, sizeof(f3), NULL, 0, err));
    OK(abc_wprop_add_array_sample(p, f3, 2 * sizeof(float), NULL, 0, err));

    OK(abc_wprop_add_array(top, abc_wstr("sarr"), NULL, ABC_POD_STRING, 1, 0, &p, err));
    OK(abc_wprop_add_array_sample(p, "a\0bc\0", 6, NULL, 0, err));

    OK(abc_wprop_add_compound(top, abc_wstr("comp"), NULL, &comp, err));
    OK(abc_wprop_add_scalar(comp, abc_wstr("vec"), ABC_WMETA("interpretation", "vector"),
                            ABC_POD_FLOAT32, 3, 0, &p, err));
    OK(abc_wprop_add_sample(p, f3, sizeof(f3), err));

    const double one = 1, two = 2;
    OK(abc_wprop_add_scalar(top, abc_wstr("animd"), NULL, ABC_POD_FLOAT64, 1, ts_uni, &p, err));
    OK(abc_wprop_add_sample(p, &one, 8, err));
    OK(abc_wprop_add_sample(p, &two, 8, err));
    OK(abc_wprop_add_scalar(top, abc_wstr("acyc"), NULL, ABC_POD_FLOAT64, 1, ts_acyc, &p, err));
    OK(abc_wprop_add_sample(p, &one, 8, err));
    OK(abc_wprop_add_scalar(top, abc_wstr("cyc"), NULL, ABC_POD_FLOAT64, 1, ts_cyc, &p, err));
    OK(abc_wprop_add_sample(p, &one, 8, err));

    OK(abc_writer_close(w, err));
    same_bytes(out, "props.abc");
    free(out);
}

/* ---- geom.abc ---------------------------------------------------------
 * AbcGeom classes: schema members finalize in reverse declaration order;
 * the instance is finalized when created; then cam, xf2, mesh, xf. */

#define XFORM_MD "schema", "AbcGeom_Xform_v3", "schemaObjTitle", "AbcGeom_Xform_v3:.xform"
#define UV_MD                                                                                \
    "arrayExtent", "1", "geoScope", "fvr", "interpretation", "vector", "isGeomParam", "true", \
        "podExtent", "2", "podName", "float32_t"

static const double camera_core[16] = {35.0, 3.6, 0, 2.4, 0, 1, 0, 0, 0,
                                       0,    5.6, 5, 0, 1.0 / 48, 0.1, 100000};

static void
test_write_spec_geom(void **state)
{
    (void)state;
    char *out = tmp_path();
    abc_writer *w;
    OK(abc_writer_create(out, &spec_opts, &w, err));
    abc_wobject *top = abc_writer_top(w), *xf, *mesh, *xf2, *cam;

    /* Xform xf, translate (1,2,3): properties made at the first sample. */
    OK(abc_wobject_add_child(top, abc_wstr("xf"), ABC_WMETA(XFORM_MD), &xf, err));
    abc_wprop *xform, *inherits, *ops, *vals, *nci;
    OK(abc_wprop_add_compound(abc_wobject_props(xf), abc_wstr(".xform"),
                              ABC_WMETA("schema", "AbcGeom_Xform_v3"), &xform, err));
    OK(abc_wprop_add_scalar(xform, abc_wstr(".inherits"), NULL, ABC_POD_BOOL, 1, 0, &inherits,
                            err));
    OK(abc_wprop_add_scalar(xform, abc_wstr(".ops"), NULL, ABC_POD_UINT8, 1, 0, &ops, err));
    OK(abc_wprop_add_scalar(xform, abc_wstr(".vals"), NULL, ABC_POD_FLOAT64, 3, 0, &vals, err));
    OK(abc_wprop_add_scalar(xform, abc_wstr("isNotConstantIdentity"), NULL, ABC_POD_BOOL, 1, 0,
                            &nci, err));
    const uint8_t yes = 1, op_translate = 0x10;
    const double t123[] = {1, 2, 3};
    OK(abc_wprop_add_sample(inherits, &yes, 1, err));
    OK(abc_wprop_add_sample(vals, t123, sizeof(t123), err));
    OK(abc_wprop_add_sample(ops, &op_translate, 1, err));
    OK(abc_wprop_add_sample(nci, &yes, 1, err));

    /* PolyMesh mesh under xf. */
    OK(abc_wobject_add_child(xf, abc_wstr("mesh"),
                             ABC_WMETA("schema", "AbcGeom_PolyMesh_v1", "schemaBaseType",
                                       "AbcGeom_GeomBase_v1", "schemaObjTitle",
                                       "AbcGeom_PolyMesh_v1:.geom"),
                             &mesh, err));
    abc_wprop *geom, *bnds, *P, *fi, *fc, *uv, *uvv, *uvi;
    OK(abc_wprop_add_compound(abc_wobject_props(mesh), abc_wstr(".geom"),
                              ABC_WMETA("schema", "AbcGeom_PolyMesh_v1", "schemaBaseType",
                                        "AbcGeom_GeomBase_v1"),
                              &geom, err));
    OK(abc_wprop_add_scalar(geom, abc_wstr(".selfBnds"), ABC_WMETA("interpretation", "box"),
                            ABC_POD_FLOAT64, 6, 0, &bnds, err));
    OK(abc_wprop_add_array(geom, abc_wstr("P"),
                           ABC_WMETA("geoScope", "vtx", "interpretation", "point"),
                           ABC_POD_FLOAT32, 3, 0, &P, err));
    OK(abc_wprop_add_array(geom, abc_wstr(".faceIndices"), NULL, ABC_POD_INT32, 1, 0, &fi, err));
    OK(abc_wprop_add_array(geom, abc_wstr(".faceCounts"), NULL, ABC_POD_INT32, 1, 0, &fc, err));
    const float pts[] = {0, 0, 0, 1, 0, 0, 1, 1, 0};
    const int32_t idx[] = {0, 1, 2}, counts[] = {3};
    const double box[] = {0, 0, 0, 1, 1, 0};
    const float uvs[] = {0, 0, 1, 0, 1, 1};
    const uint32_t uvidx[] = {0, 1, 2};
    OK(abc_wprop_add_array_sample(P, pts, sizeof(pts), NULL, 0, err));
    OK(abc_wprop_add_array_sample(fi, idx, sizeof(idx), NULL, 0, err));
    OK(abc_wprop_add_array_sample(fc, counts, sizeof(counts), NULL, 0, err));
    OK(abc_wprop_add_sample(bnds, box, sizeof(box), err));
    OK(abc_wprop_add_compound(geom, abc_wstr("uv"), ABC_WMETA(UV_MD), &uv, err));
    OK(abc_wprop_add_array(uv, abc_wstr(".vals"), ABC_WMETA(UV_MD), ABC_POD_FLOAT32, 2, 0, &uvv,
                           err));
    OK(abc_wprop_add_array(uv, abc_wstr(".indices"), NULL, ABC_POD_UINT32, 1, 0, &uvi, err));
    OK(abc_wprop_add_array_sample(uvv, uvs, sizeof(uvs), NULL, 0, err));
    OK(abc_wprop_add_array_sample(uvi, uvidx, sizeof(uvidx), NULL, 0, err));

    /* Xform xf2 (no sample) with an instance of /xf/mesh. */
    abc_wprop *xform2;
    OK(abc_wobject_add_child(top, abc_wstr("xf2"), ABC_WMETA(XFORM_MD), &xf2, err));
    OK(abc_wprop_add_compound(abc_wobject_props(xf2), abc_wstr(".xform"),
                              ABC_WMETA("schema", "AbcGeom_Xform_v3"), &xform2, err));
    OK(abc_wobject_add_instance(xf2, abc_wstr("meshInst"), abc_wstr("/xf/mesh"), err));

    /* Default camera. */
    abc_wprop *cgeom, *core;
    OK(abc_wobject_add_child(top, abc_wstr("cam"),
                             ABC_WMETA("schema", "AbcGeom_Camera_v1", "schemaObjTitle",
                                       "AbcGeom_Camera_v1:.geom"),
                             &cam, err));
    OK(abc_wprop_add_compound(abc_wobject_props(cam), abc_wstr(".geom"),
                              ABC_WMETA("schema", "AbcGeom_Camera_v1"), &cgeom, err));
    OK(abc_wprop_add_scalar(cgeom, abc_wstr(".core"), NULL, ABC_POD_FLOAT64, 16, 0, &core, err));
    OK(abc_wprop_add_sample(core, camera_core, sizeof(camera_core), err));

    /* Finalization: cam, xf2, mesh (schema then object), xf. */
    OK(abc_wprop_finish(core, err));
    OK(abc_wprop_finish(cgeom, err));
    OK(abc_wobject_finish(cam, err));
    OK(abc_wprop_finish(xform2, err));
    OK(abc_wobject_finish(xf2, err));
    OK(abc_wprop_finish(uvi, err));
    OK(abc_wprop_finish(uvv, err));
    OK(abc_wprop_finish(uv, err));
    OK(abc_wprop_finish(fc, err));
    OK(abc_wprop_finish(fi, err));
    OK(abc_wprop_finish(P, err));
    OK(abc_wprop_finish(bnds, err));
    OK(abc_wprop_finish(geom, err));
    OK(abc_wobject_finish(mesh, err));
    OK(abc_wprop_finish(nci, err));
    OK(abc_wprop_finish(inherits, err));
    OK(abc_wprop_finish(vals, err));
    OK(abc_wprop_finish(ops, err));
    OK(abc_wprop_finish(xform, err));
    OK(abc_wobject_finish(xf, err));
    OK(abc_writer_close(w, err));
    same_bytes(out, "geom.abc");
    free(out);
}

/* ---- edge.abc ---------------------------------------------------------
 * Object c's properties are locals (reverse creation order at the end);
 * Xform x is finalized first, its schema releasing .animChans, then its
 * members in reverse declaration order. */

static void
test_write_spec_edge(void **state)
{
    (void)state;
    char *out = tmp_path();
    abc_writer *w;
    OK(abc_writer_create(out, &spec_opts, &w, err));
    abc_wobject *top = abc_writer_top(w), *c, *x;
    OK(abc_wobject_add_child(top, abc_wstr("c"), NULL, &c, err));
    abc_wprop *cp = abc_wobject_props(c), *p;
    const int32_t i1 = 1, i2 = 2;

    char big[301];
    memset(big, 'x', 300);
    big[300] = 0;
    OK(abc_wprop_add_scalar(cp, abc_wstr("bigmd"), ABC_WMETA("big", big), ABC_POD_INT32, 1, 0, &p,
                            err));
    OK(abc_wprop_add_sample(p, &i1, 4, err));
    char nname[301];
    memset(nname, 'n', 300);
    nname[300] = 0;
    OK(abc_wprop_add_scalar(cp, abc_wstr(nname), NULL, ABC_POD_INT32, 1, 0, &p, err));
    OK(abc_wprop_add_sample(p, &i2, 4, err));
    OK(abc_wprop_add_scalar(cp, abc_wstr("nosamp"), NULL, ABC_POD_INT32, 1, 0, &p, err));
    OK(abc_wprop_add_array(cp, abc_wstr("nosampa"), NULL, ABC_POD_INT32, 1, 0, &p, err));

    OK(abc_wprop_add_array(cp, abc_wstr("rank2"), NULL, ABC_POD_FLOAT32, 1, 0, &p, err));
    const float halfs[6] = {1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f};
    const uint64_t d23[2] = {2, 3};
    OK(abc_wprop_add_array_sample(p, halfs, sizeof(halfs), NULL, 0, err));
    OK(abc_wprop_add_array_sample(p, halfs, sizeof(halfs), d23, 2, err));

    const uint32_t ws[] = {0x68, 0xE9, 0}, wsa[] = {0x61, 0, 0};
    OK(abc_wprop_add_scalar(cp, abc_wstr("ws"), NULL, ABC_POD_WSTRING, 1, 0, &p, err));
    OK(abc_wprop_add_sample(p, ws, sizeof(ws), err));
    OK(abc_wprop_add_array(cp, abc_wstr("wsa"), NULL, ABC_POD_WSTRING, 1, 0, &p, err));
    OK(abc_wprop_add_array_sample(p, wsa, sizeof(wsa), NULL, 0, err));

    const uint8_t half15[2] = {0x00, 0x3E};
    OK(abc_wprop_add_scalar(cp, abc_wstr("half"), NULL, ABC_POD_FLOAT16, 1, 0, &p, err));
    OK(abc_wprop_add_sample(p, half15, 2, err));

    OK(abc_wprop_add_array(cp, abc_wstr("emptyarr"), NULL, ABC_POD_INT32, 1, 0, &p, err));
    OK(abc_wprop_add_array_sample(p, NULL, 0, NULL, 0, err));
    OK(abc_wprop_add_array_sample(p, NULL, 0, NULL, 0, err));
    OK(abc_wprop_add_array(cp, abc_wstr("emptystrarr"), NULL, ABC_POD_STRING, 1, 0, &p, err));
    OK(abc_wprop_add_array_sample(p, NULL, 0, NULL, 0, err));
    OK(abc_wprop_add_scalar(cp, abc_wstr("emptystr"), NULL, ABC_POD_STRING, 1, 0, &p, err));
    OK(abc_wprop_add_sample(p, "", 1, err));

    OK(abc_wprop_add_scalar(cp, abc_wstr("many"), NULL, ABC_POD_INT32, 1, 0, &p, err));
    for (int32_t i = 0; i < 300; i++)
        OK(abc_wprop_add_sample(p, &i, 4, err));
    OK(abc_wprop_add_scalar(cp, abc_wstr("tail"), NULL, ABC_POD_INT32, 1, 0, &p, err));
    OK(abc_wprop_add_sample(p, &i1, 4, err));
    for (int i = 0; i < 3; i++)
        OK(abc_wprop_add_sample(p, &i2, 4, err));

    /* Xform x: 3 samples of [translate (i,0,5), rotate (0,1,0) 10 deg]. */
    OK(abc_wobject_add_child(top, abc_wstr("x"), ABC_WMETA(XFORM_MD), &x, err));
    abc_wprop *xform, *inherits, *ops, *vals, *nci, *cb, *ac;
    OK(abc_wprop_add_compound(abc_wobject_props(x), abc_wstr(".xform"),
                              ABC_WMETA("schema", "AbcGeom_Xform_v3"), &xform, err));
    OK(abc_wprop_add_scalar(xform, abc_wstr(".inherits"), NULL, ABC_POD_BOOL, 1, 0, &inherits,
                            err));
    OK(abc_wprop_add_scalar(xform, abc_wstr(".ops"), NULL, ABC_POD_UINT8, 2, 0, &ops, err));
    OK(abc_wprop_add_scalar(xform, abc_wstr(".vals"), NULL, ABC_POD_FLOAT64, 7, 0, &vals, err));
    OK(abc_wprop_add_scalar(xform, abc_wstr("isNotConstantIdentity"), NULL, ABC_POD_BOOL, 1, 0,
                            &nci, err));
    const uint8_t yes = 1, opsv[2] = {0x10, 0x20};
    for (int i = 0; i < 3; i++) {
        const double v[7] = {i, 0, 5, 0, 1, 0, 10};
        OK(abc_wprop_add_sample(inherits, &yes, 1, err));
        OK(abc_wprop_add_sample(vals, v, sizeof(v), err));
        OK(abc_wprop_add_sample(ops, opsv, 2, err));
        if (i == 0)
            OK(abc_wprop_add_sample(nci, &yes, 1, err));
    }
    OK(abc_wprop_add_scalar(xform, abc_wstr(".childBnds"), ABC_WMETA("interpretation", "box"),
                            ABC_POD_FLOAT64, 6, 0, &cb, err));
    const double unit_box[6] = {0, 0, 0, 1, 1, 1};
    OK(abc_wprop_add_sample(cb, unit_box, sizeof(unit_box), err));
    OK(abc_wprop_add_array(xform, abc_wstr(".animChans"), NULL, ABC_POD_UINT32, 1, 0, &ac, err));
    const uint32_t chan0 = 0;
    OK(abc_wprop_add_array_sample(ac, &chan0, 4, NULL, 0, err));
    OK(abc_wprop_finish(ac, err));
    OK(abc_wprop_finish(nci, err));
    OK(abc_wprop_finish(inherits, err));
    OK(abc_wprop_finish(vals, err));
    OK(abc_wprop_finish(ops, err));
    OK(abc_wprop_finish(cb, err));
    OK(abc_wprop_finish(xform, err));
    OK(abc_wobject_finish(x, err));
    /* c and its properties: left to close (reverse creation order). */
    OK(abc_writer_close(w, err));
    same_bytes(out, "edge.abc");
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_spec_empty),
        cmocka_unit_test(test_write_spec_emptyinfo),
        cmocka_unit_test(test_write_spec_props),
        cmocka_unit_test(test_write_spec_geom),
        cmocka_unit_test(test_write_spec_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
