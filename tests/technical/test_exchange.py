"""The technical-exchange playbook: each contact gets their own form link by email, and a
reminder with a new link goes out once if the record is still incomplete days later."""

from __future__ import annotations

import datetime as dt
import re
from email import message_from_bytes, policy

import pytest
from django.test import Client

from partnerdesk.documents.models import PartnerLink
from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.profile import DEFAULT_PROFILE_PATH
from partnerdesk.technical.models import TechnicalAnswer, TechnicalFormLink, TechnicalReminder
from partnerdesk.technical.reminders import technical_reminders_fire_due
from tests.technical.test_handoff import REQUIRED_ANSWERS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.technical.urls")]

LEE = "Lee Park <lee@harbor.example.edu>"
ANA = "Ana Ruiz <ana@harbor.example.edu>"
FORM_LINK = re.compile(r"https?://\S+?(/p/tech/[A-Za-z0-9_-]+/)")


def _ok(result):
    assert result.code == 0, result.err
    return result


@pytest.fixture
def prospect(cli) -> str:
    reference = _ok(cli("lead", "add", "Harbor University", "--contact", LEE, "--contact", ANA)).out.strip()
    _ok(cli("lead", "qualify", reference, "--good-candidate", "yes", "--qualified", "yes"))
    _ok(cli("lead", "move", reference, "qualified-lead"))
    _ok(cli("lead", "verbal-yes", reference, "--by", "Lee Park"))
    _ok(cli("lead", "move", reference, "prospect"))
    return reference


def _body(message: OutboxMessage) -> str:
    parsed = message_from_bytes(bytes(message.raw), policy=policy.default)
    return parsed.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def _form_link(message: OutboxMessage) -> str:
    match = FORM_LINK.search(_body(message))
    assert match, _body(message)
    return match.group(1)


def test_the_dry_run_shows_each_email_with_a_placeholder_link_and_writes_nothing(cli, prospect):
    preview = _ok(cli("playbook", "run", "technical-exchange", prospect, "--dry-run"))
    assert "To: lee@harbor.example.edu" in preview.out
    assert "To: ana@harbor.example.edu" in preview.out
    assert "Hello Lee Park," in preview.out and "Hello Ana Ruiz," in preview.out
    assert "(a link of their own to the form, made when the email is queued)" in preview.out
    assert "Plan a reminder in 7 days" in preview.out
    assert not OutboxMessage.objects.exists() and not PartnerLink.objects.exists()
    assert not TechnicalFormLink.objects.exists() and not TechnicalReminder.objects.exists()


def test_each_contact_gets_their_own_link_whose_form_fills_the_record(cli, prospect):
    _ok(cli("playbook", "run", "technical-exchange", prospect))
    lee, ana = OutboxMessage.objects.order_by("id")
    assert (lee.to, ana.to) == (["lee@harbor.example.edu"], ["ana@harbor.example.edu"])
    assert lee.subject == f"[{prospect}] A few technical questions about Harbor University's hub"
    assert _form_link(lee) != _form_link(ana)
    assert TechnicalReminder.objects.get().due_on == clock.today() + dt.timedelta(days=7)

    link = _form_link(ana)
    browser = Client()
    browser.post(link)
    assert browser.post(link + "form/", {"q-peak-concurrency": "60 during labs"}).status_code == 302
    answer = TechnicalAnswer.objects.get(key="peak-concurrency")
    assert (answer.value, answer.source) == ("60 during labs", "form")
    shown = _ok(cli("lead", "show", prospect)).out
    assert "Technical form received from Ana Ruiz" in shown

    # Running it again sends nothing new; --again sends new links (and plans one more reminder).
    again = cli("playbook", "run", "technical-exchange", prospect)
    assert again.code == 1 and "use --again" in again.err
    assert OutboxMessage.objects.count() == 2 and TechnicalFormLink.objects.count() == 2
    _ok(cli("playbook", "run", "technical-exchange", prospect, "--again"))
    assert OutboxMessage.objects.count() == 4 and TechnicalFormLink.objects.count() == 4


def test_a_playbook_outside_the_prospect_stage_is_refused(cli):
    reference = _ok(cli("lead", "add", "Harbor University", "--contact", LEE)).out.strip()
    refused = cli("playbook", "run", "technical-exchange", reference)
    assert refused.code == 1 and not OutboxMessage.objects.exists()


def test_the_reminder_goes_out_once_with_a_new_link_when_the_record_is_still_incomplete(
    cli, prospect, frozen_clock
):
    _ok(cli("playbook", "run", "technical-exchange", prospect))
    first_links = {_form_link(message) for message in OutboxMessage.objects.all()}
    frozen_clock.advance(days=6)
    assert technical_reminders_fire_due() == 0
    frozen_clock.advance(days=1)
    assert technical_reminders_fire_due() == 1
    assert technical_reminders_fire_due() == 0
    reminders = OutboxMessage.objects.filter(subject__contains="Reminder").order_by("id")
    assert [m.to for m in reminders] == [["lee@harbor.example.edu"], ["ana@harbor.example.edu"]]
    body = _body(reminders[0])
    assert "- expected-users (How many users do you expect in total?)" in body
    assert _form_link(reminders[0]) not in first_links
    reminder = TechnicalReminder.objects.get()
    assert reminder.outcome == "reminded lee@harbor.example.edu, ana@harbor.example.edu"

    # The new link opens the form.
    browser = Client()
    browser.post(_form_link(reminders[1]))
    assert browser.get(_form_link(reminders[1]) + "form/").status_code == 200


def test_no_reminder_goes_out_when_the_record_is_complete(cli, prospect, frozen_clock):
    _ok(cli("playbook", "run", "technical-exchange", prospect))
    for key, value in REQUIRED_ANSWERS.items():
        _ok(cli("tech", "set", prospect, key, value))
    frozen_clock.advance(days=8)
    assert technical_reminders_fire_due() == 1
    assert TechnicalReminder.objects.get().outcome == "skipped: the record is complete"
    assert not OutboxMessage.objects.filter(subject__contains="Reminder").exists()


def test_the_worker_fires_the_reminder_and_delivers_it(cli, prospect, frozen_clock, smtp_server):
    _ok(cli("playbook", "run", "technical-exchange", prospect))
    _ok(cli("worker", "--once"))
    assert len(smtp_server.handler.delivered) == 2
    frozen_clock.advance(days=7)
    _ok(cli("worker", "--once"))
    _ok(cli("worker", "--once"))
    reminders = [m for m in smtp_server.handler.delivered if "Reminder:" in m.message["Subject"]]
    assert len(reminders) == 2


def test_the_profile_sets_the_delay(cli, prospect, frozen_clock, profile_file):
    text = DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")
    profile_file(text.replace("reminder_after_days = 7", "reminder_after_days = 3"))
    _ok(cli("playbook", "run", "technical-exchange", prospect))
    assert TechnicalReminder.objects.get().due_on == clock.today() + dt.timedelta(days=3)
    profile_file(text.replace("reminder_after_days = 7", "reminder_after_days = 0"))
    _ok(cli("playbook", "run", "technical-exchange", prospect, "--again"))
    assert TechnicalReminder.objects.count() == 1
