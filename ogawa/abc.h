/*
 * abc.h — the Alembic model (AbcCoreOgawa, ogawa-format.md §2–§5, §10)
 * read from an Ogawa container: archive metadata and time samplings,
 * objects, compound/scalar/array properties and their samples.
 *
 * Laziness: abc_archive_open reads the Ogawa header, the root group and the
 * root's small data blocks (versions, archive metadata, time samplings,
 * indexed metadata).  Nothing else is read until asked: an object is parsed
 * (its group and its children's header block) when opened, a compound when
 * opened, a sample's block when the sample is asked for.
 *
 * Handles: abc_object and abc_compound are parsed, immutable, reference
 * counted records (atomic counts).  Every function that hands one out gives
 * the caller one reference, dropped with abc_object_unref /
 * abc_compound_unref (both accept NULL).  A handle keeps its parent alive,
 * and the archive must outlive every handle.  Pointers into a handle
 * (names, headers, metadata) live as long as the handle.
 *
 * Thread-safety: any number of threads may use one abc_archive and its
 * handles at once; nothing is mutated after parse but reference counts.
 *
 * Errors as in ogawa.h (OGAWA_E_*, struct ogawa_err); every out-pointer is
 * NULL (or zeroed) on failure.
 */
#ifndef OGAWA_ABC_H
#define OGAWA_ABC_H

#include "ogawa.h"

/* Plain old data types (§2.1). */
enum abc_pod {
    ABC_POD_BOOL = 0, ABC_POD_UINT8, ABC_POD_INT8, ABC_POD_UINT16, ABC_POD_INT16,
    ABC_POD_UINT32, ABC_POD_INT32, ABC_POD_UINT64, ABC_POD_INT64, ABC_POD_FLOAT16,
    ABC_POD_FLOAT32, ABC_POD_FLOAT64, ABC_POD_STRING, ABC_POD_WSTRING,
    ABC_POD_COUNT
};

/* Bytes per value (0 for string/wstring), name as in dump-format.md
 * ("float32"), name as in metadata podName ("float32_t"), and the sample
 * file extension of layout.md ("f32"). */
unsigned abc_pod_size(int pod);
const char *abc_pod_name(int pod);
const char *abc_pod_meta_name(int pod);
const char *abc_pod_ext(int pod);

enum abc_kind { ABC_KIND_COMPOUND = 0, ABC_KIND_SCALAR = 1, ABC_KIND_ARRAY = 2 };
const char *abc_kind_name(int kind);    /* "compound", "scalar", "array" */

/* A byte string from the archive.  ptr is NUL-terminated for convenience,
 * but the name may itself contain NUL bytes: len is the truth. */
typedef struct abc_str {
    const char *ptr;
    size_t len;
} abc_str;

/* ---- metadata (§2.3) -------------------------------------------------- */

/*
 * Iterates the entries of a serialized metadata string with the C++
 * reader's rules: stops at a malformed entry, and for a repeated key the
 * first occurrence wins (later ones are skipped).  Start with *pos = 0;
 * returns true and fills key/value while entries remain.  Each call scans
 * the entries before it: use abc_meta_iter below for whole passes.
 */
bool abc_meta_next(abc_str meta, size_t *pos, abc_str *key, abc_str *value);

/* Finds key in metadata; returns true and fills value if present.  One
 * pass over the string: the first entry with that key is the one the
 * iteration above returns. */
bool abc_meta_get(abc_str meta, const char *key, abc_str *value);

/*
 * The same iteration with its state kept, so that a whole pass costs
 * O(entries) (abc_meta_next re-scans the string before each entry to
 * settle first-key-wins, O(entries^2) for a pass): the keys returned so
 * far are kept in a hash set, allocated past a few entries and freed by
 * abc_meta_iter_done.  If that allocation fails the iterator falls back
 * to abc_meta_next's scan: same entries, only slower.  The fields are
 * private except probes (set slots and entries compared, for tests).
 */
struct abc_meta_iter {
    abc_str meta;
    size_t pos;
    uint64_t probes;
    struct abc_meta_seen *seen;     /* private */
    size_t n_seen, cap_seen, n_raw; /* private */
    bool scan_only;                 /* private */
};
void abc_meta_iter_init(struct abc_meta_iter *it, abc_str meta);
bool abc_meta_iter_next(struct abc_meta_iter *it, abc_str *key, abc_str *value);
void abc_meta_iter_done(struct abc_meta_iter *it);

/* ---- time sampling (§3.4) -------------------------------------------- */

enum abc_ts_type { ABC_TS_IDENTITY, ABC_TS_UNIFORM, ABC_TS_CYCLIC, ABC_TS_ACYCLIC };
const char *abc_ts_type_name(int type); /* "identity", ... */

/* DBL_MAX / 32, the acyclic time-per-cycle sentinel. */
#define ABC_ACYCLIC_TPC 5.6177910464447366e306

struct abc_time_sampling {
    int type;                   /* enum abc_ts_type */
    double time_per_cycle;      /* seconds; the sentinel for acyclic */
    uint32_t samples_per_cycle; /* 1 uniform, N cyclic, UINT32_MAX acyclic */
    uint32_t max_num_samples;   /* as stored */
    uint32_t n_times;           /* >= 1 */
    const double *times;        /* n_times stored times */
};

/* Time in seconds of sample i (layout.md "Times"); NaN for an acyclic
 * index past the stored times. */
double abc_time_sampling_time(const struct abc_time_sampling *ts, uint64_t i);

/* ---- archive ---------------------------------------------------------- */

typedef struct abc_archive abc_archive;
typedef struct abc_object abc_object;
typedef struct abc_compound abc_compound;

/*
 * Opens an archive: ogawa_archive_open, then the root group (≥ 6 children,
 * kinds D D G D D D, file version 0, library version ≥ 9999) and its data
 * blocks.  Errors: those of ogawa_archive_open, OGAWA_E_VERSION,
 * OGAWA_E_CORRUPT, OGAWA_E_IO, OGAWA_E_NOMEM.
 */
int abc_archive_open(const char *path, abc_archive **out, struct ogawa_err *err);
/* Same, on an fd the archive takes over (closed by _close or on failure). */
int abc_archive_open_fd(int fd, abc_archive **out, struct ogawa_err *err);
/* Same, with options for a compressed archive (source.h; opts may be NULL). */
int abc_archive_open_opts(const char *path, const struct ogawa_open_opts *opts,
                          abc_archive **out, struct ogawa_err *err);
void abc_archive_close(abc_archive *a);     /* accepts NULL; all handles must be gone */

const ogawa_archive *abc_archive_ogawa(const abc_archive *a);
int32_t abc_archive_library_version(const abc_archive *a); /* e.g. 10812 */
abc_str abc_archive_metadata(const abc_archive *a);        /* serialized */
size_t abc_archive_time_sampling_count(const abc_archive *a);
const struct abc_time_sampling *abc_archive_time_sampling(const abc_archive *a, size_t idx);

/* Opens the top object ("ABC", full name "/"). */
int abc_archive_top(abc_archive *a, abc_object **out, struct ogawa_err *err);

/*
 * Checks the archive's structure without reading sample payloads: every
 * object, compound and property header, every property's stored-sample
 * slots, and each sample's data block size field and dims, as the walks of
 * abc_object_child / abc_compound_child / abc_property_sample would meet
 * them (explicit stack, no recursion; instances are not followed, their
 * sources are checked where they stand).  It stops after reading
 * budget_bytes from the archive itself (its own reads, counted per call:
 * other threads' reads do not count; UINT64_MAX: no limit) and then sets
 * *complete false; a finished walk sets it true.  Returns the first error
 * found (err names it), else 0.  This is how a mount can refuse a damaged
 * archive up front while staying O(budget) on huge ones.
 */
int abc_archive_verify(abc_archive *a, uint64_t budget_bytes, bool *complete,
                       struct ogawa_err *err);

/* ---- objects (§4) ----------------------------------------------------- */

/* What the parent's header block says of one child object. */
struct abc_object_header {
    abc_str name;               /* raw bytes; may be empty in a hostile file */
    abc_str metadata;           /* serialized */
};

void abc_object_ref(abc_object *o);
void abc_object_unref(abc_object *o);   /* accepts NULL */

abc_archive *abc_object_archive(const abc_object *o);
abc_str abc_object_name(const abc_object *o);           /* "ABC" for the top */
abc_str abc_object_metadata(const abc_object *o);       /* archive metadata for the top */
abc_object *abc_object_parent(const abc_object *o);     /* borrowed; NULL for the top */
uint64_t abc_object_offset(const abc_object *o);        /* group offset: identity */
size_t abc_object_depth(const abc_object *o);           /* 0 for the top */

/* Full name ("/", "/a/b") in a new malloc'ed string (len in *len if not
 * NULL).  Returns NULL when out of memory. */
char *abc_object_full_name(const abc_object *o, size_t *len);

size_t abc_object_child_count(const abc_object *o);
const struct abc_object_header *abc_object_child_header(const abc_object *o, size_t idx);

/* Index of the first child named name, or OGAWA_E_NOENT.  O(1) expected:
 * a name index is built by the first search among many children. */
int abc_object_find(const abc_object *o, const char *name, size_t len, size_t *idx);

/*
 * Opens child idx: reads its group and its children's header block.  A
 * child whose group is the object's own or an ancestor's is OGAWA_E_DEPTH,
 * as is nesting deeper than ABC_MAX_DEPTH.
 */
#define ABC_MAX_DEPTH 100000
int abc_object_child(abc_object *o, size_t idx, abc_object **out, struct ogawa_err *err);

/*
 * The same as abc_object_child, through the archive's small cache of
 * objects met by path walks (keyed by this handle and idx; least recently
 * used of 64 dropped): walking the same path again parses nothing.  Meant
 * for walks repeated over the same interior objects, such as instance
 * source paths.  The cache's objects are dropped by abc_archive_close.
 */
int abc_object_child_cached(abc_object *o, size_t idx, abc_object **out, struct ogawa_err *err);

/* Opens the object's top compound (no name, no metadata of its own). */
int abc_object_properties(abc_object *o, abc_compound **out, struct ogawa_err *err);

/*
 * Instances (§4.3): true when the metadata says isInstance=1.  The source
 * path is the string sample 0 of the top compound's .instanceSource
 * (returned as a new malloc'ed string).  abc_object_resolve_instance walks
 * that path from the top object, following instances on the way (bounded),
 * and opens the target; a missing path is OGAWA_E_NOENT, a target that is
 * an ancestor of the instance or a loop of instances OGAWA_E_DEPTH.
 */
bool abc_object_is_instance(const abc_object *o);
int abc_object_instance_source(abc_object *o, char **path, struct ogawa_err *err);
int abc_object_resolve_instance(abc_object *o, abc_object **target, struct ogawa_err *err);

/* ---- properties (§5) -------------------------------------------------- */

struct abc_property_header {
    int kind;                   /* enum abc_kind */
    abc_str name;               /* raw bytes, non-empty */
    abc_str metadata;           /* serialized */
    int pod;                    /* enum abc_pod; scalar/array only */
    unsigned extent;            /* 1..255; scalar/array only */
    uint32_t num_samples;
    uint32_t first_changed;     /* §5.7 */
    uint32_t last_changed;
    uint32_t time_sampling;     /* index into the archive's table (checked) */
    bool is_scalar_like;        /* arrays: every sample had one element */
    bool is_homogenous;
};

void abc_compound_ref(abc_compound *c);
void abc_compound_unref(abc_compound *c);  /* accepts NULL */

abc_object *abc_compound_object(const abc_compound *c);     /* borrowed owner */
abc_compound *abc_compound_parent(const abc_compound *c);   /* borrowed; NULL for top */
uint64_t abc_compound_offset(const abc_compound *c);        /* group offset, 0 if empty */
/* This compound's own header (NULL for an object's top compound). */
const struct abc_property_header *abc_compound_header(const abc_compound *c);

size_t abc_compound_count(const abc_compound *c);
const struct abc_property_header *abc_compound_property(const abc_compound *c, size_t idx);
int abc_compound_find(const abc_compound *c, const char *name, size_t len, size_t *idx);

/* Opens sub-property idx, which must be a compound (else OGAWA_E_INVAL). */
int abc_compound_child(abc_compound *c, size_t idx, abc_compound **out, struct ogawa_err *err);

/* Stored position k of sample index i (§5.7 reader mapping). */
uint32_t abc_property_stored_index(const struct abc_property_header *h, uint32_t i);

/* Is the property constant (every sample is sample 0)? */
bool abc_property_is_constant(const struct abc_property_header *h);

#define ABC_MAX_RANK 64

/* Where sample i of a scalar/array property is. */
struct abc_sample {
    struct ogawa_data block;    /* the stored data block (key + payload); off 0 = empty */
    uint64_t payload_off;       /* absolute offset of the payload (after the 16-byte key) */
    uint64_t payload_len;       /* payload bytes: the sample file's size for non-wstring */
    uint64_t n_values;          /* values (elements x extent; strings: strings) */
    uint32_t rank;              /* arrays: dims rank (1 for the derived 1-D case); scalars 0 */
    uint64_t dims[ABC_MAX_RANK]; /* arrays: dims, outermost first */
};

/*
 * Locates sample i (< num_samples) of property idx of c: reads the
 * property group's slot(s) and the data block's size field, and for arrays
 * the dims block.  Checks sizes as the C++ reader does: scalar blocks of
 * 16 + pod size x extent bytes (string/wstring: any), array payloads a
 * whole number of elements.  Identity of the stored block: block.off
 * (samples that share a block share it).  Something not there (idx past
 * the properties, i past the samples) is OGAWA_E_NOENT; a compound idx is
 * OGAWA_E_INVAL.
 */
int abc_property_sample(abc_compound *c, size_t idx, uint32_t i, struct abc_sample *out,
                        struct ogawa_err *err);

/*
 * Property handles: a scalar/array property resolved once, whose samples
 * are then located with O(1) reads each, amortised: the group's slots,
 * size fields and dims blocks are read in 4 KiB batches and kept in the
 * handle (fixed memory, about 12 KiB, whatever the sample count; see
 * abc_prop.c).  abc_prop_sample gives exactly what abc_property_sample
 * gives (same samples, same errors).  A handle keeps its compound alive;
 * it is reference counted and may be used by several threads at once
 * (its caches have a lock).
 */
typedef struct abc_prop abc_prop;
/* idx must be a scalar or array property (else OGAWA_E_INVAL; past the
 * end OGAWA_E_NOENT).  Reads nothing. */
int abc_prop_open(abc_compound *c, size_t idx, abc_prop **out, struct ogawa_err *err);
void abc_prop_ref(abc_prop *p);
void abc_prop_unref(abc_prop *p);      /* accepts NULL */
const struct abc_property_header *abc_prop_header(const abc_prop *p);
abc_compound *abc_prop_compound(const abc_prop *p);    /* borrowed */
size_t abc_prop_index(const abc_prop *p);
int abc_prop_sample(abc_prop *p, uint32_t i, struct abc_sample *out, struct ogawa_err *err);

/* Copies len bytes of the payload from pos into buf (pos + len must lie in
 * the payload). */
int abc_sample_read(const abc_archive *a, const struct abc_sample *s, uint64_t pos, void *buf,
                    uint64_t len, struct ogawa_err *err);

/* Loads the whole payload into a new malloc'ed buffer (plus one NUL, not
 * counted).  For wstring samples, *buf is the UTF-8 form (each string
 * followed by one NUL; invalid code points become U+FFFD) and *len its
 * length.  Caller frees. */
int abc_sample_load(const abc_archive *a, const struct abc_sample *s, int pod, uint8_t **buf,
                    uint64_t *len, struct ogawa_err *err);

/* Converts a wstring payload (u32 LE units, 0-terminated strings) to the
 * UTF-8 form above; exact output size first with out == NULL. */
size_t abc_wstring_to_utf8(const uint8_t *in, size_t in_len, uint8_t *out);

#endif
