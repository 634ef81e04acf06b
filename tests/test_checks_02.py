"""Notebook 02's exercise self-checks: right answers pass, wrong ones fail with a hint."""

import math

import numpy as np
import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro import poutine

from helpers import exact_posterior, make_data
from helpers.checks_02 import (
    check_broken_guides,
    check_fraction_smaller_sd,
    check_gamma_guide_sigma_sd,
    check_log_density_ratio,
)


@pytest.fixture(scope="module")
def data():
    return make_data(seed=0)


@pytest.fixture(scope="module")
def simulated():
    """200 data sets of 50 points, with sds spread around 4 as the prior's would be."""
    rng = np.random.default_rng(1)
    sigmas = rng.exponential(10.0, size=(200, 1))
    return torch.tensor(rng.normal(0.0, sigmas, size=(200, 50)), dtype=torch.float32)


def _model(data):
    mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
    sigma = pyro.sample("sigma", dist.Gamma(1.0, 0.1))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(mu, sigma), obs=data)


def _pyro_log_joint(data, mu, sigma):
    values = {"mu": torch.as_tensor(mu), "sigma": torch.as_tensor(sigma)}
    trace = poutine.trace(pyro.condition(_model, data=values)).get_trace(data)
    return trace.log_prob_sum().item()


def _not_yet(capsys):
    out = capsys.readouterr().out
    return "Not yet" in out and "Hint" in out


def test_fraction_check_accepts_the_count_from_torch(capsys, data, simulated):
    fraction = (simulated.std(dim=1) < data.std()).float().mean()
    assert check_fraction_smaller_sd(fraction, simulated, data)
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [None, "0.3", 0.0, 1.0])
def test_fraction_check_rejects_missing_and_wrong_answers(capsys, data, simulated, wrong):
    assert not check_fraction_smaller_sd(wrong, simulated, data)
    assert _not_yet(capsys)


def test_fraction_check_rejects_the_complement(data, simulated):
    fraction = float((simulated.std(dim=1) < data.std()).float().mean())
    assert 0.05 < fraction < 0.95  # so that the complement is a genuinely different number
    assert not check_fraction_smaller_sd(1 - fraction, simulated, data)


def test_fraction_check_validates_the_simulated_data_sets(data):
    with pytest.raises(ValueError, match="2-D"):
        check_fraction_smaller_sd(0.5, torch.zeros(10), data)
    with pytest.raises(TypeError, match="numbers"):
        check_fraction_smaller_sd(0.5, [["a", "b"]], data)


@pytest.mark.parametrize(
    "answer", [{"a", "b", "c", "e"}, ["E", "c", "b", "a"], "a, b, c, e", (c for c in "abce")]
)
def test_broken_guides_check_accepts_the_four_broken_guides(capsys, answer):
    assert check_broken_guides(answer)
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "answer", [None, set(), {"a", "b", "c"}, {"a", "b", "c", "d", "e"}, {"d"}, {"a", "z"}, {1, 2}]
)
def test_broken_guides_check_rejects_other_sets(capsys, answer):
    assert not check_broken_guides(answer)
    assert _not_yet(capsys)


def test_log_density_ratio_check_accepts_pyros_float32_answer(capsys, data):
    mean, sd = data.mean().item(), data.std().item()
    answer = _pyro_log_joint(data, 2.0, 4.0) - _pyro_log_joint(data, mean, sd)
    assert check_log_density_ratio(answer, data)
    assert "Correct" in capsys.readouterr().out


def test_log_density_ratio_check_rejects_the_sign_flip_and_a_single_log_joint(capsys, data):
    right = _pyro_log_joint(data, 2.0, 4.0) - _pyro_log_joint(data, data.mean(), data.std())
    assert abs(right) > 0.1
    assert not check_log_density_ratio(-right, data)
    assert not check_log_density_ratio(_pyro_log_joint(data, 2.0, 4.0), data)
    assert _not_yet(capsys)


@pytest.mark.parametrize("wrong", [None, "-1", [1.0, 2.0], math.inf])
def test_log_density_ratio_check_rejects_non_numbers(capsys, data, wrong):
    assert not check_log_density_ratio(wrong, data)
    assert _not_yet(capsys)


def test_gamma_guide_check_accepts_answers_within_five_percent(data):
    exact_sd = exact_posterior(data).sigma_sd
    assert check_gamma_guide_sigma_sd(exact_sd * 1.03, data)
    assert check_gamma_guide_sigma_sd(torch.tensor(exact_sd * 0.97), data)


def test_gamma_guide_check_rejects_far_answers_and_the_mean(capsys, data):
    exact = exact_posterior(data)
    assert not check_gamma_guide_sigma_sd(exact.sigma_sd * 1.2, data)
    assert not check_gamma_guide_sigma_sd(exact.sigma_mean, data)
    assert not check_gamma_guide_sigma_sd(None, data)
    assert _not_yet(capsys)


def test_checks_reject_invalid_data():
    with pytest.raises(ValueError, match="empty"):
        check_log_density_ratio(1.0, [])
    with pytest.raises(TypeError):
        check_gamma_guide_sigma_sd(1.0, "data")
