"""Property-based tests of the helpers: invariances of the exact posterior, agreement with the
closed form, and clear errors for every kind of bad input to every public helper."""

import math

import numpy as np
import pyro
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import helpers.checks.estimation as checks
from helpers import exact_posterior, make_data, setup
from helpers.posterior import (
    SufficientStatistics,
    normal_gamma_by_quadrature,
    normal_gamma_posterior,
)
from helpers.training import estimate_elbo, train

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

values = st.floats(min_value=-50, max_value=50, allow_nan=False, allow_infinity=False)
datasets = st.lists(values, min_size=2, max_size=40).filter(lambda xs: np.std(xs) > 0.05)


def _close(a, b, scale=1.0):
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6 * scale)


@SETTINGS
@given(data=datasets, shift=st.floats(-100, 100), loc=st.floats(-10, 10))
def test_shifting_data_and_prior_location_shifts_mu_only(data, shift, loc):
    x = np.array(data)
    base = exact_posterior(x, mu_prior=(loc, 10.0), sigma_prior=(2.0, 0.5))
    moved = exact_posterior(x + shift, mu_prior=(loc + shift, 10.0), sigma_prior=(2.0, 0.5))
    assert _close(moved.mu_mean, base.mu_mean + shift, scale=1 + abs(shift))
    assert _close(moved.mu_sd, base.mu_sd)
    assert _close(moved.sigma_mean, base.sigma_mean)
    assert _close(moved.sigma_sd, base.sigma_sd)
    assert _close(moved.log_evidence, base.log_evidence, scale=abs(base.log_evidence))


@SETTINGS
@given(data=datasets, factor=st.floats(0.01, 100))
def test_scaling_data_and_priors_scales_mu_and_sigma(data, factor):
    x = np.array(data)
    base = exact_posterior(x, mu_prior=(1.0, 10.0), sigma_prior=(2.0, 0.5))
    scaled = exact_posterior(
        x * factor, mu_prior=(1.0 * factor, 10.0 * factor), sigma_prior=(2.0, 0.5 / factor)
    )
    for name in ("mu_mean", "mu_sd", "sigma_mean", "sigma_sd"):
        expected = getattr(base, name) * factor
        assert math.isclose(getattr(scaled, name), expected, rel_tol=1e-6, abs_tol=1e-9 * factor)
    # Densities of data in units scaled by `factor` are divided by factor, once per point.
    expected_log_evidence = base.log_evidence - len(x) * math.log(factor)
    assert math.isclose(scaled.log_evidence, expected_log_evidence, rel_tol=1e-8, abs_tol=1e-6)


@SETTINGS
@given(
    data=st.lists(values, min_size=1, max_size=40),
    loc=st.floats(-10, 10),
    kappa=st.floats(0.01, 10),
    alpha=st.floats(1.5, 20),
    beta=st.floats(0.1, 50),
)
def test_quadrature_agrees_with_the_conjugate_closed_form(data, loc, kappa, alpha, beta):
    closed = normal_gamma_posterior(data, loc=loc, kappa=kappa, alpha=alpha, beta=beta)
    quad = normal_gamma_by_quadrature(data, loc=loc, kappa=kappa, alpha=alpha, beta=beta)
    assert math.isclose(quad.mu_mean, closed.mu_mean, rel_tol=1e-7, abs_tol=1e-7)
    assert math.isclose(quad.mu_sd, closed.mu_sd, rel_tol=1e-6)
    assert math.isclose(quad.sigma_mean, closed.sigma_mean, rel_tol=1e-7)
    assert math.isclose(quad.log_evidence, closed.log_evidence, rel_tol=1e-9, abs_tol=1e-6)


def test_data_with_no_spread_is_rejected_when_the_posterior_is_improper():
    with pytest.raises(ValueError, match="no spread"):
        exact_posterior([3.0, 3.0, 3.0])
    # With one point the posterior is proper, and the prior keeps sigma away from 0.
    assert exact_posterior([3.0]).sigma_mean > 0


# Every public helper that takes data, with the name its error must use.
DATA_HELPERS = [
    (exact_posterior, "data"),
    (normal_gamma_posterior, "data"),
    (normal_gamma_by_quadrature, "data"),
    (SufficientStatistics.from_data, "data"),
    (lambda d: checks.check_standard_error(0.1, d), "data"),
    (lambda d: checks.check_interval((0.0, 1.0), d), "data"),
    (lambda d: checks.check_strong_prior_mean(0.0, d), "data"),
]
BAD_DATA = [
    ([], ValueError, "empty"),
    (np.array([1.0, np.nan]), ValueError, "NaN"),
    (torch.tensor([1.0, float("inf")]), ValueError, "infinite"),
    (np.ones((2, 3)), ValueError, "1-D"),
    ({"a": 1}, TypeError, None),
    ("12", TypeError, None),
    (object(), TypeError, None),
]


@pytest.mark.parametrize(("helper", "name"), DATA_HELPERS)
@pytest.mark.parametrize(("bad", "error", "words"), BAD_DATA)
def test_every_data_helper_rejects_bad_data_naming_the_argument(helper, name, bad, error, words):
    with pytest.raises(error, match=name) as raised:
        helper(bad)
    if words:
        assert words in str(raised.value)


@SETTINGS
@given(bad=st.one_of(st.just(float("nan")), st.just(float("inf")), st.floats(max_value=0)))
def test_positive_parameters_reject_non_positive_and_non_finite_values(bad):
    for call, name in [
        (lambda: make_data(sigma=bad), "sigma"),
        (lambda: exact_posterior([1.0, 2.0], mu_prior=(0.0, bad)), "mu_prior scale"),
        (lambda: exact_posterior([1.0, 2.0], sigma_prior=(bad, 1.0)), "concentration"),
        (lambda: normal_gamma_posterior([1.0, 2.0], beta=bad), "beta"),
    ]:
        with pytest.raises(ValueError, match=name):
            call()


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: make_data(n="10"), TypeError, "n"),
        (lambda: make_data(n=np.ones(3)), TypeError, "n"),
        (lambda: setup(seed=1.5), TypeError, "seed"),
        (lambda: setup(seed=[1]), TypeError, "seed"),
        (lambda: exact_posterior([1.0, 2.0]).interval("mu", float("nan")), ValueError, "level"),
        (lambda: exact_posterior([1.0, 2.0]).interval("mu", "high"), TypeError, "level"),
        (lambda: train(None, None, optim="adam", num_steps=5), TypeError, "optim"),
        (lambda: estimate_elbo(None, None, max_plate_nesting=-1), ValueError, "max_plate"),
        (lambda: estimate_elbo(None, None, num_particles=np.nan), TypeError, "num_particles"),
    ],
)
def test_other_arguments_are_validated_by_name(call, error, name):
    with pytest.raises(error, match=name):
        call()


def test_train_accepts_a_pyro_optimiser():
    setup(0)

    def model():
        pyro.sample("z", pyro.distributions.Normal(0.0, 1.0))

    def guide():
        loc = pyro.param("loc", torch.tensor(0.5))
        pyro.sample("z", pyro.distributions.Normal(loc, 1.0))

    fit = train(model, guide, optim=pyro.optim.Adam({"lr": 0.1}), num_steps=3)
    assert fit.losses.shape == (3,)
