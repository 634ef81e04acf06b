"""Notebook 08's exercise self-checks, judged against answer banks: the answers every valid method
reaches pass, typical wrong ones fail with feedback that names the mistake, and predictions are
judged once the answer is right."""

import numpy as np
import pyro
import pyro.distributions as dist
import pytest
import torch
from _answer_bank import Right, Wrong, assert_bank, assert_predictions
from pyro import poutine
from pyro.distributions import constraints
from pyro.infer import Predictive, Trace_ELBO

from helpers import exact_posterior
from helpers.checks.core import NO_PREDICTION
from helpers.checks.real_data import (
    check_fixed_nu_mean,
    check_max_p_value,
    check_mean_without_outliers,
    check_outlier_sd_ratio,
)
from helpers.model_checks import (
    exact_predictive_p_value,
    sample_exact_posterior,
    student_t_posterior,
)
from helpers.newcomb import load_newcomb
from helpers.training import train

MU_PRIOR, SIGMA_PRIOR, NU_PRIOR = (0.0, 100.0), (2.0, 0.1), (2.0, 0.1)  # the notebook's
PRIORS = {"mu_prior": MU_PRIOR, "sigma_prior": SIGMA_PRIOR}
NU = 30.0  # exercise 4's fixed nu


# The notebook's models, guides and fitting recipe (fewer steps: the fits converge by then).
def normal_model(data):
    mu = pyro.sample("mu", dist.Normal(*MU_PRIOR))
    sigma = pyro.sample("sigma", dist.Gamma(*SIGMA_PRIOR))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(mu, sigma), obs=data)


def fixed_nu_model(data):
    mu = pyro.sample("mu", dist.Normal(*MU_PRIOR))
    sigma = pyro.sample("sigma", dist.Gamma(*SIGMA_PRIOR))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.StudentT(NU, mu, sigma), obs=data)


def student_t_model(data):
    mu = pyro.sample("mu", dist.Normal(*MU_PRIOR))
    sigma = pyro.sample("sigma", dist.Gamma(*SIGMA_PRIOR))
    nu = pyro.sample("nu", dist.Gamma(*NU_PRIOR))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.StudentT(nu, mu, sigma), obs=data)


def guide(data, with_nu=False):
    mu_loc = pyro.param("mu_loc", data.mean())
    mu_scale = pyro.param("mu_scale", 0.1 * data.std(), constraint=constraints.positive)
    sigma_loc = pyro.param("sigma_loc", data.std().log())
    sigma_scale = pyro.param("sigma_scale", torch.tensor(0.1), constraint=constraints.positive)
    pyro.sample("mu", dist.Normal(mu_loc, mu_scale))
    pyro.sample("sigma", dist.LogNormal(sigma_loc, sigma_scale))
    if with_nu:
        nu_loc = pyro.param("nu_loc", torch.tensor(20.0).log())
        nu_scale = pyro.param("nu_scale", torch.tensor(0.1), constraint=constraints.positive)
        pyro.sample("nu", dist.LogNormal(nu_loc, nu_scale))


def student_t_guide(data):
    guide(data, with_nu=True)


def _fit(model, guide, data, num_steps=300):
    pyro.set_rng_seed(0)
    pyro.clear_param_store()
    optim = pyro.optim.ClippedAdam({"lr": 0.05, "lrd": (0.002 / 0.05) ** (1 / num_steps)})
    loss = Trace_ELBO(num_particles=32, vectorize_particles=True, max_plate_nesting=1)
    result = train(model, guide, data, optim=optim, num_steps=num_steps, loss=loss)
    averaged = {k: v[num_steps // 2 :].mean(axis=0) for k, v in result.params.items()}
    for name, value in averaged.items():
        pyro.get_param_store()[name] = torch.tensor(value)
    return averaged


def _replicates(model, guide, data, num_samples=4000):
    predictive = Predictive(
        poutine.uncondition(model), guide=guide, num_samples=num_samples, parallel=True
    )
    return predictive(data)["obs"]


@pytest.fixture(scope="module")
def data():
    return load_newcomb()


@pytest.fixture(scope="module")
def others(data):
    return data[data > 0]


@pytest.fixture(scope="module")
def normal_fit(data):
    """The normal model fitted to all the data, and 4,000 replicated data sets from it."""
    fitted = _fit(normal_model, guide, data)
    return fitted, _replicates(normal_model, guide, data)


@pytest.fixture(scope="module")
def student_t_fit(data):
    """The Student-t model with a prior on nu, fitted, and 4,000 replicates from it."""
    fitted = _fit(student_t_model, student_t_guide, data)
    return fitted, _replicates(student_t_model, student_t_guide, data)


# Exercise 1: the sd of the 64 others over the sd of all 66.


def test_outlier_sd_ratio_bank(capsys, data, others):
    ratio = others.std() / data.std()  # torch: divisor n - 1
    values = data.numpy().astype(float)
    kept = values[values > 0]
    rounded = float(f"{others.std():.2g}") / float(f"{data.std():.4g}")  # the printed sds
    right = [
        Right("torch, divisor n - 1, a tensor", ratio),
        Right("numpy, divisor n", kept.std() / values.std()),
        Right("mixed divisors", float(others.std()) / values.std()),
        Right("the sds as the notebook prints them", rounded),
    ]
    only_lowest = values[values > values.min()]
    wrong = [
        Wrong("the inverse", 1 / ratio, names="upside down"),
        Wrong("a ratio of variances", others.var() / data.var(), names="variances"),
        Wrong("1 minus the ratio", 1 - ratio, names="1 minus the ratio"),
        Wrong("only -44 left out", only_lowest.std(ddof=1) / values.std(ddof=1), names="only"),
        Wrong("a ratio of means", others.mean() / data.mean(), names="means"),
        Wrong("all values kept", data.std() / data.std(), names="itself"),
        Wrong("text", "0.47", names="text"),
        Wrong("two numbers", [0.47, 1.0], names="single number"),
        Wrong("infinite", float("inf"), names="finite"),
    ]
    assert_bank(
        lambda a: check_outlier_sd_ratio(a, data, prediction=0.5),
        right,
        wrong,
        capsys,
        method_words=["std", "var", "data > 0", "others", "divide"],
    )


def test_outlier_sd_ratio_judges_the_guess(capsys, data, others):
    ratio = float(others.std() / data.std())
    right = [Right("about a half", 0.5), Right("less", 0.4), Right("the ratio", ratio)]
    wrong = [
        Wrong("the text's first guess", 0.9, names="squares the deviations"),
        Wrong("the text's second guess", 0.7, names="squares the deviations"),
        Wrong("far too small", 0.1, names="still scatter"),
        Wrong("text", "less", names="text"),
    ]
    assert_predictions(
        lambda p: check_outlier_sd_ratio(ratio, data, prediction=p), right, wrong, capsys
    )


def test_a_wrong_answer_does_not_reveal_the_result_through_the_prediction(capsys, data):
    assert not check_outlier_sd_ratio(2.1, data, prediction=0.9)
    out = capsys.readouterr().out
    assert "Not yet" in out and "squares" not in out and "your prediction" not in out
    assert not check_outlier_sd_ratio(None, data)
    out = capsys.readouterr().out
    assert "No answer yet" in out and NO_PREDICTION in out


def test_outlier_sd_ratio_needs_positive_data():
    with pytest.raises(ValueError, match="two positive"):
        check_outlier_sd_ratio(1.0, [-1.0, -2.0, 3.0])


# Exercise 2: the normal model's posterior mean without the two low values.


def test_mean_without_outliers_bank(capsys, data, others, student_t_fit):
    without = exact_posterior(others, **PRIORS)
    full = exact_posterior(data, **PRIORS)
    svi = _fit(normal_model, guide, others)["mu_loc"]
    only_lowest = data[data > data.min()]
    right = [
        Right("exact posterior of the others", without.mu_mean),
        Right("the others' sample mean (float32 tensor)", others.mean()),
        Right("an SVI fit to the others", svi),
        Right("float32", np.float32(without.mu_mean)),
    ]
    wrong = [
        Wrong("all 66 values", full.mu_mean, names=f"all {len(data)}"),
        Wrong("only -44 left out", exact_posterior(only_lowest, **PRIORS).mu_mean, names="only"),
        Wrong("the Student-t model's mean", student_t_fit[0]["mu_loc"], names="Student-t"),
        Wrong("the shift", without.mu_mean - full.mu_mean, names="how far the mean moves"),
        Wrong(
            "the shift in sds",
            (without.mu_mean - full.mu_mean) / full.mu_sd,
            names="in posterior sds",
        ),
        Wrong("text", "27.7", names="text"),
    ]
    assert_bank(
        lambda a: check_mean_without_outliers(a, data, MU_PRIOR, SIGMA_PRIOR, prediction=1.5),
        right,
        wrong,
        capsys,
        method_words=["exact_posterior", "mu_mean", "others", "data > 0"],
    )


def test_mean_without_outliers_judges_the_predicted_shift(capsys, data, others):
    without = exact_posterior(others, **PRIORS)
    full = exact_posterior(data, **PRIORS)
    shift = (without.mu_mean - full.mu_mean) / full.mu_sd
    assert shift > 1  # the exercise's premise: up, by more than one posterior sd
    right = [
        Right("the shift", shift),
        Right("up, a little more than one sd", 1.5),
        Right("up, in sds of the new posterior", (without.mu_mean - full.mu_mean) / without.mu_sd),
    ]
    wrong = [
        Wrong("down", -1.0, names="pull the mean down"),
        Wrong("no change", 0.0, names="pull the mean down"),
        Wrong("up, but less than one sd", 0.3, names="too few to matter"),
        Wrong("up, far too much", 20.0, names="only so far"),
    ]
    assert_predictions(
        lambda p: check_mean_without_outliers(
            without.mu_mean, data, MU_PRIOR, SIGMA_PRIOR, prediction=p
        ),
        right,
        wrong,
        capsys,
    )


def test_mean_without_outliers_needs_positive_data():
    with pytest.raises(ValueError, match="two positive"):
        check_mean_without_outliers(1.0, [-1.0, -2.0, 3.0], **PRIORS)


# Exercise 3: the normal model's posterior predictive p-value of the maximum.


def test_max_p_value_bank(capsys, data, normal_fit, student_t_fit):
    values = data.numpy().astype(float)
    expected = exact_predictive_p_value(data, "max", **PRIORS)
    replicated_max = normal_fit[1].max(dim=1).values
    rng = np.random.default_rng(1)
    mu, sigma = sample_exact_posterior(values, *PRIORS.values(), num_samples=1000, seed=1)
    exact_replicates = rng.normal(mu[:, None], sigma[:, None], (1000, values.size))
    prior_mu = rng.normal(*MU_PRIOR, 1000)
    prior_sigma = rng.gamma(SIGMA_PRIOR[0], 1 / SIGMA_PRIOR[1], 1000)
    prior_replicates = rng.normal(prior_mu[:, None], prior_sigma[:, None], (1000, values.size))
    right = [
        Right("exact", expected),
        Right("4,000 replicates from the SVI guide", (replicated_max >= data.max()).float().mean()),
        Right("strict inequality", (replicated_max > data.max()).float().mean().item()),
        Right("1,000 replicates from the exact posterior", np.mean(exact_replicates.max(1) >= 40)),
    ]
    t_max = student_t_fit[1].max(dim=1).values
    # The minimum's p-value in the same convention, P(min(rep) >= min(data)), is near 1 too
    # (1 - 6e-7 against 0.997): it passes by its value, which the check's comment explains.
    wrong = [
        Wrong("the other tail", (replicated_max <= data.max()).float().mean(), names="other tail"),
        Wrong(
            "the minimum's p-value, the other tail",
            (normal_fit[1].min(dim=1).values <= data.min()).float().mean(),
            names="other tail",
        ),
        Wrong("a count", int((replicated_max >= data.max()).sum()), names="count"),
        Wrong("a percentage", 100 * expected, names="percentage"),
        Wrong("single values", (normal_fit[1] >= data.max()).float().mean(), names="single"),
        Wrong(
            "the Student-t model",
            (t_max >= data.max()).float().mean(),
            names="normal model's replicates",
        ),
        Wrong(
            "the prior predictive",
            np.mean(prior_replicates.max(1) >= values.max()),
            names="normal model's replicates",
        ),
        Wrong("not a probability", 1.2, names="between 0 and 1"),
        Wrong("text", "0.99", names="text"),
    ]
    assert_bank(
        lambda a: check_max_p_value(a, data, MU_PRIOR, SIGMA_PRIOR, prediction=0.99),
        right,
        wrong,
        capsys,
        method_words=["normal_replicates", "max(", ">=", "fraction"],
    )


def test_max_p_value_judges_the_guess(capsys, data):
    expected = exact_predictive_p_value(data, "max", **PRIORS)
    assert expected > 0.9  # the exercise's premise: near 1
    right = [Right("near 1", 0.99), Right("just near 1", 0.95), Right("1", 1)]
    wrong = [
        Wrong("near 0, like the minimum's", 0.01, names="other way round"),
        Wrong("in between", 0.5, names="nothing unusual"),
        Wrong("not a probability", 1.5, names="not a p-value"),
        Wrong("words", "near 1", names="number between 0 and 1"),
    ]
    assert_predictions(
        lambda p: check_max_p_value(expected, data, MU_PRIOR, SIGMA_PRIOR, prediction=p),
        right,
        wrong,
        capsys,
    )


# Exercise 4: the posterior mean of mu with nu fixed at 30.


def test_fixed_nu_mean_bank(capsys, data, student_t_fit):
    reference = student_t_posterior(data, NU, **PRIORS)
    svi = _fit(fixed_nu_model, guide, data)
    right = [
        Right("grid (exact)", reference.mu_mean),
        Right("SVI with the normal guide", svi["mu_loc"]),
        Right("SVI, as a tensor", torch.tensor(svi["mu_loc"])),
    ]
    wrong = [
        Wrong("the normal model", exact_posterior(data, **PRIORS).mu_mean, names="normal model"),
        Wrong("nu with a prior", student_t_fit[0]["mu_loc"], names=f"fix nu at {NU:g}"),
        Wrong("nu = 4", student_t_posterior(data, 4.0, **PRIORS).mu_mean, names="fix nu at"),
        Wrong("the posterior sd", svi["mu_scale"], names="sd of mu"),
        Wrong("two numbers", torch.tensor([1.0, 2.0]), names="single number"),
    ]
    assert_bank(
        lambda a: check_fixed_nu_mean(a, data, NU, MU_PRIOR, SIGMA_PRIOR, prediction="Student-t"),
        right,
        wrong,
        capsys,
        method_words=["normal_guide", "StudentT", "mu_loc", "fit("],
    )


def test_fixed_nu_mean_judges_the_prediction(capsys, data):
    reference = student_t_posterior(data, NU, **PRIORS)
    normal = exact_posterior(data, **PRIORS).mu_mean
    heavy = student_t_posterior(data, 4.0, **PRIORS).mu_mean
    assert abs(reference.mu_mean - heavy) < abs(reference.mu_mean - normal)  # nearer the t's
    right = [
        Right("named", "Student-t"),
        Right("named loosely", " the student-t model "),
        Right("t", "t"),
        Right("a mean nearer the t's", heavy - 0.1),
    ]
    wrong = [
        Wrong("normal", "normal", names="log density"),
        Wrong("a mean nearer the normal's", normal + 0.1, names="log density"),
        Wrong("neither", "no idea", names="neither model"),
    ]
    assert_predictions(
        lambda p: check_fixed_nu_mean(
            reference.mu_mean, data, NU, MU_PRIOR, SIGMA_PRIOR, prediction=p
        ),
        right,
        wrong,
        capsys,
    )


@pytest.mark.parametrize("nu", [0.0, -1.0, float("inf")])
def test_fixed_nu_mean_check_rejects_an_impossible_nu(data, nu):
    with pytest.raises(ValueError, match="nu"):
        check_fixed_nu_mean(27.0, data, nu, **PRIORS)
