"""Notebook 08's model-checking helpers: references agree with independent calculations."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats

from helpers import exact_posterior
from helpers.model_checks import (
    exact_normal_loo,
    exact_predictive_p_value,
    exact_student_t_posterior,
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
        simulated = np.mean(replicates.min(axis=1) >= data.min())
    else:
        simulated = np.mean(replicates.max(axis=1) >= data.max())
    exact = exact_predictive_p_value(data, statistic, **PRIORS)
    assert 0 < exact < 1
    assert exact == pytest.approx(simulated, abs=4 * np.sqrt(exact * (1 - exact) / mu.size))


def test_predictive_p_values_of_both_extremes_take_the_upper_tail():
    # One convention, notebook 07's P(T(rep) >= T(data)): a minimum far below the model's
    # replicates gives a p-value near 1, and so does a maximum far below theirs.
    x = np.random.default_rng(5).normal(0.0, 1.0, size=50)
    low = np.append(x, -12.0)
    assert exact_predictive_p_value(low, "min", **PRIORS) > 0.99
    assert exact_predictive_p_value(low, "max", **PRIORS) > 0.9
    high = np.append(x, 12.0)
    assert exact_predictive_p_value(high, "max", **PRIORS) < 0.01


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


def _loo_by_refitting(data, i, num_samples=40_000):
    """log p(x_i | x_-i) by Monte Carlo over exact draws from the posterior without x_i."""
    mu, sigma = sample_exact_posterior(np.delete(data, i), **PRIORS, num_samples=num_samples)
    densities = stats.norm.pdf(data[i], mu, sigma)
    return np.log(densities.mean()), densities.std() / densities.mean() / np.sqrt(num_samples)


@pytest.mark.parametrize("i", [0, 1, 7])  # 0 is the outlier: its own leave-one-out is far off
def test_exact_loo_matches_monte_carlo_over_the_posterior_without_the_point(data, i):
    loo = exact_normal_loo(data, **PRIORS)
    estimate, standard_error = _loo_by_refitting(data, i)
    assert loo[i] == pytest.approx(estimate, abs=4 * standard_error + 1e-3)


def test_exact_loo_is_a_ratio_of_evidences(data):
    loo = exact_normal_loo(data, **PRIORS)
    full = exact_posterior(data, **PRIORS).log_evidence
    for i in (0, 3):
        rest = exact_posterior(np.delete(data, i), **PRIORS).log_evidence
        assert loo[i] == pytest.approx(full - rest, abs=1e-6)


def test_exact_loo_of_an_outlier_is_below_its_in_sample_density(data):
    # Predicting a point from the others must be worse than from a posterior that saw it, and
    # far worse for the outlier than for a typical point.
    loo = exact_normal_loo(data, **PRIORS)
    post = exact_posterior(data, **PRIORS)
    in_sample = stats.norm.logpdf(data, post.mu_mean, post.sigma_mean)
    assert np.all(loo < in_sample + 0.05)
    assert in_sample[0] - loo[0] > 5 * np.median(in_sample - loo)


def test_exact_loo_falls_back_to_evidences_for_an_extreme_point():
    # A point so far out that the posterior without it lies off the full posterior's sigma grid.
    x = np.append(np.random.default_rng(2).normal(0.0, 0.01, size=40), 1e4)
    loo = exact_normal_loo(x, **PRIORS)
    rest = exact_posterior(x[:-1], **PRIORS).log_evidence
    assert np.all(np.isfinite(loo))
    assert loo[-1] == pytest.approx(exact_posterior(x, **PRIORS).log_evidence - rest, abs=1e-6)


def test_student_t_quadrature_with_a_huge_nu_is_the_normal_model(data):
    # nu ~ Gamma(1e6, 10): nu is 1e5 to within 0.1%, and a t with 1e5 degrees of freedom is a
    # normal to within 1e-4 in log density here.
    t = exact_student_t_posterior(data, **PRIORS, nu_prior=(1e6, 10.0))
    post = exact_posterior(data, **PRIORS)
    assert t.mean["mu"] == pytest.approx(post.mu_mean, abs=1e-3 * post.mu_sd)
    assert t.sd["mu"] == pytest.approx(post.mu_sd, rel=1e-3)
    assert t.mean["sigma"] == pytest.approx(post.sigma_mean, abs=1e-3 * post.sigma_sd)
    assert t.sd["sigma"] == pytest.approx(post.sigma_sd, rel=1e-3)
    assert t.mean["nu"] == pytest.approx(1e5, rel=1e-3)
    assert t.loo == pytest.approx(exact_normal_loo(data, **PRIORS), abs=2e-3)


def test_student_t_quadrature_matches_brute_force_on_a_fine_fixed_grid():
    x = np.array([0.3, -1.2, 2.0, 0.1, 5.5])
    priors = {"mu_prior": (0.0, 3.0), "sigma_prior": (2.0, 1.0), "nu_prior": (2.0, 0.1)}
    t = exact_student_t_posterior(x, **priors)
    mu = np.linspace(-6, 8, 141)[:, None, None]
    sigma = np.exp(np.linspace(np.log(0.05), np.log(20), 141))[None, :, None]
    nu = np.exp(np.linspace(np.log(0.02), np.log(400), 141))[None, None, :]
    log_prior = (
        stats.norm.logpdf(mu, 0, 3)
        + stats.gamma.logpdf(sigma, 2, scale=1.0)
        + np.log(sigma)
        + stats.gamma.logpdf(nu, 2, scale=10.0)
        + np.log(nu)
    )
    pointwise = [stats.t.logpdf(v, nu, mu, sigma) for v in x]
    log_joint = log_prior + sum(pointwise)
    weights = np.exp(log_joint - log_joint.max())
    weights /= weights.sum()
    assert t.mean["mu"] == pytest.approx(float(np.sum(weights * mu)), abs=2e-3)
    assert t.mean["nu"] == pytest.approx(float(np.sum(weights * nu)), rel=2e-3)
    assert t.sd["sigma"] == pytest.approx(
        float(np.sqrt(np.sum(weights * sigma**2) - np.sum(weights * sigma) ** 2)), rel=2e-3
    )
    log_z = np.logaddexp.reduce(log_joint, axis=None)
    for i, ll in enumerate(pointwise):
        expected = log_z - np.logaddexp.reduce((log_joint - ll).ravel())
        assert t.loo[i] == pytest.approx(expected, abs=2e-3)


def test_student_t_quadrature_flags_the_outlier_as_hard_to_predict(data):
    t = exact_student_t_posterior(data, **PRIORS, nu_prior=(2.0, 0.1))
    assert int(np.argmin(t.loo)) == 0
    assert t.mean["nu"] < 10  # one outlier in 30 points: heavy tails


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"nu_prior": (0.0, 0.1)}, ValueError),
        ({"nu_prior": (2.0,)}, (TypeError, ValueError)),
        ({"num_points": 3}, ValueError),
    ],
)
def test_student_t_quadrature_validates_its_inputs(data, kwargs, error):
    with pytest.raises(error):
        exact_student_t_posterior(data, **kwargs)
