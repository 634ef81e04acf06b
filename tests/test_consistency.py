"""One vocabulary across the course: guide parameter names and the recipe's step count.

- A guide's `pyro.param` is named after a sample site of the notebook and the guide
  distribution's own argument (`sigma_loc`, `sigma_scale`, `mu_loc`, `sigma_shape`, ...), never
  after a transformed value (`log_sigma_loc`).
- The recommended recipe is written out once (05) and is `helpers.fit` everywhere else; every
  fit with it trains for the recipe's 500 steps, except the fits listed below, with the reason.
- The helpers package's public API is what the notebooks import, documented in its map.
"""

import ast
import importlib
import inspect
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


def _recipe_calls(path):
    """The num_steps of every `fit(...)` call in a notebook (None where the default is kept); a
    name is looked up among the notebook's assignments of whole numbers (`num_steps = 500`)."""
    trees = [ast.parse(source) for source in _code(path)]
    constants = {
        target.id: node.value.value
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    steps = []
    for node in (n for tree in trees for n in ast.walk(tree)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "fit":
            given = [k.value for k in node.keywords if k.arg == "num_steps"]
            if not given:
                steps.append(None)
            elif isinstance(given[0], ast.Name):
                steps.append(constants.get(given[0].id, given[0].id))
            else:
                steps.append(ast.literal_eval(given[0]))
    return steps


def test_every_recipe_fit_runs_the_recipes_500_steps(notebook):
    for steps in _recipe_calls(notebook):
        assert steps in (None, RECIPE_NUM_STEPS) or (notebook.stem, steps) in OTHER_SCHEDULES, (
            f"{notebook.name} runs the recipe for {steps} steps; the recipe's is "
            f"{RECIPE_NUM_STEPS} (or list the fit in OTHER_SCHEDULES with its reason)"
        )


def test_the_recipe_is_written_out_once_and_called_everywhere_else():
    """ClippedAdam with a decaying rate appears in one lesson (05, which builds it) and in
    helpers.fit; every other notebook calls helpers.fit, whose defaults are the recipe's."""
    from helpers import fit

    written = [p.stem for p in NOTEBOOKS if any("ClippedAdam" in s for s in _code(p))]
    assert written == ["05_convergence"], written
    assert "ClippedAdam" in inspect.getsource(fit)
    defaults = {k: v.default for k, v in inspect.signature(fit).parameters.items()}
    assert defaults["num_steps"] == RECIPE_NUM_STEPS
    assert (defaults["num_particles"], defaults["average_last"]) == (32, 0.5)
    callers = [p.stem for p in NOTEBOOKS if _recipe_calls(p)]
    assert len(callers) >= 5, callers


def _imports_from_helpers(path):
    """(module, name) for every `from helpers[.module] import name` in a notebook's code."""
    found = []
    for source in _code(path):
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("helpers"):
                found += [(node.module, alias.name) for alias in node.names]
    return found


def _is_submodule(module_name, name):
    """Whether `from module_name import name` imports a submodule (not a function of the
    same name, such as helpers.setup)."""
    module = importlib.import_module(module_name)
    try:
        sub = importlib.import_module(f"{module_name}.{name}")
    except ModuleNotFoundError:
        return False
    return getattr(module, name, None) is sub


def _public_names(module):
    """A module's public names: its __all__, or the names it defines without a leading _."""
    if hasattr(module, "__all__"):
        return set(module.__all__)
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return {n for n in names if not n.startswith("_")}


def test_notebooks_import_only_public_names():
    wrong = []
    for path in NOTEBOOKS:
        for module_name, name in _imports_from_helpers(path):
            module = importlib.import_module(module_name)
            if not _is_submodule(module_name, name) and name not in _public_names(module):
                wrong.append(f"{path.stem}: from {module_name} import {name}")
    assert not wrong, wrong


def test_the_top_level_api_is_what_the_notebooks_import_from_helpers():
    import helpers

    used = {
        name
        for path in NOTEBOOKS
        for module_name, name in _imports_from_helpers(path)
        if module_name == "helpers" and not _is_submodule("helpers", name)
    }
    assert used == set(helpers.__all__), (
        f"used but not exported: {sorted(used - set(helpers.__all__))}; exported but no "
        f"notebook imports them from helpers: {sorted(set(helpers.__all__) - used)}"
    )
    assert all(name in helpers.__doc__ for name in helpers.__all__)  # the API is documented


def test_no_private_names_are_imported_across_helpers_modules():
    private = []
    for path in (ROOT / "helpers").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                names = [a.name for a in node.names if a.name.startswith("_")]
                private += [f"{path.relative_to(ROOT)}: {n}" for n in names]
    assert not private, private


def test_the_helpers_map_names_every_module():
    """helpers/__init__.py's docstring is the package's map: a newcomer reads it first."""
    import helpers
    import helpers.checks

    for package in (helpers, helpers.checks):
        folder = Path(package.__file__).parent
        modules = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")}
        modules |= {p.parent.name for p in folder.glob("*/__init__.py")}
        missing = [m for m in sorted(modules) if not re.search(rf"\b{m}\b", package.__doc__)]
        assert not missing, f"add these modules to the map in {package.__name__}: {missing}"


def test_every_helpers_package_is_installed():
    """A subpackage missing from pyproject's list works in an editable install, and is absent
    from a wheel."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    folders = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "helpers").rglob("__init__.py")
    }
    assert folders <= listed, f"add to [tool.setuptools] packages: {sorted(folders - listed)}"
