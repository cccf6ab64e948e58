/*
 * abcmesh — writes the PLY or OBJ file of one mesh sample (views.md
 * ".ply/ and .obj/") through ogawa/abc_mesh.h, without mounting:
 *
 *     abcmesh ARCHIVE OBJECT SAMPLE ply|obj > FILE
 *     abcmesh --info ARCHIVE OBJECT SAMPLE
 *
 * OBJECT is the object's full name ("/xf/mesh", raw names, not escaped).
 * The file is assembled from its segments as a daemon would serve it:
 * archive segments copied from the archive, computed chunks rendered one
 * at a time.  --info prints the sample's kind, sample count, point, face
 * and index counts, validity and both file sizes (0 when invalid).
 *
 * Exit status: 0 ok, 1 the topology is invalid (the file would have size
 * 0 and answer EIO; nothing is written), 2 usage, archive or object error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abc_mesh.h"

#define ABCMESH_COPY (1u << 20)

static const char *const kind_names[] = {"PolyMesh", "SubD", "Points", "Curves"};

static int
write_all(const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t k = write(STDOUT_FILENO, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            perror("abcmesh: write");
            return -1;
        }
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

static void
report(const char *what, const struct ogawa_err *err)
{
    char msg[256];
    ogawa_err_format(err, msg, sizeof(msg));
    fprintf(stderr, "abcmesh: %s: %s\n", what, msg);
}

/* Opens the object named by a full name, child by child. */
static int
find_object(abc_archive *a, const char *path, abc_object **out, struct ogawa_err *err)
{
    abc_object *o;
    int rc = abc_archive_top(a, &o, err);
    const char *p = path;
    while (!rc && *p) {
        if (*p == '/') {
            p++;
            continue;
        }
        size_t len = strcspn(p, "/"), idx;
        abc_object *child = NULL;
        rc = abc_object_find(o, p, len, &idx);
        if (rc)
            ogawa_fail(err, rc, 0, "no such object");
        else
            rc = abc_object_child(o, idx, &child, err);
        abc_object_unref(o);
        o = child;
        p += len;
    }
    *out = rc ? NULL : o;
    if (rc)
        abc_object_unref(o);
    return rc;
}

/* Writes the file segment by segment. */
static int
write_file(abc_archive *a, abc_mesh_file *f)
{
    const struct abc_mesh_segment *segs;
    size_t n = abc_mesh_file_segments(f, &segs);
    uint8_t *buf = malloc(ABCMESH_COPY);
    if (!buf) {
        fprintf(stderr, "abcmesh: out of memory\n");
        return 2;
    }
    int ret = 0;
    for (size_t i = 0; i < n && !ret; i++) {
        struct ogawa_err err = {0};
        if (segs[i].archive) {
            for (uint64_t pos = 0; pos < segs[i].len && !ret; pos += ABCMESH_COPY) {
                uint64_t len = segs[i].len - pos < ABCMESH_COPY ? segs[i].len - pos : ABCMESH_COPY;
                if (ogawa_archive_read(abc_archive_ogawa(a), segs[i].archive_off + pos, buf, len,
                                       &err) != 0) {
                    report("reading the archive", &err);
                    ret = 2;
                } else if (write_all(buf, (size_t)len) != 0) {
                    ret = 2;
                }
            }
            continue;
        }
        uint8_t *chunk;
        uint64_t len;
        if (abc_mesh_file_chunk(f, segs[i].chunk, &chunk, &len, &err) != 0) {
            report("rendering", &err);
            ret = 2;
        } else if (write_all(chunk, (size_t)len) != 0) {
            ret = 2;
        }
        free(chunk);
    }
    free(buf);
    return ret;
}

static int
print_info(abc_mesh *m, uint32_t sample)
{
    struct ogawa_err err = {0};
    struct abc_mesh_info info;
    if (abc_mesh_info(m, sample, &info, &err) != 0) {
        report("reading the sample", &err);
        return 2;
    }
    uint64_t size[2] = {0, 0};
    for (int fmt = ABC_MESH_PLY; fmt <= ABC_MESH_OBJ; fmt++) {
        abc_mesh_file *f;
        if (abc_mesh_file_open(m, sample, fmt, &f, &err) == 0)
            size[fmt] = abc_mesh_file_size(f);
        abc_mesh_file_close(f);
    }
    printf("kind %s samples %u points %llu faces %llu indices %llu valid %d ply %llu obj %llu\n",
           kind_names[abc_mesh_kind(m)], abc_mesh_num_samples(m), (unsigned long long)info.points,
           (unsigned long long)info.faces, (unsigned long long)info.indices, info.valid ? 1 : 0,
           (unsigned long long)size[0], (unsigned long long)size[1]);
    return info.valid ? 0 : 1;
}

int
main(int argc, char **argv)
{
    bool info = argc == 5 && strcmp(argv[1], "--info") == 0;
    if (info) {
        argv++;
        argc--;
    }
    char *end;
    unsigned long sample = argc >= 4 ? strtoul(argv[3], &end, 10) : 0;
    int fmt = argc == 5 && strcmp(argv[4], "ply") == 0   ? ABC_MESH_PLY
              : argc == 5 && strcmp(argv[4], "obj") == 0 ? ABC_MESH_OBJ
                                                         : -1;
    if ((!info && fmt < 0) || (info && argc != 4) || argc < 4 || *argv[3] == 0 || *end != 0 ||
        sample > UINT32_MAX) {
        fprintf(stderr, "usage: abcmesh ARCHIVE OBJECT SAMPLE ply|obj > FILE\n"
                        "       abcmesh --info ARCHIVE OBJECT SAMPLE\n");
        return 2;
    }
    struct ogawa_err err = {0};
    abc_archive *a;
    if (abc_archive_open(argv[1], &a, &err) != 0) {
        report(argv[1], &err);
        return 2;
    }
    abc_object *o = NULL;
    abc_mesh *m = NULL;
    abc_mesh_file *f = NULL;
    int ret = 2;
    if (find_object(a, argv[2], &o, &err) != 0 || abc_mesh_open(o, &m, &err) != 0) {
        report(argv[2], &err);
    } else if (info) {
        ret = print_info(m, (uint32_t)sample);
    } else if (abc_mesh_file_open(m, (uint32_t)sample, fmt, &f, &err) != 0) {
        report(argv[2], &err);
    } else if (!abc_mesh_file_valid(f)) {
        fprintf(stderr, "abcmesh: %s sample %lu: invalid topology (size 0, EIO)\n", argv[2], sample);
        ret = 1;
    } else {
        ret = write_file(a, f);
    }
    abc_mesh_file_close(f);
    abc_mesh_close(m);
    abc_object_unref(o);
    abc_archive_close(a);
    return ret;
}
