"""Divergences between 1-D densities by quadrature on a grid, and the Gaussian that minimises one.

Notebook 06 uses these as the exact reference for what variational inference should find when a
single Gaussian q is fitted to a target p: KL(q || p) (what VI minimises), KL(p || q) (the other
way round) and Renyi's alpha-divergence D_alpha(q || p), which runs between them.

Densities are passed as log densities evaluated on a common grid, so that any density that can be
written down (a mixture, a Student-t, a Gaussian) can be compared with any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from ._validation import as_finite_float, as_float_array, as_positive_float

DIVERGENCES = ("kl_qp", "kl_pq", "renyi")
_MASS_TOL = 1e-3  # a density on the grid must integrate to 1 within this


def _trapezoid_weights(grid: np.ndarray) -> np.ndarray:
    dz = np.diff(grid)
    weights = np.zeros_like(grid)
    weights[:-1] += dz / 2
    weights[1:] += dz / 2
    return weights


def as_grid(grid: Any, name: str = "grid") -> np.ndarray:
    """Return `grid` as a strictly increasing, finite 1-D float array of at least 3 points."""
    array = as_float_array(grid, name)
    if array.ndim != 1 or array.size < 3:
        raise ValueError(f"{name} must be 1-D with at least 3 points, got shape {array.shape}")
    if not np.all(np.diff(array) > 0):
        raise ValueError(f"{name} must be strictly increasing")
    return array


def _as_log_density(values: Any, grid: np.ndarray, name: str) -> np.ndarray:
    """Validate log density values on `grid`: right shape, no NaN or +inf, integrates to 1."""
    if isinstance(values, str | bytes) or values is None:
        raise TypeError(f"{name} must be an array of log densities, got {type(values).__name__}")
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must contain only numbers") from None
    if array.shape != grid.shape:
        raise ValueError(f"{name} has shape {array.shape} but the grid has shape {grid.shape}")
    if np.any(np.isnan(array)) or np.any(array == np.inf):
        raise ValueError(f"{name} contains NaN or +inf (log densities may be -inf, not NaN)")
    mass = float(np.exp(array) @ _trapezoid_weights(grid))
    if abs(mass - 1) > _MASS_TOL:
        raise ValueError(
            f"{name} integrates to {mass:.4g} on the grid, not 1: widen or refine the grid, "
            "or pass a normalised log density"
        )
    return array


def _kl(log_first: np.ndarray, log_second: np.ndarray, weights: np.ndarray) -> float:
    first = np.exp(log_first)
    # Where the first density is 0 its term is 0, whatever the second is (0 log 0 = 0).
    integrand = np.where(first > 0, first * (log_first - log_second), 0.0)
    return float(integrand @ weights)


def _renyi(log_first: np.ndarray, log_second: np.ndarray, alpha: float, w: np.ndarray) -> float:
    log_integrand = alpha * log_first + (1 - alpha) * log_second
    return float(special.logsumexp(log_integrand, b=w) / (alpha - 1))


def kl_on_grid(log_first: Any, log_second: Any, grid: Any) -> float:
    """KL(first || second) = integral of first * log(first / second), by the trapezoid rule."""
    z = as_grid(grid)
    log_a = _as_log_density(log_first, z, "log_first")
    log_b = _as_log_density(log_second, z, "log_second")
    return _kl(log_a, log_b, _trapezoid_weights(z))


def _as_alpha(alpha: Any) -> float:
    alpha = as_positive_float(alpha, "alpha")
    if alpha == 1:
        raise ValueError("alpha must not be 1: D_alpha tends to KL as alpha -> 1, use kl_on_grid")
    return alpha


def renyi_on_grid(log_first: Any, log_second: Any, alpha: float, grid: Any) -> float:
    """Renyi's D_alpha(first || second) = log(integral first^alpha second^(1-alpha)) / (alpha-1)."""
    alpha = _as_alpha(alpha)
    z = as_grid(grid)
    log_a = _as_log_density(log_first, z, "log_first")
    log_b = _as_log_density(log_second, z, "log_second")
    return _renyi(log_a, log_b, alpha, _trapezoid_weights(z))


def gaussian_mixture_logpdf(z: Any, weights: Any, locs: Any, scales: Any) -> np.ndarray:
    """Log density of the mixture sum_k weights[k] * Normal(locs[k], scales[k]) at each z."""
    z = np.asarray(z, dtype=np.float64)
    arrays = []
    for name, value in (("weights", weights), ("locs", locs), ("scales", scales)):
        array = np.atleast_1d(np.asarray(value, dtype=np.float64))
        if array.ndim != 1 or not np.all(np.isfinite(array)):
            raise ValueError(f"{name} must be a 1-D sequence of finite numbers")
        arrays.append(array)
    w, m, s = arrays
    if not w.size == m.size == s.size:
        raise ValueError(
            f"weights, locs and scales must have the same length, got {w.size}, {m.size}, {s.size}"
        )
    if np.any(w <= 0) or abs(w.sum() - 1) > 1e-9:
        raise ValueError(f"weights must be positive and sum to 1, got {w.tolist()}")
    if np.any(s <= 0):
        raise ValueError(f"scales must be positive, got {s.tolist()}")
    components = stats.norm.logpdf(z[..., None], m, s) + np.log(w)
    return special.logsumexp(components, axis=-1)


@dataclass(frozen=True)
class GaussianFit:
    """The Gaussian Normal(loc, scale) found by `fit_gaussian_on_grid`, and its divergence."""

    loc: float
    scale: float
    divergence: float


def fit_gaussian_on_grid(
    log_target: Any,
    grid: Any,
    divergence: str,
    init: tuple[float, float] = (0.0, 1.0),
    alpha: float | None = None,
) -> GaussianFit:
    """The Normal(loc, scale) that minimises a divergence to the target, from a start `init`.

    `divergence` is "kl_qp" for KL(q || p), "kl_pq" for KL(p || q) or "renyi" for
    D_alpha(q || p) (then `alpha` is needed). A local optimiser (L-BFGS-B) is used, so like
    gradient-based VI it finds the minimum whose basin holds `init` = (loc, scale).
    """
    if divergence not in DIVERGENCES:
        raise ValueError(f"divergence must be one of {DIVERGENCES}, got {divergence!r}")
    if divergence == "renyi":
        if alpha is None:
            raise ValueError("alpha is needed when divergence='renyi'")
        alpha = _as_alpha(alpha)
    elif alpha is not None:
        raise ValueError(f"alpha is only used with divergence='renyi', not {divergence!r}")
    z = as_grid(grid)
    log_p = _as_log_density(log_target, z, "log_target")
    try:
        loc0, scale0 = init
    except (TypeError, ValueError):
        raise TypeError(f"init must be a pair (loc, scale), got {init!r}") from None
    loc0 = as_finite_float(loc0, "init loc")
    scale0 = as_positive_float(scale0, "init scale")
    weights = _trapezoid_weights(z)

    def objective(theta: np.ndarray) -> float:
        log_q = stats.norm.logpdf(z, theta[0], np.exp(theta[1]))
        if divergence == "kl_qp":
            return _kl(log_q, log_p, weights)
        if divergence == "kl_pq":
            return _kl(log_p, log_q, weights)
        return _renyi(log_q, log_p, alpha, weights)

    # q must stay well inside the grid for the quadrature to be right: bound its loc and scale.
    width = z[-1] - z[0]
    bounds = [
        (z[0] + 0.1 * width, z[-1] - 0.1 * width),
        (np.log(2 * np.min(np.diff(z))), np.log(width / 10)),
    ]
    result = optimize.minimize(
        objective,
        x0=[loc0, np.log(scale0)],
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-14, "gtol": 1e-9},
    )
    loc, scale = float(result.x[0]), float(np.exp(result.x[1]))
    # The final q is checked like any density passed in: it must integrate to 1 on the grid.
    _as_log_density(stats.norm.logpdf(z, loc, scale), z, "the fitted q (widen the grid)")
    return GaussianFit(loc=loc, scale=scale, divergence=float(result.fun))


_PROFILE_DIVERGENCES = ("kl_qp", "kl_pq")


def profile_divergence(
    log_target: Any,
    grid: Any,
    divergence: str,
    locs: Any,
    scale_bounds: tuple[float, float] = (0.2, 4.0),
) -> np.ndarray:
    """The smallest divergence between the target and Normal(loc, sd) over sd, for each loc.

    This is the divergence's *profile* along q's mean: hold the mean at each of `locs`, find the
    best sd in `scale_bounds` (a bounded 1-D search on log sd), and return the divergence there.
    `divergence` is "kl_qp" for KL(q || p) or "kl_pq" for KL(p || q).
    """
    if divergence not in _PROFILE_DIVERGENCES:
        raise ValueError(f"divergence must be one of {_PROFILE_DIVERGENCES}, got {divergence!r}")
    z = as_grid(grid)
    log_p = _as_log_density(log_target, z, "log_target")
    try:
        low, high = scale_bounds
    except (TypeError, ValueError):
        raise TypeError(f"scale_bounds must be a pair (low, high), got {scale_bounds!r}") from None
    low = as_positive_float(low, "scale_bounds low")
    high = as_positive_float(high, "scale_bounds high")
    if not low < high:
        raise ValueError(f"scale_bounds must be increasing, got ({low}, {high})")
    loc_array = as_float_array(locs, "locs")
    weights = _trapezoid_weights(z)

    def best(loc: float) -> float:
        def objective(log_scale: float) -> float:
            log_q = stats.norm.logpdf(z, loc, np.exp(log_scale))
            if divergence == "kl_qp":
                return _kl(log_q, log_p, weights)
            return _kl(log_p, log_q, weights)

        bounds = (np.log(low), np.log(high))
        return float(optimize.minimize_scalar(objective, bounds=bounds, method="bounded").fun)

    return np.vectorize(best, otypes=[np.float64])(loc_array)


def format_normal(loc: Any, scale: Any) -> str:
    """A Gaussian as text, "Normal(-2.00, 0.605)": loc to 2 decimals, scale to 3 figures."""
    loc = as_finite_float(loc, "loc")
    scale = as_positive_float(scale, "scale")
    # rounding then adding 0.0 prints a tiny negative number as 0.00, not -0.00
    return f"Normal({round(loc, 2) + 0.0:.2f}, {scale:.3g})"
