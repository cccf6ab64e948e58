/*
 * abc_mesh.h — the geometry of PolyMesh, SubD, Points and Curves objects
 * (ogawa-format.md §9) read for other programs: the PLY and OBJ files of
 * views.md (".ply/ and .obj/") and, for pictures, the points, faces and
 * curves of one sample.
 *
 * A mesh sample is P (float32 x 3 points), .faceCounts (int32 vertices per
 * face) and .faceIndices (int32 point indices, faces one after the other,
 * clockwise as Alembic stores them), each property taken at the sample
 * index clamped to its own last sample; a property that is missing or has
 * no samples is empty.  A Points sample is P alone; a Curves sample is P
 * and nVertices (points per curve).
 *
 * Memory is bounded whatever the mesh size: samples are read in windows of
 * ABC_MESH_WINDOW values, never whole, and a file keeps only one small
 * record per chunk of ABC_MESH_CHUNK bytes of output.
 *
 * Thread-safety: an open abc_mesh and an open abc_mesh_file are immutable;
 * any number of threads may use them at once (each call reads into buffers
 * of its own).  The archive must outlive both; a file does not need its
 * abc_mesh to stay open.
 *
 * Errors as in ogawa.h.  A damaged archive (a sample that cannot be
 * located or read) is an error of the call; a mesh whose topology is
 * invalid is not: it is reported as valid = false.
 */
#ifndef OGAWA_ABC_MESH_H
#define OGAWA_ABC_MESH_H

#include "abc.h"

enum abc_mesh_kind { ABC_MESH_POLYMESH, ABC_MESH_SUBD, ABC_MESH_POINTS, ABC_MESH_CURVES };

/* Values read from a sample at once (int32 or float32 triples). */
#define ABC_MESH_WINDOW 16384u
/* Largest computed chunk of a file, in bytes. */
#define ABC_MESH_CHUNK (1u << 20)

typedef struct abc_mesh abc_mesh;

/*
 * Opens o's geometry: o's metadata must match a schema as the C++ reader's
 * strict matching does (schemaObjTitle or schema equal to "T:.geom" with T
 * one of AbcGeom_PolyMesh_v1, AbcGeom_SubD_v1, AbcGeom_Points_v1,
 * AbcGeom_Curve_v2) and its top compound must hold a compound ".geom".
 * Otherwise OGAWA_E_NOENT (an instance object is not resolved here).
 * Also the errors of opening o's compounds.
 */
int abc_mesh_open(abc_object *o, abc_mesh **out, struct ogawa_err *err);
void abc_mesh_close(abc_mesh *m);       /* accepts NULL */

int abc_mesh_kind(const abc_mesh *m);   /* enum abc_mesh_kind */

/* Number of samples: the largest sample count of P, .faceIndices and
 * .faceCounts, as views.md says (for Points too, though their files read
 * only P); Curves: of P, as views.md counts their pictures. */
uint32_t abc_mesh_num_samples(const abc_mesh *m);

/* ---- one sample's PLY or OBJ file (views.md) --------------------------- */

enum abc_mesh_format { ABC_MESH_PLY, ABC_MESH_OBJ };

/*
 * One part of a file: bytes [file_off, file_off + len).  Either bytes of
 * the archive at archive_off (archive true: the PLY vertex block is the P
 * sample's payload, to be served from the archive as sample files are), or
 * a computed chunk: pass chunk to abc_mesh_file_chunk.  Segments are in
 * file order, none is empty, and together they cover [0, size) exactly.
 */
struct abc_mesh_segment {
    uint64_t file_off, len;
    bool archive;
    uint64_t archive_off;       /* archive segments: absolute offset in the archive */
    uint64_t chunk;             /* computed segments: the chunk's number */
};

typedef struct abc_mesh_file abc_mesh_file;

/*
 * Lays out sample `sample` (< abc_mesh_num_samples) as a PLY file (PolyMesh,
 * SubD, Points) or an OBJ file (PolyMesh, SubD): locates the samples,
 * checks the topology and computes every chunk's size with passes over the
 * samples in windows (PLY: .faceCounts and the index range check of
 * .faceIndices; OBJ also formats every point once).  Errors:
 * OGAWA_E_NOENT (no such sample), OGAWA_E_INVAL (Curves, OBJ of Points,
 * unknown format), those of reading the archive, OGAWA_E_NOMEM.
 *
 * What is not a well-formed mesh gives a file with valid false, size 0
 * and no segments: a face count below zero, face counts whose total is not
 * the number of face indices, an index outside the points, and (our
 * choice: the vertex block must be the P payload, and a reader could not
 * use anything else) a P that is not an array of float32 with extent 3,
 * or face properties that are not arrays of int32 with extent 1.
 */
int abc_mesh_file_open(abc_mesh *m, uint32_t sample, int format, abc_mesh_file **out,
                       struct ogawa_err *err);
void abc_mesh_file_close(abc_mesh_file *f);     /* accepts NULL */

bool abc_mesh_file_valid(const abc_mesh_file *f);
uint64_t abc_mesh_file_size(const abc_mesh_file *f);   /* exact; 0 when not valid */
size_t abc_mesh_file_segments(const abc_mesh_file *f, const struct abc_mesh_segment **segs);

/*
 * Renders computed chunk `chunk` into a new malloc'ed buffer of exactly
 * the segment's len bytes (at most ABC_MESH_CHUNK), reading the samples in
 * windows.  Errors: OGAWA_E_INVAL (no such computed chunk), those of
 * reading, OGAWA_E_NOMEM, and OGAWA_E_CORRUPT if the archive's bytes no
 * longer give the size laid out at open (the file changed underneath).
 */
int abc_mesh_file_chunk(abc_mesh_file *f, uint64_t chunk, uint8_t **out, uint64_t *len,
                        struct ogawa_err *err);

/* ---- reading a sample (pictures) ---------------------------------------- */

struct abc_mesh_info {
    uint64_t points;            /* P elements (0 when P is unusable) */
    uint64_t faces;             /* .faceCounts values (meshes), nVertices values (Curves) */
    uint64_t indices;           /* .faceIndices values (meshes) */
    uint32_t max_face;          /* largest face count (meshes, when valid) */
    bool valid;                 /* the topology rules of abc_mesh_file_open hold; Points
                                 * and Curves: P is float32 x 3 */
};

/* Locates sample `sample` and checks it (one pass over the face samples). */
int abc_mesh_info(abc_mesh *m, uint32_t sample, struct abc_mesh_info *out, struct ogawa_err *err);

/*
 * The callbacks below get what was read so far and return 0 to go on;
 * any other value stops the walk and is returned.
 */

/* Points first .. first + n - 1 as x y z triples (n <= ABC_MESH_WINDOW).
 * A P that is not float32 x 3 is OGAWA_E_CORRUPT before any call. */
typedef int (*abc_mesh_points_fn)(void *ctx, uint64_t first, const float *xyz, size_t n);
int abc_mesh_foreach_point(abc_mesh *m, uint32_t sample, abc_mesh_points_fn fn, void *ctx,
                           struct ogawa_err *err);

/*
 * Faces in order, each one's point indices in stored (clockwise) order.
 * A face of more than ABC_MESH_WINDOW vertices comes in several pieces
 * (same face, first = position of indices[0] within the face); every
 * other face in one piece with first 0 and n == count.  Indices are
 * checked as they go: a face count below zero, an index outside the points
 * or totals that disagree end the walk with OGAWA_E_CORRUPT (possibly
 * after some calls: use abc_mesh_info first to skip invalid meshes).
 */
struct abc_mesh_face {
    uint64_t face;              /* face number */
    uint64_t count;             /* vertices of the whole face */
    uint64_t first;             /* position within the face of indices[0] */
    const int32_t *indices;     /* n indices, each in [0, points) */
    uint32_t n;
};
typedef int (*abc_mesh_face_fn)(void *ctx, const struct abc_mesh_face *face);
int abc_mesh_foreach_face(abc_mesh *m, uint32_t sample, abc_mesh_face_fn fn, void *ctx,
                          struct ogawa_err *err);

/*
 * Curves (Curves objects): curve k is points first .. first + n - 1, one
 * after the other as nVertices says.  Counts are clamped so every curve
 * lies inside the points (a negative count is an empty curve); without an
 * int32 nVertices the points are one curve.
 */
typedef int (*abc_mesh_curve_fn)(void *ctx, uint64_t curve, uint64_t first, uint64_t n);
int abc_mesh_foreach_curve(abc_mesh *m, uint32_t sample, abc_mesh_curve_fn fn, void *ctx,
                           struct ogawa_err *err);

#endif
