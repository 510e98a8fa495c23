"""The dashboard: counts, conversion and median days per stage, new leads per week, and the
partner phase's reports (forecast, renewals, invoices outstanding, satisfaction), as SVG."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from partnerdesk.agreements import services as agreements
from partnerdesk.lib import clock
from partnerdesk.mail.worker import run_due_work
from partnerdesk.partnership.checkins import check_in_answer
from partnerdesk.partnership.invoicing import invoice_mark_paid
from partnerdesk.partnership.models import CheckIn, Invoice
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement, TimelineEntry
from partnerdesk.pipeline.qualification import Answer
from partnerdesk.pipeline.stages import Stage
from partnerdesk.web.dashboard import DashboardFilters, dashboard_figures, partner_figures
from partnerdesk.web.dashboard_charts import partner_charts
from partnerdesk.web.periods import period_of
from tests.partnership.conftest import make_partner

pytestmark = pytest.mark.django_db


def _everyone(period: str = "all") -> DashboardFilters:
    return DashboardFilters(owner="", owner_id=None, period=period_of(period, today=clock.today()))


def _lead(name: str, actor) -> Engagement:
    return services.engagement_create(organization_name=name, contacts=[], actor=actor)


def _qualify(engagement: Engagement, actor) -> None:
    services.engagement_qualify(
        engagement=engagement, actor=actor, good_candidate=Answer.YES, qualified=Answer.YES
    )
    services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=actor)


def _backdate(engagement: Engagement, days: int) -> None:
    """Created `days` ago, and every stage change since spread out four days each (each change
    recording when the stay it ends began, as `engagement_move` does)."""
    start = clock.now() - dt.timedelta(days=days)
    Engagement.objects.filter(pk=engagement.pk).update(created_at=start)
    changes = TimelineEntry.objects.filter(engagement=engagement, kind=TimelineEntry.Kind.STAGE_CHANGED)
    began = start
    for number, entry in enumerate(changes.order_by("at", "id"), start=1):
        at = start + dt.timedelta(days=4 * number)
        data = {**entry.data, "stage_since": began.isoformat()}
        TimelineEntry.objects.filter(pk=entry.pk).update(at=at, data=data)
        began = at


def test_the_figures_count_convert_and_time_each_stage(alice):
    actor = services.Actor.for_user(alice)
    harbor, delta, pine = _lead("Harbor", actor), _lead("Delta", actor), _lead("Pine", actor)
    _qualify(harbor, actor)
    _qualify(delta, actor)
    services.engagement_move(engagement=delta, to=Stage.CLOSED, actor=actor, reason="no budget")
    for engagement in (harbor, delta, pine):
        _backdate(engagement, 20)

    figures = {s.stage: s for s in dashboard_figures(_everyone()).stages}
    assert figures[Stage.LEAD].count == 1 and figures[Stage.QUALIFIED_LEAD].count == 1
    assert figures[Stage.CLOSED].count == 1
    assert (figures[Stage.LEAD].reached, figures[Stage.LEAD].converted) == (3, 2)
    assert figures[Stage.LEAD].conversion == pytest.approx(2 / 3)
    assert (figures[Stage.QUALIFIED_LEAD].reached, figures[Stage.QUALIFIED_LEAD].converted) == (2, 0)
    # Harbor and Delta each spent 4 days in Lead; Delta 4 days in Qualified Lead before closing.
    assert figures[Stage.LEAD].median_days == pytest.approx(4, abs=0.01)
    assert figures[Stage.QUALIFIED_LEAD].median_days == pytest.approx(4, abs=0.01)
    assert figures[Stage.PROSPECT].median_days is None


def test_new_leads_are_counted_per_week_of_the_quarter(alice, frozen_clock):
    actor = services.Actor.for_user(alice)  # on Tuesday 2026-12-01: weeks from Monday 2026-09-28
    _backdate(_lead("Old", actor), 200)
    _backdate(_lead("Last week", actor), 7)
    _lead("Today", actor)
    weeks = dashboard_figures(_everyone("quarter")).buckets
    assert len(weeks) == 10 and all(bucket.start.weekday() == 0 for bucket, _ in weeks)
    assert weeks[0][0].start == dt.date(2026, 9, 28) and weeks[-1][0].start == dt.date(2026, 11, 30)
    assert weeks[-1][1] == 1 and weeks[-2][1] == 1 and sum(n for _, n in weeks) == 2


def test_the_page_draws_the_pipeline_charts_as_svg(alice_client, alice):
    actor = services.Actor.for_user(alice)
    for number in range(3):
        _qualify(_lead(f"Org {number}", actor), actor)
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert page.count("<svg") == 5 and "<script>" not in page  # 4 pipeline charts, the renewals one
    assert "New leads per week" in page and "Conversion to the next stage" in page
    assert 'href="/dashboard/"' in page


def test_the_dashboard_of_an_empty_pipeline_draws_empty_charts(alice_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(13):  # 13: no renewal to fetch the reminders of
        page = alice_client.get(reverse("dashboard")).content.decode()
    assert ">0 engagements</a>" in page and page.count("<svg") == 5
    assert "Nothing to forecast" in page and "No invoice outstanding." in page
    assert "No check-in sent yet." in page and "No agreement term ends in the next 12 months." in page


# The partner phase's reports, built as tests/partnership builds them.

ALICE = services.Actor(label="alice")


def _prospect(organization: str, email: str, *, value: str, currency: str, term_start: dt.date):
    """An engagement at Prospect with an agreement in the works worth `value` (weight 0.6)."""
    engagement = services.engagement_create(
        organization_name=organization, contacts=[("Sam Ortiz", email)], actor=ALICE
    )
    services.engagement_qualify(
        engagement=engagement, actor=ALICE, good_candidate=Answer.YES, qualified=Answer.YES
    )
    services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=ALICE)
    services.engagement_record_verbal_yes(engagement=engagement, by="Sam Ortiz", actor=ALICE)
    services.engagement_move(engagement=engagement, to=Stage.PROSPECT, actor=ALICE)
    agreement = agreements.agreement_create(engagement=engagement, actor=ALICE)
    agreements.agreement_set_terms(
        agreement=agreement, actor=ALICE, value=Decimal(value), currency=currency, term_start=term_start
    )
    return engagement


def _partner_phase(frozen_clock, *, partners: int = 0):
    """On 2026-12-01: Harbor (24000.00 USD a year from 2027-01-01 to 2028-12-31), Delta (5000.50 EUR,
    2027-02-15 to 2028-02-14), Ocean at Prospect (10000.00 USD from 2027-01-20), and `partners`
    more like Harbor. Then on 2027-04-01, after the worker: Harbor's and Delta's invoices sent,
    Harbor's paid; Harbor's first check-ins sent to its two contacts, one answered 4."""
    harbor, _ = make_partner()
    delta, _ = make_partner(
        organization="Delta College",
        contacts=(("Kim Cho", "kim@delta.example.edu"),),
        term_start=dt.date(2027, 2, 15),
        term_end=dt.date(2028, 2, 14),
        value=Decimal("5000.50"),
        currency="EUR",
    )
    ocean = _prospect(
        "Ocean Institute",
        "sam@ocean.example.org",
        value="10000.00",
        currency="USD",
        term_start=dt.date(2027, 1, 20),
    )
    for number in range(partners):
        make_partner(
            organization=f"University {number}",
            contacts=((f"Contact {number}", f"c{number}@u{number}.example.edu"),),
            term_end=dt.date(2028, 3, 31),
        )
    for day in (dt.date(2027, 1, 1), dt.date(2027, 2, 15), dt.date(2027, 4, 1)):
        frozen_clock.set(day)  # the worker issues each invoice on its day
        run_due_work(raise_errors=True)
    invoice_mark_paid(invoice=Invoice.objects.get(engagement=harbor), actor=ALICE)
    check_in = CheckIn.objects.filter(email="lee@harbor.example.edu").latest("sent_at")
    check_in_answer(check_in=check_in, rating=4)
    return harbor, delta, ocean


def test_the_partner_figures_are_the_reports_with_counts_per_month_and_currency(frozen_clock):
    _, delta, _ = _partner_phase(frozen_clock)

    reports = partner_figures(_everyone())

    # On 2027-04-01 nothing is left to forecast: Harbor and Delta are partners (won, not
    # forecast), and Ocean was expected in January, a month past (tests/web/test_dashboard_tiles.py).
    assert reports.forecast == [] and reports.forecast_currencies == []
    # Thirteen months, April 2027 to April 2028: Delta's term ends in February 2028, Harbor's later.
    months = reports.renewal_months
    assert (months[0][0], months[-1][0], len(months)) == (dt.date(2027, 4, 1), dt.date(2028, 4, 1), 13)
    assert [month for month, count in months if count] == [dt.date(2028, 2, 1)]
    assert [row["reference"] for row in reports.renewals] == [delta.reference]
    # Delta's invoice (due 2027-03-17) is overdue; Harbor's is paid, so USD has nothing outstanding.
    [eur] = reports.outstanding
    assert (eur.currency, eur.invoices, eur.amount, eur.overdue, eur.overdue_amount) == (
        "EUR",
        1,
        Decimal("5000.50"),
        1,
        Decimal("5000.50"),
    )
    assert reports.overdue == 1
    [quarter] = reports.satisfaction
    assert (quarter["quarter"], quarter["sent"], quarter["answered"], quarter["average"]) == (
        "2027-Q2",
        2,
        1,
        Decimal("4.00"),
    )


def test_the_page_shows_the_partner_reports_as_charts_and_tables(alice_client, frozen_clock):
    _, delta, _ = _partner_phase(frozen_clock)

    page = alice_client.get(reverse("dashboard")).content.decode()

    # 4 pipeline charts; renewals, invoices, satisfaction (nothing left to forecast).
    assert page.count("<svg") == 7 and "<script>" not in page and "style=" not in page
    assert 'id="chart-renewals"' in page and ">Feb</text>" in page and ">2028</text>" in page
    assert f'<a href="/engagements/{delta.reference}/">{delta.reference}</a>' in page
    assert "1 overdue invoice." in page and ">EUR overdue</text>" in page
    assert "<td>5,000.50</td>" in page
    assert 'id="chart-satisfaction"' in page and ">4.00 (1)</text>" in page
    assert ">2027-Q2</th><td>2</td><td>1</td><td>4.00</td>" in page


def test_the_ratings_are_drawn_on_the_five_point_scale(frozen_clock):
    _partner_phase(frozen_clock)
    chart = str(partner_charts(partner_figures(_everyone()), _everyone())["satisfaction"])
    # 4 out of 5: four fifths of the 340 units a full bar has.
    assert 'width="272.0"' in chart


def test_the_page_takes_a_fixed_number_of_queries_however_many_rows(
    alice_client, frozen_clock, django_assert_num_queries
):
    _partner_phase(frozen_clock)
    # session, user, owners; counts, funnel, medians; renewals (per month, the soonest, their
    # reminders), invoices, forecast, check-ins; pipeline value, won
    with django_assert_num_queries(14):
        page = alice_client.get(reverse("dashboard")).content.decode()
    rows = page.count("<tr>")

    for number in range(4):
        make_partner(
            organization=f"More {number}",
            contacts=((f"Contact {number}", f"m{number}@more{number}.example.edu"),),
            term_start=dt.date(2027, 4, 1),
            term_end=dt.date(2028, 3, 31),
            currency="CHF" if number % 2 else "USD",
        )
    frozen_clock.set(dt.date(2027, 7, 2))
    run_due_work(raise_errors=True)
    CheckIn.objects.filter(rating__isnull=True).update(rating=3)

    with django_assert_num_queries(14):
        page = alice_client.get(reverse("dashboard")).content.decode()
    assert page.count("<tr>") > rows + 4 and "CHF" in page
