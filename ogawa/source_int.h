/*
 * source_int.h — what the kinds of source share (source.c) and the block
 * cache of inflated data (block_cache.c).  Not installed.
 */
#ifndef OGAWA_SOURCE_INT_H
#define OGAWA_SOURCE_INT_H

#include <stdbool.h>
#include <sys/stat.h>

#include "source.h"

struct ogawa_block_cache;

struct ogawa_source_ops {
    /* off/len already checked against s->size, len > 0. */
    int (*read)(ogawa_source *s, uint64_t off, void *buf, uint64_t len, struct ogawa_err *err);
    void (*close)(ogawa_source *s);     /* frees impl only */
    /* Is the source still the one opened?  NULL: fstat of fd against id. */
    int (*check)(const ogawa_source *s, struct ogawa_err *err);
};

struct ogawa_source {
    const struct ogawa_source_ops *ops;
    enum ogawa_source_kind kind;
    int fd;                     /* the underlying file, read-only, owned */
    uint64_t size;              /* archive bytes */
    struct ogawa_source_identity id;
    uint64_t bytes_read;        /* from fd, updated atomically */
    uint64_t reads;
    uint64_t bytes_inflated;
    struct ogawa_block_cache *cache;    /* NULL for a plain file */
    void *impl;                 /* the kind's own state */
};

/* Records an OGAWA_E_IO with its errno. */
int ogawa_source_io_fail(struct ogawa_err *err, int sys_errno, uint64_t off, const char *msg);

/* Reads exactly len bytes of the underlying file at file offset off,
 * counting them; reaching the end of file is OGAWA_E_IO with EIO (msg
 * names it: the file is shorter than it was). */
int ogawa_source_raw_pread(ogawa_source *s, uint64_t off, void *buf, uint64_t len,
                           struct ogawa_err *err);

/* Each kind's open: takes ownership of s (filled with fd, id, counters),
 * sets ops, size, impl, cache; on failure leaves s for the caller to close. */
int ogawa_source_file_init(ogawa_source *s, struct ogawa_err *err);
int ogawa_source_bgzf_init(ogawa_source *s, const struct ogawa_open_opts *opts, bool *not_bgzf,
                           struct ogawa_err *err);
int ogawa_source_gzip_init(ogawa_source *s, const struct ogawa_open_opts *opts,
                           struct ogawa_err *err);
/* An http:// or https:// URL (source_http.c); *out as ogawa_source_open. */
bool ogawa_source_is_url(const char *path);
int ogawa_source_http_open(const char *url, const struct ogawa_open_opts *opts,
                           ogawa_source **out, struct ogawa_err *err);

/* ---- block cache ------------------------------------------------------------
 * Blocks are numbered 0..n_blocks-1 by the source; a block's bytes are
 * made by fill (inflate) on a miss and kept, least recently used evicted
 * first, while the total stays within the capacity (a block being copied
 * out is never evicted, so the total may pass the capacity by the blocks
 * in use at once).  A miss marks the block in flight: other threads that
 * want it wait for that one inflate instead of doing their own. */
typedef int (*ogawa_block_fill)(ogawa_source *s, uint64_t idx, uint8_t *buf, uint64_t len,
                                struct ogawa_err *err);

struct ogawa_block_cache *ogawa_block_cache_new(uint64_t capacity, uint64_t n_blocks);
void ogawa_block_cache_free(struct ogawa_block_cache *c);    /* accepts NULL */

/* Copies len bytes at off inside block idx (block_len bytes long) to dst. */
int ogawa_block_cache_copy(struct ogawa_block_cache *c, ogawa_source *s, uint64_t idx,
                           uint64_t block_len, uint64_t off, void *dst, uint64_t len,
                           ogawa_block_fill fill, struct ogawa_err *err);

/* Filling blocks ahead of a read (a source that fetches several blocks in
 * one request): _claim marks block idx in flight and returns 1, or returns
 * 0 when it is held or in flight already (or memory is short); each
 * claimed block must then be landed, with its malloc'd bytes (the cache
 * takes them) or NULL when the fetch failed (the mark is dropped and
 * waiters retry on their own). */
int ogawa_block_cache_claim(struct ogawa_block_cache *c, uint64_t idx, uint64_t block_len);
void ogawa_block_cache_land(struct ogawa_block_cache *c, uint64_t idx, uint8_t *data);
/* Is block idx held or in flight? */
bool ogawa_block_cache_has(struct ogawa_block_cache *c, uint64_t idx);

/* Adds the cache's counters to out (hits, misses, evictions, bytes held). */
void ogawa_block_cache_stats(struct ogawa_block_cache *c, struct ogawa_source_stats *out);

#endif
