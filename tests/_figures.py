"""The legend check the notebook kernels run (tests/figure_check_startup.py), loaded for the unit
tests of the helpers that draw figures: `figure_check.legend_overlaps(fig)` lists every legend
lying on plotted data."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "figure_check_startup", Path(__file__).parent / "figure_check_startup.py"
)
figure_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(figure_check)
# Loading it patches matplotlib in this process too: keep this process's figures out of the
# report that conftest.py reads for the notebook kernels.
figure_check._REPORT = None
