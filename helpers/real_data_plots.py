"""Figures of notebook 08 (Newcomb's speed of light) that the lesson does not teach how to draw.

- `plot_newcomb`: the measurements in order and as a histogram, with the accepted value.
- `plot_prior_predictive`: the mean and sd of data sets simulated from the prior, and the data's.
- `plot_location_posteriors`: the posterior of the travel time mu under the normal and the
  Student-t model, with their 95% intervals and the accepted value.
- `plot_loo_check`: each measurement's Pareto k-hat from PSIS-LOO, for each model, and the error
  of its PSIS estimate of log p(x_i | x_-i) against the exact value.

Units are the data's (`helpers.newcomb.UNIT`); what is only a choice of presentation (the bin
width, which values to circle, the range shown) the notebook passes. Every legend lies outside
the plotted data.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from . import diagrams
from ._validation import (
    as_data_array,
    as_data_sets,
    as_finite_float,
    as_pair,
    as_positive_float,
)
from .newcomb import ACCEPTED_VALUE, UNIT
from .posterior import ExactPosterior

_TIME_LABEL = f"time ({UNIT})"


def plot_newcomb(
    data: object, accepted: float = ACCEPTED_VALUE, *, low_below: float, bin_width: float
) -> Figure:
    """Two panels: the measurements in recorded order (values below `low_below` circled), and
    their histogram (bins `bin_width` ns wide) with the sample mean; both with the accepted value.
    """
    values = as_data_array(data)
    accepted = as_finite_float(accepted, "accepted")
    low_below = as_finite_float(low_below, "low_below")
    width = as_positive_float(bin_width, "bin_width")
    order = np.arange(1, values.size + 1)
    is_low = values < low_below
    accepted_label = f"accepted value ({accepted:g})"
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    axes[0].plot(order, values, "o-", ms=4, lw=0.5, label="measurement")
    axes[0].plot(
        order[is_low], values[is_low], "o", ms=11, mfc="none", mec="C3", mew=2, label="low values"
    )
    axes[0].axhline(accepted, color="C2", ls="--", label=accepted_label)
    axes[0].set(title="Newcomb's third series, in order", xlabel="measurement number")
    axes[0].set_ylabel(_TIME_LABEL)
    bins = np.arange(values.min() - width, max(values.max(), accepted) + 2 * width, width)
    axes[1].hist(values, bins=bins, alpha=0.6, label="measurements")
    axes[1].axvline(values.mean(), color="C1", ls=":", lw=2, label="sample mean")
    axes[1].axvline(accepted, color="C2", ls="--", label=accepted_label)
    axes[1].set(title="Histogram", xlabel=_TIME_LABEL, ylabel="count")
    axes[0].legend(loc="lower right", fontsize="small")
    axes[1].legend(loc="upper left", fontsize="small")
    return fig


def plot_prior_predictive(
    simulated: object, data: object, data_label: str = "Newcomb's data"
) -> Figure:
    """`helpers.diagrams.plot_prior_predictive` for Newcomb's data, in its units: `simulated` has
    shape (data sets, len(data))."""
    x = as_data_array(data)
    sims = as_data_sets(simulated, "simulated", n=x.size, min_sets=2)
    return diagrams.plot_prior_predictive(
        sims, x, data_label=data_label, mean_unit=UNIT, sd_unit="ns"
    )


def plot_location_posteriors(
    normal: ExactPosterior,
    t_svi: tuple[float, float],
    t_nuts: object,
    accepted: float = ACCEPTED_VALUE,
    *,
    xlim: tuple[float, float],
) -> Figure:
    """The posterior of mu: the normal model's exact density, the Student-t model's by SVI (a
    Normal with mean and sd `t_svi`) and by NUTS (draws `t_nuts`), 95% intervals below the axis,
    and the accepted value."""
    if not isinstance(normal, ExactPosterior):
        raise TypeError(f"normal must be an ExactPosterior, got {type(normal).__name__}")
    svi_mean, svi_sd = as_pair(t_svi, "t_svi")
    svi_mean, svi_sd = as_finite_float(svi_mean, "t_svi[0]"), as_positive_float(svi_sd, "t_svi[1]")
    draws = as_data_array(t_nuts, "t_nuts")
    accepted = as_finite_float(accepted, "accepted")
    left, right = (as_finite_float(end, "xlim") for end in as_pair(xlim, "xlim"))
    if not left < right:
        raise ValueError(f"xlim must be increasing, got {xlim}")
    grid = np.linspace(left, right, 400)
    normal_low, normal_high = normal.interval("mu", 0.95)
    t_low, t_high = np.quantile(draws, [0.025, 0.975])
    fig, ax = plt.subplots(figsize=(9, 4.6), layout="constrained")
    ax.plot(normal.mu_grid, normal.mu_density, "C0", lw=2, label="normal model (exact)")
    ax.hist(draws, bins=40, density=True, color="C1", alpha=0.4, label="Student-t model (NUTS)")
    ax.plot(grid, stats.norm.pdf(grid, svi_mean, svi_sd), "C1", lw=2, label="Student-t model (SVI)")
    peak = max(normal.mu_density.max(), stats.norm.pdf(0.0, 0.0, svi_sd))
    ax.hlines(-0.06 * peak, normal_low, normal_high, color="C0", lw=5, label="normal: 95% interval")
    ax.hlines(-0.12 * peak, t_low, t_high, color="C1", lw=5, label="Student-t: 95% interval (NUTS)")
    ax.axvline(accepted, color="C2", ls="--", lw=2, label=f"accepted value ({accepted:g})")
    ax.set(
        title="Posterior of the travel time mu",
        xlabel=f"mu ({UNIT})",
        ylabel="density",
        xlim=(left, right),
    )
    fig.legend(loc="outside lower center", ncol=3, fontsize="small")
    return fig


def plot_loo_check(
    data: object,
    k_hat: Mapping[str, object],
    psis_error: Mapping[str, object],
    threshold: float,
) -> Figure:
    """Two panels, one point per measurement and model: Pareto k-hat against the measurement (the
    `threshold` as a line), and the PSIS estimate of log p(x_i | x_-i) minus the exact one.

    `k_hat` and `psis_error` map a model's name to one value per measurement; the names must be
    the same. The lowest measurement is labelled in both panels.
    """
    x = as_data_array(data)
    threshold = as_finite_float(threshold, "threshold")
    if not isinstance(k_hat, Mapping) or not k_hat:
        raise TypeError("k_hat must be a non-empty mapping of model name to values")
    if not isinstance(psis_error, Mapping) or set(psis_error) != set(k_hat):
        raise ValueError("psis_error must map the same model names as k_hat")
    panels = [
        {name: as_data_array(v, f"{label}[{name!r}]") for name, v in values.items()}
        for label, values in (("k_hat", k_hat), ("psis_error", psis_error))
    ]
    for arrays in panels:
        for name, array in arrays.items():
            if array.size != x.size:
                raise ValueError(f"{name!r} needs one value per measurement ({x.size})")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    lowest = int(np.argmin(x))
    for index, name in enumerate(k_hat):
        for ax, arrays in zip(axes, panels, strict=True):
            ax.plot(x, arrays[name], "o", color=f"C{index}", ms=5, alpha=0.7, label=name)
            ax.annotate(
                f"{x[lowest]:g}",
                (x[lowest], arrays[name][lowest]),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize="small",
            )
    axes[0].axhline(threshold, color="k", ls="--", lw=1, label=f"threshold ({threshold:.2f})")
    axes[1].axhline(0.0, color="k", lw=1, label="exact")
    axes[0].set(
        title="Pareto k-hat of each measurement",
        xlabel=f"measurement ({UNIT})",
        ylabel="k-hat",
    )
    axes[1].set(
        title="PSIS-LOO minus exact leave-one-out",
        xlabel=f"measurement ({UNIT})",
        ylabel="error in log p(x_i | others) (nats)",
    )
    for ax in axes:  # below each panel, off the points
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize="small")
    return fig
