"""The fit bookkeeping and figures of notebooks 04 and 05, on the course's model."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pyro  # noqa: E402
import pyro.distributions as dist  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from scipy import integrate  # noqa: E402

from helpers import exact_posterior, make_data, setup  # noqa: E402
from helpers.elbo_surface import best_normal_gamma_guide, normal_gamma_elbo  # noqa: E402
from helpers.fit_report import (  # noqa: E402
    FitTable,
    exact_predictive_density,
    fitted_q,
    gamma_params,
    plot_elbo_ridge,
    plot_fitted_densities,
    plot_loss_and_kl,
    plot_parameter_traces,
    plot_sd_traces,
    plot_sigma_and_predictive,
    predictive_density,
    predictive_sd,
)


def model(data):
    mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
    sigma = pyro.sample("sigma", dist.Gamma(1.0, 0.1))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(mu, sigma), obs=data)


@pytest.fixture(scope="module")
def data():
    setup(0)
    return make_data(n=300, seed=2)


@pytest.fixture(scope="module")
def post(data):
    return exact_posterior(data)


@pytest.fixture(scope="module")
def best(data):
    return best_normal_gamma_guide(data)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _lognormal_matching(post):
    """LogNormal (loc, scale) with the exact posterior's mean and sd of sigma."""
    scale = math.sqrt(math.log1p((post.sigma_sd / post.sigma_mean) ** 2))
    return math.log(post.sigma_mean) - scale**2 / 2, scale


# fitted_q ---------------------------------------------------------------------------------------


def test_fitted_q_reads_each_guide_family():
    q_mu, q_sigma = fitted_q(
        {"mu_loc": 1.0, "mu_scale": 0.2, "sigma_shape": 9.0, "sigma_rate": 3.0}
    )
    assert isinstance(q_sigma, dist.Gamma) and q_mu.loc.dtype == torch.float64
    assert q_sigma.mean.item() == pytest.approx(3.0) and q_sigma.stddev.item() == pytest.approx(1.0)
    _, q_sigma = fitted_q(
        {"mu_loc": 1.0, "mu_scale": 0.2, "sigma_mean": 4.0, "sigma_concentration": 16.0}
    )
    assert isinstance(q_sigma, dist.Gamma)
    assert q_sigma.mean.item() == pytest.approx(4.0) and q_sigma.stddev.item() == pytest.approx(1.0)
    _, q_sigma = fitted_q({"mu_loc": 1.0, "mu_scale": 0.2, "sigma_loc": 1.5, "sigma_scale": 0.1})
    assert isinstance(q_sigma, dist.LogNormal) and q_sigma.loc.item() == pytest.approx(1.5)


def test_fitted_q_accepts_tensors_and_one_element_arrays():
    q_mu, _ = fitted_q(
        {
            "mu_loc": torch.tensor(1.0),
            "mu_scale": np.array([0.5]),
            "sigma_loc": 0.0,
            "sigma_scale": 0.1,
        }
    )
    assert q_mu.loc.item() == 1.0 and q_mu.scale.item() == 0.5


def test_fitted_q_rejects_what_it_cannot_read():
    with pytest.raises(TypeError, match="dict"):
        fitted_q([1.0, 2.0])
    with pytest.raises(ValueError, match="sigma_shape and sigma_rate"):
        fitted_q({"mu_loc": 1.0, "mu_scale": 0.2, "tau_loc": 1.5, "tau_scale": 0.1})
    with pytest.raises(ValueError, match="mu_scale"):
        fitted_q({"mu_loc": 1.0, "sigma_loc": 1.5, "sigma_scale": 0.1})
    with pytest.raises(ValueError, match="one finite number"):
        fitted_q({"mu_loc": [1.0, 2.0], "mu_scale": 0.2, "sigma_loc": 1.5, "sigma_scale": 0.1})
    with pytest.raises(ValueError, match="one finite number"):
        fitted_q({"mu_loc": np.nan, "mu_scale": 0.2, "sigma_loc": 1.5, "sigma_scale": 0.1})


# FitTable ---------------------------------------------------------------------------------------


def test_fit_table_measures_a_near_exact_fit_as_near_exact(data, post):
    loc, scale = _lognormal_matching(post)
    table = FitTable(model, data, post)
    pyro.set_rng_seed(0)
    row = table.record(
        "near exact",
        {"mu_loc": post.mu_mean, "mu_scale": post.mu_sd, "sigma_loc": loc, "sigma_scale": scale},
        1.5,
    )
    assert abs(row["KL"]) < 0.02 and row["KL se"] < 0.01
    assert all(abs(row[k]) < 1e-6 for k in ("mu mean", "mu sd", "sigma mean", "sigma sd"))
    assert row["seconds"] == 1.5 and table["near exact"] is row


def test_fit_table_measures_errors_in_posterior_sds_and_relative_sds(data, post, best):
    loc, scale = _lognormal_matching(post)
    table = FitTable(model, data, post)
    pyro.set_rng_seed(1)
    row = table.record(
        "off",
        {
            "mu_loc": post.mu_mean + 2 * post.mu_sd,  # two posterior sds too high
            "mu_scale": 3 * post.mu_sd,  # three times too wide: +200%
            "sigma_loc": loc,
            "sigma_scale": scale,
        },
        0.0,
    )
    assert row["mu mean"] == pytest.approx(2.0) and row["mu sd"] == pytest.approx(2.0)
    assert row["KL"] > 1.0
    pyro.set_rng_seed(2)
    gamma = table.record("best gamma", gamma_params(best), 0.0)
    exact_kl = post.log_evidence - best.elbo
    assert gamma["KL"] == pytest.approx(exact_kl, abs=4 * gamma["KL se"])
    assert list(table.rows) == ["off", "best gamma"]


def test_fit_table_prints_one_line_per_row_with_the_columns(data, post, best):
    table = FitTable(model, data, post, num_particles=500)
    table.record("best Normal x Gamma", gamma_params(best), 0.25)
    lines = str(table).splitlines()
    assert len(lines) == 2
    assert lines[0].split() == ["method", "mu", "mean", "mu", "sd", "sigma", "mean"] + [
        "sigma",
        "sd",
        "KL",
        "(nats)",
        "seconds",
    ]
    assert lines[1].startswith("best Normal x Gamma") and lines[1].endswith("0.25")
    assert "+-" in lines[1] and "%" in lines[1]


def test_fit_table_validates_its_inputs(data, post, best):
    with pytest.raises(TypeError, match="model"):
        FitTable("model", data, post)
    with pytest.raises(TypeError, match="posterior"):
        FitTable(model, data, {"log_evidence": 0.0})
    table = FitTable(model, data, post)
    with pytest.raises(TypeError, match="method"):
        table.record("", gamma_params(best), 0.0)
    with pytest.raises(ValueError, match="seconds"):
        table.record("x", gamma_params(best), -1.0)
    with pytest.raises(TypeError, match="best_normal_gamma_guide"):
        gamma_params({"shape": 1.0})


def test_gamma_params_names_the_guide_parameters(data, best):
    params = gamma_params(best)
    assert list(params) == ["mu_loc", "mu_scale", "sigma_shape", "sigma_rate"]
    assert float(normal_gamma_elbo(data, *params.values())) == pytest.approx(best.elbo)


# Predictive densities ---------------------------------------------------------------------------


def test_exact_predictive_density_integrates_to_one_with_the_right_sd(data, post):
    x = np.linspace(-40, 45, 4001)
    density = exact_predictive_density(post, data, x)
    assert integrate.trapezoid(density, x) == pytest.approx(1.0, abs=1e-4)
    mean = integrate.trapezoid(x * density, x)
    sd = math.sqrt(integrate.trapezoid((x - mean) ** 2 * density, x))
    expected_sd = math.sqrt(post.mu_sd**2 + post.sigma_sd**2 + post.sigma_mean**2)
    assert mean == pytest.approx(post.mu_mean, abs=0.01) and sd == pytest.approx(expected_sd, 1e-3)


def test_predictive_density_of_a_near_exact_fit_matches_the_exact_one(data, post):
    loc, scale = _lognormal_matching(post)
    q = dist.Normal(torch.tensor(post.mu_mean), post.mu_sd), dist.LogNormal(loc, scale)
    x = np.linspace(-15, 20, 200)
    torch.manual_seed(0)
    approx = predictive_density(*q, x, num_draws=20_000)
    np.testing.assert_allclose(approx, exact_predictive_density(post, data, x), atol=1e-3)
    assert predictive_sd(*q) == pytest.approx(
        math.sqrt(post.mu_sd**2 + post.sigma_sd**2 + post.sigma_mean**2), rel=1e-6
    )
    with pytest.raises(ValueError, match="num_draws"):
        predictive_density(*q, x, num_draws=0)
    with pytest.raises(ValueError, match="mu_prior_sd"):
        exact_predictive_density(post, data, x, mu_prior_sd=0.0)


def test_predictive_sd_adds_the_variance_of_mu_and_the_mean_square_of_sigma():
    q_mu, q_sigma = dist.Normal(0.0, 3.0), dist.Gamma(torch.tensor(16.0), torch.tensor(4.0))
    assert predictive_sd(q_mu, q_sigma) == pytest.approx(math.sqrt(9 + 1 + 16))


# Figures ----------------------------------------------------------------------------------------


def test_plot_loss_and_kl_draws_two_panels_with_the_floor(post):
    losses = -post.log_evidence + np.abs(np.random.default_rng(0).normal(5, 2, 500))
    fig = plot_loss_and_kl(losses, post.log_evidence, best_kl=0.001, window=50)
    left, right = fig.axes
    assert left.get_title() == "Loss of the run" and right.get_yscale() == "log"
    assert any(np.allclose(line.get_ydata(), -post.log_evidence) for line in left.get_lines())
    assert left.get_ylim()[0] < -post.log_evidence
    with pytest.raises(ValueError, match="window"):
        plot_loss_and_kl(losses[:10], post.log_evidence, 0.001, window=50)


def test_plot_parameter_traces_draws_each_trace_with_its_target():
    params = {name: np.linspace(1, 2, 30) for name in ["mu_loc", "mu_scale", "a", "b"]}
    targets = {"mu_loc": 1.5, "mu_scale": 2.0, "a": 3.0, "b": 4.0}
    fig = plot_parameter_traces(params, targets)
    assert [ax.get_title() for ax in fig.axes] == list(targets)
    assert fig.axes[0].get_yscale() == "linear" and fig.axes[1].get_yscale() == "log"
    with pytest.raises(ValueError, match="targets"):
        plot_parameter_traces(params, {"mu_loc": 1.0, "c": 2.0, "a": 1.0, "b": 1.0})


def test_plot_fitted_densities_draws_every_fit_and_the_exact_posterior(post):
    loc, scale = _lognormal_matching(post)
    q = (dist.Normal(torch.tensor(post.mu_mean), post.mu_sd), dist.LogNormal(loc, scale))
    wide = (dist.Normal(torch.tensor(post.mu_mean), 3 * post.mu_sd), dist.LogNormal(loc, 3 * scale))
    fig = plot_fitted_densities({"fit": q, "wide": wide}, post)
    assert [ax.get_title() for ax in fig.axes] == ["Posterior of mu", "Posterior of sigma"]
    assert all(len(ax.get_lines()) == 3 for ax in fig.axes)
    low, high = fig.axes[0].get_xlim()
    assert low < post.mu_mean - 9 * post.mu_sd and high > post.mu_mean + 9 * post.mu_sd  # wide
    with pytest.raises(ValueError, match="fits"):
        plot_fitted_densities({}, post)


def test_plot_sigma_and_predictive_draws_each_step_and_the_data(data, post):
    q = (
        dist.Normal(torch.tensor(post.mu_mean), post.mu_sd),
        dist.Gamma(torch.tensor(100.0), torch.tensor(100.0 / post.sigma_mean)),
    )
    steps = {100: (50.0, 50.0 / post.sigma_mean), 200: (100.0, 100.0 / post.sigma_mean)}
    fig = plot_sigma_and_predictive(steps, q, post, data)
    left, right = fig.axes
    assert len(left.get_lines()) == 3 and len(right.patches) == 40  # 2 steps + exact; histogram
    with pytest.raises(ValueError, match="shapes"):
        plot_sigma_and_predictive({}, q, post, data)


def test_plot_elbo_ridge_draws_the_paths_and_the_cross_sections(data, best):
    path = np.array([[50.0, 50.0 / 4], [60.0, 60.0 / 4]])
    fig = plot_elbo_ridge(data, best, {"path": path}, start=(50.0, 12.5))
    contour, sections, _ = fig.axes  # the colour bar is added last
    assert any(line.get_label() == "path" for line in contour.get_lines())
    assert [line.get_label() for line in sections.get_lines()] == ["along the ridge", "across it"]
    with pytest.raises(ValueError, match="shape, rate"):
        plot_elbo_ridge(data, best, {"path": np.ones(3)}, start=(50.0, 12.5))
    with pytest.raises(TypeError, match="best"):
        plot_elbo_ridge(data, {"shape": 1}, {"path": path}, start=(50.0, 12.5))


def test_plot_sd_traces_shades_the_averaged_window():
    fig = plot_sd_traces({"sd of q(mu)": (np.linspace(1, 0.1, 100), 0.1)}, averaged_from=50)
    (ax,) = fig.axes
    assert ax.get_title() == "sd of q(mu) during training" and len(ax.patches) == 1
    with pytest.raises(ValueError, match="traces"):
        plot_sd_traces({})
