"""Self-checks for the exercises of notebook 03 (training with SVI).

Each check computes the right answer itself from what it is given, prints "Correct" or "Not yet"
with a hint, and returns a `Verdict` that a solution cell can `assert`. None of them raises on a
wrong or missing answer; they raise only when the inputs they need to compute the answer are
invalid (a programming error, not a learner's mistake).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ._validation import as_data_array, as_positive_float
from .checks import Verdict, _verdict, check_number
from .elbo_surface import (
    best_normal_gamma_guide,
    best_normal_lognormal_guide,
    condition_number,
    hessian,
    normal_gamma_elbo,
)
from .posterior import exact_posterior

_GAMMA_GUIDE_PARAMS = ("mu_loc", "mu_scale", "sigma_shape", "sigma_rate")


def check_sigma_sd_ratio(answer: object, shape: object, rate: object, data: object) -> Verdict:
    """Exercise 03.1: the sd of sigma under Gamma(shape, rate), over the exact posterior sd."""
    shape = as_positive_float(shape, "shape")
    rate = as_positive_float(rate, "rate")
    expected = math.sqrt(shape) / rate / exact_posterior(as_data_array(data)).sigma_sd
    hint = (
        "a Gamma(shape, rate) has sd sqrt(shape) / rate; divide it by the exact posterior's "
        "sigma_sd"
    )
    return check_number(answer, expected, 0.01, "the ratio of the sds of sigma (fit / exact)", hint)


def preconditioned_condition_number_mean_sd(data: object) -> float:
    """Preconditioned condition number of -ELBO in (log mean, log sd) of the best Gamma guide."""
    # q(mu) stays at its optimum; the Gamma's shape = (mean / sd)^2 and rate = mean / sd^2.
    best = best_normal_gamma_guide(as_data_array(data))

    def loss(z: np.ndarray) -> float:
        mean, sd = np.exp(z)
        return -float(
            normal_gamma_elbo(data, best.mu_loc, best.mu_scale, (mean / sd) ** 2, mean / sd**2)
        )

    mean, sd = best.shape / best.rate, math.sqrt(best.shape) / best.rate
    return condition_number(hessian(loss, [math.log(mean), math.log(sd)]), precondition=True)


def check_preconditioned_condition_number(answer: object, data: object) -> Verdict:
    """Exercise 03.2: the preconditioned condition number in (log mean, log sd) coordinates."""
    expected = preconditioned_condition_number_mean_sd(as_data_array(data))
    hint = (
        "write the loss as a function of z = (log mean, log sd), with shape = (mean / sd)**2 and "
        "rate = mean / sd**2; take hessian(loss, z) at the best guide's mean and sd, then "
        "condition_number(H, precondition=True)"
    )
    return check_number(answer, expected, 0.05, "the preconditioned condition number", hint)


def check_gamma_guide_kl(
    answer: object, params: Mapping[str, object] | None, data: object
) -> Verdict:
    """Exercise 03.3: KL(q || posterior) of a fitted Normal x Gamma(shape, rate) guide."""
    # The check computes the KL exactly from the closed-form ELBO; a Monte Carlo estimate is
    # accepted within 10% or 0.05 nats, whichever is larger (10,000 draws give about 2%).
    x = as_data_array(data)
    hint = "KL = exact log evidence - ELBO: post.log_evidence - estimate_elbo(...).elbo"
    if answer is None or answer is Ellipsis:
        return _verdict(False, "no answer yet for the KL divergence", hint)
    params_hint = (
        f"params should be a dict with {', '.join(_GAMMA_GUIDE_PARAMS)}, e.g. averaged(...)"
    )
    if not isinstance(params, Mapping) or any(name not in params for name in _GAMMA_GUIDE_PARAMS):
        return _verdict(False, "the fitted parameters are missing or incomplete", params_hint)
    try:
        values = [float(params[name]) for name in _GAMMA_GUIDE_PARAMS]  # type: ignore[arg-type]
        expected = exact_posterior(x).log_evidence - float(normal_gamma_elbo(x, *values))
    except (TypeError, ValueError) as error:
        return _verdict(False, f"the fitted parameters are not valid ({error})", params_hint)
    if isinstance(answer, str | bytes):
        return _verdict(False, f"the KL should be a number, not the text {answer!r}", hint)
    try:
        value = float(answer)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _verdict(False, f"the KL should be a single number, got {answer!r}", hint)
    if not math.isfinite(expected):
        ok = value > 1e3  # inf passes, NaN does not
        return _verdict(ok, "the KL is infinite (shape <= 2)", hint)
    ok = math.isfinite(value) and abs(value - expected) <= max(0.05, 0.1 * abs(expected))
    detail = f"KL = {value:.3g} nats (exactly {expected:.3g})"
    return _verdict(ok, detail if ok else f"KL = {value:.3g} nats is not right", hint)


def check_sigma_sd(answer: object, data: object) -> Verdict:
    """Exercise 03.4: a fitted sd of sigma, within 3% of the best Normal x LogNormal guide's."""
    best = best_normal_lognormal_guide(as_data_array(data))
    expected = math.exp(best.log_sigma_loc + best.log_sigma_scale**2 / 2) * math.sqrt(
        math.expm1(best.log_sigma_scale**2)
    )  # the sd of LogNormal(loc, scale)
    hint = (
        "fit the recommended recipe to these data, average the last half of the parameters, "
        "then take dist.LogNormal(log_sigma_loc, log_sigma_scale).stddev"
    )
    return check_number(answer, expected, 0.03, "the sd of q(sigma)", hint)
