"""The dashboard's tiles, filters and links: each number opens the list of the engagements behind
it, and the forecast counts only open engagements expected to close this month or later."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from partnerdesk.mail.worker import run_due_work
from partnerdesk.partnership.models import Invoice
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.stages import Stage
from tests.partnership.conftest import make_partner
from tests.web.pipeline_data import deal, lead

pytestmark = pytest.mark.django_db


def _tile(page: str, name: str) -> tuple[str, str]:
    """(the tile's address, its text without tags)."""
    tile = page.split(f'id="tile-{name}"')[1].split("</a>")[0]
    href = page.split(f'id="tile-{name}"')[0].rsplit('<a href="', 1)[1].split('"')[0]
    return html.unescape(href), " ".join(re.sub(r"<[^>]+>", " ", tile.split(">", 1)[1]).split())


def _listed(client, href: str) -> set[str]:
    page = client.get(href).content.decode()
    return set(re.findall(r'<td data-label="Organization" class="organization">([^<]+)</td>', page))


@pytest.fixture
def pipeline(frozen_clock, alice):
    """On 2026-12-01: Harbor a partner since today (24,000 USD a year from 2027-01-01), Delta at
    Prospect (10,000 USD from 2027-01-20, weight 0.6), Ocean at Qualified Lead (8,000 USD from
    2026-11-15, a month past), Pine at Qualified Lead owned by alice (2,000 EUR, no term start:
    closes 90 days after its last stage change, in March), Bay a lead without an agreement."""
    harbor, _ = make_partner()
    delta = deal("Delta College", stage=Stage.PROSPECT, value="10000", term_start=dt.date(2027, 1, 20))
    ocean = deal("Ocean Institute", value="8000", term_start=dt.date(2026, 11, 15))
    pine = deal("Pine Lab", value="2000", currency="EUR", owner=alice)
    bay = lead("Bay College")
    return harbor, delta, ocean, pine, bay


def test_the_tiles_count_the_pipeline_forecast_won_renewals_and_overdue(alice_client, pipeline):
    page = alice_client.get(reverse("dashboard")).content.decode()

    href, text = _tile(page, "pipeline")
    assert text == "Open pipeline value EUR 2,000 USD 18,000 4 open engagements, 3 with a value"
    assert _listed(alice_client, href) == {"Delta College", "Ocean Institute", "Pine Lab", "Bay College"}

    # Delta 10,000 x 0.6 and Pine 2,000 x 0.25; Ocean's month is past, Harbor is won, not forecast.
    href, text = _tile(page, "forecast")
    assert text == ("Weighted forecast EUR 500 USD 6,000 2 open engagements closing this month or later")
    assert _listed(alice_client, href) == {"Delta College", "Pine Lab"}

    href, text = _tile(page, "won")
    assert text == "Won this quarter 1 moved to Partner"
    assert _listed(alice_client, href) == {"Harbor University"}

    href, text = _tile(page, "renewals")
    assert text == "Renewals due 0 terms ending in the next 12 months"
    assert _listed(alice_client, href) == set()

    href, text = _tile(page, "overdue")
    assert text == "Overdue invoices 0 none past due"


def test_renewals_and_overdue_invoices_link_to_their_engagements(alice_client, pipeline, frozen_clock):
    harbor = pipeline[0]
    frozen_clock.set(dt.date(2027, 1, 1))
    run_due_work(raise_errors=True)  # Harbor's first invoice, due in 30 days
    frozen_clock.set(dt.date(2028, 3, 1))  # the invoice unpaid; the term ends 2028-12-31
    assert Invoice.objects.filter(engagement=harbor).exists()

    page = alice_client.get(reverse("dashboard")).content.decode()

    href, text = _tile(page, "renewals")
    assert text == "Renewals due 1 term ending in the next 12 months"
    assert _listed(alice_client, href) == {"Harbor University"}
    href, text = _tile(page, "overdue")
    assert text.startswith("Overdue invoices 1 USD ") and text.endswith("past due")
    assert _listed(alice_client, href) == {"Harbor University"}


def test_the_forecast_counts_open_engagements_from_this_month_on(alice_client, pipeline, frozen_clock):
    harbor, delta, ocean, pine, _ = pipeline
    page = alice_client.get(reverse("dashboard")).content.decode()
    forecast = page.split('id="report-forecast"')[1].split("</section>")[0]
    assert ">2027-01</th><td>USD</td>" in forecast  # Delta
    assert ">2027-03</th><td>EUR</td>" in forecast  # Pine: 2026-12-01 + 90 days
    assert "2026-11" not in forecast and "24,000" not in forecast

    # A month on, January is this month: still counted; in February it is past.
    frozen_clock.set(dt.date(2027, 1, 31))
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert "2027-01" in page.split('id="report-forecast"')[1]
    frozen_clock.set(dt.date(2027, 2, 1))
    page = alice_client.get(reverse("dashboard")).content.decode()
    href, text = _tile(page, "forecast")
    assert text.startswith("Weighted forecast EUR 500 1 open engagement")
    assert _listed(alice_client, href) == {"Pine Lab"}


def test_the_owner_filter_narrows_every_number_and_its_list(alice_client, pipeline):
    page = alice_client.get(reverse("dashboard"), {"owner": "alice"}).content.decode()

    href, text = _tile(page, "pipeline")
    assert text == "Open pipeline value EUR 2,000 1 open engagement, 1 with a value"
    assert "owner=alice" in href and _listed(alice_client, href) == {"Pine Lab"}
    href, text = _tile(page, "won")
    assert text == "Won this quarter 0 moved to Partner"
    assert ">1 engagement</a> owned by alice" in page
    counts = page.split('class="figures"')[1]
    assert '<a href="/engagements/?owner=alice&amp;stage=qualified-lead">1</a>' in counts


def test_the_period_filter_changes_what_won_counts(alice_client, pipeline, frozen_clock):
    frozen_clock.set(dt.date(2027, 1, 5))  # a new quarter: Harbor was won in the last one
    page = alice_client.get(reverse("dashboard")).content.decode()
    assert _tile(page, "won")[1] == "Won this quarter 0 moved to Partner"

    page = alice_client.get(reverse("dashboard"), {"period": "12m"}).content.decode()
    href, text = _tile(page, "won")
    assert text == "Won the last 12 months 1 moved to Partner"
    assert "period=12m" in href and _listed(alice_client, href) == {"Harbor University"}
    assert "New leads per month, the last 12 months" in page


def test_each_stage_count_links_to_its_list(alice_client, pipeline):
    page = alice_client.get(reverse("dashboard")).content.decode()
    chart = page.split('id="chart-counts"')[1].split("</svg>")[0]
    assert '<a href="/engagements/?stage=qualified-lead" aria-label="Qualified Lead: 2">' in chart
    assert _listed(alice_client, "/engagements/?stage=qualified-lead") == {"Ocean Institute", "Pine Lab"}
    new_leads = page.split('id="chart-new-leads"')[1].split("</svg>")[0]
    href = html.unescape(re.findall(r'<a href="([^"]+)" aria-label="30 Nov: 5">', new_leads)[0])
    assert href == "/engagements/?created_from=2026-11-30&created_to=2026-12-06"
    assert len(_listed(alice_client, href)) == 5


def test_the_dashboard_costs_the_same_queries_for_10_or_200_engagements(
    alice_client, django_assert_num_queries
):
    def add(count: int) -> None:
        for number in range(count):
            engagement = deal(f"Org {Engagement.objects.count()}", value=str(1000 + number))
            if number % 3 == 0:
                make_partner(
                    organization=f"Partner {Engagement.objects.count()}",
                    contacts=((f"C {number}", f"c{Engagement.objects.count()}@p.example.org"),),
                    value=Decimal("500"),
                )
            assert engagement.stage == Stage.QUALIFIED_LEAD

    add(10)
    # session, user, owners; counts, funnel, medians; renewals per month and the soonest (no
    # reminders to read: no term ends this year), invoices, forecast, check-ins; pipeline value, won
    with django_assert_num_queries(13) as small:
        assert alice_client.get(reverse("dashboard"), {"period": "all"}).status_code == 200
    add(190)
    with django_assert_num_queries(len(small)):
        page = alice_client.get(reverse("dashboard"), {"period": "all"}).content.decode()
    assert f">{Engagement.objects.count()} engagements</a>" in page
