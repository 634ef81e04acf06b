"""The environment self-check that notebook 00 runs: is every package the course needs here?"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from importlib import metadata

from packaging.requirements import Requirement

PROJECT = "vi-pyro-course"
# Packages whose import name differs from their distribution name, or that must import cleanly.
IMPORT_NAMES = {
    "pyro-ppl": "pyro",
    "torch": "torch",
    "numpy": "numpy",
    "scipy": "scipy",
    "matplotlib": "matplotlib",
    "seaborn": "seaborn",
}
FIX_HINT = "run `make lab` (or `make test`) from the course folder, then restart the kernel"


@dataclass(frozen=True)
class PackageCheck:
    """The outcome of checking one required package."""

    name: str
    required: str
    installed: str | None
    ok: bool
    message: str


def required_packages() -> list[Requirement]:
    """The course's requirements, read from the installed project's metadata (pyproject)."""
    try:
        lines = metadata.requires(PROJECT) or []
    except metadata.PackageNotFoundError:
        raise RuntimeError(
            f"the course package '{PROJECT}' is not installed in this Python: {FIX_HINT}"
        ) from None
    requirements = [Requirement(line) for line in lines]
    return [r for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})]


def check_package(requirement: Requirement) -> PackageCheck:
    """Check that one requirement is installed at a version its specifier allows."""
    required = str(requirement.specifier) or "any version"
    try:
        installed = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        message = f"FAIL  {requirement.name} is missing (need {required}): {FIX_HINT}"
        return PackageCheck(requirement.name, required, None, False, message)
    # A local build tag such as torch's "+cpu" does not change the release.
    if not requirement.specifier.contains(installed.split("+")[0], prereleases=True):
        message = f"FAIL  {requirement.name} {installed} found, need {required}: {FIX_HINT}"
        return PackageCheck(requirement.name, required, installed, False, message)
    module = IMPORT_NAMES.get(requirement.name)
    if module is not None:
        try:
            importlib.import_module(module)
        except Exception as error:  # any import failure is what the learner must see
            message = (
                f"FAIL  {requirement.name} {installed} is installed but `import {module}` "
                f"fails ({error}): {FIX_HINT}"
            )
            return PackageCheck(requirement.name, required, installed, False, message)
    message = f"OK    {requirement.name} {installed}"
    return PackageCheck(requirement.name, required, installed, True, message)


def check_environment(requirements: list[Requirement] | None = None) -> list[PackageCheck]:
    """Print OK or FAIL for Python and each required package; return the checks made."""
    checks = []
    python_ok = sys.version_info[:2] == (3, 11)
    version = ".".join(map(str, sys.version_info[:3]))
    python_message = (
        f"OK    Python {version}"
        if python_ok
        else f"FAIL  Python {version} found, need 3.11: create the environment with Python 3.11"
    )
    checks.append(PackageCheck("python", "3.11", version, python_ok, python_message))
    for requirement in required_packages() if requirements is None else requirements:
        checks.append(check_package(requirement))
    for check in checks:
        print(check.message)
    failed = [c.name for c in checks if not c.ok]
    print(f"\n{len(checks) - len(failed)} of {len(checks)} checks passed.", end=" ")
    print("Ready to go." if not failed else f"Fix these first: {', '.join(failed)}.")
    return checks
