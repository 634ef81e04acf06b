"""The figures of notebook 07 (diagnostics for variational inference), so that its cells stay short.

- `plot_training_run`: the loss with its running mean and median, the gradient norms, and the
  traces of the guide's two sds against the exact posterior's.
- `plot_nuts_check`: ArviZ's rank plots of the NUTS chains, and the NUTS draws, the exact
  posterior and the fitted guide, per parameter.
- `plot_importance_weights`: the log weights of several guides, and k-hat over repeated draws
  against the sample-size-dependent threshold.
- `plot_predictive_checks`: ArviZ's posterior predictive plot and its test-statistic plots.
- `plot_sbc_ecdf`: simulation-based calibration ranks as ArviZ's ECDF-difference plots, with
  simultaneous bands.

Every function returns the figure; the notebook shows it with `plt.show()`. Legends are placed
clear of the data (below the panels, or in head-room made for them).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ._validation import as_data_array, as_finite_float, as_integer
from .diagnostics import PARAMETERS, k_hat_threshold, sbc_ecdf_points
from .posterior import ExactPosterior

GUIDE_COLOURS = ("C0", "C3", "C2", "C1", "C4")  # the optimum blue, a failing guide red


def _arviz() -> Any:
    """ArviZ, imported on first use rather than with this module: the notebooks import this module
    before `setup()`, which filters ArviZ 0.23's import-time notice of its 1.0 refactor."""
    import arviz

    return arviz


@contextmanager
def _arviz_on_matplotlib_3_11() -> Iterator[None]:
    """ArviZ 0.23's `plot_ppc` and `plot_bpv` call a matplotlib helper in a way matplotlib 3.11
    deprecates (for removal in 3.13); the notice is for ArviZ's authors, not the learner, so this
    hides that one warning and nothing else."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message="Passing a dict or None as alias_mapping to normalize_kwargs",
            category=DeprecationWarning,
        )
        yield


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


def _posterior_draws(idata: object) -> dict[str, np.ndarray]:
    """The draws of mu and sigma in an InferenceData's posterior, all chains pooled."""
    posterior = getattr(idata, "posterior", None)
    if posterior is None:
        raise TypeError("idata must be an ArviZ InferenceData with a posterior group")
    missing = [name for name in PARAMETERS if name not in posterior]
    if missing:
        raise ValueError(f"idata's posterior lacks {', '.join(missing)}")
    return {name: np.asarray(posterior[name]).reshape(-1) for name in PARAMETERS}


def plot_nuts_check(idata: object, q: Mapping[str, Any], exact: ExactPosterior) -> Figure:
    """Four panels: ArviZ's rank plots of the chains of mu and sigma (top), and per parameter a
    histogram of all the NUTS draws with the exact density and the guide's (bottom).

    `idata` is the InferenceData of the NUTS run (`az.from_pyro`, chains joined with `az.concat`);
    `q` maps "mu" and "sigma" to frozen scipy distributions (the guide's marginals, as
    `helpers.diagnostics.guide_marginals` makes them).
    """
    draws = _posterior_draws(idata)
    exact = _check_exact(exact)
    if not isinstance(q, Mapping):
        raise TypeError(f"q must be a mapping of parameter name to distribution, got {type(q)}")
    for name in PARAMETERS:
        if not hasattr(q.get(name), "pdf"):
            raise TypeError(f"q[{name!r}] must be a distribution with a pdf method")
    az = _arviz()
    num_chains = int(idata.posterior.sizes["chain"])  # type: ignore[attr-defined]
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5))
    az.plot_rank(idata, var_names=list(PARAMETERS), ax=axes[0])
    for ax, name in zip(axes[0], PARAMETERS, strict=True):
        ax.set(title=f"Rank plot of {name} ({num_chains} chains)", xlabel="rank of the draw")
    panels = [
        ("mu", exact.mu_mean, exact.mu_sd, exact.mu_grid, exact.mu_density),
        ("sigma", exact.sigma_mean, exact.sigma_sd, exact.sigma_grid, exact.sigma_density),
    ]
    for ax, (name, mean, sd, grid, density) in zip(axes[1], panels, strict=True):
        x = np.linspace(mean - 4.5 * sd, mean + 4.5 * sd, 400)
        ax.hist(draws[name], bins=40, density=True, color="C2", alpha=0.35, label="NUTS draws")
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
    k_hat_repeats: Mapping[str, tuple[int, object]],
) -> Figure:
    """Two panels: each guide's log weights minus the log evidence, and k-hat over repeated draws.

    `log_weights` and `k_hats` map each guide's label to its log weights and its k-hat;
    `k_hat_repeats` maps a row label to (S, the k-hat of each of several independent sets of S
    draws), drawn as one row of points with that S's threshold, min(1 - 1/log10 S, 0.7).
    """
    weights = _vectors(log_weights, "log_weights")
    if not isinstance(k_hats, Mapping) or set(map(str, k_hats)) != set(weights):
        raise ValueError("k_hats must map the same labels as log_weights to numbers")
    log_evidence = as_finite_float(log_evidence, "log_evidence")
    if not isinstance(k_hat_repeats, Mapping) or not k_hat_repeats:
        raise TypeError("k_hat_repeats must be a non-empty mapping of label to (S, k-hats)")
    rows = {}
    for label, value in k_hat_repeats.items():
        if not (isinstance(value, tuple) and len(value) == 2):
            raise TypeError(f"k_hat_repeats[{label!r}] must be a pair (S, k-hats)")
        rows[str(label)] = (
            as_integer(value[0], f"k_hat_repeats[{label!r}] S", minimum=2),
            as_data_array(value[1], f"k_hat_repeats[{label!r}] k-hats"),
        )
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
        title="Log weights of the guides (10,000 draws each)",
        xlabel="log w - log p(x) (nats)",
        ylabel="density",
        yscale="log",
        ylim=(lowest, None),
    )
    ax = axes[1]
    jitter = np.random.default_rng(0)  # spreads the points of a row apart; not data
    for row, (size, values) in enumerate(rows.values()):
        y = row + jitter.uniform(-0.25, 0.25, values.size)
        ax.plot(values, y, "o", color="C0", alpha=0.5, ms=4, label="_k-hat")
        threshold = k_hat_threshold(size)
        ax.plot([threshold] * 2, [row - 0.4, row + 0.4], color="C3", lw=2.5, label="_threshold")
    ax.set_yticks(range(len(rows)), list(rows))
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set(title="k-hat over repeated draws", xlabel="k-hat")
    handles = [
        Line2D([], [], ls="", marker="o", color="C0", alpha=0.5, label="k-hat of one set of draws"),
        Line2D([], [], color="C3", lw=2.5, label="threshold min(1 - 1/log10 S, 0.7)"),
    ]
    axes[0].legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    ax.legend(handles=handles, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16))
    fig.tight_layout()
    return fig


def plot_predictive_checks(
    idata: object,
    statistics: Mapping[str, Callable[..., Any]],
    p_values: Mapping[str, float],
    num_pp_samples: int = 50,
) -> Figure:
    """ArviZ's posterior predictive plot, then one ArviZ test-statistic plot per statistic.

    `idata` holds `posterior_predictive` and `observed_data` for the site "obs"; `statistics` maps
    a name to a function of an array that reduces its last axis (such as `np.min`); `p_values` maps
    the same names to the p-value P(T(x_rep) >= T(x)), shown in each panel's title (ArviZ's own
    label would show the other tail, P(T(x_rep) <= T(x)), so it is switched off).
    """
    if getattr(idata, "posterior_predictive", None) is None:
        raise TypeError("idata must be an InferenceData with a posterior_predictive group")
    if not isinstance(statistics, Mapping) or not statistics:
        raise TypeError("statistics must be a non-empty mapping of name to function")
    if not isinstance(p_values, Mapping) or set(p_values) != set(statistics):
        raise ValueError("p_values must map the same statistics as statistics to numbers")
    num_pp_samples = as_integer(num_pp_samples, "num_pp_samples")
    az = _arviz()
    observed = np.asarray(idata.observed_data["obs"])  # type: ignore[attr-defined]
    fig, axes = plt.subplots(1, 1 + len(statistics), figsize=(4.2 * (1 + len(statistics)), 4.2))
    with _arviz_on_matplotlib_3_11():
        az.plot_ppc(idata, num_pp_samples=num_pp_samples, random_seed=0, ax=axes[0], legend=False)
    axes[0].set(
        title="Density of the data and of replicates",
        xlabel="x",
        ylabel="density",
    )
    for ax, (name, statistic) in zip(axes[1:], statistics.items(), strict=True):
        if not callable(statistic):
            raise TypeError(f"statistics[{name!r}] must be a function")
        with _arviz_on_matplotlib_3_11():
            az.plot_bpv(
                idata,
                kind="t_stat",
                t_stat=lambda values, f=statistic: f(values, axis=-1),
                bpv=False,
                ax=ax,
            )
        ax.axvline(float(statistic(observed)), color="C3", lw=2)
        p = as_finite_float(p_values[name], "p_values")
        ax.set(title=f"{name} of a data set (p = {p:.2f})", xlabel=name, ylabel="density")
    handles = [
        Line2D([], [], color="C0", alpha=0.5, label=f"replicated data ({num_pp_samples} sets)"),
        Line2D([], [], color="k", label="observed data"),
        Line2D([], [], color="C1", ls="--", label="mean of the replicates"),
        Line2D([], [], color="C3", lw=2, label="T(observed data)"),
    ]
    fig.tight_layout(rect=(0, 0.1, 1, 1))  # the bottom tenth holds the legend
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize="small")
    return fig


def plot_sbc_ecdf(
    ranks: Mapping[tuple[str, str], object], num_draws: int, prob: float = 0.99
) -> Figure:
    """SBC ranks as ArviZ ECDF-difference plots with simultaneous `prob` bands: one column per
    guide, one row per parameter.

    `ranks` maps (guide label, parameter name) to the ranks of the true value among `num_draws`
    draws (`helpers.diagnostics.simulate_sbc`); they become fractions in (0, 1] and are compared
    with the uniform distribution at the ends of 20 equal bins (`sbc_ecdf_points`).
    """
    if not isinstance(ranks, Mapping) or not ranks:
        raise TypeError("ranks must be a non-empty mapping of (guide, parameter) to ranks")
    for key in ranks:
        if not (isinstance(key, tuple) and len(key) == 2):
            raise TypeError("ranks must map (guide, parameter) pairs to ranks")
    num_draws = as_integer(num_draws, "num_draws")
    prob = as_finite_float(prob, "prob")
    az = _arviz()
    guides = list(dict.fromkeys(label for label, _ in ranks))
    names = list(dict.fromkeys(name for _, name in ranks))
    fig, axes = plt.subplots(
        len(names), len(guides), figsize=(6 * len(guides), 3.2 * len(names)), squeeze=False
    )
    for (label, name), r in ranks.items():
        ax = axes[names.index(name), guides.index(label)]
        values, eval_points = sbc_ecdf_points(r, num_draws)
        color = GUIDE_COLOURS[guides.index(label) % len(GUIDE_COLOURS)]
        az.plot_ecdf(
            values,
            cdf=lambda u: np.clip(u, 0.0, 1.0),  # the uniform distribution on (0, 1)
            eval_points=eval_points,
            difference=True,
            confidence_bands="optimized",
            ci_prob=prob,
            plot_kwargs={"color": color},
            ax=ax,
        )
        ax.axhline(0, color="k", lw=0.8)
        ax.set(
            title=f"{label} guide: rank of the true {name}",
            xlabel=f"(rank + 1) / {num_draws + 1}",
            ylabel="ECDF - uniform CDF",
        )
    handles = [
        Line2D([], [], color=GUIDE_COLOURS[i % len(GUIDE_COLOURS)], label=f"{guide} guide")
        for i, guide in enumerate(guides)
    ]
    handles.append(Patch(color="C0", alpha=0.2, label=f"simultaneous {prob:.0%} band if uniform"))
    fig.tight_layout(rect=(0, 0.07, 1, 1))  # the bottom strip holds the legend
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize="small")
    return fig
