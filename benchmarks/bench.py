"""Benchmarks for the course's Gaussian model: time to accuracy, speed, cost as data grow.

Usage (prints markdown tables; `make bench` runs it at full size):

    python benchmarks/bench.py                 # full sizes, 5 seeds
    python benchmarks/bench.py --notebooks     # also time every notebook in a fresh kernel
    python benchmarks/bench.py --quick --seeds 2 --process-seeds 1   # tiny, for the unit test

Sections:

1. Time to accuracy on the original data (1,000 points, seed 0): the wall time until a fit is
   within the course's accuracy bar (both posterior means within 0.1 posterior sd of the exact
   ones, both posterior sds within 3%), checked every `--check-every` steps with the parameters
   averaged over the second half of the steps so far. In-process (fit only) and whole-process
   (a fresh `python` that imports, builds the data, fits and checks), median over seeds. Rows:
   the course's recipe (notebook 05), two Pyro levers, NumPyro (same model, guide,
   initialisation, optimiser, schedule and bar) and the original tutorial's configuration.
2. Steps per second at 1,000 points for each ELBO implementation.
3. Cost as data grow: time per SVI step and peak memory for full-batch and minibatch plates,
   each row in a fresh process (peak memory = growth of `ru_maxrss` from before the data).
4. Optionally (`--notebooks`), each notebook's execution time in a fresh kernel, run on a
   temporary copy so that the committed notebooks are never touched.

Benchmarks report; they do not assert times. NumPyro is optional (`pip install -e '.[bench]'`):
without it its rows are replaced by a note. Only the standard library and numpy are imported at
module level, so that a worker process imports no more than the backend it measures.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import json
import math
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA_SEED = 0  # the original tutorial's data
MEAN_TOL_SD = 0.1  # posterior means within 0.1 posterior sd of exact
SD_TOL = 0.03  # posterior sds within 3% of exact
NUMPYRO_NOTE = (
    "NumPyro is not installed, so its rows are skipped: `pip install -e '.[bench]'` adds them."
)
Params = dict[str, float]


# --------------------------------------------------------------------------------------------
# Shared pieces: data, accuracy bar, results
# --------------------------------------------------------------------------------------------


def make_data_np(n: int, seed: int = DATA_SEED) -> np.ndarray:
    """The course's data as float32 numpy, drawn exactly as `helpers.make_data` draws it."""
    return (np.random.RandomState(seed).randn(int(n)) * 4.0 + 2.0).astype(np.float32)


@dataclass(frozen=True)
class Exact:
    """The exact posterior moments the bar is checked against."""

    mu_mean: float
    mu_sd: float
    sigma_mean: float
    sigma_sd: float


def exact_moments(n: int = 1000) -> Exact:
    """Exact posterior moments for the course's data (imports the helpers, hence torch)."""
    from helpers import exact_posterior

    post = exact_posterior(make_data_np(n))
    return Exact(post.mu_mean, post.mu_sd, post.sigma_mean, post.sigma_sd)


def guide_moments(params: Params, family: str) -> tuple[float, float, float, float]:
    """(mean, sd) of mu and of sigma under the guide with these parameters."""
    mu_mean, mu_sd = params["mu_loc"], params["mu_scale"]
    if family == "lognormal":
        loc, scale = params["sigma_loc"], params["sigma_scale"]
        sigma_mean = math.exp(loc + scale**2 / 2)
        sigma_sd = sigma_mean * math.sqrt(math.expm1(scale**2))
    else:  # the original's Gamma(a, b): mean a / b, sd sqrt(a) / b
        a, b = params["sigma_a"], params["sigma_b"]
        sigma_mean, sigma_sd = a / b, math.sqrt(a) / b
    return mu_mean, mu_sd, sigma_mean, sigma_sd


def within_bar(params: Params, exact: Exact, family: str = "lognormal") -> bool:
    """The course's accuracy bar: means within 0.1 posterior sd, sds within 3%."""
    mu_mean, mu_sd, sigma_mean, sigma_sd = guide_moments(params, family)
    values = (mu_mean, mu_sd, sigma_mean, sigma_sd)
    if not all(math.isfinite(v) for v in values):
        return False
    return (
        abs(mu_mean - exact.mu_mean) < MEAN_TOL_SD * exact.mu_sd
        and abs(sigma_mean - exact.sigma_mean) < MEAN_TOL_SD * exact.sigma_sd
        and abs(mu_sd / exact.mu_sd - 1) < SD_TOL
        and abs(sigma_sd / exact.sigma_sd - 1) < SD_TOL
    )


@dataclass
class Fit:
    """One time-to-accuracy run: steps and seconds to the bar (None if never), and what ended it."""

    steps_to_bar: int | None
    seconds_to_bar: float | None
    steps_run: int
    seconds: float
    status: str  # "reached", "never reached" or "diverged at step N"


class BarWatcher:
    """Record parameters each step; every k steps, test the second-half average against the bar."""

    def __init__(self, exact: Exact, family: str, check_every: int) -> None:
        self.exact, self.family, self.check_every = exact, family, check_every
        self.names: list[str] = []
        self.history: list[list[float]] = []

    def record(self, params: Params) -> bool:
        """Store this step's parameters; True when the bar is reached (checked every k steps)."""
        if not self.names:
            self.names = list(params)
        self.history.append([params[k] for k in self.names])
        t = len(self.history)
        if t % self.check_every:
            return False
        average = np.mean(self.history[t // 2 :], axis=0)
        return within_bar(
            dict(zip(self.names, average.tolist(), strict=True)), self.exact, self.family
        )


# --------------------------------------------------------------------------------------------
# Pyro
# --------------------------------------------------------------------------------------------

PYRO_CONFIGS = {
    "recipe": "Pyro, course recipe (Trace_ELBO, 32 vectorised particles)",
    "jit": "Pyro lever: same with JitTrace_ELBO",
    "meanfield": "Pyro lever: same with TraceMeanField_ELBO",
    "original": "Pyro, original tutorial (Gamma guide, SGD lr 1e-5, 1 particle)",
}


def pyro_parts(subsample: str = "none", batch_size: int = 1000) -> tuple[Callable, Callable]:
    """The course's model and LogNormal guide; `subsample` picks the plate's minibatching.

    "none": full batch; "plate": `pyro.plate(..., subsample_size=batch_size)` (Pyro draws the
    indices with a randperm of n each step); "stream": the indices are passed in (`subsample=`),
    consecutive slices of one shuffled order, as when data are streamed in batches.
    """
    import pyro
    import pyro.distributions as dist
    import torch
    from pyro.distributions import constraints

    def model(data: torch.Tensor, idx: torch.Tensor | None = None) -> None:
        mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
        sigma = pyro.sample("sigma", dist.Gamma(1.0, 0.1))
        if subsample == "plate":
            plate = pyro.plate("data", data.shape[0], subsample_size=batch_size)
        elif subsample == "stream":
            plate = pyro.plate("data", data.shape[0], subsample=idx)
        else:
            plate = pyro.plate("data", data.shape[0])
        with plate as i:
            pyro.sample("obs", dist.Normal(mu, sigma), obs=data[i] if subsample != "none" else data)

    def guide(data: torch.Tensor, idx: torch.Tensor | None = None) -> None:
        mu_loc = pyro.param("mu_loc", data.mean())
        mu_scale = pyro.param("mu_scale", torch.tensor(0.1), constraint=constraints.positive)
        sigma_loc = pyro.param("sigma_loc", data.std().log())
        sigma_scale = pyro.param("sigma_scale", torch.tensor(0.1), constraint=constraints.positive)
        pyro.sample("mu", dist.Normal(mu_loc, mu_scale))
        pyro.sample("sigma", dist.LogNormal(sigma_loc, sigma_scale))

    return model, guide


def _original_guide(data: Any) -> None:
    """The original tutorial's guide: Normal x Gamma(a, b), started at (0, 10, 1, 0.1)."""
    import pyro
    import pyro.distributions as dist
    import torch
    from pyro.distributions import constraints

    mu_loc = pyro.param("mu_loc", torch.tensor(0.0))
    mu_scale = pyro.param("mu_scale", torch.tensor(10.0), constraint=constraints.positive)
    a = pyro.param("sigma_a", torch.tensor(1.0), constraint=constraints.positive)
    b = pyro.param("sigma_b", torch.tensor(0.1), constraint=constraints.positive)
    pyro.sample("mu", dist.Normal(mu_loc, mu_scale))
    pyro.sample("sigma", dist.Gamma(a, b))


def pyro_elbo(kind: str, num_particles: int) -> Any:
    """A Pyro ELBO by name: trace, meanfield or jit, particles vectorised when more than one."""
    from pyro.infer import JitTrace_ELBO, Trace_ELBO, TraceMeanField_ELBO

    options: dict[str, Any] = {"num_particles": num_particles, "max_plate_nesting": 1}
    options["vectorize_particles"] = num_particles > 1
    if kind == "jit":
        return JitTrace_ELBO(ignore_jit_warnings=True, **options)
    return {"trace": Trace_ELBO, "meanfield": TraceMeanField_ELBO}[kind](**options)


def pyro_time_to_accuracy(
    config: str, seed: int, exact: Exact, check_every: int, max_steps: int | None = None
) -> Fit:
    """Fit with one Pyro configuration, stopping at the bar; the timer starts at the first step."""
    import pyro
    import torch
    from pyro.infer import SVI, Trace_ELBO

    torch.set_num_threads(1)  # as helpers.setup() does for every notebook
    pyro.set_rng_seed(seed)
    pyro.clear_param_store()
    data = torch.from_numpy(make_data_np(1000))
    if config == "original":
        num_steps = max_steps or 5000
        model, _ = pyro_parts()
        guide, family = _original_guide, "gamma"
        optim = pyro.optim.SGD({"lr": 1e-5, "momentum": 0.8})
        elbo: Any = Trace_ELBO()
    else:
        num_steps = 500  # the recipe's schedule is defined over 500 steps
        model, guide = pyro_parts()
        family = "lognormal"
        optim = pyro.optim.ClippedAdam({"lr": 0.05, "lrd": (0.002 / 0.05) ** (1 / num_steps)})
        elbo = pyro_elbo({"recipe": "trace"}.get(config, config), 32)
    svi = SVI(model, guide, optim, elbo)
    store = pyro.get_param_store()
    watcher = BarWatcher(exact, family, check_every)
    start = time.perf_counter()
    step = 0
    status = "never reached"
    reached: tuple[int, float] | None = None
    try:
        for step in range(1, num_steps + 1):
            loss = svi.step(data)
            params = {k: v.item() for k, v in store.items()}
            if not math.isfinite(loss) or not all(math.isfinite(v) for v in params.values()):
                status = f"diverged at step {step}"
                break
            if watcher.record(params):
                reached = (step, time.perf_counter() - start)
                status = "reached"
                break
    except ValueError:  # validation rejects a NaN or out-of-support parameter
        status = f"diverged at step {step}"
    seconds = time.perf_counter() - start
    return Fit(
        steps_to_bar=reached[0] if reached else None,
        seconds_to_bar=reached[1] if reached else None,
        steps_run=step,
        seconds=seconds,
        status=status,
    )


def pyro_steps_per_second(kind: str, num_particles: int, steps: int, warmup: int = 20) -> float:
    """SVI steps per second on the 1,000 points with the recipe's guide and optimiser."""
    import pyro
    import torch
    from pyro.infer import SVI

    torch.set_num_threads(1)
    pyro.set_rng_seed(0)
    pyro.clear_param_store()
    data = torch.from_numpy(make_data_np(1000))
    model, guide = pyro_parts()
    optim = pyro.optim.ClippedAdam({"lr": 0.01})
    svi = SVI(model, guide, optim, pyro_elbo(kind, num_particles))
    for _ in range(warmup):
        svi.step(data)
    start = time.perf_counter()
    for _ in range(steps):
        svi.step(data)
    return steps / (time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# NumPyro (optional)
# --------------------------------------------------------------------------------------------


def have_numpyro() -> bool:
    """Whether NumPyro (and JAX) can be imported."""
    return importlib.util.find_spec("numpyro") is not None


def _numpyro_svi(num_particles: int, lr: float, lr_final: float, num_steps: int) -> Any:
    """NumPyro's SVI for the same model and LogNormal guide, started the same way."""
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as ndist
    from numpyro.distributions import constraints
    from numpyro.infer import SVI, Trace_ELBO

    def model(data: Any) -> None:
        mu = numpyro.sample("mu", ndist.Normal(0.0, 10.0))
        sigma = numpyro.sample("sigma", ndist.Gamma(1.0, 0.1))
        with numpyro.plate("data", data.shape[0]):
            numpyro.sample("obs", ndist.Normal(mu, sigma), obs=data)

    def guide(data: Any) -> None:
        mu_loc = numpyro.param("mu_loc", data.mean())
        mu_scale = numpyro.param("mu_scale", jnp.array(0.1), constraint=constraints.positive)
        sigma_loc = numpyro.param("sigma_loc", jnp.log(data.std(ddof=1)))
        sigma_scale = numpyro.param("sigma_scale", jnp.array(0.1), constraint=constraints.positive)
        numpyro.sample("mu", ndist.Normal(mu_loc, mu_scale))
        numpyro.sample("sigma", ndist.LogNormal(sigma_loc, sigma_scale))

    decay = (lr_final / lr) ** (1 / num_steps)  # Pyro's ClippedAdam `lrd`: lr * lrd ** step
    optim = numpyro.optim.ClippedAdam(step_size=lambda i: lr * decay**i)
    return SVI(model, guide, optim, Trace_ELBO(num_particles=num_particles))


def numpyro_time_to_accuracy(seed: int, exact: Exact, check_every: int) -> Fit:
    """The recipe in NumPyro with a jitted update; the timer includes JIT compilation."""
    import jax
    import jax.numpy as jnp

    data = jnp.asarray(make_data_np(1000))
    num_steps = 500
    svi = _numpyro_svi(32, 0.05, 0.002, num_steps)

    @jax.jit
    def step(state: Any) -> tuple[Any, Any, Any]:
        state, loss = svi.update(state, data)
        return state, loss, svi.get_params(state)

    watcher = BarWatcher(exact, "lognormal", check_every)
    start = time.perf_counter()
    state = svi.init(jax.random.PRNGKey(seed), data)
    status, reached, t = "never reached", None, 0
    for t in range(1, num_steps + 1):
        state, loss, params = step(state)
        values = {k: float(v) for k, v in params.items()}
        if not math.isfinite(float(loss)):
            status = f"diverged at step {t}"
            break
        if watcher.record(values):
            reached = (t, time.perf_counter() - start)
            status = "reached"
            break
    return Fit(
        steps_to_bar=reached[0] if reached else None,
        seconds_to_bar=reached[1] if reached else None,
        steps_run=t,
        seconds=time.perf_counter() - start,
        status=status,
    )


def numpyro_steps_per_second(num_particles: int, steps: int, warmup: int = 20) -> float:
    """NumPyro's jitted SVI steps per second on the 1,000 points (after compilation)."""
    import jax
    import jax.numpy as jnp

    data = jnp.asarray(make_data_np(1000))
    svi = _numpyro_svi(num_particles, 0.01, 0.01, 1)
    update = jax.jit(lambda state: svi.update(state, data))
    state = svi.init(jax.random.PRNGKey(0), data)
    for _ in range(warmup):
        state, loss = update(state)
    loss.block_until_ready()
    start = time.perf_counter()
    for _ in range(steps):
        state, loss = update(state)
        float(loss)  # a Python loop that reads the loss, as a training loop does
    return steps / (time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# Workers: one fresh process per measurement that must include imports or own its memory peak
# --------------------------------------------------------------------------------------------


def worker_time_to_accuracy(config: str, seed: int, exact: Exact, check_every: int) -> dict:
    """Body of a whole-process run: imports happen inside, as in a fresh script."""
    if config == "numpyro":
        fit = numpyro_time_to_accuracy(seed, exact, check_every)
    else:
        fit = pyro_time_to_accuracy(config, seed, exact, check_every)
    return fit.__dict__


def worker_scaling(n: int, mode: str, steps: int, batch_size: int) -> dict:
    """Time per step and ru_maxrss growth (MiB) of SVI steps at n points, 1 particle."""
    import pyro
    import torch
    from pyro.infer import SVI, Trace_ELBO

    torch.set_num_threads(1)
    pyro.set_rng_seed(0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    # The same draws as make_data_np, made in chunks so that no float64 copy of all the data
    # inflates the peak.
    generator, chunks = np.random.RandomState(DATA_SEED), []
    for start in range(0, n, 10**6):
        chunks.append((generator.randn(min(10**6, n - start)) * 4.0 + 2.0).astype(np.float32))
    data = torch.from_numpy(np.concatenate(chunks))
    model, guide = pyro_parts(mode, batch_size)
    svi = SVI(model, guide, pyro.optim.ClippedAdam({"lr": 0.01}), Trace_ELBO())
    order = torch.randperm(n)
    num_batches = max(n // batch_size, 1)

    def indices(t: int) -> torch.Tensor | None:
        if mode != "stream":
            return None
        b = t % num_batches
        return order[b * batch_size : (b + 1) * batch_size]

    svi.step(data, indices(0))  # the first step creates the parameters
    times = []
    for t in range(1, steps + 1):
        start = time.perf_counter()
        svi.step(data, indices(t))
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds_per_step": statistics.median(times), "peak_mib": (peak - before) / 1024}


def _run_worker(args: list[str]) -> tuple[dict, float]:
    """Run this file as a worker in a fresh Python; return its JSON result and its wall time."""
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONWARNINGS": "ignore"}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if len(known) == len(values) and known else None


def _fmt(seconds: float | None, digits: int = 3) -> str:
    return "never" if seconds is None else f"{seconds:.{digits}g} s"


def _ratio(value: float | None, reference: float | None) -> str:
    if value is None or reference is None:
        return "n/a"
    return f"{value / reference:.2f}x"


def section_time_to_accuracy(args: argparse.Namespace, exact: Exact) -> str:
    """Section 1: time to accuracy, in-process and whole-process, with ratios."""
    configs = ["recipe", "jit", "meanfield"] + (["numpyro"] if have_numpyro() else [])
    seeds = list(range(args.seeds))
    in_process: dict[str, list[Fit]] = {}
    for config in configs:
        fits = []
        for seed in seeds:
            if config == "numpyro":
                fits.append(numpyro_time_to_accuracy(seed, exact, args.check_every))
            else:
                fits.append(pyro_time_to_accuracy(config, seed, exact, args.check_every))
        in_process[config] = fits
    original_steps = 200 if args.quick else 5000
    in_process["original"] = [
        pyro_time_to_accuracy("original", s, exact, args.check_every, original_steps) for s in seeds
    ]
    whole: dict[str, list[float | None]] = {}
    exact_arg = json.dumps(exact.__dict__)
    for config in configs:
        walls: list[float | None] = []
        for seed in range(args.process_seeds):
            result, wall = _run_worker(["tta", config, str(seed), exact_arg, str(args.check_every)])
            walls.append(wall if result["status"] == "reached" else None)
        whole[config] = walls

    names = {**PYRO_CONFIGS, "numpyro": "NumPyro 0.22 (same recipe, jitted update)"}
    ref_in = _median([f.seconds_to_bar for f in in_process["recipe"]])
    ref_whole = _median(whole["recipe"])
    rows = []
    for config in [*configs, "original"]:
        fits = in_process[config]
        reached = sum(f.status == "reached" for f in fits)
        steps = _median([f.steps_to_bar for f in fits])
        t_in = _median([f.seconds_to_bar for f in fits])
        t_whole = _median(whole[config]) if config in whole else None
        outcome = f"{reached}/{len(fits)} reached"
        if reached < len(fits):
            others = sorted({f.status for f in fits if f.status != "reached"})
            outcome += " (" + "; ".join(others) + f", {max(f.steps_run for f in fits)} steps)"
        rows.append(
            [
                names[config],
                outcome,
                "-" if steps is None else f"{steps:.0f}",
                _fmt(t_in),
                _ratio(t_in, ref_in),
                "-" if config == "original" else _fmt(t_whole),
                "-" if config == "original" else _ratio(t_whole, ref_whole),
            ]
        )
    header = [
        "configuration",
        "reached the bar",
        "steps",
        "SVI time",
        "vs recipe",
        "whole process",
        "vs recipe",
    ]
    text = (
        f"## Time to accuracy (1,000 points; median over {len(seeds)} seeds in-process, "
        f"{args.process_seeds} whole-process)\n\n"
        f"Bar: both posterior means within {MEAN_TOL_SD} posterior sd of exact, both sds within "
        f"{SD_TOL:.0%}; checked every {args.check_every} steps on parameters averaged over the "
        "second half of the steps so far. SVI time starts at the first step (NumPyro's includes "
        "JIT compilation); whole process = a fresh `python` that imports, makes the data, fits "
        "and checks.\n\n" + table(header, rows)
    )
    if "numpyro" in in_process:
        t_np_in = _median([f.seconds_to_bar for f in in_process["numpyro"]])
        text += (
            f"\n\nPyro recipe / NumPyro: SVI time {_ratio(ref_in, t_np_in)}, "
            f"whole process {_ratio(ref_whole, _median(whole['numpyro']))} "
            "(below 1 means Pyro is faster)."
        )
    else:
        text += "\n\n" + NUMPYRO_NOTE
    return text


def section_steps_per_second(args: argparse.Namespace) -> str:
    """Section 2: steps per second for each ELBO implementation at 1,000 points."""
    steps = 30 if args.quick else 300
    runs: list[tuple[str, float]] = []
    for label, kind, particles in [
        ("Trace_ELBO", "trace", 1),
        ("TraceMeanField_ELBO", "meanfield", 1),
        ("JitTrace_ELBO", "jit", 1),
        ("Trace_ELBO, 32 vectorised particles (recipe)", "trace", 32),
        ("TraceMeanField_ELBO, 32 vectorised particles", "meanfield", 32),
        ("JitTrace_ELBO, 32 vectorised particles", "jit", 32),
    ]:
        runs.append((f"Pyro {label}", pyro_steps_per_second(kind, particles, steps)))
    if have_numpyro():
        for particles in (1, 32):
            label = f"NumPyro Trace_ELBO, {particles} particle{'s' if particles > 1 else ''} (jit)"
            runs.append((label, numpyro_steps_per_second(particles, steps)))
    reference = runs[0][1]
    rows = [[label, f"{rate:.0f}", f"{rate / reference:.2f}x"] for label, rate in runs]
    text = (
        f"## Steps per second (1,000 points, {steps} timed steps after 20 warm-up steps)\n\n"
        + table(["ELBO", "steps/s", "vs Pyro Trace_ELBO"], rows)
    )
    return text + ("" if have_numpyro() else "\n\n" + NUMPYRO_NOTE)


def section_scaling(args: argparse.Namespace) -> str:
    """Section 3: time per step and peak memory against n, full batch and minibatch."""
    sizes = [10**k for k in range(3, 5 if args.quick else 8)]
    steps = 5 if args.quick else 20
    modes = [
        ("none", "full batch"),
        ("plate", f"plate subsample_size={args.batch_size}"),
        ("stream", f"streamed batches of {args.batch_size} (subsample=indices)"),
    ]
    rows = []
    for n in sizes:
        for mode, label in modes:
            result, _ = _run_worker(["scaling", str(n), mode, str(steps), str(args.batch_size)])
            rows.append(
                [
                    f"{n:.0e}".replace("e+0", "e"),
                    label,
                    f"{result['seconds_per_step'] * 1e3:.3g} ms",
                    f"{result['peak_mib']:.0f} MiB",
                ]
            )
    return (
        f"## Cost as data grow (Trace_ELBO, 1 particle; median of {steps} steps; "
        "fresh process per row)\n\n"
        "Peak memory: growth of the process's peak resident set size (`ru_maxrss` from "
        "resource.getrusage) from after the imports, before the data are made, to after the "
        "steps: the data (4 bytes a point) plus what the SVI steps need. Up to about 10^5 points "
        "this is lost in memory the process had already reserved (shown as 0).\n\n"
        + table(["n", "plate", "time per step", "peak memory"], rows)
    )


def section_profile(args: argparse.Namespace, exact: Exact) -> str:
    """Where the recipe's time goes: cProfile of one fit, top functions by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    fit = pyro_time_to_accuracy("recipe", 0, exact, args.check_every)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(entry[2] for entry in stats.stats.values())  # type: ignore[attr-defined]
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_, calls, tottime, _, _) in entries[:10]:
        where = f"{Path(filename).parent.name}/{Path(filename).name}:{line}" if line else "built-in"
        rows.append([f"`{name}`", where.replace(str(ROOT), "."), calls, f"{tottime / total:.0%}"])
    return f"## Where the recipe's time goes (cProfile, {fit.steps_run} steps, seed 0)\n\n" + table(
        ["function", "where", "calls", "own time"], rows
    )


def section_notebooks(args: argparse.Namespace) -> str:
    """Section 4: each notebook's execution time in a fresh kernel, on a temporary copy."""
    sys.path.insert(0, str(ROOT / "tools"))
    from run_notebooks import run_notebook

    rows, total = [], 0.0
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        with tempfile.TemporaryDirectory() as scratch:
            # Same depth below a folder as notebooks/, so relative links still resolve alike.
            copy = Path(scratch) / "notebooks" / path.name
            copy.parent.mkdir()
            shutil.copy(path, copy)
            seconds = run_notebook(copy)
        total += seconds
        rows.append([f"`{path.name}`", f"{seconds:.1f} s"])
    rows.append(["**all notebooks**", f"**{total:.1f} s**"])
    return "## Notebooks (fresh kernel each, on a temporary copy)\n\n" + table(
        ["notebook", "execution time"], rows
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (for the unit test)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds for in-process medians")
    parser.add_argument("--process-seeds", type=int, default=None, help="whole-process seeds")
    parser.add_argument("--check-every", type=int, default=10, help="steps between bar checks")
    parser.add_argument("--batch-size", type=int, default=1000, help="minibatch size")
    parser.add_argument("--notebooks", action="store_true", help="also time every notebook")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile table")
    parser.add_argument(
        "--sections",
        default="tta,speed,scaling",
        help="comma-separated subset of tta,speed,scaling",
    )
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.check_every < 1 or args.batch_size < 1:
        parser.error("--seeds, --check-every and --batch-size must be at least 1")
    if args.process_seeds is None:
        args.process_seeds = args.seeds
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and print markdown tables."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        kind, rest = argv[1], argv[2:]
        if kind == "tta":
            config, seed, exact_json, check_every = rest
            exact = Exact(**json.loads(exact_json))
            result = worker_time_to_accuracy(config, int(seed), exact, int(check_every))
        else:
            n, mode, steps, batch_size = rest
            result = worker_scaling(int(n), mode, int(steps), int(batch_size))
        print(json.dumps(result))
        return 0
    args = parse_args(argv)
    import torch

    sections = set(args.sections.split(","))
    print("# Benchmarks\n")
    print(
        f"Python {platform.python_version()}, torch {torch.__version__}, "
        f"{os.cpu_count()} CPU cores, torch threads 1"
        + ("" if have_numpyro() else "; NumPyro not installed")
        + (" (--quick: tiny sizes, not for quoting)" if args.quick else "")
        + "\n",
        flush=True,
    )
    exact = exact_moments()
    if "tta" in sections:
        print(section_time_to_accuracy(args, exact) + "\n", flush=True)
        if not args.no_profile:
            print(section_profile(args, exact) + "\n", flush=True)
    if "speed" in sections:
        print(section_steps_per_second(args) + "\n", flush=True)
    if "scaling" in sections:
        print(section_scaling(args) + "\n", flush=True)
    if args.notebooks:
        print(section_notebooks(args) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
