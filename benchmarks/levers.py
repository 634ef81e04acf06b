"""Levers on the recipe's whole-process time, measured rather than argued.

The schedule, particles and JitTrace_ELBO levers are rows of the fixed-schedule table
(time_to_accuracy.py), each at its own fewest steps. This file measures what that table cannot
separate:

- import cost: fresh processes that only import (`import torch, pyro` against
  `import jax, numpyro`, with Python alone, numpy and the course's `helpers` for reference),
  interleaved round by round;
- NumPyro's `SVI.run` taken apart in a fresh process: eager `svi.init`, compiling the
  `lax.scan` it runs (ahead of time, `jax.jit(...).lower(...).compile()`), and running it;
- where Pyro's recipe spends a fit (cProfile, top functions by own time);
- a summary: the recipe's gap to NumPyro split by phase, and which levers close it.
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    N_POINTS,
    ROOT,
    Exact,
    WorkerRun,
    have_numpyro,
    make_data_np,
    run_command,
    run_worker,
    table,
)
from benchmarks.time_to_accuracy import (
    CONFIGS,
    NUMPYRO_RUN,
    RECIPE,
    Schedule,
    import_backend,
    pyro_fixed,
)

IMPORTS = {
    "Python alone": "pass",
    "numpy": "import numpy",
    "torch": "import torch",
    "torch, pyro (all a Pyro fit imports)": (
        "import torch, pyro, pyro.distributions, pyro.infer, pyro.optim"
    ),
    "torch, pyro, torch._dynamo (all a Pyro fit has imported after its first step)": (
        "import torch, pyro, pyro.distributions, pyro.infer, pyro.optim, torch._dynamo"
    ),
    "jax, numpyro (all a NumPyro fit imports)": (
        "import jax, jax.numpy, numpyro, numpyro.distributions, numpyro.infer, numpyro.optim"
    ),
    "helpers (what every notebook imports)": "import helpers",
}


def section_imports(rounds: int) -> tuple[str, dict[str, float]]:
    """Wall time of fresh processes that only import, interleaved; medians (and the table)."""
    commands = {k: v for k, v in IMPORTS.items() if "jax" not in v or have_numpyro()}
    walls: dict[str, list[WorkerRun]] = {k: [] for k in commands}
    keys = list(commands)
    for r in range(rounds):
        for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
            walls[key].append(run_command(commands[key]))
    medians = {k: statistics.median(w.wall for w in runs) for k, runs in walls.items()}
    base = medians["Python alone"]
    rows = [
        [
            key,
            f"`{commands[key]}`",
            f"{medians[key]:.3f} s",
            f"{medians[key] - base:+.3f} s",
            f"{statistics.median(w.cpu for w in walls[key]):.3f} s",
        ]
        for key in keys
    ]
    text = f"### Import cost (fresh processes, median of {rounds} interleaved rounds)\n\n" + table(
        ["imports", "command", "wall", "over Python alone", "CPU"], rows
    )
    return text, medians


def worker_numpyro_anatomy(payload: dict) -> dict:
    """SVI.run's parts in a fresh process: imports, init, compiling its scan, running it twice."""
    clock = time.perf_counter()
    import_backend("numpyro")
    import jax
    import jax.numpy as jnp
    from jax import lax

    from benchmarks.models import numpyro_svi

    phases = {"imports": time.perf_counter() - clock}
    clock = time.perf_counter()
    data = jnp.asarray(make_data_np(N_POINTS))
    svi = numpyro_svi(data, 32, payload["steps"])
    phases["setup"] = time.perf_counter() - clock
    clock = time.perf_counter()
    state = jax.block_until_ready(svi.init(jax.random.PRNGKey(0), data))
    phases["svi.init (eager)"] = time.perf_counter() - clock

    def run(state: Any) -> Any:
        return lax.scan(lambda s, _: svi.update(s, data), state, None, length=payload["steps"])

    clock = time.perf_counter()
    compiled = jax.jit(run).lower(state).compile()
    phases["trace and compile the scan"] = time.perf_counter() - clock
    clock = time.perf_counter()
    jax.block_until_ready(compiled(state))
    phases["run the scan (first call)"] = time.perf_counter() - clock
    clock = time.perf_counter()
    jax.block_until_ready(compiled(state))
    phases["run the scan again"] = time.perf_counter() - clock
    return {"phases": phases}


def section_numpyro_anatomy(steps: int, rounds: int) -> str:
    """NumPyro's SVI.run taken apart (fresh processes, medians)."""
    results = [run_worker("anatomy", {"steps": steps}) for _ in range(rounds)]
    names = list(results[0].result["phases"])
    rows = [
        [name, f"{statistics.median(r.result['phases'][name] for r in results):.3f} s"]
        for name in names
    ]
    return (
        f"### NumPyro's `SVI.run` taken apart ({steps} steps, 32 particles; median of "
        f"{rounds} fresh processes)\n\n"
        "`SVI.run(progress_bar=False)` runs `svi.init` eagerly and then one `lax.scan` of "
        "`svi.update`; here the same scan is compiled ahead of time so that compiling and "
        "running are timed apart.\n\n" + table(["part", "time"], rows)
    )


def section_profile(steps: int, exact: Exact) -> str:
    """Where the recipe's time goes: cProfile of one fixed-schedule fit, top by own time."""
    import_backend("pyro")
    profiler = cProfile.Profile()
    profiler.enable()
    pyro_fixed(CONFIGS[RECIPE], 0, steps, exact)
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries = stats.stats.items()  # type: ignore[attr-defined]
    total = sum(entry[2] for _, entry in entries)
    top = sorted(entries, key=lambda kv: kv[1][2], reverse=True)[:10]
    rows = []
    for (filename, line, name), (_, calls, tottime, _, _) in top:
        where = f"{Path(filename).parent.name}/{Path(filename).name}:{line}" if line else "built-in"
        rows.append([f"`{name}`", where.replace(str(ROOT), "."), calls, f"{tottime / total:.0%}"])
    return f"### Where the recipe's fit goes (cProfile, {steps} steps, seed 0)\n\n" + table(
        ["function", "where", "calls", "own time"], rows
    )


GAP_ROWS = (
    ("python start and bench modules", ("python start", "bench modules, numpy")),
    ("imports", ("imports",)),
    ("setup (data, model, guide, SVI)", ("setup",)),
    (
        "fit: every step (Pyro: first step + others; NumPyro: init, compile, steps)",
        ("init", "first step", "other steps", "init, compile and steps"),
    ),
    ("of which Pyro's first step", ("first step",)),
    ("check", ("check",)),
    ("exit (interpreter teardown)", ("exit",)),
)


def gap_summary(runs: dict[str, list[WorkerRun]], imports: dict[str, float]) -> str:
    """The recipe's whole-process gap to NumPyro's SVI.run, by phase, and what closes it."""

    def phase(key: str, names: tuple[str, ...]) -> float:
        return statistics.median(
            sum({**r.outside, **r.result["phases"]}.get(n, 0.0) for n in names) for r in runs[key]
        )

    def median_wall(key: str) -> float:
        return statistics.median(r.wall for r in runs[key])

    recipe, peer = median_wall(RECIPE), median_wall(NUMPYRO_RUN)
    rows = [["whole process (wall)", f"{recipe:.3f} s", f"{peer:.3f} s", f"{recipe - peer:+.3f} s"]]
    for label, names in GAP_ROWS:
        a, b = phase(RECIPE, names), phase(NUMPYRO_RUN, names)
        rows.append([label, f"{a:.3f} s", f"{b:.3f} s", f"{a - b:+.3f} s"])
    pyro_imports = imports["torch, pyro (all a Pyro fit imports)"]
    dynamo = imports[
        "torch, pyro, torch._dynamo (all a Pyro fit has imported after its first step)"
    ]
    jax_imports = imports["jax, numpyro (all a NumPyro fit imports)"]
    levers = []
    for key, config in CONFIGS.items():
        if key in runs and key not in (RECIPE, NUMPYRO_RUN):
            ratios = [a.wall / b.wall for a, b in zip(runs[key], runs[NUMPYRO_RUN], strict=True)]
            levers.append(f"{config.label}: {statistics.median(ratios):.2f}x")
    return (
        "### The recipe's gap to NumPyro's `SVI.run`, by phase (medians of the rounds)\n\n"
        + table(["phase", "Pyro recipe", "NumPyro SVI.run", "difference"], rows)
        + "\n\nImport-only processes (wall, start to exit): `torch, pyro` "
        f"{pyro_imports:.2f} s, with `torch._dynamo` (which the first torch optimiser imports) "
        f"{dynamo:.2f} s, against `jax, numpyro` {jax_imports:.2f} s. Whole-process ratios to "
        "NumPyro's `SVI.run` (median per round): " + "; ".join(levers) + "."
    )


def section_levers(
    args: Any, exact: Exact, schedules: dict[str, Schedule], runs: dict[str, list[WorkerRun]]
) -> str:
    """Import costs, NumPyro's SVI.run taken apart, the recipe's profile, and the gap summary."""
    rounds = min(args.process_seeds, 5)
    text, imports = section_imports(rounds)
    parts = ["## Levers, measured", text]
    if have_numpyro() and NUMPYRO_RUN in runs:
        steps = schedules[NUMPYRO_RUN].steps or 100
        parts.append(section_numpyro_anatomy(steps, min(rounds, 3)))
        parts.append(gap_summary(runs, imports))
    if not args.no_profile:
        parts.append(section_profile(schedules[RECIPE].steps or 100, exact))
    return "\n\n".join(parts)
