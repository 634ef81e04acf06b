"""helpers.diagnostic_plots: the figures of notebook 07 show what they claim, legends clear."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import exact_posterior, make_data  # noqa: E402
from helpers.diagnostic_plots import (  # noqa: E402
    plot_importance_weights,
    plot_posterior_comparison,
    plot_predictive_checks,
    plot_rank_histograms,
    plot_training_run,
)
from helpers.diagnostics import guide_marginals, rank_histogram, simulate_sbc  # noqa: E402
from tests._figures import figure_check  # noqa: E402

STEPS = 300


@pytest.fixture(scope="module")
def exact():
    return exact_posterior(make_data())


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _legend_overlaps(fig):
    fig.draw_without_rendering()
    return figure_check.legend_overlaps(fig)


def _training_run(exact, steps=STEPS, seed=0):
    """A made-up run that settles like the notebook's: noisy loss, traces converging."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    settle = np.exp(-t / 30)
    losses = -exact.log_evidence + 5 * settle + 0.05 * rng.normal(size=steps)
    history = {
        "mu_loc": 1.8 + 0.1 * settle,
        "mu_scale": exact.mu_sd * (1 + 0.3 * settle + 0.02 * rng.normal(size=steps)),
        "sigma_loc": np.full(steps, math.log(exact.sigma_mean)),
        "sigma_scale": exact.sigma_sd / exact.sigma_mean * (1 + 3 * settle),
    }
    grad_norms = {name: 50 * settle + rng.uniform(0.1, 1, steps) for name in history}
    return losses, grad_norms, history


def test_training_run_draws_the_loss_its_floor_and_the_sds_against_the_exact_ones(exact):
    losses, grad_norms, history = _training_run(exact)
    fig = plot_training_run(losses, grad_norms, history, exact, window=25)
    loss_ax, norm_ax, mu_ax, sigma_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()][:3] == [
        "loss at each step",
        "running mean (25 steps)",
        "running median (25 steps)",
    ]
    running_mean = loss_ax.get_lines()[1].get_ydata()
    assert len(running_mean) == STEPS - 24 and running_mean[-1] == pytest.approx(
        losses[-25:].mean()
    )
    assert loss_ax.get_lines()[3].get_ydata()[0] == pytest.approx(-exact.log_evidence)
    assert {line.get_label() for line in norm_ax.get_lines()} == set(grad_norms)
    assert norm_ax.get_yscale() == "log"
    assert mu_ax.get_lines()[1].get_ydata()[0] == pytest.approx(exact.mu_sd)
    # The sd of q(sigma) is the LogNormal's, exp(loc + s^2 / 2) sqrt(exp(s^2) - 1).
    loc, scale = history["sigma_loc"], history["sigma_scale"]
    expected = np.exp(loc + scale**2 / 2) * np.sqrt(np.expm1(scale**2))
    np.testing.assert_allclose(sigma_ax.get_lines()[0].get_ydata(), expected)
    assert sigma_ax.get_lines()[1].get_ydata()[0] == pytest.approx(exact.sigma_sd)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_training_run_keeps_every_legend_off_the_data(exact, seed):
    fig = plot_training_run(*_training_run(exact, seed=seed), exact)
    assert all(ax.get_legend() is not None for ax in fig.axes)
    assert _legend_overlaps(fig) == []


def test_training_run_validates_its_arguments(exact):
    losses, grad_norms, history = _training_run(exact)
    with pytest.raises(ValueError, match="window"):
        plot_training_run(losses, grad_norms, history, exact, window=STEPS + 1)
    with pytest.raises(ValueError, match="sigma_scale"):
        plot_training_run(losses, grad_norms, {"mu_scale": history["mu_scale"]}, exact)
    with pytest.raises(ValueError, match=r"grad_norms\['mu_loc'\] must hold 300 values"):
        plot_training_run(losses, {**grad_norms, "mu_loc": np.ones(10)}, history, exact)
    with pytest.raises(TypeError, match="exact"):
        plot_training_run(losses, grad_norms, history, {"log_evidence": 0.0})
    with pytest.raises(TypeError, match="history"):
        plot_training_run(losses, grad_norms, [], exact)


def test_posterior_comparison_draws_nuts_exact_and_guide_in_the_same_axes(exact):
    rng = np.random.default_rng(3)
    nuts = {
        "mu": rng.normal(exact.mu_mean, exact.mu_sd, 500),
        "sigma": rng.normal(exact.sigma_mean, exact.sigma_sd, 500),
    }
    q = guide_marginals(exact.mu_mean, exact.mu_sd, math.log(exact.sigma_mean), 0.02)
    fig = plot_posterior_comparison(nuts, q, exact)
    assert [ax.get_title() for ax in fig.axes] == ["Posterior of mu", "Posterior of sigma"]
    for ax, name in zip(fig.axes, ("mu", "sigma"), strict=True):
        exact_line, guide_line = ax.get_lines()
        assert (exact_line.get_label(), guide_line.get_label()) == (
            "exact posterior",
            "fitted guide",
        )
        x, y = guide_line.get_data()
        np.testing.assert_allclose(y, q[name].pdf(x))
        assert sum(patch.get_height() for patch in ax.patches) > 0  # the NUTS histogram
    assert _legend_overlaps(fig) == []


def test_posterior_comparison_validates_its_arguments(exact):
    q = guide_marginals(1.8, 0.1, 1.4, 0.02)
    with pytest.raises(ValueError, match="'sigma'"):
        plot_posterior_comparison({"mu": np.ones(10)}, q, exact)
    with pytest.raises(TypeError, match=r"q\['mu'\]"):
        plot_posterior_comparison({"mu": np.ones(10), "sigma": np.ones(10)}, {"mu": 1.0}, exact)


def _log_weights(exact):
    rng = np.random.default_rng(4)
    good = exact.log_evidence - 0.01 - 0.03 * rng.standard_normal(10_000) ** 2
    narrow = exact.log_evidence - 1.3 + 0.9 * rng.normal(size=10_000)
    wide = exact.log_evidence - 6 - 5 * rng.exponential(size=10_000)
    return {"optimum": good, "too narrow": narrow, "too wide": wide}


@pytest.mark.parametrize("many", [-0.2, 0.33, 0.6])
def test_importance_weights_shows_each_guide_with_its_k_hat_and_legends_off_the_data(exact, many):
    weights = _log_weights(exact)
    k_hats = {"optimum": 0.33, "too narrow": 0.91, "too wide": -1.01}
    k_few = np.random.default_rng(5).normal(0.35, 0.25, 200)
    fig = plot_importance_weights(weights, k_hats, exact.log_evidence, k_few, many, few_draws=100)
    left, right = fig.axes
    labels = left.get_legend_handles_labels()[1]
    assert "too narrow: k-hat 0.91" in labels and "too wide: k-hat -1.01" in labels
    assert left.get_yscale() == "log"
    assert "200 repeats" in right.get_title()
    lines = {line.get_label(): line.get_xdata()[0] for line in right.get_lines()}
    assert lines == {"from all the draws": many, "threshold 0.5": 0.5, "threshold 0.7": 0.7}
    assert _legend_overlaps(fig) == []


def test_importance_weights_validates_its_arguments(exact):
    weights = _log_weights(exact)
    k_few = np.zeros(10)
    with pytest.raises(ValueError, match="k_hats"):
        plot_importance_weights(weights, {"optimum": 0.3}, exact.log_evidence, k_few, 0.3, 100)
    k_hats = dict.fromkeys(weights, 0.3)
    with pytest.raises(ValueError, match="k_hat_few"):
        plot_importance_weights(weights, k_hats, exact.log_evidence, [0.1], 0.3, 100)
    with pytest.raises(TypeError, match="few_draws"):
        plot_importance_weights(weights, k_hats, exact.log_evidence, k_few, 0.3, 100.0)


def _statistics(seed=6):
    rng = np.random.default_rng(seed)
    replicated = {
        "mean": rng.normal(1.8, 0.13, 1000),
        "sd": rng.normal(3.95, 0.09, 1000),
        "min": -10 - rng.gamma(4, 0.5, 1000),
        "max": 12 + rng.gamma(4, 0.5, 1000),
    }
    observed = {"mean": 1.82, "sd": 3.95, "min": -10.2, "max": 13.0}
    p_values = {name: float(np.mean(replicated[name] >= observed[name])) for name in replicated}
    return replicated, observed, p_values


@pytest.mark.parametrize("seed", [6, 7])
def test_predictive_checks_draw_one_panel_per_statistic_and_a_legend_below(seed):
    replicated, observed, p_values = _statistics(seed)
    fig = plot_predictive_checks(replicated, observed, p_values)
    assert len(fig.axes) == 4 and len(fig.legends) == 1
    for ax, name in zip(fig.axes, replicated, strict=True):
        assert ax.get_title() == f"{name} (p = {p_values[name]:.2f})"
        assert ax.get_lines()[0].get_xdata()[0] == pytest.approx(observed[name])
    assert _legend_overlaps(fig) == []


def test_predictive_checks_validate_their_arguments():
    replicated, observed, p_values = _statistics()
    with pytest.raises(ValueError, match="observed"):
        plot_predictive_checks(replicated, {"mean": 1.0}, p_values)
    with pytest.raises(ValueError, match="p_values"):
        plot_predictive_checks(replicated, observed, {**p_values, "median": 0.5})
    with pytest.raises(TypeError, match="replicated"):
        plot_predictive_checks({}, observed, p_values)


def _histograms():
    sbc = {
        "optimum": simulate_sbc(1000, sd_factor=1.0, seed=8),
        "too narrow": simulate_sbc(1000, sd_factor=1 / 3, seed=8),
    }
    return {
        (label, name): rank_histogram(result.ranks[name], result.num_draws)
        for label, result in sbc.items()
        for name in ("mu", "sigma")
    }


def test_rank_histograms_put_guides_in_columns_and_parameters_in_rows():
    histograms = _histograms()
    fig = plot_rank_histograms(histograms, num_draws=99)
    axes = np.array(fig.axes).reshape(2, 2)
    for (label, name), h in histograms.items():
        ax = axes[("mu", "sigma").index(name), ("optimum", "too narrow").index(label)]
        assert ax.get_title().startswith(f"{label} guide: rank of the true {name}")
        heights = [patch.get_height() for patch in ax.containers[0]]
        assert heights == h.counts.tolist()
        centres = [patch.get_x() + patch.get_width() / 2 for patch in ax.containers[0]]
        assert centres[0] == pytest.approx(2.0) and centres[-1] == pytest.approx(97.0)
        assert ax.get_lines()[0].get_ydata()[0] == pytest.approx(50.0)  # 1,000 ranks / 20 bins
    assert len(fig.legends) == 1
    assert _legend_overlaps(fig) == []


def test_rank_histograms_validate_their_arguments():
    h = next(iter(_histograms().values()))
    with pytest.raises(TypeError, match="histograms"):
        plot_rank_histograms({"optimum": h}, num_draws=99)
    with pytest.raises(TypeError, match="histograms"):
        plot_rank_histograms({("optimum", "mu"): h.counts}, num_draws=99)
    with pytest.raises(TypeError, match="num_draws"):
        plot_rank_histograms({("optimum", "mu"): h}, num_draws=99.0)
