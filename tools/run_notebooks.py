"""Execute notebooks in place, each in a fresh kernel, and store clean outputs.

Usage: python tools/run_notebooks.py notebooks/01_data.ipynb [...]

This is `make run`: the committed outputs are always produced by this command. Execution
timing metadata is not recorded, and notebook metadata is reduced to the kernelspec and
language info, so that re-running changes a notebook's file only where its outputs change.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def execute(notebook: nbformat.NotebookNode, cwd: Path, timeout: int = 600) -> None:
    """Execute a notebook in memory in a fresh kernel, as Run All would: any cell that raises
    stops it with an error. No tag or nbval marker lets a cell fail: a lesson that shows an
    error catches it (helpers.expect_error), so every front end runs it to the end."""
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        force_raise_errors=True,  # a `raises-exception` tag does not excuse a cell either
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()


def run_notebook(path: Path, timeout: int = 600) -> float:
    """Execute one notebook in place in a fresh kernel; return the seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata = {"kernelspec": KERNELSPEC}
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    start = time.perf_counter()
    execute(notebook, path.parent, timeout=timeout)
    elapsed = time.perf_counter() - start
    language_info = notebook.metadata.get("language_info", {})
    notebook.metadata = {
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python", "version": language_info.get("version", "")},
    }
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    return elapsed


def main(paths: list[str]) -> int:
    """Run every notebook given; stop at the first that fails."""
    if not paths:
        print("no notebooks given", file=sys.stderr)
        return 2
    total = 0.0
    for name in paths:
        print(f"running {name} ...", flush=True)
        seconds = run_notebook(Path(name))
        total += seconds
        print(f"  done in {seconds:.1f} s", flush=True)
    print(f"all {len(paths)} notebooks ran in {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
