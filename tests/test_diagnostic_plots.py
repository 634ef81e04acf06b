"""helpers.diagnostic_plots: the figures of notebook 07 show what they claim, legends clear."""

import math
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import exact_posterior, make_data  # noqa: E402
from helpers.diagnostic_plots import (  # noqa: E402
    plot_importance_weights,
    plot_nuts_check,
    plot_predictive_checks,
    plot_sbc_ecdf,
    plot_training_run,
)
from helpers.diagnostics import guide_marginals, simulate_sbc  # noqa: E402
from helpers.setup import ARVIZ_REFACTOR_NOTICE  # noqa: E402
from tests._figures import figure_check  # noqa: E402

STEPS = 300


@pytest.fixture(autouse=True)
def arviz_import_notice_ignored():
    """The helpers import ArviZ on first use; the notebooks have run setup() by then, which
    filters ArviZ 0.23's import-time notice. Here the same filter, and nothing else."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=ARVIZ_REFACTOR_NOTICE, category=FutureWarning)
        yield


def _az():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=ARVIZ_REFACTOR_NOTICE, category=FutureWarning)
        import arviz

    return arviz


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


def _nuts(exact, chains=4, draws=300, seed=3):
    """Made-up MCMC draws from the exact posterior's normal approximation, as InferenceData."""
    rng = np.random.default_rng(seed)
    posterior = {
        "mu": rng.normal(exact.mu_mean, exact.mu_sd, (chains, draws)),
        "sigma": rng.normal(exact.sigma_mean, exact.sigma_sd, (chains, draws)),
    }
    return _az().from_dict(posterior=posterior)


def test_nuts_check_draws_rank_plots_then_nuts_exact_and_guide_in_the_same_axes(exact):
    idata = _nuts(exact)
    q = guide_marginals(exact.mu_mean, exact.mu_sd, math.log(exact.sigma_mean), 0.02)
    fig = plot_nuts_check(idata, q, exact)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [
        "Rank plot of mu (4 chains)",
        "Rank plot of sigma (4 chains)",
        "Posterior of mu",
        "Posterior of sigma",
    ]
    for ax in fig.axes[:2]:  # ArviZ draws one bar histogram of ranks per chain
        assert len(ax.patches) >= 4
    for ax, name in zip(fig.axes[2:], ("mu", "sigma"), strict=True):
        exact_line, guide_line = ax.get_lines()
        assert (exact_line.get_label(), guide_line.get_label()) == (
            "exact posterior",
            "fitted guide",
        )
        x, y = guide_line.get_data()
        np.testing.assert_allclose(y, q[name].pdf(x))
        assert sum(patch.get_height() for patch in ax.patches) > 0  # the NUTS histogram
    assert _legend_overlaps(fig) == []


def test_nuts_check_validates_its_arguments(exact):
    q = guide_marginals(1.8, 0.1, 1.4, 0.02)
    with pytest.raises(TypeError, match="InferenceData"):
        plot_nuts_check({"mu": np.ones(10), "sigma": np.ones(10)}, q, exact)
    only_mu = _az().from_dict(posterior={"mu": np.ones((2, 10))})
    with pytest.raises(ValueError, match="sigma"):
        plot_nuts_check(only_mu, q, exact)
    with pytest.raises(TypeError, match=r"q\['mu'\]"):
        plot_nuts_check(_nuts(exact), {"mu": 1.0}, exact)


def _log_weights(exact):
    rng = np.random.default_rng(4)
    good = exact.log_evidence - 0.01 - 0.03 * rng.standard_normal(10_000) ** 2
    narrow = exact.log_evidence - 1.3 + 0.9 * rng.normal(size=10_000)
    wide = exact.log_evidence - 6 - 5 * rng.exponential(size=10_000)
    return {"optimum": good, "too narrow": narrow, "too wide": wide}


def _repeats():
    rng = np.random.default_rng(5)
    return {
        "fit, S = 100": (100, rng.normal(0.35, 0.25, 100)),
        "fit, S = 1,000": (1000, rng.normal(0.6, 0.15, 30)),
        "exact, S = 1,000": (1000, rng.normal(-0.8, 0.1, 30)),
    }


def test_importance_weights_shows_each_guide_and_k_hat_against_each_rows_threshold(exact):
    weights = _log_weights(exact)
    k_hats = {"optimum": 0.33, "too narrow": 0.91, "too wide": -1.01}
    repeats = _repeats()
    fig = plot_importance_weights(weights, k_hats, exact.log_evidence, repeats)
    left, right = fig.axes
    labels = left.get_legend_handles_labels()[1]
    assert "too narrow: k-hat 0.91" in labels and "too wide: k-hat -1.01" in labels
    assert left.get_yscale() == "log"
    assert [tick.get_text() for tick in right.get_yticklabels()] == list(repeats)
    points = [line for line in right.get_lines() if line.get_label() == "_k-hat"]
    thresholds = [line for line in right.get_lines() if line.get_label() == "_threshold"]
    for row, ((_, values), dots, mark) in enumerate(
        zip(repeats.values(), points, thresholds, strict=True)
    ):
        np.testing.assert_allclose(dots.get_xdata(), values)
        assert np.all(np.abs(dots.get_ydata() - row) < 0.3)
        assert mark.get_xdata()[0] == pytest.approx([0.5, 2 / 3, 2 / 3][row])
    assert _legend_overlaps(fig) == []


def test_importance_weights_validates_its_arguments(exact):
    weights = _log_weights(exact)
    repeats = _repeats()
    with pytest.raises(ValueError, match="k_hats"):
        plot_importance_weights(weights, {"optimum": 0.3}, exact.log_evidence, repeats)
    k_hats = dict.fromkeys(weights, 0.3)
    with pytest.raises(TypeError, match="k_hat_repeats"):
        plot_importance_weights(weights, k_hats, exact.log_evidence, {})
    with pytest.raises(TypeError, match="pair"):
        plot_importance_weights(weights, k_hats, exact.log_evidence, {"a": np.zeros(10)})
    with pytest.raises(TypeError, match="S"):
        plot_importance_weights(weights, k_hats, exact.log_evidence, {"a": (100.0, np.zeros(5))})


def _predictive(seed=6, draws=200, n=300):
    rng = np.random.default_rng(seed)
    mu, sigma = rng.normal(1.8, 0.1, draws), rng.normal(4.0, 0.1, draws)
    replicated = rng.normal(mu[:, None], sigma[:, None], (draws, n))
    observed = rng.normal(1.8, 4.0, n)
    idata = _az().from_dict(
        posterior={"mu": mu[None], "sigma": sigma[None]},
        posterior_predictive={"obs": replicated[None]},
        observed_data={"obs": observed},
    )
    statistics = {"min": np.min, "max": np.max}
    p_values = {
        name: float(np.mean(f(replicated, axis=1) >= f(observed))) for name, f in statistics.items()
    }
    return idata, statistics, p_values, observed


@pytest.mark.parametrize("seed", [6, 7])
def test_predictive_checks_draw_arvizs_plots_with_our_p_values_and_a_legend_below(seed):
    idata, statistics, p_values, observed = _predictive(seed)
    fig = plot_predictive_checks(idata, statistics, p_values, num_pp_samples=20)
    assert len(fig.axes) == 3 and len(fig.legends) == 1
    assert fig.axes[0].get_legend() is None  # ArviZ's own legend, which covered the data, is off
    for ax, (name, f) in zip(fig.axes[1:], statistics.items(), strict=True):
        assert ax.get_title() == f"{name} of a data set (p = {p_values[name]:.2f})"
        assert ax.get_legend() is None  # ArviZ's p-value, the other tail, is not shown
        assert ax.get_lines()[-1].get_xdata()[0] == pytest.approx(f(observed))
    assert _legend_overlaps(fig) == []


def test_predictive_checks_validate_their_arguments():
    idata, statistics, p_values, _ = _predictive()
    with pytest.raises(TypeError, match="posterior_predictive"):
        plot_predictive_checks({"obs": np.ones(5)}, statistics, p_values)
    with pytest.raises(ValueError, match="p_values"):
        plot_predictive_checks(idata, statistics, {**p_values, "median": 0.5})
    with pytest.raises(TypeError, match="statistics"):
        plot_predictive_checks(idata, {}, {})
    with pytest.raises(TypeError, match="function"):
        plot_predictive_checks(idata, {"min": 1.0}, {"min": 0.5})


def _ranks():
    sbc = {
        "optimum": simulate_sbc(1000, sd_factor=1.0, seed=8),
        "too narrow": simulate_sbc(1000, sd_factor=1 / 3, seed=8),
    }
    return {
        (label, name): result.ranks[name]
        for label, result in sbc.items()
        for name in ("mu", "sigma")
    }


def test_sbc_ecdf_puts_guides_in_columns_parameters_in_rows_with_arvizs_band():
    ranks = _ranks()
    fig = plot_sbc_ecdf(ranks, num_draws=99)
    axes = np.array(fig.axes).reshape(2, 2)
    for (label, name), r in ranks.items():
        ax = axes[("mu", "sigma").index(name), ("optimum", "too narrow").index(label)]
        assert ax.get_title() == f"{label} guide: rank of the true {name}"
        x, y = ax.get_lines()[0].get_data()  # the ECDF difference at the ends of 20 bins
        np.testing.assert_allclose(x, np.arange(1, 21) / 20)
        expected = [np.mean(r < 5 * j) - j / 20 for j in range(1, 21)]
        np.testing.assert_allclose(y, expected, atol=1e-12)
        assert len(ax.collections) == 1  # the band
        if label == "too narrow":
            assert y[0] > 0.1 and y[-2] < -0.1  # U-shaped ranks: above 0, then below
    assert len(fig.legends) == 1
    assert _legend_overlaps(fig) == []


def test_sbc_ecdf_validates_its_arguments():
    r = next(iter(_ranks().values()))
    with pytest.raises(TypeError, match="ranks"):
        plot_sbc_ecdf({"optimum": r}, num_draws=99)
    with pytest.raises(TypeError, match="ranks"):
        plot_sbc_ecdf({}, num_draws=99)
    with pytest.raises(TypeError, match="num_draws"):
        plot_sbc_ecdf({("optimum", "mu"): r}, num_draws=99.0)
    with pytest.raises(ValueError, match="num_points"):
        plot_sbc_ecdf({("optimum", "mu"): r % 50}, num_draws=49)
