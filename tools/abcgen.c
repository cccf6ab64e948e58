/*
 * abcgen — makes deterministic Alembic archives for tests and benchmarks
 * (the generators are in gen_archives.c).
 *
 *   abcgen mesh --objects N --verts V --frames F OUT
 *   abcgen tree --objects N OUT
 *   abcgen big --mib M OUT
 *   abcgen wide --children N OUT
 *   abcgen deep --depth N OUT
 *   abcgen xdeep --depth N [--frames F] OUT
 *   abcgen samples --samples N OUT
 *   abcgen names OUT
 *   abcgen badmesh OUT
 *   abcgen instances --objects N OUT
 *   abcgen metakeys --keys N OUT
 *   abcgen twins --children N OUT
 *
 * Exit 0 ok, 1 usage, 2 write failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_archives.h"

static const char *prog = "abcgen";

static void
usage(void)
{
    fprintf(stderr,
            "usage: abcgen mesh --objects N --verts V --frames F OUT\n"
            "       abcgen tree --objects N OUT\n"
            "       abcgen big --mib M OUT\n"
            "       abcgen wide --children N OUT\n"
            "       abcgen deep --depth N OUT\n"
            "       abcgen xdeep --depth N [--frames F] OUT\n"
            "       abcgen samples --samples N OUT\n"
            "       abcgen names OUT\n"
            "       abcgen badmesh OUT\n"
            "       abcgen instances --objects N OUT\n"
            "       abcgen metakeys --keys N OUT\n"
            "       abcgen twins --children N OUT\n");
    exit(1);
}

/* ---- command line ----------------------------------------------------- */

static long
num_arg(const char *opt, const char *v, long max)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < 0 || n > max) {
        fprintf(stderr, "%s: %s wants a number 0..%ld, not '%s'\n", prog, opt, max, v);
        exit(1);
    }
    return n;
}

int
main(int argc, char **argv)
{
    if (argc < 3)
        usage();
    const char *mode = argv[1];
    long objects = -1, verts = -1, frames = -1, mib = -1, children = -1, depth = -1, samples = -1,
         keys = -1;
    const char *out = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 < argc && strcmp(a, "--objects") == 0)
            objects = num_arg(a, argv[++i], 100000000);
        else if (i + 1 < argc && strcmp(a, "--verts") == 0)
            verts = num_arg(a, argv[++i], 100000000);
        else if (i + 1 < argc && strcmp(a, "--frames") == 0)
            frames = num_arg(a, argv[++i], 100000000);
        else if (i + 1 < argc && strcmp(a, "--mib") == 0)
            mib = num_arg(a, argv[++i], 1L << 20);
        else if (i + 1 < argc && strcmp(a, "--children") == 0)
            children = num_arg(a, argv[++i], 100000000);
        else if (i + 1 < argc && strcmp(a, "--depth") == 0)
            depth = num_arg(a, argv[++i], 100000000);
        else if (i + 1 < argc && strcmp(a, "--samples") == 0)
            samples = num_arg(a, argv[++i], UINT32_MAX);
        else if (i + 1 < argc && strcmp(a, "--keys") == 0)
            keys = num_arg(a, argv[++i], 10000000);
        else if (a[0] == '-' && a[1] != '\0')
            usage();
        else if (!out)
            out = a;
        else
            usage();
    }
    if (!out)
        usage();
    if (strcmp(mode, "mesh") == 0 && objects >= 0 && verts >= 0 && frames >= 0)
        gen_mesh(out, objects, verts, frames);
    else if (strcmp(mode, "tree") == 0 && objects >= 0)
        gen_tree(out, objects);
    else if (strcmp(mode, "big") == 0 && mib >= 0)
        gen_big(out, mib);
    else if (strcmp(mode, "badmesh") == 0)
        gen_badmesh(out);
    else if (strcmp(mode, "wide") == 0 && children >= 0)
        gen_wide(out, children);
    else if (strcmp(mode, "deep") == 0 && depth >= 0)
        gen_deep(out, depth);
    else if (strcmp(mode, "xdeep") == 0 && depth >= 0)
        gen_xdeep(out, depth, frames >= 0 ? frames : 3);
    else if (strcmp(mode, "samples") == 0 && samples >= 0)
        gen_samples(out, samples);
    else if (strcmp(mode, "names") == 0)
        gen_names(out);
    else if (strcmp(mode, "instances") == 0 && objects >= 0)
        gen_instances(out, objects);
    else if (strcmp(mode, "metakeys") == 0 && keys >= 0)
        gen_metakeys(out, keys);
    else if (strcmp(mode, "twins") == 0 && children >= 0)
        gen_twins(out, children);
    else
        usage();
    return 0;
}
