"""The Makefile refuses a Python older than 3.11 with a message, and rebuilds a .venv/ made by an
older (or since removed) Python instead of failing in it forever. Run in a temporary folder
holding a copy of the Makefile, with stand-in Pythons, so nothing is installed."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _fake_python(path: Path, version: str) -> Path:
    """A stand-in interpreter that reports `version` and fails the >= 3.11 check."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Python {version}"; fi\nexit 1\n'
    )
    path.chmod(0o755)
    return path


def _make(folder: Path, *args: str) -> subprocess.CompletedProcess:
    shutil.copy(ROOT / "Makefile", folder / "Makefile")
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(folder), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_python_older_than_311_is_refused_with_what_to_do(tmp_path):
    old = _fake_python(tmp_path / "old" / "python3", "3.10.14")
    result = _make(tmp_path, "check-venv", f"PYTHON={old}")
    assert result.returncode != 0
    assert "needs Python 3.11 or later" in result.stderr and "3.10.14" in result.stderr
    assert "PYTHON=" in result.stderr


def test_a_venv_from_an_old_python_is_thrown_away(tmp_path):
    _fake_python(tmp_path / ".venv" / "bin" / "python", "3.10.14")
    result = _make(tmp_path, "check-venv", f"PYTHON={sys.executable}")
    assert result.returncode == 0, result.stderr
    assert "rebuilding it" in result.stdout
    assert not (tmp_path / ".venv").exists()


def test_a_venv_whose_python_is_gone_is_thrown_away(tmp_path):
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(tmp_path / "deleted-python")
    result = _make(tmp_path, "check-venv", f"PYTHON={sys.executable}")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / ".venv").exists()


def test_a_good_venv_is_kept(tmp_path):
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / ".venv"], check=True)
    result = _make(tmp_path, "check-venv", f"PYTHON={sys.executable}")
    assert result.returncode == 0, result.stderr
    assert "rebuilding" not in result.stdout
    assert (tmp_path / ".venv" / "bin" / "python").exists()
