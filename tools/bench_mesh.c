/*
 * bench_mesh — how fast the PLY and OBJ files of views.md come out of
 * ogawa/abc_mesh.h, against reading the raw P sample:
 *
 *     bench_mesh [FACES] [DIR]
 *
 * Writes an archive (in DIR, default /tmp) holding one PolyMesh of about
 * FACES triangles (default 10^6) on a grid of points with uneven float
 * coordinates, then times, each as the best of three runs: reading the P
 * payload in 1 MiB pieces; laying out each file (abc_mesh_file_open); and
 * producing each whole file (layout, computed chunks and the archive
 * segment read from the archive).  Prints MB/s of output (file bytes, or
 * P bytes for the raw read).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "abc_mesh.h"
#include "abc_write.h"

#define BENCH_COPY (1u << 20)

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
fail(const char *what, const struct ogawa_err *err)
{
    char msg[256];
    ogawa_err_format(err, msg, sizeof(msg));
    fprintf(stderr, "bench_mesh: %s: %s\n", what, msg);
    return 1;
}

/* A grid of side x side quads, each split into two triangles. */
static int
write_grid(const char *path, long side, struct ogawa_err *err)
{
    long n_points = (side + 1) * (side + 1), n_faces = 2 * side * side;
    float *P = malloc((size_t)n_points * 12);
    int32_t *fi = malloc((size_t)n_faces * 12);
    int32_t *fc = malloc((size_t)n_faces * 4);
    if (!P || !fi || !fc)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    for (long r = 0; r <= side; r++)
        for (long c = 0; c <= side; c++) {
            float *p = &P[3 * (r * (side + 1) + c)];
            p[0] = (float)c * 0.0137f;
            p[1] = sinf((float)r * 0.01f) * (float)c * 0.001f;
            p[2] = (float)r * -0.0291f;
        }
    long f = 0;
    for (long r = 0; r < side; r++)
        for (long c = 0; c < side; c++) {
            int32_t a = (int32_t)(r * (side + 1) + c), b = a + 1, d = a + (int32_t)side + 1, e = d + 1;
            int32_t *t = &fi[6 * f / 2];
            t[0] = a, t[1] = d, t[2] = b;
            t[3] = b, t[4] = d, t[5] = e;
            fc[f++] = 3;
            fc[f++] = 3;
        }
    abc_writer *w;
    abc_wobject *o;
    abc_wprop *geom, *p;
    int rc = abc_writer_create(path, NULL, &w, err);
    if (rc == 0 &&
        (abc_wobject_add_child(abc_writer_top(w), abc_wstr("grid"),
                               ABC_WMETA("schema", "AbcGeom_PolyMesh_v1", "schemaObjTitle",
                                         "AbcGeom_PolyMesh_v1:.geom"),
                               &o, err) ||
         abc_wprop_add_compound(abc_wobject_props(o), abc_wstr(".geom"), NULL, &geom, err) ||
         abc_wprop_add_array(geom, abc_wstr("P"), NULL, ABC_POD_FLOAT32, 3, 0, &p, err) ||
         abc_wprop_add_array_sample(p, P, (size_t)n_points * 12, NULL, 0, err) ||
         abc_wprop_add_array(geom, abc_wstr(".faceIndices"), NULL, ABC_POD_INT32, 1, 0, &p, err) ||
         abc_wprop_add_array_sample(p, fi, (size_t)n_faces * 12, NULL, 0, err) ||
         abc_wprop_add_array(geom, abc_wstr(".faceCounts"), NULL, ABC_POD_INT32, 1, 0, &p, err) ||
         abc_wprop_add_array_sample(p, fc, (size_t)n_faces * 4, NULL, 0, err))) {
        abc_writer_abort(w);
        rc = err->code;
    } else if (rc == 0) {
        rc = abc_writer_close(w, err);
    }
    free(P);
    free(fi);
    free(fc);
    return rc;
}

/* Produces the whole file once; returns its size, or 0 on error. */
static uint64_t
produce(abc_archive *a, abc_mesh *m, int format, uint8_t *buf, double *layout_s,
        struct ogawa_err *err)
{
    double t0 = now();
    abc_mesh_file *f;
    if (abc_mesh_file_open(m, 0, format, &f, err) != 0)
        return 0;
    *layout_s = now() - t0;
    const struct abc_mesh_segment *segs;
    size_t n = abc_mesh_file_segments(f, &segs);
    uint64_t size = abc_mesh_file_size(f);
    for (size_t i = 0; i < n && size; i++) {
        if (segs[i].archive) {
            for (uint64_t pos = 0; pos < segs[i].len; pos += BENCH_COPY) {
                uint64_t len = segs[i].len - pos < BENCH_COPY ? segs[i].len - pos : BENCH_COPY;
                if (ogawa_archive_read(abc_archive_ogawa(a), segs[i].archive_off + pos, buf, len, err))
                    size = 0;
            }
            continue;
        }
        uint8_t *chunk;
        uint64_t len;
        if (abc_mesh_file_chunk(f, segs[i].chunk, &chunk, &len, err) != 0)
            size = 0;
        free(chunk);
    }
    abc_mesh_file_close(f);
    return size;
}

int
main(int argc, char **argv)
{
    long faces = argc > 1 ? atol(argv[1]) : 1000000;
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    long side = (long)sqrt((double)faces / 2.0);
    if (side < 1) {
        fprintf(stderr, "usage: bench_mesh [FACES] [DIR]\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/bench_mesh_%ld.abc", dir, (long)getpid());
    struct ogawa_err err = {0};
    if (write_grid(path, side, &err) != 0)
        return fail(path, &err);
    abc_archive *a;
    abc_object *top, *o;
    abc_mesh *m;
    if (abc_archive_open(path, &a, &err) || abc_archive_top(a, &top, &err) ||
        abc_object_child(top, 0, &o, &err) || abc_mesh_open(o, &m, &err)) {
        unlink(path);
        return fail(path, &err);
    }
    uint8_t *buf = malloc(BENCH_COPY);
    struct abc_mesh_info info;
    if (!buf || abc_mesh_info(m, 0, &info, &err))
        return fail("info", &err);
    printf("mesh: %llu points, %llu triangles\n", (unsigned long long)info.points,
           (unsigned long long)info.faces);

    /* The raw P sample, as a sample file is read. */
    abc_compound *props, *geom;
    size_t idx;
    struct abc_sample p;
    if (abc_object_properties(o, &props, &err) || abc_compound_find(props, ".geom", 5, &idx) ||
        abc_compound_child(props, idx, &geom, &err) || abc_compound_find(geom, "P", 1, &idx) ||
        abc_property_sample(geom, idx, 0, &p, &err))
        return fail("P", &err);
    double best = 1e30;
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        for (uint64_t pos = 0; pos < p.payload_len; pos += BENCH_COPY) {
            uint64_t len = p.payload_len - pos < BENCH_COPY ? p.payload_len - pos : BENCH_COPY;
            if (abc_sample_read(a, &p, pos, buf, len, &err))
                return fail("reading P", &err);
        }
        double t = now() - t0;
        best = t < best ? t : best;
    }
    printf("raw P   %10llu bytes  %8.3f s  %8.1f MB/s\n", (unsigned long long)p.payload_len, best,
           (double)p.payload_len / best / 1e6);

    static const char *const names[] = {"PLY", "OBJ"};
    for (int fmt = ABC_MESH_PLY; fmt <= ABC_MESH_OBJ; fmt++) {
        double best_all = 1e30, best_layout = 1e30;
        uint64_t size = 0;
        for (int run = 0; run < 3; run++) {
            double layout, t0 = now();
            size = produce(a, m, fmt, buf, &layout, &err);
            if (size == 0)
                return fail(names[fmt], &err);
            double t = now() - t0;
            best_all = t < best_all ? t : best_all;
            best_layout = layout < best_layout ? layout : best_layout;
        }
        printf("%s     %10llu bytes  %8.3f s  %8.1f MB/s  (layout alone %.3f s)\n", names[fmt],
               (unsigned long long)size, best_all, (double)size / best_all / 1e6, best_layout);
    }
    free(buf);
    abc_compound_unref(geom);
    abc_compound_unref(props);
    abc_mesh_close(m);
    abc_object_unref(o);
    abc_object_unref(top);
    abc_archive_close(a);
    unlink(path);
    return 0;
}
