"""The course's helpers: set-up, the data, the exact answer, the training recipe, and the
machinery the lessons use but do not teach (bookkeeping, figures, exercise self-checks).

The public API, imported from `helpers` itself:
    setup                  the first code cell of every notebook: seed, clean param store, style
    check_environment      00_start_here's set-up self-check
    make_data              the course's data: 1,000 draws from Normal(2, 4)
    exact_posterior        the exact posterior every fit is checked against
    fit                    the recommended recipe (notebook 05) in one call
    train                  the SVI loop under it, with a divergence guard (notebook 04)
    TrainingDiverged       what `train` raises when the loss or a parameter goes NaN or infinite
    estimate_elbo          a Monte Carlo ELBO estimate with its standard error
    expect_error           show an error on purpose without stopping Run All

The modules, by what they do (names never carry a notebook number, so lessons can be split and
renumbered without renaming code):

The core:
    setup          seeds, a clean param store, plot style
    data           the course's data and its seed
    posterior      the exact posterior (closed form and quadrature) and the course's prior
    environment    the set-up self-check
    errors         `expect_error`
    training       `train`, `fit`, `estimate_elbo`

Exact answers and bookkeeping for particular lessons:
    elbo_surface   exact ELBOs of mean-field guides, their optima, the ridge and its conditioning
    fit_report     fitted guides as distributions, the comparison table of fits
    divergences    KL and Renyi divergences of 1-D densities by quadrature
    diagnostics    stopping rules, importance weights and k-hat, simulation-based calibration
    model_checks   posterior predictive checks and leave-one-out, with exact references (the
                   Student-t model by quadrature)
    newcomb        Newcomb's 1882 speed-of-light data, read and checked
    eight_schools  the eight schools data and their exact posterior (quadrature over tau)

Figures (so that code cells stay short; every legend is kept off the data):
    diagrams, kl_plots, diagnostic_plots, real_data_plots, scaling (which also runs the
    data-parallel script)

Exercise self-checks, the subpackage `checks` (each check returns a `Verdict` and names the
likely mistake): `checks.core` and one module per topic, listed in its docstring.
"""

from .data import make_data
from .environment import check_environment
from .errors import expect_error
from .posterior import exact_posterior
from .setup import setup
from .training import TrainingDiverged, estimate_elbo, fit, train

__all__ = [
    "TrainingDiverged",
    "check_environment",
    "estimate_elbo",
    "exact_posterior",
    "expect_error",
    "fit",
    "make_data",
    "setup",
    "train",
]
