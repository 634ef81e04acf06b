"""Notebook 06's exercise self-checks: right answers pass, wrong ones say "Not yet" with a hint."""

import numpy as np
import pytest
import torch

from helpers import exact_posterior
from helpers.checks_06 import (
    check_fixed_nu_mean,
    check_max_p_value,
    check_mean_without_outliers,
    check_outlier_sd_ratio,
)
from helpers.model_checks import exact_predictive_p_value, student_t_posterior
from helpers.newcomb import load_newcomb

PRIORS = {"mu_prior": (0.0, 50.0), "sigma_prior": (2.0, 0.1)}


@pytest.fixture(scope="module")
def data():
    return load_newcomb()


def _not_yet(capsys):
    out = capsys.readouterr().out
    return "Not yet" in out and "Hint" in out


def test_outlier_sd_ratio_accepts_either_sd_divisor(capsys, data):
    ratio = data[data > 0].std() / data.std()
    assert 0.4 < float(ratio) < 0.55
    assert check_outlier_sd_ratio(ratio, data)  # a one-element tensor
    assert "Correct" in capsys.readouterr().out
    kept = data[data > 0]
    assert check_outlier_sd_ratio(float(kept.std(correction=0) / data.std(correction=0)), data)


@pytest.mark.parametrize("answer", [None, 2.1, 0.22, 1.0, "0.47", [0.47, 1.0], float("inf")])
def test_outlier_sd_ratio_rejects_wrong_answers(capsys, data, answer):
    assert not check_outlier_sd_ratio(answer, data)
    assert _not_yet(capsys)


def test_outlier_sd_ratio_needs_positive_data():
    with pytest.raises(ValueError, match="two positive"):
        check_outlier_sd_ratio(1.0, [-1.0, -2.0, 3.0])


def test_mean_without_outliers_accepts_the_exact_answer(capsys, data):
    kept = data[data > 0]
    assert len(kept) == 64
    assert check_mean_without_outliers(exact_posterior(kept, **PRIORS).mu_mean, data, **PRIORS)
    assert "Correct" in capsys.readouterr().out
    assert check_mean_without_outliers(np.float32(kept.mean()), data, **PRIORS)


def test_mean_without_outliers_rejects_the_full_data_mean(capsys, data):
    for wrong in [None, exact_posterior(data, **PRIORS).mu_mean, float(data.mean()), "27.7"]:
        assert not check_mean_without_outliers(wrong, data, **PRIORS)
        assert _not_yet(capsys)


def test_mean_without_outliers_needs_positive_data():
    with pytest.raises(ValueError, match="two positive"):
        check_mean_without_outliers(1.0, [-1.0, -2.0, 3.0], **PRIORS)


def test_max_p_value_check(capsys, data):
    expected = exact_predictive_p_value(data, "max", **PRIORS)
    assert 0.98 < expected < 1
    assert check_max_p_value(expected - 0.005, data, **PRIORS)
    assert "Correct" in capsys.readouterr().out
    for wrong in [None, 1 - expected, 0.5, expected - 0.05, 1.2, "0.99"]:
        assert not check_max_p_value(wrong, data, **PRIORS)
        assert _not_yet(capsys)


def test_max_p_value_check_agrees_with_simulated_replicates(capsys, data):
    rng = np.random.default_rng(1)
    post = exact_posterior(data, **PRIORS)
    # Replicates from a Normal-LogNormal stand-in for the posterior, like a good SVI fit.
    mu = rng.normal(post.mu_mean, post.mu_sd, 4000)
    log_sigma_sd = np.sqrt(np.log1p((post.sigma_sd / post.sigma_mean) ** 2))
    sigma = post.sigma_mean * np.exp(rng.normal(-(log_sigma_sd**2) / 2, log_sigma_sd, 4000))
    replicates = rng.normal(mu[:, None], sigma[:, None], (4000, len(data)))
    p_value = np.mean(replicates.max(axis=1) >= data.max().item())
    assert check_max_p_value(p_value, data, **PRIORS)


def test_fixed_nu_mean_check(capsys, data):
    reference = student_t_posterior(data, 4.0, **PRIORS)
    assert check_fixed_nu_mean(reference.mu_mean + 0.1 * reference.mu_sd, data, 4, **PRIORS)
    assert "Correct" in capsys.readouterr().out
    normal = exact_posterior(data, **PRIORS).mu_mean
    for wrong in [None, normal, reference.mu_mean + reference.mu_sd, torch.tensor([1.0, 2.0])]:
        assert not check_fixed_nu_mean(wrong, data, 4, **PRIORS)
        assert _not_yet(capsys)


@pytest.mark.parametrize("nu", [0.0, -1.0, float("inf")])
def test_fixed_nu_mean_check_rejects_an_impossible_nu(data, nu):
    with pytest.raises(ValueError, match="nu"):
        check_fixed_nu_mean(27.0, data, nu, **PRIORS)
