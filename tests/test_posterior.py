"""The exact posterior: known values, an independent brute-force check, the closed form."""

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from helpers import (
    exact_posterior,
    make_data,
)
from helpers.posterior import (
    MU_PRIOR,
    SIGMA_PRIOR,
    cdf_on_grid,
    normal_gamma_by_quadrature,
    normal_gamma_posterior,
)


@pytest.fixture(scope="module")
def original_data():
    return make_data(seed=0)


def test_exact_posterior_matches_the_reference_values_for_the_original_data(original_data):
    post = exact_posterior(original_data)
    assert post.mu_mean == pytest.approx(1.8187, abs=1e-4)
    assert post.mu_sd == pytest.approx(0.1251, abs=1e-4)
    assert post.sigma_mean == pytest.approx(3.9543, abs=1e-4)
    assert post.sigma_sd == pytest.approx(0.0886, abs=1e-4)
    assert post.log_evidence == pytest.approx(-2800.785, abs=1e-3)


def _brute_force_2d(data, mu_prior, sigma_prior):
    """An independent answer: the unnormalised joint density summed on a 2-D grid."""
    x = np.asarray(data, dtype=np.float64)
    mu = np.linspace(x.mean() - 40, x.mean() + 40, 2001)
    sigma = np.linspace(0.01, 100, 5000)
    m, s = np.meshgrid(mu, sigma, indexing="ij")
    log_joint = (
        stats.norm.logpdf(m, *mu_prior)
        + stats.gamma.logpdf(s, sigma_prior[0], scale=1 / sigma_prior[1])
        - x.size * np.log(s)
        - 0.5 * x.size * np.log(2 * np.pi)
        - ((x.size * (x.mean() - m) ** 2 + np.sum((x - x.mean()) ** 2)) / (2 * s**2))
    )
    peak = log_joint.max()
    dens = np.exp(log_joint - peak)
    z = integrate.trapezoid(integrate.trapezoid(dens, sigma, axis=1), mu)
    mu_mean = integrate.trapezoid(integrate.trapezoid(dens * m, sigma, axis=1), mu) / z
    sigma_mean = integrate.trapezoid(integrate.trapezoid(dens * s, sigma, axis=1), mu) / z
    mu_var = integrate.trapezoid(integrate.trapezoid(dens * m**2, sigma, axis=1), mu) / z
    return mu_mean, np.sqrt(mu_var - mu_mean**2), sigma_mean, np.log(z) + peak


@pytest.mark.parametrize(
    ("n", "mu_prior", "sigma_prior"),
    [(5, (0.0, 10.0), (1.0, 0.1)), (20, (1.0, 2.0), (3.0, 1.0)), (2, (-1.0, 0.5), (2.0, 0.5))],
)
def test_exact_posterior_agrees_with_a_brute_force_2d_grid(n, mu_prior, sigma_prior):
    data = make_data(n=n, mu=1.5, sigma=2.0, seed=3)
    post = exact_posterior(data, mu_prior=mu_prior, sigma_prior=sigma_prior)
    mu_mean, mu_sd, sigma_mean, log_z = _brute_force_2d(data.numpy(), mu_prior, sigma_prior)
    assert post.mu_mean == pytest.approx(mu_mean, abs=1e-3)
    assert post.mu_sd == pytest.approx(mu_sd, rel=1e-3)
    assert post.sigma_mean == pytest.approx(sigma_mean, rel=1e-3)
    assert post.log_evidence == pytest.approx(log_z, abs=1e-3)


@pytest.mark.parametrize("n", [1, 3, 50, 1000])
def test_quadrature_matches_the_conjugate_closed_form(n):
    data = make_data(n=n, seed=11)
    prior = {"loc": 1.0, "kappa": 0.5, "alpha": 2.0, "beta": 3.0}
    closed = normal_gamma_posterior(data, **prior)
    quad = normal_gamma_by_quadrature(data, **prior)
    assert quad.mu_mean == pytest.approx(closed.mu_mean, rel=1e-9, abs=1e-9)
    assert quad.mu_sd == pytest.approx(closed.mu_sd, rel=1e-7)
    assert quad.sigma_mean == pytest.approx(closed.sigma_mean, rel=1e-9)
    assert quad.sigma_sd == pytest.approx(closed.sigma_sd, rel=1e-7)
    assert quad.log_evidence == pytest.approx(closed.log_evidence, abs=1e-8)


def test_conjugate_log_evidence_matches_direct_integration():
    data = make_data(n=4, seed=2).numpy().astype(np.float64)
    loc, kappa, alpha, beta = 0.5, 1.0, 2.0, 2.0

    def joint(mu, lam):
        prior = stats.gamma.pdf(lam, alpha, scale=1 / beta) * stats.norm.pdf(
            mu, loc, 1 / np.sqrt(kappa * lam)
        )
        return prior * np.prod(stats.norm.pdf(data, mu, 1 / np.sqrt(lam)))

    evidence, _ = integrate.dblquad(joint, 1e-9, 30, -30, 30, epsabs=1e-13)
    closed = normal_gamma_posterior(data, loc=loc, kappa=kappa, alpha=alpha, beta=beta)
    assert closed.log_evidence == pytest.approx(np.log(evidence), abs=1e-4)


def test_marginal_densities_integrate_to_one_and_match_the_moments(original_data):
    post = exact_posterior(original_data)
    for grid, density, mean, sd in [
        (post.mu_grid, post.mu_density, post.mu_mean, post.mu_sd),
        (post.sigma_grid, post.sigma_density, post.sigma_mean, post.sigma_sd),
    ]:
        assert integrate.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-6)
        assert integrate.trapezoid(density * grid, grid) == pytest.approx(mean, rel=1e-6)
        var = integrate.trapezoid(density * (grid - mean) ** 2, grid)
        assert np.sqrt(var) == pytest.approx(sd, rel=1e-4)


def test_interval_is_central_and_narrows_with_level(original_data):
    post = exact_posterior(original_data)
    low, high = post.interval("mu", 0.95)
    # The posterior of mu is very nearly Normal at n = 1000.
    assert low == pytest.approx(post.mu_mean - 1.95996 * post.mu_sd, abs=2e-3)
    assert high == pytest.approx(post.mu_mean + 1.95996 * post.mu_sd, abs=2e-3)
    low50, high50 = post.interval("sigma", 0.5)
    low95, high95 = post.interval("sigma", 0.95)
    assert low95 < low50 < post.sigma_mean < high50 < high95
    with pytest.raises(ValueError, match="name"):
        post.interval("tau")
    with pytest.raises(ValueError, match="level"):
        post.interval("mu", 1.0)


def test_mu_and_sigma_are_nearly_uncorrelated_for_the_original_data(original_data):
    assert abs(exact_posterior(original_data).mu_sigma_corr) < 0.01


def test_exact_posterior_handles_ten_million_points_quickly():
    data = make_data(n=10_000_000, seed=5)
    post = exact_posterior(data)
    assert post.mu_mean == pytest.approx(float(data.double().mean()), abs=1e-6)
    assert post.mu_sd == pytest.approx(4.0 / np.sqrt(1e7), rel=0.01)


def test_exact_posterior_accepts_arrays_tensors_and_columns(original_data):
    reference = exact_posterior(original_data).mu_mean
    column = original_data.numpy().reshape(-1, 1)
    assert exact_posterior(column).mu_mean == reference
    assert exact_posterior(list(original_data.tolist())).mu_mean == pytest.approx(reference)
    assert exact_posterior(original_data.double()).mu_mean == pytest.approx(reference)


BAD_DATA = [
    ([], ValueError, "empty"),
    ([1.0, float("nan")], ValueError, "NaN"),
    ([1.0, float("inf")], ValueError, "infinite"),
    (np.ones((3, 2)), ValueError, "1-D"),
    (torch.ones(2, 2, 2), ValueError, "1-D"),
    ("1, 2, 3", TypeError, "data"),
    (None, TypeError, "data"),
    (["a", "b"], TypeError, "data"),
]


@pytest.mark.parametrize(("data", "error", "message"), BAD_DATA)
@pytest.mark.parametrize("function", [exact_posterior, normal_gamma_posterior])
def test_posteriors_reject_bad_data_clearly(function, data, error, message):
    with pytest.raises(error, match=message):
        function(data)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"mu_prior": (0.0, 0.0)}, ValueError, "mu_prior scale"),
        ({"mu_prior": (0.0, -1.0)}, ValueError, "mu_prior scale"),
        ({"mu_prior": (float("nan"), 1.0)}, ValueError, "mu_prior loc"),
        ({"mu_prior": (0.0, 1.0, 2.0)}, ValueError, "mu_prior"),
        ({"mu_prior": 3.0}, TypeError, "mu_prior"),
        ({"mu_prior": "ab"}, TypeError, "mu_prior"),
        ({"sigma_prior": (0.0, 0.1)}, ValueError, "sigma_prior concentration"),
        ({"sigma_prior": (1.0, -0.1)}, ValueError, "sigma_prior rate"),
        ({"sigma_prior": (1.0, float("inf"))}, ValueError, "sigma_prior rate"),
        ({"sigma_prior": (1.0, "0.1")}, TypeError, "sigma_prior rate"),
    ],
)
def test_exact_posterior_rejects_bad_priors_by_name(original_data, kwargs, error, message):
    with pytest.raises(error, match=message):
        exact_posterior(original_data, **kwargs)


@pytest.mark.parametrize("name", ["kappa", "alpha", "beta"])
@pytest.mark.parametrize("value", [0.0, -2.0, float("nan")])
def test_normal_gamma_rejects_bad_prior_parameters_by_name(original_data, name, value):
    with pytest.raises(ValueError, match=name):
        normal_gamma_posterior(original_data, **{name: value})


def test_the_course_prior_is_normal_0_10_and_gamma_1_0_1_and_every_default():
    # The prior every notebook writes out: mu ~ Normal(0, 10), sigma ~ Gamma(1, 0.1).
    assert MU_PRIOR == (0.0, 10.0) and SIGMA_PRIOR == (1.0, 0.1)
    data = make_data(n=30, seed=1)
    by_default = exact_posterior(data)
    written_out = exact_posterior(data, mu_prior=(0.0, 10.0), sigma_prior=(1.0, 0.1))
    assert by_default.log_evidence == written_out.log_evidence


def test_cdf_on_grid_matches_a_known_cdf_on_an_uneven_grid():
    grid = np.geomspace(1e-3, 60.0, 3000)  # uneven steps, as on the sigma grid
    density = 7.0 * stats.gamma.pdf(grid, 2.5, scale=4.0)  # unnormalised on purpose
    cdf = cdf_on_grid(grid, density)
    low, high = stats.gamma.cdf(grid[[0, -1]], 2.5, scale=4.0)
    exact = (stats.gamma.cdf(grid, 2.5, scale=4.0) - low) / (high - low)  # on the grid's range
    assert cdf[0] == 0.0 and cdf[-1] == 1.0 and np.all(np.diff(cdf) >= 0)
    # The trapezoid rule's error with the largest step here (0.02 at the far end) is ~1e-5.
    np.testing.assert_allclose(cdf, exact, atol=1e-5)
