"""Exercise self-checks: right answers pass, wrong ones fail with a hint."""

import numpy as np
import pytest
import torch

from helpers import exact_posterior, make_data
from helpers.checks import (
    Mistake,
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
    assert check_number(torch.tensor(2.001), 2.0, 0.01, "x")
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [None, ...])
def test_an_empty_answer_gets_no_answer_yet_and_no_method(capsys, answer):
    assert not check_number(answer, 2.0, 0.01, "x", "the method", mistakes=[Mistake(3.0, "m")])
    out = capsys.readouterr().out
    assert "No answer yet for x" in out
    assert "the method" not in out and "Hint" not in out


@pytest.mark.parametrize("answer", ["2", [1, 2], float("nan")])
def test_an_answer_that_is_not_one_number_says_what_kind_of_answer_is_wanted(capsys, answer):
    assert not check_number(answer, 2.0, 0.01, "x")
    out = capsys.readouterr().out
    assert "Not yet" in out and "x" in out


def test_a_recognised_mistake_is_named(capsys):
    mistakes = [Mistake(4.0, "about twice too large: did you use the variance?")]
    assert not check_number(4.01, 2.0, 0.01, "the sd", mistakes=mistakes)
    assert "did you use the variance" in capsys.readouterr().out


def test_a_mistake_can_have_its_own_tolerance(capsys):
    mistakes = [Mistake(4.0, "named", rel_tol=0.2)]
    assert not check_number(4.5, 2.0, 0.01, "the sd", mistakes=mistakes)
    assert "named" in capsys.readouterr().out


def test_an_unrecognised_wrong_answer_gets_a_direction_but_no_method(capsys):
    assert not check_number(1.0, 2.0, 0.01, "the sd", mistakes=[Mistake(4.0, "method")])
    out = capsys.readouterr().out
    assert "Not yet" in out and "too small" in out and "method" not in out
    assert not check_number(3.0, 2.0, 0.01, "the sd")
    assert "too large" in capsys.readouterr().out


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
