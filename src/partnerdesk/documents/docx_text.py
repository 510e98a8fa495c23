"""Text in .docx files: replace placeholders, append a paragraph, read the text (pure, python-docx only).

Word often splits a word over several runs (a spell-check mark, an edit in the middle, a change of
formatting), so `PartnerX` may be stored as `Part` + `nerX`. Replacement therefore works on the
text of the whole paragraph and then writes it back into the runs it came from: the replacement
goes into the run where the placeholder starts (keeping that run's formatting) and the rest of
the placeholder is removed from the runs that follow.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping

from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

# The content of a paragraph's own runs, including runs inside a hyperlink, a smart tag, a simple
# field or a tracked insertion; not text boxes nested inside a run's drawing.
_RUN_CONTENT = "./w:r/* | ./w:hyperlink/w:r/* | ./w:smartTag/w:r/* | ./w:fldSimple/w:r/* | ./w:ins/w:r/*"
_TEXT = qn("w:t")
_RUN_PROPERTIES = qn("w:rPr")
# Stands for anything else in a run (a break, a tab, a field mark, a picture): no key holds it,
# so a placeholder interrupted by one is not a placeholder.
_BARRIER = "\x00"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# What XML 1.0 cannot hold at all (lxml refuses it).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The document properties hold at most 255 characters each.
MAX_PROPERTY_LENGTH = 255


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


def _table_paragraphs(table: Table) -> Iterator[Paragraph]:
    for row in table.rows:
        seen = set()
        for cell in row.cells:
            # A merged cell appears once per grid column it spans.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            yield from _block_paragraphs(cell.iter_inner_content())


def _block_paragraphs(blocks: Iterable[Paragraph | Table]) -> Iterator[Paragraph]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block
        else:
            yield from _table_paragraphs(block)


def body_paragraphs(document: DocxDocument) -> Iterator[Paragraph]:
    """The paragraphs of the body, tables included, in reading order."""
    return _block_paragraphs(document.iter_inner_content())


def all_paragraphs(document: DocxDocument) -> Iterator[Paragraph]:
    """The body's paragraphs, then those of every header and footer (each part once)."""
    yield from body_paragraphs(document)
    seen_parts = set()
    for section in document.sections:
        for container in (
            section.header,
            section.first_page_header,
            section.even_page_header,
            section.footer,
            section.first_page_footer,
            section.even_page_footer,
        ):
            # An unlinked header/footer has its own part; a linked one repeats the previous section's.
            if container.is_linked_to_previous or id(container.part) in seen_parts:
                continue
            seen_parts.add(id(container.part))
            yield from _block_paragraphs(container.iter_inner_content())


def replace_in_paragraph(
    paragraph: Paragraph, pattern: re.Pattern[str], replacements: Mapping[str, str]
) -> int:
    """Replace every match of `pattern` (an alternation of the keys) in one paragraph; returns the count."""
    nodes = [node for node in paragraph._p.xpath(_RUN_CONTENT) if node.tag != _RUN_PROPERTIES]
    texts = [(node.text or "") if node.tag == _TEXT else _BARRIER for node in nodes]
    matches = list(pattern.finditer("".join(texts)))
    # From the last match to the first, so the offsets of the earlier ones stay valid.
    for match in reversed(matches):
        start, end = match.span()
        offset = 0
        for index, text in enumerate(texts):
            node_start = offset
            offset += len(text)
            if offset <= start:
                continue
            if node_start >= end:
                break
            head = text[: max(start - node_start, 0)]
            tail = text[end - node_start :] if end < offset else ""
            value = xml_safe(replacements[match.group(0)]) if node_start <= start else ""
            texts[index] = head + value + tail
    for node, text in zip(nodes, texts, strict=True):
        if node.tag == _TEXT and node.text != text:
            node.text = text
            node.set(_XML_SPACE, "preserve")
    return len(matches)


def replace_text(document: DocxDocument, replacements: Mapping[str, str]) -> int:
    """Replace each key by its value in the body, tables, headers, footers and the title property.

    One pass: a value is never itself searched for keys. Longer keys win over their prefixes.
    Returns the number of replacements made.
    """
    keys = [key for key in replacements if key and _BARRIER not in key]
    if not keys:
        return 0
    pattern = re.compile("|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True)))
    count = sum(
        replace_in_paragraph(paragraph, pattern, replacements) for paragraph in all_paragraphs(document)
    )
    title = document.core_properties.title
    if title:
        set_title(document, pattern.sub(lambda match: replacements[match.group(0)], title))
    return count


def set_title(document: DocxDocument, title: str) -> None:
    """The title property (what a file browser or Word shows), cut to the length it allows."""
    document.core_properties.title = xml_safe(title)[:MAX_PROPERTY_LENGTH]


def marker_name(marker: str) -> str:
    """The hidden bookmark (leading underscore, at most 40 characters) that stands for a marker."""
    return "_pd" + hashlib.sha256(marker.encode("utf-8")).hexdigest()[:36]


def has_marker(document: DocxDocument, marker: str) -> bool:
    name = marker_name(marker)
    return any(mark.get(qn("w:name")) == name for mark in document.element.body.iter(qn("w:bookmarkStart")))


def append_paragraph(document: DocxDocument, text: str, *, marker: str | None = None) -> bool:
    """Append a plain paragraph at the end of the body (after any table).

    With a marker (an idempotency key), the paragraph carries a hidden bookmark named after it,
    and appending again with the same marker does nothing. Returns whether it appended.
    """
    if marker is not None and has_marker(document, marker):
        return False
    paragraph = document.add_paragraph(xml_safe(text))
    if marker is not None:
        ids = [mark.get(qn("w:id"), "") for mark in document.element.body.iter(qn("w:bookmarkStart"))]
        mark_id = str(max([0, *(int(value) for value in ids if value.isdigit())]) + 1)
        start = OxmlElement("w:bookmarkStart", {qn("w:id"): mark_id, qn("w:name"): marker_name(marker)})
        paragraph._p.insert(1 if paragraph._p.pPr is not None else 0, start)
        paragraph._p.append(OxmlElement("w:bookmarkEnd", {qn("w:id"): mark_id}))
    return True


def read_text(document: DocxDocument) -> str:
    """The body's paragraphs, tables included, one per line."""
    return "\n".join(paragraph.text for paragraph in body_paragraphs(document))
