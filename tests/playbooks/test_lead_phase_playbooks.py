"""The Lead-phase SOPs run as the handbook says, durably, and preview without doing anything."""

from __future__ import annotations

import dataclasses
import email
import email.policy

import docx
import pytest

from partnerdesk.documents.base import get_store
from partnerdesk.documents.models import Document, Share
from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import Contact, Engagement, Task, TimelineEntry
from partnerdesk.pipeline.services import Actor
from partnerdesk.playbooks.engine import playbook_run
from partnerdesk.playbooks.library import get_library
from partnerdesk.playbooks.models import PlaybookRun, StepRun
from partnerdesk.playbooks.specs import DEFAULTS_DIR
from partnerdesk.profile import DEFAULT_PROFILE_PATH

pytestmark = pytest.mark.django_db

LEE = "Lee Park <lee@harbor.example.edu>"
ANA = "Ana Ruiz <ana@harbor.example.edu>"

CANNED_RESPONSE = """\
Hello!

Thank you for your interest in learning more about 2i2c.

If you wish to connect for a conversation, I invite you to [schedule a virtual meeting by clicking here](https://calendly.com/colliand/2i2c-30-minute-zoom-meeting).

Best regards,
2i2c's Partnerships Team
"""
# What the contact reads in the text part: the handbook's Markdown link written out.
CANNED_RESPONSE_TEXT = CANNED_RESPONSE.replace(
    "[schedule a virtual meeting by clicking here](https://calendly.com/colliand/2i2c-30-minute-zoom-meeting)",
    "schedule a virtual meeting by clicking here (https://calendly.com/colliand/2i2c-30-minute-zoom-meeting)",
)


def _hail(cli, *extra: str):
    return cli(
        "playbook",
        "run",
        "hail-the-lead",
        "--organization",
        "Harbor University",
        "--contact",
        LEE,
        "--contact",
        ANA,
        *extra,
    )


def test_hail_the_lead_opens_the_lead_and_queues_the_canned_response_word_for_word(cli):
    result = _hail(cli)
    assert result.code == 0, result.err
    engagement = Engagement.objects.get()
    assert f"hail-the-lead for {engagement.reference} (opened now):" in result.out
    message = OutboxMessage.objects.get()
    assert message.to == ["lee@harbor.example.edu", "ana@harbor.example.edu"]
    assert message.from_addr == "2i2c's Partnerships Team <partnerships@2i2c.org>"
    assert message.cc == ["partnerships@2i2c.org"]
    assert message.subject == f"[{engagement.reference}] Thank you for your interest in 2i2c"
    assert message.engagement == engagement
    parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert text == CANNED_RESPONSE_TEXT
    html = parsed.get_body(preferencelist=("html",)).get_content()
    assert (
        '<a href="https://calendly.com/colliand/2i2c-30-minute-zoom-meeting" rel="noopener noreferrer">'
        "schedule a virtual meeting by clicking here</a>" in html
    )
    run = PlaybookRun.objects.get()
    assert run.status == "succeeded"
    # The handbook's order: the response is sent, then the confirmation (of the queued message).
    assert list(run.steps.values_list("step_id", "status")) == [
        ("canned-response", "done"),
        ("confirm-meeting-link", "done"),
    ]


def test_a_playbook_that_completed_is_refused_unless_again(cli):
    _hail(cli)
    reference = Engagement.objects.get().reference
    refused = cli("playbook", "run", "hail-the-lead", reference)
    assert refused.code == 1
    assert f"hail-the-lead already ran for {reference}" in refused.err
    assert "use --again" in refused.err
    assert OutboxMessage.objects.count() == 1
    assert cli("playbook", "run", "hail-the-lead", reference, "--again").code == 0
    assert OutboxMessage.objects.count() == 2


def test_hailing_contacts_of_an_open_engagement_reuses_it(cli):
    cli("lead", "add", "Harbor University", "--contact", LEE)
    assert _hail(cli).code == 0
    engagement = Engagement.objects.get()
    assert sorted(engagement.contacts.values_list("email", flat=True)) == [
        "ana@harbor.example.edu",
        "lee@harbor.example.edu",
    ]


def test_the_check_stops_the_run_before_anything_is_sent_when_the_link_is_missing(cli, profile_file):
    path = profile_file(DEFAULT_PROFILE_PATH.read_text().replace('folder = ""', 'folder = "team"'))
    (path.parent / "team").mkdir()
    (path.parent / "team" / "hail-the-lead.toml").write_text(
        (DEFAULTS_DIR / "hail-the-lead.toml")
        .read_text()
        .replace("({scheduling_link})", "(https://example.org/book)")
    )
    result = _hail(cli)
    assert result.code == 1
    assert (
        "step 1 (canned-response) failed: not sent: step 2 (Confirm canned response links to "
        "https://calendly.com/colliand/2i2c-30-minute-zoom-meeting" in result.err
    )
    assert "its HTML part has no link to calendly.com/colliand/2i2c-30-minute-zoom-meeting" in result.err
    assert OutboxMessage.objects.count() == 0
    assert PlaybookRun.objects.get().status == "failed"


def test_a_dry_run_shows_the_exact_email_and_creates_nothing(cli, data_folder):
    result = _hail(cli, "--dry-run")
    assert result.code == 0, result.err
    assert "Dry run of hail-the-lead for a new engagement: nothing is done." in result.out
    assert "Open a Lead for Harbor University with Lee Park <lee@harbor.example.edu>, Ana Ruiz" in result.out
    assert "To: lee@harbor.example.edu, ana@harbor.example.edu" in result.out or "To: Lee" in result.out
    assert "Cc: partnerships@2i2c.org" in result.out
    assert (
        "schedule a virtual meeting by clicking here (https://calendly.com/colliand/2i2c-30-minute-zoom-meeting)"
        in result.out
    )
    assert "passes: the message of step 'canned-response' holds to the rule" in result.out
    assert Engagement.objects.count() == Contact.objects.count() == OutboxMessage.objects.count() == 0
    assert PlaybookRun.objects.count() == 0


def test_create_running_notes_makes_the_folder_the_document_and_the_shares(cli, data_folder):
    cli("lead", "add", "Harbor University", "--contact", LEE, "--contact", ANA)
    engagement = Engagement.objects.get()
    result = cli("playbook", "run", "create-running-notes", engagement.reference)
    assert result.code == 0, result.err

    document = Document.objects.get()
    assert document.title == "Running notes -- Harbor University + 2i2c"
    assert document.kind == "running_notes"
    folder = data_folder / "drive" / "Partnerships" / "Agreements" / "Harbor University"
    files = list(folder.glob("*.docx"))
    assert [f.name for f in files] == ["Running notes -- Harbor University + 2i2c.docx"]
    text = "\n".join(p.text for p in docx.Document(str(files[0])).paragraphs)
    assert "Running notes -- Harbor University + 2i2c" in text
    assert "PartnerX" not in text

    shares = Share.objects.filter(document=document).order_by("contact__email")
    assert [(s.contact.email, s.role) for s in shares] == [
        ("ana@harbor.example.edu", "editor"),
        ("lee@harbor.example.edu", "editor"),
    ]
    notifications = OutboxMessage.objects.filter(engagement=engagement)
    assert sorted(address for message in notifications for address in message.to) == [
        "ana@harbor.example.edu",
        "lee@harbor.example.edu",
    ]


def test_a_run_killed_between_steps_resumes_and_does_nothing_twice(cli, data_folder, monkeypatch):
    cli("lead", "add", "Harbor University", "--contact", LEE)
    engagement = Engagement.objects.get()
    from partnerdesk.playbooks import steps

    real_kinds = steps.step_kinds()

    def killed_at_share():
        kinds = dict(real_kinds)

        def die(step, ctx, key):
            raise KeyboardInterrupt  # the process is killed before the share happens

        kinds["share"] = dataclasses.replace(real_kinds["share"], execute=die)
        return kinds

    monkeypatch.setattr("partnerdesk.playbooks.engine.step_kinds", killed_at_share)
    with pytest.raises(KeyboardInterrupt):
        playbook_run(
            spec=get_library().get("create-running-notes"), engagement=engagement, actor=Actor("alice")
        )
    run = PlaybookRun.objects.get()
    assert run.status == "running"
    assert list(run.steps.values_list("status", flat=True)) == ["done", "done", "pending"]

    monkeypatch.setattr("partnerdesk.playbooks.engine.step_kinds", lambda: real_kinds)
    result = cli("playbook", "run", "create-running-notes", engagement.reference)
    assert result.code == 0, result.err
    assert "resuming the unfinished run" in result.out
    assert Document.objects.count() == 1
    assert Share.objects.count() == 1
    assert OutboxMessage.objects.count() == 1
    assert (
        len(
            list((data_folder / "drive" / "Partnerships" / "Agreements" / "Harbor University").glob("*.docx"))
        )
        == 1
    )
    assert PlaybookRun.objects.get().status == "succeeded"


def test_a_failed_step_fails_the_run_with_its_error_and_the_same_command_resumes_it(
    cli, data_folder, settings
):
    cli("lead", "add", "Harbor University", "--contact", LEE)
    engagement = Engagement.objects.get()
    get_store().ensure_folder("Partnerships/Templates")  # the store seeds its templates on first use
    template = data_folder / "drive" / "Partnerships" / "Templates" / "[Template] Running Notes.docx"
    # The team moved the template away: the copy fails, permanently, naming it.
    hidden = template.with_suffix(".hidden")
    template.rename(hidden)
    failed = cli("playbook", "run", "create-running-notes", engagement.reference)
    assert failed.code == 1
    assert "step 2 (running-notes) failed:" in failed.err
    assert "[Template] Running Notes" in failed.err
    run = PlaybookRun.objects.get()
    assert (run.status, run.steps.get(step_id="running-notes").status) == ("failed", "failed")
    timeline = engagement.timeline.filter(kind=TimelineEntry.Kind.PLAYBOOK_RUN).get()
    assert timeline.summary.startswith("Playbook Create running notes for the lead: failed at step 2")

    hidden.rename(template)
    resumed = cli("playbook", "run", "create-running-notes", engagement.reference)
    assert resumed.code == 0, resumed.err
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.steps.get(step_id="partner-folder").attempts == 1
    assert engagement.timeline.filter(kind=TimelineEntry.Kind.PLAYBOOK_RUN).count() == 2


def test_meet_with_lead_makes_the_handbook_checklist_and_a_dated_running_notes_entry(cli, data_folder):
    cli("lead", "add", "Harbor University", "--contact", LEE)
    engagement = Engagement.objects.get()
    result = cli("playbook", "run", "meet-with-lead", engagement.reference)
    assert result.code == 0, result.err
    assert list(Task.objects.filter(engagement=engagement).values_list("title", flat=True)) == [
        "Answer the lead's questions",
        "Explain the right to replicate",
        "Offer a demo",
        "Target: verbal close",
        "Forecast the procurement/negotiation and technical/deployment stages",
    ]
    document = Document.objects.get(kind="running_notes")
    path = data_folder / "drive" / document.store_id
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert f"{clock.today().isoformat()} Meeting with Lee Park" in text


def test_a_playbook_refuses_an_engagement_at_the_wrong_stage(cli):
    cli("lead", "add", "Harbor University", "--contact", LEE)
    engagement = Engagement.objects.get()
    cli("lead", "move", engagement.reference, "closed", "--reason", "no budget")
    result = cli("playbook", "run", "hail-the-lead", engagement.reference)
    assert result.code == 1
    assert "hail-the-lead cannot run for" in result.err
    assert "the engagement is at Closed; 'Hail the Lead' runs at Lead" in result.err
    assert StepRun.objects.count() == 0


def test_a_dry_run_of_create_running_notes_shows_the_paths_and_writes_no_file(cli, data_folder):
    cli("lead", "add", "Harbor University", "--contact", LEE)
    engagement = Engagement.objects.get()
    result = cli("playbook", "run", "create-running-notes", engagement.reference, "--dry-run")
    assert result.code == 0, result.err
    assert "Find or create the folder Partnerships/Agreements/Harbor University" in result.out
    assert (
        "to Partnerships/Agreements/Harbor University/Running notes -- Harbor University + 2i2c" in result.out
    )
    assert (
        "Share 'Running notes -- Harbor University + 2i2c' with Lee Park <lee@harbor.example.edu> as editors"
        in result.out
    )
    assert not (data_folder / "drive").exists() or not list((data_folder / "drive").rglob("*.docx"))
    assert Document.objects.count() == Share.objects.count() == OutboxMessage.objects.count() == 0
    assert PlaybookRun.objects.count() == 0
