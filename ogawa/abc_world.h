/*
 * abc_world.h — an object's transform in the archive's space (views.md,
 * ".matrix/ and .world/"), built incrementally down the object tree.
 *
 * One abc_world per object, opened from its parent's (NULL for the top
 * object): opening is O(1) beyond the object's own Xform schema, so a
 * caller that keeps one per object pays nothing quadratic on deep chains.
 * Each abc_world holds a reference to its parent's.
 *
 * The rules:
 *   - times: the union (sorted, exact equality of the computed doubles) of
 *     the sample times of every Xform from the object up to the root; NaN
 *     times (an acyclic index past its stored times) cannot be ordered and
 *     are left out.
 *   - at time t, every Xform of the chain is taken at its floor sample
 *     (abc_time_sampling_floor_index(ts, t, n)), and
 *     world = local(self) * world(nearest Xform ancestor), except that an
 *     Xform whose .inherits is false at that sample starts afresh
 *     (world = local).  Objects that are not Xforms take their nearest Xform
 *     ancestor's world.  The product is evaluated in that association
 *     (top-most Xform first), as the C++ reference computes it.
 *
 * Laziness and memory: times are computed on the first abc_world_times (or
 * matrix) call and kept.  The matrices at an Xform's own times are kept
 * too, once asked for at one of them, so that asking every object of a
 * chain for every time costs time linear in the answers; those caches
 * share one budget per tree (ABC_WORLD_CACHE_BYTES), past which matrices
 * are recomputed instead (same values, more work).
 *
 * Thread-safety: any number of threads may use the same abc_world objects
 * at once (lazy fields under a per-object mutex; atomic reference counts).
 */
#ifndef OGAWA_ABC_WORLD_H
#define OGAWA_ABC_WORLD_H

#include "abc_xform.h"

typedef struct abc_world abc_world;

/* More than this many times: abc_world_times fails with OGAWA_E_TOOBIG. */
#define ABC_WORLD_MAX_TIMES (1u << 20)

/* Bytes of cached world matrices per tree of abc_world objects. */
#define ABC_WORLD_CACHE_BYTES (64u << 20)

/*
 * Opens the world of object o, whose parent object's world is parent (NULL
 * when o is the top object); takes a reference to parent.  Errors: those
 * of abc_xform_open other than OGAWA_E_NOENT (a malformed Xform schema is
 * OGAWA_E_CORRUPT), OGAWA_E_NOMEM.
 */
int abc_world_open(abc_world *parent, abc_object *o, abc_world **out, struct ogawa_err *err);
void abc_world_ref(abc_world *w);
void abc_world_unref(abc_world *w);     /* accepts NULL */

/* Is there an Xform at or above the object (else it has no .world view)? */
bool abc_world_has_xform(const abc_world *w);

/* The object's own Xform (borrowed; NULL when it is not one). */
abc_xform *abc_world_xform(const abc_world *w);

/*
 * The union of sample times above (*times lives as long as w).  No Xform
 * at or above: 0 times.  Errors: OGAWA_E_TOOBIG (more than
 * ABC_WORLD_MAX_TIMES times, here or above), OGAWA_E_NOMEM; an error is
 * kept and returned again.
 */
int abc_world_times(abc_world *w, const double **times, uint64_t *n, struct ogawa_err *err);

/*
 * The world matrix at time t (row vectors, m[r*4+c]; identity without an
 * Xform at or above).  Errors: those of abc_xform_sample, OGAWA_E_NOMEM;
 * m is the identity on failure.
 */
int abc_world_matrix_at(abc_world *w, double t, double m[16], struct ogawa_err *err);

/* How many local Xform samples (abc_xform_sample calls) the worlds of this
 * tree have evaluated so far: a work counter for tests and benchmarks. */
uint64_t abc_world_local_evaluations(const abc_world *w);

#endif
