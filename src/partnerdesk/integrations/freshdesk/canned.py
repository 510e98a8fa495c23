"""Freshdesk canned responses as playbook files: one `send_email` step each, in the team's folder.

In partnerdesk an email template is a playbook's send_email step, so each canned response becomes
`<team playbooks folder>/<slug of its title>.toml`: to the contacts, From the shared mailbox with
it in cc, subject the title, body the response as plain text. A file that exists already is never
touched, so running the import again writes only what is new. Every file written is loaded back
through `parse_playbook`; one that does not load is removed and reported.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from partnerdesk.integrations.freshdesk.client import FreshdeskClient
from partnerdesk.playbooks.specs import DEFAULTS_DIR, parse_playbook

SLUG_LENGTH = 72  # the playbook name's limit is 80: room for "-2", "-3"...
# Freshdesk's own placeholders ({{ticket.requester.name}}): kept as literal text.
FRESHDESK_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")

_PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "table", "pre", "hr"}
_LINES = {"div", "li", "tr", "section", "article", "header", "footer", "dd", "dt", "dl"}
_HIDDEN = {"script", "style", "head", "title"}


class _PlainText(HTMLParser):
    """HTML as the text a reader sees: paragraphs and lines kept, links as `text (url)`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.breaks = 0  # newlines owed before the next text
        self.hidden = 0
        self.pre = 0
        self.links: list[tuple[str, int]] = []  # (href, where its text starts in parts)

    def _text(self, text: str) -> None:
        if not text:
            return
        if self.parts and self.breaks:
            self.parts.append("\n" * self.breaks)
        self.breaks = 0
        self.parts.append(text)

    def _break(self, newlines: int) -> None:
        if self.parts:
            self.breaks = max(self.breaks, newlines)

    def _at_line_start(self) -> bool:
        return not self.parts or self.breaks > 0 or self.parts[-1].endswith(("\n", " "))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            if self.breaks:
                self.breaks += 1
            else:
                self.parts.append("\n")
        elif tag in _PARAGRAPHS:
            self._break(2)
            if tag == "pre":
                self.pre += 1
        elif tag in _LINES:
            self._break(1)
            if tag == "li":
                self._text("- ")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in {"br", "hr", "img"}:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _PARAGRAPHS:
            self._break(2)
            if tag == "pre" and self.pre:
                self.pre -= 1
        elif tag in _LINES:
            self._break(1)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            href = href.strip()
            text = "".join(self.parts[start:]).strip()
            if not href or href.startswith(("#", "javascript:")):
                return
            shown = href.removeprefix("mailto:")
            if not text:
                self._text(shown)
            elif text.rstrip("/") not in {href.rstrip("/"), shown.rstrip("/")}:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            self._text(data)
            return
        text = re.sub(r"\s+", " ", data)
        if self._at_line_start():
            text = text.lstrip()
        self._text(text)

    def result(self) -> str:
        lines = [line.rstrip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    return parser.result()


def escape_template(text: str) -> str:
    """Literal text for a playbook template field: `{` and `}` doubled."""
    return text.replace("{", "{{").replace("}", "}}")


def slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return name[:SLUG_LENGTH].strip("-") or "canned-response"


def _toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL must be escaped too)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_multiline(text: str) -> str:
    """A TOML multi-line basic string, easy to edit: every line as it is, quotes escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"""\n{escaped}\n"""'


def playbook_text(*, name: str, response: dict[str, Any], folder_name: str, body: str, today: dt.date) -> str:
    title = " ".join(str(response.get("title") or "").split())
    source = f'Freshdesk canned response {response.get("id")} "{title}" (folder "{folder_name}")'
    description = f"Imported from {source} on {today.isoformat()}. Edit it as the team's email template."
    step_title = escape_template(f'Send "{title}" to the contacts') + ", From {mailbox}, cc {mailbox}"
    return "\n".join(
        [
            f"# {source.replace(chr(10), ' ')}, imported by `partnerdesk import freshdesk`.",
            f"name = {_toml_string(name)}",
            f"title = {_toml_string(escape_template(title))}",
            'phase = "lead"',
            f"description = {_toml_string(escape_template(description))}",
            "",
            "[trigger]",
            'kind = "manual"',
            f"description = {_toml_string('Run by hand from the engagement page, for its contacts.')}",
            "",
            "[guards]",
            'requires = ["contacts"]',
            "",
            "[[steps]]",
            'id = "send"',
            'kind = "send_email"',
            f"title = {_toml_string(step_title)}",
            'to = "contacts"',
            'from = "{mailbox_name} <{mailbox}>"',
            'cc = ["{mailbox}"]',
            f"subject = {_toml_string(escape_template(title))}",
            f"body = {_toml_multiline(escape_template(body))}",
            "",
        ]
    )


@dataclass
class CannedImportResult:
    folder: Path | None
    folders_seen: int = 0
    responses_seen: int = 0
    written: list[str] = field(default_factory=list)  # playbook names
    existing: list[str] = field(default_factory=list)  # names whose file was there already
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (title, why)
    placeholders: list[str] = field(default_factory=list)  # names whose body has {{ticket...}}


def canned_responses_import(
    *, client: FreshdeskClient, folder: Path | None, dry_run: bool = False, today: dt.date | None = None
) -> CannedImportResult:
    """Write a playbook file for each canned response not there yet (nothing with dry_run).

    `folder` is the team's playbook folder; without one nothing is read or written.
    """
    result = CannedImportResult(folder=folder)
    if folder is None:
        return result
    today = today or dt.date.today()
    # A shipped playbook's name is taken: a team file with it would replace the shipped SOP.
    taken = {path.stem for path in DEFAULTS_DIR.glob("*.toml")}
    for canned_folder in client.canned_response_folders():
        result.folders_seen += 1
        folder_name = str(canned_folder.get("name") or "")
        for response in client.canned_responses(int(canned_folder["id"])):
            result.responses_seen += 1
            title = " ".join(str(response.get("title") or "").split())
            html = str(response.get("content_html") or "")
            body = html_to_text(html) if html.strip() else str(response.get("content") or "").strip()
            if not title:
                result.skipped.append((f"#{response.get('id')}", "it has no title"))
                continue
            if not body:
                result.skipped.append((title, "it has no content"))
                continue
            base = name = slug(title)
            number = 1
            while name in taken:
                number += 1
                name = f"{base}-{number}"
            taken.add(name)
            path = folder / f"{name}.toml"
            if path.exists():
                result.existing.append(name)
                continue
            if FRESHDESK_PLACEHOLDER.search(body):
                result.placeholders.append(name)
            if dry_run:
                result.written.append(name)
                continue
            text = playbook_text(
                name=name, response=response, folder_name=folder_name, body=body, today=today
            )
            folder.mkdir(parents=True, exist_ok=True)
            try:
                with path.open("x", encoding="utf-8") as file:
                    file.write(text)
            except FileExistsError:  # written meanwhile by another run
                result.existing.append(name)
                continue
            try:
                parse_playbook(path)
            except ValueError as exc:
                path.unlink()
                result.skipped.append((title, f"the playbook did not load: {exc}"))
                continue
            result.written.append(name)
    return result
