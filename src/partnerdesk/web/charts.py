"""Charts as server-rendered SVG: no JavaScript, no inline style (the CSP allows neither).

Sizes are in SVG user units. Each chart is drawn narrow enough (at most about 360 units) to keep
its text at its size on a 390 px phone, and its labels never share a line with a bar: a bar
chart writes each label and value above its bar, a column chart writes each label under its own
column and the group (the month of a week, the year of a month) on a second line where it
changes. A bar or column with an address is a link to the engagements behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

BAR_CHART_WIDTH = 340


@dataclass(frozen=True)
class BarRow:
    label: str
    value: float
    shown: str  # the value as written
    href: str = ""


@dataclass(frozen=True)
class ColumnBar:
    label: str
    group: str  # a second line, written only where it changes from the column before
    value: int
    href: str = ""


def _linked(content: SafeString, href: str, title: str) -> SafeString:
    if not href:
        return content
    return format_html('<a href="{}" aria-label="{}">{}</a>', href, title, content)


def _svg(chart_id: str, title: str, width: float, height: float, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" id="{}" viewBox="0 0 {} {}" width="{}" height="{}" role="group"'
        ' aria-labelledby="{}-title"><title id="{}-title">{}</title>{}</svg>',
        chart_id,
        width,
        height,
        width,
        height,
        chart_id,
        chart_id,
        title,
        body,
    )


def bar_chart(*, chart_id: str, title: str, rows: list[BarRow], top: float | None = None) -> SafeString:
    """Horizontal bars, one per row, with the label on the left and the value on the right
    above each bar. The longest bar is `top` (a scale's end, such as 5 for ratings), by default
    the largest value."""
    width, row_height = BAR_CHART_WIDTH, 38
    height = row_height * len(rows) + 4
    top = top or max((row.value for row in rows), default=0) or 1
    parts = []
    for index, row in enumerate(rows):
        y = index * row_height
        bar_width = max(width * min(row.value, top) / top, 0)
        content = format_html(
            '<g class="row"><text class="label" x="0" y="{}">{}</text>'
            '<text class="value" x="{}" y="{}" text-anchor="end">{}</text>'
            '<rect class="track" x="0" y="{}" width="{}" height="12"></rect>'
            '<rect class="bar" x="0" y="{}" width="{}" height="12"></rect></g>',
            y + 14,
            row.label,
            width,
            y + 14,
            row.shown,
            y + 20,
            width,
            y + 20,
            f"{bar_width:.1f}",
        )
        parts.append(_linked(content, row.href, f"{row.label}: {row.shown}"))
    return _svg(chart_id, title, width, height, mark_safe("".join(parts)))  # noqa: S308 (escaped above)


def short_count(value: int) -> str:
    """A count that fits over a narrow column: 999, 1.2k, 12k."""
    if value < 1000:
        return str(value)
    if value < 10_000:
        return f"{value / 1000:.1f}k"
    return f"{value // 1000}k"


def column_chart(*, chart_id: str, title: str, columns: list[ColumnBar]) -> SafeString:
    """Vertical bars, one per column, the count written above each, the label under it."""
    column_width, plot_top, plot_height = 26, 16, 110
    width = column_width * len(columns) + 4
    height = plot_top + plot_height + 34
    top = max((column.value for column in columns), default=0) or 1
    parts = []
    previous_group = None
    for index, column in enumerate(columns):
        x = 2 + index * column_width
        middle = x + column_width / 2
        bar_height = plot_height * column.value / top
        # A group is written where it starts, unless the next column starts another (no room):
        # December 2026 then January 2027 writes 2027 alone.
        following = columns[index + 1].group if index + 1 < len(columns) else column.group
        starts = column.group != previous_group
        group = column.group if starts and (following == column.group or index + 1 == len(columns)) else ""
        previous_group = column.group
        content = format_html(
            '<g class="column"><rect class="bar" x="{}" y="{}" width="{}" height="{}"></rect>'
            '<text class="value" x="{}" y="{}" text-anchor="middle">{}</text>'
            '<text class="label" x="{}" y="{}" text-anchor="middle">{}</text>'
            "{}</g>",
            x + 3,
            f"{plot_top + plot_height - bar_height:.1f}",
            column_width - 6,
            f"{bar_height:.1f}",
            middle,
            f"{plot_top + plot_height - bar_height - 4:.1f}",
            short_count(column.value),
            middle,
            plot_top + plot_height + 14,
            column.label,
            format_html(
                '<text class="group" x="{}" y="{}">{}</text>', x + 3, plot_top + plot_height + 29, group
            )
            if group
            else "",
        )
        label = f"{column.label} {column.group}".strip()
        parts.append(_linked(content, column.href, f"{label}: {column.value}"))
    baseline = format_html(
        '<line class="axis" x1="0" y1="{}" x2="{}" y2="{}"></line>',
        plot_top + plot_height,
        width,
        plot_top + plot_height,
    )
    return _svg(chart_id, title, width, height, baseline + mark_safe("".join(parts)))  # noqa: S308
