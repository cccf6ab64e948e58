/*
 * write_int.h — internals shared by the writer's files (write_ogawa.c,
 * write_archive.c, write_object.c, write_prop.c).  Not installed, not part
 * of the API: abc_write.h is.
 *
 * Two layers, as on the read side:
 *   - ogawa_writer: the append-only Ogawa container (ogawa-format.md §1):
 *     data blocks, group blocks, header patch and the frozen byte;
 *   - the abc_writer tree (objects, compounds, scalar/array properties)
 *     on top of it, described in abc_write.h and implemented in the
 *     write_*.c files, which share the structs below.
 */
#ifndef OGAWA_WRITE_INT_H
#define OGAWA_WRITE_INT_H

#include <sys/uio.h>

#include "abc_write.h"
#include "hash.h"

#define OGAWA_HIDDEN __attribute__((visibility("hidden")))

/* ---- container (write_ogawa.c) ---------------------------------------- */

typedef struct ogawa_writer ogawa_writer;

/* Starts an archive on fd at its current position: writes the 16-byte
 * header with frozen = 0 and root = 0.  Takes ownership of fd (closed by
 * _close/_abort, or here on failure). */
OGAWA_HIDDEN int ogawa_writer_open_fd(int fd, ogawa_writer **out, struct ogawa_err *err);

/* Appends one data block made of the concatenation of iov[0..n_iov) and
 * returns its slot (offset | data bit); zero bytes give OGAWA_EMPTY_DATA
 * and write nothing (§1.4). */
OGAWA_HIDDEN int ogawa_writer_data(ogawa_writer *w, const struct iovec *iov, int n_iov,
                                   uint64_t *slot, struct ogawa_err *err);

/* Appends a group block of n slots and returns its slot; n == 0 gives
 * OGAWA_EMPTY_GROUP and writes nothing (§1.3). */
OGAWA_HIDDEN int ogawa_writer_group(ogawa_writer *w, const uint64_t *slots, uint64_t n,
                                    uint64_t *slot, struct ogawa_err *err);

/* Reads back len bytes at archive offset off (written earlier, possibly
 * still in the write buffer). */
OGAWA_HIDDEN int ogawa_writer_read(ogawa_writer *w, uint64_t off, void *buf, uint64_t len,
                                   struct ogawa_err *err);

/* Archive size so far (the next block's offset). */
OGAWA_HIDDEN uint64_t ogawa_writer_size(const ogawa_writer *w);

/* Flushes, stores the root offset at bytes 8..15, then 0xFF at byte 5
 * (the very last write, §1.1), closes the fd and frees w.  On failure the
 * file is left unfrozen; w is freed either way. */
OGAWA_HIDDEN int ogawa_writer_close(ogawa_writer *w, uint64_t root_slot, struct ogawa_err *err);

/* Frees w and closes the fd without freezing (accepts NULL). */
OGAWA_HIDDEN void ogawa_writer_abort(ogawa_writer *w);

/* ---- the Alembic tree (write_archive.c, write_object.c, write_prop.c) -- */

/* One entry of the archive-wide de-duplication map (§5.8): a stored
 * sample block, keyed by (payload length, POD class, digest).  Only keys
 * and offsets are kept, never sample bytes; 32 bytes an entry.  The
 * length is not kept: a digest hit is confirmed against the block itself
 * (its size field, then its bytes). */
struct abc_wblock {
    ogawa_digest digest;        /* the key stored in the block */
    uint64_t off_class;         /* block offset | POD class << 62; 0 marks a free entry */
    uint64_t n_points;          /* extent x elements of the sample that created it (§5.9) */
};

#define ABC_WBLOCK_OFF(b) ((b)->off_class & ((1ULL << 62) - 1))
#define ABC_WBLOCK_CLASS(b) ((int)((b)->off_class >> 62))

struct abc_wmap {
    struct abc_wblock *tab;     /* open addressing, power-of-two size */
    size_t cap;                 /* entries in tab (0 before the first insert) */
    size_t n;                   /* used entries */
};

/* One entry of the sibling-name set: (parent, name) for every object
 * and property created; name points at the node's own copy. */
struct abc_wname {
    const void *parent;         /* parent object (objects) or compound (properties); NULL = free */
    uint64_t h;                 /* FNV-1a of the name */
    const char *name;
    size_t len;
};

#define WCMP_LEN 65536          /* comparison chunk */

/* One registered time sampling (§3.4). */
struct abc_wts {
    double tpc;                 /* time per cycle; the acyclic sentinel for acyclic */
    uint32_t spc;               /* samples per cycle: 1, N, or UINT32_MAX (acyclic) */
    uint32_t n_times;           /* >= 1 */
    double *times;              /* n_times stored times */
    uint32_t max_samples;       /* computed from finished properties (§3.4) */
    bool max_forced;            /* max_forced_value replaces max_samples */
    uint32_t max_forced_value;
};

/* Nodes are kept in creation order (abc_writer.nodes) so that close can
 * finish what the caller left open in reverse creation order, and free
 * everything; a node is either an object or a property. */
struct abc_wnode {
    bool is_object;
    union {
        abc_wobject *obj;
        abc_wprop *prop;
    } u;
};

struct abc_writer {
    ogawa_writer *ow;           /* the container; NULL once closed or failed */
    int failed;                 /* sticky: first error code, 0 while healthy */
    struct ogawa_err fail_err;  /* that error */
    int32_t library_version;    /* root slot 1 */
    char *archive_md;           /* serialized archive metadata (root slot 3) */
    size_t archive_md_len;
    struct abc_wts *ts;         /* time samplings; [0] is identity */
    size_t n_ts, cap_ts;
    char *md_table[254];        /* indexed metadata (§3.5): entry i is index i + 1 */
    uint8_t md_len[254];
    size_t n_md;
    struct abc_wmap map;        /* written samples (§5.8) */
    uint64_t map_limit;         /* most entries the map may hold; 0 = no limit */
    struct abc_wname *names;    /* sibling-name set (open addressing), for duplicates */
    size_t cap_names, n_names;
    uint8_t *cmp_buf;           /* WCMP_LEN bytes: payload comparison scratch */
    struct abc_wnode *nodes;    /* every node, creation order */
    size_t n_nodes, cap_nodes;
    abc_wobject *top;           /* the top object ("ABC") */
};

struct abc_wobject {
    abc_writer *w;
    abc_wobject *parent;        /* NULL for the top object */
    char *name;                 /* raw bytes, name_len of them */
    size_t name_len;
    char *md;                   /* serialized metadata */
    size_t md_len;
    abc_wprop *props;           /* the top compound (no name, no header of its own) */
    abc_wobject **children;     /* child objects, creation order; freed at finish */
    size_t n_children, cap_children;
    size_t n_open;              /* children not yet finished */
    bool finished;
    uint64_t group_slot;        /* after finish: the object group */
    ogawa_digest hash;          /* after finish: obj_hash (§6.6) */
};

struct abc_wprop {
    abc_writer *w;
    abc_wobject *obj;           /* owning object */
    abc_wprop *parent;          /* parent compound; NULL for a top compound */
    int kind;                   /* enum abc_kind */
    int pod;                    /* enum abc_pod (scalar/array) */
    unsigned extent;            /* 1..255 (scalar/array) */
    uint32_t ts_idx;            /* time sampling (scalar/array) */
    char *name;
    size_t name_len;
    char *md;
    size_t md_len;
    bool finished;
    uint64_t group_slot;        /* after finish: the property's group */
    ogawa_digest hash;          /* after finish: hash(p) (§6.3) */

    /* compound */
    abc_wprop **children;       /* sub-properties, creation order; freed at finish */
    size_t n_children, cap_children;
    size_t n_open;              /* sub-properties not yet finished */

    /* scalar / array: the stored children (§5.3, §5.4); freed at finish */
    uint64_t *slots;
    size_t n_slots, cap_slots;
    uint32_t n_samples;         /* samples set so far */
    uint32_t first_changed;     /* §5.7 */
    uint32_t last_changed;
    bool scalar_like;           /* §5.9 */
    bool homogenous;
    ogawa_digest chain;         /* sample hash chain (§6.2) */
    /* the last written sample (the one repeats refer to) */
    uint64_t prev_slot;         /* its data slot */
    uint64_t prev_len;          /* payload bytes */
    ogawa_digest prev_digest;   /* its key digest */
    uint64_t *prev_dims;        /* arrays: its dims (rank prev_rank) */
    unsigned prev_rank;
};

/* write_archive.c */
OGAWA_HIDDEN int abc_writer_failed(abc_writer *w, struct ogawa_err *err);
OGAWA_HIDDEN int abc_writer_fail(abc_writer *w, int code, struct ogawa_err *e, struct ogawa_err *err);
OGAWA_HIDDEN int abc_writer_add_node(abc_writer *w, bool is_object, void *node, struct ogawa_err *err);
OGAWA_HIDDEN uint8_t abc_writer_md_index(abc_writer *w, const char *md, size_t len);
OGAWA_HIDDEN int abc_wmeta_serialize(const struct abc_wmeta *m, char **out, size_t *len,
                                     struct ogawa_err *err);
OGAWA_HIDDEN int abc_wname_check(abc_str name, struct ogawa_err *err);
OGAWA_HIDDEN int abc_writer_name_add(abc_writer *w, const void *parent, const char *name,
                                     size_t len, struct ogawa_err *err);

/* write_object.c */
OGAWA_HIDDEN int abc_wobject_new(abc_writer *w, abc_wobject *parent, abc_str name, char *md,
                                 size_t md_len, abc_wobject **out, struct ogawa_err *err);
OGAWA_HIDDEN int abc_wobject_finish_now(abc_wobject *o, struct ogawa_err *err);
OGAWA_HIDDEN void abc_wobject_free(abc_wobject *o);

/* write_prop.c */
OGAWA_HIDDEN abc_wprop *abc_wprop_new_top(abc_wobject *o);
OGAWA_HIDDEN int abc_wprop_finish_now(abc_wprop *p, struct ogawa_err *err);
OGAWA_HIDDEN int abc_wprop_write_headers(abc_wprop *c, uint64_t *slot, struct ogawa_err *err);
OGAWA_HIDDEN void abc_wprop_free(abc_wprop *p);
OGAWA_HIDDEN void abc_wmap_free(struct abc_wmap *m);

/* Little-endian stores (the format is little-endian; so are the hosts
 * the C++ library supports). */
static inline void
abc_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void
abc_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#endif
