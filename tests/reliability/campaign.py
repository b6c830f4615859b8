"""The long fuzz campaign: the gradient oracle over every spec, findings tallied.

    python -m tests.reliability.campaign --examples 50000 [--out tests/reliability/CAMPAIGN.md]

Runs ``--examples`` examples spread evenly over the functions of ``fuzz_specs`` (random,
not derandomized; ``--seed`` makes a run repeatable), keeps going after a finding, and
writes a report by function and by property with the first example of each finding
class. CI runs a small derandomized slice of the same (``test_fuzz_oracle.py``).
"""
import argparse
import os
import sys
import time
from collections import Counter, defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fuzz_oracle as fo  # noqa: E402
import fuzz_specs  # noqa: E402


def run_function(name, n, seed, findings, counts):
    ours, theirs, draw = fuzz_specs.SPECS[name]

    @settings(max_examples=n, derandomize=False, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed)
    @given(data=st.data())
    def run(data):
        inp, kw, tkw = draw(data)
        counts[name, "examples"] += 1
        ex_seed = data.draw(st.integers(0, 2 ** 31), label="upstream seed")
        try:
            outcome = fo.check(name, ours, theirs, inp, kw, tkw, seed=ex_seed,
                               kinks=fuzz_specs.KINKS.get(name, ()))
        except fo.Finding as f:
            counts[name, "findings"] += 1
            findings[name, f.prop].append(str(f))
            return
        except Exception as err:        # noqa: BLE001 - the harness itself: report it
            counts[name, "findings"] += 1
            findings[name, "harness"].append(f"{type(err).__name__}: {err}")
            return
        counts[name, outcome] += 1

    run()


def report(findings, counts, total, seconds, names):
    lines = ["# Fuzz campaign: the gradient oracle against PyTorch",
             "",
             "Written by `python -m tests.reliability.campaign` "
             f"(`--examples {total}`); {seconds:.0f} s. Properties are explained in "
             "`fuzz_oracle.py`.",
             ""]
    ex = sum(counts[n, "examples"] for n in names)
    fnd = sum(counts[n, "findings"] for n in names)
    lines += [f"Examples run: **{ex}**; computed and compared: "
              f"{sum(counts[n, 'computed'] for n in names)}; refused cleanly: "
              f"{sum(counts[n, 'refused'] for n in names)}; PyTorch refuses (skipped): "
              f"{sum(counts[n, 'skipped'] for n in names)}; examples with a finding: "
              f"**{fnd}**.", ""]
    by_prop = Counter()
    for (name, prop), items in findings.items():
        by_prop[prop] += len(items)
    lines += ["## By property", "", "| property | examples with a finding |", "|---|---|"]
    lines += [f"| {p} | {by_prop[p]} |" for p in fo.PROPERTIES]
    lines += ["", "## By function", "",
              "| function | examples | computed | refused | skipped | findings |",
              "|---|---|---|---|---|---|"]
    for n in names:
        lines.append(f"| {n} | {counts[n, 'examples']} | {counts[n, 'computed']} | "
                     f"{counts[n, 'refused']} | {counts[n, 'skipped']} | "
                     f"{counts[n, 'findings']} |")
    lines += ["", "## Findings (first example of each function and property)", ""]
    if not findings:
        lines.append("None.")
    for (name, prop), items in sorted(findings.items()):
        lines.append(f"- `{name}` / {prop} ({len(items)}): `{items[0][:300]}`")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", help="function names (default: all)")
    parser.add_argument("--out", default=os.path.join(HERE, "CAMPAIGN.md"))
    args = parser.parse_args(argv)
    names = args.only or sorted(fuzz_specs.SPECS)
    per = max(1, args.examples // len(names))
    findings, counts = defaultdict(list), Counter()
    start = time.time()
    for i, name in enumerate(names):
        run_function(name, per, args.seed + i, findings, counts)
        print(f"{name}: {counts[name, 'examples']} examples, "
              f"{counts[name, 'findings']} findings", flush=True)
    text = report(findings, counts, args.examples, time.time() - start, names)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
