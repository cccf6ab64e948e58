/*
 * test_raster.c — fs/raster.c, the rasteriser of `.preview/` pictures
 * (views.md): the camera fit, triangle coverage against an independent
 * pixel-centre test, the top-left rule on shared edges, depth order,
 * points, lines, degenerate and hostile input, and determinism.  No
 * archive, no kernel.
 *
 * Triangles are placed on the image by raster_unproject: the test picks
 * screen positions and lets the camera find the world points.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"
#include "raster.h"

#define N RASTER_SIZE

static const double unit_lo[3] = {-1.0, -1.0, -1.0};
static const double unit_hi[3] = {1.0, 1.0, 1.0};

static struct raster *
new_raster(const double lo[3], const double hi[3])
{
    struct raster *r = NULL;
    assert_int_equal(raster_init(&r, lo, hi), 0);
    assert_non_null(r);
    return r;
}

static const uint8_t *
pixel(const struct raster *r, int i, int j)
{
    return raster_pixels(r) + ((size_t)j * N + (size_t)i) * 4;
}

static int
count_drawn(const struct raster *r)
{
    int n = 0;
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++)
            n += pixel(r, i, j)[3] != 0;
    return n;
}

/* A triangle given by screen positions (x, y, depth). */
static void
screen_triangle(struct raster *r, const double s0[3], const double s1[3], const double s2[3])
{
    double a[3], b[3], c[3];
    raster_unproject(r, s0, a);
    raster_unproject(r, s1, b);
    raster_unproject(r, s2, c);
    raster_triangle(r, a, b, c);
}

/* Signed distance of (px, py) from the line a-b, positive on the left. */
static double
edge_distance(const double a[3], const double b[3], double px, double py)
{
    double dx = b[0] - a[0], dy = b[1] - a[1];
    return ((px - a[0]) * dy - (py - a[1]) * dx) / sqrt(dx * dx + dy * dy);
}

/*
 * The independent coverage test: a pixel is inside when its centre is on
 * the inner side of all three edges.  Centres within `margin` of an edge
 * are undecided (-1): there the rasteriser's snapping and tie rule decide.
 */
static int
expect_inside(const double s0[3], const double s1[3], const double s2[3], int i, int j, double margin)
{
    double px = i + 0.5, py = j + 0.5;
    double d0 = edge_distance(s0, s1, px, py), d1 = edge_distance(s1, s2, px, py);
    double d2 = edge_distance(s2, s0, px, py);
    double orient = edge_distance(s0, s1, s2[0], s2[1]) > 0 ? 1.0 : -1.0;
    d0 *= orient, d1 *= orient, d2 *= orient;
    if (d0 < -margin || d1 < -margin || d2 < -margin)
        return 0;
    if (d0 > margin && d1 > margin && d2 > margin)
        return 1;
    return -1;
}

/* ---- camera ---- */

static void
check_fits(const double lo[3], const double hi[3])
{
    struct raster *r = new_raster(lo, hi);
    double min_x = INFINITY, max_x = -INFINITY, min_y = INFINITY, max_y = -INFINITY;
    for (int k = 0; k < 8; k++) {
        double p[3] = {(k & 1) ? hi[0] : lo[0], (k & 2) ? hi[1] : lo[1], (k & 4) ? hi[2] : lo[2]};
        double s[3];
        raster_project(r, p, s);
        min_x = fmin(min_x, s[0]), max_x = fmax(max_x, s[0]);
        min_y = fmin(min_y, s[1]), max_y = fmax(max_y, s[1]);
    }
    double tol = 1e-9;
    assert_true(min_x >= RASTER_MARGIN - tol && max_x <= N - RASTER_MARGIN + tol);
    assert_true(min_y >= RASTER_MARGIN - tol && max_y <= N - RASTER_MARGIN + tol);
    /* The longer side of the projected box touches the margins. */
    double longest = fmax(max_x - min_x, max_y - min_y);
    assert_true(fabs(longest - (N - 2 * RASTER_MARGIN)) < 1e-6);
    /* And the box is centred. */
    assert_true(fabs((min_x + max_x) / 2 - N / 2) < 1e-6);
    assert_true(fabs((min_y + max_y) / 2 - N / 2) < 1e-6);
    raster_free(r);
}

static void
test_raster_camera_fits_box(void **state)
{
    (void)state;
    check_fits(unit_lo, unit_hi);
    check_fits((double[3]){0, 0, 0}, (double[3]){10, 1, 1});
    check_fits((double[3]){-5, 100, 3}, (double[3]){-4, 300, 3.5});
    check_fits((double[3]){1e-6, 1e-6, 1e-6}, (double[3]){2e-6, 3e-6, 1e-6});
    check_fits((double[3]){-1e30, -1e30, -1e30}, (double[3]){1e30, 2e30, 1e30});
    /* A line along X and a flat box still fit. */
    check_fits((double[3]){0, 0, 0}, (double[3]){10, 0, 0});
    check_fits((double[3]){0, 0, 0}, (double[3]){10, 0, 10});
}

static void
test_raster_camera_orientation(void **state)
{
    (void)state;
    struct raster *r = new_raster(unit_lo, unit_hi);
    double o[3], x[3], y[3], z[3], s[3];
    raster_project(r, (double[3]){0, 0, 0}, o);
    assert_true(fabs(o[0] - N / 2) < 1e-9 && fabs(o[1] - N / 2) < 1e-9);
    raster_project(r, (double[3]){1, 0, 0}, x);
    raster_project(r, (double[3]){0, 1, 0}, y);
    raster_project(r, (double[3]){0, 0, 1}, z);
    /* +Y straight up, +X to the lower right, +Z to the lower left. */
    assert_true(fabs(y[0] - o[0]) < 1e-9 && y[1] < o[1]);
    assert_true(x[0] > o[0] && x[1] > o[1]);
    assert_true(z[0] < o[0] && z[1] > o[1]);
    /* Seen from (+1, +1, +1): that way is nearer (smaller depth). */
    raster_project(r, (double[3]){1, 1, 1}, s);
    assert_true(s[2] < o[2]);
    assert_true(fabs(s[0] - o[0]) < 1e-9 && fabs(s[1] - o[1]) < 1e-9);
    /* unproject inverts project. */
    double back[3];
    raster_unproject(r, (double[3]){10.25, 200.5, -3.0}, back);
    raster_project(r, back, s);
    assert_true(fabs(s[0] - 10.25) < 1e-9 && fabs(s[1] - 200.5) < 1e-9 && fabs(s[2] + 3.0) < 1e-9);
    raster_free(r);
}

static void
test_raster_camera_degenerate_box(void **state)
{
    (void)state;
    double lo[3], hi[3];
    const double nan = NAN, inf = INFINITY;
    const double boxes[][2][3] = {
        {{5, 5, 5}, {5, 5, 5}},                /* a point */
        {{nan, nan, nan}, {nan, nan, nan}},
        {{inf, inf, inf}, {-inf, -inf, -inf}}, /* the empty box */
        {{0, nan, 0}, {1, 1, inf}},
        {{3, 3, 3}, {1, 1, 1}},                /* lo > hi: swapped */
        {{-1.7e308, -1.7e308, -1.7e308}, {1.7e308, 1.7e308, 1.7e308}},
    };
    for (size_t k = 0; k < sizeof boxes / sizeof boxes[0]; k++) {
        struct raster *r = new_raster(boxes[k][0], boxes[k][1]);
        double s[3];
        /* A finite point projects to a finite place, and drawing works. */
        raster_project(r, (double[3]){1, 1, 1}, s);
        assert_true(isfinite(s[0]) && isfinite(s[1]) && isfinite(s[2]));
        raster_point(r, (double[3]){1, 1, 1});
        raster_triangle(r, (double[3]){0, 0, 0}, (double[3]){1, 0, 0}, (double[3]){0, 1, 0});
        raster_free(r);
    }
    /* The point box puts its point at the centre. */
    struct raster *r = new_raster(boxes[0][0], boxes[0][1]);
    raster_point(r, (double[3]){5, 5, 5});
    assert_int_equal(count_drawn(r), 4);
    assert_int_not_equal(pixel(r, 127, 127)[3], 0);
    assert_int_not_equal(pixel(r, 128, 128)[3], 0);
    raster_free(r);

    raster_bounds_init(lo, hi);
    raster_bounds_add(lo, hi, (double[3]){1, 2, 3});
    raster_bounds_add(lo, hi, (double[3]){nan, 100, 100});
    raster_bounds_add(lo, hi, (double[3]){-inf, 100, 100});
    raster_bounds_add(lo, hi, (double[3]){-1, 5, 0});
    assert_true(lo[0] == -1 && lo[1] == 2 && lo[2] == 0);
    assert_true(hi[0] == 1 && hi[1] == 5 && hi[2] == 3);
}

/* ---- coverage ---- */

static void
test_raster_empty_is_transparent(void **state)
{
    (void)state;
    struct raster *r = new_raster(unit_lo, unit_hi);
    const uint8_t *px = raster_pixels(r);
    for (size_t k = 0; k < (size_t)N * N * 4; k++)
        assert_int_equal(px[k], 0);
    raster_free(r);
}

static void
check_triangle_coverage(const double s0[3], const double s1[3], const double s2[3])
{
    struct raster *r = new_raster(unit_lo, unit_hi);
    screen_triangle(r, s0, s1, s2);
    int inside = 0, undecided = 0;
    const uint8_t *colour = NULL;
    for (int j = 0; j < N; j++) {
        for (int i = 0; i < N; i++) {
            const uint8_t *p = pixel(r, i, j);
            int want = expect_inside(s0, s1, s2, i, j, 0.01);
            if (want < 0) {
                undecided++;
                continue;
            }
            if (want != (p[3] != 0))
                fail_msg("pixel (%d, %d): want %d, drawn alpha %d", i, j, want, p[3]);
            if (want) {
                inside++;
                assert_int_equal(p[3], 255);
                if (colour == NULL)
                    colour = p;
                assert_memory_equal(p, colour, 4);   /* flat shading */
            }
        }
    }
    /* The undecided band is 0.02 px wide: about 0.02 centres per pixel of
     * perimeter. */
    double perimeter = hypot(s1[0] - s0[0], s1[1] - s0[1]) + hypot(s2[0] - s1[0], s2[1] - s1[1]) +
                       hypot(s0[0] - s2[0], s0[1] - s2[1]);
    assert_true(inside > 100);
    assert_true(undecided < 0.05 * perimeter + 4);
    raster_free(r);
}

static void
test_raster_triangle_covers_pixel_centres(void **state)
{
    (void)state;
    /* Both windings, a thin one, one in depth, one partly off the image. */
    check_triangle_coverage((double[3]){30.3, 40.7, 0}, (double[3]){200.1, 60.2, 0},
        (double[3]){90.6, 220.9, 0});
    check_triangle_coverage((double[3]){30.3, 40.7, 0}, (double[3]){90.6, 220.9, 0},
        (double[3]){200.1, 60.2, 0});
    check_triangle_coverage((double[3]){10.1, 10.2, 0}, (double[3]){245.3, 30.4, 0},
        (double[3]){12.9, 14.6, 0});
    check_triangle_coverage((double[3]){50.2, 30.1, -40}, (double[3]){180.7, 90.3, 25},
        (double[3]){70.4, 170.8, 3});
    check_triangle_coverage((double[3]){-70.2, -30.1, 0}, (double[3]){300.7, 90.3, 0},
        (double[3]){70.4, 370.8, 0});
}

/* A world-space triangle: the expected coverage comes from its projection. */
static void
test_raster_world_triangle_coverage(void **state)
{
    (void)state;
    struct raster *r = new_raster(unit_lo, unit_hi);
    double a[3] = {0.9, -0.3, -0.8}, b[3] = {-0.7, 0.8, 0.1}, c[3] = {0.2, 0.1, 0.95};
    double sa[3], sb[3], sc[3];
    raster_project(r, a, sa);
    raster_project(r, b, sb);
    raster_project(r, c, sc);
    raster_free(r);
    check_triangle_coverage(sa, sb, sc);
}

/* A square split on its diagonal, every edge through pixel centres: the
 * top-left rule keeps the top and left edges and the diagonal once. */
static void
test_raster_shared_edge_no_gap_no_overlap(void **state)
{
    (void)state;
    const double p00[3] = {20.5, 20.5, 0}, p10[3] = {120.5, 20.5, 0};
    const double p11[3] = {120.5, 120.5, 0}, p01[3] = {20.5, 120.5, 0};
    struct raster *ra = new_raster(unit_lo, unit_hi);
    struct raster *rb = new_raster(unit_lo, unit_hi);
    struct raster *both = new_raster(unit_lo, unit_hi);
    screen_triangle(ra, p00, p10, p11);
    screen_triangle(rb, p00, p11, p01);
    screen_triangle(both, p00, p10, p11);
    screen_triangle(both, p00, p11, p01);
    for (int j = 0; j < N; j++) {
        for (int i = 0; i < N; i++) {
            int in_a = pixel(ra, i, j)[3] != 0, in_b = pixel(rb, i, j)[3] != 0;
            int want = i >= 20 && i < 120 && j >= 20 && j < 120;
            if (in_a && in_b)
                fail_msg("pixel (%d, %d) drawn by both triangles", i, j);
            if ((in_a || in_b) != want || (pixel(both, i, j)[3] != 0) != want)
                fail_msg("pixel (%d, %d): want %d, a %d, b %d", i, j, want, in_a, in_b);
            /* The diagonal belongs to exactly one side. */
            if (i == j && want)
                assert_true(in_a != in_b);
        }
    }
    assert_int_equal(count_drawn(both), 100 * 100);
    raster_free(ra);
    raster_free(rb);
    raster_free(both);
}

/* A closed fan around a pixel centre with slanted edges through centres:
 * every pixel inside is drawn by exactly one triangle. */
static void
test_raster_fan_covers_once(void **state)
{
    (void)state;
    const double centre[3] = {128.5, 128.5, 0};
    const double ring[][3] = {
        {228.5, 138.5, 0}, {178.5, 218.5, 0}, {98.5, 233.5, 0}, {28.5, 158.5, 0},
        {38.5, 68.5, 0}, {118.5, 18.5, 0}, {208.5, 48.5, 0},
    };
    size_t n_ring = sizeof ring / sizeof ring[0];
    static int count[N][N];
    memset(count, 0, sizeof count);
    /* World points once, so shared vertices are the same doubles. */
    struct raster *cam = new_raster(unit_lo, unit_hi);
    double wc[3], w[7][3];
    raster_unproject(cam, centre, wc);
    for (size_t k = 0; k < n_ring; k++)
        raster_unproject(cam, ring[k], w[k]);
    raster_free(cam);
    for (size_t k = 0; k < n_ring; k++) {
        struct raster *r = new_raster(unit_lo, unit_hi);
        raster_triangle(r, wc, w[k], w[(k + 1) % n_ring]);
        for (int j = 0; j < N; j++)
            for (int i = 0; i < N; i++)
                count[j][i] += pixel(r, i, j)[3] != 0;
        raster_free(r);
    }
    int inside = 0;
    for (int j = 0; j < N; j++) {
        for (int i = 0; i < N; i++) {
            if (count[j][i] > 1)
                fail_msg("pixel (%d, %d) drawn %d times", i, j, count[j][i]);
            /* Inside the outer polygon, away from its boundary. */
            int in = 1;
            double px = i + 0.5, py = j + 0.5;
            for (size_t k = 0; k < n_ring; k++)
                if (edge_distance(ring[k], ring[(k + 1) % n_ring], px, py) > -0.01)
                    in = 0;   /* the ring runs clockwise on screen: inside is negative */
            if (in) {
                inside++;
                if (count[j][i] != 1)
                    fail_msg("pixel (%d, %d) inside the fan drawn %d times", i, j, count[j][i]);
            }
        }
    }
    assert_true(inside > 20000);
}

/* raster_polygon draws the fan of its points. */
static void
test_raster_polygon_is_fan(void **state)
{
    (void)state;
    struct raster *cam = new_raster(unit_lo, unit_hi);
    const double s[5][3] = {
        {60.3, 40.2, 0}, {190.6, 50.1, 0}, {220.2, 150.7, 0}, {120.9, 230.4, 0}, {30.8, 140.3, 0},
    };
    double w[15];
    for (int k = 0; k < 5; k++)
        raster_unproject(cam, s[k], w + 3 * k);
    raster_free(cam);
    struct raster *poly = new_raster(unit_lo, unit_hi);
    struct raster *tris = new_raster(unit_lo, unit_hi);
    raster_polygon(poly, w, 5);
    for (int k = 1; k < 4; k++)
        raster_triangle(tris, w, w + 3 * k, w + 3 * (k + 1));
    /* Same pixels; the polygon is one flat colour, and a planar polygon's
     * colour is its triangles' colour. */
    assert_memory_equal(raster_pixels(poly), raster_pixels(tris), (size_t)N * N * 4);
    assert_true(count_drawn(poly) > 20000);
    /* Fewer than three points, or one bad point, draw nothing. */
    struct raster *r = new_raster(unit_lo, unit_hi);
    raster_polygon(r, w, 2);
    raster_polygon(r, w, 0);
    w[7] = NAN;
    raster_polygon(r, w, 5);
    assert_int_equal(count_drawn(r), 0);
    raster_free(r);
    raster_free(poly);
    raster_free(tris);
}

/* ---- depth ---- */

static void
draw_depth_pair(struct raster *r, int near_first)
{
    /* Near: parallel to the screen at depth -50.  Far: tilted, depth
     * 20..60, so its normal (and colour) differs. */
    const double n0[3] = {40.5, 40.5, -50}, n1[3] = {160.5, 40.5, -50}, n2[3] = {40.5, 160.5, -50};
    const double f0[3] = {80.5, 80.5, 20}, f1[3] = {220.5, 90.5, 60}, f2[3] = {90.5, 220.5, 40};
    for (int k = 0; k < 2; k++) {
        if ((k == 0) == near_first)
            screen_triangle(r, n0, n1, n2);
        else
            screen_triangle(r, f0, f1, f2);
    }
}

static void
test_raster_depth_nearer_wins(void **state)
{
    (void)state;
    struct raster *a = new_raster(unit_lo, unit_hi);
    struct raster *b = new_raster(unit_lo, unit_hi);
    struct raster *near_only = new_raster(unit_lo, unit_hi);
    draw_depth_pair(a, 1);
    draw_depth_pair(b, 0);
    screen_triangle(near_only, (double[3]){40.5, 40.5, -50}, (double[3]){160.5, 40.5, -50},
        (double[3]){40.5, 160.5, -50});
    assert_memory_equal(raster_pixels(a), raster_pixels(b), (size_t)N * N * 4);
    /* (90, 90) is in both; the near colour shows. */
    assert_memory_equal(pixel(a, 90, 90), pixel(near_only, 90, 90), 4);
    /* (150, 150) is only in the far one, whose colour differs. */
    assert_int_equal(pixel(a, 150, 150)[3], 255);
    assert_memory_not_equal(pixel(a, 150, 150), pixel(a, 90, 90), 4);
    raster_free(a);
    raster_free(b);
    raster_free(near_only);
}

/* Points and lines are depth-tested against faces too. */
static void
test_raster_depth_marks(void **state)
{
    (void)state;
    struct raster *r = new_raster(unit_lo, unit_hi);
    screen_triangle(r, (double[3]){20.5, 20.5, 0}, (double[3]){200.5, 20.5, 0},
        (double[3]){20.5, 200.5, 0});
    uint8_t face[4];
    memcpy(face, pixel(r, 50, 50), 4);
    double behind[3], front[3], la[3], lb[3];
    raster_unproject(r, (double[3]){50.5, 50.5, 10}, behind);
    raster_unproject(r, (double[3]){80.5, 80.5, -10}, front);
    raster_point(r, behind);
    raster_point(r, front);
    assert_memory_equal(pixel(r, 50, 50), face, 4);
    assert_memory_not_equal(pixel(r, 80, 80), face, 4);
    /* A line from behind the face to in front of it: hidden, then shown. */
    raster_unproject(r, (double[3]){30.5, 100.5, 10}, la);
    raster_unproject(r, (double[3]){130.5, 100.5, -10}, lb);
    raster_line(r, la, lb);
    assert_memory_equal(pixel(r, 40, 100), face, 4);     /* depth 8 */
    assert_memory_not_equal(pixel(r, 110, 100), face, 4);  /* depth -6 */
    raster_free(r);
}

/* ---- points and lines ---- */

static void
test_raster_point_is_2x2(void **state)
{
    (void)state;
    struct raster *r = new_raster(unit_lo, unit_hi);
    double p[3];
    raster_unproject(r, (double[3]){100.7, 50.2, 0}, p);
    raster_point(r, p);
    assert_int_equal(count_drawn(r), 4);
    for (int j = 49; j <= 50; j++)
        for (int i = 100; i <= 101; i++)
            assert_int_equal(pixel(r, i, j)[3], 255);
    const uint8_t *mark = pixel(r, 100, 49);
    /* At the corner only one pixel of the dot is on the image; far off,
     * none. */
    struct raster *corner = new_raster(unit_lo, unit_hi);
    raster_unproject(corner, (double[3]){0.2, 0.3, 0}, p);
    raster_point(corner, p);
    assert_int_equal(count_drawn(corner), 1);
    assert_memory_equal(pixel(corner, 0, 0), mark, 4);
    raster_unproject(corner, (double[3]){-5, 100, 0}, p);
    raster_point(corner, p);
    raster_unproject(corner, (double[3]){100, 1e9, 0}, p);
    raster_point(corner, p);
    assert_int_equal(count_drawn(corner), 1);
    raster_free(corner);
    raster_free(r);
}

static void
test_raster_line_is_one_pixel(void **state)
{
    (void)state;
    struct raster *r = new_raster(unit_lo, unit_hi);
    double a[3], b[3];
    raster_unproject(r, (double[3]){10.5, 20.5, 0}, a);
    raster_unproject(r, (double[3]){100.5, 50.5, 0}, b);
    raster_line(r, a, b);
    /* x-major: one pixel per column 10..100, rows rising by at most one,
     * both ends drawn. */
    assert_int_equal(count_drawn(r), 91);
    int last_row = -1;
    for (int i = 10; i <= 100; i++) {
        int rows = 0, row = -1;
        for (int j = 0; j < N; j++)
            if (pixel(r, i, j)[3] != 0)
                rows++, row = j;
        assert_int_equal(rows, 1);
        if (last_row >= 0)
            assert_true(row == last_row || row == last_row + 1);
        last_row = row;
    }
    assert_int_not_equal(pixel(r, 10, 20)[3], 0);
    assert_int_not_equal(pixel(r, 100, 50)[3], 0);
    /* Drawn the other way: the same pixels. */
    struct raster *back = new_raster(unit_lo, unit_hi);
    raster_line(back, b, a);
    assert_memory_equal(raster_pixels(r), raster_pixels(back), (size_t)N * N * 4);
    raster_free(back);
    raster_free(r);

    /* Vertical, and a horizontal one far past both sides of the image. */
    r = new_raster(unit_lo, unit_hi);
    raster_unproject(r, (double[3]){30.5, 10.5, 0}, a);
    raster_unproject(r, (double[3]){30.5, 60.5, 0}, b);
    raster_line(r, a, b);
    assert_int_equal(count_drawn(r), 51);
    for (int j = 10; j <= 60; j++)
        assert_int_not_equal(pixel(r, 30, j)[3], 0);
    raster_free(r);
    r = new_raster(unit_lo, unit_hi);
    raster_unproject(r, (double[3]){-1e6, 128.5, 0}, a);
    raster_unproject(r, (double[3]){1e6, 128.5, 0}, b);
    raster_line(r, a, b);
    assert_int_equal(count_drawn(r), N);
    for (int i = 0; i < N; i++)
        assert_int_not_equal(pixel(r, i, 128)[3], 0);
    /* A line of one point draws one pixel. */
    struct raster *dot = new_raster(unit_lo, unit_hi);
    raster_line(dot, a, a);
    raster_unproject(dot, (double[3]){7.5, 9.5, 0}, a);
    raster_line(dot, a, a);
    assert_int_equal(count_drawn(dot), 1);
    raster_free(dot);
    raster_free(r);
}

/* ---- degenerate and hostile input ---- */

static void
test_raster_degenerate_draws_nothing(void **state)
{
    (void)state;
    struct raster *r = new_raster(unit_lo, unit_hi);
    const double nan = NAN, inf = INFINITY;
    double p[3] = {0.1, 0.2, 0.3}, q[3] = {0.5, 0.5, 0.5};
    double collinear[3] = {0.3, 0.35, 0.4};   /* on the segment p-q */
    raster_triangle(r, p, p, p);
    raster_triangle(r, p, q, collinear);
    raster_triangle(r, p, q, q);
    /* Edge-on to the camera: a triangle containing the view direction. */
    raster_triangle(r, (double[3]){0, 0, 0}, (double[3]){1, 1, 1}, (double[3]){0.5, -0.5, 0});
    assert_int_equal(count_drawn(r), 0);
    const double bad[][3] = {
        {nan, 0, 0}, {0, nan, 0}, {0, 0, nan}, {inf, 0, 0}, {0, -inf, 0}, {0, 0, inf},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        raster_triangle(r, bad[k], p, q);
        raster_triangle(r, (double[3]){-1, -1, 0}, bad[k], (double[3]){1, -1, 0});
        raster_triangle(r, (double[3]){-1, -1, 0}, (double[3]){1, 1, 0}, bad[k]);
        raster_point(r, bad[k]);
        raster_line(r, bad[k], p);
        raster_line(r, p, bad[k]);
        double poly[12] = {-1, -1, 0, 1, -1, 0, 1, 1, 0, 0, 0, 0};
        memcpy(poly + 9, bad[k], sizeof bad[k]);
        raster_polygon(r, poly, 4);
    }
    assert_int_equal(count_drawn(r), 0);
    /* Finite input that projects past double range is skipped as well. */
    double huge[3] = {1.7e308, 1.7e308, -1.7e308};
    raster_triangle(r, huge, p, q);
    raster_point(r, huge);
    raster_line(r, huge, p);
    assert_int_equal(count_drawn(r), 0);
    raster_free(r);

    /* Screen positions near +-1e308: finite, but their differences
     * overflow.  Skipped or drawn, never a NaN turned into a pixel index
     * (UBSan and the image check). */
    r = new_raster(unit_lo, unit_hi);
    const double far_l[3] = {-2e306, 0, 0}, far_r[3] = {2e306, 0, 0}, far_u[3] = {0, 2e306, 0};
    double s_l[3], s_r[3];
    raster_project(r, far_l, s_l);
    raster_project(r, far_r, s_r);
    assert_true(isfinite(s_l[0]) && isfinite(s_r[0]) && !isfinite(s_r[0] - s_l[0]));
    raster_triangle(r, far_l, far_r, far_u);
    raster_line(r, far_l, far_r);
    raster_line(r, far_u, far_r);
    double quad[12] = {-2e306, 0, -2e306, 2e306, 0, -2e306, 2e306, 0, 2e306, -2e306, 0, 2e306};
    raster_polygon(r, quad, 4);
    const uint8_t *px = raster_pixels(r);
    for (size_t k = 0; k < (size_t)N * N; k++)
        assert_true(px[4 * k + 3] == 0 || px[4 * k + 3] == 255);
    raster_free(r);

    /* Depth past float range, in front of or behind the box, still draws
     * on an empty image. */
    const double deep[3] = {-1e300, -1e300, -1e300}, shallow[3] = {1e300, 1e300, 1e300};
    for (int k = 0; k < 2; k++) {
        r = new_raster(unit_lo, unit_hi);
        double s[3];
        raster_project(r, k ? deep : shallow, s);
        assert_true(fabs(s[2]) > 1e300);
        raster_point(r, k ? deep : shallow);
        assert_int_equal(count_drawn(r), 4);
        raster_free(r);
    }
}

/* Geometry of size 1e30 with its own bounds: a big face and a tiny one. */
static void
test_raster_huge_coordinates(void **state)
{
    (void)state;
    const double a[3] = {-1e30, 0, 0}, b[3] = {1e30, 0, 1e30}, c[3] = {0, 1e30, -1e30};
    const double t0[3] = {0, 0, 0}, t1[3] = {1, 0, 0}, t2[3] = {0, 1, 0};
    double lo[3], hi[3];
    raster_bounds_init(lo, hi);
    raster_bounds_add(lo, hi, a);
    raster_bounds_add(lo, hi, b);
    raster_bounds_add(lo, hi, c);
    struct raster *r = new_raster(lo, hi);
    raster_triangle(r, a, b, c);
    raster_triangle(r, t0, t1, t2);
    raster_point(r, b);
    raster_line(r, a, c);
    int drawn = count_drawn(r);
    assert_true(drawn > 1000);
    /* Everything inside the margin (a dot may reach one pixel past it). */
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++)
            if (pixel(r, i, j)[3] != 0)
                assert_true(i >= RASTER_MARGIN - 1 && i <= N - RASTER_MARGIN &&
                            j >= RASTER_MARGIN - 1 && j <= N - RASTER_MARGIN);
    raster_free(r);

    /* A face of 1e30 around a unit box covers the whole image (clipped to
     * the guard band, no overflow). */
    r = new_raster(unit_lo, unit_hi);
    screen_triangle(r, (double[3]){-1e30, -1e30, 0}, (double[3]){3e30, -1e30, 0},
        (double[3]){-1e30, 3e30, 0});
    assert_int_equal(count_drawn(r), N * N);
    for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++)
            assert_memory_equal(pixel(r, i, j), pixel(r, 0, 0), 4);
    raster_free(r);
}

/* ---- determinism ---- */

static void
draw_scene(struct raster *r)
{
    for (int i = 0; i < 24; i++) {
        double t0 = 3.14159265358979 * i / 24, t1 = 3.14159265358979 * (i + 1) / 24;
        for (int j = 0; j < 32; j++) {
            double p0 = 6.28318530717959 * j / 32, p1 = 6.28318530717959 * (j + 1) / 32;
            double a[3] = {sin(t0) * cos(p0), cos(t0), sin(t0) * sin(p0)};
            double b[3] = {sin(t0) * cos(p1), cos(t0), sin(t0) * sin(p1)};
            double c[3] = {sin(t1) * cos(p1), cos(t1), sin(t1) * sin(p1)};
            double d[3] = {sin(t1) * cos(p0), cos(t1), sin(t1) * sin(p0)};
            double quad[12];
            memcpy(quad, a, sizeof a);
            memcpy(quad + 3, b, sizeof b);
            memcpy(quad + 6, c, sizeof c);
            memcpy(quad + 9, d, sizeof d);
            if ((i + j) % 2)
                raster_polygon(r, quad, 4);
            else
                raster_triangle(r, a, b, c), raster_triangle(r, a, c, d);
        }
    }
    double prev[3] = {1.3, -1, 0};
    for (int k = 1; k <= 200; k++) {
        double p[3] = {1.3 * cos(k * 0.1), -1 + k * 0.01, 1.3 * sin(k * 0.1)};
        raster_line(r, prev, p);
        raster_point(r, (double[3]){p[0] * 0.5, p[1] + 0.3, -p[2] * 0.5});
        memcpy(prev, p, sizeof p);
    }
}

static void
test_raster_deterministic(void **state)
{
    (void)state;
    const double lo[3] = {-1.4, -1.2, -1.4}, hi[3] = {1.4, 1.2, 1.4};
    struct raster *a = new_raster(lo, hi);
    struct raster *b = new_raster(lo, hi);
    draw_scene(a);
    draw_scene(b);
    assert_memory_equal(raster_pixels(a), raster_pixels(b), (size_t)N * N * 4);
    assert_true(count_drawn(a) > 10000);
    /*
     * The same bytes on every x86-64 build (any optimisation, sanitizers):
     * a digest of this scene.  It changes only when the look of pictures is
     * changed on purpose (camera, light, colours, rules); then update it.
     */
    uint64_t digest = ogawa_fnv1a64(raster_pixels(a), (size_t)N * N * 4);
    if (digest != UINT64_C(0x38c145b668492fcb))
        fail_msg("scene digest %016llx", (unsigned long long)digest);
    raster_free(a);
    raster_free(b);
}

/* Faces that each cover the whole image: past RASTER_WORK_MAX pixel tests
 * the rest are left out, so a hostile mesh cannot stall a picture; the
 * first ones are drawn. */
static void
test_raster_work_bound(void **state)
{
    (void)state;
    double lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1};
    struct raster *r;
    assert_int_equal(raster_init(&r, lo, hi), 0);
    double a[3] = {-100, 0, -100}, b[3] = {100, 0, -100}, c[3] = {0, 0, 100};
    uint64_t faces = 4 * (RASTER_WORK_MAX / ((uint64_t)RASTER_SIZE * RASTER_SIZE)) + 10;
    for (uint64_t i = 0; i < faces; i++)
        raster_triangle(r, a, b, c);
    const uint8_t *px = raster_pixels(r);
    int drawn = 0;
    for (int i = 0; i < RASTER_SIZE * RASTER_SIZE; i++)
        drawn += px[4 * i + 3] != 0;
    assert_true(drawn > RASTER_SIZE * RASTER_SIZE / 2);
    raster_free(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raster_camera_fits_box),
        cmocka_unit_test(test_raster_camera_orientation),
        cmocka_unit_test(test_raster_camera_degenerate_box),
        cmocka_unit_test(test_raster_empty_is_transparent),
        cmocka_unit_test(test_raster_triangle_covers_pixel_centres),
        cmocka_unit_test(test_raster_world_triangle_coverage),
        cmocka_unit_test(test_raster_shared_edge_no_gap_no_overlap),
        cmocka_unit_test(test_raster_fan_covers_once),
        cmocka_unit_test(test_raster_polygon_is_fan),
        cmocka_unit_test(test_raster_depth_nearer_wins),
        cmocka_unit_test(test_raster_depth_marks),
        cmocka_unit_test(test_raster_point_is_2x2),
        cmocka_unit_test(test_raster_line_is_one_pixel),
        cmocka_unit_test(test_raster_degenerate_draws_nothing),
        cmocka_unit_test(test_raster_huge_coordinates),
        cmocka_unit_test(test_raster_deterministic),
        cmocka_unit_test(test_raster_work_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
