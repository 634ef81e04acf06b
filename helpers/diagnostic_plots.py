"""The figures of notebook 07 (diagnostics for variational inference), so that its cells stay short.

- `plot_training_run`: the loss with its running mean and median, the gradient norms, and the
  traces of the guide's two sds against the exact posterior's.
- `plot_posterior_comparison`: NUTS draws, the exact posterior and the fitted guide, per parameter.
- `plot_importance_weights`: the log weights of several guides, and k-hat estimates from few draws.
- `plot_predictive_checks`: replicated test statistics against the observed ones.
- `plot_rank_histograms`: simulation-based calibration ranks, with the band expected if uniform.

Every function returns the figure; the notebook shows it with `plt.show()`. Legends are placed
clear of the data (below the panels, or in head-room made for them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ._validation import as_data_array, as_finite_float, as_integer
from .diagnostics import PARAMETERS, RankHistogram
from .posterior import ExactPosterior

GUIDE_COLOURS = ("C0", "C3", "C2", "C1", "C4")  # the optimum blue, a failing guide red


def _vectors(values: object, name: str, length: int | None = None) -> dict[str, np.ndarray]:
    """A non-empty mapping of label -> 1-D finite array, optionally all of `length` values."""
    if not isinstance(values, Mapping) or not values:
        raise TypeError(f"{name} must be a non-empty mapping of label to values")
    arrays = {str(label): as_data_array(v, f"{name}[{label!r}]") for label, v in values.items()}
    for label, array in arrays.items():
        if length is not None and array.size != length:
            raise ValueError(f"{name}[{label!r}] must hold {length} values, got {array.size}")
    return arrays


def _check_exact(exact: object) -> ExactPosterior:
    if not isinstance(exact, ExactPosterior):
        raise TypeError(f"exact must be an ExactPosterior, got {type(exact).__name__}")
    return exact


def _lognormal_sd(loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The sd of LogNormal(loc, scale)."""
    return np.exp(loc + scale**2 / 2) * np.sqrt(np.expm1(scale**2))


def plot_training_run(
    losses: object,
    grad_norms: Mapping[str, object],
    history: Mapping[str, object],
    exact: ExactPosterior,
    window: int = 25,
) -> Figure:
    """Four panels: loss (raw, running mean and median), gradient norms, and the sds of q's traces.

    `grad_norms` maps each parameter to its gradient norm at every step; `history` maps each
    parameter of the Normal x LogNormal guide (`mu_scale`, `sigma_loc`, `sigma_scale` at least)
    to its value at every step. The loss is drawn above its floor, -log evidence, and the sds of
    q(mu) and q(sigma) against the exact posterior sds.
    """
    x = as_data_array(losses, "losses", min_size=2)
    exact = _check_exact(exact)
    window = as_integer(window, "window")
    if window > x.size:
        raise ValueError(f"window ({window}) must not exceed the number of steps ({x.size})")
    norms = _vectors(grad_norms, "grad_norms", length=x.size)
    traces = _vectors(history, "history", length=x.size)
    missing = {"mu_scale", "sigma_loc", "sigma_scale"} - set(traces)
    if missing:
        raise ValueError(f"history lacks the parameter(s) {', '.join(sorted(missing))}")
    steps = np.arange(1, x.size + 1)
    windows = np.lib.stride_tricks.sliding_window_view(x, window)
    floor = -exact.log_evidence
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5))
    ax = axes[0, 0]
    ax.plot(steps, x, color="0.7", lw=0.8, label="loss at each step")
    smoothed = {"running mean": windows.mean(axis=1), "running median": np.median(windows, axis=1)}
    for (label, values), style in zip(smoothed.items(), ["C0", "C1--"], strict=True):
        ax.plot(steps[window - 1 :], values, style, label=f"{label} ({window} steps)")
    ax.axhline(floor, color="k", ls=":", label="-log evidence (the floor)")
    ax.set(title="Loss (-ELBO)", xlabel="step", ylabel="loss (nats)", ylim=(floor - 0.5, floor + 6))
    ax = axes[0, 1]
    for name, norm in norms.items():
        ax.plot(steps, norm, lw=0.8, label=name)
    ax.set(title="Gradient norms (unconstrained)", xlabel="step", ylabel="|gradient|", yscale="log")
    ax.set_ylim(top=100 * max(norm.max() for norm in norms.values()))  # room for the legend
    sigma_sd = _lognormal_sd(traces["sigma_loc"], traces["sigma_scale"])
    for ax, trace, target, label in [
        (axes[1, 0], traces["mu_scale"], exact.mu_sd, "sd of q(mu)"),
        (axes[1, 1], sigma_sd, exact.sigma_sd, "sd of q(sigma)"),
    ]:
        ax.plot(steps, trace, "C0", label="guide")
        ax.axhline(target, color="k", ls="--", label="exact posterior sd")
        low, high = min(trace.min(), target), max(trace.max(), target)
        ax.set_ylim(low - 0.05 * (high - low), high + 0.3 * (high - low))  # room for the legend
        ax.set(title=f"Trace of the {label}", xlabel="step", ylabel=label)
    for ax in axes.flat:
        ax.legend(fontsize="small", ncol=1 if ax is axes[0, 0] else 2, loc="upper right")
    fig.tight_layout()
    return fig


def plot_posterior_comparison(
    nuts: Mapping[str, object], q: Mapping[str, Any], exact: ExactPosterior
) -> Figure:
    """Two panels, mu and sigma: a histogram of NUTS draws, the exact density and the guide's.

    `nuts` maps "mu" and "sigma" to MCMC draws; `q` maps them to frozen scipy distributions (the
    guide's marginals, as `helpers.diagnostics.guide_marginals` makes them).
    """
    draws = _vectors(nuts, "nuts")
    exact = _check_exact(exact)
    if not isinstance(q, Mapping):
        raise TypeError(f"q must be a mapping of parameter name to distribution, got {type(q)}")
    for name in PARAMETERS:
        if name not in draws:
            raise ValueError(f"nuts lacks the draws of {name!r}")
        if not hasattr(q.get(name), "pdf"):
            raise TypeError(f"q[{name!r}] must be a distribution with a pdf method")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    panels = [
        ("mu", exact.mu_mean, exact.mu_sd, exact.mu_grid, exact.mu_density),
        ("sigma", exact.sigma_mean, exact.sigma_sd, exact.sigma_grid, exact.sigma_density),
    ]
    for ax, (name, mean, sd, grid, density) in zip(axes, panels, strict=True):
        x = np.linspace(mean - 4.5 * sd, mean + 4.5 * sd, 400)
        ax.hist(draws[name], bins=30, density=True, color="C2", alpha=0.35, label="NUTS draws")
        ax.plot(grid, density, "k", lw=3, alpha=0.4, label="exact posterior")
        ax.plot(x, q[name].pdf(x), "C1--", label="fitted guide")
        ax.set(title=f"Posterior of {name}", xlabel=name, ylabel="density", xlim=(x[0], x[-1]))
        ax.set_ylim(0, 1.4 * ax.get_ylim()[1])  # room for the legend above the densities
        ax.legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    return fig


def plot_importance_weights(
    log_weights: Mapping[str, object],
    k_hats: Mapping[str, float],
    log_evidence: float,
    k_hat_few: object,
    k_hat_many: float,
    few_draws: int,
) -> Figure:
    """Two panels: each guide's log weights minus the log evidence, and k-hat from few draws.

    `log_weights` and `k_hats` map each guide's label to its log weights and its k-hat;
    `k_hat_few` holds repeated k-hat estimates of one guide from `few_draws` draws each, and
    `k_hat_many` that guide's k-hat from all its draws. The thresholds 0.5 and 0.7 are marked.
    """
    weights = _vectors(log_weights, "log_weights")
    if not isinstance(k_hats, Mapping) or set(map(str, k_hats)) != set(weights):
        raise ValueError("k_hats must map the same labels as log_weights to numbers")
    log_evidence = as_finite_float(log_evidence, "log_evidence")
    few = as_data_array(k_hat_few, "k_hat_few", min_size=2)
    k_hat_many = as_finite_float(k_hat_many, "k_hat_many")
    few_draws = as_integer(few_draws, "few_draws")
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    # Densities below `lowest` are not drawn: each bar starts there, so that on the log scale no
    # bar reaches down to 0 (minus infinity) under the legend below the panel.
    lowest, edges = 1e-4, np.linspace(-25, 1, 81)
    for index, (label, lw) in enumerate(weights.items()):
        density, _ = np.histogram(lw - log_evidence, bins=edges, density=True)
        axes[0].stairs(
            np.maximum(density, lowest),
            edges,
            baseline=lowest,
            fill=True,
            alpha=0.5,
            color=GUIDE_COLOURS[index % len(GUIDE_COLOURS)],
            label=f"{label}: k-hat {as_finite_float(k_hats[label], 'k_hats'):.2f}",
        )
    axes[0].axvline(0, color="k", ls="--", label="log evidence (a perfect q)")
    axes[0].set(
        title="Log weights of the guides",
        xlabel="log w - log p(x) (nats)",
        ylabel="density",
        yscale="log",
        ylim=(lowest, None),
    )
    axes[1].hist(few, bins=30, color="C0", alpha=0.6, label=f"{few_draws} draws each")
    axes[1].axvline(k_hat_many, color="C0", lw=2, label="from all the draws")
    for threshold, style in [(0.5, ":"), (0.7, "--")]:
        axes[1].axvline(threshold, color="k", ls=style, label=f"threshold {threshold}")
    axes[1].set(
        title=f"k-hat is noisy with few draws ({few.size} repeats)",
        xlabel="k-hat",
        ylabel="number of repeats",
    )
    for ax in axes:  # below the panels: every vertical line spans the whole height
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    fig.tight_layout()
    return fig


def plot_predictive_checks(
    replicated: Mapping[str, object], observed: Mapping[str, float], p_values: Mapping[str, float]
) -> Figure:
    """One panel per test statistic: its values on the replicated data sets and on the data.

    The three mappings are keyed by the statistic's name ("mean", "sd", ...); `replicated` holds
    the statistic of each replicated data set, `observed` its value on the data and `p_values` the
    posterior predictive p-value, shown in the panel's title.
    """
    simulated = _vectors(replicated, "replicated")
    for name, mapping in (("observed", observed), ("p_values", p_values)):
        if not isinstance(mapping, Mapping) or set(map(str, mapping)) != set(simulated):
            raise ValueError(f"{name} must map the same statistics as replicated to numbers")
    fig, axes = plt.subplots(1, len(simulated), figsize=(3.5 * len(simulated), 3.9), squeeze=False)
    for ax, (name, values) in zip(axes[0], simulated.items(), strict=True):
        ax.hist(values, bins=30, color="C0", alpha=0.6, label="replicated data")
        ax.axvline(as_finite_float(observed[name], "observed"), color="C3", lw=2, label="data")
        p = as_finite_float(p_values[name], "p_values")
        ax.set(
            title=f"{name} (p = {p:.2f})",
            xlabel=f"{name} of a data set",
            ylabel="number of replicates",
        )
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.tight_layout(rect=(0, 0.1, 1, 1))  # the bottom tenth holds the legend
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize="small")
    return fig


def plot_rank_histograms(
    histograms: Mapping[tuple[str, str], RankHistogram], num_draws: int
) -> Figure:
    """SBC rank histograms: one column per guide, one row per parameter, with the 99% band.

    `histograms` maps (guide label, parameter name) to `helpers.diagnostics.rank_histogram`'s
    result for ranks among `num_draws` draws.
    """
    if not isinstance(histograms, Mapping) or not histograms:
        raise TypeError("histograms must be a non-empty mapping of (guide, parameter) to counts")
    for key, h in histograms.items():
        if not (isinstance(key, tuple) and len(key) == 2) or not isinstance(h, RankHistogram):
            raise TypeError("histograms must map (guide, parameter) pairs to RankHistogram")
    num_draws = as_integer(num_draws, "num_draws")
    guides = list(dict.fromkeys(label for label, _ in histograms))
    names = list(dict.fromkeys(name for _, name in histograms))
    fig, axes = plt.subplots(
        len(names), len(guides), figsize=(6 * len(guides), 3.4 * len(names) + 0.6), squeeze=False
    )
    for (label, name), h in histograms.items():
        ax = axes[names.index(name), guides.index(label)]
        width = (num_draws + 1) / h.counts.size
        centres = (np.arange(h.counts.size) + 0.5) * width - 0.5
        color = GUIDE_COLOURS[guides.index(label) % len(GUIDE_COLOURS)]
        ax.bar(centres, h.counts, width=0.9 * width, color=color, alpha=0.8)
        ax.axhspan(*h.band, color="0.3", alpha=0.25, zorder=3)
        ax.axhline(h.counts.sum() / h.counts.size, color="k", lw=1, zorder=4)
        p_text = f"p = {h.p_value:.2g}" if h.p_value > 1e-10 else "p < 1e-10"
        ax.set(
            title=f"{label} guide: rank of the true {name} ({p_text})",
            xlabel=f"rank among {num_draws} draws",
            ylabel="count",
            ylim=(0, 1.1 * max(h.counts.max(), h.band[1])),
        )
    handles = [
        Patch(color=GUIDE_COLOURS[i % len(GUIDE_COLOURS)], alpha=0.8, label=f"{guide} guide")
        for i, guide in enumerate(guides)
    ]
    handles += [
        Patch(color="0.3", alpha=0.25, label="99% band if uniform"),
        Line2D([], [], color="k", lw=1, label="expected count if uniform"),
    ]
    rows = math.ceil(len(handles) / 4)
    fig.tight_layout(rect=(0, 0.05 * rows, 1, 1))
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize="small")
    return fig
