"""Self-checks for the exercises of notebooks 02 (the model) and 03 (the guide).

Like those in `helpers.checks`, each check computes the right answer itself from what it is
given, prints "Correct" or "Not yet" with feedback on the likely mistake, and returns a
`Verdict` that is true or false. The "predict, then run" checks judge the prediction too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

import numpy as np
from scipy import stats

from .._validation import as_data_array, as_data_sets
from ..diagnostics import log_joint
from ..posterior import SIGMA_PRIOR, exact_posterior
from .core import (
    Mistake,
    Verdict,
    as_number,
    correct,
    is_empty,
    judge,
    no_answer,
    no_answer_with_prediction,
    not_yet,
    prediction_gate,
)

# Exercise 03.1: the guides that break one of Pyro's rules for guides, and those that Pyro
# complains about when they are run (an error or a warning).
BROKEN_GUIDES = frozenset("abce")
PYRO_COMPLAINS = frozenset("bce")


def _log_likelihood(x: np.ndarray, mu: float, sigma: float) -> float:
    """log p(x | mu, sigma) under the course's model, in float64 (log_joint without the prior)."""
    return float(stats.norm.logpdf(x, mu, sigma).sum())


def check_fraction_similar_sd(
    answer: object, simulated: object, data: object, prediction: object = None
) -> Verdict:
    """Exercise 02.1 (predict, then run): the fraction of prior-simulated data sets whose sd lies
    between half and twice the data's."""
    sds = as_data_sets(simulated, "simulated", min_points=2).std(axis=1, ddof=1)
    s = float(as_data_array(data).std(ddof=1))
    what = "the fraction of simulated data sets with an sd between half and twice ours"
    value = as_number(answer, what, prediction)
    if isinstance(value, Verdict):
        return value
    similar = (sds > s / 2) & (sds < 2 * s)
    expected = float(similar.mean())
    # sigma ~ Gamma(1, rate) is the exponential distribution: P(sigma < t) = 1 - exp(-rate t).
    rate = SIGMA_PRIOR[1]
    prior_probability = math.exp(-rate * s / 2) - math.exp(-rate * 2 * s)
    # Right answers: either divisor for either sd, < or <=, torch or numpy: they move at most a
    # data set or two across the boundaries, 0.001 each. The nearest typical mistake, the
    # fraction with a smaller sd (counted above), is about 0.04 away (the prior gives 0.33 and
    # 0.37; the counts scatter by 0.015); 0.005 separates them.
    mistakes = [
        Mistake(
            float(np.mean(sds < s)),
            "This is the fraction with a smaller sd than ours, as counted above; the exercise "
            "asks for those between half and twice ours.",
        ),
        Mistake(1 - expected, "This is the fraction outside the band, the complement."),
        Mistake(
            float(np.mean(sds < 2 * s)),
            "This counts one side only: it includes the data sets far narrower than ours.",
        ),
        Mistake(
            float(np.mean(sds > s / 2)),
            "This counts one side only: it includes the data sets far wider than ours.",
        ),
        Mistake(
            prior_probability,
            "This is the prior's probability of a sigma in the band, your prediction's formula; "
            "the answer counts the simulated data sets.",
            rel_tol=1e-4,
        ),
        Mistake(
            float(similar.sum()),
            "This is a count: a fraction divides it by the number of data sets.",
            rel_tol=0.01,
        ),
        Mistake(100 * expected, "This is a percentage: give a fraction between 0 and 1.", 0.01),
    ]
    if value in (0.0, 1.0) and expected not in (0.0, 1.0):
        verdict = not_yet(
            f"{what} = {value:.3g} is not right",
            "A fraction of exactly 0 or 1 means one comparison for all the data sets: each data "
            "set (each row) needs its own sd.",
        )
    else:
        verdict = judge(value, expected, what, rel_tol=0.0, abs_tol=0.005, mistakes=mistakes)
    gate = prediction_gate(verdict, prediction)
    if gate is not None:
        return gate
    guess = as_number(prediction, "your prediction")
    if isinstance(guess, Verdict):
        return Verdict(False)
    # A right prediction is within 0.07 of the prior's probability of a sigma in the band (about
    # 0.37); the count matches that to within its Monte Carlo noise (sd 0.015 for 1,000 data
    # sets). 0.07 accepts "about a third" and rejects a quarter, a half and "most of them".
    if abs(guess - prior_probability) <= 0.07:
        return correct(f"your prediction, {guess:.2g}")
    band = (
        f"P(s/2 < sigma < 2s) = exp(-{rate / 2:g} s) - exp(-{2 * rate:g} s) = "
        f"{prior_probability:.2f}"
    )
    prior = f"the prior of sigma, an exponential with mean {1 / rate:.0f},"
    if 1 < guess <= 100 and abs(guess / 100 - prior_probability) <= 0.07:
        why = "Write the prediction as a fraction between 0 and 1, not as a percentage."
    elif guess > prior_probability:
        wider = math.exp(-rate * 2 * s)
        why = (
            f"Fewer data sets look like ours than you expected: {prior} is wide. It gives {band}, "
            f"and makes most of the others far wider than ours (P(sigma > 2s) = {wider:.2f})."
        )
    else:
        why = (
            f"More data sets look like ours than you expected: the band is wide (a factor of 4), "
            f"and {prior} has much of its probability there: {band}."
        )
    return not_yet(f"your prediction, {guess:.2g}, was off", why)


_RULE_BROKEN = {
    "a": "(a) breaks rule 4: a Normal can propose a negative sigma, which the model cannot take.",
    "b": "(b) breaks rule 2: the latent site sigma has no guide site, so nothing about sigma is "
    "fitted.",
    "c": "(c) breaks rule 1: SVI calls the guide with the model's arguments, guide_c(data).",
    "e": "(e) breaks rule 3: obs is observed in the model, so the guide must not sample it.",
}
_NO_RULE_BROKEN = (
    "(d) follows all four rules: a Student-t lives on all real numbers, like the Normal prior of "
    "mu, and a guide need not use the prior's family."
)
_PYRO_SAYS = {
    "a": "Pyro says nothing about (a): with sigma_loc near 1.4 (the log of the sample sd) and "
    "sigma_scale 0.1, a negative draw of sigma is 14 scales away, so nothing fails. Silence is "
    "not a proof that a guide is right.",
    "b": "Pyro warns about (b): 'Found vars in model but not guide'. Python shows a warning only "
    "once per session: run the call inside warnings.catch_warnings() with "
    "warnings.simplefilter('always') to see it again.",
    "c": "(c) raises a TypeError: the guide takes no arguments, but SVI gives it data.",
    "d": "Pyro accepts (d) without a word: it follows every rule.",
    "e": "Pyro warns about (e): 'Found non-auxiliary vars in guide but not model'. Python shows a "
    "warning only once per session (see warnings.simplefilter('always')).",
}


def _as_letters(answer: object, what: str) -> set[str] | Verdict:
    """The guide letters in an answer such as {"a", "d"}, "a, d" or ["guide_a"], or a verdict
    saying why it is not a set of letters from a to e."""
    if isinstance(answer, str):
        answer = re.findall(r"[a-z]", answer.lower().replace("guide_", ""))
    items = list(answer) if isinstance(answer, Iterable) else None
    if items is None or not all(isinstance(item, str) for item in items):
        return not_yet(
            f"{what} should be a set of letters such as {{'a', 'd'}}, got {answer!r}",
            "Give the letters as strings.",
        )
    letters = {item.strip().lower().removeprefix("guide_").strip("() ") for item in items}
    unknown = sorted(letters - set("abcde"))
    if unknown:
        return not_yet(
            f"{what}: there are only guides a to e, not {', '.join(unknown)}",
            "Give the letters of the guides, such as {'a', 'd'}.",
        )
    return letters


def _letters_feedback(letters: set[str], right: frozenset[str], why: Mapping[str, str]) -> str:
    """One line for every guide that is wrongly in or out of `letters`."""
    return "\n".join(why[letter] for letter in sorted(letters ^ right))


def check_broken_guides(answer: object, prediction: object = None) -> Verdict:
    """Exercise 03.1 (predict, then run): the guides that Pyro complains about when they are run
    (the answer) and the guides that break a rule (the prediction), as sets of letters."""
    what = "the guides Pyro complains about"
    if is_empty(answer):
        return no_answer_with_prediction(what, prediction)
    letters = _as_letters(answer, what)
    if isinstance(letters, Verdict):
        return letters
    shown = ", ".join(sorted(letters))
    if not letters:
        verdict = not_yet(
            "no guides given, but Pyro does complain about some of them",
            _letters_feedback(letters, PYRO_COMPLAINS, _PYRO_SAYS),
        )
    elif letters == PYRO_COMPLAINS:
        verdict = correct(f"Pyro complains about guides {shown}: an error for c, warnings for b, e")
    elif letters == BROKEN_GUIDES:
        verdict = not_yet(
            f"Pyro does not complain about all of guides {shown}",
            "These are the guides that break a rule (your prediction); the answer is the ones "
            "Pyro complains about when you run them.\n" + _PYRO_SAYS["a"],
        )
    else:
        verdict = not_yet(
            f"Pyro complains about other guides than {shown}",
            _letters_feedback(letters, PYRO_COMPLAINS, _PYRO_SAYS),
        )
    gate = prediction_gate(verdict, prediction)
    if gate is not None:
        return gate
    predicted = _as_letters(prediction, "your prediction")
    if isinstance(predicted, Verdict):
        return Verdict(False)
    shown = ", ".join(sorted(predicted)) or "none"
    if predicted == BROKEN_GUIDES:
        return correct(f"your prediction: guides {shown} break a rule")
    why = dict(_RULE_BROKEN, d=_NO_RULE_BROKEN)
    feedback = _letters_feedback(predicted, BROKEN_GUIDES, why)
    if predicted == PYRO_COMPLAINS:
        feedback += "\nPyro's messages catch only b, c and e: it does not compare supports."
    return not_yet(f"your prediction, guides {shown}, was not right", feedback)


def check_log_density_ratio(answer: object, data: object) -> Verdict:
    """Exercise 02.2: log p(mu=2, sigma=4 | x) - log p(mu=mean, sigma=sd | x), sd with n - 1."""
    x = as_data_array(data)
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    expected = float(log_joint(x, 2.0, 4.0) - log_joint(x, mean, sd))
    what = "the log posterior density ratio"
    value = as_number(answer, what)
    if isinstance(value, Verdict):
        return value
    # An absolute tolerance: the ratio can be near 0. Right answers (Pyro's float32 traces,
    # SciPy's float64 sums, the sd with either divisor) spread by up to 0.0009 over 200 seeds.
    # The nearest typical mistake, the likelihood ratio without the prior terms, differs by
    # those terms, more than 0.0015 for 9 seeds in 10 (0.008 for seed 0): 0.0015 separates them.
    one_log_joint = (
        "This is one log joint density, log p(x, mu, sigma) at one point; the exercise asks for "
        "the difference of two."
    )
    mistakes = [
        Mistake(
            -expected,
            "The difference is the other way round: log p(2, 4 | x) - log p(mean, sd | x).",
        ),
        Mistake(
            _log_likelihood(x, 2.0, 4.0) - _log_likelihood(x, mean, sd),
            "This is the log likelihood ratio, without the prior terms: a posterior density is "
            "proportional to likelihood times prior, so log p(mu) + log p(sigma) belongs in each "
            "log joint density (they are small here, but not zero).",
        ),
        Mistake(float(log_joint(x, 2.0, 4.0)), one_log_joint, rel_tol=0.01),
        Mistake(float(log_joint(x, mean, sd)), one_log_joint, rel_tol=0.01),
        Mistake(
            math.exp(expected),
            "This is the ratio of the two densities; the exercise asks for the difference of "
            "their logs (the log of that ratio).",
            rel_tol=0.001,
        ),
        Mistake(
            expected / math.log(10),
            "This is a base-10 logarithm; log densities use the natural logarithm.",
        ),
    ]
    return judge(value, expected, what, rel_tol=0.0, abs_tol=0.0015, mistakes=mistakes)


_GAMMA_GUIDE_PARAMS = ("sigma_mean", "sigma_concentration")


def check_gamma_guide_sigma_sd(answer: object, fitted: object, data: object) -> Verdict:
    """Exercise 03.2: the sd of sigma implied by a fitted guide_gamma (mean and concentration),
    given the fitted parameters: `fit(...).averaged` (or the whole result of `fit`)."""
    x = as_data_array(data)
    what = "the posterior sd of sigma from the Gamma guide"
    if is_empty(answer):
        return no_answer(what)
    value = as_number(answer, what)
    if isinstance(value, Verdict):
        return value
    if is_empty(fitted):
        return not_yet(
            "no fitted parameters to judge the answer against",
            "Set fitted_gamma to what your fit of guide_gamma returned, then run the cell again.",
        )
    if isinstance(getattr(fitted, "averaged", None), Mapping):  # the whole result of fit
        fitted = fitted.averaged
    if isinstance(fitted, Mapping) and "sigma_loc" in fitted and "sigma_mean" not in fitted:
        return not_yet(
            "these are the LogNormal guide's parameters (sigma_loc, sigma_scale)",
            "The exercise fits guide_gamma, whose parameters are sigma_mean and "
            "sigma_concentration.",
        )
    try:
        mean, concentration = (float(fitted[name]) for name in _GAMMA_GUIDE_PARAMS)  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return not_yet(
            "fitted_gamma should be the dict of fitted parameters, with sigma_mean and "
            "sigma_concentration",
            "Use the averaged parameters of your fit of guide_gamma: fit(...).averaged.",
        )
    if not (
        math.isfinite(mean) and math.isfinite(concentration) and mean > 0 and concentration > 0
    ):
        return not_yet(
            f"the fitted parameters (mean {mean:.3g}, concentration {concentration:.3g}) do not "
            "describe a Gamma distribution",
            "Both must be positive numbers: run the fit again with its default settings.",
        )
    implied = mean / math.sqrt(concentration)  # the sd of Gamma(c, c / m)
    exact_sd = exact_posterior(x).sigma_sd
    # The fit itself: the notebook's recipe lands within about 1% of the exact sd (seeds 0-2);
    # 5% is the notebook's own tolerance for a fitted sd.
    if abs(implied / exact_sd - 1) > 0.05:
        return not_yet(
            f"your fit implies an sd of sigma of {implied:.3g}, {implied / exact_sd - 1:+.0%} off "
            f"the exact {exact_sd:.3g}",
            "The fit has not converged: run fit with its default settings.",
        )
    # Right answers: the closed form m / sqrt(c), Gamma(c, c / m).stddev in float32 or scipy's
    # std (1e-7 apart), or the sd of 100,000 draws from the guide (0.2% noise); 1% accepts them.
    # Near misses are named: the last step's parameters instead of the averaged ones (up to 2%
    # away), too few draws, the LogNormal guide's sd copied from above. That last one differs
    # from this fit's only by the two fits' noise (0-2%), so no tolerance can always tell it by
    # value: the check takes the fitted parameters, and names a LogNormal fit passed as them.
    mistakes = [
        Mistake(
            mean / concentration,
            "This divides the mean by the concentration; the sd divides it by the concentration's "
            "square root.",
        ),
        Mistake(mean**2 / concentration, "This is the variance, m^2 / c; take its square root."),
        Mistake(
            1 / math.sqrt(concentration),
            "This is the sd relative to the mean, 1 / sqrt(c); multiply it by the mean.",
        ),
        Mistake(mean, "This is the posterior mean of sigma, not its sd."),
        Mistake(concentration / mean, "This is the Gamma's rate, c / m, not its sd."),
        Mistake(
            implied,
            f"This is close to the sd that your fitted parameters imply, {implied:.4g}, but not "
            "equal to it: compute it from the fitted_gamma you passed, with the closed form (a "
            "Monte Carlo sd needs about 100,000 draws, and the LogNormal guide's sd is another "
            "guide's).",
            rel_tol=0.05,
        ),
    ]
    verdict = judge(value, implied, what, rel_tol=0.01, mistakes=mistakes)
    if verdict:
        print(f"The exact posterior sd of sigma is {exact_sd:.4g}.")
    return verdict
