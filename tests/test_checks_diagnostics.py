"""Notebook 07's exercise self-checks, judged against answer banks: the answers every valid method
reaches pass, typical wrong ones fail with feedback that names the mistake, and predictions are
judged once the answer is right."""

import math
import warnings

import numpy as np
import pyro
import pyro.distributions as dist
import pytest
import torch
from _answer_bank import Right, Wrong, assert_bank, assert_predictions
from pyro.distributions import constraints
from pyro.infer import SVI, Trace_ELBO
from pyro.infer.importance import psis_diagnostic
from scipy import stats
from scipy.special import logsumexp

from helpers import make_data
from helpers.checks.core import NO_PREDICTION
from helpers.checks.diagnostics import (
    check_ess_fraction,
    check_median_p_value,
    check_wide_guide,
    check_wide_sbc_p_value,
)
from helpers.diagnostics import (
    importance_diagnostics,
    pareto_k_hat,
    rank_histogram,
    simulate_sbc,
)
from helpers.elbo_surface import best_normal_lognormal_guide
from helpers.model_checks import sample_exact_posterior
from helpers.training import estimate_elbo


# The notebook's model, guide and guides with fixed parameters.
def model(data):
    mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
    sigma = pyro.sample("sigma", dist.Gamma(1.0, 0.1))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(mu, sigma), obs=data)


def guide(data):
    mu_loc = pyro.param("mu_loc", data.mean())
    mu_scale = pyro.param("mu_scale", torch.tensor(0.1), constraint=constraints.positive)
    sigma_loc = pyro.param("sigma_loc", data.std().log())
    sigma_scale = pyro.param("sigma_scale", torch.tensor(0.1), constraint=constraints.positive)
    pyro.sample("mu", dist.Normal(mu_loc, mu_scale))
    pyro.sample("sigma", dist.LogNormal(sigma_loc, sigma_scale))


def fixed_guide(mu_loc, mu_scale, sigma_loc, sigma_scale):
    def guide_(data):
        pyro.sample("mu", dist.Normal(mu_loc, mu_scale))
        pyro.sample("sigma", dist.LogNormal(sigma_loc, sigma_scale))

    return guide_


def log_weights(guide_, data, num_particles=10_000):
    pyro.set_rng_seed(0)
    return estimate_elbo(model, guide_, data, num_particles=num_particles).log_weights


@pytest.fixture(scope="module")
def data():
    return make_data(seed=0)


@pytest.fixture(scope="module")
def best_params(data):
    best = best_normal_lognormal_guide(data)
    return [best.mu_loc, best.mu_scale, best.sigma_loc, best.sigma_scale]


def scaled_guide(best_params, factor):
    mu_loc, mu_scale, sigma_loc, sigma_scale = best_params
    return fixed_guide(mu_loc, factor * mu_scale, sigma_loc, factor * sigma_scale)


@pytest.fixture(scope="module")
def section_3_weights(data, best_params):
    """Section 3's three guides and their log weights, as the notebook's `weights`."""
    factors = {"optimum": 1.0, "too narrow (sd / 3)": 1 / 3, "too wide (sd x 3)": 3.0}
    return {label: log_weights(scaled_guide(best_params, f), data) for label, f in factors.items()}


# Exercise 1: the ESS / S of the guide where the loose stopping rule fired (step 20).


@pytest.fixture(scope="module")
def early_log_weights(data):
    """The notebook's recipe run for 20 steps (where the loose rule stops), then 10,000 draws."""
    pyro.set_rng_seed(0)
    pyro.clear_param_store()
    optimizer = pyro.optim.ClippedAdam({"lr": 0.05, "lrd": (0.002 / 0.05) ** (1 / 500)})
    elbo = Trace_ELBO(num_particles=32, vectorize_particles=True, max_plate_nesting=1)
    svi = SVI(model, guide, optimizer, elbo)
    for _ in range(20):
        svi.step(data)
    names = ("mu_loc", "mu_scale", "sigma_loc", "sigma_scale")
    return log_weights(fixed_guide(*(pyro.param(name).item() for name in names)), data)


def test_ess_fraction_bank(capsys, early_log_weights, section_3_weights):
    lw = early_log_weights
    w = np.exp(lw - lw.max())
    ess = w.sum() ** 2 / (w**2).sum() / len(w)
    t = torch.tensor(lw, dtype=torch.float32)
    wt = torch.exp(t - t.max())
    normalised = np.exp(lw - logsumexp(lw))
    right = [
        Right("numpy, float64", ess),
        Right("torch, float32, a tensor", wt.sum() ** 2 / (wt**2).sum() / len(wt)),
        Right("logsumexp", np.exp(2 * logsumexp(lw) - logsumexp(2 * lw)) / len(lw)),
        Right("1 / sum of squared normalised weights", 1 / (normalised**2).sum() / len(lw)),
        Right("mean(w)^2 / mean(w^2)", w.mean() ** 2 / (w**2).mean()),
        Right("importance_diagnostics", importance_diagnostics(lw).ess_fraction),
        Right("rounded to 3 figures", float(f"{ess:.3g}")),
    ]
    with np.errstate(invalid="ignore", over="ignore"):
        raw = np.exp(lw)
        overflowed = raw.sum() ** 2 / (raw**2).sum() / len(raw)
    assert math.isnan(overflowed)  # the premise: without the shift, 0 / 0
    perplexity = np.exp(-np.sum(normalised * np.log(normalised + 1e-300))) / len(lw)
    wrong = [
        Wrong("no shift before exp: 0 / 0", overflowed, names="subtract the largest"),
        Wrong(
            "no shift, torch", torch.exp(t).sum() ** 2 / torch.exp(t).pow(2).sum(), names="0 / 0"
        ),
        Wrong("log weights as weights", lw.sum() ** 2 / (lw**2).sum() / len(lw), names="exponent"),
        Wrong("the ESS, not a fraction", ess * len(lw), names="number of draws"),
        Wrong("a percentage", 100 * ess, names="percentage"),
        Wrong("upside down", (w**2).sum() / w.sum() ** 2 * len(w), names="upside down"),
        Wrong("upside down, not a fraction", (w**2).sum() / w.sum() ** 2, names="upside down"),
        Wrong("entropy-based ESS", perplexity, names="entropy"),
        Wrong(
            "the too-narrow guide (section 3, the old exercise)",
            importance_diagnostics(section_3_weights["too narrow (sd / 3)"]).ess_fraction,
            names="too narrow",
        ),
        Wrong(
            "the optimum",
            importance_diagnostics(section_3_weights["optimum"]).ess_fraction,
            names="optimum",
        ),
        Wrong("text", "0.7", names="text"),
        Wrong("all the weights", w, names="single number"),
    ]
    assert_bank(
        lambda a: check_ess_fraction(a, lw, others=section_3_weights),
        right,
        wrong,
        capsys,
        method_words=["exp", "max", "sum", "logsumexp", "w**2"],
    )


def test_ess_fraction_check_rejects_invalid_weights():
    with pytest.raises(TypeError):
        check_ess_fraction(0.5, "weights")
    with pytest.raises(ValueError, match="NaN"):
        check_ess_fraction(0.5, [0.0, float("nan")])


# Exercise 2: the posterior predictive p-value of the median.


@pytest.fixture(scope="module")
def replicated(data):
    """1,000 replicated data sets, from exact posterior draws (as the fitted guide's would be),
    in float32 like the notebook's."""
    x = data.numpy().astype(float)
    mu, sigma = sample_exact_posterior(x, num_samples=1000, seed=0)
    rng = np.random.default_rng(0)
    return rng.normal(mu[:, None], sigma[:, None], (1000, x.size)).astype(np.float32)


def test_median_p_value_bank(capsys, data, replicated):
    x = data.numpy()
    rep_medians = np.median(replicated, axis=1)
    p = np.mean(rep_medians >= np.median(x))
    assert 0.55 < p < 0.95  # the premise: p is not 0.5, so the other tail is told apart
    reps = torch.from_numpy(replicated)
    right = [
        Right("numpy, >=", p),
        Right("numpy, >", np.mean(rep_medians > np.median(x))),
        Right("torch.median of the data", np.mean(rep_medians >= data.median().item())),
        Right(
            "torch.median throughout", (reps.median(dim=1).values >= data.median()).float().mean()
        ),
        Right("torch.quantile", (reps.quantile(0.5, dim=1) >= data.quantile(0.5)).double().mean()),
        Right("rounded to 2 decimals", round(float(p), 2)),
    ]
    statistic = {"mean": np.mean, "max": np.max}
    copied = {name: np.mean(f(replicated, axis=1) >= f(x)) for name, f in statistic.items()}
    wrong = [
        Wrong("the other tail", np.mean(rep_medians <= np.median(x)), names="other tail"),
        Wrong("two-sided", 2 * min(p, 1 - p), names="two-sided"),
        Wrong(
            "medians down the columns",
            np.mean(np.median(replicated, axis=0) >= np.median(x)),
            names="axis 0",
        ),
        Wrong("against the data's mean", np.mean(rep_medians >= x.mean()), names="data's mean"),
        Wrong("single values", np.mean(replicated >= np.median(x)), names="single"),
        Wrong("the mean's p-value, from section 4", copied["mean"], names="of the mean"),
        Wrong("the max's p-value, from section 4", copied["max"], names="of the max"),
        Wrong("a percentage", 100 * p, names="percentage"),
        Wrong("a count", int(np.sum(rep_medians >= np.median(x))), names="count"),
        Wrong("not a probability", 1.5, names="between 0 and 1"),
        Wrong("text", "0.6", names="text"),
    ]
    assert_bank(
        lambda a: check_median_p_value(a, replicated, data, prediction="not extreme"),
        right,
        wrong,
        capsys,
        method_words=["np.median", "axis", ">=", "mean("],
    )


def test_median_p_value_judges_the_prediction(capsys, data, replicated):
    p = float(np.mean(np.median(replicated, axis=1) >= np.median(data.numpy())))
    assert min(p, 1 - p) >= 0.01  # the premise: not extreme
    right = [
        Right("in words", "not extreme"),
        Right("loosely", " Not extreme! "),
        Right("a p-value in between", 0.4),
        Right("a p-value near 0.5", 0.5),
    ]
    wrong = [
        Wrong("extreme", "extreme", names="location"),
        Wrong("an extreme p-value", 0.001, names="location"),
        Wrong("neither", "maybe", names="not one of the two"),
        Wrong("a bool", True, names="ambiguous"),
        Wrong("not a p-value", 3.0, names="not a p-value"),
    ]
    assert_predictions(
        lambda guess: check_median_p_value(p, replicated, data, prediction=guess),
        right,
        wrong,
        capsys,
    )


def test_a_wrong_answer_does_not_reveal_the_result_through_the_prediction(capsys, data, replicated):
    assert not check_median_p_value(0.2, replicated, data, prediction="extreme")
    out = capsys.readouterr().out
    assert "Not yet" in out and "location" not in out and "your prediction" not in out
    assert not check_median_p_value(None, replicated, data)
    out = capsys.readouterr().out
    assert "No answer yet" in out and NO_PREDICTION in out


def test_median_p_value_check_needs_one_data_set_per_row():
    with pytest.raises(ValueError, match="2-D"):
        check_median_p_value(0.5, np.zeros(10), np.zeros(10))
    with pytest.raises(ValueError, match="same size"):
        check_median_p_value(0.5, np.zeros((5, 10)), np.zeros(9))


# Exercise 3: k-hat and ESS / S of the guide twice as wide as the optimum.


@pytest.fixture(scope="module")
def wide_log_weights(data, best_params):
    return log_weights(scaled_guide(best_params, 2.0), data)


def test_wide_guide_bank(capsys, data, best_params, wide_log_weights, section_3_weights):
    lw = wide_log_weights
    diagnostics = importance_diagnostics(lw)
    k, ess = diagnostics.k_hat, diagnostics.ess_fraction
    pyro.set_rng_seed(1)
    k_pyro = psis_diagnostic(model, scaled_guide(best_params, 2.0), data, max_plate_nesting=1)
    few = importance_diagnostics(log_weights(scaled_guide(best_params, 2.0), data, 1000))
    right = [
        Right("importance_diagnostics, 10,000 draws", (k, ess)),
        Right("the ImportanceDiagnostics itself", diagnostics),
        Right("pareto_k_hat and the formula", [pareto_k_hat(lw), ess]),
        Right("psis_diagnostic (1,000 draws) and the Gaussian formula", (k_pyro, 7 / 16)),
        Right("both from 1,000 draws", (few.k_hat, few.ess_fraction)),
        Right("as a tensor", torch.tensor([k, ess])),
    ]
    too_wide = importance_diagnostics(section_3_weights["too wide (sd x 3)"])
    optimum = importance_diagnostics(section_3_weights["optimum"])
    half = importance_diagnostics(log_weights(scaled_guide(best_params, 0.5), data))
    wrong = [
        Wrong("swapped", (ess, k), names="swapped"),
        Wrong(
            "the 3x guide, from section 3's table",
            (too_wide.k_hat, too_wide.ess_fraction),
            names="three times",
        ),
        Wrong("the optimum", (optimum.k_hat, optimum.ess_fraction), names="optimum"),
        Wrong("half as wide", (half.k_hat, half.ess_fraction), names="scaled_guide(0.5)"),
        Wrong("the ESS as a count", (k, ess * len(lw)), names="number of draws"),
        Wrong("the ESS as a percentage", (k, 100 * ess), names="percentage"),
        Wrong("the sd of log w", (k, lw.std()), names="sd of the log weights"),
        Wrong("the one-dimensional formula", (k, math.sqrt(7) / 4), names="one parameter"),
        Wrong("k-hat of the losses", (pareto_k_hat(-lw), ess), names="-log w"),
        Wrong("k-hat only", k, names="pair"),
        Wrong("three numbers", (k, ess, lw.std()), names="two numbers"),
        Wrong("text", "(-0.9, 0.44)", names="text"),
        Wrong("not finite", (float("nan"), ess), names="finite"),
    ]
    assert_bank(
        lambda a: check_wide_guide(a, data, prediction=-1.0),
        right,
        wrong,
        capsys,
        method_words=["scaled_guide", "estimate_elbo", "pareto_k_hat", "importance_diagnostics"],
    )


def test_wide_guide_judges_the_prediction(capsys, data, wide_log_weights):
    d = importance_diagnostics(wide_log_weights)
    right = [
        Right("about -1", -1.0),
        Right("negative, small", -0.2),
        Right("in words", "negative"),
        Right("in words, loosely", "k-hat < 0: looks perfect"),
        Right("a number as text", "-1"),
    ]
    wrong = [
        Wrong("good but positive", 0.3, names="tail"),
        Wrong("bad", 0.9, names="narrower than the posterior"),
        Wrong("zero", 0, names="bounded"),
        Wrong("positive, in words", "positive", names="bounded"),
        Wrong("negated", "not negative", names="bounded"),
        Wrong("no sign", "no idea", names="no sign"),
        Wrong("a bool", False, names="no sign"),
    ]
    assert_predictions(
        lambda guess: check_wide_guide((d.k_hat, d.ess_fraction), data, prediction=guess),
        right,
        wrong,
        capsys,
    )


# Exercise 4: SBC of the guide twice too wide: any valid test of uniformity, and the shape.


def _uniformity_p_values(ranks, num_draws=99):
    """p-values of every valid test of the uniformity of ranks 0..num_draws."""
    p_values = {}
    for bins in (4, 5, 10, 20, 25, 50, 100):
        counts = np.bincount(ranks // ((num_draws + 1) // bins), minlength=bins)
        p_values[f"chi-square, {bins} bins"] = stats.chisquare(counts).pvalue
    scaled = (ranks + 0.5) / (num_draws + 1)
    p_values["Kolmogorov-Smirnov, mid-ranks"] = stats.kstest(scaled, "uniform").pvalue
    p_values["Kolmogorov-Smirnov, ranks / L"] = stats.kstest(ranks / num_draws, "uniform").pvalue
    p_values["Kolmogorov-Smirnov, discrete"] = stats.kstest(
        ranks, stats.randint(0, num_draws + 1).cdf
    ).pvalue
    p_values["Cramer-von Mises"] = stats.cramervonmises(scaled, "uniform").pvalue
    return p_values


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wide_sbc_p_value_bank(capsys, seed):
    wide = simulate_sbc(1000, sd_factor=2.0, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns that its tiny p-values are approximate
        p_values = _uniformity_p_values(wide.ranks["mu"])
    p = rank_histogram(wide.ranks["mu"], 99).p_value
    right = [Right(how, value) for how, value in p_values.items()]
    right += [Right("rank_histogram", p), Right("as a numpy float", np.float64(p))]

    def p_of(sd_factor, name="mu"):
        result = simulate_sbc(1000, sd_factor=sd_factor, seed=seed)
        return rank_histogram(result.ranks[name], 99).p_value

    counts = rank_histogram(wide.ranks["mu"], 99).counts
    chi_square = stats.chisquare(counts)
    wrong = [
        Wrong("the optimum's, from section 5", p_of(1.0), names="optimal guide"),
        Wrong("the too-narrow guide's, from section 5", p_of(1 / 3), names="too-narrow"),
        Wrong("twice too narrow", p_of(0.5), names="sd_factor=0.5"),
        Wrong("three times too wide, as in section 3", p_of(3.0), names="three times"),
        Wrong("the ranks of sigma", p_of(2.0, "sigma"), names="sigma"),
        Wrong("a percentage", 100 * p, names="percentage"),
        Wrong("1 - p (the cdf)", stats.chi2.cdf(chi_square.statistic, 19), names="1 - p"),
        Wrong("the statistic", chi_square.statistic, names="statistic"),
        Wrong("a p-value that would not reject", 0.5),
        Wrong("text", "1e-90", names="text"),
    ]
    assert_bank(
        lambda a: check_wide_sbc_p_value(a, seed, prediction="hump"),
        right,
        wrong,
        capsys,
        method_words=["simulate_sbc", "rank_histogram", "sd_factor", "chisquare", "kstest"],
    )


def test_wide_sbc_judges_the_predicted_shape(capsys):
    p = rank_histogram(simulate_sbc(1000, sd_factor=2.0, seed=0).ranks["mu"], 99).p_value
    right = [
        Right("hump", "hump"),
        Right("in a sentence", "a hump in the middle"),
        Right("inverted U", "inverted U"),
        Right("another word", "a bell"),
    ]
    wrong = [
        Wrong("U, like the too-narrow guide", "U", names="too often"),
        Wrong("U, in a sentence", "a U shape", names="too often"),
        Wrong("flat", "flat", names="calibrated"),
        Wrong("slope", "slope", names="biased"),
        Wrong("none of the four", "no idea", names="four shapes"),
        Wrong("negated", "non-uniform", names="four shapes"),
        Wrong("a number", 3, names="not a shape"),
    ]
    assert_predictions(
        lambda guess: check_wide_sbc_p_value(p, 0, prediction=guess), right, wrong, capsys
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_wide_guide_accepts_other_data_sets(capsys, seed):
    data = make_data(seed=seed)
    best = best_normal_lognormal_guide(data)
    params = [best.mu_loc, best.mu_scale, best.sigma_loc, best.sigma_scale]
    d = importance_diagnostics(log_weights(scaled_guide(params, 2.0), data))
    assert check_wide_guide((d.k_hat, d.ess_fraction), data, prediction="negative")
    too_wide = importance_diagnostics(log_weights(scaled_guide(params, 3.0), data))
    assert not check_wide_guide((too_wide.k_hat, too_wide.ess_fraction), data, prediction=-1)
    assert "three times" in capsys.readouterr().out
