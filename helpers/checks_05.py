"""Self-checks for the exercises of notebook 05 (diagnostics for variational inference).

Each check computes the right answer itself from what it is given, prints "Correct" or "Not yet"
with a hint, and returns a `Verdict` that a solution cell can `assert`. None of them raises on a
wrong or missing answer; they raise only when the inputs they need to compute the answer are
invalid (a programming error, not a learner's mistake).
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_data_array
from .checks import Verdict, _verdict, as_number, check_number
from .diagnostics import rank_histogram, simulate_sbc


def _as_replicates(replicated: object) -> np.ndarray:
    if hasattr(replicated, "detach"):  # a torch tensor
        replicated = replicated.detach().cpu().numpy()
    try:
        array = np.asarray(replicated, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("replicated must be an array of numbers") from None
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(f"replicated must be 2-D (one data set per row), got shape {array.shape}")
    return array


def check_ess_fraction(answer: object, log_weights: object) -> Verdict:
    """Exercise 05.1: the effective sample size of importance weights, as a fraction of S."""
    lw = as_data_array(log_weights, "log_weights")
    w = np.exp(lw - lw.max())
    expected = float(w.sum() ** 2 / np.sum(w**2) / lw.size)
    hint = "w = np.exp(lw - lw.max()); then w.sum()**2 / (w**2).sum() / len(w)"
    return check_number(answer, expected, 0.01, "the ESS as a fraction of the draws", hint)


def check_median_p_value(answer: object, replicated: object, data: object) -> Verdict:
    """Exercise 05.2: P(median of a replicated data set >= median of the data)."""
    reps = _as_replicates(replicated)
    x = as_data_array(data)
    expected = float(np.mean(np.median(reps, axis=1) >= np.median(x)))
    hint = "np.median(replicated, axis=1) gives one median per row; compare with the data's"
    what = "the posterior predictive p-value of the median"
    if answer is None or isinstance(answer, str | bytes):
        return check_number(answer, expected, 0.0, what, hint)
    try:
        value = float(answer)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return check_number(answer, expected, 0.0, what, hint)
    ok = math.isfinite(value) and abs(value - expected) <= 0.005
    return _verdict(
        ok, f"{what} = {value:.3g}" if ok else f"{what} = {value:.3g} is not right", hint
    )


def check_wide_guide_k_hat(answer: object) -> Verdict:
    """Exercise 05.3: the Pareto k-hat of a guide twice as wide as the fitted one (negative)."""
    hint = (
        "compute pareto_k_hat(estimate_elbo(model, scaled_guide(2.0), data, "
        "num_particles=10_000).log_weights); a guide wider than the posterior has bounded weights"
    )
    what = "the k-hat of the twice-as-wide guide"
    value = as_number(answer, what, hint)
    if isinstance(value, Verdict):
        return value
    # Its weights are bounded, so k is negative (about -1 for 2 parameters); estimates from
    # 10,000 draws fall between about -1.2 and -0.6.
    ok = math.isfinite(value) and -1.5 < value < -0.3
    detail = f"{what} = {value:.2f}, negative" if ok else f"{what} = {value:.3g} is not right"
    return _verdict(ok, detail, hint)


def check_wide_sbc_p_value(answer: object, seed: int) -> Verdict:
    """Exercise 05.4: the chi-square p-value of mu's ranks for a guide twice too wide."""
    result = simulate_sbc(1000, sd_factor=2.0, seed=seed)
    expected = rank_histogram(result.ranks["mu"], result.num_draws).p_value
    hint = (
        "run rank_histogram(simulate_sbc(1000, sd_factor=2.0, seed=seed).ranks['mu'], 99) and "
        "read its p_value"
    )
    what = "the p-value of the ranks of mu (guide twice too wide)"
    value = as_number(answer, what, hint)
    if isinstance(value, Verdict):
        return value
    # The p-value is tiny (often below 1e-100), so compare on a log scale, or exactly at zero.
    if expected == 0.0 or value <= 0.0:
        ok = value == expected
    else:
        ok = math.isfinite(value) and abs(math.log(value) - math.log(expected)) < 0.01
    detail = f"{what} = {value:.3g}" if ok else f"{what} = {value:.3g} is not right"
    return _verdict(ok, detail, hint)
