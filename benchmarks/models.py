"""The course's model and guides, in Pyro and in NumPyro, built exactly as notebook 05 builds them.

Model: mu ~ Normal(0, 10), sigma ~ Gamma(1, 0.1), each point ~ Normal(mu, sigma).
Guide (the recipe's): Normal(mu_loc, mu_scale) x LogNormal(sigma_loc, sigma_scale), started at
the data's mean, 0.1 of the data's sd, the log of the data's sd (ddof=1, as `torch.std`) and 0.1
(`make_lognormal_guide(x_mean, 0.1 * x_sd, math.log(x_sd), 0.1)` in 05).
The original tutorial's guide: Normal x Gamma(shape, rate), started at the prior (0, 10, 1, 0.1).

Each backend is imported inside the functions that need it, so that importing this module costs
nothing and a worker process imports only the backend it measures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from benchmarks.common import LR, LR_FINAL

# --------------------------------------------------------------------------------------------
# Pyro
# --------------------------------------------------------------------------------------------


def pyro_model(data: Any) -> None:
    """The course's model (05's `model`, verbatim)."""
    import pyro
    import pyro.distributions as dist

    mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
    sigma = pyro.sample("sigma", dist.Gamma(1.0, 0.1))
    with pyro.plate("data", len(data)):
        pyro.sample("obs", dist.Normal(mu, sigma), obs=data)


def recipe_start(data: Any) -> tuple[float, float, float, float]:
    """The recipe guide's starting values from the data (a torch tensor), as 05 computes them."""
    x_mean, x_sd = data.mean().item(), data.std().item()
    return x_mean, 0.1 * x_sd, math.log(x_sd), 0.1


def make_pyro_guide(
    mu_loc: float, mu_scale: float, sigma_loc: float, sigma_scale: float
) -> Callable[[Any], None]:
    """05's `make_lognormal_guide`: Normal(mu_loc, mu_scale) x LogNormal(sigma_loc, sigma_scale)."""
    import pyro
    import pyro.distributions as dist
    import torch
    from pyro.distributions import constraints

    def guide(data: Any) -> None:
        loc = pyro.param("mu_loc", torch.tensor(mu_loc))
        scale = pyro.param("mu_scale", torch.tensor(mu_scale), constraint=constraints.positive)
        s_loc = pyro.param("sigma_loc", torch.tensor(sigma_loc))
        s_scale = pyro.param(
            "sigma_scale", torch.tensor(sigma_scale), constraint=constraints.positive
        )
        pyro.sample("mu", dist.Normal(loc, scale))
        pyro.sample("sigma", dist.LogNormal(s_loc, s_scale))

    return guide


def original_guide(data: Any) -> None:
    """The original tutorial's guide: Normal x Gamma(shape, rate), started at the prior."""
    import pyro
    import pyro.distributions as dist
    import torch
    from pyro.distributions import constraints

    loc = pyro.param("mu_loc", torch.tensor(0.0))
    scale = pyro.param("mu_scale", torch.tensor(10.0), constraint=constraints.positive)
    shape = pyro.param("sigma_shape", torch.tensor(1.0), constraint=constraints.positive)
    rate = pyro.param("sigma_rate", torch.tensor(0.1), constraint=constraints.positive)
    pyro.sample("mu", dist.Normal(loc, scale))
    pyro.sample("sigma", dist.Gamma(shape, rate))


def pyro_elbo(kind: str, num_particles: int) -> Any:
    """A Pyro ELBO by name (trace, meanfield or jit), particles vectorised when more than one,
    configured as `helpers.fit` configures its Trace_ELBO."""
    from pyro.infer import JitTrace_ELBO, Trace_ELBO, TraceMeanField_ELBO

    options: dict[str, Any] = {"num_particles": num_particles, "max_plate_nesting": 1}
    options["vectorize_particles"] = num_particles > 1
    if kind == "jit":
        return JitTrace_ELBO(ignore_jit_warnings=True, **options)
    return {"trace": Trace_ELBO, "meanfield": TraceMeanField_ELBO}[kind](**options)


def skip_torch_dynamo_import() -> int:
    """A probe, not a lever to teach: stop torch.optim from importing `torch._dynamo`.

    In torch 2.13, `Optimizer.add_param_group` (and state_dict, load_state_dict, zero_grad)
    are wrapped by the private `torch._compile._disable_dynamo`, which imports `torch._dynamo`
    (about a second) at the first call unless the wrapped function already carries its
    `__dynamo_disable` attribute. Setting that attribute to the function itself skips the
    import and changes nothing else when torch.compile is not used. Where the attribute is
    already set (dynamo was imported), it is left alone. Returns how many were marked.
    """
    from torch.optim.optimizer import Optimizer

    marked = 0
    for fn in vars(Optimizer).values():
        code = getattr(fn, "__code__", None)
        if code is None or code.co_qualname != "_disable_dynamo.<locals>.inner":
            continue
        if getattr(fn.__wrapped__, "__dynamo_disable", None) is None:
            setattr(fn.__wrapped__, "__dynamo_disable", fn.__wrapped__)
            marked += 1
    return marked


def recipe_optim(num_steps: int, lr: float = LR) -> Any:
    """`helpers.fit`'s optimiser: ClippedAdam decaying from lr to LR_FINAL over num_steps."""
    import pyro

    return pyro.optim.ClippedAdam({"lr": lr, "lrd": (LR_FINAL / lr) ** (1 / num_steps)})


# --------------------------------------------------------------------------------------------
# NumPyro (optional)
# --------------------------------------------------------------------------------------------


def numpyro_model(data: Any) -> None:
    """The same model in NumPyro."""
    import numpyro
    import numpyro.distributions as ndist

    mu = numpyro.sample("mu", ndist.Normal(0.0, 10.0))
    sigma = numpyro.sample("sigma", ndist.Gamma(1.0, 0.1))
    with numpyro.plate("data", data.shape[0]):
        numpyro.sample("obs", ndist.Normal(mu, sigma), obs=data)


def make_numpyro_guide(data: Any) -> Callable[[Any], None]:
    """The recipe's guide in NumPyro, started at the same values (computed from the data)."""
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as ndist
    from numpyro.distributions import constraints

    x_mean, x_sd = float(jnp.mean(data)), float(jnp.std(data, ddof=1))
    start = (x_mean, 0.1 * x_sd, math.log(x_sd), 0.1)

    def guide(data: Any) -> None:
        loc = numpyro.param("mu_loc", jnp.array(start[0], jnp.float32))
        scale = numpyro.param(
            "mu_scale", jnp.array(start[1], jnp.float32), constraint=constraints.positive
        )
        s_loc = numpyro.param("sigma_loc", jnp.array(start[2], jnp.float32))
        s_scale = numpyro.param(
            "sigma_scale", jnp.array(start[3], jnp.float32), constraint=constraints.positive
        )
        numpyro.sample("mu", ndist.Normal(loc, scale))
        numpyro.sample("sigma", ndist.LogNormal(s_loc, s_scale))

    return guide


def numpyro_step_size(num_steps: int, lr: float = LR) -> Callable[[Any], Any]:
    """The recipe's schedule as NumPyro's step-size function of the step index i (from 0).

    Pyro's ClippedAdam multiplies the rate by `lrd` before each step, so step i uses
    lr * lrd ** (i + 1), ending at LR_FINAL; this gives step i the same rate.
    """
    decay = (LR_FINAL / lr) ** (1 / num_steps)
    return lambda i: lr * decay ** (i + 1)


def numpyro_svi(data: Any, num_particles: int, num_steps: int, lr: float = LR) -> Any:
    """NumPyro's SVI with the recipe's optimiser and schedule and a vectorised Trace_ELBO."""
    import numpyro
    from numpyro.infer import SVI, Trace_ELBO

    optim = numpyro.optim.ClippedAdam(step_size=numpyro_step_size(num_steps, lr))
    guide = make_numpyro_guide(data)
    return SVI(numpyro_model, guide, optim, Trace_ELBO(num_particles=num_particles))
