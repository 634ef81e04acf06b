"""Self-checks for the exercises of notebook 06 (which way round the KL divergence goes).

Like those in `helpers.checks`, each check works out the right answer itself, prints "Correct"
or "Not yet" with feedback on the likely mistake, and returns a `Verdict` that a solution cell
can `assert`. The "predict, then run" checks judge the prediction too. None of them raises on a
learner's answer or prediction.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np
from scipy import stats

from .._validation import as_finite_float, as_positive_float
from ..divergences import fit_gaussian_on_grid, gaussian_mixture_logpdf
from .core import (
    Mistake,
    Verdict,
    as_number,
    correct,
    is_empty,
    judge,
    no_answer,
    not_yet,
    prediction_gate,
)

# The lopsided mixture of exercises 2 and 3: 0.3 N(-2, 0.6^2) + 0.7 N(2, 0.6^2).
LOPSIDED_WEIGHTS = (0.3, 0.7)
LOPSIDED_LOCS = (-2.0, 2.0)
LOPSIDED_SCALES = (0.6, 0.6)


def _guess(prediction: object) -> float | Verdict:
    """A numeric prediction, also from text such as "closer to 1" or "about 0.35"."""
    if isinstance(prediction, str):
        text = prediction.lower()
        if re.search(r"\b(ln|log|sqrt)\b", text):
            return not_yet(
                f"your prediction {prediction!r} is a formula in text",
                "Write it as a number, or as Python that computes one (math.log, math.sqrt).",
            )
        numbers = re.findall(r"-?\d+(?:\.\d*)?(?:e-?\d+)?|-?\.\d+", text)
        words = {"half": 0.5, "one": 1.0, "zero": 0.0}
        named = [value for word, value in words.items() if re.search(rf"\b{word}\b", text)]
        found = [float(n) for n in numbers] + named
        if len(found) == 1:
            return found[0]
        return not_yet(f"your prediction {prediction!r} is not one number", "Write it as a number.")
    return as_number(prediction, "your prediction")


# Exercise 06.1 ------------------------------------------------------------------------------


def check_mean_field_sd(answer: object, rho: float, prediction: object = None) -> Verdict:
    """Exercise 06.1 (predict, then run): the sd of each factor of the mean-field KL(q || p) fit
    to a unit-variance 2-D Gaussian with correlation rho."""
    rho = as_finite_float(rho, "rho")
    if not -1 < rho < 1:
        raise ValueError(f"rho must be strictly between -1 and 1, got {rho}")
    what = f"the mean-field sd for rho = {rho:g}"
    value = as_number(answer, what, prediction)
    if isinstance(value, Verdict):
        return value
    expected = math.sqrt(1 - rho**2)
    # Right answers: the formula sqrt(1 - rho^2) and 1 / sqrt(precision[0, 0]) are exact;
    # minimising kl_mean_field gives 4 digits; SVI with a mean-field guide (the notebook's fit,
    # 16 sds) scatters by 0.8% (at most 1.7%). For rho = 0.5 the nearest typical mistakes, the
    # variance 1 - rho^2 and the marginal sd 1, are 13% and 15% away; 4% separates them.
    mistakes = [
        Mistake(
            1 - rho**2,
            "This is the variance 1 - rho^2, the conditional variance; the sd is its root.",
        ),
        Mistake(
            1.0,
            "This is the marginal sd, what KL(p || q) gives. KL(q || p) keeps q off the places "
            "where p is small, so each factor takes the sd of its coordinate given the other.",
        ),
        Mistake(
            1 / expected,
            "This is the square root of the precision, 1 / (1 - rho^2); the conditional sd is "
            "one over it.",
        ),
        Mistake(1 / (1 - rho**2), "This is the precision, 1 / (1 - rho^2), not an sd."),
        Mistake(
            math.sqrt(1 - abs(rho)),
            "This is sqrt(1 - rho); the conditional variance is 1 - rho^2.",
        ),
        Mistake(
            1 - abs(rho),
            "This is 1 - rho: the conditional sd shrinks like sqrt(1 - rho^2), not like rho.",
        ),
        Mistake(
            math.log(expected),
            "This is the log of the sd: kl_mean_field's parameters are (mean, mean, log sd, "
            "log sd), so take the exponential.",
        ),
    ]
    if not math.isclose(abs(rho), 0.9):
        mistakes.append(
            Mistake(
                math.sqrt(1 - 0.9**2),
                "This is the answer for rho = 0.9, from the section above; the exercise asks for "
                f"rho = {rho:g}.",
            )
        )
    verdict = judge(value, expected, what, rel_tol=0.04, mistakes=mistakes)
    gate = prediction_gate(verdict, prediction)
    if gate is not None:
        return gate
    guess = _guess(prediction)
    if isinstance(guess, Verdict):
        return Verdict(False)
    # The exercise asks: closer to 1 - |rho| (0.5, shrinking in proportion to rho) or to 1? A
    # right prediction lies on the answer's side of the midpoint, and no higher than 1.
    naive = 1 - abs(rho)
    midpoint = (naive + 1) / 2
    right_side = guess >= midpoint if expected >= midpoint else guess < midpoint
    if right_side and guess <= 1:
        return correct(f"your prediction, {guess:.2g}")
    if guess > 1:
        why = (
            "A mean-field KL(q || p) fit is never wider than the target: each factor takes the "
            "sd of its coordinate given the other, at most the marginal sd, 1."
        )
    else:
        why = (
            "The sd given the other coordinate is sqrt(1 - rho^2), and rho^2 is much smaller "
            f"than rho for a moderate correlation: rho = {rho:g} narrows each factor by only "
            f"{1 - expected:.0%}, while rho = 0.9 more than halves it."
        )
    return not_yet(f"your prediction, {guess:.2g}, was off", why)


# Exercise 06.2 ------------------------------------------------------------------------------


def lopsided_moments() -> tuple[float, float]:
    """Mean and sd of the lopsided mixture (the Gaussian that KL(p || q) fits to it)."""
    w, m, s = (np.asarray(v) for v in (LOPSIDED_WEIGHTS, LOPSIDED_LOCS, LOPSIDED_SCALES))
    mean = float(w @ m)
    return mean, float(np.sqrt(w @ (s**2 + m**2) - mean**2))


def _as_pair(answer: object, what: str) -> tuple[float, float] | Verdict:
    """The answer as two finite numbers, or a "not yet" verdict saying why it is not."""
    wanted = "Give the two numbers as a pair, for example (mean, sd)."
    if isinstance(answer, str | bytes):
        return not_yet(f"{what} should be two numbers, not the text {answer!r}", wanted)
    try:
        values = [float(v) for v in answer]  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return not_yet(f"{what} should be a pair (mean, sd), got {answer!r}", wanted)
    if len(values) != 2 or not all(math.isfinite(v) for v in values):
        return not_yet(f"{what} should be two finite numbers, got {answer!r}", wanted)
    return values[0], values[1]


def check_moment_matched(answer: object) -> Verdict:
    """Exercise 06.2: the (mean, sd) of the KL(p || q) Gaussian fit to the lopsided mixture."""
    what = "the (mean, sd) of the KL(p || q) Gaussian"
    if is_empty(answer):
        return no_answer(what)
    pair = _as_pair(answer, what)
    if isinstance(pair, Verdict):
        return pair
    mean, sd = pair
    expected_mean, expected_sd = lopsided_moments()
    w, m, s = (np.asarray(v) for v in (LOPSIDED_WEIGHTS, LOPSIDED_LOCS, LOPSIDED_SCALES))
    # Right answers: the moments by hand and fit_gaussian_on_grid(..., "kl_pq") agree to 1e-6; a
    # Monte Carlo estimate from 100,000 draws has standard errors 0.006 (mean) and 0.2% (sd). The
    # nearest typical mistake, the sd without the within-component variance, is 5% too small.
    # So: the mean within 0.02 (1% of the sd, 3 standard errors) and the sd within 1%.
    mean_tol, sd_tol = 0.01 * expected_sd, 0.01

    def matches(pair: tuple[float, float]) -> bool:
        return abs(mean - pair[0]) <= mean_tol and math.isclose(sd, pair[1], rel_tol=sd_tol)

    shown = f"{what} = ({mean:.3g}, {sd:.3g})"
    if matches((expected_mean, expected_sd)):
        return correct(f"the moment-matched Gaussian is Normal({mean:.3g}, {sd:.4g})")
    symmetric_sd = math.sqrt(s[0] ** 2 + m[1] ** 2)  # the 50/50 target's, from the notebook
    mistakes = [
        (
            (expected_mean, expected_sd**2),
            "This is the variance; the sd is its square root.",
        ),
        (
            (expected_sd, expected_mean),
            "The two numbers are the wrong way round: the mean comes first.",
        ),
        (
            (0.0, symmetric_sd),
            "This is the answer for the 50/50 target above; the weights 0.3 and 0.7 move the "
            "mean and change the variance.",
        ),
        (
            (expected_mean, float(np.sqrt(w @ (s**2 + m**2)))),
            "This sd is the root of E[z^2]; the variance is E[z^2] minus the square of the mean.",
        ),
        (
            (expected_mean, float(np.sqrt(w @ m**2 - expected_mean**2))),
            "This variance is only the spread of the component means; add the average "
            "within-component variance, 0.6^2.",
        ),
        (
            (expected_mean, float(w @ s)),
            "This sd is only the within-component spread; the variance also has the spread of "
            "the component means.",
        ),
        (
            (m[1], s[1]),
            "This is the heavier mode, which KL(q || p) locks onto; KL(p || q) must cover both "
            "modes.",
        ),
        (
            (float(w[::-1] @ m), expected_sd),
            "The weights are swapped: the mode at +2 has weight 0.7.",
        ),
    ]
    for pair_, feedback in mistakes:
        if matches(pair_):
            return not_yet(f"{shown} is not right", feedback)
    parts = []
    if abs(mean - expected_mean) > mean_tol:
        parts.append(f"the mean is too {'large' if mean > expected_mean else 'small'}")
    if not math.isclose(sd, expected_sd, rel_tol=sd_tol):
        parts.append(f"the sd is too {'large' if sd > expected_sd else 'small'}")
    return not_yet(
        f"{shown} is not right",
        f"{' and '.join(parts).capitalize()}, by more than the check allows; re-read what the "
        "exercise asks for.",
    )


# Exercise 06.3 ------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def lopsided_kl_from(start: float) -> float:
    """The KL(q || p) a Gaussian q reaches on the lopsided mixture from the start (start, 1)."""
    grid = np.linspace(-12.0, 12.0, 2401)
    log_p = gaussian_mixture_logpdf(grid, LOPSIDED_WEIGHTS, LOPSIDED_LOCS, LOPSIDED_SCALES)
    return fit_gaussian_on_grid(log_p, grid, "kl_qp", init=(start, 1.0)).divergence


def lopsided_best_kl_qp() -> float:
    """The smallest KL(q || p) a Gaussian q reaches on the lopsided mixture (on the heavy mode)."""
    return min(lopsided_kl_from(-3.0), lopsided_kl_from(3.0))


@lru_cache(maxsize=1)
def lopsided_kl_pq() -> float:
    """KL(p || q) of the moment-matched Gaussian q on the lopsided mixture."""
    grid = np.linspace(-12.0, 12.0, 2401)
    log_p = gaussian_mixture_logpdf(grid, LOPSIDED_WEIGHTS, LOPSIDED_LOCS, LOPSIDED_SCALES)
    return fit_gaussian_on_grid(log_p, grid, "kl_pq", init=(1.0, 1.0)).divergence


def check_lopsided_kl(answer: object, prediction: object = None) -> Verdict:
    """Exercise 06.3 (predict, then run): the smaller of the two KL(q || p) values reached from
    the starts -3 and +3 (the answer), and a rough prediction of it."""
    what = "the smaller KL(q || p)"
    value = as_number(answer, what, prediction)
    if isinstance(value, Verdict):
        return value
    expected = lopsided_best_kl_qp()
    heavy, light = max(LOPSIDED_WEIGHTS), min(LOPSIDED_WEIGHTS)
    # Right answers: the grid fit (0.3559), the rule ln(1 / 0.7) (0.3567), SVI's q measured by
    # quadrature (0.3559-0.3562, 3 fits) and a 100,000-draw estimate (standard error 0.0002):
    # 0.25% apart. The nearest typical mistake, 0.3 (the weight of the mode q leaves out), is
    # 16% away; 2% accepts a 10,000-draw estimate at 5 standard errors and separates them.
    mistakes = [
        # the weights themselves, exactly (0.7 is 1% from ln 2, which is named below)
        Mistake(light, "This is the weight of the mode that q leaves out, not a divergence.", 1e-3),
        Mistake(heavy, "This is the weight of the mode q sits on, not a divergence.", 1e-3),
        Mistake(
            lopsided_kl_from(-3.0),
            "This is the divergence from the start at -3, on the lighter mode; the exercise asks "
            "for the smaller of the two.",
        ),
        Mistake(
            math.log(2),
            "This is ln 2, the divergence on either mode of the 50/50 target above; here the "
            "modes have different weights.",
        ),
        Mistake(
            lopsided_kl_pq(),
            "This is KL(p || q) of the moment-matched Gaussian; the exercise asks for "
            "KL(q || p), from the two starts.",
        ),
        Mistake(
            -expected,
            "A KL divergence is never negative: ln(1 / w) is positive for a weight w below 1.",
        ),
        Mistake(
            math.log10(1 / heavy),
            "This is in base-10 logarithms; divergences here are in nats, natural logarithms.",
        ),
    ]
    verdict = judge(value, expected, what, rel_tol=0.02, mistakes=mistakes)
    gate = prediction_gate(verdict, prediction)
    if gate is not None:
        return gate
    guess = _guess(prediction)
    if isinstance(guess, Verdict):
        return Verdict(False)
    rule = math.log(1 / heavy)
    # "Roughly": within 25% of ln(1 / 0.7) = 0.36 accepts the rule and the first-order 0.3 (the
    # missing mass), and rejects ln 2, ln(1 / 0.3), the weights and zero.
    if math.isclose(guess, rule, rel_tol=0.25):
        return correct(f"your prediction, {guess:.2g} nats")
    on_one_mode = (
        "q that sits on a mode of weight w has log q - log p close to ln(1 / w) wherever it has "
        "mass, so its KL(q || p) is about ln(1 / w)."
    )
    if math.isclose(guess, math.log(2), rel_tol=0.1):
        why = f"ln 2 holds when both modes weigh 1/2. A {on_one_mode} Here that is ln(1 / 0.7)."
    elif math.isclose(guess, math.log(1 / light), rel_tol=0.1):
        why = (
            "That is the lighter mode's divergence, ln(1 / 0.3), reached from -3. The smaller "
            "one comes from +3, on the heavier mode: ln(1 / 0.7)."
        )
    elif guess <= 0:
        why = (
            "A KL divergence is zero only when q = p, which no Gaussian can be for a two-mode "
            f"target, and never negative. A {on_one_mode}"
        )
    else:
        why = f"A {on_one_mode} The smaller value is on the heavier mode, w = 0.7."
    return not_yet(f"your prediction, {guess:.2g}, was off", why)


# Exercise 06.4 ------------------------------------------------------------------------------


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
    """Exercise 06.4: sd ratio of the KL(q || p) to the KL(p || q) Gaussian fit to a Student-t."""
    expected = student_t_sd_ratio(df)
    what = f"the sd ratio for df = {df:g}"
    value = as_number(answer, what)
    if isinstance(value, Verdict):
        return value
    t_sd = math.sqrt(df / (df - 2))
    fitted_sd = expected * t_sd
    # Right answers: the KL(q || p) fit on any grid from +-10 to +-80 (q is narrow, so the grid
    # hardly matters) over sqrt(df / (df - 2)), or over the KL(p || q) fit's sd on the same grid
    # (0.1% higher on +-20), and SVI with a Normal guide (6 fits: -0.5% to +0.3%). The nearest
    # typical mistake, the ratio of the variances, is 10% below; 3% separates them.
    mistakes = [
        Mistake(
            expected**2,
            "This is the ratio of the variances; the exercise asks for the ratio of the sds.",
        ),
        Mistake(1 / expected, "This is the reciprocal: the KL(q || p) sd goes on top."),
        Mistake(
            fitted_sd,
            "This is the KL(q || p) fit's sd itself (or divided by the Student-t's scale, 1); "
            f"divide it by the Student-t's sd, sqrt(df / (df - 2)) = {t_sd:.4g}.",
        ),
        Mistake(
            fitted_sd * t_sd,
            "This multiplies by the Student-t's sd; the ratio divides by it.",
        ),
        Mistake(
            fitted_sd / t_sd**2,
            "This divides by the Student-t's variance, df / (df - 2); divide by its sd.",
        ),
        Mistake(
            1.0,
            "A ratio of 1 is what KL(p || q) gives against itself, or a nearly Gaussian target; "
            "the KL(q || p) Gaussian fitted to a heavy-tailed Student-t is narrower.",
            rel_tol=0.01,
        ),
    ]
    return judge(value, expected, what, rel_tol=0.03, mistakes=mistakes)
