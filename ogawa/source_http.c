/*
 * source_http.c — an archive on a web server, read by HTTP Range requests
 * (libcurl): only the blocks that are touched are fetched.
 *
 * The archive is cut into fixed-size blocks kept in the source's block
 * cache (block_cache.c), so concurrent misses on one block make one
 * request and the metadata reads of one object, which sit close together,
 * cost one block.  A miss on a block whose predecessor is held (a
 * sequential reader) fetches a run of following blocks in the same
 * request, so a large sample streams in large requests.
 *
 * Open makes one ranged GET of the first block: its Content-Range gives the
 * size, its ETag and Last-Modified the identity.  A server that answers a
 * ranged request with the whole file (200) is refused: every read would
 * download the archive.  Every later response must be a 206 for exactly
 * the range asked, of the same total size, ETag and Last-Modified: any
 * difference means the file changed on the server, which gives EIO for
 * that read and every later one (ogawa_source_check), never bytes of two
 * versions mixed.  Comparing the headers of the responses we get anyway
 * makes the per-read identity check free (no request of its own).
 *
 * Failures that may pass (no connection, a timeout, a cut transfer, 5xx,
 * 408, 429) are retried with a doubling pause a bounded number of times,
 * then the read is EIO; a failed block is not kept, so reads recover when
 * the server is back.  Redirects are followed (at most 5, http and https
 * only, never from https to http).  TLS peers are verified (libcurl's
 * default, kept).  Extra headers (tokens) are sent with every request,
 * and ~/.netrc is used when it has the host.
 *
 * Threads: each request takes an easy handle from a small pool (a handle
 * is used by one thread at a time); the handles share one connection
 * cache, DNS cache and TLS sessions through a curl share, so connections
 * are reused across threads.
 */
#include "source_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HTTP_BLOCK (64ULL << 10)    /* bytes of one cached block */
#define HTTP_RUN_MAX 64             /* blocks fetched at once by a sequential reader */
#define HTTP_TRIES 5                /* attempts of one request */
#define HTTP_PAUSE_MS 100           /* pause before the first retry, doubled each time */
#define HTTP_POOL_MAX 32            /* idle easy handles kept */
#define HTTP_TIMEOUT_DEFAULT 10     /* seconds without progress */
#define HTTP_VALIDATOR_MAX 256      /* longest ETag or Last-Modified kept */

struct http_impl {
    char *url;
    struct curl_slist *headers;
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_lock;
    CURL *pool[HTTP_POOL_MAX];
    unsigned n_pool;
    long timeout;
    bool https;
    uint64_t n_blocks;
    uint64_t run_max;           /* blocks per sequential request, within the cache */
    char etag[HTTP_VALIDATOR_MAX];      /* "" when the server sent none */
    char last_modified[HTTP_VALIDATOR_MAX];
    int changed;                /* atomic: a response said the file changed */
    uint64_t last_end, streak;  /* atomic: where the last read ended, and the
                                 * bytes read back to back up to it */
};

/* What the header and body callbacks of one request collect. */
struct http_reply {
    long status;
    bool have_range;
    uint64_t range_start, range_end, range_total;
    char etag[HTTP_VALIDATOR_MAX];
    char last_modified[HTTP_VALIDATOR_MAX];
    /* body: byte k of the range goes to blocks[k / HTTP_BLOCK] */
    uint8_t **blocks;
    uint64_t want, got;
    bool not_partial;           /* a body that is not a 206's: refused */
    bool too_long;
};

static pthread_once_t http_global_once = PTHREAD_ONCE_INIT;
static CURLcode http_global_rc;

static void
http_global_init(void)
{
    http_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

bool
ogawa_source_is_url(const char *path)
{
    return strncasecmp(path, "http://", 7) == 0 || strncasecmp(path, "https://", 8) == 0;
}

static void
http_share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *user)
{
    struct http_impl *im = user;
    (void)h;
    (void)access;
    pthread_mutex_lock(&im->share_locks[data]);
}

static void
http_share_unlock(CURL *h, curl_lock_data data, void *user)
{
    struct http_impl *im = user;
    (void)h;
    pthread_mutex_unlock(&im->share_locks[data]);
}

/* Copies a header's value (after "Name:"), trimmed, into dst. */
static void
http_header_value(const char *v, size_t n, char *dst, size_t cap)
{
    while (n > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static bool
http_header_is(const char *line, size_t n, const char *name, size_t *value_at)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return false;
    *value_at = k + 1;
    return true;
}

/* "bytes START-END/TOTAL", or "bytes star/TOTAL" for an unsatisfiable range. */
static void
http_parse_content_range(struct http_reply *r, const char *v)
{
    unsigned long long a, b, t;
    char star;
    if (sscanf(v, "bytes %llu-%llu/%llu", &a, &b, &t) == 3 && a <= b) {
        r->have_range = true;
        r->range_start = a;
        r->range_end = b;
        r->range_total = t;
    } else if (sscanf(v, "bytes %c/%llu", &star, &t) == 2 && star == '*') {
        r->have_range = true;
        r->range_start = 1;
        r->range_end = 0;       /* empty: start > end */
        r->range_total = t;
    }
}

static size_t
http_on_header(char *line, size_t size, size_t n, void *user)
{
    struct http_reply *r = user;
    size_t len = size * n, at;
    char value[HTTP_VALIDATOR_MAX];
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* A new response (after a redirect or a 100): forget the last. */
        struct http_reply keep = *r;
        memset(r, 0, sizeof *r);
        r->blocks = keep.blocks;
        r->want = keep.want;
        const char *sp = memchr(line, ' ', len);
        if (sp != NULL)
            r->status = strtol(sp + 1, NULL, 10);
    } else if (http_header_is(line, len, "etag", &at)) {
        http_header_value(line + at, len - at, r->etag, sizeof r->etag);
    } else if (http_header_is(line, len, "last-modified", &at)) {
        http_header_value(line + at, len - at, r->last_modified, sizeof r->last_modified);
    } else if (http_header_is(line, len, "content-range", &at)) {
        http_header_value(line + at, len - at, value, sizeof value);
        http_parse_content_range(r, value);
    }
    return len;
}

static size_t
http_on_body(char *data, size_t size, size_t n, void *user)
{
    struct http_reply *r = user;
    size_t len = size * n;
    if (r->status != 206) {
        /* Redirect and error bodies are discarded; a 200's body (the whole
         * file) is refused at its first byte, not downloaded. */
        if (r->status >= 200 && r->status < 300) {
            r->not_partial = true;
            return 0;
        }
        return len;
    }
    if (len > r->want - r->got) {
        r->too_long = true;
        return 0;
    }
    for (size_t done = 0; done < len;) {
        uint64_t at = r->got + done;
        uint64_t in = at % HTTP_BLOCK;
        uint64_t take = HTTP_BLOCK - in;
        if (take > len - done)
            take = len - done;
        memcpy(r->blocks[at / HTTP_BLOCK] + in, data + done, take);
        done += take;
    }
    r->got += len;
    return len;
}

static CURL *
http_handle_get(struct http_impl *im)
{
    pthread_mutex_lock(&im->pool_lock);
    CURL *h = im->n_pool > 0 ? im->pool[--im->n_pool] : NULL;
    pthread_mutex_unlock(&im->pool_lock);
    if (h != NULL)
        return h;
    h = curl_easy_init();
    if (h == NULL)
        return NULL;
    const char *protocols = im->https ? "https" : "http,https";
    curl_easy_setopt(h, CURLOPT_URL, im->url);
    curl_easy_setopt(h, CURLOPT_SHARE, im->share);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, im->https ? "https" : "http");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "abcfs/" "1");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, im->headers);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, im->timeout);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, im->timeout);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, (long)CURL_MAX_READ_SIZE);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http_on_header);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_on_body);
    return h;
}

static void
http_handle_put(struct http_impl *im, CURL *h)
{
    pthread_mutex_lock(&im->pool_lock);
    if (im->n_pool < HTTP_POOL_MAX) {
        im->pool[im->n_pool++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&im->pool_lock);
    if (h != NULL)
        curl_easy_cleanup(h);
}

/* Failures worth another try: the server may be back, or less busy. */
static bool
http_transient(CURLcode rc, long status)
{
    switch (rc) {
    case CURLE_OK:
        return status >= 500 || status == 408 || status == 429;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

static int
http_status_fail(long status, uint64_t off, struct ogawa_err *err)
{
    if (status == 404 || status == 410)
        return ogawa_source_io_fail(err, ENOENT, off, "the server has no such file (HTTP 404)");
    if (status == 401 || status == 403 || status == 407)
        return ogawa_source_io_fail(err, EACCES, off, "the server refused access to the archive");
    return ogawa_source_io_fail(err, EIO, off, "the server answered with an HTTP error");
}

/* Marks the source as changed: every read is EIO from now on. */
static int
http_changed(struct http_impl *im, uint64_t off, struct ogawa_err *err)
{
    __atomic_store_n(&im->changed, 1, __ATOMIC_RELAXED);
    return ogawa_source_io_fail(err, EIO, off, "the archive changed on the server since it was opened");
}

/*
 * One ranged GET of [off, off + len) into r->blocks, retried while the
 * failure may pass.  At open (opening set) the size and validators are
 * taken from the reply; afterwards they must equal the first ones.
 */
static int
http_fetch(ogawa_source *s, uint64_t off, uint64_t len, uint8_t **blocks, bool opening,
           struct http_reply *r, struct ogawa_err *err)
{
    struct http_impl *im = s->impl;
    char range[64];
    snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)off,
             (unsigned long long)(off + len - 1));
    CURL *h = http_handle_get(im);
    if (h == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, off, "out of memory for an HTTP request");
    curl_easy_setopt(h, CURLOPT_RANGE, range);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    int rc = 0;
    long pause_ms = HTTP_PAUSE_MS;
    for (int attempt = 1;; attempt++) {
        memset(r, 0, sizeof *r);
        r->blocks = blocks;
        r->want = len;
        CURLcode cc = curl_easy_perform(h);
        __atomic_fetch_add(&s->bytes_read, r->got, __ATOMIC_RELAXED);
        __atomic_fetch_add(&s->reads, 1, __ATOMIC_RELAXED);
        if (r->not_partial) {
            rc = ogawa_source_io_fail(err, 0, off,
                                      "the server ignores Range requests (200 instead of "
                                      "206): it cannot serve parts of the archive");
            break;
        }
        if (r->too_long) {
            rc = ogawa_source_io_fail(err, EIO, off, "the server sent more bytes than asked");
            break;
        }
        if (http_transient(cc, r->status)) {
            if (attempt >= HTTP_TRIES) {
                rc = cc != CURLE_OK
                         ? ogawa_source_io_fail(err, 0, off, curl_easy_strerror(cc))
                         : ogawa_source_io_fail(err, EIO, off, "the server keeps failing (5xx)");
                break;
            }
            struct timespec ts = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            pause_ms *= 2;
            continue;
        }
        if (cc != CURLE_OK) {
            rc = ogawa_source_io_fail(err, 0, off, curl_easy_strerror(cc));
            break;
        }
        if (opening && r->status == 416 && r->have_range && r->range_total == 0)
            break;      /* an empty file: the archive open refuses it */
        if (r->status != 206) {
            rc = http_status_fail(r->status, off, err);
            break;
        }
        if (!r->have_range) {
            rc = ogawa_source_io_fail(err, EIO, off, "a partial reply without Content-Range");
            break;
        }
        if (opening)
            break;      /* the caller takes size and validators from r */
        if (r->range_total != s->size || strcmp(r->etag, im->etag) != 0 ||
            strcmp(r->last_modified, im->last_modified) != 0) {
            rc = http_changed(im, off, err);
            break;
        }
        if (r->range_start != off || r->range_end != off + len - 1 || r->got != len) {
            rc = ogawa_source_io_fail(err, EIO, off, "the server sent another range than asked");
            break;
        }
        break;
    }
    curl_easy_setopt(h, CURLOPT_HEADERDATA, NULL);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
    http_handle_put(im, h);
    return rc;
}

static uint64_t
http_block_len(const ogawa_source *s, uint64_t idx)
{
    uint64_t start = idx * HTTP_BLOCK;
    return s->size - start < HTTP_BLOCK ? s->size - start : HTTP_BLOCK;
}

/* Set by http_read for the fills it causes: the read is part of a
 * sequential stream (it continues where the last read ended and the stream
 * is already two blocks long, or it spans two blocks itself). */
static _Thread_local bool http_streaming;

/*
 * The block cache's fill for block idx.  For a sequential reader, the
 * blocks after idx that nobody holds or fetches are claimed and fetched in
 * the same request.  Scattered small reads (metadata) fetch one block.
 */
static int
http_fill(ogawa_source *s, uint64_t idx, uint8_t *buf, uint64_t len, struct ogawa_err *err)
{
    struct http_impl *im = s->impl;
    if (__atomic_load_n(&im->changed, __ATOMIC_RELAXED))
        return ogawa_source_io_fail(err, EIO, idx * HTTP_BLOCK,
                                    "the archive changed on the server since it was opened");
    uint8_t *blocks[HTTP_RUN_MAX];
    uint64_t n = 1;
    blocks[0] = buf;
    if (http_streaming) {
        while (n < im->run_max && idx + n < im->n_blocks) {
            uint64_t blen = http_block_len(s, idx + n);
            blocks[n] = malloc(blen);
            if (blocks[n] == NULL)
                break;
            if (!ogawa_block_cache_claim(s->cache, idx + n, blen)) {
                free(blocks[n]);
                break;
            }
            n++;
        }
    }
    (void)len;      /* http_block_len(s, idx): the fill of the whole block */
    uint64_t total = (n - 1) * HTTP_BLOCK + http_block_len(s, idx + n - 1);
    struct http_reply r;
    int rc = http_fetch(s, idx * HTTP_BLOCK, total, blocks, false, &r, err);
    for (uint64_t k = 1; k < n; k++) {
        ogawa_block_cache_land(s->cache, idx + k, rc == 0 ? blocks[k] : NULL);
        if (rc != 0)
            free(blocks[k]);
    }
    return rc;
}

static int
http_read(ogawa_source *s, uint64_t off, void *buf, uint64_t len, struct ogawa_err *err)
{
    struct http_impl *im = s->impl;
    /* Concurrent readers race on these two: only the guess suffers. */
    uint64_t streak = __atomic_load_n(&im->last_end, __ATOMIC_RELAXED) == off
                          ? __atomic_load_n(&im->streak, __ATOMIC_RELAXED) + len
                          : len;
    __atomic_store_n(&im->streak, streak, __ATOMIC_RELAXED);
    __atomic_store_n(&im->last_end, off + len, __ATOMIC_RELAXED);
    http_streaming = streak >= 2 * HTTP_BLOCK;
    uint8_t *p = buf;
    while (len > 0) {
        uint64_t idx = off / HTTP_BLOCK, in = off % HTTP_BLOCK;
        uint64_t blen = http_block_len(s, idx);
        uint64_t take = blen - in < len ? blen - in : len;
        int rc = ogawa_block_cache_copy(s->cache, s, idx, blen, in, p, take, http_fill, err);
        if (rc != 0)
            return rc;
        p += take;
        off += take;
        len -= take;
    }
    return 0;
}

static int
http_check(const ogawa_source *s, struct ogawa_err *err)
{
    const struct http_impl *im = s->impl;
    if (__atomic_load_n(&im->changed, __ATOMIC_RELAXED))
        return ogawa_source_io_fail(err, EIO, 0,
                                    "the archive changed on the server since it was opened");
    return 0;
}

static void
http_close(ogawa_source *s)
{
    struct http_impl *im = s->impl;
    if (im == NULL)
        return;
    for (unsigned k = 0; k < im->n_pool; k++)
        curl_easy_cleanup(im->pool[k]);
    if (im->share != NULL)
        curl_share_cleanup(im->share);
    for (int k = 0; k < CURL_LOCK_DATA_LAST; k++)
        pthread_mutex_destroy(&im->share_locks[k]);
    pthread_mutex_destroy(&im->pool_lock);
    curl_slist_free_all(im->headers);
    free(im->url);
    free(im);
    s->impl = NULL;
}

static const struct ogawa_source_ops http_ops = {
    .read = http_read,
    .close = http_close,
    .check = http_check,
};

static struct http_impl *
http_impl_new(const char *url, const struct ogawa_open_opts *opts)
{
    struct http_impl *im = calloc(1, sizeof *im);
    if (im == NULL)
        return NULL;
    for (int k = 0; k < CURL_LOCK_DATA_LAST; k++)
        pthread_mutex_init(&im->share_locks[k], NULL);
    pthread_mutex_init(&im->pool_lock, NULL);
    im->https = strncasecmp(url, "https://", 8) == 0;
    im->timeout = opts && opts->http_timeout ? (long)opts->http_timeout : HTTP_TIMEOUT_DEFAULT;
    im->url = strdup(url);
    im->share = curl_share_init();
    bool ok = im->url != NULL && im->share != NULL;
    if (ok) {
        curl_share_setopt(im->share, CURLSHOPT_LOCKFUNC, http_share_lock);
        curl_share_setopt(im->share, CURLSHOPT_UNLOCKFUNC, http_share_unlock);
        curl_share_setopt(im->share, CURLSHOPT_USERDATA, im);
        curl_share_setopt(im->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
        curl_share_setopt(im->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(im->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    for (size_t k = 0; ok && opts && k < opts->n_http_headers; k++) {
        struct curl_slist *l = curl_slist_append(im->headers, opts->http_headers[k]);
        if (l == NULL)
            ok = false;
        else
            im->headers = l;
    }
    return ok ? im : (free(im->url), curl_share_cleanup(im->share),
                      curl_slist_free_all(im->headers), free(im), NULL);
}

int
ogawa_source_http_open(const char *url, const struct ogawa_open_opts *opts, ogawa_source **out,
                       struct ogawa_err *err)
{
    *out = NULL;
    pthread_once(&http_global_once, http_global_init);
    if (http_global_rc != CURLE_OK)
        return ogawa_source_io_fail(err, 0, 0, curl_easy_strerror(http_global_rc));
    ogawa_source *s = calloc(1, sizeof *s);
    if (s == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory opening archive");
    s->fd = -1;
    s->ops = &http_ops;
    s->kind = OGAWA_SOURCE_HTTP;
    s->impl = http_impl_new(url, opts);
    uint8_t *first = malloc(HTTP_BLOCK);
    if (s->impl == NULL || first == NULL) {
        free(first);
        ogawa_source_close(s);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory opening archive");
    }
    struct http_impl *im = s->impl;
    struct http_reply r;
    uint8_t *blocks[1] = {first};
    int rc = http_fetch(s, 0, HTTP_BLOCK, blocks, true, &r, err);
    if (rc != 0) {
        free(first);
        ogawa_source_close(s);
        return rc;
    }
    s->size = r.range_total;
    uint64_t first_len = s->size < HTTP_BLOCK ? s->size : HTTP_BLOCK;
    if (s->size > 0 && (r.range_start != 0 || r.range_end != first_len - 1 || r.got != first_len)) {
        free(first);
        ogawa_source_close(s);
        return ogawa_source_io_fail(err, EIO, 0, "the server sent another range than asked");
    }
    memcpy(im->etag, r.etag, sizeof im->etag);
    memcpy(im->last_modified, r.last_modified, sizeof im->last_modified);
    s->id.size = s->size;
    if (r.last_modified[0] != '\0') {
        time_t t = curl_getdate(r.last_modified, NULL);
        if (t > 0)
            s->id.mtime_sec = s->id.ctime_sec = (int64_t)t;
    }
    im->n_blocks = (s->size + HTTP_BLOCK - 1) / HTTP_BLOCK;
    uint64_t cap = opts && opts->cache_bytes ? opts->cache_bytes : OGAWA_CACHE_DEFAULT;
    /* A run may not take more than a quarter of the cache: it would evict
     * what the other readers are using. */
    im->run_max = cap / 4 / HTTP_BLOCK;
    if (im->run_max > HTTP_RUN_MAX)
        im->run_max = HTTP_RUN_MAX;
    if (im->run_max < 1)
        im->run_max = 1;
    s->cache = ogawa_block_cache_new(cap, im->n_blocks);
    if (s->cache == NULL) {
        free(first);
        ogawa_source_close(s);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory opening archive");
    }
    if (s->size > 0 && ogawa_block_cache_claim(s->cache, 0, first_len))
        ogawa_block_cache_land(s->cache, 0, first);
    else
        free(first);
    *out = s;
    return 0;
}
