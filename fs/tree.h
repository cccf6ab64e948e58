/*
 * tree.h — what a mount serves: one archive (its view, fs/view.h) or a
 * directory of archives (fs/shelf.c), behind one set of node calls, so the
 * libfuse adapter and the tools (abcls, abccat) take either without caring.
 *
 * One archive: every call goes straight to the view, ids and all (no
 * table, no lock in between: a single-archive mount costs what it did).
 *
 * A directory (`abcfs DIR MOUNTPOINT`): every subdirectory of DIR shows as
 * a directory, every *.abc and *.abc.gz file as a directory of the same
 * name holding that archive's tree.  shelf.c's header says how archives
 * are opened lazily, closed beyond -o max_open, and replaced.
 *
 * Codes, lookups and thread-safety are those of view.h.  Node ids of a
 * directory mount are the shelf's own (root VIEW_ROOT_ID), not a view's.
 */
#ifndef ABCFS_TREE_H
#define ABCFS_TREE_H

#include "source.h"
#include "view.h"

typedef struct tree tree;
struct shelf;

struct tree_options {
    struct view_options view;       /* for each archive's view */
    struct ogawa_open_opts open;    /* for each archive's source */
    uint64_t check_budget;          /* bytes view_verify may read at open (0: none) */
    unsigned max_open;              /* directory: archives open at once (0: default) */
};
#define TREE_MAX_OPEN_DEFAULT 64

/*
 * Opens path: a directory becomes a directory mount (nothing below it is
 * read now; each archive is checked within check_budget when first
 * opened); anything else is one archive.  Errors: those of
 * view_open_opts; OGAWA_E_IO for a directory that cannot be opened.
 */
int tree_open(const char *path, const struct tree_options *o, tree **out,
              struct ogawa_err *err);
/* One archive: its structure checked within check_budget (view_verify),
 * so that a damaged file is refused before it is mounted.  Nothing for a
 * directory.  *complete: whether the check read all of the structure. */
int tree_verify(tree *t, bool *complete, struct ogawa_err *err);
void tree_close(tree *t);           /* accepts NULL */

/* The one archive's view, or NULL for a directory mount. */
view *tree_view(tree *t);

/*
 * True when id's entries and attributes follow the file system under a
 * directory mount (a directory of DIR, or an archive's directory, whose
 * file can be replaced): the kernel may cache them for a second only,
 * and must not cache the listing.  False for everything inside an archive.
 */
bool tree_live(tree *t, uint64_t id);

int tree_root_attr(tree *t, struct view_attr *attr, struct ogawa_err *err);
int tree_lookup(tree *t, uint64_t parent, const char *name, size_t len, uint64_t *id,
                struct view_attr *attr, struct ogawa_err *err);
void tree_forget(tree *t, uint64_t id, uint64_t nlookup);
int tree_getattr(tree *t, uint64_t id, struct view_attr *attr, struct ogawa_err *err);
/*
 * Listings.  A directory of DIR changes under the mount; tree_opendir
 * takes its listing as it is now, so that one reader's offsets (entry k
 * is the k-th of that listing) and names stay consistent however DIR
 * changes, until tree_releasedir.  *out is NULL where listings never
 * change (one archive, inside an archive).  The calls below take that
 * listing, or NULL for the current one.
 */
typedef struct shelf_listing tree_listing;
int tree_opendir(tree *t, uint64_t dir, tree_listing **out, struct ogawa_err *err);
void tree_releasedir(tree *t, tree_listing *l);
int tree_dir_count(tree *t, uint64_t dir, tree_listing *l, uint64_t *n, struct ogawa_err *err);
int tree_dir_entry(tree *t, uint64_t dir, tree_listing *l, uint64_t idx,
                   char name[VIEW_ENTRY_NAME_MAX], size_t *len, int *type, struct ogawa_err *err);
int tree_child(tree *t, uint64_t dir, tree_listing *l, uint64_t idx, uint64_t *id,
               struct view_attr *attr, struct ogawa_err *err);
int tree_child_ino(tree *t, uint64_t dir, tree_listing *l, uint64_t idx, uint64_t *ino,
                   int *type, struct ogawa_err *err);
uint64_t tree_parent(tree *t, uint64_t id);
int tree_readlink(tree *t, uint64_t id, char **target, size_t *len, struct ogawa_err *err);

/*
 * view_read, plus what keeps its bytes valid until they are sent: under a
 * directory mount the archive may otherwise be closed (and its fd with it)
 * by another thread.  tree_read_check is view_check_archive for the
 * archive the bytes came from; tree_read_done frees the copy and lets the
 * archive go.  Call tree_read_done after every tree_read, failed or not.
 */
struct tree_data {
    struct view_data d;
    void *hold;                     /* the archive in use (shelf.c), or NULL */
};
int tree_read(tree *t, uint64_t id, uint64_t pos, uint64_t len, struct tree_data *out,
              struct ogawa_err *err);
int tree_read_check(tree *t, struct tree_data *data, struct ogawa_err *err);
void tree_read_done(tree *t, struct tree_data *data);

int tree_xattr_list(tree *t, uint64_t id, char *buf, size_t cap, size_t *len,
                    struct ogawa_err *err);
int tree_xattr_get(tree *t, uint64_t id, const char *name, char *buf, size_t cap, size_t *len,
                   struct ogawa_err *err);
void tree_count_request(tree *t, int kind);
void tree_statfs(tree *t, uint64_t *archive_bytes, uint64_t *nodes);

/* view_resolve over the whole tree: a path below the root, "." and ".."
 * handled, links followed (at the end too if follow).  Holds one lookup. */
int tree_resolve(tree *t, const char *path, bool follow, uint64_t *id,
                 struct view_attr *attr, struct ogawa_err *err);

/* ---- the directory mount (shelf.c), reached through the calls above ---- */

int shelf_open(const char *dir, const struct tree_options *o, struct shelf **out,
               struct ogawa_err *err);
void shelf_close(struct shelf *s);
bool shelf_live(struct shelf *s, uint64_t id);
int shelf_lookup(struct shelf *s, uint64_t parent, const char *name, size_t len, uint64_t *id,
                 struct view_attr *attr, struct ogawa_err *err);
void shelf_hold(struct shelf *s, uint64_t id);
void shelf_forget(struct shelf *s, uint64_t id, uint64_t nlookup);
int shelf_getattr(struct shelf *s, uint64_t id, struct view_attr *attr, struct ogawa_err *err);
int shelf_opendir(struct shelf *s, uint64_t dir, struct shelf_listing **out,
                  struct ogawa_err *err);
void shelf_releasedir(struct shelf *s, struct shelf_listing *l);
int shelf_dir_count(struct shelf *s, uint64_t dir, struct shelf_listing *l, uint64_t *n,
                    struct ogawa_err *err);
int shelf_dir_entry(struct shelf *s, uint64_t dir, struct shelf_listing *l, uint64_t idx,
                    char name[VIEW_ENTRY_NAME_MAX], size_t *len, int *type,
                    struct ogawa_err *err);
int shelf_child(struct shelf *s, uint64_t dir, struct shelf_listing *l, uint64_t idx,
                uint64_t *id, struct view_attr *attr, struct ogawa_err *err);
int shelf_child_ino(struct shelf *s, uint64_t dir, struct shelf_listing *l, uint64_t idx,
                    uint64_t *ino, int *type, struct ogawa_err *err);
uint64_t shelf_parent(struct shelf *s, uint64_t id);
int shelf_readlink(struct shelf *s, uint64_t id, char **target, size_t *len,
                   struct ogawa_err *err);
int shelf_read(struct shelf *s, uint64_t id, uint64_t pos, uint64_t len, struct tree_data *out,
               struct ogawa_err *err);
int shelf_read_check(struct shelf *s, struct tree_data *data, struct ogawa_err *err);
void shelf_read_done(struct shelf *s, struct tree_data *data);
int shelf_xattr_list(struct shelf *s, uint64_t id, char *buf, size_t cap, size_t *len,
                     struct ogawa_err *err);
int shelf_xattr_get(struct shelf *s, uint64_t id, const char *name, char *buf, size_t cap,
                    size_t *len, struct ogawa_err *err);
void shelf_count_request(struct shelf *s, int kind);
void shelf_statfs(struct shelf *s, uint64_t *archive_bytes, uint64_t *nodes);

#endif
