"""Self-checks for the exercises of notebook 07 (scaling SVI up).

Each check works out the right answer itself from the sizes it is given, prints "Correct" or
"Not yet" with a hint, and returns a `Verdict` that a solution cell can `assert`. A wrong or
missing answer never raises; invalid sizes do (a programming error).
"""

from __future__ import annotations

import math

import numpy as np

from .checks import Verdict, _verdict, check_number


def _as_count(value: object, name: str) -> int:
    """A positive integer size, or a clear error (the notebook passed something wrong)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


def _sizes(n: object, batch_size: object) -> tuple[int, int]:
    n, batch_size = _as_count(n, "n"), _as_count(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(f"batch_size ({batch_size}) must not exceed n ({n})")
    return n, batch_size


def check_scale_factor(answer: object, n: object, batch_size: object) -> Verdict:
    """Exercise 07.1: the scale a subsampled plate puts on each observation's log density."""
    n, batch_size = _sizes(n, batch_size)
    hint = (
        "each of the batch_size terms stands for n / batch_size points; read it from a trace: "
        "trace.nodes['obs']['scale']"
    )
    return check_number(answer, n / batch_size, 1e-6, "the plate's scale factor", hint)


def check_unscaled_sd_factor(answer: object, n: object, batch_size: object) -> Verdict:
    """Exercise 07.2: how many times too wide the posterior sd of mu is without the scaling."""
    n, batch_size = _sizes(n, batch_size)
    hint = (
        "without the scale the fit sees batch_size points, not n; a posterior sd shrinks like "
        "1 / sqrt(number of points)"
    )
    # 15%: a fit (or an exact posterior of one batch) lands within a few percent of sqrt(n / b);
    # n / b itself (the scale, not the sd factor) is far outside.
    expected = math.sqrt(n / batch_size)
    return check_number(answer, expected, 0.15, "the factor by which the sd is too wide", hint)


def check_subsample_cost(answer: object) -> Verdict:
    """Exercise 07.3: the torch function that makes `subsample_size=` cost O(n) per step."""
    hint = (
        "look at what pyro.plate does to choose the batch: profile one step at n = 10**7 with "
        "cProfile, or read pyro/poutine/subsample_messenger.py"
    )
    if answer is None or answer is Ellipsis:
        return _verdict(False, "no answer yet for the function", hint)
    if not isinstance(answer, str):
        return _verdict(False, f"give the function's name as text, got {answer!r}", hint)
    name = answer.strip().strip("`").removesuffix("()").split(".")[-1].lower()
    ok = name == "randperm"
    return _verdict(
        ok,
        f"{answer.strip()!r}" + (" draws a permutation of all n indices" if ok else " is not it"),
        hint,
    )


def check_log_prob_bytes(answer: object, n: object, num_particles: object) -> Verdict:
    """Exercise 07.4: megabytes (10**6 bytes) of one float32 log-density array, full batch."""
    n, num_particles = _as_count(n, "n"), _as_count(num_particles, "num_particles")
    hint = "one float32 (4 bytes) per data point and particle; 1 MB = 10**6 bytes"
    expected = n * num_particles * 4 / 1e6
    return check_number(answer, expected, 0.05, "the size in MB", hint)
