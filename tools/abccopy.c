/*
 * abccopy IN OUT — reads an Alembic archive with the reader (ogawa/abc.h)
 * and writes an equivalent one with the writer (ogawa/abc_write.h): the
 * same objects, properties, metadata, samples (repeats stay repeats), time
 * samplings (same indices and max_num_samples) and instances (copied as
 * what they are in the file: an object with isInstance=1 and an
 * .instanceSource property, never expanded).
 *
 * The output is laid out by our writer: blocks in a tidy order (each
 * property's group right after its samples, objects depth first), with the
 * C++ library's de-duplication, so a copy also repairs ordering and drops
 * unreferenced bytes.  Metadata is copied as serialized (raw), so keys and
 * values the C++ writer could not have produced survive.
 *
 * Normalizations (what a reader shows is what is written): string and
 * wstring samples are cut or padded to the number of strings the reader
 * reports (§5.5; a foreign writer may have left extra or missing
 * terminators); array dims are those the reader derived (§5.6 fallback).
 *
 * Walks are iterative (explicit stacks), so hierarchies as deep as the
 * reader accepts (ABC_MAX_DEPTH) copy without recursion.
 *
 * abccopy --gzip[=LEVEL] IN OUT does not rewrite: it compresses IN's
 * archive bytes as they are (inflated first if IN is itself gzip) into
 * blocked gzip (source.h), so `zcat OUT | cmp - IN` holds for a plain IN.
 *
 * Exit 0 ok, 1 usage, 2 cannot open IN or create OUT, 3 read or write
 * failure (OUT is then left unfrozen: readers refuse it).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abc_write.h"
#include "source.h"

static const char *prog = "abccopy";
static const char *in_path, *out_path;

static void
die(int status, const char *what, const struct ogawa_err *e)
{
    char buf[256];
    ogawa_err_format(e, buf, sizeof(buf));
    fprintf(stderr, "%s: %s: %s\n", prog, what, buf);
    exit(status);
}

#define READ(expr)                                                                 \
    do {                                                                           \
        if ((expr) != 0)                                                           \
            die(3, in_path, &err);                                                 \
    } while (0)
#define WRITE(expr)                                                                \
    do {                                                                           \
        if ((expr) != 0)                                                           \
            die(3, out_path, &err);                                                \
    } while (0)

static void *
xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(3);
    }
    return p;
}

/* Growable scratch buffer for payloads. */
struct buf {
    uint8_t *p;
    size_t cap;
};

static void
buf_need(struct buf *b, size_t n)
{
    if (n > b->cap) {
        b->p = xrealloc(b->p, n);
        b->cap = n;
    }
}

/*
 * Rewrites a string (unit 1) or wstring (unit 4) payload in b[0..*len) to
 * exactly want strings, each terminated: splits at terminators (a trailing
 * unterminated piece is a string), keeps the first want, adds empty ones.
 */
static void
strings_normalize(struct buf *b, size_t *len, unsigned unit, uint64_t want)
{
    size_t n_units = *len / unit, have = 0, end = 0;
    for (size_t k = 0; k < n_units && have < want; k++) {
        bool zero = true;
        for (unsigned u = 0; u < unit; u++)
            zero = zero && b->p[k * unit + u] == 0;
        if (zero) {
            have++;
            end = (k + 1) * unit;
        }
    }
    if (have < want && end < n_units * unit) {
        /* An unterminated last piece: terminate it. */
        buf_need(b, n_units * unit + unit);
        memset(b->p + n_units * unit, 0, unit);
        end = n_units * unit + unit;
        have++;
    }
    size_t pad = (size_t)(want - have) * unit;
    if (pad) {
        buf_need(b, end + pad);
        memset(b->p + end, 0, pad);
    }
    *len = end + pad;
}

static void
copy_samples(abc_archive *a, abc_compound *c, size_t idx, const struct abc_property_header *h,
             abc_wprop *p, struct buf *b)
{
    struct ogawa_err err;
    struct abc_sample s, prev;
    bool have_prev = false;
    bool array = h->kind == ABC_KIND_ARRAY;
    bool str = h->pod == ABC_POD_STRING || h->pod == ABC_POD_WSTRING;
    for (uint32_t i = 0; i < h->num_samples; i++) {
        READ(abc_property_sample(c, idx, i, &s, &err));
        if (have_prev && s.block.off == prev.block.off &&
            (!array || (s.rank == prev.rank &&
                        memcmp(s.dims, prev.dims, s.rank * sizeof(s.dims[0])) == 0))) {
            WRITE(abc_wprop_repeat_sample(p, &err));
            continue;
        }
        if (s.payload_len > SIZE_MAX - 16) {
            fprintf(stderr, "%s: %s: sample too large for memory\n", prog, in_path);
            exit(3);
        }
        size_t len = (size_t)s.payload_len;
        buf_need(b, len);
        if (len)
            READ(abc_sample_read(a, &s, 0, b->p, len, &err));
        if (str) {
            uint64_t want = array ? s.n_values : h->extent;
            strings_normalize(b, &len, h->pod == ABC_POD_STRING ? 1 : 4, want);
        }
        if (array)
            WRITE(abc_wprop_add_array_sample(p, b->p, len, s.dims, s.rank, &err));
        else
            WRITE(abc_wprop_add_sample(p, b->p, len, &err));
        prev = s;
        have_prev = true;
    }
}

struct prop_frame {
    abc_compound *src;
    abc_wprop *dst;
    size_t next;            /* next property index of src */
};

/* Copies every property under src (an object's top compound) into dst. */
static void
copy_props(abc_archive *a, abc_object *src, abc_wobject *dst, struct buf *b)
{
    struct ogawa_err err;
    size_t n = 0, cap = 8;
    struct prop_frame *st = xrealloc(NULL, cap * sizeof(*st));
    READ(abc_object_properties(src, &st[0].src, &err));
    st[0].dst = abc_wobject_props(dst);
    st[0].next = 0;
    n = 1;
    while (n > 0) {
        struct prop_frame *f = &st[n - 1];
        if (f->next == abc_compound_count(f->src)) {
            if (abc_compound_header(f->src))    /* not the top compound */
                WRITE(abc_wprop_finish(f->dst, &err));
            abc_compound_unref(f->src);
            n--;
            continue;
        }
        size_t idx = f->next++;
        const struct abc_property_header *h = abc_compound_property(f->src, idx);
        const struct abc_wmeta md = {.raw = h->metadata};
        abc_wprop *p;
        if (h->kind == ABC_KIND_COMPOUND) {
            abc_compound *sub;
            READ(abc_compound_child(f->src, idx, &sub, &err));
            WRITE(abc_wprop_add_compound(f->dst, h->name, &md, &p, &err));
            if (n == cap) {
                cap *= 2;
                st = xrealloc(st, cap * sizeof(*st));
                f = &st[n - 1];
            }
            st[n++] = (struct prop_frame){sub, p, 0};
            continue;
        }
        if (h->kind == ABC_KIND_SCALAR)
            WRITE(abc_wprop_add_scalar(f->dst, h->name, &md, h->pod, h->extent, h->time_sampling,
                                       &p, &err));
        else
            WRITE(abc_wprop_add_array(f->dst, h->name, &md, h->pod, h->extent, h->time_sampling,
                                      &p, &err));
        copy_samples(a, f->src, idx, h, p, b);
        WRITE(abc_wprop_finish(p, &err));
    }
    free(st);
}

struct obj_frame {
    abc_object *src;
    abc_wobject *dst;
    size_t next;            /* next child index of src */
};

/* --gzip: IN's archive bytes, unchanged, to OUT as blocked gzip.  IN is
 * opened as an archive first, so that only archives are converted. */
static int
compress_archive(int level)
{
    struct ogawa_err err;
    abc_archive *a;
    if (abc_archive_open(in_path, &a, &err) != 0)
        die(2, in_path, &err);
    int out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (out_fd < 0) {
        perror(out_path);
        return 2;
    }
    ogawa_source *src = ogawa_archive_source(abc_archive_ogawa(a));
    if (ogawa_gzip_compress_source(src, out_fd, level, &err) != 0)
        die(3, out_path, &err);
    if (close(out_fd) != 0) {
        perror(out_path);
        return 3;
    }
    abc_archive_close(a);
    return 0;
}

int
main(int argc, char **argv)
{
    int gzip_level = -1;    /* -1: a copy through the writer */
    if (argc == 4 && strncmp(argv[1], "--gzip", 6) == 0) {
        char *end = NULL;
        if (argv[1][6] == '\0')
            gzip_level = 6;
        else if (argv[1][6] == '=')
            gzip_level = (int)strtol(argv[1] + 7, &end, 10);
        if (gzip_level < 1 || gzip_level > 9 || (end && *end != '\0'))
            gzip_level = 0;
        argv++;
        argc--;
    }
    if (argc != 3 || argv[1][0] == '-' || gzip_level == 0) {
        fprintf(stderr, "usage: abccopy [--gzip[=LEVEL]] IN OUT\n"
                        "Copies an Alembic (Ogawa) archive through the reader and the writer.\n"
                        "--gzip: compresses IN's bytes unchanged into OUT as blocked gzip\n"
                        "(LEVEL 1-9, default 6), which abcfs mounts with random access.\n");
        return 1;
    }
    in_path = argv[1];
    out_path = argv[2];
    if (gzip_level > 0)
        return compress_archive(gzip_level);
    struct ogawa_err err;
    abc_archive *a;
    if (abc_archive_open(in_path, &a, &err) != 0)
        die(2, in_path, &err);

    const struct abc_wmeta archive_md = {.raw = abc_archive_metadata(a)};
    struct abc_writer_opts o = {.library_version = abc_archive_library_version(a),
                                .metadata = &archive_md};
    abc_writer *w;
    if (abc_writer_create(out_path, &o, &w, &err) != 0)
        die(2, out_path, &err);

    /* Time samplings keep their indices (no merging) and stored maxima. */
    size_t n_ts = abc_archive_time_sampling_count(a);
    for (size_t i = 0; i < n_ts; i++) {
        const struct abc_time_sampling *ts = abc_archive_time_sampling(a, i);
        uint32_t idx = 0;
        if (i == 0) {
            if (ts->type != ABC_TS_IDENTITY)
                fprintf(stderr, "%s: %s: time sampling 0 is not identity; written as identity\n",
                        prog, in_path);
        } else {
            WRITE(abc_writer_add_time_sampling(w, ts, ABC_WTS_APPEND, &idx, &err));
        }
        WRITE(abc_writer_set_max_samples(w, idx, ts->max_num_samples, &err));
    }

    struct buf b = {NULL, 0};
    size_t n = 0, cap = 64;
    struct obj_frame *st = xrealloc(NULL, cap * sizeof(*st));
    READ(abc_archive_top(a, &st[0].src, &err));
    st[0].dst = abc_writer_top(w);
    st[0].next = 0;
    n = 1;
    copy_props(a, st[0].src, st[0].dst, &b);
    while (n > 0) {
        struct obj_frame *f = &st[n - 1];
        if (f->next == abc_object_child_count(f->src)) {
            if (n > 1)
                WRITE(abc_wobject_finish(f->dst, &err));
            abc_object_unref(f->src);
            n--;
            continue;
        }
        size_t idx = f->next++;
        const struct abc_object_header *h = abc_object_child_header(f->src, idx);
        const struct abc_wmeta md = {.raw = h->metadata};
        abc_object *child;
        abc_wobject *dst;
        READ(abc_object_child(f->src, idx, &child, &err));
        WRITE(abc_wobject_add_child(f->dst, h->name, &md, &dst, &err));
        copy_props(a, child, dst, &b);
        if (n == cap) {
            cap *= 2;
            st = xrealloc(st, cap * sizeof(*st));
        }
        st[n++] = (struct obj_frame){child, dst, 0};
    }
    free(st);
    free(b.p);
    if (abc_writer_close(w, &err) != 0)
        die(3, out_path, &err);
    abc_archive_close(a);
    return 0;
}
