"""The course site's own Sphinx extension (site/README.md says how the site is built).

It adds what the standard stack (myst-nb, sphinx-book-theme, sphinx-copybutton,
sphinx-togglebutton) does not do for this course:

- **Maths offline.** A math renderer (Sphinx's ``add_html_math_renderer``) that writes formulas as
  Sphinx's MathJax renderer does, ``\\(...\\)`` and ``\\[...\\]`` inside ``.math`` elements, and
  typesets them in the browser with the copy of KaTeX in ``site/vendor/katex`` (``render-math.js``).
- **JupyterLab's heading anchors.** The notebooks link to each other as JupyterLab does,
  ``02_model.ipynb#The-model-in-Pyro`` (the heading's text, spaces as hyphens, maths as ``$tex$``).
  Each section gets that anchor as an alias of its MyST slug, so those links resolve here too.
- **Downloads.** Under each notebook's title, links to download the notebook (outputs and
  solutions) and its student copy (``student/``, staged as ``_student/``).
- **Collapsed Solutions.** The body of every section titled "Solutions" goes into a toggle
  (sphinx-togglebutton), closed until the reader opens it.
- **The contents table** of the landing page (the ``course-contents`` directive): each notebook's
  title and its time estimate, the ``**Time:**`` line of its first cell.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx import addnodes
from sphinx.application import Sphinx

NOTEBOOK_DOC = re.compile(r"\d\d_[A-Za-z0-9_]+")
TIME_LINE = re.compile(r"^Time:?\s*(?P<time>.+?)\s*$", re.DOTALL)
STUDENT_FOLDER = "_student"  # where tools/build_site.py stages student/NN_*.ipynb
SOLUTIONS_TITLE = re.compile(r"^Solutions?\b")


# --- maths -----------------------------------------------------------------------------------


def visit_math(self: Any, node: nodes.math) -> None:
    """Inline maths, as ``<span class="math">\\(tex\\)</span>`` for render-math.js."""
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(r"\(" + self.encode(node.astext()) + r"\)</span>")
    raise nodes.SkipNode


def visit_math_block(self: Any, node: nodes.math_block) -> None:
    """Display maths, as ``<div class="math">\\[tex\\]</div>``; several equations separated by
    blank lines are aligned, as Sphinx's MathJax renderer does."""
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node.get("no-wrap", node.get("nowrap", False)):
        self.body.append(r"\[" + self.encode(node.astext()) + r"\]</div>")
        raise nodes.SkipNode
    parts = [self.encode(part) for part in node.astext().split("\n\n") if part.strip()]
    parts = [rf"\begin{{split}}{p}\end{{split}}" if r"\\" in p else p for p in parts]
    tex = r"\begin{aligned}" + r"\\".join(parts) + r"\end{aligned}" if len(parts) > 1 else parts[0]
    self.body.append(r"\[" + tex + r"\]</div>" + "\n")
    raise nodes.SkipNode


def configure(app: Sphinx, config: Any) -> None:
    """Make the offline KaTeX renderer the site's math renderer, and read the staged student
    copies as download files only, never as pages."""
    config.html_math_renderer = "katex_offline"
    config.exclude_patterns = [*config.exclude_patterns, STUDENT_FOLDER]


def add_katex_assets(app: Sphinx) -> None:
    """KaTeX's stylesheet and script (from site/vendor, copied to _static/) and the page script."""
    app.add_css_file("katex/katex.min.css")
    app.add_js_file("katex/katex.min.js", loading_method="defer")
    app.add_js_file("render-math.js", loading_method="defer")


# --- JupyterLab anchors ----------------------------------------------------------------------


def jupyterlab_anchor(title: nodes.Node) -> str:
    """The anchor JupyterLab gives a heading: its text with maths as ``$tex$``, spaces as '-'."""
    text = "".join(
        f"${child.astext()}$" if isinstance(child, nodes.math) else child.astext()
        for child in title.children
    )
    return re.sub(r"\s", "-", text.strip())


def add_jupyterlab_anchors(app: Sphinx, doctree: nodes.document) -> None:
    """Let ``doc.ipynb#JupyterLab-Anchor`` links resolve, as aliases of MyST's heading slugs."""
    metadata = app.env.metadata[app.env.docname]
    slugs = dict(metadata.get("myst_slugs", {}))
    for section in doctree.findall(nodes.section):
        if not section["ids"] or not isinstance(section[0], nodes.title):
            continue
        title = section[0]
        slugs.setdefault(
            jupyterlab_anchor(title), (section.line, section["ids"][0], title.astext())
        )
    metadata["myst_slugs"] = slugs


# --- downloads and Solutions -----------------------------------------------------------------


def _download(docname: str, target: str, text: str) -> addnodes.download_reference:
    return addnodes.download_reference(
        "",
        "",
        nodes.inline("", text),
        refdoc=docname,
        refdomain="",
        reftype="download",
        refexplicit=True,
        reftarget=target,
    )


def add_downloads(app: Sphinx, doctree: nodes.document) -> None:
    """Under a notebook's title: download the notebook, or its student copy. Runs before Sphinx's
    download collector, which copies both files into the site's _downloads/."""
    docname = app.env.docname
    if not NOTEBOOK_DOC.fullmatch(docname):
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    line = nodes.paragraph(classes=["course-downloads"])
    line += nodes.Text("Download this notebook: ")
    line += _download(docname, f"/{docname}.ipynb", "with outputs and solutions")
    line += nodes.Text(" · ")
    line += _download(docname, f"/{STUDENT_FOLDER}/{docname}.ipynb", "student copy")
    line += nodes.Text(" (exercises blank, solutions removed)")
    section.insert(1, line)


def collapse_solutions(app: Sphinx, doctree: nodes.document) -> None:
    """Put the body of each "Solutions" section into a toggle that starts closed."""
    for section in doctree.findall(nodes.section):
        if not isinstance(section[0], nodes.title):
            continue
        if not SOLUTIONS_TITLE.match(section[0].astext()):
            continue
        body = section.children[1:]
        toggle = nodes.container(classes=["toggle", "course-solutions"])
        for child in body:
            section.remove(child)
            toggle += child
        section += toggle


# --- the contents table ----------------------------------------------------------------------


class course_contents(nodes.General, nodes.Element):  # noqa: N801 (docutils' node naming)
    """Where the landing page's contents table goes; filled in once every notebook is read."""


class CourseContents(Directive):
    """``course-contents``: a table of the notebooks, their titles and time estimates."""

    def run(self) -> list[nodes.Node]:
        return [course_contents("")]


def record_time_estimate(app: Sphinx, doctree: nodes.document) -> None:
    """Keep the notebook's ``**Time:**`` line for the contents table."""
    docname = app.env.docname
    if not NOTEBOOK_DOC.fullmatch(docname):
        return
    times = app.env.__dict__.setdefault("course_times", {})
    for paragraph in doctree.findall(nodes.paragraph):
        match = TIME_LINE.match(paragraph.astext())
        if match:
            times[docname] = match["time"].split(". ")[0].rstrip(".")
            return


def fill_contents(app: Sphinx, doctree: nodes.document, fromdocname: str) -> None:
    """Replace each ``course_contents`` placeholder by the table."""
    env = app.env
    times = getattr(env, "course_times", {})
    for placeholder in list(doctree.findall(course_contents)):
        table = nodes.table(classes=["course-contents"])
        group = nodes.tgroup(cols=2)
        table += group
        group += nodes.colspec(colwidth=70)
        group += nodes.colspec(colwidth=30)
        head = nodes.thead()
        group += head
        head += _row([nodes.Text("Notebook"), nodes.Text("Time")])
        body = nodes.tbody()
        group += body
        for docname in sorted(d for d in env.found_docs if NOTEBOOK_DOC.fullmatch(d)):
            link = nodes.reference(
                "",
                env.titles[docname].astext(),
                internal=True,
                refuri=app.builder.get_relative_uri(fromdocname, docname),
            )
            body += _row([link, nodes.Text(times.get(docname, ""))])
        placeholder.replace_self(table)


def _row(cells: list[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for content in cells:
        entry = nodes.entry()
        entry += nodes.paragraph("", "", content)
        row += entry
    return row


def merge_times(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    """Parallel reads: keep the time estimates read by other processes."""
    env.__dict__.setdefault("course_times", {}).update(getattr(other, "course_times", {}))


def purge_times(app: Sphinx, env: Any, docname: str) -> None:
    getattr(env, "course_times", {}).pop(docname, None)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_html_math_renderer("katex_offline", (visit_math, None), (visit_math_block, None))
    app.connect("config-inited", configure)
    app.connect("builder-inited", add_katex_assets)
    # Before Sphinx's own doctree-read handlers (priority 500): the download collector must see
    # the download links, and MyST's reference resolver the anchors.
    app.connect("doctree-read", add_downloads, priority=400)
    app.connect("doctree-read", collapse_solutions, priority=400)
    app.connect("doctree-read", add_jupyterlab_anchors, priority=400)
    app.connect("doctree-read", record_time_estimate, priority=400)
    app.connect("doctree-resolved", fill_contents)
    app.connect("env-merge-info", merge_times)
    app.connect("env-purge-doc", purge_times)
    app.add_node(course_contents)
    app.add_directive("course-contents", CourseContents)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
