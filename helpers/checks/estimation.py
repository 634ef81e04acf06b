"""Self-checks for the exercises on estimating a mean and sd: standard errors, the exact
posterior's sd and interval, and a strong prior (the data lesson).

Like every check, each computes the right answer itself from the data it is given, prints
"Correct" or "Not yet" with feedback on the likely mistake, and returns a `Verdict`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from .._validation import as_data_array
from ..data import make_data
from ..posterior import exact_posterior
from .core import (
    Mistake,
    Verdict,
    as_number,
    correct,
    judge,
    no_answer,
    not_yet,
    prediction_gate,
)


def check_standard_error(answer: object, data: object, num_points: int = 100) -> Verdict:
    """Exercise 01.1: the standard error s / sqrt(n) of the mean of the first `num_points`."""
    x = as_data_array(data)
    if not 2 <= num_points <= x.size:
        raise ValueError(f"data has {x.size} points; the exercise needs its first {num_points}")
    what = f"the standard error of the mean of the first {num_points} points"
    value = as_number(answer, what)
    if isinstance(value, Verdict):
        return value
    first = x[:num_points]
    s, root_n = float(np.std(first, ddof=1)), math.sqrt(num_points)
    # Right answers (torch's float32 std, numpy's float64 std with ddof=1, scipy.stats.sem) agree
    # to 1e-6. The nearest typical mistake, the sd with divisor n, is sqrt((n-1)/n) - 1 = -0.5%
    # away for n = 100; 0.2% separates the two and accepts an answer rounded to 3 figures (the
    # answer is about 0.4, so rounding moves it by at most 0.13%).
    mistakes = [
        Mistake(
            float(np.std(first, ddof=0)) / root_n,
            "This uses the sd with divisor n (np.std's default, or correction=0); the exercise "
            "asks for the sample sd with divisor n - 1.",
        ),
        Mistake(
            float(np.std(x, ddof=1)) / math.sqrt(x.size),
            f"This is the standard error for all {x.size:,} points (as computed above); the "
            f"exercise asks about the first {num_points} only.",
            rel_tol=0.01,  # with either divisor: they differ by 0.05% for 1,000 points
        ),
        Mistake(
            s,
            "This is the sd of the points themselves, not of their mean: a mean of n points "
            "varies sqrt(n) times less than one point does.",
        ),
        Mistake(s**2 / num_points, "This is the variance of the mean, s^2 / n; take its root."),
        Mistake(s / num_points, "This divides the sd by n; the standard error divides by sqrt(n)."),
        Mistake(
            s / math.sqrt(2 * num_points),
            "This is s / sqrt(2n), the standard error of the sd, not of the mean.",
        ),
        Mistake(
            4.0 / root_n,
            "This uses the true sigma, 4, which we know only because we simulated the data; a "
            "standard error uses the sample sd s.",
        ),
    ]
    return judge(value, s / root_n, what, rel_tol=0.002, mistakes=mistakes)


def check_sd_ratio(answer: object, prediction: object = None) -> Verdict:
    """Exercise 01.2 (predict, then run): the posterior sd of mu at n = 4,000 over n = 1,000."""
    what = "the ratio of posterior sds of mu (n = 4,000 over 1,000)"
    value = as_number(answer, what, prediction)
    if isinstance(value, Verdict):
        return value
    expected = exact_posterior(make_data(n=4000)).mu_sd / exact_posterior(make_data()).mu_sd
    # Right answers: the ratio of exact posterior sds, and that of the standard errors s / sqrt(n)
    # (0.1% apart). The ratio is not exactly 0.5: the two data sets' sds differ by about 1-2%.
    # The typical mistakes (a reciprocal, a ratio of variances) are factors of 2 away; 0.5% is
    # five times the spread of the right answers.
    if value == 0.5 and not math.isclose(expected, 0.5, rel_tol=0.005):
        verdict = not_yet(
            f"{what} = 0.5 is the rule, not the computed ratio",
            "0.5 is what the 1/sqrt(n) rule predicts: put it in `prediction`, and compute the "
            "ratio itself as the answer (the two data sets' sds differ a little).",
        )
    else:
        mistakes = [
            Mistake(
                1 / expected, "This is the reciprocal: the ratio asked for is 4,000 over 1,000."
            ),
            Mistake(expected**2, "This is the ratio of posterior variances; take its square root."),
            Mistake(1 / expected**2, "This is the reciprocal of the ratio of the variances."),
        ]
        verdict = judge(value, expected, what, rel_tol=0.005, mistakes=mistakes)
    gate = prediction_gate(verdict, prediction)
    if gate is not None:
        return gate
    guess = as_number(prediction, "your prediction")
    if isinstance(guess, Verdict):
        return Verdict(False)
    # A right prediction says that the sd halves. The computed ratio is within about 2% of 0.5
    # for any seed, so 10% accepts every reading of "about half" and rejects the typical wrong
    # intuitions: 1/n (0.25), 1/sqrt(2) (0.71), no change (1) and the reciprocals (2, 4).
    if math.isclose(guess, 0.5, rel_tol=0.1):
        correct(f"your prediction, {guess:.3g}: four times the data halve the posterior sd")
        return verdict
    wrong_guesses = [
        Mistake(
            0.25,
            "You predicted that the sd falls like 1/n. It is the variance of the mean that falls "
            "like 1/n; the sd falls like 1/sqrt(n).",
        ),
        Mistake(1.0, "More data do make the posterior narrower."),
        Mistake(50.0, "Write the factor as a number (0.5 for a half), not as a percentage."),
    ]
    feedback = next((m.feedback for m in wrong_guesses if m.matches(guess, 0.1)), "")
    if not feedback and guess > 1:
        feedback = "More data make the posterior narrower, not wider: the factor is below 1."
    why = (
        "The posterior sd of mu is close to the standard error s / sqrt(n) (as checked above), "
        "so four times the data divide it by sqrt(4) = 2."
    )
    not_yet(f"your prediction, {guess:.3g}, was off", f"{feedback} {why}".strip())
    return Verdict(False)


def check_interval(answer: object, data: object, num_points: int = 10) -> Verdict:
    """Exercise 01.3: the central 95% posterior interval of mu, as a (low, high) pair, from the
    first `num_points` points."""
    x = as_data_array(data)
    if not 2 <= num_points <= x.size:
        raise ValueError(f"data has {x.size} points; the exercise needs its first {num_points}")
    what = f"the 95% interval of mu from the first {num_points} points"
    if answer is None or answer is Ellipsis:
        return no_answer(what)
    pair_wanted = "Give the two ends as a pair of numbers, for example (low, high)."
    if isinstance(answer, str | bytes):
        return not_yet(f"{what} should be two numbers, not the text {answer!r}", pair_wanted)
    try:
        ends = [float(end) for end in answer]  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return not_yet(f"{what} should be a pair (low, high), got {answer!r}", pair_wanted)
    if len(ends) != 2 or not all(math.isfinite(end) for end in ends):
        return not_yet(f"{what} should be two finite numbers, got {answer!r}", pair_wanted)
    low, high = ends
    first = x[:num_points]
    post = exact_posterior(first)
    expected = post.interval("mu", 0.95)
    width = expected[1] - expected[0]
    mean, se = float(first.mean()), float(first.std(ddof=1)) / math.sqrt(num_points)
    # Right answers: the exact posterior's quantiles, by exact_posterior or by integrating its
    # density on a grid, agree to 0.01% of the width. The nearest typical mistakes, for 10 points:
    # the Normal approximation (posterior mean +- 1.96 sd) is 0.9-1.6% of the width away at one
    # end, the t interval 1-4% (30 seeds); 0.5% of the width separates them from the right one.
    tolerance = 0.005 * width

    def matches(pair: tuple[float, float]) -> bool:
        return abs(low - pair[0]) <= tolerance and abs(high - pair[1]) <= tolerance

    shown = f"{what} = ({low:.4g}, {high:.4g})"
    if matches(expected):
        return correct(shown)
    t_quantile = float(stats.t.ppf(0.975, num_points - 1))
    mistakes = [
        (
            (expected[1], expected[0]),
            "The ends are the wrong way round: the low end comes first.",
        ),
        (
            exact_posterior(x).interval("mu", 0.95),
            f"This is the interval from all {x.size:,} points (as computed above); the exercise "
            f"uses the first {num_points} only.",
        ),
        (
            (mean - 1.96 * se, mean + 1.96 * se),
            "This is the classical mean +- 1.96 s / sqrt(n), which is too narrow here: it treats "
            "sigma as known (equal to s). The posterior of mu also averages over the uncertain "
            "sigma, which with few points gives it heavier tails and a wider interval.",
        ),
        (
            (mean - t_quantile * se, mean + t_quantile * se),
            "This is the classical t interval: wider than mean +- 1.96 s / sqrt(n) for the right "
            "reason, but the exact posterior, with the course's priors, differs from it by a few "
            "percent of its width. Use the exact posterior.",
        ),
        (
            (post.mu_mean - 1.96 * post.mu_sd, post.mu_mean + 1.96 * post.mu_sd),
            "This is the posterior mean +- 1.96 posterior sd, a Normal approximation. With few "
            "points the posterior of mu has heavier tails than a Normal, so its 2.5% and 97.5% "
            "quantiles lie a little farther out: take the quantiles themselves.",
        ),
        (post.interval("sigma", 0.95), "This is the interval of sigma, not of mu."),
    ]
    for pair, feedback in mistakes:
        if matches(pair):
            return not_yet(f"{shown} is not right", feedback)
    if high - low < 0.99 * width:
        direction = "It is too narrow"
    elif high - low > 1.01 * width:
        direction = "It is too wide"
    else:
        direction = "It is shifted to the " + ("left" if low < expected[0] else "right")
    return not_yet(
        f"{shown} is not right",
        f"{direction}, by more than the check allows; re-read what the exercise asks for.",
    )


def check_strong_prior_mean(answer: object, data: object, prediction: object = None) -> Verdict:
    """Exercise 01.4 (predict, then run): the posterior mean of mu under mu ~ Normal(0, 0.1)."""
    x = as_data_array(data)
    what = "the posterior mean of mu under the prior Normal(0, 0.1)"
    value = as_number(answer, what, prediction)
    if isinstance(value, Verdict):
        return value
    prior_sd = 0.1
    expected = exact_posterior(x, mu_prior=(0.0, prior_sd)).mu_mean
    n, mean, s = x.size, float(x.mean()), float(x.std(ddof=1))
    data_precision, prior_precision = n / s**2, 1 / prior_sd**2
    total = data_precision + prior_precision
    # Right answers: the exact posterior mean, and the precision-weighted average with sigma at
    # its posterior mean under this prior (0.05% apart). The nearest typical mistake, that
    # average with sigma fixed at s, is 5-7% larger (seeds 0-3); 1% separates them.
    if abs(value) < 0.01 * abs(expected):
        verdict = not_yet(
            f"{what} = {value:.4g} is not right",
            "This is the prior mean: even a strong prior leaves the data some say.",
        )
    else:
        mistakes = [
            Mistake(
                data_precision * mean / total,
                "This is the precision-weighted average with sigma fixed at the sample sd s. "
                "Given sigma that formula is exact, but the posterior of mu averages over sigma, "
                "and under this prior sigma is larger than s: with mu pulled towards 0 the data "
                "scatter more widely around it, so they weigh less. Use the exact posterior.",
            ),
            Mistake(
                exact_posterior(x).mu_mean,
                "This is (almost) the sample mean, the posterior mean under the course's wide "
                "prior: the strong prior Normal(0, 0.1) is missing.",
                rel_tol=0.01,  # the sample mean and the wide prior's answer differ by 0.02%
            ),
            Mistake(
                exact_posterior(x, mu_prior=(0.0, math.sqrt(prior_sd))).mu_mean,
                "This is the posterior under a prior with sd sqrt(0.1): Normal(0, 0.1) takes the "
                "standard deviation, 0.1, not the variance.",
            ),
            Mistake(
                prior_precision * mean / total,
                "The weights are swapped: each mean is weighted by its own precision, the sample "
                "mean by n / s^2 and the prior mean by 1 / 0.1^2.",
            ),
        ]
        verdict = judge(value, expected, what, rel_tol=0.01, mistakes=mistakes)
    gate = prediction_gate(verdict, prediction)
    if gate is not None:
        return gate
    nearer_zero = abs(expected) < abs(expected - mean)
    if isinstance(prediction, str):
        text = prediction.strip().lower()
        says_mean = "sample" in text or "data" in text or text == "mean"
        says_zero = any(word in text for word in ("0", "zero", "prior"))  # "prior mean" is 0
        if says_mean == says_zero:
            not_yet(
                f"your prediction {prediction!r} is not one of the two",
                'Write prediction = "0" or prediction = "sample mean".',
            )
            return Verdict(False)
        predicted_zero = says_zero
    else:
        guess = as_number(prediction, "your prediction")
        if isinstance(guess, Verdict):
            return Verdict(False)
        predicted_zero = abs(guess) < abs(guess - mean)
    if predicted_zero == nearer_zero:
        correct(f"your prediction: nearer {'0' if nearer_zero else 'the sample mean'}")
        return verdict
    se = s / math.sqrt(n)
    if nearer_zero:
        why = (
            f"With {n:,} points the data usually outweigh a prior, but not this one: its sd, "
            f"{prior_sd}, is smaller than the standard error of the mean, {se:.3f}, so it holds "
            f"more information about mu (precision {prior_precision:.0f}) than all the data "
            f"(precision n / s^2, about {data_precision:.0f})."
        )
    else:
        why = (
            f"The standard error of the mean, {se:.3f}, is smaller than the prior's sd, "
            f"{prior_sd}: the data hold more information about mu than the prior."
        )
    not_yet(f"your prediction, nearer {'0' if predicted_zero else 'the sample mean'}, was off", why)
    return Verdict(False)
