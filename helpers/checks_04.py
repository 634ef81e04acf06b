"""Self-checks for the exercises of notebook 04 (which way round the KL divergence goes).

Each check works out the right answer itself, prints "Correct" or "Not yet" with a hint, and
returns a `Verdict` that a solution cell can `assert`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import stats

from ._validation import as_finite_float, as_positive_float
from .checks import Verdict, _verdict, check_number
from .divergences import fit_gaussian_on_grid, gaussian_mixture_logpdf

# The lopsided mixture of exercises 2 and 3: 0.3 N(-2, 0.6^2) + 0.7 N(2, 0.6^2).
LOPSIDED_WEIGHTS = (0.3, 0.7)
LOPSIDED_LOCS = (-2.0, 2.0)
LOPSIDED_SCALES = (0.6, 0.6)


def check_mean_field_sd(answer: object, rho: float) -> Verdict:
    """Exercise 04.1: the KL(q || p) mean-field sd for a unit-variance 2-D Gaussian, corr rho."""
    rho = as_finite_float(rho, "rho")
    if not -1 < rho < 1:
        raise ValueError(f"rho must be strictly between -1 and 1, got {rho}")
    hint = (
        "under KL(q || p) each factor of a mean-field q takes the sd of its coordinate given the "
        "others, 1 / sqrt(precision[i, i]), where precision is the inverse covariance matrix"
    )
    expected = math.sqrt(1 - rho**2)
    return check_number(answer, expected, 0.01, f"the mean-field sd for rho = {rho:g}", hint)


def lopsided_moments() -> tuple[float, float]:
    """Mean and sd of the lopsided mixture (the Gaussian that KL(p || q) fits to it)."""
    w, m, s = (np.asarray(v) for v in (LOPSIDED_WEIGHTS, LOPSIDED_LOCS, LOPSIDED_SCALES))
    mean = float(w @ m)
    return mean, float(np.sqrt(w @ (s**2 + m**2) - mean**2))


def check_moment_matched(answer: object) -> Verdict:
    """Exercise 04.2: the (mean, sd) of the KL(p || q) Gaussian fit to the lopsided mixture."""
    hint = (
        "KL(p || q) matches the mixture's mean and variance; the variance is the average "
        "within-component variance plus the variance of the component means"
    )
    if isinstance(answer, str | bytes) or answer is None:
        return _verdict(False, "the answer should be a pair (mean, sd)", hint)
    try:
        mean, sd = (float(v) for v in answer)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return _verdict(False, f"the answer should be a pair (mean, sd), got {answer!r}", hint)
    expected_mean, expected_sd = lopsided_moments()
    ok = abs(mean - expected_mean) < 0.01 * expected_sd and math.isclose(
        sd, expected_sd, rel_tol=0.01
    )
    return _verdict(ok, f"the moment-matched Gaussian is Normal({mean:.3g}, {sd:.3g})", hint)


@lru_cache(maxsize=1)
def lopsided_best_kl_qp() -> float:
    """The smallest KL(q || p) a Gaussian q reaches on the lopsided mixture (on the heavy mode)."""
    grid = np.linspace(-12.0, 12.0, 2401)
    log_p = gaussian_mixture_logpdf(grid, LOPSIDED_WEIGHTS, LOPSIDED_LOCS, LOPSIDED_SCALES)
    fits = [fit_gaussian_on_grid(log_p, grid, "kl_qp", init=(loc, 1.0)) for loc in (-3.0, 3.0)]
    return min(fit.divergence for fit in fits)


def check_lopsided_kl(answer: object) -> Verdict:
    """Exercise 04.3: the lower of the two KL(q || p) values reached from starts -3 and +3."""
    hint = (
        "fit from init=(-3.0, 1.0) and from init=(3.0, 1.0) with "
        "fit_gaussian_on_grid(log_p, grid, 'kl_qp', init=...) and take the smaller .divergence"
    )
    return check_number(answer, lopsided_best_kl_qp(), 0.01, "the lower KL(q || p)", hint)


@lru_cache(maxsize=8)
def student_t_sd_ratio(df: float) -> float:
    """The KL(q || p) Gaussian's sd over the KL(p || q) Gaussian's sd, for a Student-t target."""
    df = as_positive_float(df, "df")
    if df <= 2:
        raise ValueError(f"df must be above 2 so that the Student-t has a finite sd, got {df}")
    grid = np.linspace(-80.0, 80.0, 16001)
    log_p = stats.t.logpdf(grid, df)
    narrow = fit_gaussian_on_grid(log_p, grid, "kl_qp", init=(0.0, 1.0))
    return narrow.scale / math.sqrt(df / (df - 2))


def check_student_t_ratio(answer: object, df: float = 5.0) -> Verdict:
    """Exercise 04.4: sd ratio of the KL(q || p) to the KL(p || q) Gaussian fit to a Student-t."""
    expected = student_t_sd_ratio(df)
    hint = (
        "fit 'kl_qp' to stats.t.logpdf(grid, df) on a wide grid (say -80 to 80) and divide its "
        "scale by the Student-t's sd, sqrt(df / (df - 2)), which is what 'kl_pq' finds"
    )
    return check_number(answer, expected, 0.01, f"the sd ratio for df = {df:g}", hint)
