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


@pytest.mark.parametrize(
    "cell",
    [
        "# NBVAL_RAISES_EXCEPTION\nraise ValueError('on purpose')",
        nbformat.v4.new_code_cell(
            "raise ValueError('on purpose')", metadata={"tags": ["raises-exception"]}
        ),
    ],
)
def test_no_marker_or_tag_lets_a_cell_raise(tmp_path, cell):
    """Run All in JupyterLab, VS Code or Colab stops at a raising cell whatever it is marked,
    so make run (and the tests that use its executor) stop there too."""
    nb = _notebook("1 + 1")
    nb.cells.append(cell if isinstance(cell, dict) else nbformat.v4.new_code_cell(cell))
    path = tmp_path / "raises.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(Exception, match="on purpose"):
        run_notebooks.run_notebook(path)
