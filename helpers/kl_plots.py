"""The figures of notebook 06 (which way round the KL divergence goes), one function each.

Each function draws one figure from results the notebook has computed and returns it; the
notebook shows it with `plt.show()`. The lesson is in the numbers the notebook prints and checks;
these functions only keep the plotting code (colours, labels, legends placed clear of the data)
out of its cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from ._validation import as_float_array, as_positive_float
from .divergences import GaussianFit, as_grid


def _curve(values: Any, like: np.ndarray, name: str) -> np.ndarray:
    """`values` as a finite float array with the shape of `like`, or a clear error."""
    array = as_float_array(values, name)
    if array.shape != like.shape:
        raise ValueError(f"{name} has shape {array.shape}, expected {like.shape}")
    return array


def _normal_params(fit: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The "z_loc" and "z_scale" of a fitted Normal guide of the site "z", as float arrays."""
    if not isinstance(fit, Mapping) or "z_loc" not in fit or "z_scale" not in fit:
        raise TypeError(f"{name} must be a mapping with 'z_loc' and 'z_scale', got {fit!r}")
    loc = np.asarray(fit["z_loc"], dtype=np.float64)
    scale = np.asarray(fit["z_scale"], dtype=np.float64)
    if not (np.all(np.isfinite(loc)) and np.all(np.isfinite(scale)) and np.all(scale > 0)):
        raise ValueError(f"{name} needs a finite loc and a positive scale, got {loc}, {scale}")
    return loc, scale


def _non_empty(mapping: Any, name: str) -> Mapping:
    if not isinstance(mapping, Mapping) or not mapping:
        raise TypeError(f"{name} must be a non-empty mapping")
    return mapping


def plot_two_mode_fits(
    grid: Any,
    log_target: Any,
    fits: Mapping[float, Mapping[str, Any]],
    loc_paths: Mapping[float, Any],
    kl_pq_fit: GaussianFit,
    modes: tuple[float, float] = (-2.0, 2.0),
) -> Figure:
    """Two panels: the SVI fits of KL(q || p) from each start with the KL(p || q) fit over the
    target, and the mean of q during each SVI run.

    `fits` maps each start to the averaged guide parameters ("z_loc", "z_scale"); `loc_paths` maps
    the same starts to the loc of q at every step.
    """
    z = as_grid(grid)
    target = np.exp(_curve(log_target, z, "log_target"))
    fits = _non_empty(fits, "fits")
    if set(_non_empty(loc_paths, "loc_paths")) != set(fits):
        raise ValueError("loc_paths must have the same starts (keys) as fits")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    axes[0].fill_between(z, target, color="0.85", label="target p")
    for index, (start, fit) in enumerate(fits.items()):
        loc, scale = _normal_params(fit, f"fits[{start}]")
        colour = f"C{[0, 1, 3, 2, 4][index % 5]}"
        label = f"KL(q || p), SVI from {start:+g}"
        axes[0].plot(z, stats.norm.pdf(z, loc, scale), colour, label=label)
        path = np.asarray(loc_paths[start], dtype=np.float64).reshape(-1)
        axes[1].plot(path, colour, label=f"start {start:+g}")
    pq_density = stats.norm.pdf(z, kl_pq_fit.loc, kl_pq_fit.scale)
    axes[0].plot(z, pq_density, "k--", label="KL(p || q), quadrature")
    axes[0].set(title="Gaussian fits to a two-mode target", xlabel="z", ylabel="density")
    axes[0].set(xlim=(-6, 6), ylim=(0, 1.0))
    for index, mode in enumerate(modes):
        label = f"the modes, {modes[0]:+g} and {modes[1]:+g}" if index == 0 else None
        axes[1].axhline(mode, color="0.6", ls=":", label=label)
    axes[1].set(title="q's mean during SVI, KL(q || p)", xlabel="SVI step", ylabel="loc of q")
    axes[1].set_ylim(min(modes) - 1.5, max(modes) + 3)
    # Below the panel: how tall the narrow fits stand differs from seed to seed.
    axes[0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, fontsize="small")
    axes[1].legend(loc="upper right", fontsize="small", ncol=2)
    return fig


def plot_profiles(
    means: Any, profiles: Mapping[str, Any], stalled: tuple[float, float] | None = None
) -> Figure:
    """The profile of each divergence against q's mean (the best sd for each mean).

    `profiles` maps "kl_qp" and/or "kl_pq" to the profile at each of `means`; `stalled`, a pair
    (mean, divergence), marks where the symmetric start stalls.
    """
    m = as_grid(means, "means")
    labels = {"kl_qp": ("C0", "KL(q || p)"), "kl_pq": ("k--", "KL(p || q)")}
    profiles = _non_empty(profiles, "profiles")
    unknown = set(profiles) - set(labels)
    if unknown:
        raise ValueError(f"profiles keys must be 'kl_qp' or 'kl_pq', got {sorted(unknown)}")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    top = 0.0
    for key, values in profiles.items():
        curve = _curve(values, m, f"profiles[{key!r}]")
        style, name = labels[key]
        ax.plot(m, curve, style, label=f"{name}, best sd for each mean")
        top = max(top, curve.max())
    if stalled is not None:
        ax.plot(*stalled, "C3o", ms=8, label="where the symmetric start stalls")
    ax.set(title="Divergence against q's mean", xlabel="mean of q", ylabel="divergence (nats)")
    ax.set_ylim(0, 1.3 * top)  # head-room for the legend above the curves
    ax.legend(loc="upper center", fontsize="small")
    return fig


def plot_mean_field(
    covariance: Any, q_loc: Any, q_scale: Any, pq_scale: Any, rho: float | None = None
) -> Figure:
    """Two panels: 2-sd contours of a 2-D Gaussian target and of two mean-field fits, and the
    marginal of z1; one legend below both.

    `q_loc`, `q_scale` are the KL(q || p) fit's per-coordinate means and sds; `pq_scale` the
    KL(p || q) fit's sds (its means are the target's, zero).
    """
    cov = as_float_array(covariance, "covariance")
    if cov.shape != (2, 2) or not np.allclose(cov, cov.T):
        raise ValueError(f"covariance must be a symmetric 2 x 2 matrix, got shape {cov.shape}")
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError("covariance must be positive definite") from None
    pair = np.zeros(2)
    q_loc, q_scale = _normal_params({"z_loc": q_loc, "z_scale": q_scale}, "the KL(q || p) fit")
    _, pq_scale = _normal_params({"z_loc": pair, "z_scale": pq_scale}, "the KL(p || q) fit")
    for name, array in (("q_loc", q_loc), ("q_scale", q_scale), ("pq_scale", pq_scale)):
        if array.shape != (2,):
            raise ValueError(f"{name} must hold one value per coordinate, got shape {array.shape}")
    angle = np.linspace(0, 2 * np.pi, 200)
    circle = 2 * np.stack([np.cos(angle), np.sin(angle)])  # 2 sds from the mean, then scaled
    target_label = "target p" if rho is None else f"target p (rho = {rho:g})"
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    axes[0].fill(*(chol @ circle), color="0.85", label=target_label)
    axes[0].plot(*(q_loc[:, None] + q_scale[:, None] * circle), "C0", label="KL(q || p), SVI")
    axes[0].plot(*(pq_scale[:, None] * circle), "k--", label="KL(p || q), exact")
    axes[0].set(title="2-sd contours", xlabel="z1", ylabel="z2", xlim=(-3.2, 3.2), ylim=(-3.2, 3.2))
    axes[0].set_aspect("equal")
    sd_1 = np.sqrt(cov[0, 0])
    z1 = np.linspace(-4 * sd_1, 4 * sd_1, 400)
    axes[1].fill_between(z1, stats.norm.pdf(z1, 0, sd_1), color="0.85")
    axes[1].plot(z1, stats.norm.pdf(z1, q_loc[0], q_scale[0]), "C0")
    axes[1].plot(z1, stats.norm.pdf(z1, 0, pq_scale[0]), "k--")
    axes[1].set(title="Marginal of z1", xlabel="z1", ylabel="density")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3)
    return fig


def plot_renyi_fits(
    grid: Any,
    log_target: Any,
    fits: Mapping[float, Mapping[str, Any]],
    alpha_grid: Any,
    exact_scales: Any,
    kl_qp_scale: float,
    kl_pq_scale: float,
    start_loc: float,
) -> Figure:
    """Two panels: the RenyiELBO fits for each alpha over the target, and the fitted sd against
    alpha, exact (quadrature) and by SVI, with the two KL fits at alpha -> 1 and alpha -> 0.

    `fits` maps each alpha to the averaged guide parameters ("z_loc", "z_scale"); `exact_scales`
    holds the exact best sd at each of `alpha_grid`.
    """
    z = as_grid(grid)
    target = np.exp(_curve(log_target, z, "log_target"))
    fits = _non_empty(fits, "fits")
    alphas = as_grid(alpha_grid, "alpha_grid")
    exact = _curve(exact_scales, alphas, "exact_scales")
    kl_qp_scale = as_positive_float(kl_qp_scale, "kl_qp_scale")
    kl_pq_scale = as_positive_float(kl_pq_scale, "kl_pq_scale")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    axes[0].fill_between(z, target, color="0.85", label="target p")
    svi_scales = []
    for index, (alpha, fit) in enumerate(fits.items()):
        loc, scale = _normal_params(fit, f"fits[{alpha}]")
        colour = f"C{[0, 2, 4, 5, 6][index % 5]}"
        axes[0].plot(z, stats.norm.pdf(z, loc, scale), colour, label=f"alpha = {alpha:g}")
        svi_scales.append(float(scale))
    title = f"RenyiELBO fits (SVI), all from mean {start_loc:g}"
    axes[0].set(title=title, xlabel="z", ylabel="density", xlim=(-6, 6))
    axes[1].plot(alphas, exact, "k.", label="exact D_alpha(q || p) fit")
    axes[1].plot([1.0], [kl_qp_scale], "C0s", label="KL(q || p), alpha -> 1")
    axes[1].plot([0.0], [kl_pq_scale], "C3s", label="KL(p || q), alpha -> 0")
    axes[1].plot(list(fits), svi_scales, "C1o", mfc="none", ms=10, label="SVI with RenyiELBO")
    axes[1].set(title="Fitted sd of q against alpha", xlabel="alpha", ylabel="sd of q")
    axes[1].invert_xaxis()  # mode-seeking on the left, mass-covering on the right
    # Below the panel: how tall the narrow fits stand differs from seed to seed.
    axes[0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, fontsize="small")
    axes[1].legend(loc="lower right", fontsize="small")
    return fig
