"""The course as a learner meets it: JupyterLab in a real browser (Debian's Chromium, driven by
Playwright) opens notebooks/00_start_here.ipynb, runs all cells from the Run menu, and the
environment self-check reports OK for every line and "Ready to go".

JupyterLab runs on 127.0.0.1 with a random token, from a temporary copy of notebooks/, with the
project's Python first on PATH (so its `python3` kernel is the project's), and with empty
temporary Jupyter config, data, settings and workspace folders, so nothing in the user's own
Jupyter set-up changes the result. Neither the server nor its kernels may reach the network: both
load tests/no_network_startup.py (the server through a sitecustomize module, the kernels also
through the IPython profile that conftest.py installs), announcements and update checks are off,
and the browser refuses every request that is not to the server. A screenshot is saved in
build/test-artifacts/lab/.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from _browser import CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "build" / "test-artifacts" / "lab"
NOTEBOOK = "00_start_here.ipynb"
# JupyterLab plugins that would ask the internet for news or for extensions to install.
DISABLED_PLUGINS = {
    "@jupyterlab/apputils-extension:announcements": True,
    "@jupyterlab/extensionmanager-extension": True,
}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
NETWORK_REFUSED = "network access is disabled"  # what tests/no_network_startup.py raises
SERVER_START_S, KERNEL_START_S, RUN_ALL_S = 90, 90, 240


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(tmp: Path) -> dict[str, str]:
    """The server's environment: the project's Python first on PATH, empty Jupyter folders, and
    the network guard loaded by every Python process it starts."""
    guard = tmp / "guard"
    guard.mkdir()
    shutil.copy(ROOT / "tests" / "no_network_startup.py", guard / "sitecustomize.py")
    config = tmp / "config"
    (config / "labconfig").mkdir(parents=True)
    page_config = {"disabledExtensions": DISABLED_PLUGINS}
    (config / "labconfig" / "page_config.json").write_text(json.dumps(page_config))
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(guard), env.get("PYTHONPATH")] if p)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["JUPYTER_CONFIG_DIR"] = str(config)
    env["JUPYTER_DATA_DIR"] = str(tmp / "data")
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "runtime")
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    return env


def _wait_until_serving(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s:\n{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen, runtime: Path) -> None:
    """Stop the server (it shuts its kernels down on SIGTERM); kill what is left if it hangs."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    # Kernels run in their own sessions; any left behind is found by its connection file, which
    # lies in this test's own runtime folder.
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(runtime) in cmdline and "ipykernel" in cmdline:
            try:
                os.kill(int(proc.name), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on a free loopback port, serving a copy of notebooks/; stopped afterwards.
    Yields (base URL, token, server log)."""
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    token, port = secrets.token_hex(16), _free_port()
    log = tmp_path / "jupyterlab.log"
    # Render every cell, not only those in view: with JupyterLab's default windowing, cells
    # scrolled out of view have no prompt in the page, and would look as if they had not run.
    tracker = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",  # CI runs as root
        f"--IdentityProvider.token={token}",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
    ]
    with log.open("w") as output:
        server = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=_environment(tmp_path),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_serving(server, f"{base}/api/status?token={token}", log)
        yield base, token, log
    finally:
        _stop(server, tmp_path / "runtime")


def _expected_checks() -> int:
    """Python itself, plus every dependency in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return 1 + len(project["dependencies"])


def test_running_00_start_here_in_jupyterlab_reports_ready_to_go(lab):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    base, token, log = lab
    remote: list[str] = []
    page_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})

            def refuse(route) -> None:
                remote.append(route.request.url)
                route.abort()

            context.route(lambda url: urlsplit(url).hostname not in LOOPBACK, refuse)
            page = context.new_page()
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")

            # The notebook is open and its kernel (the project's python3) has started.
            status = page.locator("#jp-main-statusbar")
            try:
                page.wait_for_function(
                    """() => document.querySelector('#jp-main-statusbar')?.innerText
                      .includes('Python 3 (ipykernel) | Idle')""",
                    timeout=KERNEL_START_S * 1000,
                )
            except PlaywrightTimeout:
                pytest.fail(f"no idle python3 kernel; the status bar says {status.inner_text()!r}")

            # Edit > Clear Outputs of All Cells (so that nothing stored can pass for a result),
            # then Run > Run All Cells, as a learner would.
            page.get_by_role("menuitem", name="Edit", exact=True).click()
            page.get_by_role("menuitem", name=re.compile(r"^Clear Outputs of All Cells")).click()
            outputs = page.locator(".jp-NotebookPanel .jp-OutputArea-output")
            page.wait_for_function(
                """() => document.querySelectorAll(
                  '.jp-NotebookPanel .jp-OutputArea-output').length === 0
                  && ![...document.querySelectorAll('.jp-NotebookPanel .jp-InputPrompt')]
                    .some((p) => /\\d/.test(p.innerText))"""
            )
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).first.click()
            # Done when the kernel is idle, no cell is queued or running ([*]) and the first has
            # run; a cell that raises stops the rest, which then keep an empty prompt.
            page.wait_for_function(
                """() => {
                  const prompts = [...document.querySelectorAll(
                    '.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')].map((p) => p.innerText);
                  const status = document.querySelector('#jp-main-statusbar').innerText;
                  return prompts.length > 0 && /\\[\\d+\\]/.test(prompts[0])
                    && !prompts.some((p) => p.includes('*')) && status.includes('| Idle');
                }""",
                timeout=RUN_ALL_S * 1000,
            )
            prompts = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt")
            not_run = [p for p in prompts.all_inner_texts() if not re.search(r"\[\d+\]", p)]

            cells = page.locator(".jp-NotebookPanel .jp-CodeCell")
            first_output = cells.first.locator(".jp-OutputArea-output")
            first_output.scroll_into_view_if_needed()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "00_start_here-self-check.png"))
            text = first_output.inner_text()
            # JupyterLab shows an exception as stderr text with its traceback.
            stderr = page.locator(
                ".jp-NotebookPanel [data-mime-type='application/vnd.jupyter.stderr']"
            ).all_inner_texts()
            errors = [text[-500:] for text in stderr if "Traceback" in text]
            figures = page.evaluate(
                "[...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output img')]"
                ".map((img) => img.naturalWidth)"
            )
            outputs.last.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "00_start_here-end.png"))
        finally:
            browser.close()

    lines = [line for line in text.splitlines() if line.strip()]
    *checks, summary = lines
    failed = [line for line in checks if not line.startswith("OK")]
    assert failed == [], "the self-check reported problems"
    expected = _expected_checks()
    assert len(checks) == expected, f"expected {expected} checks (Python + pyproject's pins)"
    assert summary == f"{expected} of {expected} checks passed. Ready to go."
    assert errors == [], "a cell raised an error"
    assert not_run == [], "some cells did not run"
    assert figures and all(width > 0 for width in figures), "the histogram did not show"
    assert page_errors == [], "JupyterLab hit a JavaScript error"
    assert remote == [], "the browser tried to reach the network"
    assert NETWORK_REFUSED not in log.read_text(), "the server or a kernel tried the network"
