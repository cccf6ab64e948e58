/*
 * test_abc_mesh.c — ogawa/abc_mesh.h on archives made with the writer:
 * the exact bytes of small PLY and OBJ files (views.md ".ply/ and .obj/"),
 * the segment list (it covers the file exactly; the PLY vertex block is
 * the P payload in the archive), uchar and uint face lists, Points,
 * invalid topologies of each kind, clamped samples, varying topology,
 * empty meshes, escaped names, faces and files cut into several chunks,
 * the walks for pictures, and a mesh of 10^7 faces laid out in bounded
 * memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "abc_mesh.h"
#include "abc_write.h"

#define OK(expr)                                                                   \
    do {                                                                           \
        struct ogawa_err e_ = {0};                                                 \
        struct ogawa_err *err = &e_;                                               \
        int rc_ = (expr);                                                          \
        if (rc_ != 0)                                                              \
            fail_msg("%s: %d %s", #expr, rc_, e_.msg ? e_.msg : "?");              \
        (void)err;                                                                 \
    } while (0)

/* expr must fail with code want_. */
#define BAD(want_, expr)                                                           \
    do {                                                                           \
        struct ogawa_err e_ = {0};                                                 \
        struct ogawa_err *err = &e_;                                               \
        int rc_ = (expr);                                                          \
        if (rc_ != (want_))                                                        \
            fail_msg("%s: got %d (%s), want %d", #expr, rc_, e_.msg ? e_.msg : "", \
                     (want_));                                                     \
        (void)err;                                                                 \
    } while (0)

/* ---- archives ------------------------------------------------------------ */

struct arch {
    char path[64];
    abc_writer *w;
    abc_archive *a;
};

static void
arch_begin(struct arch *t)
{
    memset(t, 0, sizeof(*t));
    strcpy(t->path, "/tmp/test_abc_mesh_XXXXXX");
    int fd = mkstemp(t->path);
    assert_true(fd >= 0);
    OK(abc_writer_create_fd(fd, NULL, &t->w, err));
}

/* A child of parent with the metadata of schema title and its .geom. */
static abc_wprop *
add_geom_object(abc_wobject *parent, abc_str name, const char *title)
{
    char obj_title[64];
    snprintf(obj_title, sizeof(obj_title), "%s:.geom", title);
    abc_wobject *o;
    abc_wprop *geom;
    OK(abc_wobject_add_child(parent, name,
                             ABC_WMETA("schema", title, "schemaBaseType", "AbcGeom_GeomBase_v1",
                                       "schemaObjTitle", obj_title),
                             &o, err));
    OK(abc_wprop_add_compound(abc_wobject_props(o), abc_wstr(".geom"),
                              ABC_WMETA("schema", title), &geom, err));
    return geom;
}

static abc_wprop *
add_mesh(struct arch *t, const char *name, const char *title)
{
    return add_geom_object(abc_writer_top(t->w), abc_wstr(name), title);
}

static abc_wprop *
add_array(abc_wprop *geom, const char *name, int pod, unsigned extent)
{
    abc_wprop *p;
    OK(abc_wprop_add_array(geom, abc_wstr(name), NULL, pod, extent, 0, &p, err));
    return p;
}

static void
put(abc_wprop *p, const void *data, size_t len)
{
    OK(abc_wprop_add_array_sample(p, data, len, NULL, 0, err));
}

/* A PolyMesh with one sample of each property. */
static void
add_polymesh(struct arch *t, const char *name, const float *P, size_t n_points, const int32_t *fc,
             size_t n_faces, const int32_t *fi, size_t n_indices)
{
    abc_wprop *geom = add_mesh(t, name, "AbcGeom_PolyMesh_v1");
    put(add_array(geom, "P", ABC_POD_FLOAT32, 3), P, n_points * 12);
    put(add_array(geom, ".faceIndices", ABC_POD_INT32, 1), fi, n_indices * 4);
    put(add_array(geom, ".faceCounts", ABC_POD_INT32, 1), fc, n_faces * 4);
}

static void
arch_end(struct arch *t)
{
    OK(abc_writer_close(t->w, err));
    t->w = NULL;
    OK(abc_archive_open(t->path, &t->a, err));
}

static void
arch_free(struct arch *t)
{
    abc_archive_close(t->a);
    unlink(t->path);
}

static int
find_object(struct arch *t, const char *path, size_t path_len, abc_object **out)
{
    abc_object *o;
    OK(abc_archive_top(t->a, &o, err));
    size_t pos = 0;
    while (pos < path_len) {
        if (path[pos] == '/') {
            pos++;
            continue;
        }
        size_t len = 0, idx;
        while (pos + len < path_len && path[pos + len] != '/')
            len++;
        int rc = abc_object_find(o, path + pos, len, &idx);
        if (rc) {
            abc_object_unref(o);
            return rc;
        }
        abc_object *child;
        OK(abc_object_child(o, idx, &child, err));
        abc_object_unref(o);
        o = child;
        pos += len;
    }
    *out = o;
    return 0;
}

static abc_mesh *
open_mesh(struct arch *t, const char *path)
{
    abc_object *o;
    assert_int_equal(find_object(t, path, strlen(path), &o), 0);
    abc_mesh *m;
    OK(abc_mesh_open(o, &m, err));
    abc_object_unref(o);
    return m;
}

/* Where sample i of the object's .geom/P is. */
static struct abc_sample
p_sample(struct arch *t, const char *path, uint32_t i)
{
    abc_object *o;
    abc_compound *top, *geom;
    size_t idx;
    struct abc_sample s;
    assert_int_equal(find_object(t, path, strlen(path), &o), 0);
    OK(abc_object_properties(o, &top, err));
    assert_int_equal(abc_compound_find(top, ".geom", 5, &idx), 0);
    OK(abc_compound_child(top, idx, &geom, err));
    assert_int_equal(abc_compound_find(geom, "P", 1, &idx), 0);
    uint32_t n = abc_compound_property(geom, idx)->num_samples;
    OK(abc_property_sample(geom, idx, i < n ? i : n - 1, &s, err));
    abc_compound_unref(geom);
    abc_compound_unref(top);
    abc_object_unref(o);
    return s;
}

/*
 * The whole file, assembled from its segments as a daemon serves it, after
 * checking them: contiguous from 0 to the size, none empty, computed ones
 * at most ABC_MESH_CHUNK and rendered to exactly their length, archive
 * ones exactly the P payload p (NULL: there must be none).
 */
static uint8_t *
assemble(struct arch *t, abc_mesh_file *f, const struct abc_sample *p, size_t *len)
{
    const struct abc_mesh_segment *segs;
    size_t n = abc_mesh_file_segments(f, &segs);
    uint64_t size = abc_mesh_file_size(f), pos = 0;
    uint8_t *out = malloc(size ? size : 1);
    assert_non_null(out);
    size_t archive_segs = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(segs[i].file_off, pos);
        assert_true(segs[i].len > 0);
        if (segs[i].archive) {
            assert_non_null(p);
            assert_int_equal(segs[i].archive_off, p->payload_off);
            assert_int_equal(segs[i].len, p->payload_len);
            OK(ogawa_archive_read(abc_archive_ogawa(t->a), segs[i].archive_off, out + pos,
                                  segs[i].len, err));
            archive_segs++;
        } else {
            uint8_t *chunk;
            uint64_t clen;
            assert_true(segs[i].len <= ABC_MESH_CHUNK);
            OK(abc_mesh_file_chunk(f, segs[i].chunk, &chunk, &clen, err));
            assert_int_equal(clen, segs[i].len);
            memcpy(out + pos, chunk, clen);
            free(chunk);
        }
        pos += segs[i].len;
    }
    assert_int_equal(pos, size);
    assert_true(archive_segs <= 1);
    if (p && p->payload_len)
        assert_int_equal(archive_segs, 1);
    *len = (size_t)size;
    return out;
}

static void
assert_bytes(const uint8_t *got, size_t got_len, const void *want, size_t want_len)
{
    if (got_len != want_len || memcmp(got, want, want_len) != 0) {
        size_t k = 0;
        while (k < got_len && k < want_len && got[k] == ((const uint8_t *)want)[k])
            k++;
        fail_msg("file of %zu bytes, want %zu; first difference at byte %zu", got_len, want_len, k);
    }
}

/* The file of one sample in one format, checked and assembled. */
static uint8_t *
file_bytes(struct arch *t, const char *path, uint32_t sample, int format, size_t *len)
{
    abc_mesh *m = open_mesh(t, path);
    abc_mesh_file *f;
    OK(abc_mesh_file_open(m, sample, format, &f, err));
    assert_true(abc_mesh_file_valid(f));
    abc_mesh_close(m);      /* the file does not need it */
    struct abc_sample p = p_sample(t, path, sample);
    uint8_t *out = assemble(t, f, format == ABC_MESH_PLY ? &p : NULL, len);
    abc_mesh_file_close(f);
    return out;
}

static void
check_text(struct arch *t, const char *path, uint32_t sample, const char *want)
{
    size_t len;
    uint8_t *got = file_bytes(t, path, sample, ABC_MESH_OBJ, &len);
    if (len != strlen(want) || memcmp(got, want, len) != 0)
        fail_msg("OBJ is\n%.*s\nwant\n%s", (int)len, (const char *)got, want);
    free(got);
}

/* A growable byte buffer for expected files. */
struct bytes {
    uint8_t *p;
    size_t len, cap;
};

static void
bput(struct bytes *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void
bputs(struct bytes *b, const char *s)
{
    bput(b, s, strlen(s));
}

static void
bput_u8(struct bytes *b, uint8_t v)
{
    bput(b, &v, 1);
}

static void
bput_i32(struct bytes *b, int32_t v)
{
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)((uint32_t)v >> 24)};
    bput(b, le, 4);
}

static void
bput_floats(struct bytes *b, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        bput_i32(b, (int32_t)u);
    }
}

/* ---- small files, byte for byte ------------------------------------------ */

static const float quad_P[] = {0.1f, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, -2.5f};
static const int32_t quad_fc[] = {4};
static const int32_t quad_fi[] = {0, 1, 2, 3};

static void
test_mesh_quad(void **state)
{
    (void)state;
    struct arch t;
    arch_begin(&t);
    add_polymesh(&t, "quad", quad_P, 4, quad_fc, 1, quad_fi, 4);
    arch_end(&t);

    abc_mesh *m = open_mesh(&t, "/quad");
    assert_int_equal(abc_mesh_kind(m), ABC_MESH_POLYMESH);
    assert_int_equal(abc_mesh_num_samples(m), 1);
    abc_mesh_close(m);

    struct bytes want = {0};
    bputs(&want, "ply\nformat binary_little_endian 1.0\ncomment abcfs /quad sample 0\n"
                 "element vertex 4\nproperty float x\nproperty float y\nproperty float z\n"
                 "element face 1\nproperty list uchar int vertex_indices\nend_header\n");
    size_t header_len = want.len;
    bput_floats(&want, quad_P, 12);
    bput_u8(&want, 4);
    bput_i32(&want, 3);
    bput_i32(&want, 2);
    bput_i32(&want, 1);
    bput_i32(&want, 0);
    size_t len;
    uint8_t *got = file_bytes(&t, "/quad", 0, ABC_MESH_PLY, &len);
    assert_bytes(got, len, want.p, want.len);
    free(got);
    free(want.p);

    /* Three segments: header, the P payload, the faces. */
    m = open_mesh(&t, "/quad");
    abc_mesh_file *f;
    OK(abc_mesh_file_open(m, 0, ABC_MESH_PLY, &f, err));
    const struct abc_mesh_segment *segs;
    assert_int_equal(abc_mesh_file_segments(f, &segs), 3);
    assert_false(segs[0].archive);
    assert_int_equal(segs[0].len, header_len);
    assert_true(segs[1].archive);
    assert_int_equal(segs[1].len, 48);
    assert_false(segs[2].archive);
    assert_int_equal(segs[2].len, 17);
    uint8_t *chunk;
    uint64_t clen;
    BAD(OGAWA_E_INVAL, abc_mesh_file_chunk(f, 1, &chunk, &clen, err));    /* archive bytes */
    BAD(OGAWA_E_INVAL, abc_mesh_file_chunk(f, 3, &chunk, &clen, err));
    assert_null(chunk);
    abc_mesh_file_close(f);
    abc_mesh_close(m);

    check_text(&t, "/quad", 0,
               "# abcfs /quad sample 0\n"
               "v 0.100000001 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 -2.5\n"
               "f 4 3 2 1\n");
    arch_free(&t);
}

static void
test_mesh_triangle_fan(void **state)
{
    (void)state;
    static const float P[] = {0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, -1, 1, 0};
    static const int32_t fc[] = {3, 3, 3};
    static const int32_t fi[] = {0, 1, 2, 0, 2, 3, 0, 3, 4};
    struct arch t;
    arch_begin(&t);
    add_polymesh(&t, "fan", P, 5, fc, 3, fi, 9);
    arch_end(&t);

    struct bytes want = {0};
    bputs(&want, "ply\nformat binary_little_endian 1.0\ncomment abcfs /fan sample 0\n"
                 "element vertex 5\nproperty float x\nproperty float y\nproperty float z\n"
                 "element face 3\nproperty list uchar int vertex_indices\nend_header\n");
    bput_floats(&want, P, 15);
    static const int32_t reversed[] = {2, 1, 0, 3, 2, 0, 4, 3, 0};
    for (int k = 0; k < 9; k++) {
        if (k % 3 == 0)
            bput_u8(&want, 3);
        bput_i32(&want, reversed[k]);
    }
    size_t len;
    uint8_t *got = file_bytes(&t, "/fan", 0, ABC_MESH_PLY, &len);
    assert_bytes(got, len, want.p, want.len);
    free(got);
    free(want.p);
    check_text(&t, "/fan", 0,
               "# abcfs /fan sample 0\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv -1 1 0\n"
               "f 3 2 1\nf 4 3 1\nf 5 4 1\n");
    arch_free(&t);
}

/* A face of n vertices 0 .. n-1 and a triangle after it. */
static void
check_big_face(int32_t n, const char *list)
{
    struct arch t;
    arch_begin(&t);
    float *P = calloc((size_t)n * 3, sizeof(float));
    int32_t *fi = malloc(((size_t)n + 3) * sizeof(int32_t));
    for (int32_t k = 0; k < n; k++) {
        P[3 * k] = (float)k;
        fi[k] = k;
    }
    fi[n] = 0, fi[n + 1] = 1, fi[n + 2] = 2;
    const int32_t fc[] = {n, 3};
    add_polymesh(&t, "disc", P, (size_t)n, fc, 2, fi, (size_t)n + 3);
    arch_end(&t);

    struct bytes want = {0};
    char head[512];
    snprintf(head, sizeof(head),
             "ply\nformat binary_little_endian 1.0\ncomment abcfs /disc sample 0\n"
             "element vertex %d\nproperty float x\nproperty float y\nproperty float z\n"
             "element face 2\nproperty list %s int vertex_indices\nend_header\n", n, list);
    bputs(&want, head);
    bput_floats(&want, P, (size_t)n * 3);
    bool wide = strcmp(list, "uint") == 0;
    if (wide)
        bput_i32(&want, n);
    else
        bput_u8(&want, (uint8_t)n);
    for (int32_t k = n - 1; k >= 0; k--)
        bput_i32(&want, k);
    if (wide)
        bput_i32(&want, 3);
    else
        bput_u8(&want, 3);
    bput_i32(&want, 2);
    bput_i32(&want, 1);
    bput_i32(&want, 0);
    size_t len;
    uint8_t *got = file_bytes(&t, "/disc", 0, ABC_MESH_PLY, &len);
    assert_bytes(got, len, want.p, want.len);
    free(got);
    free(want.p);
    free(P);
    free(fi);
    arch_free(&t);
}

static void
test_mesh_face_of_300_is_uint(void **state)
{
    (void)state;
    check_big_face(300, "uint");
    check_big_face(256, "uint");
    check_big_face(255, "uchar");
}

static void
test_mesh_points(void **state)
{
    (void)state;
    static const float P[] = {1, 2, 3, 4, 5, 6};
    struct arch t;
    arch_begin(&t);
    abc_wprop *geom = add_mesh(&t, "pts", "AbcGeom_Points_v1");
    put(add_array(geom, "P", ABC_POD_FLOAT32, 3), P, sizeof(P));
    /* Face properties on Points count samples (views.md) but are not read. */
    abc_wprop *fc = add_array(geom, ".faceCounts", ABC_POD_UINT8, 1);
    put(fc, (const uint8_t[]){1}, 1);
    put(fc, (const uint8_t[]){2}, 1);
    arch_end(&t);

    abc_mesh *m = open_mesh(&t, "/pts");
    assert_int_equal(abc_mesh_kind(m), ABC_MESH_POINTS);
    assert_int_equal(abc_mesh_num_samples(m), 2);
    struct abc_mesh_info info;
    OK(abc_mesh_info(m, 1, &info, err));
    assert_true(info.valid);
    assert_int_equal(info.points, 2);
    assert_int_equal(info.faces, 0);
    abc_mesh_file *f;
    BAD(OGAWA_E_INVAL, abc_mesh_file_open(m, 0, ABC_MESH_OBJ, &f, err));
    assert_null(f);
    BAD(OGAWA_E_INVAL, abc_mesh_file_open(m, 0, 7, &f, err));
    abc_mesh_close(m);

    struct bytes want = {0};
    bputs(&want, "ply\nformat binary_little_endian 1.0\ncomment abcfs /pts sample 0\n"
                 "element vertex 2\nproperty float x\nproperty float y\nproperty float z\n"
                 "end_header\n");
    bput_floats(&want, P, 6);
    size_t len;
    uint8_t *got = file_bytes(&t, "/pts", 0, ABC_MESH_PLY, &len);
    assert_bytes(got, len, want.p, want.len);
    free(got);
    want.p[strlen("ply\nformat binary_little_endian 1.0\ncomment abcfs /pts sample ")] = '1';
    got = file_bytes(&t, "/pts", 1, ABC_MESH_PLY, &len);
    assert_bytes(got, len, want.p, want.len);
    free(got);
    free(want.p);
    arch_free(&t);
}

/* ---- invalid topologies -------------------------------------------------- */

static void
assert_invalid(struct arch *t, const char *path)
{
    abc_mesh *m = open_mesh(t, path);
    for (int fmt = ABC_MESH_PLY; fmt <= ABC_MESH_OBJ; fmt++) {
        abc_mesh_file *f;
        OK(abc_mesh_file_open(m, 0, fmt, &f, err));
        assert_false(abc_mesh_file_valid(f));
        assert_int_equal(abc_mesh_file_size(f), 0);
        const struct abc_mesh_segment *segs;
        assert_int_equal(abc_mesh_file_segments(f, &segs), 0);
        uint8_t *chunk;
        uint64_t len;
        BAD(OGAWA_E_INVAL, abc_mesh_file_chunk(f, 0, &chunk, &len, err));
        abc_mesh_file_close(f);
    }
    struct abc_mesh_info info;
    OK(abc_mesh_info(m, 0, &info, err));
    assert_false(info.valid);
    abc_mesh_close(m);
}

static int
count_face(void *ctx, const struct abc_mesh_face *face)
{
    (void)face;
    ++*(int *)ctx;
    return 0;
}

static void
test_mesh_invalid_topologies(void **state)
{
    (void)state;
    static const float P[] = {0, 0, 0, 1, 0, 0, 1, 1, 0};
    struct arch t;
    arch_begin(&t);
    add_polymesh(&t, "negative", P, 3, (const int32_t[]){3, -1, 1}, 3, (const int32_t[]){0, 1, 2}, 3);
    add_polymesh(&t, "short", P, 3, (const int32_t[]){3}, 1, (const int32_t[]){0, 1, 2, 0}, 4);
    add_polymesh(&t, "long", P, 3, (const int32_t[]){3, 1}, 2, (const int32_t[]){0, 1, 2}, 3);
    add_polymesh(&t, "index_past", P, 3, (const int32_t[]){3}, 1, (const int32_t[]){0, 1, 3}, 3);
    add_polymesh(&t, "index_negative", P, 3, (const int32_t[]){3}, 1, (const int32_t[]){0, -1, 2}, 3);
    /* Counts whose total overflows 32 bits (and would 64 if added carelessly). */
    add_polymesh(&t, "overflow", P, 3, (const int32_t[]){INT32_MAX, INT32_MAX, INT32_MAX, 2}, 4,
                 (const int32_t[]){0, 1, 2}, 3);
    /* 2^31 - 1 vertices claimed by one face, three indices stored. */
    add_polymesh(&t, "huge_face", P, 3, (const int32_t[]){INT32_MAX}, 1, (const int32_t[]){0, 1, 2}, 3);
    /* Faces without points. */
    add_polymesh(&t, "no_points", P, 0, (const int32_t[]){3}, 1, (const int32_t[]){0, 1, 2}, 3);
    /* P that is not float32 x 3: the vertex block could not be P's bytes. */
    abc_wprop *geom = add_mesh(&t, "p_double", "AbcGeom_PolyMesh_v1");
    put(add_array(geom, "P", ABC_POD_FLOAT64, 3), (const double[]){0, 0, 0, 1, 0, 0, 1, 1, 0}, 72);
    put(add_array(geom, ".faceIndices", ABC_POD_INT32, 1), (const int32_t[]){0, 1, 2}, 12);
    put(add_array(geom, ".faceCounts", ABC_POD_INT32, 1), (const int32_t[]){3}, 4);
    geom = add_mesh(&t, "counts_u8", "AbcGeom_SubD_v1");
    put(add_array(geom, "P", ABC_POD_FLOAT32, 3), P, sizeof(P));
    put(add_array(geom, ".faceIndices", ABC_POD_INT32, 1), (const int32_t[]){0, 1, 2}, 12);
    put(add_array(geom, ".faceCounts", ABC_POD_UINT8, 1), (const uint8_t[]){3}, 1);
    arch_end(&t);

    static const char *const bad[] = {"/negative", "/short", "/long", "/index_past", "/index_negative",
                                      "/overflow", "/huge_face", "/no_points", "/p_double",
                                      "/counts_u8"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_invalid(&t, bad[i]);
        abc_mesh *m = open_mesh(&t, bad[i]);
        int faces = 0;
        BAD(OGAWA_E_CORRUPT, abc_mesh_foreach_face(m, 0, count_face, &faces, err));
        abc_mesh_close(m);
    }
    arch_free(&t);
}

/* ---- samples ------------------------------------------------------------- */

static void
test_mesh_clamped_samples(void **state)
{
    (void)state;
    struct arch t;
    arch_begin(&t);
    abc_wprop *geom = add_mesh(&t, "m", "AbcGeom_PolyMesh_v1");
    abc_wprop *P = add_array(geom, "P", ABC_POD_FLOAT32, 3);
    abc_wprop *fi = add_array(geom, ".faceIndices", ABC_POD_INT32, 1);
    abc_wprop *fc = add_array(geom, ".faceCounts", ABC_POD_INT32, 1);
    for (int s = 0; s < 3; s++) {
        float p[9] = {0, 0, (float)s, 1, 0, (float)s, 0, 1, (float)s};
        put(P, p, sizeof(p));
    }
    put(fi, (const int32_t[]){0, 1, 2}, 12);
    put(fc, (const int32_t[]){3}, 4);
    /* Topology with more samples than P: P is clamped to its last. */
    geom = add_mesh(&t, "n", "AbcGeom_PolyMesh_v1");
    put(add_array(geom, "P", ABC_POD_FLOAT32, 3), (const float[]){0, 0, 0, 1, 0, 0, 0, 1, 0}, 36);
    fi = add_array(geom, ".faceIndices", ABC_POD_INT32, 1);
    fc = add_array(geom, ".faceCounts", ABC_POD_INT32, 1);
    put(fi, (const int32_t[]){0, 1, 2}, 12);
    put(fc, (const int32_t[]){3}, 4);
    put(fi, (const int32_t[]){2, 1, 0}, 12);
    put(fc, (const int32_t[]){3}, 4);
    arch_end(&t);

    abc_mesh *m = open_mesh(&t, "/m");
    assert_int_equal(abc_mesh_num_samples(m), 3);
    abc_mesh_file *f;
    BAD(OGAWA_E_NOENT, abc_mesh_file_open(m, 3, ABC_MESH_PLY, &f, err));
    assert_null(f);
    struct abc_mesh_info info;
    BAD(OGAWA_E_NOENT, abc_mesh_info(m, 3, &info, err));
    abc_mesh_close(m);
    check_text(&t, "/m", 2, "# abcfs /m sample 2\nv 0 0 2\nv 1 0 2\nv 0 1 2\nf 3 2 1\n");
    check_text(&t, "/m", 0, "# abcfs /m sample 0\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 3 2 1\n");

    m = open_mesh(&t, "/n");
    assert_int_equal(abc_mesh_num_samples(m), 2);
    abc_mesh_close(m);
    check_text(&t, "/n", 1, "# abcfs /n sample 1\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n");
    /* The PLY of sample 1 splices P's sample 0 (its only one). */
    size_t len;
    uint8_t *got = file_bytes(&t, "/n", 1, ABC_MESH_PLY, &len);
    free(got);
    arch_free(&t);
}

static void
test_mesh_varying_topology(void **state)
{
    (void)state;
    struct arch t;
    arch_begin(&t);
    abc_wprop *geom = add_mesh(&t, "v", "AbcGeom_PolyMesh_v1");
    abc_wprop *P = add_array(geom, "P", ABC_POD_FLOAT32, 3);
    abc_wprop *fi = add_array(geom, ".faceIndices", ABC_POD_INT32, 1);
    abc_wprop *fc = add_array(geom, ".faceCounts", ABC_POD_INT32, 1);
    put(P, (const float[]){0, 0, 0, 1, 0, 0, 0, 1, 0}, 36);
    put(fi, (const int32_t[]){0, 1, 2}, 12);
    put(fc, (const int32_t[]){3}, 4);
    put(P, (const float[]){0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 2, 0, 0}, 60);
    put(fi, (const int32_t[]){0, 1, 2, 3, 1, 4, 2}, 28);
    put(fc, (const int32_t[]){4, 3}, 8);
    /* Sample 2: counts and indices disagree. */
    OK(abc_wprop_repeat_sample(P, err));
    put(fi, (const int32_t[]){0, 1, 2, 3}, 16);
    OK(abc_wprop_repeat_sample(fc, err));
    arch_end(&t);

    check_text(&t, "/v", 0, "# abcfs /v sample 0\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 3 2 1\n");
    check_text(&t, "/v", 1,
               "# abcfs /v sample 1\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 2 0 0\n"
               "f 4 3 2 1\nf 3 5 2\n");
    abc_mesh *m = open_mesh(&t, "/v");
    struct abc_mesh_info info;
    OK(abc_mesh_info(m, 1, &info, err));
    assert_true(info.valid);
    assert_int_equal(info.points, 5);
    assert_int_equal(info.faces, 2);
    assert_int_equal(info.indices, 7);
    assert_int_equal(info.max_face, 4);
    OK(abc_mesh_info(m, 2, &info, err));
    assert_false(info.valid);
    abc_mesh_file *f;
    OK(abc_mesh_file_open(m, 2, ABC_MESH_OBJ, &f, err));
    assert_false(abc_mesh_file_valid(f));
    abc_mesh_file_close(f);
    abc_mesh_close(m);
    arch_free(&t);
}

static void
test_mesh_empty(void **state)
{
    (void)state;
    struct arch t;
    arch_begin(&t);
    abc_wprop *geom = add_mesh(&t, "empty", "AbcGeom_PolyMesh_v1");
    put(add_array(geom, "P", ABC_POD_FLOAT32, 3), NULL, 0);
    put(add_array(geom, ".faceIndices", ABC_POD_INT32, 1), NULL, 0);
    put(add_array(geom, ".faceCounts", ABC_POD_INT32, 1), NULL, 0);
    /* Points with nothing but zero-vertex faces: valid, "f" alone. */
    add_polymesh(&t, "zero_faces", (const float[]){1, 2, 3}, 1, (const int32_t[]){0, 0}, 2, NULL, 0);
    /* No properties at all: no samples, no files. */
    add_mesh(&t, "bare", "AbcGeom_SubD_v1");
    arch_end(&t);

    size_t len;
    uint8_t *got = file_bytes(&t, "/empty", 0, ABC_MESH_PLY, &len);
    const char *want = "ply\nformat binary_little_endian 1.0\ncomment abcfs /empty sample 0\n"
                       "element vertex 0\nproperty float x\nproperty float y\nproperty float z\n"
                       "element face 0\nproperty list uchar int vertex_indices\nend_header\n";
    assert_bytes(got, len, want, strlen(want));
    free(got);
    check_text(&t, "/empty", 0, "# abcfs /empty sample 0\n");
    check_text(&t, "/zero_faces", 0, "# abcfs /zero_faces sample 0\nv 1 2 3\nf\nf\n");
    got = file_bytes(&t, "/zero_faces", 0, ABC_MESH_PLY, &len);
    assert_int_equal(len, strlen(want) - strlen("/empty element vertex 0 element face 0") +
                              strlen("/zero_faces element vertex 1 element face 2") + 12 + 2);
    assert_int_equal(got[len - 1], 0);
    assert_int_equal(got[len - 2], 0);
    free(got);

    abc_mesh *m = open_mesh(&t, "/bare");
    assert_int_equal(abc_mesh_num_samples(m), 0);
    abc_mesh_file *f;
    BAD(OGAWA_E_NOENT, abc_mesh_file_open(m, 0, ABC_MESH_PLY, &f, err));
    abc_mesh_close(m);
    arch_free(&t);
}

/* ---- names and schemas --------------------------------------------------- */

static void
test_mesh_names_escaped(void **state)
{
    (void)state;
    struct arch t;
    arch_begin(&t);
    abc_wobject *xf;
    OK(abc_wobject_add_child(abc_writer_top(t.w), abc_wstr("x f%"), NULL, &xf, err));
    abc_wprop *geom = add_geom_object(xf, (abc_str){"a\tb\n\0\x7f\xc3\xa9", 8}, "AbcGeom_PolyMesh_v1");
    put(add_array(geom, "P", ABC_POD_FLOAT32, 3), (const float[]){0, 0, 0}, 12);
    arch_end(&t);

    abc_object *o;
    assert_int_equal(find_object(&t, "/x f%/a\tb\n\0\x7f\xc3\xa9", 14, &o), 0);
    abc_mesh *m;
    OK(abc_mesh_open(o, &m, err));
    abc_object_unref(o);
    abc_mesh_file *f;
    OK(abc_mesh_file_open(m, 0, ABC_MESH_OBJ, &f, err));
    size_t len;
    uint8_t *got = assemble(&t, f, NULL, &len);
    const char *want = "# abcfs /x f%/a%09b%0A%00\x7f\xc3\xa9 sample 0\nv 0 0 0\n";
    assert_bytes(got, len, want, strlen(want));
    free(got);
    abc_mesh_file_close(f);
    abc_mesh_close(m);
    arch_free(&t);
}

static void
test_mesh_schema_matching(void **state)
{
    (void)state;
    struct arch t;
    arch_begin(&t);
    abc_wobject *top = abc_writer_top(t.w), *o;
    abc_wprop *geom;
    /* schema without ":.geom" does not match strictly (the C++ reader). */
    OK(abc_wobject_add_child(top, abc_wstr("loose"), ABC_WMETA("schema", "AbcGeom_PolyMesh_v1"), &o, err));
    OK(abc_wprop_add_compound(abc_wobject_props(o), abc_wstr(".geom"), NULL, &geom, err));
    OK(abc_wobject_add_child(top, abc_wstr("by_schema"), ABC_WMETA("schema", "AbcGeom_SubD_v1:.geom"),
                             &o, err));
    OK(abc_wprop_add_compound(abc_wobject_props(o), abc_wstr(".geom"), NULL, &geom, err));
    OK(abc_wobject_add_child(top, abc_wstr("no_geom"),
                             ABC_WMETA("schemaObjTitle", "AbcGeom_PolyMesh_v1:.geom"), &o, err));
    OK(abc_wprop_add_compound(abc_wobject_props(o), abc_wstr(".other"), NULL, &geom, err));
    OK(abc_wobject_add_child(top, abc_wstr("geom_not_compound"),
                             ABC_WMETA("schemaObjTitle", "AbcGeom_Points_v1:.geom"), &o, err));
    add_array(abc_wobject_props(o), ".geom", ABC_POD_FLOAT32, 3);
    add_mesh(&t, "xform", "AbcGeom_Xform_v3");
    add_mesh(&t, "curves", "AbcGeom_Curve_v2");
    arch_end(&t);

    static const struct {
        const char *path;
        int kind;               /* -1: OGAWA_E_NOENT */
    } cases[] = {
        {"/loose", -1}, {"/by_schema", ABC_MESH_SUBD}, {"/no_geom", -1},
        {"/geom_not_compound", -1}, {"/xform", -1}, {"/curves", ABC_MESH_CURVES}, {"/", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        abc_object *obj;
        assert_int_equal(find_object(&t, cases[i].path, strlen(cases[i].path), &obj), 0);
        abc_mesh *m;
        if (cases[i].kind < 0) {
            BAD(OGAWA_E_NOENT, abc_mesh_open(obj, &m, err));
            assert_null(m);
        } else {
            OK(abc_mesh_open(obj, &m, err));
            assert_int_equal(abc_mesh_kind(m), cases[i].kind);
            abc_mesh_close(m);
        }
        abc_object_unref(obj);
    }
    arch_free(&t);
}

/* ---- chunks -------------------------------------------------------------- */

/* A face of 300000 vertices (more than one chunk of either format and more
 * than one window) between two triangles, with as many points. */
static void
test_mesh_face_across_chunks(void **state)
{
    (void)state;
    const int32_t n = 300000;
    float *P = malloc((size_t)n * 12);
    int32_t *fi = malloc(((size_t)n + 6) * 4);
    for (int32_t k = 0; k < n; k++) {
        P[3 * k] = (float)k * 0.001f;
        P[3 * k + 1] = -(float)k;
        P[3 * k + 2] = 1.0f / (float)(k + 1);
        fi[3 + k] = (int32_t)((int64_t)k * 7919 % n);    /* every point once, in a shuffled order */
    }
    fi[0] = 0, fi[1] = 1, fi[2] = 2;
    fi[n + 3] = n - 1, fi[n + 4] = 5, fi[n + 5] = 0;
    const int32_t fc[] = {3, n, 3};
    struct arch t;
    arch_begin(&t);
    add_polymesh(&t, "big", P, (size_t)n, fc, 3, fi, (size_t)n + 6);
    arch_end(&t);

    struct bytes want = {0};
    char line[512];
    snprintf(line, sizeof(line),
             "ply\nformat binary_little_endian 1.0\ncomment abcfs /big sample 0\n"
             "element vertex %d\nproperty float x\nproperty float y\nproperty float z\n"
             "element face 3\nproperty list uint int vertex_indices\nend_header\n", n);
    bputs(&want, line);
    bput_floats(&want, P, (size_t)n * 3);
    size_t first = 0;
    for (int face = 0; face < 3; face++) {
        bput_i32(&want, fc[face]);
        for (int32_t k = fc[face] - 1; k >= 0; k--)
            bput_i32(&want, fi[first + (size_t)k]);
        first += (size_t)fc[face];
    }
    size_t len;
    uint8_t *got = file_bytes(&t, "/big", 0, ABC_MESH_PLY, &len);
    assert_bytes(got, len, want.p, want.len);
    free(got);

    want.len = 0;
    bputs(&want, "# abcfs /big sample 0\n");
    for (int32_t k = 0; k < n; k++) {
        snprintf(line, sizeof(line), "v %.9g %.9g %.9g\n", (double)P[3 * k], (double)P[3 * k + 1],
                 (double)P[3 * k + 2]);
        bputs(&want, line);
    }
    first = 0;
    for (int face = 0; face < 3; face++) {
        bputs(&want, "f");
        for (int32_t k = fc[face] - 1; k >= 0; k--) {
            snprintf(line, sizeof(line), " %d", fi[first + (size_t)k] + 1);
            bputs(&want, line);
        }
        bputs(&want, "\n");
        first += (size_t)fc[face];
    }
    got = file_bytes(&t, "/big", 0, ABC_MESH_OBJ, &len);
    assert_bytes(got, len, want.p, want.len);
    free(got);

    abc_mesh *m = open_mesh(&t, "/big");
    abc_mesh_file *f;
    OK(abc_mesh_file_open(m, 0, ABC_MESH_OBJ, &f, err));
    const struct abc_mesh_segment *segs;
    assert_true(abc_mesh_file_segments(f, &segs) > want.len / ABC_MESH_CHUNK);
    abc_mesh_file_close(f);
    abc_mesh_close(m);
    free(want.p);
    free(P);
    free(fi);
    arch_free(&t);
}

/* ---- walks for pictures -------------------------------------------------- */

struct walk_sums {
    uint64_t points, faces, pieces, indices, index_sum;
    double x_sum;
    uint64_t last_face, next_first;
    uint64_t curves[8][2];
    size_t n_curves;
};

static int
sum_points(void *ctx, uint64_t first, const float *xyz, size_t n)
{
    struct walk_sums *s = ctx;
    assert_int_equal(first, s->points);
    for (size_t k = 0; k < n; k++)
        s->x_sum += xyz[3 * k];
    s->points += n;
    return 0;
}

static int
sum_faces(void *ctx, const struct abc_mesh_face *f)
{
    struct walk_sums *s = ctx;
    if (f->first == 0) {
        assert_int_equal(f->face, s->faces);
        s->faces++;
    } else {
        assert_int_equal(f->face, s->last_face);
        assert_int_equal(f->first, s->next_first);
    }
    assert_true(f->n <= ABC_MESH_WINDOW);
    s->last_face = f->face;
    s->next_first = f->first + f->n;
    s->pieces++;
    for (uint32_t k = 0; k < f->n; k++)
        s->index_sum += (uint64_t)f->indices[k];
    s->indices += f->n;
    return 0;
}

static int
stop_at_second(void *ctx, const struct abc_mesh_face *f)
{
    (void)ctx;
    return f->face == 1 ? 42 : 0;
}

static int
list_curve(void *ctx, uint64_t curve, uint64_t first, uint64_t n)
{
    struct walk_sums *s = ctx;
    assert_int_equal(curve, s->n_curves);
    assert_true(s->n_curves < 8);
    s->curves[s->n_curves][0] = first;
    s->curves[s->n_curves][1] = n;
    s->n_curves++;
    return 0;
}

static void
test_mesh_walks(void **state)
{
    (void)state;
    const int32_t n = 40000;
    float *P = calloc((size_t)n * 3, sizeof(float));
    int32_t *fi = malloc(((size_t)n + 3) * 4);
    for (int32_t k = 0; k < n; k++) {
        P[3 * k] = 1.0f;
        fi[k] = k;
    }
    fi[n] = 2, fi[n + 1] = 1, fi[n + 2] = 0;
    struct arch t;
    arch_begin(&t);
    add_polymesh(&t, "m", P, (size_t)n, (const int32_t[]){n, 0, 3}, 3, fi, (size_t)n + 3);
    abc_wprop *geom = add_mesh(&t, "c", "AbcGeom_Curve_v2");
    put(add_array(geom, "P", ABC_POD_FLOAT32, 3), P, 6 * 12);
    put(add_array(geom, "nVertices", ABC_POD_INT32, 1), (const int32_t[]){2, 3, -1, 10, 4}, 20);
    geom = add_mesh(&t, "c1", "AbcGeom_Curve_v2");
    put(add_array(geom, "P", ABC_POD_FLOAT32, 3), P, 5 * 12);
    arch_end(&t);

    abc_mesh *m = open_mesh(&t, "/m");
    struct walk_sums s = {0};
    OK(abc_mesh_foreach_point(m, 0, sum_points, &s, err));
    assert_int_equal(s.points, n);
    assert_true(s.x_sum == (double)n);
    OK(abc_mesh_foreach_face(m, 0, sum_faces, &s, err));
    assert_int_equal(s.faces, 3);
    /* 40000 = 16384 + 16384 + 7232: three pieces, then the empty face and the triangle. */
    assert_int_equal(s.pieces, 5);
    assert_int_equal(s.indices, (uint64_t)n + 3);
    assert_int_equal(s.index_sum, (uint64_t)n * (n - 1) / 2 + 3);
    assert_int_equal(abc_mesh_foreach_face(m, 0, stop_at_second, NULL, NULL), 42);
    BAD(OGAWA_E_INVAL, abc_mesh_foreach_curve(m, 0, list_curve, &s, err));
    abc_mesh_close(m);

    m = open_mesh(&t, "/c");
    assert_int_equal(abc_mesh_kind(m), ABC_MESH_CURVES);
    assert_int_equal(abc_mesh_num_samples(m), 1);
    abc_mesh_file *f;
    BAD(OGAWA_E_INVAL, abc_mesh_file_open(m, 0, ABC_MESH_PLY, &f, err));
    BAD(OGAWA_E_INVAL, abc_mesh_foreach_face(m, 0, sum_faces, &s, err));
    memset(&s, 0, sizeof(s));
    OK(abc_mesh_foreach_curve(m, 0, list_curve, &s, err));
    /* Clamped to the six points: 2, 3, an empty one, the one point left, none. */
    static const uint64_t want[5][2] = {{0, 2}, {2, 3}, {5, 0}, {5, 1}, {6, 0}};
    assert_int_equal(s.n_curves, 5);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(s.curves[k][0], want[k][0]);
        assert_int_equal(s.curves[k][1], want[k][1]);
    }
    struct abc_mesh_info info;
    OK(abc_mesh_info(m, 0, &info, err));
    assert_true(info.valid);
    assert_int_equal(info.points, 6);
    assert_int_equal(info.faces, 5);
    abc_mesh_close(m);

    m = open_mesh(&t, "/c1");
    memset(&s, 0, sizeof(s));
    OK(abc_mesh_foreach_curve(m, 0, list_curve, &s, err));
    assert_int_equal(s.n_curves, 1);
    assert_int_equal(s.curves[0][0], 0);
    assert_int_equal(s.curves[0][1], 5);
    abc_mesh_close(m);
    free(P);
    free(fi);
    arch_free(&t);
}

/* ---- 10^7 faces ---------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define HUGE_FACES 10000000
#define HUGE_POINTS 1000

/* Triangle k is (k, k+1, k+2) mod HUGE_POINTS. */
static int32_t
huge_index(uint64_t k, int corner)
{
    return (int32_t)((k + (uint64_t)corner) % HUGE_POINTS);
}

/* Written by a child process, so that the writer's buffers do not count
 * in this process's peak memory. */
static void
write_huge(const char *path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        abc_writer *w;
        struct ogawa_err e = {0};
        float *P = malloc(HUGE_POINTS * 12);
        int32_t *fi = malloc((size_t)HUGE_FACES * 12);
        int32_t *fc = malloc((size_t)HUGE_FACES * 4);
        if (!P || !fi || !fc)
            _exit(1);
        for (int k = 0; k < HUGE_POINTS * 3; k++)
            P[k] = (float)k * 0.25f;
        for (uint64_t k = 0; k < HUGE_FACES; k++) {
            fc[k] = 3;
            for (int c = 0; c < 3; c++)
                fi[3 * k + (uint64_t)c] = huge_index(k, c);
        }
        abc_wobject *o;
        abc_wprop *geom, *p;
        if (abc_writer_create(path, NULL, &w, &e) ||
            abc_wobject_add_child(abc_writer_top(w), abc_wstr("huge"),
                                  ABC_WMETA("schemaObjTitle", "AbcGeom_PolyMesh_v1:.geom"), &o, &e) ||
            abc_wprop_add_compound(abc_wobject_props(o), abc_wstr(".geom"), NULL, &geom, &e) ||
            abc_wprop_add_array(geom, abc_wstr("P"), NULL, ABC_POD_FLOAT32, 3, 0, &p, &e) ||
            abc_wprop_add_array_sample(p, P, HUGE_POINTS * 12, NULL, 0, &e) ||
            abc_wprop_add_array(geom, abc_wstr(".faceIndices"), NULL, ABC_POD_INT32, 1, 0, &p, &e) ||
            abc_wprop_add_array_sample(p, fi, (size_t)HUGE_FACES * 12, NULL, 0, &e) ||
            abc_wprop_add_array(geom, abc_wstr(".faceCounts"), NULL, ABC_POD_INT32, 1, 0, &p, &e) ||
            abc_wprop_add_array_sample(p, fc, (size_t)HUGE_FACES * 4, NULL, 0, &e) ||
            abc_writer_close(w, &e))
            _exit(1);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static long
peak_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static unsigned
digits(uint64_t v)
{
    unsigned n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static void
test_mesh_ten_million_faces(void **state)
{
    (void)state;
    struct arch t;
    memset(&t, 0, sizeof(t));
    strcpy(t.path, "/tmp/test_abc_mesh_huge_XXXXXX");
    int fd = mkstemp(t.path);
    assert_true(fd >= 0);
    close(fd);
    write_huge(t.path);
    long before = peak_kb();
    OK(abc_archive_open(t.path, &t.a, err));
    abc_mesh *m = open_mesh(&t, "/huge");

    const char *header = "ply\nformat binary_little_endian 1.0\ncomment abcfs /huge sample 0\n"
                         "element vertex 1000\nproperty float x\nproperty float y\nproperty float z\n"
                         "element face 10000000\nproperty list uchar int vertex_indices\nend_header\n";
    abc_mesh_file *ply, *obj;
    OK(abc_mesh_file_open(m, 0, ABC_MESH_PLY, &ply, err));
    assert_true(abc_mesh_file_valid(ply));
    assert_int_equal(abc_mesh_file_size(ply),
                     strlen(header) + 12ull * HUGE_POINTS + 13ull * HUGE_FACES);

    /* OBJ: "v" lines as formatted, then "f a b c\n" with 1-based indices. */
    uint64_t want = strlen("# abcfs /huge sample 0\n");
    char line[128];
    for (int k = 0; k < HUGE_POINTS; k++)
        want += (uint64_t)snprintf(line, sizeof(line), "v %.9g %.9g %.9g\n", (double)(3 * k) * 0.25,
                                   (double)(3 * k + 1) * 0.25, (double)(3 * k + 2) * 0.25);
    /* Each residue of k mod 1000 occurs 10^4 times: sum digits per residue. */
    uint64_t per_cycle = 0;
    for (int r = 0; r < HUGE_POINTS; r++)
        for (int c = 0; c < 3; c++)
            per_cycle += 1 + digits((uint64_t)huge_index((uint64_t)r, c) + 1);
    want += (uint64_t)(HUGE_FACES / HUGE_POINTS) * per_cycle + 2ull * HUGE_FACES;
    OK(abc_mesh_file_open(m, 0, ABC_MESH_OBJ, &obj, err));
    assert_int_equal(abc_mesh_file_size(obj), want);

    /* Render every PLY chunk and spot-check the faces where chunks start. */
    const struct abc_mesh_segment *segs;
    size_t n = abc_mesh_file_segments(ply, &segs);
    assert_true(n >= 13ull * HUGE_FACES / ABC_MESH_CHUNK);
    uint64_t face_start = strlen(header) + 12ull * HUGE_POINTS;
    for (size_t i = 0; i < n; i++) {
        if (segs[i].archive)
            continue;
        uint8_t *chunk;
        uint64_t len;
        OK(abc_mesh_file_chunk(ply, segs[i].chunk, &chunk, &len, err));
        assert_int_equal(len, segs[i].len);
        if (segs[i].file_off >= face_start) {
            uint64_t rel = segs[i].file_off - face_start, face = rel / 13, at = rel % 13;
            /* The first whole face in the chunk: count 3, then c b a. */
            uint64_t skip = at ? 13 - at : 0;
            if (skip + 13 <= len) {
                face += at ? 1 : 0;
                assert_int_equal(chunk[skip], 3);
                int32_t v[3];
                memcpy(v, chunk + skip + 1, 12);
                assert_int_equal(v[0], huge_index(face, 2));
                assert_int_equal(v[1], huge_index(face, 1));
                assert_int_equal(v[2], huge_index(face, 0));
            }
        }
        free(chunk);
    }
    /* And the last OBJ chunk: it ends with the last face. */
    n = abc_mesh_file_segments(obj, &segs);
    uint8_t *chunk;
    uint64_t len;
    OK(abc_mesh_file_chunk(obj, segs[n - 1].chunk, &chunk, &len, err));
    snprintf(line, sizeof(line), "f %d %d %d\n", huge_index(HUGE_FACES - 1, 2) + 1,
             huge_index(HUGE_FACES - 1, 1) + 1, huge_index(HUGE_FACES - 1, 0) + 1);
    assert_true(len >= strlen(line));
    assert_memory_equal(chunk + len - strlen(line), line, strlen(line));
    free(chunk);

    long growth = peak_kb() - before;
    abc_mesh_file_close(ply);
    abc_mesh_file_close(obj);
    abc_mesh_close(m);
    arch_free(&t);
    /* Windows, a few chunks and the segment tables: far below the 160 MB of
     * samples.  AddressSanitizer keeps freed memory in quarantine, so its
     * builds do not measure this. */
    if (!UNDER_ASAN && growth > 16 * 1024)
        fail_msg("peak memory grew by %ld KiB reading a mesh of 10^7 faces", growth);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        /* First, while this process's peak memory is still its own. */
        cmocka_unit_test(test_mesh_ten_million_faces),
        cmocka_unit_test(test_mesh_quad),
        cmocka_unit_test(test_mesh_triangle_fan),
        cmocka_unit_test(test_mesh_face_of_300_is_uint),
        cmocka_unit_test(test_mesh_points),
        cmocka_unit_test(test_mesh_invalid_topologies),
        cmocka_unit_test(test_mesh_clamped_samples),
        cmocka_unit_test(test_mesh_varying_topology),
        cmocka_unit_test(test_mesh_empty),
        cmocka_unit_test(test_mesh_names_escaped),
        cmocka_unit_test(test_mesh_schema_matching),
        cmocka_unit_test(test_mesh_face_across_chunks),
        cmocka_unit_test(test_mesh_walks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
