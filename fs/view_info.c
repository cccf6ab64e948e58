/*
 * view_info.c — generated content: .info (layout.md "Virtual entries"),
 * .times (layout.md "Times"), the extended attributes of layout.md
 * "Extended attributes", and the user.abcfs.stats text.
 *
 * .info is a JSON object with one key per line; names and metadata are the
 * raw Alembic bytes as JSON strings (invalid UTF-8 becomes U+FFFD, as in
 * dump-format.md); floats are %.17g, and NaN / infinities the strings
 * "nan", "inf", "-inf" as in the dump.  .times is one %.17g line per
 * sample.  Both are measured when their node is built, because st_size
 * must be exact before the first read, and rendered again when read (see
 * "rendering .info and .times" below): nothing is held per open file, so
 * the adapter can skip open round trips, and nothing big per node.
 *
 * Extended attributes beyond layout.md's list (which the README documents):
 * sample files answer the attributes of their property plus user.abc.index
 * and user.abc.time; .info/.times and links answer user.abc.kind and
 * user.abc.name; the mount point also answers user.abcfs.stats.  Files
 * whose bytes are stored as they are in an uncompressed archive (raw
 * samples, .npy files of raw numeric samples) answer user.abc.source (the
 * archive's absolute path) and user.abc.offset (where the bytes are in it),
 * .npy files also user.abc.header_bytes (the file offset of those bytes),
 * so that a reader allowed to open the archive can map it directly.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"
#include "view_int.h"

static void
view_json_double(struct view_buf *b, double x)
{
    if (isnan(x))
        view_buf_puts(b, "\"nan\"");
    else if (isinf(x))
        view_buf_puts(b, x > 0 ? "\"inf\"" : "\"-inf\"");
    else
        view_buf_printf(b, "%.17g", x);
}

static void
view_json_meta(struct view_buf *b, abc_str meta)
{
    struct abc_meta_iter it;
    abc_str key, val;
    bool first = true;
    view_buf_puts(b, "{");
    abc_meta_iter_init(&it, meta);
    while (abc_meta_iter_next(&it, &key, &val)) {
        view_buf_puts(b, first ? "" : ", ");
        view_buf_json_str(b, key.ptr, key.len);
        view_buf_puts(b, ": ");
        view_buf_json_str(b, val.ptr, val.len);
        first = false;
    }
    abc_meta_iter_done(&it);
    view_buf_puts(b, "}");
}

/* "key": value of a metadata entry, or null. */
static void
view_json_meta_value(struct view_buf *b, abc_str meta, const char *key)
{
    abc_str val;
    if (abc_meta_get(meta, key, &val))
        view_buf_json_str(b, val.ptr, val.len);
    else
        view_buf_puts(b, "null");
}

static void
view_json_key(struct view_buf *b, const char *key)
{
    view_buf_printf(b, ",\n  \"%s\": ", key);
}

static void
view_json_archive(view *v, struct view_buf *b)
{
    view_json_key(b, "archive");
    view_buf_puts(b, "{\"metadata\": ");
    view_json_meta(b, abc_archive_metadata(v->arc));
    view_buf_printf(b, ", \"library_version\": %d", (int)abc_archive_library_version(v->arc));
    view_buf_puts(b, ", \"time_samplings\": [");
    size_t n = abc_archive_time_sampling_count(v->arc);
    for (size_t i = 0; i < n; i++) {
        const struct abc_time_sampling *ts = abc_archive_time_sampling(v->arc, i);
        view_buf_puts(b, i ? ", " : "");
        view_buf_printf(b, "{\"type\": \"%s\", \"time_per_cycle\": ", abc_ts_type_name(ts->type));
        view_json_double(b, ts->time_per_cycle);
        view_buf_printf(b, ", \"samples_per_cycle\": %u, \"stored_times\": [",
                        (unsigned)ts->samples_per_cycle);
        for (uint32_t k = 0; k < ts->n_times; k++) {
            view_buf_puts(b, k ? ", " : "");
            view_json_double(b, ts->times[k]);
        }
        view_buf_printf(b, "], \"max_num_samples\": %u}", (unsigned)ts->max_num_samples);
    }
    view_buf_puts(b, "]}");
}

/* Renders .info of directory node d into b (which may only count). */
static int
view_info_render(view *v, struct view_node *d, struct view_buf *b, struct ogawa_err *err)
{
    view_buf_puts(b, "{\n  \"name\": ");
    if (d->attr.type == VIEW_T_VIEWDIR) {
        const char *vn = view_kind_name(d->vk);
        view_buf_json_str(b, vn, strlen(vn));
        int rc = view_views_info(v, d, b, err);
        if (rc != 0)
            return rc;
    } else if (d->attr.type == VIEW_T_OBJECT) {
        abc_str name = abc_object_name(d->obj);
        abc_str meta = abc_object_metadata(d->obj);
        view_buf_json_str(b, name.ptr, name.len);
        view_json_key(b, "kind");
        view_buf_puts(b, "\"object\"");
        view_json_key(b, "full_name");
        if (b->count) {
            /* Measured from the node: building the full name is O(depth). */
            b->len += d->parent == NULL ? 3 : 2 + d->full_json;
        } else {
            size_t flen;
            char *full = abc_object_full_name(d->obj, &flen);
            if (full == NULL)
                return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
            view_buf_json_str(b, full, flen);
            free(full);
        }
        view_json_key(b, "metadata");
        view_json_meta(b, meta);
        view_json_key(b, "schema");
        view_json_meta_value(b, meta, "schema");
        view_json_key(b, "instance_source");
        view_buf_puts(b, "null");
        view_json_key(b, "num_children");
        view_buf_printf(b, "%zu", abc_object_child_count(d->obj));
        view_json_key(b, "num_properties");
        view_buf_printf(b, "%zu", abc_compound_count(d->cpd));
        if (d->parent == NULL)
            view_json_archive(v, b);
    } else {
        const struct abc_property_header *h = d->ph;
        view_buf_json_str(b, h->name.ptr, h->name.len);
        view_json_key(b, "kind");
        view_buf_printf(b, "\"%s\"", abc_kind_name(h->kind));
        view_json_key(b, "metadata");
        view_json_meta(b, h->metadata);
        if (h->kind != ABC_KIND_COMPOUND) {
            view_json_key(b, "pod");
            view_buf_printf(b, "\"%s\"", abc_pod_name(h->pod));
            view_json_key(b, "extent");
            view_buf_printf(b, "%u", h->extent);
            view_json_key(b, "interpretation");
            view_json_meta_value(b, h->metadata, "interpretation");
            view_json_key(b, "num_samples");
            view_buf_printf(b, "%u", (unsigned)h->num_samples);
            view_json_key(b, "time_sampling");
            view_buf_printf(b, "%u", (unsigned)h->time_sampling);
            view_json_key(b, "constant");
            view_buf_puts(b, abc_property_is_constant(h) ? "true" : "false");
        }
    }
    int kinds[VIEW_VK_COUNT];
    unsigned nv = view_views_at(v, d, kinds);
    view_json_key(b, "views");
    view_buf_puts(b, "[");
    for (unsigned k = 0; k < nv; k++)
        view_buf_printf(b, "%s\"%s\"", k ? ", " : "", view_kind_name(kinds[k]));
    view_buf_puts(b, "]");
    view_buf_puts(b, "\n}\n");
    return 0;
}

/* ---- rendering .info and .times ---------------------------------------------
 *
 * Neither text is kept on its node: a .info holds its object's full name,
 * so keeping each one would cost O(depth^2) memory on a deep hierarchy,
 * and a .times can be megabytes.  The node keeps the exact size (computed
 * by a counting render when it is built, as st_size must be right before
 * the first read); reads take the text from the view cache (view_cache.c),
 * keyed by the directory's position key and the kind of text, so it
 * survives the node being forgotten, and render it again after an
 * eviction.  The texts depend only on headers parsed once, so every render
 * gives the same bytes; a render of another size is reported as damage.
 *
 * .times is bounded (VIEW_TIMES_MAX_SAMPLES, view.h): a header may claim up
 * to 2^32 samples without storing any; 2^20 lines are at most 25 MiB.
 */

static int
view_gen_render(view *v, struct view_node *dir, int type, struct view_buf *b,
                struct ogawa_err *err)
{
    int rc = type == VIEW_T_TIMES ? view_series_times(v, dir, b, err)
                                  : view_info_render(v, dir, b, err);
    if (rc == 0 && b->oom)
        rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    return rc;
}

int
view_gen_size(view *v, struct view_node *dir, int type, uint64_t *size, struct ogawa_err *err)
{
    struct view_buf b = {.count = true};
    int rc = view_gen_render(v, dir, type, &b, err);
    *size = rc == 0 ? b.len : 0;
    return rc;
}

struct view_gen_ctx {
    struct view_node *dir;
    int type;
};

static int
view_gen_render_fn(view *v, void *ctx, struct view_buf *b, struct ogawa_err *err)
{
    struct view_gen_ctx *g = ctx;
    return view_gen_render(v, g->dir, g->type, b, err);
}

int
view_gen_read(view *v, struct view_node *n, uint64_t pos, uint64_t len, void *dst,
              struct ogawa_err *err)
{
    struct view_gen_ctx g = {n->parent, n->attr.type};
    return view_cache_read(v, n->parent->key, n->attr.type == VIEW_T_TIMES ? VIEW_CK_TIMES
                                                                         : VIEW_CK_INFO,
                           view_gen_render_fn, &g, n->attr.size, pos, len, dst, err);
}

/* ---- extended attributes ------------------------------------------------- */

#define VIEW_XATTR_NAME_MAX 255
#define VIEW_STATS_XATTR "user.abcfs.stats"

/* Visits every (name, value) of node n; stops when fn returns non-zero. */
typedef int (*view_xattr_fn)(void *ctx, const char *name, size_t nlen, const char *val,
                             size_t vlen);

static int
view_xattr_str(view_xattr_fn fn, void *ctx, const char *name, const char *val, size_t vlen)
{
    return fn(ctx, name, strlen(name), val, vlen);
}

static int
view_xattr_num(view_xattr_fn fn, void *ctx, const char *name, unsigned long long x)
{
    char buf[32];
    int k = snprintf(buf, sizeof buf, "%llu", x);
    return fn(ctx, name, strlen(name), buf, (size_t)k);
}

static int
view_xattr_meta(view_xattr_fn fn, void *ctx, abc_str meta)
{
    struct abc_meta_iter it;
    abc_str key, val;
    char name[VIEW_XATTR_NAME_MAX + 1];
    static const char prefix[] = "user.abc.meta.";
    int rc = 0;
    abc_meta_iter_init(&it, meta);
    while (rc == 0 && abc_meta_iter_next(&it, &key, &val)) {
        if (key.len == 0 || key.len + sizeof prefix - 1 > VIEW_XATTR_NAME_MAX ||
            memchr(key.ptr, '\0', key.len) != NULL)
            continue;   /* not expressible as an xattr name */
        memcpy(name, prefix, sizeof prefix - 1);
        memcpy(name + sizeof prefix - 1, key.ptr, key.len);
        rc = fn(ctx, name, sizeof prefix - 1 + key.len, val.ptr, val.len);
    }
    abc_meta_iter_done(&it);
    return rc;
}

static int
view_xattr_prop(view_xattr_fn fn, void *ctx, const struct abc_property_header *h)
{
    const char *pod = abc_pod_name(h->pod);
    int rc = view_xattr_str(fn, ctx, "user.abc.pod", pod, strlen(pod));
    if (rc == 0)
        rc = view_xattr_num(fn, ctx, "user.abc.extent", h->extent);
    if (rc == 0)
        rc = view_xattr_num(fn, ctx, "user.abc.num_samples", h->num_samples);
    if (rc == 0)
        rc = view_xattr_num(fn, ctx, "user.abc.time_sampling", h->time_sampling);
    return rc;
}

/* The direct path: where a file's bytes are in the archive file, for a
 * reader that may open the archive itself (view_node_direct). */
static int
view_xattr_direct(view *v, struct view_node *n, view_xattr_fn fn, void *ctx)
{
    uint64_t off, skip;
    if (v->path == NULL || !view_node_direct(v, n, &off, &skip))
        return 0;
    int rc = view_xattr_str(fn, ctx, "user.abc.source", v->path, strlen(v->path));
    if (rc == 0)
        rc = view_xattr_num(fn, ctx, "user.abc.offset", off);
    if (rc == 0 && n->attr.type == VIEW_T_VIEWFILE)
        rc = view_xattr_num(fn, ctx, "user.abc.header_bytes", skip);
    return rc;
}

static int
view_xattr_walk(view *v, struct view_node *n, view_xattr_fn fn, void *ctx)
{
    const char *kind;
    abc_str name = {"", 0};
    const struct abc_property_header *ph = NULL;
    int rc = 0;
    switch (n->attr.type) {
    case VIEW_T_OBJECT: kind = "object"; name = abc_object_name(n->obj); break;
    case VIEW_T_COMPOUND: kind = "compound"; ph = n->ph; break;
    case VIEW_T_PROPERTY: kind = abc_kind_name(n->ph->kind); ph = n->ph; break;
    case VIEW_T_SAMPLE: kind = "sample"; ph = n->parent->ph; break;
    case VIEW_T_VIEWDIR: kind = "view"; break;
    default: kind = view_type_name(n->attr.type); break;
    }
    if (ph != NULL)
        name = ph->name;
    char nbuf[VIEW_ENTRY_NAME_MAX];
    if (n->attr.type == VIEW_T_INSTANCE) {
        name = abc_object_name(n->obj);
    } else if (n->parent != NULL && n->attr.type != VIEW_T_OBJECT &&
               (ph == NULL || n->attr.type == VIEW_T_VIEWDIR ||
                n->parent->attr.type == VIEW_T_VIEWDIR)) {
        name.len = view_node_name(v, n, nbuf);
        name.ptr = nbuf;
        ph = NULL;
    }
    rc = view_xattr_str(fn, ctx, "user.abc.kind", kind, strlen(kind));
    if (rc == 0)
        rc = view_xattr_str(fn, ctx, "user.abc.name", name.ptr, name.len);
    if (rc != 0)
        return rc;
    switch (n->attr.type) {
    case VIEW_T_OBJECT: {
        abc_str meta = abc_object_metadata(n->obj), val;
        if (abc_meta_get(meta, "schema", &val))
            rc = view_xattr_str(fn, ctx, "user.abc.schema", val.ptr, val.len);
        if (rc == 0)
            rc = view_xattr_meta(fn, ctx, meta);
        if (rc == 0 && n->parent == NULL)
            rc = view_xattr_str(fn, ctx, VIEW_STATS_XATTR, NULL, 0);
        break;
    }
    case VIEW_T_COMPOUND:
        rc = view_xattr_meta(fn, ctx, ph->metadata);
        break;
    case VIEW_T_PROPERTY:
        rc = view_xattr_prop(fn, ctx, ph);
        if (rc == 0)
            rc = view_xattr_meta(fn, ctx, ph->metadata);
        break;
    case VIEW_T_SAMPLE: {
        /* of its property, or of the property-like view it is in */
        const struct view_series *s = &n->parent->x->ser;
        const char *pod = abc_pod_name(s->pod);
        rc = view_xattr_str(fn, ctx, "user.abc.pod", pod, strlen(pod));
        if (rc == 0)
            rc = view_xattr_num(fn, ctx, "user.abc.extent", s->extent);
        if (rc == 0)
            rc = view_xattr_num(fn, ctx, "user.abc.num_samples", s->n);
        if (rc == 0)
            rc = view_xattr_num(fn, ctx, "user.abc.time_sampling", s->ts);
        if (rc == 0)
            rc = view_xattr_num(fn, ctx, "user.abc.index", n->sample);
        double t = view_series_time(v, n->parent, n->sample);
        if (rc == 0 && t == t) {
            char buf[40];
            int k = snprintf(buf, sizeof buf, "%.17g", t);
            rc = view_xattr_str(fn, ctx, "user.abc.time", buf, (size_t)k);
        }
        if (rc == 0)
            rc = view_xattr_direct(v, n, fn, ctx);
        break;
    }
    case VIEW_T_VIEWFILE:
        rc = view_xattr_direct(v, n, fn, ctx);
        break;
    default:
        break;
    }
    return rc;
}

struct view_xattr_list_ctx {
    char *buf;
    size_t cap;
    size_t len;
};

static int
view_xattr_list_fn(void *ctx, const char *name, size_t nlen, const char *val, size_t vlen)
{
    struct view_xattr_list_ctx *c = ctx;
    (void)val;
    (void)vlen;
    if (c->cap > 0 && c->len + nlen + 1 <= c->cap) {
        memcpy(c->buf + c->len, name, nlen);
        c->buf[c->len + nlen] = '\0';
    }
    c->len += nlen + 1;
    return 0;
}

int
view_xattr_list(view *v, uint64_t id, char *buf, size_t cap, size_t *len,
                struct ogawa_err *err)
{
    struct view_node *n = view_node_pin(v, id);
    if (n == NULL)
        return ogawa_fail(err, OGAWA_E_NOENT, 0, "unknown node id");
    struct view_xattr_list_ctx c = {buf, cap, 0};
    view_xattr_walk(v, n, view_xattr_list_fn, &c);
    view_node_unpin(v, n);
    *len = c.len;
    if (cap > 0 && c.len > cap)
        return ogawa_fail(err, VIEW_E_RANGE, 0, "buffer too small");
    return 0;
}

struct view_xattr_get_ctx {
    const char *name;
    char *buf;
    size_t cap;
    size_t len;
    bool found;
};

static int
view_xattr_get_fn(void *ctx, const char *name, size_t nlen, const char *val, size_t vlen)
{
    struct view_xattr_get_ctx *c = ctx;
    if (strlen(c->name) != nlen || memcmp(c->name, name, nlen) != 0)
        return 0;
    c->found = true;
    c->len = vlen;
    if (c->cap > 0 && vlen <= c->cap && vlen > 0)
        memcpy(c->buf, val, vlen);
    return 1;
}

int
view_xattr_get(view *v, uint64_t id, const char *name, char *buf, size_t cap, size_t *len,
               struct ogawa_err *err)
{
    struct view_node *n = view_node_pin(v, id);
    if (n == NULL)
        return ogawa_fail(err, OGAWA_E_NOENT, 0, "unknown node id");
    struct view_xattr_get_ctx c = {name, buf, cap, 0, false};
    bool stats = n->parent == NULL && strcmp(name, VIEW_STATS_XATTR) == 0;
    if (!stats)
        view_xattr_walk(v, n, view_xattr_get_fn, &c);
    view_node_unpin(v, n);
    if (stats) {
        size_t slen;
        char *s = view_stats_json(v, &slen);
        if (s == NULL)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
        *len = slen;
        int rc = 0;
        if (cap > 0 && slen > cap)
            rc = ogawa_fail(err, VIEW_E_RANGE, 0, "buffer too small");
        else if (cap > 0)
            memcpy(buf, s, slen);
        free(s);
        return rc;
    }
    if (!c.found)
        return ogawa_fail(err, VIEW_E_NODATA, 0, "no such attribute");
    *len = c.len;
    if (cap > 0 && c.len > cap)
        return ogawa_fail(err, VIEW_E_RANGE, 0, "buffer too small");
    return 0;
}

/* ---- stats ------------------------------------------------------------------ */

const char *
view_req_name(int kind)
{
    static const char *const names[VIEW_REQ_COUNT] = {
        "lookup", "forget", "getattr", "readlink", "readdir", "read", "getxattr", "statfs",
        "other", "listxattr", "readdirplus", "open", "release", "flush", "opendir",
        "releasedir", "access",
    };
    return kind >= 0 && kind < VIEW_REQ_COUNT ? names[kind] : "?";
}

char *
view_stats_json(view *v, size_t *len)
{
    struct ogawa_stats st;
    ogawa_archive_stats(abc_archive_ogawa(v->arc), &st);
    /* view_verify's reads happened before the mount: reported apart. */
    st.bytes_read -= v->verify_bytes <= st.bytes_read ? v->verify_bytes : st.bytes_read;
    st.reads -= v->verify_reads <= st.reads ? v->verify_reads : st.reads;
    uint64_t served = atomic_load(&v->served_bytes), nodes, size;
    view_statfs(v, &size, &nodes);
    /* A compressed archive's samples are read through its source, so its
     * bytes_read is what was read of the compressed file, all of it. */
    bool compressed = view_archive_fd(v) < 0;
    uint64_t bytes_read = compressed ? st.source_bytes_read : st.bytes_read + served;
    uint64_t blocks_read = compressed ? st.source_reads
                                      : st.reads + atomic_load(&v->served_reads);
    struct view_buf b = {0};
    view_buf_printf(&b, "{\"archive_bytes\": %llu, \"bytes_read\": %llu, \"blocks_read\": %llu",
                    (unsigned long long)size, (unsigned long long)bytes_read,
                    (unsigned long long)blocks_read);
    const ogawa_source *src = ogawa_archive_source(abc_archive_ogawa(v->arc));
    view_buf_printf(&b, ", \"source\": {\"kind\": \"%s\", \"file_bytes\": %llu, "
                        "\"bytes_read\": %llu, \"reads\": %llu, \"bytes_inflated\": %llu, "
                        "\"cache_hits\": %llu, \"cache_misses\": %llu, "
                        "\"cache_evictions\": %llu, \"cache_bytes\": %llu}",
                    ogawa_source_kind_name(src),
                    (unsigned long long)ogawa_source_identity(src)->size,
                    (unsigned long long)st.source_bytes_read, (unsigned long long)st.source_reads,
                    (unsigned long long)st.bytes_inflated, (unsigned long long)st.cache_hits,
                    (unsigned long long)st.cache_misses, (unsigned long long)st.cache_evictions,
                    (unsigned long long)st.cache_bytes);
    view_buf_printf(&b, ", \"parse_bytes_read\": %llu, \"parse_reads\": %llu",
                    (unsigned long long)st.bytes_read, (unsigned long long)st.reads);
    view_buf_printf(&b, ", \"sample_bytes_served\": %llu, \"sample_reads\": %llu",
                    (unsigned long long)served,
                    (unsigned long long)atomic_load(&v->served_reads));
    view_buf_printf(&b, ", \"generated_bytes_served\": %llu",
                    (unsigned long long)atomic_load(&v->mem_bytes));
    view_buf_puts(&b, ", \"requests\": {");
    for (int i = 0; i < VIEW_REQ_COUNT; i++)
        view_buf_printf(&b, "%s\"%s\": %llu", i ? ", " : "", view_req_name(i),
                        (unsigned long long)atomic_load(&v->req[i]));
    struct view_cache_stats cs;
    view_cache_stats(v, &cs);
    view_buf_printf(&b, "}, \"cache\": {\"node_hits\": %llu, \"node_builds\": %llu, "
                        "\"dir_hits\": %llu, \"dir_builds\": %llu}, \"nodes\": %llu",
                    (unsigned long long)atomic_load(&v->node_hits),
                    (unsigned long long)atomic_load(&v->node_builds),
                    (unsigned long long)atomic_load(&v->dir_hits),
                    (unsigned long long)atomic_load(&v->dir_builds),
                    (unsigned long long)nodes);
    view_buf_printf(&b, ", \"view_cache\": {\"limit\": %llu, \"bytes\": %llu, "
                        "\"entries\": %llu, \"hits\": %llu, \"misses\": %llu, "
                        "\"renders\": %llu, \"evictions\": %llu}",
                    (unsigned long long)cs.max_bytes, (unsigned long long)cs.bytes,
                    (unsigned long long)cs.entries, (unsigned long long)cs.hits,
                    (unsigned long long)cs.misses, (unsigned long long)cs.renders,
                    (unsigned long long)cs.evictions);
    view_buf_printf(&b, ", \"verify\": {\"bytes_read\": %llu, \"reads\": %llu, "
                        "\"complete\": %s}}\n",
                    (unsigned long long)v->verify_bytes, (unsigned long long)v->verify_reads,
                    v->verify_state == 0 ? "null" : v->verify_state == 2 ? "true" : "false");
    if (b.oom) {
        view_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.ptr;
}
