"""Cost as data grow: time per SVI step and memory, full batch against minibatches.

Each row is a fresh process (`bench.py --worker scaling`), so that its memory is its own. It
imports torch and Pyro, warms up (a few steps of the same model on 1,000 points, so that every
lazy initialisation has happened), and only then takes its memory baseline, before the data are
made. Then it makes n points, takes `steps` SVI steps (Trace_ELBO, one particle) and reports the
median time per step and two memory figures, both against that baseline:

- peak growth: the process's peak resident set size since the baseline minus the baseline. On
  Linux the kernel's peak (VmHWM) is reset at the baseline (`echo 5 > /proc/self/clear_refs`),
  so the peak is that of the data and the steps alone, never a peak left over from the imports;
  where that cannot be reset it falls back to `ru_maxrss`, a high-water mark since the process
  started, which can hide growth below an earlier peak (it says which it used);
- resident growth: the resident set size after the steps minus the baseline (the data and
  whatever the steps keep).

The plates: "none" is full batch; "plate" is `pyro.plate(..., subsample_size=batch_size)`,
which draws its indices with a `torch.randperm(n)` at every step; "stream" passes consecutive
slices of one shuffled order (`subsample=indices`), as when data are streamed in batches.
"""

from __future__ import annotations

import gc
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import DATA_SEED, run_worker, table

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int | None:
    """A field of /proc/self/status in KiB (VmRSS, VmHWM), or None where there is none."""
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class MemoryGrowth:
    """Peak and resident memory growth from a baseline taken in this process."""

    def __init__(self) -> None:
        gc.collect()
        self.method = "ru_maxrss"
        try:
            CLEAR_REFS.write_text("5")  # reset the peak (VmHWM) to the current RSS
            if _status_kib("VmHWM") is not None:
                self.method = "VmHWM reset at baseline"
        except OSError:
            pass
        self.rss = _status_kib("VmRSS")
        self.maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    def peak_mib(self) -> float:
        """Peak resident set size since the baseline, minus the baseline, in MiB."""
        if self.method == "ru_maxrss" or self.rss is None:
            now = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            return (now - self.maxrss) / 1024
        return (_status_kib("VmHWM") - self.rss) / 1024  # type: ignore[operator]

    def resident_mib(self) -> float | None:
        """Resident set size now minus the baseline, in MiB (None where unknown)."""
        now = _status_kib("VmRSS")
        return None if now is None or self.rss is None else (now - self.rss) / 1024


def pyro_parts(subsample: str = "none", batch_size: int = 1000) -> tuple[Callable, Callable]:
    """The course's model and LogNormal guide; `subsample` picks the plate's minibatching."""
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
        # Callable starting values run once, when the parameter is made, not at every step.
        mu_loc = pyro.param("mu_loc", lambda: data.mean())
        mu_scale = pyro.param("mu_scale", torch.tensor(0.1), constraint=constraints.positive)
        sigma_loc = pyro.param("sigma_loc", lambda: data.std().log())
        sigma_scale = pyro.param("sigma_scale", torch.tensor(0.1), constraint=constraints.positive)
        pyro.sample("mu", dist.Normal(mu_loc, mu_scale))
        pyro.sample("sigma", dist.LogNormal(sigma_loc, sigma_scale))

    return model, guide


def _data(n: int) -> Any:
    """n of the course's points as a float32 tensor, drawn in chunks (no float64 copy of all)."""
    import torch

    generator, chunks = np.random.RandomState(DATA_SEED), []
    for start in range(0, n, 10**6):
        chunks.append((generator.randn(min(10**6, n - start)) * 4.0 + 2.0).astype(np.float32))
    return torch.from_numpy(np.concatenate(chunks))


def _svi_steps(n_or_data: Any, mode: str, steps: int, batch_size: int) -> list[float]:
    """Run 1 + `steps` SVI steps; the seconds of each but the first (which makes the params)."""
    import pyro
    import torch
    from pyro.infer import SVI, Trace_ELBO

    data = n_or_data
    n = data.shape[0]
    pyro.clear_param_store()
    model, guide = pyro_parts(mode, min(batch_size, n))
    svi = SVI(model, guide, pyro.optim.ClippedAdam({"lr": 0.01}), Trace_ELBO())
    order = torch.randperm(n) if mode == "stream" else None  # the stream's shuffled order
    num_batches = max(n // batch_size, 1)

    def indices(t: int) -> torch.Tensor | None:
        if order is None:
            return None
        b = t % num_batches
        return order[b * batch_size : (b + 1) * batch_size]

    svi.step(data, indices(0))
    times = []
    for t in range(1, steps + 1):
        start = time.perf_counter()
        svi.step(data, indices(t))
        times.append(time.perf_counter() - start)
    return times


def worker_scaling(payload: dict) -> dict:
    """Time per step and memory growth of SVI steps at n points (a fresh process's body)."""
    import pyro
    import torch

    n, mode, steps, batch_size = (payload[k] for k in ("n", "mode", "steps", "batch_size"))
    torch.set_num_threads(1)
    pyro.set_rng_seed(0)
    _svi_steps(_data(1000), mode, 3, batch_size)  # warm-up: every lazy initialisation
    memory = MemoryGrowth()
    data = _data(n)
    times = _svi_steps(data, mode, steps, batch_size)
    return {
        "seconds_per_step": statistics.median(times),
        "peak_mib": memory.peak_mib(),
        "resident_mib": memory.resident_mib(),
        "data_mib": data.numel() * data.element_size() / 2**20,
        "method": memory.method,
    }


def section_scaling(args: Any) -> str:
    """Time per step and memory growth against n, full batch and minibatch (markdown)."""
    sizes = [10**k for k in range(3, 5 if args.quick else 8)]
    steps = 5 if args.quick else 20
    modes = [
        ("none", "full batch"),
        ("plate", f"plate subsample_size={args.batch_size}"),
        ("stream", f"streamed batches of {args.batch_size} (subsample=indices)"),
    ]
    rows, methods = [], set()
    for n in sizes:
        for mode, label in modes:
            payload = {"n": n, "mode": mode, "steps": steps, "batch_size": args.batch_size}
            result = run_worker("scaling", payload).result
            methods.add(result["method"])
            resident = result["resident_mib"]
            rows.append(
                [
                    f"{n:.0e}".replace("e+0", "e"),
                    label,
                    f"{result['seconds_per_step'] * 1e3:.3g} ms",
                    f"{result['data_mib']:.3g} MiB",
                    f"{result['peak_mib']:+.1f} MiB",
                    "-" if resident is None else f"{resident:+.1f} MiB",
                ]
            )
    return (
        f"## Cost as data grow (Trace_ELBO, 1 particle; median of {steps} steps; fresh process "
        "per row)\n\n"
        "Memory against a baseline taken in the same process after the imports and a warm-up, "
        "before the data are made: peak growth = the peak resident set size since the baseline "
        "minus the baseline (the data plus what the steps need at their largest); resident "
        "growth = what is still resident after the steps (the data, for streamed batches also "
        "the shuffled order of n int64 indices, and what the allocator keeps). Peak measured by: "
        + ", ".join(sorted(methods))
        + ". Memory the allocator kept from the warm-up can absorb a small row's growth.\n\n"
        + table(
            ["n", "plate", "time per step", "data", "peak growth", "resident growth"],
            rows,
        )
    )
