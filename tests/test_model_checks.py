"""Notebook 08's model-checking helpers: references agree with independent calculations."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats

from helpers import exact_posterior
from helpers.model_checks import (
    exact_predictive_p_value,
    plot_minimum_check,
    sample_exact_posterior,
    student_t_posterior,
)

PRIORS = {"mu_prior": (1.0, 5.0), "sigma_prior": (2.0, 0.5)}


@pytest.fixture(scope="module")
def data():
    x = np.random.default_rng(3).normal(2.0, 1.5, size=30)
    x[0] = -6.0  # one outlier, so that the Student-t and Normal answers differ
    return x


def test_exact_posterior_draws_have_the_exact_moments(data):
    mu, sigma = sample_exact_posterior(data, **PRIORS, num_samples=40_000, seed=1)
    post = exact_posterior(data, **PRIORS)
    assert mu.mean() == pytest.approx(post.mu_mean, abs=0.02 * post.mu_sd)
    assert mu.std() == pytest.approx(post.mu_sd, rel=0.02)
    assert sigma.mean() == pytest.approx(post.sigma_mean, abs=0.02 * post.sigma_sd)
    assert sigma.std() == pytest.approx(post.sigma_sd, rel=0.02)
    assert np.corrcoef(mu, sigma)[0, 1] == pytest.approx(post.mu_sigma_corr, abs=0.02)


def test_exact_posterior_draws_are_reproducible(data):
    first = sample_exact_posterior(data, **PRIORS, num_samples=10, seed=5)
    again = sample_exact_posterior(data, **PRIORS, num_samples=10, seed=5)
    other = sample_exact_posterior(data, **PRIORS, num_samples=10, seed=6)
    assert np.array_equal(first[0], again[0]) and not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("statistic", ["min", "max"])
def test_predictive_p_value_matches_simulated_replicates(data, statistic):
    mu, sigma = sample_exact_posterior(data, **PRIORS, num_samples=20_000, seed=2)
    rng = np.random.default_rng(4)
    replicates = rng.normal(mu[:, None], sigma[:, None], (mu.size, data.size))
    if statistic == "min":
        simulated = np.mean(replicates.min(axis=1) <= data.min())
    else:
        simulated = np.mean(replicates.max(axis=1) >= data.max())
    exact = exact_predictive_p_value(data, statistic, **PRIORS)
    assert 0 < exact < 1
    assert exact == pytest.approx(simulated, abs=4 * np.sqrt(exact * (1 - exact) / mu.size))


def test_predictive_p_value_rejects_an_unknown_statistic(data):
    with pytest.raises(ValueError, match="statistic"):
        exact_predictive_p_value(data, "median", **PRIORS)


def test_student_t_with_huge_nu_is_the_normal_model(data):
    post = exact_posterior(data, **PRIORS)
    t = student_t_posterior(data, 1e7, **PRIORS)
    assert t.mu_mean == pytest.approx(post.mu_mean, abs=1e-3 * post.mu_sd)
    assert t.mu_sd == pytest.approx(post.mu_sd, rel=1e-3)


def test_student_t_grid_matches_brute_force_quadrature(data):
    mu = np.linspace(-3.0, 6.0, 700)
    sigma = np.linspace(0.05, 8.0, 700)
    m, s = np.meshgrid(mu, sigma, indexing="ij")
    log_post = (
        stats.norm.logpdf(m, 1.0, 5.0)
        + stats.gamma.logpdf(s, 2.0, scale=1 / 0.5)
        + stats.t.logpdf(data[:, None, None], 3.0, m, s).sum(axis=0)
    )
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    mean = np.sum(w * m)
    sd = np.sqrt(np.sum(w * (m - mean) ** 2))
    t = student_t_posterior(data, 3.0, **PRIORS)
    assert t.mu_mean == pytest.approx(mean, abs=0.01 * sd)
    assert t.mu_sd == pytest.approx(sd, rel=0.01)


def test_student_t_ignores_an_outlier_more_than_the_normal_model(data):
    normal = exact_posterior(data, **PRIORS).mu_mean
    robust = student_t_posterior(data, 2.0, **PRIORS).mu_mean
    without = exact_posterior(data[1:], **PRIORS).mu_mean
    assert abs(robust - without) < abs(normal - without)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"nu": 0.0}, ValueError),
        ({"nu": "3"}, TypeError),
        ({"nu": 3.0, "mu_prior": (0.0, -1.0)}, ValueError),
        ({"nu": 3.0, "sigma_prior": (2.0,)}, ValueError),
    ],
)
def test_student_t_validates_its_inputs(data, kwargs, error):
    with pytest.raises(error):
        student_t_posterior(data, **kwargs)


def test_sample_count_is_validated(data):
    with pytest.raises(ValueError, match="num_samples"):
        sample_exact_posterior(data, num_samples=0)
    with pytest.raises(TypeError, match="num_samples"):
        sample_exact_posterior(data, num_samples=2.5)


def test_minimum_check_plot_has_both_panels_labelled(data):
    rng = np.random.default_rng(0)
    normal = rng.normal(2.0, 1.5, size=(200, data.size))
    heavy = 2.0 + 1.5 * rng.standard_t(1.5, size=(200, data.size))
    fig = plot_minimum_check(
        data, {"normal": normal, "heavy": heavy}, floor=-20.0, unit="cm", bin_width=0.5
    )
    left, right = fig.axes
    for ax in (left, right):
        assert ax.get_title() and "(cm)" in ax.get_xlabel() and ax.get_ylabel()
    left_labels = left.get_legend_handles_labels()[1]
    assert "normal: replicated minima" in left_labels and "heavy: replicated minima" in left_labels
    assert any(label.startswith("observed minimum") for label in left_labels)
    assert {"data", "normal: predictive", "heavy: predictive"} <= set(
        right.get_legend_handles_labels()[1]
    )
    plt.close(fig)


def test_minimum_check_draws_far_minima_at_the_floor(data):
    replicates = np.tile(data, (10, 1))
    replicates[:5, 0] = -1000.0
    fig = plot_minimum_check(data, {"model": replicates}, floor=-50.0, unit="cm", bin_width=2.0)
    bars = fig.axes[0].patches
    heights = {round(bar.get_x() + bar.get_width() / 2): bar.get_height() for bar in bars}
    assert heights[-50] > 0  # the five far minima are counted in the floor's bin
    plt.close(fig)


@pytest.mark.parametrize(
    "replicates, error",
    [
        ({}, TypeError),
        ([np.zeros((3, 30))], TypeError),
        ({"model": np.zeros((3, 29))}, ValueError),
        ({"model": np.zeros(30)}, ValueError),
    ],
)
def test_minimum_check_validates_the_replicates(data, replicates, error):
    with pytest.raises(error, match="replicates"):
        plot_minimum_check(data, replicates, floor=-50.0, unit="cm", bin_width=2.0)
