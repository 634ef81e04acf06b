"""Self-checks for the exercises of notebook 02 (the model and the guide).

Like those in `helpers.checks`, each check computes the right answer itself from what it is
given, prints "Correct" or "Not yet" with a hint, and returns True or False.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy import stats

from ._validation import as_data_array
from .checks import Verdict, _verdict, check_number
from .posterior import exact_posterior

# The course's priors: mu ~ Normal(loc, scale), sigma ~ Gamma(concentration, rate).
MU_PRIOR = (0.0, 10.0)
SIGMA_PRIOR = (1.0, 0.1)
# Exercise 02.2: the guides that break one of Pyro's rules for guides.
BROKEN_GUIDES = frozenset("abce")


def _as_simulated_data_sets(simulated: object) -> np.ndarray:
    """Return simulated data sets as a 2-D float64 array (one row per data set), or raise."""
    if hasattr(simulated, "detach"):
        simulated = simulated.detach().cpu().numpy()
    try:
        array = np.asarray(simulated, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("simulated must be an array or tensor of numbers") from None
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 2:
        raise ValueError(
            "simulated must be 2-D, one simulated data set of at least 2 points per row "
            f"(e.g. samples['obs']), got shape {array.shape}"
        )
    return array


def _log_joint(x: np.ndarray, mu: float, sigma: float) -> float:
    """log p(x, mu, sigma) under the course's model, in float64."""
    return float(
        stats.norm.logpdf(mu, *MU_PRIOR)
        + stats.gamma.logpdf(sigma, SIGMA_PRIOR[0], scale=1 / SIGMA_PRIOR[1])
        + stats.norm.logpdf(x, mu, sigma).sum()
    )


def check_fraction_smaller_sd(answer: object, simulated: object, data: object) -> Verdict:
    """Exercise 02.1: the fraction of prior-simulated data sets whose sd is below the data's."""
    sds = _as_simulated_data_sets(simulated).std(axis=1, ddof=1)
    expected = float(np.mean(sds < as_data_array(data).std(ddof=1)))
    hint = (
        "compute the sd of each simulated data set (one per row: .std(dim=1)), compare it with "
        "data.std(), and take the mean of the comparison"
    )
    return check_number(
        answer, expected, 0.02, "the fraction of simulated data sets with a smaller sd", hint
    )


def check_broken_guides(answer: object) -> Verdict:
    """Exercise 02.2: the letters of the guides that break a rule, e.g. {"a", "d"}."""
    hint = (
        "check each guide against the four rules: same arguments as the model, a sample site "
        "for every latent site, none for observed sites, support matching the model's"
    )
    if answer is None or answer is Ellipsis:
        return _verdict(False, "no answer yet for the guides that break a rule", hint)
    if isinstance(answer, str):
        answer = [c for c in answer if c.isalpha()]
    items = list(answer) if isinstance(answer, Iterable) else None
    if items is None or not all(isinstance(c, str) for c in items):
        return _verdict(
            False,
            f"give the letters as a set of strings such as {{'a', 'd'}}, got {answer!r}",
            hint,
        )
    letters = {c.strip().lower() for c in items}
    unknown = sorted(letters - set("abcde"))
    if unknown:
        return _verdict(False, f"there are only guides a to e, not {', '.join(unknown)}", hint)
    if not letters:
        return _verdict(False, "no guide chosen, but some guides do break a rule", hint)
    shown = ", ".join(sorted(letters))
    if letters == BROKEN_GUIDES:
        return _verdict(True, f"guides {shown} break a rule", hint)
    if letters < BROKEN_GUIDES:
        return _verdict(False, f"guides {shown} do break a rule, but so do others", hint)
    return _verdict(False, f"not all of guides {shown} break a rule", hint)


def check_log_density_ratio(answer: object, data: object) -> Verdict:
    """Exercise 02.3: log p(mu=2, sigma=4 | x) - log p(mu=mean, sigma=sd | x), sd with n - 1."""
    x = as_data_array(data)
    expected = _log_joint(x, 2.0, 4.0) - _log_joint(x, float(x.mean()), float(x.std(ddof=1)))
    hint = (
        "trace the model conditioned on each (mu, sigma) pair and subtract the log_prob_sum() "
        "values; the evidence p(x) is the same for both and cancels"
    )
    what = "the log posterior density ratio"
    if answer is None or answer is Ellipsis or isinstance(answer, str | bytes):
        return check_number(answer, expected, 0.0, what, hint)  # its messages for non-numbers
    try:
        value = float(answer)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return check_number(answer, expected, 0.0, what, hint)
    # An absolute tolerance: the ratio can be near 0, and float32 sums of 1,000 terms are
    # accurate to about 1e-3.
    ok = math.isfinite(value) and abs(value - expected) < 0.01
    detail = f"{what} = {value:.4g}" if ok else f"{what} = {value:.4g} is not right"
    return _verdict(ok, detail, hint)


def check_gamma_guide_sigma_sd(answer: object, data: object) -> Verdict:
    """Exercise 02.4: the posterior sd of sigma from the fitted mean/concentration Gamma guide."""
    expected = exact_posterior(as_data_array(data)).sigma_sd
    hint = (
        "fit guide_gamma with fit(); the sd of Gamma(concentration, concentration / mean) is "
        "mean / sqrt(concentration)"
    )
    return check_number(
        answer, expected, 0.05, "the posterior sd of sigma (within 5% of exact)", hint
    )
