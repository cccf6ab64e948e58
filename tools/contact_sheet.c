/*
 * contact_sheet — one PNG grid of the first-sample picture of every
 * PolyMesh, SubD, Points and Curves object of an archive: the pictures of
 * .preview/0000.png (views.md), side by side, in object order.
 *
 *   contact_sheet [-c COLUMNS] ARCHIVE OUT.png
 *
 * Prints one line per cell (row, column, full name) on standard output.
 * No FUSE: it reads the archive with libogawa and draws with the same code
 * as the mount (fs/view_geom.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abc_mesh.h"
#include "png.h"
#include "view.h"

#define CELL VIEW_PICTURE_SIZE
#define MAX_CELLS 1024
#define POINT_LIMIT (256ull << 20)

struct sheet {
    uint8_t *cells[MAX_CELLS];
    char *names[MAX_CELLS];
    size_t n;
};

static void
sheet_object(struct sheet *s, abc_object *o)
{
    abc_mesh *m;
    if (s->n < MAX_CELLS && abc_mesh_open(o, &m, NULL) == 0) {
        uint8_t *rgba = malloc((size_t)CELL * CELL * 4);
        struct ogawa_err err = {0};
        if (rgba != NULL && abc_mesh_num_samples(m) > 0 &&
            view_picture_rgba(m, 0, POINT_LIMIT, rgba, &err) == 0) {
            s->cells[s->n] = rgba;
            s->names[s->n] = abc_object_full_name(o, NULL);
            s->n++;
        } else {
            free(rgba);
        }
        abc_mesh_close(m);
    }
    for (size_t i = 0; i < abc_object_child_count(o); i++) {
        abc_object *c;
        if (abc_object_child(o, i, &c, NULL) != 0)
            continue;
        if (!abc_object_is_instance(c))
            sheet_object(s, c);
        abc_object_unref(c);
    }
}

int
main(int argc, char **argv)
{
    int cols = 0, c;
    while ((c = getopt(argc, argv, "c:h")) != -1) {
        switch (c) {
        case 'c': cols = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: contact_sheet [-c COLUMNS] ARCHIVE OUT.png\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: contact_sheet [-c COLUMNS] ARCHIVE OUT.png\n");
        return 2;
    }
    abc_archive *a;
    abc_object *top;
    struct ogawa_err err = {0};
    if (abc_archive_open(argv[optind], &a, &err) != 0 || abc_archive_top(a, &top, &err) != 0) {
        char msg[256];
        ogawa_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "contact_sheet: %s: %s\n", argv[optind], msg);
        return 2;
    }
    struct sheet s = {0};
    sheet_object(&s, top);
    abc_object_unref(top);
    if (s.n == 0) {
        fprintf(stderr, "contact_sheet: %s: no mesh, points or curves objects\n", argv[optind]);
        abc_archive_close(a);
        return 1;
    }
    if (cols <= 0) {
        cols = 1;
        while ((size_t)cols * (size_t)cols < s.n)
            cols++;
    }
    size_t rows = (s.n + (size_t)cols - 1) / (size_t)cols;
    uint32_t w = (uint32_t)cols * CELL, h = (uint32_t)rows * CELL;
    uint8_t *img = calloc((size_t)w * h, 4);
    if (img == NULL) {
        fprintf(stderr, "contact_sheet: out of memory\n");
        return 1;
    }
    for (size_t k = 0; k < s.n; k++) {
        size_t r = k / (size_t)cols, col = k % (size_t)cols;
        for (int y = 0; y < CELL; y++)
            memcpy(img + (((r * CELL + (size_t)y) * w) + col * CELL) * 4,
                   s.cells[k] + (size_t)y * CELL * 4, (size_t)CELL * 4);
        printf("%zu %zu %s\n", r, col, s.names[k] ? s.names[k] : "?");
        free(s.cells[k]);
        free(s.names[k]);
    }
    uint8_t *png;
    size_t len;
    int ret = 0;
    if (png_encode_rgba(img, w, h, &png, &len) != 0) {
        fprintf(stderr, "contact_sheet: cannot encode the picture\n");
        ret = 1;
    } else {
        FILE *f = fopen(argv[optind + 1], "wb");
        if (f == NULL || fwrite(png, 1, len, f) != len || fclose(f) != 0) {
            perror(argv[optind + 1]);
            ret = 1;
        }
        free(png);
    }
    free(img);
    abc_archive_close(a);
    return ret;
}
