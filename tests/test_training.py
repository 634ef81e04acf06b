"""The training loop and the ELBO estimate, on the course's model where the answer is known."""

import numpy as np
import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro.distributions import constraints

from helpers import exact_posterior, make_data, setup
from helpers.training import TrainingDiverged, estimate_elbo, fit, train


def model(data):
    mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
    sigma = pyro.sample("sigma", dist.Gamma(1.0, 0.1))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(mu, sigma), obs=data)


def guide(data):
    mu_loc = pyro.param("mu_loc", lambda: data.mean())
    mu_scale = pyro.param("mu_scale", torch.tensor(0.5), constraint=constraints.positive)
    sigma_loc = pyro.param("sigma_loc", lambda: data.std().log())
    sigma_scale = pyro.param("sigma_scale", torch.tensor(0.1), constraint=constraints.positive)
    pyro.sample("mu", dist.Normal(mu_loc, mu_scale))
    pyro.sample("sigma", dist.LogNormal(sigma_loc, sigma_scale))


def exact_guide_for(post):
    """A guide whose marginals match the exact posterior's moments (nearly exact here)."""
    log_sd = np.sqrt(np.log1p((post.sigma_sd / post.sigma_mean) ** 2))
    log_loc = np.log(post.sigma_mean) - log_sd**2 / 2

    def g(data):
        pyro.sample("mu", dist.Normal(post.mu_mean, post.mu_sd))
        pyro.sample("sigma", dist.LogNormal(float(log_loc), float(log_sd)))

    return g


@pytest.fixture
def data():
    setup(0)
    return make_data(n=200, seed=1)


def test_train_records_losses_and_params_and_fits_the_posterior(data):
    optim = pyro.optim.ClippedAdam({"lr": 0.05, "lrd": 0.998})
    fit = train(model, guide, data, optim=optim, num_steps=1500)
    assert fit.losses.shape == (1500,) and np.all(np.isfinite(fit.losses))
    assert set(fit.params) == {"mu_loc", "mu_scale", "sigma_loc", "sigma_scale"}
    assert fit.params["mu_scale"].shape == (1500,) and np.all(fit.params["mu_scale"] > 0)
    assert fit.losses[-100:].mean() < fit.losses[:10].mean()
    post = exact_posterior(data)
    assert fit.final_params["mu_loc"] == pytest.approx(post.mu_mean, abs=0.2 * post.mu_sd)
    assert fit.final_params["mu_scale"] == pytest.approx(post.mu_sd, rel=0.15)
    assert fit.seconds > 0


def test_train_stops_with_a_clear_message_when_the_loss_becomes_nan(data):
    def nan_guide(data):
        scale = pyro.param("mu_scale", torch.tensor(1.0), constraint=constraints.positive)
        pyro.sample("mu", dist.Normal(0.0, scale * float("inf")))
        pyro.sample("sigma", dist.Gamma(2.0, 0.5))

    optim = pyro.optim.Adam({"lr": 0.1})
    with pytest.warns(UserWarning, match="NaN"):  # Pyro warns too; the guard must stop
        with pytest.raises(TrainingDiverged, match=r"step 0: the loss is nan.*learning rate"):
            train(model, nan_guide, data, optim=optim, num_steps=5)


def test_train_names_the_parameter_that_diverged(data):
    # One huge SGD step sends mu_loc to infinity while the loss of that step is still finite;
    # the next step's loss (or Pyro's validation) sees it, and the message names the parameter.
    optim = pyro.optim.SGD({"lr": 1e38})
    with pytest.raises(TrainingDiverged, match="step 1: .*parameter.*mu_loc"):
        train(model, guide, data, optim=optim, num_steps=5)


def test_train_checks_the_parameters_after_the_last_step(data):
    # With one step there is no next loss to see the overflow: the final check must.
    optim = pyro.optim.SGD({"lr": 1e38})
    with pytest.raises(TrainingDiverged, match="step 0: parameter.*mu_loc"):
        train(model, guide, data, optim=optim, num_steps=1)


def _scale_model(data):
    """A model whose own (unconstrained) parameter is the scale of its likelihood."""
    scale = pyro.param("scale", torch.tensor(1.0))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(0.0, scale), obs=torch.zeros(len(data)))


def _no_guide(data):
    pass


def test_train_turns_a_parameter_that_left_its_support_into_training_diverged(data):
    # The loss is n log(scale) + const, its gradient n / scale > 0: one SGD step with lr 2 / n
    # takes the scale from 1 to -1, which is finite (the guard lets it pass) but outside the
    # support, so the next step's validation raises "Expected parameter scale ... constraint".
    optim = pyro.optim.SGD({"lr": 2.0 / len(data)})
    with pytest.raises(TrainingDiverged, match=r"step 1: .*left its support") as caught:
        train(_scale_model, _no_guide, data, optim=optim, num_steps=5)
    assert isinstance(caught.value.__cause__, ValueError)  # the chain is kept: raise ... from
    assert "Expected parameter scale" in str(caught.value.__cause__)
    assert "Expected parameter scale" in str(caught.value) and "learning rate" in str(caught.value)
    assert pyro.param("scale").item() == pytest.approx(-1.0)


def test_train_lets_any_other_value_error_through_unchanged(data):
    def wrong_shape_model(data):  # a shape bug: 3 values observed in a plate of len(data)
        mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
        with pyro.plate("data", len(data)):
            pyro.sample("obs", dist.Normal(mu, 1.0), obs=data[:3])

    def mu_guide(data):
        loc = pyro.param("mu_loc", torch.tensor(0.0))
        pyro.sample("mu", dist.Normal(loc, 1.0))

    optim = pyro.optim.Adam({"lr": 0.1})
    with pytest.raises(ValueError) as caught:
        train(wrong_shape_model, mu_guide, data, optim=optim, num_steps=5)
    assert not isinstance(caught.value, TrainingDiverged)
    assert "Expected parameter" not in str(caught.value)


def test_train_lets_a_bad_starting_value_error_through_when_it_is_not_a_parameter(data):
    def negative_data_model(data):  # a Gamma likelihood for data with negative values: a bug
        rate = pyro.param("rate", torch.tensor(1.0), constraint=constraints.positive)
        with pyro.plate("data", len(data)):
            pyro.sample("obs", dist.Gamma(2.0, rate), obs=data - 100.0)

    with pytest.raises(ValueError, match="support") as caught:
        train(negative_data_model, _no_guide, data, optim=pyro.optim.Adam({"lr": 0.1}), num_steps=2)
    assert not isinstance(caught.value, TrainingDiverged)


def test_train_lets_an_invalid_starting_value_through_as_a_bug(data):
    def negative_scale_guide(data):  # the guide starts outside the support: no step took it there
        scale = pyro.param("mu_scale", torch.tensor(-1.0))
        pyro.sample("mu", dist.Normal(0.0, scale))
        pyro.sample("sigma", dist.Gamma(2.0, 0.5))

    with pytest.raises(ValueError, match="Expected parameter scale") as caught:
        train(model, negative_scale_guide, data, optim=pyro.optim.Adam({"lr": 0.1}), num_steps=2)
    assert not isinstance(caught.value, TrainingDiverged)


@pytest.mark.parametrize(("num_steps", "error"), [(0, ValueError), (1.5, TypeError)])
def test_train_rejects_bad_num_steps(data, num_steps, error):
    with pytest.raises(error, match="num_steps"):
        train(model, guide, data, optim=pyro.optim.Adam({"lr": 0.1}), num_steps=num_steps)


def test_estimate_elbo_is_below_the_evidence_and_nearly_equal_for_a_near_exact_guide(data):
    post = exact_posterior(data)
    good = estimate_elbo(model, exact_guide_for(post), data, num_particles=20_000)
    assert good.elbo < post.log_evidence + 3 * good.std_error
    assert post.log_evidence - good.elbo < 0.01

    def wide_guide(data):
        pyro.sample("mu", dist.Normal(post.mu_mean, 5 * post.mu_sd))
        pyro.sample("sigma", dist.LogNormal(float(np.log(post.sigma_mean)), 0.1))

    wide = estimate_elbo(model, wide_guide, data, num_particles=20_000)
    assert post.log_evidence - wide.elbo > 1.0  # a poor guide has a clearly positive KL
    assert wide.log_weights.shape == (20_000,)


@pytest.mark.parametrize(("num_particles", "error"), [(1, ValueError), (2.0, TypeError)])
def test_estimate_elbo_rejects_bad_particle_counts(data, num_particles, error):
    with pytest.raises(error, match="num_particles"):
        estimate_elbo(model, guide, data, num_particles=num_particles)


def test_train_averages_the_last_part_of_each_trace_in_the_parameters_dtype(data):
    optim = pyro.optim.ClippedAdam({"lr": 0.05})
    result = train(model, guide, data, optim=optim, num_steps=40, average_last=0.25)
    for name, trace in result.params.items():
        assert result.averaged[name].dtype == pyro.param(name).dtype == torch.float32
        assert result.averaged[name].item() == pytest.approx(trace[30:].mean(), rel=1e-6)
    assert pyro.param("mu_loc").item() == pytest.approx(result.params["mu_loc"][-1])  # store: last
    assert train(model, guide, data, optim=optim, num_steps=2).averaged == {}


def test_train_passes_the_next_batch_to_each_step(data):
    seen = []

    def batch_model(data, idx):
        seen.append(idx)
        model(data[idx])

    def batch_guide(data, idx):
        guide(data[idx])

    batches = iter([torch.arange(10), torch.arange(10, 30), torch.arange(5)])
    train(
        batch_model,
        batch_guide,
        data,
        optim=pyro.optim.Adam({"lr": 0.01}),
        num_steps=3,
        batches=batches,
    )
    assert [len(idx) for idx in seen] == [10, 20, 5]


def test_fit_runs_the_recipe_from_a_clean_store_and_matches_the_exact_posterior(data):
    pyro.param("mu_loc", torch.tensor(1000.0))  # a stale value that a fit must not start from
    result = fit(model, guide, data)
    post = exact_posterior(data)
    assert result.losses.shape == (500,)
    q = {name: value.item() for name, value in result.averaged.items()}
    assert q["mu_loc"] == pytest.approx(post.mu_mean, abs=0.05 * post.mu_sd)
    assert q["mu_scale"] == pytest.approx(post.mu_sd, rel=0.05)
    sigma_mean = np.exp(q["sigma_loc"] + q["sigma_scale"] ** 2 / 2)
    assert sigma_mean == pytest.approx(post.sigma_mean, abs=0.05 * post.sigma_sd)
    assert q["sigma_scale"] * sigma_mean == pytest.approx(post.sigma_sd, rel=0.05)


def test_fit_is_reproducible_with_the_same_seed(data):
    pyro.set_rng_seed(3)
    first = fit(model, guide, data, num_steps=20)
    pyro.set_rng_seed(3)
    second = fit(model, guide, data, num_steps=20)
    np.testing.assert_array_equal(first.losses, second.losses)


def test_fit_keeps_parameters_created_beforehand_when_asked(data):
    pyro.clear_param_store()
    guide(data)
    seen = []
    for _, unconstrained in pyro.get_param_store().named_parameters():
        unconstrained.register_hook(lambda g: seen.append(1))
    fit(model, guide, data, num_steps=3, clear_params=False)
    assert len(seen) == 3 * 4  # every step's gradient of the 4 hooked parameters
    fit(model, guide, data, num_steps=3)
    assert len(seen) == 12  # a fresh store: new tensors, no hooks
