"""A learner can finish each lesson in the time it promises, read every cell, and know each figure.

- The stated reading time of each notebook agrees with the course's rule (tools/reading_time.py,
  stated in CONTRIBUTING.md) within 25%, and no lesson is longer than 45 minutes by the rule; the
  map in 00_start_here and README.md repeat the notebooks' own times.
- No code cell is longer than 25 non-blank lines, except the few allowed below, each with the
  reason.
- Every cell that shows a figure carries a one-sentence description in its metadata
  (``mystnb.image.alt``, the key myst-nb and the course site use as the image's alt text).
"""

import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
spec = importlib.util.spec_from_file_location("reading_time", ROOT / "tools" / "reading_time.py")
reading_time = importlib.util.module_from_spec(spec)
sys.modules["reading_time"] = reading_time  # its dataclass looks itself up there
spec.loader.exec_module(reading_time)

MAX_CODE_LINES = 25
# Code cells allowed to be longer, keyed by notebook and the cell's first line, with the reason.
LONG_CELLS_ALLOWED: dict[tuple[str, str], str] = {}


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    return request.param


def test_the_rule_counts_prose_code_and_figures(tmp_path):
    """The rule itself, on a notebook whose counts are known (so that it can fail)."""
    png = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
    cells = [
        nbformat.v4.new_markdown_cell("# T\n\n**Time:** about 3 min reading and running.\n"),
        nbformat.v4.new_markdown_cell(" ".join(["word"] * 190)),
        nbformat.v4.new_code_cell(
            "x = 1\n\n# a comment is read too\ny = 2\n",
            outputs=[nbformat.v4.new_output("display_data", data=png)],
        ),
        nbformat.v4.new_markdown_cell("Last words.\n\n## Exercises\n\nNot " + "counted " * 500),
        nbformat.v4.new_code_cell("\n".join(["z = 3"] * 100)),
    ]
    path = tmp_path / "t.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    lesson = reading_time.count_lesson(path)
    assert (lesson.words, lesson.code_lines, lesson.figures) == (200, 3, 1)
    assert lesson.stated_minutes == 3
    assert lesson.minutes == pytest.approx(200 / 200 + 3 / 10 + 0.5 + 1.0)


def test_stated_reading_time_follows_the_rule(notebook):
    lesson = reading_time.count_lesson(notebook)
    assert lesson.stated_minutes is not None, (
        f"{notebook.name}: state the time as '**Time:** about N min reading and running'"
    )
    rule = lesson.minutes
    assert abs(lesson.stated_minutes - rule) <= reading_time.TOLERANCE * rule, (
        f"{notebook.name} states {lesson.stated_minutes} min; the rule gives {rule:.0f} min "
        f"({lesson.words} words, {lesson.code_lines} code lines, {lesson.figures} figures): "
        "run `python tools/reading_time.py`"
    )


def test_no_lesson_is_longer_than_45_minutes(notebook):
    lesson = reading_time.count_lesson(notebook)
    assert lesson.minutes <= reading_time.LONGEST_LESSON_MINUTES, (
        f"{notebook.name} takes {lesson.minutes:.0f} min by the rule: split it, or move "
        "machinery the lesson does not teach into helpers"
    )


def _map_rows(text):
    """(notebook name, reading minutes) for each row of a map table in `text`."""
    rows = {}
    for line in text.splitlines():
        match = re.match(r"\|\s*\[?`(\d\d_[a-z0-9_]+)`\]?(?:\([^)]*\))?\s*\|.*?\|\s*(\d+)\s", line)
        if match:
            rows[match.group(1)] = int(match.group(2))
    return rows


@pytest.mark.parametrize("where", ["notebooks/00_start_here.ipynb", "README.md"])
def test_the_maps_list_every_notebook_with_its_stated_time(where):
    path = ROOT / where
    if path.suffix == ".ipynb":
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    else:
        text = path.read_text(encoding="utf-8")
    rows = _map_rows(text)
    stated = {p.stem: reading_time.count_lesson(p).stated_minutes for p in NOTEBOOKS}
    assert rows == stated, f"the map in {where} differs from the notebooks' stated times"


@pytest.mark.parametrize("notebook", NOTEBOOKS + sorted((ROOT / "student").glob("*.ipynb")),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")  # fmt: skip
def test_code_cells_are_short(notebook):
    too_long = []
    for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
        if cell.cell_type != "code":
            continue
        lines = [line for line in cell.source.splitlines() if line.strip()]
        first = lines[0] if lines else ""
        if len(lines) > MAX_CODE_LINES and (notebook.stem, first) not in LONG_CELLS_ALLOWED:
            too_long.append(f"cell {index} ({len(lines)} lines, starting {first!r})")
    assert not too_long, (
        f"{notebook.name}: code cells over {MAX_CODE_LINES} lines: {'; '.join(too_long)}. "
        "Split them, or move machinery the lesson does not teach into helpers."
    )


def test_the_allow_list_names_cells_that_exist_and_gives_reasons():
    for (stem, first), reason in LONG_CELLS_ALLOWED.items():
        assert len(reason) > 20, f"give the reason for allowing {stem}: {first!r}"
        cells = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4).cells
        assert any(c.cell_type == "code" and c.source.lstrip().startswith(first) for c in cells)


def test_every_figure_has_a_one_sentence_description(notebook):
    missing = []
    for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
        if cell.cell_type != "code" or not reading_time.figures_shown(cell):
            continue
        alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt")
        if not (
            isinstance(alt, str)
            and 30 <= len(alt) <= 400
            and "\n" not in alt
            and alt.rstrip().endswith(".")
            and alt.count(". ") == 0
        ):
            missing.append(f"cell {index}: {alt!r}")
    assert not missing, (
        f"{notebook.name}: each figure needs one sentence in the cell's metadata "
        f"mystnb.image.alt (30-400 characters, ending with a full stop): {'; '.join(missing)}"
    )


def test_the_map_states_the_courses_total_time():
    """00's "The whole course takes about H hours of reading and running plus E hours of
    exercises" is the sum of the notebooks' stated times, to the nearest half hour."""
    reading = exercises = 0
    for path in NOTEBOOKS:
        intro = nbformat.read(path, as_version=4).cells[0].source
        reading += reading_time.count_lesson(path).stated_minutes or 0
        match = re.search(r"reading and running, (\d+) min exercises", intro)
        exercises += int(match.group(1)) if match else 0
    start_here = "\n".join(
        c.source
        for c in nbformat.read(NOTEBOOKS[0], as_version=4).cells
        if c.cell_type == "markdown"
    )
    match = re.search(
        r"takes about ([\d.]+) hours of reading and running\s+plus ([\d.]+) hours of\s+exercises",
        start_here,
    )
    assert match, "00_start_here should state the course's total time"
    assert float(match.group(1)) == round(reading / 30) / 2, f"{reading} min of reading"
    assert float(match.group(2)) == round(exercises / 30) / 2, f"{exercises} min of exercises"


def test_the_instructor_guides_schedules_give_each_notebook_its_stated_time():
    """Each notebook has a block in the workshop schedules (docs/instructor_guide.md), and the
    longest block given to it is at least its stated reading time."""
    guide = (ROOT / "docs" / "instructor_guide.md").read_text(encoding="utf-8")
    blocks: dict[str, int] = {}
    for start_h, start_m, end_h, end_m, number in re.findall(
        r"^\| (\d+):(\d\d)-(\d+):(\d\d) \| (\d\d) ", guide, re.MULTILINE
    ):
        minutes = (int(end_h) * 60 + int(end_m)) - (int(start_h) * 60 + int(start_m))
        blocks[number] = max(blocks.get(number, 0), minutes)
    for path in NOTEBOOKS:
        number = path.name[:2]
        assert number in blocks, f"no schedule block for {path.stem} in the instructor guide"
        stated = reading_time.count_lesson(path).stated_minutes
        assert blocks[number] >= stated, (
            f"{path.stem} states {stated} min of reading; its longest block is {blocks[number]}"
        )
