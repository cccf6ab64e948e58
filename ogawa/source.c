/*
 * source.c — opening a source by what its first bytes are, and what every
 * kind shares: the counted pread of the underlying file, the identity, the
 * counters and the range check of a read.
 */
#include "source_int.h"

#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
ogawa_source_io_fail(struct ogawa_err *err, int sys_errno, uint64_t off, const char *msg)
{
    ogawa_fail(err, OGAWA_E_IO, off, msg);
    if (err)
        err->sys_errno = sys_errno;
    return OGAWA_E_IO;
}

int
ogawa_source_raw_pread(ogawa_source *s, uint64_t off, void *buf, uint64_t len,
                       struct ogawa_err *err)
{
    uint8_t *p = buf;
    uint64_t done = 0;
    while (done < len) {
        ssize_t got = pread(s->fd, p + done, len - done, (off_t)(off + done));
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return ogawa_source_io_fail(err, errno, off, "cannot read archive");
        }
        if (got == 0)
            return ogawa_source_io_fail(err, EIO, off,
                                        "archive is shorter than when it was opened");
        done += (uint64_t)got;
    }
    __atomic_fetch_add(&s->bytes_read, len, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->reads, 1, __ATOMIC_RELAXED);
    return 0;
}

int
ogawa_source_open(const char *path, const struct ogawa_open_opts *opts, ogawa_source **out,
                  struct ogawa_err *err)
{
    *out = NULL;
    if (ogawa_source_is_url(path))
        return ogawa_source_http_open(path, opts, out, err);
    /* O_NONBLOCK: a FIFO put where an archive was expected (a directory
     * mount opens whatever the name holds now) must not hang the open; it
     * is refused below, and the flag is cleared for the file's reads. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return ogawa_source_io_fail(err, errno, 0, "cannot open archive");
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        return ogawa_source_io_fail(err, e, 0, "cannot open archive");
    }
    return ogawa_source_open_fd(fd, opts, out, err);
}

/* The part of every open: fstat, a directory refused, the identity. */
static int
ogawa_source_new(int fd, ogawa_source **out, struct ogawa_err *err)
{
    *out = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return ogawa_source_io_fail(err, e, 0, "cannot stat archive");
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return ogawa_source_io_fail(err, EISDIR, 0, "archive is a directory");
    }
    /* Pipes, sockets and character devices have no stable bytes to pread. */
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode)) {
        close(fd);
        return ogawa_source_io_fail(err, EINVAL, 0, "archive is not a regular file");
    }
    ogawa_source *s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory opening archive");
    }
    s->fd = fd;
    s->id = (struct ogawa_source_identity){
        .dev = (uint64_t)st.st_dev, .ino = (uint64_t)st.st_ino, .size = (uint64_t)st.st_size,
        .mtime_sec = st.st_mtim.tv_sec, .mtime_nsec = st.st_mtim.tv_nsec,
        .ctime_sec = st.st_ctim.tv_sec, .ctime_nsec = st.st_ctim.tv_nsec,
    };
    *out = s;
    return 0;
}

int
ogawa_source_open_plain_fd(int fd, ogawa_source **out, struct ogawa_err *err)
{
    int rc = ogawa_source_new(fd, out, err);
    if (rc == 0)
        rc = ogawa_source_file_init(*out, err);
    return rc;
}

int
ogawa_source_open_fd(int fd, const struct ogawa_open_opts *opts, ogawa_source **out,
                     struct ogawa_err *err)
{
    ogawa_source *s;
    int rc = ogawa_source_new(fd, &s, err);
    if (rc)
        return rc;
    /* The kind is in the first bytes, not the name: gzip's magic is 1f 8b
     * (RFC 1952), which no Ogawa or HDF5 file starts with. */
    uint8_t magic[2];
    bool gzip = false;
    if (s->id.size >= 2) {
        rc = ogawa_source_raw_pread(s, 0, magic, 2, err);
        gzip = rc == 0 && magic[0] == 0x1f && magic[1] == 0x8b;
    }
    if (rc == 0 && gzip) {
        bool not_bgzf = false;
        rc = ogawa_source_bgzf_init(s, opts, &not_bgzf, err);
        if (rc == 0 && not_bgzf)
            rc = ogawa_source_gzip_init(s, opts, err);
    } else if (rc == 0) {
        rc = ogawa_source_file_init(s, err);
    }
    if (rc != 0) {
        ogawa_source_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void
ogawa_source_close(ogawa_source *s)
{
    if (!s)
        return;
    if (s->ops && s->ops->close)
        s->ops->close(s);
    ogawa_block_cache_free(s->cache);
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

enum ogawa_source_kind ogawa_source_kind(const ogawa_source *s) { return s->kind; }
uint64_t ogawa_source_size(const ogawa_source *s) { return s->size; }
const struct ogawa_source_identity *ogawa_source_identity(const ogawa_source *s) { return &s->id; }

const char *
ogawa_source_kind_name(const ogawa_source *s)
{
    switch (s->kind) {
    case OGAWA_SOURCE_FILE: return "file";
    case OGAWA_SOURCE_BGZF: return "bgzf";
    case OGAWA_SOURCE_GZIP: return "gzip";
    case OGAWA_SOURCE_HTTP: return "http";
    }
    return "unknown";
}

int
ogawa_source_fd(const ogawa_source *s, uint64_t *base)
{
    if (base)
        *base = 0;
    return s->kind == OGAWA_SOURCE_FILE ? s->fd : -1;
}

int
ogawa_source_check(const ogawa_source *s, struct ogawa_err *err)
{
    if (s->ops && s->ops->check)
        return s->ops->check(s, err);
    struct stat st;
    if (fstat(s->fd, &st) != 0)
        return ogawa_source_io_fail(err, errno, 0, "cannot stat the archive");
    const struct ogawa_source_identity *id = &s->id;
    if ((uint64_t)st.st_dev != id->dev || (uint64_t)st.st_ino != id->ino ||
        (uint64_t)st.st_size != id->size || st.st_mtim.tv_sec != id->mtime_sec ||
        st.st_mtim.tv_nsec != id->mtime_nsec || st.st_ctim.tv_sec != id->ctime_sec ||
        st.st_ctim.tv_nsec != id->ctime_nsec)
        return ogawa_source_io_fail(err, EIO, 0, "the archive changed since it was opened");
    return 0;
}

int
ogawa_source_pread(ogawa_source *s, uint64_t off, void *buf, uint64_t len,
                   struct ogawa_err *err)
{
    if (!ogawa_range_ok(off, len, s->size))
        return OGAWA_CORRUPT(err, off, "read past the end of the archive");
    if (len == 0)
        return 0;
    return s->ops->read(s, off, buf, len, err);
}

void
ogawa_source_stats(const ogawa_source *s, struct ogawa_source_stats *out)
{
    memset(out, 0, sizeof *out);
    out->bytes_read = __atomic_load_n(&s->bytes_read, __ATOMIC_RELAXED);
    out->reads = __atomic_load_n(&s->reads, __ATOMIC_RELAXED);
    out->bytes_inflated = __atomic_load_n(&s->bytes_inflated, __ATOMIC_RELAXED);
    if (s->cache)
        ogawa_block_cache_stats(s->cache, out);
}
