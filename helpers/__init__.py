"""Shared helpers for the course notebooks: set-up, the data, and the exact posterior."""

from .data import DEFAULT_SEED, SEED_VARIABLE, course_seed, make_data
from .environment import check_environment
from .errors import expect_error
from .posterior import (
    ExactPosterior,
    NormalGammaPosterior,
    SufficientStatistics,
    exact_posterior,
    normal_gamma_by_quadrature,
    normal_gamma_posterior,
)
from .setup import setup

__all__ = [
    "DEFAULT_SEED",
    "SEED_VARIABLE",
    "ExactPosterior",
    "NormalGammaPosterior",
    "SufficientStatistics",
    "check_environment",
    "course_seed",
    "exact_posterior",
    "expect_error",
    "make_data",
    "normal_gamma_by_quadrature",
    "normal_gamma_posterior",
    "setup",
]
