"""Notebook 03's exercise self-checks, each judged on its answer bank (tests/_answer_bank.py):
right answers by every valid method pass, typical wrong ones fail with feedback naming them."""

import math

import numpy as np
import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro.distributions import constraints
from pyro.infer import Trace_ELBO
from scipy import stats

from helpers import exact_posterior, make_data
from helpers.checks.training import (
    check_gamma_guide_kl,
    check_preconditioned_condition_number,
    check_sigma_sd,
    check_sigma_sd_ratio,
    preconditioned_condition_number_mean_sd,
)
from helpers.elbo_surface import (
    best_normal_gamma_guide,
    best_normal_lognormal_guide,
    condition_number,
    hessian,
    normal_gamma_elbo,
)
from helpers.training import estimate_elbo, train
from tests._answer_bank import Right, Wrong, assert_bank

GAMMA_PARAMS = ["mu_loc", "mu_scale", "sigma_shape", "sigma_rate"]
NUM_STEPS = 500


@pytest.fixture(scope="module", params=[0, 1], ids=lambda seed: f"seed{seed}")
def data(request):
    return make_data(seed=request.param)


def _pair_check(check, *args, **kwargs):
    """A check of (answer, prediction) as a check of one answer, for assert_bank."""
    return lambda pair: check(pair[0], *args, prediction=pair[1], **kwargs)


# The notebook's model, guides and recipe ------------------------------------------------------


def _model(data):
    mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
    sigma = pyro.sample("sigma", dist.Gamma(1.0, 0.1))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(mu, sigma), obs=data)


def _gamma_guide(mu_loc, mu_scale, shape, rate):
    def guide(data):
        loc = pyro.param("mu_loc", torch.tensor(mu_loc))
        scale = pyro.param("mu_scale", torch.tensor(mu_scale), constraint=constraints.positive)
        a = pyro.param("sigma_shape", torch.tensor(shape), constraint=constraints.positive)
        b = pyro.param("sigma_rate", torch.tensor(rate), constraint=constraints.positive)
        pyro.sample("mu", dist.Normal(loc, scale))
        pyro.sample("sigma", dist.Gamma(a, b))

    return guide


def _lognormal_guide(mu_loc, mu_scale, sigma_loc, sigma_scale):
    def guide(data):
        loc = pyro.param("mu_loc", torch.tensor(mu_loc))
        scale = pyro.param("mu_scale", torch.tensor(mu_scale), constraint=constraints.positive)
        s_loc = pyro.param("sigma_loc", torch.tensor(sigma_loc))
        s_scale = pyro.param(
            "sigma_scale", torch.tensor(sigma_scale), constraint=constraints.positive
        )
        pyro.sample("mu", dist.Normal(loc, scale))
        pyro.sample("sigma", dist.LogNormal(s_loc, s_scale))

    return guide


def _recipe(guide, data, seed=0):
    """The recommended recipe: ClippedAdam with decay, 32 vectorised particles, 500 steps."""
    pyro.clear_param_store()
    pyro.set_rng_seed(seed)
    lr, final_lr = 0.05, 0.002
    optim = pyro.optim.ClippedAdam({"lr": lr, "lrd": (final_lr / lr) ** (1 / NUM_STEPS)})
    loss = Trace_ELBO(num_particles=32, vectorize_particles=True, max_plate_nesting=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as helpers.setup() does in the notebooks: faster at this size
    try:
        return train(_model, guide, data, optim=optim, num_steps=NUM_STEPS, loss=loss)
    finally:
        torch.set_num_threads(threads)


def _averaged(params):
    return {name: float(trace[len(trace) // 2 :].mean()) for name, trace in params.items()}


# Exercise 1 ---------------------------------------------------------------------------------


def _sgd_like_traces(data):
    """Traces shaped like notebook 04's run of the original settings from the data init: the
    shape crawls up along the ridge, from 100 to 220 in 5,000 steps, with the mean, shape / rate,
    near the sample sd."""
    rng = np.random.default_rng(0)
    steps = 5000
    shapes = np.geomspace(100.0, 220.0, steps) * (1 + 0.01 * rng.standard_normal(steps))
    rates = shapes / (data.std().item() * (1 + 0.005 * rng.standard_normal(steps)))
    return {
        "mu_loc": np.full(steps, data.mean().item()),
        "sigma_shape": shapes,
        "sigma_rate": rates,
    }


def test_sigma_sd_ratio_check(capsys, data):
    post = exact_posterior(data)
    traces = _sgd_like_traces(data)
    shape, rate = traces["sigma_shape"][999], traces["sigma_rate"][999]
    sd = math.sqrt(shape) / rate
    ratio = sd / post.sigma_sd
    draws = np.random.default_rng(1).gamma(shape, 1 / rate, size=100_000)
    standard_error = data.std().item() / math.sqrt(2 * len(data))
    float32 = dist.Gamma(torch.tensor(shape, dtype=torch.float32), torch.tensor(rate)).stddev
    right = [
        Right("sqrt(shape) / rate in float64", ratio),
        Right("torch's Gamma(...).stddev in float32", float32 / post.sigma_sd),
        Right(
            "scipy's gamma(shape, scale=1 / rate).std()",
            stats.gamma(shape, scale=1 / rate).std() / post.sigma_sd,
        ),
        Right(
            "counting the steps from 0 (index 1000)",
            math.sqrt(traces["sigma_shape"][1000]) / traces["sigma_rate"][1000] / post.sigma_sd,
        ),
        Right("the sd of 100,000 draws", draws.std() / post.sigma_sd),
        Right("s / sqrt(2n) for the exact sd", sd / standard_error),
    ]
    end = math.sqrt(traces["sigma_shape"][-1]) / traces["sigma_rate"][-1] / post.sigma_sd
    wrong = [
        Wrong("the end of the run (the table's)", end, names="end of the run"),
        Wrong("the relative error, ratio - 1", ratio - 1, names="minus 1"),
        Wrong("the ratio of variances", shape / rate**2 / post.sigma_sd**2, names="variances"),
        Wrong("the reciprocal", 1 / ratio, names="reciprocal"),
        Wrong("the Gamma's mean", shape / rate / post.sigma_sd, names="mean, shape / rate"),
        Wrong("rate taken as a scale", math.sqrt(shape) * rate / post.sigma_sd, names="scale"),
        Wrong("not divided", sd, names="sd of q(sigma) itself"),
        Wrong("over the posterior mean", sd / post.sigma_mean, names="posterior mean of sigma"),
        Wrong("over the sd of mu", sd / post.mu_sd, names="sd of mu"),
        Wrong("text", str(ratio), names="not the text"),
        Wrong("NaN", float("nan"), names="not a finite number"),
    ]
    check = lambda answer: check_sigma_sd_ratio(answer, traces, data)  # noqa: E731
    method_words = ["sqrt(shape)", "rate", "sigma_sd", "stddev"]
    assert_bank(check, right, wrong, capsys, method_words=method_words)


def test_sigma_sd_ratio_check_accepts_either_count_of_the_steps(capsys, data):
    traces = _sgd_like_traces(data)
    traces["sigma_shape"][1000] *= 1.5  # index 1000 far from index 999 ("step 1,000")
    sd_sigma = exact_posterior(data).sigma_sd
    at = {i: math.sqrt(traces["sigma_shape"][i]) / traces["sigma_rate"][i] for i in (999, 1000)}
    assert check_sigma_sd_ratio(at[999] / sd_sigma, traces, data)
    assert "counting" not in capsys.readouterr().out
    assert check_sigma_sd_ratio(at[1000] / sd_sigma, traces, data)
    assert "counting the steps from 0" in capsys.readouterr().out


def test_sigma_sd_ratio_check_rejects_invalid_traces(data):
    traces = _sgd_like_traces(data)
    with pytest.raises(ValueError, match="positive"):
        check_sigma_sd_ratio(1.0, {**traces, "sigma_shape": -traces["sigma_shape"]}, data)
    with pytest.raises(TypeError, match="sigma_rate"):
        check_sigma_sd_ratio(1.0, {"sigma_shape": traces["sigma_shape"]}, data)
    with pytest.raises(ValueError, match="step must be between"):
        check_sigma_sd_ratio(1.0, traces, data, step=5000)


# Exercise 2 ---------------------------------------------------------------------------------


def test_preconditioned_condition_number_is_small_for_mean_and_sd(data):
    value = preconditioned_condition_number_mean_sd(data)
    assert 1.0 <= value < 2.0


def test_preconditioned_condition_number_check(capsys, data):
    post, best = exact_posterior(data), best_normal_gamma_guide(data)
    mean, sd = best.shape / best.rate, math.sqrt(best.shape) / best.rate

    def loss(shape, rate, mu_loc=best.mu_loc, mu_scale=best.mu_scale):
        return -float(normal_gamma_elbo(data, mu_loc, mu_scale, shape, rate))

    def loss_mean_sd(z):  # as notebook 05's section 1 writes it, in (log mean, log sd)
        m, s = np.exp(z)
        return loss((m / s) ** 2, m / s**2)

    def loss_all_four(z):  # q(mu)'s two parameters too
        m, s = np.exp(z[2:])
        return loss((m / s) ** 2, m / s**2, z[0], math.exp(z[1]))

    def loss_mean_variance(z):
        m, v = np.exp(z)
        return loss(m**2 / v, m / v)

    z = [math.log(mean), math.log(sd)]
    h = hessian(loss_mean_sd, z)
    plain = hessian(lambda z: loss((z[0] / z[1]) ** 2, z[0] / z[1] ** 2), [mean, sd], step=1e-6)
    right_values = {
        "the helper": preconditioned_condition_number_mean_sd(data),
        "hessian's default step": condition_number(h, precondition=True),
        "step 1e-3": condition_number(hessian(loss_mean_sd, z, step=1e-3), precondition=True),
        "step 1e-5": condition_number(hessian(loss_mean_sd, z, step=1e-5), precondition=True),
        "(mean, sd) without logs": condition_number(plain, precondition=True),
        "at the exact posterior's mean and sd": condition_number(
            hessian(loss_mean_sd, [math.log(post.sigma_mean), math.log(post.sigma_sd)]),
            precondition=True,
        ),
        "with q(mu)'s parameters, 4 x 4": condition_number(
            hessian(loss_all_four, [best.mu_loc, math.log(best.mu_scale), *z]), precondition=True
        ),
        "(log mean, log variance)": condition_number(
            hessian(loss_mean_variance, [math.log(mean), 2 * math.log(sd)]), precondition=True
        ),
    }
    predictions = ["yes", True, "it will cope", "Yes!", "yes", "y", "true", "yes"]
    right = [
        Right(how, (value, guess))
        for (how, value), guess in zip(right_values.items(), predictions, strict=True)
    ]
    shape_rate = hessian(lambda z: loss(*np.exp(z)), [math.log(best.shape), math.log(best.rate)])
    mean_concentration = hessian(
        lambda z: loss(math.exp(z[1]), math.exp(z[1] - z[0])),
        [math.log(mean), math.log(best.shape)],
    )
    value = right_values["the helper"]
    wrong = [
        Wrong(
            "section 1's (log shape, log rate)",
            (condition_number(shape_rate, precondition=True), "yes"),
            names="(log shape, log rate)",
        ),
        Wrong(
            "section 1's (log mean, log concentration)",
            (condition_number(mean_concentration, precondition=True), "yes"),
            names="(log mean, log concentration)",
        ),
        Wrong("not preconditioned", (condition_number(h), "yes"), names="without preconditioning"),
        Wrong(
            "not preconditioned, (mean, sd)",
            (condition_number(plain), "yes"),
            names="without preconditioning",
        ),
        Wrong("smallest over largest", (1 / value, "yes"), names="at least 1"),
        Wrong("text", (f"{value:.3g}", "yes"), names="not the text"),
        Wrong("predicted no", (value, "no"), names="property of the coordinates"),
        Wrong("predicted False", (value, False), names="property of the coordinates"),
        Wrong("predicted it won't", (value, "Adam will not cope"), names="along the log sd axis"),
        Wrong("predicted neither", (value, "maybe"), names="not a yes or a no"),
    ]
    check = _pair_check(check_preconditioned_condition_number, data)
    method_words = ["hessian", "condition_number(", "precondition=True", "mean / sd"]
    assert_bank(check, right, wrong, capsys, empty=(None, None), method_words=method_words)


def test_preconditioned_condition_number_check_wants_a_prediction(capsys, data):
    assert not check_preconditioned_condition_number(
        preconditioned_condition_number_mean_sd(data), data
    )
    out = capsys.readouterr().out
    assert "Correct" in out and "No prediction yet: write it down before you run anything" in out


# Exercise 3 ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gamma_fit(data):
    """Exercise 3's fit: the recipe with the Gamma(shape, rate) guide from the data init, and
    the KL of its final values by estimate_elbo on the trained guide (the param store)."""
    x_mean, x_sd = data.mean().item(), data.std().item()
    guide = _gamma_guide(x_mean, 0.1 * x_sd, 100.0, 100.0 / x_sd)
    fit = _recipe(guide, data)
    pyro.set_rng_seed(1)
    final = estimate_elbo(_model, guide, data, num_particles=10_000)
    return fit, exact_posterior(data).log_evidence - final.elbo


def _kl_by_draws(data, params, seed=2):
    """The notebook's `record`: the KL of fixed (averaged) values, from 10,000 draws in float64."""
    p = {name: torch.tensor(value, dtype=torch.float64) for name, value in params.items()}

    def guide(data):
        pyro.sample("mu", dist.Normal(p["mu_loc"], p["mu_scale"]))
        pyro.sample("sigma", dist.Gamma(p["sigma_shape"], p["sigma_rate"]))

    pyro.set_rng_seed(seed)
    return exact_posterior(data).log_evidence - estimate_elbo(_model, guide, data).elbo


def test_gamma_guide_kl_check(capsys, data, gamma_fit):
    fit, kl_of_final_values = gamma_fit
    post, best = exact_posterior(data), best_normal_gamma_guide(data)
    averaged = _averaged(fit.params)
    elbo = float(normal_gamma_elbo(data, *[averaged[name] for name in GAMMA_PARAMS]))
    kl = post.log_evidence - elbo
    right = [
        Right("closed form, predicted 'above 1'", (kl, fit, "above 1")),
        Right("10,000 draws (record), the traces", (_kl_by_draws(data, averaged), fit.params, 5)),
        Right(
            "estimate_elbo on the trained guide (final values)", (kl_of_final_values, fit, "> 1")
        ),
        Right("closed form, the averaged values", (kl, averaged, "more than 1")),
        Right("a tensor", (torch.tensor(kl), fit, 2.0)),
    ]
    best_params = dict(
        zip(GAMMA_PARAMS, [best.mu_loc, best.mu_scale, best.shape, best.rate], strict=True)
    )
    best_kl = post.log_evidence - best.elbo
    from_prior = {**averaged, "sigma_shape": 1.05, "sigma_rate": 0.1}
    lognormal = {"mu_loc": 1.8, "mu_scale": 0.2, "sigma_loc": 1.4, "sigma_scale": 0.02}
    too_long = {name: np.resize(trace, 5000) for name, trace in fit.params.items()}
    wrong = [
        Wrong("the ELBO", (elbo, fit, "above 1"), names="ELBO itself"),
        Wrong("the loss", (-elbo, fit, "above 1"), names="the loss"),
        Wrong("a negative KL", (-kl, fit, "above 1"), names="never negative"),
        Wrong("the optimum's KL", (best_kl, fit, "above 1"), names="exact optimum"),
        Wrong("best_params and their KL", (best_kl, best_params, "above 1"), names="best_params"),
        Wrong("started from the prior", (5.0, from_prior, "above 1"), names="prior_guide"),
        Wrong("a LogNormal guide's fit", (kl, lognormal, "above 1"), names="LogNormal"),
        Wrong("5,000 steps (sgd_params)", (kl, too_long, "above 1"), names="5,000 steps"),
        Wrong("no fit", (kl, None, "above 1"), names="what train returned"),
        Wrong("text", (f"{kl:.3g}", fit, "above 1"), names="not the text"),
        Wrong("predicted below 0.01", (kl, fit, "below 0.01"), names="ridge"),
        Wrong("predicted 0.005", (kl, fit, 0.005), names="parametrisation"),
        Wrong("predicted neither", (kl, fit, "no idea"), names="says neither"),
    ]
    check = lambda entry: check_gamma_guide_kl(entry[0], entry[1], data, prediction=entry[2])  # noqa: E731
    method_words = ["log_evidence", "estimate_elbo", "record(", "normal_gamma_elbo"]
    assert_bank(check, right, wrong, capsys, empty=(None, fit, None), method_words=method_words)


def test_gamma_guide_kl_stays_above_one_nat(data, gamma_fit):
    """The check's premise: the recipe cannot fix Gamma(shape, rate) in 500 steps."""
    averaged = _averaged(gamma_fit[0].params)
    elbo = float(normal_gamma_elbo(data, *[averaged[name] for name in GAMMA_PARAMS]))
    assert exact_posterior(data).log_evidence - elbo > 1.0


# Exercise 4 ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def few_fit(data):
    """Exercise 4's fit: the recommended recipe on the first 20 points."""
    few = data[:20]
    x_mean, x_sd = few.mean().item(), few.std().item()
    return _recipe(_lognormal_guide(x_mean, 0.1 * x_sd, math.log(x_sd), 0.1), few)


def test_sigma_sd_check(capsys, data, few_fit):
    few = data[:20]
    averaged, final = _averaged(few_fit.params), few_fit.final_params
    loc, scale = averaged["sigma_loc"], averaged["sigma_scale"]
    q_sigma = dist.LogNormal(torch.tensor(loc), torch.tensor(scale))
    sd = q_sigma.stddev.item()
    torch.manual_seed(0)
    draws = q_sigma.sample((100_000,))
    right = [
        Right("LogNormal(...).stddev of the averaged values", (sd, "too narrow")),
        Right(
            "scipy, the final values",
            (
                stats.lognorm(final["sigma_scale"], scale=math.exp(final["sigma_loc"])).std(),
                "narrower",
            ),
        ),
        Right("100,000 draws", (draws.std().item(), "narrow")),
        Right("exp(loc) * scale, the delta method", (math.exp(loc) * scale, "too small")),
        Right(
            "a tensor, 'narrower than the exact posterior'",
            (q_sigma.stddev, "narrower than the exact posterior"),
        ),
    ]
    everything = best_normal_lognormal_guide(data)
    wrong = [
        Wrong(
            "the exact posterior's sd",
            (exact_posterior(few).sigma_sd, "narrow"),
            names="exact posterior's sd",
        ),
        Wrong("sigma_scale", (scale, "narrow"), names="sigma_scale"),
        Wrong("the variance", (sd**2, "narrow"), names="variance"),
        Wrong("the sd of q(mu)", (averaged["mu_scale"], "narrow"), names="q(mu)"),
        Wrong("the mean of q(sigma)", (q_sigma.mean.item(), "narrow"), names="how uncertain"),
        Wrong(
            "the data's sd", (few.std().item(), "narrow"), names="sd of the data points themselves"
        ),
        Wrong(
            "the fit to all 1,000 points",
            (
                dist.LogNormal(everything.sigma_loc, everything.sigma_scale).stddev.item(),
                "narrow",
            ),
            names="all 1,000 points",
        ),
        Wrong("predicted right", (sd, "right"), names="long right tail"),
        Wrong("predicted too wide", (sd, "too wide"), names="mean-field"),
        Wrong("predicted neither", (sd, "no idea"), names="not one of the three"),
        Wrong("predicted a number", (sd, 0.5), names="not one of the three"),
    ]
    check = _pair_check(check_sigma_sd, data, num_points=20)
    method_words = ["LogNormal", "stddev", "averaged", "sigma_loc", "narrow"]
    assert_bank(check, right, wrong, capsys, empty=(None, None), method_words=method_words)


def test_sigma_sd_check_rejects_invalid_data():
    with pytest.raises(ValueError, match="empty"):
        check_sigma_sd(1.0, [])
    with pytest.raises(ValueError, match="first 20"):
        check_sigma_sd(1.0, make_data(seed=0)[:10])
    with pytest.raises(TypeError):
        check_gamma_guide_kl(1.0, {}, "data")
