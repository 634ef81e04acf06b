"""Data-parallel SVI for the course's Gaussian model with torch.distributed, on CPUs or GPUs.

Each process holds one shard of the data, every `world_size`-th point, and scores it inside
`pyro.plate("data", n, subsample=shard)`, which scales the shard's log-likelihood by
n / n_r (n_r is this shard's size). So process r's loss is an unbiased estimate of the full-data
negative ELBO:

    L_r = -E_q[log p(mu, sigma) - log q(mu, sigma)] - (n / n_r) * sum over the shard of log p(x | .)

Why the result is exact, not only unbiased. Every process uses the same seed, so the guide draws
the same (mu, sigma) particles everywhere. Weighting process r's gradient by n_r / n and summing
over processes then gives, because the weights add up to 1,

    sum_r (n_r / n) * L_r = -E_q[log p - log q] - sum over all n points of log p(x | .),

the one-process (full-data) loss with those same draws: its gradient is the full-data gradient,
up to the order in which floats are added. (Splitting the loss as (prior and guide terms) /
world_size + the shard's unscaled log-likelihood, then summing, would be exact too.) Averaging
the gradients with equal weights, 1 / world_size, is exact only when every shard has the same
size; when world_size does not divide n it over-weights the points of the smaller shards.
The weighted gradients travel in one flattened `all_reduce` per step, and the optimiser state
is the same everywhere, so the parameters stay identical in every process and the fit equals the
one-process fit with the same seed step for step: the extra processes buy speed, not particles.
(Giving each process its own seed would spend them on more particles instead; the weighted sum
would stay unbiased but would no longer equal the one-process fit.)

"Up to rounding" deserves a word. Each step's gradient agrees with the one-process gradient to
float rounding (about 1e-7 relative in float32), but the optimiser can amplify such differences
over a run: with lr 0.1 and a posterior far narrower than Adam's first steps, as at n = 10^5, a
nudge of 1e-14 grows to 1e-2 within 100 steps, in one process as much as in many. So to see the
exactness, compare one step's gradients, or run in float64 (`--float64`) with a small n, where
the 1-process and 2-process fits agree to 1e-12 or better; the course's tests do both.

Hardware. `--device auto` (the default) uses one GPU per process when this machine has a GPU
for each of its processes, else the CPU; `--device cuda` insists on GPUs and `--device cpu` stays
on the CPU. Process r uses GPU number LOCAL_RANK (set by the launcher), its data and parameters
live there, and the processes talk through NCCL (which reduces only GPU tensors); on CPUs
through gloo. The initial parameters are broadcast from rank 0, so every process starts from the
same ones.

Launch on one machine with two CPU processes:

    python -m torch.distributed.run --nproc_per_node=2 scripts/distributed_svi.py

on one machine with NUM_GPUS GPUs, one process per GPU:

    torchrun --nproc_per_node=NUM_GPUS scripts/distributed_svi.py --device cuda

and on two machines (run on each, node_rank 0 on the machine at MASTER; give --device there,
since `auto` decides on each machine alone):

    torchrun --nnodes=2 --node_rank=R --nproc_per_node=4 --master_addr=MASTER \
        --master_port=29500 scripts/distributed_svi.py --num-points 10000000 --device cpu

Rank 0 prints one line of JSON: the guide's parameters averaged over the second half of the
steps (as in the course's recipe), the seconds the fit took, the world size, n and the device
type ("cpu" or "cuda").
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pyro
import pyro.distributions as dist
import torch
import torch._dynamo  # noqa: F401  (before any process group exists: see the note below)
import torch.distributed as distributed
from pyro.distributions import constraints
from pyro.infer import Trace_ELBO
from pyro.optim.clipped_adam import ClippedAdam

DEVICE_CHOICES = ("auto", "cpu", "cuda")

# Why torch._dynamo is imported above. torch.optim imports it at the first optimiser step; when
# that happens after init_process_group, it keeps a reference to the process group (PyTorch
# 2.13), so destroy_process_group no longer stops gloo's worker threads. A worker that still has
# to free the last step's tensor then needs Python's lock while Python shuts down, and the
# process aborts at exit ("terminate called without an active exception"), now and then.


def model(data: torch.Tensor, shard: torch.Tensor, n: int) -> None:
    """The course's model; the plate knows the full size n and scores this process's shard."""
    mu = pyro.sample("mu", dist.Normal(0.0, 10.0))
    sigma = pyro.sample("sigma", dist.Gamma(1.0, 0.1))
    with pyro.plate("data", n, subsample=shard):
        pyro.sample("obs", dist.Normal(mu, sigma), obs=data)


def guide(data: torch.Tensor, shard: torch.Tensor, n: int) -> None:
    """The course's LogNormal guide; its parameters are created by `init_params`."""
    mu_loc, mu_scale = pyro.param("mu_loc"), pyro.param("mu_scale")
    sigma_loc, sigma_scale = pyro.param("sigma_loc"), pyro.param("sigma_scale")
    pyro.sample("mu", dist.Normal(mu_loc, mu_scale))
    pyro.sample("sigma", dist.LogNormal(sigma_loc, sigma_scale))


def backend_for(device: torch.device) -> str:
    """The process group's backend for `device`: NCCL between GPUs, gloo between CPUs."""
    return "nccl" if torch.device(device).type == "cuda" else "gloo"


def env_int(name: str, default: int) -> int:
    """The whole number in environment variable `name` (set by torchrun), or `default`."""
    value = os.environ.get(name, str(default))
    try:
        number = int(value)
    except ValueError:
        raise ValueError(
            f"environment variable {name} must be a whole number, got {value!r}"
        ) from None
    if number < 0:
        raise ValueError(f"environment variable {name} must not be negative, got {number}")
    return number


def pick_device(
    requested: str, local_rank: int, local_world_size: int, num_gpus: int
) -> torch.device:
    """This process's device: GPU number `local_rank`, or the CPU.

    `requested` is "cpu", "cuda" (an error without a GPU for every process on this machine) or
    "auto" (GPUs when there is one for each of the `local_world_size` processes, else the CPU).
    """
    if requested not in DEVICE_CHOICES:
        raise ValueError(f"device must be one of {', '.join(DEVICE_CHOICES)}, got {requested!r}")
    if not 0 <= local_rank < local_world_size:
        raise ValueError(
            f"local_rank must be in 0..{local_world_size - 1} (local_world_size), got {local_rank}"
        )
    enough_gpus = num_gpus >= local_world_size
    if requested == "cuda" and not enough_gpus:
        raise ValueError(
            f"--device cuda needs one GPU per process: {local_world_size} processes on this "
            f"machine but {num_gpus} GPUs (use --nproc_per_node={num_gpus} or --device cpu)"
        )
    if requested == "cpu" or not enough_gpus:
        return torch.device("cpu")
    return torch.device("cuda", local_rank)


def load_shard(
    n: int, data_seed: int, rank: int, world: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """This process's data points and their indices in the full data, on `device`.

    Every process draws the same data (the course's generator) and keeps every `world`-th point
    from `rank` on; in real use each process would read its shard from storage instead.
    """
    draws = np.random.RandomState(data_seed).randn(n) * 4.0 + 2.0
    shard = torch.arange(rank, n, world, device=device)
    data = torch.tensor(draws[rank::world], dtype=torch.get_default_dtype(), device=device)
    return data, shard


def global_mean_and_sd(shard_data: torch.Tensor) -> tuple[float, float]:
    """Mean and sd of all the data, from each process's count, sum and sum of squares."""
    x = shard_data.double()
    count = torch.tensor(float(x.numel()), dtype=torch.float64, device=x.device)
    totals = torch.stack([count, x.sum(), x.square().sum()])
    if distributed.is_initialized():
        distributed.all_reduce(totals)  # sums over processes
    count, total, total_sq = totals.tolist()
    mean = total / count
    return mean, float(np.sqrt((total_sq - count * mean**2) / (count - 1)))


def init_params(mean: float, sd: float, device: torch.device) -> list[torch.Tensor]:
    """Start as the recipe does (locations at the data's mean and log sd, both scales 0.1) on
    `device`; return the unconstrained tensors the optimiser updates, in the store's order."""
    pyro.clear_param_store()
    pyro.param("mu_loc", torch.tensor(mean, device=device))
    pyro.param("mu_scale", torch.tensor(0.1, device=device), constraint=constraints.positive)
    pyro.param("sigma_loc", torch.tensor(float(np.log(sd)), device=device))
    pyro.param("sigma_scale", torch.tensor(0.1, device=device), constraint=constraints.positive)
    store = pyro.get_param_store()
    return [store.get_param(name).unconstrained() for name in store.keys()]


def broadcast_params(params: list[torch.Tensor]) -> None:
    """Overwrite every process's `params` with rank 0's, in one flattened broadcast."""
    if not distributed.is_initialized():
        return
    flat = torch.cat([p.detach().reshape(-1) for p in params])
    distributed.broadcast(flat, src=0)
    with torch.no_grad():
        for p, value in zip(params, flat.split([p.numel() for p in params]), strict=True):
            p.copy_(value.view_as(p))


def sum_weighted_gradients(params: list[torch.Tensor], weight: float) -> None:
    """Replace each gradient by the sum over processes of `weight` times that process's gradient,
    in one flattened `all_reduce`; `weight` is the process's shard size over n (see the top)."""
    flat = torch.cat([p.grad.reshape(-1) for p in params]) * weight
    if distributed.is_initialized():
        distributed.all_reduce(flat)  # sums over processes
    for p, grad in zip(params, flat.split([p.numel() for p in params]), strict=True):
        p.grad.copy_(grad.view_as(p.grad))


def prepare(
    n: int, data_seed: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, float, list[torch.Tensor]]:
    """This process's data, shard indices, weight n_r / n and parameters (the same in every
    process), in the process group if there is one."""
    rank = distributed.get_rank() if distributed.is_initialized() else 0
    world = distributed.get_world_size() if distributed.is_initialized() else 1
    if n < world:
        raise ValueError(f"n ({n}) must be at least the number of processes ({world})")
    data, shard = load_shard(n, data_seed, rank, world, device)
    params = init_params(*global_mean_and_sd(data), device)
    broadcast_params(params)
    return data, shard, shard.numel() / n, params


def gradient_step(
    elbo: Trace_ELBO,
    params: list[torch.Tensor],
    data: torch.Tensor,
    shard: torch.Tensor,
    n: int,
    weight: float,
) -> None:
    """Leave in each parameter's .grad the full-data ELBO's gradient, summed over processes."""
    for p in params:
        p.grad = None
    elbo.differentiable_loss(model, guide, data, shard, n).backward()
    sum_weighted_gradients(params, weight)


def fit(
    n: int,
    num_steps: int,
    seed: int,
    data_seed: int,
    num_particles: int = 4,
    lr: float = 0.1,
    lr_final: float = 0.002,
    device: torch.device | str = "cpu",
) -> dict[str, float]:
    """Fit this process's shard, summing weighted gradients across processes; return the
    parameters averaged over the second half of the steps, and the seconds the steps took."""
    device = torch.device(device)
    if device.type == "cpu":
        torch.set_num_threads(1)
    data, shard, weight, params = prepare(n, data_seed, device)
    # The same seed in every process, hence the same guide draws: what makes the sum exact.
    pyro.set_rng_seed(seed)
    store = pyro.get_param_store()
    names = list(store.keys())

    elbo = Trace_ELBO(num_particles=num_particles, vectorize_particles=True, max_plate_nesting=1)
    optimizer = ClippedAdam(params, lr=lr, lrd=(lr_final / lr) ** (1 / num_steps))
    # A running sum on the device, read once at the end: no host round trip per step.
    running = torch.zeros(len(names), dtype=torch.float64, device=device)
    start = time.perf_counter()
    for step in range(num_steps):
        gradient_step(elbo, params, data, shard, n, weight)
        optimizer.step()
        if step >= num_steps // 2:
            running += torch.stack([store[name].detach() for name in names])  # scalars
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    averaged = (running / (num_steps - num_steps // 2)).tolist()
    return {**dict(zip(names, averaged, strict=True)), "seconds": seconds}


def main(argv: list[str] | None = None) -> None:
    """Parse options, pick the device, join the process group (if launched by torchrun), fit,
    print on rank 0."""
    parser = argparse.ArgumentParser(description="Data-parallel SVI with torch.distributed.")
    parser.add_argument(
        "--num-points", type=int, default=100_000, help="number of data points in all"
    )
    parser.add_argument("--num-steps", type=int, default=400, help="SVI steps")
    parser.add_argument("--num-particles", type=int, default=4, help="particles (every process)")
    parser.add_argument("--lr", type=float, default=0.1, help="initial learning rate")
    parser.add_argument("--seed", type=int, default=0, help="SVI seed, the same in every process")
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the simulated data")
    parser.add_argument(
        "--float64",
        action="store_true",
        help="compute in float64: slower, but 1 and N processes then agree to about 1e-12",
    )
    parser.add_argument(
        "--device",
        choices=DEVICE_CHOICES,
        default="auto",
        help="cuda: one GPU per process (NCCL); cpu: gloo; auto: cuda if there are enough GPUs",
    )
    args = parser.parse_args(argv)
    if args.num_points < 2 or args.num_steps < 2 or args.num_particles < 1 or args.lr <= 0:
        parser.error("--num-points and --num-steps must be at least 2, --num-particles 1, --lr > 0")
    launched = "WORLD_SIZE" in os.environ
    try:
        device = pick_device(
            args.device,
            env_int("LOCAL_RANK", 0),
            env_int("LOCAL_WORLD_SIZE", 1),
            torch.cuda.device_count() if torch.cuda.is_available() else 0,
        )
    except ValueError as error:
        parser.error(str(error))
    if args.float64:
        torch.set_default_dtype(torch.float64)  # data, parameters and the model's constants
    if device.type == "cuda":
        torch.cuda.set_device(device)
        # Pyro builds the model's constants (Normal(0.0, 10.0), ...) as new tensors: put them here.
        torch.set_default_device(device)
    if launched:
        # device_id binds NCCL's communicator to this process's GPU from the start.
        distributed.init_process_group(
            backend=backend_for(device), device_id=device if device.type == "cuda" else None
        )
    try:
        result = fit(
            args.num_points,
            args.num_steps,
            args.seed,
            args.data_seed,
            args.num_particles,
            args.lr,
            device=device,
        )
        world = distributed.get_world_size() if launched else 1
        if not launched or distributed.get_rank() == 0:
            report = {**result, "world_size": world, "n": args.num_points, "device": device.type}
            print(json.dumps(report), flush=True)
    finally:
        if launched:
            distributed.destroy_process_group()


if __name__ == "__main__":
    main()
