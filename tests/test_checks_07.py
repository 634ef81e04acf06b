"""Notebook 07's exercise self-checks: right answers pass, wrong ones say "Not yet" with a hint."""

import math

import numpy as np
import pytest
import torch

from helpers import exact_posterior, make_data
from helpers.checks_07 import (
    check_log_prob_bytes,
    check_scale_factor,
    check_subsample_cost,
    check_unscaled_sd_factor,
)


def _not_yet(capsys):
    out = capsys.readouterr().out
    return "Not yet" in out and "Hint" in out


def test_scale_factor_accepts_n_over_batch_size_in_any_numeric_type(capsys):
    assert check_scale_factor(400, 10**6, 2500)
    assert check_scale_factor(np.float32(400.0), 10**6, 2500)
    assert check_scale_factor(torch.tensor(400.0), 10**6, 2500)
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [None, ..., 2500, 1 / 400, 20.0, "400", [400], float("nan")])
def test_scale_factor_rejects_wrong_answers_without_raising(capsys, answer):
    assert not check_scale_factor(answer, 10**6, 2500)
    assert _not_yet(capsys)


def test_unscaled_sd_factor_accepts_sqrt_of_n_over_b_and_what_an_exact_posterior_gives(capsys):
    assert check_unscaled_sd_factor(10.0, 10**5, 1000)
    data = make_data(n=10**5, seed=1)
    ratio = exact_posterior(data[:1000]).mu_sd / exact_posterior(data).mu_sd
    assert check_unscaled_sd_factor(ratio, 10**5, 1000)
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [None, 100.0, 1.0, 0.1, "10"])
def test_unscaled_sd_factor_rejects_the_scale_itself_and_other_wrong_answers(capsys, answer):
    assert not check_unscaled_sd_factor(answer, 10**5, 1000)
    assert _not_yet(capsys)


@pytest.mark.parametrize("answer", ["randperm", "torch.randperm", " torch.randperm() ", "RandPerm"])
def test_subsample_cost_accepts_randperm_however_written(capsys, answer):
    assert check_subsample_cost(answer)
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [None, "", "log_prob", "randint", 3, ["randperm"]])
def test_subsample_cost_rejects_other_names_without_raising(capsys, answer):
    assert not check_subsample_cost(answer)
    assert _not_yet(capsys)


def test_log_prob_bytes_accepts_megabytes_or_mebibytes(capsys):
    assert check_log_prob_bytes(1280, 10**7, 32)
    assert check_log_prob_bytes(10**7 * 32 * 4 / 2**20, 10**7, 32)
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [None, 40.0, 320.0, 1.28, 1280e6, math.inf])
def test_log_prob_bytes_rejects_wrong_units_and_missing_factors(capsys, answer):
    assert not check_log_prob_bytes(answer, 10**7, 32)
    assert _not_yet(capsys)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: check_scale_factor(1, 1000, 0), ValueError),
        (lambda: check_scale_factor(1, 10, 100), ValueError),
        (lambda: check_unscaled_sd_factor(1, 1000.0, 10), TypeError),
        (lambda: check_log_prob_bytes(1, True, 32), TypeError),
        (lambda: check_log_prob_bytes(1, 10, -1), ValueError),
    ],
)
def test_checks_reject_invalid_sizes(call, error):
    with pytest.raises(error):
        call()
