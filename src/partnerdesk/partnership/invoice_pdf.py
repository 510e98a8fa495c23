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
) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"Invoice {number}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, f"Invoice {number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for label, value in (
        ("From", f"{issuer} (fiscal sponsor: {fiscal_sponsor})"),
        ("Bill to", f"{partner}, {bill_to}"),
        ("Agreement", agreement),
        ("Issued", issued_on),
        ("Due", due_on),
    ):
        pdf.multi_cell(0, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(140, 7, "Description", border=1)
    pdf.cell(0, 7, "Amount", border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for description, amount in lines:
        pdf.cell(140, 7, description[:90], border=1)
        pdf.cell(0, 7, money(amount, currency), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(140, 7, "Total", border=1)
    pdf.cell(0, 7, money(total, currency), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
