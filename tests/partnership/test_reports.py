"""`partnerdesk report`: forecast, renewals calendar, invoices outstanding, satisfaction trend."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest

from partnerdesk.agreements import services as agreements
from partnerdesk.agreements.partnership_rules import PartnershipRules
from partnerdesk.agreements.status import agreement_withdraw
from partnerdesk.mail.worker import run_due_work
from partnerdesk.partnership.checkins import check_in_answer
from partnerdesk.partnership.invoicing import invoice_mark_paid
from partnerdesk.partnership.models import CheckIn, Invoice
from partnerdesk.partnership.reports import (
    COLUMNS,
    REPORTS,
    forecast_report,
    invoices_report,
    renewals_report,
    satisfaction_report,
)
from partnerdesk.partnership.ticklers import ticklers_plan
from partnerdesk.pipeline import services
from partnerdesk.pipeline.qualification import Answer
from partnerdesk.pipeline.stages import Stage
from tests.partnership.conftest import make_partner

pytestmark = pytest.mark.django_db

ALICE = services.Actor(label="alice")


def _open_deal(organization: str, email: str, *, stage: Stage, value: str, currency: str, term_start=None):
    """An engagement at `stage` with an agreement in the works worth `value`."""
    engagement = services.engagement_create(
        organization_name=organization, contacts=[("Sam Ortiz", email)], actor=ALICE
    )
    services.engagement_qualify(
        engagement=engagement, actor=ALICE, good_candidate=Answer.YES, qualified=Answer.YES
    )
    services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=ALICE)
    if stage == Stage.PROSPECT:
        services.engagement_record_verbal_yes(engagement=engagement, by="Sam Ortiz", actor=ALICE)
        services.engagement_move(engagement=engagement, to=Stage.PROSPECT, actor=ALICE)
    agreement = agreements.agreement_create(engagement=engagement, actor=ALICE)
    agreements.agreement_set_terms(
        agreement=agreement, actor=ALICE, value=Decimal(value), currency=currency, term_start=term_start
    )
    return engagement, agreement


RULES = PartnershipRules(
    stage_probabilities={"lead": 0.1, "qualified-lead": 0.25, "prospect": 0.6, "partner": 1.0}
)


# forecast


def test_the_forecast_weights_each_deal_by_its_stage_in_its_expected_close_month(frozen_clock):
    partner, _ = make_partner()  # term starts 2027-01-01, 24000.00 USD, at Partner
    qualified, _ = _open_deal(
        "Delta College",
        "sam@delta.example.edu",
        stage=Stage.QUALIFIED_LEAD,
        value="8000.00",
        currency="USD",
        term_start=dt.date(2027, 1, 15),
    )
    # No term start: the stage change (2026-12-01) + 90 days = 2027-03-01.
    prospect, _ = _open_deal(
        "Ocean Institute", "kai@ocean.example.org", stage=Stage.PROSPECT, value="10000.00", currency="EUR"
    )

    rows = forecast_report(rules=RULES)

    assert rows == [
        {
            "month": "2027-01",
            "currency": "USD",
            "engagements": 2,
            "value": Decimal("32000.00"),
            "weighted_value": Decimal("26000.00"),  # 24000 x 1.0 + 8000 x 0.25
            "references": f"{partner.reference}, {qualified.reference}",
        },
        {
            "month": "2027-03",
            "currency": "EUR",
            "engagements": 1,
            "value": Decimal("10000.00"),
            "weighted_value": Decimal("6000.00"),
            "references": prospect.reference,
        },
    ]
    assert all(isinstance(row["weighted_value"], Decimal) for row in rows)


def test_the_forecast_leaves_out_closed_engagements_withdrawn_agreements_and_deals_without_a_value(
    frozen_clock,
):
    closed, _ = _open_deal(
        "Delta College", "sam@delta.example.edu", stage=Stage.PROSPECT, value="5000", currency="USD"
    )
    services.engagement_move(engagement=closed, to=Stage.CLOSED, actor=ALICE, reason="went elsewhere")
    withdrawn, agreement = _open_deal(
        "Ocean Institute", "kai@ocean.example.org", stage=Stage.PROSPECT, value="7000", currency="USD"
    )
    agreement_withdraw(agreement=agreement, actor=ALICE, reason="restarting")
    services.engagement_create(
        organization_name="Pine Lab", contacts=[("Jo", "jo@pine.example.org")], actor=ALICE
    )

    assert forecast_report(rules=RULES) == []


def test_the_stage_probabilities_come_from_the_rules(frozen_clock):
    _open_deal(
        "Delta College", "sam@delta.example.edu", stage=Stage.PROSPECT, value="1000.00", currency="USD"
    )
    rules = PartnershipRules(stage_probabilities={"prospect": 0.333})

    [row] = forecast_report(rules=rules)

    assert row["weighted_value"] == Decimal("333.00")


# renewals


def test_the_renewals_calendar_lists_terms_ending_within_twelve_months_with_reminders_and_outcome(
    frozen_clock, alice
):
    harbor, _ = make_partner(owner=alice)  # ends 2028-12-31
    make_partner(
        organization="Delta College",
        contacts=(("Sam Ortiz", "sam@delta.example.edu"),),
        term_end=dt.date(2030, 6, 30),
        owner=alice,
    )
    frozen_clock.set(dt.date(2028, 9, 10))  # the 120-day reminder (2028-09-02) is past
    run_due_work(raise_errors=True)

    [row] = renewals_report()

    renewal = harbor.renewals.get().renewal_engagement
    assert row["term_end"] == dt.date(2028, 12, 31)
    assert row["days_left"] == 112
    assert (row["reference"], row["organization"]) == (harbor.reference, "Harbor University")
    assert (row["value"], row["currency"]) == (Decimal("24000.00"), "USD")
    assert row["reminders"] == (
        "2028-09-02 (120 days before, sent); 2028-10-02 (90 days before, to come); "
        "2028-11-01 (60 days before, to come); 2028-12-01 (30 days before, to come)"
    )
    assert row["next_reminder"] == dt.date(2028, 10, 2)
    assert (row["renewal"], row["outcome"]) == (renewal.reference, "undecided")


def test_an_agreement_ending_later_than_twelve_months_is_not_in_the_calendar_yet(frozen_clock):
    make_partner()  # ends 2028-12-31
    ticklers_plan()
    assert renewals_report(today=dt.date(2027, 12, 30)) == []
    [row] = renewals_report(today=dt.date(2027, 12, 31))
    assert (row["renewal"], row["outcome"], row["next_reminder"]) == (None, "not opened", dt.date(2028, 9, 2))


# invoices


def test_outstanding_invoices_are_sent_or_overdue_with_a_total_per_currency(frozen_clock):
    harbor, _ = make_partner()  # 24000 USD a year for two years: 12000.00 issued 2027-01-01
    delta, _ = make_partner(
        organization="Delta College",
        contacts=(("Sam Ortiz", "sam@delta.example.edu"),),
        term_start=dt.date(2027, 2, 15),
        term_end=dt.date(2028, 2, 14),
        value=Decimal("5000.50"),
        currency="EUR",
    )
    ocean, _ = make_partner(
        organization="Ocean Institute",
        contacts=(("Kai Lee", "kai@ocean.example.org"),),
        term_start=dt.date(2027, 1, 10),
        term_end=dt.date(2028, 1, 9),
        value=Decimal("999.99"),
    )
    for day in (dt.date(2027, 1, 1), dt.date(2027, 1, 10), dt.date(2027, 2, 15), dt.date(2027, 3, 1)):
        frozen_clock.set(day)  # the worker issues each invoice on its day
        run_due_work(raise_errors=True)
    invoice_mark_paid(invoice=Invoice.objects.get(engagement=ocean), actor=ALICE)
    harbor_invoice = Invoice.objects.get(engagement=harbor)
    delta_invoice = Invoice.objects.get(engagement=delta)

    rows = invoices_report()

    assert [
        (r["kind"], r["number"], r["status"], r["days_overdue"], r["currency"], r["amount"]) for r in rows
    ] == [
        ("invoice", harbor_invoice.number, "overdue", 29, "USD", Decimal("12000.00")),  # due 2027-01-31
        ("invoice", delta_invoice.number, "sent", 0, "EUR", Decimal("5000.50")),  # due 2027-03-17
        ("total", None, None, None, "EUR", Decimal("5000.50")),
        ("total", None, None, None, "USD", Decimal("12000.00")),
    ]
    assert rows[0]["reference"] == harbor.reference and rows[0]["due_on"] == dt.date(2027, 1, 31)


def test_invoice_totals_add_up_per_currency(frozen_clock):
    make_partner()
    make_partner(
        organization="Delta College",
        contacts=(("Sam Ortiz", "sam@delta.example.edu"),),
        value=Decimal("0.10"),
    )
    frozen_clock.set(dt.date(2027, 1, 2))
    run_due_work(raise_errors=True)

    totals = [row for row in invoices_report() if row["kind"] == "total"]

    assert totals == [
        {
            "kind": "total",
            "number": None,
            "reference": None,
            "organization": None,
            "issued_on": None,
            "due_on": None,
            "status": None,
            "days_overdue": None,
            "invoices": 2,
            "currency": "USD",
            "amount": Decimal("12000.05"),
        }
    ]


# satisfaction


def _answer(email: str, rating: int) -> None:
    check_in = CheckIn.objects.filter(email=email, rating__isnull=True).latest("sent_at")
    check_in_answer(check_in=check_in, rating=rating)


def test_satisfaction_per_quarter_counts_averages_and_names_the_lows(frozen_clock, partner):
    engagement, _ = partner
    frozen_clock.set(dt.date(2027, 4, 1))  # the first quarterly check-in, to both contacts
    run_due_work(raise_errors=True)
    _answer("lee@harbor.example.edu", 5)
    _answer("ana@harbor.example.edu", 2)
    frozen_clock.set(dt.date(2027, 7, 1))
    run_due_work(raise_errors=True)
    _answer("lee@harbor.example.edu", 4)

    rows = satisfaction_report(rules=PartnershipRules(check_in_low_score=2))

    assert rows == [
        {
            "quarter": "2027-Q2",
            "sent": 2,
            "answered": 2,
            "average": Decimal("3.50"),
            "lowest": 2,
            "lows": 1,
            "low_engagements": engagement.reference,
        },
        {
            "quarter": "2027-Q3",
            "sent": 2,
            "answered": 1,
            "average": Decimal("4.00"),
            "lowest": 4,
            "lows": 0,
            "low_engagements": "",
        },
    ]


# a fixed number of queries


@pytest.mark.parametrize(
    ("name", "queries"), [("forecast", 1), ("renewals", 2), ("invoices", 1), ("satisfaction", 1)]
)
def test_each_report_takes_the_same_few_queries_however_many_partners(
    frozen_clock, django_assert_num_queries, name, queries
):
    for number in range(3):
        make_partner(
            organization=f"University {number}",
            contacts=((f"Contact {number}", f"c{number}@u{number}.example.edu"),),
        )
    frozen_clock.set(dt.date(2028, 9, 10))
    run_due_work(raise_errors=True)
    CheckIn.objects.filter(rating__isnull=True).update(rating=3)

    with django_assert_num_queries(queries):
        rows = REPORTS[name]()

    assert rows
    assert all(tuple(row) == COLUMNS[name] for row in rows)


# the command


def test_report_prints_a_table_by_default(cli, frozen_clock):
    make_partner()
    result = cli("report", "forecast")
    assert result.code == 0, result.err
    header, line = result.out.splitlines()
    assert header.split() == list(COLUMNS["forecast"])
    assert line.split()[:5] == ["2027-01", "USD", "1", "24000.00", "24000.00"]


def test_report_csv_has_a_header_and_exact_amounts(cli, frozen_clock):
    make_partner()
    for day in (dt.date(2027, 1, 1), dt.date(2027, 3, 1)):
        frozen_clock.set(day)
        run_due_work(raise_errors=True)

    result = cli("report", "invoices", "--format", "csv")

    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert list(rows[0]) == list(COLUMNS["invoices"])
    assert [(r["kind"], r["status"], r["amount"]) for r in rows] == [
        ("invoice", "overdue", "12000.00"),
        ("total", "", "12000.00"),
    ]


def test_report_json_is_an_array_with_amounts_as_strings(cli, frozen_clock):
    make_partner()
    result = cli("report", "renewals", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == []

    frozen_clock.set(dt.date(2028, 1, 1))
    [row] = json.loads(cli("report", "renewals", "--format", "json").out)
    assert row["term_end"] == "2028-12-31" and row["value"] == "24000.00"
    assert row["next_reminder"] == "2028-09-02"


def test_an_empty_report_says_so_and_an_empty_csv_still_has_its_header(cli, db):
    assert cli("report", "satisfaction").out.strip() == "satisfaction: nothing to report"
    assert cli("report", "satisfaction", "--format", "csv").out.strip() == ",".join(COLUMNS["satisfaction"])


def test_the_help_states_how_the_expected_close_month_is_found(cli, db):
    result = cli("report", "--help")
    text = " ".join(result.out.split())
    assert "the agreement's term start if set, else the engagement's last stage change + 90 days" in text


def test_an_unknown_report_is_a_usage_error(cli, db):
    result = cli("report", "pipeline")
    assert result.code == 2
    assert "invalid choice" in result.err
