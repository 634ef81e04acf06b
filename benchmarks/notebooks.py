"""The learner's wait: each notebook's Run All time in a fresh kernel (`bench.py --notebooks`).

Each notebook is executed by `tools/run_notebooks.py`'s `run_notebook` (the code `make run`
uses) on a temporary copy, so that the committed notebooks are never touched. The copy sits at
the same depth below a folder as notebooks/, so that relative links resolve alike.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, table

# The course's target for a learner's Run All of one notebook on a quiet 2-core CPU machine.
TARGET_SECONDS = 30.0


def section_notebooks(args: Any) -> str:
    """Each notebook's execution time in a fresh kernel, on a temporary copy (markdown)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from run_notebooks import run_notebook

    rows, total, over = [], 0.0, []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / "notebooks" / path.name
            copy.parent.mkdir()
            shutil.copy(path, copy)
            seconds = run_notebook(copy)
        total += seconds
        if seconds > TARGET_SECONDS:
            over.append(path.stem)
        verdict = "within" if seconds <= TARGET_SECONDS else "**over**"
        rows.append([f"`{path.name}`", f"{seconds:.1f} s", verdict])
    rows.append(["**all notebooks**", f"**{total:.1f} s**", ""])
    summary = (
        f"Every notebook within the {TARGET_SECONDS:.0f} s target."
        if not over
        else f"Over the {TARGET_SECONDS:.0f} s target: {', '.join(over)}."
    )
    return (
        "## Notebooks: the learner's wait (Run All in a fresh kernel, kernel start included; "
        "a temporary copy of each)\n\n"
        + table(["notebook", "execution time", f"target <= {TARGET_SECONDS:.0f} s"], rows)
        + f"\n\n{summary}"
    )
