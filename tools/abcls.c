/*
 * abcls — lists the mounted tree of an archive without mounting it:
 *
 *     abcls [-l] [-R] [-i] [-v hidden|visible|off] ARCHIVE|DIR [PATH]
 *
 * Like `ls` run in MOUNT/PATH: one name per line; -l adds mode, links,
 * size, mtime (and "-> target" for links) as `ls -l` does; -i the inode
 * number stat shows; -R lists every directory below too, depth first, each
 * under a "PATH:" heading, without following links (as `ls -R`).  The
 * names, sizes and inode numbers are the view layer's (fs/view.h), the
 * same the daemon serves.  The walk keeps an explicit stack, not recursion,
 * so a deep archive cannot exhaust the C stack.
 *
 * Exit status: 0 ok, 1 something could not be listed, 2 usage or archive
 * error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tree.h"

struct abcls_opts {
    bool longfmt;
    bool recurse;
    bool inode;
};

/* A directory still to list: its node (one lookup held) and its path. */
struct abcls_todo {
    uint64_t id;
    char *path;
};

static void
abcls_mode(uint32_t mode, char out[11])
{
    out[0] = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : '-';
    static const char rwx[] = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        out[1 + i] = (mode & (1u << (8 - i))) ? rwx[i] : '-';
    out[10] = '\0';
}

static void
abcls_print(tree *v, const struct abcls_opts *o, uint64_t id, const struct view_attr *a,
            const char *name)
{
    if (o->inode)
        printf("%llu ", (unsigned long long)a->ino);
    if (o->longfmt) {
        char mode[11], when[32];
        time_t t = (time_t)a->mtime;
        struct tm tm;
        abcls_mode(a->mode, mode);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&t, &tm));
        printf("%s %3u %10llu %s %s", mode, a->nlink, (unsigned long long)a->size, when, name);
        char *target;
        size_t len;
        if (id != 0 && view_type_is_link(a->type) && tree_readlink(v, id, &target, &len, NULL) == 0) {
            printf(" -> %s", target);
            free(target);
        }
        putchar('\n');
    } else {
        printf("%s\n", name);
    }
}

static char *
abcls_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (p != NULL) {
        memcpy(p, dir, a);
        p[a] = '/';
        memcpy(p + a + 1, name, b + 1);
    }
    return p;
}

/* Lists directory t; pushes its subdirectories (reversed, so that they
 * come out in order) when recursing.  Returns 0 or 1. */
static int
abcls_dir(tree *v, const struct abcls_opts *o, struct abcls_todo *t, struct abcls_todo **stack,
          size_t *n_stack, size_t *cap_stack)
{
    struct ogawa_err err = {0};
    uint64_t n;
    int ret = 0;
    int rc = tree_dir_count(v, t->id, NULL, &n, &err);
    if (rc != 0) {
        fprintf(stderr, "abcls: %s: %s\n", t->path, strerror(view_errno(rc, &err)));
        return 1;
    }
    size_t first_sub = *n_stack;
    for (uint64_t i = 0; i < n; i++) {
        char name[VIEW_ENTRY_NAME_MAX] = "?";
        size_t len;
        int type;
        uint64_t id;
        struct view_attr a;
        rc = tree_dir_entry(v, t->id, NULL, i, name, &len, &type, &err);
        if (rc == 0)
            rc = tree_child(v, t->id, NULL, i, &id, &a, &err);
        if (rc != 0) {
            fprintf(stderr, "abcls: %s/%s: %s\n", t->path, name,
                    strerror(view_errno(rc, &err)));
            ret = 1;
            continue;
        }
        abcls_print(v, o, id, &a, name);
        if (o->recurse && view_type_is_dir(a.type)) {
            if (*n_stack == *cap_stack) {
                size_t ncap = *cap_stack ? *cap_stack * 2 : 64;
                struct abcls_todo *ns = realloc(*stack, ncap * sizeof *ns);
                if (ns == NULL) {
                    tree_forget(v, id, 1);
                    fprintf(stderr, "abcls: out of memory\n");
                    return 1;
                }
                *stack = ns;
                *cap_stack = ncap;
            }
            (*stack)[*n_stack].id = id;
            (*stack)[*n_stack].path = abcls_join(t->path, name);
            (*n_stack)++;
        } else {
            tree_forget(v, id, 1);
        }
    }
    /* Reverse the pushed subdirectories: the first is listed next. */
    for (size_t a = first_sub, b = *n_stack; a + 1 < b; a++, b--) {
        struct abcls_todo tmp = (*stack)[a];
        (*stack)[a] = (*stack)[b - 1];
        (*stack)[b - 1] = tmp;
    }
    return ret;
}

int
main(int argc, char **argv)
{
    struct abcls_opts o = {0};
    int c;
    int views = VIEW_MODE_HIDDEN;
    while ((c = getopt(argc, argv, "lRihv:")) != -1) {
        switch (c) {
        case 'v':
            if ((views = view_mode_parse(optarg)) < 0) {
                fprintf(stderr, "abcls: -v hidden|visible|off\n");
                return 2;
            }
            break;
        case 'l': o.longfmt = true; break;
        case 'R': o.recurse = true; break;
        case 'i': o.inode = true; break;
        case 'h':
            printf("usage: abcls [-l] [-R] [-i] [-v hidden|visible|off] ARCHIVE|DIR [PATH]\n"
                   "Lists the archive's mounted tree (layout.md) as ls would; a directory\n"
                   "is listed as `abcfs DIR` mounts it.\n");
            return 0;
        default:
            fprintf(stderr, "usage: abcls [-l] [-R] [-i] [-v hidden|visible|off] ARCHIVE|DIR [PATH]\n");
            return 2;
        }
    }
    if (optind >= argc || argc - optind > 2) {
        fprintf(stderr, "usage: abcls [-l] [-R] [-i] [-v hidden|visible|off] ARCHIVE|DIR [PATH]\n");
        return 2;
    }
    const char *path = argc - optind == 2 ? argv[optind + 1] : ".";
    struct ogawa_err err = {0};
    tree *v;
    struct tree_options to = {.view = {.views = views, .cache_bytes = VIEW_CACHE_DEFAULT}};
    int rc = tree_open(argv[optind], &to, &v, &err);
    if (rc != 0) {
        char msg[256];
        ogawa_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "abcls: cannot open %s: %s\n", argv[optind], msg);
        return 2;
    }
    uint64_t id;
    struct view_attr a;
    /* ls lists a link's target directory unless asked for -l on it. */
    rc = tree_resolve(v, path, !o.longfmt, &id, &a, &err);
    int ret = 0;
    if (rc != 0) {
        fprintf(stderr, "abcls: %s: %s\n", path, strerror(view_errno(rc, &err)));
        ret = 1;
    } else if (!view_type_is_dir(a.type)) {
        abcls_print(v, &o, id, &a, path);
        tree_forget(v, id, 1);
    } else {
        struct abcls_todo *stack = NULL;
        size_t n_stack = 0, cap_stack = 0;
        struct abcls_todo first = {id, strdup(path)};
        bool heading = o.recurse;
        struct abcls_todo t = first;
        for (;;) {
            if (heading)
                printf("%s:\n", t.path);
            ret |= abcls_dir(v, &o, &t, &stack, &n_stack, &cap_stack);
            tree_forget(v, t.id, 1);
            free(t.path);
            if (n_stack == 0)
                break;
            t = stack[--n_stack];
            putchar('\n');
        }
        free(stack);
    }
    tree_close(v);
    return ret;
}
