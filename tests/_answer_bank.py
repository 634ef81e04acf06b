"""Answer banks for the exercise self-checks: what a check must accept and what it must reject.

Each exercise's test file lists, as data, the correct answers that every valid method reaches
(`Right`) and the typical wrong answers learners give (`Wrong`, each with a phrase that the
feedback must contain, so that the feedback names that mistake). `assert_bank` runs a check on
all of them and on an empty answer, which must get "No answer yet" and no method.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Right:
    """A correct answer, and the valid method that produced it."""

    how: str
    answer: object


@dataclass(frozen=True)
class Wrong:
    """A typical wrong answer, what mistake produces it, and a phrase its feedback must contain
    (None: any "Not yet" will do, for answers that are simply off)."""

    how: str
    answer: object
    names: str | None = None


def _run(check: Callable[[object], object], answer: object, capsys) -> tuple[bool, str]:
    capsys.readouterr()
    ok = bool(check(answer))
    return ok, capsys.readouterr().out


def assert_bank(
    check: Callable[[object], object],
    right: Sequence[Right],
    wrong: Sequence[Wrong],
    capsys,
    *,
    empty: object = None,
    method_words: Sequence[str] = (),
) -> None:
    """Every right answer passes, every wrong one fails naming its mistake, and an empty answer
    gets "No answer yet" without any of `method_words` (the names a hint would reveal)."""
    assert right and len(wrong) >= 3, "a bank lists the right answers and 3-5 typical wrong ones"
    problems = []
    for entry in right:
        ok, out = _run(check, entry.answer, capsys)
        if not ok or "Correct" not in out:
            problems.append(f"rejected a right answer ({entry.how}): {out.strip()}")
    for entry in wrong:
        ok, out = _run(check, entry.answer, capsys)
        if ok or "Not yet" not in out:
            problems.append(f"accepted a wrong answer ({entry.how}): {out.strip()}")
        elif entry.names is not None and entry.names.lower() not in out.lower():
            problems.append(f"did not name the mistake ({entry.how}, {entry.names!r}): {out}")
    ok, out = _run(check, empty, capsys)
    if ok or "No answer yet" not in out:
        problems.append(f"an empty answer did not get 'No answer yet': {out.strip()}")
    revealed = [word for word in method_words if word in out]
    if revealed:
        problems.append(f"an empty answer's feedback reveals the method ({revealed}): {out}")
    assert not problems, "\n".join(problems)


def assert_predictions(
    check: Callable[[object], object], right: Sequence[Right], wrong: Sequence[Wrong], capsys
) -> None:
    """With a right answer: right predictions pass, wrong ones fail naming why the intuition
    failed, and no prediction says "No prediction yet" and is not Correct."""
    problems = []
    for entry in right:
        capsys.readouterr()
        ok, out = bool(check(entry.answer)), capsys.readouterr().out
        if not ok or "your prediction" not in out:
            problems.append(f"rejected a right prediction ({entry.how}): {out.strip()}")
    for entry in wrong:
        capsys.readouterr()
        ok, out = bool(check(entry.answer)), capsys.readouterr().out
        if ok or "Not yet" not in out:
            problems.append(f"accepted a wrong prediction ({entry.how}): {out.strip()}")
        elif entry.names is not None and entry.names.lower() not in out.lower():
            problems.append(f"did not say why ({entry.how}, {entry.names!r}): {out}")
    capsys.readouterr()
    ok, out = bool(check(None)), capsys.readouterr().out
    if ok or "No prediction yet" not in out or "Correct" not in out:
        problems.append(f"a missing prediction was not reported as such: {out.strip()}")
    assert not problems, "\n".join(problems)
