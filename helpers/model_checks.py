"""Model checking for notebook 08 (real data): a plot of a predictive check, and references.

- `plot_minimum_check`: the posterior predictive check of the minimum, for one or more models.
- `sample_exact_posterior`: independent draws of (mu, sigma) from the course model's exact
  posterior, for any data and priors of its form.
- `exact_predictive_p_value`: the posterior predictive p-value of the minimum or the maximum under
  that model, computed without simulating replicated data sets.
- `student_t_posterior`: the posterior of the location of a Student-t model with fixed degrees of
  freedom, on a grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from scipy import special, stats

from ._validation import (
    as_data_array,
    as_data_sets,
    as_finite_float,
    as_integer,
    as_positive_float,
    as_seed,
)
from .posterior import MU_PRIOR, SIGMA_PRIOR, cdf_on_grid, exact_posterior, validate_priors

_STATISTICS = ("min", "max")


def sample_exact_posterior(
    data: object,
    mu_prior: tuple[float, float] = MU_PRIOR,
    sigma_prior: tuple[float, float] = SIGMA_PRIOR,
    num_samples: int = 10_000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw (mu, sigma) from the exact posterior: sigma from its grid, then mu given sigma."""
    x = as_data_array(data)
    loc, scale, _, _ = validate_priors(mu_prior, sigma_prior)
    num_samples = as_integer(num_samples, "num_samples")
    rng = np.random.default_rng(as_seed(seed))
    post = exact_posterior(x, mu_prior=mu_prior, sigma_prior=sigma_prior)
    cdf = cdf_on_grid(post.sigma_grid, post.sigma_density)
    sigma = np.interp(rng.uniform(0, 1, num_samples), cdf, post.sigma_grid)  # inverse CDF
    # Given sigma, mu is Normal: the conjugate update of its Normal prior.
    precision = 1 / scale**2 + x.size / sigma**2
    mean = (loc / scale**2 + x.sum() / sigma**2) / precision
    mu = rng.normal(mean, 1 / np.sqrt(precision))
    return mu, sigma


def exact_predictive_p_value(
    data: object,
    statistic: str,
    mu_prior: tuple[float, float] = MU_PRIOR,
    sigma_prior: tuple[float, float] = SIGMA_PRIOR,
    num_samples: int = 20_000,
) -> float:
    """P(min(replicate) <= min(data)) or P(max(replicate) >= max(data)) under the exact posterior.

    Given (mu, sigma), the extreme of n independent Normal draws has a closed-form tail, so only
    (mu, sigma) is sampled: the answer has no replicate-sampling noise and is exact to ~1e-3.
    """
    if statistic not in _STATISTICS:
        raise ValueError(f"statistic must be 'min' or 'max', got {statistic!r}")
    x = as_data_array(data)
    mu, sigma = sample_exact_posterior(x, mu_prior, sigma_prior, num_samples=num_samples)
    if statistic == "min":
        # P(all n draws > min) = (1 - Phi(z))^n, so P(some draw <= min) = 1 - that.
        log_none = x.size * stats.norm.logsf(x.min(), mu, sigma)
    else:
        log_none = x.size * stats.norm.logcdf(x.max(), mu, sigma)
    return float(np.mean(-np.expm1(log_none)))


@dataclass(frozen=True)
class LocationPosterior:
    """Posterior mean and sd of a model's location parameter mu."""

    mu_mean: float
    mu_sd: float


def _student_t_log_likelihood(
    x: np.ndarray, nu: float, mu: np.ndarray, sigma: np.ndarray
) -> np.ndarray:
    """sum_i log StudentT(x_i | nu, mu, sigma), written out (scipy's is slower on big grids)."""
    constant = special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
    total = x.size * (constant - np.log(sigma))
    for value in x:
        total -= (nu + 1) / 2 * np.log1p(((value - mu) / sigma) ** 2 / nu)
    return total


def _grid_moments(
    x: np.ndarray, nu: float, mu: np.ndarray, log_sigma: np.ndarray, priors: tuple
) -> tuple[float, float, float, float]:
    loc, scale, concentration, rate = priors
    m, u = np.meshgrid(mu, log_sigma, indexing="ij")
    sigma = np.exp(u)
    log_post = (
        stats.norm.logpdf(m, loc, scale)
        + stats.gamma.logpdf(sigma, concentration, scale=1 / rate)
        + u  # the Jacobian of sigma = exp(u)
        + _student_t_log_likelihood(x, nu, m, sigma)
    )
    weights = np.exp(log_post - special.logsumexp(log_post))
    mu_mean, u_mean = float(np.sum(weights * m)), float(np.sum(weights * u))
    mu_sd = float(np.sqrt(np.sum(weights * (m - mu_mean) ** 2)))
    u_sd = float(np.sqrt(np.sum(weights * (u - u_mean) ** 2)))
    return mu_mean, mu_sd, u_mean, u_sd


def student_t_posterior(
    data: object,
    nu: float,
    mu_prior: tuple[float, float] = MU_PRIOR,
    sigma_prior: tuple[float, float] = SIGMA_PRIOR,
) -> LocationPosterior:
    """Posterior of mu in mu ~ Normal, sigma ~ Gamma, x_i ~ StudentT(nu, mu, sigma), on a grid.

    A coarse grid over the data's range finds the posterior; a fine grid of +-10 sd around it
    gives the moments (accurate to ~1e-4 sd for unimodal posteriors).
    """
    x = as_data_array(data)
    nu = as_positive_float(nu, "nu")
    priors = validate_priors(mu_prior, sigma_prior)
    spread = max(float(np.ptp(x)), 1e-3 * max(1.0, float(np.abs(x).max())))
    mu = np.linspace(x.min() - spread, x.max() + spread, 241)
    log_sigma = np.linspace(np.log(spread) - 9, np.log(spread) + 2, 241)
    mu_mean, mu_sd, u_mean, u_sd = _grid_moments(x, nu, mu, log_sigma, priors)
    for _ in range(2):  # refine twice: the coarse grid may be much wider than the posterior
        mu = np.linspace(mu_mean - 10 * mu_sd, mu_mean + 10 * mu_sd, 301)
        log_sigma = np.linspace(u_mean - 10 * u_sd, u_mean + 10 * u_sd, 301)
        mu_mean, mu_sd, u_mean, u_sd = _grid_moments(x, nu, mu, log_sigma, priors)
    return LocationPosterior(mu_mean=mu_mean, mu_sd=mu_sd)


def plot_minimum_check(
    data: object,
    replicates: Mapping[str, object],
    *,
    floor: float,
    unit: str,
    bin_width: float,
) -> Figure:
    """Two panels: each model's replicated minima against the data's, and its pooled predictive.

    `replicates` maps a model's name to its replicated data sets, shape (replicates, n). Minima
    below `floor` are drawn at `floor`, so that a heavy tail stays visible without stretching the
    axis; `unit` labels the axes and `bin_width` (in that unit) is both panels' bin width. The
    predictive panel spans the data's range and two of its sds either side. Each panel's legend
    lies below it, off the data.
    """
    x = as_data_array(data)
    floor = as_finite_float(floor, "floor")
    width = as_positive_float(bin_width, "bin_width")
    if not isinstance(replicates, Mapping) or not replicates:
        raise TypeError("replicates must be a non-empty mapping of model name to data sets")
    arrays = {
        name: as_data_sets(v, f"replicates[{name!r}]", n=x.size) for name, v in replicates.items()
    }
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    highest_minimum = max(array.min(axis=1).max() for array in arrays.values())
    minimum_bins = np.arange(floor - width / 2, max(highest_minimum, floor) + 2 * width, width)
    margin = 2 * x.std()
    value_bins = np.arange(x.min() - margin, x.max() + margin + width, width)
    axes[1].hist(x, bins=value_bins, density=True, color="0.6", label="data")
    for index, (name, array) in enumerate(arrays.items()):
        color = f"C{index}"
        minima = np.maximum(array.min(axis=1), floor)
        axes[0].hist(
            minima,
            bins=minimum_bins,
            density=True,
            color=color,
            alpha=0.5,
            label=f"{name}: replicated minima",
        )
        pooled = array.ravel()
        weights = np.full(pooled.size, 1 / (pooled.size * width))  # a density over all draws
        axes[1].hist(
            pooled,
            bins=value_bins,
            weights=weights,
            histtype="step",
            color=color,
            lw=2,
            label=f"{name}: predictive",
        )
    axes[0].axvline(x.min(), color="k", ls="--", label=f"observed minimum ({x.min():.0f})")
    axes[0].text(
        0.02,
        0.3,
        f"minima below {floor:.0f}\nare drawn at {floor:.0f}",
        transform=axes[0].transAxes,
        fontsize="x-small",
    )
    axes[0].set(
        title="Posterior predictive check: the minimum",
        ylabel="density",
        xlabel=f"minimum of a replicated data set ({unit})",
    )
    axes[1].set(
        title="Predictive distribution of one measurement",
        ylabel="density",
        xlabel=f"one measurement ({unit})",
    )
    for ax in axes:  # below each panel: the observed minimum's line crosses the whole height
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize="small")
    return fig
