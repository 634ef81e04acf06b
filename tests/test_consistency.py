"""One vocabulary across the course: guide parameter names and the recipe's step count.

- A guide's `pyro.param` is named after a sample site of the notebook and the guide
  distribution's own argument (`sigma_loc`, `sigma_scale`, `mu_loc`, `sigma_shape`, ...), never
  after a transformed value (`log_sigma_loc`).
- Every fit with the recommended recipe's optimiser (ClippedAdam) trains for the recipe's 500
  steps, except the fits listed below, each with the reason the notebook gives.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RECIPE_NUM_STEPS = 500
GUIDE_ARGUMENTS = {"loc", "scale", "shape", "rate", "mean", "concentration", "df"}
# ClippedAdam fits that are not the recipe, by notebook and their num_steps, with the reason.
OTHER_SCHEDULES = {
    ("09_scaling", 1000): "a minibatch fit: 1,000 steps of 1,000 points each, one pass over 10^6",
}


def _code(path):
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    return request.param


def test_guide_parameters_are_named_after_a_site_and_an_argument(notebook):
    code = "\n".join(_code(notebook))
    sites = set(re.findall(r"pyro\.sample\(\s*\"([^\"]+)\"", code))
    for name in set(re.findall(r"pyro\.param\(\s*\"([^\"]+)\"", code)):
        site, _, argument = name.rpartition("_")
        assert site in sites and argument in GUIDE_ARGUMENTS, (
            f"{notebook.name}: pyro.param {name!r} should be <site>_<argument> with a site of "
            f"the model ({sorted(sites)}) and one of {sorted(GUIDE_ARGUMENTS)}"
        )


def test_no_log_prefixed_guide_parameters_anywhere():
    files = [*NOTEBOOKS, *(ROOT / "helpers").glob("*.py"), *(ROOT / "tests").glob("test_*.py")]
    for path in files:
        if path.name == Path(__file__).name:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"log_sigma_(loc|scale)", text), f"{path.name}: say sigma_loc"


def test_every_clipped_adam_fit_runs_the_recipes_500_steps(notebook):
    for source in _code(notebook):
        if "ClippedAdam" not in source:
            continue
        for steps in re.findall(r"num_steps\s*=\s*(\d[\d_]*)", source):
            steps = int(steps)
            assert steps == RECIPE_NUM_STEPS or (notebook.stem, steps) in OTHER_SCHEDULES, (
                f"{notebook.name} trains with ClippedAdam for {steps} steps; the recipe's is "
                f"{RECIPE_NUM_STEPS} (or list the fit in OTHER_SCHEDULES with its reason)"
            )


def test_the_recipe_is_used_somewhere_with_its_step_count():
    found = [
        path.stem
        for path in NOTEBOOKS
        for source in _code(path)
        if "ClippedAdam" in source and re.search(rf"num_steps\s*=\s*{RECIPE_NUM_STEPS}\b", source)
    ]
    assert "05_convergence" in found, found


def test_the_helpers_map_names_every_module():
    """helpers/__init__.py's docstring is the package's map: a newcomer reads it first."""
    import helpers

    modules = {p.stem for p in (ROOT / "helpers").glob("*.py") if not p.stem.startswith("_")}
    missing = [m for m in sorted(modules) if not re.search(rf"\b{m}\b", helpers.__doc__)]
    assert not missing, f"add these modules to the map in helpers/__init__.py: {missing}"
