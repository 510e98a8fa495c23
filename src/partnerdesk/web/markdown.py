"""A tiny, safe Markdown subset for the handbook text the playbooks render.

Everything is escaped first; only headings, paragraphs, numbered lists, fenced code, `code`,
**bold**, *emphasis* and [links](https://...) with http(s) targets become markup.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_ITEM = re.compile(r"^(\d+)\.\s+(.*)$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def _inline(text: str) -> str:
    html = escape(text)
    html = _CODE.sub(r"<code>\1</code>", html)
    html = _LINK.sub(r'<a href="\2" rel="noopener noreferrer">\1</a>', html)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    return _EM.sub(r"<em>\1</em>", html)


def render_markdown(text: str) -> SafeString:
    out: list[str] = []
    paragraph: list[str] = []
    in_list = False
    code: list[str] | None = None

    def flush_paragraph() -> None:
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()

    def close_list() -> None:
        nonlocal in_list
        if in_list:
            out.append("</li></ol>")
            in_list = False

    for raw in text.splitlines():
        line = raw.strip()
        if code is not None:
            if line == "```":
                out.append(f"<pre>{escape(chr(10).join(code))}</pre>")
                code = None
            else:
                code.append(raw[4:] if raw.startswith("    ") else raw)
            continue
        if line == "```":
            flush_paragraph()
            code = []
            continue
        if not line:
            flush_paragraph()
            continue
        if heading := _HEADING.match(line):
            flush_paragraph()
            close_list()
            level = min(len(heading.group(1)) + 1, 6)
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif item := _ITEM.match(line):
            flush_paragraph()
            if in_list:
                out.append("</li>")
            else:
                out.append(f'<ol start="{int(item.group(1))}">')
                in_list = True
            out.append(f"<li>{_inline(item.group(2))}")
        else:
            if not raw.startswith(" "):
                close_list()
            paragraph.append(line)
    if code is not None:
        out.append(f"<pre>{escape(chr(10).join(code))}</pre>")
    flush_paragraph()
    close_list()
    return mark_safe("\n".join(out))  # noqa: S308 - every piece of text above is escaped
