/*
 * abcxform — prints an archive's transforms as JSON, with the same keys as
 * the "xforms" and "world" sections of the reference NAME.views.json:
 *
 *     abcxform ARCHIVE
 *
 *     {"xforms": {FULL_NAME: {"inherits": [BOOL...],
 *                             "matrix": {"times": [T...], "values": [[16]...]}}, ...},
 *      "world": {FULL_NAME: {"times": [T...], "values": [[16]...]}, ...}}
 *
 * "xforms" lists every Xform object with each sample's local matrix
 * (abc_xform_sample); "world" every object at or below an Xform with its
 * world matrix at each of its times (abc_world_times, abc_world_matrix_at).
 * Instances and what is below them are skipped, as the reference does.  An
 * object whose transform cannot be computed gets {"error": MESSAGE}.
 * Doubles are printed with 17 significant digits; NaN and infinities as
 * Python's json writes them.  The walk keeps an explicit stack.
 *
 * Exit status: 0 ok, 1 some transform failed, 2 usage or archive error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abc_world.h"

struct walk_entry {
    abc_object *obj;
    abc_world *world;
    size_t next_child;
};

static void
print_string(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void
print_double(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else if (isinf(v))
        fputs(v > 0 ? "Infinity" : "-Infinity", f);
    else
        fprintf(f, "%.17g", v);
}

static void
print_matrix(FILE *f, const double m[16])
{
    fputc('[', f);
    for (int k = 0; k < 16; k++) {
        if (k)
            fputs(", ", f);
        print_double(f, m[k]);
    }
    fputc(']', f);
}

static void
print_error(FILE *f, const struct ogawa_err *err)
{
    char msg[256];
    ogawa_err_format(err, msg, sizeof msg);
    fputs("{\"error\": ", f);
    print_string(f, msg, strlen(msg));
    fputc('}', f);
}

/* One "xforms" entry; returns 0 or the first error. */
static int
print_xform(FILE *f, abc_xform *x)
{
    uint32_t n = abc_xform_num_samples(x);
    double *m = malloc((size_t)n * 16 * sizeof(double));
    bool *inh = malloc((size_t)n * sizeof(bool));
    struct ogawa_err err = {0};
    int rc = (!m || !inh) ? ogawa_fail(&err, OGAWA_E_NOMEM, 0, "out of memory") : 0;
    for (uint32_t i = 0; !rc && i < n; i++)
        rc = abc_xform_sample(x, i, &m[16 * i], &inh[i], &err);
    if (rc) {
        print_error(f, &err);
    } else {
        fputs("{\"inherits\": [", f);
        for (uint32_t i = 0; i < n; i++)
            fprintf(f, "%s%s", i ? ", " : "", inh[i] ? "true" : "false");
        fputs("], \"matrix\": {\"times\": [", f);
        for (uint32_t i = 0; i < n; i++) {
            if (i)
                fputs(", ", f);
            print_double(f, abc_xform_time(x, i));
        }
        fputs("], \"values\": [", f);
        for (uint32_t i = 0; i < n; i++) {
            if (i)
                fputs(", ", f);
            print_matrix(f, &m[16 * i]);
        }
        fputs("]}}", f);
    }
    free(m);
    free(inh);
    return rc;
}

/* One "world" entry. */
static int
print_world(FILE *f, abc_world *w)
{
    const double *times;
    uint64_t n;
    struct ogawa_err err = {0};
    int rc = abc_world_times(w, &times, &n, &err);
    double *m = rc ? NULL : malloc((size_t)(n ? n : 1) * 16 * sizeof(double));
    if (!rc && !m)
        rc = ogawa_fail(&err, OGAWA_E_NOMEM, 0, "out of memory");
    for (uint64_t i = 0; !rc && i < n; i++)
        rc = abc_world_matrix_at(w, times[i], &m[16 * i], &err);
    if (rc) {
        print_error(f, &err);
    } else {
        fputs("{\"times\": [", f);
        for (uint64_t i = 0; i < n; i++) {
            if (i)
                fputs(", ", f);
            print_double(f, times[i]);
        }
        fputs("], \"values\": [", f);
        for (uint64_t i = 0; i < n; i++) {
            if (i)
                fputs(", ", f);
            print_matrix(f, &m[16 * i]);
        }
        fputs("]}", f);
    }
    free(m);
    return rc;
}

/* Prints one section ("xforms" when xforms, else "world") by walking the
 * whole tree; returns 0, 1 (some entry failed) or 2 (the walk failed). */
static int
print_section(FILE *f, abc_archive *a, bool xforms)
{
    struct ogawa_err err = {0};
    abc_object *top;
    if (abc_archive_top(a, &top, &err) != 0) {
        char msg[256];
        ogawa_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "abcxform: %s\n", msg);
        return 2;
    }
    size_t n = 0, cap = 64;
    struct walk_entry *stack = malloc(cap * sizeof(*stack));
    abc_world *world = NULL;
    int status = 0;
    if (!stack || abc_world_open(NULL, top, &world, &err) != 0) {
        free(stack);
        abc_object_unref(top);
        fprintf(stderr, "abcxform: cannot open the top object's transform\n");
        return 2;
    }
    stack[n++] = (struct walk_entry){top, world, 0};
    bool first = true;
    fprintf(f, "\"%s\": {", xforms ? "xforms" : "world");
    while (n > 0) {
        struct walk_entry *e = &stack[n - 1];
        if (e->next_child == abc_object_child_count(e->obj)) {
            abc_world_unref(e->world);
            abc_object_unref(e->obj);
            n--;
            continue;
        }
        abc_object *child;
        abc_world *cw;
        if (abc_object_child(e->obj, e->next_child++, &child, &err) != 0) {
            status = 2;
            break;
        }
        if (abc_object_is_instance(child)) {
            abc_object_unref(child);
            continue;
        }
        if (abc_world_open(e->world, child, &cw, &err) != 0) {
            abc_object_unref(child);
            status = 2;
            break;
        }
        bool show = xforms ? abc_world_xform(cw) != NULL : abc_world_has_xform(cw);
        if (show) {
            size_t len;
            char *name = abc_object_full_name(child, &len);
            fprintf(f, "%s\n  ", first ? "" : ",");
            print_string(f, name ? name : "", name ? len : 0);
            fputs(": ", f);
            free(name);
            first = false;
            int rc = xforms ? print_xform(f, abc_world_xform(cw)) : print_world(f, cw);
            if (rc && status == 0)
                status = 1;
        }
        if (n == cap) {
            struct walk_entry *grown = realloc(stack, 2 * cap * sizeof(*stack));
            if (!grown) {
                abc_world_unref(cw);
                abc_object_unref(child);
                status = 2;
                break;
            }
            stack = grown;
            cap *= 2;
        }
        stack[n++] = (struct walk_entry){child, cw, 0};
    }
    while (n > 0) {
        abc_world_unref(stack[n - 1].world);
        abc_object_unref(stack[n - 1].obj);
        n--;
    }
    free(stack);
    fputs("}", f);
    if (status == 2) {
        char msg[256];
        ogawa_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "abcxform: %s\n", msg);
    }
    return status;
}

int
main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fputs("usage: abcxform ARCHIVE\n"
              "Prints the local (\"xforms\") and world (\"world\") matrices of every object\n"
              "as JSON.  Exit 0 ok, 1 some transform failed, 2 usage or archive error.\n",
              argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    struct ogawa_err err = {0};
    abc_archive *a;
    if (abc_archive_open(argv[1], &a, &err) != 0) {
        char msg[256];
        ogawa_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "abcxform: %s: %s\n", argv[1], msg);
        return 2;
    }
    fputc('{', stdout);
    int s1 = print_section(stdout, a, true);
    fputs(",\n", stdout);
    int s2 = s1 == 2 ? 2 : print_section(stdout, a, false);
    fputs("}\n", stdout);
    abc_archive_close(a);
    return s1 > s2 ? s1 : s2;
}
