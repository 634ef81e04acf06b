"""The course's data: the original tutorial's 1,000 draws from Normal(2, 4)."""

from __future__ import annotations

import os

import numpy as np
import torch

from ._validation import as_finite_float, as_integer, as_positive_float, as_seed

DEFAULT_SEED = 0
SEED_VARIABLE = "VI_TUTORIAL_SEED"


def course_seed() -> int:
    """The seed for the whole course: `VI_TUTORIAL_SEED` if set, else 0 (the original's)."""
    raw = os.environ.get(SEED_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_SEED
    try:
        seed = int(raw)
    except ValueError:
        raise ValueError(f"{SEED_VARIABLE} must be a non-negative integer, got {raw!r}") from None
    return as_seed(seed, SEED_VARIABLE)


def make_data(
    n: int = 1000, mu: float = 2.0, sigma: float = 4.0, seed: int | None = None
) -> torch.Tensor:
    """Draw `n` points from Normal(mu, sigma) as a 1-D float32 tensor, as the original did.

    With seed 0 (the default unless `VI_TUTORIAL_SEED` is set) this reproduces the original
    tutorial's data exactly: `np.random.seed(0); np.random.randn(1000, 1) * 4 + 2`, flattened.
    """
    n = as_integer(n, "n")
    mu = as_finite_float(mu, "mu")
    sigma = as_positive_float(sigma, "sigma")
    seed = course_seed() if seed is None else as_seed(seed)
    # RandomState(seed).randn is the legacy global generator that np.random.seed drives.
    draws = np.random.RandomState(seed).randn(n) * sigma + mu
    return torch.tensor(draws, dtype=torch.float32)
