"""Benchmarks for the course's Gaussian model: time to accuracy, levers, speed, cost as data grow.

Usage (prints markdown tables; `make bench` runs it at full size: about 9 minutes on a quiet
2-core machine, longer under load):

    python benchmarks/bench.py                 # full sizes, 10 seeds, 10 whole-process rounds
    python benchmarks/bench.py --notebooks     # also time every notebook in a fresh kernel
    python benchmarks/bench.py --quick --seeds 2 --process-seeds 1   # tiny, for the unit test

Sections, one file each in benchmarks/ (each file's docstring says exactly what it measures):

1. fixed (time_to_accuracy.py), the headline: each configuration's fewest-step fixed schedule
   that is within the accuracy bar at its end on every seed, and that schedule's whole-process
   time, with NumPyro's `SVI.run` row and per-round ratios from interleaved runs.
2. oracle (oracle_stopped.py), secondary: steps and seconds until the fit first meets the bar,
   which needs the exact answer.
3. levers (levers.py): import costs, NumPyro's `SVI.run` taken apart, the recipe's profile,
   and the recipe's gap to NumPyro by phase.
4. speed (steps_per_second.py): steps per second of each ELBO implementation.
5. scaling (scaling.py): time per step and memory growth as data grow, full batch and
   minibatches, a fresh process per row.
6. With `--notebooks` (notebooks.py): each notebook's Run All time in a fresh kernel.

Shared pieces (the data, the exact answer, the bar, worker processes, tables) are in
common.py, the models and guides in models.py. Benchmarks report; they do not assert times.
NumPyro is optional (`pip install -e '.[bench]'`): without it its rows are replaced by a note.
A whole-process measurement runs this file as `bench.py --worker KIND JSON` in a fresh Python,
which imports only the module of that measurement and the backend it measures.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

STARTED = time.time()  # a worker's start, for the python-start phase (wall clock, as its parent)

# Run as a script, Python puts benchmarks/ first on the path; the modules are imported as the
# `benchmarks` namespace package from the course folder instead, so that no top-level name such
# as `common` or `notebooks` is taken.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

from benchmarks.common import exact_moments, have_numpyro, load_average, machine  # noqa: E402

SECTIONS = ("fixed", "oracle", "levers", "speed", "scaling")
WORKERS = {
    "fixed": ("benchmarks.time_to_accuracy", "worker_fixed"),
    "anatomy": ("benchmarks.levers", "worker_numpyro_anatomy"),
    "scaling": ("benchmarks.scaling", "worker_scaling"),
}


def run_as_worker(kind: str, payload_json: str) -> int:
    """A fresh process's measurement: run one worker and print its JSON result."""
    started_work = time.time()
    module, name = WORKERS[kind]
    result = getattr(importlib.import_module(module), name)(json.loads(payload_json))
    clock = {"script": STARTED, "work": started_work, "done": time.time()}
    print(json.dumps({**result, "clock": clock}), flush=True)
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (for the unit test)")
    parser.add_argument(
        "--seeds", type=int, default=10, help="seeds a schedule must pass (and oracle medians)"
    )
    parser.add_argument(
        "--process-seeds", type=int, default=None, help="interleaved whole-process rounds"
    )
    parser.add_argument("--check-every", type=int, default=10, help="oracle: steps between checks")
    parser.add_argument("--batch-size", type=int, default=1000, help="minibatch size")
    parser.add_argument("--notebooks", action="store_true", help="also time every notebook")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile table")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated subset of {','.join(SECTIONS)},notebooks "
        "(tta = fixed,oracle,levers)",
    )
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.check_every < 1 or args.batch_size < 1:
        parser.error("--seeds, --check-every and --batch-size must be at least 1")
    if args.process_seeds is None:
        args.process_seeds = args.seeds
    if args.process_seeds < 1:
        parser.error("--process-seeds must be at least 1")
    sections = set(args.sections.replace("tta", "fixed,oracle,levers").split(","))
    if "notebooks" in sections:  # `--sections notebooks`: the notebook timings alone
        sections.discard("notebooks")
        args.notebooks = True
    unknown = sections - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    if "levers" in sections:
        sections.add("fixed")  # the levers are read off the fixed-schedule runs
    args.sections = sections
    return args


def header(args: argparse.Namespace) -> str:
    """Versions, the machine and its load, and the options."""
    import pyro
    import torch

    versions = (
        f"Python {platform.python_version()}, torch {torch.__version__}, pyro {pyro.__version__}"
    )
    if have_numpyro():
        import jax
        import numpyro

        versions += f", jax {jax.__version__}, numpyro {numpyro.__version__}"
    else:
        versions += "; NumPyro not installed"
    return (
        "# Benchmarks\n\n"
        f"{versions}; torch threads 1 (as `helpers.setup`), JAX on the CPU with its defaults.\n"
        f"Machine: {machine()} at the start."
        + (" (--quick: tiny sizes, not for quoting)" if args.quick else "")
        + "\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and print markdown tables."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        return run_as_worker(argv[1], argv[2])
    args = parse_args(argv)
    start = time.perf_counter()
    print(header(args), flush=True)
    exact = exact_moments()
    if "fixed" in args.sections:
        from benchmarks.time_to_accuracy import section_fixed_schedule

        text, schedules, runs = section_fixed_schedule(args, exact)
        print(text + "\n", flush=True)
    if "oracle" in args.sections:
        from benchmarks.oracle_stopped import section_oracle

        print(section_oracle(args, exact) + "\n", flush=True)
    if "levers" in args.sections:
        from benchmarks.levers import section_levers

        print(section_levers(args, exact, schedules, runs) + "\n", flush=True)
    if "speed" in args.sections:
        from benchmarks.steps_per_second import section_steps_per_second

        print(section_steps_per_second(args) + "\n", flush=True)
    if "scaling" in args.sections:
        from benchmarks.scaling import section_scaling

        print(section_scaling(args) + "\n", flush=True)
    if args.notebooks:
        from benchmarks.notebooks import section_notebooks

        print(section_notebooks(args) + "\n", flush=True)
    print(
        f"Finished in {time.perf_counter() - start:.0f} s; load average at the end "
        f"{load_average()}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
