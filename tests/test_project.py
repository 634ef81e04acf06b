"""Project files agree with each other: one source of truth for dependencies."""

import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge spelling -> PyPI spelling


def _pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(line) for line in project["dependencies"]]
    return {r.name.lower(): str(r.specifier).removeprefix("==") for r in requirements}


def _conda_pins():
    spec = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins, pip_section = {}, None
    for entry in spec["dependencies"]:
        if isinstance(entry, dict):
            pip_section = entry["pip"]
            continue
        name, _, version = entry.partition("=")
        pins[CONDA_NAMES.get(name, name).lower()] = version
    return spec, pins, pip_section


def test_environment_yml_names_the_same_packages_and_versions_as_pyproject():
    _, conda, _ = _conda_pins()
    conda.pop("python")
    conda.pop("pip")
    assert conda == _pyproject_pins()


def test_environment_yml_uses_conda_forge_only_and_installs_the_helpers_editable():
    spec, pins, pip_section = _conda_pins()
    assert spec["channels"] == ["conda-forge", "nodefaults"]
    assert pins["python"] == "3.11" and "pip" in pins
    assert pip_section == ["-e ."]


def test_torch_is_pinned_to_the_local_cpu_build():
    assert _pyproject_pins()["torch"] == "2.13.0"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / "README.md").read_text()
    assert "make test" in (ROOT / ".ci" / "run").read_text()
