/*
 * rastertest — draws a few known shapes with the rasteriser of the
 * `.preview/` pictures (fs/raster.h) and writes them as PNG (fs/png.h), for
 * a person to look at and for tests/png_check.py to decode:
 *
 *     rastertest [--raw] OUTDIR
 *
 * Writes into OUTDIR:
 *   cube.png      a cube [-1, 1]^3 as 12 triangles, seen from a corner:
 *                 a hexagon of three faces, top lightest, left middle,
 *                 right darkest;
 *   sphere.png    a UV sphere of 2,400 triangles: shading varies smoothly;
 *   points.png    2,000 points spread over a sphere, as 2 x 2 dots;
 *   helix.png     a helix about +Y of 600 1-pixel segments;
 *   scene.png     the cube, a ring of points around it and a helix through
 *                 it, one picture (depth between kinds);
 *   pattern.png   a 257 x 100 deterministic noise image with varied alpha
 *                 (not rendered: it exercises every PNG filter).
 * With --raw, each NAME.png also gets NAME.rgba, its pixels as raw bytes,
 * so a decoder can be checked against them.
 *
 * Exit status: 0 ok, 1 an error, 2 usage.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "png.h"
#include "raster.h"

#define RASTERTEST_PI 3.14159265358979323846

static int
rastertest_write_file(const char *dir, const char *name, const char *ext, const uint8_t *bytes,
    size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "rastertest: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t put = fwrite(bytes, 1, len, f);
    if (fclose(f) != 0 || put != len) {
        fprintf(stderr, "rastertest: %s: write failed\n", path);
        return -1;
    }
    return 0;
}

static int
rastertest_save(const char *dir, const char *name, const uint8_t *rgba, uint32_t width,
    uint32_t height, int raw)
{
    uint8_t *png;
    size_t len;
    int rc = png_encode_rgba(rgba, width, height, &png, &len);
    if (rc < 0) {
        fprintf(stderr, "rastertest: %s: png_encode_rgba: %s\n", name, strerror(-rc));
        return -1;
    }
    rc = rastertest_write_file(dir, name, "png", png, len);
    free(png);
    if (rc == 0 && raw)
        rc = rastertest_write_file(dir, name, "rgba", rgba, (size_t)width * height * 4);
    return rc;
}

/* ---- shapes: each draws itself and, with r == NULL, adds to bounds ---- */

struct rastertest_ctx {
    struct raster *r;   /* NULL: only bounds */
    double lo[3], hi[3];
};

static void
rastertest_tri(struct rastertest_ctx *ctx, const double a[3], const double b[3], const double c[3])
{
    if (ctx->r != NULL) {
        raster_triangle(ctx->r, a, b, c);
        return;
    }
    raster_bounds_add(ctx->lo, ctx->hi, a);
    raster_bounds_add(ctx->lo, ctx->hi, b);
    raster_bounds_add(ctx->lo, ctx->hi, c);
}

static void
rastertest_cube(struct rastertest_ctx *ctx)
{
    static const int quads[6][4] = {
        {0, 1, 3, 2}, {4, 6, 7, 5}, {0, 4, 5, 1}, {2, 3, 7, 6}, {0, 2, 6, 4}, {1, 5, 7, 3},
    };
    double v[8][3];
    for (int k = 0; k < 8; k++) {
        v[k][0] = (k & 4) ? 1.0 : -1.0;
        v[k][1] = (k & 2) ? 1.0 : -1.0;
        v[k][2] = (k & 1) ? 1.0 : -1.0;
    }
    for (int f = 0; f < 6; f++) {
        const int *q = quads[f];
        rastertest_tri(ctx, v[q[0]], v[q[1]], v[q[2]]);
        rastertest_tri(ctx, v[q[0]], v[q[2]], v[q[3]]);
    }
}

static void
rastertest_sphere_point(double theta, double phi, double radius, double p[3])
{
    p[0] = radius * sin(theta) * cos(phi);
    p[1] = radius * cos(theta);
    p[2] = radius * sin(theta) * sin(phi);
}

static void
rastertest_uv_sphere(struct rastertest_ctx *ctx, int stacks, int slices)
{
    for (int i = 0; i < stacks; i++) {
        double t0 = RASTERTEST_PI * i / stacks, t1 = RASTERTEST_PI * (i + 1) / stacks;
        for (int j = 0; j < slices; j++) {
            double p0 = 2 * RASTERTEST_PI * j / slices, p1 = 2 * RASTERTEST_PI * (j + 1) / slices;
            double a[3], b[3], c[3], d[3];
            rastertest_sphere_point(t0, p0, 1.0, a);
            rastertest_sphere_point(t0, p1, 1.0, b);
            rastertest_sphere_point(t1, p1, 1.0, c);
            rastertest_sphere_point(t1, p0, 1.0, d);
            rastertest_tri(ctx, a, b, c);
            rastertest_tri(ctx, a, c, d);
        }
    }
}

/* n points spread evenly over a sphere (the Fibonacci lattice). */
static void
rastertest_points(struct rastertest_ctx *ctx, int n, double radius, double y_squash)
{
    double golden = RASTERTEST_PI * (3.0 - sqrt(5.0));
    for (int k = 0; k < n; k++) {
        double y = 1.0 - 2.0 * (k + 0.5) / n;
        double ring = sqrt(1.0 - y * y);
        double p[3] = {radius * ring * cos(golden * k), radius * y * y_squash,
                       radius * ring * sin(golden * k)};
        if (ctx->r != NULL)
            raster_point(ctx->r, p);
        else
            raster_bounds_add(ctx->lo, ctx->hi, p);
    }
}

static void
rastertest_helix(struct rastertest_ctx *ctx, int segments, double radius, double height)
{
    double prev[3];
    for (int k = 0; k <= segments; k++) {
        double t = 6.0 * RASTERTEST_PI * k / segments;
        double p[3] = {radius * cos(t), height * ((double)k / segments - 0.5), radius * sin(t)};
        if (ctx->r == NULL)
            raster_bounds_add(ctx->lo, ctx->hi, p);
        else if (k > 0)
            raster_line(ctx->r, prev, p);
        memcpy(prev, p, sizeof prev);
    }
}

enum rastertest_shape { SHAPE_CUBE, SHAPE_SPHERE, SHAPE_POINTS, SHAPE_HELIX, SHAPE_SCENE };

static void
rastertest_draw(struct rastertest_ctx *ctx, enum rastertest_shape shape)
{
    switch (shape) {
    case SHAPE_CUBE: rastertest_cube(ctx); break;
    case SHAPE_SPHERE: rastertest_uv_sphere(ctx, 30, 40); break;
    case SHAPE_POINTS: rastertest_points(ctx, 2000, 1.0, 1.0); break;
    case SHAPE_HELIX: rastertest_helix(ctx, 600, 1.0, 3.0); break;
    case SHAPE_SCENE:
        rastertest_cube(ctx);
        rastertest_points(ctx, 800, 1.8, 0.15);
        rastertest_helix(ctx, 600, 0.6, 3.5);
        break;
    }
}

/* Two passes, as the view will do: bounds, then drawing. */
static int
rastertest_render(const char *dir, const char *name, enum rastertest_shape shape, int raw)
{
    struct rastertest_ctx ctx = {NULL, {0}, {0}};
    raster_bounds_init(ctx.lo, ctx.hi);
    rastertest_draw(&ctx, shape);
    int rc = raster_init(&ctx.r, ctx.lo, ctx.hi);
    if (rc < 0) {
        fprintf(stderr, "rastertest: raster_init: %s\n", strerror(-rc));
        return -1;
    }
    rastertest_draw(&ctx, shape);
    rc = rastertest_save(dir, name, raster_pixels(ctx.r), RASTER_SIZE, RASTER_SIZE, raw);
    raster_free(ctx.r);
    return rc;
}

/* Noise with structure: smooth gradients, runs and random bytes mixed, so
 * that every filter type wins somewhere. */
static int
rastertest_pattern(const char *dir, int raw)
{
    enum { W = 257, H = 100 };
    uint8_t *px = malloc((size_t)W * H * 4);
    if (px == NULL)
        return -1;
    uint32_t seed = 12345;
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            uint8_t *p = px + ((size_t)y * W + x) * 4;
            seed = seed * 1103515245u + 12345u;
            uint8_t noise = (uint8_t)(seed >> 24);
            switch ((y / 10) % 4) {
            case 0: p[0] = (uint8_t)x; p[1] = (uint8_t)y; p[2] = (uint8_t)(x + y); break;
            case 1: p[0] = noise; p[1] = (uint8_t)(noise ^ x); p[2] = (uint8_t)(x * 3); break;
            case 2: p[0] = (uint8_t)(x / 16 * 16); p[1] = 200; p[2] = (uint8_t)(y * 2); break;
            default: p[0] = (uint8_t)(x * y); p[1] = noise; p[2] = 7; break;
            }
            p[3] = (uint8_t)(x < 40 ? 0 : x < 80 ? 128 : 255 - (noise & 15));
        }
    }
    int rc = rastertest_save(dir, "pattern", px, W, H, raw);
    free(px);
    return rc;
}

int
main(int argc, char **argv)
{
    int raw = 0, bad = 0;
    const char *dir = NULL;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--raw") == 0)
            raw = 1;
        else if (dir == NULL && argv[k][0] != '-')
            dir = argv[k];
        else
            bad = 1;
    }
    if (dir == NULL || bad) {
        fprintf(stderr, "usage: rastertest [--raw] OUTDIR\n");
        return 2;
    }
    static const struct {
        const char *name;
        enum rastertest_shape shape;
    } shapes[] = {
        {"cube", SHAPE_CUBE}, {"sphere", SHAPE_SPHERE}, {"points", SHAPE_POINTS},
        {"helix", SHAPE_HELIX}, {"scene", SHAPE_SCENE},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        if (rastertest_render(dir, shapes[k].name, shapes[k].shape, raw) < 0)
            return 1;
    if (rastertest_pattern(dir, raw) < 0)
        return 1;
    return 0;
}
