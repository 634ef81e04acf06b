"""The course data and the course seed."""

import numpy as np
import pytest
import torch

from helpers import make_data
from helpers.data import SEED_VARIABLE, course_seed


def test_make_data_reproduces_the_original_tutorial_draws(monkeypatch):
    monkeypatch.delenv(SEED_VARIABLE, raising=False)
    np.random.seed(0)
    original = (np.random.randn(1000, 1) * 4 + 2).flatten()
    data = make_data()
    assert data.shape == (1000,) and data.dtype == torch.float32
    np.testing.assert_allclose(data.numpy(), original, rtol=1e-6)
    assert np.mean(original) == pytest.approx(1.81897, abs=5e-6)
    assert np.std(original) == pytest.approx(3.94813, abs=5e-6)


def test_make_data_follows_the_course_seed_variable(monkeypatch):
    monkeypatch.setenv(SEED_VARIABLE, "7")
    assert course_seed() == 7
    assert torch.equal(make_data(), make_data(seed=7))
    assert not torch.equal(make_data(), make_data(seed=0))


def test_make_data_uses_n_mu_and_sigma():
    data = make_data(n=200_000, mu=-3.0, sigma=0.5, seed=1)
    assert data.shape == (200_000,)
    assert float(data.mean()) == pytest.approx(-3.0, abs=0.01)
    assert float(data.std()) == pytest.approx(0.5, rel=0.01)


@pytest.mark.parametrize("raw", ["abc", "-1", "1.5", str(2**32)])
def test_course_seed_rejects_a_bad_variable(monkeypatch, raw):
    monkeypatch.setenv(SEED_VARIABLE, raw)
    with pytest.raises(ValueError, match=SEED_VARIABLE):
        course_seed()


def test_course_seed_defaults_to_zero(monkeypatch):
    monkeypatch.setenv(SEED_VARIABLE, "  ")
    assert course_seed() == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n": 0}, ValueError, "n"),
        ({"n": 2.5}, TypeError, "n"),
        ({"n": True}, TypeError, "n"),
        ({"sigma": 0.0}, ValueError, "sigma"),
        ({"sigma": -1.0}, ValueError, "sigma"),
        ({"sigma": float("nan")}, ValueError, "sigma"),
        ({"mu": float("inf")}, ValueError, "mu"),
        ({"mu": "2"}, TypeError, "mu"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": "0"}, TypeError, "seed"),
    ],
)
def test_make_data_rejects_bad_arguments_by_name(kwargs, error, name):
    with pytest.raises(error, match=rf"\b{name}\b"):
        make_data(**kwargs)
