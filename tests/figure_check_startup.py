"""IPython startup file used by the test suite: no legend may lie on the plotted data.

conftest.py installs this in the kernels' temporary IPYTHONDIR, next to the network guard, and
names a report file in VI_COURSE_FIGURE_REPORT. Every figure a notebook shows (inline display
and savefig both render through `FigureCanvasBase.print_figure`) is inspected just before it is
drawn: for each legend, its box in display coordinates is compared with the display coordinates
of the data of every line, scatter, bar and filled area in its axes. An overlap is written to the
report as one JSON line; conftest.py fails the notebook cell that drew it, naming the axes.
"""

from __future__ import annotations

import json
import os

import numpy as np
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.collections import Collection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

_REPORT = os.environ.get("VI_COURSE_FIGURE_REPORT")
_SAMPLES_PER_SEGMENT = 20  # a line crossing a legend between two of its points still counts


def _line_points(line: Line2D) -> np.ndarray:
    """A line's points in display coordinates, densified along each segment."""
    xy = np.asarray(line.get_xydata(), dtype=float)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) == 0:
        return np.empty((0, 2))
    display = line.get_transform().transform(xy)
    if line.get_linestyle() in ("None", "", " ") or len(display) == 1:
        return display
    t = np.linspace(0.0, 1.0, _SAMPLES_PER_SEGMENT, endpoint=False)[:, None, None]
    segments = display[:-1] + t * (display[1:] - display[:-1])
    return np.vstack([segments.reshape(-1, 2), display[-1:]])


def _collection_points(collection: Collection) -> np.ndarray:
    """Scatter points (offsets) or the vertices of filled areas, in display coordinates."""
    offsets = np.asarray(collection.get_offsets(), dtype=float)
    if len(offsets) and not np.allclose(offsets, 0.0):
        return collection.get_offset_transform().transform(offsets)
    points = [
        collection.get_transform().transform(path.vertices) for path in collection.get_paths()
    ]
    return np.vstack(points) if points else np.empty((0, 2))


def _box_grid(box, n: int = 7) -> np.ndarray:
    """Points spread over a box, to ask whether a filled shape covers it."""
    xs, ys = np.meshgrid(np.linspace(box.x0, box.x1, n), np.linspace(box.y0, box.y1, n))
    return np.column_stack([xs.ravel(), ys.ravel()])


def _fills(box, path, transform) -> bool:
    """True when a filled shape (a band, a violin, a polygon) covers part of the box."""
    return bool(path.transformed(transform).contains_points(_box_grid(box)).any())


def _covered(legend_box, ax, renderer) -> list[str]:
    """The labels (or kinds) of the artists in `ax` that have data inside `legend_box`."""
    # Bars are labelled through their container, not patch by patch.
    container_of = {id(p): c.get_label() for c in ax.containers for p in c if p is not None}
    hits = []
    for line in ax.get_lines():
        if line.get_visible() and _inside(legend_box, _line_points(line)):
            hits.append(line.get_label())
    for collection in ax.collections:
        if not collection.get_visible():
            continue
        filled = len(collection.get_facecolor()) and not np.asarray(collection.get_offsets()).any()
        if _inside(legend_box, _collection_points(collection)) or (
            filled
            and any(
                _fills(legend_box, p, collection.get_transform()) for p in collection.get_paths()
            )
        ):
            hits.append(collection.get_label())
    for patch in ax.patches:
        if not (patch.get_visible() and isinstance(patch, Patch)):
            continue
        label = container_of.get(id(patch), patch.get_label())
        box = patch.get_window_extent(renderer)
        # Bars and histogram bins are rectangles: any overlap with the legend hides data.
        if isinstance(patch, Rectangle):
            if box.width > 0 and box.height > 0 and legend_box.overlaps(box):
                hits.append(label)
        elif _fills(legend_box, patch.get_path(), patch.get_transform()):
            hits.append(label)
    return sorted({h if not h.startswith("_") else "(unlabelled data)" for h in hits})


def _inside(box, points: np.ndarray) -> bool:
    if len(points) == 0:
        return False
    x, y = points[:, 0], points[:, 1]
    return bool(np.any((x > box.x0) & (x < box.x1) & (y > box.y0) & (y < box.y1)))


def legend_overlaps(figure) -> list[dict]:
    """Every legend of `figure` that covers plotted data: its axes, and what it covers."""
    renderer = figure.canvas.get_renderer()
    found = []
    for index, ax in enumerate(figure.axes):
        legend = ax.get_legend()
        if legend is None or not legend.get_visible():
            continue
        covered = _covered(legend.get_window_extent(renderer), ax, renderer)
        if covered:
            title = ax.get_title() or ax.get_ylabel() or f"axes {index}"
            found.append({"axes": f"{index} ({title!r})", "covers": covered})
    for legend in figure.legends:
        box = legend.get_window_extent(renderer)
        for index, ax in enumerate(figure.axes):
            covered = _covered(box, ax, renderer)
            if covered:
                title = ax.get_title() or f"axes {index}"
                found.append({"axes": f"figure legend over {index} ({title!r})", "covers": covered})
    return found


_print_figure = FigureCanvasBase.print_figure


def _checked_print_figure(self, *args, **kwargs):
    if _REPORT:
        try:
            self.figure.draw_without_rendering()  # lay out legends (loc="best") first
            problems = legend_overlaps(self.figure)
        except Exception as error:  # the check must never break a notebook's figure
            problems = [{"axes": "?", "covers": [f"figure check failed: {error!r}"]}]
        if problems:
            with open(_REPORT, "a", encoding="utf-8") as report:
                for problem in problems:
                    report.write(json.dumps(problem) + "\n")
    return _print_figure(self, *args, **kwargs)


FigureCanvasBase.print_figure = _checked_print_figure
