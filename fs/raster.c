/*
 * raster.c — the software rasteriser of `.preview/` pictures (views.md);
 * the contract is in raster.h.
 *
 * Pipeline: a world point is projected once by the fixed camera to screen
 * space (x, y in pixels, depth), in doubles and in one fixed order of
 * operations (built with -ffp-contract=off, so no FMA changes a rounding).
 * A face is cut, only when it reaches far off the image, to a guard band
 * RASTER_GUARD pixels wide around it, then snapped to integer coordinates
 * in 1/RASTER_SUB pixel; coverage is the exact sign of integer edge
 * functions at pixel centres, with the top-left rule for centres that lie
 * on an edge.  Depth comes from the same integer weights, so one face
 * always gives the same pixels and depths.
 *
 * Everything is streamed: a polygon is walked twice over the caller's
 * array (once for its normal, once for its fan) and nothing is allocated
 * but the raster itself.
 *
 * Rejected: projecting through a 4x4 matrix in float (fewer bits, and a
 * homogeneous divide an orthographic camera does not need); scanline
 * rasterisation with per-edge stepping (its rounding at shared edges is
 * what the top-left rule on integer edge functions gets exactly right).
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "raster.h"

#define RASTER_PIXELS (RASTER_SIZE * RASTER_SIZE)
#define RASTER_SUB 256          /* sub-pixel steps per pixel of snapped coordinates */
#define RASTER_GUARD 2048.0     /* pixels kept around the image before clipping */
/* A clipped triangle has at most 3 + 4 vertices (one more per clip edge). */
#define RASTER_CLIP_MAX 7

/* Faces: colour at full light, and light = ambient + diffuse * |cos|. */
static const double raster_face_rgb[3] = {190.0, 200.0, 225.0};
#define RASTER_AMBIENT 0.25
#define RASTER_DIFFUSE 0.75
/* Direction towards the light, in world space (above, a little to +X and
 * more to +Z, so the three faces of a cube seen from a corner differ). */
static const double raster_light_world[3] = {0.4, 1.0, 0.7};
/* Points and lines. */
static const uint8_t raster_mark_rgba[4] = {255, 150, 30, 255};

/* A point in screen space: x right, y down, in pixels; depth in pixels,
 * smaller is nearer. */
struct raster_vtx {
    double x, y, z;
};

struct raster {
    uint8_t rgba[RASTER_PIXELS * 4];  /* the image, row-major, top row first */
    float depth[RASTER_PIXELS];       /* depth of each pixel; +inf where nothing */
    double centre[3];                 /* world point at the image centre */
    double axis[3][3];                /* axis[k]: screen coordinate k per world unit along x, y, z */
    double scale;                     /* pixels per world unit */
    double light[3];                  /* unit direction towards the light, screen space */
    uint64_t work;                    /* pixel tests made by raster_fill so far */
};

/* Camera basis (unit vectors, world space): right = (1, 0, -1)/sqrt 2,
 * up = (-1, 2, -1)/sqrt 6 (+Y projected), towards the viewer
 * v = (1, 1, 1)/sqrt 3.  Screen x = right, y = -up, depth = -v. */
static void
raster_camera_basis(double basis[3][3])
{
    double r2 = 1.0 / sqrt(2.0), r6 = 1.0 / sqrt(6.0), r3 = 1.0 / sqrt(3.0);
    double b[3][3] = {
        {r2, 0.0, -r2},
        {r6, -2.0 * r6, r6},
        {-r3, -r3, -r3},
    };
    memcpy(basis, b, sizeof b);
}

/* One axis of a box, made sane (see raster_init in raster.h). */
static void
raster_sane_axis(double lo, double hi, double *out_lo, double *out_hi)
{
    bool lo_ok = isfinite(lo), hi_ok = isfinite(hi);
    if (!lo_ok && !hi_ok)
        lo = hi = 0.0;
    else if (!lo_ok)
        lo = hi;
    else if (!hi_ok)
        hi = lo;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    *out_lo = lo;
    *out_hi = hi;
}

static void
raster_clear(struct raster *r)
{
    memset(r->rgba, 0, sizeof r->rgba);
    for (size_t i = 0; i < RASTER_PIXELS; i++)
        r->depth[i] = INFINITY;
}

int
raster_init(struct raster **out, const double lo_in[3], const double hi_in[3])
{
    *out = NULL;
    struct raster *r = malloc(sizeof *r);
    if (r == NULL)
        return -ENOMEM;
    raster_clear(r);
    r->work = 0;

    double basis[3][3];
    raster_camera_basis(basis);
    /* Halves first, so neither the centre nor the extent can overflow. */
    double half[3];
    for (int i = 0; i < 3; i++) {
        double lo, hi;
        raster_sane_axis(lo_in[i], hi_in[i], &lo, &hi);
        r->centre[i] = lo * 0.5 + hi * 0.5;
        half[i] = hi * 0.5 - lo * 0.5;
    }
    /* The box's half extent on screen (in quarters, again against
     * overflow): its corners project within these of the centre. */
    double extent = 0.0;
    for (int k = 0; k < 2; k++) {
        double e = 0.0;
        for (int i = 0; i < 3; i++)
            e += (half[i] * 0.25) * fabs(basis[k][i]);
        if (e > extent)
            extent = e;
    }
    double usable = (RASTER_SIZE / 2 - RASTER_MARGIN) * 0.25;
    double scale = extent > 0.0 ? usable / extent : 1.0;
    if (!isfinite(scale) || scale <= 0.0)
        scale = 1.0;
    r->scale = scale;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 3; i++)
            r->axis[k][i] = basis[k][i] * scale;

    double len = 0.0;
    for (int i = 0; i < 3; i++)
        len += raster_light_world[i] * raster_light_world[i];
    len = sqrt(len);
    for (int k = 0; k < 3; k++) {
        double d = 0.0;
        for (int i = 0; i < 3; i++)
            d += basis[k][i] * (raster_light_world[i] / len);
        r->light[k] = d;
    }
    *out = r;
    return 0;
}

void
raster_free(struct raster *r)
{
    free(r);
}

const uint8_t *
raster_pixels(const struct raster *r)
{
    return r->rgba;
}

static bool
raster_finite3(const double p[3])
{
    return isfinite(p[0]) && isfinite(p[1]) && isfinite(p[2]);
}

static struct raster_vtx
raster_to_screen(const struct raster *r, const double p[3])
{
    double d[3] = {p[0] - r->centre[0], p[1] - r->centre[1], p[2] - r->centre[2]};
    double s[3];
    for (int k = 0; k < 3; k++)
        s[k] = d[0] * r->axis[k][0] + d[1] * r->axis[k][1] + d[2] * r->axis[k][2];
    return (struct raster_vtx){s[0] + RASTER_SIZE / 2, s[1] + RASTER_SIZE / 2, s[2]};
}

static bool
raster_vtx_finite(struct raster_vtx v)
{
    return isfinite(v.x) && isfinite(v.y) && isfinite(v.z);
}

void
raster_project(const struct raster *r, const double p[3], double screen[3])
{
    struct raster_vtx v = raster_to_screen(r, p);
    screen[0] = v.x;
    screen[1] = v.y;
    screen[2] = v.z;
}

void
raster_unproject(const struct raster *r, const double screen[3], double p[3])
{
    /* The basis is orthonormal, so the inverse is the transpose / scale. */
    double s[3] = {screen[0] - RASTER_SIZE / 2, screen[1] - RASTER_SIZE / 2, screen[2]};
    for (int i = 0; i < 3; i++) {
        double d = s[0] * r->axis[0][i] + s[1] * r->axis[1][i] + s[2] * r->axis[2][i];
        p[i] = r->centre[i] + d / r->scale / r->scale;
    }
}

void
raster_bounds_init(double lo[3], double hi[3])
{
    for (int i = 0; i < 3; i++) {
        lo[i] = INFINITY;
        hi[i] = -INFINITY;
    }
}

void
raster_bounds_add(double lo[3], double hi[3], const double p[3])
{
    if (!raster_finite3(p))
        return;
    for (int i = 0; i < 3; i++) {
        if (p[i] < lo[i])
            lo[i] = p[i];
        if (p[i] > hi[i])
            hi[i] = p[i];
    }
}

/* ---- pixels ---- */

/* Writes one pixel if (i, j) is on the image and depth is strictly nearer. */
static void
raster_plot(struct raster *r, long i, long j, double depth, const uint8_t rgba[4])
{
    if (i < 0 || j < 0 || i >= RASTER_SIZE || j >= RASTER_SIZE)
        return;
    size_t idx = (size_t)j * RASTER_SIZE + (size_t)i;
    /* Clamped, so that even a depth past float range beats "nothing". */
    float z = depth > FLT_MAX ? FLT_MAX : depth < -FLT_MAX ? -FLT_MAX : (float)depth;
    if (!(z < r->depth[idx]))
        return;
    r->depth[idx] = z;
    memcpy(r->rgba + idx * 4, rgba, 4);
}

/* ---- faces ---- */

/* Snapped coordinate: nearest multiple of 1/RASTER_SUB pixel.  Callers
 * keep x within the guard band, so this fits easily. */
static int64_t
raster_snap(double x)
{
    return (int64_t)floor(x * RASTER_SUB + 0.5);
}

/* Floor division for a positive divisor. */
static int64_t
raster_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* The top-left rule (y down, vertices in the order that makes the edge
 * functions positive inside): an edge owns the centres on it if it is a
 * top edge (horizontal, going right) or a left edge (going up). */
static bool
raster_top_left(int64_t dx, int64_t dy)
{
    return (dy == 0 && dx > 0) || dy < 0;
}

/* Whether v is in the guard band (give or take a pixel of rounding), so
 * that it snaps to a small integer.  False for NaN, which a cut of a
 * segment whose length overflows a double can give. */
static bool
raster_in_guard(struct raster_vtx v)
{
    double lo = -RASTER_GUARD - 1.0, hi = RASTER_SIZE + RASTER_GUARD + 1.0;
    return v.x >= lo && v.x <= hi && v.y >= lo && v.y <= hi && isfinite(v.z);
}

/* A triangle already cut to the guard band. */
static void
raster_fill(struct raster *r, struct raster_vtx v0, struct raster_vtx v1, struct raster_vtx v2,
    const uint8_t rgba[4])
{
    if (!raster_in_guard(v0) || !raster_in_guard(v1) || !raster_in_guard(v2))
        return;
    int64_t x0 = raster_snap(v0.x), y0 = raster_snap(v0.y);
    int64_t x1 = raster_snap(v1.x), y1 = raster_snap(v1.y);
    int64_t x2 = raster_snap(v2.x), y2 = raster_snap(v2.y);
    double z0 = v0.z, z1 = v1.z, z2 = v2.z;
    int64_t area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0);
    if (area == 0)
        return;
    if (area < 0) {
        int64_t tx = x1, ty = y1;
        double tz = z1;
        x1 = x2, y1 = y2, z1 = z2;
        x2 = tx, y2 = ty, z2 = tz;
        area = -area;
    }
    /* Pixels whose centres (i + 1/2, j + 1/2) can be inside. */
    int64_t min_x = x0 < x1 ? (x0 < x2 ? x0 : x2) : (x1 < x2 ? x1 : x2);
    int64_t max_x = x0 > x1 ? (x0 > x2 ? x0 : x2) : (x1 > x2 ? x1 : x2);
    int64_t min_y = y0 < y1 ? (y0 < y2 ? y0 : y2) : (y1 < y2 ? y1 : y2);
    int64_t max_y = y0 > y1 ? (y0 > y2 ? y0 : y2) : (y1 > y2 ? y1 : y2);
    int64_t half = RASTER_SUB / 2;
    int64_t i_lo = -raster_floor_div(-(min_x - half), RASTER_SUB);  /* ceil */
    int64_t i_hi = raster_floor_div(max_x - half, RASTER_SUB);
    int64_t j_lo = -raster_floor_div(-(min_y - half), RASTER_SUB);
    int64_t j_hi = raster_floor_div(max_y - half, RASTER_SUB);
    if (i_lo < 0)
        i_lo = 0;
    if (j_lo < 0)
        j_lo = 0;
    if (i_hi > RASTER_SIZE - 1)
        i_hi = RASTER_SIZE - 1;
    if (j_hi > RASTER_SIZE - 1)
        j_hi = RASTER_SIZE - 1;
    if (i_lo > i_hi || j_lo > j_hi)
        return;
    /* A bound on the work of one picture: 10^7 faces that each cover the
     * whole image would take minutes; past the budget the rest of the
     * faces are left out (the same ones every time: the picture stays
     * deterministic). */
    uint64_t box = (uint64_t)(i_hi - i_lo + 1) * (uint64_t)(j_hi - j_lo + 1);
    if (r->work + box > RASTER_WORK_MAX)
        return;
    r->work += box;

    /* w_k is the edge function of the edge opposite vertex k: twice the
     * area of (P, the edge), so w0 + w1 + w2 = area and w_k / area are the
     * barycentric weights.  A centre is inside when every w_k > 0, or
     * == 0 on an edge that owns it (bias 0 instead of 1). */
    int64_t e12x = x2 - x1, e12y = y2 - y1;
    int64_t e20x = x0 - x2, e20y = y0 - y2;
    int64_t e01x = x1 - x0, e01y = y1 - y0;
    int64_t bias0 = raster_top_left(e12x, e12y) ? 0 : 1;
    int64_t bias1 = raster_top_left(e20x, e20y) ? 0 : 1;
    int64_t bias2 = raster_top_left(e01x, e01y) ? 0 : 1;
    double inv_area = 1.0 / (double)area;
    for (int64_t j = j_lo; j <= j_hi; j++) {
        int64_t py = j * RASTER_SUB + half;
        int64_t px = i_lo * RASTER_SUB + half;
        int64_t w0 = e12x * (py - y1) - e12y * (px - x1);
        int64_t w1 = e20x * (py - y2) - e20y * (px - x2);
        int64_t w2 = e01x * (py - y0) - e01y * (px - x0);
        for (int64_t i = i_lo; i <= i_hi; i++) {
            if (w0 >= bias0 && w1 >= bias1 && w2 >= bias2) {
                double z = ((double)w0 * z0 + (double)w1 * z1 + (double)w2 * z2) * inv_area;
                raster_plot(r, (long)i, (long)j, z, rgba);
            }
            w0 -= e12y * RASTER_SUB;
            w1 -= e20y * RASTER_SUB;
            w2 -= e01y * RASTER_SUB;
        }
    }
}

/* Where the segment from a (inside) to b (outside) crosses the line where
 * coordinate `axis` (0 = x, 1 = y) equals `bound`.  Always computed from
 * the inside end, so a shared edge is cut at the same point in both
 * faces. */
static struct raster_vtx
raster_cut(struct raster_vtx a, struct raster_vtx b, int axis, double bound)
{
    double ac = axis == 0 ? a.x : a.y, bc = axis == 0 ? b.x : b.y;
    double t = (bound - ac) / (bc - ac);
    struct raster_vtx v = {a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, a.z + (b.z - a.z) * t};
    if (axis == 0)
        v.x = bound;
    else
        v.y = bound;
    return v;
}

static bool
raster_keeps(struct raster_vtx v, int plane)
{
    switch (plane) {
    case 0: return v.x >= -RASTER_GUARD;
    case 1: return v.x <= RASTER_SIZE + RASTER_GUARD;
    case 2: return v.y >= -RASTER_GUARD;
    default: return v.y <= RASTER_SIZE + RASTER_GUARD;
    }
}

/* A triangle in screen space: rejected if it misses the image, cut to the
 * guard band if it reaches past it (Sutherland–Hodgman), then filled. */
static void
raster_face(struct raster *r, struct raster_vtx a, struct raster_vtx b, struct raster_vtx c,
    const uint8_t rgba[4])
{
    if (!raster_vtx_finite(a) || !raster_vtx_finite(b) || !raster_vtx_finite(c))
        return;
    if ((a.x < 0 && b.x < 0 && c.x < 0) || (a.y < 0 && b.y < 0 && c.y < 0) ||
        (a.x > RASTER_SIZE && b.x > RASTER_SIZE && c.x > RASTER_SIZE) ||
        (a.y > RASTER_SIZE && b.y > RASTER_SIZE && c.y > RASTER_SIZE))
        return;
    struct raster_vtx poly[RASTER_CLIP_MAX] = {a, b, c};
    size_t n = 3;
    for (int plane = 0; plane < 4; plane++) {
        bool all = true;
        for (size_t k = 0; k < n; k++)
            all = all && raster_keeps(poly[k], plane);
        if (all)
            continue;
        int axis = plane < 2 ? 0 : 1;
        double bound = (plane % 2 == 0) ? -RASTER_GUARD : RASTER_SIZE + RASTER_GUARD;
        struct raster_vtx cut[RASTER_CLIP_MAX];
        size_t m = 0;
        for (size_t k = 0; k < n; k++) {
            struct raster_vtx cur = poly[k], next = poly[(k + 1) % n];
            bool cur_in = raster_keeps(cur, plane), next_in = raster_keeps(next, plane);
            if (cur_in)
                cut[m++] = cur;
            if (cur_in && !next_in)
                cut[m++] = raster_cut(cur, next, axis, bound);
            else if (!cur_in && next_in)
                cut[m++] = raster_cut(next, cur, axis, bound);
        }
        n = m;
        memcpy(poly, cut, n * sizeof *cut);
        if (n < 3)
            return;
    }
    for (size_t k = 1; k + 1 < n; k++)
        raster_fill(r, poly[0], poly[k], poly[k + 1], rgba);
}

/* The colour of a face with normal n (screen space, any length). */
static void
raster_shade(const struct raster *r, const double n[3], uint8_t rgba[4])
{
    double len = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    double cosine = 0.0;
    if (len > 0.0 && isfinite(len))
        cosine = fabs(n[0] * r->light[0] + n[1] * r->light[1] + n[2] * r->light[2]) / len;
    if (!(cosine <= 1.0))
        cosine = 1.0;
    double light = RASTER_AMBIENT + RASTER_DIFFUSE * cosine;
    for (int k = 0; k < 3; k++)
        rgba[k] = (uint8_t)floor(raster_face_rgb[k] * light + 0.5);
    rgba[3] = 255;
}

/* Adds the edge prev-cur to Newell's normal of a polygon, with the
 * coordinates taken about the polygon's first point so that the products
 * stay small. */
static void
raster_newell_add(double normal[3], struct raster_vtx first, struct raster_vtx prev,
    struct raster_vtx cur)
{
    double px = prev.x - first.x, py = prev.y - first.y, pz = prev.z - first.z;
    double cx = cur.x - first.x, cy = cur.y - first.y, cz = cur.z - first.z;
    normal[0] += (py - cy) * (pz + cz);
    normal[1] += (pz - cz) * (px + cx);
    normal[2] += (px - cx) * (py + cy);
}

/* A polygon of at most RASTER_POLY_CACHE points is projected once into
 * this many vertices on the stack; a longer one is projected again on the
 * second pass.  Both give the same doubles. */
#define RASTER_POLY_CACHE 16

void
raster_polygon(struct raster *r, const double *pts, size_t n)
{
    if (n < 3)
        return;
    for (size_t k = 0; k < n; k++)
        if (!raster_finite3(pts + 3 * k))
            return;
    struct raster_vtx cache[RASTER_POLY_CACHE];
    bool cached = n <= RASTER_POLY_CACHE;
    if (cached)
        for (size_t k = 0; k < n; k++)
            cache[k] = raster_to_screen(r, pts + 3 * k);

    struct raster_vtx first = cached ? cache[0] : raster_to_screen(r, pts);
    struct raster_vtx prev = cached ? cache[n - 1] : raster_to_screen(r, pts + 3 * (n - 1));
    double normal[3] = {0.0, 0.0, 0.0};
    for (size_t k = 0; k < n; k++) {
        struct raster_vtx cur = cached ? cache[k] : raster_to_screen(r, pts + 3 * k);
        raster_newell_add(normal, first, prev, cur);
        prev = cur;
    }
    uint8_t rgba[4];
    raster_shade(r, normal, rgba);

    struct raster_vtx b = cached ? cache[1] : raster_to_screen(r, pts + 3);
    for (size_t k = 2; k < n; k++) {
        struct raster_vtx c = cached ? cache[k] : raster_to_screen(r, pts + 3 * k);
        raster_face(r, first, b, c, rgba);
        b = c;
    }
}

void
raster_triangle(struct raster *r, const double a[3], const double b[3], const double c[3])
{
    double pts[9] = {a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2]};
    raster_polygon(r, pts, 3);
}

/* ---- points and lines ---- */

void
raster_point(struct raster *r, const double p[3])
{
    if (!raster_finite3(p))
        return;
    struct raster_vtx v = raster_to_screen(r, p);
    if (!raster_vtx_finite(v) || v.x < -2.0 || v.y < -2.0 ||
        v.x > RASTER_SIZE + 2.0 || v.y > RASTER_SIZE + 2.0)
        return;
    /* The 2 x 2 block of centres around p: pixels i0, i0 + 1 have
     * centres i0 + 1/2 <= x < i0 + 3/2. */
    long i0 = (long)floor(v.x - 0.5), j0 = (long)floor(v.y - 0.5);
    for (long j = j0; j <= j0 + 1; j++)
        for (long i = i0; i <= i0 + 1; i++)
            raster_plot(r, i, j, v.z, raster_mark_rgba);
}

/* Cuts the segment a-b to the image plus one pixel (Liang–Barsky).
 * Returns false if nothing of it is left. */
static bool
raster_clip_segment(struct raster_vtx *a, struct raster_vtx *b)
{
    double lo = -1.0, hi = RASTER_SIZE + 1.0;
    double t0 = 0.0, t1 = 1.0;
    double d[2] = {b->x - a->x, b->y - a->y};
    double s[2] = {a->x, a->y};
    for (int axis = 0; axis < 2; axis++) {
        if (d[axis] == 0.0) {
            if (s[axis] < lo || s[axis] > hi)
                return false;
            continue;
        }
        double ta = (lo - s[axis]) / d[axis], tb = (hi - s[axis]) / d[axis];
        if (ta > tb) {
            double t = ta;
            ta = tb;
            tb = t;
        }
        if (ta > t0)
            t0 = ta;
        if (tb < t1)
            t1 = tb;
        if (t0 > t1)
            return false;
    }
    struct raster_vtx o = *a, e = *b;
    if (t0 > 0.0)
        *a = (struct raster_vtx){o.x + (e.x - o.x) * t0, o.y + (e.y - o.y) * t0, o.z + (e.z - o.z) * t0};
    if (t1 < 1.0)
        *b = (struct raster_vtx){o.x + (e.x - o.x) * t1, o.y + (e.y - o.y) * t1, o.z + (e.z - o.z) * t1};
    /* A segment whose length overflows a double cuts to NaN: drop it. */
    return a->x >= lo - 1.0 && a->x <= hi + 1.0 && a->y >= lo - 1.0 && a->y <= hi + 1.0 &&
           b->x >= lo - 1.0 && b->x <= hi + 1.0 && b->y >= lo - 1.0 && b->y <= hi + 1.0 &&
           isfinite(a->z) && isfinite(b->z);
}

void
raster_line(struct raster *r, const double pa[3], const double pb[3])
{
    if (!raster_finite3(pa) || !raster_finite3(pb))
        return;
    struct raster_vtx a = raster_to_screen(r, pa), b = raster_to_screen(r, pb);
    if (!raster_vtx_finite(a) || !raster_vtx_finite(b))
        return;
    /* One order for both directions, so a-b and b-a draw the same. */
    if (b.x < a.x || (b.x == a.x && (b.y < a.y || (b.y == a.y && b.z < a.z)))) {
        struct raster_vtx t = a;
        a = b;
        b = t;
    }
    if (!raster_clip_segment(&a, &b))
        return;
    /* Bresenham between the pixels holding the two ends. */
    long i = (long)floor(a.x), j = (long)floor(a.y);
    long i_end = (long)floor(b.x), j_end = (long)floor(b.y);
    long dx = labs(i_end - i), dy = -labs(j_end - j);
    long sx = i < i_end ? 1 : -1, sy = j < j_end ? 1 : -1;
    long steps = dx > -dy ? dx : -dy;
    long err = dx + dy;
    for (long k = 0;; k++) {
        double t = steps > 0 ? (double)k / (double)steps : 0.0;
        raster_plot(r, i, j, a.z + (b.z - a.z) * t, raster_mark_rgba);
        if (i == i_end && j == j_end)
            break;
        long e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            i += sx;
        }
        if (e2 <= dx) {
            err += dx;
            j += sy;
        }
    }
}
