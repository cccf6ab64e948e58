/*
 * abcdump — print an Alembic (Ogawa) archive, readably or as the canonical
 * JSON dump of dump-format.md.
 *
 * It is a plain client of ogawa/abc.h: it opens the archive, walks the
 * object tree and every compound, and asks the library for every sample.
 * So a dump that matches the reference's (tests/conformance.py) is evidence
 * that the reader is right, not just this tool.
 *
 * The walk never recurses over archive data (style.md rule 11): objects and
 * compounds can nest 10^4+ deep, and instances (ogawa-format.md §4.3) can
 * make the shown tree deeper than the stored one, so the walk keeps an
 * explicit stack of frames with a named bound (DUMP_MAX_FRAMES).  An
 * instance is shown as the C++ library presents it: its own name and full
 * name, the target's metadata, properties and children, and children of an
 * instance get full names under the instance's path.  An object that is
 * already being shown higher up the stack would expand forever; a set of
 * the group offsets on the stack makes that an error (OGAWA_E_DEPTH), not
 * a hang.  Memory stays linear in the depth: the shown full name lives in
 * one path buffer, not one copy per frame.
 *
 * Output is written to a memory stream and copied to stdout only when the
 * whole walk succeeded: a damaged archive prints one line on stderr and
 * nothing on stdout (dump-format.md, "Exit status").  Holding it needs a
 * bound (--max-output), since a dump can be far larger than its archive:
 * full names make a deep chain's dump grow with the square of its depth.
 * The rejected alternative, printing as we go, would leave half a dump on
 * stdout for a damaged archive.  Exit 0 ok, 2 the archive cannot be
 * opened, 3 it is damaged past the open (or the dump is too large), 1 usage.
 *
 * Value formatting (dump-format.md "Details that matter"): float16 and
 * float32 as %.9g, float64 as %.17g, NaN/inf as strings, -0 keeps its sign,
 * integers exact; strings as JSON with each byte that is not valid UTF-8
 * turned into U+FFFD; --digest replaces an array sample of more than 64 flat
 * values by its count and FNV-1a 64.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abc.h"
#include "hash.h"
#include "ogawa.h"

#ifndef ABCFS_VERSION
#define ABCFS_VERSION "unknown"
#endif

/* Exit codes of dump-format.md, plus 1 for a usage error. */
enum { EXIT_USAGE = 1, EXIT_NOOPEN = 2, EXIT_DAMAGED = 3 };

/* Longest array sample printed in full by --digest (dump-format.md). */
#define DIGEST_MAX_VALUES 64

/*
 * Frames on the walk stack.  Each shown object takes one frame and each
 * compound one, so a legal archive of ABC_MAX_DEPTH objects, each with a
 * compound or two, fits with room to spare; beyond this only instances
 * (shown depth is not stored depth) or hostile nesting can go.
 */
#define DUMP_MAX_FRAMES (4 * (size_t)ABC_MAX_DEPTH)

/* Instance chains (an instance whose target is itself an instance) are
 * followed at most this many steps; §4.3 says targets are not instances. */
#define DUMP_MAX_INSTANCE_HOPS 64

/* Default --max-output: the whole dump is held in memory until it is
 * known to be complete, so it needs a bound; 2 GiB is over 100 times the
 * plain dump of the largest archive of the corpus (4 MB archive, 16 MB dump). */
#define DUMP_DEFAULT_MAX_OUTPUT (2ULL << 30)

enum frame_kind { FRAME_OBJECT, FRAME_COMPOUND };

struct frame {
    int kind;                   /* enum frame_kind */
    abc_object *obj;            /* FRAME_OBJECT: the object whose content is shown (target of an instance) */
    uint64_t off;               /* FRAME_OBJECT: obj's group offset, in the dumper's set unless 0 */
    abc_compound *cmp;          /* FRAME_COMPOUND: the compound being listed */
    size_t path_len;            /* FRAME_OBJECT: length of its shown full name in dumper.path */
    size_t depth;               /* shown nesting: object depth (0 = top); compounds one more than their owner */
    size_t next;                /* next child / property index to visit */
};

struct dumper {
    FILE *out;                  /* memory stream; copied to stdout on success */
    bool json;                  /* canonical JSON (else readable text) */
    bool digest;                /* --digest: long array samples as count + fnv1a64 */
    abc_archive *arc;
    struct ogawa_err err;       /* first failure */
    struct frame *stack;        /* walk stack, n_frames used */
    size_t n_frames;
    size_t cap_frames;
    uint64_t cache_off;         /* block offset of the cached payload, 0 = none */
    int cache_pod;              /* pod the cached payload was loaded as */
    uint8_t *cache_buf;         /* last loaded payload (repeated samples share a block) */
    uint64_t cache_len;
    char *path;                 /* shown full name of the object being visited ("" for "/") */
    size_t path_len;
    size_t path_cap;
    uint64_t *set;              /* group offsets of the objects on the stack; 0 = free slot */
    size_t set_cap;             /* power of two, or 0 */
    size_t set_count;
    uint64_t max_output;        /* bytes of output before giving up; 0 = no limit */
};

static int
dump_fail(struct dumper *d, int code, const char *msg)
{
    return ogawa_fail(&d->err, code, 0, msg);
}

/* ---- output helpers --------------------------------------------------- */

static void
out_str(struct dumper *d, const char *s)
{
    fputs(s, d->out);
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0 if the
 * byte at p does not start one: overlong forms, surrogates and code points
 * past U+10FFFF are invalid, as in RFC 3629. */
static size_t
utf8_valid_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t len;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* A JSON string of raw bytes: valid UTF-8 passes, each other byte becomes
 * U+FFFD, control characters, '"' and '\\' are escaped. */
static void
out_json_bytes(struct dumper *d, const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    FILE *f = d->out;

    putc('"', f);
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        size_t len;

        /* Plain ASCII goes out in runs: full names of deep objects are
         * long, and byte-wise stdio calls would dominate the dump. */
        for (len = 0; i + len < n; len++) {
            uint8_t b = p[i + len];

            if (b < 0x20 || b >= 0x80 || b == '"' || b == '\\')
                break;
        }
        if (len) {
            fwrite(p + i, 1, len, f);
            i += len;
            continue;
        }
        if (c == '"' || c == '\\') {
            putc('\\', f);
            putc(c, f);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n': fputs("\\n", f); break;
            case '\t': fputs("\\t", f); break;
            case '\r': fputs("\\r", f); break;
            default: fprintf(f, "\\u%04x", c); break;
            }
            i++;
        } else if ((len = utf8_valid_len(p + i, n - i)) != 0) {
            fwrite(p + i, 1, len, f);
            i += len;
        } else {
            fputs("\xEF\xBF\xBD", f);
            i++;
        }
    }
    putc('"', f);
}

static void
out_json_str(struct dumper *d, abc_str s)
{
    out_json_bytes(d, s.ptr ? s.ptr : "", s.ptr ? s.len : 0);
}

/* Readable text of raw bytes: printable bytes as they are, others as \xNN,
 * so that a hostile name cannot drive the terminal. */
static void
out_text_bytes(struct dumper *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];

        if (c < 0x20 || c == 0x7F || c == '\\')
            fprintf(d->out, "\\x%02x", c);
        else
            putc(c, d->out);
    }
}

static void
out_text_str(struct dumper *d, abc_str s)
{
    out_text_bytes(d, s.ptr ? s.ptr : "", s.ptr ? s.len : 0);
}

static void
out_double(struct dumper *d, double v, bool f64)
{
    if (isnan(v))
        out_str(d, "\"nan\"");
    else if (isinf(v))
        out_str(d, v < 0 ? "\"-inf\"" : "\"inf\"");
    else
        fprintf(d->out, f64 ? "%.17g" : "%.9g", v);
}

static void
out_indent(struct dumper *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputs("  ", d->out);
}

/* Metadata as a JSON object (dump-format.md), entries in stored order with
 * the C++ reader's rules (abc_meta_iter). */
static void
out_json_meta(struct dumper *d, abc_str meta)
{
    struct abc_meta_iter it;
    abc_str k, v;
    bool first = true;

    putc('{', d->out);
    abc_meta_iter_init(&it, meta);
    while (abc_meta_iter_next(&it, &k, &v)) {
        if (!first)
            out_str(d, ", ");
        first = false;
        out_json_str(d, k);
        out_str(d, ": ");
        out_json_str(d, v);
    }
    abc_meta_iter_done(&it);
    putc('}', d->out);
}

static void
out_text_meta(struct dumper *d, abc_str meta)
{
    struct abc_meta_iter it;
    abc_str k, v;
    bool first = true;

    if (meta.len == 0)
        return;
    out_str(d, "  {");
    abc_meta_iter_init(&it, meta);
    while (abc_meta_iter_next(&it, &k, &v)) {
        if (!first)
            out_str(d, "; ");
        first = false;
        out_text_str(d, k);
        putc('=', d->out);
        out_text_str(d, v);
    }
    abc_meta_iter_done(&it);
    putc('}', d->out);
}

/* ---- values ----------------------------------------------------------- */

static uint64_t
le_get(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = size; i-- > 0;)
        v = (v << 8) | p[i];
    return v;
}

/* IEEE binary16 to double: exact, since every half is a double. */
static double
half_to_double(uint16_t h)
{
    unsigned exp = (h >> 10) & 0x1F;
    unsigned man = h & 0x3FF;
    double v;

    if (exp == 0)
        v = ldexp((double)man, -24);
    else if (exp == 31)
        v = man ? NAN : INFINITY;
    else
        v = ldexp((double)(man | 0x400), (int)exp - 25);
    return (h & 0x8000) ? -v : v;
}

static void
out_value(struct dumper *d, int pod, const uint8_t *p)
{
    uint64_t u = le_get(p, abc_pod_size(pod));
    union { uint32_t u; float f; } f32;
    union { uint64_t u; double f; } f64;

    switch (pod) {
    case ABC_POD_BOOL: out_str(d, u ? "true" : "false"); break;
    case ABC_POD_UINT8:
    case ABC_POD_UINT16:
    case ABC_POD_UINT32:
    case ABC_POD_UINT64: fprintf(d->out, "%" PRIu64, u); break;
    case ABC_POD_INT8: fprintf(d->out, "%d", (int)(int8_t)u); break;
    case ABC_POD_INT16: fprintf(d->out, "%d", (int)(int16_t)u); break;
    case ABC_POD_INT32: fprintf(d->out, "%" PRId32, (int32_t)(uint32_t)u); break;
    case ABC_POD_INT64: fprintf(d->out, "%" PRId64, (int64_t)u); break;
    case ABC_POD_FLOAT16: out_double(d, half_to_double((uint16_t)u), false); break;
    case ABC_POD_FLOAT32:
        f32.u = (uint32_t)u;
        out_double(d, f32.f, false);
        break;
    case ABC_POD_FLOAT64:
        f64.u = u;
        out_double(d, f64.f, true);
        break;
    default: break;
    }
}

/*
 * Loads sample s as pod, reusing the last payload when the sample shares
 * its stored block (repeats after the last change, §5.7, all point at one
 * block).  The buffer belongs to the dumper.
 */
static int
sample_payload(struct dumper *d, const struct abc_sample *s, int pod, const uint8_t **buf,
               uint64_t *len)
{
    static const uint8_t empty[1];
    uint8_t *b = NULL;
    uint64_t n = 0;
    int rc;

    if (s->block.off == 0 || s->payload_len == 0) {
        *buf = empty;
        *len = 0;
        return 0;
    }
    if (d->cache_buf && d->cache_off == s->block.off && d->cache_pod == pod) {
        *buf = d->cache_buf;
        *len = d->cache_len;
        return 0;
    }
    rc = abc_sample_load(d->arc, s, pod, &b, &n, &d->err);
    if (rc < 0)
        return rc;
    free(d->cache_buf);
    d->cache_buf = b;
    d->cache_len = n;
    d->cache_off = s->block.off;
    d->cache_pod = pod;
    *buf = b;
    *len = n;
    return 0;
}

/*
 * Splits a string payload into at most n strings at NUL bytes (§5.5:
 * "reading at most the expected number of strings"); strings the payload
 * lacks are empty, as in the C++ reader, and bytes after the last NUL are
 * not a string.  Calls fn for each.
 */
static void
strings_each(const uint8_t *buf, uint64_t len, uint64_t n,
             void (*fn)(void *ctx, uint64_t idx, const char *s, size_t slen), void *ctx)
{
    uint64_t pos = 0, idx = 0;

    while (idx < n && pos < len) {
        const uint8_t *nul = memchr(buf + pos, 0, (size_t)(len - pos));

        if (!nul)
            break;
        fn(ctx, idx++, (const char *)buf + pos, (size_t)(nul - (buf + pos)));
        pos = (uint64_t)(nul - buf) + 1;
    }
    for (; idx < n; idx++)
        fn(ctx, idx, "", 0);
}

static void
print_string_cb(void *ctx, uint64_t idx, const char *s, size_t slen)
{
    struct dumper *d = ctx;

    if (idx)
        out_str(d, ", ");
    out_json_bytes(d, s, slen);
}

static void
hash_string_cb(void *ctx, uint64_t idx, const char *s, size_t slen)
{
    uint64_t *h = ctx;

    if (idx)
        *h = ogawa_fnv1a64_update(*h, "", 1);
    *h = ogawa_fnv1a64_update(*h, s, slen);
}

static bool
is_string_pod(int pod)
{
    return pod == ABC_POD_STRING || pod == ABC_POD_WSTRING;
}

/* The n values of a payload as a JSON list (or, with --digest and
 * digestable, as a digest object). */
static int
out_values(struct dumper *d, int pod, const uint8_t *buf, uint64_t len, uint64_t n,
           bool digestable)
{
    unsigned size = abc_pod_size(pod);

    if (!is_string_pod(pod) && (size == 0 || len / size < n))
        return dump_fail(d, OGAWA_E_CORRUPT, "sample payload shorter than its values");
    if (d->digest && digestable && n > DIGEST_MAX_VALUES) {
        uint64_t h = OGAWA_FNV1A64_INIT;

        if (is_string_pod(pod))
            strings_each(buf, len, n, hash_string_cb, &h);
        else
            h = ogawa_fnv1a64_update(h, buf, (size_t)(n * size));
        fprintf(d->out, "{\"count\": %" PRIu64 ", \"fnv1a64\": \"%016" PRIx64 "\"}", n, h);
        return 0;
    }
    putc('[', d->out);
    if (is_string_pod(pod)) {
        strings_each(buf, len, n, print_string_cb, d);
    } else {
        for (uint64_t i = 0; i < n; i++) {
            if (i)
                out_str(d, ", ");
            out_value(d, pod, buf + i * size);
        }
    }
    putc(']', d->out);
    return 0;
}

/* ---- properties ------------------------------------------------------- */

static int
json_property(struct dumper *d, abc_compound *c, size_t idx, const struct abc_property_header *h)
{
    bool array = h->kind == ABC_KIND_ARRAY;
    int rc;

    out_str(d, "{\"name\": ");
    out_json_str(d, h->name);
    fprintf(d->out, ", \"kind\": \"%s\", \"metadata\": ", abc_kind_name(h->kind));
    out_json_meta(d, h->metadata);
    fprintf(d->out,
            ", \"pod\": \"%s\", \"extent\": %u, \"time_sampling\": %" PRIu32
            ", \"num_samples\": %" PRIu32 ", \"is_constant\": %s",
            abc_pod_name(h->pod), h->extent, h->time_sampling, h->num_samples,
            abc_property_is_constant(h) ? "true" : "false");
    if (array)
        fprintf(d->out, ", \"is_scalar_like\": %s", h->is_scalar_like ? "true" : "false");
    out_str(d, ", \"samples\": [");
    for (uint32_t i = 0; i < h->num_samples; i++) {
        struct abc_sample s;
        const uint8_t *buf;
        uint64_t len;

        rc = abc_property_sample(c, idx, i, &s, &d->err);
        if (rc < 0)
            return rc;
        rc = sample_payload(d, &s, h->pod, &buf, &len);
        if (rc < 0)
            return rc;
        out_str(d, i ? ",\n " : "\n ");
        if (array) {
            if (s.rank > ABC_MAX_RANK)
                return dump_fail(d, OGAWA_E_CORRUPT, "sample rank past ABC_MAX_RANK");
            out_str(d, "{\"dims\": [");
            for (uint32_t r = 0; r < s.rank; r++)
                fprintf(d->out, "%s%" PRIu64, r ? ", " : "", s.dims[r]);
            out_str(d, "], \"values\": ");
        }
        rc = out_values(d, h->pod, buf, len, s.n_values, array);
        if (rc < 0)
            return rc;
        if (array)
            putc('}', d->out);
    }
    out_str(d, "]}");
    return 0;
}

static void
text_property(struct dumper *d, const struct abc_property_header *h)
{
    out_text_str(d, h->name);
    if (h->kind == ABC_KIND_COMPOUND) {
        out_str(d, "  compound");
    } else {
        fprintf(d->out, "  %s  %s", abc_kind_name(h->kind), abc_pod_meta_name(h->pod));
        if (h->extent != 1)
            fprintf(d->out, "[%u]", h->extent);
        fprintf(d->out, "  %" PRIu32 " sample%s  ts %" PRIu32 "%s", h->num_samples,
                h->num_samples == 1 ? "" : "s", h->time_sampling,
                abc_property_is_constant(h) ? "  constant" : "");
        if (h->kind == ABC_KIND_ARRAY && h->is_scalar_like)
            out_str(d, "  scalar-like");
    }
    out_text_meta(d, h->metadata);
    putc('\n', d->out);
}

/* ---- the walk --------------------------------------------------------- */

/*
 * The set of group offsets of the objects shown on the stack.  An object
 * that is already on the stack would be shown inside itself forever (an
 * instance of an ancestor reached through another instance, or a damaged
 * child slot), so pushing it again is an error.  Open addressing with
 * linear probing; entries leave in LIFO order, so clearing a slot on
 * removal is enough (whatever probed past it was inserted later and has
 * left already), and a resize re-inserts in stack order to keep that true.
 */
static size_t
set_slot(uint64_t off, size_t cap)
{
    off ^= off >> 33;
    off *= 0xff51afd7ed558ccdULL;
    off ^= off >> 33;
    return (size_t)off & (cap - 1);
}

static bool
set_has(const struct dumper *d, uint64_t off)
{
    if (!d->set_cap)
        return false;
    for (size_t i = set_slot(off, d->set_cap);; i = (i + 1) & (d->set_cap - 1)) {
        if (d->set[i] == off)
            return true;
        if (d->set[i] == 0)
            return false;
    }
}

static void
set_put(struct dumper *d, uint64_t off)
{
    size_t i = set_slot(off, d->set_cap);

    while (d->set[i] != 0)
        i = (i + 1) & (d->set_cap - 1);
    d->set[i] = off;
    d->set_count++;
}

/* Adds off (not 0) to the set; grows it, re-inserting the stack in order. */
static int
set_add(struct dumper *d, uint64_t off)
{
    if (2 * (d->set_count + 1) > d->set_cap) {
        size_t cap = d->set_cap ? 2 * d->set_cap : 64;
        uint64_t *s = calloc(cap, sizeof(*s));

        if (!s)
            return dump_fail(d, OGAWA_E_NOMEM, "out of memory");
        free(d->set);
        d->set = s;
        d->set_cap = cap;
        d->set_count = 0;
        for (size_t i = 0; i < d->n_frames; i++)
            if (d->stack[i].kind == FRAME_OBJECT && d->stack[i].off)
                set_put(d, d->stack[i].off);
    }
    set_put(d, off);
    return 0;
}

static void
set_remove(struct dumper *d, uint64_t off)
{
    for (size_t i = set_slot(off, d->set_cap);; i = (i + 1) & (d->set_cap - 1)) {
        if (d->set[i] == off) {
            d->set[i] = 0;
            d->set_count--;
            return;
        }
        if (d->set[i] == 0)
            return;
    }
}

static int
stack_push(struct dumper *d, const struct frame *f)
{
    if (d->n_frames >= DUMP_MAX_FRAMES)
        return dump_fail(d, OGAWA_E_DEPTH, "hierarchy too deep to dump");
    if (d->n_frames == d->cap_frames) {
        size_t cap = d->cap_frames ? 2 * d->cap_frames : 64;
        struct frame *s = realloc(d->stack, cap * sizeof(*s));

        if (!s)
            return dump_fail(d, OGAWA_E_NOMEM, "out of memory");
        d->stack = s;
        d->cap_frames = cap;
    }
    d->stack[d->n_frames++] = *f;
    return 0;
}

/* Pops the top frame, dropping its references. */
static void
stack_pop(struct dumper *d)
{
    struct frame *f = &d->stack[--d->n_frames];

    if (f->kind == FRAME_OBJECT && f->off)
        set_remove(d, f->off);
    abc_object_unref(f->obj);
    abc_compound_unref(f->cmp);
}

/* The output so far is past --max-output (a bound against archives whose
 * dump is far larger than they are: full names of a deep chain grow with
 * the square of its depth, instances multiply subtrees). */
static int
check_output_size(struct dumper *d)
{
    off_t n;

    if (d->max_output == 0)
        return 0;
    n = ftello(d->out);
    if (n >= 0 && (uint64_t)n > d->max_output)
        return dump_fail(d, OGAWA_E_NOMEM, "dump larger than the output limit (see --max-output)");
    return 0;
}

/* Appends "/name" to the shown path (d->path holds the full name of the
 * object being begun; "" stands for the top's "/"). */
static int
path_append(struct dumper *d, abc_str name)
{
    size_t need = d->path_len + 1 + name.len + 1;

    if (need > d->path_cap) {
        size_t cap = d->path_cap ? d->path_cap : 256;
        char *p;

        while (cap < need)
            cap *= 2;
        p = realloc(d->path, cap);
        if (!p)
            return dump_fail(d, OGAWA_E_NOMEM, "out of memory");
        d->path = p;
        d->path_cap = cap;
    }
    d->path[d->path_len++] = '/';
    memcpy(d->path + d->path_len, name.ptr, name.len);
    d->path_len += name.len;
    d->path[d->path_len] = '\0';
    return 0;
}

/*
 * Follows an instance to what it shows (§4.3).  Takes o's reference and
 * returns one on *content (o itself when it is no instance); *source is
 * the instance's source path (malloc'ed) or NULL.
 */
static int
resolve_content(struct dumper *d, abc_object *o, abc_object **content, char **source)
{
    int rc;

    *content = NULL;
    *source = NULL;
    if (!abc_object_is_instance(o)) {
        *content = o;
        return 0;
    }
    rc = abc_object_instance_source(o, source, &d->err);
    for (int hops = 0; rc >= 0 && abc_object_is_instance(o); hops++) {
        abc_object *t = NULL;

        if (hops == DUMP_MAX_INSTANCE_HOPS) {
            rc = dump_fail(d, OGAWA_E_DEPTH, "instance chain too long");
            break;
        }
        rc = abc_object_resolve_instance(o, &t, &d->err);
        abc_object_unref(o);
        o = t;
    }
    if (rc < 0) {
        abc_object_unref(o);
        free(*source);
        *source = NULL;
        return rc;
    }
    *content = o;
    return 0;
}

/* Text mode: indentation stops growing here, and a depth tag says where
 * a line is, so that a deep chain prints in linear size. */
#define TEXT_MAX_INDENT 32

static void
text_indent(struct dumper *d, size_t depth)
{
    if (depth > TEXT_MAX_INDENT) {
        out_indent(d, TEXT_MAX_INDENT);
        fprintf(d->out, "[%zu] ", depth);
    } else {
        out_indent(d, depth);
    }
}

/*
 * Starts showing object o (reference taken over) under the shown name
 * `name` and full name d->path: prints its head and pushes its object frame
 * and its top compound's frame.
 */
static int
begin_object(struct dumper *d, abc_object *o, abc_str name, size_t depth)
{
    struct frame f = { .kind = FRAME_OBJECT, .path_len = d->path_len, .depth = depth };
    abc_object *content = NULL;
    abc_compound *top = NULL;
    char *source = NULL;
    const char *full = d->path_len ? d->path : "/";
    size_t full_len = d->path_len ? d->path_len : 1;
    abc_str meta;
    int rc;

    rc = check_output_size(d);
    if (rc < 0) {
        abc_object_unref(o);
        return rc;
    }
    rc = resolve_content(d, o, &content, &source);
    if (rc < 0)
        return rc;
    f.obj = content;
    f.off = abc_object_offset(content);
    if (f.off && set_has(d, f.off)) {
        abc_object_unref(content);
        free(source);
        return dump_fail(d, OGAWA_E_DEPTH, "object shown inside itself (instance or group loop)");
    }
    meta = abc_object_metadata(content);
    if (d->json) {
        out_str(d, depth ? "\n{\"name\": " : "{\"name\": ");
        out_json_str(d, name);
        out_str(d, ", \"full_name\": ");
        out_json_bytes(d, full, full_len);
        out_str(d, ", \"metadata\": ");
        out_json_meta(d, meta);
        out_str(d, ", \"instance_source\": ");
        if (source)
            out_json_bytes(d, source, strlen(source));
        else
            out_str(d, "null");
        out_str(d, ",\n\"properties\": {\"name\": \"\", \"kind\": \"compound\", \"metadata\": ");
        out_json_meta(d, meta);
        out_str(d, ", \"properties\": [");
    } else {
        text_indent(d, depth);
        if (depth)
            out_text_str(d, name);
        else
            putc('/', d->out);
        if (source) {
            out_str(d, "  -> ");
            out_text_bytes(d, source, strlen(source));
        }
        out_text_meta(d, meta);
        putc('\n', d->out);
    }
    free(source);
    if (f.off) {
        rc = set_add(d, f.off);
        if (rc < 0) {
            abc_object_unref(content);
            return rc;
        }
    }
    rc = stack_push(d, &f);
    if (rc < 0) {
        if (f.off)
            set_remove(d, f.off);
        abc_object_unref(content);
        return rc;
    }
    rc = abc_object_properties(content, &top, &d->err);
    if (rc < 0)
        return rc;
    rc = stack_push(d, &(struct frame){ .kind = FRAME_COMPOUND, .cmp = top, .depth = depth + 1 });
    if (rc < 0)
        abc_compound_unref(top);
    return rc;
}

/* One step of the compound frame on top: one property, or the end. */
static int
step_compound(struct dumper *d)
{
    struct frame *f = &d->stack[d->n_frames - 1];
    abc_compound *c = f->cmp;
    size_t idx = f->next, depth = f->depth;
    const struct abc_property_header *h;
    int rc;

    if (idx == abc_compound_count(c)) {
        bool top = abc_compound_header(c) == NULL;

        stack_pop(d);
        if (d->json)
            out_str(d, top ? "]},\n\"children\": [" : "]}");
        return 0;
    }
    f->next++;
    h = abc_compound_property(c, idx);
    if (!h)
        return dump_fail(d, OGAWA_E_CORRUPT, "property header missing");
    rc = check_output_size(d);
    if (rc < 0)
        return rc;
    if (d->json && idx)
        putc(',', d->out);
    if (!d->json) {
        text_indent(d, depth);
        text_property(d, h);
        if (h->kind != ABC_KIND_COMPOUND)
            return 0;
    }
    if (h->kind == ABC_KIND_COMPOUND) {
        abc_compound *sub = NULL;

        rc = abc_compound_child(c, idx, &sub, &d->err);
        if (rc < 0)
            return rc;
        if (d->json) {
            out_str(d, "\n{\"name\": ");
            out_json_str(d, h->name);
            out_str(d, ", \"kind\": \"compound\", \"metadata\": ");
            out_json_meta(d, h->metadata);
            out_str(d, ", \"properties\": [");
        }
        rc = stack_push(d, &(struct frame){ .kind = FRAME_COMPOUND, .cmp = sub,
                                            .depth = depth + 1 });
        if (rc < 0)
            abc_compound_unref(sub);
        return rc;
    }
    putc('\n', d->out);
    return json_property(d, c, idx, h);
}

/* One step of the object frame on top: one child, or the end. */
static int
step_object(struct dumper *d)
{
    struct frame *f = &d->stack[d->n_frames - 1];
    size_t idx = f->next;
    const struct abc_object_header *ch;
    abc_object *child = NULL;
    int rc;

    if (idx == abc_object_child_count(f->obj)) {
        stack_pop(d);
        if (d->json)
            out_str(d, "]}");
        return 0;
    }
    f->next++;
    ch = abc_object_child_header(f->obj, idx);
    if (!ch)
        return dump_fail(d, OGAWA_E_CORRUPT, "object header missing");
    if (d->json && idx)
        putc(',', d->out);
    rc = abc_object_child(f->obj, idx, &child, &d->err);
    if (rc < 0)
        return rc;
    d->path_len = f->path_len;
    rc = path_append(d, ch->name);
    if (rc < 0) {
        abc_object_unref(child);
        return rc;
    }
    return begin_object(d, child, ch->name, f->depth + 1);
}

static void
json_time_samplings(struct dumper *d)
{
    size_t n = abc_archive_time_sampling_count(d->arc);

    out_str(d, "\"time_samplings\": [");
    for (size_t i = 0; i < n; i++) {
        const struct abc_time_sampling *ts = abc_archive_time_sampling(d->arc, i);
        const char *type = abc_ts_type_name(ts->type);

        /* dump-format.md: identity is uniform with time per cycle 1 and start 0. */
        if (ts->type == ABC_TS_UNIFORM && ts->time_per_cycle == 1.0 && ts->n_times >= 1 &&
            ts->times[0] == 0.0)
            type = abc_ts_type_name(ABC_TS_IDENTITY);
        out_str(d, i ? ",\n" : "\n");
        fprintf(d->out, "{\"type\": \"%s\", \"time_per_cycle\": ", type);
        out_double(d, ts->time_per_cycle, true);
        fprintf(d->out, ", \"samples_per_cycle\": %" PRIu32 ", \"stored_times\": [",
                ts->samples_per_cycle);
        for (uint32_t k = 0; k < ts->n_times; k++) {
            if (k)
                out_str(d, ", ");
            out_double(d, ts->times[k], true);
        }
        fprintf(d->out, "], \"max_num_samples\": %" PRIu32 "}", ts->max_num_samples);
    }
    out_str(d, "],\n");
}

static void
text_archive(struct dumper *d, const char *path)
{
    size_t n = abc_archive_time_sampling_count(d->arc);

    out_str(d, "archive ");
    out_text_bytes(d, path, strlen(path));
    fprintf(d->out, "\n  library version %" PRId32 "\n  metadata",
            abc_archive_library_version(d->arc));
    out_text_meta(d, abc_archive_metadata(d->arc));
    fprintf(d->out, "\n  %zu time sampling%s\n", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        const struct abc_time_sampling *ts = abc_archive_time_sampling(d->arc, i);

        fprintf(d->out, "  [%zu] %s  time per cycle %.17g  samples per cycle %" PRIu32 "  times",
                i, abc_ts_type_name(ts->type), ts->time_per_cycle, ts->samples_per_cycle);
        for (uint32_t k = 0; k < ts->n_times && k < 16; k++)
            fprintf(d->out, " %.17g", ts->times[k]);
        if (ts->n_times > 16)
            fprintf(d->out, " ... (%" PRIu32 ")", ts->n_times);
        fprintf(d->out, "  max samples %" PRIu32 "\n", ts->max_num_samples);
    }
}

/* The whole dump into d->out. */
static int
dump_archive(struct dumper *d, const char *path)
{
    abc_object *top = NULL;
    int rc;

    if (d->json) {
        out_str(d, "{\"archive\": {\"metadata\": ");
        out_json_meta(d, abc_archive_metadata(d->arc));
        fprintf(d->out, ", \"num_time_samplings\": %zu},\n",
                abc_archive_time_sampling_count(d->arc));
        json_time_samplings(d);
        out_str(d, "\"root\": ");
    } else {
        text_archive(d, path);
    }
    rc = abc_archive_top(d->arc, &top, &d->err);
    if (rc < 0)
        return rc;
    d->path_len = 0;
    rc = begin_object(d, top, (abc_str){ "ABC", 3 }, 0);
    while (rc >= 0 && d->n_frames > 0) {
        if (d->stack[d->n_frames - 1].kind == FRAME_COMPOUND)
            rc = step_compound(d);
        else
            rc = step_object(d);
    }
    if (rc >= 0 && d->json)
        out_str(d, "}\n");
    return rc;
}

static void
usage(FILE *f)
{
    fputs("usage: abcdump [--json [--digest]] [--max-output BYTES] ARCHIVE\n"
          "Print an Alembic (Ogawa) archive: its objects, properties and metadata,\n"
          "or with --json the canonical JSON dump (docs: dump-format.md); --digest\n"
          "prints array samples of more than 64 values as a count and an FNV-1a 64.\n"
          "The dump is printed only once complete; --max-output bounds its size\n"
          "(default 2 GiB, 0 for none).\n"
          "Exit 0 ok, 1 usage, 2 cannot open, 3 damaged archive (or dump too large).\n", f);
}

static void
report(const char *path, const struct ogawa_err *err)
{
    char buf[512];

    if (err->msg)
        ogawa_err_format(err, buf, sizeof(buf));
    else
        snprintf(buf, sizeof(buf), "%s", ogawa_strerror(err->code ? err->code : OGAWA_E_CORRUPT));
    fprintf(stderr, "abcdump: %s: %s\n", path, buf);
}

int
main(int argc, char **argv)
{
    struct dumper d = { .max_output = DUMP_DEFAULT_MAX_OUTPUT };
    const char *path = NULL;
    char *text = NULL;
    size_t text_len = 0;
    int rc, status = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("abcdump (abcfs) %s\n", ABCFS_VERSION);
            return 0;
        } else if (!strcmp(a, "--json")) {
            d.json = true;
        } else if (!strcmp(a, "--digest")) {
            d.digest = true;
        } else if (!strcmp(a, "--max-output") && i + 1 < argc) {
            char *end;

            errno = 0;
            d.max_output = strtoull(argv[++i], &end, 10);
            if (errno || end == argv[i] || *end || argv[i][0] == '-') {
                fprintf(stderr, "abcdump: bad --max-output %s\n", argv[i]);
                return EXIT_USAGE;
            }
        } else if (!strcmp(a, "--") && i + 2 == argc && !path) {
            path = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "abcdump: unknown option %s\n", a);
            usage(stderr);
            return EXIT_USAGE;
        } else if (path) {
            fprintf(stderr, "abcdump: more than one archive given\n");
            usage(stderr);
            return EXIT_USAGE;
        } else {
            path = a;
        }
    }
    if (!path) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (d.digest)
        d.json = true;

    rc = abc_archive_open(path, &d.arc, &d.err);
    if (rc < 0) {
        report(path, &d.err);
        return EXIT_NOOPEN;
    }
    d.out = open_memstream(&text, &text_len);
    if (!d.out) {
        rc = ogawa_fail(&d.err, OGAWA_E_NOMEM, 0, "out of memory");
    } else {
        rc = dump_archive(&d, path);
        if (fclose(d.out) != 0 && rc >= 0)
            rc = ogawa_fail(&d.err, OGAWA_E_NOMEM, 0, "out of memory for the output");
    }
    while (d.n_frames > 0)
        stack_pop(&d);
    free(d.stack);
    free(d.set);
    free(d.path);
    free(d.cache_buf);
    abc_archive_close(d.arc);
    if (rc < 0) {
        report(path, &d.err);
        status = EXIT_DAMAGED;
    } else if (fwrite(text, 1, text_len, stdout) != text_len || fflush(stdout) != 0) {
        fprintf(stderr, "abcdump: %s: write error: %s\n", path, strerror(errno));
        status = EXIT_DAMAGED;
    }
    free(text);
    return status;
}
