"""Exercise self-checks: right answers pass, wrong ones fail with a hint."""

import numpy as np
import pytest
import torch

from helpers import exact_posterior, make_data
from helpers.checks import (
    check_interval,
    check_number,
    check_sd_ratio,
    check_standard_error,
    check_strong_prior_mean,
)


@pytest.fixture(scope="module")
def data():
    return make_data(seed=0)


def test_check_number_accepts_close_answers_and_tensors(capsys):
    assert check_number(torch.tensor(2.001), 2.0, 0.01, "x", "hint")
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [None, ..., "2", [1, 2], float("nan"), 3.0])
def test_check_number_rejects_missing_and_wrong_answers_with_a_hint(capsys, answer):
    assert not check_number(answer, 2.0, 0.01, "x", "the hint")
    out = capsys.readouterr().out
    assert "Not yet" in out and "the hint" in out


def test_standard_error_check(data):
    right = float(data.std() / np.sqrt(len(data)))
    assert check_standard_error(right, data)
    assert not check_standard_error(float(data.std()), data)


def test_sd_ratio_check():
    ratio = exact_posterior(make_data(n=4000)).mu_sd / exact_posterior(make_data()).mu_sd
    assert check_sd_ratio(ratio)
    assert not check_sd_ratio(0.25)
    assert not check_sd_ratio(2.0)


def test_interval_check(data):
    assert check_interval(exact_posterior(data).interval("mu"), data)
    assert not check_interval((1.0, 2.0), data)
    assert not check_interval(1.5, data)


def test_strong_prior_check(data):
    assert check_strong_prior_mean(exact_posterior(data, mu_prior=(0.0, 0.1)).mu_mean, data)
    assert not check_strong_prior_mean(float(data.mean()), data)
