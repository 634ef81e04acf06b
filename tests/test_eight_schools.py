"""The eight schools' exact posterior (helpers.eight_schools): its algebra against explicit linear
algebra, brute-force integration, invariances, normalisation, and a NUTS run."""

import numpy as np
import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro.infer import MCMC, NUTS
from scipy import integrate, stats

from helpers.eight_schools import (
    EFFECTS,
    MU_PRIOR,
    STANDARD_ERRORS,
    TAU_SCALE,
    conditional_moments,
    hierarchical_posterior,
    load_eight_schools,
    log_marginal_likelihood,
)

Y, SIGMA = np.array(EFFECTS), np.array(STANDARD_ERRORS)


@pytest.fixture(scope="module")
def exact():
    return hierarchical_posterior()


def _covariance(tau, sigma=SIGMA, mu_scale=MU_PRIOR[1]):
    """The covariance of y given tau, mu integrated out, written out in full."""
    return mu_scale**2 * np.ones((sigma.size, sigma.size)) + np.diag(sigma**2 + tau**2)


def test_the_data_are_bda3_table_5_2():
    y, sigma = load_eight_schools()
    assert y.tolist() == [28, 8, -3, 7, -1, 1, 18, 12]
    assert sigma.tolist() == [15, 10, 16, 11, 9, 11, 10, 18]


def test_marginal_likelihood_is_the_multivariate_normal_density():
    taus = np.array([1e-6, 0.3, 2.0, 7.5, 60.0])
    ours = log_marginal_likelihood(taus, Y, SIGMA)
    direct = [stats.multivariate_normal(np.zeros(8), _covariance(t)).logpdf(Y) for t in taus]
    np.testing.assert_allclose(ours, direct, rtol=1e-12)


def test_conditional_moments_are_those_of_the_joint_gaussian():
    """Given tau, (mu, theta, y) is jointly Gaussian: condition on y with explicit matrices."""
    tau, mu_scale = 4.0, MU_PRIOR[1]
    # (mu, theta_1..8) has mean 0 and this covariance; y = theta + noise.
    cov_z = mu_scale**2 * np.ones((9, 9))
    cov_z[1:, 1:] += tau**2 * np.eye(8)
    cross = cov_z[:, 1:]  # Cov((mu, theta), y)
    cov_y = cov_z[1:, 1:] + np.diag(SIGMA**2)
    mean = cross @ np.linalg.solve(cov_y, Y)
    cov = cov_z - cross @ np.linalg.solve(cov_y, cross.T)
    mu_mean, mu_var, theta_mean, theta_var = conditional_moments(np.array([tau]), Y, SIGMA)
    np.testing.assert_allclose([mu_mean[0], mu_var[0]], [mean[0], cov[0, 0]], rtol=1e-10)
    np.testing.assert_allclose(theta_mean[0], mean[1:], rtol=1e-10)
    np.testing.assert_allclose(theta_var[0], np.diag(cov)[1:], rtol=1e-10)


def test_agrees_with_brute_force_integration_over_all_three_latents_of_one_school():
    """One school: integrate the joint density of (mu, log tau, theta) on a grid, with no algebra
    of ours. Where tau < 1, theta = mu + tau * eta on a grid in eta (as tau -> 0, theta itself is
    squeezed into a spike no fixed grid resolves); elsewhere on a grid in theta."""
    y, sigma = 12.0, 8.0
    exact = hierarchical_posterior([y], [sigma])
    log_tau = np.linspace(-12.0, 12.0, 481)  # tau up to 1.6e5: beyond, a tail under 1e-4 of E tau
    mu = np.linspace(-30.0, 30.0, 121)[:, None]  # spacing 0.5 for an sd of 5: trapezoid exact
    eta = np.linspace(-9.0, 9.0, 1001)[None, :]
    theta_grid = np.linspace(-60.0, 80.0, 1401)[None, :]  # y +- 6 sigma and more; spacing 0.1
    moments = np.zeros((log_tau.size, 6))  # mass, E tau, E tau^2, E mu, E mu^2, E theta
    for i, lt in enumerate(log_tau):
        tau = np.exp(lt)
        if tau < 1:
            theta, axis = mu + tau * eta, eta[0]
            local = stats.norm.pdf(eta)
        else:
            theta, axis = theta_grid + 0 * mu, theta_grid[0]
            local = stats.norm.pdf(theta, mu, tau)
        density = (
            stats.norm.pdf(mu, *MU_PRIOR)
            * stats.halfcauchy.pdf(tau, scale=TAU_SCALE)
            * tau  # d tau = tau d(log tau)
            * local
            * stats.norm.pdf(y, theta, sigma)
        )
        by_mu = integrate.trapezoid(density, axis, axis=1)
        e_theta = integrate.trapezoid(integrate.trapezoid(density * theta, axis, axis=1), mu[:, 0])
        mass = integrate.trapezoid(by_mu, mu[:, 0])
        e_mu = integrate.trapezoid(by_mu * mu[:, 0], mu[:, 0])
        e_mu2 = integrate.trapezoid(by_mu * mu[:, 0] ** 2, mu[:, 0])
        moments[i] = [mass, tau * mass, tau**2 * mass, e_mu, e_mu2, e_theta]
    total = integrate.trapezoid(moments, log_tau, axis=0)
    mass = total[0]
    tau_mean, mu_mean = total[1] / mass, total[3] / mass
    assert np.log(mass) == pytest.approx(exact.log_evidence, abs=1e-4)
    assert tau_mean == pytest.approx(exact.tau_mean, rel=2e-3)
    assert mu_mean == pytest.approx(exact.mu_mean, rel=1e-4)
    assert np.sqrt(total[4] / mass - mu_mean**2) == pytest.approx(exact.mu_sd, rel=1e-4)
    assert total[5] / mass == pytest.approx(exact.theta_mean[0], rel=1e-4)


def test_agrees_with_two_dimensional_quadrature_over_mu_and_tau():
    """All eight schools: theta integrated out school by school (y_j ~ Normal(mu, sigma_j^2 +
    tau^2)), then scipy's adaptive quadrature over (mu, tau): no Sherman-Morrison, no grid."""
    exact = hierarchical_posterior()

    def joint(mu, tau, power_tau=0, power_mu=0):
        log_p = (
            stats.norm.logpdf(mu, *MU_PRIOR)
            + stats.halfcauchy.logpdf(tau, scale=TAU_SCALE)
            + stats.norm.logpdf(Y, mu, np.sqrt(SIGMA**2 + tau**2)).sum()
        )
        return np.exp(log_p - exact.log_evidence) * tau**power_tau * mu**power_mu

    def integral(**powers):
        return integrate.dblquad(
            lambda mu, tau: joint(mu, tau, **powers), 0, np.inf, -40, 50, epsabs=1e-10
        )[0]

    assert integral() == pytest.approx(1.0, abs=1e-6)
    assert integral(power_tau=1) == pytest.approx(exact.tau_mean, rel=1e-5)
    assert integral(power_mu=1) == pytest.approx(exact.mu_mean, rel=1e-5)


def test_shifting_the_data_and_the_prior_of_mu_shifts_mu_and_theta(exact):
    shift = 13.0
    shifted = hierarchical_posterior(Y + shift, SIGMA, mu_prior=(MU_PRIOR[0] + shift, MU_PRIOR[1]))
    assert shifted.mu_mean == pytest.approx(exact.mu_mean + shift, rel=1e-10)
    np.testing.assert_allclose(shifted.theta_mean, exact.theta_mean + shift, rtol=1e-10)
    np.testing.assert_allclose(
        [shifted.tau_mean, shifted.tau_sd, shifted.mu_sd, *shifted.theta_sd],
        [exact.tau_mean, exact.tau_sd, exact.mu_sd, *exact.theta_sd],
        rtol=1e-10,
    )
    assert shifted.log_evidence == pytest.approx(exact.log_evidence, abs=1e-10)


def test_permuting_the_schools_permutes_theta(exact):
    order = np.array([3, 7, 0, 5, 1, 6, 2, 4])
    permuted = hierarchical_posterior(Y[order], SIGMA[order])
    np.testing.assert_allclose(permuted.theta_mean, exact.theta_mean[order], rtol=1e-12)
    np.testing.assert_allclose(permuted.theta_sd, exact.theta_sd[order], rtol=1e-12)
    assert (permuted.tau_mean, permuted.mu_mean) == pytest.approx((exact.tau_mean, exact.mu_mean))


def test_the_density_of_tau_is_normalised_and_matches_the_cdf_and_quantiles(exact):
    tau = np.geomspace(1e-8, 1e5, 300_001)  # a grid of its own, finer than the helper's
    assert integrate.trapezoid(exact.tau_pdf(tau), tau) == pytest.approx(1.0, abs=1e-4)
    log_tau = np.linspace(-20, 12, 100_001)
    assert integrate.trapezoid(exact.log_tau_pdf(log_tau), log_tau) == pytest.approx(1, abs=1e-6)
    mean = integrate.trapezoid(tau * exact.tau_pdf(tau), tau)
    assert mean == pytest.approx(exact.tau_mean, rel=1e-3)
    q = np.array([0.05, 0.5, 0.95])
    np.testing.assert_allclose(exact.tau_cdf(exact.tau_quantile(q)), q, atol=1e-6)
    assert exact.tau_cdf(0.0) == 0 and exact.tau_cdf(1e6) == pytest.approx(1.0)


def test_more_data_per_school_shrinks_tau_less():
    """A sanity check that can fail: with standard errors 10 times smaller the schools' spread is
    measured, tau's posterior moves towards the sd of the effects, and each theta towards y."""
    precise = hierarchical_posterior(Y, SIGMA / 10)
    assert precise.tau_mean == pytest.approx(np.std(Y, ddof=1), rel=0.3)
    assert np.max(np.abs(precise.theta_mean - Y)) < 2.0


def test_a_flat_prior_on_mu_moves_mu_to_about_8_and_school_a_to_about_9(exact):
    """What 10_eight_schools says of the course's informative Normal(0, 5) on mu: with a flat
    prior (a very wide Normal) the posterior means are about BDA3's, mu 7.8 and theta_A 9.3."""
    flat = hierarchical_posterior(mu_prior=(0.0, 1e4))
    assert round(flat.mu_mean) == 8 and round(flat.theta_mean[0]) == 9
    assert abs(exact.mu_mean - 4.4) < 0.05 and abs(exact.theta_mean[0] - 6.2) < 0.05
    wider = hierarchical_posterior(mu_prior=(0.0, 1e3))
    assert abs(wider.mu_mean - flat.mu_mean) < 0.01  # the limit is reached


def test_invalid_inputs_are_named():
    with pytest.raises(ValueError, match="one sigma per school"):
        hierarchical_posterior(Y, SIGMA[:7])
    with pytest.raises(ValueError, match="sigma must be positive"):
        hierarchical_posterior(Y, -SIGMA)
    with pytest.raises(ValueError, match="quantiles"):
        hierarchical_posterior().tau_quantile(1.5)


def _non_centred(sigma, y):
    mu = pyro.sample("mu", dist.Normal(*MU_PRIOR))
    tau = pyro.sample("tau", dist.HalfCauchy(TAU_SCALE))
    with pyro.plate("school", len(sigma)):
        eta = pyro.sample("eta", dist.Normal(0.0, 1.0))
        theta = pyro.deterministic("theta", mu + tau * eta)
        pyro.sample("obs", dist.Normal(theta, sigma), obs=y)


# Pyro's jit_compile calls torch.jit.trace, which torch 2.13 deprecates; the compiled density is
# still correct, and the notebook uses the same compilation.
@pytest.mark.filterwarnings("ignore:`torch.jit.trace` is deprecated:DeprecationWarning")
@pytest.mark.robust  # NUTS takes a while; notebook 10 checks its own NUTS against the same answer
def test_agrees_with_nuts_within_monte_carlo_error(exact):
    """A NUTS run on the non-centred model (about 10 s): each posterior mean within 4 Monte
    Carlo standard errors (posterior sd / sqrt(ESS)) of the exact one."""
    pyro.set_rng_seed(0)
    y, sigma = load_eight_schools()
    kernel = NUTS(_non_centred, jit_compile=True, ignore_jit_warnings=True)
    mcmc = MCMC(kernel, num_samples=2000, warmup_steps=500, disable_progbar=True)
    mcmc.run(sigma, y)
    draws = mcmc.get_samples()
    theta = draws["mu"][:, None] + draws["tau"][:, None] * draws["eta"]
    ess = mcmc.diagnostics()
    checks = [("tau", draws["tau"], exact.tau_mean, exact.tau_sd, ess["tau"]["n_eff"])]
    checks.append(("mu", draws["mu"], exact.mu_mean, exact.mu_sd, ess["mu"]["n_eff"]))
    eta_ess = float(ess["eta"]["n_eff"].min())
    for j in range(8):
        checks.append((f"theta {j}", theta[:, j], exact.theta_mean[j], exact.theta_sd[j], eta_ess))
    for name, values, mean, sd, n_eff in checks:
        error = abs(float(torch.as_tensor(values).mean()) - mean) / (sd / float(n_eff) ** 0.5)
        assert error < 4, f"{name}: {error:.1f} Monte Carlo standard errors from the exact mean"
    assert float(draws["tau"].std()) == pytest.approx(exact.tau_sd, rel=0.15)
