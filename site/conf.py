"""Sphinx configuration of the course site (`make site`; how it is built: site/README.md).

The source folder is staged by ``tools/build_site.py``: ``site/index.md`` plus a copy of every
``notebooks/NN_*.ipynb`` and ``notebooks/glossary.md``, side by side, so that the notebooks' own
links (``02_model.ipynb#The-model-in-Pyro``, ``glossary.md``) resolve as they do in JupyterLab.
myst-nb shows the notebooks' stored outputs and executes nothing. Everything the pages load is in
the output folder: no CDN, no web font, nothing fetched at build or view time.
"""

from __future__ import annotations

import sys
from pathlib import Path

SITE = Path(__file__).resolve().parent
sys.path.insert(0, str(SITE / "_ext"))

project = "Variational inference with Pyro"
author = "The VI with Pyro course authors"  # as in CITATION.cff
copyright = "2026, the VI with Pyro course authors"  # noqa: A001 (Sphinx's name for it)
language = "en"

extensions = [
    "myst_nb",  # notebooks and MyST markdown
    "sphinx_copybutton",  # a copy button on every code cell
    "sphinx_togglebutton",  # the collapsed Solutions sections
    "course_site",  # site/_ext/course_site.py: KaTeX offline, downloads, Solutions, anchors
]

root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]  # course_site adds the student copies' folder

# The notebooks are shown with the outputs they were committed with (`make run` regenerates them).
nb_execution_mode = "off"
# No require.js or widget manager from a CDN: the notebooks have no widget outputs.
nb_ipywidgets_js: dict = {}
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
# Links to http(s) pages open normally; local links must resolve, or the build fails (-W).
myst_links_external_new_tab = False

# --- HTML -----------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Variational inference with Pyro"
html_static_path = ["_static", "vendor"]
html_css_files = ["course.css"]
html_last_updated_fmt = None
html_show_sourcelink = False
html_copy_source = True  # the book theme's download button offers the .ipynb from _sources/
# Search runs in the browser from searchindex.js; result summaries would fetch() each page,
# which a browser refuses for file:// pages, so they are off.
html_show_search_summary = False
html_permalinks_icon = "#"
html_theme_options = {
    "use_download_button": True,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "use_issues_button": False,
    "use_edit_page_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "home_page_in_toc": True,
    # Nothing that fetches at view time: no launch buttons, no analytics, no version switcher.
    "launch_buttons": {},
    # One search field, in the sidebar (and the search button at the top on narrow screens).
    "navbar_persistent": [],
    "footer_content_items": ["copyright.html"],
}
html_context = {"default_mode": "auto"}  # light or dark, following the reader's preference

# Code cells: the copy button leaves out prompts and outputs.
copybutton_exclude = ".linenos, .gp, .go"
togglebutton_hint = "Show the solutions"
togglebutton_hint_hide = "Hide the solutions"
