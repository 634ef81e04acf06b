"""Exact posteriors for the course's Gaussian model, the reference every fit is checked against.

The course's model is

    mu    ~ Normal(loc, scale)
    sigma ~ Gamma(concentration, rate)
    x_i   ~ Normal(mu, sigma),  i = 1..n

Given sigma, mu is conjugate, so it is integrated out analytically; what is left is a smooth 1-D
density for sigma, integrated on a fine grid in log(sigma). Only the sufficient statistics
(n, mean, sum of squared deviations) are used, so the cost does not grow with n.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats

from ._validation import as_data_array, as_finite_float, as_pair, as_positive_float

# The course's prior, the original tutorial's, defined here once: every helper's default.
MU_PRIOR = (0.0, 10.0)  # mu ~ Normal(loc 0, scale 10): the scale is the sd, not the variance
SIGMA_PRIOR = (1.0, 0.1)  # sigma ~ Gamma(concentration 1, rate 0.1): Exponential, mean 10

_GRID_POINTS = 4001
_TAIL_DROP = 45.0  # the grid ends where the log density is this far below its peak (e^-45)


@dataclass(frozen=True)
class SufficientStatistics:
    """What the Gaussian likelihood needs from the data: n, the mean and the sum of squares.

    The exact ELBOs and `best_normal_lognormal_guide` in `helpers.elbo_surface` also accept
    `mean` and `sum_sq_dev` as 1-D arrays: many data sets of n points each, in one call.
    """

    n: int
    mean: float | np.ndarray
    sum_sq_dev: float | np.ndarray

    @classmethod
    def from_data(cls, data: object) -> SufficientStatistics:
        """Compute the statistics from a 1-D array or tensor, validating it."""
        x = as_data_array(data)
        mean = float(x.mean())
        return cls(n=int(x.size), mean=mean, sum_sq_dev=float(np.sum((x - mean) ** 2)))


@dataclass(frozen=True)
class ExactPosterior:
    """Posterior moments, log evidence and marginal densities of (mu, sigma) on grids."""

    mu_mean: float
    mu_sd: float
    sigma_mean: float
    sigma_sd: float
    mu_sigma_corr: float
    log_evidence: float
    mu_grid: np.ndarray = field(repr=False)
    mu_density: np.ndarray = field(repr=False)
    sigma_grid: np.ndarray = field(repr=False)
    sigma_density: np.ndarray = field(repr=False)

    def interval(self, name: str, level: float = 0.95) -> tuple[float, float]:
        """Central credible interval of `name` ("mu" or "sigma") at probability `level`."""
        if name not in ("mu", "sigma"):
            raise ValueError(f"name must be 'mu' or 'sigma', got {name!r}")
        level = as_finite_float(level, "level")
        if not 0 < level < 1:
            raise ValueError(f"level must be strictly between 0 and 1, got {level}")
        grid = self.mu_grid if name == "mu" else self.sigma_grid
        density = self.mu_density if name == "mu" else self.sigma_density
        cdf = cdf_on_grid(grid, density)
        tail = (1 - level) / 2
        return float(np.interp(tail, cdf, grid)), float(np.interp(1 - tail, cdf, grid))


def cdf_on_grid(grid: np.ndarray, density: np.ndarray) -> np.ndarray:
    """The CDF at each grid point of a density given on that grid (trapezoid rule, ends 0 and 1).

    The density need not be normalised: the CDF is divided by its total mass on the grid.
    """
    cdf = np.concatenate([[0.0], np.cumsum(np.diff(grid) * (density[1:] + density[:-1]) / 2)])
    return cdf / cdf[-1]


def _log_marginal_likelihood(
    stats_: SufficientStatistics, sigma: np.ndarray, mu_loc: float, mu_scale: np.ndarray
) -> np.ndarray:
    """log p(x | sigma) with mu ~ Normal(mu_loc, mu_scale) integrated out."""
    n = stats_.n
    var = sigma**2
    return (
        -0.5 * n * np.log(2 * np.pi * var)
        - stats_.sum_sq_dev / (2 * var)
        + 0.5 * np.log(2 * np.pi * var / n)
        + stats.norm.logpdf(stats_.mean, mu_loc, np.sqrt(mu_scale**2 + var / n))
    )


def _sigma_grid(log_density: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """A grid in log(sigma) wide enough that the density is negligible at both ends."""
    coarse = np.linspace(np.log(1e-8), np.log(1e8), 8001)
    values = log_density(coarse)
    keep = np.nonzero(values > values.max() - _TAIL_DROP)[0]
    step = coarse[1] - coarse[0]
    low, high = coarse[keep[0]] - 2 * step, coarse[keep[-1]] + 2 * step
    return np.linspace(low, high, _GRID_POINTS)


def _quadrature_posterior(
    stats_: SufficientStatistics,
    mu_loc: float,
    mu_scale_of_sigma: Callable[[np.ndarray], np.ndarray],
    log_prior_sigma: Callable[[np.ndarray], np.ndarray],
) -> ExactPosterior:
    """Posterior for any prior of the form p(sigma) p(mu | sigma), mu | sigma Normal."""

    def log_density_u(u: np.ndarray) -> np.ndarray:  # in u = log(sigma), Jacobian sigma
        sigma = np.exp(u)
        return (
            log_prior_sigma(sigma)
            + u
            + _log_marginal_likelihood(stats_, sigma, mu_loc, mu_scale_of_sigma(sigma))
        )

    u = _sigma_grid(log_density_u)
    log_dens = log_density_u(u)
    du = u[1] - u[0]
    trapezoid = np.full(u.size, du)
    trapezoid[[0, -1]] = du / 2
    log_evidence = float(special.logsumexp(log_dens + np.log(trapezoid)))
    weights = np.exp(log_dens - log_evidence) * trapezoid
    weights /= weights.sum()

    sigma = np.exp(u)
    # Given sigma, mu is Normal(post_loc, post_sd): the conjugate update.
    prior_precision = 1 / mu_scale_of_sigma(sigma) ** 2
    post_precision = prior_precision + stats_.n / sigma**2
    post_loc = (prior_precision * mu_loc + stats_.n * stats_.mean / sigma**2) / post_precision
    post_sd = 1 / np.sqrt(post_precision)

    mu_mean = float(np.sum(weights * post_loc))
    mu_var = float(np.sum(weights * (post_sd**2 + post_loc**2))) - mu_mean**2
    sigma_mean = float(np.sum(weights * sigma))
    sigma_var = float(np.sum(weights * sigma**2)) - sigma_mean**2
    cov = float(np.sum(weights * post_loc * sigma)) - mu_mean * sigma_mean
    mu_sd, sigma_sd = np.sqrt(max(mu_var, 0.0)), np.sqrt(max(sigma_var, 0.0))

    mu_grid = np.linspace(mu_mean - 8 * mu_sd, mu_mean + 8 * mu_sd, 801)
    keep = weights > 1e-12 * weights.max()  # a mixture of Normals over the sigma grid
    components = stats.norm.pdf(mu_grid[:, None], post_loc[keep], post_sd[keep])
    mu_density = components @ weights[keep]
    # Density of sigma itself (not of log sigma): divide by the Jacobian.
    sigma_density = np.exp(log_dens - log_evidence) / sigma

    return ExactPosterior(
        mu_mean=mu_mean,
        mu_sd=float(mu_sd),
        sigma_mean=sigma_mean,
        sigma_sd=float(sigma_sd),
        mu_sigma_corr=float(cov / (mu_sd * sigma_sd)) if mu_sd > 0 and sigma_sd > 0 else 0.0,
        log_evidence=log_evidence,
        mu_grid=mu_grid,
        mu_density=mu_density,
        sigma_grid=sigma,
        sigma_density=sigma_density,
    )


def validate_priors(
    mu_prior: tuple[float, float], sigma_prior: tuple[float, float]
) -> tuple[float, float, float, float]:
    """Check the course's prior pairs; return (loc, scale, concentration, rate) as floats."""
    loc, scale = as_pair(mu_prior, "mu_prior")
    concentration, rate = as_pair(sigma_prior, "sigma_prior")
    return (
        as_finite_float(loc, "mu_prior loc"),
        as_positive_float(scale, "mu_prior scale"),
        as_positive_float(concentration, "sigma_prior concentration"),
        as_positive_float(rate, "sigma_prior rate"),
    )


def exact_posterior(
    data: object,
    mu_prior: tuple[float, float] = MU_PRIOR,
    sigma_prior: tuple[float, float] = SIGMA_PRIOR,
) -> ExactPosterior:
    """Exact posterior of the course's model for any data and priors of its form.

    `mu_prior` is (loc, scale) of the Normal prior on mu; `sigma_prior` is (concentration, rate)
    of the Gamma prior on sigma. The defaults are the course's prior, `MU_PRIOR` and
    `SIGMA_PRIOR`.
    """
    stats_ = SufficientStatistics.from_data(data)
    loc, scale, concentration, rate = validate_priors(mu_prior, sigma_prior)
    if stats_.sum_sq_dev == 0 and stats_.n >= concentration + 1:
        # Near sigma = 0 the density behaves like sigma^(concentration - n): not integrable.
        raise ValueError(
            "data has no spread (all values equal): with this prior the posterior of sigma is "
            "improper, piling up at sigma = 0"
        )
    return _quadrature_posterior(
        stats_,
        mu_loc=loc,
        mu_scale_of_sigma=lambda sigma: np.full_like(sigma, scale),
        log_prior_sigma=lambda sigma: stats.gamma.logpdf(sigma, concentration, scale=1 / rate),
    )


@dataclass(frozen=True)
class NormalGammaPosterior:
    """Closed-form posterior of the conjugate Normal-Gamma model (Gamma prior on the precision).

    Model: lambda ~ Gamma(alpha, beta), mu | lambda ~ Normal(loc, 1 / sqrt(kappa * lambda)),
    x_i ~ Normal(mu, 1 / sqrt(lambda)); sigma = 1 / sqrt(lambda). The posterior has the same
    form with the updated parameters below; mu's marginal is a Student-t.
    """

    loc: float
    kappa: float
    alpha: float
    beta: float
    log_evidence: float

    @property
    def mu_mean(self) -> float:
        """Posterior mean of mu."""
        return self.loc

    @property
    def mu_sd(self) -> float:
        """Posterior sd of mu (Student-t with 2 alpha degrees of freedom; needs alpha > 1)."""
        return float(np.sqrt(self.beta / (self.kappa * (self.alpha - 1))))

    @property
    def sigma_mean(self) -> float:
        """Posterior mean of sigma = lambda^(-1/2)."""
        log_ratio = special.gammaln(self.alpha - 0.5) - special.gammaln(self.alpha)
        return float(np.exp(log_ratio) * np.sqrt(self.beta))

    @property
    def sigma_sd(self) -> float:
        """Posterior sd of sigma (E[sigma^2] = beta / (alpha - 1); needs alpha > 1)."""
        return float(np.sqrt(self.beta / (self.alpha - 1) - self.sigma_mean**2))


def normal_gamma_posterior(
    data: object, loc: float = 0.0, kappa: float = 0.01, alpha: float = 1.0, beta: float = 1.0
) -> NormalGammaPosterior:
    """Closed-form conjugate posterior, with the prior's parameters named as in the class."""
    stats_ = SufficientStatistics.from_data(data)
    loc = as_finite_float(loc, "loc")
    kappa = as_positive_float(kappa, "kappa")
    alpha = as_positive_float(alpha, "alpha")
    beta = as_positive_float(beta, "beta")
    n, mean = stats_.n, stats_.mean
    kappa_n = kappa + n
    alpha_n = alpha + n / 2
    beta_n = beta + stats_.sum_sq_dev / 2 + kappa * n * (mean - loc) ** 2 / (2 * kappa_n)
    log_evidence = (
        special.gammaln(alpha_n)
        - special.gammaln(alpha)
        + alpha * np.log(beta)
        - alpha_n * np.log(beta_n)
        + 0.5 * np.log(kappa / kappa_n)
        - 0.5 * n * np.log(2 * np.pi)
    )
    return NormalGammaPosterior(
        loc=(kappa * loc + n * mean) / kappa_n,
        kappa=kappa_n,
        alpha=alpha_n,
        beta=beta_n,
        log_evidence=float(log_evidence),
    )


def normal_gamma_by_quadrature(
    data: object, loc: float = 0.0, kappa: float = 0.01, alpha: float = 1.0, beta: float = 1.0
) -> ExactPosterior:
    """The conjugate model of `normal_gamma_posterior`, computed by this module's quadrature.

    Used to check the quadrature against the closed form: it is the same code path as
    `exact_posterior`, with the prior of sigma and of mu given sigma changed.
    """
    stats_ = SufficientStatistics.from_data(data)
    loc = as_finite_float(loc, "loc")
    kappa = as_positive_float(kappa, "kappa")
    alpha = as_positive_float(alpha, "alpha")
    beta = as_positive_float(beta, "beta")

    def log_prior_sigma(sigma: np.ndarray) -> np.ndarray:
        # lambda = sigma^-2 ~ Gamma(alpha, beta); |d lambda / d sigma| = 2 sigma^-3.
        return (
            stats.gamma.logpdf(sigma**-2.0, alpha, scale=1 / beta) + np.log(2) - 3 * np.log(sigma)
        )

    return _quadrature_posterior(
        stats_,
        mu_loc=loc,
        mu_scale_of_sigma=lambda sigma: sigma / np.sqrt(kappa),
        log_prior_sigma=log_prior_sigma,
    )
