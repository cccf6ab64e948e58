/*
 * tree.c — one archive or a directory of archives behind one set of calls
 * (tree.h): each call goes to the view or to the shelf, and path
 * resolution (tree_resolve, view_resolve) is written once, over these
 * calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tree.h"
#include "view_int.h"

struct tree {
    view *v;                /* one archive, or */
    struct shelf *s;        /* a directory of archives */
    uint64_t check_budget;  /* for tree_verify */
};

int
tree_open(const char *path, const struct tree_options *o, tree **out, struct ogawa_err *err)
{
    *out = NULL;
    tree *t = calloc(1, sizeof *t);
    if (t == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    struct stat st;
    int rc;
    t->check_budget = o->check_budget;
    if (strstr(path, "://") == NULL && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = shelf_open(path, o, &t->s, err);
    } else {
        rc = view_open_opts(path, &o->open, &t->v, err);
        if (rc == 0)
            view_configure(t->v, &o->view);
    }
    if (rc != 0) {
        tree_close(t);
        return rc;
    }
    *out = t;
    return 0;
}

int
tree_verify(tree *t, bool *complete, struct ogawa_err *err)
{
    *complete = true;
    if (t->v == NULL || t->check_budget == 0)
        return 0;
    return view_verify(t->v, t->check_budget, complete, err);
}

void
tree_close(tree *t)
{
    if (t == NULL)
        return;
    view_close(t->v);
    shelf_close(t->s);
    free(t);
}

view *
tree_view(tree *t)
{
    return t->v;
}

bool
tree_live(tree *t, uint64_t id)
{
    return t->s != NULL && shelf_live(t->s, id);
}

int
tree_root_attr(tree *t, struct view_attr *attr, struct ogawa_err *err)
{
    return t->v ? view_root_attr(t->v, attr, err) : shelf_getattr(t->s, VIEW_ROOT_ID, attr, err);
}

int
tree_lookup(tree *t, uint64_t parent, const char *name, size_t len, uint64_t *id,
            struct view_attr *attr, struct ogawa_err *err)
{
    return t->v ? view_lookup(t->v, parent, name, len, id, attr, err)
                : shelf_lookup(t->s, parent, name, len, id, attr, err);
}

void
tree_forget(tree *t, uint64_t id, uint64_t nlookup)
{
    if (t->v)
        view_forget(t->v, id, nlookup);
    else
        shelf_forget(t->s, id, nlookup);
}

int
tree_getattr(tree *t, uint64_t id, struct view_attr *attr, struct ogawa_err *err)
{
    return t->v ? view_getattr(t->v, id, attr, err) : shelf_getattr(t->s, id, attr, err);
}

int
tree_opendir(tree *t, uint64_t dir, tree_listing **out, struct ogawa_err *err)
{
    *out = NULL;
    return t->v ? 0 : shelf_opendir(t->s, dir, out, err);
}

void
tree_releasedir(tree *t, tree_listing *l)
{
    if (t->s != NULL)
        shelf_releasedir(t->s, l);
}

int
tree_dir_count(tree *t, uint64_t dir, tree_listing *l, uint64_t *n, struct ogawa_err *err)
{
    return t->v ? view_dir_count(t->v, dir, n, err) : shelf_dir_count(t->s, dir, l, n, err);
}

int
tree_dir_entry(tree *t, uint64_t dir, tree_listing *l, uint64_t idx,
               char name[VIEW_ENTRY_NAME_MAX], size_t *len, int *type, struct ogawa_err *err)
{
    return t->v ? view_dir_entry(t->v, dir, idx, name, len, type, err)
                : shelf_dir_entry(t->s, dir, l, idx, name, len, type, err);
}

int
tree_child(tree *t, uint64_t dir, tree_listing *l, uint64_t idx, uint64_t *id,
           struct view_attr *attr, struct ogawa_err *err)
{
    return t->v ? view_child(t->v, dir, idx, id, attr, err)
                : shelf_child(t->s, dir, l, idx, id, attr, err);
}

int
tree_child_ino(tree *t, uint64_t dir, tree_listing *l, uint64_t idx, uint64_t *ino, int *type,
               struct ogawa_err *err)
{
    return t->v ? view_child_ino(t->v, dir, idx, ino, type, err)
                : shelf_child_ino(t->s, dir, l, idx, ino, type, err);
}

uint64_t
tree_parent(tree *t, uint64_t id)
{
    return t->v ? view_parent(t->v, id) : shelf_parent(t->s, id);
}

int
tree_readlink(tree *t, uint64_t id, char **target, size_t *len, struct ogawa_err *err)
{
    return t->v ? view_readlink(t->v, id, target, len, err)
                : shelf_readlink(t->s, id, target, len, err);
}

int
tree_read(tree *t, uint64_t id, uint64_t pos, uint64_t len, struct tree_data *out,
          struct ogawa_err *err)
{
    if (t->s)
        return shelf_read(t->s, id, pos, len, out, err);
    out->hold = NULL;
    return view_read(t->v, id, pos, len, &out->d, err);
}

int
tree_read_check(tree *t, struct tree_data *data, struct ogawa_err *err)
{
    return t->v ? view_check_archive(t->v, err) : shelf_read_check(t->s, data, err);
}

void
tree_read_done(tree *t, struct tree_data *data)
{
    if (t->s) {
        shelf_read_done(t->s, data);
    } else {
        free(data->d.mem);
        data->d.mem = NULL;
    }
}

int
tree_xattr_list(tree *t, uint64_t id, char *buf, size_t cap, size_t *len,
                struct ogawa_err *err)
{
    return t->v ? view_xattr_list(t->v, id, buf, cap, len, err)
                : shelf_xattr_list(t->s, id, buf, cap, len, err);
}

int
tree_xattr_get(tree *t, uint64_t id, const char *name, char *buf, size_t cap, size_t *len,
               struct ogawa_err *err)
{
    return t->v ? view_xattr_get(t->v, id, name, buf, cap, len, err)
                : shelf_xattr_get(t->s, id, name, buf, cap, len, err);
}

void
tree_count_request(tree *t, int kind)
{
    if (t->v)
        view_count_request(t->v, kind);
    else
        shelf_count_request(t->s, kind);
}

void
tree_statfs(tree *t, uint64_t *archive_bytes, uint64_t *nodes)
{
    if (t->v)
        view_statfs(t->v, archive_bytes, nodes);
    else
        shelf_statfs(t->s, archive_bytes, nodes);
}

/* ---- paths ------------------------------------------------------------------ */

#define TREE_MAX_LINKS 40   /* Linux's MAXSYMLINKS */

/* One more lookup on id, which the caller holds already; its attributes. */
static void
tree_hold(tree *t, uint64_t id, struct view_attr *attr)
{
    if (t->v) {
        view_node_hold(t->v, id, attr);
        return;
    }
    shelf_hold(t->s, id);
    if (shelf_getattr(t->s, id, attr, NULL) != 0) {
        memset(attr, 0, sizeof *attr);
        attr->type = VIEW_T_FOLDER;     /* only its parent is of use now */
    }
}

/*
 * Walks a path the way the kernel walks a mount: "." stays, ".." goes to
 * the parent (the root's parent is the root), a symbolic link in the
 * middle is replaced by its target relative to the link's directory, and
 * at the end too when asked (cat follows, ls -l does not).  Each step
 * holds one lookup on the node it stands on, so nodes are freed as the
 * walk leaves them.
 */
int
tree_resolve(tree *t, const char *path, bool follow, uint64_t *id, struct view_attr *attr,
             struct ogawa_err *err)
{
    char *rest = strdup(path);
    if (rest == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    uint64_t cur = VIEW_ROOT_ID;
    struct view_attr cur_attr;
    tree_hold(t, cur, &cur_attr);
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
            uint64_t up = tree_parent(t, cur);
            tree_hold(t, up, &cur_attr);
            tree_forget(t, cur, 1);
            cur = up;
            continue;
        }
        uint64_t next;
        struct view_attr next_attr;
        rc = tree_lookup(t, cur, comp, len, &next, &next_attr, err);
        if (rc != 0)
            break;
        bool last = rest[p + strspn(rest + p, "/")] == '\0';
        if (view_type_is_link(next_attr.type) && (!last || follow)) {
            char *target = NULL;
            size_t tlen;
            if (++links > TREE_MAX_LINKS) {
                rc = ogawa_fail(err, VIEW_E_LOOP, 0, "too many levels of symbolic links");
            } else {
                rc = tree_readlink(t, next, &target, &tlen, err);
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
                        tree_hold(t, VIEW_ROOT_ID, &cur_attr);
                        tree_forget(t, cur, 1);
                        cur = VIEW_ROOT_ID;
                    }
                }
            }
            free(target);
            tree_forget(t, next, 1);
            continue;
        }
        tree_forget(t, cur, 1);
        cur = next;
        cur_attr = next_attr;
    }
    free(rest);
    if (rc != 0) {
        tree_forget(t, cur, 1);
        return rc;
    }
    *id = cur;
    if (attr != NULL)
        *attr = cur_attr;
    return 0;
}

int
view_resolve(view *v, const char *path, bool follow, uint64_t *id, struct view_attr *attr,
             struct ogawa_err *err)
{
    struct tree t = {.v = v};
    return tree_resolve(&t, path, follow, id, attr, err);
}
