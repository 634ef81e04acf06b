"""Notebook 03 exercise self-checks: right answers pass, wrong or missing ones fail with a hint."""

import math

import pyro.distributions as dist
import pytest
import torch

from helpers import exact_posterior, make_data
from helpers.checks_03 import (
    check_gamma_guide_kl,
    check_preconditioned_condition_number,
    check_sigma_sd,
    check_sigma_sd_ratio,
    preconditioned_condition_number_mean_sd,
)
from helpers.elbo_surface import (
    best_normal_gamma_guide,
    best_normal_lognormal_guide,
    normal_gamma_elbo,
)


@pytest.fixture(scope="module")
def data():
    return make_data(seed=0)


@pytest.fixture(scope="module")
def post(data):
    return exact_posterior(data)


def test_sigma_sd_ratio_check(data, post, capsys):
    right = math.sqrt(142.0) / 35.0 / post.sigma_sd
    assert check_sigma_sd_ratio(right, 142.0, 35.0, data)
    assert "Correct" in capsys.readouterr().out
    assert not check_sigma_sd_ratio(142.0 / 35.0 / post.sigma_sd, 142.0, 35.0, data)
    assert not check_sigma_sd_ratio(None, 142.0, 35.0, data)
    out = capsys.readouterr().out
    assert "Not yet" in out and "sqrt(shape) / rate" in out


def test_sigma_sd_ratio_check_rejects_invalid_gamma_parameters(data):
    with pytest.raises(ValueError, match="shape must be positive"):
        check_sigma_sd_ratio(1.0, -1.0, 35.0, data)
    with pytest.raises(TypeError, match="rate must be a number"):
        check_sigma_sd_ratio(1.0, 142.0, "35", data)


def test_preconditioned_condition_number_is_small_for_mean_and_sd(data):
    value = preconditioned_condition_number_mean_sd(data)
    assert 1.0 <= value < 2.0


def test_preconditioned_condition_number_check(data, capsys):
    right = preconditioned_condition_number_mean_sd(data)
    assert check_preconditioned_condition_number(right, data)
    assert not check_preconditioned_condition_number(1.6e4, data)  # the (log shape, log rate) one
    assert not check_preconditioned_condition_number("1.17", data)
    assert "Not yet" in capsys.readouterr().out


def test_gamma_guide_kl_check_accepts_the_exact_kl_and_a_close_estimate(data, post):
    best = best_normal_gamma_guide(data)
    params = {"mu_loc": 1.8, "mu_scale": 0.2, "sigma_shape": 120.0, "sigma_rate": 30.0}
    exact = post.log_evidence - float(normal_gamma_elbo(data, 1.8, 0.2, 120.0, 30.0))
    assert check_gamma_guide_kl(exact, params, data)
    assert check_gamma_guide_kl(torch.tensor(exact * 1.05), params, data)
    best_params = {
        "mu_loc": best.mu_loc,
        "mu_scale": best.mu_scale,
        "sigma_shape": best.shape,
        "sigma_rate": best.rate,
    }
    assert check_gamma_guide_kl(0.02, best_params, data)  # within 0.05 nats of about 0.001


def test_gamma_guide_kl_check_rejects_wrong_or_missing_answers(data, capsys):
    params = {"mu_loc": 1.8, "mu_scale": 0.2, "sigma_shape": 120.0, "sigma_rate": 30.0}
    assert not check_gamma_guide_kl(0.001, params, data)
    assert not check_gamma_guide_kl(None, params, data)
    assert not check_gamma_guide_kl("7", params, data)
    assert not check_gamma_guide_kl(7.0, None, data)
    assert not check_gamma_guide_kl(7.0, {"mu_loc": 1.8}, data)
    assert not check_gamma_guide_kl(7.0, {**params, "sigma_rate": -1.0}, data)
    out = capsys.readouterr().out
    assert out.count("Not yet") == 6 and "Hint" in out


def test_gamma_guide_kl_check_knows_the_kl_is_infinite_below_shape_two(data):
    params = {"mu_loc": 1.8, "mu_scale": 0.2, "sigma_shape": 0.8, "sigma_rate": 0.13}
    assert check_gamma_guide_kl(float("inf"), params, data)
    assert check_gamma_guide_kl(2e9, params, data)
    assert not check_gamma_guide_kl(5.0, params, data)
    assert not check_gamma_guide_kl(float("nan"), params, data)


def test_sigma_sd_check_compares_with_the_best_lognormal_guide(capsys):
    few = make_data(seed=0)[:50]
    best = best_normal_lognormal_guide(few)
    expected = float(dist.LogNormal(best.log_sigma_loc, best.log_sigma_scale).stddev)
    assert check_sigma_sd(expected * 1.02, few)
    assert not check_sigma_sd(expected * 1.1, few)
    assert not check_sigma_sd(exact_posterior(make_data(seed=0)).sigma_sd, few)  # n = 1,000's sd
    assert "Not yet" in capsys.readouterr().out


def test_checks_reject_invalid_data():
    with pytest.raises(ValueError, match="empty"):
        check_sigma_sd(1.0, [])
    with pytest.raises(TypeError):
        check_gamma_guide_kl(1.0, {}, "data")
