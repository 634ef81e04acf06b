"""`make run`'s script executes a notebook in place with clean metadata."""

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "tools" / "run_notebooks.py")
run_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_notebooks)


def _notebook(*sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["local_noise"] = {"user": "me"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A test")]
    nb.cells += [nbformat.v4.new_code_cell(s, execution_count=9) for s in sources]
    return nb


def test_run_notebook_executes_in_place_and_strips_metadata(tmp_path):
    path = tmp_path / "nb.ipynb"
    nbformat.write(_notebook("x = 6 * 7", "print(x)"), path)
    run_notebooks.run_notebook(path)
    nb = nbformat.read(path, as_version=4)
    assert [c.execution_count for c in nb.cells[1:]] == [1, 2]
    assert nb.cells[2].outputs[0]["text"] == "42\n"
    assert set(nb.metadata) == {"kernelspec", "language_info"}
    assert nb.metadata.kernelspec.name == "python3"
    assert all("execution" not in c.metadata for c in nb.cells)


def test_run_notebook_fails_loudly_on_an_error(tmp_path):
    path = tmp_path / "bad.ipynb"
    nbformat.write(_notebook("raise RuntimeError('boom')"), path)
    with pytest.raises(Exception, match="boom"):
        run_notebooks.run_notebook(path)


def test_a_cell_marked_to_raise_may_raise_and_keeps_no_tag(tmp_path):
    path = tmp_path / "raises.ipynb"
    nbformat.write(
        _notebook("# NBVAL_RAISES_EXCEPTION\nraise ValueError('on purpose')", "1 + 1"), path
    )
    run_notebooks.run_notebook(path)
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[1].outputs[-1]["output_type"] == "error"
    assert "tags" not in nb.cells[1].metadata
    assert nb.cells[2].outputs[0]["data"]["text/plain"] == "2"
