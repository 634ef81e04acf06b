"""Diagnostics for variational fits (notebook 07): stopping, importance weights, calibration.

- `stopping_step`: the first step at which the smoothed loss stops changing (relative change).
- `pareto_k_hat`, `importance_diagnostics`: how good a guide is as an importance sampler for the
  posterior (Yao, Vehtari, Simpson and Gelman 2018): Pareto k-hat, effective sample size and the
  spread of the log weights, all from one set of log weights.
- `fixed_guide`, `guide_marginals`: a Normal x LogNormal guide with given parameter values, as a
  guide function (to score any q without fitting it) and as scipy distributions.
- `optimal_mean_field`: the best Normal x LogNormal guide for the course's model, computed from
  the exact ELBO's stationarity conditions, vectorised over many data sets at once.
- `simulate_sbc`, `rank_histogram`: simulation-based calibration (Talts et al. 2018) of that guide
  and a chi-square test of the ranks' uniformity, with the band expected under uniformity.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyro
import pyro.distributions as dist
import torch
from pyro.ops.stats import fit_generalized_pareto
from scipy import stats

from ._validation import as_finite_float, as_pair, as_positive_float

PARAMETERS = ("mu", "sigma")


def _as_integer(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _as_vector(values: object, name: str, min_size: int = 1) -> np.ndarray:
    if isinstance(values, str | bytes) or values is None:
        raise TypeError(f"{name} must be an array or tensor of numbers")
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array or tensor of numbers") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if array.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} values, got {array.size}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def stopping_step(losses: object, window: int, rel_tol: float, patience: int = 1) -> int | None:
    """The step at which the relative change of the smoothed loss stays below `rel_tol`.

    Every `window` steps, the mean of the last `window` losses is compared with the mean of the
    window before: relative change = |mean now - mean before| / |mean now|. The rule fires at the
    first check that ends `patience` checks in a row below `rel_tol`. Returns the number of steps
    taken then (a multiple of `window`, at least 2 * window), or None if it never fires.
    """
    window = _as_integer(window, "window", 1)
    patience = _as_integer(patience, "patience", 1)
    x = _as_vector(losses, "losses", min_size=1)
    rel_tol = as_positive_float(rel_tol, "rel_tol")
    if x.size < 2 * window:
        return None
    smoothed = np.convolve(x, np.ones(window) / window, mode="valid")  # smoothed[j]: j..j+w-1
    checks = np.arange(2 * window, x.size + 1, window)  # steps taken at each check
    current, previous = smoothed[checks - window], smoothed[checks - 2 * window]
    with np.errstate(divide="ignore", invalid="ignore"):
        below = np.abs(current - previous) / np.abs(current) < rel_tol
    in_a_row = 0
    for step, ok in zip(checks, below, strict=True):
        in_a_row = in_a_row + 1 if ok else 0
        if in_a_row >= patience:
            return int(step)
    return None


def pareto_k_hat(log_weights: object) -> float:
    """Pareto k-hat of importance weights, as `pyro.infer.importance.psis_diagnostic` computes it.

    A generalized Pareto distribution is fitted to the largest min(20%, 3 sqrt(S)) of the S
    weights; its shape k says how heavy their tail is (below 0.5 good, above 0.7 unreliable).
    """
    lw = _as_vector(log_weights, "log_weights", min_size=2)
    lw = np.sort(lw - lw.max())
    tail_size = int(math.ceil(min(0.2 * lw.size, 3.0 * math.sqrt(lw.size))))
    cutoff = max(math.log(1.0e-15), lw[-tail_size - 1]) if tail_size < lw.size else -np.inf
    tail = lw[lw > cutoff]
    if tail.size < 10:
        raise ValueError(
            f"log_weights has only {tail.size} values in its tail (need 10): use more draws"
        )
    k, _ = fit_generalized_pareto(torch.from_numpy(np.exp(tail) - math.exp(cutoff)))
    return float(k)


@dataclass(frozen=True)
class ImportanceDiagnostics:
    """Three summaries of one set of log importance weights log p(x, z) - log q(z), z ~ q."""

    k_hat: float
    ess_fraction: float
    log_weight_sd: float
    num_samples: int


def importance_diagnostics(log_weights: object) -> ImportanceDiagnostics:
    """Pareto k-hat, effective sample size / S, and the sd of the log weights."""
    lw = _as_vector(log_weights, "log_weights", min_size=2)
    w = np.exp(lw - lw.max())
    return ImportanceDiagnostics(
        k_hat=pareto_k_hat(lw),
        ess_fraction=float(w.sum() ** 2 / np.sum(w**2) / lw.size),
        log_weight_sd=float(lw.std(ddof=1)),
        num_samples=int(lw.size),
    )


def _guide_parameters(
    mu_loc: float, mu_scale: float, sigma_loc: float, sigma_scale: float
) -> tuple[float, float, float, float]:
    return (
        as_finite_float(mu_loc, "mu_loc"),
        as_positive_float(mu_scale, "mu_scale"),
        as_finite_float(sigma_loc, "sigma_loc"),
        as_positive_float(sigma_scale, "sigma_scale"),
    )


def fixed_guide(
    mu_loc: float, mu_scale: float, sigma_loc: float, sigma_scale: float
) -> Callable[..., None]:
    """The guide Normal(mu_loc, mu_scale) x LogNormal(sigma_loc, sigma_scale), with no pyro.param.

    It samples the sites "mu" and "sigma" from fixed values, so that any q can be scored
    (`estimate_elbo`, `psis_diagnostic`) without fitting it; it accepts and ignores the model's
    arguments.
    """
    mu_loc, mu_scale, sigma_loc, sigma_scale = _guide_parameters(
        mu_loc, mu_scale, sigma_loc, sigma_scale
    )

    def guide(*args: object, **kwargs: object) -> None:
        pyro.sample("mu", dist.Normal(mu_loc, mu_scale))
        pyro.sample("sigma", dist.LogNormal(sigma_loc, sigma_scale))

    return guide


def guide_marginals(
    mu_loc: float, mu_scale: float, sigma_loc: float, sigma_scale: float
) -> dict[str, Any]:
    """q(mu) and q(sigma) of the Normal x LogNormal guide, as frozen scipy distributions."""
    mu_loc, mu_scale, sigma_loc, sigma_scale = _guide_parameters(
        mu_loc, mu_scale, sigma_loc, sigma_scale
    )
    return {
        "mu": stats.norm(mu_loc, mu_scale),
        "sigma": stats.lognorm(sigma_scale, scale=math.exp(sigma_loc)),
    }


@dataclass(frozen=True)
class MeanFieldOptimum:
    """Parameters of the best guide Normal(mu_loc, mu_scale) x LogNormal(sigma_loc, sigma_scale)."""

    mu_loc: np.ndarray
    mu_scale: np.ndarray
    sigma_loc: np.ndarray
    sigma_scale: np.ndarray


def optimal_mean_field(
    n: int,
    mean: object,
    sum_sq_dev: object,
    mu_prior: tuple[float, float] = (0.0, 10.0),
    sigma_prior: tuple[float, float] = (1.0, 0.1),
    max_iter: int = 500,
) -> MeanFieldOptimum:
    """Maximise the exact ELBO of the Normal x LogNormal guide for many data sets at once.

    Each data set is given by its sufficient statistics (n points, their mean and sum of squared
    deviations). Setting the ELBO's gradient to zero gives each pair of parameters in closed form
    given the other pair; iterating these updates (coordinate ascent) converges to the optimum,
    the same one that `helpers.elbo_surface.best_normal_lognormal_guide` finds with BFGS.
    """
    n = _as_integer(n, "n", 2)
    xbar = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    squares_data = np.atleast_1d(np.asarray(sum_sq_dev, dtype=np.float64))
    if xbar.shape != squares_data.shape or xbar.ndim != 1:
        raise ValueError("mean and sum_sq_dev must be 1-D and of the same length")
    if not (np.all(np.isfinite(xbar)) and np.all(np.isfinite(squares_data))):
        raise ValueError("mean and sum_sq_dev must be finite")
    if not np.all(squares_data > 0):
        raise ValueError("sum_sq_dev must be positive: each data set needs some spread")
    loc0, scale0 = as_pair(mu_prior, "mu_prior")
    m0, s0 = as_finite_float(loc0, "mu_prior loc"), as_positive_float(scale0, "mu_prior scale")
    concentration, rate = as_pair(sigma_prior, "sigma_prior")
    a0 = as_positive_float(concentration, "sigma_prior concentration")
    b0 = as_positive_float(rate, "sigma_prior rate")
    if n <= a0:
        raise ValueError(f"n must exceed the sigma prior's concentration ({a0}), got {n}")
    max_iter = _as_integer(max_iter, "max_iter", 1)
    loc = 0.5 * np.log(squares_data / n)
    scale = np.full_like(loc, 1 / math.sqrt(2.0 * n))
    for _ in range(max_iter):
        e_inv_var = np.exp(-2 * loc + 2 * scale**2)  # E_q[1 / sigma^2]
        precision = n * e_inv_var + 1 / s0**2
        mu_loc = (n * e_inv_var * xbar + m0 / s0**2) / precision
        mu_scale = 1 / np.sqrt(precision)
        squares = squares_data + n * ((xbar - mu_loc) ** 2 + mu_scale**2)
        e_sigma = np.exp(loc + scale**2 / 2)
        new_loc = scale**2 + 0.5 * np.log(squares / (n - a0 + b0 * e_sigma))
        new_scale = 1 / np.sqrt(2 * squares * np.exp(-2 * new_loc + 2 * scale**2) + b0 * e_sigma)
        change = max(np.max(np.abs(new_loc - loc)), np.max(np.abs(np.log(new_scale / scale))))
        loc, scale = new_loc, new_scale
        if change < 1e-12:
            break
    else:
        raise RuntimeError(f"the optimum was not reached in {max_iter} iterations")
    e_inv_var = np.exp(-2 * loc + 2 * scale**2)
    precision = n * e_inv_var + 1 / s0**2
    return MeanFieldOptimum(
        mu_loc=(n * e_inv_var * xbar + m0 / s0**2) / precision,
        mu_scale=1 / np.sqrt(precision),
        sigma_loc=loc,
        sigma_scale=scale,
    )


@dataclass(frozen=True)
class SBCResult:
    """Ranks of the true mu and sigma among `num_draws` draws from each fitted guide."""

    ranks: dict[str, np.ndarray]
    num_draws: int
    seconds_per_fit: float


def simulate_sbc(
    num_simulations: int,
    n: int = 1000,
    num_draws: int = 99,
    sd_factor: float = 1.0,
    seed: int = 0,
    mu_prior: tuple[float, float] = (0.0, 10.0),
    sigma_prior: tuple[float, float] = (1.0, 0.1),
) -> SBCResult:
    """Simulation-based calibration of the optimal Normal x LogNormal guide.

    For each simulation: draw (mu, sigma) from the prior and n points given them (as their
    sufficient statistics, which is all the likelihood uses), fit the guide exactly
    (`optimal_mean_field`), multiply its two scales by `sd_factor` (1: as fitted; below 1: too
    narrow), draw `num_draws` values of each parameter from it and count how many fall below the
    true value. A calibrated guide gives ranks uniform on 0..num_draws.
    """
    num_simulations = _as_integer(num_simulations, "num_simulations", 1)
    n = _as_integer(n, "n", 2)
    num_draws = _as_integer(num_draws, "num_draws", 1)
    sd_factor = as_positive_float(sd_factor, "sd_factor")
    seed = _as_integer(seed, "seed", 0)
    loc0, scale0 = as_pair(mu_prior, "mu_prior")
    concentration, rate = as_pair(sigma_prior, "sigma_prior")
    m0, s0 = as_finite_float(loc0, "mu_prior loc"), as_positive_float(scale0, "mu_prior scale")
    a0 = as_positive_float(concentration, "sigma_prior concentration")
    b0 = as_positive_float(rate, "sigma_prior rate")
    rng = np.random.default_rng(seed)
    mu = rng.normal(m0, s0, num_simulations)
    sigma = rng.gamma(a0, 1 / b0, num_simulations)
    xbar = rng.normal(mu, sigma / math.sqrt(n))
    sum_sq_dev = sigma**2 * rng.chisquare(n - 1, num_simulations)
    start = time.perf_counter()
    q = optimal_mean_field(n, xbar, sum_sq_dev, mu_prior=mu_prior, sigma_prior=sigma_prior)
    seconds = (time.perf_counter() - start) / num_simulations
    shape = (num_simulations, num_draws)
    mu_draws = rng.normal(q.mu_loc[:, None], sd_factor * q.mu_scale[:, None], shape)
    log_sigma_draws = rng.normal(q.sigma_loc[:, None], sd_factor * q.sigma_scale[:, None], shape)
    ranks = {
        "mu": np.sum(mu_draws < mu[:, None], axis=1),
        "sigma": np.sum(log_sigma_draws < np.log(sigma)[:, None], axis=1),
    }
    return SBCResult(ranks=ranks, num_draws=num_draws, seconds_per_fit=seconds)


@dataclass(frozen=True)
class RankHistogram:
    """Counts of ranks in equal bins, the 99% band for each count under uniformity, a p-value."""

    counts: np.ndarray
    band: tuple[float, float]
    p_value: float


def rank_histogram(ranks: object, num_draws: int, num_bins: int = 20) -> RankHistogram:
    """Bin ranks 0..num_draws into `num_bins` equal bins; chi-square test of uniformity."""
    num_draws = _as_integer(num_draws, "num_draws", 1)
    num_bins = _as_integer(num_bins, "num_bins", 2)
    if (num_draws + 1) % num_bins:
        raise ValueError(
            f"num_bins ({num_bins}) must divide num_draws + 1 ({num_draws + 1}), the number of "
            "possible ranks, so that every bin holds as many ranks"
        )
    r = _as_vector(ranks, "ranks")
    if np.any(r != np.round(r)) or r.min() < 0 or r.max() > num_draws:
        raise ValueError(f"ranks must be integers between 0 and num_draws ({num_draws})")
    counts = np.bincount((r // ((num_draws + 1) // num_bins)).astype(int), minlength=num_bins)
    low, high = stats.binom.ppf([0.005, 0.995], r.size, 1 / num_bins)
    return RankHistogram(
        counts=counts, band=(float(low), float(high)), p_value=float(stats.chisquare(counts).pvalue)
    )
