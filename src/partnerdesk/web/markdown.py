"""The handbook text the playbook pages show, as HTML: the one Markdown renderer (lib/markdown.py),
with the page's own headings above it (`#` becomes h2), and a step's title as the handbook shows it."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe

from partnerdesk.lib.markdown import markdown_html, markdown_inline_html


def render_markdown(text: str) -> SafeString:
    # markdown-it-py escapes all text and refuses raw HTML and non-http(s)/mailto links.
    return mark_safe(markdown_html(text, heading_offset=1))  # noqa: S308


def render_markdown_inline(text: str) -> SafeString:
    return mark_safe(markdown_inline_html(text))  # noqa: S308 - escaped as above
