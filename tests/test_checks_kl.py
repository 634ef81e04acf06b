"""Notebook 06's exercise self-checks, each judged on its answer bank (tests/_answer_bank.py):
right answers by every valid method pass, typical wrong ones fail with feedback naming them."""

import math

import numpy as np
import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro.infer import Trace_ELBO
from scipy import optimize, stats
from torch.distributions import constraints, kl_divergence

from helpers.checks.kl import (
    check_lopsided_kl,
    check_mean_field_sd,
    check_moment_matched,
    check_student_t_ratio,
    lopsided_best_kl_qp,
    lopsided_moments,
    student_t_sd_ratio,
)
from helpers.divergences import fit_gaussian_on_grid, gaussian_mixture_logpdf, kl_on_grid
from helpers.training import estimate_elbo, train
from tests._answer_bank import Right, Wrong, assert_bank

LOPSIDED = ([0.3, 0.7], [-2.0, 2.0], [0.6, 0.6])


def _pair_check(check, **kwargs):
    """A check of (answer, prediction) as a check of one answer, for assert_bank."""
    return lambda pair: check(pair[0], prediction=pair[1], **kwargs)


def _fit(model, guide, num_steps=500):
    """The notebook's `fit`: ClippedAdam with decay, 64 vectorised particles, and the average of
    the last half of the steps."""
    pyro.clear_param_store()
    pyro.set_rng_seed(0)
    loss = Trace_ELBO(num_particles=64, vectorize_particles=True, max_plate_nesting=0)
    optim = pyro.optim.ClippedAdam({"lr": 0.1, "lrd": 0.02 ** (1 / num_steps)})
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as helpers.setup() does in the notebooks: faster at this size
    try:
        result = train(model, guide, optim=optim, num_steps=num_steps, loss=loss)
    finally:
        torch.set_num_threads(threads)
    return {k: v[num_steps // 2 :].mean(axis=0) for k, v in result.params.items()}


def _normal_guide(init_loc, event=False):
    shape = (2,) if event else ()

    def guide():
        z_loc = pyro.param("z_loc", torch.full(shape, float(init_loc)))
        z_scale = pyro.param("z_scale", torch.ones(shape), constraint=constraints.positive)
        q = dist.Normal(z_loc, z_scale)
        pyro.sample("z", q.to_event(1) if event else q)

    return guide


# Exercise 1 ---------------------------------------------------------------------------------


def _correlated(rho):
    cov = torch.tensor([[1.0, rho], [rho, 1.0]], dtype=torch.float64)
    return dist.MultivariateNormal(torch.zeros(2, dtype=torch.float64), covariance_matrix=cov)


def _kl_mean_field(params, p):
    """KL(q || p) of a mean-field q with params (mean 1, mean 2, log sd 1, log sd 2)."""
    params = torch.as_tensor(params, dtype=torch.float64)
    q = dist.MultivariateNormal(params[:2], covariance_matrix=torch.diag(params[2:].exp() ** 2))
    return kl_divergence(q, p).item()


def test_mean_field_sd_check_judges_the_answer_and_the_prediction(capsys):
    rho = 0.5
    p = _correlated(rho)
    by_minimising = optimize.minimize(_kl_mean_field, x0=[0.5, -0.5, 0.0, 0.0], args=(p,))
    precision = torch.linalg.inv(p.covariance_matrix)

    def model_2d():
        pyro.sample("z", dist.MultivariateNormal(torch.zeros(2), p.covariance_matrix.float()))

    by_svi = _fit(model_2d, _normal_guide(0.0, event=True))["z_scale"]
    formula = math.sqrt(1 - rho**2)
    right = [
        Right("the formula, predicted 1", (formula, 1)),
        Right(
            "1 / sqrt(precision[0, 0]), 'closer to 1'", (1 / precision[0, 0].sqrt(), "closer to 1")
        ),
        Right("minimising kl_mean_field, predicted 0.9", (np.exp(by_minimising.x[2]), 0.9)),
        Right("SVI with a mean-field guide, predicted 0.8", (float(by_svi[0]), 0.8)),
        Right("SVI's other coordinate, 'one'", (float(by_svi[1]), "closer to one")),
    ]
    wrong = [
        Wrong("the variance", (1 - rho**2, 1), names="variance"),
        Wrong("the marginal sd", (1.0, 1), names="marginal sd"),
        Wrong("copied from rho = 0.9", (math.sqrt(1 - 0.9**2), 1), names="rho = 0.9"),
        Wrong("the root of the precision", (1 / formula, 1), names="root of the precision"),
        Wrong("the precision", (1 / (1 - rho**2), 1), names="precision"),
        Wrong("sqrt(1 - rho)", (math.sqrt(1 - rho), 1), names="sqrt(1 - rho)"),
        Wrong("the log sd from the optimiser", (by_minimising.x[2], 1), names="log of the sd"),
        Wrong("text", ("0.866", 1), names="not the text"),
        Wrong("predicted 0.5", (formula, 0.5), names="only 13%"),
        Wrong("predicted wider", (formula, 1.2), names="never wider"),
        Wrong("predicted two numbers", (formula, "0.5 or 1"), names="not one number"),
    ]
    check = _pair_check(check_mean_field_sd, rho=rho)
    method_words = ["sqrt", "precision", "1 - rho", "kl_mean_field", "conditional"]
    assert_bank(check, right, wrong, capsys, empty=(None, None), method_words=method_words)


def test_mean_field_sd_check_wants_a_prediction(capsys):
    assert not check_mean_field_sd(math.sqrt(0.75), rho=0.5)
    out = capsys.readouterr().out
    assert "Correct" in out and "No prediction yet: write it down before you run anything" in out


@pytest.mark.parametrize("rho", [1.0, -1.5, float("nan")])
def test_mean_field_sd_check_rejects_an_impossible_correlation(rho):
    with pytest.raises(ValueError, match="rho"):
        check_mean_field_sd(0.5, rho=rho)


# Exercise 2 ---------------------------------------------------------------------------------


def test_lopsided_moments_are_the_mixture_mean_and_sd():
    mean, sd = lopsided_moments()
    assert mean == pytest.approx(0.3 * -2 + 0.7 * 2)
    assert sd == pytest.approx(math.sqrt(0.36 + 4 - 0.8**2))


def test_moment_matched_check(capsys):
    weights, locs, scales = (np.array(v) for v in LOPSIDED)
    mean = weights @ locs
    variance = weights @ (scales**2 + locs**2) - mean**2
    grid = np.linspace(-20, 20, 4001)
    by_fit = fit_gaussian_on_grid(gaussian_mixture_logpdf(grid, *LOPSIDED), grid, "kl_pq")
    torch.manual_seed(0)
    mixture = dist.MixtureSameFamily(
        dist.Categorical(torch.tensor(LOPSIDED[0])),
        dist.Normal(torch.tensor(LOPSIDED[1]), torch.tensor(LOPSIDED[2])),
    )
    draws = mixture.sample((100_000,)).double()
    right = [
        Right("moments by hand", (mean, math.sqrt(variance))),
        Right("fit_gaussian_on_grid, 'kl_pq'", (by_fit.loc, by_fit.scale)),
        Right("100,000 draws", (draws.mean().item(), draws.std().item())),
        Right("a numpy array", np.array([mean, math.sqrt(variance)])),
        Right("a tensor", torch.tensor([mean, math.sqrt(variance)])),
    ]
    sd = math.sqrt(variance)
    wrong = [
        Wrong("the variance", (mean, variance), names="variance"),
        Wrong("swapped", (sd, mean), names="wrong way round"),
        Wrong("the 50/50 target's", (0.0, math.sqrt(0.6**2 + 2**2)), names="50/50"),
        Wrong("sqrt(E[z^2])", (mean, math.sqrt(weights @ (scales**2 + locs**2))), names="E[z^2]"),
        Wrong(
            "spread of the means only",
            (mean, math.sqrt(weights @ locs**2 - mean**2)),
            names="within-component",
        ),
        Wrong("within-component only", (mean, weights @ scales), names="within-component spread"),
        Wrong("the heavier mode (KL(q || p))", (2.0, 0.6), names="heavier mode"),
        Wrong("weights swapped", (weights[::-1] @ locs, sd), names="swapped"),
        Wrong("one number", mean, names="pair"),
        Wrong("text", "0.8, 1.93", names="not the text"),
        Wrong("three numbers", (mean, sd, 0.0), names="two finite numbers"),
        Wrong("off", (0.5, 1.5), names="mean is too small and the sd is too small"),
    ]
    method_words = ["variance", "E[z^2]", "0.6^2", "moment", "kl_pq", "within"]
    assert_bank(check_moment_matched, right, wrong, capsys, method_words=method_words)


# Exercise 3 ---------------------------------------------------------------------------------


def test_lopsided_kl_is_close_to_log_one_over_the_heavy_weight():
    assert lopsided_best_kl_qp() == pytest.approx(math.log(1 / 0.7), abs=0.005)


def test_lopsided_kl_check_judges_the_answer_and_the_prediction(capsys):
    grid = np.linspace(-20, 20, 4001)
    log_p = gaussian_mixture_logpdf(grid, *LOPSIDED)
    fits = {s: fit_gaussian_on_grid(log_p, grid, "kl_qp", init=(s, 1.0)) for s in (-3.0, 3.0)}
    smaller = min(f.divergence for f in fits.values())
    target = dist.MixtureSameFamily(
        dist.Categorical(torch.tensor(LOPSIDED[0])),
        dist.Normal(torch.tensor(LOPSIDED[1]), torch.tensor(LOPSIDED[2])),
    )

    def model():
        pyro.sample("z", target)

    q = _fit(model, _normal_guide(3.0))
    by_svi = kl_on_grid(stats.norm.logpdf(grid, q["z_loc"], q["z_scale"]), log_p, grid)
    pyro.set_rng_seed(0)
    # the param store holds the SVI fit's last values, which the guide reads; the KL is -ELBO
    by_draws = -estimate_elbo(
        model, _normal_guide(3.0), num_particles=100_000, max_plate_nesting=0
    ).elbo
    by_pq = fit_gaussian_on_grid(log_p, grid, "kl_pq", init=(1.0, 1.0)).divergence
    rule = math.log(1 / 0.7)
    right = [
        Right("the two grid fits, predicted by the rule", (smaller, rule)),
        Right("the rule ln(1 / 0.7), predicted 0.3", (rule, 0.3)),
        Right("SVI from +3, by quadrature, 'about 0.4'", (by_svi, "about 0.4")),
        Right("SVI from +3, 100,000 draws", (by_draws, 0.35)),
    ]
    wrong = [
        Wrong("the larger one", (fits[-3.0].divergence, rule), names="lighter mode"),
        Wrong("ln 2 from above", (math.log(2), rule), names="ln 2"),
        Wrong("KL(p || q)", (by_pq, rule), names="KL(p || q)"),
        Wrong("negative", (math.log(0.7), rule), names="never negative"),
        Wrong("base 10", (math.log10(1 / 0.7), rule), names="base-10"),
        Wrong("the missing weight", (0.3, rule), names="leaves out"),
        Wrong("the weight q sits on", (0.7, rule), names="sits on"),
        Wrong("predicted ln 2", (smaller, math.log(2)), names="both modes weigh 1/2"),
        Wrong("predicted the lighter mode", (smaller, math.log(1 / 0.3)), names="lighter mode"),
        Wrong("predicted zero", (smaller, 0), names="zero only when q = p"),
        Wrong("predicted a formula in text", (smaller, "ln(1/0.7)"), names="formula in text"),
        Wrong("predicted too small", (smaller, 0.1), names="heavier mode"),
    ]
    check = _pair_check(check_lopsided_kl)
    method_words = ["ln(", "log", "fit_gaussian_on_grid", "kl_qp", "1 / w", "0.7"]
    assert_bank(check, right, wrong, capsys, empty=(None, None), method_words=method_words)


# Exercise 4 ---------------------------------------------------------------------------------


def test_student_t_ratio_is_below_one_and_tends_to_one_for_light_tails():
    assert 0.85 < student_t_sd_ratio(5.0) < 0.95
    assert student_t_sd_ratio(3.0) < student_t_sd_ratio(5.0) < student_t_sd_ratio(50.0) < 1.0
    assert student_t_sd_ratio(50.0) > 0.99


def test_student_t_ratio_check(capsys):
    df, t_sd = 5.0, math.sqrt(5 / 3)
    wide, narrow = np.linspace(-80, 80, 16001), np.linspace(-20, 20, 4001)
    on = {
        name: {d: fit_gaussian_on_grid(stats.t.logpdf(g, df), g, d) for d in ("kl_qp", "kl_pq")}
        for name, g in [("wide", wide), ("narrow", narrow)]
    }

    def model():
        pyro.sample("z", dist.StudentT(df))

    by_svi = _fit(model, _normal_guide(0.0))["z_scale"]
    fitted = on["wide"]["kl_qp"].scale
    ratio = fitted / t_sd
    right = [
        Right("wide grid, over sqrt(df / (df - 2))", ratio),
        Right("the notebook's grid", on["narrow"]["kl_qp"].scale / t_sd),
        Right("over the KL(p || q) fit, wide grid", fitted / on["wide"]["kl_pq"].scale),
        Right(
            "over the KL(p || q) fit, the notebook's grid",
            on["narrow"]["kl_qp"].scale / on["narrow"]["kl_pq"].scale,
        ),
        Right("SVI with a Normal guide", float(by_svi) / t_sd),
        Right("a tensor", torch.tensor(ratio)),
    ]
    wrong = [
        Wrong("the ratio of variances", ratio**2, names="variances"),
        Wrong("the reciprocal", 1 / ratio, names="reciprocal"),
        Wrong("the fitted sd itself", fitted, names="fit's sd itself"),
        Wrong("multiplied", fitted * t_sd, names="multiplies"),
        Wrong("divided by the variance", fitted / t_sd**2, names="variance"),
        Wrong("KL(p || q) over itself", 1.0, names="ratio of 1"),
        Wrong("df = 50's ratio", student_t_sd_ratio(50.0), names="nearly Gaussian"),
        Wrong("text", "0.9", names="not the text"),
        Wrong("NaN", float("nan"), names="not a finite number"),
    ]
    method_words = ["fit_gaussian_on_grid", "kl_qp", "sqrt(df", "stats.t", "variance"]
    assert_bank(check_student_t_ratio, right, wrong, capsys, method_words=method_words)


def test_student_t_ratio_check_needs_a_finite_sd():
    with pytest.raises(ValueError, match="df must be above 2"):
        check_student_t_ratio(0.9, df=2.0)
