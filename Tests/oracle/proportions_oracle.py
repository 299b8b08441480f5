#!/usr/bin/env python3
"""statsmodels' intervals for a difference of two proportions (Newcombe's hybrid score, its
`method='newcomb'`), the reference for carecron's `Proportions.difference`.

Reads JSON lines {"id", "k1", "n1", "k2", "n2"}; writes {"id", "low", "high"}."""
import json
import sys

from statsmodels.stats.proportion import confint_proportions_2indep

for line in sys.stdin:
    c = json.loads(line)
    low, high = confint_proportions_2indep(c["k1"], c["n1"], c["k2"], c["n2"], method="newcomb", compare="diff", alpha=0.05)
    print(json.dumps({"id": c["id"], "low": float(low), "high": float(high)}), flush=True)
