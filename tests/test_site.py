"""The browsable site (`make site`, site/README.md): Sphinx + myst-nb + sphinx-book-theme, built
offline from the notebooks' stored outputs, and checked in a real browser (Debian's Chromium,
driven by Playwright) the way a reader uses it: from file://, with every network request refused,
at a phone's width (390 px) and a laptop's (1280 px), in light and dark mode.

Screenshots of every page at both widths are saved in build/test-artifacts/site/ (look at them).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from _browser import CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "build" / "test-artifacts" / "site"
WIDTHS = {"phone": 390, "laptop": 1280}

spec = importlib.util.spec_from_file_location("build_site", ROOT / "tools" / "build_site.py")
build_site = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_site)
sys.path.insert(0, str(ROOT / "site" / "_ext"))
import course_site  # noqa: E402 (the site's Sphinx extension, found through site/_ext)

NOTEBOOKS = build_site.notebooks_in(ROOT / "notebooks")
PAGES = ["index.html", *[f"{p.stem}.html" for p in NOTEBOOKS], "glossary.html"]


def _cells(path: Path) -> list:
    return nbformat.read(path, as_version=4).cells


def _title(path: Path) -> str:
    first = next(c.source for c in _cells(path) if c.cell_type == "markdown")
    return re.search(r"^# (.+)$", first, re.MULTILINE).group(1).strip().replace("`", "")


# --- The build (no browser needed) -------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built exactly as `make site` builds it, into a temporary folder."""
    out = tmp_path_factory.mktemp("site") / "html"
    done = _build(out)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stderr == "", "the build warned"
    return out


def _build(out: Path, root: Path = ROOT) -> subprocess.CompletedProcess:
    """`make site`'s command, in a fresh process."""
    command = [sys.executable, str(ROOT / "tools" / "build_site.py"), "--out", str(out)]
    return subprocess.run(
        [*command, "--root", str(root)], capture_output=True, text=True, timeout=600
    )


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the text of its <style> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _tags(path: Path) -> _Tags:
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)
CSS_REMOTE = re.compile(r"(url\(\s*['\"]?|@import\s+['\"])(https?:)?//", re.IGNORECASE)


def _remote_assets(path: Path) -> list[str]:
    """What a page would load from another host: scripts, stylesheets, images, frames, fonts."""
    found = []
    parsed = _tags(path)
    for tag, attrs in parsed.tags:
        loads = {"script": "src", "img": "src", "iframe": "src", "source": "src"}.get(tag)
        if tag == "link" and (attrs.get("rel") or "") != "canonical":
            loads = "href"
        if loads and REMOTE.match(attrs.get(loads) or ""):
            found.append(f"<{tag} {loads}={attrs[loads]}>")
    found += [m.group(0) for style in parsed.styles for m in CSS_REMOTE.finditer(style)]
    return found


def test_the_remote_asset_check_can_fail(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" '
        'href="//cdn.example/x.css"><style>@import "https://fonts.example/f.css";</style>'
        '<a href="https://pyro.ai">a link is not an asset</a><img src="_images/a.png">'
    )
    assert len(_remote_assets(page)) == 3


def test_every_notebook_and_the_glossary_have_a_page_and_nothing_is_loaded_from_the_network(site):
    for name in PAGES:
        assert (site / name).is_file(), name
    assert (site / "search.html").is_file() and (site / "searchindex.js").is_file()
    for path in site.rglob("*.html"):
        assert _remote_assets(path) == [], path.name
    for path in site.rglob("*.css"):
        found = CSS_REMOTE.findall(path.read_text(encoding="utf-8", errors="replace"))
        assert found == [], f"{path.name} loads from another host"
    for needed in ["katex.min.js", "katex.min.css", "LICENSE"]:
        assert (site / "_static" / "katex" / needed).is_file(), needed
    assert len(list((site / "_static" / "katex" / "fonts").glob("KaTeX_*.woff2"))) >= 19


def test_each_notebook_page_links_to_the_notebook_and_its_student_copy(site):
    for path in NOTEBOOKS:
        links = [
            a["href"]
            for tag, a in _tags(site / f"{path.stem}.html").tags
            if tag == "a" and "download" in (a.get("class") or "").split()
        ]
        assert len(links) == 2, f"{path.stem}: {links}"
        full, student = (site / link for link in links)
        assert full.read_bytes() == path.read_bytes(), f"{path.stem}: not the full notebook"
        copy = ROOT / "student" / path.name
        assert student.read_bytes() == copy.read_bytes(), f"{path.stem}: not the student copy"
        assert full != student


def _alt_texts(path: Path) -> list[str | None]:
    """The alt text each figure of a notebook must carry: its cell's ``mystnb.image.alt``."""
    return [
        cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
        for cell in _cells(path)
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]


def test_every_figure_has_its_cells_description_as_alt_text(site):
    figures = 0
    for path in NOTEBOOKS:
        alts = [
            attrs.get("alt")
            for tag, attrs in _tags(site / f"{path.stem}.html").tags
            if tag == "img" and "_images/" in (attrs.get("src") or "")
        ]
        assert alts == _alt_texts(path), f"{path.stem}: figures without their description"
        assert all(alt and len(alt) >= 30 for alt in alts), path.stem
        figures += len(alts)
    assert figures >= 30


def test_solutions_sections_are_toggles_and_the_sections_after_them_are_not(site):
    for path in NOTEBOOKS[1:]:
        html = (site / f"{path.stem}.html").read_text(encoding="utf-8")
        solutions = re.search(r'<section id="solutions">(.*?)</section>', html, re.DOTALL)
        assert solutions, f"{path.stem} has no Solutions section"
        assert 'class="toggle course-solutions' in solutions.group(1), path.stem
    # 06 has a section after its Solutions: it stays open.
    html = (site / "06_kl_direction.html").read_text(encoding="utf-8")
    after = html.split('<section id="where-next">', 1)[1]
    assert "course-solutions" not in after.split("</section>", 1)[0]


def test_jupyterlab_anchors_become_section_links():
    from docutils import nodes

    title = nodes.title("", "", nodes.Text("3. Importance weights and Pareto "))
    title += nodes.math("", r"\hat k")
    assert course_site.jupyterlab_anchor(title) == r"3.-Importance-weights-and-Pareto-$\hat-k$"


def test_the_notebooks_links_to_sections_reach_the_section_they_name(site):
    """The notebooks link to each other with JupyterLab's anchors; on the site each must land on
    the section of that name (the build fails on an unknown anchor; this checks where they go)."""
    checked = 0
    sources = [*NOTEBOOKS, ROOT / "notebooks" / "glossary.md"]
    for source in sources:
        page = site / f"{source.stem}.html"
        html = page.read_text(encoding="utf-8")
        for target, anchor in re.findall(r'href="(\d\d_[a-z0-9_]+\.html)#([^"]+)"', html):
            target_html = (site / target).read_text(encoding="utf-8")
            assert f'<section id="{anchor}"' in target_html, f"{page.name} -> {target}#{anchor}"
            checked += 1
    in_sources = sum(
        len(re.findall(r"\]\(\d\d_\w+\.ipynb#", source.read_text(encoding="utf-8")))
        for source in sources
    )
    assert checked == in_sources > 0, "a link to a section did not become one on the site"


def test_the_landing_page_lists_every_notebook_in_order_with_its_time(site):
    html = (site / "index.html").read_text(encoding="utf-8")
    table = re.search(r'<table class="[^"]*course-contents.*?</table>', html, re.DOTALL).group(0)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.DOTALL)[1:]
    assert [re.search(r'href="([^"]+)"', r).group(1) for r in rows] == PAGES[1:-1]
    for row, path in zip(rows, NOTEBOOKS, strict=True):
        text = (
            re.sub(r"<[^>]+>", "", row)
            .replace("&amp;", "&")
            .replace("&#8217;", "'")
            .replace("’", "'")
        )
        assert _title(path) in text, path.name
        first = next(c.source for c in _cells(path) if c.cell_type == "markdown")
        time = re.search(r"^\*\*Time:?\*\*:?\s*about (\d+) min", first, re.MULTILINE)
        assert time and f"about {time.group(1)} min" in text, path.name


def test_the_build_fails_on_a_broken_link(tmp_path, monkeypatch):
    """-W makes a link to a section that does not exist an error, not a silent dead link."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (tmp_path / "student").mkdir()
    (notebooks / "glossary.md").write_text("# Glossary\n\nSee [01](01_a.ipynb#No-such-section).\n")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · A\n\n**Time:** about 5 min.\n\n## Here\n")]
    nbformat.write(nb, notebooks / "01_a.ipynb")
    nbformat.write(nb, tmp_path / "student" / "01_a.ipynb")
    broken = _build(tmp_path / "out", root=tmp_path)
    assert broken.returncode != 0
    # The only warning is the broken anchor (the course's own build, above, has none).
    warnings = [line for line in broken.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and "No-such-section" in warnings[0], broken.stderr


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


def _context(browser, width: int, scheme: str = "light"):
    """A browser window of that width whose every request to a network host is refused."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    context.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())
    context.set_default_timeout(15_000)
    return context


def _open(page, url: str) -> None:
    """Go to a page and wait until KaTeX has run and every font has settled."""
    page.goto(url, wait_until="load")
    page.wait_for_function("document.documentElement.dataset.mathRendered === 'true'")
    page.evaluate("document.fonts.ready.then(() => true)")


# Every block that is wider than its box must scroll sideways, and really scroll. Inline elements
# (overflow does not apply to them) and KaTeX's visually hidden MathML copy are left out.
CLIPPED_JS = r"""
() => {
  const clipped = [];
  let scrollers = 0;
  for (const el of document.querySelectorAll(".bd-article *")) {
    const style = getComputedStyle(el);
    if (style.display === "inline" || el.closest(".katex-mathml") || el.clientWidth === 0) continue;
    if (el.closest("details:not([open])")) continue;
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    if (style.overflowX === "visible") continue;  // not clipped here (the page check below)
    const scrolls = ["auto", "scroll"].includes(style.overflowX);
    const name = el.tagName.toLowerCase() + "." + [...el.classList].join(".");
    if (scrolls) {
      // Content pushed off the left edge (centred and too wide) is out of the scroll bar's reach.
      el.scrollLeft = 0;
      const range = document.createRange();
      range.selectNodeContents(el);
      const lost = el.getBoundingClientRect().left - range.getBoundingClientRect().left;
      if (lost > 1) { clipped.push(`${name} starts ${lost} px left of its box`); continue; }
      el.scrollLeft = 40;
      if (el.scrollLeft > 0) { scrollers += 1; el.scrollLeft = 0; continue; }
    }
    clipped.push(`${name} ${el.scrollWidth}>${el.clientWidth} overflow-x ${style.overflowX}`);
  }
  const page = document.documentElement.scrollWidth - window.innerWidth;
  return { clipped, scrollers, pageOverflow: page };
}
"""
UNTYPESET_JS = r"""
() => [...document.querySelectorAll(".bd-article span.math, .bd-article div.math")]
  .filter((el) => !el.querySelector(".katex")).map((el) => el.textContent.slice(0, 60))
"""
IMAGES_JS = """
() => [...document.querySelectorAll('.bd-article img')].map((img) => ({
  src: img.currentSrc.slice(-40), complete: img.complete, width: img.naturalWidth, alt: img.alt,
}))
"""


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_every_page_works_offline_and_nothing_is_clipped(site, browser, width):
    """Each page at this width: nothing requested from the network, no console error, every
    figure loaded with alt text, every formula typeset, a copy button on every code cell, and
    no code block or equation cut off without a working sideways scroll."""
    context = _context(browser, width)
    page = context.new_page()
    watch = _Watch(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems, scrollers = [], 0
    for name in PAGES:
        _open(page, (site / name).as_uri())
        page.screenshot(path=str(ARTIFACTS / f"{Path(name).stem}-{width}.png"))
        images = page.evaluate(IMAGES_JS)
        problems += [f"{name}: figure not loaded {i['src']}" for i in images if not i["width"]]
        problems += [f"{name}: figure without alt text" for i in images if not i["alt"].strip()]
        problems += [f"{name}: TeX not typeset {t}" for t in page.evaluate(UNTYPESET_JS)]
        code = page.locator(".bd-article div.highlight").count()
        buttons = page.locator(".bd-article div.highlight button.copybtn").count()
        if buttons != code:
            problems.append(f"{name}: {code} code blocks, {buttons} copy buttons")
        layout = page.evaluate(CLIPPED_JS)
        problems += [f"{name}: clipped {c}" for c in layout["clipped"]]
        if layout["pageOverflow"] > 1:
            problems.append(
                f"{name}: the page is {layout['pageOverflow']} px wider than the window"
            )
        scrollers += layout["scrollers"]
    context.close()
    assert watch.remote == [], "pages tried to reach the network"
    assert watch.errors == []
    assert problems == []
    if width == WIDTHS["phone"]:
        assert scrollers > 50, "at 390 px most code cells are wider than the screen and scroll"


def test_search_for_elbo_finds_the_training_notebooks(site, browser):
    context = _context(browser, WIDTHS["laptop"])
    page = context.new_page()
    watch = _Watch(page)
    page.goto((site / "search.html").as_uri() + "?q=ELBO")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for()
    found = [href.split("#")[0] for href in results.evaluate_all("l => l.map(a => a.href)")]
    assert (site / "04_elbo_and_svi.html").as_uri() in found
    assert (site / "05_convergence.html").as_uri() in found
    page.goto((site / "search.html").as_uri() + "?q=zyxwvut")
    page.locator("#search-results .search-summary").wait_for()
    assert page.locator("#search-results ul.search li").count() == 0
    context.close()
    assert watch.errors == [] and watch.remote == []


def test_dark_mode_follows_the_readers_preference(site, browser):
    backgrounds = {}
    for scheme in ["light", "dark"]:
        context = _context(browser, WIDTHS["laptop"], scheme)
        page = context.new_page()
        _open(page, (site / "05_convergence.html").as_uri())
        backgrounds[scheme] = page.evaluate(
            "[document.documentElement.dataset.theme,"
            " getComputedStyle(document.body).backgroundColor]"
        )
        if scheme == "dark":
            page.screenshot(path=str(ARTIFACTS / "05_convergence-dark.png"))
        context.close()

    def brightness(color: str) -> float:
        red, green, blue = (int(v) for v in re.findall(r"\d+", color)[:3])
        return (red + green + blue) / 3

    assert backgrounds["light"][0] == "light" and backgrounds["dark"][0] == "dark", backgrounds
    assert brightness(backgrounds["light"][1]) > 200 > 60 > brightness(backgrounds["dark"][1])


def test_solutions_are_collapsed_until_the_reader_opens_them(site, browser):
    context = _context(browser, WIDTHS["laptop"])
    page = context.new_page()
    for path in NOTEBOOKS[1:]:
        _open(page, (site / f"{path.stem}.html").as_uri())
        solutions = page.locator("#solutions details")
        assert solutions.count() == 1, path.stem
        assert solutions.evaluate("d => d.open") is False, f"{path.stem}: Solutions shown open"
        assert not page.locator("#solutions .course-solutions").is_visible(), path.stem
        first_heading_after = page.locator("#solutions ~ section h2").first
        if first_heading_after.count():
            assert first_heading_after.is_visible(), "the section after Solutions stays open"
    page.locator("#solutions details summary").click()
    assert page.locator("#solutions .course-solutions").is_visible()
    context.close()


def test_the_contents_sidebar_and_the_on_this_page_list(site, browser):
    context = _context(browser, WIDTHS["laptop"])
    page = context.new_page()
    _open(page, (site / "07_diagnostics.html").as_uri())
    sidebar = page.locator("nav.bd-docs-nav a.reference.internal")
    titles = [t.strip().replace("’", "'") for t in sidebar.all_inner_texts()]
    for path in NOTEBOOKS:
        assert _title(path) in titles, path.stem
    assert "Glossary" in titles
    on_this_page = page.locator("#pst-page-toc-nav a")
    assert on_this_page.count() >= 8
    assert on_this_page.first.is_visible()
    page.locator("#pst-page-toc-nav a", has_text="Summary").click()
    assert page.url.endswith("07_diagnostics.html#summary")
    page.locator(f'nav.bd-docs-nav a[href="{NOTEBOOKS[8].stem}.html"]').click()
    page.wait_for_url((site / f"{NOTEBOOKS[8].stem}.html").as_uri())
    page.locator("a.right-next").click()
    page.wait_for_url((site / f"{NOTEBOOKS[9].stem}.html").as_uri())
    context.close()
