/*
 * view_int.h — the view layer's records, shared by fs/view_*.c only (the
 * adapter and the tools use view.h).
 *
 * Invariants of the node table (view_node.c):
 *  1. Every live node is in both hash tables (by id, by parent id + entry
 *     index) and nowhere else; v->lock guards the tables, nlookup, nchild
 *     and next_id.  Everything else of a node is written before the node is
 *     published and never changed after, except dir, which goes from NULL to
 *     a finished listing once (atomic compare-and-swap).
 *  2. A node other than the root holds one nchild count on its parent, so a
 *     parent outlives its children and its listing outlives their names.
 *  3. A node is freed when nlookup, nchild and pins are all 0; the root
 *     never.  pins covers a call in progress: the kernel may forget a node
 *     while a request on it is still being answered (seen with readers
 *     racing drop_caches), so no call trusts a lookup it was not given.
 */
#ifndef ABCFS_VIEW_INT_H
#define ABCFS_VIEW_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "abc_world.h"
#include "view.h"

/* One entry of a materialized listing (object and compound directories). */
struct view_entry {
    size_t name_off;        /* final name: offset in the listing's blob */
    size_t name_len;
    size_t link_off;        /* promoted links: target in the blob */
    size_t link_len;
    size_t src;             /* child index (objects, instances) or property
                               index in the directory's compound */
    int type;               /* enum view_type of the node it makes */
};

/* The entries of an object or compound directory, in layout.md order. */
struct view_dir {
    size_t n;               /* entries */
    struct view_entry *e;
    char *blob;             /* names and link targets, each NUL-terminated */
    size_t *index;          /* open addressing by name hash: entry + 1, 0 = free */
    size_t index_cap;       /* power of two, >= 2n */
};

/* What a property-like directory (a property, .expanded) holds: its
 * samples' type and count.  meta points into a header its node keeps. */
struct view_series {
    int pod;
    unsigned extent;
    abc_str meta;           /* metadata: interpretation, for the .npy shape */
    uint32_t n;             /* samples */
    uint32_t ts;            /* time sampling index */
    bool scalar;
};

/* Entry keys of a directory: a listing position, or one of these. */
#define VIEW_KEY_VIEW (1ULL << 62)      /* + enum view_kind: a view entry */

/* What object, property and view nodes hold beyond a sample node. */
struct view_node_x {
    struct view_series ser; /* PROPERTY and property-like VIEWDIRs */
    size_t vals_idx, ind_idx; /* EXPANDED: .vals and .indices in cpd */
    uint64_t head_len;      /* VIEWFILE of .npy (numeric): header bytes */
    uint64_t sample_bytes;  /* all.npy: bytes of each sample */
    _Atomic uint64_t all_state; /* .npy VIEWDIR: all.npy, see view_npy_has_all */
    _Atomic(abc_world *) world; /* OBJECT: its world (abc_world.h), opened on
                               first need; MATRIX/WORLD VIEWDIR: a reference */
    int world_rc;           /* WORLD VIEWDIR: its times' error (EFBIG), or 0 */
    _Atomic(abc_prop *) prop; /* PROPERTY: its handle, opened on first sample */
    _Atomic(struct abc_mesh *) mesh; /* OBJECT: its geometry (view_geom.c), on first need */
    struct abc_mesh_file *mesh_file; /* VIEWFILE of .ply/.obj: its layout */
};

struct view_node {
    uint64_t id;            /* FUSE nodeid; VIEW_ROOT_ID for the root */
    struct view_node *parent; /* NULL for the root */
    uint64_t idx;           /* entry index in the parent's listing */
    uint64_t key;           /* stable hash of the position (parent key, idx) */
    struct view_attr attr;  /* what stat shows; complete at creation */
    /* table fields, under v->lock */
    uint64_t nlookup;       /* FUSE lookups held */
    uint64_t nchild;        /* live children */
    uint64_t pins;          /* calls of the API using the node right now */
    struct view_node *next_id;
    struct view_node *next_pos;
    /* content, by attr.type */
    abc_object *obj;        /* OBJECT: the object (ref); INSTANCE: the instance (ref) */
    abc_compound *cpd;      /* OBJECT: its top compound; COMPOUND: itself;
                               PROPERTY: the compound holding it (ref each) */
    size_t pidx;            /* PROPERTY: index of the property in cpd */
    const struct abc_property_header *ph; /* PROPERTY, COMPOUND (in cpd) */
    uint32_t sample;        /* SAMPLE: its index */
    bool raw;               /* SAMPLE: bytes served from the archive fd */
    uint64_t data_off;      /* SAMPLE raw: absolute payload offset */
    uint64_t src_end;       /* SAMPLE: end of its payload in the archive (0: none) */
    uint64_t full_json;     /* OBJECT: bytes of its full name as JSON string
                               contents, "/d0/d1" escaped (0 for the root):
                               .info's size in O(1) however deep it is */
    char *text;             /* link target (computed bytes live in the
                               view cache, not on nodes) */
    size_t text_len;
    _Atomic(struct view_dir *) dir; /* OBJECT/COMPOUND listing, built on demand */
    /* views */
    int vk;                 /* VIEWDIR, VIEWFILE: enum view_kind */
    bool bad;               /* a file whose source is invalid: size 0, EIO */
    bool all;               /* VIEWFILE of .npy: all.npy */
    struct view_node_x *x;  /* directories and views: the fields below, kept
                               apart so that sample nodes, the most numerous,
                               stay small */
};

struct view_cache_entry;

struct view {
    abc_archive *arc;
    abc_object *top;
    int fd;                 /* the archive's fd (owned by arc) */
    char *path;             /* the archive's path as opened, made absolute
                               (user.abc.source); NULL if unknown */
    int64_t mtime;          /* archive mtime */
    long mtime_nsec;
    pthread_mutex_t lock;   /* the node table */
    struct view_node *root;
    struct view_node **by_id;   /* chains by id */
    struct view_node **by_pos;  /* chains by (parent id, idx) */
    size_t cap;             /* buckets of each table, power of two */
    size_t n_nodes;
    uint64_t next_id;
    _Atomic uint64_t req[VIEW_REQ_COUNT];
    _Atomic uint64_t served_bytes;  /* raw sample bytes given out as fd ranges */
    _Atomic uint64_t served_reads;
    _Atomic uint64_t mem_bytes;     /* generated / converted bytes served */
    _Atomic uint64_t node_hits;     /* lookups answered by a live node */
    _Atomic uint64_t node_builds;   /* nodes built */
    _Atomic uint64_t dir_hits;      /* listings reused */
    _Atomic uint64_t dir_builds;    /* listings built */
    int views;              /* enum view_mode */
    /* the generated-bytes cache (view_cache.c) */
    pthread_mutex_t cache_lock;
    struct view_cache_entry **cache_table;
    struct view_cache_entry *cache_lru_head, *cache_lru_tail;
    uint64_t cache_max, cache_bytes, cache_entries, cache_evictions;
    _Atomic uint64_t cache_hits, cache_misses, cache_renders;
    /* view_verify: what it read, left out of the other counters */
    uint64_t verify_bytes;
    uint64_t verify_reads;
    int verify_state;       /* 0 not run, 1 stopped at its budget, 2 complete */
    _Atomic(struct view_link_names *) link_names; /* view_dir.c, made on first use */
};

/* view_node.c */
struct view_node *view_node_pin(view *v, uint64_t id);  /* NULL if unknown */
void view_node_unpin(view *v, struct view_node *n);     /* accepts NULL */
/* One more lookup on id, whose attributes go to *attr; false if unknown. */
bool view_node_hold(view *v, uint64_t id, struct view_attr *attr);
int view_node_listing(view *v, struct view_node *n, struct view_dir **out,
                      struct ogawa_err *err);
uint64_t view_node_entries(view *v, struct view_node *n, const struct view_dir *d);

/* Serves archive bytes [off, off + len): an fd range for the caller to
 * splice or pread, or (no fd: a compressed archive) a copy in out->mem. */
int view_data_archive(view *v, uint64_t off, uint64_t len, uint64_t src_end,
                      struct view_data *out, struct ogawa_err *err);

/* Hands m (len bytes) to the caller as out's copy when rc is 0, else
 * frees it; returns rc. */
int view_data_mem(struct view_data *out, void *m, uint64_t len, int rc);

/* view_dir.c */
void view_dir_free(struct view_dir *d);
/* reserved: ".info" and the views of the directory (NULL: ".info"). */
int view_dir_build_object(abc_object *o, abc_compound *top, bool promoted,
                          const char *const *reserved, struct view_dir **out,
                          struct ogawa_err *err);
int view_dir_build_compound(abc_compound *c, const char *const *reserved, struct view_dir **out,
                            struct ogawa_err *err);
/* Entry index of a final name, or -1. */
long long view_dir_find(const struct view_dir *d, const char *name, size_t len);
static inline const char *
view_dir_name(const struct view_dir *d, size_t i)
{
    return d->blob + d->e[i].name_off;
}
/* The relative link target of instance node n (its parent is set). */
int view_instance_target(view *v, struct view_node *n, char **out, size_t *len,
                         struct ogawa_err *err);
bool view_header_is_instance(const struct abc_object_header *h);
/* The cache of children's final names that instance links use. */
void view_link_names_free(struct view_link_names *ln);
uint64_t view_link_names_made(view *v);     /* child names computed (tests) */

/* view_info.c: .info and .times of a directory node.  view_gen_size
 * computes the exact size without keeping the text (at node build);
 * view_gen_read renders it (or finds it in the cache) and copies
 * [pos, pos + len) into dst (the caller clipped the range). */
int view_gen_size(view *v, struct view_node *dirnode, int type, uint64_t *size,
                  struct ogawa_err *err);
int view_gen_read(view *v, struct view_node *n, uint64_t pos, uint64_t len, void *dst,
                  struct ogawa_err *err);
/* The path of node n from the mount point ("/a/b"), final names. */
int view_node_path(view *v, struct view_node *n, struct view_buf *b, struct ogawa_err *err);
/* n's final name (the root's is empty) into buf; returns its length. */
size_t view_node_name(view *v, struct view_node *n, char buf[VIEW_ENTRY_NAME_MAX]);

/* view_cache.c: the bounded cache of generated bytes, keyed by (k1, k2). */
enum {  /* k2: kinds of bytes */
    VIEW_CK_INFO = 1, VIEW_CK_TIMES, VIEW_CK_WSTRING, VIEW_CK_STRING, VIEW_CK_EXPANDED, VIEW_CK_MATRIX, VIEW_CK_MESH, VIEW_CK_PNG,
    VIEW_CK_NPY,
};
struct view_cache_stats {
    uint64_t max_bytes, bytes, entries, evictions, hits, misses, renders;
};
typedef int (*view_render_fn)(view *v, void *ctx, struct view_buf *b, struct ogawa_err *err);
int view_cache_init(view *v, uint64_t max_bytes);
void view_cache_free(view *v);
/* A pinned entry, or NULL; view_cache_release unpins. */
struct view_cache_entry *view_cache_get(view *v, uint64_t k1, uint64_t k2);
/* Keeps bytes (malloc'ed, taken over) under (k1, k2), or the entry that is
 * already there; returns it pinned, NULL when out of memory. */
struct view_cache_entry *view_cache_put(view *v, uint64_t k1, uint64_t k2, void *bytes,
                                        size_t len);
const void *view_cache_bytes(const struct view_cache_entry *e, size_t *len);
void view_cache_release(view *v, struct view_cache_entry *e);
void view_cache_stats(view *v, struct view_cache_stats *s);
/* Copies [pos, pos + len) of the bytes under (k1, k2), rendering them with
 * render(ctx) on a miss; size is what the render must give. */
int view_cache_read(view *v, uint64_t k1, uint64_t k2, view_render_fn render, void *ctx,
                    uint64_t size, uint64_t pos, uint64_t len, void *dst, struct ogawa_err *err);

/* view_npy.c */
#define VIEW_NPY_HEADER_MAX 512
const char *view_npy_descr(int pod);        /* "<f4"; NULL for strings */
/* Element shape from extent and interpretation (views.md); its rank. */
unsigned view_npy_elem_shape(unsigned extent, abc_str meta, uint64_t shape[2]);
size_t view_npy_header(const char *descr, const uint64_t *shape, unsigned rank,
                       char buf[VIEW_NPY_HEADER_MAX]);
/* A whole .npy of a string sample (UTF-8 elements, each NUL-ended) into
 * b (which may only count); OGAWA_E_CORRUPT if it is not such a sample. */
int view_npy_strings(const uint8_t *raw, size_t len, bool scalar, unsigned extent,
                     abc_str meta, struct view_buf *b);

/* view_views.c: the views of views.md on the node table. */
/* The views at directory node n, in a fixed order; their number. */
unsigned view_views_at(view *v, struct view_node *n, int kinds[VIEW_VK_COUNT]);
/* Does directory node n hold property-like samples (a series)? */
bool view_is_series(const struct view_node *n);
/* Entries of a view or series directory: count, name and key of position. */
uint64_t view_series_entries(view *v, struct view_node *n);
int view_vdir_entry(view *v, struct view_node *n, uint64_t pos, char name[VIEW_ENTRY_NAME_MAX],
                    size_t *len, int *type, uint64_t *key, struct ogawa_err *err);
/* Key of name in a series or view directory; false if none. */
bool view_vdir_lookup(view *v, struct view_node *n, const char *name, size_t len,
                      uint64_t *key, struct ogawa_err *err);
/* The key of view `name` among the views of directory n, if it has it. */
bool view_views_key(view *v, struct view_node *n, const char *name, size_t len, uint64_t *key);
/* Fills node c (parent, idx = key, attr basics set) below a series or view
 * directory, or a view entry of any directory. */
int view_views_fill(view *v, struct view_node *c, struct ogawa_err *err);
/* Reads a file of a view, or a computed sample, into out. */
int view_views_read(view *v, struct view_node *n, uint64_t pos, uint64_t len,
                    struct view_data *out, struct ogawa_err *err);
/* Where the bytes of file node n are stored as they are in the archive
 * file: file bytes [*skip, size) are archive bytes [*off, ...).  Raw
 * samples (skip 0) and the .npy files of raw numeric samples (skip: the
 * .npy header); false for any other file, for an empty one, and for a
 * compressed archive (no file holds its bytes as they are). */
bool view_node_direct(view *v, struct view_node *n, uint64_t *off, uint64_t *skip);
/* The .info body of a view directory (after "name"). */
int view_views_info(view *v, struct view_node *d, struct view_buf *b, struct ogawa_err *err);
/* Time of sample i of a series directory, and its .times. */
double view_series_time(view *v, struct view_node *d, uint32_t i);
/* view_geom.c: the views of geometry objects. */
struct abc_mesh *view_object_mesh(struct view_node *n);    /* NULL: no geometry */
void view_mesh_release(struct abc_mesh *m);
int view_mesh_fill_file(view *v, struct view_node *c, struct ogawa_err *err);
int view_mesh_read(view *v, struct view_node *n, uint64_t pos, uint64_t len,
                   struct view_data *out, struct ogawa_err *err);
int view_preview_fill(view *v, struct view_node *c, struct ogawa_err *err);
int view_preview_read(view *v, struct view_node *n, uint64_t pos, uint64_t len,
                      struct view_data *out, struct ogawa_err *err);
/* Drops a world reference of a node (or its failure mark). */
void view_world_release(abc_world *w);
int view_series_times(view *v, struct view_node *d, struct view_buf *b, struct ogawa_err *err);
/* The stored block of raw sample i of series d (false: not raw, or no such
 * sample); it is the sample file's st_ino. */
bool view_series_sample_block(view *v, struct view_node *d, uint64_t i, uint64_t *block);
/* Series of a PROPERTY node, from its header. */
void view_series_of_property(struct view_node *n);

#endif
