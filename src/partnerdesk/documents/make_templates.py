"""Build the shipped .docx templates under `defaults/drive/`, so they can be regenerated.

    python -m partnerdesk.documents.make_templates          # rewrite the shipped files
    python -m partnerdesk.documents.make_templates --check  # exit 1 if they differ from this script

The texts follow the handbook: the running notes are titled `Running notes -- PartnerX + 2i2c` and
the agreement is between PartnerX and 2i2c/CS&S. `PartnerX` is the placeholder the documents
service replaces with the partner's name. The output is byte-for-byte reproducible (fixed dates in
the document properties and in the zip entries), so `--check` can guard the shipped files.

This module needs python-docx only, not Django.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "defaults" / "drive" / "Partnerships" / "Templates"
RUNNING_NOTES_FILE = "[Template] Running Notes.docx"
AGREEMENT_FILE = "[TEMPLATE] Outbound Services Agreement.docx"

_FIXED_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _new_document(title: str) -> DocxDocument:
    document = Document()
    properties = document.core_properties
    properties.title = title
    properties.author = "partnerdesk"
    properties.last_modified_by = "partnerdesk"
    properties.revision = 1
    properties.created = _FIXED_TIME
    properties.modified = _FIXED_TIME
    properties.comments = "Template shipped with partnerdesk; PartnerX is replaced by the partner's name."
    return document


def running_notes() -> DocxDocument:
    title = "Running notes -- PartnerX + 2i2c"
    document = _new_document(title)
    document.sections[0].header.paragraphs[0].text = "PartnerX + 2i2c: running notes"
    document.add_paragraph(title, style="Title")
    document.add_heading("How we use this document", level=1)
    document.add_paragraph(
        "These are the running notes of the conversations between PartnerX and 2i2c, from the first "
        "meeting to a signed partnership agreement and beyond. Everyone invited can edit them."
    )
    document.add_paragraph(
        "Add one dated entry per meeting, decision or document sent, as YYYY-MM-DD followed by what "
        "happened. The newest entry goes last, at the end of the Notes below."
    )
    document.add_heading("Notes", level=1)
    return document


def services_agreement() -> DocxDocument:
    document = _new_document("PartnerX + 2i2c/CS&S - Services Agreement")
    document.sections[0].footer.paragraphs[0].text = "PartnerX + 2i2c/CS&S - Services Agreement (draft)"
    document.add_paragraph("Services Agreement", style="Title")
    document.add_paragraph("between PartnerX and 2i2c/CS&S", style="Subtitle")
    document.add_paragraph(
        'This Services Agreement (the "Agreement") is made between PartnerX (the "Partner") and Code '
        'for Science & Society, Inc. ("CS&S"), the fiscal sponsor of 2i2c (together, "2i2c/CS&S"). '
        'It takes effect on the date of the last signature below (the "Effective Date").'
    )

    document.add_heading("1. Services", level=1)
    document.add_paragraph(
        "2i2c will provide the Partner with a managed, cloud-based interactive computing service "
        '(the "Hub") as part of its community hub service: setting up the Hub, operating and '
        "upgrading it, monitoring it, and supporting the Partner's hub administrators."
    )
    document.add_paragraph(
        "The Partner's technical needs (users, compute, storage, authentication, data access) are "
        "described in the Statement of Work attached as Addendum A."
    )
    document.add_paragraph(
        "The Partner keeps the right to replicate: the Hub is built from open-source software, and on "
        "request 2i2c will help the Partner move the Hub to another provider or to its own infrastructure."
    )

    document.add_heading("2. Term", level=1)
    document.add_paragraph(
        "This Agreement starts on the Effective Date and lasts twelve (12) months. It renews for further "
        "twelve-month terms unless either party gives written notice at least sixty (60) days before "
        "the end of the current term."
    )

    document.add_heading("3. Fees", level=1)
    document.add_paragraph(
        "The Partner will pay CS&S the service fees set out in Addendum A. CS&S invoices the fees "
        "annually in advance, and invoices are due thirty (30) days after receipt. Cloud costs are "
        "passed through at cost unless Addendum A says otherwise."
    )

    document.add_heading("4. Signatures", level=1)
    document.add_paragraph("Signed by the authorized representatives of the parties:")
    rows = ["Signature", "Name", "Title", "Date"]
    table = document.add_table(rows=len(rows) + 1, cols=3)
    table.style = "Table Grid"
    table.rows[0].cells[1].text = "PartnerX"
    table.rows[0].cells[2].text = "Code for Science & Society, Inc. (for 2i2c)"
    for row, label in zip(table.rows[1:], rows, strict=True):
        row.cells[0].text = label
    return document


BUILDERS: dict[str, Callable[[], DocxDocument]] = {
    RUNNING_NOTES_FILE: running_notes,
    AGREEMENT_FILE: services_agreement,
}


def reproducible_bytes(document: DocxDocument) -> bytes:
    """The .docx bytes with fixed zip entry times, so the same script always gives the same file."""
    raw = io.BytesIO()
    document.save(raw)
    raw.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the shipped files are current")
    parser.add_argument(
        "--out", type=Path, default=TEMPLATES_DIR, help=f"folder to write (default {TEMPLATES_DIR})"
    )
    args = parser.parse_args(argv)
    stale = []
    for file_name, build in BUILDERS.items():
        target = args.out / file_name
        data = reproducible_bytes(build())
        if args.check:
            if not target.is_file() or target.read_bytes() != data:
                stale.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        print(f"wrote {target}")
    for target in stale:
        print(f"{target} is missing or differs from make_templates.py; run it to rebuild", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
