/*
 * test_source_http.c — the HTTP source against a small HTTP/1.1 server in
 * this process (127.0.0.1, a thread per connection, keep-alive), whose
 * answers the tests steer: Range honoured or ignored, 503 a number of
 * times, the ETag changed.  Checked: size and bytes of any range, one
 * request for concurrent misses on one block, a run of blocks for a
 * sequential reader, 200 refused at open, retries of 503 then recovery,
 * EIO after the file changed (and ogawa_source_check), 404 refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "source.h"

#define DATA_LEN ((size_t)1000000)
#define BLOCK (64 * 1024)

static uint8_t *data;
static int listen_fd;
static int port;
static int requests;            /* atomic */
static int ignore_range;        /* atomic: answer 200 with the whole file */
static int fail_503;            /* atomic: answer 503 this many more times */
static char etag[32] = "\"v1\"";
static pthread_mutex_t etag_lock = PTHREAD_MUTEX_INITIALIZER;

static int
send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static void *
serve_connection(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char req[8192];
    size_t have = 0;
    for (;;) {
        char *end;
        while ((end = memmem(req, have, "\r\n\r\n", 4)) == NULL) {
            ssize_t k = recv(fd, req + have, sizeof req - have - 1, 0);
            if (k <= 0 || have + (size_t)k >= sizeof req - 1)
                goto out;
            have += (size_t)k;
        }
        size_t used = (size_t)(end + 4 - req);
        req[used - 1] = '\0';
        __atomic_fetch_add(&requests, 1, __ATOMIC_SEQ_CST);
        char tag[32];
        pthread_mutex_lock(&etag_lock);
        memcpy(tag, etag, sizeof tag);
        pthread_mutex_unlock(&etag_lock);
        char head[512];
        int n;
        unsigned long long a = 0, b = DATA_LEN - 1;
        const char *r = strstr(req, "Range: bytes=");
        if (__atomic_load_n(&fail_503, __ATOMIC_SEQ_CST) > 0) {
            __atomic_fetch_sub(&fail_503, 1, __ATOMIC_SEQ_CST);
            n = snprintf(head, sizeof head,
                         "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n");
            if (send_all(fd, head, (size_t)n) != 0)
                goto out;
        } else if (strstr(req, "GET /missing") == req) {
            n = snprintf(head, sizeof head, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            if (send_all(fd, head, (size_t)n) != 0)
                goto out;
        } else if (r == NULL || __atomic_load_n(&ignore_range, __ATOMIC_SEQ_CST)) {
            n = snprintf(head, sizeof head,
                         "HTTP/1.1 200 OK\r\nETag: %s\r\nContent-Length: %zu\r\n\r\n", tag,
                         DATA_LEN);
            if (send_all(fd, head, (size_t)n) != 0 || send_all(fd, data, DATA_LEN) != 0)
                goto out;
        } else {
            sscanf(r, "Range: bytes=%llu-%llu", &a, &b);
            if (b >= DATA_LEN)
                b = DATA_LEN - 1;
            n = snprintf(head, sizeof head,
                         "HTTP/1.1 206 Partial Content\r\nETag: %s\r\n"
                         "Last-Modified: Tue, 01 Dec 2026 10:00:00 GMT\r\n"
                         "Content-Range: bytes %llu-%llu/%zu\r\nContent-Length: %llu\r\n\r\n",
                         tag, a, b, DATA_LEN, b - a + 1);
            if (send_all(fd, head, (size_t)n) != 0 || send_all(fd, data + a, b - a + 1) != 0)
                goto out;
        }
        memmove(req, req + used, have - used);
        have -= used;
    }
out:
    close(fd);
    return NULL;
}

static void *
serve(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        pthread_t t;
        pthread_create(&t, NULL, serve_connection, (void *)(intptr_t)fd);
        pthread_detach(t);
    }
}

static int
setup(void **state)
{
    (void)state;
    data = malloc(DATA_LEN);
    for (size_t i = 0; i < DATA_LEN; i++)
        data[i] = (uint8_t)(i * 7 + i / 1000);
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (bind(listen_fd, (struct sockaddr *)&sa, len) != 0 || listen(listen_fd, 64) != 0 ||
        getsockname(listen_fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    port = ntohs(sa.sin_port);
    pthread_t t;
    pthread_create(&t, NULL, serve, NULL);
    pthread_detach(t);
    return 0;
}

static char *
url(const char *path)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "http://127.0.0.1:%d/%s", port, path);
    return buf;
}

static ogawa_source *
open_ok(void)
{
    ogawa_source *s = NULL;
    struct ogawa_err err = {0};
    assert_int_equal(ogawa_source_open(url("a.abc"), NULL, &s, &err), 0);
    return s;
}

static void
test_reads(void **state)
{
    (void)state;
    ogawa_source *s = open_ok();
    assert_int_equal(ogawa_source_kind(s), OGAWA_SOURCE_HTTP);
    assert_string_equal(ogawa_source_kind_name(s), "http");
    assert_int_equal(ogawa_source_size(s), DATA_LEN);
    assert_int_equal(ogawa_source_fd(s, NULL), -1);
    uint8_t *buf = malloc(DATA_LEN);
    struct ogawa_err err = {0};
    /* Ranges inside one block, across blocks, the last bytes, all. */
    const uint64_t ranges[][2] = {{0, 16}, {BLOCK - 3, 10}, {DATA_LEN - 5, 5},
                                  {300000, 200000}, {0, DATA_LEN}};
    for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
        memset(buf, 0, DATA_LEN);
        assert_int_equal(ogawa_source_pread(s, ranges[k][0], buf, ranges[k][1], &err), 0);
        assert_memory_equal(buf, data + ranges[k][0], ranges[k][1]);
    }
    assert_int_equal(ogawa_source_pread(s, DATA_LEN - 1, buf, 2, &err), OGAWA_E_CORRUPT);
    assert_int_equal(ogawa_source_check(s, &err), 0);
    struct ogawa_source_stats st;
    ogawa_source_stats(s, &st);
    assert_true(st.bytes_read >= DATA_LEN && st.bytes_read < DATA_LEN + 2 * BLOCK);
    free(buf);
    ogawa_source_close(s);
}

struct reader {
    ogawa_source *s;
    pthread_barrier_t *go;
    int rc;
};

static void *
read_block_five(void *arg)
{
    struct reader *r = arg;
    uint8_t b[100];
    struct ogawa_err err = {0};
    pthread_barrier_wait(r->go);
    r->rc = ogawa_source_pread(r->s, 5 * BLOCK + 1000, b, sizeof b, &err);
    if (r->rc == 0 && memcmp(b, data + 5 * BLOCK + 1000, sizeof b) != 0)
        r->rc = -1;
    return NULL;
}

static void
test_one_request_per_block(void **state)
{
    (void)state;
    for (int round = 0; round < 10; round++) {
        ogawa_source *s = open_ok();
        int before = __atomic_load_n(&requests, __ATOMIC_SEQ_CST);
        enum { N = 8 };
        pthread_t t[N];
        struct reader r[N];
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, N);
        for (int i = 0; i < N; i++) {
            r[i] = (struct reader){s, &go, 0};
            pthread_create(&t[i], NULL, read_block_five, &r[i]);
        }
        for (int i = 0; i < N; i++) {
            pthread_join(t[i], NULL);
            assert_int_equal(r[i].rc, 0);
        }
        pthread_barrier_destroy(&go);
        assert_int_equal(__atomic_load_n(&requests, __ATOMIC_SEQ_CST) - before, 1);
        ogawa_source_close(s);
    }
}

static void
test_sequential_runs(void **state)
{
    (void)state;
    ogawa_source *s = open_ok();
    int before = __atomic_load_n(&requests, __ATOMIC_SEQ_CST);
    uint8_t *buf = malloc(DATA_LEN);
    struct ogawa_err err = {0};
    /* 128 KiB reads back to back, as the kernel sends them. */
    for (uint64_t off = BLOCK; off < DATA_LEN; off += 2 * BLOCK) {
        uint64_t n = DATA_LEN - off < 2 * BLOCK ? DATA_LEN - off : 2 * BLOCK;
        assert_int_equal(ogawa_source_pread(s, off, buf + off, n, &err), 0);
    }
    assert_memory_equal(buf + BLOCK, data + BLOCK, DATA_LEN - BLOCK);
    int made = __atomic_load_n(&requests, __ATOMIC_SEQ_CST) - before;
    assert_true(made >= 1 && made <= 3);    /* 15 blocks, not 15 requests */
    free(buf);
    ogawa_source_close(s);
}

static void
test_range_ignored(void **state)
{
    (void)state;
    __atomic_store_n(&ignore_range, 1, __ATOMIC_SEQ_CST);
    ogawa_source *s = NULL;
    struct ogawa_err err = {0};
    assert_int_equal(ogawa_source_open(url("a.abc"), NULL, &s, &err), OGAWA_E_IO);
    assert_null(s);
    assert_non_null(strstr(err.msg, "Range"));
    __atomic_store_n(&ignore_range, 0, __ATOMIC_SEQ_CST);
    assert_int_equal(ogawa_source_open(url("missing.abc"), NULL, &s, &err), OGAWA_E_IO);
    assert_int_equal(err.sys_errno, ENOENT);
}

static void
test_retry_then_recover(void **state)
{
    (void)state;
    ogawa_source *s = open_ok();
    uint8_t b[64];
    struct ogawa_err err = {0};
    /* Two 503s: retried, the read succeeds. */
    __atomic_store_n(&fail_503, 2, __ATOMIC_SEQ_CST);
    assert_int_equal(ogawa_source_pread(s, 3 * BLOCK, b, sizeof b, &err), 0);
    assert_memory_equal(b, data + 3 * BLOCK, sizeof b);
    /* More than the tries: EIO, then the next read recovers. */
    __atomic_store_n(&fail_503, 100, __ATOMIC_SEQ_CST);
    assert_int_equal(ogawa_source_pread(s, 7 * BLOCK, b, sizeof b, &err), OGAWA_E_IO);
    __atomic_store_n(&fail_503, 0, __ATOMIC_SEQ_CST);
    assert_int_equal(ogawa_source_pread(s, 7 * BLOCK, b, sizeof b, &err), 0);
    assert_memory_equal(b, data + 7 * BLOCK, sizeof b);
    assert_int_equal(ogawa_source_check(s, &err), 0);
    ogawa_source_close(s);
}

static void
test_changed(void **state)
{
    (void)state;
    ogawa_source *s = open_ok();
    uint8_t b[64];
    struct ogawa_err err = {0};
    assert_int_equal(ogawa_source_pread(s, 2 * BLOCK, b, sizeof b, &err), 0);
    pthread_mutex_lock(&etag_lock);
    strcpy(etag, "\"v2\"");
    pthread_mutex_unlock(&etag_lock);
    assert_int_equal(ogawa_source_check(s, &err), 0);   /* not known yet */
    assert_int_equal(ogawa_source_pread(s, 9 * BLOCK, b, sizeof b, &err), OGAWA_E_IO);
    assert_int_equal(err.sys_errno, EIO);
    assert_int_equal(ogawa_source_check(s, &err), OGAWA_E_IO);
    assert_int_equal(ogawa_source_pread(s, 11 * BLOCK, b, sizeof b, &err), OGAWA_E_IO);
    ogawa_source_close(s);
    s = open_ok();      /* a new open takes the new identity */
    assert_int_equal(ogawa_source_pread(s, 9 * BLOCK, b, sizeof b, &err), 0);
    ogawa_source_close(s);
    pthread_mutex_lock(&etag_lock);
    strcpy(etag, "\"v1\"");
    pthread_mutex_unlock(&etag_lock);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads),
        cmocka_unit_test(test_one_request_per_block),
        cmocka_unit_test(test_sequential_runs),
        cmocka_unit_test(test_range_ignored),
        cmocka_unit_test(test_retry_then_recover),
        cmocka_unit_test(test_changed),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
