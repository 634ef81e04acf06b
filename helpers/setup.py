"""One call at the top of every notebook: seeds, a clean param store, one plotting style."""

from __future__ import annotations

import warnings

import matplotlib as mpl
import pyro
import seaborn as sns
import torch

from ._validation import as_seed
from .data import course_seed

ARVIZ_REFACTOR_NOTICE = r"\s*ArviZ is undergoing a major refactor"


def setup(seed: int | None = None) -> int:
    """Seed numpy, torch and Pyro, clear Pyro's param store, use one CPU thread, set the style.

    With no argument the seed is the course's (`VI_TUTORIAL_SEED`, else 0). Returns the seed.
    """
    seed = course_seed() if seed is None else as_seed(seed)
    pyro.set_rng_seed(seed)  # seeds Python's random, numpy's global generator and torch
    pyro.clear_param_store()
    pyro.enable_validation(True)
    # One thread keeps results identical between runs and machines, and is fastest at this size.
    torch.set_num_threads(1)
    sns.set_theme(style="whitegrid", context="notebook")
    mpl.rcParams.update({"figure.figsize": (8, 4.5), "figure.dpi": 90, "savefig.dpi": 90})
    # ArviZ 0.23 announces its 1.0 refactor with a FutureWarning when imported. The course pins
    # 0.23 on purpose (1.x needs Python 3.12+ and changes the API), so that notice is not for the
    # learner; this filter matches it alone, and every other warning still shows.
    warnings.filterwarnings(
        "ignore", message=ARVIZ_REFACTOR_NOTICE, category=FutureWarning, module="arviz"
    )
    return seed
