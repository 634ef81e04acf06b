"""helpers.setup: seeds, param store, style."""

import matplotlib as mpl
import numpy as np
import pyro
import pytest
import torch

from helpers import setup
from helpers.data import SEED_VARIABLE


def _draws():
    return np.random.rand(), torch.rand(1).item(), pyro.sample("x", pyro.distributions.Normal(0, 1))


def test_setup_makes_numpy_torch_and_pyro_repeatable():
    setup(3)
    first = _draws()
    setup(3)
    assert _draws() == first
    setup(4)
    assert _draws() != first


def test_setup_clears_the_param_store():
    pyro.param("stale", torch.tensor(1.0))
    setup(0)
    assert "stale" not in pyro.get_param_store()


def test_setup_returns_the_course_seed_by_default(monkeypatch):
    monkeypatch.setenv(SEED_VARIABLE, "12")
    assert setup() == 12
    monkeypatch.delenv(SEED_VARIABLE)
    assert setup() == 0


def test_setup_sets_one_plotting_style():
    mpl.rcParams["figure.dpi"] = 33
    setup(0)
    assert mpl.rcParams["figure.dpi"] == 90
    assert mpl.rcParams["axes.grid"]


@pytest.mark.parametrize(
    ("seed", "error"), [(-1, ValueError), (2**32, ValueError), ("1", TypeError)]
)
def test_setup_rejects_bad_seeds(seed, error):
    with pytest.raises(error, match="seed"):
        setup(seed)


def _stderr_of(code, cache):
    """What a fresh interpreter prints on stderr, with warnings shown as Jupyter shows them."""
    import os
    import subprocess
    import sys

    # ArviZ shows its notice once a day, stamped in the user's cache folder: a fresh one each time
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    command = [sys.executable, "-W", "default", "-c", code]
    return subprocess.run(command, capture_output=True, text=True, check=True, env=env).stderr


def test_setup_silences_arvizs_refactor_notice_and_nothing_else(tmp_path):
    other = "import warnings; warnings.warn('another FutureWarning', FutureWarning)"
    without = _stderr_of(f"import arviz; {other}", tmp_path / "a")
    assert "ArviZ is undergoing a major refactor" in without  # the notice exists, and ...
    with_setup = _stderr_of(
        f"from helpers import setup; setup(0); import arviz; {other}", tmp_path / "b"
    )
    assert "ArviZ is undergoing" not in with_setup  # ... setup silences it
    assert "another FutureWarning" in with_setup  # and only it
