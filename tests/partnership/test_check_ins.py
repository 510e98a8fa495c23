"""Satisfaction check-ins: one-click ratings through an expiring link, answered once."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re

import pytest
from django.core import signing

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.worker import run_due_work
from partnerdesk.partnership.checkins import LEGACY_SALT
from partnerdesk.partnership.models import CheckIn, CheckInLink
from partnerdesk.pipeline.models import Task, TimelineEntry
from tests.partnership.conftest import make_partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def check_ins(frozen_clock, partner):
    frozen_clock.set(dt.date(2027, 4, 1))
    run_due_work(raise_errors=True)
    return list(CheckIn.objects.order_by("email"))


def _links(check_in: CheckIn) -> dict[int, str]:
    [message] = OutboxMessage.objects.filter(idempotency_key__endswith=f":{check_in.email}")
    parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
    body = parsed.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    return {int(n): url for n, url in re.findall(r"^  (\d) - [A-Za-z ]+: (\S+)$", body, re.MULTILINE)}


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_each_contact_gets_five_one_click_ratings_on_the_quarter(check_ins):
    assert [c.email for c in check_ins] == ["ana@harbor.example.edu", "lee@harbor.example.edu"]
    links = _links(check_ins[0])
    assert sorted(links) == [1, 2, 3, 4, 5]
    assert links[4].startswith("http://127.0.0.1:8000/p/checkin/") and links[4].endswith("/4/")


def test_the_link_works_once_without_sign_in_and_lands_on_the_timeline(client, check_ins, partner):
    engagement, _ = partner
    path = _path(_links(check_ins[1])[4])
    page = client.get(path)
    assert page.status_code == 200 and b"4 - Satisfied" in page.content
    assert CheckIn.objects.get(pk=check_ins[1].pk).answered_at is None  # a GET writes nothing
    done = client.post(path, {"comment": "The hub works well."})
    assert done.status_code == 200 and b"Thank you!" in done.content
    answered = CheckIn.objects.get(pk=check_ins[1].pk)
    assert (answered.rating, answered.comment) == (4, "The hub works well.")
    assert engagement.timeline.filter(
        kind=TimelineEntry.Kind.NOTE,
        summary="Satisfaction check-in: 4/5 (Satisfied) from Lee Park <lee@harbor.example.edu>:"
        " The hub works well.",
    ).exists()
    again = client.post(path, {"comment": "twice"})
    assert again.status_code == 410 and b"already answered" in again.content
    assert not Task.objects.filter(title__startswith="Follow up on a low satisfaction score").exists()


def test_a_low_score_makes_a_task_for_the_owner(client, check_ins):
    client.post(_path(_links(check_ins[0])[2]))
    [task] = Task.objects.filter(title__startswith="Follow up on a low satisfaction score")
    assert task.assignee == "alice" and "(2/5) from Ana Ruiz" in task.title


def test_the_link_expires(client, check_ins, frozen_clock):
    frozen_clock.advance(days=31)
    page = client.get(_path(_links(check_ins[0])[5]))
    assert page.status_code == 410 and b"expired" in page.content
    assert client.post(_path(_links(check_ins[0])[5])).status_code == 410
    assert CheckIn.objects.get(pk=check_ins[0].pk).answered_at is None


def test_a_link_cannot_rate_another_check_in_and_a_made_up_one_rates_nothing(client, check_ins):
    anas = _path(_links(check_ins[0])[5])
    token = anas.split("/")[3]
    made_up = ("A" if token[0] != "A" else "B") + token[1:]
    for path in (anas.replace(token, made_up), "/p/checkin/x/5/", f"/p/checkin/{'a' * 300}/5/"):
        page = client.post(path)
        assert page.status_code == 410 and b"not valid" in page.content, path
    assert client.post(anas.replace("/5/", "/9/")).status_code == 410
    assert not CheckIn.objects.filter(answered_at__isnull=False).exists()

    assert client.post(anas).status_code == 200
    assert CheckIn.objects.get(pk=check_ins[0].pk).rating == 5
    assert CheckIn.objects.get(pk=check_ins[1].pk).answered_at is None


def _signed_before_access_links(check_in: CheckIn, **changes) -> str:
    """The token an email sent before access links carried: the check-in and its engagement, signed."""
    data = {"c": check_in.pk, "e": check_in.engagement_id} | changes
    return signing.Signer(salt=LEGACY_SALT).sign_object(data)


def test_a_link_sent_before_access_links_still_rates_its_check_in_once(client, check_ins):
    CheckInLink.objects.filter(check_in=check_ins[0]).delete()  # as the check-ins sent before were
    old = f"/p/checkin/{_signed_before_access_links(check_ins[0])}/4/"
    assert client.get(old).status_code == 200
    assert client.post(old).status_code == 200
    assert CheckIn.objects.get(pk=check_ins[0].pk).rating == 4
    again = client.post(old)
    assert again.status_code == 410 and b"already answered" in again.content


def test_a_signed_token_is_refused_for_a_check_in_sent_with_an_access_link_or_when_changed(
    client, check_ins, alice
):
    other, _ = make_partner(
        organization="Bay College", contacts=[("Kim Lo", "kim@bay.example.edu")], owner=alice
    )
    CheckInLink.objects.filter(check_in=check_ins[0]).delete()
    for token in (
        _signed_before_access_links(check_ins[1]),  # it has an access link: only that opens it
        _signed_before_access_links(check_ins[0], e=other.pk),  # signed for another engagement
        _signed_before_access_links(check_ins[0])[:-2] + "xx",  # the signature does not match
    ):
        page = client.post(f"/p/checkin/{token}/5/")
        assert page.status_code == 410 and b"not valid" in page.content
    assert not CheckIn.objects.filter(answered_at__isnull=False).exists()
