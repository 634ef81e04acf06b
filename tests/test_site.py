"""The browsable site (`make site`): built offline from the stored outputs, and correct in a real
browser (Debian's Chromium, driven by Playwright): no console errors, every figure loaded, maths
typeset by the vendored KaTeX, working navigation, and nothing fetched from the network.

Screenshots of every page are saved in build/test-artifacts/site/ (look at them).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from _browser import CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "build" / "test-artifacts" / "site"

spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
build_site = importlib.util.module_from_spec(spec)
sys.modules["build_site"] = build_site  # its dataclass looks its module up there
spec.loader.exec_module(build_site)

NOTEBOOKS = build_site.find_notebooks(ROOT / "notebooks")
PAGES = ["index.html"] + [f"{path.stem}.html" for path in NOTEBOOKS]

# Visible markdown text in which a TeX delimiter survived (KaTeX did not typeset it). Code, the
# typeset maths itself and scripts are taken out first.
UNRENDERED_MATH_JS = r"""
() => {
  const found = [];
  for (const element of document.querySelectorAll(".jp-RenderedMarkdown, .landing")) {
    const copy = element.cloneNode(true);
    copy.querySelectorAll("code, pre, .katex, script, style").forEach((n) => n.remove());
    const match = copy.textContent.match(/.{0,40}(\$|\\\(|\\\[|\\begin\{).{0,40}/s);
    if (match) found.push(match[0]);
  }
  return found;
}
"""
IMAGES_JS = """
() => [...document.images].map((img) => ({
  src: img.currentSrc.slice(0, 40), complete: img.complete, width: img.naturalWidth,
}))
"""
FONTS_JS = "() => [...document.fonts].map((f) => [f.family.replaceAll('\"', ''), f.status])"


def _first_markdown(path: Path) -> str:
    cells = nbformat.read(path, as_version=4).cells
    return next((c.source for c in cells if c.cell_type == "markdown"), "")


def _figures(path: Path) -> int:
    """How many outputs the page must show as an <img> (PNG or JPEG chosen for display)."""
    count = 0
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            richer = {"text/html", "image/svg+xml", "text/latex", "application/pdf"} & set(data)
            if {"image/png", "image/jpeg"} & set(data) and not richer:
                count += 1
    return count


# --- The build (no browser needed) -------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built from the course's notebooks into a temporary folder."""
    out = tmp_path_factory.mktemp("site") / "site"
    index = build_site.build_site(ROOT / "notebooks", out)
    assert index == out / "index.html" and index.is_file()
    return out


def _tiny_notebook(path: Path, number: int) -> None:
    png = (  # a 1x1 PNG
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAE"
        "hQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            f"# {number:02d} · Tiny {number}\n\nSee [the next one](01_b.ipynb).\n\n"
            "**Time:** about 5 min reading.\n\n$$\\mathcal{N}(\\mu, \\sigma)$$"
        ),
        nbformat.v4.new_code_cell(
            "show()",
            execution_count=1,
            outputs=[
                nbformat.v4.new_output("display_data", data={"image/png": png}),
                nbformat.v4.new_output(
                    "display_data", data={"application/javascript": "console.log(1)"}
                ),
            ],
        ),
    ]
    nbformat.write(nb, path)


def test_the_build_is_deterministic_and_relinks_notebooks(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _tiny_notebook(notebooks / "00_a.ipynb", 0)
    _tiny_notebook(notebooks / "01_b.ipynb", 1)
    (notebooks / "scratch.ipynb").write_text("not a course notebook")
    first = build_site.build_site(notebooks, tmp_path / "one").parent
    second = build_site.build_site(notebooks, tmp_path / "two").parent
    names = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert {p.name for p in first.glob("*.html")} == {"index.html", "00_a.html", "01_b.html"}
    page = (first / "00_a.html").read_text()
    assert 'href="01_b.html"' in page and "01_b.ipynb" not in page
    assert 'src="data:image/png;base64,' in page


def test_a_rebuild_replaces_the_site_but_never_empties_a_folder_it_did_not_build(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _tiny_notebook(notebooks / "00_a.ipynb", 0)
    out = tmp_path / "out"
    build_site.build_site(notebooks, out)
    (notebooks / "00_a.ipynb").rename(notebooks / "00_c.ipynb")
    build_site.build_site(notebooks, out)
    assert not (out / "00_a.html").exists() and (out / "00_c.html").is_file()
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(FileExistsError):
        build_site.build_site(notebooks, precious)
    assert (precious / "thesis.tex").read_text() == "years of work"


def test_the_asset_check_catches_anything_loaded_from_another_host():
    assert build_site.external_assets('<script src="https://cdn.example/x.js"></script>')
    assert build_site.external_assets('<link rel="stylesheet" href="//cdn.example/x.css">')
    assert build_site.external_assets('<img src="http://example.org/a.png">')
    assert build_site.external_assets("<style>@import 'https://fonts.example/f.css';</style>")
    assert build_site.external_assets("<style>a { background: url(https://x.example/a.png) }")
    local = '<script src="vendor/katex/katex.min.js"></script><a href="https://pyro.ai">Pyro</a>'
    assert build_site.external_assets(local) == []


def test_every_notebook_has_a_page_and_none_loads_anything_from_the_network(site):
    assert sorted(p.name for p in site.glob("*.html")) == sorted([*PAGES, "glossary.html"])
    for path in [*site.rglob("*.html"), *site.rglob("*.css")]:
        assert build_site.external_assets(path.read_text(encoding="utf-8")) == [], path.name
    for path in site.glob("*.html"):
        for target in re.findall(r'href="([^"#:]+\.html)(?:#[^"]*)?"', path.read_text()):
            assert (site / target).is_file(), f"{path.name} links to a missing page {target}"
    for needed in ["katex.min.js", "katex.min.css", "contrib/auto-render.min.js", "LICENSE"]:
        assert (site / "vendor" / "katex" / needed).is_file(), needed
    assert len(list((site / "vendor" / "katex" / "fonts").glob("KaTeX_*.woff2"))) >= 19


class _ImageAlts(HTMLParser):
    """The alt attribute of every PNG <img> of a page, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.alts: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img" and (found.get("src") or "").startswith("data:image/png"):
            self.alts.append(found.get("alt"))


def _alt_texts(path: Path) -> list[str]:
    """The alt text each PNG figure of a notebook must carry: its cell's mystnb.image.alt."""
    alts = []
    for cell in nbformat.read(path, as_version=4).cells:
        alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                alts.append(alt)
    return alts


def test_every_figure_has_its_cells_description_as_alt_text(site):
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        html = (site / f"{path.stem}.html").read_text(encoding="utf-8")
        images = _ImageAlts()
        images.feed(html)
        assert images.alts == _alt_texts(path), f"{path.stem}: figures without their description"
        assert "No description has been provided" not in html, path.stem


def test_the_glossary_page_links_each_term_to_a_section_that_exists(site):
    html = (site / "glossary.html").read_text(encoding="utf-8")
    assert 'href="glossary.html"' in (site / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="(\d\d_[a-z0-9_]+\.html)#([^"]+)"', html)
    assert len(links) >= 10, "the glossary should link its terms to the lessons"
    for target, anchor in links:
        page = (site / target).read_text(encoding="utf-8")
        assert f'id="{anchor}"' in page, f"glossary links to {target}#{anchor}, which is not there"


def test_the_landing_page_lists_the_notebooks_in_order_with_title_and_time(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    entries = re.findall(r'<li class="notebook-entry">(.*?)</li>', html, re.DOTALL)
    assert [re.search(r'href="([^"]+)"', e).group(1) for e in entries] == PAGES[1:]
    for entry, path in zip(entries, NOTEBOOKS, strict=True):
        source = _first_markdown(path)
        title = re.search(r"^# (.+)$", source, re.MULTILINE).group(1).strip()
        text = re.sub(r"<[^>]+>", "", entry).replace("&amp;", "&")
        assert title.replace("`", "") in text
        time = re.search(r"^\*\*Time:?\*\*:?\s*(.+?)\.?\s*$", source, re.MULTILINE)
        if time:
            assert time.group(1).replace("`", "") in text, path.name


# --- In the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, driven by Playwright (no browser download)."""
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


class _Watch:
    """What a page did: console errors, page errors, failed and non-local requests."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.remote: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("requestfailed", lambda r: self.errors.append(f"failed to load {r.url[:120]}"))
        page.on("request", self._request)

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def _request(self, request) -> None:
        if not request.url.startswith(("file:", "data:")):
            self.remote.append(request.url)


@pytest.fixture
def page(browser):
    """A fresh page whose every request to a network host is refused (and recorded)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _open(page, url: str, watch: _Watch) -> None:
    """Go to a page and wait until KaTeX has run and every font has settled."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(url, wait_until="load")
    try:
        page.wait_for_function("document.documentElement.dataset.mathRendered === 'true'")
    except PlaywrightTimeout:
        pytest.fail(f"KaTeX never ran on {url}; the page reported: {watch.errors}")
    page.evaluate("document.fonts.ready.then(() => true)")


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline_with_figures_and_maths(site, page, name):
    watch = _Watch(page)
    _open(page, (site / name).as_uri(), watch)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{Path(name).stem}.png"), full_page=True)

    assert watch.errors == []
    assert watch.remote == [], "the page tried to reach the network"
    images = page.evaluate(IMAGES_JS)
    broken = [image for image in images if not (image["complete"] and image["width"] > 0)]
    assert broken == [], "figures that did not load"
    fonts = page.evaluate(FONTS_JS)
    assert [f for f in fonts if f[1] == "error"] == [], "fonts that did not load"
    assert page.locator(".katex-error").count() == 0, "formulas KaTeX could not parse"
    assert page.evaluate(UNRENDERED_MATH_JS) == [], "TeX left untypeset in the text"

    if name == "index.html":
        assert page.locator(".notebook-entry").count() == len(NOTEBOOKS)
        return
    notebook = ROOT / "notebooks" / name.replace(".html", ".ipynb")
    assert len(images) >= _figures(notebook), "a figure of the notebook is missing"
    markdown = "\n".join(
        c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "markdown"
    )
    if "$" in markdown:
        assert page.locator(".jp-RenderedMarkdown .katex").count() > 0, "no maths typeset"
        assert ["KaTeX_Main", "loaded"] in fonts, "KaTeX's fonts did not load"


def test_navigation_goes_through_the_notebooks_in_order_and_back(site, page):
    watch = _Watch(page)
    urls = {name: (site / name).as_uri() for name in PAGES}
    titles = {
        f"{path.stem}.html": re.search(r"^# (.+)$", _first_markdown(path), re.M).group(1).strip()
        for path in NOTEBOOKS
    }
    _open(page, urls["index.html"], watch)
    page.locator(".notebook-link").first.click()
    page.wait_for_url(urls[PAGES[1]])
    for here, there in zip(PAGES[1:], PAGES[2:], strict=False):
        assert page.url == urls[here]
        assert page.locator("main h1").first.inner_text().strip() == titles[here].replace("`", "")
        page.locator(".course-nav-top a[rel=next]").click()
        page.wait_for_url(urls[there])
    assert page.locator("a[rel=next]").count() == 0, "the last page has no next"
    for here, there in zip(PAGES[:1:-1], PAGES[-2:0:-1], strict=True):
        assert page.url == urls[here]
        page.locator(".course-nav-bottom a[rel=prev]").click()
        page.wait_for_url(urls[there])
    assert page.locator("a[rel=prev]").count() == 0, "the first page has no previous"
    page.locator(".course-nav-top a[rel=contents]").click()
    page.wait_for_url(urls["index.html"])
    assert watch.errors == [] and watch.remote == []
