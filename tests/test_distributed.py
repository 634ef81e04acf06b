"""scripts/distributed_svi.py: two local processes (gloo) fit the same posterior as one."""

import math
import subprocess
import sys

import pytest

from helpers import exact_posterior, make_data
from helpers.scaling import DISTRIBUTED_SVI_SCRIPT, free_port, run_script

SCRIPT = DISTRIBUTED_SVI_SCRIPT
N = 20_000
ARGS = ["--num-points", str(N), "--num-steps", "400", "--num-particles", "4"]


@pytest.fixture(scope="module")
def fits():
    single = run_script([sys.executable, str(SCRIPT), *ARGS])
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2"]
    launcher += ["--master_addr=127.0.0.1", f"--master_port={free_port()}"]
    double = run_script([*launcher, str(SCRIPT), *ARGS])
    return single, double


def _moments(fit):
    sigma_mean = math.exp(fit["sigma_loc"] + fit["sigma_scale"] ** 2 / 2)
    sigma_sd = sigma_mean * math.sqrt(math.expm1(fit["sigma_scale"] ** 2))
    return fit["mu_loc"], fit["mu_scale"], sigma_mean, sigma_sd


def test_two_processes_join_one_group_and_rank_zero_reports(fits):
    single, double = fits
    assert single["world_size"] == 1 and double["world_size"] == 2
    assert single["n"] == double["n"] == N


def test_two_process_fit_matches_the_exact_posterior_and_the_single_process_fit(fits):
    exact = exact_posterior(make_data(n=N, seed=0))
    reference = (exact.mu_mean, exact.mu_sd, exact.sigma_mean, exact.sigma_sd)
    for fit in fits:
        mu_mean, mu_sd, sigma_mean, sigma_sd = _moments(fit)
        # 4 particles, 400 steps: means within 0.25 posterior sd and sds within 10%, as in
        # notebook 09 (seen across seeds: within about 0.1 sd and 6%).
        assert abs(mu_mean - exact.mu_mean) < 0.25 * exact.mu_sd
        assert abs(sigma_mean - exact.sigma_mean) < 0.25 * exact.sigma_sd
        assert abs(mu_sd / exact.mu_sd - 1) < 0.10
        assert abs(sigma_sd / exact.sigma_sd - 1) < 0.10
    one, two = (_moments(f) for f in fits)
    assert abs(one[0] - two[0]) < 0.25 * reference[1]
    assert abs(one[1] / two[1] - 1) < 0.15


def test_script_rejects_bad_options():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--num-steps", "1"], capture_output=True, text=True
    )
    assert done.returncode != 0 and "--num-steps" in done.stderr
