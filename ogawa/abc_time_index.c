/*
 * abc_time_index.c — the sample at or before a time: the C++
 * TimeSampling::getFloorIndex (AbcCoreAbstract/TimeSampling.cpp, Alembic
 * 1.8) for uniform (and identity), cyclic and acyclic samplings.
 *
 * The C++ code tolerates round-off: a time within CHRONO_EPSILON of a
 * sample's time is that sample's, even when slightly before it.  Its
 * branches are reproduced one by one so that the index agrees with the
 * reference for every time; where it would convert an out-of-range double
 * to an integer (undefined), the value is clamped first.
 */
#include "abc_xform.h"

#include <math.h>

#define CHRONO_EPSILON 1e-5

/* Imath::equalWithAbsError. */
static bool
near_abs(double a, double b, double e)
{
    return (a > b ? a - b : b - a) <= e;
}

/* A non-negative double truncated to an index, saturating at limit. */
static uint64_t
trunc_index(double q, uint64_t limit)
{
    if (!(q > 0))
        return 0;   /* also NaN */
    if (q >= (double)limit)
        return limit;
    return (uint64_t)q;
}

static uint32_t
floor_uniform(const struct abc_time_sampling *ts, double t, uint32_t n, double min_time)
{
    double tpc = ts->time_per_cycle;
    uint64_t idx = trunc_index((t - min_time) / tpc, n);
    if (idx >= n)
        idx = n - 1;
    double samp_time = min_time + tpc * (double)idx;
    double hi_time = min_time + tpc * (double)(idx + 1);
    if (samp_time > t && idx > 0 && !near_abs(t, samp_time, CHRONO_EPSILON))
        idx--;
    else if (idx < (uint64_t)n - 1 && near_abs(t, hi_time, CHRONO_EPSILON))
        idx++;
    return (uint32_t)idx;
}

/* Binary search over every stored time (not only the first n), with the
 * C++ loop's exact shape: it stops when the midpoint meets either end. */
static uint64_t
floor_acyclic(const struct abc_time_sampling *ts, double t)
{
    uint64_t lo = 0, hi = ts->n_times - 1, mid = hi / 2;
    while (lo < mid && mid < hi) {
        double here = ts->times[mid];
        if (t == here)
            return mid;
        if (t < here)
            hi = mid;
        else
            lo = mid;
        mid = (hi + lo) / 2;
    }
    if (near_abs(t, ts->times[hi], CHRONO_EPSILON))
        return hi;
    return lo;
}

static uint64_t
floor_cyclic(const struct abc_time_sampling *ts, double t, double min_time)
{
    const uint64_t per = ts->n_times;
    const double period = ts->time_per_cycle;
    double whole;
    double frac = modf((t - min_time) / period, &whole);
    if (near_abs(frac, 1.0, CHRONO_EPSILON))
        whole += 1;
    /* A cycle count past 2^32 lands past every uint32 index anyway. */
    uint64_t cycles = trunc_index(whole, UINT32_MAX);
    double block_time = (double)cycles * period;
    uint64_t block_index = per * cycles;
    double rem = t - block_time;
    uint64_t idx = 0;
    while (idx < per && ts->times[idx] < rem)
        idx++;
    if (idx == per)
        idx--;
    double samp_time = block_time + ts->times[idx];
    if (!near_abs(t, samp_time, CHRONO_EPSILON) && idx > 0 && t < samp_time)
        idx--;
    return block_index + idx;
}

uint32_t
abc_time_sampling_floor_index(const struct abc_time_sampling *ts, double t, uint32_t n)
{
    if (n == 0 || isnan(t))
        return 0;
    if (ts->type == ABC_TS_ACYCLIC && n > ts->n_times)
        n = ts->n_times;    /* C++ throws: no time for those samples */
    double min_time = abc_time_sampling_time(ts, 0);
    if (t <= min_time)
        return 0;
    double max_time = abc_time_sampling_time(ts, n - 1);
    if (t >= max_time)
        return n - 1;
    uint64_t idx;
    switch (ts->type) {
    case ABC_TS_ACYCLIC:
        idx = floor_acyclic(ts, t);
        break;
    case ABC_TS_CYCLIC:
        idx = floor_cyclic(ts, t, min_time);
        break;
    default:
        idx = floor_uniform(ts, t, n, min_time);
        break;
    }
    return idx < n ? (uint32_t)idx : n - 1;
}
