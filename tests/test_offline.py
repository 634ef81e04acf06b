"""Notebook kernels started by the test suite cannot reach the network (so nbval proves the
notebooks run offline), while loopback still works."""

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

PROBE = """
import socket, urllib.request
results = {}
for name, attempt in [
    ("public ip", lambda: socket.create_connection(("93.184.216.34", 80), timeout=2)),
    ("hostname", lambda: urllib.request.urlopen("http://example.com", timeout=2)),
]:
    try:
        attempt()
        results[name] = "connected"
    except OSError as error:
        results[name] = str(error)
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
client = socket.create_connection(server.getsockname(), timeout=2)
results["loopback"] = "connected"
print(results)
"""


def _run_probe():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(PROBE)]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    return nb.cells[0].outputs[0]["text"]


def test_the_suite_gives_kernels_a_profile_without_network():
    startup = Path(os.environ["IPYTHONDIR"]) / "profile_default" / "startup"
    assert (startup / "00_no_network.py").is_file()


def test_kernels_cannot_connect_out_but_loopback_works():
    text = _run_probe()
    assert "'public ip': 'network access is disabled" in text
    assert "network access is disabled" in text.split("'hostname'")[1]
    assert "'loopback': 'connected'" in text
