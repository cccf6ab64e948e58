#!/usr/bin/env python3
"""Checks tools/abcxform against the reference transforms of the corpus.

For every DATA/CORPUS/NAME.views.json with a non-empty "xforms" or "world"
section, runs `abcxform DATA/CORPUS/NAME.abc` and compares: the same object
names in each section; per Xform the .inherits values, the sample times and
the local matrices; per object the world times and matrices.  Numbers agree
when |ours - ref| <= 1e-9 * max(1, |ref|) (NaN only with NaN).

    xform_check.py --abcxform PATH --data DIR [CORPUS...]

CORPUS defaults to reference, spec and real.  Exit 0 when everything
agrees, 1 with one line per disagreement otherwise.
"""
import argparse
import json
import math
import os
import subprocess
import sys

TOL = 1e-9


def close(ours, ref):
    if isinstance(ref, bool) or isinstance(ours, bool):
        return ours is ref
    if ref is None or ours is None:
        return ours is ref
    if math.isnan(ref) or math.isnan(ours):
        return math.isnan(ref) and math.isnan(ours)
    if math.isinf(ref) or math.isinf(ours):
        return ours == ref
    return abs(ours - ref) <= TOL * max(1.0, abs(ref))


def compare_series(where, ours, ref, problems):
    """ours/ref: {"times": [...], "values": [[16]...]}."""
    if "error" in ours:
        problems.append("%s: abcxform failed: %s" % (where, ours["error"]))
        return
    if len(ours["times"]) != len(ref["times"]):
        problems.append("%s: %d times, reference %d" % (where, len(ours["times"]),
                                                        len(ref["times"])))
        return
    for i, (a, b) in enumerate(zip(ours["times"], ref["times"])):
        if not close(a, b):
            problems.append("%s: time %d is %r, reference %r" % (where, i, a, b))
    for i, (ma, mb) in enumerate(zip(ours["values"], ref["values"])):
        if len(ma) != len(mb):
            problems.append("%s: sample %d has %d values, reference %d"
                            % (where, i, len(ma), len(mb)))
            continue
        bad = [k for k in range(len(mb)) if not close(ma[k], mb[k])]
        if bad:
            k = bad[0]
            problems.append("%s: sample %d (t=%r) element %d is %r, reference %r"
                            % (where, i, ref["times"][i], k, ma[k], mb[k]))


def check_archive(abcxform, abc, ref):
    problems = []
    run = subprocess.run([abcxform, abc], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if run.returncode == 2:
        return ["abcxform exit 2: %s" % run.stderr.decode(errors="replace").strip()]
    ours = json.loads(run.stdout)
    for section in ("xforms", "world"):
        want = ref.get(section, {})
        have = ours.get(section, {})
        for name in sorted(set(want) - set(have)):
            problems.append("%s %s: missing" % (section, name))
        for name in sorted(set(have) - set(want)):
            problems.append("%s %s: not in the reference" % (section, name))
        for name in sorted(set(want) & set(have)):
            where = "%s %s" % (section, name)
            if section == "xforms":
                if "error" in have[name]:
                    problems.append("%s: abcxform failed: %s" % (where, have[name]["error"]))
                    continue
                if have[name]["inherits"] != want[name]["inherits"]:
                    problems.append("%s: inherits %r, reference %r"
                                    % (where, have[name]["inherits"], want[name]["inherits"]))
                compare_series(where, have[name]["matrix"], want[name]["matrix"], problems)
            else:
                compare_series(where, have[name], want[name], problems)
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--abcxform", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("corpora", nargs="*", default=["reference", "spec", "real"])
    args = ap.parse_args()
    checked = failed = matrices = 0
    for corpus in args.corpora:
        folder = os.path.join(args.data, corpus)
        for entry in sorted(os.listdir(folder)):
            if not entry.endswith(".views.json"):
                continue
            with open(os.path.join(folder, entry)) as f:
                ref = json.load(f)
            if not ref.get("xforms") and not ref.get("world"):
                continue
            abc = os.path.join(folder, entry[:-len(".views.json")] + ".abc")
            checked += 1
            matrices += sum(len(v["matrix"]["values"]) for v in ref.get("xforms", {}).values())
            matrices += sum(len(v["values"]) for v in ref.get("world", {}).values())
            problems = check_archive(args.abcxform, abc, ref)
            if problems:
                failed += 1
                for p in problems[:20]:
                    print("FAIL %s/%s: %s" % (corpus, entry, p))
                if len(problems) > 20:
                    print("FAIL %s/%s: ... %d more" % (corpus, entry, len(problems) - 20))
    print("xform_check: %d archives, %d reference matrices, %d disagree"
          % (checked, matrices, failed))
    if checked == 0:
        print("xform_check: no views.json with transforms found under %s" % args.data)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
