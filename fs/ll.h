/*
 * ll.h — what fs/main.c and the libfuse low-level adapter (fs/ll_ops.c)
 * share: the mount's state, passed to libfuse as userdata, and the
 * operations table.  Only fs/ll*.c and fs/main.c include FUSE headers.
 */
#ifndef ABCFS_LL_H
#define ABCFS_LL_H

#include <fuse_lowlevel.h>
#include <stdatomic.h>

#include "tree.h"

struct abcfs {
    tree *t;                /* one archive's tree, or a directory of archives */
    double timeout;         /* entry/attr/negative timeout, seconds */
    double live_timeout;    /* the same for what follows the file system
                               under a directory mount (tree_live) */
    bool nosplice;          /* -o nosplice: copy sample bytes instead of splicing */
    bool no_open;           /* kernel handles open without us (set at init) */
    bool no_opendir;        /* likewise for opendir */
    uid_t uid;              /* owner shown for every entry */
    gid_t gid;
    atomic_bool shrink_logged; /* "the archive shrank" was logged once */
};

extern const struct fuse_lowlevel_ops abcfs_ll_ops;

#endif
