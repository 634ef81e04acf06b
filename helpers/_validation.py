"""Input checks shared by the helpers: each raises a clear error that names the argument."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def as_data_array(data: Any, name: str = "data") -> np.ndarray:
    """Return `data` as a 1-D float64 numpy array, or raise a clear TypeError/ValueError."""
    if isinstance(data, str | bytes) or data is None:
        raise TypeError(f"{name} must be an array or tensor of numbers, got {type(data).__name__}")
    if hasattr(data, "detach"):  # a torch tensor, possibly on a GPU or requiring grad
        data = data.detach().cpu().numpy()
    try:
        array = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must contain only numbers ({error})") from None
    if array.ndim == 2 and 1 in array.shape:
        array = array.reshape(-1)  # accept the original tutorial's (n, 1) column
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (or an (n, 1) column), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty: at least one observation is needed")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


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
