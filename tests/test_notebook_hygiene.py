"""Stored notebooks are clean: run top to bottom, no machine noise, lesson structure in place."""

import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# No marker or tag that lets a cell raise: Run All stops at such a cell in every front end.
VALID_MARKERS = {"NBVAL_IGNORE_OUTPUT", "NBVAL_CHECK_OUTPUT"}
VALID_TAGS = {"nbval-ignore-output", "nbval-check-output"}
MACHINE_PATH = re.compile(r"(/work/|/root/|/home/\w+/|/Users/\w+/|/tmp/|site-packages|[A-Z]:\\)")
MEMORY_ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]{6,}\b|\b0x[0-9a-fA-F]{8,}\b")
PROGRESS_BAR = re.compile(r"\d+%\|| it/s\]|s/it\]")


def _code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def _text_of_outputs(cell):
    """Every stored output of a cell as text; images are left out."""
    parts = []
    for output in cell.get("outputs", []):
        data = {k: v for k, v in output.get("data", {}).items() if not k.startswith("image/")}
        parts.append(json.dumps({**output, "data": data}))
    return "\n".join(parts)


def _markers(source):
    return set(re.findall(r"#\s*(NBVAL_\w+)", source))


def test_there_are_notebooks_and_they_are_numbered():
    assert NOTEBOOKS, "no notebooks found"
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), path.name
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(numbers))), "notebooks must be numbered 00, 01, ... in order"


@pytest.fixture(params=NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def notebook(request):
    return request.param


def test_notebook_is_valid_and_uses_the_plain_python3_kernel(notebook):
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    assert set(nb.metadata) <= {"kernelspec", "language_info"}, "strip local metadata"


def test_notebook_was_run_top_to_bottom_in_a_fresh_kernel(notebook):
    cells = [c for c in _code_cells(notebook) if c.source.strip()]
    counts = [c.execution_count for c in cells]
    assert counts == list(range(1, len(cells) + 1)), "run it with `make run`"
    for cell in cells:
        for output in cell.outputs:
            if "execution_count" in output:
                assert output["execution_count"] == cell.execution_count


def test_notebook_uses_only_valid_nbval_markers(notebook):
    for cell in _code_cells(notebook):
        assert _markers(cell.source) <= VALID_MARKERS, _markers(cell.source)
        tags = {t for t in cell.metadata.get("tags", []) if t.startswith("nbval")}
        assert tags <= VALID_TAGS, tags
        assert "raises-exception" not in cell.metadata.get("tags", [])


def test_notebook_outputs_hold_no_paths_addresses_errors_or_warnings(notebook):
    for cell in _code_cells(notebook):
        text = _text_of_outputs(cell)
        where = f"cell starting {cell.source[:60]!r}"
        assert not MACHINE_PATH.search(text), f"machine path in {where}"
        assert not MEMORY_ADDRESS.search(text), f"memory address in {where}"
        assert "Warning" not in text, f"a warning is shown to the reader in {where}"
        assert not PROGRESS_BAR.search(text), f"progress-bar debris in {where}"
        if "NBVAL_RAISES_EXCEPTION" not in _markers(cell.source):
            assert not any(o.output_type == "error" for o in cell.outputs), f"error in {where}"
            assert "Traceback" not in text, f"traceback in {where}"


def test_notebook_has_the_lesson_structure(notebook):
    cells = nbformat.read(notebook, as_version=4).cells
    first = cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    if notebook.name.startswith("00_"):
        return  # the start page is a map, not a lesson
    assert "Learning objectives" in first.source
    assert re.search(r"\d+\s*min", first.source), "give a time estimate in minutes"
    headings = [c.source for c in cells if c.cell_type == "markdown"]
    for section in ("## Summary", "## Exercises", "## Solutions", "## Where next"):
        assert any(section in h for h in headings), f"missing {section}"
    setup_cells = [c for c in cells if c.cell_type == "code" and "setup(" in c.source]
    assert setup_cells, "call helpers.setup() in the setup cell"


def test_notebooks_do_not_edit_sys_path_install_or_download(notebook):
    for cell in _code_cells(notebook):
        assert "sys.path" not in cell.source
        assert not re.search(r"^\s*[!%]\s*(pip|conda)\b", cell.source, re.M)
        assert not re.search(r"https?://", cell.source), "no downloads at run time"
