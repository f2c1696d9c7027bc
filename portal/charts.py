"""Charts drawn on the server as SVG (templates/_charts.html): the geometry here, the figures
from the domain. Every chart has a title, its labels in the drawing, and the same figures as a
table beside it on the page; no script, no library, readable at 360 px (a viewBox that scales).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import get_locale

from portal.numbers import whole

WIDTH = 340  # the viewBox's width: the chart scales to the page's
LABEL = 110  # the space for a bar's label, left
BAR = 18
GAP = 8

# The standings' colours in a stacked bar, in the order of the progress table's columns:
# up to date green, the reasons warm to cold, to visit grey.
STACK_COLOURS = {
    "up_to_date": "#2e7d32", "willing": "#7cb342", "refused": "#c62828",
    "contraindicated": "#ad1457", "deferred": "#ef6c00", "homebound": "#6a1b9a",
    "hospitalised": "#4527a0", "absent": "#0277bd", "to_visit": "#9e9e9e",
}


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    colour: str
    name: str
    value: int
    text: str = ""  # the value as the locale writes it (12.345)


@dataclass(frozen=True)
class Bar:
    """A labelled bar, made of one or more segments, at height y."""

    label: str
    y: float
    segments: tuple[Segment, ...]
    text: str  # the figure written at its end


@dataclass
class Chart:
    title: str
    bars: list[Bar] = field(default_factory=list)
    height: float = 0
    line_x: float | None = None  # the target line
    line_label: str = ""
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, label)
    width: float = WIDTH
    label_width: float = LABEL

    @property
    def plot_width(self) -> float:
        return self.width - self.label_width - 40


def coverage_bars(title: str, rows: list[tuple[str, int, int]], target_label: str) -> Chart:
    """Each unit's share of its target population up to date, as a bar against the target
    line (the whole target population, 100 %). rows: (label, up to date, target)."""
    chart = Chart(title, line_label=target_label)
    plot = chart.plot_width
    for n, (label, done, target) in enumerate(rows):
        share = done / target if target else 0.0
        y = n * (BAR + GAP)
        chart.bars.append(Bar(label, y, (Segment(chart.label_width, plot * share, "#2e7d32",
                                                 "up_to_date", done, _number(done)),),
                              f"{100 * share:.0f} %"))
    chart.line_x = chart.label_width + plot
    chart.height = len(rows) * (BAR + GAP) + 4
    return chart


def stacked_bars(title: str, rows: list[tuple[str, dict[str, int]]],
                 labels: dict[str, str]) -> Chart:
    """Each unit's people by where they stand, as one bar of 100 % in segments (the progress
    table's columns). rows: (label, {column: count})."""
    chart = Chart(title, legend=[(STACK_COLOURS[name], str(labels[name]))
                                 for name in STACK_COLOURS if name in labels])
    plot = chart.plot_width
    for n, (label, counts) in enumerate(rows):
        total = sum(counts.values())
        x = chart.label_width
        segments = []
        for name in STACK_COLOURS:
            value = counts.get(name, 0)
            if value and total:
                width = plot * value / total
                segments.append(Segment(x, width, STACK_COLOURS[name], str(labels[name]), value,
                                        _number(value)))
                x += width
        chart.bars.append(Bar(label, n * (BAR + GAP), tuple(segments),
                              _number(total)))
    chart.height = len(rows) * (BAR + GAP) + 4
    return chart


def value_bars(title: str, rows: list[tuple[str, int]], colour: str = "#0b5cad") -> Chart:
    """A bar for each row, as long as its value against the largest (visits a day)."""
    chart = Chart(title, label_width=60)
    plot = chart.plot_width
    largest = max((value for _, value in rows), default=0)
    for n, (label, value) in enumerate(rows):
        width = plot * value / largest if largest else 0.0
        chart.bars.append(Bar(label, n * (BAR + GAP),
                              (Segment(chart.label_width, width, colour, title, value,
                                       _number(value)),),
                              _number(value)))
    chart.height = len(rows) * (BAR + GAP) + 4
    return chart


def _number(value: int) -> str:
    return whole(value, get_locale())
