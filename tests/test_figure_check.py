"""The legend check that the notebook kernels run (tests/figure_check_startup.py): it flags a
legend lying on lines, points, bars or filled areas, and passes one placed clear of the data."""

import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tests._figures import figure_check  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def ax():
    fig, ax = plt.subplots(figsize=(6, 4))
    yield ax
    plt.close(fig)


def _overlaps(ax):
    ax.figure.draw_without_rendering()
    return figure_check.legend_overlaps(ax.figure)


def test_a_legend_on_a_line_is_flagged_with_its_axes_and_label(ax):
    x = np.linspace(0, 1, 50)
    ax.plot(x, np.full_like(x, 0.9), label="flat line")
    ax.set(ylim=(0, 1), title="panel")
    ax.legend(loc="upper right")
    (problem,) = _overlaps(ax)
    assert "panel" in problem["axes"] and problem["covers"] == ["flat line"]


def test_a_line_crossing_the_legend_between_two_points_is_flagged(ax):
    ax.plot([0, 1], [1, 0], label="diagonal")  # two points, far from the upper-right corner
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.plot([0.0, 1.0], [0.95, 0.95], label="crossing")
    ax.legend(loc="upper right")
    assert "crossing" in _overlaps(ax)[0]["covers"]


def test_a_legend_clear_of_the_data_passes(ax):
    x = np.linspace(0, 1, 50)
    ax.plot(x, 0.2 * x, label="low line")
    ax.scatter([0.1, 0.9], [0.05, 0.15], label="points")
    ax.set(ylim=(0, 1))
    ax.legend(loc="upper left")
    assert _overlaps(ax) == []


def test_a_legend_outside_the_axes_passes(ax):
    ax.plot([0, 1], [0, 1], label="line")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
    assert _overlaps(ax) == []


def test_points_and_bars_under_a_legend_are_flagged(ax):
    ax.bar([0, 1, 2], [1.0, 1.0, 1.0], label="bars")
    ax.scatter([2.2], [0.95], label="point")
    ax.set(ylim=(0, 1.05))
    ax.legend(loc="upper right")
    covers = _overlaps(ax)[0]["covers"]
    assert "bars" in covers and "point" in covers


def test_a_filled_band_under_a_legend_is_flagged(ax):
    x = np.linspace(0, 1, 30)
    ax.fill_between(x, 0.8, 1.0, label="band")
    ax.set(ylim=(0, 1))
    ax.legend(loc="upper right")
    assert "band" in _overlaps(ax)[0]["covers"]


def _notebook_with_legend(path, loc):
    cells = [
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nimport numpy as np"),
        nbformat.v4.new_code_cell(
            "fig, ax = plt.subplots()\n"
            "x = np.linspace(0, 1, 50)\n"
            "ax.plot(x, np.full_like(x, 0.97), label='flat line')\n"
            "ax.set(ylim=(0, 1), title='panel')\n"
            f"ax.legend(loc={loc!r})\n"
            "plt.show()"
        ),
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


@pytest.mark.parametrize("loc, fails", [("upper right", True), ("lower left", False)])
def test_nbval_fails_the_cell_whose_legend_covers_data_and_names_it(tmp_path, loc, fails):
    """End to end, as `make test` runs the notebooks: the kernel's startup file reports the
    figure, and conftest.py fails that cell with the notebook, the cell and the axes named."""
    notebook = tmp_path / "legend.ipynb"
    _notebook_with_legend(notebook, loc)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "conftest", "--nbval-lax",
         "--nbval-current-env", f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml"),
         str(notebook)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    out = result.stdout + result.stderr
    if fails:
        assert result.returncode != 0, out
        assert "legend.ipynb::Cell 1" in out and "a legend lies on the plotted data" in out, out
        assert "'panel'" in out and "flat line" in out, out
    else:
        assert result.returncode == 0, out
