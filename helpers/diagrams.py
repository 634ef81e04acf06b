"""Pictures of a model and of its distributions, drawn for the lessons on the model and the guide.

- `draw_model_graph`: a model as a graphical model, drawn from what
  `pyro.infer.inspect.get_model_relations` says about it (so the picture cannot drift from the
  model): a circle per sample site (shaded if observed), an arrow from each site to those drawn
  given it, and a box around each plate's sites.
- `plot_priors` and `plot_prior_predictive`: the priors, and data sets simulated from them,
  each against the data.
- `plot_against_exact`: approximate posterior densities drawn on the exact posterior.

Each function returns the figure; the notebook shows it with `plt.show()`. Every legend is
placed clear of the data (the course's figure check fails a cell whose legend covers data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from ._validation import as_data_array, as_data_sets, as_finite_float, as_integer
from .posterior import ExactPosterior

_RELATION_KEYS = ("sample_sample", "sample_dist", "observed", "plate_sample")
_RADIUS = 0.42  # of a site's circle, in data units
_ROW_HEIGHT = 1.8  # between a site and those drawn given it
_WIDTH = 6.0  # of the drawing


def _site_levels(parents: Mapping[str, list[str]]) -> dict[str, int]:
    """Each site's row: 0 for a site with no parents, else one below its lowest parent."""
    levels: dict[str, int] = {}

    def level(name: str, path: tuple[str, ...]) -> int:
        if name in path:
            raise ValueError(f"relations: the sites {' -> '.join(path + (name,))} form a cycle")
        if name not in levels:
            levels[name] = 1 + max((level(p, path + (name,)) for p in parents[name]), default=-1)
        return levels[name]

    for name in parents:
        level(name, ())
    return levels


def _validated_relations(relations: object) -> dict[str, list[str]]:
    """The parents of each sample site, after checking `relations` is get_model_relations'."""
    if not isinstance(relations, Mapping):
        raise TypeError(
            "relations must be the dict that pyro.infer.inspect.get_model_relations returns, "
            f"got {type(relations).__name__}"
        )
    missing = [key for key in _RELATION_KEYS if key not in relations]
    if missing:
        raise ValueError(f"relations lacks {missing}: pass get_model_relations(model, ...)")
    parents = {str(name): [str(p) for p in ps] for name, ps in relations["sample_sample"].items()}
    if not parents:
        raise ValueError("relations has no sample sites to draw")
    for name, ps in parents.items():
        unknown = sorted(set(ps) - set(parents))
        if unknown:
            raise ValueError(f"relations: site {name!r} has parents {unknown} that are not sites")
    for plate, sites in relations["plate_sample"].items():
        unknown = sorted(set(sites) - set(parents))
        if unknown:
            raise ValueError(f"relations: plate {plate!r} holds {unknown}, which are not sites")
    return parents


def _validated_labels(labels: Mapping[str, str] | None, sites: list[str], name: str) -> dict:
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise TypeError(f"{name} must map site names to text, got {type(labels).__name__}")
    unknown = sorted(set(labels) - set(sites))
    if unknown:
        raise ValueError(f"{name} names {unknown}, which are not sites of the model ({sites})")
    return {key: str(value) for key, value in labels.items()}


def _validated_plate_sizes(plate_sizes: object, plates: list[str]) -> dict[str, int]:
    if not isinstance(plate_sizes, Mapping):
        raise TypeError("plate_sizes must map each plate's name to its size, e.g. {'data': 1000}")
    sizes = {}
    for plate in plates:
        sizes[plate] = as_integer(plate_sizes.get(plate), f"plate_sizes[{plate!r}]")
    return sizes


def draw_model_graph(
    relations: Mapping[str, Any],
    plate_sizes: Mapping[str, int],
    symbols: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
) -> Figure:
    """Draw a model as a graphical model from `pyro.infer.inspect.get_model_relations`.

    Sites with no parents form the top row, each other site sits one row below its lowest parent.
    `symbols` (LaTeX such as r"$\\mu$") label the circles, default the site names; `notes` (the
    distributions with their arguments) are written beside them, default the distribution's name.
    Artists carry gids for inspection: "site:NAME", "edge:PARENT->CHILD", "plate:NAME".
    """
    parents = _validated_relations(relations)
    sites = list(parents)
    symbols = _validated_labels(symbols, sites, "symbols")
    notes = _validated_labels(notes, sites, "notes")
    plates = {str(p): list(s) for p, s in relations["plate_sample"].items() if s}
    sizes = _validated_plate_sizes(plate_sizes, list(plates))
    observed = set(relations["observed"])

    levels = _site_levels(parents)
    rows = max(levels.values()) + 1
    positions = {}
    for level in range(rows):
        in_row = [name for name in sites if levels[name] == level]
        for index, name in enumerate(in_row):
            x = _WIDTH * (index + 0.5) / len(in_row)
            if len(in_row) == 2:  # wider apart, so that the arrows to the row below are clear
                x = 1.2 if index == 0 else _WIDTH - 1.2
            positions[name] = (x, 1.5 + _ROW_HEIGHT * (rows - 1 - level))
    height = 1.5 + _ROW_HEIGHT * (rows - 1) + 0.9

    fig, ax = plt.subplots(figsize=(6, 0.9 * height + 0.4))
    for plate, members in plates.items():
        xs = [positions[name][0] for name in members]
        ys = [positions[name][1] for name in members]
        x0, y0 = min(xs) - 1.5, min(ys) - 1.3
        box = FancyBboxPatch(
            (x0, y0),
            max(xs) - min(xs) + 3.0,
            max(ys) - min(ys) + 2.0,
            boxstyle="round,pad=0.05",
            fill=False,
            ec="k",
            gid=f"plate:{plate}",
        )
        ax.add_patch(box)
        label = f"plate '{plate}': i = 1, ..., {sizes[plate]}"
        ax.text(max(xs) + 1.45, y0 + 0.05, label, ha="right", fontsize=9)
    for name, (x, y) in positions.items():
        shade = "0.8" if name in observed else "white"
        ax.add_patch(Circle((x, y), _RADIUS, fc=shade, ec="k", lw=1.5, gid=f"site:{name}"))
        ax.text(x, y, symbols.get(name, name), ha="center", va="center", fontsize=18)
        note = f'"{name}" ~ {notes.get(name, relations["sample_dist"].get(name, "?"))}'
        above = not parents[name]  # a site drawn given others has its arrows coming from above
        ax.text(
            x,
            y + (0.55 if above else -0.55),
            note,
            ha="center",
            va="bottom" if above else "top",
            fontsize=9,
        )
    for child, ps in parents.items():
        for parent in ps:
            arrow = FancyArrowPatch(
                positions[parent],
                positions[child],
                arrowstyle="-|>",
                mutation_scale=18,
                shrinkA=24,
                shrinkB=24,
                lw=1.5,
                color="k",
                gid=f"edge:{parent}->{child}",
            )
            ax.add_patch(arrow)
    ax.set(xlim=(0, _WIDTH), ylim=(0, height), aspect="equal")
    ax.set_title("The model as a graph (shaded: observed)")
    ax.axis("off")
    return fig


def _frozen(distribution: object, name: str) -> Any:
    """A frozen scipy.stats distribution (it has pdf and interval), or raise naming `name`."""
    if not all(hasattr(distribution, attr) for attr in ("pdf", "interval", "mean", "std")):
        raise TypeError(
            f"{name} must be a frozen scipy.stats distribution such as stats.norm(0, 10), "
            f"got {type(distribution).__name__}"
        )
    return distribution


def plot_priors(priors: Mapping[str, Any], marks: Mapping[str, tuple[str, float]]) -> Figure:
    """One panel per parameter: its prior density, and a dashed line at a value from the data.

    `priors` maps a parameter's name to a frozen scipy.stats distribution; `marks` maps the same
    names to (label, value), e.g. {"sigma": ("sample sd of the data", 3.95)}. Each legend lies
    below its panel, clear of the curve and of the dashed line.
    """
    if not isinstance(priors, Mapping) or not priors:
        raise TypeError("priors must be a non-empty mapping of parameter name to distribution")
    if not isinstance(marks, Mapping) or set(marks) != set(priors):
        raise ValueError(f"marks must give (label, value) for each of {sorted(priors)}")
    fig, axes = plt.subplots(
        1, len(priors), figsize=(5.5 * len(priors), 4.4), squeeze=False, layout="constrained"
    )
    for ax, (name, prior) in zip(axes[0], priors.items(), strict=True):
        prior = _frozen(prior, f"priors[{name!r}]")
        label, value = marks[name]
        value = as_finite_float(value, f"marks[{name!r}]'s value")
        grid = np.linspace(*prior.interval(0.998), 400)
        density = prior.pdf(grid)
        low, high = prior.interval(0.95)
        ax.plot(grid, density, "C0", label=f"prior (95% in {low:.3g} to {high:.3g})")
        ax.axvline(value, color="C3", ls="--", label=str(label))
        ax.set(title=f"Prior of {name}", xlabel=name, ylabel="density")
        ax.set_ylim(0, 1.1 * density.max())
        # Below the panel: the dashed line crosses the whole height, so no corner is free.
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize="small")
    return fig


def plot_prior_predictive(
    simulated: object,
    data: object,
    data_label: str = "our data",
    mean_unit: str = "",
    sd_unit: str = "",
) -> Figure:
    """Two panels: the mean and the sd of each simulated data set (a row of `simulated`), the
    data's marked as `data_label`; the sd on a log scale, where the prior's long tail fits. The
    units, if given, go into the axis labels. One legend lies below both panels."""
    if not isinstance(data_label, str) or not data_label:
        raise TypeError("data_label must be a non-empty string")
    array = as_data_sets(simulated, "simulated", min_sets=2, min_points=2)
    x = as_data_array(data)
    means, sds = array.mean(axis=1), array.std(axis=1, ddof=1)
    label = f"{len(array):,} data sets from the prior"
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.4), layout="constrained")
    positive = sds[sds > 0]
    low = max(positive.min() if positive.size else 1e-3, 1e-3)
    high = max(sds.max(), x.std(ddof=1))
    log_bins = np.logspace(np.log10(low) - 0.1, np.log10(high) + 0.1, 50)
    for ax, values, ours, what, bins in [
        (axes[0], means, x.mean(), "mean", 50),
        (axes[1], sds, x.std(ddof=1), "sd", log_bins),
    ]:
        ax.hist(values, bins=bins, alpha=0.6, label=label)
        ax.axvline(ours, color="C3", ls="--", label=data_label)
        ax.set(title=f"Prior predictive: {what} of a data set", ylabel="count")
    axes[0].set_xlabel(f"sample mean ({mean_unit})" if mean_unit else "sample mean")
    axes[1].set(xscale="log", xlabel=f"sample sd ({sd_unit + ', ' if sd_unit else ''}log scale)")
    # Below both panels: the dashed line crosses the whole height, so no corner is free.
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize="small")
    return fig


_EXACT_GRIDS = {"mu": ("mu_grid", "mu_density"), "sigma": ("sigma_grid", "sigma_density")}


def plot_against_exact(exact: ExactPosterior, approximations: Mapping[str, Mapping]) -> Figure:
    """One panel per parameter ("mu", "sigma"): the exact posterior density and approximations.

    `approximations` maps a parameter to {label: frozen scipy.stats distribution}, e.g.
    {"mu": {"fitted guide": stats.norm(1.8, 0.13)}}. Each panel spans the exact posterior mean
    plus or minus 5 posterior sds; its legend lies in the upper left, above the curves.
    """
    if not isinstance(exact, ExactPosterior):
        raise TypeError(
            f"exact must be what helpers.exact_posterior returns, got {type(exact).__name__}"
        )
    if not isinstance(approximations, Mapping) or not approximations:
        raise TypeError("approximations must map 'mu' and/or 'sigma' to {label: distribution}")
    unknown = sorted(set(approximations) - set(_EXACT_GRIDS))
    if unknown:
        raise ValueError(f"approximations: no exact posterior for {unknown}; use 'mu', 'sigma'")
    width = 5.5 if len(approximations) > 1 else 8
    fig, axes = plt.subplots(
        1,
        len(approximations),
        figsize=(width * len(approximations), 4),
        squeeze=False,
        layout="constrained",
    )
    styles = [("C1", "--", 1.5), ("C0", ":", 2.0), ("C2", "-.", 1.5)]
    for ax, (name, densities) in zip(axes[0], approximations.items(), strict=True):
        if not isinstance(densities, Mapping) or not densities:
            raise TypeError(f"approximations[{name!r}] must map labels to distributions")
        grid, density = (np.asarray(getattr(exact, key)) for key in _EXACT_GRIDS[name])
        mean, sd = getattr(exact, f"{name}_mean"), getattr(exact, f"{name}_sd")
        ax.plot(grid, density, "k", lw=4, alpha=0.3, label="exact posterior")
        top = density.max()
        for (label, q), (color, ls, lw) in zip(densities.items(), styles, strict=False):
            q = _frozen(q, f"approximations[{name!r}][{label!r}]")
            values = q.pdf(grid)
            top = max(top, values.max())
            ax.plot(grid, values, color=color, ls=ls, lw=lw, label=str(label))
        ax.set(
            title=f"Posterior of {name}",
            xlabel=name,
            ylabel="density",
            xlim=(mean - 5 * sd, mean + 5 * sd),
            ylim=(0, 1.15 * top),
        )
        ax.legend(loc="upper left", fontsize="small")
    return fig
