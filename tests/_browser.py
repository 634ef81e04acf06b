"""What the two browser tests share: where Chromium is, how to start it, and the skip message."""

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Headless Chromium as root, and with nothing that phones home (updates, sync, field trials).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
NO_CHROMIUM = (
    f"Chromium not found at {CHROMIUM}: run `make browser-deps` (Debian: apt-get install "
    "chromium) to enable the browser tests"
)
