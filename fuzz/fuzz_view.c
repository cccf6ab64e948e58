/*
 * fuzz_view.c — fuzz target for the view layer (fs/view.h, layout.md):
 * open the input as a mount would, then list every directory it reaches,
 * look every entry up by index and by name, stat it, read every file
 * (samples, .info, .times) to its end, read every link, resolve paths
 * through links, and list and get every extended attribute.
 *
 * The tree a hostile archive gives can be a DAG or exponentially wide, so
 * the walk is bounded: an explicit stack of held node ids, budgets on
 * nodes, entries per directory, bytes read and path resolutions.  Each
 * node is held by exactly the lookups the walk took and forgotten when it
 * is done, so at the end only the root may be left in the node table; a
 * node that stays is a reference leak and fails the run.
 *
 * Checks, beyond "no crash": final names are what layout.md "Names" allows
 * (non-empty, no '/', NUL or control byte, not "." or "..", bounded
 * length); index and name lookups agree on the node; reads stay inside
 * the file and, for raw samples, inside the archive; .info is well-formed
 * JSON in valid UTF-8; .times has one line per sample; "d/." and "d/.."
 * resolve to d and its parent; every error maps to a positive errno.
 *
 * Each input also goes, as raw bytes, through the name functions
 * (escaping, de-duplication, sample names, JSON strings), and through
 * view_verify, the check a mount runs before it serves anything.
 */
#include "fuzz_common.h"

#include "view.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Budgets per input.  They are small because every node costs the view
 * real work (a listing, an .info text), and a run must reach millions of
 * executions: breadth comes from the corpus, not from one input. */
#define FUZZ_MAX_NODES 48           /* directories taken per input */
#define FUZZ_MAX_ENTRIES 16         /* first entries visited per directory (plus the last 2) */
#define FUZZ_MAX_READ (1u << 20)    /* bytes read per input */
#define FUZZ_MAX_RESOLVE 16         /* view_resolve calls per input */
#define FUZZ_MAX_XATTR 16           /* nodes whose xattrs are read */
#define FUZZ_MAX_DETACHED 8         /* view_child_attr calls that build a node of their own */
#define FUZZ_HOLD_ENTRIES 1100      /* hold mode: entries per directory ... */
#define FUZZ_HOLD_MAX 2400          /* ... and nodes held at once (the table starts at 1024) */
#define FUZZ_PATH_MAX 4096          /* longer paths are not resolved */
#define FUZZ_NAME_MAX (VIEW_ENTRY_NAME_MAX - 1) /* rule 4 length plus a ~N of rule 5 */

struct fuzz_held {
    uint64_t id;                    /* holds one lookup */
    char *path;                     /* from the root, no leading '/', "" for the root */
};

struct fuzz_view {
    const uint8_t *data;
    size_t size;
    view *v;
    struct fuzz_held stack[FUZZ_MAX_NODES];
    size_t depth;
    size_t nodes_left, resolves_left, xattrs_left, detached_left, entries_left;
    uint64_t read_left;
    /* Hold mode (one input in eight): file and link nodes are kept until
     * the end instead of forgotten at once, so that the node table grows
     * past its first size and its chains get long. */
    bool hold;
    bool views_visible;         /* views listed (-o views=visible) */
    uint64_t held[FUZZ_HOLD_MAX];
    size_t n_held;
};

static void
fuzz_view_err(int rc, const struct ogawa_err *err)
{
    fuzz_check_err(rc, err);
    if (rc)
        FUZZ_ASSERT(view_errno(rc, err) > 0);
}

/* ---- a small JSON checker, for .info ------------------------------------- */

struct fuzz_json {
    const char *p, *end;
    int depth;
};

static void
fuzz_json_ws(struct fuzz_json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
        j->p++;
}

static bool
fuzz_json_lit(struct fuzz_json *j, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
        return false;
    j->p += n;
    return true;
}

static bool
fuzz_json_string(struct fuzz_json *j)
{
    if (j->p >= j->end || *j->p != '"')
        return false;
    for (j->p++; j->p < j->end; j->p++) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (++j->p >= j->end)
                return false;
            if (*j->p == 'u') {
                for (int k = 0; k < 4; k++)
                    if (++j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p) || !*j->p)
                        return false;
            } else if (!strchr("\"\\/bfnrt", *j->p) || !*j->p) {
                return false;
            }
        }
    }
    return false;
}

static bool
fuzz_json_number(struct fuzz_json *j)
{
    const char *start = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    size_t digits = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++, digits++;
    if (digits == 0)
        return false;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        digits = 0;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++, digits++;
        if (digits == 0)
            return false;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        digits = 0;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++, digits++;
        if (digits == 0)
            return false;
    }
    return j->p > start;
}

static bool
fuzz_json_value(struct fuzz_json *j)
{
    fuzz_json_ws(j);
    if (j->p >= j->end)
        return false;
    char c = *j->p;
    if (c == '"')
        return fuzz_json_string(j);
    if (c == 't')
        return fuzz_json_lit(j, "true");
    if (c == 'f')
        return fuzz_json_lit(j, "false");
    if (c == 'n')
        return fuzz_json_lit(j, "null");
    if (c != '{' && c != '[')
        return fuzz_json_number(j);
    if (++j->depth > 32)            /* .info nests a few levels; bounds our recursion */
        return false;
    char close = c == '{' ? '}' : ']';
    j->p++;
    fuzz_json_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return true;
    }
    for (;;) {
        if (c == '{') {
            fuzz_json_ws(j);
            if (!fuzz_json_string(j))
                return false;
            fuzz_json_ws(j);
            if (j->p >= j->end || *j->p++ != ':')
                return false;
        }
        if (!fuzz_json_value(j))
            return false;
        fuzz_json_ws(j);
        if (j->p >= j->end)
            return false;
        if (*j->p == close) {
            j->p++;
            j->depth--;
            return true;
        }
        if (*j->p++ != ',')
            return false;
    }
}

/* A final name of layout.md "Names": what any directory entry must be. */
static void
fuzz_check_name(const char *name, size_t len)
{
    FUZZ_ASSERT(len > 0 && len <= FUZZ_NAME_MAX);
    FUZZ_ASSERT(name[len] == 0);
    FUZZ_ASSERT(!(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.'));
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        FUZZ_ASSERT(c != '/' && c >= 0x20 && c != 0x7F);
    }
}

/* ---- the name functions, on the raw input ------------------------------------ */

/* Layout.md "Names" on arbitrary bytes: the escaped name is a valid final
 * name, equal inputs give equal names, rule 5 keeps a directory's names
 * unique, and a JSON string of the bytes is valid UTF-8 JSON. */
static void
fuzz_names(const uint8_t *data, size_t size)
{
    size_t n = size < 700 ? size : 700;
    static const char *const reserved[] = { ".info", ".times", NULL };
    size_t len, len2;
    char *e = view_name_escape((const char *)data, n, reserved, &len);
    FUZZ_ASSERT(e != NULL);
    fuzz_check_name(e, len);
    FUZZ_ASSERT(strcmp(e, ".info") != 0 && strcmp(e, ".times") != 0);
    char *e2 = view_name_escape((const char *)data, n, reserved, &len2);
    FUZZ_ASSERT(e2 != NULL && len2 == len && memcmp(e, e2, len) == 0);
    free(e2);
    free(e);

    /* The input cut into names at every 0x0A byte, escaped, made unique. */
    struct view_names *set = view_names_new(8);
    FUZZ_ASSERT(set != NULL);
    const char *finals[64];
    size_t final_lens[64], n_finals = 0;
    for (size_t pos = 0; pos < n && n_finals < 64;) {
        const uint8_t *nl = memchr(data + pos, '\n', n - pos);
        size_t piece = nl ? (size_t)(nl - (data + pos)) : n - pos;
        char *esc = view_name_escape((const char *)data + pos, piece, NULL, &len);
        FUZZ_ASSERT(esc != NULL);
        char *fin = view_names_add(set, esc, len, &len2);
        FUZZ_ASSERT(fin != NULL);
        fuzz_check_name(fin, len2);
        FUZZ_ASSERT(view_names_has(set, fin, len2));
        for (size_t k = 0; k < n_finals; k++)
            FUZZ_ASSERT(final_lens[k] != len2 || memcmp(finals[k], fin, len2) != 0);
        FUZZ_ASSERT(view_names_try(set, fin, len2) == 0);
        finals[n_finals] = fin;
        final_lens[n_finals++] = len2;
        free(esc);
        pos += piece + 1;
    }
    for (size_t k = 0; k < n_finals; k++)
        free((void *)finals[k]);
    view_names_free(set);

    struct view_buf b = { 0 };
    view_buf_json_str(&b, (const char *)data, n);
    FUZZ_ASSERT(!b.oom && b.ptr != NULL);
    FUZZ_ASSERT(fuzz_utf8_valid((const uint8_t *)b.ptr, b.len));
    struct fuzz_json j = { b.ptr, b.ptr + b.len, 0 };
    FUZZ_ASSERT(fuzz_json_string(&j) && j.p == j.end);
    view_buf_free(&b);

    /* Sample names parse back to their index, and nothing else parses. */
    uint64_t ns = 0, idx = 0;
    if (size >= 16) {
        memcpy(&ns, data, 8);
        memcpy(&idx, data + 8, 8);
    }
    ns &= 0xFFFFFFFFu;
    int pod = size ? data[0] % ABC_POD_COUNT : 0;
    char buf[32];
    if (ns > 0) {
        idx %= ns;
        size_t sl = view_sample_name(ns, pod, idx, buf);
        FUZZ_ASSERT(sl > 0 && sl < sizeof(buf) && buf[sl] == 0);
        fuzz_check_name(buf, sl);
        uint64_t back;
        FUZZ_ASSERT(view_sample_parse(ns, pod, buf, sl, &back) && back == idx);
    }
    uint64_t any;
    (void)view_sample_parse(ns, pod, (const char *)data, n, &any);
    (void)view_sample_width(ns);
}

/* ---- nodes ------------------------------------------------------------------- */

/* Reads file id (size bytes) to its end in pieces; returns the bytes in a
 * new buffer when want_copy (for .info/.times checks), else NULL. */
static char *
fuzz_read_file(struct fuzz_view *f, uint64_t id, const struct view_attr *attr, bool want_copy)
{
    struct ogawa_err err = { 0 };
    uint64_t size = attr->size;
    if (size > f->read_left)
        return NULL;
    f->read_left -= size;
    char *copy = want_copy ? malloc((size_t)size + 1) : NULL;
    uint64_t pos = 0, piece = size / 3 + 1;
    uint64_t sum = 0;
    while (pos < size) {
        struct view_data d;
        int rc = view_read(f->v, id, pos, piece, &d, &err);
        fuzz_view_err(rc, &err);
        FUZZ_ASSERT(rc == 0);
        FUZZ_ASSERT(d.len > 0 && d.len <= piece && d.len <= size - pos);
        const uint8_t *bytes;
        if (d.fd >= 0) {
            FUZZ_ASSERT(attr->type == VIEW_T_SAMPLE || attr->type == VIEW_T_VIEWFILE);
            FUZZ_ASSERT(d.fd == view_archive_fd(f->v));
            FUZZ_ASSERT(ogawa_range_ok(d.off, d.len, f->size));
            FUZZ_ASSERT(d.off >= OGAWA_HEADER_LEN);
            bytes = f->data + d.off;
        } else {
            FUZZ_ASSERT(d.mem != NULL);
            bytes = d.mem;
        }
        for (uint64_t i = 0; i < d.len; i++)    /* touches every byte: ASan checks the range */
            sum += bytes[i];
        if (copy)
            memcpy(copy + pos, bytes, (size_t)d.len);
        pos += d.len;
        free(d.mem);
    }
    (void)sum;
    struct view_data d;
    /* At and past the end: nothing, but for a view whose source is
     * invalid (size 0, EIO on every read: views.md). */
    int rc = view_read(f->v, id, size, 4096, &d, &err);
    FUZZ_ASSERT((rc == 0 && d.len == 0) || (rc == VIEW_E_BADSRC && size == 0));
    free(d.mem);
    rc = view_read(f->v, id, UINT64_MAX, UINT64_MAX, &d, &err);
    FUZZ_ASSERT((rc == 0 && d.len == 0) || (rc == VIEW_E_BADSRC && size == 0));
    free(d.mem);
    if (copy)
        copy[size] = 0;
    return copy;
}

static void
fuzz_check_info(const char *text, size_t len)
{
    FUZZ_ASSERT(fuzz_utf8_valid((const uint8_t *)text, len));
    struct fuzz_json j = { text, text + len, 0 };
    fuzz_json_ws(&j);
    FUZZ_ASSERT(j.p < j.end && *j.p == '{');
    FUZZ_ASSERT(fuzz_json_value(&j));
    fuzz_json_ws(&j);
    FUZZ_ASSERT(j.p == j.end);
}

static void
fuzz_xattrs(struct fuzz_view *f, uint64_t id)
{
    if (f->xattrs_left == 0)
        return;
    f->xattrs_left--;
    struct ogawa_err err = { 0 };
    size_t len = 0, len2 = 0;
    int rc = view_xattr_list(f->v, id, NULL, 0, &len, &err);
    fuzz_view_err(rc, &err);
    if (rc)
        return;
    char *names = malloc(len + 1);
    FUZZ_ASSERT(names != NULL);
    rc = view_xattr_list(f->v, id, names, len, &len2, &err);
    fuzz_view_err(rc, &err);
    FUZZ_ASSERT(rc == 0 && len2 == len);
    FUZZ_ASSERT(len == 0 || names[len - 1] == 0);
    if (len > 0) {
        size_t small;
        rc = view_xattr_list(f->v, id, names, len - 1, &small, &err);
        FUZZ_ASSERT(rc == VIEW_E_RANGE);
        fuzz_view_err(rc, &err);
    }
    for (size_t pos = 0; pos < len;) {
        const char *name = names + pos;
        size_t nlen = strlen(name);
        FUZZ_ASSERT(nlen > 0 && strncmp(name, "user.", 5) == 0);
        size_t vlen = 0, vlen2 = 0;
        rc = view_xattr_get(f->v, id, name, NULL, 0, &vlen, &err);
        fuzz_view_err(rc, &err);
        FUZZ_ASSERT(rc == 0);
        char *val = malloc(vlen + 1);
        FUZZ_ASSERT(val != NULL);
        rc = view_xattr_get(f->v, id, name, val, vlen, &vlen2, &err);
        FUZZ_ASSERT(rc == 0 && vlen2 == vlen);
        free(val);
        pos += nlen + 1;
    }
    free(names);
    size_t vlen;
    rc = view_xattr_get(f->v, id, "user.abc.no-such-attribute", NULL, 0, &vlen, &err);
    FUZZ_ASSERT(rc == VIEW_E_NODATA);
}

/* Joins parent path and name into a new string; NULL if too long. */
static char *
fuzz_join(const char *parent, const char *name, size_t len)
{
    size_t plen = strlen(parent);
    if (plen + 1 + len >= FUZZ_PATH_MAX)
        return NULL;
    char *p = malloc(plen + 1 + len + 1);
    FUZZ_ASSERT(p != NULL);
    memcpy(p, parent, plen);
    size_t at = plen;
    if (plen)
        p[at++] = '/';
    memcpy(p + at, name, len);
    p[at + len] = 0;
    return p;
}

/* Resolves path (without and with following) and checks it names id. */
static void
fuzz_resolve(struct fuzz_view *f, const char *path, uint64_t id, int type)
{
    if (!path || f->resolves_left == 0)
        return;
    f->resolves_left--;
    struct ogawa_err err = { 0 };
    uint64_t rid;
    struct view_attr ra;
    int rc = view_resolve(f->v, path, false, &rid, &ra, &err);
    fuzz_view_err(rc, &err);
    FUZZ_ASSERT(rc == 0 && rid == id && ra.type == type);
    view_forget(f->v, rid, 1);
    if (view_type_is_dir(type) && strlen(path) + 4 < FUZZ_PATH_MAX) {
        /* "d/." is d, "d/.." its parent, as the kernel walks them. */
        char dots[FUZZ_PATH_MAX];
        snprintf(dots, sizeof(dots), "%s/./", path);
        rc = view_resolve(f->v, dots, true, &rid, &ra, &err);
        FUZZ_ASSERT(rc == 0 && rid == id);
        view_forget(f->v, rid, 1);
        snprintf(dots, sizeof(dots), "%s/..", path);
        rc = view_resolve(f->v, dots, true, &rid, &ra, &err);
        FUZZ_ASSERT(rc == 0 && rid == view_parent(f->v, id));
        view_forget(f->v, rid, 1);
    }
    if (!view_type_is_link(type))
        return;
    rc = view_resolve(f->v, path, true, &rid, &ra, &err);
    fuzz_view_err(rc, &err);
    if (rc == 0) {
        FUZZ_ASSERT(!view_type_is_link(ra.type));
        view_forget(f->v, rid, 1);
    }
}

/* Looks at entry idx of directory dir (held), and takes it as a node. */
static void
fuzz_entry(struct fuzz_view *f, uint64_t dir, const char *dir_path, uint64_t idx,
           uint64_t n_entries)
{
    struct ogawa_err err = { 0 };
    char name[VIEW_ENTRY_NAME_MAX];
    size_t len;
    int type;
    int rc = view_dir_entry(f->v, dir, idx, name, &len, &type, &err);
    fuzz_view_err(rc, &err);
    if (rc)
        return;
    fuzz_check_name(name, len);
    FUZZ_ASSERT(strcmp(view_type_name(type), "unknown") != 0);
    char *path = fuzz_join(dir_path, name, len);

    /* view_child_attr before the node exists builds one and drops it;
     * after, it answers from the node.  Both must agree with view_child. */
    struct view_attr a1, a2, a3;
    bool detached = f->detached_left > 0;
    rc = 0;
    if (detached) {
        f->detached_left--;
        rc = view_child_attr(f->v, dir, idx, &a1, &err);
        fuzz_view_err(rc, &err);
    }
    uint64_t dino = 0;
    int dtype = 0;
    int drc = view_child_ino(f->v, dir, idx, &dino, &dtype, &err);
    fuzz_view_err(drc, &err);
    uint64_t id, lid;
    int rc2 = view_child(f->v, dir, idx, &id, &a2, &err);
    fuzz_view_err(rc2, &err);
    FUZZ_ASSERT(!detached || (rc == 0) == (rc2 == 0));
    if (rc2) {
        free(path);
        return;
    }
    if (!detached) {
        rc = view_child_attr(f->v, dir, idx, &a1, &err);
        FUZZ_ASSERT(rc == 0);
    }
    FUZZ_ASSERT(a1.ino == a2.ino && a1.type == a2.type && a1.size == a2.size);
    /* plain readdir's d_ino and d_type, found before the node was built:
     * the node's */
    FUZZ_ASSERT(drc != 0 || (dino == a2.ino && dtype == a2.type));
    FUZZ_ASSERT(a2.type == type && id != VIEW_ROOT_ID);
    FUZZ_ASSERT(view_parent(f->v, id) == dir);
    FUZZ_ASSERT(view_type_is_dir(type) ? (a2.mode & 0170000) == 0040000
                : view_type_is_link(type) ? (a2.mode & 0170000) == 0120000
                                          : (a2.mode & 0170000) == 0100000);
    /* The same entry by name: the same node while it lives. */
    rc = view_lookup(f->v, dir, name, len, &lid, &a3, &err);
    fuzz_view_err(rc, &err);
    FUZZ_ASSERT(rc == 0 && lid == id && a3.ino == a2.ino);
    view_forget(f->v, lid, 1);
    rc = view_getattr(f->v, id, &a3, &err);
    FUZZ_ASSERT(rc == 0 && a3.ino == a2.ino);

    struct view_data d = { .fd = -1 };   /* failing reads below allocate nothing */
    if (view_type_is_dir(type)) {
        rc = view_read(f->v, id, 0, 1, &d, &err);
        FUZZ_ASSERT(rc == VIEW_E_ISDIR);
        fuzz_resolve(f, path, id, type);
        if (f->nodes_left > 0 && f->depth < FUZZ_MAX_NODES && path) {
            f->nodes_left--;
            f->stack[f->depth].id = id;
            f->stack[f->depth].path = path;
            f->depth++;
            return;                 /* the walk forgets it after listing it */
        }
    } else if (view_type_is_link(type)) {
        char *target;
        size_t tlen;
        rc = view_readlink(f->v, id, &target, &tlen, &err);
        fuzz_view_err(rc, &err);
        FUZZ_ASSERT(rc == 0 && tlen == a2.size && target[tlen] == 0 && tlen > 0);
        FUZZ_ASSERT(memchr(target, 0, tlen) == NULL);
        free(target);
        rc = view_read(f->v, id, 0, 1, &d, &err);
        FUZZ_ASSERT(rc == VIEW_E_NOTLINK);
        fuzz_resolve(f, path, id, type);
    } else {
        uint64_t n;
        rc = view_dir_count(f->v, id, &n, &err);
        FUZZ_ASSERT(rc == VIEW_E_NOTDIR);
        fuzz_view_err(rc, &err);
        bool text = type == VIEW_T_INFO || type == VIEW_T_TIMES;
        char *copy = fuzz_read_file(f, id, &a2, text);
        if (copy && type == VIEW_T_INFO)
            fuzz_check_info(copy, (size_t)a2.size);
        if (copy && type == VIEW_T_TIMES) {
            /* One line per sample: a property directory lists its
             * samples, then .info and .times (and .npy when views are
             * listed). */
            uint64_t lines = 0;
            for (uint64_t k = 0; k < a2.size; k++)
                lines += copy[k] == '\n';
            FUZZ_ASSERT(lines == n_entries - 2 - (f->views_visible ? 1 : 0));
            FUZZ_ASSERT(a2.size == 0 || copy[a2.size - 1] == '\n');
        }
        free(copy);
        if (idx < 4)
            fuzz_resolve(f, path, id, type);
    }
    fuzz_xattrs(f, id);
    if (f->hold && f->n_held < FUZZ_HOLD_MAX)
        f->held[f->n_held++] = id;
    else
        view_forget(f->v, id, 1);
    free(path);
}

static void
fuzz_dir(struct fuzz_view *f, uint64_t dir, const char *path)
{
    struct ogawa_err err = { 0 };
    uint64_t n;
    int rc = view_dir_count(f->v, dir, &n, &err);
    fuzz_view_err(rc, &err);
    if (rc)
        return;
    fuzz_xattrs(f, dir);
    uint64_t id;
    struct view_attr a;
    rc = view_lookup(f->v, dir, "no such entry \x01", 15, &id, &a, &err);
    FUZZ_ASSERT(rc == OGAWA_E_NOENT);
    char name[VIEW_ENTRY_NAME_MAX];
    size_t len;
    int type;
    rc = view_dir_entry(f->v, dir, n, name, &len, &type, &err);
    FUZZ_ASSERT(rc == OGAWA_E_NOENT);
    uint64_t first = f->hold ? FUZZ_HOLD_ENTRIES : FUZZ_MAX_ENTRIES;
    for (uint64_t i = 0; i < n && f->entries_left > 0; i++, f->entries_left--) {
        /* The first entries and the last two (.info and .times of a
         * property directory, whose samples may number 2^32). */
        if (i == first && n > first + 2)
            i = n - 2;
        fuzz_entry(f, dir, path, i, n);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fuzz_view fv;
    struct fuzz_view *f = &fv;
    f->data = data;
    f->size = size;
    f->depth = 0;
    f->nodes_left = FUZZ_MAX_NODES;
    f->resolves_left = FUZZ_MAX_RESOLVE;
    f->xattrs_left = FUZZ_MAX_XATTR;
    f->read_left = FUZZ_MAX_READ;
    f->hold = size % 8 == 3;
    f->entries_left = f->hold ? FUZZ_HOLD_MAX : 1024;
    f->n_held = 0;
    f->detached_left = FUZZ_MAX_DETACHED;

    /* view_open opens a path; the lowest free fd number, which it will
     * get, must be free again after view_close. */
    int probe = fuzz_input_fd(data, size);
    close(probe);
    struct ogawa_err err = { 0 };
    int rc = view_open(fuzz_input_path(), &f->v, &err);
    fuzz_view_err(rc, &err);
    if (rc) {
        FUZZ_ASSERT(f->v == NULL);
        fuzz_input_done(probe);
        return 0;
    }
    view *v = f->v;
    /* Views listed for most inputs, so the walk reaches them too. */
    f->views_visible = size % 4 != 1;
    view_configure(v, &(struct view_options){
        .views = f->views_visible ? VIEW_MODE_VISIBLE : VIEW_MODE_HIDDEN,
        .cache_bytes = size % 5 == 2 ? 4096 : VIEW_CACHE_DEFAULT});
    fuzz_names(data, size);
    bool complete = false;
    rc = view_verify(v, 4 * (uint64_t)size + 4096, &complete, &err);
    fuzz_view_err(rc, &err);
    struct view_attr root;
    rc = view_root_attr(v, &root, &err);
    FUZZ_ASSERT(rc == 0 && root.type == VIEW_T_OBJECT && (root.mode & 0170000) == 0040000);
    FUZZ_ASSERT(view_parent(v, VIEW_ROOT_ID) == VIEW_ROOT_ID);

    /* Paths that exist in every tree, or in none, or climb above the root. */
    static const char *const paths[] = {
        "", "/", ".", "..", "../../..", "//./", ".info", "./.info/", ".info/x", ".info/..",
        "no such entry", "a/b/c/../../..", "%2E%2E", ".times",
    };
    for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
        uint64_t rid;
        struct view_attr ra;
        rc = view_resolve(v, paths[k], k % 2 == 0, &rid, &ra, &err);
        fuzz_view_err(rc, &err);
        if (rc == 0)
            view_forget(v, rid, 1);
        if (k < 6)
            FUZZ_ASSERT(rc == 0 && rid == VIEW_ROOT_ID);
    }
    for (int code = 0; code >= -110; code--)
        FUZZ_ASSERT(view_errno(code, NULL) >= 0);

    fuzz_dir(f, VIEW_ROOT_ID, "");
    while (f->depth > 0) {
        struct fuzz_held h = f->stack[--f->depth];
        fuzz_dir(f, h.id, h.path);
        view_forget(v, h.id, 1);
        free(h.path);
    }

    for (size_t k = f->n_held; k-- > 0;)
        view_forget(v, f->held[k], 1);

    uint64_t bytes, nodes;
    view_statfs(v, &bytes, &nodes);
    FUZZ_ASSERT(bytes == size);
    FUZZ_ASSERT(nodes == 1);        /* every lookup taken was forgotten */
    for (int k = 0; k <= VIEW_REQ_COUNT; k++)
        view_count_request(v, k);
    size_t jlen;
    char *stats = view_stats_json(v, &jlen);
    if (stats) {
        FUZZ_ASSERT(strlen(stats) == jlen);
        fuzz_check_info(stats, jlen);
        free(stats);
    }
    view_close(v);
    fuzz_input_done(probe);
    return 0;
}
