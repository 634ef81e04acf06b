"""The SVI training loop with a divergence guard, the recipe built on it, and ELBO estimates."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyro
import torch
from pyro.infer import SVI, Trace_ELBO
from pyro.infer.importance import vectorized_importance_weights
from tqdm.auto import tqdm

from ._validation import as_integer


class TrainingDiverged(FloatingPointError):
    """Raised when the loss or a parameter becomes NaN or infinite during training."""


# The message of torch's distribution validation when a parameter is NaN, infinite or outside its
# support: "Expected parameter scale (Tensor of shape ()) of distribution Normal(...) to satisfy
# the constraint GreaterThan(lower_bound=0.0), but found invalid values: ...". During training it
# means an optimiser step took a parameter there; every other ValueError (a shape mismatch, a bad
# argument) is a bug in the model or guide and must reach the caller unchanged.
_INVALID_PARAMETER = re.compile(r"Expected parameter .* to satisfy the constraint", re.DOTALL)


def _signals_divergence(error: ValueError) -> bool:
    """Whether Pyro's validation rejected a distribution's parameter (NaN, inf, out of support)."""
    return _INVALID_PARAMETER.search(str(error)) is not None


@dataclass
class FitResult:
    """What a fit recorded: the loss at each step, every parameter's trace, and the averages.

    `params` holds each parameter's value (constrained) at every step, as numpy arrays with the
    step first; `averaged` holds each parameter's mean over the averaging window (the recipe's
    answer) as a tensor of the parameter's own dtype and device, or is empty when no window was
    asked for. The param store itself keeps the last step's values.
    """

    losses: np.ndarray
    params: dict[str, np.ndarray] = field(repr=False)
    seconds: float
    averaged: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)

    @property
    def final_params(self) -> dict[str, float | np.ndarray]:
        """Each parameter's value after the last step (floats for scalars)."""
        return {k: (float(v[-1]) if v[-1].size == 1 else v[-1]) for k, v in self.params.items()}


def _constrained_values() -> dict[str, torch.Tensor]:
    """Every parameter's current constrained value, detached, on its own device (no sync)."""
    store = pyro.get_param_store()
    return {name: store[name].detach().clone() for name in store.keys()}


def _not_finite(values: dict[str, torch.Tensor]) -> list[str]:
    return [name for name, value in values.items() if not bool(torch.isfinite(value).all())]


def _diverged(step: int, problem: str, values: dict[str, torch.Tensor]) -> str:
    bad = _not_finite(values)
    problems = [problem] if problem else []
    if bad:
        problems.append(f"parameter(s) {', '.join(bad)} became NaN or infinite")
    return (
        f"training diverged at step {step}: {' and '.join(problems)}. What usually helps: a lower "
        "learning rate, or smaller starting scales for the guide."
    )


def train(
    model: Callable,
    guide: Callable,
    *args: object,
    optim: pyro.optim.PyroOptim,
    num_steps: int,
    loss: pyro.infer.ELBO | None = None,
    average_last: float | None = None,
    batches: Iterator[object] | None = None,
    progress: bool = False,
    **kwargs: object,
) -> FitResult:
    """Run `num_steps` of SVI, recording the loss and all parameters; stop if it diverges.

    The param store is NOT cleared here: call `pyro.clear_param_store()` (or `helpers.setup()`)
    before a new fit, so that a fit never silently starts from another fit's parameters.
    `average_last` (a fraction such as 0.5) also returns each parameter averaged over that last
    part of the steps, in `FitResult.averaged`. With `batches`, each step passes
    `next(batches)` after `args` (a minibatch's indices, say).

    Raises `TrainingDiverged` when the loss becomes NaN or infinite, when a parameter does (seen
    at the next step's loss, or at the end), and when, after the first step, Pyro's validation
    rejects a distribution's parameter (the ValueError is kept as the cause); any other
    ValueError, such as a shape mismatch or an invalid starting value, propagates unchanged.
    Parameter values stay on their device during the run: one transfer at the end, none per step.
    """
    num_steps = as_integer(num_steps, "num_steps")
    if not isinstance(optim, pyro.optim.PyroOptim):
        raise TypeError(f"optim must be a pyro.optim optimiser, got {type(optim).__name__}")
    if average_last is not None and not 0 < average_last <= 1:
        raise ValueError(f"average_last must be in (0, 1], got {average_last!r}")
    svi = SVI(model, guide, optim, loss=loss if loss is not None else Trace_ELBO())
    losses = np.empty(num_steps)
    history: dict[str, list[torch.Tensor]] = {}
    start = time.perf_counter()
    for step in tqdm(range(num_steps), disable=not progress, desc="SVI", leave=False):
        step_args = args if batches is None else (*args, next(batches))
        try:
            value = svi.step(*step_args, **kwargs)
        except ValueError as error:
            if step == 0 or not _signals_divergence(error):  # at step 0: a bad start, a bug
                raise
            first_line = str(error).strip().splitlines()[0]
            problem = f"a distribution's parameter left its support ({first_line})"
            raise TrainingDiverged(_diverged(step, problem, _constrained_values())) from error
        if not math.isfinite(value):
            raise TrainingDiverged(_diverged(step, f"the loss is {value}", _constrained_values()))
        losses[step] = value
        for name, tensor in _constrained_values().items():
            history.setdefault(name, []).append(tensor)
    final = {name: values[-1] for name, values in history.items()}
    if _not_finite(final):
        raise TrainingDiverged(_diverged(num_steps - 1, "", final))
    seconds = time.perf_counter() - start
    stacked = {name: torch.stack(values) for name, values in history.items()}
    averaged = {}
    if average_last is not None:
        first = min(int(num_steps * (1 - average_last)), num_steps - 1)
        averaged = {name: trace[first:].mean(dim=0) for name, trace in stacked.items()}
    params = {name: trace.cpu().numpy() for name, trace in stacked.items()}
    return FitResult(losses=losses, params=params, seconds=seconds, averaged=averaged)


def fit(
    model: Callable,
    guide: Callable,
    *args: object,
    num_steps: int = 500,
    lr: float = 0.05,
    lr_final: float = 0.002,
    num_particles: int = 32,
    max_plate_nesting: int = 1,
    average_last: float = 0.5,
    loss: pyro.infer.ELBO | None = None,
    batches: Iterator[object] | None = None,
    clear_params: bool = True,
    progress: bool = False,
    **kwargs: object,
) -> FitResult:
    """The course's recipe (notebook 05): fit `guide` to `model` by SVI from a clean param store.

    ClippedAdam whose learning rate decays geometrically from `lr` to `lr_final` over the run,
    `Trace_ELBO` with `num_particles` vectorised particles, `num_steps` steps, and each parameter
    averaged over the last `average_last` of the steps (`FitResult.averaged`; the param store
    keeps the last step's values). Use the averages with `poutine.substitute(guide, data=...)`.
    `loss` replaces the `Trace_ELBO` (with another objective, such as `RenyiELBO`).
    `clear_params=False` keeps the param store as it is: for parameters created beforehand (to
    hook their gradients, say); the default starts afresh, never from an earlier fit's values.
    """
    if clear_params:
        pyro.clear_param_store()
    optim = pyro.optim.ClippedAdam({"lr": lr, "lrd": (lr_final / lr) ** (1 / num_steps)})
    if loss is None:
        loss = Trace_ELBO(
            num_particles=num_particles,
            vectorize_particles=True,
            max_plate_nesting=max_plate_nesting,
        )
    return train(
        model,
        guide,
        *args,
        optim=optim,
        num_steps=num_steps,
        loss=loss,
        average_last=average_last,
        batches=batches,
        progress=progress,
        **kwargs,
    )


@dataclass(frozen=True)
class ElboEstimate:
    """A Monte Carlo estimate of the ELBO with its standard error."""

    elbo: float
    std_error: float
    log_weights: np.ndarray = field(repr=False)


def estimate_elbo(
    model: Callable,
    guide: Callable,
    *args: object,
    num_particles: int = 10_000,
    max_plate_nesting: int = 1,
    **kwargs: object,
) -> ElboEstimate:
    """Estimate ELBO = E_q[log p(x, z) - log q(z)] from `num_particles` vectorised draws.

    For the course's model, KL(q || posterior) = exact log evidence - ELBO.
    """
    num_particles = as_integer(num_particles, "num_particles", minimum=2)
    max_plate_nesting = as_integer(max_plate_nesting, "max_plate_nesting", minimum=0)
    with torch.no_grad():
        log_weights, _, _ = vectorized_importance_weights(
            model,
            guide,
            *args,
            num_samples=int(num_particles),
            max_plate_nesting=max_plate_nesting,
            **kwargs,
        )
    w = log_weights.detach().double().cpu().numpy()
    return ElboEstimate(
        elbo=float(w.mean()), std_error=float(w.std(ddof=1) / np.sqrt(w.size)), log_weights=w
    )
