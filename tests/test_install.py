"""The README's set-up without make, run for real (make test-install; CI runs it before going
offline, since pip needs the package registries).

The commands are read from the README's "Without make" block for macOS and Linux, so what is
tested is what learners are told to type. They run in a copy of the course (its git-tracked and
new files) in a fresh temporary folder, with a fresh virtual environment; instead of the last
command, `jupyter lab`, which waits for a person, the same environment executes 00_start_here
and 01_data with `jupyter nbconvert --execute` and must raise nothing. The environment must hold
the runtime packages at the lock's versions and none of the test or browser tooling.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.environment import read_lock

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- set-up without make: macOS and Linux -->"
TOOLING = ("pytest", "nbval", "hypothesis", "ruff", "playwright")
NOTEBOOKS = ("00_start_here", "01_data")
INSTALL_S, EXECUTE_S = 900, 300


def readme_posix_commands() -> list[str]:
    """The shell commands of the README's no-make block for macOS and Linux, in order."""
    readme = (ROOT / "README.md").read_text()
    assert MARKER in readme, f"README.md has lost its marker {MARKER!r}"
    block = re.search(r"```sh\n(.*?)```", readme.split(MARKER, 1)[1], re.DOTALL)
    assert block, "no ```sh block after the marker"
    commands = [line.split("  #", 1)[0].strip() for line in block.group(1).splitlines()]
    return [c for c in commands if c]


def test_the_readme_block_is_a_complete_set_up():
    """The parser finds the set-up, not some other block: venv, activation, install, lab."""
    commands = readme_posix_commands()
    assert commands[0].endswith("-m venv .venv")
    assert commands[1] == ". .venv/bin/activate"
    assert "-c requirements/lock.txt -e ." in commands[2]
    assert commands[-1] == "jupyter lab"


def _copy_course(target: Path) -> None:
    """The course as a fresh clone would have it, plus files not yet committed."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.mark.install
def test_readme_set_up_without_make_runs_00_and_01_in_a_fresh_venv(tmp_path):
    course = tmp_path / "course"
    _copy_course(course)
    *set_up, last = readme_posix_commands()
    assert last == "jupyter lab"
    executed = tmp_path / "executed"
    check = [
        "python -m pip list --format=json > pip-list.json",
        *(
            f"jupyter nbconvert --to notebook --execute notebooks/{name}.ipynb "
            f"--output-dir {executed} --ExecutePreprocessor.timeout={EXECUTE_S}"
            for name in NOTEBOOKS
        ),
    ]
    script = "set -eu\n" + "\n".join(set_up + check) + "\n"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VIRTUAL_ENV", "PYTHONPATH", "JUPYTER_", "IPYTHONDIR"))
    }
    # A fresh shell finds Python as a learner's would, not through this test's environment.
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(sys.prefix)
    )
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_S,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"the README's commands failed:\n{output[-4000:]}"
    assert "BuildBackendWarning" not in output and "SetuptoolsDeprecationWarning" not in output

    listed = json.loads((course / "pip-list.json").read_text())
    installed = {p["name"].lower(): p["version"] for p in listed}
    assert not [t for t in TOOLING if t in installed], "a learner's install carries no tooling"
    locked, _ = read_lock(course / "requirements" / "lock.txt")
    for name in ("numpy", "scipy", "torch", "pyro-ppl", "matplotlib", "jupyterlab"):
        assert installed[name].split("+")[0] == locked[name], f"{name} is not the locked version"

    for name in NOTEBOOKS:
        notebook = json.loads((executed / f"{name}.ipynb").read_text())
        outputs = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
        errors = [o for o in outputs if o["output_type"] == "error"]
        assert not errors, f"{name}: {errors[0]['ename']}: {errors[0]['evalue']}"
    start_here = json.loads((executed / "00_start_here.ipynb").read_text())
    text = "".join(
        "".join(o.get("text", ""))
        for c in start_here["cells"]
        if c["cell_type"] == "code"
        for o in c["outputs"]
    )
    assert "Ready to go." in text and "FAIL" not in text
