/*
 * abcreadall — read every sample of every property of an archive in-process
 * with libogawa (no FUSE, no view layer), and print how many bytes that was
 * and how long it took.  It is the in-process baseline of the views
 * benchmarks (tools/bench_views.py): what reading a whole animation costs
 * when no file system stands between the reader and the archive.
 *
 * The walk opens the top object, then every object and every compound
 * below it, and for each scalar and array property asks for every sample
 * index i < num_samples (abc_property_sample) and copies its payload into
 * one reused buffer (abc_sample_read, in pieces of at most READ_CHUNK
 * bytes, so memory stays bounded whatever a sample's size).  Samples that
 * share a stored block (constant properties) are read again each time, as
 * a reader asking for sample i does.  Instances are not followed: their
 * targets are read where they stand.
 *
 * The walk keeps an explicit list of pending objects and compounds (no
 * recursion over archive data); each entry holds one reference.
 *
 * Output, one line of JSON on stdout:
 *   {"objects": O, "properties": P, "samples": S, "bytes": B, "seconds": T}
 * where T is the wall time from before abc_archive_open to after the last
 * read.  Exit 0 ok, 1 usage, 2 the archive cannot be opened, 3 it is
 * damaged past the open.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abc.h"
#include "ogawa.h"

enum { EXIT_USAGE = 1, EXIT_NOOPEN = 2, EXIT_DAMAGED = 3 };

/* Largest piece copied by one abc_sample_read: the size of the buffer. */
#define READ_CHUNK ((uint64_t)4 << 20)

/* Pending entries the walk may hold at once: far above the objects and
 * compounds of any archive we mean to measure; beyond it the walk fails
 * rather than grow without bound. */
#define PENDING_MAX ((size_t)1 << 26)

struct pending {
    abc_object *obj;            /* exactly one of obj and cpd is set */
    abc_compound *cpd;
};

struct walk {
    abc_archive *arc;
    struct pending *stack;
    size_t n, cap;
    uint8_t *buf;               /* READ_CHUNK bytes, reused for every read */
    uint64_t objects, properties, samples, bytes;
};

static double
now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Takes over the caller's reference of obj or cpd. */
static int
walk_push(struct walk *w, abc_object *obj, abc_compound *cpd, struct ogawa_err *err)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 256;
        struct pending *s = cap <= PENDING_MAX ? realloc(w->stack, cap * sizeof *s) : NULL;
        if (s == NULL) {
            abc_object_unref(obj);
            abc_compound_unref(cpd);
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "too many pending objects and compounds");
        }
        w->stack = s;
        w->cap = cap;
    }
    w->stack[w->n++] = (struct pending){obj, cpd};
    return 0;
}

/* Reads every sample of property idx of c into the walk's buffer. */
static int
walk_property(struct walk *w, abc_compound *c, size_t idx, struct ogawa_err *err)
{
    const struct abc_property_header *h = abc_compound_property(c, idx);
    w->properties++;
    for (uint32_t i = 0; i < h->num_samples; i++) {
        struct abc_sample s;
        int rc = abc_property_sample(c, idx, i, &s, err);
        if (rc != 0)
            return rc;
        for (uint64_t pos = 0; pos < s.payload_len; pos += READ_CHUNK) {
            uint64_t len = s.payload_len - pos < READ_CHUNK ? s.payload_len - pos : READ_CHUNK;
            rc = abc_sample_read(w->arc, &s, pos, w->buf, len, err);
            if (rc != 0)
                return rc;
        }
        w->samples++;
        w->bytes += s.payload_len;
    }
    return 0;
}

static int
walk_compound(struct walk *w, abc_compound *c, struct ogawa_err *err)
{
    size_t n = abc_compound_count(c);
    for (size_t k = 0; k < n; k++) {
        const struct abc_property_header *h = abc_compound_property(c, k);
        int rc;
        if (h->kind == ABC_KIND_COMPOUND) {
            abc_compound *sub;
            rc = abc_compound_child(c, k, &sub, err);
            if (rc == 0)
                rc = walk_push(w, NULL, sub, err);
        } else {
            rc = walk_property(w, c, k, err);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int
walk_object(struct walk *w, abc_object *o, struct ogawa_err *err)
{
    w->objects++;
    abc_compound *top;
    int rc = abc_object_properties(o, &top, err);
    if (rc == 0)
        rc = walk_push(w, NULL, top, err);
    size_t n = abc_object_child_count(o);
    for (size_t k = 0; k < n && rc == 0; k++) {
        abc_object *child;
        rc = abc_object_child(o, k, &child, err);
        if (rc == 0)
            rc = walk_push(w, child, NULL, err);
    }
    return rc;
}

static int
walk_all(struct walk *w, struct ogawa_err *err)
{
    abc_object *top;
    int rc = abc_archive_top(w->arc, &top, err);
    if (rc == 0)
        rc = walk_push(w, top, NULL, err);
    while (rc == 0 && w->n > 0) {
        struct pending p = w->stack[--w->n];
        rc = p.obj != NULL ? walk_object(w, p.obj, err) : walk_compound(w, p.cpd, err);
        abc_object_unref(p.obj);
        abc_compound_unref(p.cpd);
    }
    while (w->n > 0) {
        struct pending p = w->stack[--w->n];
        abc_object_unref(p.obj);
        abc_compound_unref(p.cpd);
    }
    return rc;
}

int
main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: abcreadall ARCHIVE\n"
                        "Reads every sample of every property in-process; prints one JSON line.\n");
        return EXIT_USAGE;
    }
    struct walk w = {0};
    struct ogawa_err err = {0};
    char msg[256];
    w.buf = malloc((size_t)READ_CHUNK);
    if (w.buf == NULL) {
        fprintf(stderr, "abcreadall: out of memory\n");
        return EXIT_DAMAGED;
    }
    double t0 = now_seconds();
    int rc = abc_archive_open(argv[1], &w.arc, &err);
    if (rc != 0) {
        ogawa_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "abcreadall: %s: %s\n", argv[1], msg);
        free(w.buf);
        return EXIT_NOOPEN;
    }
    rc = walk_all(&w, &err);
    double seconds = now_seconds() - t0;
    free(w.stack);
    free(w.buf);
    abc_archive_close(w.arc);
    if (rc != 0) {
        ogawa_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "abcreadall: %s: %s\n", argv[1], msg);
        return EXIT_DAMAGED;
    }
    printf("{\"objects\": %" PRIu64 ", \"properties\": %" PRIu64 ", \"samples\": %" PRIu64
           ", \"bytes\": %" PRIu64 ", \"seconds\": %.6f}\n",
           w.objects, w.properties, w.samples, w.bytes, seconds);
    return 0;
}
