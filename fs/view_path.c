/*
 * view_path.c — paths for the tools that read the tree without a kernel
 * (abcls, abccat), and the one mapping of the project's codes to errno.
 *
 * view_resolve walks a path the way the kernel walks a mount: "." stays,
 * ".." goes to the parent (the root's parent is the root), a symbolic link
 * in the middle is replaced by its target relative to the link's directory,
 * and at the end too when asked (cat follows, ls -l does not); 40 links at
 * most, as Linux's MAXSYMLINKS.  Each step holds one lookup on the node it
 * stands on, so nodes are freed as the walk leaves them.
 *
 * view_errno is where codes become errno (style.md rule 6): damage in the
 * archive is EIO, a missing entry ENOENT, and I/O failures keep the errno
 * that the library saved.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "view_int.h"

#define VIEW_MAX_LINKS 40

int
view_errno(int code, const struct ogawa_err *err)
{
    switch (code) {
    case 0: return 0;
    case OGAWA_E_NOENT: return ENOENT;
    case OGAWA_E_NOMEM: return ENOMEM;
    case OGAWA_E_IO: return err != NULL && err->sys_errno > 0 ? err->sys_errno : EIO;
    case OGAWA_E_INVAL: return EINVAL;
    case OGAWA_E_TOOBIG: return EFBIG;
    case VIEW_E_NOTDIR: return ENOTDIR;
    case VIEW_E_ISDIR: return EISDIR;
    case VIEW_E_NODATA: return ENODATA;
    case VIEW_E_RANGE: return ERANGE;
    case VIEW_E_NOTLINK: return EINVAL;
    case VIEW_E_NAMETOOLONG: return ENAMETOOLONG;
    case VIEW_E_LOOP: return ELOOP;
    case VIEW_E_TOOBIG: return EFBIG;
    default: return EIO;    /* CORRUPT, DEPTH, VERSION, ...: the archive is damaged */
    }
}

int
view_resolve(view *v, const char *path, bool follow, uint64_t *id, struct view_attr *attr,
             struct ogawa_err *err)
{
    char *rest = strdup(path);
    if (rest == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    uint64_t cur = VIEW_ROOT_ID;
    struct view_attr cur_attr;
    view_node_hold(v, cur, &cur_attr);
    int links = 0, rc = 0;
    size_t p = 0;
    while (rc == 0) {
        while (rest[p] == '/')
            p++;
        if (rest[p] == '\0')
            break;
        size_t len = strcspn(rest + p, "/");
        const char *comp = rest + p;
        p += len;
        if (len == 1 && comp[0] == '.')
            continue;
        if (!view_type_is_dir(cur_attr.type)) {
            rc = ogawa_fail(err, VIEW_E_NOTDIR, 0, "not a directory");
            break;
        }
        if (len == 2 && comp[0] == '.' && comp[1] == '.') {
            /* The parent lives while cur does (it counts cur as a child). */
            uint64_t up = view_parent(v, cur);
            view_node_hold(v, up, &cur_attr);
            view_forget(v, cur, 1);
            cur = up;
            continue;
        }
        uint64_t next;
        struct view_attr next_attr;
        rc = view_lookup(v, cur, comp, len, &next, &next_attr, err);
        if (rc != 0)
            break;
        bool last = rest[p + strspn(rest + p, "/")] == '\0';
        if (view_type_is_link(next_attr.type) && (!last || follow)) {
            char *target = NULL;
            size_t tlen;
            if (++links > VIEW_MAX_LINKS) {
                rc = ogawa_fail(err, VIEW_E_LOOP, 0, "too many levels of symbolic links");
            } else {
                rc = view_readlink(v, next, &target, &tlen, err);
            }
            if (rc == 0) {
                /* rest = target + "/" + what follows the link. */
                size_t after = strlen(rest + p);
                char *nrest = malloc(tlen + 1 + after + 1);
                if (nrest == NULL) {
                    rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
                } else {
                    memcpy(nrest, target, tlen);
                    nrest[tlen] = '/';
                    memcpy(nrest + tlen + 1, rest + p, after + 1);
                    free(rest);
                    rest = nrest;
                    p = 0;
                    if (target[0] == '/') {
                        /* Absolute: from the root (links made here never are). */
                        view_node_hold(v, VIEW_ROOT_ID, &cur_attr);
                        view_forget(v, cur, 1);
                        cur = VIEW_ROOT_ID;
                    }
                }
            }
            free(target);
            view_forget(v, next, 1);
            continue;
        }
        view_forget(v, cur, 1);
        cur = next;
        cur_attr = next_attr;
    }
    free(rest);
    if (rc != 0) {
        view_forget(v, cur, 1);
        return rc;
    }
    *id = cur;
    if (attr != NULL)
        *attr = cur_attr;
    return 0;
}
