/*
 * abc_world.c — world transforms down an object tree (abc_world.h).
 *
 * Only Xform objects carry state of their own: times (their samples merged
 * into the nearest Xform ancestor's) and, once asked, the world matrices at
 * those times.  Other objects point at their nearest Xform ancestor
 * ("xparent") and answer with its values.
 *
 * Nothing recurses: chains may be ABC_MAX_DEPTH deep.  Computing times or
 * caches first collects the ancestors that still lack them, then fills
 * them top-down; a matrix walks up the xparent links to the first ancestor
 * that answers for that time (a cache hit or .inherits false) and then
 * multiplies back down.
 *
 * A time of an Xform's own that no ancestor samples is computed by a walk
 * to the root (no ancestor has it cached); every other time of a cached
 * Xform is one product with its xparent's cached matrix.
 */
#include "abc_world.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum lazy_state { LAZY_TODO = 0, LAZY_DONE = 1, LAZY_FAILED = 2 };

struct abc_world {
    int refs;                       /* atomic */
    abc_world *parent;              /* counted reference; NULL for the top */
    abc_world *xparent;             /* nearest Xform ancestor's world, borrowed; or NULL */
    abc_world *root;                /* the top object's world, borrowed (or self) */
    abc_xform *xform;               /* owned; NULL when the object is not an Xform */

    pthread_mutex_t lock;           /* guards everything below */
    int times_state;                /* enum lazy_state */
    int times_rc;                   /* the error when LAZY_FAILED */
    const char *times_msg;
    const double *times;            /* sorted, distinct; own or an ancestor's */
    uint64_t n_times;
    double *own_times;              /* what times points to when it is ours */
    int cache_state;                /* enum lazy_state: FAILED = none, do not retry */
    double *cache;                  /* n_times matrices of 16, at times[k] */

    /* Used on the root only, atomically. */
    uint64_t cache_bytes;
    uint64_t local_evals;
};

/* The world that answers for w: itself if an Xform, else its xparent. */
static abc_world *
answering(const abc_world *w)
{
    return w->xform ? (abc_world *)w : w->xparent;
}

int
abc_world_open(abc_world *parent, abc_object *o, abc_world **out, struct ogawa_err *err)
{
    *out = NULL;
    abc_xform *x = NULL;
    int rc = abc_xform_open(o, &x, err);
    if (rc && rc != OGAWA_E_NOENT)
        return rc;
    abc_world *w = calloc(1, sizeof(*w));
    if (!w || pthread_mutex_init(&w->lock, NULL) != 0) {
        free(w);
        abc_xform_close(x);
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory opening a world transform");
    }
    w->refs = 1;
    w->xform = x;
    if (parent) {
        abc_world_ref(parent);
        w->parent = parent;
        w->xparent = answering(parent);
        w->root = parent->root;
    } else {
        w->root = w;
    }
    *out = w;
    return 0;
}

void
abc_world_ref(abc_world *w)
{
    __atomic_fetch_add(&w->refs, 1, __ATOMIC_RELAXED);
}

void
abc_world_unref(abc_world *w)
{
    while (w && __atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        abc_world *parent = w->parent;
        if (w->cache)
            __atomic_fetch_sub(&w->root->cache_bytes, w->n_times * 16 * sizeof(double),
                               __ATOMIC_RELAXED);
        abc_xform_close(w->xform);
        free(w->own_times);
        free(w->cache);
        pthread_mutex_destroy(&w->lock);
        free(w);
        w = parent;
    }
}

bool abc_world_has_xform(const abc_world *w) { return answering(w) != NULL; }
abc_xform *abc_world_xform(const abc_world *w) { return w->xform; }

uint64_t
abc_world_local_evaluations(const abc_world *w)
{
    return __atomic_load_n(&w->root->local_evals, __ATOMIC_RELAXED);
}

/* ---- times ------------------------------------------------------------ */

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The Xform's own sample times, sorted and distinct, NaN left out. */
static int
own_sample_times(const abc_xform *x, double **out, uint64_t *n_out, struct ogawa_err *err)
{
    uint32_t n = abc_xform_num_samples(x);
    *out = NULL;
    *n_out = 0;
    if (n > ABC_WORLD_MAX_TIMES)
        return ogawa_fail(err, OGAWA_E_TOOBIG, 0, "an xform has more than 2^20 samples");
    double *t = malloc((size_t)n * sizeof(double));
    if (!t)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory computing world times");
    uint64_t k = 0;
    bool sorted = true;
    for (uint32_t i = 0; i < n; i++) {
        double v = abc_xform_time(x, i);
        if (isnan(v))
            continue;
        if (k > 0 && !(t[k - 1] < v))
            sorted = false;
        t[k++] = v;
    }
    if (!sorted) {
        qsort(t, k, sizeof(double), cmp_double);
        uint64_t u = 0;
        for (uint64_t i = 0; i < k; i++)
            if (u == 0 || t[u - 1] != t[i])
                t[u++] = t[i];
        k = u;
    }
    *out = t;
    *n_out = k;
    return 0;
}

/* Union of two sorted distinct arrays into out (room for na + nb);
 * returns its length. */
static uint64_t
merge_times(const double *a, uint64_t na, const double *b, uint64_t nb, double *out)
{
    uint64_t i = 0, j = 0, k = 0;
    while (i < na || j < nb) {
        if (j == nb || (i < na && a[i] < b[j]))
            out[k++] = a[i++];
        else if (i == na || b[j] < a[i])
            out[k++] = b[j++];
        else {
            out[k++] = a[i++];
            j++;
        }
    }
    return k;
}

/* Fills the times of Xform world w whose xparent's times are done. */
static void
compute_times(abc_world *w)
{
    struct ogawa_err err = {0};
    const double *up = NULL;
    uint64_t n_up = 0;
    int rc = 0;
    abc_world *xp = w->xparent;
    if (xp) {
        pthread_mutex_lock(&xp->lock);
        if (xp->times_state == LAZY_FAILED) {
            rc = xp->times_rc;
            err.msg = xp->times_msg;
        }
        up = xp->times;
        n_up = xp->n_times;
        pthread_mutex_unlock(&xp->lock);
    }
    double *own = NULL, *merged = NULL;
    uint64_t n_own = 0, n_merged = 0;
    if (!rc)
        rc = own_sample_times(w->xform, &own, &n_own, &err);
    if (!rc && n_up > 0) {
        merged = malloc((size_t)(n_up + n_own) * sizeof(double));
        if (!merged)
            rc = ogawa_fail(&err, OGAWA_E_NOMEM, 0, "out of memory computing world times");
        else
            n_merged = merge_times(up, n_up, own, n_own, merged);
    }
    if (!rc && n_up > 0) {
        free(own);
        own = NULL;
        if (n_merged == n_up) {     /* nothing new here: share the ancestor's */
            free(merged);
            merged = NULL;
        }
    }
    if (!rc && (n_merged > ABC_WORLD_MAX_TIMES || n_own > ABC_WORLD_MAX_TIMES))
        rc = ogawa_fail(&err, OGAWA_E_TOOBIG, 0, "world transform has more than 2^20 times");

    pthread_mutex_lock(&w->lock);
    if (w->times_state == LAZY_TODO) {
        if (rc) {
            w->times_state = LAZY_FAILED;
            w->times_rc = rc;
            w->times_msg = err.msg;
        } else {
            w->times_state = LAZY_DONE;
            w->own_times = merged ? merged : own;
            w->times = merged ? merged : own ? own : up;
            w->n_times = merged ? n_merged : own ? n_own : n_up;
            merged = own = NULL;
        }
    }
    pthread_mutex_unlock(&w->lock);
    free(merged);   /* NULL when kept; a loser's copy when another thread won */
    free(own);
}

static int
times_state(abc_world *w)
{
    pthread_mutex_lock(&w->lock);
    int s = w->times_state;
    pthread_mutex_unlock(&w->lock);
    return s;
}

/* Makes sure the times of Xform world w and its Xform ancestors are done,
 * top-down, without recursion. */
static int
ensure_times(abc_world *w, struct ogawa_err *err)
{
    size_t n = 0, cap = 0;
    abc_world **todo = NULL;
    for (abc_world *p = w; p && times_state(p) == LAZY_TODO; p = p->xparent) {
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            abc_world **grown = realloc(todo, cap * sizeof(*grown));
            if (!grown) {
                free(todo);
                return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory computing world times");
            }
            todo = grown;
        }
        todo[n++] = p;
    }
    while (n > 0)
        compute_times(todo[--n]);
    free(todo);
    pthread_mutex_lock(&w->lock);
    int rc = w->times_state == LAZY_FAILED ? w->times_rc : 0;
    if (rc)
        ogawa_fail(err, rc, 0, w->times_msg);
    pthread_mutex_unlock(&w->lock);
    return rc;
}

int
abc_world_times(abc_world *w, const double **times, uint64_t *n, struct ogawa_err *err)
{
    *times = NULL;
    *n = 0;
    abc_world *a = answering(w);
    if (!a)
        return 0;
    int rc = ensure_times(a, err);
    if (rc)
        return rc;
    /* Done times never change again: no lock needed to hand them out. */
    pthread_mutex_lock(&a->lock);
    *times = a->times;
    *n = a->n_times;
    pthread_mutex_unlock(&a->lock);
    return 0;
}

/* ---- matrices --------------------------------------------------------- */

/* Index of t among w's done times (exact equality), or -1. */
static int64_t
time_index(const double *times, uint64_t n, double t)
{
    uint64_t lo = 0, hi = n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (times[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && times[lo] == t ? (int64_t)lo : -1;
}

/* The cached world matrix of Xform world w at t, if any, into m. */
static bool
cache_lookup(abc_world *w, double t, double m[16])
{
    bool hit = false;
    pthread_mutex_lock(&w->lock);
    if (w->cache) {
        int64_t k = time_index(w->times, w->n_times, t);
        if (k >= 0) {
            memcpy(m, &w->cache[k * 16], 16 * sizeof(double));
            hit = true;
        }
    }
    pthread_mutex_unlock(&w->lock);
    return hit;
}

static int
local_at(abc_world *w, double t, double m[16], bool *inherits, struct ogawa_err *err)
{
    abc_xform *x = w->xform;
    uint32_t i = abc_time_sampling_floor_index(abc_xform_time_sampling(x), t,
                                               abc_xform_num_samples(x));
    __atomic_fetch_add(&w->root->local_evals, 1, __ATOMIC_RELAXED);
    return abc_xform_sample(x, i, m, inherits, err);
}

/* Growable stack of matrices for the walk. */
struct mat_stack {
    double *m;
    size_t n, cap;
};

static double *
mat_push(struct mat_stack *s)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        double *grown = realloc(s->m, cap * 16 * sizeof(double));
        if (!grown)
            return NULL;
        s->m = grown;
        s->cap = cap;
    }
    return &s->m[16 * s->n++];
}

/*
 * World matrix of Xform world w at t: walks up while .inherits holds and no
 * cache answers, then multiplies back down, top-most first.
 */
static int
walk_matrix(abc_world *w, double t, double m[16], struct ogawa_err *err)
{
    struct mat_stack locals = {0};
    double base[16];
    bool have_base = false;
    int rc = 0;
    for (abc_world *p = w; p; p = p->xparent) {
        if (cache_lookup(p, t, base)) {
            have_base = true;
            break;
        }
        double *l = mat_push(&locals);
        if (!l) {
            rc = ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory computing a world matrix");
            break;
        }
        bool inherits;
        rc = local_at(p, t, l, &inherits, err);
        if (rc || !inherits)
            break;
    }
    if (!rc) {
        size_t k = locals.n;
        if (!have_base)     /* the top-most local is the start, as is */
            memcpy(base, &locals.m[16 * --k], sizeof(base));
        while (k > 0)
            abc_matrix_mul(&locals.m[16 * --k], base, base);
        memcpy(m, base, sizeof(base));
    }
    free(locals.m);
    return rc;
}

/* Builds the cache of Xform world w (times done) if the budget allows. */
static void
build_cache(abc_world *w)
{
    pthread_mutex_lock(&w->lock);
    bool todo = w->cache_state == LAZY_TODO && w->times_state == LAZY_DONE;
    uint64_t n = w->n_times;
    const double *times = w->times;
    pthread_mutex_unlock(&w->lock);
    if (!todo)
        return;
    uint64_t bytes = n * 16 * sizeof(double);
    uint64_t used = __atomic_add_fetch(&w->root->cache_bytes, bytes, __ATOMIC_RELAXED);
    double *cache = NULL;
    if (used <= ABC_WORLD_CACHE_BYTES)
        cache = malloc((size_t)bytes ? (size_t)bytes : 1);
    struct ogawa_err err;
    for (uint64_t k = 0; cache && k < n; k++) {
        if (walk_matrix(w, times[k], &cache[16 * k], &err) != 0) {
            free(cache);
            cache = NULL;
        }
    }
    bool published = false;
    pthread_mutex_lock(&w->lock);
    if (w->cache_state == LAZY_TODO) {
        w->cache_state = cache ? LAZY_DONE : LAZY_FAILED;
        w->cache = cache;
        published = cache != NULL;
    }
    pthread_mutex_unlock(&w->lock);
    if (!published) {
        /* Out of budget, an error, or another thread won: give it back. */
        free(cache);
        __atomic_fetch_sub(&w->root->cache_bytes, bytes, __ATOMIC_RELAXED);
    }
}

/* Builds the caches of w and its Xform ancestors that lack one, top-down,
 * so that each is one product per time with its xparent's. */
static int
ensure_caches(abc_world *w, struct ogawa_err *err)
{
    size_t n = 0, cap = 0;
    abc_world **todo = NULL;
    for (abc_world *p = w; p; p = p->xparent) {
        pthread_mutex_lock(&p->lock);
        bool has = p->cache_state != LAZY_TODO;
        pthread_mutex_unlock(&p->lock);
        if (has)
            break;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            abc_world **grown = realloc(todo, cap * sizeof(*grown));
            if (!grown) {
                free(todo);
                return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory computing world matrices");
            }
            todo = grown;
        }
        todo[n++] = p;
    }
    while (n > 0)
        build_cache(todo[--n]);
    free(todo);
    return 0;
}

int
abc_world_matrix_at(abc_world *w, double t, double m[16], struct ogawa_err *err)
{
    abc_matrix_identity(m);
    abc_world *a = answering(w);
    if (!a)
        return 0;
    if (cache_lookup(a, t, m))
        return 0;
    /* At one of its own times, fill the caches of the chain first. */
    struct ogawa_err ignored;
    if (ensure_times(a, &ignored) == 0) {
        const double *times;
        uint64_t n;
        pthread_mutex_lock(&a->lock);
        times = a->times;
        n = a->n_times;
        pthread_mutex_unlock(&a->lock);
        if (time_index(times, n, t) >= 0) {
            int rc = ensure_caches(a, err);
            if (rc)
                return rc;
            if (cache_lookup(a, t, m))
                return 0;
        }
    }
    double r[16];
    int rc = walk_matrix(a, t, r, err);
    if (!rc)
        memcpy(m, r, sizeof(r));
    return rc;
}
