"""Generate the student copies of the notebooks: the same lessons without the solutions.

Usage: python tools/make_student_copies.py [--check | --reset NN]

The notebooks in notebooks/ are the source: complete lessons whose exercises are followed by a
"## Solutions" section. A student copy, written to student/ under the same name:

- opens with a note that it is the student copy and how to get a clean one back;
- keeps every cell up to the Exercises section as it is, with its outputs;
- keeps the exercises (each an `answer = None` stub and a self-check) but clears the outputs of
  every cell from the Exercises heading on (keeping their execution counts), so that no stored
  self-check output shows a verdict or feedback before the learner has tried;
- replaces the whole Solutions section by one cell that says where the solutions are.

`--check` writes nothing and exits 1 if any student copy is missing or out of date. `--reset NN`
rewrites the student copy of notebook NN (e.g. `--reset 02`) afresh, throwing away a learner's
edits to it (`make reset NB=02`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks"
TARGET = ROOT / "student"
SOLUTIONS_HEADING = "## Solutions"
EXERCISES_HEADING = "## Exercises"


def _heading_index(cells: list, heading: str) -> int | None:
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown" and any(
            line.strip() == heading for line in cell.source.splitlines()
        ):
            return index
    return None


def _banner(name: str) -> nbformat.NotebookNode:
    number = name[:2]
    return nbformat.v4.new_markdown_cell(
        id="student-copy-banner",
        source=f"> **Student copy.** The exercises at the end have self-checks but no solutions; "
        f"the full lesson is `notebooks/{name}`. To start this copy afresh (your changes are "
        f"lost), run `make reset NB={number}` in the course folder, or without make "
        f"`python tools/make_student_copies.py --reset {number}`.",
    )


def _clear(cell: nbformat.NotebookNode) -> None:
    """Drop a code cell's outputs; its execution count stays, so the copy still reads as run top
    to bottom (1, 2, 3, ...) in a fresh kernel, which it was."""
    if cell.cell_type == "code":
        cell.outputs = []


def student_copy(notebook: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Return the student version of a notebook: exercise outputs cleared, solutions removed."""
    copy = nbformat.reads(nbformat.writes(notebook), as_version=4)
    cells = copy.cells
    start = _heading_index(cells, SOLUTIONS_HEADING)
    if start is None:
        return copy
    exercises = _heading_index(cells, EXERCISES_HEADING)
    for cell in cells[exercises if exercises is not None else start :]:
        _clear(cell)
    end, rest = len(cells), []
    for index in range(start + 1, len(cells)):
        lines = cells[index].source.splitlines()
        heading = next((i for i, line in enumerate(lines) if line.startswith("## ")), None)
        if cells[index].cell_type == "markdown" and heading is not None:
            # The next section may share a cell with the end of the solutions: keep only it.
            end = index + 1
            rest = [cells[index]]
            rest[0].source = "\n".join(lines[heading:])
            break
    stub = nbformat.v4.new_markdown_cell(
        id="student-copy-solutions",
        source=f"{SOLUTIONS_HEADING}\n\nThis is the student copy: the solutions are in the full "
        f"notebook, `notebooks/{name}`. Try each exercise first; its self-check tells you when "
        "you have it.",
    )
    copy.cells = cells[:1] + [_banner(name)] + cells[1:start] + [stub] + rest + cells[end:]
    return copy


def expected_copies() -> dict[Path, str]:
    """The text every student copy should have, keyed by its path."""
    copies = {}
    for path in sorted(SOURCE.glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        text = nbformat.writes(student_copy(notebook, path.name)) + "\n"
        copies[TARGET / path.name] = text
    return copies


def reset(number: str) -> Path:
    """Rewrite the student copy of notebook `number` ("02") from its source; return its path."""
    matches = sorted(SOURCE.glob(f"{number}_*.ipynb")) if number.isdigit() else []
    if len(matches) != 1:
        known = ", ".join(p.name[:2] for p in sorted(SOURCE.glob("[0-9][0-9]_*.ipynb")))
        raise SystemExit(f"no notebook numbered {number!r}: choose one of {known}")
    path = TARGET / matches[0].name
    path.parent.mkdir(exist_ok=True)
    path.write_text(expected_copies()[path])
    return path


def main(argv: list[str]) -> int:
    """Write the student copies, or with --check report those that are out of date, or with
    --reset NN rewrite one of them."""
    if "--reset" in argv:
        index = argv.index("--reset")
        if index + 1 >= len(argv):
            raise SystemExit("--reset needs a notebook number, e.g. --reset 02")
        path = reset(argv[index + 1])
        print(f"student/{path.name} is a clean student copy again")
        return 0
    check = "--check" in argv
    stale = []
    expected = expected_copies()
    for path, text in expected.items():
        if not path.exists() or path.read_text() != text:
            stale.append(path)
            if not check:
                path.parent.mkdir(exist_ok=True)
                path.write_text(text)
    extra = [p for p in TARGET.glob("*.ipynb") if p not in expected]
    for path in extra:
        stale.append(path)
        if not check:
            path.unlink()
    names = ", ".join(p.name for p in stale) or "none"
    if check:
        print(f"out-of-date student copies: {names}")
        return 1 if stale else 0
    print(f"wrote {len(expected)} student copies to {TARGET.name}/ (changed: {names})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
