"""Answer banks for the capstone's self-checks (helpers.checks.hierarchical): every right answer
a valid method reaches passes, each typical wrong one fails naming its mistake."""

import numpy as np
import pytest
import torch
from _answer_bank import Right, Wrong, assert_bank, assert_predictions
from scipy import integrate, stats

from helpers.checks.hierarchical import (
    check_eta_shapes,
    check_school_a_above_10,
    check_tau_below_one,
    school_a_above,
)
from helpers.eight_schools import (
    EFFECTS,
    STANDARD_ERRORS,
    conditional_moments,
    hierarchical_posterior,
)


@pytest.fixture(scope="module")
def exact():
    return hierarchical_posterior()


def test_eta_shapes_bank(capsys):
    right = [
        Right("tuples", ((8,), ())),
        Right("torch.Size, read off the trace", (torch.Size([8]), torch.Size([]))),
        Right("lists", [[8], []]),
    ]
    wrong = [
        Wrong("swapped: the to_event version", ((), (8,)), names="to_event"),
        Wrong("the value's shape as the event shape", ((8,), (8,)), names="scalar"),
        Wrong("Normal(0, 1) outside the model", ((), ()), names="outside the model"),
        Wrong("one shape only", (8,), names="pair of shapes"),
        Wrong("text", "(8,), ()", names="pair of shapes"),
        Wrong("off", ((8, 1), ())),
    ]
    assert_bank(check_eta_shapes, right, wrong, capsys, method_words=["trace", "batch_shape"])


@pytest.fixture(scope="module")
def tau_draws():
    """Draws like the non-centred mean-field guide's: log tau ~ Normal(0.83, 0.73)."""
    rng = np.random.default_rng(0)
    return {
        "non-centred": np.exp(rng.normal(0.83, 0.73, (10_000, 1))),
        "fresh": np.exp(rng.normal(0.83, 0.73, 10_000)),
        "centred": np.exp(rng.normal(0.17, 0.26, (10_000, 1))),
    }


def test_tau_below_one_bank(capsys, exact, tau_draws):
    tau = tau_draws["non-centred"]
    p = float(np.mean(tau < 1))
    log_tau = np.log(tau)
    right = [
        Right("the fraction of the draws", p),
        Right("as a tensor", torch.tensor(tau < 1).float().mean()),
        Right("10,000 fresh draws", float(np.mean(tau_draws["fresh"] < 1))),
        Right("the LogNormal's cdf", stats.norm.cdf(0, log_tau.mean(), log_tau.std())),
        Right("rounded to 2 decimals", round(p, 2)),
    ]
    wrong = [
        Wrong("the exact posterior's", float(exact.tau_cdf(1.0)), names="exact posterior"),
        Wrong("the other side", 1 - p, names="tau > 1"),
        Wrong("log tau < 1", float(np.mean(log_tau < 1)), names="log tau < 1"),
        Wrong("the centred guide's", float(np.mean(tau_draws["centred"] < 1)), names="centred"),
        Wrong("a percentage", 100 * p, names="percentage"),
        Wrong("a count, not a fraction", float(np.sum(tau < 1)), names="count"),
        Wrong("a count of fresh draws", float(np.sum(tau_draws["fresh"] < 1)), names="count"),
        Wrong("a Normal cdf on tau", stats.norm.cdf(1, tau.mean(), tau.std()), names="LogNormal"),
        Wrong("text", "0.13", names="text"),
    ]

    def check(answer):
        return check_tau_below_one(
            answer, tau, exact, prediction="less", others={"centred": tau_draws["centred"]}
        )

    assert_bank(check, right, wrong, capsys, method_words=["np.mean", "cdf", "draws <"])


def test_tau_below_one_judges_the_prediction(capsys, exact, tau_draws):
    tau = tau_draws["non-centred"]
    p = float(np.mean(tau < 1))
    right = [
        Right("less", "less"),
        Right("in a sentence", "Less than exact"),
        Right("negated", "not more"),
        Right("with a contraction", "it isn't more"),
    ]
    wrong = [
        Wrong("more", "more", names="too small an sd"),
        Wrong("negated", "not less", names="too small an sd"),
        Wrong("neither", "the same", names="not one of the two"),
        Wrong("both", "more or less", names="not one of the two"),
        Wrong("a number", 0.1, names="not one of the two"),
    ]
    assert_predictions(
        lambda guess: check_tau_below_one(p, tau, exact, prediction=guess), right, wrong, capsys
    )


def test_the_prediction_follows_the_draws(capsys, exact, tau_draws):
    """For the collapsed centred guide the right prediction is "more": the check reads it off
    the draws, not a stored answer."""
    centred = tau_draws["centred"]
    p = float(np.mean(centred < 1))
    assert p > exact.tau_cdf(1.0)
    assert check_tau_below_one(p, centred, exact, prediction="more")
    assert not check_tau_below_one(p, centred, exact, prediction="less")


def test_school_a_above_10_bank(capsys, exact):
    y, sigma = np.array(EFFECTS), np.array(STANDARD_ERRORS)

    def conditional(tau):
        _, _, mean, var = conditional_moments(np.atleast_1d(tau), y, sigma)
        return stats.norm.sf(10, mean[:, 0], np.sqrt(var[:, 0]))

    grid = exact.tau_grid
    by_simpson = integrate.simpson(conditional(grid) * exact.tau_density, x=grid)
    log_grid = np.log(exact.tau_grid)
    in_log = integrate.simpson(
        conditional(exact.tau_grid) * exact.log_tau_pdf(log_grid), x=log_grid
    )
    p = school_a_above(exact)
    right = [
        Right("trapezoid on the grid", p),
        Right("Simpson over tau", by_simpson),
        Right("Simpson in log tau", in_log),
        Right("rounded to 3 decimals", round(p, 3)),
    ]
    _, _, mean, var = conditional_moments(grid, y, sigma)
    mean_1, var_1 = mean[:, 0], var[:, 0]
    tau_mean = conditional(exact.tau_mean)[0]
    tau_median = conditional(float(exact.tau_quantile(0.5)))[0]
    wrong = [
        Wrong(
            "a Normal with the exact mean and sd",
            stats.norm.sf(10, exact.theta_mean[0], exact.theta_sd[0]),
            names="mixture",
        ),
        Wrong("no pooling", stats.norm.sf(10, 28, 15), names="no pooling"),
        Wrong("tau at its posterior mean", tau_mean, names="posterior mean of tau"),
        Wrong("tau at its posterior median", tau_median, names="posterior median of tau"),
        Wrong("the other side", 1 - p, names="other side"),
        Wrong("a percentage", 100 * p, names="percentage"),
        Wrong(
            "the variance passed as the scale (forgot the sqrt)",
            np.trapezoid(stats.norm.sf(10, mean_1, var_1) * exact.tau_density, grid),
            names="sqrt",
        ),
        Wrong(
            "integrated over log tau without the Jacobian",
            np.trapezoid(conditional(grid) * exact.tau_density, log_grid),
            names="Jacobian",
        ),
    ]
    assert_bank(
        lambda a: check_school_a_above_10(a, exact),
        right,
        wrong,
        capsys,
        method_words=["conditional_moments", "trapezoid", "tau_density"],
    )
