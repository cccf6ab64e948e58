/*
 * abc_mesh_int.h — what abc_mesh.c and abc_mesh_file.c share: the open
 * mesh, the located samples of one mesh sample, and windows over a sample
 * (never installed).
 */
#ifndef OGAWA_ABC_MESH_INT_H
#define OGAWA_ABC_MESH_INT_H

#include "abc_mesh.h"

#include <string.h>

/* One geometry property of the .geom compound. */
struct abc_mesh_prop {
    bool present;
    bool usable;                /* the array type the mesh needs */
    size_t idx;                 /* in the .geom compound */
    uint32_t num_samples;
};

struct abc_mesh {
    abc_archive *archive;
    abc_compound *geom;         /* counted reference */
    int kind;                   /* enum abc_mesh_kind */
    struct abc_mesh_prop p, indices, counts, n_vertices;
    uint32_t num_samples;
    char *name;                 /* full name, bytes below 0x20 written %XX, owned */
    size_t name_len;
};

/* The samples of one mesh sample; an absent property is a zeroed sample. */
struct abc_mesh_arrays {
    struct abc_sample p, indices, counts;   /* counts: nVertices for Curves */
    uint64_t points, n_indices, n_counts;   /* values */
    bool usable;                /* every present property has the type it needs */
};

int abc_mesh_locate(const abc_mesh *m, uint32_t sample, struct abc_mesh_arrays *out,
                    struct ogawa_err *err);

/* The topology check of abc_mesh_info on located samples (faces: meshes). */
int abc_mesh_check(const abc_archive *a, const struct abc_mesh_arrays *arr, bool faces,
                   struct abc_mesh_info *out, struct ogawa_err *err);

/*
 * A window of up to ABC_MESH_WINDOW elements of elem bytes of a sample:
 * elements [start, start + len) are in buf.
 */
struct abc_mesh_window {
    const abc_archive *archive;
    const struct abc_sample *sample;
    unsigned elem;
    uint64_t n;                 /* elements in the sample */
    uint64_t start, len;
    uint8_t *buf;
};

int abc_mesh_window_init(struct abc_mesh_window *w, const abc_archive *a,
                         const struct abc_sample *s, unsigned elem, struct ogawa_err *err);
void abc_mesh_window_free(struct abc_mesh_window *w);

/* Loads elements [pos, pos + count) (count <= ABC_MESH_WINDOW, inside the
 * sample) unless they are there already; they start at
 * abc_mesh_window_ptr(w, pos). */
int abc_mesh_window_load(struct abc_mesh_window *w, uint64_t pos, uint64_t count,
                         struct ogawa_err *err);

/* Loads the aligned window that holds element pos (< n): for walks that
 * go backwards inside a face. */
int abc_mesh_window_load_aligned(struct abc_mesh_window *w, uint64_t pos, struct ogawa_err *err);

static inline const uint8_t *
abc_mesh_window_ptr(const struct abc_mesh_window *w, uint64_t pos)
{
    return w->buf + (pos - w->start) * w->elem;
}

/* Element pos of an int32 sample, through aligned windows. */
static inline int
abc_mesh_window_int(struct abc_mesh_window *w, uint64_t pos, int32_t *v, struct ogawa_err *err)
{
    if (pos - w->start >= w->len) {
        int rc = abc_mesh_window_load_aligned(w, pos, err);
        if (rc)
            return rc;
    }
    memcpy(v, abc_mesh_window_ptr(w, pos), 4);
    return 0;
}

#endif
