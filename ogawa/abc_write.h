/*
 * abc_write.h — writing Alembic archives (AbcCoreOgawa on Ogawa,
 * ogawa-format.md §1.5, §2–§7): objects with metadata and children,
 * instances, compound/scalar/array properties of the 14 PODs and any
 * extent, samples, time samplings, archive metadata.
 *
 * Output is what the C++ library (1.8.12) writes for the same calls in
 * the same finalization order — byte for byte: size hints, the indexed
 * metadata table, Murmur3 sample keys (with the wstring quirk), Spooky
 * property/object hashes, first/last changed indices, max_num_samples,
 * and de-duplication (a sample equal to its property's previous one is
 * not stored again; identical payloads anywhere share one block).  The
 * one deliberate difference: a de-duplication candidate is compared byte
 * by byte, so payloads whose keys collide (trivially, wstrings: the C++
 * key covers only a quarter of their bytes, §12) are stored separately
 * instead of being merged into the wrong data.
 *
 * Streaming: sample bytes go to the file as they are added (through a
 * bounded 1 MiB write buffer); memory grows with the number of objects and
 * properties (about 1 KB per object with one property), with stored-sample
 * counts (8 bytes per stored sample until its property is finished) and
 * with distinct payloads (the sharing map: 32-43 bytes each, see
 * sample_map_limit), never with sample data.
 *
 * Emission order.  Blocks are appended in call order (§7): a sample's
 * blocks when it is added; a property's group when it is finished; a
 * compound's header block and group when it is finished; an object's
 * header block, its properties' header block and its groups when it is
 * finished.  Finishing is explicit (abc_wprop_finish, abc_wobject_finish)
 * and must go children first; whatever is still open at abc_writer_close
 * is finished there in reverse creation order (what C++ locals of one
 * scope do).  Metadata indices are numbered in that order too.
 *
 * Handles stay valid (and checked) until abc_writer_close/abort, which
 * free them all.  A finished handle refuses further changes.  Nothing is
 * thread-safe: one writer, one thread at a time.
 *
 * Errors: as in ogawa.h — 0 or a negative OGAWA_E_* code, *err filled.
 * OGAWA_E_INVAL is bad input (the message says which); OGAWA_E_IO a failed
 * write (err->sys_errno); OGAWA_E_NOMEM.  An IO or NOMEM failure is sticky:
 * every later call returns it and close leaves the file unfrozen (frozen
 * byte 0, which readers refuse).  Bad input is not sticky.  Out-pointers
 * are NULL after a failure.
 */
#ifndef OGAWA_ABC_WRITE_H
#define OGAWA_ABC_WRITE_H

#include <string.h>

#include "abc.h"

typedef struct abc_writer abc_writer;
typedef struct abc_wobject abc_wobject;
typedef struct abc_wprop abc_wprop;

/* A name or string argument: bytes and length (names may hold any byte
 * but '/'; they are not NUL-terminated in files). */
static inline abc_str
abc_wstr(const char *s)
{
    abc_str r = {s, s ? strlen(s) : 0};
    return r;
}

/*
 * Metadata (§2.3) given to the writer, one of:
 *   - kv: {key, value, key, value, ..., NULL}.  Serialized by the writer:
 *     keys sorted bytewise, entries with an empty value dropped, a repeated
 *     key keeps its last value.  A key or value containing ';' or '=', or
 *     an empty key, is OGAWA_E_INVAL (the format has no escaping).
 *   - raw (kv == NULL): an already serialized string, stored verbatim
 *     (used to copy archives, whose metadata may not re-serialize).
 * A NULL struct abc_wmeta pointer means no metadata.
 */
struct abc_wmeta {
    const char *const *kv;
    abc_str raw;
};
#define ABC_WMETA(...) (&(const struct abc_wmeta){.kv = (const char *const[]){__VA_ARGS__, NULL}})

/* The Alembic version string in our output when the caller sets none. */
#define ABC_WRITER_DEFAULT_VERSION "Alembic 1.8.12 (abcfs writer)"
#define ABC_WRITER_LIBRARY_VERSION 10812

struct abc_writer_opts {
    const char *alembic_version;    /* _ai_AlembicVersion; NULL: ABC_WRITER_DEFAULT_VERSION */
    int32_t library_version;        /* root slot 1; 0: ABC_WRITER_LIBRARY_VERSION; else >= 9999 */
    const char *application;        /* _ai_Application; NULL or "": omitted */
    const char *description;        /* _ai_Description; NULL or "": omitted */
    const char *date_written;       /* _ai_DateWritten (ctime() style); NULL or "": omitted */
    double dcc_fps;                 /* > 0: _ai_DCC_FPS printed as "%f" */
    const struct abc_wmeta *metadata; /* further entries; if raw, used verbatim and
                                       * every field above but library_version ignored */
    uint64_t sample_map_limit;      /* 0: every stored payload is remembered for sharing
                                     * (the C++ behaviour; 32-43 bytes of memory per
                                     * distinct payload).  N: only the first N are;
                                     * later ones are written but not shared. */
};

/*
 * Creates an archive at path (created or truncated, mode 0666 & ~umask,
 * opened read-write: de-duplication reads payloads back) and writes its
 * header and root version blocks.  opts may be NULL (defaults).
 * Errors: OGAWA_E_INVAL (bad option: metadata, library version < 9999),
 * OGAWA_E_IO, OGAWA_E_NOMEM.
 */
int abc_writer_create(const char *path, const struct abc_writer_opts *opts, abc_writer **out,
                      struct ogawa_err *err);

/* Same on an fd positioned where the archive starts; the fd must be
 * seekable, not O_APPEND (OGAWA_E_INVAL), and should be readable; bytes
 * already past that position are not truncated.  Takes ownership of fd
 * (closed by close/abort, or on failure). */
int abc_writer_create_fd(int fd, const struct abc_writer_opts *opts, abc_writer **out,
                         struct ogawa_err *err);

/*
 * Finishes everything still open (reverse creation order), the top
 * object, then writes archive metadata, time samplings, the indexed
 * metadata table and the root group, stores the root offset and, last,
 * the frozen byte.  Frees w and every handle, whatever the outcome (on
 * failure the file is left unfrozen).  Returns the first error of the
 * writer's life if any (sticky IO/NOMEM), else the close's own.
 */
int abc_writer_close(abc_writer *w, struct ogawa_err *err);

/* Frees w and its handles without finishing: the file stays unfrozen, as
 * after a crash.  Accepts NULL. */
void abc_writer_abort(abc_writer *w);

/* The top object ("ABC", full name "/"); its metadata is the archive's. */
abc_wobject *abc_writer_top(abc_writer *w);

/* Bytes written so far (the archive's current size). */
uint64_t abc_writer_size(const abc_writer *w);

/*
 * Registers a time sampling (§3.4) and returns its index in *idx.  From ts
 * are used: type; time_per_cycle (uniform, cyclic: finite, > 0); n_times
 * and times (uniform: exactly 1 start time; cyclic: >= 2; acyclic: >= 1;
 * all finite and strictly increasing).  ABC_TS_IDENTITY ignores the other
 * fields.  A sampling equal to a registered one (same samples per cycle,
 * time per cycle within 1e-9, identical times) returns that index, as the
 * C++ library does, unless flags has ABC_WTS_APPEND (copies keep indices).
 * Index 0 is always identity.  Errors: OGAWA_E_INVAL, OGAWA_E_NOMEM.
 */
#define ABC_WTS_APPEND 1u
int abc_writer_add_time_sampling(abc_writer *w, const struct abc_time_sampling *ts,
                                 unsigned flags, uint32_t *idx, struct ogawa_err *err);

/* Stores max_samples for sampling idx instead of the computed value (for
 * copies of archives whose writer computed it differently). */
int abc_writer_set_max_samples(abc_writer *w, uint32_t idx, uint32_t max_samples,
                               struct ogawa_err *err);

/* ---- objects (§4) ------------------------------------------------------ */

/*
 * Adds a child object: non-empty name without '/', unique among the
 * parent's children.  Errors: OGAWA_E_INVAL (bad or duplicate name, bad
 * metadata, parent finished), OGAWA_E_NOMEM.
 */
int abc_wobject_add_child(abc_wobject *parent, abc_str name, const struct abc_wmeta *meta,
                          abc_wobject **out, struct ogawa_err *err);

/*
 * Adds an instance child (§4.3): an object named name with metadata
 * isInstance=1 and a string property .instanceSource holding target (a
 * full object path, e.g. "/xf/mesh"; non-empty, no NUL), finished at once
 * (as the C++ library does).  The target is not resolved here (it may be
 * written later).  Errors as abc_wobject_add_child.
 */
int abc_wobject_add_instance(abc_wobject *parent, abc_str name, abc_str target,
                             struct ogawa_err *err);

/* The object's top compound, where its properties go. */
abc_wprop *abc_wobject_props(abc_wobject *o);

/*
 * Finishes a (non-top) object: appends its children's header block with
 * the hashes, its properties' header block, its top compound group and
 * its own group (§7 rule 7).  Every child object and property must be
 * finished already.  Errors: OGAWA_E_INVAL (top object, already finished,
 * something unfinished), OGAWA_E_IO, OGAWA_E_NOMEM.
 */
int abc_wobject_finish(abc_wobject *o, struct ogawa_err *err);

/* ---- properties (§5) --------------------------------------------------- */

/*
 * Adds a property to compound parent (an object's top compound or a
 * compound property): non-empty name without '/', unique in parent.
 * Scalar/array: pod one of the 14 (enum abc_pod), extent 1..255, ts a
 * registered time sampling.  Errors: OGAWA_E_INVAL, OGAWA_E_NOMEM.
 */
int abc_wprop_add_compound(abc_wprop *parent, abc_str name, const struct abc_wmeta *meta,
                           abc_wprop **out, struct ogawa_err *err);
int abc_wprop_add_scalar(abc_wprop *parent, abc_str name, const struct abc_wmeta *meta,
                         int pod, unsigned extent, uint32_t ts, abc_wprop **out,
                         struct ogawa_err *err);
int abc_wprop_add_array(abc_wprop *parent, abc_str name, const struct abc_wmeta *meta,
                        int pod, unsigned extent, uint32_t ts, abc_wprop **out,
                        struct ogawa_err *err);

/*
 * Adds the next sample of a scalar property.  data/len is the stored
 * payload (§5.5): numeric PODs exactly pod size x extent bytes, little
 * endian; string: extent strings each followed by one NUL (no NUL inside);
 * wstring: extent strings of u32 code units each followed by a 0 unit.
 * Errors: OGAWA_E_INVAL (wrong size or string count, not a scalar,
 * finished, acyclic sampling has no time left), OGAWA_E_IO, OGAWA_E_NOMEM.
 */
int abc_wprop_add_sample(abc_wprop *p, const void *data, size_t len, struct ogawa_err *err);

/*
 * Adds the next sample of an array property: payload as above for any
 * number of elements (len a multiple of pod size x extent; for strings the
 * number of strings a multiple of extent).  dims/rank give the shape,
 * outermost first; rank 0 (dims NULL) means 1-D with the element count
 * derived from the payload.  With rank >= 1 the product of dims must be
 * the element count.  Note the format's quirk (§5.7): a sample whose bytes
 * equal the previous one's is a repeat even if dims differ, and the
 * earlier dims are kept.  Errors as abc_wprop_add_sample.
 */
int abc_wprop_add_array_sample(abc_wprop *p, const void *data, size_t len,
                               const uint64_t *dims, unsigned rank, struct ogawa_err *err);

/* Repeats the previous sample (C++ setFromPrevious): nothing is stored.
 * OGAWA_E_INVAL if the property has no sample yet. */
int abc_wprop_repeat_sample(abc_wprop *p, struct ogawa_err *err);

/*
 * Finishes a property.  Scalar/array: appends its group (§7 rule 5).
 * Compound: every sub-property must be finished; appends its header block
 * and group (rule 6).  An object's top compound is finished by its object,
 * not here.  Errors: OGAWA_E_INVAL (top compound, already finished,
 * unfinished sub-property), OGAWA_E_IO, OGAWA_E_NOMEM.
 */
int abc_wprop_finish(abc_wprop *p, struct ogawa_err *err);

/* Samples added so far. */
uint32_t abc_wprop_num_samples(const abc_wprop *p);

#endif
