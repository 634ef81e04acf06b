"""Input checks shared by the helpers: each raises a clear error that names the argument.

One of each: every helper that needs a number, a seed, a count or an array of numbers from a
learner checks it here, so that the same mistake gets the same message everywhere.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_SEED_LIMIT = 2**32  # numpy's and Pyro's seeds are unsigned 32-bit integers


def as_float_array(values: Any, name: str, positive: bool = False) -> np.ndarray:
    """Return `values` (a number, an array or a tensor) as a finite float64 numpy array."""
    if isinstance(values, str | bytes) or values is None:
        raise TypeError(f"{name} must be a number or an array of numbers")
    if hasattr(values, "detach"):  # a torch tensor, possibly on a GPU or requiring grad
        values = values.detach().cpu().numpy()
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of numbers") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if positive and not np.all(array > 0):
        raise ValueError(f"{name} must be positive")
    return array


def as_data_array(data: Any, name: str = "data", min_size: int = 1) -> np.ndarray:
    """Return `data` as a finite 1-D float64 array of at least `min_size` values, or raise."""
    if isinstance(data, str | bytes) or data is None:
        raise TypeError(f"{name} must be an array or tensor of numbers, got {type(data).__name__}")
    array = as_float_array(data, name)
    if array.ndim == 2 and 1 in array.shape:
        array = array.reshape(-1)  # accept the original tutorial's (n, 1) column
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (or an (n, 1) column), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty: at least one observation is needed")
    if array.size < min_size:
        raise ValueError(f"{name} must hold at least {min_size} values, got {array.size}")
    return array


def as_data_sets(
    values: Any, name: str, n: int | None = None, min_sets: int = 1, min_points: int = 1
) -> np.ndarray:
    """Return simulated or replicated data sets as a finite 2-D array, one data set per row.

    `n`, when given, is the number of points each data set must have (that of the observed data).
    """
    array = as_float_array(values, name)
    points = f"{n}" if n is not None else f"at least {min_points}"
    if (
        array.ndim != 2
        or array.shape[0] < min_sets
        or array.shape[1] < min_points
        or (n is not None and array.shape[1] != n)
    ):
        raise ValueError(
            f"{name} must be 2-D, at least {min_sets} data set(s) of {points} points, one per "
            f"row (e.g. Predictive's samples['obs']), got shape {array.shape}"
        )
    return array


def as_integer(value: Any, name: str, minimum: int = 1) -> int:
    """Return `value` as an int of at least `minimum`, or raise a clear TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def as_seed(value: Any, name: str = "seed") -> int:
    """Return `value` as a seed numpy and Pyro accept (0 to 2**32 - 1), or raise."""
    seed = as_integer(value, name, minimum=0)
    if seed >= _SEED_LIMIT:
        raise ValueError(f"{name} must be between 0 and 2**32 - 1, got {seed}")
    return seed


def as_finite_float(value: Any, name: str) -> float:
    """Return `value` as a finite float, or raise a clear TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
            value = value.item()
        else:
            raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def as_positive_float(value: Any, name: str) -> float:
    """Return `value` as a finite float > 0, or raise a clear TypeError/ValueError."""
    value = as_finite_float(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def as_pair(value: Any, name: str) -> tuple[Any, Any]:
    """Unpack a two-element prior specification, or raise a clear TypeError/ValueError."""
    if isinstance(value, str | bytes):
        raise TypeError(f"{name} must be a pair of numbers, got a string")
    try:
        first, second = value
    except TypeError:
        raise TypeError(f"{name} must be a pair of numbers, got {type(value).__name__}") from None
    except ValueError:
        raise ValueError(f"{name} must have exactly two elements") from None
    return first, second
