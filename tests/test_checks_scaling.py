"""Notebook 09's exercise self-checks, judged against answer banks: the answers every valid method
reaches pass, typical wrong ones fail with feedback that names the mistake, and the prediction of
exercise 2 is judged once its answer is right."""

import cProfile
import math
import pstats

import numpy as np
import pyro
import pyro.distributions as dist
import pytest
import torch
from _answer_bank import Right, Wrong, assert_bank
from pyro import poutine
from pyro.distributions import constraints
from pyro.infer import SVI, Trace_ELBO

from helpers import exact_posterior, make_data
from helpers.checks.core import NO_PREDICTION
from helpers.checks.scaling import (
    check_log_prob_bytes,
    check_scale_factor,
    check_subsample_cost,
    check_unscaled_sd_factor,
)

# Exercise 1: the scale factor of a plate over 10**6 points with subsample_size=2500.
N1, B1 = 10**6, 2500


def test_scale_factor_bank(capsys):
    with pyro.plate("data", N1, subsample_size=B1):
        trace = poutine.trace(lambda: pyro.sample("obs", dist.Normal(0.0, 1.0))).get_trace()
    traced = trace.nodes["obs"]["scale"]
    right = [
        Right("from a trace", traced),
        Right("integer division", N1 // B1),
        Right("float32", np.float32(N1 / B1)),
        Right("a tensor", torch.tensor(N1 / B1)),
    ]
    wrong = [
        Wrong("the batch size", B1, names="batch size"),
        Wrong("b / n", B1 / N1, names="upside down"),
        Wrong("its square root", math.sqrt(N1 / B1), names="square root"),
        Wrong("n", N1, names="number of points"),
        Wrong("text", "400", names="text"),
        Wrong("a list", [N1 / B1], names="single number"),
        Wrong("not a number", float("nan"), names="finite"),
    ]
    assert_bank(
        lambda a: check_scale_factor(a, N1, B1),
        right,
        wrong,
        capsys,
        empty=...,
        method_words=["n / b", "nodes", "trace", "divide", "2500"],
    )


def test_scale_factor_for_a_batch_size_that_does_not_divide_n(capsys):
    with pyro.plate("data", 1000, subsample_size=3):
        trace = poutine.trace(lambda: pyro.sample("obs", dist.Normal(0.0, 1.0))).get_trace()
    assert check_scale_factor(trace.nodes["obs"]["scale"], 1000, 3)
    assert not check_scale_factor(333, 1000, 3)


# Exercise 2: how many times too wide the posterior sd is without the n / b scale.


def _unscaled_fit_ratio(n, batch_size, seed=0, num_steps=1000):
    """The notebook's minibatch recipe with the plate over the batch only (the scale forgotten);
    returns the fitted sd of mu over the exact posterior sd of all the data."""

    def model(data, idx):
        mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
        sigma = pyro.sample("sigma", dist.Gamma(1.0, 0.1))
        with pyro.plate("data", len(idx)):
            pyro.sample("obs", dist.Normal(mu, sigma), obs=data[idx])

    def guide(data, idx):
        mu_loc = pyro.param("mu_loc", data[idx].mean())
        mu_scale = pyro.param("mu_scale", torch.tensor(0.1), constraint=constraints.positive)
        sigma_loc = pyro.param("sigma_loc", data[idx].std().log())
        sigma_scale = pyro.param("sigma_scale", torch.tensor(0.1), constraint=constraints.positive)
        pyro.sample("mu", dist.Normal(mu_loc, mu_scale))
        pyro.sample("sigma", dist.LogNormal(sigma_loc, sigma_scale))

    pyro.set_rng_seed(seed)
    pyro.clear_param_store()
    data = make_data(n=n, seed=seed)
    optimizer = pyro.optim.ClippedAdam({"lr": 0.1, "lrd": 0.01 ** (1 / num_steps)})
    elbo = Trace_ELBO(num_particles=4, vectorize_particles=True, max_plate_nesting=1)
    svi = SVI(model, guide, optimizer, elbo)
    generator = torch.Generator().manual_seed(seed)
    scales = []
    for step in range(num_steps):
        start = step * batch_size % n
        if start == 0:
            order = torch.randperm(n, generator=generator)
        svi.step(data, order[start : start + batch_size])
        scales.append(pyro.param("mu_scale").item())
    return np.mean(scales[num_steps // 2 :]) / exact_posterior(data).mu_sd


def _batch_ratios(n, batch_size, seed):
    data = make_data(n=n, seed=seed)
    full = exact_posterior(data).mu_sd
    starts = [0, (n // 2 // batch_size) * batch_size, n - batch_size]
    return [exact_posterior(data[s : s + batch_size]).mu_sd / full for s in starts]


def test_unscaled_sd_factor_bank(capsys):
    n, b = 10**6, 10**4  # the notebook's
    right = [Right("the square-root law", math.sqrt(n / b))]
    right += [
        Right(f"exact posteriors, batch {i} of seed {seed}", ratio)
        for seed in (0, 1)
        for i, ratio in enumerate(_batch_ratios(n, b, seed))
    ]
    right.append(Right("float32", np.float32(math.sqrt(n / b))))
    wrong = [
        Wrong("the scale n / b", n / b, names="factor on the variance"),
        Wrong("no change", 1.0, names="no change"),
        Wrong("all data over one batch", 1 / math.sqrt(n / b), names="upside down"),
        Wrong("b / n", b / n, names="upside down"),
        Wrong("text", "10", names="text"),
    ]
    assert_bank(
        lambda a: check_unscaled_sd_factor(a, n, b, prediction=10),
        right,
        wrong,
        capsys,
        method_words=["sqrt", "exact_posterior", "square root", "1 /"],
    )


def test_unscaled_sd_factor_accepts_an_unscaled_svi_fit(capsys):
    n, b = 10**5, 10**3  # smaller than the notebook's, for speed; the same n / b
    ratio = _unscaled_fit_ratio(n, b)
    assert check_unscaled_sd_factor(ratio, n, b, prediction=10)
    assert "Correct" in capsys.readouterr().out


def test_unscaled_sd_factor_judges_the_prediction(capsys):
    n, b = 10**6, 10**4
    answer = math.sqrt(n / b)
    right = [Right("the law", 10), Right("about 10", 9), Right("about 10", 11.5)]
    wrong = [
        Wrong("the scale n / b", 100, names="precision"),
        Wrong("no change", 1, names="fewer points"),
        Wrong("narrower", 0.1, names="fewer points"),
        Wrong("a guess", 3, names="1 / sqrt(number of points)"),
        Wrong("words", "ten", names="text"),
    ]
    problems = []
    for entry in right:
        capsys.readouterr()
        ok = bool(check_unscaled_sd_factor(answer, n, b, prediction=entry.answer))
        out = capsys.readouterr().out
        if not ok or "your prediction" not in out:
            problems.append(f"rejected a right prediction ({entry.how}): {out}")
    for entry in wrong:
        capsys.readouterr()
        ok = bool(check_unscaled_sd_factor(answer, n, b, prediction=entry.answer))
        out = capsys.readouterr().out
        if ok or "Not yet" not in out or entry.names.lower() not in out.lower():
            problems.append(f"wrong prediction ({entry.how}) not explained: {out}")
    assert not problems, "\n".join(problems)


def test_unscaled_sd_factor_needs_a_prediction_and_hides_it_until_the_answer_is_right(capsys):
    assert not check_unscaled_sd_factor(10.0, 10**6, 10**4)
    out = capsys.readouterr().out
    assert "Correct" in out and NO_PREDICTION in out
    assert not check_unscaled_sd_factor(100.0, 10**6, 10**4, prediction=100)
    out = capsys.readouterr().out
    assert "Not yet" in out and "your prediction" not in out
    assert not check_unscaled_sd_factor(None, 10**6, 10**4)
    out = capsys.readouterr().out
    assert "No answer yet" in out and NO_PREDICTION in out


# Exercise 3: the function that makes `subsample_size=` cost time in proportion to n.


def _profile_top_function(n=10**6):
    """What a learner sees at the top of a profile of one SVI step with subsample_size."""
    data = torch.zeros(n)

    def model(data):
        mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
        with pyro.plate("data", len(data), subsample_size=1000) as idx:
            pyro.sample("obs", dist.Normal(mu, 1.0), obs=data[idx])

    def guide(data):
        pyro.sample("mu", dist.Normal(pyro.param("loc", torch.tensor(0.0)), 1.0))

    pyro.clear_param_store()
    svi = SVI(model, guide, pyro.optim.Adam({"lr": 0.01}), Trace_ELBO())
    svi.step(data)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(3):
        svi.step(data)
    profile.disable()
    stats = pstats.Stats(profile).stats
    _, _, name = max(stats, key=lambda key: stats[key][2])  # by time spent in the function
    return name


def test_subsample_cost_bank(capsys):
    right = [
        Right("the profile's top entry", _profile_top_function()),
        Right("plain", "randperm"),
        Right("qualified", "torch.randperm"),
        Right("as a call", " torch.randperm() "),
        Right("capitalised", "RandPerm"),
        Right("with its slice", "torch.randperm(n)[:b]"),
        Right("in words", "a random permutation of all n indices"),
        Right("Pyro's function that calls it", "_Subsample.sample"),
        Right("the profile's Pyro line", "subsample_messenger.py:50(sample)"),
    ]
    wrong = [
        Wrong("the fix", "torch.randint", names="fix, not the cause"),
        Wrong("the scoring", "Normal.log_prob", names="only the b points"),
        Wrong("another O(n) draw", "torch.multinomial", names="not what pyro.plate calls"),
        Wrong("the full-batch indices", "torch.arange", names="without subsampling"),
        Wrong("the plate itself", "pyro.plate", names="name the function it calls"),
        Wrong("empty text", "", names="empty text"),
        Wrong("not text", 3, names="as text"),
        Wrong("a list", ["randperm"], names="as text"),
        Wrong("something else", "torch.zeros", names="profile"),
    ]
    assert_bank(
        check_subsample_cost,
        right,
        wrong,
        capsys,
        method_words=["randperm", "permutation", "cProfile", "subsample_messenger"],
    )


# Exercise 4: megabytes of one float32 log-density array, 10**7 points times 32 particles.
N4, PARTICLES = 10**7, 32


def test_log_prob_bytes_bank(capsys):
    bytes_per_number = torch.zeros(1, dtype=torch.float32).element_size()
    size = N4 * PARTICLES * bytes_per_number
    right = [
        Right("MB", size / 1e6),
        Right("MiB, as memory tools report", size / 2**20),
        Right("rounded", float(f"{size / 1e6:.2g}")),
        Right("an integer", size // 10**6),
    ]
    wrong = [
        Wrong("float64", 2 * size / 1e6, names="8 bytes"),
        Wrong("no bytes per number", size / bytes_per_number / 1e6, names="4 bytes per number"),
        Wrong("bits", 8 * size / 1e6, names="bits"),
        Wrong("bytes", size, names="in bytes"),
        Wrong("GB", size / 1e9, names="in GB"),
        Wrong("GiB", size / 2**30, names="in GB"),
        Wrong("one particle", size / PARTICLES / 1e6, names="particle"),
        Wrong("infinite", math.inf, names="finite"),
    ]
    assert_bank(
        lambda a: check_log_prob_bytes(a, N4, PARTICLES),
        right,
        wrong,
        capsys,
        method_words=["4 bytes", "10**6", "float32", "particle"],
    )


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: check_scale_factor(1, 1000, 0), ValueError),
        (lambda: check_scale_factor(1, 10, 100), ValueError),
        (lambda: check_unscaled_sd_factor(1, 1000.0, 10), TypeError),
        (lambda: check_log_prob_bytes(1, True, 32), TypeError),
        (lambda: check_log_prob_bytes(1, 10, -1), ValueError),
    ],
)
def test_checks_reject_invalid_sizes(call, error):
    with pytest.raises(error):
        call()
