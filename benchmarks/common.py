"""What every benchmark shares: the data, the exact answer, the accuracy bar, workers, tables.

The course's data are 1,000 draws from Normal(2, 4) (seed 0, the original tutorial's), and every
fit is judged against the exact posterior by one bar: both posterior means within 0.1 posterior
sd of the exact ones and both posterior sds within 3% of them. The recipe's constants (learning
rate 0.05 decaying geometrically to 0.002 over the run, the last half of the steps averaged) are
`helpers.fit`'s defaults, restated here so that a worker need not import the helpers.

A measurement that must include imports, or own its memory peak, runs in a fresh Python started
by `run_worker`: `python benchmarks/bench.py --worker KIND JSON`, which prints one JSON line.
Only the standard library and numpy are imported here, so a worker imports no more than the
backend it measures.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench.py"
DATA_SEED = 0  # the original tutorial's data
N_POINTS = 1000
MEAN_TOL_SD = 0.1  # posterior means within 0.1 posterior sd of exact
SD_TOL = 0.03  # posterior sds within 3% of exact
# helpers.fit's defaults: the recipe taught in notebook 05.
LR, LR_FINAL, NUM_PARTICLES, AVERAGE_LAST = 0.05, 0.002, 32, 0.5
NUMPYRO_NOTE = (
    "NumPyro is not installed, so its rows are skipped: `pip install -e '.[bench]'` adds them."
)
Params = dict[str, float]


# --------------------------------------------------------------------------------------------
# Data, exact answer, bar
# --------------------------------------------------------------------------------------------


def make_data_np(n: int = N_POINTS, seed: int = DATA_SEED) -> np.ndarray:
    """The course's data as float32 numpy, drawn exactly as `helpers.make_data` draws it."""
    return (np.random.RandomState(seed).randn(int(n)) * 4.0 + 2.0).astype(np.float32)


@dataclass(frozen=True)
class Exact:
    """The exact posterior moments the bar is checked against."""

    mu_mean: float
    mu_sd: float
    sigma_mean: float
    sigma_sd: float


def exact_moments(n: int = N_POINTS) -> Exact:
    """Exact posterior moments for the course's data (imports the helpers, hence torch)."""
    from helpers import exact_posterior

    post = exact_posterior(make_data_np(n))
    return Exact(post.mu_mean, post.mu_sd, post.sigma_mean, post.sigma_sd)


def guide_moments(params: Params, family: str = "lognormal") -> tuple[float, float, float, float]:
    """(mean, sd) of mu and of sigma under the guide with these parameters."""
    mu_mean, mu_sd = params["mu_loc"], params["mu_scale"]
    if family == "lognormal":
        loc, scale = params["sigma_loc"], params["sigma_scale"]
        sigma_mean = math.exp(loc + scale**2 / 2)
        sigma_sd = sigma_mean * math.sqrt(math.expm1(scale**2))
    else:  # the original's Gamma(shape, rate): mean shape / rate, sd sqrt(shape) / rate
        shape, rate = params["sigma_shape"], params["sigma_rate"]
        sigma_mean, sigma_sd = shape / rate, math.sqrt(shape) / rate
    return mu_mean, mu_sd, sigma_mean, sigma_sd


def bar_errors(params: Params, exact: Exact, family: str = "lognormal") -> tuple[float, float]:
    """How far a fit is from exact: (worst mean error in posterior sds, worst relative sd error).

    Infinite when the parameters are not finite (a diverged fit).
    """
    try:
        mu_mean, mu_sd, sigma_mean, sigma_sd = guide_moments(params, family)
    except (OverflowError, ValueError, ZeroDivisionError):
        return math.inf, math.inf
    if not all(math.isfinite(v) for v in (mu_mean, mu_sd, sigma_mean, sigma_sd)):
        return math.inf, math.inf
    mean_error = max(
        abs(mu_mean - exact.mu_mean) / exact.mu_sd,
        abs(sigma_mean - exact.sigma_mean) / exact.sigma_sd,
    )
    sd_error = max(abs(mu_sd / exact.mu_sd - 1), abs(sigma_sd / exact.sigma_sd - 1))
    return mean_error, sd_error


def within_bar(params: Params, exact: Exact, family: str = "lognormal") -> bool:
    """The course's accuracy bar: means within 0.1 posterior sd, sds within 3%."""
    mean_error, sd_error = bar_errors(params, exact, family)
    return mean_error < MEAN_TOL_SD and sd_error < SD_TOL


def lr_decay(num_steps: int) -> float:
    """The per-step factor that takes the learning rate from LR to LR_FINAL over the run."""
    return (LR_FINAL / LR) ** (1 / num_steps)


def averaging_start(num_steps: int) -> int:
    """The first step (0-based) of the averaging window, as `helpers.train` computes it."""
    return min(int(num_steps * (1 - AVERAGE_LAST)), num_steps - 1)


def have_numpyro() -> bool:
    """Whether NumPyro (and JAX) can be imported."""
    return importlib.util.find_spec("numpyro") is not None


# --------------------------------------------------------------------------------------------
# Workers: a fresh Python per measurement
# --------------------------------------------------------------------------------------------


@dataclass
class WorkerRun:
    """A worker's JSON result, with the process's wall-clock and CPU seconds (user + system).

    `outside` splits the wall time the worker's own phases do not cover: starting Python (to
    the first line of bench.py), importing the benchmark modules and numpy (to the start of the
    measurement), and exiting (from the printed result to the process's end), all read on the
    wall clock that parent and worker share.
    """

    result: dict
    wall: float
    cpu: float
    outside: dict[str, float] = field(default_factory=dict)


def worker_env() -> dict[str, str]:
    """The environment of every worker: JAX on the CPU, warnings silenced."""
    return {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONWARNINGS": "ignore"}


def run_worker(kind: str, payload: dict) -> WorkerRun:
    """Run `bench.py --worker KIND JSON` in a fresh Python; its result, wall and CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    spawned = time.time()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(BENCH), "--worker", kind, json.dumps(payload)],
        capture_output=True,
        text=True,
        env=worker_env(),
        cwd=ROOT,
        check=False,
    )
    wall = time.perf_counter() - start
    ended = time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"worker {kind} {payload} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    clock = result.pop("clock")
    outside = {
        "python start": clock["script"] - spawned,
        "bench modules, numpy": clock["work"] - clock["script"],
        "exit": ended - clock["done"],
    }
    return WorkerRun(result, wall, cpu, outside)


def run_command(code: str) -> WorkerRun:
    """Run `python -c CODE` in a fresh process (for import costs); wall and CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=worker_env(), cwd=ROOT, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return WorkerRun({}, wall, cpu)


# --------------------------------------------------------------------------------------------
# The machine and tables
# --------------------------------------------------------------------------------------------


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or platform's guess elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` prints them."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine() -> str:
    """One line naming the machine: cores, CPU model, load average now."""
    return f"{os.cpu_count()} CPU cores ({cpu_model()}), load average {load_average()}"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def median_or_none(values: Sequence[float | None]) -> float | None:
    """The median, or None when any value is missing (a run that never reached the bar)."""
    known = [v for v in values if v is not None]
    return statistics.median(known) if known and len(known) == len(values) else None


def fmt_seconds(seconds: float | None, digits: int = 3) -> str:
    """Seconds to `digits` significant figures; None reads "never"."""
    return "never" if seconds is None else f"{seconds:.{digits}g} s"


def fmt_ratio(value: float | None, reference: float | None) -> str:
    """value / reference as "1.23x", or "n/a"."""
    if value is None or reference is None or reference == 0:
        return "n/a"
    return f"{value / reference:.2f}x"


def fmt_spread(values: Sequence[float]) -> str:
    """Median and range of ratios: "1.05x (0.98-1.12x)"."""
    if not values:
        return "n/a"
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f}x)"
