"""Steps per second at 1,000 points: each Pyro ELBO implementation, and NumPyro once compiled.

Every row fits the recipe's model and guide (notebook 05's starting values) with ClippedAdam at
a constant lr 0.01, in this process, with one torch thread; 20 warm-up steps (which also absorb
JitTrace_ELBO's tracing and NumPyro's compilation) come before the timed steps. The Python
loops read the loss at every step, as a training loop does; NumPyro's compiled scan (what
`SVI.run` runs) is timed on a second call of an ahead-of-time compiled `lax.scan`, so that its
rate excludes compilation.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.common import N_POINTS, NUMPYRO_NOTE, have_numpyro, make_data_np, table

PYRO_ROWS = [
    ("Trace_ELBO", "trace", 1),
    ("TraceMeanField_ELBO", "meanfield", 1),
    ("JitTrace_ELBO", "jit", 1),
    ("Trace_ELBO, 32 vectorised particles (recipe)", "trace", 32),
    ("TraceMeanField_ELBO, 32 vectorised particles", "meanfield", 32),
    ("JitTrace_ELBO, 32 vectorised particles", "jit", 32),
]


def pyro_steps_per_second(kind: str, num_particles: int, steps: int, warmup: int = 20) -> float:
    """SVI steps per second on the 1,000 points with the recipe's guide."""
    import pyro
    import torch
    from pyro.infer import SVI

    from benchmarks.models import make_pyro_guide, pyro_elbo, pyro_model, recipe_start

    torch.set_num_threads(1)
    pyro.set_rng_seed(0)
    pyro.clear_param_store()
    data = torch.from_numpy(make_data_np(N_POINTS))
    optim = pyro.optim.ClippedAdam({"lr": 0.01})
    guide = make_pyro_guide(*recipe_start(data))
    svi = SVI(pyro_model, guide, optim, pyro_elbo(kind, num_particles))
    for _ in range(warmup):
        svi.step(data)
    start = time.perf_counter()
    for _ in range(steps):
        svi.step(data)
    return steps / (time.perf_counter() - start)


def numpyro_steps_per_second(num_particles: int, steps: int, warmup: int = 20) -> float:
    """NumPyro's jitted `svi.update` in a Python loop, steps per second after compilation."""
    import jax
    import jax.numpy as jnp

    from benchmarks.models import numpyro_svi

    data = jnp.asarray(make_data_np(N_POINTS))
    svi = numpyro_svi(data, num_particles, 1, lr=0.01)
    update = jax.jit(lambda state: svi.update(state, data))
    state = svi.init(jax.random.PRNGKey(0), data)
    for _ in range(warmup):
        state, loss = update(state)
    jax.block_until_ready(loss)
    start = time.perf_counter()
    for _ in range(steps):
        state, loss = update(state)
        float(loss)  # a Python loop that reads the loss, as a training loop does
    return steps / (time.perf_counter() - start)


def numpyro_scan_steps_per_second(num_particles: int, steps: int) -> float:
    """Steps per second of the compiled `lax.scan` that `SVI.run` runs (compiled beforehand)."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    from benchmarks.models import numpyro_svi

    data = jnp.asarray(make_data_np(N_POINTS))
    svi = numpyro_svi(data, num_particles, 1, lr=0.01)
    state = svi.init(jax.random.PRNGKey(0), data)

    def run(state: Any) -> Any:
        return lax.scan(lambda s, _: svi.update(s, data), state, None, length=steps)

    compiled = jax.jit(run).lower(state).compile()
    jax.block_until_ready(compiled(state))  # first call: allocation and warm-up
    start = time.perf_counter()
    jax.block_until_ready(compiled(state))
    return steps / (time.perf_counter() - start)


def section_steps_per_second(args: Any) -> str:
    """Steps per second for each ELBO implementation at 1,000 points (markdown)."""
    steps = 30 if args.quick else 300
    runs: list[tuple[str, float]] = []
    for label, kind, particles in PYRO_ROWS:
        runs.append((f"Pyro {label}", pyro_steps_per_second(kind, particles, steps)))
    if have_numpyro():
        for particles in (1, 32):
            plural = "s" if particles > 1 else ""
            label = f"NumPyro Trace_ELBO, {particles} particle{plural} (jit)"
            runs.append((label, numpyro_steps_per_second(particles, steps)))
        runs.append(
            (
                "NumPyro Trace_ELBO, 32 particles, compiled scan (as SVI.run)",
                numpyro_scan_steps_per_second(32, steps),
            )
        )
    reference = runs[0][1]
    rows = [[label, f"{rate:.0f}", f"{rate / reference:.2f}x"] for label, rate in runs]
    text = (
        f"## Steps per second ({N_POINTS:,} points, {steps} timed steps after 20 warm-up "
        "steps; in-process)\n\n" + table(["ELBO", "steps/s", "vs Pyro Trace_ELBO"], rows)
    )
    return text + ("" if have_numpyro() else "\n\n" + NUMPYRO_NOTE)
