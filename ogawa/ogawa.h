/*
 * ogawa.h — the Ogawa container: a tree of groups and data blocks in one
 * file (ogawa-format.md §1).  This layer knows nothing of Alembic objects
 * or properties; abc.h builds those on top of it.
 *
 * Reading goes through a source (source.h): pread(2) on a plain file, or
 * inflate of just the needed blocks of a gzip file.  No mapping, no
 * whole-file buffer, so memory does not grow with the archive, and every
 * byte read is counted (ogawa_archive_stats) so that laziness can be
 * measured.  Every offset and
 * size taken from the file is checked against the file size before use.
 *
 * Thread-safety: an open ogawa_archive is immutable apart from its atomic
 * counters; any number of threads may call any read function on it at once.
 *
 * Errors: functions that can fail return 0 or a negative OGAWA_E_* code and
 * fill in *err (which may be NULL).  err->msg is a static string; err->off
 * is the archive offset of the offending block (or 0).
 */
#ifndef OGAWA_OGAWA_H
#define OGAWA_OGAWA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Error codes, distinct by cause.  Never OR'ed together. */
enum {
    OGAWA_OK = 0,
    OGAWA_E_NOTOGAWA = -1,  /* no Ogawa magic: not an Ogawa archive */
    OGAWA_E_VERSION = -2,   /* Ogawa or AbcCoreOgawa version not supported */
    OGAWA_E_NOTFROZEN = -3, /* writer did not finish (frozen byte != 0xFF) */
    OGAWA_E_HDF5 = -4,      /* an HDF5-backed Alembic file, not Ogawa */
    OGAWA_E_CORRUPT = -5,   /* a block, size, count or record is invalid */
    OGAWA_E_DEPTH = -6,     /* a group refers to itself or an ancestor, or nesting too deep */
    OGAWA_E_IO = -7,        /* a system call failed: err->sys_errno */
    OGAWA_E_NOMEM = -8,     /* allocation failed */
    OGAWA_E_NOENT = -9,     /* no such child / name / index */
    OGAWA_E_INVAL = -10,    /* the caller passed an invalid argument */
    OGAWA_E_TOOBIG = -11,   /* a computed result would exceed a documented limit */
};

struct ogawa_err {
    int code;               /* OGAWA_E_*, or 0 */
    uint64_t off;           /* archive offset of the bad block, 0 if none */
    const char *msg;        /* static, lower case, no trailing period */
    int sys_errno;          /* errno for OGAWA_E_IO, else 0 */
};

/* Records an error in err (if not NULL) and evaluates to code. */
int ogawa_fail(struct ogawa_err *err, int code, uint64_t off, const char *msg);
#define OGAWA_CORRUPT(err, off, msg) ogawa_fail((err), OGAWA_E_CORRUPT, (off), (msg))

/* A short name of the code ("corrupt archive", ...). */
const char *ogawa_strerror(int code);

/* Formats "MSG at offset OFF" (or "MSG: strerror") into buf. */
void ogawa_err_format(const struct ogawa_err *err, char *buf, size_t len);

/* A child slot (§1.2): bit 63 set = data, clear = group; the rest is the
 * absolute offset of the block, 0 = empty group / empty data. */
#define OGAWA_SLOT_DATA_BIT 0x8000000000000000ULL
#define OGAWA_EMPTY_GROUP 0x0000000000000000ULL
#define OGAWA_EMPTY_DATA 0x8000000000000000ULL
static inline bool ogawa_slot_is_data(uint64_t slot) { return (slot & OGAWA_SLOT_DATA_BIT) != 0; }
static inline uint64_t ogawa_slot_offset(uint64_t slot) { return slot & ~OGAWA_SLOT_DATA_BIT; }

/* Header size; no block can start before it. */
#define OGAWA_HEADER_LEN 16

typedef struct ogawa_archive ogawa_archive;

/* Counters of what was read from the file since open (atomic, approximate
 * under concurrency only in that they are read without a lock). */
struct ogawa_stats {
    uint64_t bytes_read;    /* archive bytes the container read */
    uint64_t reads;         /* its reads */
    /* The source below (source.h): for a plain file, bytes and preads of
     * the file; for a gzip file, compressed bytes read, and the block
     * cache of inflated data. */
    uint64_t source_bytes_read, source_reads;
    uint64_t bytes_inflated;
    uint64_t cache_hits, cache_misses, cache_evictions, cache_bytes;
};

struct ogawa_open_opts;     /* source.h */
typedef struct ogawa_source ogawa_source;

/*
 * Opens an Ogawa file read-only and reads its 16-byte header only.
 * Checks: magic (else OGAWA_E_NOTOGAWA, or OGAWA_E_HDF5 for "\x89HDF"),
 * version 1 (OGAWA_E_VERSION), frozen byte 0xFF (OGAWA_E_NOTFROZEN), and
 * that the root group offset lies inside the file (OGAWA_E_CORRUPT).
 * Also OGAWA_E_IO, OGAWA_E_NOMEM.  *out is NULL on failure.
 * ogawa_archive_open_fd takes ownership of fd (closed by _close, or on
 * failure) and reads it as a plain file, whatever its first bytes (use
 * ogawa_source_open_fd and ogawa_archive_open_source for gzip detection).
 */
int ogawa_archive_open(const char *path, ogawa_archive **out, struct ogawa_err *err);
int ogawa_archive_open_fd(int fd, ogawa_archive **out, struct ogawa_err *err);
/* The same with options for a compressed source (source.h; opts may be
 * NULL), or on a source already open (owned from then on, closed on
 * failure).  A gzip file is recognized by its first bytes. */
int ogawa_archive_open_opts(const char *path, const struct ogawa_open_opts *opts,
                            ogawa_archive **out, struct ogawa_err *err);
int ogawa_archive_open_source(ogawa_source *src, ogawa_archive **out, struct ogawa_err *err);
void ogawa_archive_close(ogawa_archive *a);     /* accepts NULL */

uint64_t ogawa_archive_root(const ogawa_archive *a);   /* root group offset */
uint64_t ogawa_archive_size(const ogawa_archive *a);   /* archive size at open */
/* For zero-copy serving: the plain file's fd (archive offset = file
 * offset; do not close), or -1 when bytes must be read with
 * ogawa_archive_read (a compressed source). */
int ogawa_archive_fd(const ogawa_archive *a);
ogawa_source *ogawa_archive_source(const ogawa_archive *a);
void ogawa_archive_stats(const ogawa_archive *a, struct ogawa_stats *out);
/* Bytes the calling thread has read from any archive since it started:
 * the difference over one call is what that call read, whatever other
 * threads read meanwhile (abc_archive_verify's budget is counted so). */
uint64_t ogawa_thread_bytes_read(void);

/*
 * Reads len bytes at absolute offset off into buf.  The range must lie
 * inside the file size seen at open (else OGAWA_E_CORRUPT at off); a short
 * read (the file shrank) is OGAWA_E_IO with sys_errno EIO.
 */
int ogawa_archive_read(const ogawa_archive *a, uint64_t off, void *buf, uint64_t len,
                       struct ogawa_err *err);

/* A group block (§1.3): its offset and number of children.  off == 0 is
 * the empty group (no children). */
struct ogawa_group {
    uint64_t off;           /* absolute offset of the block; 0 = empty group */
    uint64_t n_children;    /* checked: the slots lie inside the file */
};

/*
 * Reads the child count of the group at off (8 bytes).  off 0 gives the
 * empty group.  A group whose count is 0 is treated as empty (as the C++
 * reader does); one whose slots would pass the end of the file, or that
 * starts inside the header, is OGAWA_E_CORRUPT.
 */
int ogawa_group_read(const ogawa_archive *a, uint64_t off, struct ogawa_group *out,
                     struct ogawa_err *err);

/* Reads child slot idx (8 bytes).  idx >= n_children: OGAWA_E_NOENT.  A
 * group slot pointing at the group itself is OGAWA_E_DEPTH. */
int ogawa_group_child(const ogawa_archive *a, const struct ogawa_group *g, uint64_t idx,
                      uint64_t *slot, struct ogawa_err *err);

/* Reads n slots from first into slots[] in one pread. */
int ogawa_group_children(const ogawa_archive *a, const struct ogawa_group *g, uint64_t first,
                         uint64_t n, uint64_t *slots, struct ogawa_err *err);

/* A data block (§1.4): payload of len bytes at off + 8.  off == 0 is the
 * empty data block (len 0). */
struct ogawa_data {
    uint64_t off;           /* absolute offset of the size field; 0 = empty */
    uint64_t len;           /* payload bytes; off + 8 + len <= file size */
};

/* Reads the size field of a data slot.  A slot that is not a data slot is
 * OGAWA_E_CORRUPT; so is a block whose payload passes the end of file. */
int ogawa_data_read(const ogawa_archive *a, uint64_t slot, struct ogawa_data *out,
                    struct ogawa_err *err);

/* ogawa_data_read in two steps, for callers that read size fields in
 * batches: _locate checks the slot and gives the offset of its 8-byte size
 * field (0 for EMPTY_DATA: nothing to read); _finish checks the field's
 * bytes read there and fills *out (empty when field_off is 0). */
int ogawa_data_locate(const ogawa_archive *a, uint64_t slot, uint64_t *field_off,
                      struct ogawa_err *err);
int ogawa_data_finish(const ogawa_archive *a, uint64_t field_off, const uint8_t field[8],
                      struct ogawa_data *out, struct ogawa_err *err);

/* Absolute offset of the payload's first byte (off + 8; 0 when empty). */
static inline uint64_t ogawa_data_payload(const struct ogawa_data *d) { return d->off ? d->off + 8 : 0; }

/*
 * Loads the payload of a data block into a new malloc'ed buffer (one NUL
 * byte is appended, not counted in len, so text can be used as a C
 * string).  Blocks larger than max_len are OGAWA_E_CORRUPT (a bound against
 * hostile sizes); pass UINT64_MAX for none.  The caller frees *buf.
 */
int ogawa_data_load(const ogawa_archive *a, const struct ogawa_data *d, uint64_t max_len,
                    uint8_t **buf, struct ogawa_err *err);

/* Overflow-checked a + b <= limit. */
static inline bool ogawa_range_ok(uint64_t off, uint64_t len, uint64_t limit)
{
    return off <= limit && len <= limit - off;
}

#endif
