"""Notebook 05 exercise self-checks: right answers pass, wrong or missing ones fail with a hint."""

import numpy as np
import pytest

from helpers.checks_05 import (
    check_ess_fraction,
    check_median_p_value,
    check_wide_guide_k_hat,
    check_wide_sbc_p_value,
)
from helpers.diagnostics import rank_histogram, simulate_sbc


def test_ess_fraction_check(capsys):
    lw = np.log(np.array([1.0, 1.0, 2.0, 4.0]))
    right = 8.0**2 / 22.0 / 4
    assert check_ess_fraction(right, lw)
    assert "Correct" in capsys.readouterr().out
    assert not check_ess_fraction(1.0, lw)
    assert not check_ess_fraction(None, lw)
    assert "Not yet" in capsys.readouterr().out


def test_ess_fraction_check_rejects_invalid_weights():
    with pytest.raises(TypeError):
        check_ess_fraction(0.5, "weights")


def test_median_p_value_check(capsys):
    rng = np.random.default_rng(0)
    replicated, data = rng.normal(size=(200, 50)), rng.normal(size=50)
    right = float(np.mean(np.median(replicated, axis=1) >= np.median(data)))
    assert check_median_p_value(right, replicated, data)
    assert not check_median_p_value(1 - right + 0.1, replicated, data)
    assert not check_median_p_value("0.5", replicated, data)
    assert not check_median_p_value(None, replicated, data)
    assert "Not yet" in capsys.readouterr().out


def test_median_p_value_check_needs_one_data_set_per_row():
    with pytest.raises(ValueError, match="2-D"):
        check_median_p_value(0.5, np.zeros(10), np.zeros(10))


def test_wide_guide_k_hat_check(capsys):
    assert check_wide_guide_k_hat(-0.9)
    assert not check_wide_guide_k_hat(0.3)  # a positive k-hat is not what a wide guide gives
    assert not check_wide_guide_k_hat(None)
    assert not check_wide_guide_k_hat([-0.9, 0.1])
    assert "Not yet" in capsys.readouterr().out


def test_wide_sbc_p_value_check(capsys):
    right = rank_histogram(simulate_sbc(1000, sd_factor=2.0, seed=0).ranks["mu"], 99).p_value
    assert check_wide_sbc_p_value(right, 0)
    assert not check_wide_sbc_p_value(0.5, 0)
    assert not check_wide_sbc_p_value(right * 10, 0)
    assert not check_wide_sbc_p_value(None, 0)
    assert "Not yet" in capsys.readouterr().out
