/*
 * abc_int.h — definitions of the Abc-layer handles, shared by abc_*.c and
 * never installed: callers see only the opaque types of abc.h.
 */
#ifndef OGAWA_ABC_INT_H
#define OGAWA_ABC_INT_H

#include "abc.h"

#include <pthread.h>

/* Bounds on blocks we load whole, against hostile sizes (the data-block
 * check only bounds them by the file size). */
#define ABC_MAX_META_LEN (64u << 20)        /* archive metadata */
#define ABC_MAX_TS_LEN (64u << 20)          /* time-sampling table */
#define ABC_MAX_INDEXED_META_LEN 65536      /* §3.5: the C++ reader's limit */
#define ABC_WALK_SLOTS 64                   /* objects kept for path walks */

struct abc_archive {
    ogawa_archive *ogawa;           /* owned */
    int32_t library_version;        /* root slot 1, >= 9999 */
    uint8_t *metadata;              /* root slot 3, NUL-terminated, owned */
    size_t metadata_len;
    struct abc_time_sampling *ts;   /* root slot 4, n_ts >= 1 entries */
    size_t n_ts;
    double *ts_times;               /* storage of every ts[i].times */
    uint8_t *indexed_blob;          /* root slot 5, with a NUL after each entry */
    abc_str *indexed;               /* n_indexed entries; index 0 = empty metadata */
    size_t n_indexed;
    uint64_t top_slot;              /* root slot 2 */
    /* Objects met by path walks (instance sources), so that walking the
     * same path again parses nothing: at most ABC_WALK_SLOTS, least
     * recently used evicted.  Keyed by (parent handle, child index), parent
     * NULL for the top; each entry holds a reference, which keeps its
     * parent, and so its key, alive. */
    pthread_mutex_t walk_lock;
    struct abc_walk_entry {
        abc_object *parent;
        size_t idx;
        abc_object *obj;            /* NULL = free */
        uint64_t used;              /* clock of the last use */
    } walk[ABC_WALK_SLOTS];
    uint64_t walk_clock;
    uint64_t walk_opens;            /* objects parsed for the cache (tests) */
};

struct abc_object {
    int refs;                       /* atomic */
    abc_archive *archive;
    abc_object *parent;             /* counted reference; NULL for the top */
    size_t depth;                   /* 0 for the top */
    abc_str name;                   /* points into the parent's strings (or static "ABC") */
    abc_str metadata;               /* into the parent's strings, the table, or the archive */
    uint64_t off;                   /* group offset, never 0 */
    uint64_t anc_min, anc_max;      /* lowest/highest group offset of self and ancestors */
    uint64_t compound_slot;         /* slot 0: the top compound group, 0 = none */
    size_t n_children;
    uint64_t *child_slots;          /* n_children group slots, owned */
    struct abc_object_header *children; /* n_children records, owned */
    char *strings;                  /* names and inline metadata, NUL-terminated, owned */
    size_t *name_index;             /* children by name hash: [0] the capacity (a
                                       power of two), then slots of child + 1 (0
                                       free); built by the first abc_object_find
                                       that needs it, published atomically; owned */
};

struct abc_compound {
    int refs;                       /* atomic */
    abc_object *object;             /* counted reference to the owner */
    abc_compound *parent;           /* counted reference; NULL for a top compound */
    const struct abc_property_header *self; /* in parent->props; NULL for a top compound */
    size_t depth;                   /* 0 for a top compound */
    uint64_t anc_min, anc_max;      /* lowest/highest offset of self and ancestor compounds */
    uint64_t off;                   /* group offset; 0 = no sub-properties */
    size_t n_props;
    uint64_t *slots;                /* n_props group slots, owned */
    struct abc_property_header *props;  /* owned */
    char *strings;                  /* names and inline metadata, owned */
};

/* A property handle (abc_prop.c): the property, its group once read, and
 * two bounded caches of bytes read in batches.  lock guards the caches. */
#define ABC_PROP_WINDOW 512             /* slots per batch: 4 KiB */
#define ABC_PROP_CHUNK 4096             /* bytes per size-field/dims batch */
#define ABC_PROP_CHUNKS 2
struct abc_prop {
    int refs;                       /* atomic */
    abc_compound *compound;         /* counted reference */
    size_t idx;                     /* the property in compound */
    pthread_mutex_t lock;
    bool have_group;
    struct ogawa_group group;
    uint64_t win_first, win_n;      /* slots [win_first, win_first + win_n) held */
    uint64_t win[ABC_PROP_WINDOW];  /* raw slot values (not yet checked) */
    struct abc_prop_chunk {
        uint64_t off, len;          /* archive bytes [off, off + len) held */
        uint8_t buf[ABC_PROP_CHUNK];
    } chunk[ABC_PROP_CHUNKS];
    unsigned next_chunk;            /* the one replaced next */
};

/* The handle's sources of bytes, used by the shared locate code with the
 * handle's lock held. */
int abc_prop_group(struct abc_prop *p, struct ogawa_group *g, struct ogawa_err *err);
int abc_prop_slots(struct abc_prop *p, const struct ogawa_group *g, uint64_t first, uint64_t n,
                   uint64_t *slots, struct ogawa_err *err);
int abc_prop_bytes(struct abc_prop *p, uint64_t off, void *buf, uint64_t len,
                   struct ogawa_err *err);
/* abc_property_sample with the bytes from p's caches (p NULL: direct). */
int abc_property_sample_with(abc_compound *c, size_t idx, struct abc_prop *p, uint32_t i,
                             struct abc_sample *out, struct ogawa_err *err);

/* Drops the objects of the walk cache (abc_archive_close). */
void abc_archive_walk_drop(abc_archive *a);
/* Objects the walk cache has parsed so far (tests count them). */
uint64_t abc_archive_walk_opens(const abc_archive *a);

/* Metadata index → string (§3.5); false if the index is not in the table. */
bool abc_archive_indexed_metadata(const abc_archive *a, unsigned idx, abc_str *out);

/* Reads a little-endian unsigned of 1, 2 or 4 bytes (size hint 0..2) at
 * *pos of buf[len]; false when it would pass len. */
bool abc_read_hinted(const uint8_t *buf, size_t len, size_t *pos, unsigned hint, uint32_t *out);
bool abc_read_u32(const uint8_t *buf, size_t len, size_t *pos, uint32_t *out);

/* Copies n bytes at buf+*pos into the strings arena at *cursor, adds a
 * NUL, and returns the abc_str; caller has checked the bounds. */
abc_str abc_take_string(const uint8_t *buf, size_t *pos, size_t n, char **cursor);

#endif
