"""scripts/distributed_svi.py: two local processes (gloo) fit the same posterior as one, exactly
when the shards are uneven; the backend and device follow the hardware and LOCAL_RANK; one
flattened all_reduce per step, and the starting parameters come from rank 0."""

import importlib.util
import math
import subprocess
import sys

import pyro
import pytest
import torch
from pyro.infer import Trace_ELBO

from helpers import exact_posterior, make_data
from helpers.scaling import DISTRIBUTED_SVI_SCRIPT, free_port, run_script

SCRIPT = DISTRIBUTED_SVI_SCRIPT
N = 20_001  # odd: the two shards differ in size
ARGS = ["--num-points", str(N), "--num-steps", "400", "--num-particles", "4"]
PARAM_NAMES = ["mu_loc", "mu_scale", "sigma_loc", "sigma_scale"]

_spec = importlib.util.spec_from_file_location("distributed_svi", SCRIPT)
svi = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(svi)


def _torchrun(num_processes=2):
    launcher = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={num_processes}"]
    return [*launcher, "--master_addr=127.0.0.1", f"--master_port={free_port()}"]


@pytest.fixture(scope="module")
def fits():
    single = run_script([sys.executable, str(SCRIPT), *ARGS])
    double = run_script([*_torchrun(), str(SCRIPT), *ARGS])
    return single, double


def _moments(fit):
    sigma_mean = math.exp(fit["sigma_loc"] + fit["sigma_scale"] ** 2 / 2)
    sigma_sd = sigma_mean * math.sqrt(math.expm1(fit["sigma_scale"] ** 2))
    return fit["mu_loc"], fit["mu_scale"], sigma_mean, sigma_sd


def test_two_processes_join_one_group_and_rank_zero_reports(fits):
    single, double = fits
    assert single["world_size"] == 1 and double["world_size"] == 2
    assert single["n"] == double["n"] == N
    # --device auto: a GPU per process when there are enough, else the CPU.
    assert single["device"] == ("cuda" if torch.cuda.device_count() >= 1 else "cpu")
    assert double["device"] == ("cuda" if torch.cuda.device_count() >= 2 else "cpu")


def test_two_process_fit_matches_the_exact_posterior_and_the_single_process_fit(fits):
    exact = exact_posterior(make_data(n=N, seed=0))
    for fit in fits:
        mu_mean, mu_sd, sigma_mean, sigma_sd = _moments(fit)
        # 4 particles, 400 steps: means within 0.25 posterior sd and sds within 10%, as in
        # notebook 09 (seen across seeds: within about 0.1 sd and 6%).
        assert abs(mu_mean - exact.mu_mean) < 0.25 * exact.mu_sd
        assert abs(sigma_mean - exact.sigma_mean) < 0.25 * exact.sigma_sd
        assert abs(mu_sd / exact.mu_sd - 1) < 0.10
        assert abs(sigma_sd / exact.sigma_sd - 1) < 0.10
    one, two = (_moments(f) for f in fits)
    # The same draws, but in float32 the optimiser amplifies rounding over 400 steps (see the
    # script's docstring), so here the fits agree only as two fits of one posterior do.
    assert abs(one[0] - two[0]) < 0.25 * exact.mu_sd
    assert abs(one[1] / two[1] - 1) < 0.15


# 1001 in `make test`; 999 (the other parity of the uneven split) in `make test-robust`.
@pytest.mark.parametrize("n", [pytest.param(999, marks=pytest.mark.robust), 1001])
def test_uneven_shards_in_float64_give_the_single_process_fit_to_rounding(n):
    args = ["--num-points", str(n), "--num-steps", "200", "--float64", "--device", "cpu"]
    single = run_script([sys.executable, str(SCRIPT), *args])
    double = run_script([*_torchrun(), str(SCRIPT), *args])
    assert double["world_size"] == 2
    # Same draws and weights n_r / n: the summed gradient is the full-data one, so the fits
    # differ by float64 rounding (seen: below 1e-16). Equal weights 1/2 put them about 8e-5
    # apart, a seed per process about 3e-3.
    gap = max(abs(single[name] - double[name]) for name in PARAM_NAMES)
    assert gap < 1e-9, f"the 1- and 2-process fits differ by {gap:.3g}"


GRADIENT_WORKER = """
import importlib.util, json, sys
import pyro, torch, torch.distributed as distributed
from pyro.infer import Trace_ELBO

spec = importlib.util.spec_from_file_location("distributed_svi", sys.argv[1])
svi = importlib.util.module_from_spec(spec)
spec.loader.exec_module(svi)
n = int(sys.argv[2])
launched = "WORLD_SIZE" in __import__("os").environ
if launched:
    distributed.init_process_group("gloo")
world = distributed.get_world_size() if launched else 1
data, shard, weight, params = svi.prepare(n, 0, torch.device("cpu"))
elbo = Trace_ELBO(num_particles=4, vectorize_particles=True, max_plate_nesting=1)
report = {"weight": weight, "world_size": world}
for label, w in [("weighted", weight), ("equal", 1 / world)]:
    pyro.set_rng_seed(0)
    svi.gradient_step(elbo, params, data, shard, n, w)
    report[label] = torch.cat([p.grad.reshape(-1) for p in params]).tolist()
if not launched or distributed.get_rank() == 0:
    print(json.dumps(report))
if launched:
    distributed.destroy_process_group()
"""


def test_first_step_gradient_with_uneven_shards_is_the_full_data_gradient(tmp_path):
    n = 1001
    worker = tmp_path / "gradient_worker.py"
    worker.write_text(GRADIENT_WORKER)
    full = run_script([sys.executable, str(worker), str(SCRIPT), str(n)])
    split = run_script([*_torchrun(), str(worker), str(SCRIPT), str(n)])
    assert full["world_size"] == 1 and split["world_size"] == 2
    assert split["weight"] == 501 / 1001  # rank 0 holds points 0, 2, ..., 1000
    expected = torch.tensor(full["weighted"])
    # float32 sums of 1001 terms in another order: relative rounding of about 1e-7 (seen: 3e-7
    # of the largest component); equal weights are off by about 4e-4 of it here.
    tolerance = 1e-5 * expected.abs().max()
    weighted_gap = (torch.tensor(split["weighted"]) - expected).abs().max()
    equal_gap = (torch.tensor(split["equal"]) - expected).abs().max()
    assert weighted_gap < tolerance, f"off by {weighted_gap:.3g} (tolerance {tolerance:.3g})"
    assert equal_gap > 10 * tolerance, "n too even for the test to tell the weightings apart"


@pytest.fixture
def fake_group(monkeypatch):
    """A process group of two identical processes, in this process: all_reduce doubles."""
    calls = []

    def all_reduce(tensor):
        calls.append(("all_reduce", tensor.numel()))
        tensor.mul_(2)

    def broadcast(tensor, src):
        calls.append(("broadcast", tensor.numel()))
        tensor.copy_(torch.arange(1.0, tensor.numel() + 1))  # rank 0's values

    monkeypatch.setattr(svi.distributed, "is_initialized", lambda: True)
    monkeypatch.setattr(svi.distributed, "all_reduce", all_reduce)
    monkeypatch.setattr(svi.distributed, "broadcast", broadcast)
    return calls


def test_one_flattened_all_reduce_per_step_sums_the_weighted_gradients(fake_group):
    data, shard = svi.load_shard(11, 0, 0, 2, torch.device("cpu"))
    params = svi.init_params(data.mean().item(), data.std().item(), torch.device("cpu"))
    elbo = Trace_ELBO(num_particles=2, vectorize_particles=True, max_plate_nesting=1)
    pyro.set_rng_seed(0)
    elbo.differentiable_loss(svi.model, svi.guide, data, shard, 11).backward()
    local = torch.cat([p.grad.reshape(-1) for p in params])  # this process's own gradient
    pyro.set_rng_seed(0)
    svi.gradient_step(elbo, params, data, shard, 11, 6 / 11)
    assert fake_group == [("all_reduce", 4)]
    reduced = torch.cat([p.grad.reshape(-1) for p in params])
    torch.testing.assert_close(reduced, 2 * 6 / 11 * local)


def test_starting_parameters_are_rank_zeros_in_one_broadcast(fake_group):
    params = svi.init_params(5.0, 3.0, torch.device("cpu"))
    svi.broadcast_params(params)
    assert fake_group == [("broadcast", 4)]
    torch.testing.assert_close(torch.stack([p.detach() for p in params]), torch.arange(1.0, 5.0))


def test_backend_is_nccl_for_a_gpu_and_gloo_for_the_cpu():
    assert svi.backend_for(torch.device("cuda", 1)) == "nccl"
    assert svi.backend_for("cuda") == "nccl"
    assert svi.backend_for(torch.device("cpu")) == "gloo"


def test_the_device_follows_local_rank_and_auto_falls_back_to_the_cpu(monkeypatch):
    monkeypatch.setenv("LOCAL_RANK", "3")
    local_rank = svi.env_int("LOCAL_RANK", 0)
    assert svi.pick_device("cuda", local_rank, 4, 4) == torch.device("cuda", 3)
    assert svi.pick_device("auto", local_rank, 4, 8) == torch.device("cuda", 3)
    assert svi.pick_device("auto", local_rank, 4, 2) == torch.device("cpu")  # too few GPUs
    assert svi.pick_device("auto", 0, 1, 0) == torch.device("cpu")
    assert svi.pick_device("cpu", local_rank, 4, 4) == torch.device("cpu")
    monkeypatch.delenv("LOCAL_RANK")
    assert svi.env_int("LOCAL_RANK", 0) == 0  # a plain process


def test_cuda_without_a_gpu_per_process_is_refused_with_the_way_out(monkeypatch):
    with pytest.raises(ValueError, match="nproc_per_node=1"):
        svi.pick_device("cuda", 0, 2, 1)
    monkeypatch.setenv("LOCAL_RANK", "one")
    with pytest.raises(ValueError, match="LOCAL_RANK"):
        svi.env_int("LOCAL_RANK", 0)


def test_script_rejects_bad_options():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--num-steps", "1"], capture_output=True, text=True
    )
    assert done.returncode != 0 and "--num-steps" in done.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_script_refuses_cuda_on_a_machine_without_one():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--device", "cuda"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "--device cuda" in done.stderr
