"""Self-checks for the exercises of notebook 06 (Newcomb's speed of light).

Each check works out the right answer itself from the data and priors it is given, prints
"Correct" or "Not yet" with a hint, and returns a `Verdict` that a solution cell can `assert`.
A wrong or missing answer never raises; invalid data or priors do (a programming error).
"""

from __future__ import annotations

from ._validation import as_data_array, as_positive_float
from .checks import Verdict, _verdict, as_number, check_number
from .model_checks import exact_predictive_p_value, student_t_posterior
from .posterior import exact_posterior


def check_outlier_sd_ratio(answer: object, data: object) -> Verdict:
    """Exercise 06.1: the sample sd without the negative values over the sd of all of them."""
    x = as_data_array(data)
    kept = x[x > 0]
    if kept.size < 2:
        raise ValueError("data must hold at least two positive measurements")
    expected = float(kept.std(ddof=1) / x.std(ddof=1))
    hint = "compute data[data > 0].std() / data.std(): the sd of the 64 others over the sd of all"
    # 2% accepts either sd divisor (n or n - 1), and rejects the inverse ratio or a variance ratio.
    return check_number(answer, expected, 0.02, "the ratio of sample sds", hint)


def check_mean_without_outliers(
    answer: object,
    data: object,
    mu_prior: tuple[float, float],
    sigma_prior: tuple[float, float],
) -> Verdict:
    """Exercise 06.2: the normal model's posterior mean of mu once negative values are dropped."""
    x = as_data_array(data)
    kept = x[x > 0]
    if kept.size < 2:
        raise ValueError("data must hold at least two positive measurements")
    post = exact_posterior(kept, mu_prior=mu_prior, sigma_prior=sigma_prior)
    hint = (
        "keep data[data > 0] and pass it, with the same priors, to exact_posterior; read .mu_mean"
    )
    what = "the posterior mean of mu without the two outliers"
    value = as_number(answer, what, hint)
    if isinstance(value, Verdict):
        return value
    # 0.1 posterior sd, as in the notebook: an SVI fit passes; the full data's mean (about one
    # posterior sd lower) does not.
    ok = abs(value - post.mu_mean) < 0.1 * post.mu_sd
    return _verdict(ok, f"{what} = {value:.4g}" + ("" if ok else " is not right"), hint)


def check_max_p_value(
    answer: object,
    data: object,
    mu_prior: tuple[float, float],
    sigma_prior: tuple[float, float],
) -> Verdict:
    """Exercise 06.3: the normal model's posterior predictive p-value P(max(rep) >= max(data))."""
    expected = exact_predictive_p_value(data, "max", mu_prior=mu_prior, sigma_prior=sigma_prior)
    hint = (
        "take the replicated data sets of the normal model, their maxima rep.max(dim=1).values, "
        "and the fraction of those at least as large as data.max()"
    )
    what = "the p-value of the maximum"
    value = as_number(answer, what, hint)
    if isinstance(value, Verdict):
        return value
    # 0.01 covers the Monte Carlo error of a few thousand replicates and the fit's small error.
    ok = 0 <= value <= 1 and abs(value - expected) < 0.01
    return _verdict(ok, f"{what} = {value:.3g}" + ("" if ok else " is not right"), hint)


def check_fixed_nu_mean(
    answer: object,
    data: object,
    nu: float,
    mu_prior: tuple[float, float],
    sigma_prior: tuple[float, float],
) -> Verdict:
    """Exercise 06.4: the posterior mean of mu in the Student-t model with nu fixed."""
    nu = as_positive_float(nu, "nu")
    reference = student_t_posterior(data, nu, mu_prior=mu_prior, sigma_prior=sigma_prior)
    hint = (
        f"copy the Student-t model with the nu site replaced by the constant {nu:g}; its latent "
        "sites are mu and sigma, as in the normal model, so normal_guide fits it; fit with the "
        "recipe and read pyro.param('mu_loc')"
    )
    what = f"the posterior mean of mu with nu = {nu:g}"
    value = as_number(answer, what, hint)
    if isinstance(value, Verdict):
        return value
    # 0.25 posterior sd: as for SVI against NUTS in the notebook (mean-field fit, optimiser noise).
    ok = abs(value - reference.mu_mean) < 0.25 * reference.mu_sd
    return _verdict(ok, f"{what} = {value:.4g}" + ("" if ok else " is not right"), hint)
