"""The report's charts, drawn by pygal and inlined as SVG.

pygal's default configuration loads its tooltip script from a CDN; the report must open
with no network, so no script is referenced (``js=[]``), and the inline parts pygal adds
that a page does not need (its config script, comments naming its web site, namespace
URIs) are taken out of the SVG. Its styles are inlined by pygal itself.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import pygal  # type: ignore[import-untyped]
from pygal.style import Style  # type: ignore[import-untyped]

# Importing pygal appends a finder for its map plugins (unused here) to sys.meta_path. It is
# an old-style finder, so every later import that reaches it (any optional module another
# library probes for) raises an ImportWarning: take it out again.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__module__ != "pygal"]

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    foreground="#333",
    foreground_strong="#111",
    foreground_subtle="#999",
    colors=("#2f6fde", "#2bb673", "#f2a516", "#e0474c", "#8e5bd6", "#17a2b8", "#6c757d", "#d63384"),
    title_font_size=15,
    label_font_size=11,
    legend_font_size=11,
)
STATE_COLOURS = {"done": "#2bb673", "waiting": "#f2a516", "failed": "#e0474c"}
_LINE_STATES = ("recreated", "activated", "waiting", "failed", "skipped")
_LINE_COLOURS = ("#2bb673", "#17a2b8", "#f2a516", "#e0474c", "#adb5bd")
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_NAMESPACE = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
MAX_BARS = 20


def _config(**extra: Any) -> dict[str, Any]:
    return {
        "js": [],  # the default is a CDN script: the report opens offline
        "style": STYLE,
        "disable_xml_declaration": True,
        "width": 640,
        "height": 360,
        "print_values": False,
        "legend_at_bottom": True,
        "truncate_legend": 40,
        "truncate_label": 40,
        **extra,
    }


def inline(chart: Any) -> str:
    """The chart as SVG to put in HTML: nothing in it refers to the network."""
    svg = str(chart.render(is_unicode=True))
    svg = _SCRIPT.sub("", svg)
    svg = _COMMENT.sub("", svg)
    return _NAMESPACE.sub("", svg)


def pie(title: str, counts: Sequence[tuple[str, int]], colours: Sequence[str] | None = None) -> str | None:
    """A pie of ``counts`` (label, value); None when there is nothing to draw."""
    shown = [(label, n) for label, n in counts if n]
    if not shown:
        return None
    style = STYLE if colours is None else Style(**{**_style_values(), "colors": tuple(colours)})
    chart = pygal.Pie(**_config(style=style, inner_radius=0.45))
    chart.title = title
    for label, n in shown:
        chart.add(label, n)
    return inline(chart)


def _style_values() -> dict[str, Any]:
    return {
        k: getattr(STYLE, k)
        for k in (
            "background",
            "plot_background",
            "font_family",
            "foreground",
            "foreground_strong",
            "foreground_subtle",
            "title_font_size",
            "label_font_size",
            "legend_font_size",
        )
    }


def bars(title: str, counts: Sequence[tuple[str, int]], series: str) -> str | None:
    """Horizontal bars, largest first, at most ``MAX_BARS``."""
    shown = sorted(((label, n) for label, n in counts if n), key=lambda p: -p[1])[:MAX_BARS]
    if not shown:
        return None
    height = max(200, 60 + 26 * len(shown))
    chart = pygal.HorizontalBar(**_config(height=height, show_legend=False))
    chart.title = title
    shown.reverse()  # pygal draws the first bar at the bottom
    chart.x_labels = [label for label, _ in shown]
    chart.add(series, [n for _, n in shown])
    return inline(chart)


def progress(title: str, series: dict[str, list[tuple[str, int]]]) -> str | None:
    """Cumulative done rows per stage over time."""
    if not series:
        return None
    buckets = [bucket for bucket, _ in next(iter(series.values()))]
    chart = pygal.Line(**_config(x_label_rotation=30, show_minor_x_labels=False, dots_size=3))
    chart.title = title
    chart.x_labels = [b.replace("T", " ") for b in buckets]
    chart.x_labels_major_count = 8
    for stage, points in series.items():
        chart.add(stage, [n for _, n in points])
    return inline(chart)


def handoff(title: str, customers: Sequence[dict[str, Any]]) -> str | None:
    """Per customer, its connections and directories by state; the unfinished first."""
    if not customers:
        return None
    order = {"failed": 0, "waiting": 1, "done": 2}
    shown = sorted(customers, key=lambda c: (order.get(c["state"], 3), c["name"]))[:MAX_BARS]
    shown.reverse()
    height = max(220, 90 + 26 * len(shown))
    style = Style(**{**_style_values(), "colors": _LINE_COLOURS})
    chart = pygal.HorizontalStackedBar(**_config(height=height, style=style))
    chart.title = title
    chart.x_labels = [c["name"] or c["organization_id"] for c in shown]
    for state in _LINE_STATES:
        chart.add(state, [sum(i["state"] == state for i in c["items"]) or None for c in shown])
    return inline(chart)


def lag(title: str, seconds: float) -> str:
    """The last sync's lag, as one bar in seconds."""
    chart = pygal.HorizontalBar(**_config(height=160, show_legend=False))
    chart.title = title
    chart.x_labels = ["lag (s)"]
    chart.add("lag", [round(seconds, 1)])
    return inline(chart)
