"""Show an error on purpose without stopping the notebook: `expect_error`.

A lesson sometimes teaches by showing what goes wrong (a model without a plate, a bad shape).
A cell that raises stops Run All in every front end, so such a cell catches the error instead,
prints it the way the last lines of a traceback would, and checks that it really happened.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class CaughtError:
    """The error `expect_error` caught: the exception, its type's name and its message."""

    error: BaseException | None = None
    name: str = ""
    message: str = field(default="")


@contextmanager
def expect_error(*kinds: type[BaseException]) -> Iterator[CaughtError]:
    """Run the block, which must raise one of ``kinds``; print the error and carry on.

    Raises AssertionError if the block raises nothing (so a notebook notices when a library
    stops raising), and lets any other kind of exception through unchanged.
    """
    if not kinds or not all(isinstance(k, type) and issubclass(k, BaseException) for k in kinds):
        raise TypeError("expect_error needs one or more exception classes, e.g. ValueError")
    caught = CaughtError()
    try:
        yield caught
    except kinds as error:
        caught.error, caught.name, caught.message = error, type(error).__name__, str(error)
        shown = "".join(traceback.format_exception_only(type(error), error)).rstrip()
        print(f"{shown}\n(expect_error caught this {caught.name} on purpose; the notebook goes on)")
    else:
        names = " or ".join(k.__name__ for k in kinds)
        raise AssertionError(f"expected a {names}, but the code ran without one")
