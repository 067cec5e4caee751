"""Small inline SVG bar charts: readable on a phone, no image request, no script."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, GAP = 320, 140, 4


def bars(labels: Sequence[str], counts: Sequence[int], title: str) -> Markup:
    """A bar chart with each bar's figure written on it (the figures stay readable)."""
    if not counts:
        return Markup("")
    top = max(max(counts), 1)
    width = (WIDTH - GAP * (len(counts) - 1)) / len(counts)
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 30}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, count) in enumerate(zip(labels, counts, strict=True)):
        h = HEIGHT * count / top
        x = i * (width + GAP)
        parts.append(f'<rect x="{x:.1f}" y="{HEIGHT - h:.1f}" width="{width:.1f}" '
                     f'height="{h:.1f}"></rect>')
        parts.append(f'<text x="{x + width / 2:.1f}" y="{max(HEIGHT - h - 3, 10):.1f}" '
                     f'text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x + width / 2:.1f}" y="{HEIGHT + 14}" text-anchor="middle" '
                     f'class="label">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label is escaped above
