"""Notebook 04's exercise self-checks: right answers pass, wrong ones say "Not yet" with a hint."""

import math

import numpy as np
import pytest
import torch

from helpers.checks_04 import (
    check_lopsided_kl,
    check_mean_field_sd,
    check_moment_matched,
    check_student_t_ratio,
    lopsided_best_kl_qp,
    lopsided_moments,
    student_t_sd_ratio,
)


def _not_yet(capsys):
    out = capsys.readouterr().out
    return "Not yet" in out and "Hint" in out


def test_mean_field_sd_check_accepts_the_conditional_sd(capsys):
    assert check_mean_field_sd(math.sqrt(0.75), rho=0.5)
    assert "Correct" in capsys.readouterr().out
    assert check_mean_field_sd(torch.tensor(math.sqrt(1 - 0.81)), rho=-0.9)


@pytest.mark.parametrize("answer", [None, 1.0, 0.75, 0.5, "0.866"])
def test_mean_field_sd_check_rejects_wrong_answers(capsys, answer):
    assert not check_mean_field_sd(answer, rho=0.5)
    assert _not_yet(capsys)


@pytest.mark.parametrize("rho", [1.0, -1.5, float("nan")])
def test_mean_field_sd_check_rejects_an_impossible_correlation(rho):
    with pytest.raises(ValueError, match="rho"):
        check_mean_field_sd(0.5, rho=rho)


def test_lopsided_moments_are_the_mixture_mean_and_sd():
    mean, sd = lopsided_moments()
    assert mean == pytest.approx(0.3 * -2 + 0.7 * 2)
    assert sd == pytest.approx(math.sqrt(0.36 + 4 - 0.8**2))


def test_moment_matched_check(capsys):
    assert check_moment_matched((0.8, math.sqrt(3.72)))
    assert check_moment_matched(np.array([0.8, 1.9287]))
    for wrong in [None, (0.0, math.sqrt(4.36)), (0.8, 0.6), (0.8, 3.72), 0.8, "0.8, 1.93"]:
        assert not check_moment_matched(wrong)
        assert _not_yet(capsys)


def test_lopsided_kl_is_close_to_log_one_over_the_heavy_weight():
    assert lopsided_best_kl_qp() == pytest.approx(math.log(1 / 0.7), abs=0.005)


def test_lopsided_kl_check(capsys):
    assert check_lopsided_kl(lopsided_best_kl_qp())
    for wrong in [None, math.log(1 / 0.3), math.log(2), 0.0]:
        assert not check_lopsided_kl(wrong)
        assert _not_yet(capsys)


def test_student_t_ratio_is_below_one_and_tends_to_one_for_light_tails():
    assert 0.85 < student_t_sd_ratio(5.0) < 0.95
    assert student_t_sd_ratio(3.0) < student_t_sd_ratio(5.0) < student_t_sd_ratio(50.0) < 1.0
    assert student_t_sd_ratio(50.0) > 0.99


def test_student_t_ratio_check(capsys):
    assert check_student_t_ratio(student_t_sd_ratio(5.0))
    for wrong in [None, 1.0, 1 / student_t_sd_ratio(5.0), math.sqrt(5 / 3)]:
        assert not check_student_t_ratio(wrong)
        assert _not_yet(capsys)
    with pytest.raises(ValueError, match="df must be above 2"):
        check_student_t_ratio(0.9, df=2.0)
