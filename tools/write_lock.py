"""Write requirements/lock.txt: the exact version of every package in this environment.

The lock is what the stored outputs of the notebooks were produced with. `make lab`, `make test`
and CI install through it (`pip install -c requirements/lock.txt ...`), so results are identical
everywhere; a plain `pip install -e .` ignores it and takes any versions in pyproject's ranges.

To update it: upgrade packages in .venv, `make run`, `make test`, then `make lock` (this script).
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
PROJECT = "vi-pyro-course"
# Installers, not dependencies: the lock should not downgrade a learner's pip.
SKIP = {"pip", "setuptools", "wheel", PROJECT}


def locked_versions() -> dict[str, str]:
    """Every installed distribution's canonical name and release (local tags like +cpu dropped)."""
    versions = {}
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        if name not in SKIP:
            versions[name] = dist.version.split("+")[0]
    return dict(sorted(versions.items()))


def main() -> None:
    """Write the lock file from the running interpreter's environment."""
    python = ".".join(map(str, sys.version_info[:2]))
    header = [
        "# The exact versions the notebooks' stored outputs were produced with (written by",
        "# tools/write_lock.py, `make lock`). Used as constraints:",
        "#     pip install -c requirements/lock.txt -e '.[test,site]'",
        "# A package that a platform does not need is ignored.",
        f"# Produced on Python {python}, {platform.system()} {platform.machine()}.",
    ]
    lines = [f"{name}=={version}" for name, version in locked_versions().items()]
    LOCK.write_text("\n".join(header + lines) + "\n")
    print(f"wrote {LOCK.relative_to(ROOT)}: {len(lines)} packages")


if __name__ == "__main__":
    main()
