/*
 * view.h — the mounted tree of layout.md as nodes, names and bytes, with no
 * FUSE in it.  The libfuse adapter (fs/ll_ops.c) and the tools (abcls,
 * abccat) sit on top of this one layer, so they show the same tree.
 *
 * A view is one open archive.  Every entry of the tree that somebody holds
 * is a node, named by a 64-bit id (the FUSE nodeid; the mount point is
 * VIEW_ROOT_ID).  Ids are handed out by view_lookup / view_child, which
 * count one lookup each, and are dropped by view_forget (FUSE's nlookup
 * protocol).  Looking up the same entry twice gives the same id while the
 * node lives.  A caller may use an id only while it holds a lookup on it.
 *
 * Errors: functions return 0 or a negative code, OGAWA_E_* (ogawa.h) or
 * VIEW_E_* below, and fill *err (which may be NULL).  view_errno is the one
 * place where a code becomes an errno.
 *
 * Thread-safety: any number of threads may call any function on one view
 * at once (the node table has a lock; node records are immutable once
 * published).  view_close needs every other call to have returned.
 */
#ifndef ABCFS_VIEW_H
#define ABCFS_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "abc.h"

#define VIEW_ROOT_ID 1

typedef struct view view;

/* Codes of the view itself, below the OGAWA_E_* band. */
enum {
    VIEW_E_NOTDIR = -100,   /* a directory operation on a file or link */
    VIEW_E_ISDIR = -101,    /* a file operation on a directory */
    VIEW_E_NODATA = -102,   /* no such extended attribute */
    VIEW_E_RANGE = -103,    /* caller's buffer is too small */
    VIEW_E_NOTLINK = -104,  /* readlink of something that is not a link */
    VIEW_E_NAMETOOLONG = -105, /* a name longer than the system allows */
    VIEW_E_LOOP = -106,     /* too many symbolic links in a path */
    VIEW_E_TOOBIG = -107,   /* generated text would be unreasonably large */
    VIEW_E_BADSRC = -108,   /* a view whose source is invalid (EIO) */
};

/* What a node is (layout.md "Directories and files"). */
enum view_type {
    VIEW_T_OBJECT = 1,      /* directory of an object (the root too) */
    VIEW_T_COMPOUND,        /* directory of a compound property */
    VIEW_T_PROPERTY,        /* directory of a scalar or array property */
    VIEW_T_SAMPLE,          /* NNNN.EXT */
    VIEW_T_INFO,            /* .info */
    VIEW_T_TIMES,           /* .times */
    VIEW_T_PROMOTED,        /* symbolic link P -> .geom/P */
    VIEW_T_INSTANCE,        /* symbolic link to an instance's source */
    VIEW_T_VIEWDIR,         /* a view directory (views.md): .npy, .expanded, ... */
    VIEW_T_VIEWFILE,        /* a computed file of a view: NNNN.npy, all.npy, ... */
    VIEW_T_FOLDER,          /* a directory of the file system (directory mounts, tree.h) */
};

/* The views of views.md, by kind; VIEW_VK_COUNT bounds the list. */
enum view_kind {
    VIEW_VK_NONE = 0,
    VIEW_VK_NPY,            /* .npy/ of a property-like directory */
    VIEW_VK_EXPANDED,       /* .expanded/ of an indexed geometry parameter */
    VIEW_VK_MATRIX,         /* .matrix/ of an Xform object: local matrices */
    VIEW_VK_WORLD,          /* .world/ of an object at or below an Xform */
    VIEW_VK_PLY,            /* .ply/ of a PolyMesh, SubD or Points object */
    VIEW_VK_OBJ,            /* .obj/ of a PolyMesh or SubD object */
    VIEW_VK_PREVIEW,        /* .preview/ of a PolyMesh, SubD, Points or Curves object */
    VIEW_VK_PREVIEW_PNG,    /* .preview.png of the mount point (a file) */
    VIEW_VK_COUNT
};
const char *view_kind_name(int vk);     /* ".npy", ".expanded", ... */

/* How views show (-o views=): reachable but not listed (the default),
 * listed like any entry, or not there at all. */
enum view_mode { VIEW_MODE_HIDDEN = 0, VIEW_MODE_VISIBLE, VIEW_MODE_OFF };

/* Settings of an open view; view_configure before any other call. */
struct view_options {
    int views;              /* enum view_mode */
    uint64_t cache_bytes;   /* bound of the generated-bytes cache */
};
#define VIEW_CACHE_DEFAULT (64ull << 20)
void view_configure(view *v, const struct view_options *o);
/* Parses "hidden", "visible", "off"; -1 if none of them. */
int view_mode_parse(const char *s);

const char *view_type_name(int type);   /* "object", ..., "instance" */
bool view_type_is_dir(int type);
bool view_type_is_link(int type);

/* What stat(2) shows of a node. */
struct view_attr {
    uint64_t ino;           /* st_ino: see view_node.c for the scheme */
    uint32_t mode;          /* S_IFDIR|0555, S_IFREG|0444, S_IFLNK|0777 */
    uint32_t nlink;         /* 1 for files and links, 2 + subdirs for dirs */
    uint64_t size;          /* exact bytes for files, target length for links */
    int64_t mtime;          /* the archive file's mtime, seconds */
    long mtime_nsec;
    int type;               /* enum view_type */
    bool invalid;           /* a view whose source is invalid: size 0, reads EIO */
};


/* Opens an archive (abc_archive_open) and its top object.  Errors: those
 * of abc_archive_open and abc_archive_top.  *out is NULL on failure. */
int view_open(const char *path, view **out, struct ogawa_err *err);
/* Same, with options for a compressed archive (source.h; opts may be NULL). */
int view_open_opts(const char *path, const struct ogawa_open_opts *opts, view **out,
                   struct ogawa_err *err);
void view_close(view *v);   /* accepts NULL */

/*
 * Checks the archive's structure up front (abc_archive_verify), reading at
 * most budget bytes (UINT64_MAX: all of it); *complete says whether the
 * walk finished.  Returns its first error.  What it reads is kept apart:
 * user.abcfs.stats reports it under "verify" and leaves it out of the
 * other counters, which so count what serving the tree read.
 */
int view_verify(view *v, uint64_t budget, bool *complete, struct ogawa_err *err);

const abc_archive *view_archive(const view *v);
/* Is the archive still the file opened (ogawa_source_check)?  0, or an
 * error (EIO): then nothing read from it may be served. */
int view_check_archive(view *v, struct ogawa_err *err);
int view_archive_fd(const view *v);     /* to serve raw sample bytes */

/* The root's attributes (no lookup is counted: the root is always held). */
int view_root_attr(view *v, struct view_attr *attr, struct ogawa_err *err);

/*
 * Looks up name (len bytes, final escaped form) in directory parent.
 * On success *id holds a node with one more lookup and *attr its
 * attributes.  Errors: OGAWA_E_NOENT (no such entry), VIEW_E_NOTDIR, and
 * any archive error met while building the directory or the node.
 */
int view_lookup(view *v, uint64_t parent, const char *name, size_t len, uint64_t *id,
                struct view_attr *attr, struct ogawa_err *err);

/* The most samples a property may claim and still have a .times: looking
 * .times up beyond it fails with VIEW_E_TOOBIG (EFBIG).  Why 2^20: see
 * view_times_render in view_info.c. */
#define VIEW_TIMES_MAX_SAMPLES (1u << 20)

/* Drops nlookup lookups of id (FUSE forget).  The root is never freed. */
void view_forget(view *v, uint64_t id, uint64_t nlookup);

int view_getattr(view *v, uint64_t id, struct view_attr *attr, struct ogawa_err *err);

/* A directory's entries, not counting "." and "..": their number, and
 * entry idx's final name (copied into name, NUL-terminated) and type. */
#define VIEW_ENTRY_NAME_MAX 288     /* 255 (rule 4) + "~N" (rule 5) + NUL, rounded */
int view_dir_count(view *v, uint64_t dir, uint64_t *n, struct ogawa_err *err);
int view_dir_entry(view *v, uint64_t dir, uint64_t idx, char name[VIEW_ENTRY_NAME_MAX],
                   size_t *len, int *type, struct ogawa_err *err);

/* Entry idx of dir as a node, with one more lookup (readdirplus). */
int view_child(view *v, uint64_t dir, uint64_t idx, uint64_t *id, struct view_attr *attr,
               struct ogawa_err *err);

/* Entry idx's attributes without keeping a node (plain readdir's d_ino). */
int view_child_attr(view *v, uint64_t dir, uint64_t idx, struct view_attr *attr,
                    struct ogawa_err *err);

/* Entry idx's st_ino and type without building its node (plain readdir's
 * d_ino and d_type): the same st_ino its node has or would have. */
int view_child_ino(view *v, uint64_t dir, uint64_t idx, uint64_t *ino, int *type,
                   struct ogawa_err *err);

/* The parent of a node (VIEW_ROOT_ID for the root), with no lookup counted:
 * valid while the caller holds id. */
uint64_t view_parent(view *v, uint64_t id);

/* A link's target: a new malloc'ed NUL-terminated string (caller frees). */
int view_readlink(view *v, uint64_t id, char **target, size_t *len, struct ogawa_err *err);

/*
 * Where the bytes [pos, pos + len) of a file node are.  Bytes of the
 * archive (a raw sample, the body of a numeric .npy, a PLY vertex block)
 * are a range of the archive's fd when it has one (fd >= 0, off, len:
 * serve it with pread or splice, never touching the bytes here); anything
 * else (converted samples, .info, .times, computed views, the bytes of a
 * compressed archive) is copied into a new malloc'ed buffer (fd = -1,
 * mem, NULL when len is 0; the caller may always call free(out->mem)).
 * Computed bytes come from the view cache (view_cache.c) or are computed
 * again.  len is clipped at the file's end.  Errors: VIEW_E_ISDIR,
 * VIEW_E_NOTLINK for links read as files (EINVAL), VIEW_E_BADSRC (EIO) for
 * a view whose source is invalid, OGAWA_E_NOMEM.
 */
struct view_data {
    int fd;                 /* archive fd, or -1 for memory */
    uint64_t off;           /* absolute archive offset when fd >= 0 */
    uint64_t len;           /* bytes to serve */
    void *mem;              /* when fd < 0: malloc'ed copy, the caller frees */
    uint64_t src_end;       /* samples (raw or converted): end of the whole
                               payload in the archive, so a caller can see
                               that the file shrank under it; 0 otherwise */
};
int view_read(view *v, uint64_t id, uint64_t pos, uint64_t len, struct view_data *out,
              struct ogawa_err *err);

/*
 * Extended attributes (layout.md "Extended attributes").  view_xattr_list
 * writes the NUL-separated names into buf (cap bytes; with cap 0 only the
 * size is returned in *len).  view_xattr_get likewise for one value.
 * Errors: VIEW_E_NODATA, VIEW_E_RANGE (cap too small).
 */
int view_xattr_list(view *v, uint64_t id, char *buf, size_t cap, size_t *len,
                    struct ogawa_err *err);
int view_xattr_get(view *v, uint64_t id, const char *name, char *buf, size_t cap,
                   size_t *len, struct ogawa_err *err);

/* Request kinds counted in user.abcfs.stats, one per FUSE opcode the
 * kernel sends to a read-only mount (forget counts FORGET and each
 * BATCH_FORGET once; other: the mutations, answered EROFS). */
enum view_req {
    VIEW_REQ_LOOKUP, VIEW_REQ_FORGET, VIEW_REQ_GETATTR, VIEW_REQ_READLINK,
    VIEW_REQ_READDIR, VIEW_REQ_READ, VIEW_REQ_GETXATTR, VIEW_REQ_STATFS, VIEW_REQ_OTHER,
    VIEW_REQ_LISTXATTR, VIEW_REQ_READDIRPLUS, VIEW_REQ_OPEN, VIEW_REQ_RELEASE,
    VIEW_REQ_FLUSH, VIEW_REQ_OPENDIR, VIEW_REQ_RELEASEDIR, VIEW_REQ_ACCESS,
    VIEW_REQ_COUNT
};
const char *view_req_name(int kind);    /* "lookup", ... as the stats name them */
/* Counts one request of a kind (the adapter calls it once per request).
 * Bytes handed out by view_read are counted by view_read. */
void view_count_request(view *v, int kind);

/* The user.abcfs.stats text (JSON, one line) into a new malloc'ed string. */
char *view_stats_json(view *v, size_t *len);

/* Numbers of statfs: archive size and nodes held. */
void view_statfs(view *v, uint64_t *archive_bytes, uint64_t *nodes);

/*
 * Resolves a slash-separated path below the root, as the kernel would:
 * "." and ".." handled, symbolic links followed in the middle and, if
 * follow is true, at the end (at most 40).  The result holds one lookup
 * (drop it with view_forget).  Errors: as view_lookup, VIEW_E_LOOP.
 */
int view_resolve(view *v, const char *path, bool follow, uint64_t *id, struct view_attr *attr,
                 struct ogawa_err *err);

/* Maps a code (OGAWA_E_* or VIEW_E_*) to a positive errno: the only such
 * mapping of the project.  err may be NULL (IO then gives EIO). */
int view_errno(int code, const struct ogawa_err *err);

/* ---- pictures (view_geom.c) ------------------------------------------ */

/* The picture of .preview/NNNN.png before PNG encoding: sample `sample` of
 * a geometry (ogawa/abc_mesh.h) drawn in object space, VIEW_PICTURE_SIZE
 * squared RGBA; points are loaded whole up to point_limit bytes (a larger
 * mesh is drawn as its points). */
#define VIEW_PICTURE_SIZE 256
struct abc_mesh;
int view_picture_rgba(struct abc_mesh *m, uint32_t sample, uint64_t point_limit,
                      uint8_t rgba[VIEW_PICTURE_SIZE * VIEW_PICTURE_SIZE * 4],
                      struct ogawa_err *err);

/* ---- names (view_name.c) --------------------------------------------- */

/* The longest final name of layout.md rule 4 before any ~N of rule 5. */
#define VIEW_NAME_MAX 255

/*
 * Escapes a raw Alembic name with rules 1–4 of layout.md "Names".
 * reserved: NULL-terminated list of virtual entry names of the directory
 * (rule 3), or NULL.  Returns a new malloc'ed NUL-terminated string
 * (length in *out_len), or NULL when out of memory.
 */
char *view_name_escape(const char *raw, size_t len, const char *const *reserved,
                       size_t *out_len);

/* A set of the final names of one directory (rule 5). */
struct view_names;
struct view_names *view_names_new(size_t expect);
void view_names_free(struct view_names *s);
/* Adds escaped name e, appending ~2, ~3, ... while taken; returns the final
 * name (malloc'ed, the caller frees) or NULL when out of memory. */
char *view_names_add(struct view_names *s, const char *e, size_t len, size_t *out_len);
/* Adds e as is if free (promoted links): 1 added, 0 taken, negative NOMEM. */
int view_names_try(struct view_names *s, const char *e, size_t len);
bool view_names_has(const struct view_names *s, const char *e, size_t len);
/* Hash-table slots inspected so far (tests count them to check rule 5's cost). */
uint64_t view_names_probes(const struct view_names *s);

/* Sample file names: width of the index for n samples, the name of sample
 * i (into buf of at least 32 bytes, returns its length), and the parse of
 * a name back to an index (false if not exactly such a name). */
unsigned view_sample_width(uint64_t n_samples);
size_t view_sample_name(uint64_t n_samples, int pod, uint64_t i, char *buf);
bool view_sample_parse(uint64_t n_samples, int pod, const char *name, size_t len, uint64_t *i);

/* Appends a JSON string of raw bytes to a growing buffer: valid UTF-8
 * passes, each maximal invalid sequence becomes U+FFFD (dump-format.md). */
struct view_buf {
    char *ptr;
    size_t len;
    size_t cap;
    bool oom;               /* an append failed: the text is incomplete */
    bool count;             /* set by the caller: only len is kept (a size
                               computed without holding the text) */
};
void view_buf_put(struct view_buf *b, const void *data, size_t len);
void view_buf_puts(struct view_buf *b, const char *s);
void view_buf_printf(struct view_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void view_buf_json_str(struct view_buf *b, const char *raw, size_t len);
/* Takes over a malloc'ed buffer of len bytes as b's text. */
void view_buf_adopt(struct view_buf *b, void *bytes, size_t len);
void view_buf_free(struct view_buf *b);

#endif
