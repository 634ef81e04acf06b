"""The training loop the course uses after notebook 04 shows it in full, and ELBO estimates."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyro
import torch
from pyro.infer import SVI, Trace_ELBO
from pyro.infer.importance import vectorized_importance_weights
from tqdm.auto import tqdm


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
    """What a fit recorded: the loss and every parameter's value (constrained) at each step."""

    losses: np.ndarray
    params: dict[str, np.ndarray] = field(repr=False)
    seconds: float

    @property
    def final_params(self) -> dict[str, float | np.ndarray]:
        """Each parameter's value after the last step (floats for scalars)."""
        return {k: (float(v[-1]) if v[-1].size == 1 else v[-1]) for k, v in self.params.items()}


def _snapshot() -> dict[str, np.ndarray]:
    store = pyro.get_param_store()
    return {name: store[name].detach().cpu().numpy().copy() for name in store.keys()}


def _diverged_message(step: int, loss: float, values: dict[str, np.ndarray], lr_hint: str) -> str:
    bad = [name for name, value in values.items() if not np.all(np.isfinite(value))]
    problems = [] if math.isfinite(loss) else [f"the loss is {loss}"]
    if bad:
        problems.append(f"parameter(s) {', '.join(bad)} became NaN or infinite")
    return f"training diverged at step {step}: {' and '.join(problems)}. {lr_hint}"


def _rejected_message(step: int, error: ValueError, lr_hint: str) -> str:
    first_line = str(error).strip().splitlines()[0]
    return (
        f"training diverged at step {step}: a distribution's parameter became NaN or infinite, "
        f"or left its support ({first_line}). {lr_hint}"
    )


def train(
    model: Callable,
    guide: Callable,
    *args: object,
    optim: pyro.optim.PyroOptim,
    num_steps: int,
    loss: pyro.infer.ELBO | None = None,
    progress: bool = False,
    **kwargs: object,
) -> FitResult:
    """Run `num_steps` of SVI, recording the loss and all parameters; stop if it diverges.

    The param store is NOT cleared here: call `pyro.clear_param_store()` (or `helpers.setup()`)
    before a new fit, so that a fit never silently starts from another fit's parameters.
    Raises `TrainingDiverged` when the loss or a parameter becomes NaN or infinite, and when,
    after the first step, Pyro's validation rejects a distribution's parameter (the ValueError is
    kept as the cause); any other ValueError, such as a shape mismatch or an invalid starting
    value, propagates unchanged.
    """
    if isinstance(num_steps, bool) or not isinstance(num_steps, int | np.integer):
        raise TypeError(f"num_steps must be an integer, got {type(num_steps).__name__}")
    if num_steps < 1:
        raise ValueError(f"num_steps must be at least 1, got {num_steps}")
    if not isinstance(optim, pyro.optim.PyroOptim):
        raise TypeError(f"optim must be a pyro.optim optimiser, got {type(optim).__name__}")
    svi = SVI(model, guide, optim, loss=loss if loss is not None else Trace_ELBO())
    lr_hint = "What usually helps: a lower learning rate, or smaller starting scales for the guide."
    losses = np.empty(num_steps)
    history: dict[str, list[np.ndarray]] = {}
    start = time.perf_counter()
    for step in tqdm(range(num_steps), disable=not progress, desc="SVI", leave=False):
        try:
            value = svi.step(*args, **kwargs)
        except ValueError as error:
            if step == 0 or not _signals_divergence(error):  # at step 0: a bad start, a bug
                raise
            raise TrainingDiverged(_rejected_message(step, error, lr_hint)) from error
        snapshot = _snapshot()
        if not math.isfinite(value) or not all(np.all(np.isfinite(v)) for v in snapshot.values()):
            raise TrainingDiverged(_diverged_message(step, value, snapshot, lr_hint))
        losses[step] = value
        for name, array in snapshot.items():
            history.setdefault(name, []).append(array)
    seconds = time.perf_counter() - start
    params = {name: np.stack(values) for name, values in history.items()}
    return FitResult(losses=losses, params=params, seconds=seconds)


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
    if isinstance(num_particles, bool) or not isinstance(num_particles, int | np.integer):
        raise TypeError(f"num_particles must be an integer, got {type(num_particles).__name__}")
    if num_particles < 2:
        raise ValueError(f"num_particles must be at least 2, got {num_particles}")
    if isinstance(max_plate_nesting, bool) or not isinstance(max_plate_nesting, int | np.integer):
        raise TypeError(
            f"max_plate_nesting must be an integer, got {type(max_plate_nesting).__name__}"
        )
    if max_plate_nesting < 0:
        raise ValueError(f"max_plate_nesting must be non-negative, got {max_plate_nesting}")
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
