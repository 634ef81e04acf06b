"""Bookkeeping and figures for the fits of notebooks 04 and 05, measured against the exact answer.

A fit is summarised by its parameter values (final, or averaged by `helpers.train`), turned
into the guide's two distributions (`fitted_q`), measured against the exact posterior (a row of a
`FitTable`: errors of the means in posterior sds, relative errors of the sds, and the KL
divergence from a 10,000-draw ELBO), and drawn. None of this is what the lessons teach; it keeps
their cells short.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pyro
import pyro.distributions as dist
import torch
from matplotlib.figure import Figure
from scipy import stats

from ._validation import as_data_array, as_integer
from .elbo_surface import NormalGammaGuide, normal_gamma_elbo
from .posterior import MU_PRIOR, ExactPosterior
from .training import estimate_elbo

_COLUMNS = ("mu mean", "mu sd", "sigma mean", "sigma sd")


def _as_scalar(value: object, name: str) -> float:
    """One finite float from a number, a 0-d array or a one-element tensor."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"params[{name!r}] must be a number") from None
    if array.size != 1 or not np.isfinite(array).all():
        raise ValueError(f"params[{name!r}] must be one finite number, got {value!r}")
    return float(array.reshape(()))


def fitted_q(params: Mapping[str, object]) -> tuple[dist.Normal, dist.TorchDistribution]:
    """q(mu) and q(sigma) in float64, from one value per parameter of a course guide.

    Knows the guides of notebooks 04 and 05: Normal x Gamma(sigma_shape, sigma_rate), Normal x
    Gamma by (sigma_mean, sigma_concentration) and Normal x LogNormal(sigma_loc, sigma_scale).
    (An AutoNormal's are these last four, read through the guide: `guide.locs.mu`, ...)
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of parameter values, got {type(params).__name__}")
    names = set(params)
    kinds = {"mu": ("mu_loc", "mu_scale")}
    for pair, family in [
        (("sigma_shape", "sigma_rate"), dist.Gamma),
        (("sigma_mean", "sigma_concentration"), None),
        (("sigma_loc", "sigma_scale"), dist.LogNormal),
    ]:
        if set(pair) <= names:
            kinds["sigma"], sigma_family = pair, family
            break
    else:
        raise ValueError(
            "params must hold sigma_shape and sigma_rate, sigma_mean and sigma_concentration, "
            f"or sigma_loc and sigma_scale; got {sorted(names)}"
        )
    families = (dist.Normal, sigma_family)
    missing = [n for pair in kinds.values() for n in pair if n not in names]
    if missing:
        raise ValueError(f"params has no {', '.join(missing)}")
    # float64: a Gamma with a shape in the thousands needs it for an accurate log density
    p = {
        n: torch.tensor(_as_scalar(params[n], n), dtype=torch.float64)
        for pair in kinds.values()
        for n in pair
    }
    q_mu = families[0](*(p[n] for n in kinds["mu"]))
    if families[1] is None:  # Gamma(concentration, concentration / mean)
        mean, concentration = (p[n] for n in kinds["sigma"])
        return q_mu, dist.Gamma(concentration, concentration / mean)
    return q_mu, families[1](*(p[n] for n in kinds["sigma"]))


@dataclass
class FitTable:
    """Fits measured against the exact posterior, one row per method, in the order recorded."""

    model: Callable
    data: torch.Tensor
    posterior: ExactPosterior
    num_particles: int = 10_000
    rows: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not callable(self.model):
            raise TypeError("model must be the Pyro model (a callable)")
        if not isinstance(self.posterior, ExactPosterior):
            raise TypeError("posterior must be what helpers.exact_posterior returns")
        as_data_array(self.data)

    def record(self, method: str, params: Mapping[str, object], seconds: float) -> dict[str, float]:
        """Measure the fit with these parameter values, add it as the row `method`, return it.

        KL = log p(x) - ELBO, the ELBO from `num_particles` draws of the fitted q (with its
        standard error, "KL se"); means off in exact posterior sds; sds off relatively.
        """
        if not isinstance(method, str) or not method:
            raise TypeError("method must be a non-empty name for the row")
        if not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be a non-negative number, got {seconds!r}")
        q_mu, q_sigma = fitted_q(params)

        def fitted_guide(data: torch.Tensor) -> None:
            pyro.sample("mu", q_mu)
            pyro.sample("sigma", q_sigma)

        elbo = estimate_elbo(self.model, fitted_guide, self.data, num_particles=self.num_particles)
        post = self.posterior
        self.rows[method] = {
            "KL": post.log_evidence - elbo.elbo,
            "KL se": elbo.std_error,
            "mu mean": (q_mu.mean.item() - post.mu_mean) / post.mu_sd,
            "mu sd": q_mu.stddev.item() / post.mu_sd - 1,
            "sigma mean": (q_sigma.mean.item() - post.sigma_mean) / post.sigma_sd,
            "sigma sd": q_sigma.stddev.item() / post.sigma_sd - 1,
            "seconds": float(seconds),
        }
        return self.rows[method]

    def __getitem__(self, method: str) -> dict[str, float]:
        return self.rows[method]

    def __str__(self) -> str:
        width = max([len(m) for m in self.rows] + [6])
        lines = [
            f"{'method':{width}} {'mu mean':>7} {'mu sd':>7} {'sigma mean':>10} {'sigma sd':>8} "
            f"{'KL (nats)':>17} {'seconds':>7}"
        ]
        for method, r in self.rows.items():
            kl = f"{r['KL']:.2g} +- {r['KL se']:.1g}"
            lines.append(
                f"{method:{width}} {r['mu mean']:+7.2f} {r['mu sd']:+7.1%} "
                f"{r['sigma mean']:+10.2f} {r['sigma sd']:+8.1%} {kl:>17} {r['seconds']:7.2f}"
            )
        return "\n".join(lines)


def gamma_params(guide: NormalGammaGuide) -> dict[str, float]:
    """The parameter values of a Normal x Gamma guide, named as the notebooks' guide names them."""
    if not isinstance(guide, NormalGammaGuide):
        raise TypeError("guide must be what helpers.elbo_surface.best_normal_gamma_guide returns")
    return {
        "mu_loc": guide.mu_loc,
        "mu_scale": guide.mu_scale,
        "sigma_shape": guide.shape,
        "sigma_rate": guide.rate,
    }


# Predictive densities -------------------------------------------------------------------------


def predictive_density(
    q_mu: dist.Distribution, q_sigma: dist.Distribution, x: np.ndarray, num_draws: int = 4000
) -> np.ndarray:
    """E_q[Normal(x | mu, sigma)] at each x, averaged over `num_draws` draws from q."""
    num_draws = as_integer(num_draws, "num_draws")
    x = np.asarray(x, dtype=np.float64)
    mu = q_mu.sample((num_draws,)).double().numpy()
    sigma = q_sigma.sample((num_draws,)).double().numpy()
    return stats.norm.pdf(x[:, None], mu, sigma).mean(axis=1)


def exact_predictive_density(
    posterior: ExactPosterior, data: object, x: np.ndarray, mu_prior_sd: float = MU_PRIOR[1]
) -> np.ndarray:
    """The exact posterior predictive density at each x: a mixture over the grid of sigma.

    Given sigma, mu's posterior is Normal (the conjugate update of a Normal(0, mu_prior_sd)
    prior), so x_new is Normal too; the mixture weights are the exact posterior of sigma.
    """
    values = as_data_array(data)
    if not mu_prior_sd > 0:
        raise ValueError(f"mu_prior_sd must be positive, got {mu_prior_sd}")
    x = np.asarray(x, dtype=np.float64)
    sigma = posterior.sigma_grid
    weights = posterior.sigma_density * np.gradient(sigma)
    precision = 1 / mu_prior_sd**2 + values.size / sigma**2  # of mu given sigma
    loc = values.size * values.mean() / sigma**2 / precision
    return stats.norm.pdf(x[:, None], loc, np.sqrt(sigma**2 + 1 / precision)) @ weights


def predictive_sd(q_mu: dist.Distribution, q_sigma: dist.Distribution) -> float:
    """The sd of x_new ~ Normal(mu, sigma), (mu, sigma) ~ q: Var = Var(mu) + E[sigma^2]."""
    return math.sqrt(q_mu.variance.item() + q_sigma.variance.item() + q_sigma.mean.item() ** 2)


# Figures --------------------------------------------------------------------------------------


def _density_window(q: dist.Distribution, mean: float, sd: float, width: float) -> np.ndarray:
    low = min(q.mean.item() - width * q.stddev.item(), mean - width * sd)
    high = max(q.mean.item() + width * q.stddev.item(), mean + width * sd)
    return np.linspace(low, high, 600)


def plot_loss_and_kl(
    losses: np.ndarray, log_evidence: float, best_kl: float, window: int = 100
) -> Figure:
    """The loss of a run (left) and its height above the floor -log p(x), smoothed (right)."""
    losses = np.asarray(losses, dtype=np.float64)
    if losses.ndim != 1 or losses.size <= window or window < 1:
        raise ValueError(f"losses must be a 1-D trace longer than window ({window})")
    steps = np.arange(1, losses.size + 1)
    kl_trace = np.convolve(losses + log_evidence, np.ones(window) / window, mode="valid")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].plot(steps, losses, lw=0.5, label="loss, -ELBO (one draw)")
    axes[0].axhline(-log_evidence, color="k", ls="--", label="floor: -log p(x)")
    axes[0].set(title="Loss of the run", xlabel="step", ylabel="loss (nats)")
    axes[1].plot(steps[window - 1 :], kl_trace, label=f"loss + log p(x), {window}-step average")
    axes[1].axhline(best_kl, color="k", ls="--", label="KL of the best Normal x Gamma")
    axes[1].set(yscale="log", title="Height above the floor: the KL", xlabel="step", ylabel="nats")
    low, high = -log_evidence, float(np.quantile(losses, 0.995))  # the floor and most draws
    axes[0].set_ylim(low - 0.05 * (high - low), high + 0.1 * (high - low))
    axes[1].set_ylim(best_kl / 3, kl_trace.max() * 3)
    for ax in axes:  # below the axes: single draws of the loss spike anywhere above the floor
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize="small")
    fig.tight_layout()
    return fig


def plot_parameter_traces(params: Mapping[str, np.ndarray], targets: Mapping[str, float]) -> Figure:
    """One panel per parameter: its trace over the steps and its target (dashed)."""
    if len(targets) != 4 or any(name not in params for name in targets):
        raise ValueError("targets must name four parameters that params has traces of")
    fig, axes = plt.subplots(2, 2, figsize=(11, 6), sharex=True)
    for ax, (name, target) in zip(axes.flat, targets.items(), strict=True):
        trace = np.asarray(params[name], dtype=np.float64)
        ax.plot(np.arange(1, trace.size + 1), trace, label="run")
        ax.axhline(target, color="k", ls="--", label="target")
        ax.set(title=name, ylabel=name, yscale="linear" if name == "mu_loc" else "log")
    for ax in axes[1]:
        ax.set_xlabel("step")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle("Parameter traces, each with its target")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def plot_fitted_densities(
    fits: Mapping[str, tuple[dist.Distribution, dist.Distribution]],
    posterior: ExactPosterior,
    priors: Mapping[str, object] | None = None,
) -> Figure:
    """Two panels, mu and sigma: each fit's q, the exact posterior (dashed), and any priors."""
    if not fits:
        raise ValueError("fits must name at least one (q_mu, q_sigma) pair")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    exact = {
        "mu": (posterior.mu_mean, posterior.mu_sd, posterior.mu_grid, posterior.mu_density),
        "sigma": (
            posterior.sigma_mean,
            posterior.sigma_sd,
            posterior.sigma_grid,
            posterior.sigma_density,
        ),
    }
    for index, (ax, name) in enumerate(zip(axes, ["mu", "sigma"], strict=True)):
        mean, sd, grid, density = exact[name]
        windows = [_density_window(q[index], mean, sd, 4.5) for q in fits.values()]
        x = np.linspace(min(w[0] for w in windows), max(w[-1] for w in windows), 800)
        peak = density.max()
        if priors is not None:
            ax.plot(x, priors[name].pdf(x), color="0.6", label="prior (flat at this scale)")
        for k, (label, q) in enumerate(fits.items()):
            y = q[index].log_prob(torch.tensor(x)).exp().numpy()
            peak = max(peak, y.max())
            ax.plot(x, y, f"C{(3, 0, 2)[k % 3]}", lw=2 + k, alpha=0.8 - 0.2 * k, label=label)
        ax.plot(grid, density, "k--", label="exact posterior")
        ax.set(title=f"Posterior of {name}", xlabel=name, ylabel="density", xlim=(x[0], x[-1]))
        ax.set_ylim(0, peak * 1.05)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def plot_sigma_and_predictive(
    shapes: Mapping[int, tuple[float, float]],
    q: tuple[dist.Distribution, dist.Distribution],
    posterior: ExactPosterior,
    data: object,
) -> Figure:
    """Left: Gamma q(sigma) at several steps, {step: (shape, rate)}; right: data and predictives."""
    values = as_data_array(data)
    if not shapes:
        raise ValueError("shapes must map at least one step to its (shape, rate)")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    s = np.linspace(posterior.sigma_mean - 1.5, posterior.sigma_mean + 1.5, 400)
    peak = posterior.sigma_density.max()
    for i, (step, (shape, rate)) in enumerate(shapes.items()):
        y = stats.gamma.pdf(s, shape, scale=1 / rate)
        peak = max(peak, y.max())
        axes[0].plot(s, y, color=plt.cm.viridis(i / len(shapes)), label=f"step {step:,}")
    axes[0].plot(posterior.sigma_grid, posterior.sigma_density, "k--", label="exact posterior")
    axes[0].set(title="q(sigma) during training", xlabel="sigma", ylabel="density")
    axes[0].set(xlim=(s[0], s[-1]), ylim=(0, peak * 1.05))
    axes[0].legend(loc="upper left", fontsize="x-small", bbox_to_anchor=(1.0, 1.0))
    x = np.linspace(values.min() - 1, values.max() + 1, 300)
    axes[1].hist(values, bins=40, density=True, alpha=0.4, label="data")
    axes[1].plot(x, predictive_density(*q, x), "C3", label="fit's predictive")
    axes[1].plot(x, exact_predictive_density(posterior, values, x), "k--", label="exact predictive")
    axes[1].set(title="Data and posterior predictive", xlabel="x", ylabel="density")
    axes[1].set_ylim(0, axes[1].get_ylim()[1] * 1.5)
    axes[1].legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    return fig


def plot_elbo_ridge(
    data: object,
    best: NormalGammaGuide,
    paths: Mapping[str, np.ndarray],
    start: tuple[float, float],
) -> Figure:
    """Left: the exact ELBO's gap below its maximum over (log shape, log rate), q(mu) at its
    optimum, with paths (each an array of (shape, rate) rows) and their start; right: the drop
    along and across the ridge through the optimum."""
    if not isinstance(best, NormalGammaGuide):
        raise TypeError("best must be what helpers.elbo_surface.best_normal_gamma_guide returns")
    logs = {label: np.log(np.asarray(path, dtype=np.float64)) for label, path in paths.items()}
    if any(p.ndim != 2 or p.shape[1] != 2 for p in logs.values()):
        raise ValueError("each path must be an array of (shape, rate) rows")
    z_best = np.log([best.shape, best.rate])
    log_shape, log_rate = np.meshgrid(np.linspace(0.0, 9.0, 300), np.linspace(-4.0, 8.0, 300))
    elbo = normal_gamma_elbo(data, best.mu_loc, best.mu_scale, np.exp(log_shape), np.exp(log_rate))
    log_gap = np.log10(np.maximum(best.elbo - elbo, 1e-3))  # -inf ELBO where shape <= 2: masked
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    ax = axes[0]
    filled = ax.contourf(
        log_shape,
        log_rate,
        np.ma.masked_invalid(log_gap),
        levels=np.arange(-2, 7.5, 0.5),
        cmap="viridis_r",
        extend="both",
    )
    fig.colorbar(filled, ax=ax, label="log10(ELBO gap in nats)")
    ax.axvspan(0.0, np.log(2.0), color="0.8", label="shape <= 2: ELBO = -inf")
    for k, (label, path) in enumerate(logs.items()):
        ax.plot(path[:, 0], path[:, 1], f"C{(3, 1)[k % 2]}", lw=3 - k, label=label)
    ax.plot(*np.log(start), "wo", mec="k", label="start")
    ax.plot(*z_best, "w*", ms=14, mec="k", label="optimum")
    ax.set(title="ELBO gap below its maximum", xlabel="log shape", ylabel="log rate")
    t = np.linspace(-1.0, 1.0, 401)  # distance from the optimum, along and across the ridge
    for direction, label in [((1, 1), "along the ridge"), ((1, -1), "across it")]:
        z = z_best + t[:, None] * np.array(direction) / np.sqrt(2)
        drop = best.elbo - normal_gamma_elbo(data, best.mu_loc, best.mu_scale, *np.exp(z.T))
        axes[1].plot(t, np.where(drop < 6, drop, np.nan), label=label)  # only what is in view
    axes[1].set(
        title="Cross-sections through the optimum",
        xlabel="distance in (log shape, log rate)",
        ylabel="ELBO drop (nats)",
        ylim=(0, 6),
    )
    axes[1].legend(loc="center right", fontsize="small")
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=4, fontsize="small")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def plot_sd_traces(
    traces: Mapping[str, tuple[np.ndarray, float]], averaged_from: int | None = None
) -> Figure:
    """One panel per {title: (trace, exact value)}: the trace, the exact value (dashed) and,
    if given, the window of steps that averaging uses (shaded)."""
    if not traces:
        raise ValueError("traces must name at least one (trace, exact value) pair")
    fig, axes = plt.subplots(1, len(traces), figsize=(11, 4), squeeze=False)
    for ax, (name, (trace, exact)) in zip(axes[0], traces.items(), strict=True):
        trace = np.asarray(trace, dtype=np.float64)
        steps = np.arange(1, trace.size + 1)
        ax.plot(steps, trace, "C0", label="run")
        ax.axhline(exact, color="k", ls="--", label="exact posterior sd")
        if averaged_from is not None:
            ax.axvspan(averaged_from, trace.size, color="C1", alpha=0.15, label="averaged")
        ax.set(title=f"{name} during training", xlabel="step", ylabel=name, yscale="log")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig
