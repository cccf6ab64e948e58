/*
 * write_ogawa.c — the Ogawa container writer: an append-only file of data
 * and group blocks (ogawa-format.md §1.1–§1.5).
 *
 * Every block goes to the current end of the archive, with no padding, in
 * the order the layer above asks for them: that order alone decides the
 * bytes (§1.5, §7).  Groups are written whole when their owner is
 * finished, so there is never an in-place patch except the header: at
 * close the root offset is stored at bytes 8..15 and then, as the very
 * last write, 0xFF at byte 5 (§1.1).  A writer that dies before that
 * leaves frozen = 0, which readers refuse.
 *
 * Writes go through one bounded buffer (WBUF_CAP): blocks are small
 * (8-byte sizes, 16-byte keys, short headers) and one write(2) per piece,
 * as the C++ library does with its flush after every write, would cost a
 * system call per few bytes.  A payload at least half the buffer's size
 * bypasses it (written in 4 MiB pieces after its size and key went through
 * the buffer), so memory stays bounded whatever the sample sizes.  The buffer is not a cache of the
 * file: ogawa_writer_read serves the bytes still in it and preads the rest,
 * which is what de-duplication uses to compare payloads.
 *
 * Offsets are archive offsets, relative to the position of the header in
 * the fd (the C++ library does the same on a positioned stream); pwrite is
 * used throughout, so the fd must be seekable.
 *
 * Errors are sticky: after the first failed write every call returns the
 * same error, and close does not freeze the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "write_int.h"

#define WBUF_CAP (1u << 20)     /* bytes buffered before a pwrite */
#define DIRECT_CHUNK (4u << 20) /* largest single pwrite of a big payload */

struct ogawa_writer {
    int fd;                     /* owned */
    uint64_t base;              /* fd position of archive offset 0 */
    uint64_t end;               /* archive size: bytes appended so far, buffer included */
    uint8_t *buf;               /* pending bytes, archive offsets [end - buf_len, end) */
    size_t buf_len;
    int failed;                 /* sticky error code, 0 while healthy */
    struct ogawa_err fail_err;
};

static int
ogawa_writer_sys(ogawa_writer *w, int e, const char *msg, struct ogawa_err *err)
{
    if (!w->failed) {
        w->failed = OGAWA_E_IO;
        ogawa_fail(&w->fail_err, OGAWA_E_IO, w->end, msg);
        w->fail_err.sys_errno = e;
    }
    if (err) {
        *err = w->fail_err;
    }
    return w->failed;
}

static int
ogawa_writer_check(ogawa_writer *w, struct ogawa_err *err)
{
    if (!w->failed)
        return 0;
    if (err)
        *err = w->fail_err;
    return w->failed;
}

/* pwrite of the whole range, retrying short writes and EINTR. */
static int
ogawa_writer_pwrite(ogawa_writer *w, const void *data, size_t len, uint64_t off,
                    struct ogawa_err *err)
{
    const uint8_t *p = data;
    while (len > 0) {
        size_t chunk = len > (size_t)INT_MAX ? (size_t)INT_MAX : len;
        ssize_t r = pwrite(w->fd, p, chunk, (off_t)(w->base + off));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return ogawa_writer_sys(w, errno, "write to the archive failed", err);
        }
        if (r == 0)
            return ogawa_writer_sys(w, EIO, "write to the archive made no progress", err);
        p += r;
        off += (uint64_t)r;
        len -= (size_t)r;
    }
    return 0;
}

static int
ogawa_writer_flush(ogawa_writer *w, struct ogawa_err *err)
{
    if (w->buf_len == 0)
        return 0;
    int rc = ogawa_writer_pwrite(w, w->buf, w->buf_len, w->end - w->buf_len, err);
    if (rc == 0)
        w->buf_len = 0;
    return rc;
}

/* Appends bytes at the end of the archive: small pieces through the
 * buffer, large ones (payloads) straight to the file in DIRECT_CHUNK
 * writes — one huge write(2) stalls in the kernel's dirty-page throttling
 * far longer than the same bytes in pieces. */
static int
ogawa_writer_append(ogawa_writer *w, const struct iovec *iov, int n_iov, uint64_t total,
                    struct ogawa_err *err)
{
    (void)total;
    for (int i = 0; i < n_iov; i++) {
        const uint8_t *p = iov[i].iov_base;
        size_t len = iov[i].iov_len;
        if (len < WBUF_CAP / 2) {
            if (w->buf_len + len > WBUF_CAP) {
                int rc = ogawa_writer_flush(w, err);
                if (rc)
                    return rc;
            }
            if (len)
                memcpy(w->buf + w->buf_len, p, len);
            w->buf_len += len;
            w->end += len;
            continue;
        }
        int rc = ogawa_writer_flush(w, err);
        if (rc)
            return rc;
        while (len > 0) {
            size_t chunk = len < DIRECT_CHUNK ? len : DIRECT_CHUNK;
            rc = ogawa_writer_pwrite(w, p, chunk, w->end, err);
            if (rc)
                return rc;
            p += chunk;
            len -= chunk;
            w->end += chunk;
        }
    }
    return 0;
}

int
ogawa_writer_open_fd(int fd, ogawa_writer **out, struct ogawa_err *err)
{
    *out = NULL;
    off_t pos = lseek(fd, 0, SEEK_CUR);
    if (pos < 0) {
        int e = errno;
        close(fd);
        ogawa_fail(err, OGAWA_E_IO, 0, "archive output is not seekable");
        if (err)
            err->sys_errno = e;
        return OGAWA_E_IO;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_APPEND)) {
        /* Linux pwrite appends on such an fd: the header patch would land
         * at the end. */
        close(fd);
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "archive output is opened in append mode");
    }
    ogawa_writer *w = calloc(1, sizeof(*w));
    uint8_t *buf = malloc(WBUF_CAP);
    if (!w || !buf) {
        free(w);
        free(buf);
        close(fd);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory creating the archive writer");
    }
    w->fd = fd;
    w->base = (uint64_t)pos;
    w->buf = buf;
    /* §1.1: magic, frozen 0 while writing, version 1 big-endian, root 0. */
    static const uint8_t header[OGAWA_HEADER_LEN] = {'O', 'g', 'a', 'w', 'a', 0x00, 0x00, 0x01};
    struct iovec iov = {(void *)header, sizeof(header)};
    int rc = ogawa_writer_append(w, &iov, 1, sizeof(header), err);
    if (rc == 0)
        rc = ogawa_writer_flush(w, err); /* the header is on disk before any block */
    if (rc) {
        ogawa_writer_abort(w);
        return rc;
    }
    *out = w;
    return 0;
}

int
ogawa_writer_data(ogawa_writer *w, const struct iovec *iov, int n_iov, uint64_t *slot,
                  struct ogawa_err *err)
{
    int rc = ogawa_writer_check(w, err);
    if (rc)
        return rc;
    uint64_t total = 0;
    for (int i = 0; i < n_iov; i++)
        total += iov[i].iov_len;
    if (total == 0) {
        *slot = OGAWA_EMPTY_DATA;   /* §1.4: never stored */
        return 0;
    }
    struct iovec parts[8];
    if (n_iov > 7)
        return ogawa_fail(err, OGAWA_E_INVAL, 0, "too many pieces for one data block");
    uint8_t size[8];
    abc_put_u64(size, total);
    parts[0].iov_base = size;
    parts[0].iov_len = 8;
    memcpy(parts + 1, iov, (size_t)n_iov * sizeof(*iov));
    uint64_t off = w->end;
    rc = ogawa_writer_append(w, parts, n_iov + 1, total + 8, err);
    if (rc)
        return rc;
    *slot = off | OGAWA_SLOT_DATA_BIT;
    return 0;
}

int
ogawa_writer_group(ogawa_writer *w, const uint64_t *slots, uint64_t n, uint64_t *slot,
                   struct ogawa_err *err)
{
    int rc = ogawa_writer_check(w, err);
    if (rc)
        return rc;
    if (n == 0) {
        *slot = OGAWA_EMPTY_GROUP;  /* §1.3: never stored */
        return 0;
    }
    uint64_t off = w->end;
    uint8_t tmp[8 * 64];
    abc_put_u64(tmp, n);
    size_t used = 8;
    /* Slots are native u64 on a little-endian host; encode explicitly in
     * chunks anyway so the block is correct everywhere. */
    struct iovec iov;
    uint64_t i = 0;
    while (i < n || used > 0) {
        while (i < n && used + 8 <= sizeof(tmp)) {
            abc_put_u64(tmp + used, slots[i]);
            used += 8;
            i++;
        }
        iov.iov_base = tmp;
        iov.iov_len = used;
        rc = ogawa_writer_append(w, &iov, 1, used, err);
        if (rc)
            return rc;
        used = 0;
    }
    *slot = off;
    return 0;
}

int
ogawa_writer_read(ogawa_writer *w, uint64_t off, void *buf, uint64_t len, struct ogawa_err *err)
{
    int rc = ogawa_writer_check(w, err);
    if (rc)
        return rc;
    if (!ogawa_range_ok(off, len, w->end))
        return ogawa_fail(err, OGAWA_E_INVAL, off, "read back past the end of the archive");
    uint8_t *p = buf;
    uint64_t buf_start = w->end - w->buf_len;
    /* Part in the file. */
    while (len > 0 && off < buf_start) {
        uint64_t chunk = buf_start - off < len ? buf_start - off : len;
        if (chunk > (uint64_t)INT_MAX)
            chunk = INT_MAX;
        ssize_t r = pread(w->fd, p, (size_t)chunk, (off_t)(w->base + off));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            /* Not a write failure: report without poisoning the writer. */
            ogawa_fail(err, OGAWA_E_IO, off, "reading back from the archive failed");
            if (err)
                err->sys_errno = errno;
            return OGAWA_E_IO;
        }
        if (r == 0) {
            ogawa_fail(err, OGAWA_E_IO, off, "archive shrank while writing");
            if (err)
                err->sys_errno = EIO;
            return OGAWA_E_IO;
        }
        p += r;
        off += (uint64_t)r;
        len -= (uint64_t)r;
    }
    /* Part still buffered. */
    if (len > 0)
        memcpy(p, w->buf + (off - buf_start), (size_t)len);
    return 0;
}

uint64_t
ogawa_writer_size(const ogawa_writer *w)
{
    return w->end;
}

int
ogawa_writer_close(ogawa_writer *w, uint64_t root_slot, struct ogawa_err *err)
{
    int rc = ogawa_writer_check(w, err);
    if (rc == 0)
        rc = ogawa_writer_flush(w, err);
    if (rc == 0) {
        /* §1.1: root offset first, the frozen byte strictly last. */
        uint8_t root[8];
        abc_put_u64(root, root_slot);
        rc = ogawa_writer_pwrite(w, root, 8, 8, err);
    }
    if (rc == 0) {
        static const uint8_t frozen = 0xFF;
        rc = ogawa_writer_pwrite(w, &frozen, 1, 5, err);
    }
    if (close(w->fd) != 0 && rc == 0)
        rc = ogawa_writer_sys(w, errno, "closing the archive failed", err);
    w->fd = -1;
    free(w->buf);
    free(w);
    return rc;
}

void
ogawa_writer_abort(ogawa_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0) {
        /* Push what we have so a post-mortem sees it, but never freeze. */
        (void)ogawa_writer_flush(w, NULL);
        close(w->fd);
    }
    free(w->buf);
    free(w);
}
