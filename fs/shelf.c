/*
 * shelf.c — a directory of archives as one tree (`abcfs DIR MOUNTPOINT`).
 *
 * Every subdirectory of DIR shows as a directory ("folder"), every regular
 * file named *.abc or *.abc.gz (or a symbolic link to one) as a directory
 * of the same name holding that archive's view (fs/view.h) as a single
 * mount would show it.  Symbolic links to directories are not followed
 * (a link back up would make the tree endless); other files do not show.
 *
 * Nodes.  The shelf hands out its own node ids (root VIEW_ROOT_ID, then a
 * counter, never reused) and counts lookups as view.h says.  A node is a
 * folder, an archive's top, an entry inside an archive ("inner"), or the
 * .info of an archive that could not be opened ("why").  An inner node
 * names its entry by (parent node, name) and holds one lookup on the view
 * node it stands for, in the view open at the time (vid, vgen); when the
 * archive is closed and opened again, the view's ids are new, and the
 * node finds its entry again by name from its parent on first use.  So
 * nodes stay valid however often their archive is closed.
 *
 * Laziness.  Mounting reads nothing below DIR.  A folder is read when
 * listed or looked into; an archive is opened at the first lookup,
 * listing or xattr inside it, never by a stat of its directory, whose
 * attributes come from the file's stat.  At most max_open archives are
 * open; opening one more closes the least recently used that no request
 * is using (its view and every node of it: memory follows what is open).
 * Requests hold their archive open ("users") until their reply is sent,
 * so bytes are never spliced from an fd closed under them.
 *
 * Changes in DIR.  Names are looked up again in the file system each
 * time the kernel asks (the adapter gives folders and archive tops a one
 * second timeout, and listings are not cached by the kernel); a listing
 * is read again when the directory's mtime moves or it is a second old.
 * An archive is known by its file's identity (device, inode, size, mtime,
 * ctime): a changed identity under a name is a new archive, with new node
 * ids and new st_ino numbers.  The old one stays with whoever holds it; it
 * is opened again only if its file is still the same (else ESTALE), and
 * an open one is checked at each read (view_check_archive), so no read
 * ever mixes two files' bytes.
 *
 * Damage.  An archive that cannot be opened, or fails the structure check
 * within -o check's budget, is "damaged": its directory lists only .info,
 * which says why, and any other name in it answers EIO.  The rest of the
 * mount is unaffected.
 *
 * st_ino: 1 for the root; a folder mixes its real device and inode; an
 * archive's top mixes the file's identity and path (its "seed"); an inner
 * entry mixes the seed with the view's own st_ino (so samples sharing a
 * block still share st_ino).  64-bit mixes: unique in practice, and new
 * for a replaced archive.
 *
 * Locking: one mutex over the node tables, listings and archive states;
 * archive I/O (opening, view calls) runs outside it.  An archive's
 * open_lock lets one thread open it while others wait for the result.
 * View calls made under the shelf lock (view_forget) never call back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "tree.h"

enum shelf_kind { SHELF_FOLDER = 1, SHELF_ARCHIVE, SHELF_INNER, SHELF_WHY };

/* The least an open archive's caches get when -o cache is shared out. */
#define SHELF_CACHE_MIN (4ULL << 20)
/* A listing older than this is read again even if the folder's mtime did
 * not move (a file rewritten in place changes its own identity only). */
#define SHELF_LIST_MAX_AGE_NS 1000000000LL

struct shelf_archive {
    char *path;                     /* absolute path of the file */
    struct ogawa_source_identity ident; /* the file as looked up */
    uint64_t seed;                  /* st_ino of its top; mixes the inner ones */
    pthread_mutex_t open_lock;      /* one opener at a time */
    /* Under the shelf lock: */
    view *v;                        /* NULL while closed */
    uint64_t gen;                   /* opens so far: names v's node ids */
    unsigned users;                 /* requests using v now */
    bool orphan;                    /* its top is gone: the last user frees it */
    char *why;                      /* damaged: why it cannot be opened */
    struct shelf_archive *newer, *older;    /* the open ones, by last use */
};

struct shelf_entry {
    char *name;
    size_t len;
    int type;                       /* VIEW_T_FOLDER or VIEW_T_OBJECT (an archive) */
    uint64_t ino;                   /* st_ino its node has */
};

struct shelf_listing {
    struct shelf_entry *e;
    size_t n;
    struct timespec mtime, ctime;   /* the folder's when read */
    int64_t read_ns;                /* CLOCK_MONOTONIC when read */
    unsigned refs;                  /* the folder's, and open directories' (under the lock) */
};

struct shelf_node {
    uint64_t id;
    struct shelf_node *parent;      /* NULL for the root */
    char *name;                     /* in parent (NUL-terminated); "" for the root */
    size_t len;
    int kind;                       /* enum shelf_kind */
    uint64_t nlookup;               /* lookups the kernel (or a tool) holds */
    uint64_t children;              /* live nodes whose parent this is */
    uint64_t ino;                   /* st_ino (folders, tops, why) */
    struct shelf_archive *ar;       /* tops, inner, why: owned by the top */
    uint64_t vid, vgen;             /* inner: view node held, valid while ar->gen == vgen */
    char *path;                     /* folders: absolute path */
    uint64_t dev, dino;             /* folders: the real directory's identity */
    struct shelf_listing *list;     /* folders: last listing read */
    bool named;                     /* reachable by (parent, name) */
    struct shelf_node *next_id, *next_name;
};

struct shelf {
    pthread_mutex_t lock;
    struct tree_options o;          /* per archive: caches shared out */
    unsigned max_open;
    struct shelf_node **by_id, **by_name;
    size_t cap, count;
    uint64_t next_id;
    struct shelf_node *root;
    struct shelf_archive *newest, *oldest;  /* open archives */
    unsigned n_open;
    uint64_t n_archives;            /* archive tops known now */
    uint64_t damaged;               /* of which damaged */
    uint64_t opens, closes;         /* archives opened, and closed by max_open, so far */
    atomic_uint_least64_t req[VIEW_REQ_COUNT];
};

/* ---- numbers ------------------------------------------------------------------ */

static uint64_t
shelf_mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBULL;
    h ^= h >> 31;
    return h;
}

/* 0 is no inode to readdir, 1 the root. */
static uint64_t
shelf_ino(uint64_t h)
{
    return h <= VIEW_ROOT_ID ? h + 2 : h;
}

static uint64_t
shelf_folder_ino(const struct stat *st)
{
    return shelf_ino(shelf_mix(shelf_mix(0x666f6c646572ULL, st->st_dev), st->st_ino));
}

static void
shelf_identity(const struct stat *st, struct ogawa_source_identity *id)
{
    memset(id, 0, sizeof *id);
    id->dev = st->st_dev;
    id->ino = st->st_ino;
    id->size = (uint64_t)st->st_size;
    id->mtime_sec = st->st_mtim.tv_sec;
    id->mtime_nsec = st->st_mtim.tv_nsec;
    id->ctime_sec = st->st_ctim.tv_sec;
    id->ctime_nsec = st->st_ctim.tv_nsec;
}

static bool
shelf_same_identity(const struct ogawa_source_identity *a, const struct ogawa_source_identity *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec &&
           a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec;
}

static uint64_t
shelf_archive_seed(const struct ogawa_source_identity *id, const char *path)
{
    uint64_t h = shelf_mix(0x61726368697665ULL, id->dev);
    h = shelf_mix(h, id->ino);
    h = shelf_mix(h, id->size);
    h = shelf_mix(h, (uint64_t)id->mtime_sec * 1000000000ULL + (uint64_t)id->mtime_nsec);
    h = shelf_mix(h, (uint64_t)id->ctime_sec * 1000000000ULL + (uint64_t)id->ctime_nsec);
    return shelf_ino(shelf_mix(h, ogawa_fnv1a64(path, strlen(path))));
}

static uint64_t
shelf_inner_ino(const struct shelf_archive *ar, uint64_t view_ino)
{
    return shelf_ino(shelf_mix(ar->seed, view_ino));
}

static int64_t
shelf_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* An archive by its name: *.abc or *.abc.gz. */
static bool
shelf_archive_name(const char *name, size_t len)
{
    return (len > 4 && memcmp(name + len - 4, ".abc", 4) == 0) ||
           (len > 7 && memcmp(name + len - 7, ".abc.gz", 7) == 0);
}

/* What name in a folder is: VIEW_T_FOLDER, VIEW_T_OBJECT (an archive), or
 * 0 (not shown).  *st is what the node is known by. */
static int
shelf_classify(int dirfd, const char *name, size_t len, struct stat *st)
{
    if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) != 0)
        return 0;
    if (S_ISDIR(st->st_mode))
        return VIEW_T_FOLDER;
    if (!shelf_archive_name(name, len))
        return 0;
    if (S_ISLNK(st->st_mode) && fstatat(dirfd, name, st, 0) != 0)
        return 0;
    return S_ISREG(st->st_mode) ? VIEW_T_OBJECT : 0;
}

/* ---- tables (under the lock) ------------------------------------------------------ */

static size_t
shelf_hash_id(uint64_t id, size_t cap)
{
    return (size_t)((id * 0x9E3779B97F4A7C15ULL) >> 17) & (cap - 1);
}

static size_t
shelf_hash_name(uint64_t parent, const char *name, size_t len, size_t cap)
{
    return (size_t)shelf_mix(parent, ogawa_fnv1a64(name, len)) & (cap - 1);
}

static struct shelf_node *
shelf_find_id(struct shelf *s, uint64_t id)
{
    struct shelf_node *n = s->by_id[shelf_hash_id(id, s->cap)];
    while (n != NULL && n->id != id)
        n = n->next_id;
    return n;
}

static struct shelf_node *
shelf_find_name(struct shelf *s, uint64_t parent, const char *name, size_t len)
{
    struct shelf_node *n = s->by_name[shelf_hash_name(parent, name, len, s->cap)];
    while (n != NULL && !(n->parent->id == parent && n->len == len &&
                          memcmp(n->name, name, len) == 0))
        n = n->next_name;
    return n;
}

static void
shelf_link(struct shelf *s, struct shelf_node *n)
{
    size_t h = shelf_hash_id(n->id, s->cap);
    n->next_id = s->by_id[h];
    s->by_id[h] = n;
    if (n->parent != NULL) {
        h = shelf_hash_name(n->parent->id, n->name, n->len, s->cap);
        n->next_name = s->by_name[h];
        s->by_name[h] = n;
        n->named = true;
    }
}

static void
shelf_unname(struct shelf *s, struct shelf_node *n)
{
    if (!n->named)
        return;
    struct shelf_node **p = &s->by_name[shelf_hash_name(n->parent->id, n->name, n->len, s->cap)];
    while (*p != n)
        p = &(*p)->next_name;
    *p = n->next_name;
    n->named = false;
}

static void
shelf_unlink(struct shelf *s, struct shelf_node *n)
{
    struct shelf_node **p = &s->by_id[shelf_hash_id(n->id, s->cap)];
    while (*p != n)
        p = &(*p)->next_id;
    *p = n->next_id;
    shelf_unname(s, n);
    s->count--;
}

/* Doubles the tables when they are as full as their size. */
static int
shelf_grow(struct shelf *s)
{
    if (s->count < s->cap)
        return 0;
    size_t cap = s->cap * 2;
    struct shelf_node **by_id = calloc(cap, sizeof *by_id);
    struct shelf_node **by_name = calloc(cap, sizeof *by_name);
    if (by_id == NULL || by_name == NULL) {
        free(by_id);
        free(by_name);
        return OGAWA_E_NOMEM;
    }
    struct shelf_node **old = s->by_id;
    size_t old_cap = s->cap;
    free(s->by_name);
    s->by_id = by_id;
    s->by_name = by_name;
    s->cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        for (struct shelf_node *n = old[i], *next; n != NULL; n = next) {
            next = n->next_id;
            bool named = n->named;
            shelf_link(s, n);
            if (!named && n->parent != NULL) {
                /* shelf_link named it: take that back */
                shelf_unname(s, n);
            }
        }
    }
    free(old);
    return 0;
}

/* A new node under parent with one lookup, in the tables.  Under the lock. */
static struct shelf_node *
shelf_add(struct shelf *s, struct shelf_node *parent, const char *name, size_t len, int kind)
{
    if (shelf_grow(s) != 0)
        return NULL;
    struct shelf_node *n = calloc(1, sizeof *n);
    if (n == NULL || (n->name = malloc(len + 1)) == NULL) {
        free(n);
        return NULL;
    }
    memcpy(n->name, name, len);
    n->name[len] = '\0';
    n->len = len;
    n->kind = kind;
    n->id = s->next_id++;
    n->parent = parent;
    n->nlookup = 1;
    parent->children++;
    s->count++;
    shelf_link(s, n);
    return n;
}

static void
shelf_listing_free(struct shelf_listing *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->e[i].name);
    free(l->e);
    free(l);
}

/* Gives back one reference to l; true when it was the last (the caller
 * frees it, outside the lock).  Under the lock. */
static bool
shelf_listing_unref(struct shelf_listing *l)
{
    return l != NULL && --l->refs == 0;
}

/* ---- archives ---------------------------------------------------------------------- */

static void
shelf_lru_unlink(struct shelf *s, struct shelf_archive *ar)
{
    if (ar->newer != NULL)
        ar->newer->older = ar->older;
    else
        s->newest = ar->older;
    if (ar->older != NULL)
        ar->older->newer = ar->newer;
    else
        s->oldest = ar->newer;
    ar->newer = ar->older = NULL;
}

static void
shelf_lru_push(struct shelf *s, struct shelf_archive *ar)
{
    ar->older = s->newest;
    ar->newer = NULL;
    if (s->newest != NULL)
        s->newest->newer = ar;
    else
        s->oldest = ar;
    s->newest = ar;
}

/* Views to close once the lock is dropped. */
struct shelf_closing {
    view *v[8];
    size_t n;
};

/* Closes the least recently used idle archives while more than max_open
 * are open (at most 8 a call: the next call goes on).  Under the lock. */
static void
shelf_evict(struct shelf *s, struct shelf_closing *c)
{
    struct shelf_archive *ar = s->oldest;
    while (s->n_open > s->max_open && ar != NULL && c->n < 8) {
        struct shelf_archive *newer = ar->newer;
        if (ar->users == 0) {
            shelf_lru_unlink(s, ar);
            c->v[c->n++] = ar->v;
            ar->v = NULL;
            s->n_open--;
            s->closes++;
        }
        ar = newer;
    }
}

static void
shelf_close_views(struct shelf_closing *c)
{
    for (size_t i = 0; i < c->n; i++)
        view_close(c->v[i]);
    c->n = 0;
}

static void shelf_archive_free(struct shelf_archive *ar);

/* Lets an archive go after a request (tree_read_done and the rest). */
static void
shelf_release(struct shelf *s, struct shelf_archive *ar)
{
    struct shelf_closing c = {.n = 0};
    pthread_mutex_lock(&s->lock);
    ar->users--;
    bool gone = ar->orphan && ar->users == 0;
    if (gone && ar->v != NULL) {
        shelf_lru_unlink(s, ar);
        s->n_open--;
        c.v[c.n++] = ar->v;
        ar->v = NULL;
    }
    shelf_evict(s, &c);
    pthread_mutex_unlock(&s->lock);
    shelf_close_views(&c);
    if (gone)
        shelf_archive_free(ar);     /* no node reaches it: no one else can */
}

/* Is this failure to open the file's own (damage), not the moment's? */
static bool
shelf_lasting(int code, const struct ogawa_err *err)
{
    if (code == OGAWA_E_NOMEM)
        return false;
    /* ESTALE, ENOENT: the file was replaced or removed since its lookup,
     * which says nothing of the archive the name now holds. */
    if (code == OGAWA_E_IO && err != NULL)
        return !(err->sys_errno == EMFILE || err->sys_errno == ENFILE ||
                 err->sys_errno == ENOMEM || err->sys_errno == EINTR ||
                 err->sys_errno == EAGAIN || err->sys_errno == ESTALE ||
                 err->sys_errno == ENOENT);
    return true;
}

/* Opens ar's file as the one looked up.  Errors: its own, ESTALE (as
 * OGAWA_E_IO) when the file is now another. */
static int
shelf_open_view(struct shelf *s, struct shelf_archive *ar, bool first, view **out,
                struct ogawa_err *err)
{
    view *v;
    int rc = view_open_opts(ar->path, &s->o.open, &v, err);
    if (rc != 0)
        return rc;
    const ogawa_source *src = ogawa_archive_source(abc_archive_ogawa(view_archive(v)));
    if (!shelf_same_identity(ogawa_source_identity(src), &ar->ident)) {
        view_close(v);
        rc = ogawa_fail(err, OGAWA_E_IO, 0, "the archive's file was replaced or changed");
        if (err != NULL)
            err->sys_errno = ESTALE;
        return rc;
    }
    view_configure(v, &s->o.view);
    if (first && s->o.check_budget > 0) {
        bool complete;
        rc = view_verify(v, s->o.check_budget, &complete, err);
        if (rc != 0) {
            view_close(v);
            return rc;
        }
    }
    *out = v;
    return 0;
}

/* Pseudo-code of "damaged" for the callers: the archive's top then shows
 * its .info only. */
#define SHELF_DAMAGED 1

/*
 * Takes ar into use (one user more), opening it if closed.  Returns 0 with
 * *v and *gen, SHELF_DAMAGED (nothing taken) when the archive could not be
 * opened the first time, or an error (nothing taken).
 */
static int
shelf_acquire(struct shelf *s, struct shelf_archive *ar, view **v, uint64_t *gen,
              struct ogawa_err *err)
{
    pthread_mutex_lock(&s->lock);
    if (ar->v != NULL || ar->why != NULL) {
        int rc = SHELF_DAMAGED;
        if (ar->v != NULL) {
            ar->users++;
            *v = ar->v;
            *gen = ar->gen;
            if (s->newest != ar) {
                shelf_lru_unlink(s, ar);
                shelf_lru_push(s, ar);
            }
            rc = 0;
        }
        pthread_mutex_unlock(&s->lock);
        return rc;
    }
    pthread_mutex_unlock(&s->lock);

    pthread_mutex_lock(&ar->open_lock);
    pthread_mutex_lock(&s->lock);
    bool done = ar->v != NULL || ar->why != NULL;
    bool first = ar->gen == 0;
    pthread_mutex_unlock(&s->lock);
    if (done) {
        /* Opened (or found damaged) by the thread we waited for. */
        pthread_mutex_unlock(&ar->open_lock);
        return shelf_acquire(s, ar, v, gen, err);
    }
    struct ogawa_err e = {0};
    view *nv = NULL;
    int rc = shelf_open_view(s, ar, first, &nv, &e);
    struct shelf_closing c = {.n = 0};
    pthread_mutex_lock(&s->lock);
    if (rc == 0) {
        ar->v = nv;
        ar->gen++;
        ar->users++;
        *v = nv;
        *gen = ar->gen;
        shelf_lru_push(s, ar);
        s->n_open++;
        s->opens++;
        shelf_evict(s, &c);
    } else if (first && shelf_lasting(rc, &e)) {
        char msg[256];
        ogawa_err_format(&e, msg, sizeof msg);
        ar->why = strdup(msg);
        if (ar->why != NULL) {
            s->damaged++;
            rc = SHELF_DAMAGED;
        }
    }
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_unlock(&ar->open_lock);
    shelf_close_views(&c);
    if (rc != 0 && rc != SHELF_DAMAGED) {
        if (err != NULL)
            *err = e;
    }
    return rc;
}

/* ---- open, close --------------------------------------------------------------------- */

static void
shelf_node_free(struct shelf_node *n)
{
    free(n->name);
    free(n->path);
    if (shelf_listing_unref(n->list))   /* else an open directory still reads it */
        shelf_listing_free(n->list);
    free(n);
}

static void
shelf_archive_free(struct shelf_archive *ar)
{
    if (ar == NULL)
        return;
    view_close(ar->v);
    pthread_mutex_destroy(&ar->open_lock);
    free(ar->path);
    free(ar->why);
    free(ar);
}

int
shelf_open(const char *dir, const struct tree_options *o, struct shelf **out,
           struct ogawa_err *err)
{
    *out = NULL;
    char *path = realpath(dir, NULL);
    struct stat st;
    if (path == NULL || stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        int e = errno;
        free(path);
        int rc = ogawa_fail(err, OGAWA_E_IO, 0, "cannot open the directory");
        if (err != NULL)
            err->sys_errno = e ? e : ENOTDIR;
        return rc;
    }
    struct shelf *s = calloc(1, sizeof *s);
    struct shelf_node *root = calloc(1, sizeof *root);
    if (s == NULL || root == NULL || (root->name = strdup("")) == NULL) {
        free(s);
        free(root);
        free(path);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    }
    s->o = *o;
    s->max_open = o->max_open ? o->max_open : TREE_MAX_OPEN_DEFAULT;
    /* -o cache is shared out between the open archives, each getting at
     * least SHELF_CACHE_MIN: together they hold at most
     * max(cache, max_open * SHELF_CACHE_MIN) per cache kind. */
    uint64_t view_cache = o->view.cache_bytes ? o->view.cache_bytes : VIEW_CACHE_DEFAULT;
    uint64_t src_cache = o->open.cache_bytes ? o->open.cache_bytes : OGAWA_CACHE_DEFAULT;
    view_cache /= s->max_open;
    src_cache /= s->max_open;
    s->o.view.cache_bytes = view_cache < SHELF_CACHE_MIN ? SHELF_CACHE_MIN : view_cache;
    s->o.open.cache_bytes = src_cache < SHELF_CACHE_MIN ? SHELF_CACHE_MIN : src_cache;
    s->o.open.quiet = true;     /* no progress line in the middle of a mount */
    pthread_mutex_init(&s->lock, NULL);
    s->cap = 64;
    s->by_id = calloc(s->cap, sizeof *s->by_id);
    s->by_name = calloc(s->cap, sizeof *s->by_name);
    if (s->by_id == NULL || s->by_name == NULL) {
        free(root->name);
        free(root);
        free(path);
        shelf_close(s);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    }
    root->id = VIEW_ROOT_ID;
    root->kind = SHELF_FOLDER;
    root->nlookup = 1;
    root->ino = VIEW_ROOT_ID;
    root->path = path;
    root->dev = st.st_dev;
    root->dino = st.st_ino;
    s->root = root;
    s->next_id = VIEW_ROOT_ID + 1;
    s->count = 1;
    shelf_link(s, root);
    *out = s;
    return 0;
}

void
shelf_close(struct shelf *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->cap && s->by_id != NULL; i++) {
        for (struct shelf_node *n = s->by_id[i], *next; n != NULL; n = next) {
            next = n->next_id;
            if (n->kind == SHELF_ARCHIVE)
                shelf_archive_free(n->ar);
            shelf_node_free(n);
        }
    }
    free(s->by_id);
    free(s->by_name);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---- nodes ---------------------------------------------------------------------------- */

/* The node of id, or NULL; the caller holds a lookup on it, so it stays. */
static struct shelf_node *
shelf_node(struct shelf *s, uint64_t id)
{
    pthread_mutex_lock(&s->lock);
    struct shelf_node *n = shelf_find_id(s, id);
    pthread_mutex_unlock(&s->lock);
    return n;
}

static int
shelf_stale(struct ogawa_err *err)
{
    int rc = ogawa_fail(err, OGAWA_E_IO, 0, "no such node (forgotten)");
    if (err != NULL)
        err->sys_errno = ESTALE;
    return rc;
}

bool
shelf_live(struct shelf *s, uint64_t id)
{
    struct shelf_node *n = shelf_node(s, id);
    return n == NULL || n->kind == SHELF_FOLDER || n->kind == SHELF_ARCHIVE;
}

void
shelf_hold(struct shelf *s, uint64_t id)
{
    pthread_mutex_lock(&s->lock);
    struct shelf_node *n = shelf_find_id(s, id);
    if (n != NULL)
        n->nlookup++;
    pthread_mutex_unlock(&s->lock);
}

/*
 * Frees n and, as they empty, its ancestors.  Under the lock: an inner
 * node's view lookup is given back while its view is still the one open
 * (a closed view took its lookups with it); a top closes its archive.
 */
static void
shelf_drop(struct shelf *s, struct shelf_node *n, struct shelf_closing *c)
{
    while (n != NULL && n != s->root && n->nlookup == 0 && n->children == 0) {
        struct shelf_node *parent = n->parent;
        shelf_unlink(s, n);
        parent->children--;
        struct shelf_archive *ar = n->ar;
        if (n->kind == SHELF_INNER && ar->v != NULL && n->vgen == ar->gen)
            view_forget(ar->v, n->vid, 1);
        if (n->kind == SHELF_ARCHIVE) {
            s->n_archives--;
            if (ar->why != NULL)
                s->damaged--;
            /* No node of it is left, but a read whose reply has gone out
             * (the kernel let go of its node) may not have released it
             * yet: then that read's shelf_release frees it. */
            if (ar->users > 0) {
                ar->orphan = true;
                shelf_node_free(n);
                n = parent;
                continue;
            }
            if (ar->v != NULL) {
                shelf_lru_unlink(s, ar);
                s->n_open--;
                if (c->n < 8)
                    c->v[c->n++] = ar->v;
                else
                    view_close(ar->v);  /* rare: more than 8 tops in one chain */
                ar->v = NULL;
            }
            shelf_archive_free(ar);
        }
        shelf_node_free(n);
        n = parent;
    }
}

void
shelf_forget(struct shelf *s, uint64_t id, uint64_t nlookup)
{
    struct shelf_closing c = {.n = 0};
    pthread_mutex_lock(&s->lock);
    struct shelf_node *n = shelf_find_id(s, id);
    if (n != NULL && n != s->root) {
        n->nlookup -= nlookup < n->nlookup ? nlookup : n->nlookup;
        shelf_drop(s, n, &c);
    }
    pthread_mutex_unlock(&s->lock);
    shelf_close_views(&c);
}

uint64_t
shelf_parent(struct shelf *s, uint64_t id)
{
    struct shelf_node *n = shelf_node(s, id);
    return n != NULL && n->parent != NULL ? n->parent->id : VIEW_ROOT_ID;
}

/*
 * The view node of n (an inner node or a top) in the view open as gen,
 * finding it again by name from the nearest ancestor known in that view
 * when the archive was closed since.  The caller uses the archive.
 */
static int
shelf_vid(struct shelf *s, struct shelf_node *n, view *v, uint64_t gen, uint64_t *vid,
          struct ogawa_err *err)
{
    if (n->kind == SHELF_ARCHIVE) {
        *vid = VIEW_ROOT_ID;
        return 0;
    }
    pthread_mutex_lock(&s->lock);
    if (n->vgen == gen) {
        *vid = n->vid;
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    size_t depth = 0;
    for (struct shelf_node *p = n; p->kind == SHELF_INNER && p->vgen != gen; p = p->parent)
        depth++;
    pthread_mutex_unlock(&s->lock);
    struct shelf_node **chain = malloc(depth * sizeof *chain);
    if (chain == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    struct shelf_node *top = n;
    for (size_t i = 0; i < depth; i++, top = top->parent)
        chain[i] = top;
    /* top is now the nearest ancestor known in gen (or the archive's top) */
    pthread_mutex_lock(&s->lock);
    uint64_t pvid = top->kind == SHELF_ARCHIVE ? VIEW_ROOT_ID : top->vid;
    pthread_mutex_unlock(&s->lock);
    int rc = 0;
    for (size_t i = depth; i-- > 0;) {
        struct shelf_node *c = chain[i];
        struct view_attr a;
        uint64_t got;
        rc = view_lookup(v, pvid, c->name, c->len, &got, &a, err);
        if (rc != 0)
            break;
        pthread_mutex_lock(&s->lock);
        uint64_t extra = 0;
        if (c->vgen == gen) {
            extra = got;        /* found by another thread meanwhile */
            got = c->vid;
        } else {
            c->vid = got;
            c->vgen = gen;
        }
        if (extra != 0)
            view_forget(v, extra, 1);
        pthread_mutex_unlock(&s->lock);
        pvid = got;
    }
    free(chain);
    *vid = pvid;
    return rc;
}

/* The archive in use and the view node of n (inner or top) for a request;
 * shelf_release(s, *ar) when done.  SHELF_DAMAGED for a damaged top. */
static int
shelf_enter(struct shelf *s, struct shelf_node *n, struct shelf_archive **ar, view **v,
            uint64_t *vid, struct ogawa_err *err)
{
    uint64_t gen;
    int rc = shelf_acquire(s, n->ar, v, &gen, err);
    if (rc != 0)
        return rc;
    rc = shelf_vid(s, n, *v, gen, vid, err);
    if (rc != 0) {
        shelf_release(s, n->ar);
        return rc;
    }
    *ar = n->ar;
    return 0;
}

/* Attributes of a node that is not in a view. */
static void
shelf_dir_attr(struct view_attr *a, uint64_t ino, int type, int64_t sec, long nsec)
{
    memset(a, 0, sizeof *a);
    a->ino = ino;
    a->mode = S_IFDIR | 0555;
    a->nlink = 1;       /* unknown, as for directories whose count is not kept */
    a->type = type;
    a->mtime = sec;
    a->mtime_nsec = nsec;
}

/* The .info of a damaged archive (layout.md's one key per line). */
static char *
shelf_why_text(const struct shelf_node *top, size_t *len)
{
    struct view_buf b = {0};
    view_buf_puts(&b, "{\n\"name\": ");
    view_buf_json_str(&b, top->name, top->len);
    view_buf_puts(&b, ",\n\"path\": ");
    view_buf_json_str(&b, top->ar->path, strlen(top->ar->path));
    view_buf_puts(&b, ",\n\"error\": ");
    const char *why = top->ar->why != NULL ? top->ar->why : "unknown";
    view_buf_json_str(&b, why, strlen(why));
    view_buf_puts(&b, "\n}\n");
    if (b.oom) {
        view_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.ptr;
}

static void
shelf_why_attr(const struct shelf_node *n, struct view_attr *a)
{
    size_t len = 0;
    char *text = shelf_why_text(n->parent, &len);
    free(text);
    memset(a, 0, sizeof *a);
    a->ino = n->ino;
    a->mode = S_IFREG | 0444;
    a->nlink = 1;
    a->size = len;
    a->type = VIEW_T_INFO;
    a->mtime = n->ar->ident.mtime_sec;
    a->mtime_nsec = n->ar->ident.mtime_nsec;
}

static int shelf_folder_stat(struct shelf *s, struct shelf_node *n, struct stat *st,
                             struct ogawa_err *err);

int
shelf_getattr(struct shelf *s, uint64_t id, struct view_attr *attr, struct ogawa_err *err)
{
    struct shelf_node *n = shelf_node(s, id);
    if (n == NULL)
        return shelf_stale(err);
    switch (n->kind) {
    case SHELF_FOLDER: {
        struct stat st;
        int rc = shelf_folder_stat(s, n, &st, err);
        if (rc != 0)
            return rc;
        shelf_dir_attr(attr, n->ino, VIEW_T_FOLDER, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        return 0;
    }
    case SHELF_ARCHIVE:
        shelf_dir_attr(attr, n->ino, VIEW_T_OBJECT, n->ar->ident.mtime_sec,
                       n->ar->ident.mtime_nsec);
        return 0;
    case SHELF_WHY:
        shelf_why_attr(n, attr);
        return 0;
    default: {
        struct shelf_archive *ar;
        view *v;
        uint64_t vid;
        int rc = shelf_enter(s, n, &ar, &v, &vid, err);
        if (rc != 0)
            return rc;
        rc = view_getattr(v, vid, attr, err);
        attr->ino = shelf_inner_ino(ar, attr->ino);
        shelf_release(s, ar);
        return rc;
    }
    }
}

/* ---- folders ---------------------------------------------------------------------------- */

static int
shelf_name_cmp(const void *a, const void *b)
{
    const struct shelf_entry *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int
shelf_sys_fail(struct ogawa_err *err, const char *msg)
{
    int e = errno;
    int rc = ogawa_fail(err, e == ENOMEM ? OGAWA_E_NOMEM : OGAWA_E_IO, 0, msg);
    if (err != NULL)
        err->sys_errno = e;
    return rc;
}

/* Reads folder n's entries, sorted by name (so listings are stable). */
static int
shelf_read_folder(const struct shelf_node *n, const struct stat *dst, struct shelf_listing **out,
                  struct ogawa_err *err)
{
    int fd = open(n->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return shelf_sys_fail(err, "cannot open the directory");
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        int rc = shelf_sys_fail(err, "cannot read the directory");
        close(fd);
        return rc;
    }
    struct shelf_listing *l = calloc(1, sizeof *l);
    size_t cap = 0;
    int rc = l == NULL ? ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory") : 0;
    struct dirent *de;
    while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if ((len == 1 && de->d_name[0] == '.') || (len == 2 && memcmp(de->d_name, "..", 2) == 0))
            continue;
        if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN &&
            !shelf_archive_name(de->d_name, len))
            continue;   /* not shown: no stat needed */
        struct stat st;
        int type = shelf_classify(fd, de->d_name, len, &st);
        if (type == 0)
            continue;
        if (l->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct shelf_entry *e = realloc(l->e, ncap * sizeof *e);
            if (e == NULL) {
                rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
                break;
            }
            l->e = e;
            cap = ncap;
        }
        struct shelf_entry *e = &l->e[l->n];
        if ((e->name = strdup(de->d_name)) == NULL) {
            rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
            break;
        }
        e->len = len;
        e->type = type;
        if (type == VIEW_T_FOLDER) {
            e->ino = shelf_folder_ino(&st);
        } else {
            struct ogawa_source_identity id;
            shelf_identity(&st, &id);
            size_t plen = strlen(n->path);
            char *path = malloc(plen + 1 + len + 1);
            if (path == NULL) {
                free(e->name);
                rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
                break;
            }
            memcpy(path, n->path, plen);
            path[plen] = '/';
            memcpy(path + plen + 1, de->d_name, len + 1);
            e->ino = shelf_archive_seed(&id, path);
            free(path);
        }
        l->n++;
    }
    if (rc == 0 && errno != 0)
        rc = shelf_sys_fail(err, "cannot read the directory");
    closedir(d);
    if (rc != 0) {
        shelf_listing_free(l);
        return rc;
    }
    if (l->n > 1)   /* an empty folder has no array (qsort wants one) */
        qsort(l->e, l->n, sizeof *l->e, shelf_name_cmp);
    l->mtime = dst->st_mtim;
    l->ctime = dst->st_ctim;
    l->read_ns = shelf_now_ns();
    l->refs = 1;                /* the folder's */
    *out = l;
    return 0;
}

/* Makes folder n's listing current (read again when the directory moved
 * or the listing is a second old). */
/* The folder's directory as it is now.  A folder node is the directory it
 * was looked up as: one renamed away, or replaced by another of the same
 * name, gives ESTALE (the root follows DIR's path). */
static int
shelf_folder_stat(struct shelf *s, struct shelf_node *n, struct stat *st, struct ogawa_err *err)
{
    int e = 0;
    if (stat(n->path, st) != 0)
        e = errno == ENOENT || errno == ENOTDIR ? ESTALE : errno;
    else if (!S_ISDIR(st->st_mode) ||
             (n != s->root && ((uint64_t)st->st_dev != n->dev || (uint64_t)st->st_ino != n->dino)))
        e = ESTALE;
    if (e == 0)
        return 0;
    int rc = ogawa_fail(err, OGAWA_E_IO, 0, e == ESTALE ? "the directory is gone or replaced"
                                                        : "cannot read the directory");
    if (err != NULL)
        err->sys_errno = e;
    return rc;
}

static int
shelf_folder_list(struct shelf *s, struct shelf_node *n, struct ogawa_err *err)
{
    struct stat st;
    int src = shelf_folder_stat(s, n, &st, err);
    if (src != 0)
        return src;
    int64_t now = shelf_now_ns();
    pthread_mutex_lock(&s->lock);
    struct shelf_listing *l = n->list;
    bool fresh = l != NULL && l->mtime.tv_sec == st.st_mtim.tv_sec &&
                 l->mtime.tv_nsec == st.st_mtim.tv_nsec &&
                 l->ctime.tv_sec == st.st_ctim.tv_sec &&
                 l->ctime.tv_nsec == st.st_ctim.tv_nsec &&
                 now - l->read_ns < SHELF_LIST_MAX_AGE_NS;
    pthread_mutex_unlock(&s->lock);
    if (fresh)
        return 0;
    struct shelf_listing *nl = NULL;
    int rc = shelf_read_folder(n, &st, &nl, err);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&s->lock);
    l = n->list;
    n->list = nl;
    bool last = shelf_listing_unref(l);
    pthread_mutex_unlock(&s->lock);
    if (last)
        shelf_listing_free(l);
    return 0;
}

/* Looks name up in folder parent: the file system is asked each time. */
static int
shelf_folder_lookup(struct shelf *s, struct shelf_node *parent, const char *name, size_t len,
                    struct shelf_node **out, struct ogawa_err *err)
{
    if (len > NAME_MAX)
        return ogawa_fail(err, VIEW_E_NAMETOOLONG, 0, "name too long");
    if (memchr(name, '/', len) != NULL || memchr(name, '\0', len) != NULL ||
        (len == 1 && name[0] == '.') || (len == 2 && memcmp(name, "..", 2) == 0))
        return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
    size_t plen = strlen(parent->path);
    char *path = malloc(plen + 1 + len + 1);
    if (path == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    memcpy(path, parent->path, plen);
    path[plen] = '/';
    memcpy(path + plen + 1, name, len);
    path[plen + 1 + len] = '\0';
    struct stat st;
    int type = shelf_classify(AT_FDCWD, path, strlen(path), &st);
    if (type == 0) {
        free(path);
        return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
    }
    struct ogawa_source_identity id;
    shelf_identity(&st, &id);
    struct shelf_archive *ar = NULL;
    if (type == VIEW_T_OBJECT) {
        ar = calloc(1, sizeof *ar);
        if (ar == NULL) {
            free(path);
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
        }
        pthread_mutex_init(&ar->open_lock, NULL);
        ar->ident = id;
        ar->seed = shelf_archive_seed(&id, path);
    }

    pthread_mutex_lock(&s->lock);
    struct shelf_node *n = shelf_find_name(s, parent->id, name, len);
    if (n != NULL && type == VIEW_T_FOLDER && n->kind == SHELF_FOLDER &&
        n->dev == (uint64_t)st.st_dev && n->dino == (uint64_t)st.st_ino) {
        n->nlookup++;
    } else if (n != NULL && type == VIEW_T_OBJECT && n->kind == SHELF_ARCHIVE &&
               shelf_same_identity(&n->ar->ident, &id)) {
        n->nlookup++;
    } else {
        /* New, or another file under the name now: a new node (the old
         * one stays for whoever holds it, but is no longer found). */
        if (n != NULL)
            shelf_unname(s, n);
        n = shelf_add(s, parent, name, len, type == VIEW_T_FOLDER ? SHELF_FOLDER : SHELF_ARCHIVE);
        if (n != NULL && type == VIEW_T_FOLDER) {
            n->path = path;
            path = NULL;
            n->dev = st.st_dev;
            n->dino = st.st_ino;
            n->ino = shelf_folder_ino(&st);
        } else if (n != NULL) {
            ar->path = path;
            path = NULL;
            n->ar = ar;
            n->ino = ar->seed;
            ar = NULL;
            s->n_archives++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    free(path);
    if (ar != NULL) {
        pthread_mutex_destroy(&ar->open_lock);
        free(ar);
    }
    if (n == NULL)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
    *out = n;
    return 0;
}

/* ---- inside archives ----------------------------------------------------------------- */

/* The node of (parent, name) for view node vid of gen, found or made, with
 * one lookup more; the view lookup vid came with is kept or given back. */
static struct shelf_node *
shelf_inner(struct shelf *s, struct shelf_node *parent, const char *name, size_t len, view *v,
            uint64_t vid, uint64_t gen, int kind)
{
    pthread_mutex_lock(&s->lock);
    struct shelf_node *n = shelf_find_name(s, parent->id, name, len);
    if (n != NULL) {
        n->nlookup++;
        if (kind == SHELF_INNER) {
            if (n->vgen == gen) {
                view_forget(v, vid, 1);   /* the same view node: one lookup is enough */
            } else {
                n->vid = vid;
                n->vgen = gen;
            }
        }
    } else {
        n = shelf_add(s, parent, name, len, kind);
        if (n != NULL) {
            n->ar = parent->ar;
            if (kind == SHELF_INNER) {
                n->vid = vid;
                n->vgen = gen;
            } else {
                n->ino = shelf_ino(shelf_mix(parent->ar->seed, 0x7768795f696e666fULL));
            }
        } else if (kind == SHELF_INNER) {
            view_forget(v, vid, 1);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

static int
shelf_damaged(struct ogawa_err *err)
{
    return ogawa_fail(err, VIEW_E_BADSRC, 0, "the archive cannot be opened (its .info says why)");
}

int
shelf_lookup(struct shelf *s, uint64_t parent, const char *name, size_t len, uint64_t *id,
             struct view_attr *attr, struct ogawa_err *err)
{
    struct shelf_node *p = shelf_node(s, parent), *n = NULL;
    if (p == NULL)
        return shelf_stale(err);
    int rc;
    switch (p->kind) {
    case SHELF_FOLDER:
        rc = shelf_folder_lookup(s, p, name, len, &n, err);
        break;
    case SHELF_ARCHIVE:
    case SHELF_INNER: {
        struct shelf_archive *ar;
        view *v;
        uint64_t pvid, gen;
        rc = shelf_acquire(s, p->ar, &v, &gen, err);
        if (rc == SHELF_DAMAGED) {
            if (len == 5 && memcmp(name, ".info", 5) == 0) {
                n = shelf_inner(s, p, name, len, NULL, 0, 0, SHELF_WHY);
                rc = n != NULL ? 0 : ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
            } else {
                rc = shelf_damaged(err);
            }
            break;
        }
        if (rc != 0)
            break;
        ar = p->ar;
        rc = shelf_vid(s, p, v, gen, &pvid, err);
        uint64_t vid;
        struct view_attr a;
        if (rc == 0)
            rc = view_lookup(v, pvid, name, len, &vid, &a, err);
        if (rc == 0) {
            n = shelf_inner(s, p, name, len, v, vid, gen, SHELF_INNER);
            if (n == NULL)
                rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
        }
        if (rc == 0) {
            /* attributes from the view as it was looked up */
            *attr = a;
            attr->ino = shelf_inner_ino(ar, a.ino);
            *id = n->id;
        }
        shelf_release(s, ar);
        return rc;
    }
    default:
        return ogawa_fail(err, VIEW_E_NOTDIR, 0, "not a directory");
    }
    if (rc != 0)
        return rc;
    rc = shelf_getattr(s, n->id, attr, err);
    if (rc != 0) {
        shelf_forget(s, n->id, 1);
        return rc;
    }
    *id = n->id;
    return 0;
}

int
shelf_opendir(struct shelf *s, uint64_t dir, struct shelf_listing **out, struct ogawa_err *err)
{
    *out = NULL;
    struct shelf_node *n = shelf_node(s, dir);
    if (n == NULL)
        return shelf_stale(err);
    if (n->kind != SHELF_FOLDER)
        return 0;       /* an archive's listings do not change */
    int rc = shelf_folder_list(s, n, err);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&s->lock);
    *out = n->list;
    n->list->refs++;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

void
shelf_releasedir(struct shelf *s, struct shelf_listing *l)
{
    if (l == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    bool last = shelf_listing_unref(l);
    pthread_mutex_unlock(&s->lock);
    if (last)
        shelf_listing_free(l);
}

int
shelf_dir_count(struct shelf *s, uint64_t dir, struct shelf_listing *snap, uint64_t *count,
                struct ogawa_err *err)
{
    struct shelf_node *n = shelf_node(s, dir);
    if (n == NULL)
        return shelf_stale(err);
    if (n->kind == SHELF_FOLDER && snap != NULL) {
        *count = snap->n;       /* immutable while referenced */
        return 0;
    }
    if (n->kind == SHELF_FOLDER) {
        int rc = shelf_folder_list(s, n, err);
        if (rc == 0) {
            pthread_mutex_lock(&s->lock);
            *count = n->list->n;
            pthread_mutex_unlock(&s->lock);
        }
        return rc;
    }
    if (n->kind == SHELF_WHY)
        return ogawa_fail(err, VIEW_E_NOTDIR, 0, "not a directory");
    struct shelf_archive *ar;
    view *v;
    uint64_t vid;
    int rc = shelf_enter(s, n, &ar, &v, &vid, err);
    if (rc == SHELF_DAMAGED) {
        *count = 1;     /* .info */
        return 0;
    }
    if (rc != 0)
        return rc;
    rc = view_dir_count(v, vid, count, err);
    shelf_release(s, ar);
    return rc;
}

/* Entry idx of folder n: its name (into name) and type, and st_ino. */
static int
shelf_folder_entry(struct shelf *s, struct shelf_node *n, const struct shelf_listing *snap,
                   uint64_t idx, char name[VIEW_ENTRY_NAME_MAX], size_t *len, int *type,
                   uint64_t *ino, struct ogawa_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    const struct shelf_listing *l = snap != NULL ? snap : n->list;
    if (l == NULL || idx >= l->n || l->e[idx].len >= VIEW_ENTRY_NAME_MAX) {
        rc = ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
    } else {
        const struct shelf_entry *e = &l->e[idx];
        memcpy(name, e->name, e->len + 1);
        *len = e->len;
        *type = e->type;
        *ino = e->ino;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int
shelf_dir_entry(struct shelf *s, uint64_t dir, struct shelf_listing *snap, uint64_t idx,
                char name[VIEW_ENTRY_NAME_MAX], size_t *len, int *type, struct ogawa_err *err)
{
    struct shelf_node *n = shelf_node(s, dir);
    if (n == NULL)
        return shelf_stale(err);
    uint64_t ino;
    if (n->kind == SHELF_FOLDER)
        return shelf_folder_entry(s, n, snap, idx, name, len, type, &ino, err);
    if (n->kind == SHELF_WHY)
        return ogawa_fail(err, VIEW_E_NOTDIR, 0, "not a directory");
    struct shelf_archive *ar;
    view *v;
    uint64_t vid;
    int rc = shelf_enter(s, n, &ar, &v, &vid, err);
    if (rc == SHELF_DAMAGED) {
        if (idx != 0)
            return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
        memcpy(name, ".info", 6);
        *len = 5;
        *type = VIEW_T_INFO;
        return 0;
    }
    if (rc != 0)
        return rc;
    rc = view_dir_entry(v, vid, idx, name, len, type, err);
    shelf_release(s, ar);
    return rc;
}

int
shelf_child(struct shelf *s, uint64_t dir, struct shelf_listing *snap, uint64_t idx, uint64_t *id,
            struct view_attr *attr, struct ogawa_err *err)
{
    struct shelf_node *n = shelf_node(s, dir);
    if (n == NULL)
        return shelf_stale(err);
    char name[VIEW_ENTRY_NAME_MAX];
    size_t len;
    int type;
    uint64_t ino;
    if (n->kind == SHELF_FOLDER) {
        int rc = shelf_folder_entry(s, n, snap, idx, name, &len, &type, &ino, err);
        return rc != 0 ? rc : shelf_lookup(s, dir, name, len, id, attr, err);
    }
    if (n->kind == SHELF_WHY)
        return ogawa_fail(err, VIEW_E_NOTDIR, 0, "not a directory");
    struct shelf_archive *ar;
    view *v;
    uint64_t pvid, vid;
    int rc = shelf_enter(s, n, &ar, &v, &pvid, err);
    if (rc == SHELF_DAMAGED)
        return idx == 0 ? shelf_lookup(s, dir, ".info", 5, id, attr, err)
                        : ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&s->lock);
    uint64_t gen = ar->gen;     /* stays while we use the archive */
    pthread_mutex_unlock(&s->lock);
    rc = view_dir_entry(v, pvid, idx, name, &len, &type, err);
    if (rc == 0)
        rc = view_child(v, pvid, idx, &vid, attr, err);
    if (rc == 0) {
        struct shelf_node *c = shelf_inner(s, n, name, len, v, vid, gen, SHELF_INNER);
        if (c == NULL) {
            rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
        } else {
            *id = c->id;
            attr->ino = shelf_inner_ino(ar, attr->ino);
        }
    }
    shelf_release(s, ar);
    return rc;
}

int
shelf_child_ino(struct shelf *s, uint64_t dir, struct shelf_listing *snap, uint64_t idx,
                uint64_t *ino, int *type, struct ogawa_err *err)
{
    struct shelf_node *n = shelf_node(s, dir);
    if (n == NULL)
        return shelf_stale(err);
    char name[VIEW_ENTRY_NAME_MAX];
    size_t len;
    if (n->kind == SHELF_FOLDER)
        return shelf_folder_entry(s, n, snap, idx, name, &len, type, ino, err);
    if (n->kind == SHELF_WHY)
        return ogawa_fail(err, VIEW_E_NOTDIR, 0, "not a directory");
    struct shelf_archive *ar;
    view *v;
    uint64_t vid;
    int rc = shelf_enter(s, n, &ar, &v, &vid, err);
    if (rc == SHELF_DAMAGED) {
        if (idx != 0)
            return ogawa_fail(err, OGAWA_E_NOENT, 0, "no such entry");
        *type = VIEW_T_INFO;
        *ino = shelf_ino(shelf_mix(n->ar->seed, 0x7768795f696e666fULL));
        return 0;
    }
    if (rc != 0)
        return rc;
    rc = view_child_ino(v, vid, idx, ino, type, err);
    *ino = shelf_inner_ino(ar, *ino);
    shelf_release(s, ar);
    return rc;
}

int
shelf_readlink(struct shelf *s, uint64_t id, char **target, size_t *len, struct ogawa_err *err)
{
    *target = NULL;
    struct shelf_node *n = shelf_node(s, id);
    if (n == NULL)
        return shelf_stale(err);
    if (n->kind != SHELF_INNER)
        return ogawa_fail(err, VIEW_E_NOTLINK, 0, "not a symbolic link");
    struct shelf_archive *ar;
    view *v;
    uint64_t vid;
    int rc = shelf_enter(s, n, &ar, &v, &vid, err);
    if (rc != 0)
        return rc;
    rc = view_readlink(v, vid, target, len, err);
    shelf_release(s, ar);
    return rc;
}

int
shelf_read(struct shelf *s, uint64_t id, uint64_t pos, uint64_t len, struct tree_data *out,
           struct ogawa_err *err)
{
    memset(out, 0, sizeof *out);
    out->d.fd = -1;
    struct shelf_node *n = shelf_node(s, id);
    if (n == NULL)
        return shelf_stale(err);
    if (n->kind == SHELF_WHY) {
        size_t tlen;
        char *text = shelf_why_text(n->parent, &tlen);
        if (text == NULL)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
        uint64_t start = pos < tlen ? pos : tlen;
        uint64_t n_bytes = tlen - start < len ? tlen - start : len;
        memmove(text, text + start, n_bytes);
        out->d.mem = text;
        out->d.len = n_bytes;
        return 0;
    }
    if (n->kind != SHELF_INNER)
        return ogawa_fail(err, VIEW_E_ISDIR, 0, "is a directory");
    struct shelf_archive *ar;
    view *v;
    uint64_t vid;
    int rc = shelf_enter(s, n, &ar, &v, &vid, err);
    if (rc != 0)
        return rc;
    out->hold = ar;     /* the fd stays open until shelf_read_done */
    return view_read(v, vid, pos, len, &out->d, err);
}

int
shelf_read_check(struct shelf *s, struct tree_data *data, struct ogawa_err *err)
{
    (void)s;
    struct shelf_archive *ar = data->hold;
    /* ar->v cannot change while the read holds it */
    return ar != NULL ? view_check_archive(ar->v, err) : 0;
}

void
shelf_read_done(struct shelf *s, struct tree_data *data)
{
    free(data->d.mem);
    data->d.mem = NULL;
    if (data->hold != NULL)
        shelf_release(s, data->hold);
    data->hold = NULL;
}

/* ---- xattrs and stats ----------------------------------------------------------------------- */

#define SHELF_STATS_XATTR "user.abcfs.stats"

static char *
shelf_stats_json(struct shelf *s, size_t *len)
{
    struct view_buf b = {0};
    pthread_mutex_lock(&s->lock);
    view_buf_printf(&b, "{\"archives\": %llu, \"open\": %u, \"max_open\": %u, \"opens\": %llu, "
                        "\"closes\": %llu, \"damaged\": %llu, \"nodes\": %llu",
                    (unsigned long long)s->n_archives, s->n_open, s->max_open,
                    (unsigned long long)s->opens, (unsigned long long)s->closes,
                    (unsigned long long)s->damaged, (unsigned long long)s->count);
    pthread_mutex_unlock(&s->lock);
    view_buf_puts(&b, ", \"requests\": {");
    for (int i = 0; i < VIEW_REQ_COUNT; i++)
        view_buf_printf(&b, "%s\"%s\": %llu", i ? ", " : "", view_req_name(i),
                        (unsigned long long)atomic_load(&s->req[i]));
    view_buf_puts(&b, "}}");
    if (b.oom) {
        view_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.ptr;
}

/* Copies len bytes of value into buf (cap 0: the size only). */
static int
shelf_xattr_put(const char *value, size_t vlen, char *buf, size_t cap, size_t *len,
                struct ogawa_err *err)
{
    *len = vlen;
    if (cap == 0)
        return 0;
    if (vlen > cap)
        return ogawa_fail(err, VIEW_E_RANGE, 0, "buffer too small");
    memcpy(buf, value, vlen);
    return 0;
}

int
shelf_xattr_list(struct shelf *s, uint64_t id, char *buf, size_t cap, size_t *len,
                 struct ogawa_err *err)
{
    struct shelf_node *n = shelf_node(s, id);
    if (n == NULL)
        return shelf_stale(err);
    if (n == s->root)
        return shelf_xattr_put(SHELF_STATS_XATTR, sizeof SHELF_STATS_XATTR, buf, cap, len, err);
    if (n->kind == SHELF_FOLDER || n->kind == SHELF_WHY)
        return shelf_xattr_put("", 0, buf, cap, len, err);
    struct shelf_archive *ar;
    view *v;
    uint64_t vid;
    int rc = shelf_enter(s, n, &ar, &v, &vid, err);
    if (rc == SHELF_DAMAGED)
        return shelf_xattr_put("", 0, buf, cap, len, err);
    if (rc != 0)
        return rc;
    rc = view_xattr_list(v, vid, buf, cap, len, err);
    shelf_release(s, ar);
    return rc;
}

int
shelf_xattr_get(struct shelf *s, uint64_t id, const char *name, char *buf, size_t cap,
                size_t *len, struct ogawa_err *err)
{
    struct shelf_node *n = shelf_node(s, id);
    if (n == NULL)
        return shelf_stale(err);
    if (n == s->root && strcmp(name, SHELF_STATS_XATTR) == 0) {
        size_t slen;
        char *json = shelf_stats_json(s, &slen);
        if (json == NULL)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory");
        int rc = shelf_xattr_put(json, slen, buf, cap, len, err);
        free(json);
        return rc;
    }
    /* Every attribute a view has is named user.abc*: others (ls -l asks
     * for security.* and system.posix_acl_*) are answered without opening
     * the archive, so listing a folder opens nothing. */
    if (n->kind == SHELF_FOLDER || n->kind == SHELF_WHY || strncmp(name, "user.abc", 8) != 0)
        return ogawa_fail(err, VIEW_E_NODATA, 0, "no such attribute");
    struct shelf_archive *ar;
    view *v;
    uint64_t vid;
    int rc = shelf_enter(s, n, &ar, &v, &vid, err);
    if (rc == SHELF_DAMAGED)
        return ogawa_fail(err, VIEW_E_NODATA, 0, "no such attribute");
    if (rc != 0)
        return rc;
    rc = view_xattr_get(v, vid, name, buf, cap, len, err);
    shelf_release(s, ar);
    return rc;
}

void
shelf_count_request(struct shelf *s, int kind)
{
    if (kind >= 0 && kind < VIEW_REQ_COUNT)
        atomic_fetch_add_explicit(&s->req[kind], 1, memory_order_relaxed);
}

void
shelf_statfs(struct shelf *s, uint64_t *archive_bytes, uint64_t *nodes)
{
    uint64_t bytes = 0;
    pthread_mutex_lock(&s->lock);
    for (struct shelf_archive *ar = s->newest; ar != NULL; ar = ar->older)
        bytes += ar->ident.size;
    *nodes = s->count;
    pthread_mutex_unlock(&s->lock);
    *archive_bytes = bytes;
}
