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
    char *text;             /* converted SAMPLE bytes, link target; never
                               INFO/TIMES, whose text is rendered on read */
    size_t text_len;
    _Atomic(struct view_dir *) dir; /* OBJECT/COMPOUND listing, built on demand */
};

/* One rendered .info/.times text of the cache of view_info.c. */
struct view_gen {
    uint64_t id;            /* node id (ids are never reused); 0 = free slot */
    char *text;
    size_t len;
    uint64_t used;          /* clock of the last use, for LRU eviction */
};
#define VIEW_GEN_SLOTS 8

struct view {
    abc_archive *arc;
    abc_object *top;
    int fd;                 /* the archive's fd (owned by arc) */
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
    /* rendered .info/.times texts: at most VIEW_GEN_SLOTS, and at most
     * VIEW_GEN_BYTES unless one text alone is larger */
    pthread_mutex_t gen_lock;
    struct view_gen gen[VIEW_GEN_SLOTS];
    size_t gen_bytes;
    uint64_t gen_clock;
    _Atomic uint64_t gen_hits;
    _Atomic uint64_t gen_renders;
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
uint64_t view_node_entries(const struct view_node *n, const struct view_dir *d);

/* view_dir.c */
void view_dir_free(struct view_dir *d);
int view_dir_build_object(abc_object *o, abc_compound *top, bool promoted,
                          struct view_dir **out, struct ogawa_err *err);
int view_dir_build_compound(abc_compound *c, struct view_dir **out, struct ogawa_err *err);
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
 * view_gen_read renders it (or finds it in the view's small cache) and
 * copies [pos, pos + len) into dst (the caller clipped the range). */
int view_gen_size(view *v, struct view_node *dirnode, int type, uint64_t *size,
                  struct ogawa_err *err);
int view_gen_read(view *v, struct view_node *n, uint64_t pos, uint64_t len, void *dst,
                  struct ogawa_err *err);
void view_gen_free(view *v);

#endif
