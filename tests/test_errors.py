"""expect_error: a cell that shows an error on purpose prints it and carries on."""

import pytest

from helpers import expect_error


def test_the_expected_error_is_caught_printed_and_kept(capsys):
    with expect_error(ValueError) as caught:
        raise ValueError('at site "obs", invalid log_prob shape\n  Expected [], actual [1000]')
    out = capsys.readouterr().out
    assert out.startswith('ValueError: at site "obs", invalid log_prob shape')
    assert "Expected [], actual [1000]" in out and "on purpose" in out
    assert caught.name == "ValueError" and "actual [1000]" in caught.message
    assert isinstance(caught.error, ValueError)


def test_a_subclass_counts_and_several_kinds_may_be_named(capsys):
    with expect_error(TypeError, LookupError) as caught:
        {}["missing"]
    assert caught.name == "KeyError"


def test_no_error_is_a_failure_that_says_what_was_expected():
    with pytest.raises(AssertionError, match="expected a ValueError"):
        with expect_error(ValueError):
            pass


def test_another_kind_of_error_is_not_hidden():
    with pytest.raises(ZeroDivisionError):
        with expect_error(ValueError):
            _ = 1 / 0


def test_it_needs_exception_classes():
    with pytest.raises(TypeError, match="exception classes"):
        with expect_error("ValueError"):
            pass
