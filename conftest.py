"""pytest configuration shared by the unit tests and nbval."""

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Under pytest-xdist (`make test`) there is one worker per core: one thread each, for torch and
# for numpy's BLAS, and for the kernels and scripts they start, instead of every process
# spreading over every core and fighting the others for them. Set before numpy is imported.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")

NO_NETWORK_STARTUP = Path(__file__).parent / "tests" / "no_network_startup.py"
FIGURE_CHECK_STARTUP = Path(__file__).parent / "tests" / "figure_check_startup.py"
FIGURE_REPORT = "VI_COURSE_FIGURE_REPORT"


def pytest_configure(config):
    """Give every notebook kernel an IPython profile whose startup files disable the network and
    inspect every figure's legends before it is shown."""
    ipython_dir = Path(tempfile.mkdtemp(prefix="vi-course-ipython-"))
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True)
    shutil.copy(NO_NETWORK_STARTUP, startup / "00_no_network.py")
    shutil.copy(FIGURE_CHECK_STARTUP, startup / "01_figure_check.py")
    # The kernels append a line here for every legend that covers plotted data.
    report = ipython_dir / "figure-report.jsonl"
    report.touch()
    config._course_figure_report = report
    config._course_figure_offset = 0
    os.environ[FIGURE_REPORT] = str(report)
    config._course_ipython_dir = ipython_dir
    config._course_saved_ipython_dir = os.environ.get("IPYTHONDIR")
    os.environ["IPYTHONDIR"] = str(ipython_dir)


def pytest_unconfigure(config):
    """Restore IPYTHONDIR and remove the temporary profile."""
    saved = getattr(config, "_course_saved_ipython_dir", None)
    if saved is None:
        os.environ.pop("IPYTHONDIR", None)
    else:
        os.environ["IPYTHONDIR"] = saved
    os.environ.pop(FIGURE_REPORT, None)
    shutil.rmtree(getattr(config, "_course_ipython_dir", ""), ignore_errors=True)


def pytest_collectstart(collector):
    """Never compare stderr in notebooks: warnings and progress bars differ between machines."""
    if collector.path is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare += ("stderr",)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Fail the notebook cell that drew a figure whose legend covers plotted data (reported by
    tests/figure_check_startup.py in the kernel), naming the notebook, the cell and the axes."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or item.path.suffix != ".ipynb":
        return
    config = item.config
    path = getattr(config, "_course_figure_report", None)
    if path is None:
        return
    with open(path, encoding="utf-8") as file:
        file.seek(config._course_figure_offset)
        lines = file.read()
        config._course_figure_offset = file.tell()
    problems = [json.loads(line) for line in lines.splitlines() if line.strip()]
    if problems and report.passed:
        described = "; ".join(f"axes {p['axes']} covers {', '.join(p['covers'])}" for p in problems)
        report.outcome = "failed"
        try:
            notebook = item.path.relative_to(config.rootpath)
        except ValueError:
            notebook = item.path
        report.longrepr = f"{notebook}::{item.name}: a legend lies on the plotted data: {described}"


def pytest_terminal_summary(terminalreporter):
    """Print how long each notebook took to run under nbval: the sum of its cells' times (with
    pytest-xdist, each notebook runs whole on one worker, so this is its Run All time there)."""
    totals: dict[str, float] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            nodeid = getattr(report, "nodeid", "")
            if getattr(report, "when", None) == "call" and ".ipynb::" in nodeid:
                notebook = nodeid.split("::", 1)[0]
                totals[notebook] = totals.get(notebook, 0.0) + report.duration
    if not totals:
        return
    terminalreporter.section("notebook run times (sum of cell times)")
    for notebook, seconds in sorted(totals.items()):
        terminalreporter.write_line(f"{seconds:7.1f} s  {notebook}")
