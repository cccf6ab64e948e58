/*
 * abc_int.h — definitions of the Abc-layer handles, shared by abc_*.c and
 * never installed: callers see only the opaque types of abc.h.
 */
#ifndef OGAWA_ABC_INT_H
#define OGAWA_ABC_INT_H

#include "abc.h"

/* Bounds on blocks we load whole, against hostile sizes (the data-block
 * check only bounds them by the file size). */
#define ABC_MAX_META_LEN (64u << 20)        /* archive metadata */
#define ABC_MAX_TS_LEN (64u << 20)          /* time-sampling table */
#define ABC_MAX_INDEXED_META_LEN 65536      /* §3.5: the C++ reader's limit */

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
