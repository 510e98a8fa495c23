"""A readable summary of what changed in the text between two versions (pure: difflib only).

Paragraphs are compared as units; a paragraph changed in place is shown word by word, with
removed words as [-old-] and added ones as {+new+}.
"""

from __future__ import annotations

import difflib
import io

import docx

from partnerdesk.documents.docx_text import read_text

MAX_QUOTE = 300


def docx_paragraphs(content: bytes) -> list[str]:
    """The body's paragraphs (tables included) of a .docx file; raises ValueError if it is not one."""
    try:
        document = docx.Document(io.BytesIO(content))
    except Exception as exc:  # noqa: BLE001 - python-docx raises several kinds for a bad file
        raise ValueError(f"not a readable .docx file ({type(exc).__name__}: {exc})") from None
    return read_text(document).split("\n")


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 3] + "..."


def _words(old: str, new: str) -> str:
    before, after = old.split(), new.split()
    parts: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if op == "equal":
            same = before[i1:i2]
            # Keep a little context around each change, not the whole paragraph.
            parts.append(" ".join(same) if len(same) <= 8 else " ".join([*same[:3], "...", *same[-3:]]))
            continue
        if i2 > i1:
            parts.append("[-" + " ".join(before[i1:i2]) + "-]")
        if j2 > j1:
            parts.append("{+" + " ".join(after[j1:j2]) + "+}")
    return _quote(" ".join(parts))


def summarize_changes(old: list[str], new: list[str]) -> str:
    """`3 paragraph(s) changed, 1 added, 0 removed` and one line per change; "no change in the text"."""
    old = [p for p in old if p.strip()]
    new = [p for p in new if p.strip()]
    lines: list[str] = []
    changed = added = removed = 0
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace":
            pairs = min(i2 - i1, j2 - j1)
            for offset in range(pairs):
                changed += 1
                lines.append(f"~ paragraph {j1 + offset + 1}: {_words(old[i1 + offset], new[j1 + offset])}")
            for text in old[i1 + pairs : i2]:
                removed += 1
                lines.append(f"- removed: {_quote(text)}")
            for number, text in enumerate(new[j1 + pairs : j2], start=j1 + pairs + 1):
                added += 1
                lines.append(f"+ paragraph {number} added: {_quote(text)}")
        elif op == "delete":
            for text in old[i1:i2]:
                removed += 1
                lines.append(f"- removed: {_quote(text)}")
        elif op == "insert":
            for number, text in enumerate(new[j1:j2], start=j1 + 1):
                added += 1
                lines.append(f"+ paragraph {number} added: {_quote(text)}")
    if not lines:
        return "no change in the text"
    head = f"{changed} paragraph(s) changed, {added} added, {removed} removed"
    return "\n".join([head, *lines])
