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
spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "tools" / "run_notebooks.py")
run_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_notebooks)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LESSONS = [p for p in NOTEBOOKS if not p.name.startswith("00_")]


def test_student_copies_are_up_to_date():
    assert make_student_copies.main(["--check"]) == 0, "run `python tools/make_student_copies.py`"


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_student_copy_keeps_the_lesson_and_drops_the_solutions(path):
    full = nbformat.read(path, as_version=4)
    student = nbformat.read(ROOT / "student" / path.name, as_version=4)
    nbformat.validate(student)
    start = make_student_copies._heading_index(full.cells, "## Solutions")
    assert start is not None, "a lesson needs a '## Solutions' section"
    assert student.cells[:start] == full.cells[:start], "everything before the solutions is kept"
    stub = student.cells[start]
    assert "student copy" in stub.source and path.name in stub.source
    solution_code = [c.source for c in full.cells[start:] if c.cell_type == "code"]
    student_code = [c.source for c in student.cells[start:] if c.cell_type == "code"]
    assert solution_code and not set(solution_code) & set(student_code)
    assert any("## Where next" in c.source for c in student.cells[start:])


def test_student_copy_of_a_notebook_without_solutions_is_unchanged():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A", id="a"),
        nbformat.v4.new_code_cell("1", id="b"),
    ]
    assert make_student_copies.student_copy(nb, "x.ipynb").cells == nb.cells


@pytest.mark.robust
@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_student_copy_runs_end_to_end(path, tmp_path):
    student = nbformat.read(ROOT / "student" / path.name, as_version=4)
    run_notebooks.execute(student, ROOT / "notebooks")
