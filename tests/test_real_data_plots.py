"""Notebook 08's figures (helpers/real_data_plots.py): they draw what they say, with legends clear
of the data, and reject inputs they cannot draw."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers import exact_posterior  # noqa: E402
from helpers.model_checks import plot_minimum_check  # noqa: E402
from helpers.newcomb import ACCEPTED_VALUE, UNIT, load_newcomb  # noqa: E402
from helpers.real_data_plots import (  # noqa: E402
    plot_location_posteriors,
    plot_loo_check,
    plot_newcomb,
    plot_prior_predictive,
)
from tests._figures import figure_check  # noqa: E402

PRIORS = {"mu_prior": (0.0, 100.0), "sigma_prior": (2.0, 0.1)}  # the notebook's


@pytest.fixture(scope="module")
def data():
    return load_newcomb()


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(0)
    mu, sigma = rng.normal(0, 100, size=1000), rng.gamma(2.0, 10.0, size=1000)
    return rng.normal(mu[:, None], sigma[:, None], size=(1000, 66))


@pytest.fixture(scope="module")
def exact(data):
    return exact_posterior(data, **PRIORS)


def _legends_clear_of_the_data(fig):
    fig.draw_without_rendering()
    return figure_check.legend_overlaps(fig) == []


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_newcomb_figure_circles_the_two_low_values_and_marks_the_accepted_value(data):
    fig = plot_newcomb(data, low_below=0.0, bin_width=2.0)
    in_order, histogram = fig.axes
    lines = {line.get_label(): line for line in in_order.get_lines()}
    assert lines["low values"].get_ydata().tolist() == [-44.0, -2.0]
    assert lines["measurement"].get_ydata().tolist() == data.tolist()
    assert lines[f"accepted value ({ACCEPTED_VALUE:g})"].get_ydata()[0] == ACCEPTED_VALUE
    assert sum(p.get_height() for p in histogram.patches) == len(data)  # every value binned
    marks = {line.get_label(): line.get_xdata()[0] for line in histogram.get_lines()}
    assert marks["sample mean"] == pytest.approx(data.mean().item())
    assert "ns above 24,800" in histogram.get_xlabel() and histogram.get_ylabel() == "count"
    assert _legends_clear_of_the_data(fig)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"data": "66 numbers"}, TypeError),
        ({"data": [[1.0, 2.0], [3.0, 4.0]]}, ValueError),
        ({"accepted": float("nan")}, ValueError),
        ({"low_below": "zero"}, TypeError),
        ({"bin_width": 0.0}, ValueError),
    ],
)
def test_newcomb_figure_validates_its_inputs(data, kwargs, error):
    with pytest.raises(error, match=next(iter(kwargs))):
        plot_newcomb(**{"data": data, "low_below": 0.0, "bin_width": 2.0, **kwargs})


def test_prior_predictive_figure_bins_every_data_set_and_marks_the_data(simulated, data):
    fig = plot_prior_predictive(torch.as_tensor(simulated), data)
    means, sds = fig.axes
    for ax in (means, sds):
        assert sum(p.get_height() for p in ax.patches) == len(simulated)
    assert means.get_lines()[0].get_xdata()[0] == pytest.approx(data.mean().item())
    assert sds.get_lines()[0].get_xdata()[0] == pytest.approx(data.std().item())  # n - 1
    assert sds.get_xscale() == "log"
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "1,000 data sets from the prior",
        "Newcomb's data",
    ]
    assert _legends_clear_of_the_data(fig)


@pytest.mark.parametrize(
    "simulated_shape, fill, data_label, error, match",
    [
        ((1000, 65), 0.0, "d", ValueError, "simulated"),
        ((1, 66), 0.0, "d", ValueError, "simulated"),
        ((1000,), 0.0, "d", ValueError, "simulated"),
        ((10, 66), np.nan, "d", ValueError, "simulated"),
        ((10, 66), 0.0, "", TypeError, "data_label"),
    ],
)
def test_prior_predictive_figure_validates_its_inputs(
    data, simulated_shape, fill, data_label, error, match
):
    simulated = np.random.default_rng(1).normal(size=simulated_shape)
    if np.isnan(fill):
        simulated.flat[0] = fill
    with pytest.raises(error, match=match):
        plot_prior_predictive(simulated, data, data_label=data_label)


def test_location_figure_draws_both_models_their_intervals_and_the_accepted_value(exact):
    draws = np.random.default_rng(2).normal(27.5, 0.64, size=800)
    fig = plot_location_posteriors(exact, (27.5, 0.63), draws, xlim=(20.0, 35.0))
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    svi = lines["Student-t model (SVI)"]
    assert svi.get_xdata()[np.argmax(svi.get_ydata())] == pytest.approx(27.5, abs=0.05)
    assert np.array_equal(lines["normal model (exact)"].get_ydata(), exact.mu_density)
    assert lines[f"accepted value ({ACCEPTED_VALUE:g})"].get_xdata()[0] == ACCEPTED_VALUE
    bars = {c.get_label(): c.get_segments()[0] for c in ax.collections}
    normal_bar, t_bar = bars["normal: 95% interval"], bars["Student-t: 95% interval (NUTS)"]
    assert normal_bar[:, 0] == pytest.approx(exact.interval("mu", 0.95))
    assert t_bar[:, 0] == pytest.approx(np.quantile(draws, [0.025, 0.975]))
    assert max(normal_bar[:, 1].max(), t_bar[:, 1].max()) < 0  # below the densities
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == 6
    assert _legends_clear_of_the_data(fig)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"normal": {"mu_mean": 1.0}}, TypeError, "normal"),
        ({"t_svi": (27.5,)}, ValueError, "t_svi"),
        ({"t_svi": (27.5, 0.0)}, ValueError, "t_svi"),
        ({"t_nuts": []}, ValueError, "t_nuts"),
        ({"xlim": (35.0, 20.0)}, ValueError, "xlim"),
    ],
)
def test_location_figure_validates_its_inputs(exact, kwargs, error, match):
    args = {"normal": exact, "t_svi": (27.5, 0.63), "t_nuts": np.full(10, 27.5)}
    args = {**args, "xlim": (20.0, 35.0), **kwargs}
    with pytest.raises(error, match=match):
        plot_location_posteriors(**args)


def test_minimum_check_legends_lie_below_the_panels_clear_of_the_observed_minimum(data):
    rng = np.random.default_rng(4)
    normal = rng.normal(26.2, 10.9, size=(400, len(data)))
    heavy = 27.4 + 4.3 * rng.standard_t(2.8, size=(400, len(data)))
    fig = plot_minimum_check(
        data, {"normal": normal, "Student-t": heavy}, floor=-120.0, unit=UNIT, bin_width=2.0
    )
    assert _legends_clear_of_the_data(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        assert ax.get_legend().get_window_extent(renderer).y1 < ax.get_window_extent().y0


def _loo_inputs(data):
    rng = np.random.default_rng(6)
    k_hat = {
        "normal": rng.uniform(-0.2, 0.3, len(data)),
        "Student-t": rng.uniform(-0.2, 0.3, len(data)),
    }
    error = {name: rng.normal(0, 0.01, len(data)) for name in k_hat}
    lowest = int(np.argmin(data.numpy()))
    k_hat["normal"][lowest], error["normal"][lowest] = 2.0, 3.5
    return k_hat, error, lowest


def test_loo_figure_draws_each_model_and_labels_the_lowest_measurement(data):
    k_hat, error, lowest = _loo_inputs(data)
    fig = plot_loo_check(data, k_hat, error, threshold=0.67)
    left, right = fig.axes
    for ax, values in ((left, k_hat), (right, error)):
        points = {line.get_label(): line for line in ax.get_lines() if line.get_marker() == "o"}
        assert set(points) == {"normal", "Student-t"}
        for name, line in points.items():
            assert np.array_equal(line.get_xdata(), data.numpy().astype(float))
            assert np.array_equal(line.get_ydata(), values[name])
        labels = [text.get_text() for text in ax.texts]
        assert labels.count(f"{data.min():g}") == 2  # one per model
    threshold = [line for line in left.get_lines() if line.get_label().startswith("threshold")]
    assert threshold and threshold[0].get_ydata()[0] == 0.67
    assert "k-hat" in left.get_ylabel() and "nats" in right.get_ylabel()
    assert _legends_clear_of_the_data(fig)


@pytest.mark.parametrize(
    "change, error, match",
    [
        ({"k_hat": {}}, TypeError, "k_hat"),
        ({"psis_error": {"normal": np.zeros(66)}}, ValueError, "same model names"),
        ({"k_hat": {"normal": np.zeros(5), "Student-t": np.zeros(66)}}, ValueError, "one value"),
        ({"threshold": float("nan")}, ValueError, "threshold"),
    ],
)
def test_loo_figure_validates_its_inputs(data, change, error, match):
    k_hat, psis_error, _ = _loo_inputs(data)
    args = {"k_hat": k_hat, "psis_error": psis_error, "threshold": 0.67, **change}
    with pytest.raises(error, match=match):
        plot_loo_check(data, **args)
