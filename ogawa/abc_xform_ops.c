/*
 * abc_xform_ops.c — composing an Xform's ops into a 4x4 matrix as the C++
 * XformSample::getMatrix() does, with Imath's conventions (row vectors,
 * translation in the last row, M44d::setAxisAngle, Vec3::normalized).
 *
 * Each op's matrix is built from identity; the product starts at identity
 * and each op multiplies on the left (R = M_i * R), so the last op applies
 * to points first.  The arithmetic follows Imath's expressions term by
 * term so that results agree with the reference to the last bit or two.
 */
#include "abc_xform.h"

#include <math.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

unsigned
abc_xform_op_channels(uint8_t op)
{
    switch (op >> 4) {
    case ABC_XFORM_OP_SCALE:
    case ABC_XFORM_OP_TRANSLATE:
        return 3;
    case ABC_XFORM_OP_ROTATE:
        return 4;
    case ABC_XFORM_OP_MATRIX:
        return 16;
    case ABC_XFORM_OP_ROTATE_X:
    case ABC_XFORM_OP_ROTATE_Y:
    case ABC_XFORM_OP_ROTATE_Z:
        return 1;
    default:
        return 0;   /* the C++ XformOp of an unknown type has no channels */
    }
}

void
abc_matrix_identity(double m[16])
{
    memset(m, 0, 16 * sizeof(double));
    m[0] = m[5] = m[10] = m[15] = 1.0;
}

void
abc_matrix_mul(const double a[16], const double b[16], double out[16])
{
    double r[16];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            r[i * 4 + j] = a[i * 4 + 0] * b[0 * 4 + j] + a[i * 4 + 1] * b[1 * 4 + j] +
                           a[i * 4 + 2] * b[2 * 4 + j] + a[i * 4 + 3] * b[3 * 4 + j];
    memcpy(out, r, sizeof(r));
}

/* Imath Vec3<double>::length(): lengthTiny() below 2 * DBL_MIN squared. */
static double
vec_length(const double v[3])
{
    double len2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2];
    if (len2 < 2 * 2.2250738585072014e-308) {
        double ax = fabs(v[0]), ay = fabs(v[1]), az = fabs(v[2]);
        double mx = ax;
        if (mx < ay)
            mx = ay;
        if (mx < az)
            mx = az;
        if (mx == 0)
            return 0;
        ax /= mx;
        ay /= mx;
        az /= mx;
        return mx * sqrt(ax * ax + ay * ay + az * az);
    }
    return sqrt(len2);
}

/* Imath M44d::setAxisAngle(axis, radians) on a fresh matrix. */
static void
axis_angle(double m[16], const double axis[3], double angle)
{
    double u[3] = {0, 0, 0};
    double len = vec_length(axis);
    if (len != 0) {
        u[0] = axis[0] / len;
        u[1] = axis[1] / len;
        u[2] = axis[2] / len;
    }
    double s = sin(angle), c = cos(angle);
    abc_matrix_identity(m);
    m[0] = u[0] * u[0] * (1 - c) + c;
    m[1] = u[0] * u[1] * (1 - c) + u[2] * s;
    m[2] = u[0] * u[2] * (1 - c) - u[1] * s;
    m[4] = u[0] * u[1] * (1 - c) - u[2] * s;
    m[5] = u[1] * u[1] * (1 - c) + c;
    m[6] = u[1] * u[2] * (1 - c) + u[0] * s;
    m[8] = u[0] * u[2] * (1 - c) + u[1] * s;
    m[9] = u[1] * u[2] * (1 - c) - u[0] * s;
    m[10] = u[2] * u[2] * (1 - c) + c;
}

/* Alembic's DegreesToRadians. */
static double
radians(double degrees)
{
    return (degrees * M_PI) / 180.0;
}

/* The matrix of one op whose channels are ch[0..channels). */
static void
op_matrix(uint8_t op, const double *ch, double m[16])
{
    static const double x_axis[3] = {1, 0, 0}, y_axis[3] = {0, 1, 0}, z_axis[3] = {0, 0, 1};
    abc_matrix_identity(m);
    switch (op >> 4) {
    case ABC_XFORM_OP_SCALE:    /* Imath setScale: a fresh diagonal */
        m[0] = ch[0];
        m[5] = ch[1];
        m[10] = ch[2];
        break;
    case ABC_XFORM_OP_TRANSLATE:
        m[12] = ch[0];
        m[13] = ch[1];
        m[14] = ch[2];
        break;
    case ABC_XFORM_OP_ROTATE:
        axis_angle(m, ch, radians(ch[3]));
        break;
    case ABC_XFORM_OP_MATRIX:
        memcpy(m, ch, 16 * sizeof(double));
        break;
    case ABC_XFORM_OP_ROTATE_X:
        axis_angle(m, x_axis, radians(ch[0]));
        break;
    case ABC_XFORM_OP_ROTATE_Y:
        axis_angle(m, y_axis, radians(ch[0]));
        break;
    case ABC_XFORM_OP_ROTATE_Z:
        axis_angle(m, z_axis, radians(ch[0]));
        break;
    default:
        break;      /* unknown type: identity */
    }
}

void
abc_xform_compose(const uint8_t *ops, uint32_t n_ops, const double *vals, uint64_t n_vals,
                  double m[16])
{
    abc_matrix_identity(m);
    uint64_t pos = 0;
    for (uint32_t i = 0; i < n_ops; i++) {
        unsigned n = abc_xform_op_channels(ops[i]);
        double ch[16] = {0};
        for (unsigned k = 0; k < n; k++, pos++)
            ch[k] = pos < n_vals ? vals[pos] : 0.0;
        double op[16];
        op_matrix(ops[i], ch, op);
        abc_matrix_mul(op, m, m);
    }
}
