"""Newcomb's data: the shipped file is the published series, and broken files fail clearly."""

import re

import pytest
import torch

from helpers.newcomb import ACCEPTED_VALUE, default_path, load_newcomb

# Stigler (1977), Table 5, in order (also in the documentation of R's MASS::newcomb).
STIGLER_TABLE_5 = [
    28, 26, 33, 24, 34, -44, 27, 16, 40, -2, 29, 22, 24, 21, 25, 30, 23, 29, 31, 19,
    24, 20, 36, 32, 36, 28, 25, 21, 28, 29, 37, 25, 28, 26, 30, 32, 36, 26, 30, 22,
    36, 23, 27, 27, 28, 27, 31, 27, 26, 33, 26, 32, 32, 24, 39, 28, 24, 25, 32, 25,
    29, 27, 28, 29, 16, 23,
]  # fmt: skip

GOOD_HEADER = "# a comment\norder,deviation_ns\n"


def _write(tmp_path, text):
    path = tmp_path / "newcomb.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_file_is_stiglers_table_5_in_order():
    data = load_newcomb()
    assert data.dtype == torch.float32 and data.shape == (66,)
    assert data.tolist() == [float(v) for v in STIGLER_TABLE_5]
    assert data.sum().item() == 1730
    assert data.min().item() == -44 and data.max().item() == 40


def test_shipped_file_is_package_data_with_source_units_and_accepted_value():
    path = default_path()
    assert (
        path.is_file() and path.parent.name == "datasets" and path.parent.parent.name == "helpers"
    )
    comments = "\n".join(line for line in path.read_text().splitlines() if line.startswith("#"))
    assert "Stigler" in comments and "24,800" in comments and "33.0" in comments
    assert ACCEPTED_VALUE == 33.0


def test_an_explicit_path_is_read_and_blank_lines_are_skipped(tmp_path):
    path = _write(tmp_path, GOOD_HEADER + "1,28\n\n2,-44.5\n")
    assert load_newcomb(path).tolist() == [28.0, -44.5]
    assert load_newcomb(str(path)).tolist() == [28.0, -44.5]


def test_a_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        load_newcomb(missing)


def test_a_path_that_is_not_a_path_is_refused():
    with pytest.raises(TypeError, match="path"):
        load_newcomb(42)


@pytest.mark.parametrize(
    "text, message",
    [
        (GOOD_HEADER + "1,28\n2,26,7\n", "line 4: expected 2 comma-separated values"),
        (GOOD_HEADER + "1,28\n26\n", "line 4: expected 2 comma-separated values"),
        (GOOD_HEADER + "1,28\n3,26\n", "line 4: order should be 2"),
        (GOOD_HEADER + "one,28\n", "line 3: order 'one' is not a whole number"),
        ("# comment\ntime,value\n1,28\n", "line 2: expected the header row"),
        ("1,28\n", "line 1: expected the header row"),
    ],
)
def test_a_malformed_row_names_its_line(tmp_path, text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        load_newcomb(_write(tmp_path, text))


@pytest.mark.parametrize("value", ["abc", "2 8", "nan", "inf"])
def test_a_bad_value_names_its_line_and_the_value(tmp_path, value):
    path = _write(tmp_path, GOOD_HEADER + f"1,28\n2,{value}\n")
    with pytest.raises(ValueError, match=re.escape(f"line 4: deviation_ns {value!r}")):
        load_newcomb(path)


@pytest.mark.parametrize("text", ["", "# only comments\n", GOOD_HEADER])
def test_a_file_without_measurements_is_refused(tmp_path, text):
    with pytest.raises(ValueError, match="holds no measurements"):
        load_newcomb(_write(tmp_path, text))
