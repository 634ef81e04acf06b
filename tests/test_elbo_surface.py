"""The closed-form ELBO of the Normal x Gamma guide, its optimum, and the conditioning tools."""

import math

import numpy as np
import pyro
import pyro.distributions as dist
import pytest
import torch
from scipy import optimize

from helpers import exact_posterior, make_data, setup
from helpers.elbo_surface import (
    _gamma_gradient,
    best_normal_gamma_guide,
    best_normal_lognormal_guide,
    condition_number,
    gradient,
    hessian,
    normal_gamma_elbo,
    normal_lognormal_elbo,
    sgd_path_normal_gamma,
)
from helpers.posterior import SufficientStatistics
from helpers.training import estimate_elbo


def model(data):
    mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
    sigma = pyro.sample("sigma", dist.Gamma(1.0, 0.1))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(mu, sigma), obs=data)


def fixed_guide(mu_loc, mu_scale, shape, rate):
    def guide(data):
        pyro.sample("mu", dist.Normal(mu_loc, mu_scale))
        pyro.sample("sigma", dist.Gamma(shape, rate))

    return guide


def fixed_lognormal_guide(mu_loc, mu_scale, sigma_loc, sigma_scale):
    def guide(data):
        pyro.sample("mu", dist.Normal(mu_loc, mu_scale))
        pyro.sample("sigma", dist.LogNormal(sigma_loc, sigma_scale))

    return guide


@pytest.fixture(scope="module")
def data():
    return make_data(n=200, seed=3)


@pytest.fixture(scope="module")
def best(data):
    return best_normal_gamma_guide(data)


@pytest.mark.parametrize("params", [(1.5, 0.3, 50.0, 12.0), (2.5, 0.5, 8.0, 2.5)])
def test_closed_form_elbo_matches_a_monte_carlo_estimate(data, params):
    setup(0)
    estimate = estimate_elbo(model, fixed_guide(*params), data, num_particles=20_000)
    assert float(normal_gamma_elbo(data, *params)) == pytest.approx(
        estimate.elbo, abs=4 * estimate.std_error
    )


@pytest.mark.parametrize("params", [(1.5, 0.3, 1.4, 0.05), (2.5, 0.5, 1.0, 0.3)])
def test_closed_form_lognormal_elbo_matches_a_monte_carlo_estimate(data, params):
    setup(0)
    estimate = estimate_elbo(model, fixed_lognormal_guide(*params), data, num_particles=20_000)
    assert float(normal_lognormal_elbo(data, *params)) == pytest.approx(
        estimate.elbo, abs=4 * estimate.std_error
    )


def test_closed_form_elbo_is_a_lower_bound_on_the_log_evidence(data):
    log_evidence = exact_posterior(data).log_evidence
    for params in [(0.0, 10.0, 3.0, 0.1), (1.8, 0.25, 100.0, 25.0), (2.0, 0.1, 1e4, 2.5e3)]:
        assert normal_gamma_elbo(data, *params) < log_evidence


def test_elbo_is_minus_infinity_when_the_shape_is_at_most_two(data):
    values = normal_gamma_elbo(data, 1.0, 1.0, np.array([1.0, 2.0, 2.5]), 1.0)
    assert np.isneginf(values[0]) and np.isneginf(values[1]) and np.isfinite(values[2])


def test_elbo_broadcasts_over_a_grid(data):
    shape, rate = np.meshgrid(np.linspace(3, 300, 4), np.linspace(1, 80, 5))
    grid = normal_gamma_elbo(data, 2.0, 0.3, shape, rate)
    assert grid.shape == (5, 4)
    assert grid[2, 3] == pytest.approx(
        float(normal_gamma_elbo(data, 2.0, 0.3, shape[2, 3], rate[2, 3]))
    )


def test_elbo_accepts_tensors_and_sufficient_statistics(data):
    stats_ = SufficientStatistics.from_data(data)
    by_data = float(normal_gamma_elbo(data, 2.0, 0.3, 50.0, 12.0))
    by_stats = float(normal_gamma_elbo(stats_, torch.tensor(2.0), 0.3, 50.0, torch.tensor(12.0)))
    assert by_stats == pytest.approx(by_data, rel=1e-12)


def test_analytic_gradient_matches_finite_differences(data):
    stats_ = SufficientStatistics.from_data(data)
    z = np.array([1.7, np.log(0.3), np.log(40.0), np.log(10.0)])

    def elbo(w):
        return float(normal_gamma_elbo(stats_, w[0], np.exp(w[1]), np.exp(w[2]), np.exp(w[3])))

    numeric = [(elbo(z + h) - elbo(z - h)) / 2e-6 for h in np.eye(4) * 1e-6]
    np.testing.assert_allclose(
        _gamma_gradient(stats_, z, (0.0, 10.0, 1.0, 0.1)), numeric, rtol=1e-5
    )


def _maximise_lognormal_elbo_by_bfgs(stats_, mu_prior, sigma_prior):
    """An independent optimum: scipy's BFGS on the exact ELBO, from a start away from it."""
    sd = np.sqrt(stats_.sum_sq_dev / stats_.n)

    def loss(w):  # w = (mu_loc, log mu_scale, sigma_loc, log sigma_scale)
        value = normal_lognormal_elbo(
            stats_, w[0], np.exp(w[1]), w[2], np.exp(w[3]), mu_prior, sigma_prior
        )
        return -float(value)

    start = np.array([stats_.mean + sd, np.log(sd), np.log(sd) + 0.5, np.log(0.5)])
    result = optimize.minimize(loss, start, method="BFGS", options={"gtol": 1e-9})
    w = result.x
    return (w[0], np.exp(w[1]), w[2], np.exp(w[3])), -result.fun


@pytest.mark.parametrize(
    ("n", "mu", "sigma", "priors"),
    [
        (2, 1.0, 3.0, {}),
        (5, -30.0, 0.05, {}),
        (50, 3.0, 20.0, {}),
        (1000, 2.0, 4.0, {}),
        (66, 26.0, 11.0, {"mu_prior": (0.0, 100.0), "sigma_prior": (2.0, 0.1)}),  # 08's
        (20, 2.0, 4.0, {"mu_prior": (5.0, 0.5), "sigma_prior": (3.0, 2.0)}),  # prior-dominated
    ],
)
def test_best_lognormal_guide_is_the_maximum_of_the_exact_elbo(n, mu, sigma, priors):
    data = make_data(n=n, mu=mu, sigma=sigma, seed=3)
    stats_ = SufficientStatistics.from_data(data)
    best = best_normal_lognormal_guide(data, **priors)
    (mu_loc, mu_scale, sigma_loc, sigma_scale), bfgs_elbo = _maximise_lognormal_elbo_by_bfgs(
        stats_, priors.get("mu_prior", (0.0, 10.0)), priors.get("sigma_prior", (1.0, 0.1))
    )
    # At a maximum the ELBO is flat: BFGS stops within ~1e-8 of it in each parameter, in units
    # of that parameter's own spread (mu_scale for mu_loc, sigma_scale for sigma_loc).
    assert best.mu_loc == pytest.approx(mu_loc, abs=1e-5 * mu_scale)
    assert best.mu_scale == pytest.approx(mu_scale, rel=1e-5)
    assert best.sigma_loc == pytest.approx(sigma_loc, abs=1e-5 * sigma_scale)
    assert best.sigma_scale == pytest.approx(sigma_scale, rel=1e-5)
    assert best.elbo >= bfgs_elbo - 1e-9  # never below an independent maximiser's
    assert best.elbo == pytest.approx(
        float(normal_lognormal_elbo(data, mu_loc, mu_scale, sigma_loc, sigma_scale, **priors)),
        abs=1e-8,
    )


def test_best_lognormal_guide_of_many_data_sets_is_each_one_s_best():
    data_sets = [make_data(n=100, mu=mu, sigma=sigma, seed=1) for mu, sigma in [(0, 1), (5, 20)]]
    singles = [best_normal_lognormal_guide(x) for x in data_sets]
    stats_ = [SufficientStatistics.from_data(x) for x in data_sets]
    many = best_normal_lognormal_guide(
        SufficientStatistics(
            n=100,
            mean=np.array([s.mean for s in stats_]),
            sum_sq_dev=np.array([s.sum_sq_dev for s in stats_]),
        )
    )
    for field in ("mu_loc", "mu_scale", "sigma_loc", "sigma_scale", "elbo"):
        values = getattr(many, field)
        assert values.shape == (2,)
        assert values == pytest.approx([getattr(single, field) for single in singles], rel=1e-9)
    assert isinstance(singles[0].mu_loc, float)  # one data set: plain floats


def test_best_lognormal_guide_is_nearly_exact_with_many_data():
    data = make_data(n=1000, seed=0)
    post = exact_posterior(data)
    best = best_normal_lognormal_guide(data)
    sigma = dist.LogNormal(best.sigma_loc, best.sigma_scale)
    assert 0 < post.log_evidence - best.elbo < 0.01
    assert best.mu_scale == pytest.approx(post.mu_sd, rel=0.01)
    assert float(sigma.mean) == pytest.approx(post.sigma_mean, rel=0.001)
    assert float(sigma.stddev) == pytest.approx(post.sigma_sd, rel=0.01)


def test_best_lognormal_guide_is_narrower_than_the_posterior_with_few_data():
    data = make_data(n=50, seed=0)
    post = exact_posterior(data)
    best = best_normal_lognormal_guide(data)
    sigma_sd = float(dist.LogNormal(best.sigma_loc, best.sigma_scale).stddev)
    assert 0.9 < sigma_sd / post.sigma_sd < 0.99  # KL(q || p) fits are too narrow, here by ~3%
    assert best.mu_scale < post.mu_sd


def test_best_guide_is_nearly_exact_and_matches_the_posterior_moments(data, best):
    post = exact_posterior(data)
    kl = post.log_evidence - best.elbo
    assert 0 < kl < 0.01
    assert best.mu_loc == pytest.approx(post.mu_mean, abs=0.01 * post.mu_sd)
    assert best.mu_scale == pytest.approx(post.mu_sd, rel=0.01)
    assert best.shape / best.rate == pytest.approx(post.sigma_mean, rel=0.001)
    assert math.sqrt(best.shape) / best.rate == pytest.approx(post.sigma_sd, rel=0.02)


def test_best_guide_is_a_maximum(data, best):
    for change in [(0.01, 1, 1, 1), (0, 1.05, 1, 1), (0, 1, 1.1, 1.1), (0, 1, 1.02, 1)]:
        moved = (best.mu_loc + change[0], best.mu_scale * change[1])
        moved += (best.shape * change[2], best.rate * change[3])
        assert normal_gamma_elbo(data, *moved) < best.elbo


def test_best_guide_uses_the_priors_it_is_given(data, best):
    strong = best_normal_gamma_guide(data, mu_prior=(0.0, 0.05))
    assert abs(strong.mu_loc) < 0.5 * abs(best.mu_loc)


def test_hessian_of_a_quadratic_is_exact():
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    h = hessian(lambda x: 0.5 * x @ a @ x + x[0], [0.3, -0.7], step=1e-3)
    np.testing.assert_allclose(h, a, rtol=1e-6)


def test_condition_number_of_known_matrices():
    assert condition_number(np.diag([1.0, 100.0])) == pytest.approx(100.0)
    assert condition_number(np.diag([1.0, 100.0]), precondition=True) == pytest.approx(1.0)
    correlated = np.array([[1.0, 0.99], [0.99, 1.0]])
    assert condition_number(correlated, precondition=True) == pytest.approx(1.99 / 0.01)


def test_gamma_ridge_is_badly_conditioned_in_shape_and_rate_but_not_in_mean_and_concentration(
    data, best
):
    def loss_shape_rate(z):
        return -float(normal_gamma_elbo(data, best.mu_loc, best.mu_scale, *np.exp(z)))

    def loss_mean_concentration(z):
        mean, concentration = np.exp(z)
        return -float(
            normal_gamma_elbo(data, best.mu_loc, best.mu_scale, concentration, concentration / mean)
        )

    h = hessian(loss_shape_rate, np.log([best.shape, best.rate]))
    h_mc = hessian(loss_mean_concentration, np.log([best.shape / best.rate, best.shape]))
    assert condition_number(h, precondition=True) > 1e2  # n = 200 here; it grows with n
    assert condition_number(h_mc, precondition=True) < 2


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ((1.0, -0.3, 50.0, 12.0), "mu_scale must be positive"),
        ((1.0, 0.3, 0.0, 12.0), "shape must be positive"),
        ((1.0, 0.3, 50.0, float("nan")), "rate contains NaN"),
        ((float("inf"), 0.3, 50.0, 12.0), "mu_loc contains NaN or infinite"),
    ],
)
def test_elbo_rejects_invalid_guide_parameters(data, params, error):
    with pytest.raises(ValueError, match=error):
        normal_gamma_elbo(data, *params)


def test_elbo_rejects_invalid_data_priors_and_types():
    with pytest.raises(ValueError, match="empty"):
        normal_gamma_elbo([], 1.0, 1.0, 3.0, 1.0)
    with pytest.raises(ValueError, match="mu_prior scale must be positive"):
        normal_gamma_elbo([1.0, 2.0], 1.0, 1.0, 3.0, 1.0, mu_prior=(0.0, -1.0))
    with pytest.raises(TypeError, match="shape must be a number"):
        normal_gamma_elbo([1.0, 2.0], 1.0, 1.0, "3", 1.0)


def test_best_guides_need_spread_out_data():
    with pytest.raises(ValueError, match="two different values"):
        best_normal_gamma_guide([2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="two different values"):
        best_normal_lognormal_guide([2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="more points than the sigma prior's concentration"):
        best_normal_lognormal_guide([1.0, 2.0], sigma_prior=(3.0, 0.1))


def test_lognormal_elbo_rejects_invalid_guide_parameters(data):
    with pytest.raises(ValueError, match="sigma_scale must be positive"):
        normal_lognormal_elbo(data, 1.0, 0.3, 1.4, 0.0)
    with pytest.raises(ValueError, match="sigma_loc contains NaN"):
        normal_lognormal_elbo(data, 1.0, 0.3, float("nan"), 0.1)


def test_hessian_and_condition_number_reject_bad_input():
    with pytest.raises(ValueError, match="1-D"):
        hessian(lambda x: 0.0, [[1.0, 2.0]])
    with pytest.raises(ValueError, match="not finite"):
        hessian(lambda x: math.inf if x[0] > 0 else 0.0, [0.0])
    with pytest.raises(ValueError, match="square"):
        condition_number(np.ones((2, 3)))
    with pytest.raises(ValueError, match="symmetric"):
        condition_number(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="positive definite"):
        condition_number(np.diag([1.0, -1.0]))
    with pytest.raises(ValueError, match="positive diagonal"):
        condition_number(np.array([[0.0, 0.0], [0.0, 1.0]]), precondition=True)


def test_gradient_by_central_differences_matches_the_exact_gradient(data):
    stats_ = SufficientStatistics.from_data(data)
    z = np.array([1.5, np.log(0.3), np.log(50.0), np.log(12.0)])

    def elbo(w):
        return float(normal_gamma_elbo(stats_, w[0], *np.exp(w[1:])))

    np.testing.assert_allclose(
        gradient(elbo, z), _gamma_gradient(stats_, z, (0.0, 10.0, 1.0, 0.1)), rtol=1e-5
    )
    assert gradient(lambda w: float(w @ w), [1.0, -2.0]) == pytest.approx([2.0, -4.0])


def test_gradient_rejects_bad_input():
    with pytest.raises(ValueError, match="1-D"):
        gradient(lambda x: 0.0, [[1.0, 2.0]])
    with pytest.raises(ValueError, match="not finite"):
        gradient(lambda x: np.inf if x[0] > 0 else 0.0, [0.0])


def test_sgd_path_takes_torch_sgd_steps_with_momentum_on_the_exact_gradient(data):
    stats_ = SufficientStatistics.from_data(data)
    start = (1.5, 0.3, 50.0, 12.0)
    path = sgd_path_normal_gamma(data, start, lr=1e-5, momentum=0.8, num_steps=2)
    assert path.shape == (3, 4)
    np.testing.assert_allclose(path[0], start)
    z0 = np.array([start[0], *np.log(start[1:])])
    g0 = -_gamma_gradient(stats_, z0, (0.0, 10.0, 1.0, 0.1))  # gradient of the loss, -ELBO
    z1 = z0 - 1e-5 * g0
    g1 = -_gamma_gradient(stats_, z1, (0.0, 10.0, 1.0, 0.1))
    z2 = z1 - 1e-5 * (0.8 * g0 + g1)  # torch: buffer = momentum * buffer + gradient
    np.testing.assert_allclose(path[1], [z1[0], *np.exp(z1[1:])], rtol=1e-12)
    np.testing.assert_allclose(path[2], [z2[0], *np.exp(z2[1:])], rtol=1e-12)


def test_sgd_path_crawls_along_the_ridge_with_a_small_learning_rate(best):
    data = make_data(n=200, seed=3)
    sd = float(data.std())
    start = (float(data.mean()), 0.1 * sd, 50.0, 50.0 / sd)
    path = sgd_path_normal_gamma(data, start, lr=1e-5, momentum=0.8, num_steps=2000)
    shape, rate = path[-1, 2:]
    assert shape / rate == pytest.approx(best.shape / best.rate, rel=0.05)  # near the ridge
    assert 55.0 < shape < best.shape / 4  # climbing along it, but far from the optimum
    elbos = normal_gamma_elbo(data, *path.T)
    assert elbos[-1] > elbos[100] > elbos[0]


def test_sgd_path_rejects_bad_arguments(data):
    start = (1.5, 0.3, 50.0, 12.0)
    with pytest.raises(ValueError, match="above 2"):
        sgd_path_normal_gamma(data, (1.5, 0.3, 1.0, 0.1), 1e-5, 0.8, 10)
    with pytest.raises(ValueError, match="momentum"):
        sgd_path_normal_gamma(data, start, 1e-5, 1.0, 10)
    with pytest.raises(ValueError, match="num_steps"):
        sgd_path_normal_gamma(data, start, 1e-5, 0.8, 0)
    with pytest.raises(ValueError, match="lr"):
        sgd_path_normal_gamma(data, start, -1.0, 0.8, 10)
    with pytest.raises(ValueError, match="left the region"):
        sgd_path_normal_gamma(data, start, 10.0, 0.0, 10)
