"""Data-parallel SVI for the course's Gaussian model with torch.distributed (gloo, CPU).

Each process holds one shard of the data. Its model scores the shard inside
`pyro.plate("data", n, subsample=shard)`, which scales the shard's log-likelihood by
n / shard size, so every process computes an unbiased estimate of the full-data ELBO. After
`loss.backward()` the processes average their gradients with `all_reduce`, and every process
takes the same optimiser step, so the parameters stay identical everywhere.

Launch on one machine with two processes:

    python -m torch.distributed.run --nproc_per_node=2 scripts/distributed_svi.py

and on two machines (run on each, node_rank 0 on the machine at MASTER):

    torchrun --nnodes=2 --node_rank=R --nproc_per_node=4 --master_addr=MASTER \
        --master_port=29500 scripts/distributed_svi.py --num-points 10000000

Rank 0 prints one line of JSON: the guide's parameters averaged over the second half of the
steps (as in the course's recipe), the world size and the seconds the fit took.
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
import torch.distributed as distributed
from pyro.distributions import constraints
from pyro.infer import Trace_ELBO
from pyro.optim.clipped_adam import ClippedAdam


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


def init_params(mean: float, sd: float) -> None:
    """Start as the recipe does: locations at the data's mean and log sd, both scales 0.1."""
    pyro.clear_param_store()
    pyro.param("mu_loc", torch.tensor(mean))
    pyro.param("mu_scale", torch.tensor(0.1), constraint=constraints.positive)
    pyro.param("sigma_loc", torch.tensor(float(np.log(sd))))
    pyro.param("sigma_scale", torch.tensor(0.1), constraint=constraints.positive)


def global_mean_and_sd(shard_data: torch.Tensor) -> tuple[float, float]:
    """Mean and sd of all the data, from each process's count, sum and sum of squares."""
    x = shard_data.double()
    totals = torch.stack(
        [torch.tensor(float(x.numel()), dtype=torch.float64), x.sum(), x.square().sum()]
    )
    if distributed.is_initialized():
        distributed.all_reduce(totals)  # sums over processes
    count, total, total_sq = totals.tolist()
    mean = total / count
    return mean, float(np.sqrt((total_sq - count * mean**2) / (count - 1)))


def fit(
    n: int,
    num_steps: int,
    seed: int,
    data_seed: int,
    num_particles: int = 4,
    lr: float = 0.1,
    lr_final: float = 0.002,
) -> dict[str, float]:
    """Fit this process's shard, averaging gradients across processes; return averaged params."""
    rank = distributed.get_rank() if distributed.is_initialized() else 0
    world = distributed.get_world_size() if distributed.is_initialized() else 1
    torch.set_num_threads(1)
    # Every process draws the same data (the course's generator), keeps its own shard, and uses
    # its own stream of random numbers for the particles: seed + rank, fixed, so reruns agree.
    draws = np.random.RandomState(data_seed).randn(n) * 4.0 + 2.0
    shard = torch.arange(rank, n, world)
    data = torch.tensor(draws[rank::world], dtype=torch.float32)
    pyro.set_rng_seed(seed + rank)
    init_params(*global_mean_and_sd(data))  # the same values in every process
    store = pyro.get_param_store()
    params = [store.get_param(name).unconstrained() for name in store.keys()]

    elbo = Trace_ELBO(num_particles=num_particles, vectorize_particles=True, max_plate_nesting=1)
    optimizer = ClippedAdam(params, lr=lr, lrd=(lr_final / lr) ** (1 / num_steps))
    history = []
    start = time.perf_counter()
    for _ in range(num_steps):
        optimizer.zero_grad()
        loss = elbo.differentiable_loss(model, guide, data, shard, n)
        loss.backward()
        if world > 1:
            for p in params:
                distributed.all_reduce(p.grad)  # sum over processes ...
                p.grad /= world  # ... then the average: the full-data ELBO's gradient
        optimizer.step()
        history.append([store[name].item() for name in store.keys()])
    seconds = time.perf_counter() - start
    averaged = np.mean(history[num_steps // 2 :], axis=0)
    return {**dict(zip(store.keys(), averaged.tolist(), strict=True)), "seconds": seconds}


def main(argv: list[str] | None = None) -> None:
    """Parse options, join the process group (if launched by torchrun), fit, print on rank 0."""
    parser = argparse.ArgumentParser(description="Data-parallel SVI with torch.distributed.")
    parser.add_argument(
        "--num-points", type=int, default=100_000, help="number of data points in all"
    )
    parser.add_argument("--num-steps", type=int, default=400, help="SVI steps")
    parser.add_argument("--num-particles", type=int, default=4, help="particles per process")
    parser.add_argument("--lr", type=float, default=0.1, help="initial learning rate")
    parser.add_argument("--seed", type=int, default=0, help="SVI seed (process r uses seed + r)")
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the simulated data")
    args = parser.parse_args(argv)
    if args.num_points < 2 or args.num_steps < 2 or args.num_particles < 1 or args.lr <= 0:
        parser.error("--num-points and --num-steps must be at least 2, --num-particles 1, --lr > 0")
    launched = "WORLD_SIZE" in os.environ
    if launched:
        distributed.init_process_group(backend="gloo")
    try:
        result = fit(
            args.num_points,
            args.num_steps,
            args.seed,
            args.data_seed,
            args.num_particles,
            args.lr,
        )
        world = distributed.get_world_size() if launched else 1
        if not launched or distributed.get_rank() == 0:
            print(json.dumps({**result, "world_size": world, "n": args.num_points}), flush=True)
    finally:
        if launched:
            distributed.destroy_process_group()


if __name__ == "__main__":
    main()
