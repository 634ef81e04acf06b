"""Self-checks for the exercises of the hierarchical-model capstone (the eight schools).

Each check works out the right answer itself from what it is given, prints "Correct" or "Not yet"
with feedback on the likely mistake, and returns a `Verdict` that a solution cell can `assert`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import numpy as np
from scipy import stats

from .._validation import as_data_array
from ..eight_schools import (
    EFFECTS,
    MU_PRIOR,
    STANDARD_ERRORS,
    HierarchicalPosterior,
    conditional_moments,
)
from .core import (
    Mistake,
    Verdict,
    as_number,
    correct,
    is_empty,
    judge,
    no_answer,
    not_yet,
    with_prediction,
)

# Exercise 1: the batch and event shapes of the non-centred model's "eta".

_ETA_BATCH, _ETA_EVENT = (8,), ()


def _as_shape(value: object) -> tuple[int, ...] | None:
    """A shape as a tuple of ints (from a tuple, list or torch.Size), or None if it is not one."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, tuple | list) or type(value).__name__ == "Size":
        try:
            return tuple(int(v) for v in value)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            return None
    return None


def check_eta_shapes(answer: object) -> Verdict:
    """Exercise 10.1: (batch_shape, event_shape) of the distribution at the site "eta"."""
    what = "(batch shape, event shape) of eta"
    if is_empty(answer):
        return no_answer(what)
    pair = answer if isinstance(answer, tuple | list) and len(answer) == 2 else None
    shapes = None if pair is None else (_as_shape(pair[0]), _as_shape(pair[1]))
    if shapes is None or None in shapes:
        return not_yet(
            f"{what} should be a pair of shapes, got {answer!r}",
            "Give two tuples, answer = (batch_shape, event_shape); a scalar's shape is ().",
        )
    batch, event = shapes
    shown = f"{what} = ({batch}, {event})"
    if (batch, event) == (_ETA_BATCH, _ETA_EVENT):
        return correct(shown)
    if (batch, event) == (_ETA_EVENT, _ETA_BATCH):
        return not_yet(
            f"{shown} is not right",
            "Swapped: that is what `.to_event(1)` would make of it, one draw of 8 values. Inside "
            "the plate the 8 values are independent draws, each with its own log density.",
        )
    if batch == _ETA_BATCH and event == _ETA_BATCH:
        return not_yet(
            f"{shown} is not right",
            "The value has shape (8,), but the shape of one draw is the event shape: each eta_j "
            "is a scalar.",
        )
    if batch == () and event == ():
        return not_yet(
            f"{shown} is not right",
            "These are the shapes of Normal(0, 1) on its own, outside the model: read them off "
            "the site in the model's trace, where the plate has expanded it.",
        )
    return not_yet(f"{shown} is not right", "Read the shapes off the trace's site 'eta'.")


# Exercise 2: P_q(tau < 1) under the non-centred mean-field guide, and the prediction.


def check_tau_below_one(
    answer: object,
    tau_draws: object,
    exact: HierarchicalPosterior,
    *,
    prediction: object = None,
    others: Mapping[str, object] | None = None,
) -> Verdict:
    """Exercise 10.2 (predict, then run): P_q(tau < 1) from the guide's draws of tau.

    ``others``: other guides' draws of tau (the centred fit's), whose value a learner may give
    by mistake; their labels name the mistake. ``prediction``: "more" or "less" than exact.
    """
    tau = as_data_array(np.ravel(np.asarray(tau_draws, dtype=float)), "tau_draws")
    what = "P_q(tau < 1)"
    expected = float(np.mean(tau < 1))
    log_tau = np.log(tau)
    exact_p = float(exact.tau_cdf(1.0))
    value = as_number(answer, what)
    if isinstance(value, Verdict):
        verdict = value
    else:
        mistakes = [
            Mistake(exact_p, "This is the exact posterior's probability: compute the guide's."),
            Mistake(1 - expected, "This is P_q(tau > 1), the other side of 1."),
            Mistake(
                float(np.mean(log_tau < 1)),
                "This is P_q(log tau < 1), i.e. tau < e: compare tau itself with 1.",
            ),
            Mistake(100 * expected, "This looks like a percentage: give a probability, 0 to 1."),
            Mistake(
                expected * tau.size,
                "This is a count of draws below 1, not a fraction: divide by the number of "
                "draws (np.mean does both).",
                rel_tol=0.1,
            ),
            Mistake(
                float(stats.norm.cdf(1.0, tau.mean(), tau.std())),
                "This is a Normal's cdf with the draws' mean and sd of tau: q(tau) is a "
                "LogNormal, skewed, and tau > 0. Count the draws below 1 instead.",
            ),
        ]
        mistakes += [
            Mistake(
                float(np.mean(np.ravel(np.asarray(v, dtype=float)) < 1)),
                f"This is the {label} guide's probability; the exercise asks about the "
                "non-centred mean-field guide.",
            )
            for label, v in (others or {}).items()
        ]
        # Right answers: the fraction of the given draws, of 10,000 fresh draws from the same
        # guide (Monte Carlo sd about 0.0035 at p near 0.13, so two estimates differ by up to
        # 0.015 at 3 sd), or the LogNormal's cdf at 1 from the draws' log mean and sd (within
        # 0.01). Absolute tolerance 0.015; the nearest mistakes, the exact 0.2 and the Normal
        # cdf (about 0.21), are 0.06+ away. Those two lie close together, so the mistake
        # nearest the answer names it.
        mistakes.sort(key=lambda mistake: abs(mistake.value - value))
        verdict = judge(value, expected, what, rel_tol=0.0, abs_tol=0.015, mistakes=mistakes)
    return with_prediction(verdict, prediction, lambda g: _judge_more_or_less(g, expected, exact_p))


_LESS_WORDS = ("less", "fewer", "smaller", "lower")
_MORE_WORDS = ("more", "larger", "greater", "higher", "bigger")


def _says_less(text: str) -> bool | None:
    """True for "less", False for "more", None for neither or both; a negation flips the word
    after it ("not more" is "less"), as a learner who writes it means."""
    directions = set()
    words = re.findall(r"[a-z']+", text)
    for before, word in zip(["", *words], words, strict=False):
        if word in _LESS_WORDS or word in _MORE_WORDS:
            negated = before in ("not", "no") or before.endswith("n't")
            directions.add((word in _LESS_WORDS) != negated)
    return directions.pop() if len(directions) == 1 else None


def _judge_more_or_less(prediction: object, guide_p: float, exact_p: float) -> Verdict:
    ask = 'Write prediction = "more" or prediction = "less".'
    says_less = _says_less(prediction.strip().lower()) if isinstance(prediction, str) else None
    if says_less is None:
        return not_yet(f"your prediction, {prediction!r}, is not one of the two", ask)
    said = "less" if says_less else "more"
    if says_less == (guide_p < exact_p):
        return correct(f"your prediction ({said}) was right")
    return not_yet(
        f"your prediction, {said}, was not right",
        f"The guide gives {guide_p:.2f}, the exact posterior {exact_p:.2f}. The guide's log tau "
        "has about the right mean and too small an sd, so it puts too little probability in "
        "both tails of tau, including the one near 0. (Only the collapsed centred fit puts "
        "more there, because all its mass is at small tau.)",
    )


# Exercise 3: P(theta_1 > 10 | y), exactly.


def school_a_above(exact: HierarchicalPosterior, threshold: float = 10.0) -> float:
    """P(theta_1 > threshold | y) for the default eight schools, by quadrature over tau."""
    return _school_a_above(exact, threshold)


def _school_a_above(
    exact: HierarchicalPosterior,
    threshold: float = 10.0,
    scale: Callable[[np.ndarray], np.ndarray] = np.sqrt,
    over: np.ndarray | None = None,
) -> float:
    """`school_a_above`, or a typical mistake in it: the Normal's scale from the variance by
    `scale` (np.sqrt is right), the integral over `over` (exact.tau_grid is right)."""
    _, _, mean, var = conditional_moments(
        exact.tau_grid, np.array(EFFECTS), np.array(STANDARD_ERRORS), MU_PRIOR
    )
    above = stats.norm.sf(threshold, mean[:, 0], scale(var[:, 0]))
    return float(np.trapezoid(above * exact.tau_density, exact.tau_grid if over is None else over))


def check_school_a_above_10(answer: object, exact: HierarchicalPosterior) -> Verdict:
    """Exercise 10.3: the exact P(theta_1 > 10 | y), by quadrature over tau."""
    what = "P(theta_1 > 10 | y)"
    expected = school_a_above(exact)
    y, sigma = np.array(EFFECTS), np.array(STANDARD_ERRORS)
    at = {
        "the posterior mean of tau": exact.tau_mean,
        "the posterior median of tau": float(exact.tau_quantile(0.5)),
    }
    mistakes = [
        Mistake(
            float(stats.norm.sf(10, exact.theta_mean[0], exact.theta_sd[0])),
            "This is a Normal with theta_1's exact mean and sd: the posterior of theta_1 is a "
            "mixture of Normals over tau, not a Normal. Integrate the conditional probability "
            "over p(tau | y).",
            rel_tol=0.02,
        ),
        Mistake(
            float(stats.norm.sf(10, y[0], sigma[0])),
            "This is school A on its own (no pooling), Normal(28, 15): the model shrinks it "
            "towards the other schools.",
            rel_tol=0.02,
        ),
        Mistake(1 - expected, "This is P(theta_1 < 10), the other side.", rel_tol=0.01),
        Mistake(
            _school_a_above(exact, scale=lambda var: var),
            "This passes the variance as the Normal's scale (forgot the sqrt): scipy's scale, "
            "like torch's, is the standard deviation.",
            rel_tol=0.02,
        ),
        Mistake(
            _school_a_above(exact, over=np.log(exact.tau_grid)),
            "This integrates p(tau | y) over log tau without the Jacobian: exact.tau_density is "
            "a density in tau, so integrate over exact.tau_grid itself.",
            rel_tol=0.02,
        ),
        Mistake(100 * expected, "This looks like a percentage: give a probability, 0 to 1."),
    ]
    for label, tau in at.items():
        _, _, mean, var = conditional_moments(np.array([tau]), y, sigma, MU_PRIOR)
        mistakes.append(
            Mistake(
                float(stats.norm.sf(10, mean[0, 0], np.sqrt(var[0, 0]))),
                f"This plugs in one value of tau ({label}): integrate over p(tau | y) instead.",
                rel_tol=0.02,
            )
        )
    value = as_number(answer, what)
    if isinstance(value, Verdict):
        return value
    # Right answers: the trapezoid or Simpson rule on exact's grid, scipy's quad over tau or
    # log tau, agree to 1e-5; 1% accepts an answer rounded to three decimals (0.193 of 0.1927).
    # The nearest mistake, the Normal with the exact mean and sd, is 25% away.
    return judge(value, expected, what, rel_tol=0.01, mistakes=mistakes, fmt=".3g")
