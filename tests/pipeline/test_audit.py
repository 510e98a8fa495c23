"""`partnerdesk audit` and its web download: every change with who, when, the channel and what
changed, for one engagement or all, in CSV a spreadsheet opens as data."""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from partnerdesk.pipeline import services
from partnerdesk.pipeline.audit import channel_of
from partnerdesk.pipeline.models import TimelineEntry
from partnerdesk.pipeline.stages import Stage

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.pipeline.audit_urls")]

FORMULA = '=HYPERLINK("http://evil.example/","click")'


@pytest.fixture
def alice():
    return get_user_model().objects.create_user(username="alice", password="correct horse battery")


@pytest.fixture
def harbor(alice):
    """Opened on the web by alice, for an organization whose name is a spreadsheet formula; a
    note by mail from the partner; then closed from the command line."""
    engagement = services.engagement_create(
        organization_name=FORMULA,
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=services.Actor.for_user(alice),
    )
    services.engagement_add_note(
        engagement=engagement,
        text="@SUM(1+1) we are in",
        actor=services.Actor(label="mail:lee@harbor.example.edu"),
    )
    return engagement


@pytest.fixture
def delta(alice):
    return services.engagement_create(
        organization_name="Delta College",
        contacts=[("Kim", "kim@delta.example.org")],
        actor=services.Actor.for_user(alice),
    )


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_of_one_engagement_lists_each_change_with_who_the_channel_and_what_changed(
    cli, harbor, delta
):
    assert cli("lead", "move", harbor.reference, "closed", "--reason", "went elsewhere").code == 0

    result = cli("audit", harbor.reference)

    assert result.code == 0, result.err
    rows = _csv(result.out)
    assert [(row["channel"], row["who"], row["change"]) for row in rows] == [
        ("web", "alice", "Created"),
        ("email", "lee@harbor.example.edu", "Note"),
        ("cli", getpass.getuser(), "Stage changed"),
    ]
    moved = rows[2]
    assert moved["engagement"] == harbor.reference
    assert moved["actor"] == f"cli:{getpass.getuser()}"
    assert moved["summary"] == "Moved from Lead to Closed: went elsewhere"
    details = json.loads(moved["details"])
    assert details == {
        "from": "lead",
        "to": "closed",
        "stage_since": details["stage_since"],
        "reason": "went elsewhere",
        "warnings": [],
    }
    harbor.refresh_from_db()
    assert dt.datetime.fromisoformat(details["stage_since"]) == harbor.created_at, (
        "the Lead stay began at creation"
    )
    assert dt.datetime.fromisoformat(moved["at"]) == harbor.timeline.get(kind="stage_changed").at


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(cli, harbor):
    rows = _csv(cli("audit", harbor.reference).out)

    assert {row["organization"] for row in rows} == {"'" + FORMULA}
    assert rows[1]["summary"] == "'@SUM(1+1) we are in"


def test_the_json_lists_the_same_changes_with_the_values_as_they_are(cli, harbor, delta):
    services.engagement_move(
        engagement=harbor, to=Stage.CLOSED, actor=services.Actor(label="partnerdesk:ticklers"), reason="ended"
    )

    result = cli("audit", harbor.reference, "--format", "json")

    rows = json.loads(result.out)
    assert [(row["channel"], row["who"], row["kind"]) for row in rows] == [
        ("web", "alice", "created"),
        ("email", "lee@harbor.example.edu", "note"),
        ("worker", "partnerdesk:ticklers", "stage_changed"),
    ]
    assert rows[0]["organization"] == FORMULA
    assert rows[2]["details"]["to"] == "closed"


def test_without_a_reference_every_engagement_is_listed_and_since_leaves_out_older_changes(
    cli, harbor, delta
):
    TimelineEntry.objects.filter(engagement=harbor).update(at=dt.datetime(2025, 1, 10, 12, tzinfo=dt.UTC))

    every = _csv(cli("audit").out)
    recent = _csv(cli("audit", "--since", "2025-06-01").out)

    assert [row["engagement"] for row in every] == [harbor.reference, harbor.reference, delta.reference]
    assert [row["engagement"] for row in recent] == [delta.reference]


def test_an_unknown_engagement_is_one_line_on_stderr(cli, harbor):
    result = cli("audit", "PD-999")

    assert (result.code, result.out) == (1, "")
    assert result.err == "partnerdesk audit: no engagement PD-999\n"


@pytest.mark.parametrize(
    ("actor", "data", "channel"),
    [
        ("mail:lee@harbor.example.edu", {}, "email"),
        ("cli:root", {}, "cli"),
        ("alice", {}, "web"),
        ("partner:lee@harbor.example.edu", {}, "web"),
        ("check-in:lee@harbor.example.edu", {}, "web"),
        ("calendly", {"source": "webhook"}, "webhook"),
        ("calendly", {"source": "email"}, "email"),
        ("docusign", {}, "webhook"),
        ("partnerdesk", {}, "worker"),
        ("partnerdesk:ticklers", {}, "worker"),
        ("partnerdesk (technical reminder)", {}, "worker"),
    ],
)
def test_the_channel_follows_from_the_actor_label(actor, data, channel):
    assert channel_of(actor, data) == channel


def test_the_engagement_page_download_is_the_csv_of_that_engagement(client, alice, harbor, delta):
    client.force_login(alice)

    response = client.get(reverse("engagement-audit", args=[harbor.reference]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="audit-{harbor.reference}-')
    rows = _csv(response.content.decode())
    assert [(row["channel"], row["who"]) for row in rows] == [
        ("web", "alice"),
        ("email", "lee@harbor.example.edu"),
    ]
    assert rows[0]["organization"] == "'" + FORMULA


def test_the_dashboard_download_is_every_engagement_as_json(client, alice, harbor, delta):
    client.force_login(alice)

    response = client.get(reverse("audit"), {"format": "json", "since": "2000-01-01"})

    assert response.status_code == 200
    assert [row["engagement"] for row in json.loads(response.content)] == [
        harbor.reference,
        harbor.reference,
        delta.reference,
    ]


def test_the_download_needs_sign_in_and_a_well_formed_request(client, alice, harbor):
    assert client.get(reverse("audit")).status_code == 302
    client.force_login(alice)
    assert client.get(reverse("audit"), {"format": "xlsx"}).status_code == 400
    assert client.get(reverse("audit"), {"since": "last week"}).status_code == 400
    assert client.get(reverse("engagement-audit", args=["PD-999"])).status_code == 404
