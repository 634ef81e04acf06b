"""The environment self-check of notebook 00: the learner's runtime packages only."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from helpers.environment import (
    check_environment,
    check_package,
    check_python,
    read_lock,
    required_packages,
)

ROOT = Path(__file__).resolve().parents[1]
TOOLING = {"pytest", "nbval", "hypothesis", "ruff", "nbclient", "nbconvert", "playwright"}


def test_required_packages_are_the_runtime_dependencies_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    expected = {Requirement(line).name for line in project["dependencies"]}
    names = {r.name for r in required_packages()}
    assert names == expected
    assert {"torch", "pyro-ppl", "numpy", "jupyterlab"} <= names
    assert not names & TOOLING, "test and browser tooling is not the learner's business"


def test_check_environment_passes_in_the_project_environment(capsys):
    checks = check_environment()
    assert all(c.ok for c in checks), [c.message for c in checks if not c.ok]
    out = capsys.readouterr().out
    assert "Ready to go" in out
    assert not any(tool in out for tool in TOOLING)


def test_the_project_environment_is_the_lock(capsys):
    """make test installs through the lock: every runtime line is OK, none a NOTE."""
    checks = check_environment()
    assert [c.message for c in checks if c.status != "OK"] == []


def test_a_missing_package_fails_with_what_to_do():
    check = check_package(Requirement("surely-not-installed-package==1.0"))
    assert not check.ok and check.status == "FAIL" and check.installed is None
    assert "missing" in check.message and "pip install -c requirements/lock.txt" in check.message


def test_a_version_outside_the_range_fails_and_names_both_versions():
    check = check_package(Requirement("numpy<1"))
    assert not check.ok
    assert "FAIL" in check.message and "<1" in check.message and check.installed in check.message


def test_a_version_in_range_but_not_the_locked_one_is_a_note_not_a_failure():
    check = check_package(Requirement("numpy>=2,<3"), locked="2.0.1")
    assert check.ok and check.status == "NOTE"
    assert "2.0.1" in check.message and check.installed in check.message


def test_the_locked_version_is_ok():
    installed = check_package(Requirement("numpy")).installed
    assert check_package(Requirement("numpy>=2"), locked=installed).status == "OK"


def test_local_build_tags_are_accepted():
    """torch's CPU build calls itself 2.13.0+cpu; the lock and the ranges say 2.13.0."""
    assert check_package(Requirement("torch==2.13.0"), locked="2.13.0").status == "OK"


def test_python_outside_requires_python_fails_and_a_newer_one_is_a_note():
    requires = SpecifierSet(">=3.11")
    assert check_python(requires, "3.11", (3, 10, 4)).status == "FAIL"
    assert "3.10.4" in check_python(requires, "3.11", (3, 10, 4)).message
    assert check_python(requires, "3.11", (3, 13, 0)).status == "NOTE"
    assert check_python(requires, "3.11", (3, 11, 9)).status == "OK"


def test_read_lock_gives_versions_and_the_python_it_was_made_on():
    versions, python = read_lock()
    assert python == "3.11"
    assert versions["torch"] == "2.13.0" and versions["pyro-ppl"]


def test_without_a_lock_file_there_are_no_notes(tmp_path):
    assert read_lock(tmp_path / "absent.txt") == ({}, None)


def test_check_environment_summarises_failures_and_notes(capsys, tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text("# made on Python 3.11, Linux\nnumpy==0.0.1\n")
    checks = check_environment(
        [Requirement("surely-not-installed-package"), Requirement("numpy")], lock=lock
    )
    out = capsys.readouterr().out
    assert [c.status for c in checks[1:]] == ["FAIL", "NOTE"]
    assert "Fix these first: surely-not-installed-package" in out
    assert "with a NOTE" in out


def test_make_lab_opens_jupyterlab_without_the_news_prompt():
    """make's environment disables JupyterLab's announcements plugin (the "official Jupyter
    news?" prompt) in its own config folder, and JupyterLab reads it from there."""
    prefix = Path(sys.prefix)
    if not (prefix / ".installed-runtime").exists():
        pytest.skip("not the environment `make lab` made (no .venv/.installed-runtime)")
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1")
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    output = listed.stdout + listed.stderr  # jupyter labextension prints its list to stderr
    disabled = output.split("Disabled extensions:", 1)[-1]
    assert "@jupyterlab/apputils-extension:announcements" in disabled, output
