"""The environment self-check that notebook 00 runs: can this Python run every notebook?

It checks the learner's world only: Python and the runtime packages of pyproject.toml (not the
test, site or benchmark tooling, which the test suite checks). Each line is one of

- ``OK``: installed, in the course's range, and the version the course was tested with;
- ``NOTE``: installed and in range, but not the version in ``requirements/lock.txt`` (the
  notebooks run; a stored output may differ from yours in the last digits);
- ``FAIL``: missing, outside the range, or fails to import; the line says how to fix it.
"""

from __future__ import annotations

import importlib
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

PROJECT = "vi-pyro-course"
LOCK = Path(__file__).resolve().parents[1] / "requirements" / "lock.txt"
# Packages whose import name differs from their distribution name, or that must import cleanly.
IMPORT_NAMES = {
    "pyro-ppl": "pyro",
    "torch": "torch",
    "numpy": "numpy",
    "scipy": "scipy",
    "matplotlib": "matplotlib",
    "seaborn": "seaborn",
}
FIX_HINT = (
    "in the course folder run `make lab`, or without make "
    "`python -m pip install -c requirements/lock.txt -e .` with this environment active "
    "(conda: `conda env update -f environment.yml`), then restart the kernel"
)
STATUSES = ("OK", "NOTE", "FAIL")


@dataclass(frozen=True)
class PackageCheck:
    """The outcome of checking one required package (or Python itself)."""

    name: str
    required: str
    installed: str | None
    status: str
    message: str

    @property
    def ok(self) -> bool:
        """True unless the check failed: a NOTE is not a failure."""
        return self.status != "FAIL"


def required_packages() -> list[Requirement]:
    """The course's runtime requirements, from the installed project's metadata (no extras)."""
    try:
        lines = metadata.requires(PROJECT) or []
    except metadata.PackageNotFoundError:
        raise RuntimeError(
            f"the course package '{PROJECT}' is not installed in this Python: {FIX_HINT}"
        ) from None
    requirements = [Requirement(line) for line in lines]
    return [r for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})]


def read_lock(path: Path = LOCK) -> tuple[dict[str, str], str | None]:
    """The lock's exact versions by canonical name, and the Python (e.g. "3.11") it was made on.

    Returns empty results when there is no lock file (an installed copy outside the course folder).
    """
    if not path.is_file():
        return {}, None
    versions, python = {}, None
    for line in path.read_text().splitlines():
        found = re.match(r"#.*Python (\d+\.\d+)", line)
        if found and python is None:
            python = found.group(1)
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            versions[canonicalize_name(requirement.name)] = str(requirement.specifier)[2:]
    return versions, python


def _release(version: str) -> str:
    """A version without its local build tag: torch's "2.13.0+cpu" is release 2.13.0."""
    return version.split("+")[0]


def check_package(requirement: Requirement, locked: str | None = None) -> PackageCheck:
    """Check one requirement: installed, in range, importable; NOTE if it is not ``locked``."""
    name = requirement.name
    required = str(requirement.specifier) or "any version"
    try:
        installed = metadata.version(name)
    except metadata.PackageNotFoundError:
        message = f"FAIL  {name} is missing (need {required}): {FIX_HINT}"
        return PackageCheck(name, required, None, "FAIL", message)
    if not requirement.specifier.contains(_release(installed), prereleases=True):
        message = f"FAIL  {name} {installed} found, need {required}: {FIX_HINT}"
        return PackageCheck(name, required, installed, "FAIL", message)
    module = IMPORT_NAMES.get(canonicalize_name(name))
    if module is not None:
        try:
            importlib.import_module(module)
        except Exception as error:  # any import failure is what the learner must see
            message = (
                f"FAIL  {name} {installed} is installed but `import {module}` "
                f"fails ({error}): {FIX_HINT}"
            )
            return PackageCheck(name, required, installed, "FAIL", message)
    if locked is not None and _release(installed) != locked:
        message = (
            f"NOTE  {name} {installed}: in range; the stored outputs were made with {locked} "
            "(a few printed digits may differ)"
        )
        return PackageCheck(name, required, installed, "NOTE", message)
    return PackageCheck(name, required, installed, "OK", f"OK    {name} {installed}")


def check_python(
    requires: SpecifierSet | None = None,
    locked: str | None = None,
    version: tuple[int, int, int] | None = None,
) -> PackageCheck:
    """Check the running Python against the project's requires-python and the lock's Python."""
    if requires is None:
        requires = SpecifierSet(metadata.metadata(PROJECT)["Requires-Python"] or "")
    found = ".".join(map(str, version or sys.version_info[:3]))
    required = str(requires) or "any version"
    if not requires.contains(found):
        message = (
            f"FAIL  Python {found} found, need {required}: make a new environment with a newer "
            "Python (see the README, 'Set-up'), install the course there and choose it as kernel"
        )
        return PackageCheck("python", required, found, "FAIL", message)
    if locked is not None and ".".join(found.split(".")[:2]) != locked:
        message = f"NOTE  Python {found}: supported; the stored outputs were made with {locked}"
        return PackageCheck("python", required, found, "NOTE", message)
    return PackageCheck("python", required, found, "OK", f"OK    Python {found}")


def check_environment(
    requirements: list[Requirement] | None = None, lock: Path = LOCK
) -> list[PackageCheck]:
    """Print OK, NOTE or FAIL for Python and each runtime package; return the checks made."""
    locked, locked_python = read_lock(lock)
    checks = [check_python(locked=locked_python)]
    for requirement in required_packages() if requirements is None else requirements:
        checks.append(check_package(requirement, locked.get(canonicalize_name(requirement.name))))
    for check in checks:
        print(check.message)
    failed = [c.name for c in checks if not c.ok]
    notes = sum(c.status == "NOTE" for c in checks)
    summary = f"\n{len(checks) - len(failed)} of {len(checks)} checks passed"
    print(summary + (f" ({notes} with a NOTE)." if notes else "."), end=" ")
    print("Ready to go." if not failed else f"Fix these first: {', '.join(failed)}.")
    return checks
