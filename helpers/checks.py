"""Self-checks for the exercises: each says "Correct" or what is wrong, with a hint.

Each check computes the right answer itself from the data it is given, prints a verdict and
returns a `Verdict` that is true or false, so a learner can run it and a solution cell can
`assert` it.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_data_array
from .posterior import exact_posterior


class Verdict:
    """The result of a self-check: true when correct; prints nothing more in a notebook."""

    def __init__(self, ok: bool) -> None:
        self.ok = bool(ok)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"Verdict(ok={self.ok})"

    def _ipython_display_(self) -> None:
        """The verdict was printed already; don't echo the object as a cell's output."""


def _verdict(ok: bool, what: str, hint: str) -> Verdict:
    print(f"Correct: {what}." if ok else f"Not yet: {what}.\nHint: {hint}")
    return Verdict(ok)


def as_number(answer: object, what: str, hint: str) -> float | Verdict:
    """The answer as a finite float, or a "Not yet" verdict saying why it is not one."""
    if answer is None or answer is Ellipsis:
        return _verdict(False, f"no answer yet for {what}", hint)
    if isinstance(answer, str | bytes):
        return _verdict(False, f"{what} should be a number, not the text {answer!r}", hint)
    try:
        value = float(answer)  # accepts Python and numpy numbers and one-element tensors
    except (TypeError, ValueError):
        return _verdict(False, f"{what} should be a single number, got {answer!r}", hint)
    if not math.isfinite(value):
        return _verdict(False, f"{what} is {value}, which is not a finite number", hint)
    return value


def check_number(answer: object, expected: float, rel_tol: float, what: str, hint: str) -> Verdict:
    """Compare a numeric answer with the expected value within a relative tolerance."""
    value = as_number(answer, what, hint)
    if isinstance(value, Verdict):
        return value
    ok = math.isclose(value, expected, rel_tol=rel_tol)
    detail = f"{what} = {value:.4g}" if ok else f"{what} = {value:.4g} is not right"
    return _verdict(ok, detail, hint)


def check_standard_error(answer: object, data: object) -> Verdict:
    """Exercise 01.1: the standard error of the sample mean, s / sqrt(n)."""
    x = as_data_array(data)
    expected = float(np.std(x, ddof=1) / np.sqrt(x.size))
    hint = "divide the sample sd (np.std or tensor.std) by the square root of the number of points"
    return check_number(answer, expected, 0.01, "the standard error of the mean", hint)


def check_sd_ratio(answer: object) -> Verdict:
    """Exercise 01.2: how the posterior sd of mu changes when n grows from 1,000 to 4,000."""
    hint = (
        "compute exact_posterior(make_data(n=4000)).mu_sd / exact_posterior(make_data()).mu_sd; "
        "the sd of a mean falls like 1 / sqrt(n)"
    )
    return check_number(answer, 0.5, 0.1, "the ratio of posterior sds (n = 4,000 over 1,000)", hint)


def check_interval(answer: object, data: object) -> Verdict:
    """Exercise 01.3: the central 95% posterior interval of mu, as a (low, high) pair."""
    hint = "use exact_posterior(data).interval('mu', 0.95), which returns (low, high)"
    try:
        low, high = (float(v) for v in answer)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return _verdict(False, f"the interval should be a pair (low, high), got {answer!r}", hint)
    expected_low, expected_high = exact_posterior(data).interval("mu", 0.95)
    width = expected_high - expected_low
    ok = abs(low - expected_low) < 0.02 * width and abs(high - expected_high) < 0.02 * width
    return _verdict(ok, f"the 95% interval of mu is ({low:.3f}, {high:.3f})", hint)


def check_strong_prior_mean(answer: object, data: object) -> Verdict:
    """Exercise 01.4: the posterior mean of mu under the strong prior mu ~ Normal(0, 0.1)."""
    expected = exact_posterior(data, mu_prior=(0.0, 0.1)).mu_mean
    hint = "pass mu_prior=(0.0, 0.1) to exact_posterior and read .mu_mean"
    return check_number(answer, expected, 0.01, "the posterior mean under the strong prior", hint)
