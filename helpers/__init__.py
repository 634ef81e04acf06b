"""Shared helpers for the course notebooks: set-up, the data, the exact posterior, and the
machinery the lessons use but do not teach.

A map of the package, by what each module does (names never carry a notebook number, so lessons
can be split and renumbered without renaming code):

The core, imported from `helpers` itself:
    setup          one call at the top of every notebook: seeds, a clean param store, plot style
    data           the course's data, 1,000 draws from Normal(2, 4), and its seed
    posterior      the exact posterior every fit is checked against (closed form and quadrature)
    environment    the set-up self-check of 00_start_here
    errors         `expect_error`: show an error on purpose without stopping Run All

Fitting and checking fits:
    training       `train`, the training loop with a divergence guard, and ELBO estimates
    elbo_surface   exact ELBOs of mean-field guides, their optima, the ridge and its conditioning
    fit_report     fitted guides as distributions, iterate averaging, the comparison table
    divergences    KL and Renyi divergences of 1-D densities by quadrature
    diagnostics    stopping rules, importance weights and k-hat, simulation-based calibration
    model_checks   posterior predictive checks with exact references
    newcomb        Newcomb's 1882 speed-of-light data, read and checked

Figures (so that code cells stay short; every legend is kept off the data):
    diagrams, kl_plots, diagnostic_plots, real_data_plots, scaling (also runs the
    data-parallel script)

Exercise self-checks (each returns a `Verdict` and names the likely mistake):
    checks             the core: Verdict, Mistake, judge, check_number
    checks_estimation  standard errors, posterior sds and intervals, a strong prior
    checks_model_guide the model and the guide
    checks_training    the ELBO, the ridge, the recipe
    checks_kl          the direction of the KL divergence
    checks_diagnostics diagnostics for variational fits
    checks_real_data   Newcomb's data
    checks_scaling     minibatches and scaling
"""

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
