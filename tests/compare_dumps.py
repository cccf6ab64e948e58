#!/usr/bin/env python3
"""Compare two JSON dumps of one Alembic archive, value by value.

    compare_dumps.py [--show N] REFERENCE.json OURS.json

Both files are dumps in the format of dump-format.md (the reference C++
dumper's, and `abcdump --json [--digest]`).  The structure must match
exactly (same keys, same list lengths; key order and whitespace are free).
Sample values are compared as values of the property's pod:

  * floats (float16/float32/float64): packed to the pod's width, the bits
    must be equal, or both values NaN; so 1, 1.0 and 1e0 are equal, -0 and
    0 are not; "nan", "inf", "-inf" are the strings of the format;
  * integers: equal as integers and inside the pod's range;
  * bool: true/false (0/1 accepted);
  * string/wstring: equal strings;
  * a digest {"count": N, "fnv1a64": HEX} equals another with the same
    count and hash (hex case and leading zeros free).

Other numbers (time samplings, counts) are compared as float64 bits when
either is a float, exactly when both are integers.

Prints each mismatch (the first --show of them) with the path of the
object/property and the first differing value, then `N passed, M failed`.
Exit 0 when nothing failed, 1 otherwise.

Usable as a module: compare(want, got, show) -> (passed, failed, lines);
load(path) / loads(text) parse a dump keeping -0 as a negative zero.
"""
import argparse
import json
import math
import struct
import sys

FLOAT_PODS = {"float16": "<e", "float32": "<f", "float64": "<d"}
INT_PODS = {
    "uint8": (0, 2**8 - 1), "int8": (-2**7, 2**7 - 1),
    "uint16": (0, 2**16 - 1), "int16": (-2**15, 2**15 - 1),
    "uint32": (0, 2**32 - 1), "int32": (-2**31, 2**31 - 1),
    "uint64": (0, 2**64 - 1), "int64": (-2**63, 2**63 - 1),
}
STRING_PODS = {"string", "wstring"}
SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _int_or_negzero(text):
    # json turns "-0" into the integer 0; the dump means a float -0.
    return -0.0 if text == "-0" else int(text)


def loads(text):
    return json.loads(text, parse_int=_int_or_negzero)


def load(path):
    with open(path, encoding="utf-8") as f:
        return loads(f.read())


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _as_float(v):
    """A JSON value as a Python float, or None if it is not a number."""
    if isinstance(v, str):
        return SPECIAL.get(v)
    if _is_num(v):
        try:
            return float(v)
        except OverflowError:
            return None
    return None


def _float_bits(v, code):
    try:
        return struct.pack(code, v)
    except (OverflowError, struct.error):
        return None


def float_equal(code, a, b):
    """Values a and b (JSON) are the same float of the struct code's width."""
    x, y = _as_float(a), _as_float(b)
    if x is None or y is None:
        return False
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    bx, by = _float_bits(x, code), _float_bits(y, code)
    if bx is None or by is None:
        # Out of the pod's range: only the very same value can match.
        return x == y and math.copysign(1, x) == math.copysign(1, y)
    return bx == by


def _as_int(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and math.isfinite(v) and v == int(v):
        return int(v)
    return None


def value_equal(pod, a, b):
    """One value of a sample, compared as a value of pod."""
    if pod in FLOAT_PODS:
        return float_equal(FLOAT_PODS[pod], a, b)
    if pod in INT_PODS:
        lo, hi = INT_PODS[pod]
        x, y = _as_int(a), _as_int(b)
        return x is not None and x == y and lo <= x <= hi
    if pod == "bool":
        if not all(isinstance(v, bool) or v in (0, 1) for v in (a, b)):
            return False
        return bool(a) == bool(b)
    if pod in STRING_PODS:
        return isinstance(a, str) and isinstance(b, str) and a == b
    return a == b


def digest_equal(a, b):
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return False
    if set(a) != {"count", "fnv1a64"} or set(b) != {"count", "fnv1a64"}:
        return False
    try:
        return (_as_int(a["count"]) == _as_int(b["count"]) and _as_int(a["count"]) is not None
                and int(a["fnv1a64"], 16) == int(b["fnv1a64"], 16))
    except (TypeError, ValueError):
        return False


def _short(v, n=80):
    t = json.dumps(v) if not isinstance(v, float) else repr(v)
    return t if len(t) <= n else t[:n - 3] + "..."


class Comparison:
    def __init__(self, show):
        self.show = show
        self.passed = 0
        self.failed = 0
        self.lines = []

    def ok(self):
        self.passed += 1

    def bad(self, path, msg):
        self.failed += 1
        if len(self.lines) < self.show:
            self.lines.append("MISMATCH %s: %s" % (path or "/", msg))

    # -- sample values ----------------------------------------------------
    def values(self, path, pod, want, got):
        """A flat list of values, or a digest dict."""
        if isinstance(want, dict) or isinstance(got, dict):
            if digest_equal(want, got):
                self.ok()
            else:
                self.bad(path, "digest %s, want %s" % (_short(got), _short(want)))
            return
        if not isinstance(want, list) or not isinstance(got, list):
            self.bad(path, "values %s, want %s" % (_short(got), _short(want)))
            return
        if len(want) != len(got):
            self.bad(path, "%d values, want %d" % (len(got), len(want)))
            return
        diff = [i for i, (a, b) in enumerate(zip(want, got)) if not value_equal(pod, a, b)]
        if not diff:
            self.ok()
            return
        i = diff[0]
        self.bad(path, "%d of %d %s values differ; first [%d]: %s, want %s"
                 % (len(diff), len(want), pod, i, _short(got[i]), _short(want[i])))

    def samples(self, path, prop, want, got):
        pod, kind = prop.get("pod"), prop.get("kind")
        if not isinstance(want, list) or not isinstance(got, list):
            self.bad(path + "/samples", "not a list: %s" % _short(got))
            return
        if len(want) != len(got):
            self.bad(path + "/samples", "%d samples, want %d" % (len(got), len(want)))
        for i, (w, g) in enumerate(zip(want, got)):
            where = "%s/samples[%d]" % (path, i)
            if kind == "array":
                if not isinstance(w, dict) or not isinstance(g, dict):
                    self.bad(where, "sample %s, want %s" % (_short(g), _short(w)))
                    continue
                self.keys(where, w, g)
                if "dims" in w and "dims" in g:
                    self.generic(where + "/dims", w["dims"], g["dims"])
                if "values" in w and "values" in g:
                    self.values(where + "/values", pod, w["values"], g["values"])
            else:
                self.values(where, pod, w, g)

    # -- structure ----------------------------------------------------------
    def keys(self, path, want, got):
        missing = [k for k in want if k not in got]
        extra = [k for k in got if k not in want]
        if missing:
            self.bad(path, "missing keys %s" % missing)
        if extra:
            self.bad(path, "unexpected keys %s" % extra)

    def number(self, path, want, got):
        if _as_int(want) is not None and _as_int(got) is not None and \
                isinstance(want, int) and isinstance(got, int):
            good = want == got
        else:
            good = float_equal("<d", want, got)
        if good:
            self.ok()
        else:
            self.bad(path, "%s, want %s" % (_short(got), _short(want)))

    def generic(self, path, want, got):
        if isinstance(want, dict):
            if not isinstance(got, dict):
                self.bad(path, "%s, want an object" % _short(got))
                return
            if "kind" in want and "name" in want and "full_name" not in want:
                self.prop(path, want, got)
            elif "full_name" in want:
                self.obj(want, got)
            else:
                self.keys(path, want, got)
                for k in want:
                    if k in got:
                        self.generic("%s/%s" % (path, k), want[k], got[k])
        elif isinstance(want, list):
            if not isinstance(got, list):
                self.bad(path, "%s, want a list" % _short(got))
                return
            if len(want) != len(got):
                self.bad(path, "list of %d, want %d" % (len(got), len(want)))
            for i, (a, b) in enumerate(zip(want, got)):
                self.generic("%s[%d]" % (path, i), a, b)
        elif _is_num(want) or (_is_num(got) and isinstance(want, str) and want in SPECIAL):
            self.number(path, want, got)
        elif want == got and type(want) is type(got):
            self.ok()
        else:
            self.bad(path, "%s, want %s" % (_short(got), _short(want)))

    def prop(self, path, want, got):
        name = want.get("name")
        here = path + "/" + (name if isinstance(name, str) else "?")
        self.keys(here, want, got)
        for k in want:
            if k not in got:
                continue
            if k == "samples":
                self.samples(here, want, want[k], got[k])
            elif k == "properties" and isinstance(want[k], list):
                self.props(here, want[k], got[k])
            else:
                self.generic("%s{%s}" % (here, k), want[k], got[k])

    def props(self, path, want, got):
        if not isinstance(got, list):
            self.bad(path, "properties %s, want a list" % _short(got))
            return
        if len(want) != len(got):
            self.bad(path, "%d properties, want %d (%s vs %s)" % (
                len(got), len(want), [p.get("name") for p in got if isinstance(p, dict)][:8],
                [p.get("name") for p in want if isinstance(p, dict)][:8]))
        for w, g in zip(want, got):
            if not isinstance(g, dict):
                self.bad(path, "property %s, want an object" % _short(g))
                continue
            self.prop(path, w, g)

    def obj(self, want, got):
        path = want.get("full_name")
        path = path if isinstance(path, str) else "?"
        self.keys(path, want, got)
        for k in want:
            if k not in got:
                continue
            if k == "children":
                w, g = want[k], got[k]
                if not isinstance(g, list):
                    self.bad(path, "children %s, want a list" % _short(g))
                    continue
                if len(w) != len(g):
                    self.bad(path, "%d children, want %d" % (len(g), len(w)))
                for a, b in zip(w, g):
                    if isinstance(a, dict) and isinstance(b, dict):
                        self.obj(a, b)
                    else:
                        self.generic(path + "/children", a, b)
            elif k == "properties" and isinstance(want[k], dict):
                top = want[k]
                if not isinstance(got[k], dict):
                    self.bad(path, "properties %s, want an object" % _short(got[k]))
                    continue
                self.keys(path + " (top compound)", top, got[k])
                for tk in top:
                    if tk not in got[k]:
                        continue
                    if tk == "properties":
                        self.props(path, top[tk], got[k][tk])
                    else:
                        self.generic("%s (top compound){%s}" % (path, tk), top[tk], got[k][tk])
            else:
                self.generic("%s{%s}" % (path, k), want[k], got[k])


def compare(want, got, show=20):
    """Compares dump got against reference want: (passed, failed, lines)."""
    c = Comparison(show)
    if not isinstance(want, dict) or not isinstance(got, dict):
        c.bad("", "a dump is not a JSON object")
        return c.passed, c.failed, c.lines
    c.keys("", want, got)
    for k in want:
        if k not in got:
            continue
        if k == "root" and isinstance(want[k], dict) and isinstance(got[k], dict):
            c.obj(want[k], got[k])
        else:
            c.generic("{%s}" % k, want[k], got[k])
    return c.passed, c.failed, c.lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--show", type=int, default=20, help="mismatches to print (default 20)")
    ap.add_argument("reference")
    ap.add_argument("ours")
    a = ap.parse_args(argv)
    try:
        want, got = load(a.reference), load(a.ours)
    except (OSError, ValueError) as e:
        print("cannot read dumps: %s" % e)
        print("0 passed, 1 failed")
        return 1
    passed, failed, lines = compare(want, got, a.show)
    for line in lines:
        print(line)
    if failed > len(lines):
        print("... %d more mismatches" % (failed - len(lines)))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
