"""Model checking for notebook 08 (real data): predictive checks, leave-one-out, and references.

- `plot_minimum_check`: the posterior predictive check of the minimum, for one or more models.
- `sample_exact_posterior`: independent draws of (mu, sigma) from the course model's exact
  posterior, for any data and priors of its form.
- `exact_predictive_p_value`: the posterior predictive p-value P(T(x_rep) >= T(x)) of the minimum
  or the maximum under that model, computed without simulating replicated data sets.
- `exact_normal_loo`: that model's exact leave-one-out predictive densities, log p(x_i | x_-i).
- `student_t_posterior`: the posterior of the location of a Student-t model with fixed degrees of
  freedom, on a grid.
- `exact_student_t_posterior`: the Student-t model with a Gamma prior on its degrees of freedom,
  by quadrature on a 3-D grid: posterior means and sds, and exact leave-one-out densities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from scipy import special, stats

from ._validation import (
    as_data_array,
    as_data_sets,
    as_finite_float,
    as_integer,
    as_pair,
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
    mean, variance = _mu_given_sigma(x, loc, scale, sigma)
    mu = rng.normal(mean, np.sqrt(variance))
    return mu, sigma


def exact_predictive_p_value(
    data: object,
    statistic: str,
    mu_prior: tuple[float, float] = MU_PRIOR,
    sigma_prior: tuple[float, float] = SIGMA_PRIOR,
    num_samples: int = 20_000,
) -> float:
    """P(T(replicate) >= T(data)) for T the minimum or the maximum, under the exact posterior.

    Given (mu, sigma), the extreme of n independent Normal draws has a closed-form tail, so only
    (mu, sigma) is sampled: the answer has no replicate-sampling noise and is exact to ~1e-3.
    """
    if statistic not in _STATISTICS:
        raise ValueError(f"statistic must be 'min' or 'max', got {statistic!r}")
    x = as_data_array(data)
    mu, sigma = sample_exact_posterior(x, mu_prior, sigma_prior, num_samples=num_samples)
    if statistic == "min":
        # The minimum of n draws is >= min(x) when every draw is: (1 - Phi(z))^n.
        return float(np.mean(np.exp(x.size * stats.norm.logsf(x.min(), mu, sigma))))
    # The maximum is >= max(x) unless every draw is below it: 1 - Phi(z)^n.
    return float(np.mean(-np.expm1(x.size * stats.norm.logcdf(x.max(), mu, sigma))))


def _mu_given_sigma(
    x: np.ndarray, loc: float, scale: float, sigma: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of mu given sigma: the conjugate update of its Normal prior."""
    precision = 1 / scale**2 + x.size / sigma**2
    return (loc / scale**2 + x.sum() / sigma**2) / precision, 1 / precision


def exact_normal_loo(
    data: object,
    mu_prior: tuple[float, float] = MU_PRIOR,
    sigma_prior: tuple[float, float] = SIGMA_PRIOR,
) -> np.ndarray:
    """log p(x_i | all the other points) for each i under the course model, exactly.

    1 / p(x_i | x_-i) is the posterior mean of 1 / p(x_i | mu, sigma): in closed form over mu
    given sigma, then by quadrature over sigma on the exact posterior's grid. Where a point is so
    influential that its leave-one-out posterior of sigma reaches the grid's end, the answer is
    the ratio of two evidences, p(x) / p(x_-i), instead (slower, as exact).
    """
    x = as_data_array(data, min_size=2)
    loc, scale, _, _ = validate_priors(mu_prior, sigma_prior)
    post = exact_posterior(x, mu_prior=mu_prior, sigma_prior=sigma_prior)
    sigma = post.sigma_grid  # uniform in log(sigma): weights density * sigma (the Jacobian)
    log_weights = np.log(post.sigma_density * sigma)
    log_weights -= special.logsumexp(log_weights)
    mean, variance = _mu_given_sigma(x, loc, scale, sigma)
    spread = sigma**2 - variance  # > 0: given sigma, mu is known better than one point
    loo = np.empty(x.size)
    for i, value in enumerate(x):
        # E[1 / Normal(value | mu, sigma) | sigma] for mu ~ Normal(mean, variance), in logs:
        log_inverse = (
            0.5 * np.log(2 * np.pi)
            + 2 * np.log(sigma)
            - 0.5 * np.log(spread)
            + (mean - value) ** 2 / (2 * spread)
        )
        integrand = log_weights + log_inverse
        if max(integrand[0], integrand[-1]) < integrand.max() - 25:
            loo[i] = -special.logsumexp(integrand)
        else:
            rest = exact_posterior(np.delete(x, i), mu_prior, sigma_prior)
            loo[i] = post.log_evidence - rest.log_evidence
    return loo


@dataclass(frozen=True)
class LocationPosterior:
    """Posterior mean and sd of a model's location parameter mu."""

    mu_mean: float
    mu_sd: float


def _t_log_density(value: float, mu: np.ndarray, sigma: np.ndarray, nu: np.ndarray) -> np.ndarray:
    """log StudentT(value | nu, mu, sigma) at every grid point (scipy's is slower on big grids)."""
    constant = special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
    return constant - np.log(sigma) - (nu + 1) / 2 * np.log1p(((value - mu) / sigma) ** 2 / nu)


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
        + sum(_t_log_density(value, m, sigma, nu) for value in x)
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


NU_PRIOR = (2.0, 0.1)  # nu ~ Gamma(concentration 2, rate 0.1), notebook 08's (Juarez and Steel)
_PARAMETERS = ("mu", "sigma", "nu")
_MAX_GRID_POINTS = 3_000_000  # ~24 MB a float64 array: beyond it, a grid is no longer cheap


@dataclass(frozen=True)
class StudentTPosterior:
    """Posterior means and sds of mu, sigma and nu, and each point's log p(x_i | x_-i)."""

    mean: dict[str, float]
    sd: dict[str, float]
    loo: np.ndarray = field(repr=False)


def _t_grid(x: np.ndarray, axes: list[np.ndarray], priors: tuple) -> tuple[list, np.ndarray]:
    """The grid (mu, sigma, nu) on axes (mu, log sigma, log nu) and the log joint density there."""
    loc, scale, sigma_a, sigma_b, nu_a, nu_b = priors
    mu, log_sigma, log_nu = np.meshgrid(*axes, indexing="ij")
    sigma, nu = np.exp(log_sigma), np.exp(log_nu)
    log_joint = (
        stats.norm.logpdf(mu, loc, scale)
        + stats.gamma.logpdf(sigma, sigma_a, scale=1 / sigma_b)
        + stats.gamma.logpdf(nu, nu_a, scale=1 / nu_b)
        + log_sigma  # the Jacobians of sigma = exp(u) and nu = exp(v)
        + log_nu
    )
    for value in x:
        log_joint += _t_log_density(value, mu, sigma, nu)
    return [mu, log_sigma, log_nu], log_joint


def _faces_reached(values: np.ndarray, margin: float) -> np.ndarray:
    """Which faces of a 3-D array, (axis, low or high end), come within `margin` of its maximum."""
    floor = values.max() - margin
    return np.array(
        [
            [values.take(end, axis=axis).max() > floor for end in (0, -1)]
            for axis in range(values.ndim)
        ]
    )


def exact_student_t_posterior(
    data: object,
    mu_prior: tuple[float, float] = MU_PRIOR,
    sigma_prior: tuple[float, float] = SIGMA_PRIOR,
    nu_prior: tuple[float, float] = NU_PRIOR,
    num_points: int = 32,
) -> StudentTPosterior:
    """mu ~ Normal, sigma ~ Gamma, nu ~ Gamma, x_i ~ StudentT(nu, mu, sigma), by quadrature.

    The grid is uniform in (mu, log sigma, log nu): a coarse one over the prior's and the data's
    range finds the posterior, and grids of `num_points` per axis over +-10 sd around it zoom in
    until each sd spans several steps. Each point's p(x_i | x_-i) = p(x) / p(x_-i) is a ratio of
    two sums over the same grid, which is extended, at the same spacing, past any face where the
    posterior or a leave-one-out posterior is not negligible (within e^-20 of its peak).
    """
    x = as_data_array(data, min_size=2)
    nu_a, nu_b = (
        as_positive_float(v, f"nu_prior {n}")
        for v, n in zip(as_pair(nu_prior, "nu_prior"), ("concentration", "rate"), strict=True)
    )
    priors = (*validate_priors(mu_prior, sigma_prior), nu_a, nu_b)
    num_points = as_integer(num_points, "num_points", minimum=8)
    spread = max(float(np.ptp(x)), 1e-3 * max(1.0, float(np.abs(x).max())))
    nu_range = np.log(stats.gamma.ppf([1e-6, 1 - 1e-9], nu_a, scale=1 / nu_b))
    low = np.array([float(x.min()) - spread, np.log(spread) - 9, nu_range[0]])
    high = np.array([float(x.max()) + spread, np.log(spread) + 2, nu_range[1]])
    for _ in range(20):  # zoom in on the posterior until each sd spans several grid steps
        axes = [np.linspace(a, b, num_points) for a, b in zip(low, high, strict=True)]
        grid, log_joint = _t_grid(x, axes, priors)
        weights = np.exp(log_joint - special.logsumexp(log_joint))
        means = np.array([np.sum(weights * g) for g in grid])
        sds = np.sqrt([np.sum(weights * (g - m) ** 2) for g, m in zip(grid, means, strict=True)])
        step = (high - low) / (num_points - 1)
        resolved = bool(np.all(sds > 2 * step))
        sds = np.maximum(sds, step)  # a posterior narrower than a step: zoom to +-10 steps
        low, high = means - 10 * sds, means + 10 * sds
        if resolved:
            break
    step = (high - low) / (num_points - 1)
    for _ in range(12):
        axes = [np.arange(a, b + s / 2, s) for a, b, s in zip(low, high, step, strict=True)]
        grid, log_joint = _t_grid(x, axes, priors)
        loo, reached = _leave_one_out(x, grid, log_joint)
        if not reached.any():
            break
        if log_joint.size > _MAX_GRID_POINTS:
            break
        extension = 0.25 * (high - low)  # at the same spacing: the resolution is kept
        low, high = low - extension * reached[:, 0], high + extension * reached[:, 1]
    if reached.any():
        raise RuntimeError(
            "the posterior or a leave-one-out posterior is too wide for the grid: too few data?"
        )
    weights = np.exp(log_joint - special.logsumexp(log_joint))
    values = dict(zip(_PARAMETERS, _natural(grid), strict=True))
    means = {name: float(np.sum(weights * g)) for name, g in values.items()}
    sds = {
        name: float(np.sqrt(np.sum(weights * (g - means[name]) ** 2))) for name, g in values.items()
    }
    return StudentTPosterior(mean=means, sd=sds, loo=loo)


def _leave_one_out(
    x: np.ndarray, grid: list[np.ndarray], log_joint: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each log p(x_i | x_-i) on the grid, and which faces of the grid the posterior or some
    p(theta | x_-i) reaches (within e^-20 of its peak): shape (3 axes, low and high end)."""
    log_z, natural = special.logsumexp(log_joint), _natural(grid)
    loo, reached = np.empty(x.size), _faces_reached(log_joint, 20.0)
    for i, value in enumerate(x):
        without = log_joint - _t_log_density(value, *natural)
        loo[i] = log_z - special.logsumexp(without)
        reached |= _faces_reached(without, 20.0)
    return loo, reached


def _natural(grid: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mu, sigma, nu) from the grid's (mu, log sigma, log nu)."""
    return grid[0], np.exp(grid[1]), np.exp(grid[2])


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
