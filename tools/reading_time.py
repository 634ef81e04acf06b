"""How long a notebook takes to read and run, by the course's one rule (CONTRIBUTING.md).

The rule counts the lesson, everything before the "## Exercises" heading:

- prose at 200 words a minute (every whitespace-separated word of the markdown with a letter or
  digit in it, maths included);
- code at 10 lines a minute (6 s for each non-blank line of a code cell, comments included:
  code is read more slowly than prose, and the learner runs it too);
- 30 s for each figure (each image a code cell shows);
- 1 minute for running the cells (every notebook runs in under a minute).

Each notebook states the result in its introduction as "**Time:** about N min reading and
running", and the map in 00_start_here and README.md repeat it; tests/test_readability.py checks
that N is within 25% of the rule, and that no lesson is longer than 45 minutes by it.

Usage: python tools/reading_time.py [notebooks/*.ipynb]   (a table of the counts and minutes)
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

WORDS_PER_MINUTE = 200
CODE_LINES_PER_MINUTE = 10
MINUTES_PER_FIGURE = 0.5
MINUTES_FOR_RUNNING = 1.0
LONGEST_LESSON_MINUTES = 45
TOLERANCE = 0.25

EXERCISES_HEADING = re.compile(r"^##\s+Exercises\b", re.MULTILINE)
WORD = re.compile(r"\w")
STATED_TIME = re.compile(r"\*\*Time:\*\*\s+(?:about\s+)?(\d+)\s+min reading and running")


@dataclass(frozen=True)
class Lesson:
    """The counts of a notebook's lesson (before its exercises), and its stated minutes."""

    name: str
    words: int
    code_lines: int
    figures: int
    stated_minutes: int | None

    @property
    def minutes(self) -> float:
        """The reading and running time by the course's rule."""
        return (
            self.words / WORDS_PER_MINUTE
            + self.code_lines / CODE_LINES_PER_MINUTE
            + self.figures * MINUTES_PER_FIGURE
            + MINUTES_FOR_RUNNING
        )


def figures_shown(cell: nbformat.NotebookNode) -> int:
    """How many images a code cell's stored outputs show."""
    return sum(
        1
        for output in cell.get("outputs", [])
        if any(key.startswith("image/") for key in output.get("data", {}))
    )


def count_words(text: str) -> int:
    """Whitespace-separated words that contain a letter or digit (not "#", "|", "---", ...)."""
    return sum(1 for token in text.split() if WORD.search(token))


def count_lesson(path: Path | str) -> Lesson:
    """Count the words, code lines and figures of a notebook up to its "## Exercises" heading."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    words = code_lines = figures = 0
    stated = None
    for cell in nb.cells:
        source = cell.source
        if cell.cell_type == "markdown":
            match = STATED_TIME.search(source)
            if match and stated is None:
                stated = int(match.group(1))
            heading = EXERCISES_HEADING.search(source)
            words += count_words(source[: heading.start()] if heading else source)
            if heading:
                break
        elif cell.cell_type == "code":
            code_lines += sum(1 for line in source.splitlines() if line.strip())
            figures += figures_shown(cell)
    return Lesson(path.stem, words, code_lines, figures, stated)


def main(argv: list[str] | None = None) -> int:
    paths = argv if argv else sorted(str(p) for p in Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
    print("| notebook | words | code lines | figures | rule (min) | stated (min) |")
    print("|---|---:|---:|---:|---:|---:|")
    for path in paths:
        lesson = count_lesson(path)
        print(
            f"| {lesson.name} | {lesson.words} | {lesson.code_lines} | {lesson.figures} "
            f"| {lesson.minutes:.0f} | {lesson.stated_minutes} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
