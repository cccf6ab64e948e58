/*
 * abc_verify.c — a structural check of a whole archive, within a budget
 * of bytes read (abc.h, abc_archive_verify).
 *
 * The walk meets every block exactly as the lazy readers would (it uses
 * them: abc_object_child, abc_compound_child, abc_property_sample), so it
 * can only report what a later read would have reported; it just reports
 * it before a filesystem is mounted.  Sample payloads are not read: only
 * the data block size fields and dims, once per stored block position
 * (§5.7), not once per sample index.
 *
 * Depth-first with an explicit, growing stack of frames (never recursion:
 * hierarchies may be ABC_MAX_DEPTH deep).  Each frame holds one object or
 * compound and the index of the next child to visit, so a wide object
 * costs one frame, not one per child.
 */
#include "abc_int.h"

#include <stdlib.h>

struct abc_verify_frame {
    abc_object *object;     /* set for an object frame */
    abc_compound *compound; /* set for a compound frame */
    size_t next;            /* next child (object) or property (compound) */
    bool props_done;        /* object frame: its top compound was pushed */
};

struct abc_verify {
    abc_archive *archive;
    struct abc_verify_frame *stack;
    size_t depth, cap;
    uint64_t start_bytes;   /* file bytes read when the walk began (source_bytes_read) */
    uint64_t budget;
};

static int
abc_verify_push(struct abc_verify *w, abc_object *o, abc_compound *c, struct ogawa_err *err)
{
    if (w->depth == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        struct abc_verify_frame *s = realloc(w->stack, cap * sizeof(*s));
        if (!s) {
            abc_object_unref(o);
            abc_compound_unref(c);
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory verifying the archive");
        }
        w->stack = s;
        w->cap = cap;
    }
    w->stack[w->depth++] = (struct abc_verify_frame){ o, c, 0, false };
    return 0;
}

static bool
abc_verify_over_budget(const struct abc_verify *w)
{
    struct ogawa_stats st;
    ogawa_archive_stats(w->archive->ogawa, &st);
    return st.source_bytes_read - w->start_bytes > w->budget;
}

/* Every stored position of a scalar/array property: k = 0, and for a
 * changing property the sample indices f .. l (§5.7 reader mapping). */
static bool abc_verify_over_budget(const struct abc_verify *w);

static int
abc_verify_samples(const struct abc_verify *w, abc_compound *c, size_t idx,
                   struct ogawa_err *err)
{
    const struct abc_property_header *h = abc_compound_property(c, idx);
    struct abc_sample s;
    if (h->num_samples == 0)
        return 0;
    int rc = abc_property_sample(c, idx, 0, &s, err);
    if (rc || abc_property_is_constant(h))
        return rc;
    uint32_t last = h->last_changed < h->num_samples ? h->last_changed : h->num_samples - 1;
    for (uint32_t i = h->first_changed; i <= last && i >= h->first_changed; i++) {
        rc = abc_property_sample(c, idx, i, &s, err);
        if (rc)
            return rc;
        /* A property may store 2^32 samples: keep to the budget inside it. */
        if (i == UINT32_MAX || ((i & 1023) == 0 && abc_verify_over_budget(w)))
            break;
    }
    return 0;
}

/* One step of the walk on the top frame. */
static int
abc_verify_step(struct abc_verify *w, struct ogawa_err *err)
{
    struct abc_verify_frame *f = &w->stack[w->depth - 1];
    if (f->compound) {
        abc_compound *c = f->compound;
        if (f->next == abc_compound_count(c)) {
            abc_compound_unref(c);
            w->depth--;
            return 0;
        }
        size_t idx = f->next++;
        if (abc_compound_property(c, idx)->kind != ABC_KIND_COMPOUND)
            return abc_verify_samples(w, c, idx, err);
        abc_compound *sub;
        int rc = abc_compound_child(c, idx, &sub, err);
        return rc ? rc : abc_verify_push(w, NULL, sub, err);
    }
    abc_object *o = f->object;
    if (!f->props_done) {
        f->props_done = true;
        if (abc_object_is_instance(o)) {
            abc_object *target;
            int rc = abc_object_resolve_instance(o, &target, err);
            abc_object_unref(target);
            if (rc)
                return rc;
        }
        abc_compound *c;
        int rc = abc_object_properties(o, &c, err);
        return rc ? rc : abc_verify_push(w, NULL, c, err);
    }
    if (f->next == abc_object_child_count(o)) {
        abc_object_unref(o);
        w->depth--;
        return 0;
    }
    abc_object *child;
    int rc = abc_object_child(o, f->next++, &child, err);
    return rc ? rc : abc_verify_push(w, child, NULL, err);
}

int
abc_archive_verify(abc_archive *a, uint64_t budget_bytes, bool *complete, struct ogawa_err *err)
{
    *complete = false;
    struct abc_verify w = { .archive = a, .budget = budget_bytes };
    struct ogawa_stats st;
    ogawa_archive_stats(a->ogawa, &st);
    w.start_bytes = st.source_bytes_read;
    abc_object *top;
    int rc = abc_archive_top(a, &top, err);
    if (!rc)
        rc = abc_verify_push(&w, top, NULL, err);
    while (!rc && w.depth > 0) {
        if (abc_verify_over_budget(&w))
            break;
        rc = abc_verify_step(&w, err);
    }
    if (!rc && w.depth == 0)
        *complete = true;
    while (w.depth > 0) {
        struct abc_verify_frame *f = &w.stack[--w.depth];
        abc_object_unref(f->object);
        abc_compound_unref(f->compound);
    }
    free(w.stack);
    return rc;
}
