"""The eight schools (Rubin 1981; BDA3 section 5.5): the data and the exact posterior.

The model, with J schools:

    mu       ~ Normal(mu_loc, mu_scale)         (the course: Normal(0, 5))
    tau      ~ HalfCauchy(tau_scale)            (the course: HalfCauchy(5))
    theta_j  ~ Normal(mu, tau),        j = 1..J
    y_j      ~ Normal(theta_j, sigma_j)         (sigma_j known)

Given tau everything else is Gaussian: with theta integrated out, y_j ~ Normal(mu, sigma_j^2 +
tau^2) independently, and with mu integrated out too, y ~ Normal(mu_loc, mu_scale^2 11' +
diag(sigma^2 + tau^2)). So p(tau | y) is a 1-D density, computed on a fine grid in log(tau), and
the posterior mean and sd of mu and of each theta_j are 1-D quadratures of their conditional
moments given tau (BDA3 equations 5.17-5.21).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from scipy import stats

from ._validation import as_data_array, as_finite_float, as_positive_float
from .posterior import cdf_on_grid

# BDA3 table 5.2: estimated coaching effects (points on the SAT-V) and their standard errors.
EFFECTS = (28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0)
STANDARD_ERRORS = (15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0)
MU_PRIOR = (0.0, 5.0)  # mu ~ Normal(loc 0, scale 5), the prior of Pyro's and NumPyro's examples
TAU_SCALE = 5.0  # tau ~ HalfCauchy(scale 5)

_GRID_POINTS = 20_001
_LOG_TAU_RANGE = (-20.0, 12.0)  # tau from 2e-9 to 1.6e5: the mass outside is below 1e-8


def load_eight_schools() -> tuple[torch.Tensor, torch.Tensor]:
    """The effects y and their standard errors sigma, as float32 tensors of 8 values each."""
    return torch.tensor(EFFECTS), torch.tensor(STANDARD_ERRORS)


@dataclass(frozen=True)
class HierarchicalPosterior:
    """The exact posterior of the eight schools model: moments, and p(tau | y) on a grid."""

    tau_mean: float
    tau_sd: float
    mu_mean: float
    mu_sd: float
    theta_mean: np.ndarray
    theta_sd: np.ndarray
    log_tau_mean: float
    log_tau_sd: float
    log_evidence: float
    tau_grid: np.ndarray = field(repr=False)
    tau_density: np.ndarray = field(repr=False)

    def tau_pdf(self, tau: np.ndarray | float) -> np.ndarray:
        """The density p(tau | y) at `tau` (interpolated on the grid; 0 for tau <= 0)."""
        tau = np.asarray(tau, dtype=np.float64)
        return np.where(tau > 0, np.interp(tau, self.tau_grid, self.tau_density), 0.0)

    def log_tau_pdf(self, log_tau: np.ndarray | float) -> np.ndarray:
        """The density of log(tau) given y: tau p(tau | y), at tau = exp(log_tau)."""
        tau = np.exp(np.asarray(log_tau, dtype=np.float64))
        return tau * self.tau_pdf(tau)

    def tau_cdf(self, tau: np.ndarray | float) -> np.ndarray:
        """P(tau' <= tau | y)."""
        cdf = cdf_on_grid(self.tau_grid, self.tau_density)
        return np.interp(np.asarray(tau, dtype=np.float64), self.tau_grid, cdf, left=0.0)

    def tau_quantile(self, q: np.ndarray | float) -> np.ndarray:
        """The q-quantile of tau given y, for q in [0, 1]."""
        q = np.asarray(q, dtype=np.float64)
        if np.any((q < 0) | (q > 1)):
            raise ValueError(f"quantiles must lie in [0, 1], got {q}")
        cdf = cdf_on_grid(self.tau_grid, self.tau_density)
        return np.interp(q, cdf, self.tau_grid)


def log_marginal_likelihood(
    tau: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    mu_prior: tuple[float, float] = MU_PRIOR,
) -> np.ndarray:
    """log p(y | tau) with mu and theta integrated out, at each tau (a 1-D array).

    y ~ Normal(mu_loc, mu_scale^2 11' + D), D = diag(sigma^2 + tau^2), by the matrix determinant
    lemma and Sherman-Morrison, so that a grid of tau costs O(grid size x J).
    """
    mu_loc, mu_scale = mu_prior
    weights = 1.0 / (sigma**2 + tau[:, None] ** 2)  # (grid, J): the precisions of y_j given mu
    residual = y - mu_loc
    total = weights.sum(axis=1)
    weighted = (weights * residual).sum(axis=1)
    shrink = 1.0 + mu_scale**2 * total
    quadratic = (weights * residual**2).sum(axis=1) - mu_scale**2 * weighted**2 / shrink
    log_det = -np.log(weights).sum(axis=1) + np.log(shrink)
    return -0.5 * (y.size * np.log(2 * np.pi) + log_det + quadratic)


def conditional_moments(
    tau: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    mu_prior: tuple[float, float] = MU_PRIOR,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """E and Var of mu, and of each theta_j, given tau and y: (mu_mean, mu_var, theta_mean,
    theta_var), the theta arrays of shape (len(tau), J). BDA3 equations 5.17, 5.20 (with the
    Normal prior on mu in place of BDA3's flat one)."""
    mu_loc, mu_scale = mu_prior
    weights = 1.0 / (sigma**2 + tau[:, None] ** 2)
    mu_precision = 1.0 / mu_scale**2 + weights.sum(axis=1)
    mu_mean = (mu_loc / mu_scale**2 + (weights * y).sum(axis=1)) / mu_precision
    mu_var = 1.0 / mu_precision
    shrinkage = sigma**2 * weights  # B_j = sigma_j^2 / (sigma_j^2 + tau^2): the pull towards mu
    theta_mean = shrinkage * mu_mean[:, None] + (1 - shrinkage) * y
    theta_var = (1 - shrinkage) * sigma**2 + shrinkage**2 * mu_var[:, None]
    return mu_mean, mu_var, theta_mean, theta_var


def _mean_and_sd(
    weights: np.ndarray, mean: np.ndarray, var: np.ndarray, axis: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of a mixture over tau (weights summing to 1) of conditional moments."""
    total_mean = np.tensordot(weights, mean, axes=(0, axis))
    second = np.tensordot(weights, var + mean**2, axes=(0, axis))
    return total_mean, np.sqrt(np.maximum(second - total_mean**2, 0.0))


def hierarchical_posterior(
    y: object = EFFECTS,
    sigma: object = STANDARD_ERRORS,
    mu_prior: tuple[float, float] = MU_PRIOR,
    tau_scale: float = TAU_SCALE,
) -> HierarchicalPosterior:
    """The exact posterior of the eight schools model (or any J schools) by quadrature over tau.

    Defaults: the eight schools and the course's priors, mu ~ Normal(0, 5), tau ~ HalfCauchy(5).
    """
    y_ = as_data_array(y, "y")
    sigma_ = as_data_array(sigma, "sigma")
    if y_.size != sigma_.size:
        raise ValueError(f"y has {y_.size} values but sigma {sigma_.size}: one sigma per school")
    if not np.all(sigma_ > 0):
        raise ValueError("sigma must be positive: each is a standard error")
    prior = (
        as_finite_float(mu_prior[0], "mu_prior[0]"),
        as_positive_float(mu_prior[1], "mu_prior[1]"),
    )
    tau_scale = as_positive_float(tau_scale, "tau_scale")
    log_tau = np.linspace(*_LOG_TAU_RANGE, _GRID_POINTS)
    tau = np.exp(log_tau)
    # The integrand over log(tau): prior density of tau, its Jacobian tau, and the likelihood.
    log_joint = (
        stats.halfcauchy.logpdf(tau, scale=tau_scale)
        + log_tau
        + log_marginal_likelihood(tau, y_, sigma_, prior)
    )
    peak = log_joint.max()
    step = log_tau[1] - log_tau[0]
    # Simpson's rule on the uniform grid in log(tau) (an odd number of points).
    simpson = np.ones(_GRID_POINTS)
    simpson[1:-1:2], simpson[2:-1:2] = 4.0, 2.0
    simpson *= step / 3
    unnormalised = np.exp(log_joint - peak)
    mass = float(np.sum(simpson * unnormalised))
    weights = simpson * unnormalised / mass  # quadrature weights of p(log tau | y)
    mu_mean, mu_var, theta_mean, theta_var = conditional_moments(tau, y_, sigma_, prior)
    tau_mean, tau_sd = _mean_and_sd(weights, tau, np.zeros_like(tau))
    log_tau_mean, log_tau_sd = _mean_and_sd(weights, log_tau, np.zeros_like(tau))
    mu_m, mu_s = _mean_and_sd(weights, mu_mean, mu_var)
    theta_m, theta_s = _mean_and_sd(weights, theta_mean, theta_var)
    density = unnormalised / mass / tau  # p(tau | y) = p(log tau | y) / tau
    return HierarchicalPosterior(
        tau_mean=float(tau_mean),
        tau_sd=float(tau_sd),
        mu_mean=float(mu_m),
        mu_sd=float(mu_s),
        theta_mean=theta_m,
        theta_sd=theta_s,
        log_tau_mean=float(log_tau_mean),
        log_tau_sd=float(log_tau_sd),
        log_evidence=float(peak + np.log(mass)),
        tau_grid=tau,
        tau_density=density,
    )
