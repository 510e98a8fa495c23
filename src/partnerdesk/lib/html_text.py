"""HTML to plain text, fast and forgiving (pure): for reading mail bodies, never for showing them."""

from __future__ import annotations

import html
import re

_TAGS = re.compile(r"<(script|style|head)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_BLOCK_END = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h[1-6])\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def html_to_text(markup: str) -> str:
    """The text of `markup`, a line per block, tags and scripts dropped, entities decoded."""
    text = _BLOCK_END.sub("\n", markup)
    text = html.unescape(_TAGS.sub(" ", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
