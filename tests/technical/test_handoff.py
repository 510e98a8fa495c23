"""The technical needs record, and the hand-off to engineering: refused until ready, then filed,
emailed and opened as one GitHub issue, however often it runs."""

from __future__ import annotations

import json

import pytest

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import Engagement

pytestmark = pytest.mark.django_db

REQUIRED_ANSWERS = {
    "community": "Oceanography students and faculty",
    "expected-users": "300",
    "peak-concurrency": "60 during labs",
    "authentication": "the university's identity provider (CILogon)",
    "compute": "2 CPU, 4 GB per user",
    "cloud-region": "GCP us-central1",
    "software-environment": "Python with xarray and dask",
    "launch-date": "2027-01-15",
    "technical-contacts": "Lee Park <lee@harbor.example.edu>",
}


@pytest.fixture
def harbor(cli) -> str:
    return cli(
        "lead", "add", "Harbor University", "--contact", "Lee Park <lee@harbor.example.edu>"
    ).out.strip()


def _answer_everything(cli, reference: str) -> None:
    for key, value in REQUIRED_ANSWERS.items():
        assert cli("tech", "set", reference, key, value, "--source", "meeting").code == 0


def test_the_record_shows_every_question_with_what_is_known_and_what_is_still_to_ask(cli, harbor):
    cli("tech", "set", harbor, "gpus", "--status", "not-applicable")
    cli("tech", "set", harbor, "community", "Oceanography students", "--source", "email")
    shown = json.loads(cli("tech", "show", harbor, "--json").out)
    rows = {row["key"]: row for row in shown["answers"]}
    assert rows["community"] == {
        "key": "community",
        "question": "Who is the community, and what will they use the hub for?",
        "required": True,
        "status": "answered",
        "value": "Oceanography students",
        "source": "email",
    }
    assert rows["gpus"]["status"] == "not-applicable"
    assert rows["domain-name"]["status"] == "to-ask"
    assert "community" not in shown["missing"] and "authentication" in shown["missing"]


def test_an_unknown_question_or_an_empty_answer_is_refused_in_one_line(cli, harbor):
    unknown = cli("tech", "set", harbor, "colour", "blue")
    assert unknown.code == 1 and unknown.err.startswith(
        "partnerdesk tech: no question 'colour' in the questionnaire"
    )
    empty = cli("tech", "set", harbor, "community", "  ")
    assert empty.code == 1 and "an answer cannot be empty" in empty.err


def test_the_handoff_is_refused_while_required_answers_are_missing_and_names_them(
    cli, harbor, handoff_profile
):
    cli("tech", "set", harbor, "community", "Oceanography students")
    refused = cli("tech", "handoff", harbor)
    assert refused.code == 1
    assert f"{harbor} is not ready for the hand-off; still to answer: expected-users (" in refused.err
    assert "technical-contacts (Who are your technical contacts (name and email)?)" in refused.err
    assert "community" not in refused.err
    assert OutboxMessage.objects.count() == 0


def test_a_ready_handoff_files_emails_and_opens_exactly_one_issue_even_when_run_twice(
    cli, harbor, handoff_profile, fake_github, smtp_server, data_folder
):
    _answer_everything(cli, harbor)
    preview = cli("tech", "handoff", harbor, "--dry-run")
    assert preview.code == 0, preview.err
    assert "Dry run: nothing is done." in preview.out and fake_github.issues == []

    first = cli("tech", "handoff", harbor)
    assert first.code == 0, first.err
    again = cli("tech", "handoff", harbor)
    assert again.code == 0, again.err
    assert len(fake_github.issues) == 1
    [issue] = fake_github.issues
    assert issue["title"] == f"[{harbor}] New service request: Harbor University"
    for answer in REQUIRED_ANSWERS.values():
        assert answer in issue["body"]
    assert "issue: https://github.com/2i2c-org/infrastructure/issues/1" in first.out
    post = next(request for request in fake_github.requests if request[0] == "POST")
    assert post[2]["Authorization"] == "Bearer ghp-test-token"

    [filed] = (data_folder / "drive" / "Partnerships" / "Agreements" / "Harbor University").glob("*.md")
    assert "Python with xarray and dask" in filed.read_text(encoding="utf-8")

    assert cli("worker", "--once").code == 0
    [received] = smtp_server.handler.delivered
    assert received.rcpt_tos == ["engineering@2i2c.org"]
    assert "CILogon" in received.message.get_body(preferencelist=("plain",)).get_content()
    shown = json.loads(cli("tech", "show", harbor, "--json").out)
    assert shown["handoff"]["issue_url"] == "https://github.com/2i2c-org/infrastructure/issues/1"
    assert (
        Engagement.objects.get().timeline.filter(summary__startswith="Handed off to engineering").count() == 2
    )


def test_a_github_outage_fails_the_handoff_with_a_retry_hint_and_a_rerun_opens_the_issue_once(
    cli, harbor, handoff_profile, fake_github
):
    _answer_everything(cli, harbor)
    fake_github.fail_next = 502
    failed = cli("tech", "handoff", harbor)
    assert failed.code == 1
    assert (
        "GitHub:" in failed.err
        and "HTTP 502" in failed.err
        and "run the hand-off again to retry" in failed.err
    )
    assert cli("tech", "handoff", harbor).code == 0
    assert len(fake_github.issues) == 1
    assert OutboxMessage.objects.count() == 1  # the email was queued once, on the first attempt


def test_a_handoff_with_nowhere_to_go_says_which_profile_keys_to_set(cli, harbor):
    _answer_everything(cli, harbor)
    result = cli("tech", "handoff", harbor)
    assert result.code == 1
    assert "set technical.engineering_email and/or technical.github_repository" in result.err
