/*
 * abccat — prints what `cat MOUNT/PATH` would print, without mounting:
 *
 *     abccat ARCHIVE|DIR PATH
 *
 * PATH is a path in the tree of layout.md (escaped names, "sub/P/0003.f32",
 * links followed as the kernel follows them).  It goes through the same
 * view layer (fs/tree.h, fs/view.h) as the daemon, so the bytes are the mount's bytes:
 * raw samples are copied from the archive's fd at the offsets the view
 * gives, generated text (.info, .times, converted wstrings) from memory.
 * For machines without /dev/fuse.  A directory is read as `abcfs DIR`
 * mounts it (fs/tree.h).
 *
 * Exit status: 0 ok, 1 the path cannot be read, 2 usage or archive error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tree.h"

#define ABCCAT_CHUNK (1u << 20)

static int
abccat_write_all(const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t k = write(STDOUT_FILENO, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

static int
abccat_copy(tree *v, uint64_t id, const char *path)
{
    char *buf = malloc(ABCCAT_CHUNK);
    if (buf == NULL) {
        fprintf(stderr, "abccat: out of memory\n");
        return 1;
    }
    uint64_t pos = 0;
    int ret = 0;
    for (;;) {
        struct ogawa_err err = {0};
        struct tree_data td;
        const struct view_data *dp = &td.d;
        int rc = tree_read(v, id, pos, ABCCAT_CHUNK, &td, &err);
        if (rc != 0) {
            tree_read_done(v, &td);
            fprintf(stderr, "abccat: %s: %s\n", path, strerror(view_errno(rc, &err)));
            ret = 1;
            break;
        }
        if (dp->len == 0) {
            tree_read_done(v, &td);
            break;
        }
        const void *bytes = dp->mem;
        if (dp->fd >= 0) {
            ssize_t k = pread(dp->fd, buf, (size_t)dp->len, (off_t)dp->off);
            if (k != (ssize_t)dp->len) {
                tree_read_done(v, &td);
                fprintf(stderr, "abccat: %s: %s\n", path, k < 0 ? strerror(errno) : "short read");
                ret = 1;
                break;
            }
            bytes = buf;
        }
        int wr = abccat_write_all(bytes, (size_t)dp->len);
        uint64_t got = dp->len;
        tree_read_done(v, &td);
        if (wr != 0) {
            fprintf(stderr, "abccat: write: %s\n", strerror(errno));
            ret = 1;
            break;
        }
        pos += got;
    }
    free(buf);
    return ret;
}

int
main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage: abccat [-v hidden|visible|off] ARCHIVE|DIR PATH\n"
               "Prints the file PATH of the archive's mounted tree (of a directory mount\n"
               "of DIR: PATH starts with the archive's path below DIR).\n");
        return 0;
    }
    int views = VIEW_MODE_HIDDEN;
    if (argc == 5 && strcmp(argv[1], "-v") == 0) {
        views = view_mode_parse(argv[2]);
        argv += 2;
        argc -= 2;
    }
    if (argc != 3 || views < 0) {
        fprintf(stderr, "usage: abccat [-v hidden|visible|off] ARCHIVE|DIR PATH\n");
        return 2;
    }
    struct ogawa_err err = {0};
    tree *v;
    struct tree_options to = {.view = {.views = views, .cache_bytes = VIEW_CACHE_DEFAULT}};
    int rc = tree_open(argv[1], &to, &v, &err);
    if (rc != 0) {
        char msg[256];
        ogawa_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "abccat: cannot open %s: %s\n", argv[1], msg);
        return 2;
    }
    uint64_t id;
    struct view_attr a;
    int ret;
    rc = tree_resolve(v, argv[2], true, &id, &a, &err);
    if (rc != 0) {
        fprintf(stderr, "abccat: %s: %s\n", argv[2], strerror(view_errno(rc, &err)));
        ret = 1;
    } else {
        ret = abccat_copy(v, id, argv[2]);
        tree_forget(v, id, 1);
    }
    tree_close(v);
    return ret;
}
