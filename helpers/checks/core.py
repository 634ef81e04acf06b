"""What every exercise self-check is built from: a `Verdict`, typical `Mistake`s, and judging.

Each check (in the topic modules of `helpers.checks`) computes the right answer itself from the
data it is given, prints "Correct" or "Not yet" with feedback that names the likely mistake, and
returns a `Verdict` that is true or false, so a learner can run it and a solution cell can
`assert` it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass


class Verdict:
    """The result of a self-check: true when correct; prints nothing more in a notebook."""

    def __init__(self, ok: bool) -> None:
        self.ok = bool(ok)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"Verdict(ok={self.ok})"

    def _ipython_display_(self) -> None:
        """The verdict was printed already; don't echo the object as a cell's output."""


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: its value, and feedback that names the mistake behind it.

    The feedback may say how to do it right: it is shown only to a learner whose answer matches
    this mistake, never for an empty or an unrecognised answer. ``rel_tol`` (default: the
    check's own tolerance) says how close an answer must be to ``value`` to count as it.
    """

    value: float
    feedback: str
    rel_tol: float | None = None

    def matches(self, value: float, rel_tol: float, abs_tol: float = 0.0) -> bool:
        """True when ``value`` is this mistake (within its tolerance, else the check's)."""
        tol = self.rel_tol if self.rel_tol is not None else rel_tol
        return math.isclose(value, self.value, rel_tol=tol, abs_tol=abs_tol)


def no_answer(what: str) -> Verdict:
    """The verdict for an exercise not attempted yet: says so, and gives nothing away."""
    print(f"No answer yet for {what}: replace None with your answer, then run the cell.")
    return Verdict(False)


def correct(what: str) -> Verdict:
    """The verdict for a right answer; ``what`` says what was right (with the value)."""
    print(f"Correct: {what}.")
    return Verdict(True)


def not_yet(what: str, feedback: str) -> Verdict:
    """The verdict for a wrong answer: what is wrong, then feedback on the likely mistake."""
    print(f"Not yet: {what}.\n{feedback}")
    return Verdict(False)


NO_PREDICTION = "No prediction yet: write it down before you run anything."


def is_empty(value: object) -> bool:
    """True for an answer or prediction not given yet (None, or ...)."""
    return value is None or value is Ellipsis


def no_answer_with_prediction(what: str, prediction: object) -> Verdict:
    """A "predict, then run" exercise not attempted: "No answer yet", and "No prediction yet"
    if that is missing too. A prediction is judged only together with an answer, so that its
    feedback gives nothing away."""
    verdict = no_answer(what)
    if is_empty(prediction):
        print(NO_PREDICTION)
    return verdict


def prediction_gate(verdict: Verdict, prediction: object) -> Verdict | None:
    """What a "predict, then run" check returns before it judges the prediction, or None when
    the prediction is to be judged now.

    Without a prediction the exercise is not done, whatever the answer. A prediction is judged
    only once the answer is right: the feedback on a wrong prediction explains the result, which
    would give the answer away before the learner has computed it.
    """
    if is_empty(prediction):
        print(NO_PREDICTION)
        return Verdict(False)
    if not verdict:
        return verdict
    return None


def with_prediction(
    verdict: Verdict, prediction: object, judge_prediction: Callable[[object], Verdict]
) -> Verdict:
    """The verdict of a "predict, then run" exercise: its answer's, then its prediction's."""
    gate = prediction_gate(verdict, prediction)
    return gate if gate is not None else judge_prediction(prediction)


_NOT_ASKED = object()  # as_number's default: the exercise asks for no prediction


def as_number(answer: object, what: str, prediction: object = _NOT_ASKED) -> float | Verdict:
    """The answer as a finite float, or a "not yet" verdict saying why it is not one: what kind
    of answer is wanted, never how to compute it. For a "predict, then run" exercise, pass its
    ``prediction``: an empty answer then also says whether the prediction is missing."""
    if is_empty(answer):
        if prediction is _NOT_ASKED:
            return no_answer(what)
        return no_answer_with_prediction(what, prediction)
    if isinstance(answer, str | bytes):
        return not_yet(f"{what} should be a number, not the text {answer!r}", "Drop the quotes.")
    try:
        value = float(answer)  # accepts Python and numpy numbers and one-element tensors
    except (TypeError, ValueError):
        return not_yet(
            f"{what} should be a single number, got {answer!r}",
            "Reduce it to one number (for example with .item() or float()).",
        )
    if not math.isfinite(value):
        return not_yet(
            f"{what} is {value}, which is not a finite number", "Check for a 0/0 or log(0)."
        )
    return value


def judge(
    value: float,
    expected: float,
    what: str,
    *,
    rel_tol: float,
    abs_tol: float = 0.0,
    mistakes: Sequence[Mistake] = (),
    fmt: str = ".4g",
) -> Verdict:
    """Right within the tolerance; else the feedback of the first matching mistake; else a
    nudge that says only which way the answer is off."""
    shown = f"{what} = {value:{fmt}}"
    if math.isclose(value, expected, rel_tol=rel_tol, abs_tol=abs_tol):
        return correct(shown)
    for mistake in mistakes:
        if mistake.matches(value, rel_tol, abs_tol):
            return not_yet(f"{shown} is not right", mistake.feedback)
    direction = "too large" if value > expected else "too small"
    return not_yet(
        f"{shown} is not right",
        f"It is {direction}, by more than the check allows; re-read what the exercise asks for.",
    )


def check_number(
    answer: object,
    expected: float,
    rel_tol: float,
    what: str,
    *,
    mistakes: Sequence[Mistake] = (),
    abs_tol: float = 0.0,
) -> Verdict:
    """Compare a numeric answer with the expected value within a relative tolerance, naming the
    first of ``mistakes`` it matches."""
    value = as_number(answer, what)
    if isinstance(value, Verdict):
        return value
    return judge(value, expected, what, rel_tol=rel_tol, abs_tol=abs_tol, mistakes=mistakes)
