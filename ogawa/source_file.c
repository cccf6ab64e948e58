/*
 * source_file.c — a plain (uncompressed) archive file: a read is one
 * pread(2) of exactly the bytes asked for.  The fd is handed out
 * (ogawa_source_fd) so that sample bytes can be spliced from it.
 *
 * We do not mmap the file: a mapping turns a file that shrinks under us
 * into SIGBUS, while pread turns it into a short read and an error value
 * (the archive may be truncated while mounted).  The page cache makes
 * repeated small preads cheap.
 */
#include "source_int.h"

static int
ogawa_source_file_read(ogawa_source *s, uint64_t off, void *buf, uint64_t len,
                       struct ogawa_err *err)
{
    return ogawa_source_raw_pread(s, off, buf, len, err);
}

static const struct ogawa_source_ops ogawa_source_file_ops = {
    .read = ogawa_source_file_read,
    .close = NULL,
};

int
ogawa_source_file_init(ogawa_source *s, struct ogawa_err *err)
{
    (void)err;
    s->ops = &ogawa_source_file_ops;
    s->kind = OGAWA_SOURCE_FILE;
    s->size = s->id.size;
    return 0;
}
