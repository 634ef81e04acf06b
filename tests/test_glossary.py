"""The glossary (notebooks/glossary.md) defines each term and links it to where it is taught, and
that place is where the course first uses the term: a learner never meets it undefined.

Each entry is one paragraph, ``**term**: definition ... [NN · Title](NN_name.ipynb#Heading-id)``.
For every term listed in TERMS the test finds its entry, follows the link to the heading, and
checks that the linked section mentions the term and that no earlier lesson (or earlier section of
the same lesson) uses it first; a notebook's introduction and the course map, which only name
what is taught later, do not count as a use.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "notebooks" / "glossary.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = re.compile(r"^##\s+Exercises\b", re.MULTILINE)

# The terms the course must define at first use, each with the pattern that finds a use of it in
# a lesson's prose (markdown before the exercises).
TERMS = {
    "nat": r"\bnats?\b",
    "e-fold": r"\be-fold",
    "condition number": r"condition number",
    "preconditioning": r"precondition",
    "to_event": r"to_event",
    "batch shape": r"batch shape",
    "event shape": r"event shape",
    "importance-sampling ESS": r"importance-sampling ESS|ESS of the (importance )?weights",
    "MCMC ESS": r"MCMC ESS|ESS of the chain",
    "Pareto k-hat": r"\\hat\s*\{?k\}?|k-hat",
    "Normal(mu, sigma)": r"Normal\(\s*\\?mu,\s*\\?sigma\s*\)",
}


# Sections that only name what is taught later are not a first use: the course map, and each
# notebook's introduction (its title section, with the learning objectives).
MAPS = {("00_start_here.ipynb", "The-map")}


def is_introduction(section: str) -> bool:
    """A notebook's title section: "NN-·-Title"."""
    return re.match(r"\d\d-·-", section) is not None


def anchor(heading: str) -> str:
    """The id JupyterLab and nbconvert give a markdown heading: its text, spaces as hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading.strip())
    return text.replace(" ", "-")


def sections(path: Path) -> list[tuple[str, str]]:
    """(anchor, prose) for each heading of a notebook's lesson, in order; prose before the first
    heading belongs to the title."""
    found: list[tuple[str, str]] = [("", "")]
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        source = cell.source
        stop = EXERCISES.search(source)
        for line in (source[: stop.start()] if stop else source).splitlines():
            heading = re.match(r"#{1,6}\s+(.*)", line)
            if heading:
                found.append((anchor(heading.group(1)), ""))
            else:
                found[-1] = (found[-1][0], found[-1][1] + line + "\n")
        if stop:
            break
    return found


def entries() -> dict[str, str]:
    """Each glossary entry's paragraph, by its bold term."""
    text = GLOSSARY.read_text(encoding="utf-8")
    found = {}
    for paragraph in re.split(r"\n\s*\n", text):
        match = re.match(r"\*\*(.+?)\*\*", paragraph.strip())
        if match:
            found[match.group(1)] = paragraph
    return found


def test_anchor_matches_jupyterlab_ids():
    assert anchor("The model in Pyro") == "The-model-in-Pyro"
    assert anchor("1. The objective: the ELBO") == "1.-The-objective:-the-ELBO"
    assert anchor("What `SVI.step` does") == "What-SVI.step-does"


def test_the_glossary_exists_and_lists_every_term():
    assert GLOSSARY.is_file(), "write notebooks/glossary.md"
    missing = [term for term in TERMS if term not in entries()]
    assert not missing, f"terms without a glossary entry: {missing}"


@pytest.mark.parametrize("term", TERMS)
def test_each_term_links_to_where_the_course_first_uses_it(term):
    entry = entries().get(term)
    assert entry is not None, f"no glossary entry for {term!r}"
    links = re.findall(r"\]\((\d\d_[a-z0-9_]+\.ipynb)#([^)]+)\)", entry)
    assert links, f"the entry for {term!r} links to no lesson section"
    name, target = links[0]
    pattern = re.compile(TERMS[term])
    path = ROOT / "notebooks" / name
    assert path.is_file(), f"{term!r} links to {name}, which does not exist"
    anchors = [a for a, _ in sections(path)]
    assert target in anchors, f"{term!r} links to {name}#{target}: no such heading ({anchors})"
    first = next(
        (
            (p.name, a)
            for p in NOTEBOOKS
            for a, prose in sections(p)
            if pattern.search(prose) and (p.name, a) not in MAPS and not is_introduction(a)
        ),
        None,
    )
    assert first == (name, target), (
        f"{term!r} is first used in {first}, but the glossary links to {(name, target)}: define "
        "it where it is first used, and link there"
    )
