"""The benchmarks (benchmarks/) measure what they say: the course's data, bar, recipe and memory.

Times are reported by the benchmarks, never tested here. What is tested: the data and the bar
are the course's, the Pyro recipe the benchmark times is `helpers.fit` to the last bit, NumPyro
starts where Pyro starts and follows the same learning-rate schedule, the schedule search and
the interleaving do what their docstrings say, a worker's phases add up to its wall time, the
memory growth grows with the data, and `bench.py --quick` prints every table with its rows.
"""

import importlib.util
import math
import subprocess
import sys

import numpy as np
import pyro
import pytest
import torch

from benchmarks import common, time_to_accuracy
from benchmarks.bench import parse_args
from benchmarks.models import make_pyro_guide, pyro_model, recipe_optim, recipe_start
from helpers import fit, make_data

BENCH = common.ROOT / "benchmarks" / "bench.py"
HAVE_NUMPYRO = importlib.util.find_spec("numpyro") is not None
EXACT = common.Exact(mu_mean=2.0, mu_sd=0.1, sigma_mean=4.0, sigma_sd=0.1)


@pytest.fixture(scope="module")
def output():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--seeds", "2", "--process-seeds", "1"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_bench_data_are_the_course_data():
    np.testing.assert_array_equal(common.make_data_np(1000, 3), make_data(n=1000, seed=3).numpy())


def test_bench_accuracy_bar_is_the_course_bar():
    good = {"mu_loc": 2.005, "mu_scale": 0.101, "sigma_loc": np.log(4.0), "sigma_scale": 0.025}
    assert common.within_bar(good, EXACT)
    assert not common.within_bar({**good, "mu_loc": 2.02}, EXACT)  # 0.2 posterior sd off
    assert not common.within_bar({**good, "mu_scale": 0.105}, EXACT)  # sd 5% off
    mean_error, sd_error = common.bar_errors({**good, "mu_loc": 2.02}, EXACT)
    assert mean_error == pytest.approx(0.2) and sd_error == pytest.approx(0.01, abs=1e-3)
    assert common.bar_errors({**good, "mu_scale": math.nan}, EXACT) == (math.inf, math.inf)


def test_bench_recipe_is_helpers_fit_to_the_last_bit():
    """The Pyro recipe the benchmark times is `helpers.fit` with the same seed and steps."""
    steps, seed = 40, 3
    timed = time_to_accuracy.pyro_fixed(time_to_accuracy.CONFIGS["recipe"], seed, steps, EXACT)
    data = make_data(seed=0)
    pyro.set_rng_seed(seed)
    taught = fit(pyro_model, make_pyro_guide(*recipe_start(data)), data, num_steps=steps)
    assert timed.status == "ok"
    for name, value in taught.averaged.items():
        assert timed.params[name] == pytest.approx(value.item(), rel=1e-6), name


def test_bench_learning_rate_schedule_is_helpers_fit_schedule():
    steps = 50
    optim = recipe_optim(steps)
    assert optim.pt_optim_args == {"lr": 0.05, "lrd": (0.002 / 0.05) ** (1 / steps)}
    param = torch.zeros(1, requires_grad=True)
    adam = pyro.optim.clipped_adam.ClippedAdam([param], **optim.pt_optim_args)
    rates = []
    for _ in range(steps):
        param.grad = torch.ones(1)
        adam.step()
        rates.append(adam.param_groups[0]["lr"])
    assert rates[-1] == pytest.approx(0.002)
    if HAVE_NUMPYRO:  # NumPyro's schedule gives step i the rate Pyro's gives it
        from benchmarks.models import numpyro_step_size

        schedule = numpyro_step_size(steps, 0.05)
        np.testing.assert_allclose([float(schedule(i)) for i in range(steps)], rates, rtol=1e-5)


@pytest.mark.skipif(not HAVE_NUMPYRO, reason="NumPyro is optional (pip install -e '.[bench]')")
def test_bench_numpyro_starts_where_pyro_starts():
    import jax
    import jax.numpy as jnp

    from benchmarks.models import numpyro_svi

    data = jnp.asarray(common.make_data_np())
    svi = numpyro_svi(data, 32, 100)
    start = svi.get_params(svi.init(jax.random.PRNGKey(0), data))
    expected = recipe_start(torch.from_numpy(common.make_data_np()))
    names = ("mu_loc", "mu_scale", "sigma_loc", "sigma_scale")
    np.testing.assert_allclose([float(start[k]) for k in names], expected, rtol=1e-5)


def _fake_fit(thresholds):
    """A fit_fixed stand-in: seed s is within the bar from thresholds[s] steps on."""
    calls = []

    def fake(key, seed, steps, exact):
        calls.append((steps, seed))
        error = 0.0 if steps >= thresholds[seed] else 1.0
        return time_to_accuracy.FixedFit({}, error, error / 100, "ok")

    return fake, calls


def test_bench_schedule_is_the_fewest_steps_every_seed_passes(monkeypatch):
    fake, calls = _fake_fit({0: 100, 1: 300, 2: 150})
    monkeypatch.setattr(time_to_accuracy, "fit_fixed", fake)
    chosen = time_to_accuracy.choose_schedule("recipe", (100, 200, 300, 400), [0, 1, 2], EXACT)
    assert chosen.steps == 300
    assert chosen.tried == ["100: 1/2", "200: 1/2", "300: 3/3"]
    assert calls == [(100, 0), (100, 1), (200, 0), (200, 1), (300, 0), (300, 1), (300, 2)]
    never = time_to_accuracy.choose_schedule("recipe", (100, 200), [0, 1, 2], EXACT)
    assert never.steps is None and never.tried == ["100: 1/2", "200: 1/2"]


def test_bench_whole_processes_are_interleaved(monkeypatch):
    order = []

    def fake_worker(kind, payload):
        order.append((payload["seed"], payload["config"]))
        return common.WorkerRun({"within": True, "phases": {}}, 1.0, 1.0)

    monkeypatch.setattr(time_to_accuracy, "run_worker", fake_worker)
    runs = time_to_accuracy.interleaved_runs({"a": 100, "b": 200, "c": 300}, 4, EXACT)
    assert [len(r) for r in runs.values()] == [4, 4, 4]
    rounds = [[c for s, c in order if s == r] for r in range(4)]
    assert rounds == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"]]
    assert [s for s, _ in order] == sorted(s for s, _ in order)  # a round ends before the next


def test_bench_worker_phases_add_up_to_its_wall_time():
    payload = {"config": "recipe", "seed": 0, "steps": 20, "exact": EXACT.__dict__}
    run = common.run_worker("fixed", payload)
    phases = {**run.outside, **run.result["phases"]}
    assert set(phases) >= {"python start", "imports", "first step", "other steps", "exit"}
    assert all(value >= 0 for value in phases.values()), phases
    assert sum(phases.values()) <= run.wall
    assert sum(phases.values()) > 0.8 * run.wall  # nothing large goes unaccounted
    assert run.cpu > 0 and run.result["within"] is False  # 20 steps are far too few
    assert run.result["torch._dynamo imported"] is True  # by the first torch optimiser


def test_bench_dynamo_probe_skips_the_import_and_nothing_else():
    payload = {"config": "no_dynamo", "seed": 0, "steps": 20, "exact": EXACT.__dict__}
    probe = common.run_worker("fixed", payload)
    assert probe.result["torch._dynamo imported"] is False
    assert probe.result["status"] == "ok"


def test_bench_memory_growth_grows_with_the_data():
    """Full batch at 1e5 and 3e6 points: growth against the in-process baseline cannot read 0."""

    def growth(n):
        payload = {"n": n, "mode": "none", "steps": 2, "batch_size": 1000}
        return common.run_worker("scaling", payload).result

    small, large = growth(10**5), growth(3 * 10**6)
    data = large["data_mib"]
    assert data == pytest.approx(3e6 * 4 / 2**20)
    assert large["peak_mib"] >= data  # the data alone are resident at the peak
    assert large["resident_mib"] >= 0.9 * data  # and still are after the steps
    assert large["peak_mib"] - small["peak_mib"] >= 0.9 * (data - small["data_mib"])


def test_bench_sections_option():
    assert parse_args([]).sections == {"fixed", "oracle", "levers", "speed", "scaling"}
    assert parse_args(["--sections", "tta"]).sections == {"fixed", "oracle", "levers"}
    assert parse_args(["--sections", "levers"]).sections == {"fixed", "levers"}
    assert parse_args(["--seeds", "3"]).process_seeds == 3
    with pytest.raises(SystemExit):
        parse_args(["--sections", "fixed,nonsense"])


@pytest.mark.robust  # a minute of fresh processes: `make test-robust` (CI runs it)
def test_bench_prints_every_table_with_its_rows(output):
    for heading in (
        "## Fixed-schedule time to accuracy",
        "### Where the whole process's time goes",
        "## Oracle-stopped (needs the exact answer; not what a user can do)",
        "## Levers, measured",
        "### Import cost",
        "### Where the recipe's fit goes",
        "## Steps per second",
        "## Cost as data grow",
    ):
        assert heading in output, heading
    for row in (
        "| Pyro, the recipe as taught (`helpers.fit` defaults",
        "| Pyro lever: the recipe with JitTrace_ELBO |",
        "| Pyro lever: the recipe with 8 particles |",
        "| Pyro probe, not to teach: the recipe without torch.optim's `torch._dynamo` import",
        "| Pyro, the original tutorial",
        "| torch, pyro (all a Pyro fit imports) |",
        "| Pyro Trace_ELBO |",
        "| Pyro JitTrace_ELBO, 32 vectorised particles |",
    ):
        assert row in output, row
    for n in ("1e3", "1e4"):
        for plate in ("full batch", "plate subsample_size=1000", "streamed batches of 1000"):
            assert f"| {n} | {plate}" in output
    assert "## Notebooks" not in output  # optional, and slow
    assert "Machine: 2 CPU cores" in output or "Machine: " in output
    assert "load average" in output and "Finished in" in output


@pytest.mark.robust  # a minute of fresh processes: `make test-robust` (CI runs it)
def test_bench_shows_numpyro_rows_or_says_why_not(output):
    if not HAVE_NUMPYRO:
        assert "NumPyro is not installed" in output
        assert "| NumPyro" not in output
        return
    assert "| NumPyro `SVI.run` (compiled loop; its returned parameters) |" in output
    assert "| NumPyro per-step jitted `svi.update` loop" in output
    assert "wall vs NumPyro SVI.run: median (min-max) of per-round ratios" in output
    assert "**Target (recipe as taught <= 1.0x NumPyro SVI.run, whole process):" in output
    assert "### NumPyro's `SVI.run` taken apart" in output
    assert "### The recipe's gap to NumPyro's `SVI.run`, by phase" in output
    headline = output.split("## Fixed-schedule")[1].split("###")[0]
    numpyro_row = next(line for line in headline.splitlines() if "| NumPyro `SVI.run`" in line)
    assert "| 1.00x (1.00-1.00x) |" in numpyro_row  # the reference's ratio to itself
