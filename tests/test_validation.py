"""helpers._validation: the one copy of each input check, and the messages a learner sees."""

import numpy as np
import pytest
import torch

from helpers._validation import as_data_array, as_data_sets, as_float_array, as_integer, as_seed


@pytest.mark.parametrize("value", [0, 7, np.int64(3), 2**32 - 1])
def test_as_seed_accepts_every_seed_numpy_and_pyro_accept(value):
    assert as_seed(value) == value and type(as_seed(value)) is int
    np.random.default_rng(as_seed(value))  # and numpy agrees


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (-1, ValueError, "seed must be at least 0"),
        (2**32, ValueError, r"seed must be between 0 and 2\*\*32 - 1"),
        (1.0, TypeError, "seed must be an integer"),
        (True, TypeError, "seed must be an integer"),
        ("0", TypeError, "seed must be an integer"),
    ],
)
def test_as_seed_names_the_problem(value, error, message):
    with pytest.raises(error, match=message):
        as_seed(value)


def test_as_integer_checks_the_type_and_the_minimum_by_name():
    assert as_integer(np.int32(5), "num_steps") == 5
    with pytest.raises(ValueError, match="num_steps must be at least 1, got 0"):
        as_integer(0, "num_steps")
    with pytest.raises(TypeError, match="num_steps must be an integer, got float"):
        as_integer(2.0, "num_steps")
    assert as_integer(0, "seed", minimum=0) == 0


def test_as_float_array_converts_tensors_and_rejects_what_it_cannot_use():
    array = as_float_array(torch.tensor([1.0, 2.0], requires_grad=True), "x", positive=True)
    assert array.dtype == np.float64 and array.tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="x must be a number or an array"):
        as_float_array("1, 2", "x")
    with pytest.raises(ValueError, match="x contains NaN"):
        as_float_array([1.0, np.nan], "x")
    with pytest.raises(ValueError, match="x must be positive"):
        as_float_array([1.0, 0.0], "x", positive=True)


def test_as_data_array_accepts_a_column_and_counts_the_values():
    assert as_data_array(np.ones((4, 1))).shape == (4,)
    with pytest.raises(ValueError, match="w must hold at least 2 values, got 1"):
        as_data_array([1.0], "w", min_size=2)
    with pytest.raises(ValueError, match="data is empty"):
        as_data_array([])


def test_as_data_sets_wants_one_data_set_per_row_of_the_data_s_size():
    assert as_data_sets(torch.zeros(3, 5), "replicated", n=5).shape == (3, 5)
    for bad in (np.zeros(5), np.zeros((3, 4)), np.zeros((0, 5))):
        with pytest.raises(ValueError, match=r"replicated must be 2-D.*got shape"):
            as_data_sets(bad, "replicated", n=5)
    with pytest.raises(ValueError, match="at least 2 data set"):
        as_data_sets(np.zeros((1, 5)), "simulated", min_sets=2)
