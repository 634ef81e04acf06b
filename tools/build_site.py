"""Build the course's browsable offline site with Sphinx and myst-nb (`make site`).

Usage: python tools/build_site.py [--out build/site] [--root .]

Stages the site's sources in ``build/site-src/`` (next to ``--out``) (``site/index.md``, every
``notebooks/NN_*.ipynb``, ``notebooks/glossary.md`` and, for the download links, the student
copies as ``_student/NN_*.ipynb``), then runs ``sphinx-build`` with the configuration in
``site/conf.py``, warnings as errors. Nothing is executed: the pages show the notebooks' stored
outputs. The result needs no network, to build or to view. See ``site/README.md``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

from sphinx.cmd.build import build_main

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
sys.path.insert(0, str(SITE / "_ext"))
from course_site import STUDENT_FOLDER  # noqa: E402 (the extension names the folder it links to)

NOTEBOOK_NAME = re.compile(r"\d\d_[A-Za-z0-9_]+\.ipynb")
GLOSSARY = "glossary.md"


def notebooks_in(folder: Path) -> list[Path]:
    """Every ``NN_*.ipynb`` in ``folder``, in course order."""
    return sorted(p for p in folder.glob("*.ipynb") if NOTEBOOK_NAME.fullmatch(p.name))


def stage(source: Path, root: Path = ROOT) -> None:
    """Fill ``source`` (emptied first) with what the site is built from."""
    notebooks = notebooks_in(root / "notebooks")
    if not notebooks:
        raise FileNotFoundError(f"no notebooks named NN_*.ipynb in {root / 'notebooks'}")
    if source.exists():
        shutil.rmtree(source)
    (source / STUDENT_FOLDER).mkdir(parents=True)
    shutil.copy2(SITE / "index.md", source / "index.md")
    shutil.copy2(root / "notebooks" / GLOSSARY, source / GLOSSARY)
    for path in notebooks:
        shutil.copy2(path, source / path.name)
    for path in notebooks_in(root / "student"):
        shutil.copy2(path, source / STUDENT_FOLDER / path.name)


def build(out: Path, source: Path | None = None, root: Path = ROOT) -> int:
    """Stage and build; returns sphinx-build's exit status (0 on success)."""
    source = source or out.parent / "site-src"
    stage(source, root)
    # -W: a warning (a broken link, a missing figure) fails the build; -E: read every source
    # afresh; -q: only warnings and errors; -c: the configuration in site/.
    args = ["-b", "html", "-W", "--keep-going", "-E", "-q", "-c", str(SITE), str(source), str(out)]
    return build_main(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the folder holding notebooks/ and student/"
    )
    args = parser.parse_args(argv)
    out = args.out.resolve()
    status = build(out, out.parent / f"{out.name}-src", args.root.resolve())
    if status == 0:
        print(f"built {args.out / 'index.html'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
