"""Notebook 09's machinery (helpers/scaling.py): the script runner returns rank 0's report and
names a failure, and the two figures draw what they are given with legends clear of the data."""

import socket
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import exact_posterior, make_data  # noqa: E402
from helpers.scaling import (  # noqa: E402
    DISTRIBUTED_SVI_SCRIPT,
    free_port,
    plot_minibatch_fit,
    plot_step_cost,
    run_script,
)
from tests._figures import figure_check  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _clear_of_data(fig):
    fig.draw_without_rendering()
    return figure_check.legend_overlaps(fig)


def test_the_script_path_points_at_the_course_script():
    assert DISTRIBUTED_SVI_SCRIPT == ROOT / "scripts" / "distributed_svi.py"
    assert DISTRIBUTED_SVI_SCRIPT.is_file()


def test_free_port_can_be_bound_on_the_loopback_interface():
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_run_script_returns_the_last_json_line_with_the_loopback_environment():
    code = (
        "import json, os; print('launcher noise'); "
        "print(json.dumps({'addr': os.environ['MASTER_ADDR'], "
        "'threads': os.environ['OMP_NUM_THREADS']}))"
    )
    report = run_script([sys.executable, "-c", code])
    assert report == {"addr": "127.0.0.1", "threads": "1"}


def test_run_script_names_a_failure_and_a_report_that_is_not_json():
    with pytest.raises(RuntimeError, match=r"exit code 3:\n.*boom"):
        run_script([sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(3)"])
    with pytest.raises(RuntimeError, match="last line is not JSON"):
        run_script([sys.executable, "-c", "print('done')"])
    with pytest.raises(RuntimeError, match="printed nothing"):
        run_script([sys.executable, "-c", "pass"])
    with pytest.raises(RuntimeError, match="not an object"):
        run_script([sys.executable, "-c", "print('[1, 2]')"])


@pytest.mark.parametrize("command", ["python script.py", [], [sys.executable, 3]])
def test_run_script_rejects_a_command_that_is_not_a_list_of_strings(command):
    with pytest.raises(TypeError, match="command"):
        run_script(command)


@pytest.fixture(scope="module")
def exact():
    return exact_posterior(make_data(n=10_000))


def test_minibatch_figure_draws_the_path_the_fit_and_one_legend_below(exact):
    path = exact.mu_mean + exact.mu_sd * np.sin(np.arange(200) / 5) * np.linspace(20, 0.5, 200)
    fig = plot_minibatch_fit(path, exact, (exact.mu_mean, exact.mu_sd), 100, 10_000)
    left, right = fig.axes
    np.testing.assert_allclose(left.get_lines()[0].get_ydata(), path)
    assert left.get_ylim() == pytest.approx(
        (exact.mu_mean - 15 * exact.mu_sd, exact.mu_mean + 15 * exact.mu_sd)
    )
    assert right.get_title() == "Posterior of mu, n = 10,000"
    # The fit given is the exact mean and sd, so its density peaks where the exact one does.
    fitted = right.get_lines()[1]
    peak = fitted.get_xdata()[np.argmax(fitted.get_ydata())]
    assert peak == pytest.approx(exact.mu_mean, abs=0.05 * exact.mu_sd)
    assert len(fig.legends) == 1 and not left.get_legend() and not right.get_legend()
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == [
        "mu_loc at each step",
        "exact mean ± 1 posterior sd",
        "averaging starts",
        "exact posterior of mu",
        "minibatch fit",
    ]
    assert _clear_of_data(fig) == []


def test_minibatch_figure_validates_its_inputs(exact):
    path = np.full(50, exact.mu_mean)
    fit = (exact.mu_mean, exact.mu_sd)
    with pytest.raises(ValueError, match="average_from must be a step"):
        plot_minibatch_fit(path, exact, fit, 50, 10_000)
    with pytest.raises(ValueError, match="mu_fit scale must be positive"):
        plot_minibatch_fit(path, exact, (exact.mu_mean, 0.0), 25, 10_000)
    with pytest.raises(TypeError, match="ExactPosterior"):
        plot_minibatch_fit(path, {"mu_mean": 2.0}, fit, 25, 10_000)
    with pytest.raises(ValueError, match="mu_path contains NaN"):
        plot_minibatch_fit(np.append(path, np.nan), exact, fit, 25, 10_000)


def test_step_cost_figure_draws_milliseconds_on_log_axes_with_the_legend_off_the_data():
    sizes = [10**3, 10**4, 10**5, 10**6]
    full, minibatch = [0.0016, 0.0019, 0.004, 0.04], [0.0014, 0.0018, 0.002, 0.0015]
    fig = plot_step_cost(sizes, full, minibatch, 1000, "cpu")
    (ax,) = fig.axes
    assert ax.get_xscale() == ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), np.array(full) * 1e3)
    assert ax.get_legend_handles_labels()[1] == ["full batch", "minibatch, b = 1,000"]
    assert ax.get_title() == "Cost of one SVI step (cpu)" and "ms" in ax.get_ylabel()
    assert _clear_of_data(fig) == []


def test_step_cost_figure_rejects_series_of_different_lengths_and_non_positive_times():
    with pytest.raises(ValueError, match="same length"):
        plot_step_cost([1, 10], [0.1, 0.2], [0.1], 1, "cpu")
    with pytest.raises(ValueError, match="full_seconds must be positive"):
        plot_step_cost([1, 10], [0.1, 0.0], [0.1, 0.1], 1, "cpu")
