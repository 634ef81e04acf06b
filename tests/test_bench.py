"""benchmarks/bench.py runs at tiny sizes and prints its tables (the times are not checked)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import make_data

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def output():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--seeds", "1", "--check-every", "20"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_bench_data_are_the_course_data():
    bench = _load_bench()
    np.testing.assert_array_equal(bench.make_data_np(1000, 3), make_data(n=1000, seed=3).numpy())


def test_bench_accuracy_bar_is_the_course_bar():
    bench = _load_bench()
    exact = bench.Exact(mu_mean=2.0, mu_sd=0.1, sigma_mean=4.0, sigma_sd=0.1)
    good = {"mu_loc": 2.005, "mu_scale": 0.101, "sigma_loc": np.log(4.0), "sigma_scale": 0.025}
    assert bench.within_bar(good, exact)
    assert not bench.within_bar({**good, "mu_loc": 2.02}, exact)  # 0.2 posterior sd off
    assert not bench.within_bar({**good, "mu_scale": 0.105}, exact)  # sd 5% off


def test_bench_prints_every_table_with_its_rows(output):
    for heading in (
        "## Time to accuracy",
        "## Where the recipe's time goes",
        "## Steps per second",
        "## Cost as data grow",
    ):
        assert heading in output
    for row in (
        "| Pyro, course recipe",
        "| Pyro lever: same with JitTrace_ELBO",
        "| Pyro lever: same with TraceMeanField_ELBO",
        "| Pyro, original tutorial",
        "| Pyro Trace_ELBO |",
        "| Pyro JitTrace_ELBO |",
        "| Pyro TraceMeanField_ELBO |",
        "| Pyro Trace_ELBO, 32 vectorised particles (recipe) |",
    ):
        assert row in output, row
    for n in ("1e3", "1e4"):
        for plate in ("full batch", "plate subsample_size=1000", "streamed batches of 1000"):
            assert f"| {n} | {plate}" in output
    assert "## Notebooks" not in output  # optional, and slow


def test_bench_shows_numpyro_rows_or_says_why_not(output):
    if importlib.util.find_spec("numpyro") is None:
        assert "NumPyro is not installed" in output
        assert "| NumPyro" not in output
    else:
        assert "| NumPyro 0.22 (same recipe" in output
        assert "| NumPyro Trace_ELBO, 32 particles (jit) |" in output
        assert "Pyro recipe / NumPyro:" in output
