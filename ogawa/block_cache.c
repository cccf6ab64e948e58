/*
 * block_cache.c — a bounded cache of inflated blocks, shared by the
 * threads that read one compressed source.
 *
 * Blocks are numbered densely by their source (BGZF member, gzip chunk),
 * so the table is an array of n_blocks pointers, no hashing.  One mutex
 * guards the table, the LRU list and the counters; a block's bytes are
 * copied out without the lock, the block pinned meanwhile so that eviction
 * skips it.  A miss publishes the block as in flight before inflating
 * without the lock: threads that want the same block wait on the condition
 * variable for that one inflate (and retry on their own if it failed).
 */
#include "source_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct ogawa_cache_block {
    uint8_t *data;              /* NULL while in flight */
    uint64_t len;
    uint64_t idx;
    unsigned pins;              /* readers copying out of data */
    struct ogawa_cache_block *prev, *next;  /* LRU list, most recent first */
};

struct ogawa_block_cache {
    pthread_mutex_t lock;
    pthread_cond_t landed;      /* an in-flight block was filled or dropped */
    struct ogawa_cache_block **table;
    uint64_t n_blocks;
    uint64_t capacity, held;
    struct ogawa_cache_block *head, *tail;
    uint64_t hits, misses, evictions;
};

struct ogawa_block_cache *
ogawa_block_cache_new(uint64_t capacity, uint64_t n_blocks)
{
    struct ogawa_block_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->table = calloc(n_blocks ? n_blocks : 1, sizeof *c->table);
    if (!c->table) {
        free(c);
        return NULL;
    }
    c->n_blocks = n_blocks;
    c->capacity = capacity;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->landed, NULL);
    return c;
}

void
ogawa_block_cache_free(struct ogawa_block_cache *c)
{
    if (!c)
        return;
    for (struct ogawa_cache_block *b = c->head, *next; b; b = next) {
        next = b->next;
        free(b->data);
        free(b);
    }
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->landed);
    free(c->table);
    free(c);
}

static void
ogawa_block_cache_unlink(struct ogawa_block_cache *c, struct ogawa_cache_block *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        c->head = b->next;
    if (b->next)
        b->next->prev = b->prev;
    else
        c->tail = b->prev;
    b->prev = b->next = NULL;
}

static void
ogawa_block_cache_push(struct ogawa_block_cache *c, struct ogawa_cache_block *b)
{
    b->prev = NULL;
    b->next = c->head;
    if (c->head)
        c->head->prev = b;
    c->head = b;
    if (!c->tail)
        c->tail = b;
}

/* Drops unpinned blocks from the cold end until the total fits. */
static void
ogawa_block_cache_trim(struct ogawa_block_cache *c)
{
    struct ogawa_cache_block *b = c->tail;
    while (c->held > c->capacity && b) {
        struct ogawa_cache_block *prev = b->prev;
        if (b->pins == 0) {
            ogawa_block_cache_unlink(c, b);
            c->table[b->idx] = NULL;
            c->held -= b->len;
            c->evictions++;
            free(b->data);
            free(b);
        }
        b = prev;
    }
}

int
ogawa_block_cache_copy(struct ogawa_block_cache *c, ogawa_source *s, uint64_t idx,
                       uint64_t block_len, uint64_t off, void *dst, uint64_t len,
                       ogawa_block_fill fill, struct ogawa_err *err)
{
    if (idx >= c->n_blocks || !ogawa_range_ok(off, len, block_len))
        return ogawa_fail(err, OGAWA_E_INVAL, off, "block cache read out of range");
    pthread_mutex_lock(&c->lock);
    for (;;) {
        struct ogawa_cache_block *b = c->table[idx];
        if (b && b->data) {
            c->hits++;
            b->pins++;
            ogawa_block_cache_unlink(c, b);
            ogawa_block_cache_push(c, b);
            pthread_mutex_unlock(&c->lock);
            memcpy(dst, b->data + off, len);
            pthread_mutex_lock(&c->lock);
            b->pins--;
            ogawa_block_cache_trim(c);
            pthread_mutex_unlock(&c->lock);
            return 0;
        }
        if (b) {                        /* in flight in another thread */
            pthread_cond_wait(&c->landed, &c->lock);
            continue;
        }
        b = calloc(1, sizeof *b);
        if (!b) {
            pthread_mutex_unlock(&c->lock);
            return ogawa_fail(err, OGAWA_E_NOMEM, off, "out of memory in the block cache");
        }
        b->idx = idx;
        b->len = block_len;
        c->table[idx] = b;
        c->misses++;
        pthread_mutex_unlock(&c->lock);

        uint8_t *data = malloc(block_len ? block_len : 1);
        int rc = data ? fill(s, idx, data, block_len, err)
                      : ogawa_fail(err, OGAWA_E_NOMEM, off, "out of memory inflating a block");
        if (rc == 0)
            memcpy(dst, data + off, len);

        pthread_mutex_lock(&c->lock);
        if (rc != 0) {
            c->table[idx] = NULL;
            free(data);
            free(b);
        } else {
            b->data = data;
            c->held += block_len;
            ogawa_block_cache_push(c, b);
            ogawa_block_cache_trim(c);
        }
        pthread_cond_broadcast(&c->landed);
        pthread_mutex_unlock(&c->lock);
        return rc;
    }
}

int
ogawa_block_cache_claim(struct ogawa_block_cache *c, uint64_t idx, uint64_t block_len)
{
    if (idx >= c->n_blocks)
        return 0;
    struct ogawa_cache_block *b = calloc(1, sizeof *b);
    if (!b)
        return 0;
    pthread_mutex_lock(&c->lock);
    if (c->table[idx]) {
        pthread_mutex_unlock(&c->lock);
        free(b);
        return 0;
    }
    b->idx = idx;
    b->len = block_len;
    c->table[idx] = b;
    pthread_mutex_unlock(&c->lock);
    return 1;
}

void
ogawa_block_cache_land(struct ogawa_block_cache *c, uint64_t idx, uint8_t *data)
{
    pthread_mutex_lock(&c->lock);
    struct ogawa_cache_block *b = c->table[idx];
    if (data) {
        b->data = data;
        c->held += b->len;
        ogawa_block_cache_push(c, b);
        ogawa_block_cache_trim(c);
    } else {
        c->table[idx] = NULL;
        free(b);
    }
    pthread_cond_broadcast(&c->landed);
    pthread_mutex_unlock(&c->lock);
}

bool
ogawa_block_cache_has(struct ogawa_block_cache *c, uint64_t idx)
{
    if (idx >= c->n_blocks)
        return false;
    pthread_mutex_lock(&c->lock);
    bool has = c->table[idx] != NULL;
    pthread_mutex_unlock(&c->lock);
    return has;
}

void
ogawa_block_cache_stats(struct ogawa_block_cache *c, struct ogawa_source_stats *out)
{
    pthread_mutex_lock(&c->lock);
    out->cache_hits += c->hits;
    out->cache_misses += c->misses;
    out->cache_evictions += c->evictions;
    out->cache_bytes += c->held;
    pthread_mutex_unlock(&c->lock);
}
