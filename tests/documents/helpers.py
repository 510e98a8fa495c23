"""Reading what the store wrote, for assertions."""

from __future__ import annotations

from pathlib import Path

import docx

from partnerdesk.documents import docx_text


def every_text(path: Path) -> str:
    """Body, tables, headers, footers and the title property of a .docx file."""
    document = docx.Document(str(path))
    lines = [paragraph.text for paragraph in docx_text.all_paragraphs(document)]
    return "\n".join([document.core_properties.title, *lines])


def files_under(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
