"""Self-checks for the exercises of notebook 09 (scaling SVI up).

Each check works out the right answer itself from the sizes it is given, prints "Correct" or
"Not yet" with feedback on the likely mistake, and returns a `Verdict` that a solution cell can
`assert`. The "predict, then run" check also judges the prediction, once the answer is right. A
wrong or missing answer or prediction never raises; invalid sizes do (a programming error).
"""

from __future__ import annotations

import math
import re

from .._validation import as_integer
from .core import Mistake, Verdict, as_number, correct, judge, no_answer, not_yet, with_prediction


def _sizes(n: object, batch_size: object) -> tuple[int, int]:
    n, batch_size = as_integer(n, "n"), as_integer(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(f"batch_size ({batch_size}) must not exceed n ({n})")
    return n, batch_size


def check_scale_factor(answer: object, n: object, batch_size: object) -> Verdict:
    """Exercise 09.1: the scale a subsampled plate puts on each observation's log density."""
    n, batch_size = _sizes(n, batch_size)
    what = "the plate's scale factor"
    value = as_number(answer, what)
    if isinstance(value, Verdict):
        return value
    mistakes = [
        Mistake(
            batch_size,
            "This is the batch size b; the scale is how many of the n points each scored point "
            "stands for.",
        ),
        Mistake(
            batch_size / n,
            "This is upside down: b / n is the chance that a point is in the batch; each scored "
            "point stands for the inverse of that.",
        ),
        Mistake(
            math.sqrt(n / batch_size),
            "This is the square root of the scale: the plate multiplies each log density by the "
            "factor itself.",
        ),
        Mistake(n, "This is n, the number of points; the scale is per point of the batch."),
    ]
    # Right answers: n / b, from arithmetic or from a trace (float32 holds the ratio to 6e-8),
    # as an int, a float or a tensor. The nearest typical mistake, its square root, is a factor
    # sqrt(n / b) away; 1e-6 allows only rounding.
    return judge(value, n / batch_size, what, rel_tol=1e-6, mistakes=mistakes)


def check_unscaled_sd_factor(
    answer: object, n: object, batch_size: object, *, prediction: object = None
) -> Verdict:
    """Exercise 09.2: how many times too wide the posterior sd of mu is without the scaling.

    ``prediction``: the learner's guess of that factor, made before computing it.
    """
    n, batch_size = _sizes(n, batch_size)
    expected = math.sqrt(n / batch_size)
    what = "the factor by which the sd is too wide"
    value = as_number(answer, what)
    if isinstance(value, Verdict):
        verdict = value
    else:
        mistakes = [
            Mistake(
                n / batch_size,
                "This is n / b, the scale itself: it multiplies the log-likelihood, and so the "
                "precision (1 / variance) of the posterior. It is the factor on the variance, not "
                "on the sd.",
            ),
            Mistake(
                1.0,
                "A factor of 1 means no change: the posterior mean barely moves without the "
                "scale, but compare the sds.",
            ),
            Mistake(
                1 / expected,
                "This is upside down: the sd with all the data over the sd from one batch. The "
                "exercise asks how many times too wide the unscaled one is.",
            ),
            Mistake(
                batch_size / n,
                "This is upside down, and the factor on the variance, not on the sd.",
            ),
        ]
        # Right answers: sqrt(n / b) from the square-root law; exact posteriors of one batch and
        # of all the data (the batch's sample sd moves the ratio by 1/sqrt(2b), 0.7%; 20 batches
        # of 10^4 spread by 2%); an SVI fit of the unscaled model (within 2% over seeds). The
        # nearest typical mistakes, 1 and n / b, are a factor sqrt(n / b) away; 10% separates.
        verdict = judge(value, expected, what, rel_tol=0.10, mistakes=mistakes)

    def judge_guess(prediction: object) -> Verdict:
        # A prediction is right when it has the square-root law: within 25% of sqrt(n / b)
        # (7.5 to 12.5 at n / b = 100), far from n / b and from 1, the two typical guesses.
        guess = as_number(prediction, "your prediction")
        if isinstance(guess, Verdict):
            return guess
        if math.isclose(guess, expected, rel_tol=0.25):
            return correct(f"your prediction ({guess:.3g}) was right")
        law = (
            "Without the scale the fit believes it saw b points instead of n, and a posterior sd "
            f"shrinks like 1 / sqrt(number of points): sqrt(n / b) = {expected:.3g} times too wide."
        )
        if math.isclose(guess, n / batch_size, rel_tol=0.25):
            why = (
                "n / b is the factor on the log-likelihood, so on the precision (1 / variance) of "
                f"the posterior; the sd changes by its square root. {law}"
            )
        elif guess <= 1.25:
            why = f"A posterior from fewer points can only be wider. {law}"
        else:
            why = law
        return not_yet(f"your prediction, {guess:.3g}, was not right", why)

    return with_prediction(verdict, prediction, judge_guess)


# Names a learner may give for what the plate calls, and what each one is. A right answer is the
# permutation, written any way (torch.randperm, `randperm(n)[:b]`, "a random permutation", the
# profile's `{built-in method torch.randperm}`), or the Pyro function that draws it (the
# profile's `subsample_messenger.py:50(sample)`, `_Subsample.sample`).
_RIGHT = re.compile(r"perm|_subsample|subsample_messenger")
_WRONG = [
    (
        re.compile(r"randint"),
        "randint draws b indices with replacement, at a cost that grows with b, not n: it is a "
        "fix, not the cause.",
    ),
    (
        re.compile(r"multinomial|choice|shuffle"),
        "That could cost time in proportion to n too, but it is not what pyro.plate calls.",
    ),
    (
        re.compile(r"arange"),
        "The plate calls arange(n) only without subsampling, when it takes all n points.",
    ),
    (
        re.compile(r"log_?prob|normal"),
        "log_prob scores only the b points of the batch: its cost does not grow with n.",
    ),
    (
        re.compile(r"index|gather|getitem|\["),
        "Indexing the data with the batch's indices copies only b points: its cost does not "
        "grow with n.",
    ),
    (
        re.compile(r"backward|grad|step"),
        "The gradient flows through the b scored points only: its cost does not grow with n.",
    ),
    (
        re.compile(r"subsample|plate"),
        "That is the plate's subsampling, which is where the time goes: name the function it "
        "calls to draw the batch.",
    ),
]


def check_subsample_cost(answer: object) -> Verdict:
    """Exercise 09.3: the function that makes `subsample_size=` cost O(n) per step."""
    what = "the function"
    if answer is None or answer is Ellipsis:
        return no_answer(what)
    if not isinstance(answer, str):
        return not_yet(
            f"give the function's name as text, got {answer!r}",
            "Put the name in quotes, for example 'torch.zeros'.",
        )
    text = answer.strip().lower()
    if not text:
        return not_yet("the answer is empty text", "Write the function's name between the quotes.")
    if _RIGHT.search(text):
        return correct(
            f"{answer.strip()!r}: at every step the plate draws its batch as "
            "torch.randperm(n)[:b], a permutation of all n indices"
        )
    for pattern, feedback in _WRONG:
        if pattern.search(text):
            return not_yet(f"{answer.strip()!r} is not it", feedback)
    return not_yet(
        f"{answer.strip()!r} is not it",
        "Look at which function takes the time in the profile of one step at n = 10**7.",
    )


def check_log_prob_bytes(answer: object, n: object, num_particles: object) -> Verdict:
    """Exercise 09.4: megabytes (10**6 bytes) of one float32 log-density array, full batch."""
    n, num_particles = as_integer(n, "n"), as_integer(num_particles, "num_particles")
    expected = n * num_particles * 4 / 1e6
    what = "the size in MB"
    value = as_number(answer, what)
    if isinstance(value, Verdict):
        return value
    mistakes = [
        Mistake(
            2 * expected,
            "This is twice the size: a float64 takes 8 bytes, but the array is float32.",
        ),
        Mistake(expected / 4, "This is 4 times too small: a float32 takes 4 bytes per number."),
        Mistake(
            8 * expected,
            "This is 8 times too large: bits, not bytes (a float32 is 32 bits, 4 bytes).",
        ),
        Mistake(expected * 1e6, "This is in bytes; the question asks for MB, 10**6 bytes."),
        Mistake(expected * 1e3, "This is in kB; the question asks for MB, 10**6 bytes."),
        Mistake(
            expected / 1e3,
            "This is in GB; the question asks for MB, 10**6 bytes.",
            rel_tol=0.1,  # GB or GiB
        ),
    ]
    if num_particles > 1:
        mistakes.append(
            Mistake(
                expected / num_particles,
                f"This is {num_particles} times too small: the array holds one log density "
                "per data point and particle.",
            )
        )
    # Right answers: n * particles * 4 / 10**6 MB, by arithmetic or from a tensor's nbytes; the
    # same in MiB (2**20 bytes, what memory tools report) is 4.6% smaller, and rounding to 1,300
    # moves it by 1.6%. The nearest typical mistakes, float64 and forgetting the 4 bytes, are a
    # factor 2 and 4 away; 6% keeps MiB and rejects them.
    return judge(value, expected, what, rel_tol=0.06, mistakes=mistakes)
