"""helpers.diagnostics: stopping rule, importance-weight summaries, fixed guides, SBC."""

import math
import warnings

import numpy as np
import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro.ops.stats import fit_generalized_pareto
from scipy import stats

from helpers import exact_posterior, make_data
from helpers.diagnostics import (
    exact_log_weights,
    fixed_guide,
    guide_marginals,
    importance_diagnostics,
    k_hat_spread,
    k_hat_spread_table,
    k_hat_threshold,
    log_joint,
    pareto_k_hat,
    rank_histogram,
    ranks_within_band,
    sbc_ecdf_points,
    simulate_sbc,
    stopping_step,
)
from helpers.elbo_surface import best_normal_lognormal_guide
from helpers.setup import ARVIZ_REFACTOR_NOTICE
from helpers.training import estimate_elbo


def _model(data):
    """The course's model: mu ~ Normal(0, 10), sigma ~ Gamma(1, 0.1), data ~ Normal(mu, sigma)."""
    mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
    sigma = pyro.sample("sigma", dist.Gamma(1.0, 0.1))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(mu, sigma), obs=data)


def test_stopping_step_fires_once_the_smoothed_loss_is_flat():
    losses = np.concatenate([np.linspace(100.0, 50.0, 100), np.full(100, 50.0)])
    assert stopping_step(losses, window=10, rel_tol=1e-6) == 120
    assert stopping_step(losses, window=10, rel_tol=1e-6, patience=3) == 140


def test_stopping_step_returns_none_when_the_loss_keeps_falling():
    assert stopping_step(np.linspace(100.0, 50.0, 200), window=10, rel_tol=1e-3) is None
    assert stopping_step(np.ones(5), window=10, rel_tol=1e-3) is None


def test_stopping_step_with_a_loose_tolerance_fires_at_the_first_check():
    assert stopping_step(np.linspace(1000.0, 990.0, 100), window=10, rel_tol=0.01) == 20


def test_stopping_step_validates_its_arguments():
    with pytest.raises(TypeError, match="window"):
        stopping_step(np.ones(50), window=2.5, rel_tol=0.1)
    with pytest.raises(ValueError, match="rel_tol"):
        stopping_step(np.ones(50), window=5, rel_tol=-1.0)
    with pytest.raises(ValueError, match="losses"):
        stopping_step(np.ones((5, 5)), window=5, rel_tol=0.1)


def test_pareto_k_hat_matches_pyros_fit_on_the_tail():
    rng = np.random.default_rng(0)
    lw = rng.normal(size=1000)
    lw_sorted = np.sort(lw - lw.max())
    cutoff = lw_sorted[-int(math.ceil(3 * math.sqrt(1000))) - 1]
    tail = lw_sorted[lw_sorted > cutoff]
    expected, _ = fit_generalized_pareto(torch.tensor(np.exp(tail) - math.exp(cutoff)))
    assert pareto_k_hat(lw) == pytest.approx(expected)


def test_pareto_k_hat_recovers_the_tail_index_of_pareto_weights():
    rng = np.random.default_rng(1)
    for k in (0.3, 0.8):
        weights = (rng.uniform(size=100_000) ** -k - 1) / k + 1  # generalized Pareto, shape k
        assert pareto_k_hat(np.log(weights)) == pytest.approx(k, abs=0.1)


def test_pareto_k_hat_is_negative_for_bounded_weights():
    assert pareto_k_hat(np.log(np.random.default_rng(2).uniform(size=10_000))) < 0


def test_pareto_k_hat_needs_enough_draws():
    with pytest.raises(ValueError, match="tail"):
        pareto_k_hat(np.zeros(20))


def test_importance_diagnostics_of_equal_weights_are_perfect():
    d = importance_diagnostics(np.full(100, -3.0) + np.linspace(0, 1e-9, 100))
    assert d.ess_fraction == pytest.approx(1.0) and d.log_weight_sd < 1e-8 and d.num_samples == 100


def test_importance_diagnostics_ess_of_one_dominant_weight_is_one_draw():
    lw = np.concatenate([[0.0], -30.0 + 0.01 * np.random.default_rng(3).normal(size=999)])
    assert importance_diagnostics(lw).ess_fraction == pytest.approx(1 / 1000)


def test_importance_diagnostics_rejects_bad_input():
    with pytest.raises(TypeError, match="log_weights"):
        importance_diagnostics("weights")
    with pytest.raises(ValueError, match="NaN"):
        importance_diagnostics(np.array([0.0, np.nan, 1.0]))


def test_sbc_ranks_of_the_optimal_guide_are_uniform_and_of_a_narrow_guide_are_not():
    good = simulate_sbc(2000, seed=4)
    narrow = simulate_sbc(2000, sd_factor=0.5, seed=4)
    for name in ("mu", "sigma"):
        assert good.ranks[name].min() >= 0 and good.ranks[name].max() <= 99
        assert rank_histogram(good.ranks[name], 99).p_value > 1e-4
        counts = rank_histogram(narrow.ranks[name], 99).counts
        assert counts[0] > 2 * counts[10]  # a U shape: too many extreme ranks


def test_sbc_is_deterministic_given_the_seed():
    a, b = simulate_sbc(50, seed=5), simulate_sbc(50, seed=5)
    assert np.array_equal(a.ranks["mu"], b.ranks["mu"])


def test_rank_histogram_counts_band_and_p_value():
    h = rank_histogram(np.arange(100).repeat(10), num_draws=99, num_bins=20)
    assert h.counts.tolist() == [50] * 20 and h.p_value == pytest.approx(1.0)
    assert h.band[0] < 50 < h.band[1]
    skewed = rank_histogram(np.zeros(1000, dtype=int), num_draws=99, num_bins=20)
    assert skewed.p_value < 1e-10


def test_rank_histogram_validates_its_arguments():
    with pytest.raises(ValueError, match="divide"):
        rank_histogram(np.arange(10), num_draws=99, num_bins=7)
    with pytest.raises(ValueError, match="between 0 and num_draws"):
        rank_histogram(np.array([0, 100]), num_draws=99)
    with pytest.raises(TypeError, match="num_bins"):
        rank_histogram(np.arange(10), num_draws=99, num_bins=2.0)


def test_fixed_guide_samples_both_sites_from_the_given_distributions():
    guide = fixed_guide(1.5, 0.2, 1.0, 0.1)
    trace = pyro.poutine.trace(guide).get_trace("any data")  # the model's arguments are ignored
    mu, sigma = trace.nodes["mu"]["fn"], trace.nodes["sigma"]["fn"]
    assert isinstance(mu, dist.Normal)
    assert (mu.loc.item(), mu.scale.item()) == pytest.approx((1.5, 0.2))
    assert isinstance(sigma, dist.LogNormal)
    assert sigma.loc.item() == 1.0 and sigma.scale.item() == pytest.approx(0.1)
    assert [name for name, node in trace.nodes.items() if node["type"] == "param"] == []


def test_fixed_guide_scores_like_the_exact_elbo_of_the_optimum():
    data = make_data(n=200, seed=6)
    best = best_normal_lognormal_guide(data)
    params = [best.mu_loc, best.mu_scale, best.sigma_loc, best.sigma_scale]
    pyro.set_rng_seed(0)
    estimate = estimate_elbo(_model, fixed_guide(*params), data, num_particles=20_000)
    assert estimate.elbo == pytest.approx(best.elbo, abs=4 * estimate.std_error + 1e-3)


def test_fixed_guide_and_guide_marginals_validate_the_parameters():
    for make in (fixed_guide, guide_marginals):
        with pytest.raises(ValueError, match="mu_scale"):
            make(0.0, -1.0, 0.0, 0.1)
        with pytest.raises(ValueError, match="sigma_scale"):
            make(0.0, 1.0, 0.0, 0.0)
        with pytest.raises(ValueError, match="sigma_loc"):
            make(0.0, 1.0, float("nan"), 0.1)
        with pytest.raises(TypeError, match="mu_loc"):
            make("1", 1.0, 0.0, 0.1)


def test_guide_marginals_are_the_normal_and_the_lognormal_of_the_guide():
    q = guide_marginals(1.5, 0.2, math.log(4.0), 0.05)
    assert q["mu"].mean() == pytest.approx(1.5) and q["mu"].std() == pytest.approx(0.2)
    assert q["sigma"].median() == pytest.approx(4.0)  # the median of a LogNormal is exp(loc)
    sd = 4.0 * math.exp(0.05**2 / 2) * math.sqrt(math.expm1(0.05**2))  # the LogNormal's sd
    assert q["sigma"].std() == pytest.approx(sd)


def test_k_hat_threshold_is_the_sample_size_rule_of_vehtari_et_al_2024():
    assert k_hat_threshold(100) == pytest.approx(0.5)
    assert k_hat_threshold(1000) == pytest.approx(2 / 3)
    assert k_hat_threshold(2000) == pytest.approx(1 - 1 / math.log10(2000))
    assert k_hat_threshold(2155) == k_hat_threshold(10_000) == 0.7  # capped from S ~ 2,154
    with pytest.raises(TypeError, match="num_samples"):
        k_hat_threshold(1000.0)


def test_log_joint_is_the_course_models_density_at_a_point():
    x = make_data().double().numpy()
    mu, sigma = 1.9, 4.1
    expected = (
        stats.norm.logpdf(mu, 0, 10)
        + stats.gamma.logpdf(sigma, 1, scale=10)
        + stats.norm.logpdf(x, mu, sigma).sum()
    )
    assert log_joint(x, mu, sigma) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(log_joint(x, [mu, 2.0], [sigma, 3.0])[0], expected, rtol=1e-12)


def test_log_joint_minus_a_guides_log_density_matches_pyros_log_weights():
    data = make_data()
    best = best_normal_lognormal_guide(data)
    guide = fixed_guide(best.mu_loc, best.mu_scale, best.sigma_loc, best.sigma_scale)
    trace = pyro.poutine.trace(guide).get_trace(data)
    mu, sigma = trace.nodes["mu"]["value"].item(), trace.nodes["sigma"]["value"].item()
    log_q = trace.log_prob_sum().item()
    model_trace = pyro.poutine.trace(pyro.poutine.replay(_model, trace=trace)).get_trace(data)
    assert log_joint(data, mu, sigma) - log_q == pytest.approx(
        model_trace.log_prob_sum().item() - log_q,
        abs=0.05,  # float32 model, 1,000 terms
    )


def test_exact_log_weights_are_constant_for_the_exact_posterior_and_not_for_the_marginals():
    data = make_data()
    lw = exact_log_weights(data, num_draws=1000, num_repeats=3, seed=1)
    assert set(lw) == {"exact marginals", "exact posterior"}
    assert all(v.shape == (3, 1000) for v in lw.values())
    log_evidence = exact_posterior(data).log_evidence
    # Draws from the posterior itself: every weight is p(x), up to the grids' interpolation.
    np.testing.assert_allclose(lw["exact posterior"], log_evidence, atol=1e-4)
    # The product of the marginals misses the dependence: its weights spread, but only a little,
    # and their mean is log p(x) - KL, a little below it.
    spread = lw["exact marginals"].std()
    assert 0.01 < spread < 0.1
    assert -0.01 < lw["exact marginals"].mean() - log_evidence < 0
    k = [pareto_k_hat(row) for row in exact_log_weights(data, 1000, 30, seed=1)["exact marginals"]]
    assert np.median(k) > 0.2  # a tail all the same: what drives a mean-field fit's k-hat


def test_exact_log_weights_are_reproducible_and_validated():
    data = make_data()
    a = exact_log_weights(data, 100, seed=3)["exact marginals"]
    np.testing.assert_array_equal(a, exact_log_weights(data, 100, seed=3)["exact marginals"])
    with pytest.raises(TypeError, match="num_draws"):
        exact_log_weights(data, 100.0)


def test_k_hat_spread_summarises_each_set_and_the_table_shows_each_label():
    rng = np.random.default_rng(2)
    sets = rng.normal(size=(5, 1000))
    spread = k_hat_spread(sets)
    np.testing.assert_allclose(spread.k_hats, [pareto_k_hat(row) for row in sets])
    assert spread.threshold == pytest.approx(2 / 3)
    assert spread.min_ess_fraction == pytest.approx(
        min(importance_diagnostics(row).ess_fraction for row in sets)
    )
    assert spread.max_log_weight_sd == pytest.approx(sets.std(axis=1, ddof=1).max())
    table = k_hat_spread_table({"one": spread, "another, longer": k_hat_spread(sets[:2])})
    lines = table.splitlines()
    assert len(lines) == 3 and "threshold" in lines[0]
    assert lines[1].startswith("one ") and lines[2].startswith("another, longer")
    assert f"{np.median(spread.k_hats):.2f}" in lines[1]
    with pytest.raises(ValueError, match="log_weight_sets"):
        k_hat_spread(np.ones(10))
    with pytest.raises(TypeError, match="spreads"):
        k_hat_spread_table({})


def test_sbc_ecdf_points_make_uniform_ranks_match_the_uniform_cdf_at_the_bin_ends():
    ranks = np.arange(100).repeat(3)  # exactly uniform on 0..99
    values, points = sbc_ecdf_points(ranks, 99)
    np.testing.assert_allclose(points, np.arange(1, 21) / 20)
    ecdf = np.searchsorted(np.sort(values), points, side="right") / values.size
    np.testing.assert_allclose(ecdf, points)
    with pytest.raises(ValueError, match="num_points"):
        sbc_ecdf_points(ranks % 50, 49)
    with pytest.raises(ValueError, match="integers"):
        sbc_ecdf_points([0.5, 3], 99)


def test_ranks_within_band_accepts_a_calibrated_guide_and_rejects_narrow_and_wide_ones():
    with warnings.catch_warnings():  # the helper imports ArviZ, after setup() in a notebook
        warnings.filterwarnings("ignore", message=ARVIZ_REFACTOR_NOTICE, category=FutureWarning)
        verdicts = {
            factor: ranks_within_band(simulate_sbc(1000, sd_factor=factor, seed=4).ranks["mu"], 99)
            for factor in (1.0, 1 / 3, 2.0)
        }
    assert verdicts == {1.0: True, 1 / 3: False, 2.0: False}
    with pytest.raises(ValueError, match="prob"):
        ranks_within_band(np.arange(100), 99, prob=1.5)
