/*
 * ll_ops.c — the libfuse low-level adapter: each request is turned into a
 * call of the view layer (fs/view.h) and ends in exactly one fuse_reply_*.
 *
 * FUSE's nodeid is the view's node id (root 1), and lookup counts are the
 * view's (forget drops them), so the view holds what the kernel holds.
 * What the kernel can cache, it is told to (issue 4 "Fast paths"):
 *  - entries, attributes and negative lookups (ino 0) for a long timeout:
 *    the archive never changes under a mount;
 *  - readdirplus for every listing, so `ls -l` and `find` need no lookup
 *    per entry; "no ACL" cached per inode (FUSE_CAP_POSIX_ACL);
 *  - no open or opendir round trips where the kernel supports it (ENOSYS
 *    from the first one, with FUSE_CAP_NO_OPEN_SUPPORT and
 *    FUSE_CAP_NO_OPENDIR_SUPPORT): the kernel then keeps the page cache
 *    and the directory cache between opens, and sends no RELEASE;
 *  - a view whose source is invalid has size 0 and must answer EIO when
 *    read (views.md), yet without an open reply asking for direct I/O the
 *    kernel sends no READ past a file's end.  What it does send is a
 *    GETATTR carrying the open file (FUSE_GETATTR_FH) when a read goes past
 *    the end and the attributes have expired: such files get attributes
 *    that expire at once, and that GETATTR answers EIO (so does fstat of
 *    the open file, which asks the same way; stat by path shows size 0);
 *  - symlink targets (FUSE_CAP_CACHE_SYMLINKS).
 * Raw sample bytes go out with fuse_reply_data on an fd buffer (the
 * archive's fd at the payload's offset): libfuse splices them from the
 * file to /dev/fuse when FUSE_CAP_SPLICE_WRITE is on (the default; -o
 * nosplice turns it off so the two can be compared), else it preads them
 * into its buffer.  SPLICE_MOVE is never used: the pages belong to the
 * archive file's page cache.
 *
 * Errors become errno only through view_errno.  Damage in the archive is
 * logged once per failing request with its offset.  An archive truncated
 * or changed under the mount is caught before bytes are served (abcfs_ll_changed):
 * EIO, never a short read.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "ll.h"

static struct abcfs *
abcfs_ll_data(fuse_req_t req)
{
    return fuse_req_userdata(req);
}

static void
abcfs_ll_stat(const struct abcfs *fs, const struct view_attr *a, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = a->ino;
    st->st_mode = a->mode;
    st->st_nlink = a->nlink;
    st->st_size = (off_t)a->size;
    st->st_blksize = 128 * 1024;
    st->st_blocks = (blkcnt_t)((a->size + 511) / 512);
    st->st_uid = fs->uid;
    st->st_gid = fs->gid;
    st->st_mtim.tv_sec = a->mtime;
    st->st_mtim.tv_nsec = a->mtime_nsec;
    st->st_atim = st->st_mtim;
    st->st_ctim = st->st_mtim;
}

/* Replies with the errno of a failed view call, logging archive damage
 * (not a file of DIR replaced or removed under a directory mount: ESTALE
 * and ENOENT are its normal course, not damage). */
static void
abcfs_ll_fail(fuse_req_t req, int code, const struct ogawa_err *err)
{
    bool gone = err != NULL && (err->sys_errno == ESTALE || err->sys_errno == ENOENT);
    if (code > VIEW_E_NOTDIR && code != OGAWA_E_NOENT && code != OGAWA_E_NOMEM && !gone) {
        char msg[256];
        ogawa_err_format(err, msg, sizeof msg);
        fuse_log(FUSE_LOG_ERR, "abcfs: %s: %s\n", ogawa_strerror(code), msg);
    }
    fuse_reply_err(req, view_errno(code, err));
}

/* An entry of directory parent: node id with attributes a.  Under a
 * directory mount, names in a directory of DIR and the attributes of what
 * follows DIR's files are cached for a second only (tree_live). */
static void
abcfs_ll_entry(struct abcfs *fs, fuse_ino_t parent, uint64_t id, const struct view_attr *a,
               struct fuse_entry_param *e)
{
    memset(e, 0, sizeof *e);
    e->ino = id;
    e->generation = 1;
    abcfs_ll_stat(fs, a, &e->attr);
    e->attr_timeout = a->invalid ? 0
                      : id != 0 && tree_live(fs->t, id) ? fs->live_timeout : fs->timeout;
    e->entry_timeout = tree_live(fs->t, parent) ? fs->live_timeout : fs->timeout;
}

static void
abcfs_ll_init(void *userdata, struct fuse_conn_info *conn)
{
    struct abcfs *fs = userdata;
    if ((conn->capable & FUSE_CAP_SPLICE_WRITE) && !fs->nosplice)
        conn->want |= FUSE_CAP_SPLICE_WRITE;
    else
        conn->want &= ~FUSE_CAP_SPLICE_WRITE;
    conn->want &= ~(FUSE_CAP_SPLICE_MOVE | FUSE_CAP_SPLICE_READ);
    if (conn->capable & FUSE_CAP_READDIRPLUS)
        conn->want |= FUSE_CAP_READDIRPLUS;
    if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
        conn->want |= FUSE_CAP_CACHE_SYMLINKS;
    if (conn->capable & FUSE_CAP_ASYNC_READ)
        conn->want |= FUSE_CAP_ASYNC_READ;
    /* Every listing with attributes, not only a directory's first reply:
     * a listed file then needs no LOOKUP, however large the directory. */
    conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
    /* The archive never changes under the mount (a changed one is caught
     * by the identity check of every read): no attribute checks on reads. */
    conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
    /* Lets the kernel cache "no ACL" per inode instead of asking for
     * system.posix_acl_access at every ls -l (it implies
     * default_permissions, which a read-only tree of 0444/0555 entries
     * owned by the mounting user does not notice). */
    if (conn->capable & FUSE_CAP_POSIX_ACL)
        conn->want |= FUSE_CAP_POSIX_ACL;
    fs->no_open = (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT) != 0;
    fs->no_opendir = (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) != 0;
}

static void
abcfs_ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct abcfs *fs = abcfs_ll_data(req);
    struct ogawa_err err = {0};
    struct view_attr a;
    struct fuse_entry_param e;
    uint64_t id;
    tree_count_request(fs->t, VIEW_REQ_LOOKUP);
    int rc = tree_lookup(fs->t, parent, name, strlen(name), &id, &a, &err);
    if (rc == OGAWA_E_NOENT) {
        /* A negative entry, cached as long as positive ones. */
        memset(&e, 0, sizeof e);
        e.entry_timeout = tree_live(fs->t, parent) ? fs->live_timeout : fs->timeout;
        fuse_reply_entry(req, &e);
    } else if (rc != 0) {
        abcfs_ll_fail(req, rc, &err);
    } else {
        abcfs_ll_entry(fs, parent, id, &a, &e);
        fuse_reply_entry(req, &e);
    }
}

static void
abcfs_ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    struct abcfs *fs = abcfs_ll_data(req);
    tree_count_request(fs->t, VIEW_REQ_FORGET);
    tree_forget(fs->t, ino, nlookup);
    fuse_reply_none(req);
}

static void
abcfs_ll_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
    struct abcfs *fs = abcfs_ll_data(req);
    tree_count_request(fs->t, VIEW_REQ_FORGET);
    for (size_t i = 0; i < count; i++)
        tree_forget(fs->t, forgets[i].ino, forgets[i].nlookup);
    /* The kernel forgets in large batches when it shrinks its caches;
     * give the freed nodes back to the system then, or the daemon's RSS
     * stays at its peak (57 MiB after reading a 292 MB archive, 14 MiB
     * once trimmed). */
    if (count >= 256)
        malloc_trim(0);
    fuse_reply_none(req);
}

static void
abcfs_ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct abcfs *fs = abcfs_ll_data(req);
    struct ogawa_err err = {0};
    struct view_attr a;
    struct stat st;
    tree_count_request(fs->t, VIEW_REQ_GETATTR);
    int rc = tree_getattr(fs->t, ino, &a, &err);
    if (rc != 0) {
        abcfs_ll_fail(req, rc, &err);
        return;
    }
    if (a.invalid && fi != NULL) {
        fuse_reply_err(req, EIO);   /* a read (or fstat) of it: see the head */
        return;
    }
    abcfs_ll_stat(fs, &a, &st);
    fuse_reply_attr(req, &st, a.invalid ? 0
                              : tree_live(fs->t, ino) ? fs->live_timeout : fs->timeout);
}

static void
abcfs_ll_readlink(fuse_req_t req, fuse_ino_t ino)
{
    struct abcfs *fs = abcfs_ll_data(req);
    struct ogawa_err err = {0};
    char *target;
    size_t len;
    tree_count_request(fs->t, VIEW_REQ_READLINK);
    int rc = tree_readlink(fs->t, ino, &target, &len, &err);
    if (rc != 0)
        abcfs_ll_fail(req, rc, &err);
    else
        fuse_reply_readlink(req, target);
    free(target);
}

static void
abcfs_ll_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct abcfs *fs = abcfs_ll_data(req);
    tree_count_request(fs->t, VIEW_REQ_OPENDIR);
    /* One archive: ENOSYS, and the kernel opens directories alone and
     * caches every listing.  A directory mount answers, so that listings
     * of directories of DIR are not cached (they follow the disk). */
    if (fs->no_opendir && tree_view(fs->t) != NULL) {
        fuse_reply_err(req, ENOSYS);    /* never again: the kernel opens alone */
        return;
    }
    bool live = tree_live(fs->t, ino);
    fi->cache_readdir = !live;
    fi->keep_cache = !live;
    /* A folder's listing as of now, for every READDIR of this handle. */
    tree_listing *l;
    struct ogawa_err err = {0};
    int rc = tree_opendir(fs->t, ino, &l, &err);
    if (rc != 0) {
        abcfs_ll_fail(req, rc, &err);
        return;
    }
    fi->fh = (uint64_t)(uintptr_t)l;
    if (fuse_reply_open(req, fi) != 0)
        tree_releasedir(fs->t, l);      /* the kernel will not release it */
}

/* Attributes shown in a listing for an entry that cannot be built. */
static void
abcfs_ll_damaged(struct view_attr *a, int type, fuse_ino_t dir, uint64_t k)
{
    memset(a, 0, sizeof *a);
    a->type = type;
    a->mode = view_type_is_dir(type) ? S_IFDIR | 0555
              : view_type_is_link(type) ? S_IFLNK | 0777 : S_IFREG | 0444;
    a->nlink = 1;
    a->ino = (1ULL << 62) | ((dir * 0x9E3779B97F4A7C15ULL + k) & ((1ULL << 62) - 1));
}

/* The most entries a directory may have for every reply of its listing to
 * carry attributes: each one is a node held by the kernel (about 850 bytes
 * of the daemon's memory), which a plain listing of a directory of 10^6
 * entries must not cost.  Larger directories give attributes in their first
 * reply only (what FUSE_CAP_READDIRPLUS_AUTO would do), and plain entries
 * (node id 0: the kernel builds nothing) after it. */
#define ABCFS_LL_PLUS_MAX (1u << 16)

/* readdir and readdirplus: "." and ".." at offsets 0 and 1, entry k of the
 * view at offset k + 2; each dirent carries the offset of the next. */
static void
abcfs_ll_readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus,
                        struct fuse_file_info *fi)
{
    struct abcfs *fs = abcfs_ll_data(req);
    struct ogawa_err err = {0};
    uint64_t n;
    tree_listing *l = (tree_listing *)(uintptr_t)fi->fh;
    tree_count_request(fs->t, plus ? VIEW_REQ_READDIRPLUS : VIEW_REQ_READDIR);
    int rc = tree_dir_count(fs->t, ino, l, &n, &err);
    if (rc != 0) {
        abcfs_ll_fail(req, rc, &err);
        return;
    }
    bool attrs = plus && (off <= 0 || n <= ABCFS_LL_PLUS_MAX);
    char *buf = malloc(size);
    if (buf == NULL) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    size_t used = 0;
    for (uint64_t k = off < 0 ? 0 : (uint64_t)off; k < n + 2; k++) {
        char entry[VIEW_ENTRY_NAME_MAX];
        const char *name = entry;
        size_t len, entsize;
        int type;
        struct view_attr a;
        struct fuse_entry_param e;
        uint64_t id = 0;
        if (k < 2) {
            name = k == 0 ? "." : "..";
            rc = tree_getattr(fs->t, k == 0 ? ino : tree_parent(fs->t, ino), &a, &err);
        } else {
            rc = tree_dir_entry(fs->t, ino, l, k - 2, entry, &len, &type, &err);
            if (rc != 0)
                break;
            if (attrs) {
                rc = tree_child(fs->t, ino, l, k - 2, &id, &a, &err);
            } else {
                /* d_ino and d_type only: no node is built */
                memset(&a, 0, sizeof a);
                rc = tree_child_ino(fs->t, ino, l, k - 2, &a.ino, &a.type, &err);
                a.mode = view_type_is_dir(a.type) ? S_IFDIR | 0555
                         : view_type_is_link(a.type) ? S_IFLNK | 0777 : S_IFREG | 0444;
            }
            if (rc != 0) {
                /* A damaged entry is still listed (as a plain entry, no
                 * lookup): the error shows when it is used. */
                abcfs_ll_damaged(&a, type, ino, k);
                id = 0;
                rc = 0;
            }
        }
        if (rc != 0)
            break;
        abcfs_ll_entry(fs, ino, id, &a, &e);
        if (plus) {
            if (k < 2 || !attrs)
                e.ino = 0;  /* no lookup counted: . and .., plain entries */
            entsize = fuse_add_direntry_plus(req, buf + used, size - used, name, &e,
                                             (off_t)(k + 1));
        } else {
            entsize = fuse_add_direntry(req, buf + used, size - used, name, &e.attr,
                                        (off_t)(k + 1));
        }
        if (entsize > size - used) {
            if (id != 0)
                tree_forget(fs->t, id, 1);  /* not sent: give the lookup back */
            break;
        }
        used += entsize;
    }
    if (rc != 0 && used == 0)
        abcfs_ll_fail(req, rc, &err);
    else
        fuse_reply_buf(req, buf, used);
    free(buf);
}

static void
abcfs_ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                 struct fuse_file_info *fi)
{
    abcfs_ll_readdir_common(req, ino, size, off, false, fi);
}

static void
abcfs_ll_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    abcfs_ll_readdir_common(req, ino, size, off, true, fi);
}

static void
abcfs_ll_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    (void)fi;
    tree_count_request(abcfs_ll_data(req)->t, VIEW_REQ_RELEASE);
    fuse_reply_err(req, 0);
}

static void
abcfs_ll_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    struct abcfs *fs = abcfs_ll_data(req);
    tree_count_request(fs->t, VIEW_REQ_RELEASEDIR);
    tree_releasedir(fs->t, (tree_listing *)(uintptr_t)fi->fh);
    fuse_reply_err(req, 0);
}

/* Nothing is ever written: ENOSYS tells the kernel to send no FLUSH again
 * on this connection (what libfuse answers without a handler; answered
 * here so that the one request is counted). */
static void
abcfs_ll_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    (void)fi;
    tree_count_request(abcfs_ll_data(req)->t, VIEW_REQ_FLUSH);
    fuse_reply_err(req, ENOSYS);
}

/* Likewise access(2): ENOSYS once, and the kernel checks the mode bits
 * itself from then on. */
static void
abcfs_ll_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
    (void)ino;
    (void)mask;
    tree_count_request(abcfs_ll_data(req)->t, VIEW_REQ_ACCESS);
    fuse_reply_err(req, ENOSYS);
}

static void
abcfs_ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct abcfs *fs = abcfs_ll_data(req);
    struct ogawa_err err = {0};
    struct view_attr a;
    tree_count_request(fs->t, VIEW_REQ_OPEN);
    if (fs->no_open) {
        fuse_reply_err(req, ENOSYS);    /* never again: the kernel opens alone */
        return;
    }
    int rc = tree_getattr(fs->t, ino, &a, &err);
    if (rc != 0) {
        abcfs_ll_fail(req, rc, &err);
    } else if (view_type_is_dir(a.type)) {
        fuse_reply_err(req, EISDIR);
    } else if ((fi->flags & O_ACCMODE) != O_RDONLY) {
        fuse_reply_err(req, EROFS);
    } else if (a.invalid) {
        fi->direct_io = 1;      /* size 0, yet the READ must come: EIO */
        fuse_reply_open(req, fi);
    } else {
        fi->keep_cache = 1;
        fuse_reply_open(req, fi);
    }
}

/*
 * True when the archive is no longer the file that was opened (another
 * inode, size, mtime or ctime: truncated, rewritten in place, replaced):
 * bytes read from it now could be new bytes under the old tree's sizes,
 * so nothing is served (EIO), never a short or substituted read.  One
 * fstat per read is cheap next to the read itself.  Logged once.
 */
static bool
abcfs_ll_changed(struct abcfs *fs, struct tree_data *td)
{
    struct ogawa_err err = {0};
    if (tree_read_check(fs->t, td, &err) == 0)
        return false;
    /* Under a directory mount files of DIR are replaced as a matter of
     * course (an unlinked file's ctime moves too): not logged. */
    if (tree_view(fs->t) != NULL && !atomic_exchange(&fs->shrink_logged, true))
        fuse_log(FUSE_LOG_ERR, "abcfs: %s: reads answer EIO from now on\n",
                 err.msg != NULL ? err.msg : "the archive changed under the mount");
    return true;
}

static void
abcfs_ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
    struct abcfs *fs = abcfs_ll_data(req);
    struct ogawa_err err = {0};
    struct tree_data td;
    const struct view_data *d = &td.d;
    (void)fi;
    tree_count_request(fs->t, VIEW_REQ_READ);
    int rc = tree_read(fs->t, ino, off < 0 ? 0 : (uint64_t)off, size, &td, &err);
    if (rc != 0) {
        abcfs_ll_fail(req, rc, &err);
    } else if (abcfs_ll_changed(fs, &td)) {
        fuse_reply_err(req, EIO);
    } else if (d->fd >= 0 && d->len > 0) {
        struct fuse_bufvec bv = FUSE_BUFVEC_INIT((size_t)d->len);
        bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
        bv.buf[0].fd = d->fd;
        bv.buf[0].pos = (off_t)d->off;
        fuse_reply_data(req, &bv, fs->nosplice ? FUSE_BUF_NO_SPLICE : 0);
    } else {
        fuse_reply_buf(req, d->mem, (size_t)d->len);
    }
    tree_read_done(fs->t, &td);   /* after the reply: the fd was in use */
}

static void
abcfs_ll_statfs(fuse_req_t req, fuse_ino_t ino)
{
    struct abcfs *fs = abcfs_ll_data(req);
    struct statvfs st;
    uint64_t bytes, nodes;
    (void)ino;
    tree_count_request(fs->t, VIEW_REQ_STATFS);
    tree_statfs(fs->t, &bytes, &nodes);
    memset(&st, 0, sizeof st);
    st.f_bsize = 4096;
    st.f_frsize = 4096;
    st.f_blocks = (fsblkcnt_t)((bytes + 4095) / 4096);
    st.f_files = (fsfilcnt_t)nodes;
    st.f_namemax = VIEW_NAME_MAX;
    st.f_flag = ST_RDONLY;
    fuse_reply_statfs(req, &st);
}

/* getxattr and listxattr: size 0 asks for the length only. */
static void
abcfs_ll_xattr_reply(fuse_req_t req, int rc, const struct ogawa_err *err, char *buf,
                     size_t size, size_t len)
{
    if (rc != 0)
        abcfs_ll_fail(req, rc, err);
    else if (size == 0)
        fuse_reply_xattr(req, len);
    else
        fuse_reply_buf(req, buf, len);
}

static void
abcfs_ll_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
    struct abcfs *fs = abcfs_ll_data(req);
    struct ogawa_err err = {0};
    size_t len = 0;
    char *buf = size ? malloc(size) : NULL;
    tree_count_request(fs->t, VIEW_REQ_GETXATTR);
    if (size && buf == NULL) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    int rc = tree_xattr_get(fs->t, ino, name, buf, size, &len, &err);
    abcfs_ll_xattr_reply(req, rc, &err, buf, size, len);
    free(buf);
}

static void
abcfs_ll_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    struct abcfs *fs = abcfs_ll_data(req);
    struct ogawa_err err = {0};
    size_t len = 0;
    char *buf = size ? malloc(size) : NULL;
    tree_count_request(fs->t, VIEW_REQ_LISTXATTR);
    if (size && buf == NULL) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    int rc = tree_xattr_list(fs->t, ino, buf, size, &len, &err);
    abcfs_ll_xattr_reply(req, rc, &err, buf, size, len);
    free(buf);
}

/* ---- every mutation: read-only file system ---------------------------------- */

static void
abcfs_ll_erofs(fuse_req_t req)
{
    tree_count_request(abcfs_ll_data(req)->t, VIEW_REQ_OTHER);
    fuse_reply_err(req, EROFS);
}

static void
abcfs_ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                 struct fuse_file_info *fi)
{
    (void)ino, (void)attr, (void)to_set, (void)fi;
    abcfs_ll_erofs(req);
}

static void
abcfs_ll_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
    (void)parent, (void)name, (void)mode, (void)rdev;
    abcfs_ll_erofs(req);
}

static void
abcfs_ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
    (void)parent, (void)name, (void)mode;
    abcfs_ll_erofs(req);
}

static void
abcfs_ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    (void)parent, (void)name;
    abcfs_ll_erofs(req);
}

static void
abcfs_ll_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
    (void)link, (void)parent, (void)name;
    abcfs_ll_erofs(req);
}

static void
abcfs_ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                const char *newname, unsigned int flags)
{
    (void)parent, (void)name, (void)newparent, (void)newname, (void)flags;
    abcfs_ll_erofs(req);
}

static void
abcfs_ll_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
    (void)ino, (void)newparent, (void)newname;
    abcfs_ll_erofs(req);
}

static void
abcfs_ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
               struct fuse_file_info *fi)
{
    (void)ino, (void)buf, (void)size, (void)off, (void)fi;
    abcfs_ll_erofs(req);
}

static void
abcfs_ll_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                struct fuse_file_info *fi)
{
    (void)parent, (void)name, (void)mode, (void)fi;
    abcfs_ll_erofs(req);
}

static void
abcfs_ll_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
                  size_t size, int flags)
{
    (void)ino, (void)name, (void)value, (void)size, (void)flags;
    abcfs_ll_erofs(req);
}

static void
abcfs_ll_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
    (void)ino, (void)name;
    abcfs_ll_erofs(req);
}

static void
abcfs_ll_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                   struct fuse_file_info *fi)
{
    (void)ino, (void)mode, (void)offset, (void)length, (void)fi;
    abcfs_ll_erofs(req);
}

const struct fuse_lowlevel_ops abcfs_ll_ops = {
    .init = abcfs_ll_init,
    .lookup = abcfs_ll_lookup,
    .forget = abcfs_ll_forget,
    .forget_multi = abcfs_ll_forget_multi,
    .getattr = abcfs_ll_getattr,
    .readlink = abcfs_ll_readlink,
    .opendir = abcfs_ll_opendir,
    .readdir = abcfs_ll_readdir,
    .readdirplus = abcfs_ll_readdirplus,
    .releasedir = abcfs_ll_releasedir,
    .open = abcfs_ll_open,
    .read = abcfs_ll_read,
    .release = abcfs_ll_release,
    .flush = abcfs_ll_flush,
    .access = abcfs_ll_access,
    .statfs = abcfs_ll_statfs,
    .getxattr = abcfs_ll_getxattr,
    .listxattr = abcfs_ll_listxattr,
    .setattr = abcfs_ll_setattr,
    .mknod = abcfs_ll_mknod,
    .mkdir = abcfs_ll_mkdir,
    .unlink = abcfs_ll_unlink,
    .rmdir = abcfs_ll_unlink,
    .symlink = abcfs_ll_symlink,
    .rename = abcfs_ll_rename,
    .link = abcfs_ll_link,
    .write = abcfs_ll_write,
    .create = abcfs_ll_create,
    .setxattr = abcfs_ll_setxattr,
    .removexattr = abcfs_ll_removexattr,
    .fallocate = abcfs_ll_fallocate,
};
