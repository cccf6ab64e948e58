/*
 * main.c — abcfs [options] ARCHIVE MOUNTPOINT: opens the archive, mounts it
 * read-only with the low-level adapter (fs/ll_ops.c), and serves it until
 * unmounted (fusermount3 -u, umount) or sent SIGTERM/SIGINT.  ARCHIVE may
 * be a directory: then every archive below it is served (fs/shelf.c),
 * each opened and checked at its first use instead of here.
 *
 * A straight ladder: parse, check the mount point is a directory, open the
 * archive and check its structure within a read budget (so that a file
 * that is not an archive, or a damaged one, fails here, with one line on
 * stderr and exit 1, before anything is mounted), new session, signals,
 * mount, daemonize, loop, unmount.
 *
 * /etc/fstab works through mount.fuse3, which runs `abcfs ARCHIVE
 * MOUNTPOINT -o OPTS`: options that only mount(8) uses (defaults, noauto,
 * nofail, _netdev, user, ...) are dropped here if mount.fuse3 left them.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ll.h"
#include "source.h"

#ifndef ABCFS_VERSION
#define ABCFS_VERSION "0"
#endif

/* Kernel cache time for entries and attributes: the archive is immutable. */
#define ABCFS_TIMEOUT 86400.0
/* Under a directory mount, for what follows DIR's files: "new, removed and
 * replaced files show up within a second". */
#define ABCFS_LIVE_TIMEOUT 1.0

/* Default -o check budget: archive bytes the structural check may read
 * before mounting.  Enough to check any archive whose structure (headers,
 * groups, sample sizes) is small, all of it; a large archive is checked as
 * far as this goes and stays lazy beyond, so mounting stays O(1). */
/* The check's reads are 8 to 16 bytes each, so its cost is in system
 * calls: 16 KiB is ~1-2k preads (under a millisecond) and refuses every
 * damaged file of the corpus that 1 MiB refuses, while 1 MiB was ~80k
 * preads (50-125 ms) on a 100k-object archive (tools/bench_mount.py). */
#define ABCFS_CHECK_DEFAULT (16ULL << 10)

struct abcfs_cli {
    char *archive;
    char *check;            /* -o check=none|full|SIZE */
    char *views;            /* -o views=hidden|visible|off */
    char *cache;            /* -o cache=SIZE: each of the view cache and a
                               compressed archive's block cache */
    char *gzindex;          /* -o gzindex=PATH: where a gzip archive's index is kept */
    char *timeout;          /* -o timeout=SECONDS: an HTTP request without progress */
    char *max_open;         /* -o max_open=N: archives open at once (directory mount) */
    char **headers;         /* -o header=NAME: VALUE, repeatable: sent with HTTP requests */
    size_t n_headers;
    int nosplice;
    int allow_other;
};

enum { ABCFS_KEY_ALLOW_OTHER, ABCFS_KEY_DROP, ABCFS_KEY_HEADER };

static const struct fuse_opt abcfs_main_opts[] = {
    {"nosplice", offsetof(struct abcfs_cli, nosplice), 1},
    {"check=%s", offsetof(struct abcfs_cli, check), 0},
    {"views=%s", offsetof(struct abcfs_cli, views), 0},
    {"cache=%s", offsetof(struct abcfs_cli, cache), 0},
    {"gzindex=%s", offsetof(struct abcfs_cli, gzindex), 0},
    {"timeout=%s", offsetof(struct abcfs_cli, timeout), 0},
    {"max_open=%s", offsetof(struct abcfs_cli, max_open), 0},
    FUSE_OPT_KEY("header=", ABCFS_KEY_HEADER),
    FUSE_OPT_KEY("allow_other", ABCFS_KEY_ALLOW_OTHER),
    FUSE_OPT_KEY("defaults", ABCFS_KEY_DROP),
    FUSE_OPT_KEY("auto", ABCFS_KEY_DROP),
    FUSE_OPT_KEY("noauto", ABCFS_KEY_DROP),
    FUSE_OPT_KEY("nofail", ABCFS_KEY_DROP),
    FUSE_OPT_KEY("_netdev", ABCFS_KEY_DROP),
    FUSE_OPT_KEY("user", ABCFS_KEY_DROP),
    FUSE_OPT_KEY("users", ABCFS_KEY_DROP),
    FUSE_OPT_KEY("nouser", ABCFS_KEY_DROP),
    FUSE_OPT_KEY("owner", ABCFS_KEY_DROP),
    FUSE_OPT_KEY("comment=", ABCFS_KEY_DROP),
    FUSE_OPT_END
};

static int
abcfs_main_opt(void *data, const char *arg, int key, struct fuse_args *outargs)
{
    struct abcfs_cli *cli = data;
    (void)outargs;
    switch (key) {
    case ABCFS_KEY_ALLOW_OTHER:
        cli->allow_other = 1;
        return 1;
    case ABCFS_KEY_DROP:
        return 0;
    case ABCFS_KEY_HEADER: {
        const char *h = arg + strlen("header=");
        if (strchr(h, ':') == NULL || strpbrk(h, "\r\n") != NULL) {
            fprintf(stderr, "abcfs: invalid -o header=%s (NAME: VALUE)\n", h);
            return -1;
        }
        char **more = realloc(cli->headers, (cli->n_headers + 1) * sizeof *more);
        if (more == NULL)
            return -1;
        cli->headers = more;
        if ((more[cli->n_headers] = strdup(h)) == NULL)
            return -1;
        cli->n_headers++;
        return 0;
    }
    case FUSE_OPT_KEY_NONOPT:
        if (cli->archive == NULL) {
            cli->archive = strdup(arg);
            return cli->archive != NULL ? 0 : -1;
        }
        return 1;   /* the mount point: fuse_parse_cmdline takes it */
    default:
        if (strncmp(arg, "x-", 2) == 0)
            return 0;   /* x-systemd.* and friends are for mount(8) */
        return 1;
    }
}

static void
abcfs_main_usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s [options] ARCHIVE.abc MOUNTPOINT\n"
            "       %s [options] DIR MOUNTPOINT\n"
            "Mounts an Alembic (Ogawa) archive read-only as a tree of directories and files.\n"
            "The archive may be gzip-compressed (abccopy --gzip, or any gzip file), or an\n"
            "http:// or https:// URL of a server that answers Range requests.  A directory\n"
            "shows each *.abc and *.abc.gz file below it as a directory of its archive's\n"
            "tree (subdirectories mirrored), each opened at its first use.\n"
            "\n"
            "abcfs options:\n"
            "    -h, --help             print this help and exit\n"
            "    -V, --version          print the version and exit\n"
            "    -f                     stay in the foreground\n"
            "    -d, -o debug           print every request (implies -f)\n"
            "    -s                     single-threaded\n"
            "    -o allow_other         let other users read (adds default_permissions)\n"
            "    -o nosplice            copy sample bytes instead of splicing them\n"
            "    -o check=SIZE          before mounting, check the archive's structure,\n"
            "                           stopping after SIZE bytes read (K, M, G suffixes;\n"
            "                           default 16K); a damaged archive is refused\n"
            "    -o check=full          check the whole structure, however large\n"
            "    -o check=none          do not check; damage shows as EIO when met\n"
            "    -o views=hidden        derived views (.npy, .expanded, ...) reachable by\n"
            "                           name but not listed (default)\n"
            "    -o views=visible       views listed like other entries\n"
            "    -o views=off           no views\n"
            "    -o cache=SIZE          bound of the cache of computed bytes (.info, .times,\n"
            "                           computed views) and of a gzip archive's inflated\n"
            "                           blocks, each (K, M, G suffixes; default 64M)\n"
            "    -o gzindex=PATH        keep a gzip archive's checkpoint index in PATH (a\n"
            "                           directory, or the index file itself; default\n"
            "                           $XDG_CACHE_HOME/abcfs or ~/.cache/abcfs)\n"
            "    -o header=NAME:VALUE   send this header with every HTTP request (repeatable;\n"
            "                           write a comma in VALUE as \\,); ~/.netrc is also read\n"
            "    -o timeout=SECONDS     give up an HTTP request after SECONDS without progress\n"
            "                           (then retried, 5 tries in all; default 10)\n"
            "    -o max_open=N          DIR: archives kept open at once, least recently used\n"
            "                           closed beyond (default 64); -o cache is shared by them\n"
            "\n"
            "Unmount with: fusermount3 -u MOUNTPOINT\n"
            "fstab: /data/shot.abc /mnt/shot fuse.abcfs ro,allow_other 0 0\n"
            "\n",
            prog, prog);
}

static int abcfs_main_size(const char *s, uint64_t *out);

/* -o check's value as a byte budget (UINT64_MAX: full, 0: none). */
static int
abcfs_main_check_budget(const char *s, uint64_t *out)
{
    if (s == NULL) {
        *out = ABCFS_CHECK_DEFAULT;
        return 0;
    }
    if (strcmp(s, "full") == 0) {
        *out = UINT64_MAX;
        return 0;
    }
    if (strcmp(s, "none") == 0) {
        *out = 0;
        return 0;
    }
    return abcfs_main_size(s, out);
}

/* A byte count with an optional K, M or G suffix. */
static int
abcfs_main_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (end == s || errno != 0 || s[0] == '-')
        return -1;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end != '\0' || n > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)n << shift;
    return 0;
}

/*
 * The kernel mounts a file system on a regular file as readily as on a
 * directory, so libfuse would "succeed" there; refuse anything that is not
 * a directory before mounting.  "/dev/fd/N" is libfuse's way of passing an
 * already opened /dev/fuse (a mount helper did the mount): left alone.
 */
static int
abcfs_main_check_mountpoint(const char *mnt)
{
    struct stat st;
    unsigned fd;
    char end;
    if (sscanf(mnt, "/dev/fd/%u%c", &fd, &end) == 1)
        return 0;
    if (stat(mnt, &st) != 0) {
        fprintf(stderr, "abcfs: mount point %s: %s\n", mnt, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "abcfs: mount point %s is not a directory\n", mnt);
        return -1;
    }
    return 0;
}

/* True if path b is a or lies below it (both canonical). */
static bool
abcfs_main_path_within(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (strncmp(a, b, n) != 0)
        return false;
    return b[n] == '\0' || b[n] == '/' || (n > 0 && a[n - 1] == '/');
}

/* A directory mount must not read through itself: a mount point inside
 * DIR would show DIR's folders as the mount, folder in folder without
 * end, each level a request the daemon sends to itself; DIR inside the
 * mount point is hidden by the mount. */
static int
abcfs_main_check_nesting(const char *dir, const char *mnt)
{
    struct stat st;
    unsigned fd;
    char end;
    if (sscanf(mnt, "/dev/fd/%u%c", &fd, &end) == 1 || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    char *d = realpath(dir, NULL), *m = realpath(mnt, NULL);
    int rc = 0;
    if (d != NULL && m != NULL) {
        if (abcfs_main_path_within(d, m)) {
            fprintf(stderr, "abcfs: mount point %s lies inside %s (the mount would show itself)\n", mnt, dir);
            rc = -1;
        } else if (abcfs_main_path_within(m, d)) {
            fprintf(stderr, "abcfs: %s lies inside the mount point %s (the mount would hide it)\n", dir, mnt);
            rc = -1;
        }
    }
    free(d);
    free(m);
    return rc;
}

int
main(int argc, char *argv[])
{
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    struct abcfs_cli cli = {0};
    struct fuse_cmdline_opts opts = {0};
    struct abcfs fs = {0};
    struct fuse_session *se = NULL;
    int ret = 1;

    if (fuse_opt_parse(&args, &cli, abcfs_main_opts, abcfs_main_opt) != 0)
        goto out_args;
    if (fuse_parse_cmdline(&args, &opts) != 0)
        goto out_args;
    if (opts.show_help) {
        abcfs_main_usage(stdout, argv[0]);
        fuse_cmdline_help();
        fuse_lowlevel_help();
        ret = 0;
        goto out_args;
    }
    if (opts.show_version) {
        printf("abcfs version %s\n", ABCFS_VERSION);
        fflush(stdout);     /* libfuse's line comes from a child process */
        fuse_lowlevel_version();
        ret = 0;
        goto out_args;
    }
    if (cli.archive == NULL || opts.mountpoint == NULL) {
        fprintf(stderr, "abcfs: %s (usage: %s [options] ARCHIVE.abc|DIR MOUNTPOINT; -h for help)\n",
                cli.archive == NULL ? "no archive given" : "no mount point given", argv[0]);
        goto out_args;
    }

    uint64_t budget;
    if (abcfs_main_check_budget(cli.check, &budget) != 0) {
        fprintf(stderr, "abcfs: invalid -o check=%s (none, full, or a size such as 4M)\n",
                cli.check);
        goto out_args;
    }
    struct view_options vo = {.views = VIEW_MODE_HIDDEN, .cache_bytes = VIEW_CACHE_DEFAULT};
    if (cli.views != NULL && (vo.views = view_mode_parse(cli.views)) < 0) {
        fprintf(stderr, "abcfs: invalid -o views=%s (hidden, visible or off)\n", cli.views);
        goto out_args;
    }
    struct ogawa_open_opts open_opts = {.gz_index = cli.gzindex};
    if (cli.cache != NULL &&
        (abcfs_main_size(cli.cache, &vo.cache_bytes) != 0 || vo.cache_bytes == 0)) {
        fprintf(stderr, "abcfs: invalid -o cache=%s (a size such as 64M)\n", cli.cache);
        goto out_args;
    }
    if (cli.cache != NULL)
        open_opts.cache_bytes = vo.cache_bytes;
    open_opts.http_headers = (const char *const *)cli.headers;
    open_opts.n_http_headers = cli.n_headers;
    if (cli.timeout != NULL) {
        char *end;
        errno = 0;
        unsigned long t = strtoul(cli.timeout, &end, 10);
        if (end == cli.timeout || *end != '\0' || errno != 0 || t == 0 || t > 86400 ||
            cli.timeout[0] == '-') {
            fprintf(stderr, "abcfs: invalid -o timeout=%s (seconds, 1 to 86400)\n", cli.timeout);
            goto out_args;
        }
        open_opts.http_timeout = (unsigned)t;
    }
    unsigned long max_open = TREE_MAX_OPEN_DEFAULT;
    if (cli.max_open != NULL) {
        char *end;
        errno = 0;
        max_open = strtoul(cli.max_open, &end, 10);
        if (end == cli.max_open || *end != '\0' || errno != 0 || max_open == 0 ||
            max_open > 1000000 || cli.max_open[0] == '-') {
            fprintf(stderr, "abcfs: invalid -o max_open=%s (1 to 1000000)\n", cli.max_open);
            goto out_args;
        }
    }
    if (abcfs_main_check_mountpoint(opts.mountpoint) != 0 ||
        abcfs_main_check_nesting(cli.archive, opts.mountpoint) != 0)
        goto out_args;
    /* One index file for every .abc.gz of a directory would be rebuilt at
     * each of their opens: there it must name a directory. */
    struct stat ast, gst;
    if (cli.gzindex != NULL && stat(cli.archive, &ast) == 0 && S_ISDIR(ast.st_mode) &&
        !(stat(cli.gzindex, &gst) == 0 && S_ISDIR(gst.st_mode))) {
        fprintf(stderr, "abcfs: -o gzindex=%s: with a directory of archives, a directory\n",
                cli.gzindex);
        goto out_args;
    }

    /* Open before mounting: a bad archive must not leave a mount behind.
     * Its structure is walked within the budget (abc_archive_verify), so a
     * damaged archive is refused now, not with EIO later (issue 4); under
     * a directory, each archive at its first use. */
    struct tree_options to = {.view = vo, .open = open_opts, .check_budget = budget,
                              .max_open = (unsigned)max_open};
    struct ogawa_err err = {0};
    int rc = tree_open(cli.archive, &to, &fs.t, &err);
    if (rc != 0) {
        char msg[256];
        ogawa_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "abcfs: cannot open %s: %s\n", cli.archive, msg);
        goto out_args;
    }
    bool complete;
    rc = tree_verify(fs.t, &complete, &err);
    if (rc != 0) {
        char msg[256];
        ogawa_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "abcfs: %s: %s\n", cli.archive, msg);
        goto out_view;
    }
    if (opts.debug && tree_view(fs.t) != NULL && budget > 0)
        fprintf(stderr, "abcfs: structure check %s\n",
                complete ? "complete" : "stopped at its budget (the rest stays lazy)");
    fs.timeout = ABCFS_TIMEOUT;
    fs.live_timeout = ABCFS_LIVE_TIMEOUT;
    fs.nosplice = cli.nosplice != 0;
    fs.uid = getuid();
    fs.gid = getgid();

    if (fuse_opt_add_arg(&args, "-oro,fsname=abcfs,subtype=abcfs") != 0 ||
        (cli.allow_other && fuse_opt_add_arg(&args, "-odefault_permissions") != 0))
        goto out_view;
    se = fuse_session_new(&args, &abcfs_ll_ops, sizeof abcfs_ll_ops, &fs);
    if (se == NULL)
        goto out_view;
    if (fuse_set_signal_handlers(se) != 0)
        goto out_session;
    if (fuse_session_mount(se, opts.mountpoint) != 0)
        goto out_signals;
    if (fuse_daemonize(opts.foreground) != 0)
        goto out_unmount;

    if (opts.singlethread) {
        ret = fuse_session_loop(se);
    } else {
        struct fuse_loop_config *config = fuse_loop_cfg_create();
        if (config == NULL) {
            ret = fuse_session_loop(se);
        } else {
            fuse_loop_cfg_set_clone_fd(config, (unsigned)opts.clone_fd);
            /* Only what was asked for: libfuse marks unset values with
             * out-of-range numbers and warns about them. */
            if (opts.max_threads > 0 && opts.max_threads <= 100000)
                fuse_loop_cfg_set_max_threads(config, opts.max_threads);
            if (opts.max_idle_threads != UINT_MAX)
                fuse_loop_cfg_set_idle_threads(config, opts.max_idle_threads);
            ret = fuse_session_loop_mt(se, config);
            fuse_loop_cfg_destroy(config);
        }
    }
    /* libfuse returns the signal that ended the loop: a requested exit. */
    ret = (ret == 0 || ret == SIGTERM || ret == SIGINT || ret == SIGHUP) ? 0 : 1;

out_unmount:
    fuse_session_unmount(se);
out_signals:
    fuse_remove_signal_handlers(se);
out_session:
    fuse_session_destroy(se);
out_view:
    tree_close(fs.t);
out_args:
    free(opts.mountpoint);
    free(cli.archive);
    free(cli.check);
    free(cli.views);
    free(cli.cache);
    free(cli.gzindex);
    free(cli.timeout);
    free(cli.max_open);
    for (size_t k = 0; k < cli.n_headers; k++)
        free(cli.headers[k]);
    free(cli.headers);
    fuse_opt_free_args(&args);
    return ret;
}
