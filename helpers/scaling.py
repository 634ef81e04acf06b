"""Machinery for notebook 09 (scaling SVI up): running the data-parallel script, and two figures.

`run_script` runs `scripts/distributed_svi.py` as one plain process or under PyTorch's launcher,
and returns what rank 0 reports; the notebook builds the command lines itself, because the launch
is what it teaches. The figures keep the plotting code (labels, legends clear of the data) out of
the notebook's cells.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, ScalarFormatter
from scipy import stats

from ._validation import as_finite_float, as_positive_float
from .posterior import ExactPosterior

DISTRIBUTED_SVI_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "distributed_svi.py"


def free_port() -> int:
    """A TCP port on the loopback interface that is free now, for torchrun's rendezvous."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_script(command: Sequence[str], timeout: float = 300.0) -> dict[str, Any]:
    """Run `command` and return the JSON object on the last line of its output (rank 0's report).

    The processes talk over the loopback interface (MASTER_ADDR=127.0.0.1) and use one thread
    each (OMP_NUM_THREADS=1). The launcher's own messages are not shown; if the command fails,
    the error names its exit code and ends with its last lines of stderr.
    """
    if isinstance(command, str | bytes) or not isinstance(command, Sequence) or not command:
        raise TypeError("command must be a non-empty list of strings, such as [python, script]")
    if not all(isinstance(part, str | os.PathLike) for part in command):
        raise TypeError("command must hold only strings (or paths)")
    timeout = as_positive_float(timeout, "timeout")
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [os.fspath(part) for part in command],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"the command failed with exit code {done.returncode}:\n{done.stderr[-2000:]}"
        )
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError("the command printed nothing: expected one line of JSON from rank 0")
    try:
        report = json.loads(lines[-1])
    except json.JSONDecodeError:
        raise RuntimeError(f"the command's last line is not JSON: {lines[-1][:200]!r}") from None
    if not isinstance(report, dict):
        raise RuntimeError(
            f"the command's last line is JSON but not an object: {lines[-1][:200]!r}"
        )
    return report


def _as_curve(values: Any, name: str, positive: bool = False) -> np.ndarray:
    """`values` as a non-empty, finite 1-D float array (positive if asked), or a clear error."""
    if hasattr(values, "detach"):  # a torch tensor
        values = values.detach().cpu().numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers") from None
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if positive and np.any(array <= 0):
        raise ValueError(f"{name} must be positive")
    return array


def plot_minibatch_fit(
    mu_path: Any,
    exact: ExactPosterior,
    mu_fit: tuple[float, float],
    average_from: int,
    n: int,
) -> Figure:
    """Two panels: mu_loc at every step of a minibatch fit against the exact posterior mean, and
    the fitted Normal(mu_loc, mu_scale) against the exact posterior of mu; one legend below.

    `mu_fit` is the averaged (mu_loc, mu_scale); `average_from` the step where averaging starts.
    """
    path = _as_curve(mu_path, "mu_path")
    if not isinstance(exact, ExactPosterior):
        raise TypeError(f"exact must be an ExactPosterior, got {type(exact).__name__}")
    try:
        loc, scale = mu_fit
    except (TypeError, ValueError):
        raise TypeError(f"mu_fit must be a pair (mu_loc, mu_scale), got {mu_fit!r}") from None
    loc = as_finite_float(loc, "mu_fit loc")
    scale = as_positive_float(scale, "mu_fit scale")
    if isinstance(average_from, bool) or not isinstance(average_from, int | np.integer):
        raise TypeError(f"average_from must be a step number, got {type(average_from).__name__}")
    if not 0 <= average_from < path.size:
        raise ValueError(f"average_from must be a step in 0..{path.size - 1}, got {average_from}")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive whole number of data points, got {n!r}")
    mean, sd = exact.mu_mean, exact.mu_sd
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    ax.plot(path, "C0", lw=0.8, label="mu_loc at each step")
    band = (mean - sd, mean + sd)
    ax.axhspan(*band, color="k", alpha=0.2, label="exact mean ± 1 posterior sd")
    ax.axvline(average_from, color="C3", ls="--", label="averaging starts")
    ax.set(title="Minibatch noise, damped by lr decay", xlabel="SVI step", ylabel="mu_loc")
    ax.set_ylim(mean - 15 * sd, mean + 15 * sd)
    ax = axes[1]
    ax.plot(exact.mu_grid, exact.mu_density, "k", lw=3, alpha=0.4, label="exact posterior of mu")
    ax.plot(exact.mu_grid, stats.norm.pdf(exact.mu_grid, loc, scale), "C1--", label="minibatch fit")
    ax.set(title=f"Posterior of mu, n = {n:,}", xlabel="mu", ylabel="density")
    ax.set_xlim(mean - 5 * sd, mean + 5 * sd)
    handles, labels = [], []
    for ax in axes:
        more = ax.get_legend_handles_labels()
        handles += more[0]
        labels += more[1]
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3)
    return fig


def plot_step_cost(
    sizes: Any, full_seconds: Any, minibatch_seconds: Any, batch_size: int, device: str
) -> Figure:
    """Time per SVI step against the number of data points, full batch and minibatch, log-log."""
    n = _as_curve(sizes, "sizes", positive=True)
    full = _as_curve(full_seconds, "full_seconds", positive=True)
    mini = _as_curve(minibatch_seconds, "minibatch_seconds", positive=True)
    if not n.size == full.size == mini.size:
        raise ValueError(
            f"sizes, full_seconds and minibatch_seconds must have the same length, "
            f"got {n.size}, {full.size}, {mini.size}"
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise TypeError(f"batch_size must be a whole number, got {type(batch_size).__name__}")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(n, full * 1e3, "o-", label="full batch")
    ax.plot(n, mini * 1e3, "s-", label=f"minibatch, b = {batch_size:,}")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="number of data points n",
        ylabel="time per SVI step (ms)",
        title=f"Cost of one SVI step ({device})",
    )
    low, high = min(full.min(), mini.min()) * 1e3, max(full.max(), mini.max()) * 1e3
    ticks = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
    # Plain numbers (1, 2, 5, ...) read better than powers of ten on a range this short.
    ax.set_yticks([t for t in ticks if low / 2 <= t <= high * 2])
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.legend(loc="upper left")
    return fig
