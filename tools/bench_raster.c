/*
 * bench_raster — time to draw and encode `.preview/` pictures
 * (fs/raster.h, fs/png.h) of big meshes, points and curves:
 *
 *     bench_raster [N ...]
 *
 * For each N (default 1000 100000 1000000) draws a UV sphere of about N
 * triangles, then N points, then a helix of N segments, each into its own
 * 256 x 256 raster in two passes as the view does (bounds, then drawing),
 * and encodes the picture as PNG.  Prints the milliseconds of the bounds
 * pass, the drawing pass and the encoding (each the best of three runs)
 * and the PNG's size.  The sphere's vertices come from small sine tables,
 * so the times are the rasteriser's, not libm's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "png.h"
#include "raster.h"

#define BENCH_PI 3.14159265358979323846
#define BENCH_RUNS 3

static double
bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

enum bench_kind { BENCH_MESH, BENCH_POINTS, BENCH_CURVE };

/* What one kind of scene needs: a sphere of stacks x slices quads as two
 * triangles each, from tables of sines and cosines. */
struct bench_scene {
    enum bench_kind kind;
    size_t n;                   /* points, or curve segments */
    size_t stacks, slices;
    double *sin_t, *cos_t;      /* stacks + 1 */
    double *sin_p, *cos_p;      /* slices + 1 */
};

static void
bench_sphere_vertex(const struct bench_scene *s, size_t i, size_t j, double p[3])
{
    p[0] = s->sin_t[i] * s->cos_p[j];
    p[1] = s->cos_t[i];
    p[2] = s->sin_t[i] * s->sin_p[j];
}

static void
bench_curve_point(size_t k, size_t n, double p[3])
{
    double t = 40.0 * BENCH_PI * (double)k / (double)n;
    p[0] = cos(t);
    p[1] = 4.0 * (double)k / (double)n - 2.0;
    p[2] = sin(t);
}

/* Draws the scene into r, or with r == NULL adds it to [lo, hi]. */
static void
bench_draw(const struct bench_scene *s, struct raster *r, double lo[3], double hi[3])
{
    double a[3], b[3], c[3], d[3];
    switch (s->kind) {
    case BENCH_MESH:
        for (size_t i = 0; i < s->stacks; i++) {
            for (size_t j = 0; j < s->slices; j++) {
                bench_sphere_vertex(s, i, j, a);
                bench_sphere_vertex(s, i, j + 1, b);
                bench_sphere_vertex(s, i + 1, j + 1, c);
                bench_sphere_vertex(s, i + 1, j, d);
                if (r == NULL) {
                    /* Each vertex once, as a mesh's P would be read. */
                    raster_bounds_add(lo, hi, a);
                    continue;
                }
                raster_triangle(r, a, b, c);
                raster_triangle(r, a, c, d);
            }
        }
        if (r == NULL) {
            bench_sphere_vertex(s, s->stacks, 0, a);
            raster_bounds_add(lo, hi, a);
        }
        break;
    case BENCH_POINTS:
        for (size_t k = 0; k < s->n; k++) {
            /* A Fibonacci sphere. */
            double y = 1.0 - 2.0 * ((double)k + 0.5) / (double)s->n;
            double ring = sqrt(1.0 - y * y), phi = (double)k * BENCH_PI * (3.0 - sqrt(5.0));
            double p[3] = {ring * cos(phi), y, ring * sin(phi)};
            if (r == NULL)
                raster_bounds_add(lo, hi, p);
            else
                raster_point(r, p);
        }
        break;
    case BENCH_CURVE:
        bench_curve_point(0, s->n, a);
        if (r == NULL)
            raster_bounds_add(lo, hi, a);
        for (size_t k = 1; k <= s->n; k++) {
            bench_curve_point(k, s->n, b);
            if (r == NULL)
                raster_bounds_add(lo, hi, b);
            else
                raster_line(r, a, b);
            memcpy(a, b, sizeof a);
        }
        break;
    }
}

static int
bench_run(const struct bench_scene *s, const char *what, size_t count)
{
    double best_bounds = INFINITY, best_draw = INFINITY, best_encode = INFINITY;
    size_t png_len = 0;
    for (int run = 0; run < BENCH_RUNS; run++) {
        double lo[3], hi[3];
        double t0 = bench_now_ms();
        raster_bounds_init(lo, hi);
        bench_draw(s, NULL, lo, hi);
        double t1 = bench_now_ms();
        struct raster *r;
        if (raster_init(&r, lo, hi) < 0)
            return -1;
        bench_draw(s, r, NULL, NULL);
        double t2 = bench_now_ms();
        uint8_t *png;
        int rc = png_encode_rgba(raster_pixels(r), RASTER_SIZE, RASTER_SIZE, &png, &png_len);
        double t3 = bench_now_ms();
        raster_free(r);
        if (rc < 0)
            return -1;
        free(png);
        best_bounds = fmin(best_bounds, t1 - t0);
        best_draw = fmin(best_draw, t2 - t1);
        best_encode = fmin(best_encode, t3 - t2);
    }
    printf("%-8s %9zu  bounds %8.2f ms  draw %8.2f ms  encode %6.2f ms  png %6zu bytes\n", what,
        count, best_bounds, best_draw, best_encode, png_len);
    return 0;
}

static int
bench_size(size_t n)
{
    struct bench_scene s = {0};
    /* stacks x (2 stacks) quads = 4 stacks^2 triangles ~ n. */
    s.stacks = (size_t)floor(sqrt((double)n / 4.0) + 0.5);
    if (s.stacks < 2)
        s.stacks = 2;
    s.slices = (n / 2 + s.stacks - 1) / s.stacks;
    if (s.slices < 3)
        s.slices = 3;
    s.sin_t = malloc((s.stacks + 1) * sizeof(double));
    s.cos_t = malloc((s.stacks + 1) * sizeof(double));
    s.sin_p = malloc((s.slices + 1) * sizeof(double));
    s.cos_p = malloc((s.slices + 1) * sizeof(double));
    int rc = -1;
    if (s.sin_t == NULL || s.cos_t == NULL || s.sin_p == NULL || s.cos_p == NULL)
        goto out;
    for (size_t i = 0; i <= s.stacks; i++) {
        s.sin_t[i] = sin(BENCH_PI * (double)i / (double)s.stacks);
        s.cos_t[i] = cos(BENCH_PI * (double)i / (double)s.stacks);
    }
    for (size_t j = 0; j <= s.slices; j++) {
        s.sin_p[j] = sin(2.0 * BENCH_PI * (double)j / (double)s.slices);
        s.cos_p[j] = cos(2.0 * BENCH_PI * (double)j / (double)s.slices);
    }
    s.n = n;
    s.kind = BENCH_MESH;
    if (bench_run(&s, "mesh", 2 * s.stacks * s.slices) < 0)
        goto out;
    s.kind = BENCH_POINTS;
    if (bench_run(&s, "points", n) < 0)
        goto out;
    s.kind = BENCH_CURVE;
    if (bench_run(&s, "curve", n) < 0)
        goto out;
    rc = 0;
out:
    free(s.sin_t);
    free(s.cos_t);
    free(s.sin_p);
    free(s.cos_p);
    return rc;
}

int
main(int argc, char **argv)
{
    static const size_t defaults[] = {1000, 100000, 1000000};
    printf("256 x 256 pictures; times are the best of %d runs\n", BENCH_RUNS);
    if (argc == 1) {
        for (size_t k = 0; k < sizeof defaults / sizeof defaults[0]; k++)
            if (bench_size(defaults[k]) < 0)
                return 1;
        return 0;
    }
    for (int k = 1; k < argc; k++) {
        char *end;
        unsigned long long n = strtoull(argv[k], &end, 10);
        if (*end != '\0' || n == 0) {
            fprintf(stderr, "usage: bench_raster [N ...]\n");
            return 2;
        }
        if (bench_size((size_t)n) < 0)
            return 1;
    }
    return 0;
}
