"""Divergences by quadrature agree with closed forms, and the Gaussian fits find known optima."""

import math

import numpy as np
import pytest
from scipy import stats

from helpers.divergences import (
    fit_gaussian_on_grid,
    format_normal,
    gaussian_mixture_logpdf,
    kl_on_grid,
    profile_divergence,
    renyi_on_grid,
)

GRID = np.linspace(-15.0, 15.0, 3001)


def _normal(loc, scale):
    return stats.norm.logpdf(GRID, loc, scale)


def _kl_normal(m1, s1, m2, s2):
    """Closed-form KL(N(m1, s1^2) || N(m2, s2^2))."""
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def _renyi_normal(alpha, m1, s1, m2, s2):
    """Closed-form D_alpha(N(m1, s1^2) || N(m2, s2^2)) (e.g. Gil, Alajaji and Linder 2013)."""
    var = alpha * s2**2 + (1 - alpha) * s1**2
    return alpha * (m1 - m2) ** 2 / (2 * var) - math.log(
        var / (s1 ** (2 * (1 - alpha)) * s2 ** (2 * alpha))
    ) / (2 * (alpha - 1))


@pytest.mark.parametrize("m1, s1, m2, s2", [(0, 1, 0, 1), (0, 1, 1, 2), (1, 0.5, -2, 1.5)])
def test_kl_on_grid_matches_the_gaussian_closed_form(m1, s1, m2, s2):
    value = kl_on_grid(_normal(m1, s1), _normal(m2, s2), GRID)
    assert value == pytest.approx(_kl_normal(m1, s1, m2, s2), abs=1e-6)


def test_kl_on_grid_is_not_symmetric():
    forward = kl_on_grid(_normal(0, 1), _normal(0, 2), GRID)
    backward = kl_on_grid(_normal(0, 2), _normal(0, 1), GRID)
    assert forward == pytest.approx(_kl_normal(0, 1, 0, 2), abs=1e-6)
    assert backward == pytest.approx(_kl_normal(0, 2, 0, 1), abs=1e-6)
    assert backward > 2 * forward


@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.9, 2.0])
def test_renyi_on_grid_matches_the_gaussian_closed_form(alpha):
    value = renyi_on_grid(_normal(1, 0.8), _normal(-0.5, 1.3), alpha, GRID)
    assert value == pytest.approx(_renyi_normal(alpha, 1, 0.8, -0.5, 1.3), abs=1e-6)


def test_renyi_tends_to_kl_qp_as_alpha_tends_to_one_and_to_alpha_kl_pq_near_zero():
    log_q, log_p = _normal(1, 0.8), _normal(-0.5, 1.3)
    assert renyi_on_grid(log_q, log_p, 0.999, GRID) == pytest.approx(
        kl_on_grid(log_q, log_p, GRID), rel=1e-3
    )
    assert renyi_on_grid(log_q, log_p, 1e-3, GRID) / 1e-3 == pytest.approx(
        kl_on_grid(log_p, log_q, GRID), rel=1e-2
    )


def test_mixture_logpdf_is_the_weighted_sum_of_normals_and_integrates_to_one():
    values = gaussian_mixture_logpdf(GRID, [0.3, 0.7], [-2, 2], [0.6, 1.0])
    direct = 0.3 * stats.norm.pdf(GRID, -2, 0.6) + 0.7 * stats.norm.pdf(GRID, 2, 1.0)
    np.testing.assert_allclose(np.exp(values), direct, rtol=1e-10, atol=1e-300)
    assert np.trapezoid(np.exp(values), GRID) == pytest.approx(1.0, abs=1e-9)


def test_kl_pq_fit_to_a_mixture_matches_its_moments():
    log_p = gaussian_mixture_logpdf(GRID, [0.5, 0.5], [-2, 2], [0.6, 0.6])
    fit = fit_gaussian_on_grid(log_p, GRID, "kl_pq", init=(1.0, 1.0))
    assert fit.loc == pytest.approx(0.0, abs=1e-4)
    assert fit.scale == pytest.approx(math.sqrt(0.36 + 4), rel=1e-4)


def test_kl_qp_fit_locks_onto_the_mode_nearest_the_start():
    log_p = gaussian_mixture_logpdf(GRID, [0.5, 0.5], [-2, 2], [0.6, 0.6])
    for start in (-3.0, 3.0):
        fit = fit_gaussian_on_grid(log_p, GRID, "kl_qp", init=(start, 1.0))
        assert fit.loc == pytest.approx(2.0 * np.sign(start), abs=0.01)
        assert fit.scale == pytest.approx(0.6, abs=0.01)
        assert fit.divergence == pytest.approx(math.log(2), abs=0.01)


@pytest.mark.parametrize("divergence, alpha", [("kl_qp", None), ("kl_pq", None), ("renyi", 0.5)])
def test_every_divergence_recovers_a_gaussian_target_exactly(divergence, alpha):
    fit = fit_gaussian_on_grid(_normal(1.5, 0.7), GRID, divergence, init=(0.0, 2.0), alpha=alpha)
    assert (fit.loc, fit.scale) == pytest.approx((1.5, 0.7), abs=1e-4)
    assert fit.divergence == pytest.approx(0.0, abs=1e-8)


def test_grid_and_densities_are_validated_with_messages_that_name_the_argument():
    with pytest.raises(ValueError, match="grid must be strictly increasing"):
        kl_on_grid(_normal(0, 1), _normal(0, 1), GRID[::-1])
    with pytest.raises(TypeError, match="grid"):
        kl_on_grid(_normal(0, 1), _normal(0, 1), "grid")
    with pytest.raises(ValueError, match="log_second has shape"):
        kl_on_grid(_normal(0, 1), _normal(0, 1)[:-1], GRID)
    with pytest.raises(ValueError, match="log_first integrates to"):
        kl_on_grid(_normal(0, 1) + 1.0, _normal(0, 1), GRID)
    with pytest.raises(ValueError, match="log_second contains NaN"):
        kl_on_grid(_normal(0, 1), np.full(GRID.shape, np.nan), GRID)


def test_alpha_and_divergence_names_are_validated():
    log_p = _normal(0, 1)
    with pytest.raises(ValueError, match="alpha must not be 1"):
        renyi_on_grid(log_p, log_p, 1.0, GRID)
    with pytest.raises(ValueError, match="alpha must be positive"):
        renyi_on_grid(log_p, log_p, -0.5, GRID)
    with pytest.raises(ValueError, match="divergence must be one of"):
        fit_gaussian_on_grid(log_p, GRID, "kl")
    with pytest.raises(ValueError, match="alpha is needed"):
        fit_gaussian_on_grid(log_p, GRID, "renyi")
    with pytest.raises(ValueError, match="alpha is only used"):
        fit_gaussian_on_grid(log_p, GRID, "kl_qp", alpha=0.5)
    with pytest.raises(TypeError, match="init must be a pair"):
        fit_gaussian_on_grid(log_p, GRID, "kl_qp", init=1.0)
    with pytest.raises(ValueError, match="init scale must be positive"):
        fit_gaussian_on_grid(log_p, GRID, "kl_qp", init=(0.0, -1.0))


def test_a_grid_too_narrow_for_the_fit_is_reported():
    narrow = np.linspace(-3.0, 3.0, 601)
    target_at_the_edge = stats.norm.logpdf(narrow, -2.8, 0.05)
    with pytest.raises(ValueError, match="fitted q"):
        # q's loc is kept 10% of the grid away from its ends, so q must spill over the edge.
        fit_gaussian_on_grid(target_at_the_edge, narrow, "kl_pq", init=(0.0, 1.0))


def test_mixture_arguments_are_validated():
    with pytest.raises(ValueError, match="sum to 1"):
        gaussian_mixture_logpdf(GRID, [0.5, 0.6], [-2, 2], [1, 1])
    with pytest.raises(ValueError, match="same length"):
        gaussian_mixture_logpdf(GRID, [0.5, 0.5], [-2, 2, 3], [1, 1])
    with pytest.raises(ValueError, match="scales must be positive"):
        gaussian_mixture_logpdf(GRID, [0.5, 0.5], [-2, 2], [1, 0])


def test_profile_at_the_best_mean_is_the_best_fit_and_never_below_it():
    log_p = gaussian_mixture_logpdf(GRID, [0.5, 0.5], [-2, 2], [0.6, 0.6])
    best_qp = fit_gaussian_on_grid(log_p, GRID, "kl_qp", init=(3.0, 1.0))
    best_pq = fit_gaussian_on_grid(log_p, GRID, "kl_pq", init=(1.0, 1.0))
    locs = np.linspace(-3, 3, 13)
    qp = profile_divergence(log_p, GRID, "kl_qp", locs)
    pq = profile_divergence(log_p, GRID, "kl_pq", locs)
    assert qp.shape == pq.shape == locs.shape
    # At the optimum's own mean the profile is the optimum; elsewhere it cannot be lower.
    assert profile_divergence(log_p, GRID, "kl_qp", best_qp.loc) == pytest.approx(
        best_qp.divergence, abs=1e-6
    )
    assert np.all(qp >= best_qp.divergence - 1e-6) and np.all(pq >= best_pq.divergence - 1e-6)


def test_profile_of_a_gaussian_target_matches_the_closed_form():
    # For a Normal(0, 1) target and q = Normal(m, s), KL(q || p) = -log s + (s^2 + m^2)/2 - 1/2,
    # smallest at s = 1 for every m, so the profile is m^2 / 2; KL(p || q) is smallest at
    # s^2 = 1 + m^2, giving log(1 + m^2) / 2.
    locs = np.array([-1.5, 0.0, 0.5, 2.0])
    qp = profile_divergence(_normal(0, 1), GRID, "kl_qp", locs)
    pq = profile_divergence(_normal(0, 1), GRID, "kl_pq", locs)
    np.testing.assert_allclose(qp, locs**2 / 2, atol=1e-5)
    np.testing.assert_allclose(pq, np.log1p(locs**2) / 2, atol=1e-5)


def test_profile_arguments_are_validated():
    log_p = _normal(0, 1)
    with pytest.raises(ValueError, match="divergence must be one of"):
        profile_divergence(log_p, GRID, "renyi", 0.0)
    with pytest.raises(TypeError, match="locs"):
        profile_divergence(log_p, GRID, "kl_qp", "0")
    with pytest.raises(ValueError, match="locs contains NaN"):
        profile_divergence(log_p, GRID, "kl_qp", [0.0, np.nan])
    with pytest.raises(ValueError, match="scale_bounds must be increasing"):
        profile_divergence(log_p, GRID, "kl_qp", 0.0, scale_bounds=(2.0, 1.0))
    with pytest.raises(ValueError, match="log_target integrates to"):
        profile_divergence(log_p + 1.0, GRID, "kl_qp", 0.0)


@pytest.mark.parametrize(
    "loc, scale, text",
    [
        (-2.0, 0.6049, "Normal(-2.00, 0.605)"),
        (-0.001, 2.0, "Normal(0.00, 2)"),
        (1.0, 1.79, "Normal(1.00, 1.79)"),
    ],
)
def test_format_normal_rounds_and_never_prints_minus_zero(loc, scale, text):
    assert format_normal(loc, scale) == text
    assert format_normal(np.float64(loc), np.float32(scale)) == text


def test_format_normal_validates_its_arguments():
    with pytest.raises(ValueError, match="scale must be positive"):
        format_normal(0.0, 0.0)
    with pytest.raises(TypeError, match="loc must be a number"):
        format_normal("0", 1.0)
