#!/usr/bin/env python3
"""The reference for carecron's outcome statistics (issue 28), as croniter is for cron.

Reads JSON lines {"id", "kind", "k1", "n1", "k2", "n2"} and writes {"id", ...}:
- kind "newcomb" (the default): statsmodels' interval of the difference of two proportions,
  Newcombe's hybrid score (`method='newcomb'`) -> {"low", "high"};
- kind "ztest": statsmodels' pooled two-proportion z-test, two-sided -> {"p"};
- kind "beats": P(X > Y) for X ~ Beta(1+k1, 1+n1-k1), Y ~ Beta(1+k2, 1+n2-k2), by scipy's
  numerical integration of f_X(x) F_Y(x) -> {"p"}."""
import json
import sys
import warnings

warnings.simplefilter("ignore")

from scipy import integrate
from scipy.stats import beta
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest


def beats(k1, n1, k2, n2):
    x, y = beta(1 + k1, 1 + n1 - k1), beta(1 + k2, 1 + n2 - k2)
    # Where X's density lives: integrating only there keeps quad from missing a narrow peak.
    low, high = x.ppf(1e-12), x.isf(1e-12)
    value, _ = integrate.quad(lambda t: x.pdf(t) * y.cdf(t), low, high, points=[x.mean()], limit=500, epsabs=1e-12, epsrel=1e-10)
    return value


for line in sys.stdin:
    c = json.loads(line)
    kind = c.get("kind", "newcomb")
    if kind == "newcomb":
        low, high = confint_proportions_2indep(c["k1"], c["n1"], c["k2"], c["n2"], method="newcomb", compare="diff", alpha=0.05)
        answer = {"low": float(low), "high": float(high)}
    elif kind == "ztest":
        _, p = proportions_ztest([c["k1"], c["k2"]], [c["n1"], c["n2"]])
        # No test where nobody or everybody converted: statsmodels' NaN, said as null.
        answer = {"p": None if p != p else float(p)}
    else:
        answer = {"p": beats(c["k1"], c["n1"], c["k2"], c["n2"])}
    answer["id"], answer["kind"] = c["id"], kind
    print(json.dumps(answer), flush=True)
