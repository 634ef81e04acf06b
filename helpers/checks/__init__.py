"""Exercise self-checks: one module per topic, built on a small core.

The core (`helpers.checks.core`, re-exported here): a `Verdict` (true or false, printed as
"Correct", "Not yet" or "No answer yet"), a `Mistake` (a wrong answer the check recognises and
names, with its fix), `judge` (compares an answer with the right one and the known mistakes) and
`check_number` (the same for one number with a tolerance).

The topics, each a module whose `check_*` functions the notebooks call:
    estimation    standard errors, posterior sds and intervals, a strong prior
    model_guide   the model and the guide
    training      the ELBO, the ridge, the recipe
    kl            the direction of the KL divergence
    diagnostics   diagnostics for variational fits
    real_data     Newcomb's data
    scaling       minibatches and scaling
    hierarchical  the eight schools capstone
"""

from .core import Mistake, Verdict, check_number, judge

__all__ = ["Mistake", "Verdict", "check_number", "judge"]
