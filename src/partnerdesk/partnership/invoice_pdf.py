"""An invoice as a PDF (fpdf2: pure Python, no system libraries)."""

from __future__ import annotations

from decimal import Decimal

from fpdf import FPDF


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def invoice_pdf(
    *,
    number: str,
    issued_on: str,
    due_on: str,
    issuer: str,
    fiscal_sponsor: str,
    bill_to: str,
    partner: str,
    agreement: str,
    lines: list[tuple[str, Decimal]],
    total: Decimal,
    currency: str,
    terms: str = "",
    po_number: str = "",
    note: str = "",
    void: bool = False,
) -> bytes:
    """The PDF; `note` is the invoice's wording (the same text as the email's body)."""
    pdf = FPDF(format="A4")
    pdf.set_title(f"Invoice {number}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, f"Invoice {number}" + (" - VOID" if void else ""), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    rows = [
        ("From", f"{issuer} (fiscal sponsor: {fiscal_sponsor})"),
        ("Bill to", f"{partner}, {bill_to}"),
        ("Agreement", agreement),
        ("Issued", issued_on),
        ("Due", f"{due_on} ({terms})" if terms else due_on),
    ]
    if po_number:
        rows.append(("Purchase order", po_number))
    for label, value in rows:
        pdf.multi_cell(0, 6, _latin1(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(140, 7, "Description", border=1)
    pdf.cell(0, 7, "Amount", border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for description, amount in lines:
        pdf.cell(140, 7, _latin1(description[:90]), border=1)
        pdf.cell(0, 7, money(amount, currency), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(140, 7, "Total", border=1)
    pdf.cell(0, 7, money(total, currency), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    if note:
        pdf.ln(6)
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 6, _latin1(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    """The PDF's built-in font has Latin-1 only: typographic quotes and dashes become plain ones,
    anything else a question mark, rather than failing the invoice."""
    plain = text.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2014: "-"})
    return plain.encode("latin-1", "replace").decode("latin-1")
