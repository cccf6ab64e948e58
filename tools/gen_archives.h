/*
 * gen_archives.h — the deterministic archive generators shared by abcgen
 * and bench_write (gen_archives.c).  Each writes OUT and returns; on a
 * failure it prints "PROG: what: reason" and exits with status 2.
 */
#ifndef ABCFS_GEN_ARCHIVES_H
#define ABCFS_GEN_ARCHIVES_H

#include "abc_write.h"

void gen_set_prog(const char *name);    /* the PROG of error messages */

/* N animated PolyMeshes under Xforms: V points, F frames at 24 fps. */
void gen_mesh(const char *out, long n_obj, long n_verts, long n_frames);
/* N objects in a 3-level hierarchy, one int32 property each. */
void gen_tree(const char *out, long n);
/* One uint8 array sample of M MiB. */
void gen_big(const char *out, long mib);
/* One object with N children. */
void gen_wide(const char *out, long n);
/* N objects nested in a chain. */
void gen_deep(const char *out, long depth);
/* N Xforms nested in a chain, each a translate animated over F samples. */
void gen_xdeep(const char *out, long depth, long n_frames);
/* One float64 property with N samples. */
void gen_samples(const char *out, long n);
/* One PolyMesh of two samples, the second with a face index outside its
 * points (an invalid topology: its .ply and .obj files have size 0). */
void gen_badmesh(const char *out);
/* Objects and properties with odd names. */
void gen_names(const char *out);
/* N source objects beside an object "w" of N instances of them. */
void gen_instances(const char *out, long n);
/* One object whose metadata has N keys (the first one repeated last). */
void gen_metakeys(const char *out, long n);
/* One object with N children that all have one name (rule 5 of layout.md). */
void gen_twins(const char *out, long n);

#endif
