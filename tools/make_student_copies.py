"""Generate the student copies of the notebooks: the same lessons without the solutions.

Usage: python tools/make_student_copies.py [--check]

The notebooks in notebooks/ are the source: complete lessons whose exercises are followed by a
"## Solutions" section. A student copy, written to student/ under the same name, keeps every
cell up to that section as it is (exercise cells there already hold an `answer = None` stub and
a self-check), and replaces the whole Solutions section by one cell that says where the
solutions are, so that a workshop can hand out notebooks without the answers. `--check` writes
nothing and exits 1 if any student copy is missing or out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks"
TARGET = ROOT / "student"
SOLUTIONS_HEADING = "## Solutions"


def _heading_index(cells: list, heading: str) -> int | None:
    for index, cell in enumerate(cells):
        if cell.cell_type == "markdown" and any(
            line.strip() == heading for line in cell.source.splitlines()
        ):
            return index
    return None


def student_copy(notebook: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Return the student version of a notebook: its Solutions section replaced by a stub."""
    copy = nbformat.reads(nbformat.writes(notebook), as_version=4)
    cells = copy.cells
    start = _heading_index(cells, SOLUTIONS_HEADING)
    if start is None:
        return copy
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
    copy.cells = cells[:start] + [stub] + rest + cells[end:]
    return copy


def expected_copies() -> dict[Path, str]:
    """The text every student copy should have, keyed by its path."""
    copies = {}
    for path in sorted(SOURCE.glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        text = nbformat.writes(student_copy(notebook, path.name)) + "\n"
        copies[TARGET / path.name] = text
    return copies


def main(argv: list[str]) -> int:
    """Write the student copies, or with --check report those that are out of date."""
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
