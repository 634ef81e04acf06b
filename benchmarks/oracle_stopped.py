"""Secondary: oracle-stopped time to accuracy, which needs the exact answer to know when to stop.

Each fit runs the recipe's 500-step schedule and, every `--check-every` steps, averages the
parameters over the second half of the steps so far and compares that with the exact posterior;
it stops at the first check inside the bar and reports the steps and seconds (in-process, from
the first step; NumPyro's include JIT compilation). A user fitting a new model cannot do this,
because they do not know the exact answer: the headline is the fixed-schedule table
(time_to_accuracy.py). These numbers say how soon the fit first gets there.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.common import (
    MEAN_TOL_SD,
    N_POINTS,
    NUMPYRO_NOTE,
    SD_TOL,
    Exact,
    Params,
    fmt_ratio,
    fmt_seconds,
    have_numpyro,
    make_data_np,
    median_or_none,
    table,
    within_bar,
)

SCHEDULE_STEPS = 500  # the schedule as notebook 05 runs it

LABELS = {
    "recipe": "Pyro, the recipe (Trace_ELBO, 32 vectorised particles)",
    "jit": "Pyro, the recipe with JitTrace_ELBO",
    "numpyro": "NumPyro, the recipe with a jitted per-step update",
}


@dataclass
class OracleFit:
    """Steps and seconds to the first check inside the bar (None if never), and what ended it."""

    steps_to_bar: int | None
    seconds_to_bar: float | None
    steps_run: int
    status: str  # "reached", "never reached" or "diverged at step N"


class BarWatcher:
    """Record parameters each step; every k steps, test the second-half average against the bar."""

    def __init__(self, exact: Exact, check_every: int) -> None:
        self.exact, self.check_every = exact, check_every
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
        return within_bar(dict(zip(self.names, average.tolist(), strict=True)), self.exact)


def _result(reached: tuple[int, float] | None, steps_run: int, status: str) -> OracleFit:
    if reached is None:
        return OracleFit(None, None, steps_run, status)
    return OracleFit(reached[0], reached[1], steps_run, status)


def pyro_oracle(kind: str, seed: int, exact: Exact, check_every: int) -> OracleFit:
    """The recipe in Pyro (Trace_ELBO or JitTrace_ELBO), stopped at the first check inside."""
    import pyro
    import torch
    from pyro.infer import SVI

    from benchmarks.models import make_pyro_guide, pyro_elbo, pyro_model, recipe_optim, recipe_start

    torch.set_num_threads(1)
    pyro.set_rng_seed(seed)
    pyro.clear_param_store()
    data = torch.from_numpy(make_data_np(N_POINTS))
    guide = make_pyro_guide(*recipe_start(data))
    elbo = pyro_elbo({"recipe": "trace"}.get(kind, kind), 32)
    svi = SVI(pyro_model, guide, recipe_optim(SCHEDULE_STEPS), elbo)
    store = pyro.get_param_store()
    watcher = BarWatcher(exact, check_every)
    start = time.perf_counter()
    status, reached, step = "never reached", None, 0
    try:
        for step in range(1, SCHEDULE_STEPS + 1):
            loss = svi.step(data)
            params = {k: v.item() for k, v in store.items()}
            if not math.isfinite(loss):
                status = f"diverged at step {step}"
                break
            if watcher.record(params):
                reached, status = (step, time.perf_counter() - start), "reached"
                break
    except ValueError:  # validation rejects a NaN or out-of-support parameter
        status = f"diverged at step {step}"
    return _result(reached, step, status)


def numpyro_oracle(seed: int, exact: Exact, check_every: int) -> OracleFit:
    """The recipe in NumPyro with a jitted update, stopped at the first check inside."""
    import jax
    import jax.numpy as jnp

    from benchmarks.models import numpyro_svi

    data = jnp.asarray(make_data_np(N_POINTS))
    svi = numpyro_svi(data, 32, SCHEDULE_STEPS)

    @jax.jit
    def step(state: Any) -> tuple[Any, Any, Any]:
        state, loss = svi.update(state, data)
        return state, loss, svi.get_params(state)

    watcher = BarWatcher(exact, check_every)
    start = time.perf_counter()
    state = svi.init(jax.random.PRNGKey(seed), data)
    status, reached, t = "never reached", None, 0
    for t in range(1, SCHEDULE_STEPS + 1):
        state, loss, params = step(state)
        if not math.isfinite(float(loss)):
            status = f"diverged at step {t}"
            break
        if watcher.record({k: float(v) for k, v in params.items()}):
            reached, status = (t, time.perf_counter() - start), "reached"
            break
    return _result(reached, t, status)


def section_oracle(args: Any, exact: Exact) -> str:
    """The secondary table: oracle-stopped steps and seconds, in-process, median over seeds."""
    keys = ["recipe", "jit"] + (["numpyro"] if have_numpyro() else [])
    seeds = range(args.seeds)
    fits: dict[str, list[OracleFit]] = {}
    for key in keys:
        if key == "numpyro":
            fits[key] = [numpyro_oracle(s, exact, args.check_every) for s in seeds]
        else:
            fits[key] = [pyro_oracle(key, s, exact, args.check_every) for s in seeds]
    reference = median_or_none([f.seconds_to_bar for f in fits["recipe"]])
    rows = []
    for key in keys:
        reached = sum(f.status == "reached" for f in fits[key])
        steps = median_or_none([f.steps_to_bar for f in fits[key]])
        seconds = median_or_none([f.seconds_to_bar for f in fits[key]])
        rows.append(
            [
                LABELS[key],
                f"{reached}/{len(fits[key])}",
                "-" if steps is None else f"{steps:.0f}",
                fmt_seconds(seconds),
                fmt_ratio(seconds, reference),
            ]
        )
    text = (
        "## Oracle-stopped (needs the exact answer; not what a user can do)\n\n"
        f"The recipe's {SCHEDULE_STEPS}-step schedule, stopped at the first check (every "
        f"{args.check_every} steps, on the second-half average so far) where both means are "
        f"within {MEAN_TOL_SD} posterior sd and both sds within {SD_TOL:.0%} of exact. "
        f"In-process seconds from the first step (NumPyro's include JIT compilation), median "
        f"over {len(seeds)} seeds.\n\n"
        + table(["configuration", "reached", "steps", "SVI time", "vs recipe"], rows)
    )
    return text + ("" if have_numpyro() else "\n\n" + NUMPYRO_NOTE)
