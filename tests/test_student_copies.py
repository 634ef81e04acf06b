"""Student copies: generated from the full notebooks, up to date, valid, without solutions."""

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location(
    "make_student_copies", ROOT / "tools" / "make_student_copies.py"
)
make_student_copies = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_student_copies)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
STUDENT_COPIES_OF_LESSONS = sorted((ROOT / "student").glob("[0-9][0-9]_*.ipynb"))
LESSONS = [p for p in NOTEBOOKS if not p.name.startswith("00_")]


def test_student_copies_are_up_to_date():
    assert make_student_copies.main(["--check"]) == 0, "run `python tools/make_student_copies.py`"


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_student_copy_keeps_the_lesson_and_drops_the_solutions(path):
    full = nbformat.read(path, as_version=4)
    student = nbformat.read(ROOT / "student" / path.name, as_version=4)
    nbformat.validate(student)
    start = make_student_copies._heading_index(full.cells, "## Solutions")
    exercises = make_student_copies._heading_index(full.cells, "## Exercises")
    assert start is not None and exercises is not None, "a lesson needs Exercises and Solutions"
    banner = student.cells[1]
    assert "Student copy" in banner.source and f"make reset NB={path.name[:2]}" in banner.source
    kept = [student.cells[0]] + student.cells[2 : exercises + 1]
    assert kept == full.cells[:exercises], "everything before the exercises is kept, outputs too"
    stub = student.cells[start + 1]
    assert "student copy" in stub.source and path.name in stub.source
    solution_code = [c.source for c in full.cells[start:] if c.cell_type == "code"]
    student_code = [c.source for c in student.cells[start + 1 :] if c.cell_type == "code"]
    assert solution_code and not set(solution_code) & set(student_code)
    assert any("## Where next" in c.source for c in student.cells[start + 1 :])


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_student_copy_has_no_stored_output_from_the_exercises_on(path):
    """A learner sees no verdict, feedback or solution before running the exercise."""
    student = nbformat.read(ROOT / "student" / path.name, as_version=4)
    exercises = make_student_copies._heading_index(student.cells, "## Exercises")
    for cell in student.cells[exercises:]:
        if cell.cell_type == "code":
            assert cell.outputs == [], cell.source[:80]


@pytest.mark.parametrize("path", STUDENT_COPIES_OF_LESSONS, ids=lambda p: p.name)
def test_student_copy_reads_as_run_top_to_bottom_in_a_fresh_kernel(path):
    """Execution counts 1, 2, 3, ... as in the full notebook: cutting the solutions and clearing
    the exercises' outputs leaves no gap and no blank prompt."""
    student = nbformat.read(path, as_version=4)
    counts = [c.execution_count for c in student.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), counts


STUDENT_COPIES = sorted((ROOT / "student").glob("*.ipynb"))
# What a self-check prints: its verdicts, each followed by feedback that may name the method.
GIVEAWAYS = ("Correct:", "Not yet", "No answer yet", "No prediction yet", "Hint:")


@pytest.mark.parametrize("path", STUDENT_COPIES, ids=[p.name for p in STUDENT_COPIES])
def test_no_stored_output_in_a_student_copy_holds_a_hint_or_a_solution(path):
    student = nbformat.read(path, as_version=4)
    found = []
    for index, cell in enumerate(student.cells):
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", "")) + "".join(
                "".join(v) for k, v in output.get("data", {}).items() if k.startswith("text/")
            )
            found += [f"cell {index}: {word}" for word in GIVEAWAYS if word in text]
    assert not found, found


def test_the_check_catches_a_stored_verdict(tmp_path):
    """The giveaway scan can fail: a copy with a stored self-check output is caught."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("check(answer)", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Not yet: x.\nHint: y")]
    nb.cells = [cell]
    path = tmp_path / "leaky.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(AssertionError, match="Not yet"):
        test_no_stored_output_in_a_student_copy_holds_a_hint_or_a_solution(path)


def test_student_copy_of_a_notebook_without_solutions_is_unchanged():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A", id="a"),
        nbformat.v4.new_code_cell("1", id="b"),
    ]
    assert make_student_copies.student_copy(nb, "x.ipynb").cells == nb.cells


def test_reset_restores_a_clean_student_copy(tmp_path, monkeypatch):
    monkeypatch.setattr(make_student_copies, "TARGET", tmp_path)
    name = LESSONS[0].name
    (tmp_path / name).write_text("a learner's broken notebook")
    assert make_student_copies.main(["--reset", name[:2]]) == 0
    expected = nbformat.writes(
        make_student_copies.student_copy(nbformat.read(LESSONS[0], as_version=4), name)
    )
    assert (tmp_path / name).read_text() == expected + "\n"


@pytest.mark.parametrize("number", ["99", "x", "0"])
def test_reset_of_an_unknown_notebook_says_which_exist(number):
    with pytest.raises(SystemExit, match="choose one of 00, 01"):
        make_student_copies.reset(number)
