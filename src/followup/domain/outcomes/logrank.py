"""The log-rank test between k groups' survival, and the chi-square distribution's upper tail it
needs, in plain Python (no statistics package at run time).

The test (Mantel 1966; Peto and Peto 1972) compares, at every distinct event time, the events each
group had with those expected had all groups shared one curve, summed over time. With the
observed-minus-expected vector U and its covariance V (hypergeometric), chi-square =
U' V^-1 U over the first k - 1 groups, with k - 1 degrees of freedom. Groups with nobody in them
are left out before the test (they add nothing and would make V singular).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Group = (times, events): the same inputs as ``survival.kaplan_meier``.
Group = tuple[Sequence[float], Sequence[bool]]


@dataclass(frozen=True)
class LogRank:
    """The test's chi-square, degrees of freedom and p value, and per group the events observed
    and expected under "no difference"."""

    chi_square: float
    df: int
    p_value: float
    observed: tuple[int, ...]
    expected: tuple[float, ...]


def log_rank(groups: Sequence[Group]) -> LogRank:
    """The log-rank test between ``groups`` (at least two, each with at least one member). The
    degrees of freedom are k - 1, fewer when some group was never at risk at an event time; with
    none left (no events at all), chi-square is 0 and p is 1."""
    if len(groups) < 2 or any(len(times) == 0 for times, _ in groups):
        raise ValueError("the log-rank test needs two or more groups, none of them empty")
    k = len(groups)
    pooled: dict[float, list[list[int]]] = {}
    for g, (times, events) in enumerate(groups):
        for t, event in zip(times, events, strict=True):
            row = pooled.setdefault(t, [[0, 0] for _ in range(k)])
            row[g][0 if event else 1] += 1
    at_risk = [len(times) for times, _ in groups]
    observed = [0] * k
    expected = [0.0] * k
    cov = [[0.0] * k for _ in range(k)]
    for t in sorted(pooled):
        row = pooled[t]
        d = sum(r[0] for r in row)
        n = sum(at_risk)
        if d:
            spread = d * (n - d) / (n - 1) if n > 1 else 0.0
            for g in range(k):
                share = at_risk[g] / n
                observed[g] += row[g][0]
                expected[g] += d * share
                for h in range(k):
                    cov[g][h] += spread * share * ((g == h) - at_risk[h] / n)
        for g in range(k):
            at_risk[g] -= row[g][0] + row[g][1]
    u = [observed[g] - expected[g] for g in range(k - 1)]
    v = [r[: k - 1] for r in cov[: k - 1]]
    solution, df = _solve(v, u)
    chi_square = max(sum(a * b for a, b in zip(u, solution, strict=True)), 0.0)
    p_value = chi_square_sf(chi_square, df) if df else 1.0
    return LogRank(chi_square, df, p_value, tuple(observed), tuple(expected))


def _solve(a: list[list[float]], b: list[float]) -> tuple[list[float], int]:
    """x with a x = b, and the rank of a (Gauss-Jordan with partial pivoting; a is small and
    symmetric). When a is singular (no events at all, or a group nobody was at risk in at any
    event time), what cannot be told is set to zero and the rank, the test's degrees of freedom,
    counts only the groups that could be compared (as R's survdiff does)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) < 1e-12:
            for r in range(n):
                m[r][col] = 0.0
            m[col][n] = 0.0
            continue
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(n):
            if r != col and m[r][col]:
                factor = m[r][col] / m[col][col]
                m[r] = [x - factor * y for x, y in zip(m[r], m[col], strict=True)]
    solution = [m[i][n] / m[i][i] if m[i][i] else 0.0 for i in range(n)]
    return solution, sum(1 for i in range(n) if m[i][i])


def chi_square_sf(x: float, df: int) -> float:
    """P(X >= x) for a chi-square with ``df`` degrees of freedom: erfc for df = 1, otherwise the
    regularized upper incomplete gamma function Q(df / 2, x / 2)."""
    if df < 1:
        raise ValueError("degrees of freedom must be 1 or more")
    if x <= 0:
        return 1.0
    if df == 1:
        return math.erfc(math.sqrt(x / 2))
    return _upper_gamma(df / 2, x / 2)


def _upper_gamma(a: float, x: float) -> float:
    """Q(a, x) = Gamma(a, x) / Gamma(a): a series below a + 1, Lentz's continued fraction above
    (Numerical Recipes 6.2), each to full double precision."""
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1 / a
        n = a
        while abs(term) > abs(total) * 1e-16:
            n += 1
            term *= x / n
            total += term
        return max(0.0, 1 - total * math.exp(log_front))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-16:
            break
    return math.exp(log_front) * h
