"""Exact ELBOs of two mean-field guides, their optima, and the shape of the surface (04 and 05).

The guides are q(mu, sigma) = Normal(mu_loc, mu_scale) x Gamma(shape, rate), the original
tutorial's, and Normal x LogNormal; the model is the course's: mu ~ Normal, sigma ~ Gamma,
x_i ~ Normal(mu, sigma). Every expectation in the ELBO has a closed form for these pairs, so the
ELBO can be computed exactly (no Monte Carlo) on a whole grid at once, maximised with a
deterministic optimiser, and differentiated numerically to measure how badly conditioned it is.
KL(q || posterior) = log p(x) - ELBO, with log p(x) from `helpers.exact_posterior`.

One fact shapes everything: E_q[1 / sigma^2] = rate^2 / ((shape - 1)(shape - 2)) is finite only
for shape > 2, so the ELBO is minus infinity for shape <= 2 (the original started at shape 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from ._validation import as_float_array, as_integer, as_positive_float
from .posterior import MU_PRIOR, SIGMA_PRIOR, SufficientStatistics, validate_priors

_LOG_2PI = float(np.log(2 * np.pi))
_MAX_ITERATIONS = 500  # of the coordinate ascent; it converges in tens of iterations


def _statistics(data: object) -> SufficientStatistics:
    if isinstance(data, SufficientStatistics):
        return data
    return SufficientStatistics.from_data(data)


def normal_gamma_elbo(
    data: object,
    mu_loc: object,
    mu_scale: object,
    shape: object,
    rate: object,
    mu_prior: tuple[float, float] = MU_PRIOR,
    sigma_prior: tuple[float, float] = SIGMA_PRIOR,
) -> np.ndarray:
    """Exact ELBO of the guide Normal(mu_loc, mu_scale) x Gamma(shape, rate); -inf if shape <= 2.

    The four guide parameters may be arrays: they broadcast, so a whole grid is one call.
    """
    stats_ = _statistics(data)
    m0, s0, a0, b0 = validate_priors(mu_prior, sigma_prior)
    m = as_float_array(mu_loc, "mu_loc")
    s = as_float_array(mu_scale, "mu_scale", positive=True)
    a = as_float_array(shape, "shape", positive=True)
    b = as_float_array(rate, "rate", positive=True)
    n = stats_.n
    with np.errstate(divide="ignore", invalid="ignore"):
        e_log_sigma = special.digamma(a) - np.log(b)
        e_inv_var = np.where(a > 2, b**2 / ((a - 1) * (a - 2)), np.inf)  # E[1 / sigma^2]
        squares = stats_.sum_sq_dev + n * ((stats_.mean - m) ** 2 + s**2)
        log_likelihood = -0.5 * n * _LOG_2PI - n * e_log_sigma - 0.5 * squares * e_inv_var
        log_prior_mu = -0.5 * (_LOG_2PI + 2 * np.log(s0)) - ((m - m0) ** 2 + s**2) / (2 * s0**2)
        log_prior_sigma = (
            a0 * np.log(b0) - special.gammaln(a0) + (a0 - 1) * e_log_sigma - b0 * a / b
        )
        entropy_mu = 0.5 * (_LOG_2PI + 1) + np.log(s)
        entropy_sigma = a - np.log(b) + special.gammaln(a) + (1 - a) * special.digamma(a)
        return log_likelihood + log_prior_mu + log_prior_sigma + entropy_mu + entropy_sigma


def normal_lognormal_elbo(
    data: object,
    mu_loc: object,
    mu_scale: object,
    sigma_loc: object,
    sigma_scale: object,
    mu_prior: tuple[float, float] = MU_PRIOR,
    sigma_prior: tuple[float, float] = SIGMA_PRIOR,
) -> np.ndarray:
    """Exact ELBO of the guide Normal(mu_loc, mu_scale) x LogNormal(sigma_loc, sigma_scale).

    The four guide parameters may be arrays: they broadcast, so a whole grid is one call.
    """
    stats_ = _statistics(data)
    m0, s0, a0, b0 = validate_priors(mu_prior, sigma_prior)
    m = as_float_array(mu_loc, "mu_loc")
    s = as_float_array(mu_scale, "mu_scale", positive=True)
    loc = as_float_array(sigma_loc, "sigma_loc")
    scale = as_float_array(sigma_scale, "sigma_scale", positive=True)
    n = stats_.n
    with np.errstate(over="ignore"):
        e_inv_var = np.exp(-2 * loc + 2 * scale**2)  # E[1 / sigma^2]; E[log sigma] = loc
        e_sigma = np.exp(loc + scale**2 / 2)
    squares = stats_.sum_sq_dev + n * ((stats_.mean - m) ** 2 + s**2)
    log_likelihood = -0.5 * n * _LOG_2PI - n * loc - 0.5 * squares * e_inv_var
    log_prior_mu = -0.5 * (_LOG_2PI + 2 * np.log(s0)) - ((m - m0) ** 2 + s**2) / (2 * s0**2)
    log_prior_sigma = a0 * np.log(b0) - special.gammaln(a0) + (a0 - 1) * loc - b0 * e_sigma
    entropy_mu = 0.5 * (_LOG_2PI + 1) + np.log(s)
    entropy_sigma = loc + 0.5 * (_LOG_2PI + 1) + np.log(scale)
    return log_likelihood + log_prior_mu + log_prior_sigma + entropy_mu + entropy_sigma


def _gamma_gradient(
    stats_: SufficientStatistics, z: np.ndarray, priors: tuple[float, float, float, float]
) -> np.ndarray:
    """Gradient of the Normal x Gamma ELBO in z = (mu_loc, log mu_scale, log shape, log rate)."""
    m0, s0, a0, b0 = priors
    m, s, a, b = z[0], np.exp(z[1]), np.exp(z[2]), np.exp(z[3])
    n = stats_.n
    e_inv_var = b**2 / ((a - 1) * (a - 2))  # needs shape > 2
    squares = stats_.sum_sq_dev + n * ((stats_.mean - m) ** 2 + s**2)
    trigamma = special.polygamma(1, a)
    d_m = n * (stats_.mean - m) * e_inv_var - (m - m0) / s0**2
    d_s = -n * s * e_inv_var - s / s0**2 + 1 / s
    d_inv_var_d_a = -e_inv_var * (1 / (a - 1) + 1 / (a - 2))
    d_a = (a0 - 1 - n) * trigamma - 0.5 * squares * d_inv_var_d_a - b0 / b + 1 + (1 - a) * trigamma
    d_b = (n - a0) / b - squares * e_inv_var / b + b0 * a / b**2
    return np.array([d_m, s * d_s, a * d_a, b * d_b])


@dataclass(frozen=True)
class NormalGammaGuide:
    """The best guide of the Normal x Gamma family: its parameters and its (maximal) ELBO."""

    mu_loc: float
    mu_scale: float
    shape: float
    rate: float
    elbo: float


@dataclass(frozen=True)
class NormalLogNormalGuide:
    """The best guide of the Normal x LogNormal family: its parameters and its (maximal) ELBO.

    sigma_loc and sigma_scale are the LogNormal's own arguments (the mean and sd of log sigma).
    Floats for one data set; arrays, one entry per data set, for many at once.
    """

    mu_loc: float | np.ndarray
    mu_scale: float | np.ndarray
    sigma_loc: float | np.ndarray
    sigma_scale: float | np.ndarray
    elbo: float | np.ndarray


def _maximise(
    elbo: Callable[[np.ndarray], float],
    gradient: Callable[[np.ndarray], np.ndarray],
    z0: np.ndarray,
) -> tuple[np.ndarray, float]:
    """Maximise an ELBO over unconstrained z with BFGS and the exact gradient."""
    offset = elbo(z0)  # subtracted, so that BFGS works with small, well-resolved numbers

    def loss(z: np.ndarray) -> float:
        value = elbo(z)
        return float(offset - value) if np.isfinite(value) else np.inf

    def loss_gradient(z: np.ndarray) -> np.ndarray:
        return -gradient(z)

    result = optimize.minimize(
        loss, z0, jac=loss_gradient, method="BFGS", options={"gtol": 1e-8, "maxiter": 10_000}
    )
    if not np.all(np.abs(loss_gradient(result.x)) < 1e-4):
        raise RuntimeError(f"the ELBO's maximum was not found: {result.message}")
    return result.x, float(offset - result.fun)


def _starting_point(stats_: SufficientStatistics) -> tuple[float, float, float]:
    """Sample mean, sample sd, and the standard error of the mean: where the optimum lies."""
    if stats_.n < 2 or stats_.sum_sq_dev <= 0:
        raise ValueError("data must hold at least two different values")
    sd = float(np.sqrt(stats_.sum_sq_dev / stats_.n))
    return stats_.mean, sd, sd / float(np.sqrt(stats_.n))


def best_normal_gamma_guide(
    data: object,
    mu_prior: tuple[float, float] = MU_PRIOR,
    sigma_prior: tuple[float, float] = SIGMA_PRIOR,
) -> NormalGammaGuide:
    """Maximise the exact ELBO over the Normal x Gamma family (BFGS with the exact gradient)."""
    stats_ = _statistics(data)
    priors = validate_priors(mu_prior, sigma_prior)
    mean, sd, se = _starting_point(stats_)
    shape0 = 2.0 * stats_.n + 3  # the sd of a sample sd is about sd / sqrt(2 n)
    z0 = np.array([mean, np.log(se), np.log(shape0), np.log(shape0 / sd)])
    pairs = _prior_pairs(priors)

    def elbo(z: np.ndarray) -> float:
        return float(normal_gamma_elbo(stats_, z[0], *np.exp(z[1:]), *pairs))

    z, value = _maximise(elbo, lambda z: _gamma_gradient(stats_, z, priors), z0)
    return NormalGammaGuide(float(z[0]), *(float(v) for v in np.exp(z[1:])), value)


def best_normal_lognormal_guide(
    data: object,
    mu_prior: tuple[float, float] = MU_PRIOR,
    sigma_prior: tuple[float, float] = SIGMA_PRIOR,
) -> NormalLogNormalGuide:
    """Maximise the exact ELBO over the Normal x LogNormal family, for one or many data sets.

    `data` is a data set or its `SufficientStatistics`; statistics whose `mean` and `sum_sq_dev`
    are 1-D arrays stand for many data sets of n points each (fast enough for simulation-based
    calibration), and every field of the result is then an array. Setting the ELBO's gradient to
    zero gives q(mu)'s parameters in closed form given q(sigma)'s, and q(sigma)'s as a fixed point
    given q(mu)'s; iterating these updates (coordinate ascent) converges to the optimum.
    """
    stats_ = _statistics(data)
    m0, s0, a0, b0 = validate_priors(mu_prior, sigma_prior)
    n = stats_.n
    xbar = np.asarray(stats_.mean, dtype=np.float64)
    squares_data = np.asarray(stats_.sum_sq_dev, dtype=np.float64)
    if n < 2 or not np.all(squares_data > 0):
        raise ValueError("data must hold at least two different values")
    if n <= a0:  # the update of sigma_loc below divides by n - a0 + (something positive)
        raise ValueError(f"data must hold more points than the sigma prior's concentration ({a0})")

    def best_q_mu(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e_inv_var = np.exp(-2 * loc + 2 * scale**2)  # E_q[1 / sigma^2]
        precision = n * e_inv_var + 1 / s0**2
        return (n * e_inv_var * xbar + m0 / s0**2) / precision, 1 / np.sqrt(precision)

    loc = 0.5 * np.log(squares_data / n)  # log of the sample sd: where the optimum lies
    scale = np.full_like(loc, 1 / np.sqrt(2.0 * n))  # the sd of log(sample sd)
    for _ in range(_MAX_ITERATIONS):
        mu_loc, mu_scale = best_q_mu(loc, scale)
        squares = squares_data + n * ((xbar - mu_loc) ** 2 + mu_scale**2)
        e_sigma = np.exp(loc + scale**2 / 2)
        new_loc = scale**2 + 0.5 * np.log(squares / (n - a0 + b0 * e_sigma))
        new_scale = 1 / np.sqrt(2 * squares * np.exp(-2 * new_loc + 2 * scale**2) + b0 * e_sigma)
        change = max(np.max(np.abs(new_loc - loc)), np.max(np.abs(np.log(new_scale / scale))))
        loc, scale = new_loc, new_scale
        if change < 1e-12:
            break
    else:
        raise RuntimeError(f"the optimum was not reached in {_MAX_ITERATIONS} iterations")
    mu_loc, mu_scale = best_q_mu(loc, scale)
    elbo = normal_lognormal_elbo(stats_, mu_loc, mu_scale, loc, scale, mu_prior, sigma_prior)
    fields = (mu_loc, mu_scale, loc, scale, elbo)
    if xbar.ndim == 0:  # one data set: plain floats
        return NormalLogNormalGuide(*(float(value) for value in fields))
    return NormalLogNormalGuide(*fields)


def _prior_pairs(
    priors: tuple[float, float, float, float],
) -> tuple[tuple[float, float], tuple[float, float]]:
    return (priors[0], priors[1]), (priors[2], priors[3])


def _function_point_step(
    function: Callable[[np.ndarray], float], point: object, step: float
) -> tuple[np.ndarray, float]:
    """Validate the arguments of the finite-difference derivatives: (point as float64, step)."""
    x = as_float_array(point, "point")
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"point must be a non-empty 1-D array, got shape {x.shape}")
    return x, as_positive_float(step, "step")


def hessian(
    function: Callable[[np.ndarray], float], point: object, step: float = 1e-4
) -> np.ndarray:
    """Hessian of a scalar function at `point` by central differences (symmetric, float64)."""
    x, step = _function_point_step(function, point, step)
    d = x.size
    basis = np.eye(d) * step
    result = np.empty((d, d))
    for i in range(d):
        for j in range(i, d):
            value = (
                function(x + basis[i] + basis[j])
                - function(x + basis[i] - basis[j])
                - function(x - basis[i] + basis[j])
                + function(x - basis[i] - basis[j])
            ) / (4 * step**2)
            result[i, j] = result[j, i] = float(value)
    if not np.all(np.isfinite(result)):
        raise ValueError("the function is not finite around point: is it inside the domain?")
    return result


def gradient(
    function: Callable[[np.ndarray], float], point: object, step: float = 1e-4
) -> np.ndarray:
    """Gradient of a scalar function at `point` by central differences (float64)."""
    x, step = _function_point_step(function, point, step)
    basis = np.eye(x.size) * step
    result = np.array(
        [float(function(x + e) - function(x - e)) / (2 * step) for e in basis], dtype=np.float64
    )
    if not np.all(np.isfinite(result)):
        raise ValueError("the function is not finite around point: is it inside the domain?")
    return result


def sgd_path_normal_gamma(
    data: object,
    start: tuple[float, float, float, float],
    lr: float,
    momentum: float,
    num_steps: int,
    mu_prior: tuple[float, float] = MU_PRIOR,
    sigma_prior: tuple[float, float] = SIGMA_PRIOR,
) -> np.ndarray:
    """The path of SGD with momentum on -ELBO of the Normal x Gamma guide, with the exact gradient.

    It moves in the coordinates Pyro optimises, (mu_loc, log mu_scale, log shape, log rate), with
    torch's update (buffer = momentum * buffer + gradient; z -= lr * buffer). `start` is
    (mu_loc, mu_scale, shape, rate); returns them at every step, shape (num_steps + 1, 4).
    """
    stats_ = _statistics(data)
    if len(start) != 4:
        raise ValueError("start must be (mu_loc, mu_scale, shape, rate)")
    mu_loc = float(as_float_array(start[0], "start[0] (mu_loc)"))
    positives = [
        float(as_float_array(v, f"start[{i + 1}]", positive=True)) for i, v in enumerate(start[1:])
    ]
    if positives[1] <= 2:
        raise ValueError("the shape in start must be above 2, where the ELBO is finite")
    lr = as_positive_float(lr, "lr")
    momentum = float(momentum)
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    num_steps = as_integer(num_steps, "num_steps")
    priors = validate_priors(mu_prior, sigma_prior)
    z = np.array([mu_loc, *np.log(positives)])
    buffer = np.zeros(4)
    path = np.empty((num_steps + 1, 4))
    path[0] = z
    with np.errstate(all="ignore"):
        for step in range(num_steps):
            buffer = momentum * buffer - _gamma_gradient(stats_, z, priors)  # loss = -ELBO
            z = z - lr * buffer
            path[step + 1] = z
    if not np.all(np.isfinite(path)) or not np.all(np.exp(path[:, 2]) > 2):
        raise ValueError("the path left the region where the ELBO is finite: lower lr")
    path[:, 1:] = np.exp(path[:, 1:])
    return path


def condition_number(matrix: object, precondition: bool = False) -> float:
    """Largest over smallest eigenvalue of a symmetric positive definite matrix.

    With `precondition=True` the matrix is first rescaled to unit diagonal, D^-1/2 H D^-1/2: what
    is left is the ill-conditioning that no per-parameter step size (as in Adam) can remove.
    """
    h = as_float_array(matrix, "matrix")
    if h.ndim != 2 or h.shape[0] != h.shape[1] or h.shape[0] == 0:
        raise ValueError(f"matrix must be square, got shape {h.shape}")
    if not np.allclose(h, h.T, rtol=1e-6, atol=1e-12 * np.abs(h).max()):
        raise ValueError("matrix must be symmetric")
    if precondition:
        diagonal = np.diag(h)
        if not np.all(diagonal > 0):
            raise ValueError("matrix must have a positive diagonal to be preconditioned")
        h = h / np.sqrt(np.outer(diagonal, diagonal))
    eigenvalues = np.linalg.eigvalsh(h)
    if eigenvalues[0] <= 0:
        raise ValueError("matrix must be positive definite (a minimum of the loss)")
    return float(eigenvalues[-1] / eigenvalues[0])
