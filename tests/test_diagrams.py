"""The pictures of notebooks 02 and 03 (helpers/diagrams.py): the model graph has a node per site,
an arrow per dependence and a box per plate, read from the model itself; the density plots draw
what they are given, with legends clear of the data; bad input is refused with a message."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pyro  # noqa: E402
import pyro.distributions as dist  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch  # noqa: E402
from scipy import stats  # noqa: E402

from helpers import exact_posterior, make_data  # noqa: E402
from helpers.diagrams import (  # noqa: E402
    draw_model_graph,
    plot_against_exact,
    plot_prior_predictive,
    plot_priors,
)
from tests._figures import figure_check  # noqa: E402


def model(data):
    mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
    sigma = pyro.sample("sigma", dist.Gamma(1.0, 0.1))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(mu, sigma), obs=data)


def hierarchical_model(data):
    """Three rows: tau, then mu given tau (and sigma), then obs given mu and sigma."""
    tau = pyro.sample("tau", dist.HalfNormal(1.0))
    sigma = pyro.sample("sigma", dist.HalfNormal(1.0))
    mu = pyro.sample("mu", dist.Normal(0.0, tau))
    with pyro.plate("points", len(data)):
        pyro.sample("obs", dist.Normal(mu, sigma), obs=data)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    return make_data(n=200)


@pytest.fixture(scope="module")
def relations(data):
    return pyro.infer.inspect.get_model_relations(model, model_args=(data,))


def _by_gid(fig, prefix, kind):
    ax = fig.axes[0]
    return {
        p.get_gid().removeprefix(prefix): p
        for p in ax.patches
        if isinstance(p, kind) and (p.get_gid() or "").startswith(prefix)
    }


def _texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_the_graph_has_a_node_per_site_shaded_if_observed(relations):
    fig = draw_model_graph(relations, {"data": 200})
    nodes = _by_gid(fig, "site:", Circle)
    assert set(nodes) == {"mu", "sigma", "obs"}
    grey = matplotlib.colors.to_rgba("0.8")
    assert nodes["obs"].get_facecolor() == grey
    assert nodes["mu"].get_facecolor() != grey and nodes["sigma"].get_facecolor() != grey


def test_the_graph_has_an_arrow_from_each_parent_to_its_child(relations):
    fig = draw_model_graph(relations, {"data": 200})
    assert set(_by_gid(fig, "edge:", FancyArrowPatch)) == {"mu->obs", "sigma->obs"}


def test_the_plate_box_surrounds_its_sites_and_names_its_size(relations):
    fig = draw_model_graph(relations, {"data": 200})
    plates = _by_gid(fig, "plate:", FancyBboxPatch)
    assert set(plates) == {"data"}
    nodes = _by_gid(fig, "site:", Circle)
    box = plates["data"].get_bbox()
    for name, inside in [("obs", True), ("mu", False), ("sigma", False)]:
        x, y = nodes[name].center
        assert (box.x0 < x < box.x1 and box.y0 < y < box.y1) == inside, name
    assert "plate 'data': i = 1, ..., 200" in _texts(fig)


def test_parents_sit_above_their_children(relations):
    fig = draw_model_graph(relations, {"data": 200})
    nodes = _by_gid(fig, "site:", Circle)
    assert nodes["mu"].center[1] == nodes["sigma"].center[1] > nodes["obs"].center[1]


def test_symbols_and_notes_label_the_sites_and_default_to_names_and_distributions(relations):
    fig = draw_model_graph(
        relations, {"data": 200}, symbols={"mu": r"$\mu$"}, notes={"sigma": "Gamma(1, 0.1)"}
    )
    texts = _texts(fig)
    assert r"$\mu$" in texts and "sigma" in texts and "obs" in texts
    assert '"sigma" ~ Gamma(1, 0.1)' in texts and '"mu" ~ Normal' in texts


def test_a_deeper_model_gets_a_row_per_level(data):
    relations = pyro.infer.inspect.get_model_relations(hierarchical_model, model_args=(data,))
    fig = draw_model_graph(relations, {"points": len(data)})
    nodes = _by_gid(fig, "site:", Circle)
    heights = {name: node.center[1] for name, node in nodes.items()}
    assert heights["tau"] == heights["sigma"] > heights["mu"] > heights["obs"]
    edges = set(_by_gid(fig, "edge:", FancyArrowPatch))
    assert edges == {"tau->mu", "mu->obs", "sigma->obs"}


@pytest.mark.parametrize(
    "change, error, message",
    [
        (lambda r: [1, 2], TypeError, "relations must be the dict"),
        (lambda r: {k: v for k, v in r.items() if k != "observed"}, ValueError, "lacks"),
        (lambda r: {**r, "sample_sample": {}}, ValueError, "no sample sites"),
        (
            lambda r: {**r, "sample_sample": {**r["sample_sample"], "obs": ["nu"]}},
            ValueError,
            "not sites",
        ),
        (
            lambda r: {
                **r,
                "sample_sample": {"mu": ["sigma"], "sigma": ["mu"]},
                "plate_sample": {},
            },
            ValueError,
            "cycle",
        ),
        (lambda r: {**r, "plate_sample": {"data": ["x"]}}, ValueError, "plate 'data' holds"),
    ],
)
def test_malformed_relations_are_refused(relations, change, error, message):
    with pytest.raises(error, match=message):
        draw_model_graph(change(relations), {"data": 200})


@pytest.mark.parametrize("sizes", [{}, {"data": 0}, {"data": 2.5}, {"data": True}, None])
def test_each_plate_needs_a_positive_integer_size(relations, sizes):
    with pytest.raises((TypeError, ValueError), match="plate_sizes"):
        draw_model_graph(relations, sizes)


def test_labels_for_unknown_sites_are_refused(relations):
    with pytest.raises(ValueError, match="symbols names"):
        draw_model_graph(relations, {"data": 200}, symbols={"nu": "x"})
    with pytest.raises(ValueError, match="notes names"):
        draw_model_graph(relations, {"data": 200}, notes={"data": "x"})


def _no_legend_on_data(fig):
    fig.draw_without_rendering()
    return figure_check.legend_overlaps(fig) == []


def test_plot_priors_draws_each_prior_with_its_mark_and_interval(data):
    priors = {"mu": stats.norm(0, 10), "sigma": stats.gamma(1, scale=10)}
    marks = {"mu": ("sample mean", data.mean().item()), "sigma": ("sample sd", data.std().item())}
    fig = plot_priors(priors, marks)
    assert [ax.get_title() for ax in fig.axes] == ["Prior of mu", "Prior of sigma"]
    curve, line = fig.axes[0].get_lines()
    x, y = curve.get_data()
    assert np.allclose(y, stats.norm(0, 10).pdf(x))
    assert line.get_xdata()[0] == pytest.approx(data.mean().item())
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["prior (95% in -19.6 to 19.6)", "sample mean"]
    assert _no_legend_on_data(fig)


def test_plot_priors_refuses_bad_input(data):
    prior = {"mu": stats.norm(0, 10)}
    with pytest.raises(ValueError, match="marks"):
        plot_priors(prior, {"sigma": ("sd", 1.0)})
    with pytest.raises(TypeError, match="frozen scipy.stats"):
        plot_priors({"mu": dist.Normal(0.0, 10.0)}, {"mu": ("mean", 1.0)})
    with pytest.raises(TypeError, match="priors"):
        plot_priors({}, {})
    with pytest.raises(ValueError, match="mark"):
        plot_priors(prior, {"mu": ("mean", float("nan"))})


def test_plot_prior_predictive_counts_every_data_set(data):
    simulated = torch.randn(300, 50) * torch.rand(300, 1) * 10
    fig = plot_prior_predictive(simulated, data)
    for ax in fig.axes:
        assert sum(p.get_height() for p in ax.patches) == 300
    assert fig.axes[1].get_xscale() == "log"
    assert fig.axes[1].get_lines()[0].get_xdata()[0] == pytest.approx(data.std().item(), 1e-5)
    assert _no_legend_on_data(fig)


@pytest.mark.parametrize("simulated", [torch.zeros(10), np.zeros((5, 1)), [["a", "b"]]])
def test_plot_prior_predictive_refuses_what_is_not_a_set_of_data_sets(data, simulated):
    with pytest.raises((TypeError, ValueError), match="simulated"):
        plot_prior_predictive(simulated, data)


def test_plot_against_exact_draws_the_exact_posterior_under_each_approximation(data):
    exact = exact_posterior(data)
    q_mu = stats.norm(exact.mu_mean + exact.mu_sd, exact.mu_sd)
    fig = plot_against_exact(exact, {"mu": {"shifted": q_mu}, "sigma": {"a": stats.norm(4, 1)}})
    assert [ax.get_title() for ax in fig.axes] == ["Posterior of mu", "Posterior of sigma"]
    exact_line, approximation = fig.axes[0].get_lines()
    assert np.array_equal(exact_line.get_ydata(), exact.mu_density)
    assert np.allclose(approximation.get_ydata(), q_mu.pdf(exact.mu_grid))
    assert fig.axes[0].get_xlim() == pytest.approx(
        (exact.mu_mean - 5 * exact.mu_sd, exact.mu_mean + 5 * exact.mu_sd)
    )
    assert _no_legend_on_data(fig)


def test_plot_against_exact_refuses_unknown_parameters_and_bad_distributions(data):
    exact = exact_posterior(data)
    with pytest.raises(ValueError, match="tau"):
        plot_against_exact(exact, {"tau": {"q": stats.norm()}})
    with pytest.raises(TypeError, match="frozen scipy.stats"):
        plot_against_exact(exact, {"mu": {"q": dist.Normal(0.0, 1.0)}})
    with pytest.raises(TypeError, match="exact"):
        plot_against_exact({"mu_mean": 1.0}, {"mu": {"q": stats.norm()}})
    with pytest.raises(TypeError, match="approximations"):
        plot_against_exact(exact, {})
