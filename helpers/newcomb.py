"""Simon Newcomb's 1882 speed-of-light measurements (notebook 08's real data), read and checked.

The shipped file, `helpers/datasets/newcomb.csv`, holds the 66 measurements of his third series
as deviations from 24,800 nanoseconds, in the order of Stigler (1977, Table 5). Lines starting
with `#` are comments (source, units, accepted value); then a header row `order,deviation_ns`
and one measurement per row, numbered 1, 2, 3, ...
"""

from __future__ import annotations

import math
import os
from importlib import resources
from pathlib import Path

import torch

UNIT = "ns above 24,800"  # the file's scale: each value is a travel time minus 24,800 ns
ACCEPTED_VALUE = 33.0  # the modern value on the same scale (ns above 24,800), as BDA gives it
HEADER = ("order", "deviation_ns")


def default_path() -> Path:
    """Where the shipped data file lies (inside the installed `helpers` package)."""
    return Path(str(resources.files("helpers").joinpath("datasets", "newcomb.csv")))


def _parse_row(line_number: int, line: str, expected_order: int) -> float:
    """One data row: `order,deviation_ns`, with order equal to `expected_order`."""
    fields = [field.strip() for field in line.split(",")]
    if len(fields) != len(HEADER):
        raise ValueError(
            f"line {line_number}: expected {len(HEADER)} comma-separated values "
            f"({','.join(HEADER)}), got {len(fields)}: {line!r}"
        )
    order, value = fields
    try:
        order_number = int(order)
    except ValueError:
        raise ValueError(f"line {line_number}: order {order!r} is not a whole number") from None
    if order_number != expected_order:
        raise ValueError(
            f"line {line_number}: order should be {expected_order} (rows numbered 1, 2, ...), "
            f"got {order_number}"
        )
    try:
        deviation = float(value)
    except ValueError:
        raise ValueError(f"line {line_number}: deviation_ns {value!r} is not a number") from None
    if not math.isfinite(deviation):
        raise ValueError(f"line {line_number}: deviation_ns {value!r} is not a finite number")
    return deviation


def load_newcomb(path: str | os.PathLike[str] | None = None) -> torch.Tensor:
    """Read the measurements (ns above 24,800) as a 1-D float32 tensor, validating the file."""
    if path is not None and not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a file path or None, got {type(path).__name__}")
    file = default_path() if path is None else Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"no Newcomb data file at {file}")
    values: list[float] = []
    header_seen = False
    for line_number, raw in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not header_seen:
            if tuple(field.strip() for field in line.split(",")) != HEADER:
                raise ValueError(
                    f"line {line_number}: expected the header row {','.join(HEADER)!r}, "
                    f"got {line!r}"
                )
            header_seen = True
            continue
        values.append(_parse_row(line_number, line, expected_order=len(values) + 1))
    if not values:
        raise ValueError(f"{file} holds no measurements (only comments or a header)")
    return torch.tensor(values, dtype=torch.float32)
