"""The course as a learner meets it: JupyterLab in a real browser (Debian's Chromium, driven by
Playwright) opens each notebook, clears its outputs, runs Run > Run All Cells from the menu and
waits for the kernel to go idle; every code cell must then have an execution count and no error
output. That is done for 00_start_here (whose environment self-check must also report no FAIL and
"Ready to go") and one student copy (student/03, whose exercise stubs must run and say "No answer
yet") in `make test`, and for every other notebook in notebooks/ in `make test-robust`.

One JupyterLab server serves the whole module, at the root of a temporary copy of the course
(notebooks/ and student/ side by side, as `make lab` shows them); the notebooks run in
sequence, each kernel shut down before the next starts.

JupyterLab runs on 127.0.0.1 with a random token, with the
project's Python first on PATH (so its `python3` kernel is the project's), and with empty
temporary Jupyter config, data, settings and workspace folders, so nothing in the user's own
Jupyter set-up changes the result. Neither the server nor its kernels may reach the network: both
load tests/no_network_startup.py (the server through a sitecustomize module, the kernels also
through the IPython profile that conftest.py installs), announcements and update checks are off,
and the browser refuses every request that is not to the server. A screenshot is saved in
build/test-artifacts/lab/ for each notebook (its top and its end).
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
NOTEBOOKS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("*.ipynb"))
STUDENT_COPY = "student/03_guide.ipynb"
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


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a free loopback port, serving a copy of the course; stopped afterwards.
    Yields (base URL, token, server log)."""
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    tmp_path = tmp_path_factory.mktemp("lab")
    root = tmp_path / "course"
    for folder in ("notebooks", "student"):
        shutil.copytree(
            ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
        )
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


@pytest.fixture(scope="module")
def browser(lab):
    """One headless Chromium for the module; every request off loopback is refused and logged."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _shut_down_kernels(base: str, token: str) -> None:
    """Delete every session (and so its kernel) through the server's REST API."""
    headers = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(
        urllib.request.Request(f"{base}/api/sessions", headers=headers)
    ) as r:
        sessions = json.load(r)
    for session in sessions:
        request = urllib.request.Request(
            f"{base}/api/sessions/{session['id']}", headers=headers, method="DELETE"
        )
        urllib.request.urlopen(request).close()


def _run_all(lab, browser, notebook: str) -> dict:
    """Open `notebook` in JupyterLab, clear its outputs, Run All Cells from the menu, wait until
    the kernel is idle; return what a learner would see."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    base, token, log = lab
    remote: list[str] = []
    page_errors: list[str] = []
    name = Path(notebook).stem + ("-student" if notebook.startswith("student/") else "")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:

        def refuse(route) -> None:
            remote.append(route.request.url)
            route.abort()

        context.route(lambda url: urlsplit(url).hostname not in LOOPBACK, refuse)
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        # ?reset: a fresh workspace, so no tab of an earlier notebook is restored beside this one.
        page.goto(f"{base}/lab/tree/{notebook}?reset&token={token}")

        # The notebook is open and its kernel (the project's python3) has started.
        status = page.locator("#jp-main-statusbar")
        try:
            page.wait_for_function(
                """() => document.querySelector('#jp-main-statusbar')?.innerText
                  .includes('Python 3 (ipykernel) | Idle')""",
                timeout=KERNEL_START_S * 1000,
            )
        except PlaywrightTimeout:
            pytest.fail(f"{notebook}: no idle python3 kernel; status bar {status.inner_text()!r}")

        # Edit > Clear Outputs of All Cells (so that nothing stored can pass for a result),
        # then Run > Run All Cells, as a learner would.
        page.get_by_role("menuitem", name="Edit", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Clear Outputs of All Cells")).click()
        outputs = page.locator(".jp-NotebookPanel .jp-OutputArea-output")
        page.wait_for_function(
            """() => document.querySelectorAll(
              '.jp-NotebookPanel .jp-OutputArea-output').length === 0
              && ![...document.querySelectorAll('.jp-NotebookPanel .jp-InputPrompt')]
                .some((p) => /\\d/.test(p.innerText))""",
            timeout=KERNEL_START_S * 1000,
        )
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).first.click()
        # Done when the kernel is idle, no cell is queued or running ([*]) and the first has
        # run; a cell that raises stops the rest, which then keep an empty prompt.
        try:
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
        except PlaywrightTimeout:
            page.screenshot(path=str(ARTIFACTS / f"{name}-timeout.png"))
            pytest.fail(f"{notebook}: Run All did not finish within {RUN_ALL_S} s")
        prompts = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt")
        not_run = [p for p in prompts.all_inner_texts() if not re.search(r"\[\d+\]", p)]

        # The first code cell's output (00's self-check report); a set-up cell may print nothing.
        page.locator(".jp-NotebookPanel .jp-OutputArea-output").first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"{name}-top.png"))
        cells = page.locator(".jp-NotebookPanel .jp-CodeCell")
        first_text = "\n".join(cells.first.locator(".jp-OutputArea-output").all_inner_texts())
        # JupyterLab shows an exception as stderr text with its traceback.
        stderr = page.locator(
            ".jp-NotebookPanel [data-mime-type='application/vnd.jupyter.stderr']"
        ).all_inner_texts()
        errors = [text[-500:] for text in stderr if "Traceback" in text or "Error" in text]
        figures = page.evaluate(
            "[...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output img')]"
            ".map((img) => img.naturalWidth)"
        )
        texts = page.locator(".jp-NotebookPanel .jp-OutputArea-output").all_inner_texts()
        outputs.last.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"{name}-end.png"))
    finally:
        context.close()
        _shut_down_kernels(base, token)
    return {
        "not_run": not_run,
        "errors": errors,
        "figures": figures,
        "first_text": first_text,
        "texts": texts,
        "page_errors": page_errors,
        "remote": remote,
        "log": log.read_text(),
    }


def _assert_ran_cleanly(result: dict, notebook: str) -> None:
    assert result["not_run"] == [], f"{notebook}: cells that did not run: {result['not_run']}"
    assert result["errors"] == [], f"{notebook}: a cell raised an error"
    assert all(width > 0 for width in result["figures"]), f"{notebook}: a figure did not show"
    assert result["page_errors"] == [], f"{notebook}: JupyterLab hit a JavaScript error"
    assert result["remote"] == [], f"{notebook}: the browser tried to reach the network"
    assert NETWORK_REFUSED not in result["log"], "the server or a kernel tried the network"


def _expected_checks() -> int:
    """Python itself, plus every runtime dependency in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return 1 + len(project["dependencies"])


def test_running_00_start_here_in_jupyterlab_reports_ready_to_go(lab, browser):
    result = _run_all(lab, browser, "notebooks/00_start_here.ipynb")
    _assert_ran_cleanly(result, "00_start_here")
    lines = [line for line in result["first_text"].splitlines() if line.strip()]
    *checks, summary = lines
    failed = [line for line in checks if line.startswith("FAIL")]
    assert failed == [], "the self-check reported problems"
    expected = _expected_checks()
    assert len(checks) == expected, f"expected {expected} checks (Python + pyproject's runtime)"
    assert (
        summary.startswith(f"{expected} of {expected} checks passed") and "Ready to go" in summary
    )
    assert result["figures"], "the histogram did not show"


# Every notebook through JupyterLab's Run All is the slow learner path (several minutes in all):
# it runs in `make test-robust`, which CI runs too; nbval runs the same notebooks in `make test`.
@pytest.mark.robust
@pytest.mark.parametrize("notebook", NOTEBOOKS[1:], ids=[Path(n).stem for n in NOTEBOOKS[1:]])
def test_run_all_in_jupyterlab_runs_every_cell_without_an_error(lab, browser, notebook):
    result = _run_all(lab, browser, notebook)
    _assert_ran_cleanly(result, notebook)
    assert result["figures"], f"{notebook}: no figure showed"


def test_run_all_of_a_student_copy_runs_every_stub_and_gives_nothing_away(lab, browser):
    result = _run_all(lab, browser, STUDENT_COPY)
    _assert_ran_cleanly(result, STUDENT_COPY)
    student = json.loads((ROOT / STUDENT_COPY).read_text())
    headings = ["## Exercises" in "".join(c["source"]) for c in student["cells"]]
    stubs = [c for c in student["cells"][headings.index(True) :] if c["cell_type"] == "code"]
    said = [text for text in result["texts"] if "No answer yet" in text]
    assert len(said) == len(stubs), "each exercise stub should say 'No answer yet', once"
    assert not any("Correct:" in text for text in result["texts"]), "an empty stub passed"
