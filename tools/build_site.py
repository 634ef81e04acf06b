"""Build the course's browsable offline site from the notebooks' stored outputs.

Usage: python tools/build_site.py [--notebooks notebooks] [--out build/site]

This is `make site`. Every ``notebooks/NN_*.ipynb`` becomes one HTML page (nbconvert's "lab"
template, extended by ``site/templates/course``), with previous / contents / next links, and
``index.html`` lists them in order with the title and time estimate from each notebook's first
markdown cell, followed by the glossary (``notebooks/glossary.md``, when present, as
``glossary.html``). The notebooks are not executed: the pages show their committed outputs.
Figures are embedded as data URIs, and maths is typeset in the browser by the copy of KaTeX
vendored in ``site/vendor/katex``, so the site needs no network to build or to view. The build is
deterministic: the same notebooks give byte-identical pages. See ``site/README.md``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
TEMPLATES = SITE / "templates"
NOTEBOOK_NAME = re.compile(r"\d\d_[A-Za-z0-9_]+\.ipynb")
TIME_LINE = re.compile(r"^\s*\*\*Time(?: estimate)?:?\*\*:?\s*(?P<time>.+?)\s*$", re.MULTILINE)
NOTEBOOK_LINK = re.compile(r'href="(?P<stem>\d\d_[A-Za-z0-9_]+)\.ipynb(?P<anchor>#[^"]*)?"')
GLOSSARY = "glossary.md"  # the course's glossary, next to the notebooks it links into
MARKER = ".course-site"  # marks a folder this script built, so that a rebuild may empty it
DEFAULT_TITLE = "Variational inference with Pyro: a hands-on course"


@dataclass(frozen=True)
class Page:
    """One notebook of the course, as the site shows it."""

    path: Path
    title: str
    time: str | None

    @property
    def stem(self) -> str:
        """The notebook's file name without its suffix, e.g. ``01_data``."""
        return self.path.stem

    @property
    def href(self) -> str:
        """The page's file name in the site, relative to index.html."""
        return f"{self.stem}.html"


def find_notebooks(directory: Path) -> list[Path]:
    """Every ``NN_*.ipynb`` in ``directory``, in course order."""
    paths = sorted(p for p in directory.glob("*.ipynb") if NOTEBOOK_NAME.fullmatch(p.name))
    if not paths:
        raise FileNotFoundError(f"no notebooks named NN_*.ipynb in {directory}")
    return paths


def first_markdown(notebook: nbformat.NotebookNode) -> str:
    """The source of the notebook's first markdown cell ('' if it has none)."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            return str(cell.source)
    return ""


def describe(path: Path, notebook: nbformat.NotebookNode) -> Page:
    """Read a notebook's title (its first ``# `` heading) and time estimate (its ``**Time:**``
    line), both from its first markdown cell; the file name stands in for a missing title."""
    source = first_markdown(notebook)
    title = next(
        (line[2:].strip() for line in source.splitlines() if line.startswith("# ")), path.stem
    )
    match = TIME_LINE.search(source)
    time = match.group("time").rstrip(".").strip() if match else None
    return Page(path=path, title=title, time=time or None)


def inline_markdown(text: str) -> Markup:
    """Render one line of markdown (a title, a time estimate) as inline HTML."""
    html = markdown2html_mistune(text).strip()
    html = re.sub(r"^<p>(.*)</p>$", r"\1", html, flags=re.DOTALL)
    return Markup(html)


def course_intro(readme: Path) -> tuple[str, Markup]:
    """The course's title and its first paragraph (as HTML), from the README."""
    title, paragraph = DEFAULT_TITLE, ""
    if readme.is_file():
        blocks = re.split(r"\n\s*\n", readme.read_text(encoding="utf-8"))
        for index, block in enumerate(blocks):
            if block.startswith("# "):
                title = block.splitlines()[0][2:].strip()
                rest = [b for b in blocks[index + 1 :] if b.strip() and not b.startswith("#")]
                paragraph = rest[0] if rest else ""
                break
    return title, Markup(markdown2html_mistune(paragraph)) if paragraph else Markup("")


class _AssetFinder(HTMLParser):
    """Collect the URLs a page would load by itself: scripts, stylesheets, images, frames."""

    LOADING = {
        "script": ("src",),
        "link": ("href",),
        "img": ("src", "srcset"),
        "source": ("src", "srcset"),
        "iframe": ("src",),
        "embed": ("src",),
        "video": ("src", "poster"),
        "audio": ("src",),
        "object": ("data",),
    }

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in self.LOADING.get(tag, ()):
                self.urls.append(value)


def external_assets(html: str) -> list[str]:
    """The URLs of assets in ``html`` that would be fetched from another host (http, https or
    protocol-relative), plus CSS ``@import`` or ``url()`` references to such hosts."""
    finder = _AssetFinder()
    finder.feed(html)
    remote = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
    found = [url for url in finder.urls if remote.match(url)]
    found += re.findall(r"""url\(\s*['"]?((?:https?:)?//[^'")\s]+)""", html, re.IGNORECASE)
    found += re.findall(r"""@import\s+['"]((?:https?:)?//[^'"]+)""", html, re.IGNORECASE)
    return found


def make_exporter() -> HTMLExporter:
    """An HTMLExporter using the course template, with figures and images embedded."""
    return HTMLExporter(
        template_name="course",
        extra_template_basedirs=[str(TEMPLATES)],
        embed_images=True,
        theme="light",
    )


def render_page(
    exporter: HTMLExporter,
    page: Page,
    notebook: nbformat.NotebookNode,
    previous: Page | None,
    following: Page | None,
    course_title: str,
    known: set[str],
) -> str:
    """The HTML of one notebook's page, with navigation and links between notebooks."""

    def link(other: Page | None) -> dict[str, object] | None:
        return None if other is None else {"href": other.href, "title": other.title}

    resources = {
        "metadata": {"name": f"{page.title} | {course_title}", "path": str(page.path.parent)},
        "course": {
            "course_title": course_title,
            "previous": link(previous),
            "next": link(following),
        },
    }
    html, _ = exporter.from_notebook_node(notebook, resources=resources)

    def relink(match: re.Match[str]) -> str:
        stem = match.group("stem")
        if stem not in known:
            print(f"  note: {page.path.name} links to {stem}.ipynb, which is not in the site")
            return match.group(0)
        return f'href="{stem}.html{match.group("anchor") or ""}"'

    html = NOTEBOOK_LINK.sub(relink, html)
    return html.replace(f'href="{GLOSSARY}', 'href="glossary.html')


def prepare_output(out: Path) -> None:
    """Create ``out``, or empty it if an earlier build made it; refuse any other folder."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise FileExistsError(f"{out} is not empty and was not built by this script")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("built by tools/build_site.py; emptied on every build\n")


def build_site(notebooks: Path, out: Path, readme: Path = ROOT / "README.md") -> Path:
    """Build the site from every ``NN_*.ipynb`` in ``notebooks`` into ``out``; return the path
    of its ``index.html``. Raises ValueError if a page would load anything from the network."""
    paths = find_notebooks(notebooks)
    loaded = [nbformat.read(path, as_version=4) for path in paths]
    pages = [describe(path, nb) for path, nb in zip(paths, loaded, strict=True)]
    course_title, intro_html = course_intro(readme)
    known = {page.stem for page in pages}

    prepare_output(out)
    shutil.copytree(SITE / "static", out / "static")
    shutil.copytree(SITE / "vendor", out / "vendor")

    exporter = make_exporter()
    outputs: dict[str, str] = {}
    for index, (page, notebook) in enumerate(zip(pages, loaded, strict=True)):
        previous = pages[index - 1] if index > 0 else None
        following = pages[index + 1] if index + 1 < len(pages) else None
        outputs[page.href] = render_page(
            exporter, page, notebook, previous, following, course_title, known
        )

    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    landing = environment.get_template("landing.html.j2").render(
        course_title=course_title,
        glossary=(notebooks / GLOSSARY).is_file(),
        intro_html=intro_html,
        pages=[
            {
                "href": page.href,
                "title": inline_markdown(page.title),
                "time": inline_markdown(page.time) if page.time else None,
            }
            for page in pages
        ],
    )
    outputs["index.html"] = landing

    glossary = notebooks / GLOSSARY
    if glossary.is_file():
        page = Page(path=glossary, title="Glossary", time=None)
        notebook = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_markdown_cell(glossary.read_text(encoding="utf-8"))]
        )
        outputs["glossary.html"] = render_page(
            exporter, page, notebook, pages[-1], None, course_title, known
        )

    for name, html in outputs.items():
        remote = external_assets(html)
        if remote:
            raise ValueError(f"{name} would load assets from the network: {remote}")
        (out / name).write_text(html if html.endswith("\n") else html + "\n", encoding="utf-8")
    return out / "index.html"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: build the site and print the path of its index.html."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--notebooks", type=Path, default=ROOT / "notebooks", help="folder of NN_*.ipynb"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "build" / "site", help="where to write the site"
    )
    args = parser.parse_args(argv)
    index = build_site(args.notebooks, args.out)
    count = len(find_notebooks(args.notebooks))
    print(f"built {count} notebook pages; open {index.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
