/*
 * abc_xform.c — reading an Xform schema's properties (ogawa-format.md
 * §9.9) the way the C++ IXformSchema does: which properties count, how
 * many samples the Xform has, which sample of .inherits and .vals a given
 * Xform sample uses.  The matrix itself is composed in abc_xform_ops.c.
 */
#include "abc_xform.h"

#include <stdlib.h>
#include <string.h>

#define XFORM_SCHEMA "AbcGeom_Xform_v3"

struct abc_xform {
    abc_archive *archive;
    abc_compound *schema;           /* the .xform compound, counted reference */
    const struct abc_time_sampling *ts;
    uint32_t num_samples;           /* >= 1 */
    bool has_inherits;
    size_t inherits_idx;
    uint32_t inherits_samples;
    bool constant;                  /* IXformSchema::isConstant() */
    bool has_vals;
    size_t vals_idx;
    bool vals_array;
    unsigned vals_extent;
    uint32_t vals_samples;
    uint32_t n_ops;
    uint32_t n_channels;
    uint8_t ops[];                  /* n_ops op bytes */
};

/* The sampling of an Xform without .inherits: C++ IXformSchema hands out a
 * default TimeSampling, uniform from 0 by 1. */
static const double identity_time = 0.0;
static const struct abc_time_sampling identity_ts = {
    .type = ABC_TS_IDENTITY,
    .time_per_cycle = 1.0,
    .samples_per_cycle = 1,
    .max_num_samples = 1,
    .n_times = 1,
    .times = &identity_time,
};

/* Index of the schema compound in the object's top compound, if any. */
static bool
find_schema(const abc_compound *top, size_t *idx)
{
    static const char name[] = ".xform";
    if (abc_compound_find(top, name, sizeof(name) - 1, idx) != 0)
        return false;
    const struct abc_property_header *h = abc_compound_property(top, *idx);
    abc_str schema;
    return h->kind == ABC_KIND_COMPOUND && abc_meta_get(h->metadata, "schema", &schema) &&
           schema.len == sizeof(XFORM_SCHEMA) - 1 &&
           memcmp(schema.ptr, XFORM_SCHEMA, schema.len) == 0;
}

static const struct abc_property_header *
find_prop(const abc_compound *c, const char *name, size_t *idx)
{
    if (abc_compound_find(c, name, strlen(name), idx) != 0)
        return NULL;
    return abc_compound_property(c, *idx);
}

/* Reads sample 0 of .ops (extent bytes) into a new abc_xform. */
static int
read_ops(abc_compound *schema, abc_xform **out, struct ogawa_err *err)
{
    size_t idx;
    const struct abc_property_header *h = find_prop(schema, ".ops", &idx);
    uint32_t n_ops = 0;
    if (h) {
        if (h->kind != ABC_KIND_SCALAR || h->pod != ABC_POD_UINT8)
            return OGAWA_CORRUPT(err, abc_compound_offset(schema),
                                 "xform .ops is not a scalar uint8 property");
        if (h->num_samples > 0)
            n_ops = h->extent;
    }
    abc_xform *x = calloc(1, sizeof(*x) + n_ops);
    if (!x)
        return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory opening an xform");
    if (n_ops) {
        struct abc_sample s;
        int rc = abc_property_sample(schema, idx, 0, &s, err);
        if (!rc)
            rc = abc_sample_read(abc_object_archive(abc_compound_object(schema)), &s, 0, x->ops,
                                 n_ops, err);
        if (rc) {
            free(x);
            return rc;
        }
    }
    x->n_ops = n_ops;
    for (uint32_t i = 0; i < n_ops; i++)
        x->n_channels += abc_xform_op_channels(x->ops[i]);
    *out = x;
    return 0;
}

/* .inherits and .vals headers: kinds and types the C++ reader accepts. */
static int
read_headers(abc_xform *x, struct ogawa_err *err)
{
    abc_compound *schema = x->schema;
    uint64_t off = abc_compound_offset(schema);
    const struct abc_property_header *h = find_prop(schema, ".inherits", &x->inherits_idx);
    x->ts = &identity_ts;
    x->num_samples = 1;
    x->constant = true;
    if (h) {
        if (h->kind != ABC_KIND_SCALAR || h->pod != ABC_POD_BOOL || h->extent != 1)
            return OGAWA_CORRUPT(err, off, "xform .inherits is not a scalar bool property");
        x->has_inherits = true;
        x->inherits_samples = h->num_samples;
        x->ts = abc_archive_time_sampling(x->archive, h->time_sampling);
        if (h->num_samples > 1)
            x->num_samples = h->num_samples;
        x->constant = abc_property_is_constant(h);
    }
    h = find_prop(schema, ".vals", &x->vals_idx);
    if (h) {
        if (h->kind == ABC_KIND_COMPOUND || h->pod != ABC_POD_FLOAT64)
            return OGAWA_CORRUPT(err, off, "xform .vals is not a float64 property");
        x->has_vals = true;
        x->vals_array = h->kind == ABC_KIND_ARRAY;
        x->vals_extent = h->extent;
        x->vals_samples = h->num_samples;
        x->constant = x->constant && abc_property_is_constant(h);
    }
    return 0;
}

int
abc_xform_open(abc_object *o, abc_xform **out, struct ogawa_err *err)
{
    *out = NULL;
    abc_compound *top = NULL, *schema = NULL;
    int rc = abc_object_properties(o, &top, err);
    if (rc)
        return rc;
    size_t idx;
    if (!find_schema(top, &idx)) {
        abc_compound_unref(top);
        return OGAWA_E_NOENT;
    }
    rc = abc_compound_child(top, idx, &schema, err);
    abc_compound_unref(top);    /* schema keeps its parent */
    if (rc)
        return rc;
    abc_xform *x;
    rc = read_ops(schema, &x, err);
    if (rc) {
        abc_compound_unref(schema);
        return rc;
    }
    x->archive = abc_object_archive(o);
    x->schema = schema;
    rc = read_headers(x, err);
    if (rc) {
        abc_xform_close(x);
        return rc;
    }
    *out = x;
    return 0;
}

void
abc_xform_close(abc_xform *x)
{
    if (!x)
        return;
    abc_compound_unref(x->schema);
    free(x);
}

uint32_t abc_xform_num_samples(const abc_xform *x) { return x->num_samples; }
const struct abc_time_sampling *abc_xform_time_sampling(const abc_xform *x) { return x->ts; }
bool abc_xform_is_constant(const abc_xform *x) { return x->constant; }
uint32_t abc_xform_num_ops(const abc_xform *x) { return x->n_ops; }
const uint8_t *abc_xform_ops(const abc_xform *x) { return x->ops; }
uint32_t abc_xform_num_channels(const abc_xform *x) { return x->n_channels; }

double
abc_xform_time(const abc_xform *x, uint32_t i)
{
    return abc_time_sampling_time(x->ts, i);
}

/* ISampleSelector by index: the requested index clamped to the property. */
static uint32_t
clamp_index(uint32_t i, uint32_t n)
{
    return i < n ? i : n - 1;
}

static int
read_inherits(abc_xform *x, uint32_t i, bool *inherits, struct ogawa_err *err)
{
    *inherits = true;
    if (!x->has_inherits || x->inherits_samples == 0)
        return 0;
    struct abc_sample s;
    uint8_t b;
    int rc = abc_property_sample(x->schema, x->inherits_idx,
                                 clamp_index(i, x->inherits_samples), &s, err);
    if (!rc)
        rc = abc_sample_read(x->archive, &s, 0, &b, 1, err);
    if (!rc)
        *inherits = b != 0;
    return rc;
}

/* The first n_channels values of .vals at sample i into vals. */
static int
read_vals(abc_xform *x, uint32_t i, double *vals, struct ogawa_err *err)
{
    struct abc_sample s;
    int rc = abc_property_sample(x->schema, x->vals_idx, clamp_index(i, x->vals_samples), &s,
                                 err);
    if (rc)
        return rc;
    /* C++ takes a scalar's extent values, and an array's element count of
     * doubles (its first values, whatever the extent). */
    uint64_t have = x->vals_array ? s.n_values / x->vals_extent : x->vals_extent;
    if (have < x->n_channels)
        return OGAWA_CORRUPT(err, s.block.off, "xform .vals has fewer values than its ops");
    return abc_sample_read(x->archive, &s, 0, vals, (uint64_t)x->n_channels * 8, err);
}

int
abc_xform_sample(abc_xform *x, uint32_t i, double m[16], bool *inherits, struct ogawa_err *err)
{
    abc_matrix_identity(m);
    *inherits = true;
    if (i >= x->num_samples)
        return ogawa_fail(err, OGAWA_E_NOENT, 0, "xform sample index out of range");
    bool inh;
    int rc = read_inherits(x, i, &inh, err);
    if (rc)
        return rc;
    uint64_t n_vals = 0;
    double *vals = NULL;
    if (x->has_vals && x->vals_samples > 0 && x->n_channels > 0) {
        vals = malloc((size_t)x->n_channels * sizeof(double));
        if (!vals)
            return ogawa_fail(err, OGAWA_E_NOMEM, 0, "out of memory reading xform values");
        rc = read_vals(x, i, vals, err);
        if (rc) {
            free(vals);
            return rc;
        }
        n_vals = x->n_channels;
    }
    abc_xform_compose(x->ops, x->n_ops, vals, n_vals, m);
    free(vals);
    *inherits = inh;
    return 0;
}
