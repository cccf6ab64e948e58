/*
 * source.h — where an archive's bytes come from, below the container.
 *
 * The container (archive.c) reads only through a source: its size, a
 * pread of any range inside it, and an identity that tells whether the
 * underlying file changed.  Three kinds exist:
 *
 *   file      a plain file: pread(2) on the fd, which is also handed out
 *             (ogawa_source_fd) so that sample bytes can be spliced to the
 *             kernel without passing through user space;
 *   bgzf      a blocked gzip written by abccopy --gzip (gzip members of at
 *             most 64 KiB of archive bytes each, every header carrying the
 *             member's length as in htslib's BGZF): the member table is
 *             read from the headers at open and a read inflates just the
 *             members it touches;
 *   gzip      any other gzip file: one inflate pass at open records a
 *             checkpoint (input position and 32 KiB window) about every
 *             1 MiB of output, kept in an index file so that the next open
 *             is instant; a read inflates from the checkpoint before it.
 *
 *   http      an http:// or https:// URL (libcurl): fixed-size blocks
 *             fetched by Range requests into the block cache; the size and
 *             identity (ETag, Last-Modified) come from the first response,
 *             and every later response must carry the same, else EIO.
 *
 * Opening by path or fd picks the kind from the first bytes (gzip magic
 * 1f 8b, then the BGZF extra field), never from the name.  Inflated data
 * goes through a bounded block cache (one per source) whose counters are
 * part of ogawa_source_stats.
 *
 * Compressed bytes are checked, never trusted: every member's or chunk's
 * CRC-32 and length are compared with the inflated bytes before anything
 * is returned, so a damaged file reads as OGAWA_E_IO (sys_errno EIO) or
 * is refused at open, never as wrong bytes.
 *
 * Thread-safety: any number of threads may read one source at once.
 */
#ifndef OGAWA_SOURCE_H
#define OGAWA_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "ogawa.h"

enum ogawa_source_kind {
    OGAWA_SOURCE_FILE = 1,
    OGAWA_SOURCE_BGZF,
    OGAWA_SOURCE_GZIP,
    OGAWA_SOURCE_HTTP,
};

/* The underlying file as stat(2) saw it at open (change detection). */
struct ogawa_source_identity {
    uint64_t dev, ino, size;        /* size of the file itself (compressed for gzip) */
    int64_t mtime_sec, ctime_sec;
    long mtime_nsec, ctime_nsec;
};

/* Default capacity of a compressed source's block cache: enough for the
 * blocks that several concurrent sequential readers and the metadata parse
 * keep touching (64 KiB members, ~1 MiB gzip chunks), small next to the
 * kernel's page cache, which holds the served bytes themselves. */
#define OGAWA_CACHE_DEFAULT (64ULL << 20)

/* Options of a compressed source; NULL or zeroed fields take the defaults. */
struct ogawa_open_opts {
    uint64_t cache_bytes;       /* block cache capacity; 0: OGAWA_CACHE_DEFAULT */
    const char *gz_index;       /* gzip index: a directory to keep index files in,
                                 * or the index file itself; NULL: the user's cache
                                 * directory ($XDG_CACHE_HOME/abcfs or ~/.cache/abcfs) */
    bool quiet;                 /* no progress line while indexing a large gzip */
    const char *const *http_headers;    /* extra request headers ("Name: value") */
    size_t n_http_headers;
    unsigned http_timeout;      /* seconds without progress before an HTTP request
                                 * is abandoned (then retried); 0: 10 */
};

/* Counters since open.  For a plain file the source bytes are the archive
 * bytes; for a compressed one, bytes read from the compressed file. */
struct ogawa_source_stats {
    uint64_t bytes_read;        /* bytes read from the underlying file */
    uint64_t reads;             /* pread calls on it */
    uint64_t bytes_inflated;    /* archive bytes produced by inflate */
    uint64_t cache_hits, cache_misses, cache_evictions;
    uint64_t cache_bytes;       /* bytes held by the block cache now */
};

/* Opens path or fd (taking ownership of fd: closed by _close or on failure)
 * as whichever kind its first bytes say; a path that starts with http:// or
 * https:// is a URL (an HTTP source).  opts may be NULL.  Errors:
 * OGAWA_E_IO (cannot open, a directory, a damaged or truncated gzip file,
 * or the index cannot be built), OGAWA_E_NOMEM, OGAWA_E_CORRUPT (a gzip file
 * whose structure is not one we read: concatenated plain gzip members, a
 * BGZF member with a bad extra field, trailing bytes). */
int ogawa_source_open(const char *path, const struct ogawa_open_opts *opts,
                      ogawa_source **out, struct ogawa_err *err);
int ogawa_source_open_fd(int fd, const struct ogawa_open_opts *opts, ogawa_source **out,
                         struct ogawa_err *err);
/* fd as a plain file whatever its bytes (no gzip detection). */
int ogawa_source_open_plain_fd(int fd, ogawa_source **out, struct ogawa_err *err);
void ogawa_source_close(ogawa_source *s);  /* accepts NULL */

enum ogawa_source_kind ogawa_source_kind(const ogawa_source *s);
const char *ogawa_source_kind_name(const ogawa_source *s);  /* "file", "bgzf", "gzip", "http" */

/* Bytes of the archive the source holds (inflated size for gzip). */
uint64_t ogawa_source_size(const ogawa_source *s);

/* Reads len bytes at archive offset off; the range must lie inside the size
 * (else OGAWA_E_CORRUPT).  OGAWA_E_IO for a failed or short read or bytes
 * that do not inflate to what their checksums say. */
int ogawa_source_pread(ogawa_source *s, uint64_t off, void *buf, uint64_t len,
                       struct ogawa_err *err);

/* For a plain file: its fd (do not close) and the file position of archive
 * offset 0 in *base.  -1 for every other kind: bytes must be copied. */
int ogawa_source_fd(const ogawa_source *s, uint64_t *base);

const struct ogawa_source_identity *ogawa_source_identity(const ogawa_source *s);
/* Is the file still the one opened (same device, inode, size, mtime and
 * ctime)?  0, or OGAWA_E_IO with EIO: bytes read now could be another
 * file's, so nothing may be served from it. */
int ogawa_source_check(const ogawa_source *s, struct ogawa_err *err);
void ogawa_source_stats(const ogawa_source *s, struct ogawa_source_stats *out);

/*
 * Writes the bytes of in_fd (read from its current position to its end) to
 * out_fd as blocked gzip: members of at most OGAWA_BGZF_BLOCK archive bytes,
 * each header carrying the BGZF extra field (subfield 'B','C', length 2,
 * member size - 1), then the empty end-of-file member.  Any gzip reader
 * inflates it to the input byte for byte.  level: zlib's 1..9 (0: 6).
 * Errors: OGAWA_E_IO, OGAWA_E_NOMEM, OGAWA_E_INVAL (bad level).  Neither fd
 * is closed.
 */
#define OGAWA_BGZF_BLOCK 0xff00     /* as htslib: a stored member still fits 64 KiB */
int ogawa_gzip_compress(int in_fd, int out_fd, int level, struct ogawa_err *err);
/* The same from the archive bytes of a source (any kind). */
int ogawa_gzip_compress_source(ogawa_source *in, int out_fd, int level, struct ogawa_err *err);

#endif
