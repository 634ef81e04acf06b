"""pytest configuration shared by the unit tests and nbval."""

import os
import shutil
import tempfile
from pathlib import Path

NO_NETWORK_STARTUP = Path(__file__).parent / "tests" / "no_network_startup.py"


def pytest_configure(config):
    """Give every notebook kernel an IPython profile whose startup file disables the network."""
    ipython_dir = Path(tempfile.mkdtemp(prefix="vi-course-ipython-"))
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True)
    shutil.copy(NO_NETWORK_STARTUP, startup / "00_no_network.py")
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
    shutil.rmtree(getattr(config, "_course_ipython_dir", ""), ignore_errors=True)


def pytest_collectstart(collector):
    """Never compare stderr in notebooks: warnings and progress bars differ between machines."""
    if collector.path is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare += ("stderr",)
