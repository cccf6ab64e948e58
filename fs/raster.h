/*
 * raster.h — the small software rasteriser behind the pictures of
 * `.preview/` (views.md): a 256 x 256 RGBA image with a depth buffer, one
 * fixed camera, and primitives drawn one at a time, so that a mesh of any
 * size needs no memory beyond the image.  No archive reading and no FUSE
 * here: the view layer feeds it points.
 *
 * Camera: orthographic, looking along -(1, 1, 1) (seen from the direction
 * (+1, +1, +1)) at the centre of the box given to raster_init, scaled so
 * that the whole box fits the image with a margin of RASTER_MARGIN pixels;
 * +Y points up on the image.  So +X runs to the lower right and +Z to the
 * lower left.
 *
 * Drawing: faces flat-shaded by their normal with a fixed light, both
 * sides lit alike; points as 2 x 2 dots and lines 1 pixel wide, in one
 * fixed colour and unlit.  Everything is depth-tested: a pixel is replaced
 * only by something strictly nearer, so at equal depth the first drawn
 * stays.  Triangles cover the pixels whose centres are inside them, with
 * the top-left rule on the edges, so two triangles sharing an edge leave no
 * gap and draw no pixel twice.  Pixels never drawn stay transparent
 * (0, 0, 0, 0).
 *
 * A primitive with a NaN or infinite coordinate is skipped whole.  Parts
 * far off the image are clipped, so huge coordinates are fine.
 *
 * Determinism: the same calls give the same bytes on any x86-64 (IEEE
 * doubles, no FMA contraction: raster.c is built with -ffp-contract=off;
 * coverage is decided on integer coordinates in 1/256 pixel).
 *
 * Thread-safety: one raster belongs to one thread at a time; different
 * rasters are independent (no global state).
 */
#ifndef ABCFS_RASTER_H
#define ABCFS_RASTER_H

#include <stddef.h>
#include <stdint.h>

#define RASTER_SIZE 256     /* width and height of the image, pixels */
#define RASTER_MARGIN 8     /* pixels left free on each side of the box */
/* Pixel tests one picture may make filling faces (about a second of work);
 * faces past it are not drawn. */
#define RASTER_WORK_MAX (1ull << 30)

struct raster;

/*
 * Makes a cleared raster whose camera frames the box [lo, hi].  A box that
 * is a point, a line or flat still gives a camera.  On each axis, bounds
 * with lo > hi are swapped, a NaN or infinite bound is replaced by the
 * other one, and two such bounds by 0 (so the empty box of
 * raster_bounds_init is the point 0).
 * Returns 0, or -ENOMEM (then *out is NULL).
 */
int raster_init(struct raster **out, const double lo[3], const double hi[3]);

/* Frees r; NULL is fine. */
void raster_free(struct raster *r);

/* A triangle, flat-shaded by its normal. */
void raster_triangle(struct raster *r, const double a[3], const double b[3], const double c[3]);

/* A polygon of n points (pts holds 3n doubles, x y z each), as the fan
 * (0, i, i + 1) shaded by the polygon's one (Newell) normal.  Fewer than
 * three points draw nothing. */
void raster_polygon(struct raster *r, const double *pts, size_t n);

/* A 2 x 2 dot on the four pixels whose centres are nearest to p. */
void raster_point(struct raster *r, const double p[3]);

/* A 1-pixel line from a to b, both end pixels included. */
void raster_line(struct raster *r, const double a[3], const double b[3]);

/* The image: RASTER_SIZE * RASTER_SIZE * 4 bytes RGBA, row-major, top row
 * first.  Valid until the next drawing call or raster_free. */
const uint8_t *raster_pixels(const struct raster *r);

/*
 * The camera, for tests and tools: p in world space to (x, y, depth), x
 * and y in pixels from the top-left corner of the image (pixel (i, j)
 * covers [i, i + 1) x [j, j + 1)), depth in the same unit, smaller is
 * nearer.  raster_unproject is the inverse, up to rounding.
 */
void raster_project(const struct raster *r, const double p[3], double screen[3]);
void raster_unproject(const struct raster *r, const double screen[3], double p[3]);

/* Bounds of a stream of points: raster_bounds_init makes the empty box
 * (lo = +inf, hi = -inf), raster_bounds_add grows it by p unless p has a
 * NaN or infinite coordinate. */
void raster_bounds_init(double lo[3], double hi[3]);
void raster_bounds_add(double lo[3], double hi[3], const double p[3]);

#endif
