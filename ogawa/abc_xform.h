/*
 * abc_xform.h — the Xform schema (AbcGeom_Xform_v3, ogawa-format.md §9.9):
 * an object's local matrix per sample, exactly as the C++ IXformSchema and
 * XformSample::getMatrix() compute it, and TimeSampling::getFloorIndex.
 *
 * What is read, and how the C++ reader (Alembic 1.8) treats each part:
 *
 *   .ops      scalar uint8 x numOps, sample 0 only: one byte per op,
 *             type << 4 | hint.  Types 0 scale (3 channels), 1 translate
 *             (3), 2 rotate about an axis (x y z, angle in degrees: 4),
 *             3 matrix (16, row-major), 4/5/6 rotate about X/Y/Z (1).
 *             The hint never changes the matrix.  Any other type has no
 *             channels and contributes the identity (the C++ op has none).
 *             Absent, or without samples: no ops, the identity.
 *   .vals     float64, scalar (numOps channels in extent) or array (the
 *             channels are its first N values, N = its element count): all
 *             channels of all ops in op order, at every sample, animated or
 *             not.  Absent or without samples: every channel is 0.0 (the
 *             C++ ops start at 0.0, not at their defaults).  Values past
 *             the ops' channels are ignored.  Fewer values than channels is
 *             undefined in C++ (it reads past its buffer); here the sample
 *             is OGAWA_E_CORRUPT.
 *   .inherits scalar bool: the sample count and time sampling of the
 *             Xform, and whether it concatenates with its parent.
 *   .animChans, isNotConstantIdentity, .childBnds: only say what is
 *             animated or bounded; they never change the matrix (static
 *             channels are stored in .vals like animated ones).
 *
 * Sample selection is the C++ ISampleSelector's by index: sample i of the
 * Xform takes .inherits and .vals each at min(i, their count - 1).
 *
 * Malformed schemas: a .ops that is not a scalar uint8, a .vals that is not
 * float64, an .inherits that is not a scalar bool of extent 1 (all refused
 * by the C++ reader, which throws) make abc_xform_open OGAWA_E_CORRUPT.
 *
 * Thread-safety: an abc_xform is immutable after open; any number of
 * threads may call the functions below on it at once.
 */
#ifndef OGAWA_ABC_XFORM_H
#define OGAWA_ABC_XFORM_H

#include "abc.h"

typedef struct abc_xform abc_xform;

/* Op types of the .ops bytes (high nibble). */
enum abc_xform_op_type {
    ABC_XFORM_OP_SCALE = 0,
    ABC_XFORM_OP_TRANSLATE = 1,
    ABC_XFORM_OP_ROTATE = 2,
    ABC_XFORM_OP_MATRIX = 3,
    ABC_XFORM_OP_ROTATE_X = 4,
    ABC_XFORM_OP_ROTATE_Y = 5,
    ABC_XFORM_OP_ROTATE_Z = 6,
};

/* Channels of an op byte: 3, 3, 4, 16, 1, 1, 1; 0 for unknown types. */
unsigned abc_xform_op_channels(uint8_t op);

/*
 * The Xform schema of object o: its top compound has a compound ".xform"
 * whose metadata says schema=AbcGeom_Xform_v3.  Reads the property headers
 * and the .ops sample.  OGAWA_E_NOENT when o is not an Xform (err is not
 * touched then); OGAWA_E_CORRUPT for a malformed schema (above); the
 * errors of abc_object_properties and abc_property_sample.
 */
int abc_xform_open(abc_object *o, abc_xform **out, struct ogawa_err *err);
void abc_xform_close(abc_xform *x);                 /* accepts NULL */

/* Sample count and time sampling as C++ IXformSchema counts them: those of
 * .inherits, at least 1 (no .inherits: 1 sample, identity sampling). */
uint32_t abc_xform_num_samples(const abc_xform *x);
const struct abc_time_sampling *abc_xform_time_sampling(const abc_xform *x);
double abc_xform_time(const abc_xform *x, uint32_t i);

/* IXformSchema::isConstant(): .vals (if any) and .inherits (if any) are
 * both constant properties (every sample is sample 0). */
bool abc_xform_is_constant(const abc_xform *x);

/* The op bytes (sample 0 of .ops) and their total channel count. */
uint32_t abc_xform_num_ops(const abc_xform *x);
const uint8_t *abc_xform_ops(const abc_xform *x);
uint32_t abc_xform_num_channels(const abc_xform *x);

/*
 * Local matrix of sample i (< num_samples, else OGAWA_E_NOENT) exactly as
 * XformSample::getMatrix() composes it: Imath row-vector convention (a
 * point transforms as p * M, translation in the last row), m[r*4+c]; and
 * the .inherits value of that sample (true when there is none).  Errors:
 * OGAWA_E_CORRUPT (too few .vals), those of abc_property_sample/_read.
 * On failure m is the identity and *inherits true.
 */
int abc_xform_sample(abc_xform *x, uint32_t i, double m[16], bool *inherits,
                     struct ogawa_err *err);

/*
 * Composes ops with their channel values (n_vals values, op order) into m
 * as getMatrix() does; the values of channels past n_vals are 0.0.  This
 * is the pure part of abc_xform_sample, for tests and tools.
 */
void abc_xform_compose(const uint8_t *ops, uint32_t n_ops, const double *vals, uint64_t n_vals,
                       double m[16]);

/* Row-vector 4x4 product out = a * b as Imath's M44d operator* (out may
 * alias a or b). */
void abc_matrix_mul(const double a[16], const double b[16], double out[16]);
void abc_matrix_identity(double m[16]);

/*
 * TimeSampling::getFloorIndex(t, n) of Alembic 1.8 for the four sampling
 * types (identity is uniform from 0 by 1), with its 1e-5 tolerance: a time
 * within 1e-5 of a sample time counts as that sample.  Where C++ is
 * undefined or throws, this answers: n == 0 or t NaN: 0; acyclic with n
 * past the stored times: n is taken as the stored count.  The result is
 * clamped to [0, n - 1] (as ISampleSelector does with it).
 */
uint32_t abc_time_sampling_floor_index(const struct abc_time_sampling *ts, double t, uint32_t n);

#endif
