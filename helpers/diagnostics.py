"""Diagnostics for variational fits (notebook 07): stopping, importance weights, calibration.

- `stopping_step`: the first step at which the smoothed loss stops changing (relative change).
- `pareto_k_hat`, `importance_diagnostics`: how good a guide is as an importance sampler for the
  posterior (Yao, Vehtari, Simpson and Gelman 2018): Pareto k-hat, importance-sampling effective
  sample size and the spread of the log weights, all from one set of log weights;
  `k_hat_threshold`, the sample-size-dependent threshold for k-hat (Vehtari, Simpson, Gelman, Yao
  and Gabry 2024).
- `log_joint`, `exact_log_weights`: log p(x, mu, sigma) of the course's model in float64, and the
  log weights of draws from the exact posterior and from the product of its exact marginals (what
  drives k-hat for a near-exact mean-field fit).
- `fixed_guide`, `guide_marginals`: a Normal x LogNormal guide with given parameter values, as a
  guide function (to score any q without fitting it) and as scipy distributions.
- `simulate_sbc`, `rank_histogram`: simulation-based calibration (Talts et al. 2018) of the best
  Normal x LogNormal guide (`helpers.elbo_surface.best_normal_lognormal_guide`, exact and
  vectorised over data sets) and a chi-square test of the ranks' uniformity, with the band
  expected under uniformity; `sbc_ecdf_points`, `ranks_within_band`: the ranks' ECDF against
  ArviZ's simultaneous band for uniform ranks (Sailynoja, Buerkner and Vehtari 2022).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyro
import pyro.distributions as dist
import torch
from pyro.ops.stats import fit_generalized_pareto
from scipy import stats

from ._validation import (
    as_data_array,
    as_data_sets,
    as_finite_float,
    as_integer,
    as_positive_float,
    as_seed,
)
from .elbo_surface import best_normal_lognormal_guide
from .posterior import (
    MU_PRIOR,
    SIGMA_PRIOR,
    SufficientStatistics,
    cdf_on_grid,
    exact_posterior,
    validate_priors,
)

PARAMETERS = ("mu", "sigma")


def stopping_step(losses: object, window: int, rel_tol: float, patience: int = 1) -> int | None:
    """The step at which the relative change of the smoothed loss stays below `rel_tol`.

    Every `window` steps, the mean of the last `window` losses is compared with the mean of the
    window before: relative change = |mean now - mean before| / |mean now|. The rule fires at the
    first check that ends `patience` checks in a row below `rel_tol`. Returns the number of steps
    taken then (a multiple of `window`, at least 2 * window), or None if it never fires.
    """
    window = as_integer(window, "window")
    patience = as_integer(patience, "patience")
    x = as_data_array(losses, "losses")
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
    weights; its shape k says how heavy their tail is (compare it with `k_hat_threshold(S)`).
    """
    lw = as_data_array(log_weights, "log_weights", min_size=2)
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


def k_hat_threshold(num_samples: int) -> float:
    """The sample-size-dependent threshold for k-hat from S draws: min(1 - 1 / log10(S), 0.7).

    Below it, (Pareto smoothed) importance sampling from S draws is reliable (Vehtari, Simpson,
    Gelman, Yao and Gabry 2024, "Pareto smoothed importance sampling", JMLR): 0.5 at S = 100,
    about 0.67 at S = 1,000, and 0.7 from about S = 2,200 on.
    """
    num_samples = as_integer(num_samples, "num_samples", minimum=2)
    return min(1.0 - 1.0 / math.log10(num_samples), 0.7)


@dataclass(frozen=True)
class ImportanceDiagnostics:
    """Three summaries of one set of log importance weights log p(x, z) - log q(z), z ~ q."""

    k_hat: float
    ess_fraction: float
    log_weight_sd: float
    num_samples: int


def importance_diagnostics(log_weights: object) -> ImportanceDiagnostics:
    """Pareto k-hat, effective sample size / S, and the sd of the log weights."""
    lw = as_data_array(log_weights, "log_weights", min_size=2)
    w = np.exp(lw - lw.max())
    return ImportanceDiagnostics(
        k_hat=pareto_k_hat(lw),
        ess_fraction=float(w.sum() ** 2 / np.sum(w**2) / lw.size),
        log_weight_sd=float(lw.std(ddof=1)),
        num_samples=int(lw.size),
    )


def log_joint(data: object, mu: object, sigma: object) -> np.ndarray:
    """log p(x, mu, sigma) of the course's model in float64, for arrays of draws of mu and sigma."""
    statistics = SufficientStatistics.from_data(data)
    mu, sigma = np.asarray(mu, dtype=float), np.asarray(sigma, dtype=float)
    n, mean = statistics.n, statistics.mean
    return (
        stats.norm.logpdf(mu, *MU_PRIOR)
        + stats.gamma.logpdf(sigma, SIGMA_PRIOR[0], scale=1 / SIGMA_PRIOR[1])
        - n * np.log(sigma)
        - 0.5 * n * math.log(2 * math.pi)
        - (statistics.sum_sq_dev + n * (mean - mu) ** 2) / (2 * sigma**2)
    )


def exact_log_weights(
    data: object, num_draws: int, num_repeats: int = 1, seed: int = 0
) -> dict[str, np.ndarray]:
    """Log weights log p(x, z) - log q(z) of two guides built from the exact posterior.

    "exact marginals": q(mu) q(sigma), the product of the posterior's exact marginals (what no
    mean-field guide can beat, and what it misses is the dependence between mu and sigma);
    "exact posterior": the joint posterior itself, sigma from its marginal and mu from its exact
    conditional given sigma, whose weights are constant up to the grid's interpolation error.
    Each array has shape (num_repeats, num_draws): independent sets of draws, in float64.
    """
    num_draws = as_integer(num_draws, "num_draws", minimum=2)
    num_repeats = as_integer(num_repeats, "num_repeats")
    rng = np.random.default_rng(as_seed(seed))
    x = as_data_array(data)
    exact = exact_posterior(x)
    shape = (num_repeats, num_draws)

    def from_grid(grid: np.ndarray, density: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        draws = np.interp(rng.uniform(size=shape), cdf_on_grid(grid, density), grid)
        return draws, np.log(np.interp(draws, grid, density))  # inverse CDF, log density

    sigma, log_q_sigma = from_grid(exact.sigma_grid, exact.sigma_density)
    mu, log_q_mu = from_grid(exact.mu_grid, exact.mu_density)
    # Given sigma, mu is Normal: the conjugate update of the prior by n points of variance sigma^2.
    precision = 1 / MU_PRIOR[1] ** 2 + x.size / sigma**2
    loc = (MU_PRIOR[0] / MU_PRIOR[1] ** 2 + x.size * x.mean() / sigma**2) / precision
    mu_given_sigma = rng.normal(loc, 1 / np.sqrt(precision))
    log_q_joint = log_q_sigma + stats.norm.logpdf(mu_given_sigma, loc, 1 / np.sqrt(precision))
    return {
        "exact marginals": log_joint(x, mu, sigma) - log_q_mu - log_q_sigma,
        "exact posterior": log_joint(x, mu_given_sigma, sigma) - log_q_joint,
    }


@dataclass(frozen=True)
class KHatSpread:
    """k-hat of each of several sets of S draws, with S's threshold and the other two summaries."""

    k_hats: np.ndarray
    threshold: float
    min_ess_fraction: float
    max_log_weight_sd: float


def k_hat_spread(log_weight_sets: object) -> KHatSpread:
    """`importance_diagnostics` of each row of a (sets, S) array of log weights, summarised."""
    sets = as_data_sets(log_weight_sets, "log_weight_sets", min_points=2)
    rows = [importance_diagnostics(lw) for lw in sets]
    return KHatSpread(
        k_hats=np.array([d.k_hat for d in rows]),
        threshold=k_hat_threshold(sets.shape[1]),
        min_ess_fraction=min(d.ess_fraction for d in rows),
        max_log_weight_sd=max(d.log_weight_sd for d in rows),
    )


def k_hat_spread_table(spreads: Mapping[str, KHatSpread]) -> str:
    """A text table, one row per label: k-hat's 5%, 50% and 95% points over the sets, the
    threshold for their S, the smallest ESS / S and the largest sd of the log weights."""
    if not isinstance(spreads, Mapping) or not spreads:
        raise TypeError("spreads must be a non-empty mapping of label to KHatSpread")
    width = max(len(str(label)) for label in spreads)
    lines = [f"{'':{width}}  k-hat: 5%    50%    95%   threshold  min ESS / S  max sd log w"]
    for label, spread in spreads.items():
        low, middle, high = np.percentile(spread.k_hats, [5, 50, 95])
        lines.append(
            f"{label:{width}}  {low:9.2f} {middle:6.2f} {high:6.2f} {spread.threshold:11.2f}"
            f" {spread.min_ess_fraction:12.4f} {spread.max_log_weight_sd:13.2g}"
        )
    return "\n".join(lines)


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
    mu_prior: tuple[float, float] = MU_PRIOR,
    sigma_prior: tuple[float, float] = SIGMA_PRIOR,
) -> SBCResult:
    """Simulation-based calibration of the optimal Normal x LogNormal guide.

    For each simulation: draw (mu, sigma) from the prior and n points given them (as their
    sufficient statistics, which is all the likelihood uses), fit the guide exactly (all the
    simulations in one call of `best_normal_lognormal_guide`), multiply its two scales by
    `sd_factor` (1: as fitted; below 1: too narrow), draw `num_draws` values of each parameter
    from it and count how many fall below the true value. A calibrated guide gives ranks
    uniform on 0..num_draws.
    """
    num_simulations = as_integer(num_simulations, "num_simulations")
    n = as_integer(n, "n", minimum=2)
    num_draws = as_integer(num_draws, "num_draws")
    sd_factor = as_positive_float(sd_factor, "sd_factor")
    seed = as_seed(seed)
    m0, s0, a0, b0 = validate_priors(mu_prior, sigma_prior)
    rng = np.random.default_rng(seed)
    mu = rng.normal(m0, s0, num_simulations)
    sigma = rng.gamma(a0, 1 / b0, num_simulations)
    xbar = rng.normal(mu, sigma / math.sqrt(n))
    sum_sq_dev = sigma**2 * rng.chisquare(n - 1, num_simulations)
    start = time.perf_counter()
    statistics = SufficientStatistics(n=n, mean=xbar, sum_sq_dev=sum_sq_dev)
    q = best_normal_lognormal_guide(statistics, mu_prior=mu_prior, sigma_prior=sigma_prior)
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


def _ranks_and_divisor(
    ranks: object, num_draws: object, divisor: object, name: str
) -> tuple[np.ndarray, int, int]:
    """SBC ranks (integers 0..num_draws) as an array, and a `divisor` of num_draws + 1, the number
    of possible ranks, so that every bin or ECDF point covers as many ranks."""
    num_draws = as_integer(num_draws, "num_draws")
    divisor = as_integer(divisor, name, minimum=2)
    if (num_draws + 1) % divisor:
        raise ValueError(
            f"{name} ({divisor}) must divide num_draws + 1 ({num_draws + 1}), the number of "
            "possible ranks, so that every bin holds as many ranks"
        )
    r = as_data_array(ranks, "ranks")
    if np.any(r != np.round(r)) or r.min() < 0 or r.max() > num_draws:
        raise ValueError(f"ranks must be integers between 0 and num_draws ({num_draws})")
    return r, num_draws, divisor


def rank_histogram(ranks: object, num_draws: int, num_bins: int = 20) -> RankHistogram:
    """Bin ranks 0..num_draws into `num_bins` equal bins; chi-square test of uniformity."""
    r, num_draws, num_bins = _ranks_and_divisor(ranks, num_draws, num_bins, "num_bins")
    counts = np.bincount((r // ((num_draws + 1) // num_bins)).astype(int), minlength=num_bins)
    low, high = stats.binom.ppf([0.005, 0.995], r.size, 1 / num_bins)
    return RankHistogram(
        counts=counts, band=(float(low), float(high)), p_value=float(stats.chisquare(counts).pvalue)
    )


def sbc_ecdf_points(
    ranks: object, num_draws: int, num_points: int = 20
) -> tuple[np.ndarray, np.ndarray]:
    """SBC ranks 0..L as fractions (rank + 1) / (L + 1), and `num_points` equally spaced points in
    (0, 1] at which their ECDF matches the uniform CDF exactly when the ranks are uniform.

    At the point j / num_points the ECDF counts the ranks below (L + 1) j / num_points, which is
    why `num_points` must divide L + 1; ArviZ's ECDF plot and band take these two arrays.
    """
    r, num_draws, num_points = _ranks_and_divisor(ranks, num_draws, num_points, "num_points")
    return (r + 1) / (num_draws + 1), np.arange(1, num_points + 1) / num_points


def ranks_within_band(ranks: object, num_draws: int, prob: float = 0.99) -> bool:
    """Whether the ECDF of SBC ranks stays inside ArviZ's simultaneous `prob` band for uniform
    ranks at every point of `sbc_ecdf_points`: a test of uniformity at level 1 - prob."""
    # Imported here, not with the module: notebooks import this module before setup(), which
    # filters ArviZ 0.23's import-time notice of its 1.0 refactor.
    from arviz.stats.ecdf_utils import ecdf_confidence_band

    prob = as_finite_float(prob, "prob")
    if not 0 < prob < 1:
        raise ValueError(f"prob must be strictly between 0 and 1, got {prob}")
    values, points = sbc_ecdf_points(ranks, num_draws)
    lower, upper = ecdf_confidence_band(values.size, points, points, prob=prob, method="optimized")
    ecdf = np.searchsorted(np.sort(values), points, side="right") / values.size
    return bool(np.all((ecdf >= lower) & (ecdf <= upper)))
