"""Project files agree with each other: pyproject.toml's ranges are the one source of truth, the
lock satisfies them, the lowest tested versions are their lower bounds, and environment.yml says
the same for conda."""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge spelling -> PyPI spelling
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
TOOLING = {"pytest", "nbval", "hypothesis", "ruff", "nbclient", "nbformat", "nbconvert"}


def _requirements(lines):
    return {canonicalize_name(r.name): r for r in map(Requirement, lines)}


RUNTIME = _requirements(PROJECT["dependencies"])
EXTRAS = {extra: _requirements(lines) for extra, lines in PROJECT["optional-dependencies"].items()}


def _pinned(path):
    """name -> exact version of a requirements file made of `name==version` lines."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", f"{path.name}: {line} is not an exact pin"
            pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def _conda():
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    entries, pip_section = {}, None
    for entry in spec["dependencies"]:
        if isinstance(entry, dict):
            pip_section = entry["pip"]
            continue
        name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", entry).groups()
        entries[canonicalize_name(CONDA_NAMES.get(name, name))] = SpecifierSet(version)
    return spec, entries, pip_section


def test_python_311_and_later_are_supported():
    assert SpecifierSet(PROJECT["requires-python"]) == SpecifierSet(">=3.11")


def test_runtime_dependencies_are_ranges_with_lower_bounds_and_no_tooling():
    assert not set(RUNTIME) & TOOLING, "test tooling belongs in the [test] extra"
    for name, requirement in RUNTIME.items():
        operators = {spec.operator for spec in requirement.specifier}
        assert ">=" in operators and "==" not in operators, f"{name}: {requirement.specifier}"


def test_tooling_lives_in_extras():
    assert TOOLING - {"nbconvert"} <= set(EXTRAS["test"])
    assert {"sphinx", "myst-nb", "sphinx-book-theme", "playwright"} <= set(EXTRAS["site"])
    assert "numpyro" in EXTRAS["bench"]


def test_the_lock_satisfies_every_range_of_the_runtime_and_the_tooling():
    lock = _pinned(ROOT / "requirements" / "lock.txt")
    wanted = RUNTIME | EXTRAS["test"] | EXTRAS["site"]
    missing = set(wanted) - set(lock)
    assert not missing, f"not in the lock: {missing}"
    outside = {
        name: (lock[name], str(r.specifier))
        for name, r in wanted.items()
        if not r.specifier.contains(lock[name], prereleases=True)
    }
    assert not outside, f"locked versions outside pyproject's ranges: {outside}"


def test_torch_is_locked_to_the_local_cpu_build():
    assert _pinned(ROOT / "requirements" / "lock.txt")["torch"] == "2.13.0"


def test_the_lowest_tested_versions_are_exactly_the_lower_bounds():
    lowest = _pinned(ROOT / "requirements" / "lowest.txt")
    assert set(lowest) == set(RUNTIME)
    for name, requirement in RUNTIME.items():
        (bound,) = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        assert Version(lowest[name]) == bound, f"{name}: tested {lowest[name]}, bound {bound}"


def test_environment_yml_has_the_runtime_ranges_of_pyproject_plus_nbval():
    _, conda, _ = _conda()
    assert conda.pop("python") == SpecifierSet(PROJECT["requires-python"])
    assert conda.pop("pip") == SpecifierSet()
    assert conda.pop("nbval") == EXTRAS["test"]["nbval"].specifier
    assert conda == {name: r.specifier for name, r in RUNTIME.items()}


def test_environment_yml_uses_conda_forge_only_and_installs_the_helpers_editable():
    spec, _, pip_section = _conda()
    assert spec["channels"] == ["conda-forge", "nodefaults"]
    assert pip_section == ["-e ."]


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / "README.md").read_text()
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_licence_contributing_guide_and_citation_exist():
    licence = (ROOT / "LICENSE").read_text()
    assert "MIT License" in licence and "CC BY 4.0" in licence
    cc_by = (ROOT / "LICENSES" / "CC-BY-4.0.txt").read_text()
    assert "Creative Commons Attribution 4.0 International Public License" in cc_by
    assert "## A notebook is a lesson" in (ROOT / "CONTRIBUTING.md").read_text()
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "license"} <= set(citation)
    assert citation["version"] == PROJECT["version"]


# A relative path that climbs out of its folder, or a machine path, in any text we ship.
OUTSIDE = re.compile(r"(?<![\w.])\.\./[\w./-]*|(?<![\w])(?:/work|/root|/home/\w+|/Users/\w+)/")
# Files that name machine paths on purpose: the pattern the hygiene test looks for in outputs.
PATH_PATTERNS = {"tests/test_notebook_hygiene.py"}


def _tracked_text_files():
    import subprocess

    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        path = ROOT / name
        skip = path.suffix in {".png", ".woff2", ".woff", ".ttf", ".csv"} or "vendor" in path.parts
        if skip or name in PATH_PATTERNS:
            continue
        try:
            yield path, path.read_text()
        except (UnicodeDecodeError, FileNotFoundError):
            continue


def test_nothing_in_the_repository_points_outside_it():
    """A learner's clone is all they have: no link or path may lead outside it."""
    found = []
    for path, text in _tracked_text_files():
        for match in OUTSIDE.finditer(text):
            target = match.group(0)
            if target.startswith("../"):
                resolved = (path.parent / target).resolve()
                if resolved == ROOT or ROOT in resolved.parents:
                    continue
            found.append(f"{path.relative_to(ROOT)}: {target}")
    assert not found, "\n".join(found)
