"""Self-checks for the exercises: each says "Correct" or what is wrong, with a hint.

Each check computes the right answer itself from the data it is given, prints a verdict and
returns a `Verdict` that is true or false, so a learner can run it and a solution cell can
`assert` it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: its value, and feedback that names the mistake behind it.

    The feedback may say how to do it right: it is shown only to a learner whose answer matches
    this mistake, never for an empty or an unrecognised answer. ``rel_tol`` (default: the
    check's own tolerance) says how close an answer must be to ``value`` to count as it.
    """

    value: float
    feedback: str
    rel_tol: float | None = None

    def matches(self, value: float, rel_tol: float, abs_tol: float = 0.0) -> bool:
        """True when ``value`` is this mistake (within its tolerance, else the check's)."""
        tol = self.rel_tol if self.rel_tol is not None else rel_tol
        return math.isclose(value, self.value, rel_tol=tol, abs_tol=abs_tol)


def no_answer(what: str) -> Verdict:
    """The verdict for an exercise not attempted yet: says so, and gives nothing away."""
    print(f"No answer yet for {what}: replace None with your answer, then run the cell.")
    return Verdict(False)


def correct(what: str) -> Verdict:
    """The verdict for a right answer; ``what`` says what was right (with the value)."""
    print(f"Correct: {what}.")
    return Verdict(True)


def not_yet(what: str, feedback: str) -> Verdict:
    """The verdict for a wrong answer: what is wrong, then feedback on the likely mistake."""
    print(f"Not yet: {what}.\n{feedback}")
    return Verdict(False)


def _verdict(ok: bool, what: str, hint: str) -> Verdict:
    return correct(what) if ok else not_yet(what, f"Hint: {hint}")


def as_number(answer: object, what: str, hint: str | None = None) -> float | Verdict:
    """The answer as a finite float, or a "not yet" verdict saying why it is not one.

    ``hint`` is accepted for older callers and not shown: a learner who has not produced a
    number yet gets told what kind of answer is wanted, not how to compute it.
    """
    if answer is None or answer is Ellipsis:
        return no_answer(what)
    if isinstance(answer, str | bytes):
        return not_yet(f"{what} should be a number, not the text {answer!r}", "Drop the quotes.")
    try:
        value = float(answer)  # accepts Python and numpy numbers and one-element tensors
    except (TypeError, ValueError):
        return not_yet(
            f"{what} should be a single number, got {answer!r}",
            "Reduce it to one number (for example with .item() or float()).",
        )
    if not math.isfinite(value):
        return not_yet(
            f"{what} is {value}, which is not a finite number", "Check for a 0/0 or log(0)."
        )
    return value


def judge(
    value: float,
    expected: float,
    what: str,
    *,
    rel_tol: float,
    abs_tol: float = 0.0,
    mistakes: Sequence[Mistake] = (),
    fmt: str = ".4g",
) -> Verdict:
    """Right within the tolerance; else the feedback of the first matching mistake; else a
    nudge that says only which way the answer is off."""
    shown = f"{what} = {value:{fmt}}"
    if math.isclose(value, expected, rel_tol=rel_tol, abs_tol=abs_tol):
        return correct(shown)
    for mistake in mistakes:
        if mistake.matches(value, rel_tol, abs_tol):
            return not_yet(f"{shown} is not right", mistake.feedback)
    direction = "too large" if value > expected else "too small"
    return not_yet(
        f"{shown} is not right",
        f"It is {direction}, by more than the check allows; re-read what the exercise asks for.",
    )


def check_number(
    answer: object,
    expected: float,
    rel_tol: float,
    what: str,
    hint: str | None = None,
    *,
    mistakes: Sequence[Mistake] = (),
    abs_tol: float = 0.0,
) -> Verdict:
    """Compare a numeric answer with the expected value within a relative tolerance.

    ``hint``, if given, is shown for a wrong answer that matches none of ``mistakes`` (older
    callers); new checks name their mistakes instead.
    """
    value = as_number(answer, what)
    if isinstance(value, Verdict):
        return value
    if hint is not None and not any(m.matches(value, rel_tol, abs_tol) for m in mistakes):
        ok = math.isclose(value, expected, rel_tol=rel_tol, abs_tol=abs_tol)
        detail = f"{what} = {value:.4g}" if ok else f"{what} = {value:.4g} is not right"
        return _verdict(ok, detail, hint)
    return judge(value, expected, what, rel_tol=rel_tol, abs_tol=abs_tol, mistakes=mistakes)


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
