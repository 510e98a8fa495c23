"""Markdown, rendered one way for the web pages and for every email: markdown-it-py, CommonMark.

Nothing from data becomes markup: raw HTML in the source is shown as text, and a link's target
must be http(s) or mailto (any other link stays text). A bare http(s) address becomes a link.

Mail gets two renderings of one body: HTML (`markdown_html(..., breaks=True)`, a line break in
the source is a line break in the message) and plain text (`markdown_text`), which is the source
itself with only its Markdown syntax made readable: `[text](url)` becomes `text (url)`,
`**bold**` becomes `bold`, a heading's `#` and a fence's backticks go (`<https://...>` and
`Name <address>` stay as written). Text without Markdown syntax comes out exactly as it went in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

_ALLOWED_SCHEMES = ("http://", "https://", "mailto:")
# A bare address in text; trailing punctuation is the sentence's, not the address's.
_BARE_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_SCHEME = re.compile(r"(?:^|[^a-z0-9.+-])(https?)$", re.IGNORECASE)
_TRAILING = ".,;:!?*_~"


def link_allowed(url: str) -> bool:
    return url.strip().lower().startswith(_ALLOWED_SCHEMES)


def _bare_url_end(url: str) -> str:
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def _bare_url(state: StateInline, silent: bool) -> bool:
    """An inline rule: `https://...` in text is a link (as markdown-it's linkify, without the
    linkify-it package). It runs at the `:`, before emphasis or escapes can take the address
    apart (a `_` or `*` in a token stays in the address)."""
    pos = state.pos
    if state.linkLevel > 0 or state.src[pos : pos + 3] != "://":
        return False
    scheme = _SCHEME.search(state.pending)
    if scheme is None:
        return False
    proto = scheme.group(1)
    match = _BARE_URL.match(state.src, pos - len(proto))
    if match is None:
        return False
    url = _bare_url_end(match.group(0))
    href = state.md.normalizeLink(url)
    if len(url) <= len(proto) + 3 or not state.md.validateLink(href):
        return False
    if not silent:
        state.pending = state.pending[: -len(proto)]
        link_open = state.push("link_open", "a", 1)
        link_open.attrs = {"href": href}
        link_open.markup, link_open.info = "linkify", "auto"
        state.push("text", "", 0).content = url
        link_close = state.push("link_close", "a", -1)
        link_close.markup, link_close.info = "linkify", "auto"
    state.pos += len(url) - len(proto)
    return True


def _text_token(content: str, level: int) -> Token:
    return Token("text", "", 0, level=level, content=content)


@cache
def _parser(*, breaks: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": breaks})
    md.validateLink = link_allowed  # type: ignore[method-assign]
    md.inline.ruler.before("linkify", "bare_url", _bare_url)
    return md


def markdown_html(text: str, *, breaks: bool = False, heading_offset: int = 0) -> str:
    """HTML for the Markdown `text`; every character of the source is escaped or markup.

    `breaks`: a line break in a paragraph is kept (mail); `heading_offset`: `#` becomes h(1+n),
    for a page that has its own headings above.
    """
    md = _parser(breaks=breaks)
    env: dict[str, object] = {}
    tokens = md.parse(text, env)
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and heading_offset:
            token.tag = f"h{min(int(token.tag[1]) + heading_offset, 6)}"
        if token.children:
            token.children = list(_html_inline(token.children))
    return str(md.renderer.render(tokens, md.options, env))


def markdown_inline_html(text: str) -> str:
    """HTML for one line of Markdown (a playbook step's title), without a paragraph around it."""
    md = _parser(breaks=False)
    env: dict[str, object] = {}
    tokens = md.parseInline(text, env)
    for token in tokens:
        if token.children:
            token.children = list(_html_inline(token.children))
    return str(md.renderer.render(tokens, md.options, env))


def _html_inline(children: Sequence[Token]) -> Iterator[Token]:
    for child in children:
        if child.type == "link_open":
            child.attrSet("rel", "noopener noreferrer")
        # `Name <lee@example.org>` keeps its brackets around the anchor, as it was written.
        if child.type == "link_open" and child.markup == "autolink":
            yield _text_token("<", child.level)
        yield child
        if child.type == "link_close" and child.markup == "autolink":
            yield _text_token(">", child.level)


def _plain_inline(children: Sequence[Token]) -> str:
    out: list[str] = []
    links: list[tuple[str, int]] = []  # (href, where its text starts in out)
    for token in children:
        kind = token.type
        if kind in ("text", "text_special", "code_inline", "html_inline"):
            out.append(token.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "link_open" and token.markup == "autolink":
            out.append("<")  # `<https://...>` and `Name <lee@example.org>` stay as written
            links.append(("", len(out)))
        elif kind == "link_close" and token.markup == "autolink":
            links.pop()
            out.append(">")
        elif kind == "link_open":
            links.append((str(token.attrGet("href") or ""), len(out)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            label = "".join(out[start:]).strip()
            shown = href.removeprefix("mailto:") if href.lower().startswith("mailto:") else href
            if label not in (href, shown):
                out.append(f" ({shown})")
        elif kind == "image":
            alt = "".join(child.content for child in token.children or ())
            out.append(f"{alt} ({token.attrGet('src')})" if alt else str(token.attrGet("src")))
    return "".join(out)


def _with_prefixes(source: list[str], content: str, plain: str) -> list[str]:
    """The source lines of one block with their text replaced by `plain`, keeping each line's
    prefix (indentation, list marker, `>`)."""
    prefixes = []
    for line, text in zip(source, content.split("\n"), strict=False):
        at = line.find(text.strip()) if text.strip() else -1
        prefixes.append(line[:at] if at >= 0 else "")
    new = plain.split("\n")
    if len(new) == len(source):
        return [prefix + line for prefix, line in zip(prefixes, new, strict=True)]
    first = prefixes[0] if prefixes else ""
    return [first + new[0], *(" " * len(first) + line for line in new[1:])]


def markdown_text(text: str) -> str:
    """The plain-text rendering for a text/plain part: the source, its Markdown made readable."""
    lines = text.split("\n")
    replaced: dict[int, list[str]] = {}  # first line -> its new lines (for `span` lines)
    spans: dict[int, int] = {}
    tokens = _parser(breaks=True).parse(text)
    for index, token in enumerate(tokens):
        if token.type == "fence" and token.map:
            start, end = token.map
            closed = end - start > 1 and lines[end - 1].strip().startswith(token.markup)
            body = lines[start + 1 : end - 1 if closed else end]
            replaced[start], spans[start] = body, end - start
            continue
        if token.type != "inline" or not token.map or not token.children:
            continue
        start, end = token.map
        plain = _plain_inline(token.children)
        heading = tokens[index - 1] if index else None
        atx = heading is not None and heading.type == "heading_open" and heading.markup.startswith("#")
        if plain == token.content and not atx:
            continue
        count = 1 if atx else len(token.content.split("\n"))
        new = _with_prefixes(lines[start : start + count], token.content, plain)
        if atx:
            indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
            new = [indent + plain]
        replaced[start], spans[start] = new, count
    out: list[str] = []
    line = 0
    while line < len(lines):
        if line in replaced:
            out += replaced[line]
            line += spans[line]
        else:
            out.append(lines[line])
            line += 1
    return "\n".join(out)
