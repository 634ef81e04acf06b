"""Notebook 06's figures (helpers/kl_plots.py): each draws what it is given, labels it, keeps its
legends clear of the data, and rejects inputs that do not fit together."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.divergences import (  # noqa: E402
    fit_gaussian_on_grid,
    gaussian_mixture_logpdf,
    profile_divergence,
)
from helpers.kl_plots import (  # noqa: E402
    plot_mean_field,
    plot_profiles,
    plot_renyi_fits,
    plot_two_mode_fits,
)
from tests._figures import figure_check  # noqa: E402

GRID = np.linspace(-20, 20, 4001)
LOG_TARGET = gaussian_mixture_logpdf(GRID, [0.5, 0.5], [-2.0, 2.0], [0.6, 0.6])
KL_PQ = fit_gaussian_on_grid(LOG_TARGET, GRID, "kl_pq", init=(1.0, 1.0))


def _clear_of_data(fig):
    fig.draw_without_rendering()
    return figure_check.legend_overlaps(fig)


def _labels(ax):
    return ax.get_legend_handles_labels()[1]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _two_mode_inputs():
    fits = {
        -3.0: {"z_loc": -2.0, "z_scale": 0.61},
        3.0: {"z_loc": 2.0, "z_scale": 0.6},
        0.0: {"z_loc": 0.0, "z_scale": 1.8},
    }
    paths = {s: np.linspace(s, f["z_loc"], 400) for s, f in fits.items()}
    return fits, paths


def test_two_mode_figure_draws_each_start_and_the_kl_pq_fit_with_legends_off_the_data():
    fits, paths = _two_mode_inputs()
    fig = plot_two_mode_fits(GRID, LOG_TARGET, fits, paths, KL_PQ)
    left, right = fig.axes
    assert _labels(left) == [
        "target p",
        "KL(q || p), SVI from -3",
        "KL(q || p), SVI from +3",
        "KL(q || p), SVI from +0",
        "KL(p || q), quadrature",
    ]
    assert "start +0" in _labels(right) and "the modes, -2 and +2" in _labels(right)
    # The density drawn for the start at +3 peaks at its loc, 2.
    curve = left.get_lines()[1]
    assert curve.get_xdata()[np.argmax(curve.get_ydata())] == pytest.approx(2.0, abs=0.01)
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), paths[-3.0])
    assert all(ax.get_title() and ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    assert _clear_of_data(fig) == []


def test_two_mode_figure_rejects_paths_for_other_starts_and_a_bad_fit():
    fits, paths = _two_mode_inputs()
    with pytest.raises(ValueError, match="same starts"):
        plot_two_mode_fits(GRID, LOG_TARGET, fits, {3.0: paths[3.0]}, KL_PQ)
    with pytest.raises(TypeError, match="'z_loc' and 'z_scale'"):
        plot_two_mode_fits(GRID, LOG_TARGET, {3.0: (2.0, 0.6)}, {3.0: paths[3.0]}, KL_PQ)
    with pytest.raises(ValueError, match="positive scale"):
        plot_two_mode_fits(
            GRID, LOG_TARGET, {3.0: {"z_loc": 2.0, "z_scale": -1.0}}, {3.0: paths[3.0]}, KL_PQ
        )
    with pytest.raises(ValueError, match="log_target has shape"):
        plot_two_mode_fits(GRID, LOG_TARGET[:-1], fits, paths, KL_PQ)


def test_profile_figure_draws_both_profiles_and_the_stall_with_the_legend_off_the_data():
    means = np.linspace(-3, 3, 61)
    profiles = {d: profile_divergence(LOG_TARGET, GRID, d, means) for d in ("kl_qp", "kl_pq")}
    fig = plot_profiles(means, profiles, stalled=(0.0, profiles["kl_qp"][30]))
    (ax,) = fig.axes
    labels = _labels(ax)
    assert labels[:2] == ["KL(q || p), best sd for each mean", "KL(p || q), best sd for each mean"]
    assert labels[2] == "where the symmetric start stalls"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), profiles["kl_qp"])
    assert "nats" in ax.get_ylabel()
    assert _clear_of_data(fig) == []


def test_profile_figure_rejects_unknown_divergences_and_mismatched_lengths():
    means = np.linspace(-3, 3, 5)
    with pytest.raises(ValueError, match="'kl_qp' or 'kl_pq'"):
        plot_profiles(means, {"q||p": np.zeros(5)})
    with pytest.raises(ValueError, match="has shape"):
        plot_profiles(means, {"kl_qp": np.zeros(4)})
    with pytest.raises(TypeError, match="non-empty mapping"):
        plot_profiles(means, {})


def test_mean_field_figure_draws_the_contours_and_one_legend_below_the_panels():
    cov = np.array([[1.0, 0.9], [0.9, 1.0]])
    narrow = np.sqrt(1 - 0.81)
    fig = plot_mean_field(cov, [0.0, 0.0], [narrow, narrow], [1.0, 1.0], rho=0.9)
    left, right = fig.axes
    assert len(fig.legends) == 1
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["target p (rho = 0.9)", "KL(q || p), SVI", "KL(p || q), exact"]
    # The KL(q || p) contour is a circle of radius 2 sds; the KL(p || q) one of radius 2.
    q_x, q_y = left.get_lines()[0].get_data()
    assert np.hypot(q_x, q_y) == pytest.approx(2 * narrow)
    pq_x, pq_y = left.get_lines()[1].get_data()
    assert np.hypot(pq_x, pq_y) == pytest.approx(2.0)
    assert right.get_title() == "Marginal of z1"
    assert _clear_of_data(fig) == []


def test_mean_field_figure_rejects_a_covariance_that_is_not_one():
    with pytest.raises(ValueError, match="symmetric 2 x 2"):
        plot_mean_field(np.eye(3), [0, 0], [1, 1], [1, 1])
    with pytest.raises(ValueError, match="positive definite"):
        plot_mean_field(np.array([[1.0, 2.0], [2.0, 1.0]]), [0, 0], [1, 1], [1, 1])
    with pytest.raises(ValueError, match="one value per coordinate"):
        plot_mean_field(np.eye(2), [0, 0, 0], [1, 1, 1], [1, 1])


def test_renyi_figure_draws_each_alpha_and_the_sd_curve_with_legends_off_the_data():
    alpha_grid = np.linspace(0.05, 0.95, 19)
    exact = np.where(alpha_grid > 0.87, 0.6, 2.0)
    fits = {0.9: {"z_loc": 2.0, "z_scale": 0.6}, 0.5: {"z_loc": 0.0, "z_scale": 2.0}}
    fig = plot_renyi_fits(GRID, LOG_TARGET, fits, alpha_grid, exact, 0.6, 2.09, 1.0)
    left, right = fig.axes
    assert _labels(left) == ["target p", "alpha = 0.9", "alpha = 0.5"]
    assert left.get_title() == "RenyiELBO fits (SVI), all from mean 1"
    svi = right.get_lines()[3]
    np.testing.assert_allclose(svi.get_xdata(), [0.9, 0.5])
    np.testing.assert_allclose(svi.get_ydata(), [0.6, 2.0])
    assert right.xaxis_inverted()
    assert _clear_of_data(fig) == []


def test_renyi_figure_rejects_a_curve_of_the_wrong_length_and_a_bad_scale():
    alpha_grid = np.linspace(0.05, 0.95, 19)
    fits = {0.9: {"z_loc": 2.0, "z_scale": 0.6}}
    with pytest.raises(ValueError, match="exact_scales has shape"):
        plot_renyi_fits(GRID, LOG_TARGET, fits, alpha_grid, np.ones(18), 0.6, 2.09, 1.0)
    with pytest.raises(ValueError, match="kl_pq_scale must be positive"):
        plot_renyi_fits(GRID, LOG_TARGET, fits, alpha_grid, np.ones(19), 0.6, 0.0, 1.0)
