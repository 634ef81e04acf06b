"""The headline: fixed-schedule time to accuracy, Pyro's recipe against NumPyro at its best.

A user with a new model cannot stop a fit when it reaches the exact answer; they run a fixed
schedule. So for each configuration this file

1. chooses ONE schedule, once, not per seed: the fewest steps from a grid (100, 150, 200, ...)
   such that the fit at the END of that schedule is within the bar on every one of the seeds
   (10 by default). A schedule of S steps is the recipe's: ClippedAdam from lr 0.05 decaying
   geometrically to 0.002 over the S steps, the parameters averaged over the last half of them
   (`helpers.fit`'s defaults, with `num_steps=S`);
2. times that schedule as whole processes: a fresh `python` that imports, makes the data, fits
   the schedule and checks the bar, one per seed, the configurations interleaved in each round
   (A B C ..., then B C ... A, ...), so that each round gives a ratio to NumPyro's `SVI.run`
   taken on the same machine at nearly the same moment; the report gives the median and the
   range of those per-round ratios, and each phase's time (imports, setup, first step, the
   other steps, check) as the worker measured it.

NumPyro runs the same model, guide, initial values, optimiser, schedule and bar in two ways:
`SVI.run(..., progress_bar=False)`, its compiled loop (a `lax.scan`), judged on the parameters
it returns (the last step's: `SVI.run` returns no trajectory to average), and a per-step loop
over a jitted `svi.update` that averages the last half as the recipe does, for reference. Each
has its own fewest steps, chosen by the same rule.

The original tutorial's configuration (Gamma guide started at the prior, SGD with lr 1e-5 and
momentum 0.8, one particle, 5,000 steps, its final parameters) is reported as reaching the bar
at the end of its schedule or not.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.common import (
    LR,
    MEAN_TOL_SD,
    N_POINTS,
    NUMPYRO_NOTE,
    SD_TOL,
    Exact,
    WorkerRun,
    averaging_start,
    bar_errors,
    fmt_ratio,
    fmt_seconds,
    fmt_spread,
    have_numpyro,
    make_data_np,
    run_worker,
    table,
)

GRID = (100, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1500, 2000)
QUICK_GRID = (20, 40)
ORIGINAL_STEPS = 5000


@dataclass(frozen=True)
class Config:
    """One way of fitting: backend, objective or loop, and particles."""

    label: str
    backend: str  # "pyro" or "numpyro"
    method: str  # pyro: "trace" or "jit"; numpyro: "run" (SVI.run) or "update" (per-step loop)
    particles: int
    lr: float = LR  # the schedule's starting learning rate (it always decays to 0.002)
    skip_dynamo: bool = False  # a probe: torch.optim's lazy torch._dynamo import skipped


RECIPE, NUMPYRO_RUN = "recipe", "numpyro_run"
CONFIGS: dict[str, Config] = {
    RECIPE: Config(
        "Pyro, the recipe as taught (`helpers.fit` defaults: Trace_ELBO, 32 vectorised particles)",
        "pyro",
        "trace",
        32,
    ),
    "jit": Config("Pyro lever: the recipe with JitTrace_ELBO", "pyro", "jit", 32),
    "lr0.2": Config("Pyro lever: the recipe starting at lr 0.2", "pyro", "trace", 32, 0.2),
    "jit_lr0.2": Config("Pyro lever: JitTrace_ELBO and lr 0.2", "pyro", "jit", 32, 0.2),
    "trace8": Config("Pyro lever: the recipe with 8 particles", "pyro", "trace", 8),
    "no_dynamo": Config(
        "Pyro probe, not to teach: the recipe without torch.optim's `torch._dynamo` import "
        "(private-API patch)",
        "pyro",
        "trace",
        32,
        skip_dynamo=True,
    ),
    NUMPYRO_RUN: Config(
        "NumPyro `SVI.run` (compiled loop; its returned parameters)", "numpyro", "run", 32
    ),
    "numpyro_update": Config(
        "NumPyro per-step jitted `svi.update` loop (the recipe's averaging)",
        "numpyro",
        "update",
        32,
    ),
    "numpyro_run_lr0.2": Config(
        "NumPyro lever: `SVI.run` starting at lr 0.2", "numpyro", "run", 32, 0.2
    ),
}


@dataclass
class FixedFit:
    """The end of one fixed-schedule fit: its answer, the bar, and where the time went."""

    params: dict[str, float]
    mean_error: float  # worst posterior mean error, in posterior sds
    sd_error: float  # worst relative posterior sd error
    status: str  # "ok" or "diverged at step N"
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def within(self) -> bool:
        """Whether the answer is within the bar."""
        return self.mean_error < MEAN_TOL_SD and self.sd_error < SD_TOL


def _judge(
    params: dict[str, float], exact: Exact, status: str, family: str = "lognormal"
) -> FixedFit:
    if status != "ok":
        return FixedFit(params, math.inf, math.inf, status)
    mean_error, sd_error = bar_errors(params, exact, family)
    return FixedFit(params, mean_error, sd_error, status)


# --------------------------------------------------------------------------------------------
# One fit of a fixed schedule, each backend
# --------------------------------------------------------------------------------------------


def pyro_fixed(config: Config, seed: int, num_steps: int, exact: Exact) -> FixedFit:
    """The recipe in Pyro, as `helpers.fit` runs it, for `num_steps` steps; judged at the end.

    Seeds as `helpers.setup` does (one torch thread), records every parameter each step and
    averages the last half, as `helpers.train` does.
    """
    import pyro
    import torch
    from pyro.infer import SVI

    from benchmarks.models import (
        make_pyro_guide,
        pyro_elbo,
        pyro_model,
        recipe_optim,
        recipe_start,
        skip_torch_dynamo_import,
    )

    clock = time.perf_counter()
    if config.skip_dynamo:
        skip_torch_dynamo_import()
    torch.set_num_threads(1)
    pyro.set_rng_seed(seed)
    pyro.clear_param_store()
    data = torch.from_numpy(make_data_np(N_POINTS))
    guide = make_pyro_guide(*recipe_start(data))
    svi = SVI(
        pyro_model,
        guide,
        recipe_optim(num_steps, config.lr),
        pyro_elbo(config.method, config.particles),
    )
    store = pyro.get_param_store()
    phases = {"setup": time.perf_counter() - clock}
    clock = time.perf_counter()
    history: dict[str, list[Any]] = {}
    status = "ok"
    for step in range(num_steps):
        try:
            loss = svi.step(data)
        except ValueError:  # validation rejects a NaN or out-of-support parameter
            status = f"diverged at step {step + 1}"
            break
        if not math.isfinite(loss):
            status = f"diverged at step {step + 1}"
            break
        for name in store.keys():
            history.setdefault(name, []).append(store[name].detach().clone())
        if step == 0:
            phases["first step"] = time.perf_counter() - clock
            clock = time.perf_counter()
    phases["other steps"] = time.perf_counter() - clock
    clock = time.perf_counter()
    params: dict[str, float] = {}
    if status == "ok":
        first = averaging_start(num_steps)
        params = {k: torch.stack(v)[first:].mean().item() for k, v in history.items()}
    fit = _judge(params, exact, status)
    fit.phases = {**phases, "check": time.perf_counter() - clock}
    return fit


def numpyro_fixed(config: Config, seed: int, num_steps: int, exact: Exact) -> FixedFit:
    """The recipe in NumPyro: `SVI.run` (its returned parameters) or a jitted per-step loop."""
    import jax
    import jax.numpy as jnp

    from benchmarks.models import numpyro_svi

    clock = time.perf_counter()
    data = jnp.asarray(make_data_np(N_POINTS))
    svi = numpyro_svi(data, config.particles, num_steps, config.lr)
    key = jax.random.PRNGKey(seed)
    phases = {"setup": time.perf_counter() - clock}
    clock = time.perf_counter()
    if config.method == "run":
        result = svi.run(key, num_steps, data, progress_bar=False)
        losses = jax.device_get(result.losses)
        phases["init, compile and steps"] = time.perf_counter() - clock
        clock = time.perf_counter()
        bad = [i for i, loss in enumerate(losses.tolist()) if not math.isfinite(loss)]
        status = f"diverged at step {bad[0] + 1}" if bad else "ok"
        values = {k: float(v) for k, v in result.params.items()}
    else:

        @jax.jit
        def step(state: Any) -> tuple[Any, Any, Any]:
            state, loss = svi.update(state, data)
            return state, loss, svi.get_params(state)

        state = svi.init(key, data)
        jax.block_until_ready(state)
        phases["init"] = time.perf_counter() - clock
        clock = time.perf_counter()
        history, losses = [], []
        for t in range(num_steps):
            state, loss, params = step(state)
            history.append(params)
            losses.append(loss)
            if t == 0:
                jax.block_until_ready(loss)
                phases["first step"] = time.perf_counter() - clock
                clock = time.perf_counter()
        jax.block_until_ready(state)
        phases["other steps"] = time.perf_counter() - clock
        clock = time.perf_counter()
        finite = bool(jnp.all(jnp.isfinite(jnp.stack(losses))))
        status = "ok" if finite else "diverged"
        window = history[averaging_start(num_steps) :]
        values = {k: float(jnp.mean(jnp.stack([p[k] for p in window]))) for k in history[0]}
    fit = _judge(values if status == "ok" else {}, exact, status)
    fit.phases = {**phases, "check": time.perf_counter() - clock}
    return fit


def original_fixed(seed: int, num_steps: int, exact: Exact) -> FixedFit:
    """The original tutorial's configuration, judged on its final parameters."""
    import pyro
    import torch
    from pyro.infer import SVI, Trace_ELBO

    from benchmarks.models import original_guide, pyro_model

    torch.set_num_threads(1)
    pyro.set_rng_seed(seed)
    pyro.clear_param_store()
    data = torch.from_numpy(make_data_np(N_POINTS))
    optim = pyro.optim.SGD({"lr": 1e-5, "momentum": 0.8})
    svi = SVI(pyro_model, original_guide, optim, Trace_ELBO())
    status = "ok"
    for step in range(num_steps):
        try:
            loss = svi.step(data)
        except ValueError:
            loss = math.nan
        if not math.isfinite(loss):
            status = f"diverged at step {step + 1}"
            break
    store = pyro.get_param_store()
    params = {k: store[k].item() for k in store.keys()} if status == "ok" else {}
    return _judge(params, exact, status, family="gamma")


def fit_fixed(key: str, seed: int, num_steps: int, exact: Exact) -> FixedFit:
    """One fixed-schedule fit of configuration `key` (backend imported by the caller or here)."""
    config = CONFIGS[key]
    if config.backend == "numpyro":
        return numpyro_fixed(config, seed, num_steps, exact)
    return pyro_fixed(config, seed, num_steps, exact)


def import_backend(backend: str) -> None:
    """Everything a fit imports, so that a worker can time the imports as one phase."""
    if backend == "numpyro":
        import jax  # noqa: F401
        import jax.numpy  # noqa: F401
        import numpyro  # noqa: F401
        import numpyro.distributions  # noqa: F401
        import numpyro.infer  # noqa: F401
        import numpyro.optim  # noqa: F401
    else:
        import pyro  # noqa: F401
        import pyro.distributions  # noqa: F401
        import pyro.infer  # noqa: F401
        import pyro.optim  # noqa: F401
        import torch  # noqa: F401


def worker_fixed(payload: dict) -> dict:
    """Body of a whole process: import the backend, fit the schedule, check; report the phases."""
    clock = time.perf_counter()
    import_backend(CONFIGS[payload["config"]].backend)
    imports = time.perf_counter() - clock
    exact = Exact(**payload["exact"])
    fit = fit_fixed(payload["config"], payload["seed"], payload["steps"], exact)
    return {
        "within": fit.within,
        "status": fit.status,
        "phases": {"imports": imports, **fit.phases},
        "torch._dynamo imported": "torch._dynamo" in sys.modules,
    }


# --------------------------------------------------------------------------------------------
# Choosing each configuration's schedule
# --------------------------------------------------------------------------------------------


@dataclass
class Schedule:
    """A configuration's chosen step count (None: no grid value passed) and how it was found."""

    steps: int | None
    tried: list[str]  # "150: 3/4" = at 150 steps the 4th seed missed the bar
    worst: tuple[float, float] = (math.nan, math.nan)  # worst errors over the seeds at `steps`


def choose_schedule(key: str, grid: Sequence[int], seeds: Sequence[int], exact: Exact) -> Schedule:
    """The fewest steps in `grid` whose fit is within the bar at the end on every seed.

    Each grid value is tried on the seeds in order until one misses (the rest need not run).
    """
    tried = []
    for steps in grid:
        fits = []
        for seed in seeds:
            fits.append(fit_fixed(key, seed, steps, exact))
            if not fits[-1].within:
                break
        passed = sum(f.within for f in fits)
        tried.append(f"{steps}: {passed}/{len(fits)}")
        if passed == len(seeds):
            worst = (max(f.mean_error for f in fits), max(f.sd_error for f in fits))
            return Schedule(steps, tried, worst)
    return Schedule(None, tried)


# --------------------------------------------------------------------------------------------
# Interleaved whole-process runs
# --------------------------------------------------------------------------------------------


def interleaved_runs(
    plan: dict[str, int], process_seeds: int, exact: Exact
) -> dict[str, list[WorkerRun]]:
    """Whole-process runs of each configuration's schedule, interleaved round by round.

    Round r runs seed r of every configuration, starting the order at configuration r (mod the
    number of configurations), so that no configuration always runs first or after another.
    """
    keys = list(plan)
    runs: dict[str, list[WorkerRun]] = {k: [] for k in keys}
    for r in range(process_seeds):
        for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
            payload = {"config": key, "seed": r, "steps": plan[key], "exact": exact.__dict__}
            runs[key].append(run_worker("fixed", payload))
    return runs


def phase_medians(runs: list[WorkerRun]) -> dict[str, float]:
    """Median of each phase over the runs, those outside the worker's measurement included."""
    phases = [{**r.outside, **r.result["phases"]} for r in runs]
    return {n: statistics.median(p[n] for p in phases) for n in phases[0]}


def section_fixed_schedule(
    args: Any, exact: Exact
) -> tuple[str, dict[str, Schedule], dict[str, list[WorkerRun]]]:
    """The headline table, the per-round ratios and the time breakdown (markdown)."""
    keys = [k for k, c in CONFIGS.items() if c.backend == "pyro" or have_numpyro()]
    grid = QUICK_GRID if args.quick else GRID
    seeds = list(range(args.seeds))
    schedules = {key: choose_schedule(key, grid, seeds, exact) for key in keys}
    # The same schedule on as many seeds it was not chosen on: does it hold beyond them?
    held_out = range(len(seeds), 2 * len(seeds))
    unseen = {
        key: [fit_fixed(key, seed, schedules[key].steps, exact).within for seed in held_out]
        for key in keys
        if schedules[key].steps is not None
    }
    # A configuration that never passed runs the grid's longest schedule (reported as missing).
    plan = {key: schedules[key].steps or grid[-1] for key in keys}
    runs = interleaved_runs(plan, args.process_seeds, exact)
    original_steps = 200 if args.quick else ORIGINAL_STEPS
    original = [original_fixed(seed, original_steps, exact) for seed in seeds]

    reference = NUMPYRO_RUN if NUMPYRO_RUN in runs else RECIPE
    rows = []
    for key in keys:
        schedule, key_runs = schedules[key], runs[key]
        walls = [r.wall for r in key_runs]
        cpus = [r.cpu for r in key_runs]
        ratios = [a.wall / b.wall for a, b in zip(key_runs, runs[reference], strict=True)]
        cpu_ratios = [a.cpu / b.cpu for a, b in zip(key_runs, runs[reference], strict=True)]
        reached = sum(r.result["within"] for r in key_runs)
        if schedule.steps is None:
            steps = f"none up to {grid[-1]} (ran {grid[-1]})"
            worst = "-"
        else:
            steps = str(schedule.steps)
            worst = f"{schedule.worst[0]:.3f} sd, {schedule.worst[1]:.1%}"
        rows.append(
            [
                CONFIGS[key].label,
                steps,
                worst,
                f"{sum(unseen[key])}/{len(unseen[key])}" if key in unseen else "-",
                f"{reached}/{len(key_runs)}",
                f"{fmt_seconds(statistics.median(walls))} ({min(walls):.2f}-{max(walls):.2f})",
                fmt_seconds(statistics.median(cpus)),
                fmt_spread(ratios),
                fmt_spread(cpu_ratios),
            ]
        )
    diverged = sum(f.status != "ok" for f in original)
    within = sum(f.within for f in original)
    rows.append(
        [
            "Pyro, the original tutorial (Gamma guide from the prior, SGD lr 1e-5, 1 particle)",
            f"its own {original_steps}",
            f"{within}/{len(original)} within at the end ({diverged} diverged)",
            "-",
            "-",
            "-",
            "-",
            "-",
            "-",
        ]
    )
    versus = "NumPyro SVI.run" if reference == NUMPYRO_RUN else "the recipe"
    header = [
        "configuration",
        "fixed schedule (steps)",
        f"worst of {len(seeds)} seeds at the end (mean error, sd error)",
        f"held-out seeds {held_out[0]}-{held_out[-1]} within the bar",
        "whole processes within the bar",
        "whole process, median (min-max s)",
        "CPU time, median",
        f"wall vs {versus}: median (min-max) of per-round ratios",
        f"CPU vs {versus}",
    ]
    text = (
        f"## Fixed-schedule time to accuracy ({N_POINTS:,} points; schedules chosen on "
        f"{len(seeds)} seeds, {args.process_seeds} interleaved whole-process rounds)\n\n"
        f"Each configuration runs ONE fixed schedule: the fewest steps from the grid "
        f"{', '.join(map(str, grid))} whose fit, at the end of the schedule, is within the bar "
        f"(both posterior means within {MEAN_TOL_SD} posterior sd of exact, both sds within "
        f"{SD_TOL:.0%}) on every one of seeds 0-{len(seeds) - 1}; the recipe's schedule is lr "
        "0.05 (0.2 where a row says so) decaying to 0.002 over those steps, with the last half "
        "averaged (NumPyro's `SVI.run` rows: the parameters it returns). Held-out seeds: the "
        "chosen schedule on as many other seeds, in-process. Whole process = a "
        "fresh `python` that imports, makes the data, fits that schedule and checks; one per "
        "seed, configurations interleaved in each round; ratios are per round.\n\n"
        + table(header, rows)
        + "\n\nHow each schedule was found (steps: seeds within the bar / seeds tried, stopping "
        "at the first miss): "
        + "; ".join(f"{key}: " + ", ".join(schedules[key].tried) for key in keys)
        + "."
    )
    text += "\n\n" + section_breakdown(keys, runs, plan)
    if reference == NUMPYRO_RUN:
        text += "\n\n" + verdict(keys, runs)
    else:
        text += "\n\n" + NUMPYRO_NOTE
    return text, schedules, runs


def section_breakdown(keys: list[str], runs: dict[str, list[WorkerRun]], plan: dict) -> str:
    """Where each whole process's time goes, phase by phase (medians over the rounds)."""
    columns = [
        "python start",
        "bench modules, numpy",
        "imports",
        "setup",
        "init",
        "first step",
        "other steps",
        "init, compile and steps",
        "check",
        "exit",
    ]
    rows = []
    for key in keys:
        phases = phase_medians(runs[key])
        cells = [f"{phases[c]:.3f}" if c in phases else "-" for c in columns]
        rows.append([CONFIGS[key].label, plan[key], *cells])
    return (
        "### Where the whole process's time goes (seconds, medians over the rounds)\n\n"
        "Python start: from the parent's spawn to bench.py's first line; bench modules: "
        "importing numpy and the benchmark's own modules; exit: from the printed result to the "
        "process's end (interpreter teardown). The phases between are timed inside the worker. "
        "Pyro's first step includes constructing the torch optimiser, which in torch 2.13 "
        "imports `torch._dynamo` (see the import table), and JitTrace_ELBO's tracing; NumPyro's "
        "loop's first step includes JIT compilation, and `SVI.run` does initialisation, "
        "compilation and every step in one call.\n\n"
        + table(["configuration", "steps", *columns], rows)
    )


def verdict(keys: list[str], runs: dict[str, list[WorkerRun]]) -> str:
    """Whether the recipe as taught is <= 1.0x NumPyro's SVI.run, and the fastest Pyro lever."""

    def median_ratio(key: str) -> float:
        pairs = zip(runs[key], runs[NUMPYRO_RUN], strict=True)
        return statistics.median(a.wall / b.wall for a, b in pairs)

    recipe = median_ratio(RECIPE)
    levers = [k for k in keys if CONFIGS[k].backend == "pyro" and not CONFIGS[k].skip_dynamo]
    best = min(levers, key=median_ratio)
    meets = "meets" if recipe <= 1.0 else "misses"
    text = (
        f"**Target (recipe as taught <= 1.0x NumPyro SVI.run, whole process): {meets} it at "
        f"{recipe:.2f}x** (median of per-round ratios)."
    )
    if recipe > 1.0:
        gap = statistics.median(
            a.wall - b.wall for a, b in zip(runs[RECIPE], runs[NUMPYRO_RUN], strict=True)
        )
        text += f" Pyro's recipe takes {gap:.2f} s longer per process (median of the rounds)."
    text += (
        f" Fastest Pyro lever: {CONFIGS[best].label} at {median_ratio(best):.2f}x "
        f"({fmt_ratio(median_ratio(best), recipe)} of the recipe's time)."
    )
    probes = [k for k in keys if CONFIGS[k].skip_dynamo]
    for key in probes:
        text += (
            f" The recipe without torch.optim's lazy `torch._dynamo` import (a private-API "
            f"probe, not a lever to teach): {median_ratio(key):.2f}x."
        )
    return text
