/*
 * fuzz_abc.c — fuzz target for the Alembic model layer (abc.h,
 * ogawa-format.md §2–§5): open the input as an archive, then walk every
 * object, compound and property it reaches, locate and load samples,
 * resolve instances, evaluate the time samplings and iterate every
 * metadata string, checking the API's promises on the way.
 *
 * Hostile files can make the object "tree" a DAG (a group listed by many
 * parents) whose expansion is exponential, so the walk is bounded: an
 * explicit stack, and budgets on objects, compounds, samples and loaded
 * bytes per input.  The library bounds its own work per call (ancestor
 * checks, ABC_MAX_DEPTH, instance hops); the budgets here bound how many
 * calls one input gets, so a slow input is a slow call, not a long walk.
 *
 * Where the answer can be checked against the input bytes (a sample's
 * payload lies in the file; loading returns exactly those bytes) it is.
 * Xform objects also get their local matrices, floor indices and a
 * one-object world (abc_xform.h, abc_world.h).
 */
#include "fuzz_common.h"

#include "abc.h"
#include "abc_world.h"
#include "hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_OBJECTS 512        /* objects opened per input */
#define FUZZ_MAX_COMPOUNDS 1024     /* compounds opened per input */
#define FUZZ_MAX_PROPS 256          /* properties looked at per compound */
#define FUZZ_MAX_SAMPLES 4096       /* samples located per input */
#define FUZZ_MAX_INSTANCES 32       /* instance resolutions per input */
#define FUZZ_MAX_FIND 64            /* children checked with _find per object */
#define FUZZ_MAX_LOAD_TOTAL (8u << 20) /* sample bytes loaded per input */
#define FUZZ_MAX_TS 256             /* time samplings evaluated */
#define FUZZ_MAX_XFORM_SAMPLES 8    /* local matrices per Xform */
#define FUZZ_MAX_WORLD_TIMES 4096   /* world times computed per Xform */

struct fuzz_abc {
    const uint8_t *data;
    size_t size;
    abc_archive *a;
    size_t objects_left, compounds_left, samples_left, instances_left;
    uint64_t load_left;
};

static void
fuzz_meta(abc_str meta)
{
    size_t pos = 0, n = 0;
    abc_str k, v;
    char key[256];
    while (abc_meta_next(meta, &pos, &k, &v)) {
        FUZZ_ASSERT(k.ptr >= meta.ptr && k.ptr + k.len <= meta.ptr + meta.len);
        FUZZ_ASSERT(v.ptr >= meta.ptr && v.ptr + v.len <= meta.ptr + meta.len);
        FUZZ_ASSERT(pos <= meta.len);
        /* The first occurrence wins in both calls: _get finds this value. */
        if (k.len < sizeof(key) && memchr(k.ptr, 0, k.len) == NULL && n < 64) {
            memcpy(key, k.ptr, k.len);
            key[k.len] = 0;
            abc_str got;
            FUZZ_ASSERT(abc_meta_get(meta, key, &got));
            FUZZ_ASSERT(got.ptr == v.ptr && got.len == v.len);
        }
        n++;
    }
    /* The stateful iterator returns the same entries. */
    struct abc_meta_iter it;
    size_t pos2 = 0;
    abc_str k2, v2;
    abc_meta_iter_init(&it, meta);
    while (abc_meta_iter_next(&it, &k, &v)) {
        FUZZ_ASSERT(abc_meta_next(meta, &pos2, &k2, &v2));
        FUZZ_ASSERT(k.ptr == k2.ptr && k.len == k2.len && v.ptr == v2.ptr && v.len == v2.len);
    }
    FUZZ_ASSERT(!abc_meta_next(meta, &pos2, &k2, &v2));
    abc_meta_iter_done(&it);
    abc_str unused;
    (void)abc_meta_get(meta, "schema", &unused);
}

static void
fuzz_time_samplings(struct fuzz_abc *f)
{
    size_t n = abc_archive_time_sampling_count(f->a);
    FUZZ_ASSERT(n >= 1);
    FUZZ_ASSERT(abc_archive_time_sampling(f->a, n) == NULL);
    for (size_t i = 0; i < n && i < FUZZ_MAX_TS; i++) {
        const struct abc_time_sampling *ts = abc_archive_time_sampling(f->a, i);
        FUZZ_ASSERT(ts != NULL && ts->n_times >= 1 && ts->times != NULL);
        FUZZ_ASSERT(ts->type >= ABC_TS_IDENTITY && ts->type <= ABC_TS_ACYCLIC);
        FUZZ_ASSERT(strcmp(abc_ts_type_name(ts->type), "unknown") != 0);
        const uint64_t probe[] = { 0, 1, 2, ts->n_times - 1, ts->n_times, 1000003,
                                   (uint64_t)1 << 40, UINT64_MAX };
        for (size_t j = 0; j < sizeof(probe) / sizeof(probe[0]); j++) {
            double t = abc_time_sampling_time(ts, probe[j]);
            if (ts->type == ABC_TS_ACYCLIC && probe[j] < ts->n_times)
                FUZZ_ASSERT(memcmp(&t, &ts->times[probe[j]], sizeof(t)) == 0);
            if (ts->type == ABC_TS_ACYCLIC && probe[j] >= ts->n_times)
                FUZZ_ASSERT(isnan(t));
        }
    }
}

static void
fuzz_sample(struct fuzz_abc *f, abc_compound *c, size_t idx, const struct abc_property_header *h,
            uint32_t i)
{
    if (f->samples_left == 0)
        return;
    f->samples_left--;
    struct ogawa_err err = { 0 };
    struct abc_sample s;
    int rc = abc_property_sample(c, idx, i, &s, &err);
    fuzz_check_err(rc, &err);
    if (rc) {
        FUZZ_ASSERT(rc != OGAWA_E_INVAL && rc != OGAWA_E_NOENT);
        static const struct abc_sample zero;   /* abc.h: zeroed on failure */
        FUZZ_ASSERT(memcmp(&s, &zero, sizeof(s)) == 0);
        return;
    }
    unsigned pod_size = abc_pod_size(h->pod);
    if (s.block.off == 0) {
        FUZZ_ASSERT(s.block.len == 0 && s.payload_len == 0);
    } else {
        FUZZ_ASSERT(s.block.len == 0 || s.block.len >= 16);
        FUZZ_ASSERT(ogawa_range_ok(s.block.off + 8, s.block.len, f->size));
    }
    FUZZ_ASSERT(s.payload_len == 0 || ogawa_range_ok(s.payload_off, s.payload_len, f->size));
    FUZZ_ASSERT(s.payload_len == 0 || s.payload_off == s.block.off + 8 + 16);
    if (h->kind == ABC_KIND_SCALAR) {
        FUZZ_ASSERT(s.rank == 0);
        FUZZ_ASSERT(pod_size == 0 || s.payload_len == (uint64_t)pod_size * h->extent);
    } else {
        FUZZ_ASSERT(s.rank >= 1 && s.rank <= ABC_MAX_RANK);
        if (pod_size) {
            FUZZ_ASSERT(s.payload_len % ((uint64_t)pod_size * h->extent) == 0);
            FUZZ_ASSERT(s.n_values == s.payload_len / pod_size);
        }
    }
    if (h->pod == ABC_POD_WSTRING)
        FUZZ_ASSERT(s.payload_len % 4 == 0);

    /* Partial reads: the last byte works, one past the end is refused. */
    uint8_t byte;
    if (s.payload_len > 0) {
        rc = abc_sample_read(f->a, &s, s.payload_len - 1, &byte, 1, &err);
        FUZZ_ASSERT(rc == 0 && byte == f->data[s.payload_off + s.payload_len - 1]);
    }
    rc = abc_sample_read(f->a, &s, s.payload_len, &byte, 1, &err);
    FUZZ_ASSERT(rc == OGAWA_E_INVAL);
    fuzz_check_err(rc, &err);

    if (s.payload_len > f->load_left)
        return;
    f->load_left -= s.payload_len;
    uint8_t *buf;
    uint64_t len;
    rc = abc_sample_load(f->a, &s, h->pod, &buf, &len, &err);
    fuzz_check_err(rc, &err);
    FUZZ_ASSERT(rc == 0 && buf != NULL);
    FUZZ_ASSERT(buf[len] == 0);
    if (h->pod == ABC_POD_WSTRING) {
        /* Exactly n_values strings, each ending in one NUL, valid UTF-8
         * (invalid code points become U+FFFD, which has no NUL byte). */
        uint64_t nuls = 0;
        for (uint64_t k = 0; k < len; k++)
            nuls += buf[k] == 0;
        FUZZ_ASSERT(nuls == s.n_values);
        FUZZ_ASSERT(len == 0 || buf[len - 1] == 0);
        FUZZ_ASSERT(fuzz_utf8_valid(buf, (size_t)len));
        size_t whole = abc_wstring_to_utf8(f->data + s.payload_off, (size_t)s.payload_len, NULL);
        FUZZ_ASSERT(len <= whole + s.n_values);
    } else {
        FUZZ_ASSERT(len == s.payload_len);
        FUZZ_ASSERT(len == 0 || memcmp(buf, f->data + s.payload_off, (size_t)len) == 0);
    }
    /* The hashes a writer and a digest dump run over sample bytes. */
    ogawa_digest d = ogawa_murmur3(buf, (size_t)len);
    ogawa_digest e = ogawa_spooky(buf, (size_t)len);
    uint64_t fnv = ogawa_fnv1a64(buf, (size_t)len);
    uint8_t bytes[16];
    ogawa_digest_to_bytes(d, bytes);
    ogawa_digest back = ogawa_digest_from_bytes(bytes);
    FUZZ_ASSERT(back.w0 == d.w0 && back.w1 == d.w1);
    (void)e;
    (void)fnv;
    free(buf);
}

static void
fuzz_property(struct fuzz_abc *f, abc_compound *c, size_t idx, const struct abc_property_header *h)
{
    struct ogawa_err err = { 0 };
    FUZZ_ASSERT(h->pod >= 0 && h->pod < ABC_POD_COUNT);
    FUZZ_ASSERT(h->extent >= 1 && h->extent <= 255);
    FUZZ_ASSERT(h->time_sampling < abc_archive_time_sampling_count(f->a));
    (void)abc_pod_name(h->pod);
    (void)abc_pod_meta_name(h->pod);
    (void)abc_pod_ext(h->pod);
    (void)abc_property_is_constant(h);

    abc_compound *sub;
    int rc = abc_compound_child(c, idx, &sub, &err);
    FUZZ_ASSERT(rc == OGAWA_E_INVAL && sub == NULL);
    fuzz_check_err(rc, &err);

    uint32_t n = h->num_samples;
    struct abc_sample s;
    rc = abc_property_sample(c, idx, n, &s, &err);
    FUZZ_ASSERT(rc == OGAWA_E_NOENT);
    if (n == 0)
        return;
    /* Every distinct stored position the §5.7 mapping can give: before
     * the first change, the changed run's ends, after the last change. */
    const uint32_t probe[] = { 0, 1, h->first_changed, h->last_changed,
                               h->last_changed + 1, n / 2, n - 1 };
    for (size_t j = 0; j < sizeof(probe) / sizeof(probe[0]); j++) {
        uint32_t i = probe[j];
        if (i >= n)
            continue;
        bool dup = false;
        for (size_t k = 0; k < j; k++)
            dup |= probe[k] == i;
        if (dup)
            continue;
        uint32_t k = abc_property_stored_index(h, i);
        FUZZ_ASSERT(i >= h->first_changed || k == 0);
        fuzz_sample(f, c, idx, h, i);
    }
}

/* Walks the compound tree under top, depth first, with an explicit stack. */
static void
fuzz_compounds(struct fuzz_abc *f, abc_compound *top)
{
    abc_compound *stack[FUZZ_MAX_COMPOUNDS];
    size_t depth = 0;
    abc_compound_ref(top);
    stack[depth++] = top;
    while (depth > 0) {
        abc_compound *c = stack[--depth];
        struct ogawa_err err = { 0 };
        size_t n = abc_compound_count(c);
        FUZZ_ASSERT(abc_compound_property(c, n) == NULL);
        FUZZ_ASSERT(abc_compound_header(c) == NULL ? abc_compound_parent(c) == NULL
                                                   : abc_compound_parent(c) != NULL);
        FUZZ_ASSERT(n == 0 || abc_compound_offset(c) != 0);
        abc_compound *bad;
        int rc = abc_compound_child(c, n, &bad, &err);
        FUZZ_ASSERT(rc == OGAWA_E_NOENT && bad == NULL);
        for (size_t i = 0; i < n && i < FUZZ_MAX_PROPS; i++) {
            const struct abc_property_header *h = abc_compound_property(c, i);
            FUZZ_ASSERT(h != NULL && h->name.len > 0 && h->name.ptr[h->name.len] == 0);
            FUZZ_ASSERT(h->kind >= ABC_KIND_COMPOUND && h->kind <= ABC_KIND_ARRAY);
            FUZZ_ASSERT(strcmp(abc_kind_name(h->kind), "unknown") != 0);
            fuzz_meta(h->metadata);
            size_t found;
            FUZZ_ASSERT(abc_compound_find(c, h->name.ptr, h->name.len, &found) == 0);
            FUZZ_ASSERT(found <= i);
            if (h->kind != ABC_KIND_COMPOUND) {
                fuzz_property(f, c, i, h);
                continue;
            }
            struct abc_sample s;
            rc = abc_property_sample(c, i, 0, &s, &err);
            FUZZ_ASSERT(rc == OGAWA_E_INVAL);
            if (f->compounds_left == 0 || depth == FUZZ_MAX_COMPOUNDS)
                continue;
            f->compounds_left--;
            abc_compound *sub;
            rc = abc_compound_child(c, i, &sub, &err);
            fuzz_check_err(rc, &err);
            if (rc) {
                FUZZ_ASSERT(sub == NULL);
                continue;
            }
            FUZZ_ASSERT(abc_compound_parent(sub) == c && abc_compound_header(sub) == h);
            FUZZ_ASSERT(abc_compound_object(sub) == abc_compound_object(c));
            stack[depth++] = sub;
        }
        abc_compound_unref(c);
    }
}

static void
fuzz_instance(struct fuzz_abc *f, abc_object *o)
{
    if (f->instances_left == 0)
        return;
    f->instances_left--;
    struct ogawa_err err = { 0 };
    char *path;
    int rc = abc_object_instance_source(o, &path, &err);
    fuzz_check_err(rc, &err);
    FUZZ_ASSERT(rc == 0 ? path != NULL : path == NULL);
    free(path);
    abc_object *t;
    rc = abc_object_resolve_instance(o, &t, &err);
    fuzz_check_err(rc, &err);
    if (rc) {
        FUZZ_ASSERT(t == NULL && rc != OGAWA_E_INVAL);
        return;
    }
    FUZZ_ASSERT(!abc_object_is_instance(t));
    for (const abc_object *p = o; p; p = abc_object_parent(p))
        FUZZ_ASSERT(abc_object_offset(p) != abc_object_offset(t));
    abc_object_unref(t);
}

/* An Xform's samples (first and last few), the floor index of their times
 * and of times between them, and the world of the object on its own. */
static void
fuzz_xform(struct fuzz_abc *f, abc_object *o)
{
    struct ogawa_err err = { 0 };
    abc_xform *x = NULL;
    int rc = abc_xform_open(o, &x, &err);
    if (rc == OGAWA_E_NOENT) {
        FUZZ_ASSERT(x == NULL);
        return;
    }
    fuzz_check_err(rc, &err);
    if (rc) {
        FUZZ_ASSERT(x == NULL);
        return;
    }
    uint32_t n = abc_xform_num_samples(x);
    const struct abc_time_sampling *ts = abc_xform_time_sampling(x);
    FUZZ_ASSERT(n >= 1 && ts != NULL);
    FUZZ_ASSERT(abc_xform_num_ops(x) <= 255);
    double m[16];
    bool inherits;
    for (uint32_t k = 0; k < 2 * FUZZ_MAX_XFORM_SAMPLES && f->samples_left > 2; k++) {
        uint32_t i = k < FUZZ_MAX_XFORM_SAMPLES ? k : n - 1 - (k - FUZZ_MAX_XFORM_SAMPLES);
        if (i >= n)
            continue;
        f->samples_left -= 2;
        rc = abc_xform_sample(x, i, m, &inherits, &err);
        fuzz_check_err(rc, &err);
        double t = abc_xform_time(x, i);
        FUZZ_ASSERT(abc_time_sampling_floor_index(ts, t, n) < n);
        FUZZ_ASSERT(abc_time_sampling_floor_index(ts, t + 0.5e-5, n) < n);
        FUZZ_ASSERT(abc_time_sampling_floor_index(ts, t - 1e-3, n) < n);
    }
    rc = abc_xform_sample(x, n, m, &inherits, &err);
    FUZZ_ASSERT(rc == OGAWA_E_NOENT && inherits && m[0] == 1 && m[1] == 0);
    abc_xform_close(x);

    abc_world *w = NULL;
    rc = abc_world_open(NULL, o, &w, &err);
    fuzz_check_err(rc, &err);
    if (rc)
        return;
    FUZZ_ASSERT(abc_world_has_xform(w) && abc_world_xform(w) != NULL);
    const double *times;
    uint64_t nt = 0;
    if (n <= FUZZ_MAX_WORLD_TIMES) {
        rc = abc_world_times(w, &times, &nt, &err);
        fuzz_check_err(rc, &err);
        FUZZ_ASSERT(rc == 0 && nt <= n);
        for (uint64_t i = 1; i < nt; i++)
            FUZZ_ASSERT(times[i - 1] < times[i]);
        for (uint64_t i = 0; i < nt && i < 4 && f->samples_left > 2; i++) {
            f->samples_left -= 2;
            rc = abc_world_matrix_at(w, times[i], m, &err);
            fuzz_check_err(rc, &err);
        }
    }
    abc_world_unref(w);
}

static void
fuzz_object(struct fuzz_abc *f, abc_object *o)
{
    struct ogawa_err err = { 0 };
    abc_object *parent = abc_object_parent(o);
    FUZZ_ASSERT(abc_object_archive(o) == f->a);
    FUZZ_ASSERT(parent ? abc_object_depth(o) == abc_object_depth(parent) + 1
                       : abc_object_depth(o) == 0);
    FUZZ_ASSERT(abc_object_offset(o) != 0);
    abc_str name = abc_object_name(o);
    FUZZ_ASSERT(name.ptr[name.len] == 0);   /* may be empty, as in C++ */
    fuzz_meta(abc_object_metadata(o));

    size_t len;
    char *full = abc_object_full_name(o, &len);
    FUZZ_ASSERT(full != NULL && full[0] == '/' && full[len] == 0);
    FUZZ_ASSERT(parent ? len >= name.len + 1 : len == 1);
    FUZZ_ASSERT(!parent || memcmp(full + len - name.len, name.ptr, name.len) == 0);
    free(full);

    size_t n = abc_object_child_count(o);
    FUZZ_ASSERT(abc_object_child_header(o, n) == NULL);
    for (size_t i = 0; i < n; i++) {
        const struct abc_object_header *ch = abc_object_child_header(o, i);
        FUZZ_ASSERT(ch != NULL && ch->name.ptr[ch->name.len] == 0);
        if (i >= FUZZ_MAX_FIND)
            continue;
        fuzz_meta(ch->metadata);
        size_t found;
        FUZZ_ASSERT(abc_object_find(o, ch->name.ptr, ch->name.len, &found) == 0 && found <= i);
    }
    abc_object *bad;
    int rc = abc_object_child(o, n, &bad, &err);
    FUZZ_ASSERT(rc == OGAWA_E_NOENT && bad == NULL);

    if (abc_object_is_instance(o))
        fuzz_instance(f, o);
    else
        FUZZ_ASSERT(abc_object_resolve_instance(o, &bad, &err) == OGAWA_E_INVAL && bad == NULL);

    if (f->compounds_left < 3)
        return;
    f->compounds_left -= 2;
    fuzz_xform(f, o);
    f->compounds_left--;
    abc_compound *top;
    rc = abc_object_properties(o, &top, &err);
    fuzz_check_err(rc, &err);
    if (rc) {
        FUZZ_ASSERT(top == NULL);
        return;
    }
    FUZZ_ASSERT(abc_compound_object(top) == o && abc_compound_header(top) == NULL);
    fuzz_compounds(f, top);
    abc_compound_unref(top);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_abc f = {
        .data = data, .size = size,
        .objects_left = FUZZ_MAX_OBJECTS, .compounds_left = FUZZ_MAX_COMPOUNDS,
        .samples_left = FUZZ_MAX_SAMPLES, .instances_left = FUZZ_MAX_INSTANCES,
        .load_left = FUZZ_MAX_LOAD_TOTAL,
    };
    struct ogawa_err err = { 0 };
    int fd = fuzz_input_fd(data, size);
    int rc = abc_archive_open_fd(fd, &f.a, &err);
    fuzz_check_err(rc, &err);
    if (rc) {
        FUZZ_ASSERT(f.a == NULL);
        fuzz_input_done(fd);
        return 0;
    }
    FUZZ_ASSERT(abc_archive_library_version(f.a) >= 9999);
    FUZZ_ASSERT(ogawa_archive_size(abc_archive_ogawa(f.a)) == size);
    abc_str meta = abc_archive_metadata(f.a);
    FUZZ_ASSERT(meta.ptr != NULL && meta.ptr[meta.len] == 0);
    fuzz_meta(meta);
    fuzz_time_samplings(&f);

    /* The up-front structural check, within a budget proportional to the
     * input (it reads size fields 8 bytes at a time: one pread each). */
    bool complete = false;
    rc = abc_archive_verify(f.a, 4 * (uint64_t)size + 4096, &complete, &err);
    fuzz_check_err(rc, &err);
    FUZZ_ASSERT(rc == 0 || rc == OGAWA_E_CORRUPT || rc == OGAWA_E_DEPTH ||
                rc == OGAWA_E_VERSION || rc == OGAWA_E_NOENT);
    for (int pod = -1; pod <= ABC_POD_COUNT; pod++) {
        (void)abc_pod_size(pod);
        (void)abc_pod_name(pod);
    }

    abc_object *stack[FUZZ_MAX_OBJECTS];
    size_t depth = 0;
    rc = abc_archive_top(f.a, &stack[0], &err);
    fuzz_check_err(rc, &err);
    if (rc) {
        FUZZ_ASSERT(stack[0] == NULL);
    } else {
        FUZZ_ASSERT(abc_object_parent(stack[0]) == NULL);
        FUZZ_ASSERT(abc_object_name(stack[0]).len == 3);
        f.objects_left--;
        depth = 1;
    }
    while (depth > 0) {
        abc_object *o = stack[--depth];
        fuzz_object(&f, o);
        size_t n = abc_object_child_count(o);
        /* Children are pushed in reverse so the walk visits them in order. */
        for (size_t i = n; i-- > 0 && f.objects_left > 0 && depth < FUZZ_MAX_OBJECTS;) {
            abc_object *child;
            f.objects_left--;
            rc = abc_object_child(o, i, &child, &err);
            fuzz_check_err(rc, &err);
            if (rc) {
                FUZZ_ASSERT(child == NULL);
                continue;
            }
            FUZZ_ASSERT(abc_object_parent(child) == o);
            const struct abc_object_header *ch = abc_object_child_header(o, i);
            abc_str cn = abc_object_name(child);
            FUZZ_ASSERT(cn.len == ch->name.len && memcmp(cn.ptr, ch->name.ptr, cn.len) == 0);
            stack[depth++] = child;
        }
        abc_object_unref(o);
    }
    abc_archive_close(f.a);
    fuzz_input_done(fd);
    return 0;
}
