"""Satisfaction check-ins: one-click ratings through a signed, expiring, single-use link."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import json
import re

import pytest

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.worker import run_due_work
from partnerdesk.partnership.checkins import check_in_token
from partnerdesk.partnership.models import CheckIn
from partnerdesk.pipeline.models import Task, TimelineEntry
from tests.partnership.conftest import make_partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def check_ins(time_machine, partner):
    time_machine.to(dt.date(2027, 4, 1))
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


def test_the_link_expires(client, check_ins, time_machine):
    time_machine.forward(31)
    page = client.get(_path(_links(check_ins[0])[5]))
    assert page.status_code == 410 and b"expired" in page.content
    assert client.post(_path(_links(check_ins[0])[5])).status_code == 410
    assert CheckIn.objects.get(pk=check_ins[0].pk).answered_at is None


def test_a_link_cannot_rate_another_engagement(client, check_ins, alice):
    other, _ = make_partner(
        organization="Bay College", contacts=[("Kim Lo", "kim@bay.example.edu")], owner=alice
    )
    # The token names its check-in and engagement under a signature: change either and it fails.
    token = check_in_token(check_ins[0])
    payload, signature = token.rsplit(":", 1)
    other_payload = base64.urlsafe_b64encode(
        json.dumps({"c": check_ins[1].pk, "e": check_ins[1].engagement_id}, separators=(",", ":")).encode()
    )
    forged = other_payload.decode().rstrip("=") + ":" + signature
    assert client.post(f"/p/checkin/{forged}/5/").status_code == 410
    signed_elsewhere = CheckIn(pk=check_ins[0].pk, engagement=other)
    page = client.post(f"/p/checkin/{check_in_token(signed_elsewhere)}/5/")
    assert page.status_code == 410 and b"not valid" in page.content
    assert not CheckIn.objects.filter(answered_at__isnull=False).exists()
    assert client.post(f"/p/checkin/{token}/9/").status_code == 410
