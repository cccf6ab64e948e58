/*
 * abc_mesh_file.c — the PLY and OBJ files of one mesh sample (views.md
 * ".ply/ and .obj/"), laid out without holding the mesh in memory.
 *
 * A file is a header, the points and the faces.  The PLY points are the P
 * payload itself (an archive segment); everything else is cut into chunks
 * of at most ABC_MESH_CHUNK bytes.  Opening walks the samples once in
 * windows, as rendering will, and records where each chunk starts (a
 * point number, or a face position: face, its first index, items of it
 * already written); rendering a chunk replays the walk from there.  The
 * same walk decides both, so a chunk's length is exactly what rendering
 * gives, and a chunk ends only between two items (a face's count or "f",
 * one index, an OBJ line end, one "v" line), each at most 50 bytes.
 *
 * Faces are written in reverse (Alembic stores them clockwise; PLY and OBJ
 * readers expect counter-clockwise), so the walk reads a face's indices
 * backwards through aligned windows.
 */
#include "abc_mesh_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Payloads above this are refused, so that sizes cannot overflow (an OBJ
 * line is at most 50 bytes per 12-byte point). */
#define ABC_MESH_MAX_PAYLOAD (1ull << 56)

/* Where a walk over the faces stands. */
struct face_mark {
    uint64_t face;
    uint64_t first;             /* position in .faceIndices of the face's first index */
    uint64_t done;              /* items of the face written: 0 none, 1 the count or "f",
                                 * 1 + j also j indices, (OBJ) count + 2 the line end */
};

enum mesh_part { PART_HEADER, PART_ARCHIVE, PART_POINTS, PART_FACES };

/* Where one segment starts (one per segment). */
struct mesh_piece {
    int part;                   /* enum mesh_part */
    uint64_t pos;               /* header: byte offset; points: first point */
    struct face_mark mark;      /* faces */
};

struct abc_mesh_file {
    const abc_archive *archive;
    int format;                 /* enum abc_mesh_format */
    struct abc_mesh_arrays arr;
    bool valid;
    bool wide;                  /* PLY: face counts as uint, not uchar */
    uint64_t size;
    char *header;
    size_t header_len;
    size_t n_segs, cap;
    struct abc_mesh_segment *segs;
    struct mesh_piece *pieces;
};

bool abc_mesh_file_valid(const abc_mesh_file *f) { return f->valid; }
uint64_t abc_mesh_file_size(const abc_mesh_file *f) { return f->size; }

size_t
abc_mesh_file_segments(const abc_mesh_file *f, const struct abc_mesh_segment **segs)
{
    *segs = f->segs;
    return f->n_segs;
}

void
abc_mesh_file_close(abc_mesh_file *f)
{
    if (!f)
        return;
    free(f->header);
    free(f->segs);
    free(f->pieces);
    free(f);
}

static int
mesh_changed(const abc_mesh_file *f, struct ogawa_err *err)
{
    return OGAWA_CORRUPT(err, f->arr.p.block.off, "mesh data changed since its file was laid out");
}

/* ---- items -------------------------------------------------------------- */

/* Decimal digits of v into buf (no NUL); returns their number. */
static unsigned
put_decimal(char *buf, uint64_t v)
{
    char tmp[20];
    unsigned n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (unsigned k = 0; k < n; k++)
        buf[k] = tmp[n - 1 - k];
    return n;
}

/* OBJ "v X Y Z" lines from point *pos on, while they fit in budget
 * bytes; written to out unless it is NULL. */
static int
points_walk(struct abc_mesh_window *w, uint64_t *pos, uint64_t budget, uint8_t *out,
            uint64_t *used, struct ogawa_err *err)
{
    char line[96];
    *used = 0;
    while (*pos < w->n) {
        int rc = abc_mesh_window_load(w, *pos, 1, err);
        if (rc)
            return rc;
        float xyz[3];
        memcpy(xyz, abc_mesh_window_ptr(w, *pos), sizeof(xyz));
        int n = snprintf(line, sizeof(line), "v %.9g %.9g %.9g\n", (double)xyz[0],
                         (double)xyz[1], (double)xyz[2]);
        if (n < 0 || (uint64_t)n > budget - *used)
            break;
        if (out)
            memcpy(out + *used, line, (size_t)n);
        *used += (uint64_t)n;
        (*pos)++;
    }
    return 0;
}

struct face_walk {
    const abc_mesh_file *file;
    struct abc_mesh_window counts, indices;
    struct face_mark at;
};

/*
 * The faces' items from w->at on, while they fit in budget bytes; written
 * to out unless it is NULL.  Measuring a PLY file reads no index: each
 * is 4 bytes.
 */
static int
faces_walk(struct face_walk *w, uint64_t budget, uint8_t *out, uint64_t *used, struct ogawa_err *err)
{
    const abc_mesh_file *f = w->file;
    bool ply = f->format == ABC_MESH_PLY;
    unsigned count_len = ply ? (f->wide ? 4 : 1) : 1;
    struct face_mark *at = &w->at;
    *used = 0;
    while (at->face < w->counts.n) {
        int32_t c;
        int rc = abc_mesh_window_int(&w->counts, at->face, &c, err);
        if (rc)
            return rc;
        if (c < 0 || (uint64_t)c > w->indices.n - at->first || (ply && !f->wide && c > 255))
            return mesh_changed(f, err);
        uint64_t count = (uint64_t)c, room = budget - *used;
        if (at->done == 0) {
            if (count_len > room)
                break;
            if (out && ply) {
                uint32_t v = (uint32_t)c;
                memcpy(out + *used, &v, count_len);     /* little-endian host */
            } else if (out) {
                out[*used] = 'f';
            }
            *used += count_len;
            at->done = 1;
            continue;
        }
        if (at->done <= count && ply && !out) {
            uint64_t k = count - (at->done - 1);
            if (k > room / 4)
                k = room / 4;
            if (k == 0)
                break;
            *used += 4 * k;
            at->done += k;
            continue;
        }
        if (at->done <= count && ply) {
            /* Indices first + count - done down to first, as many as fit,
             * copied backwards from each window in turn. */
            uint64_t k = count - (at->done - 1);
            if (k > room / 4)
                k = room / 4;
            if (k == 0)
                break;
            for (uint64_t pos = at->first + count - at->done, left = k; left > 0;) {
                if (pos - w->indices.start >= w->indices.len &&
                    (rc = abc_mesh_window_load_aligned(&w->indices, pos, err)) != 0)
                    return rc;
                uint64_t avail = pos - w->indices.start + 1, take = left < avail ? left : avail;
                const uint8_t *src = abc_mesh_window_ptr(&w->indices, pos);
                for (uint64_t j = 0; j < take; j++)
                    memcpy(out + *used + 4 * j, src - 4 * j, 4);
                *used += 4 * take;
                left -= take;
                pos -= take;    /* wraps past 0 only when nothing is left */
            }
            at->done += k;
            continue;
        }
        if (at->done <= count) {
            int32_t v;
            rc = abc_mesh_window_int(&w->indices, at->first + count - at->done, &v, err);
            if (rc)
                return rc;
            if (v < 0)
                return mesh_changed(f, err);
            char item[24];
            item[0] = ' ';
            unsigned n = 1 + put_decimal(item + 1, (uint64_t)v + 1);
            if (n > room)
                break;
            if (out)
                memcpy(out + *used, item, n);
            *used += n;
            at->done++;
            continue;
        }
        if (!ply && at->done == count + 1) {
            if (room < 1)
                break;
            if (out)
                out[*used] = '\n';
            *used += 1;
            at->done++;
            continue;
        }
        at->face++;
        at->first += count;
        at->done = 0;
    }
    return 0;
}

static int
face_walk_init(struct face_walk *w, const abc_mesh_file *f, struct ogawa_err *err)
{
    memset(w, 0, sizeof(*w));
    w->file = f;
    int rc = abc_mesh_window_init(&w->counts, f->archive, &f->arr.counts, 4, err);
    if (!rc)
        rc = abc_mesh_window_init(&w->indices, f->archive, &f->arr.indices, 4, err);
    return rc;
}

static void
face_walk_free(struct face_walk *w)
{
    abc_mesh_window_free(&w->counts);
    abc_mesh_window_free(&w->indices);
}

/* ---- layout ------------------------------------------------------------- */

static int
add_segment(abc_mesh_file *f, uint64_t len, const struct mesh_piece *piece, uint64_t archive_off,
            struct ogawa_err *err)
{
    if (len == 0)
        return 0;
    if (f->n_segs == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        struct abc_mesh_segment *segs = realloc(f->segs, cap * sizeof(*segs));
        if (segs)
            f->segs = segs;
        struct mesh_piece *pieces = realloc(f->pieces, cap * sizeof(*pieces));
        if (pieces)
            f->pieces = pieces;
        if (!segs || !pieces)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory laying out a mesh file");
        f->cap = cap;
    }
    struct abc_mesh_segment *s = &f->segs[f->n_segs];
    s->file_off = f->size;
    s->len = len;
    s->archive = piece->part == PART_ARCHIVE;
    s->archive_off = s->archive ? archive_off : 0;
    s->chunk = s->archive ? 0 : f->n_segs;
    f->pieces[f->n_segs++] = *piece;
    f->size += len;
    return 0;
}

static int
build_header(abc_mesh_file *f, const abc_mesh *m, uint32_t sample, bool faces,
             struct ogawa_err *err)
{
    size_t cap = m->name_len + 512;
    f->header = malloc(cap);
    if (!f->header)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory laying out a mesh file");
    char *h = f->header;
    size_t n = 0;
    if (f->format == ABC_MESH_OBJ) {
        memcpy(h, "# abcfs ", 8);
        n = 8;
    } else {
        n = (size_t)snprintf(h, cap, "ply\nformat binary_little_endian 1.0\ncomment abcfs ");
    }
    memcpy(h + n, m->name, m->name_len);
    n += m->name_len;
    n += (size_t)snprintf(h + n, cap - n, " sample %u\n", sample);
    if (f->format == ABC_MESH_PLY) {
        n += (size_t)snprintf(h + n, cap - n,
                              "element vertex %llu\nproperty float x\nproperty float y\n"
                              "property float z\n",
                              (unsigned long long)f->arr.points);
        if (faces)
            n += (size_t)snprintf(h + n, cap - n,
                                  "element face %llu\nproperty list %s int vertex_indices\n",
                                  (unsigned long long)f->arr.n_counts, f->wide ? "uint" : "uchar");
        n += (size_t)snprintf(h + n, cap - n, "end_header\n");
    }
    f->header_len = n;
    return 0;
}

static int
layout(abc_mesh_file *f, bool faces, struct ogawa_err *err)
{
    int rc = 0;
    for (uint64_t pos = 0; !rc && pos < f->header_len; pos += ABC_MESH_CHUNK) {
        uint64_t len = f->header_len - pos < ABC_MESH_CHUNK ? f->header_len - pos : ABC_MESH_CHUNK;
        rc = add_segment(f, len, &(struct mesh_piece){.part = PART_HEADER, .pos = pos}, 0, err);
    }
    if (!rc && f->format == ABC_MESH_PLY) {
        rc = add_segment(f, f->arr.p.payload_len, &(struct mesh_piece){.part = PART_ARCHIVE},
                         f->arr.p.payload_off, err);
    } else if (!rc) {
        struct abc_mesh_window w;
        rc = abc_mesh_window_init(&w, f->archive, &f->arr.p, 12, err);
        for (uint64_t pos = 0; !rc && pos < w.n;) {
            struct mesh_piece piece = {.part = PART_POINTS, .pos = pos};
            uint64_t used;
            rc = points_walk(&w, &pos, ABC_MESH_CHUNK, NULL, &used, err);
            if (!rc)
                rc = add_segment(f, used, &piece, 0, err);
        }
        abc_mesh_window_free(&w);
    }
    if (rc || !faces)
        return rc;
    struct face_walk w;
    rc = face_walk_init(&w, f, err);
    while (!rc && w.at.face < w.counts.n) {
        struct mesh_piece piece = {.part = PART_FACES, .mark = w.at};
        uint64_t used;
        rc = faces_walk(&w, ABC_MESH_CHUNK, NULL, &used, err);
        if (!rc && used == 0 && w.at.face < w.counts.n)
            rc = mesh_changed(f, err);  /* no item fits: cannot happen, but never loop */
        if (!rc)
            rc = add_segment(f, used, &piece, 0, err);
    }
    face_walk_free(&w);
    return rc;
}

int
abc_mesh_file_open(abc_mesh *m, uint32_t sample, int format, abc_mesh_file **out,
                   struct ogawa_err *err)
{
    *out = NULL;
    uint64_t where = abc_compound_offset(m->geom);
    bool faces = m->kind == ABC_MESH_POLYMESH || m->kind == ABC_MESH_SUBD;
    if ((format != ABC_MESH_PLY && format != ABC_MESH_OBJ) || m->kind == ABC_MESH_CURVES ||
        (format == ABC_MESH_OBJ && !faces))
        return ogawa_fail(err, OGAWA_E_INVAL, where, "no such mesh file format for this object");
    abc_mesh_file *f = calloc(1, sizeof(*f));
    if (!f)
        return ogawa_fail(err, OGAWA_E_NOMEM, where, "out of memory opening a mesh file");
    f->archive = m->archive;
    f->format = format;
    struct abc_mesh_info info;
    int rc = abc_mesh_locate(m, sample, &f->arr, err);
    if (!rc && (f->arr.p.payload_len > ABC_MESH_MAX_PAYLOAD ||
                f->arr.indices.payload_len > ABC_MESH_MAX_PAYLOAD ||
                f->arr.counts.payload_len > ABC_MESH_MAX_PAYLOAD))
        rc = ogawa_fail(err, OGAWA_E_INVAL, where, "mesh too large for a file");
    if (!rc)
        rc = abc_mesh_check(m->archive, &f->arr, faces, &info, err);
    if (!rc && info.valid) {
        f->valid = true;
        f->wide = info.max_face > 255;
        rc = build_header(f, m, sample, faces, err);
        if (!rc)
            rc = layout(f, faces, err);
    }
    if (rc) {
        abc_mesh_file_close(f);
        return rc;
    }
    *out = f;
    return 0;
}

/* ---- rendering ---------------------------------------------------------- */

int
abc_mesh_file_chunk(abc_mesh_file *f, uint64_t chunk, uint8_t **out, uint64_t *len,
                    struct ogawa_err *err)
{
    *out = NULL;
    *len = 0;
    if (chunk >= f->n_segs || f->segs[chunk].archive)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "no such computed mesh chunk");
    const struct mesh_piece *piece = &f->pieces[chunk];
    uint64_t want = f->segs[chunk].len, used = 0;
    uint8_t *buf = malloc((size_t)want);
    if (!buf)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory rendering a mesh chunk");
    int rc = 0;
    if (piece->part == PART_HEADER) {
        memcpy(buf, f->header + piece->pos, (size_t)want);
        used = want;
    } else if (piece->part == PART_POINTS) {
        struct abc_mesh_window w;
        uint64_t pos = piece->pos;
        rc = abc_mesh_window_init(&w, f->archive, &f->arr.p, 12, err);
        if (!rc)
            rc = points_walk(&w, &pos, want, buf, &used, err);
        abc_mesh_window_free(&w);
    } else {
        struct face_walk w;
        rc = face_walk_init(&w, f, err);
        w.at = piece->mark;
        if (!rc)
            rc = faces_walk(&w, want, buf, &used, err);
        face_walk_free(&w);
    }
    if (!rc && used != want)
        rc = mesh_changed(f, err);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = want;
    return 0;
}
