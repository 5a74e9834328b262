"""Generate the drift-distance fixtures: pairs of samples and scipy's
two-sample Kolmogorov-Smirnov statistic (ks_2samp) for each.

Run from the repository root with a Python that has numpy and scipy:
    python3 internal/monitor/testdata/ks/gen_fixtures.py > internal/monitor/testdata/ks/cases.json
The Go test TestLInfinityMatchesScipy reads cases.json, so the default test
run needs no Python; TestPyPIKSFixtures re-checks the values with scipy.
"""
import json
import sys

import numpy as np
from scipy import stats


def case(name, a, b, exact=True):
    a = [float(x) for x in a]
    b = [float(x) for x in b]
    r = stats.ks_2samp(a, b)
    return {"name": name, "exact": exact, "a": a, "b": b,
            "statistic": float(r.statistic), "pvalue": float(r.pvalue)}


def main():
    rng = np.random.default_rng(17)
    cases = [
        case("same-normal", rng.normal(0, 1, 500), rng.normal(0, 1, 400)),
        case("shifted-normal", rng.normal(0, 1, 800), rng.normal(0.5, 1, 300)),
        case("scaled-normal", rng.normal(10, 1, 1000), rng.normal(10, 3, 1000)),
        case("uniform-vs-normal", rng.uniform(-2, 2, 600), rng.normal(0, 1, 700)),
        case("poisson-ties", rng.poisson(3, 2000), rng.poisson(3.4, 1500)),
        case("binary", rng.binomial(1, 0.3, 900), rng.binomial(1, 0.45, 200)),
        case("tiny", [1, 2, 3], [2.5, 4, 5, 6]),
        case("disjoint", rng.normal(0, 1, 50), rng.normal(100, 1, 60)),
        case("claim-amounts", np.round(rng.lognormal(9, 0.8, 2048), 2), np.round(rng.lognormal(9.2, 0.8, 2048), 2)),
        # Larger than one sketch level: the sketch approximates.
        case("large-approximate", rng.normal(0, 1, 8000), rng.normal(0.1, 1.1, 5000), exact=False),
    ]
    json.dump({"generator": "scipy.stats.ks_2samp", "scipy": __import__("scipy").__version__,
               "cases": cases}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
