"""Forged mail is never obeyed: the attacks tried on the first release, each asserting that
nothing happened (no contact, no run, no share, no stage, no mail to the attacker), and genuine
aligned mail in the same run asserting that it did act."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from partnerdesk.agreements import services as agreements
from partnerdesk.agreements.models import Agreement
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.processing import messages_process_due
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Contact, Engagement
from partnerdesk.playbooks.models import PlaybookRun
from partnerdesk.profile import DEFAULT_PROFILE_PATH
from tests.agreements.test_agreement_by_mail import FIRST, out_for_signature
from tests.conftest import profile_text_checking_senders
from tests.inbound.conftest import receive

pytestmark = pytest.mark.django_db

Status = InboundMessage.Status
OURS = "mx.2i2c.org"
HAIL = "Partner: Harbor University\nMallory <mallory@evil.example>\n"


def results(text: str) -> str:
    return f"Authentication-Results: {text}\n"


def dmarc(outcome: str, domain: str, host: str = OURS) -> str:
    return results(f"{host}; dmarc={outcome} (p=reject) header.from={domain}")


def command(
    *from_lines: str,
    headers: str = "",
    subject: str = "Hail the Lead",
    body: str = HAIL,
    number: int = 1,
) -> bytes:
    froms = "".join(f"From: {line}\n" for line in from_lines)
    return (
        f"{headers}{froms}To: partnerships@2i2c.org\nSubject: {subject}\n"
        f"Message-ID: <forgery-{number}@example.net>\nContent-Type: text/plain; charset=utf-8\n\n{body}"
    ).encode()


def sponsor_reply(engagement: Engagement, *, sender: str, headers: str = "") -> bytes:
    reply = EmailMessage()  # From is written raw below: EmailMessage would decode an encoded word
    reply["To"] = "partnerships@2i2c.org"
    reply["Subject"] = f"Re: [{engagement.reference}] Services Agreement"
    reply["Message-ID"] = "<signed-1@example.net>"
    reply.set_content("All signatures are in.\n")
    reply.add_attachment(b"%PDF-1.4 forged", maintype="application", subtype="pdf", filename="signed.pdf")
    return f"{headers}From: {sender}\n".encode() + reply.as_bytes()


@pytest.fixture
def harbor(db, alice_actor) -> Engagement:
    """Harbor University at Prospect, its agreement out for signature with the fiscal sponsor."""
    engagement = services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=alice_actor,
    )
    Engagement.objects.filter(pk=engagement.pk).update(stage="prospect")
    engagement.refresh_from_db()
    agreement = agreements.agreement_create(engagement=engagement, actor=alice_actor)
    agreements.agreement_attach(agreement=agreement, content=FIRST, filename="draft.docx", actor=alice_actor)
    agreement.refresh_from_db()
    out_for_signature(agreement, alice_actor)
    return engagement


def world() -> dict:
    """Everything a forgery could change."""
    return {
        "engagements": sorted(Engagement.objects.values_list("id", "stage")),
        "contacts": sorted(Contact.objects.values_list("email", flat=True)),
        "runs": PlaybookRun.objects.count(),
        "agreements": sorted(Agreement.objects.values_list("id", "status")),
    }


def recipients() -> set[str]:
    return {address for row in OutboxMessage.objects.all() for address in row.envelope_to}


@pytest.fixture
def checking(profile_file):
    """A production mailbox: the profile names our receiving host."""
    profile_file(profile_text_checking_senders(OURS))


@pytest.fixture
def checking_with_dkim(profile_file):
    profile_file(
        profile_text_checking_senders(OURS).replace(
            "accept_dkim_alignment = false", "accept_dkim_alignment = true"
        )
    )


B64_ALICE = "=?utf-8?b?YWxpY2VAMmkyYy5vcmc=?="  # alice@2i2c.org as an encoded word

# (case, profile fixture, From lines, extra headers, expected status)
COMMAND_FORGERIES = [
    (
        "encoded word posing as the address in the display name",
        "checking",
        ["=?utf-8?q?alice=402i2c=2Eorg?= <mallory@evil.example>"],
        dmarc("pass", "evil.example"),
        None,
    ),
    ("the whole From an encoded word", "checking", [B64_ALICE], dmarc("pass", "2i2c.org"), Status.IGNORED),
    (
        "encoded word inside the angle brackets",
        "checking",
        ["Alice <=?utf-8?q?alice=402i2c.org?=>"],
        dmarc("pass", "2i2c.org"),
        Status.IGNORED,
    ),
    (
        "quoted display name that is our address",
        "checking",
        ['"alice@2i2c.org" <mallory@evil.example>'],
        dmarc("pass", "evil.example"),
        None,
    ),
    (
        "bare display name that is our address",
        "checking",
        ["alice@2i2c.org <mallory@evil.example>"],
        dmarc("pass", "2i2c.org"),
        Status.HELD,
    ),
    (
        "our address in a comment",
        "checking",
        ["mallory@evil.example (alice@2i2c.org)"],
        dmarc("pass", "evil.example"),
        None,
    ),
    (
        "two addresses in one From",
        "checking",
        ["alice@2i2c.org, mallory@evil.example"],
        dmarc("pass", "2i2c.org"),
        Status.HELD,
    ),
    (
        "two From headers",
        "checking",
        ["alice@2i2c.org", "mallory@evil.example"],
        dmarc("pass", "2i2c.org"),
        Status.HELD,
    ),
    (
        "a Sender other than From",
        "checking",
        ["alice@2i2c.org"],
        "Sender: mallory@evil.example\n" + dmarc("pass", "2i2c.org"),
        Status.HELD,
    ),
    (
        "a forged pass below our host's own result",
        "checking",
        ["alice@2i2c.org"],
        dmarc("none", "2i2c.org") + dmarc("pass", "2i2c.org"),
        Status.HELD,
    ),
    (
        "a pass from another authserv-id",
        "checking",
        ["alice@2i2c.org"],
        dmarc("pass", "2i2c.org", host="mx.evil.example"),
        Status.HELD,
    ),
    (
        "our authserv-id as a longer host name",
        "checking",
        ["alice@2i2c.org"],
        dmarc("pass", "2i2c.org", host="mx.2i2c.org.evil.example"),
        Status.HELD,
    ),
    (
        "a DMARC pass for another domain",
        "checking",
        ["alice@2i2c.org"],
        dmarc("pass", "evil.example"),
        Status.HELD,
    ),
    ("a DMARC fail", "checking", ["alice@2i2c.org"], dmarc("fail", "2i2c.org"), Status.REFUSED),
    (
        "a DMARC fail below a forged pass",
        "checking",
        ["alice@2i2c.org"],
        dmarc("pass", "2i2c.org", host="mx.evil.example") + dmarc("fail", "2i2c.org"),
        Status.REFUSED,
    ),
    ("no Authentication-Results at all", "checking", ["alice@2i2c.org"], "", Status.HELD),
    (
        "an encoded word in Authentication-Results",
        "checking",
        ["alice@2i2c.org"],
        "Authentication-Results: =?utf-8?q?mx.2i2c.org=3B_dmarc=3Dpass_header.from=3D2i2c.org?=\n",
        Status.HELD,
    ),
    (
        "DKIM aligned but the profile takes only DMARC",
        "checking",
        ["alice@2i2c.org"],
        results(f"{OURS}; dkim=pass header.d=2i2c.org"),
        Status.HELD,
    ),
    (
        "DKIM for another domain",
        "checking_with_dkim",
        ["alice@2i2c.org"],
        results(f"{OURS}; dkim=pass header.d=evil.example"),
        Status.HELD,
    ),
    ("a lookalike domain", "checking", ["alice@2i2c-org.example"], dmarc("pass", "2i2c-org.example"), None),
    ("a Unicode homoglyph domain", "checking", ["alice@2\u04562c.org"], "", Status.IGNORED),
    (
        "a punycode homoglyph domain",
        "checking",
        ["alice@xn--2c-gmc8b.org"],
        dmarc("pass", "xn--2c-gmc8b.org"),
        None,
    ),
    ("a subdomain of ours", "checking", ["alice@evil.2i2c.org"], dmarc("pass", "evil.2i2c.org"), None),
    (
        "our domain as a subdomain of theirs",
        "checking",
        ["alice@2i2c.org.evil.example"],
        dmarc("pass", "2i2c.org.evil.example"),
        None,
    ),
    (
        "a fresh install trusts no Authentication-Results",
        "default",
        ["alice@2i2c.org"],
        dmarc("pass", "2i2c.org"),
        Status.HELD,
    ),
    (
        "a Reply-To pointing elsewhere on a fresh install",
        "default",
        ["alice@2i2c.org"],
        "Reply-To: mallory@evil.example\n",
        Status.HELD,
    ),
]


@pytest.mark.parametrize(
    "case,profile,from_lines,headers,expected",
    COMMAND_FORGERIES,
    ids=[case[0] for case in COMMAND_FORGERIES],
)
def test_a_forged_team_command_does_nothing(request, harbor, case, profile, from_lines, headers, expected):
    if profile != "default":
        request.getfixturevalue(profile)
    before = world()
    message = receive(command(*from_lines, headers=headers))
    after = world()
    if expected is None:  # not a team address at all: an outsider's mail, a Lead for triage at most
        assert message.route == "new_lead"
        assert after["runs"] == before["runs"]
        assert after["agreements"] == before["agreements"]
        assert "mallory@evil.example" not in recipients()
        assert not OutboxMessage.objects.exists()
        return
    assert message.status == expected, message.outcome
    assert after == before
    assert not recipients() - {"alice@2i2c.org"}  # at most a request to confirm, to the claimed sender
    if expected == Status.REFUSED:
        assert not OutboxMessage.objects.exists()


SPONSOR_FORGERIES = [
    ("no proof", "checking", "fsp@codeforscience.org", "", Status.HELD),
    (
        "a fresh install",
        "default",
        "fsp@codeforscience.org",
        dmarc("pass", "codeforscience.org"),
        Status.HELD,
    ),
    (
        "a pass from another host",
        "checking",
        "fsp@codeforscience.org",
        dmarc("pass", "codeforscience.org", host="mx.evil.example"),
        Status.HELD,
    ),
    (
        "a DMARC fail",
        "checking",
        "fsp@codeforscience.org",
        dmarc("fail", "codeforscience.org"),
        Status.REFUSED,
    ),
    (
        "the sponsor's address as an encoded word",
        "checking",
        "=?utf-8?q?fsp=40codeforscience.org?= <mallory@evil.example>",
        dmarc("pass", "evil.example"),
        Status.PROCESSED,
    ),
]


@pytest.mark.parametrize(
    "case,profile,sender,headers,expected", SPONSOR_FORGERIES, ids=[case[0] for case in SPONSOR_FORGERIES]
)
def test_a_forged_fiscal_sponsor_with_a_signed_pdf_makes_no_partner(
    request, harbor, case, profile, sender, headers, expected
):
    if profile != "default":
        request.getfixturevalue(profile)
    before = world()
    message = receive(sponsor_reply(harbor, sender=sender, headers=headers))
    assert message.status == expected, message.outcome
    assert message.route != "agreement_executed"
    assert world() == before
    assert Agreement.objects.get().status == "out_for_signature"
    assert not OutboxMessage.objects.exists()  # nobody is asked: a team member confirms in the web


def test_genuine_aligned_mail_acts_in_the_same_run(harbor, checking):
    hail = receive(
        command(
            "Alice Ng <alice@2i2c.org>",
            headers=dmarc("pass", "2i2c.org"),
            body=("Partner: Ridge College\nRo Diaz <ro@ridge.example.edu>\n"),
        )
    )
    assert (hail.status, hail.route) == (Status.PROCESSED, "command")
    assert Contact.objects.filter(email="ro@ridge.example.edu").exists()
    assert recipients() >= {"ro@ridge.example.edu", "alice@2i2c.org"}

    signed = receive(
        sponsor_reply(
            harbor, sender="CS&S <fsp@codeforscience.org>", headers=dmarc("pass", "codeforscience.org")
        )
    )
    assert signed.route == "agreement_executed"
    harbor.refresh_from_db()
    assert harbor.stage == "partner"


def test_dkim_aligned_mail_acts_when_the_profile_accepts_it(harbor, checking_with_dkim):
    hail = receive(
        command(
            "alice@2i2c.org",
            headers=results(f"{OURS}; dkim=pass header.d=2i2c.org"),
            body="Partner: Ridge College\nro@ridge.example.edu\n",
        )
    )
    assert hail.route == "command"


def confirmation_code(to: str) -> str:
    [request] = OutboxMessage.objects.filter(subject__contains="Confirm your request")
    assert request.envelope_to == [to]
    text = email.message_from_bytes(bytes(request.raw), policy=email.policy.default)
    body = text.get_body(preferencelist=("plain",)).get_content()
    line = next(line for line in body.splitlines() if line.strip().startswith("Confirm:"))
    return line.split(":", 1)[1].strip()


def test_on_a_fresh_install_a_held_command_runs_when_its_sender_replies_with_the_code(harbor):
    held = receive(
        command(
            "Alice Ng <alice@2i2c.org>",
            headers="Reply-To: mallory@evil.example\n",
            body="Partner: Ridge College\nro@ridge.example.edu\n",
        )
    )
    assert held.status == Status.HELD
    assert "alice@2i2c.org was asked to confirm it" in held.outcome
    code = confirmation_code("alice@2i2c.org")  # never the Reply-To
    assert not Contact.objects.filter(email="ro@ridge.example.edu").exists()

    wrong = receive(
        command("alice@2i2c.org", subject="Re: Confirm your request", body="Confirm: ABCD-EFGH\n", number=2)
    )
    assert wrong.route != "confirmation"
    reply = receive(
        command(
            "alice@2i2c.org",
            subject="Re: Confirm your request: Hail the Lead",
            body=f"Yes, that was me.\n\nConfirm: {code.lower()}\n",
            number=3,
        )
    )
    assert reply.route == "confirmation"
    messages_process_due()
    held.refresh_from_db()
    assert (held.status, held.route) == (Status.PROCESSED, "command")
    assert held.confirmed_by == "alice@2i2c.org (code by mail)"
    assert Contact.objects.filter(email="ro@ridge.example.edu").exists()


def test_a_code_from_another_address_confirms_nothing(harbor):
    held = receive(command("alice@2i2c.org", body="Partner: Ridge College\nro@ridge.example.edu\n"))
    code = confirmation_code("alice@2i2c.org")
    receive(command("bob@2i2c.org", subject="Re: Confirm", body=f"Confirm: {code}\n", number=2))
    held.refresh_from_db()
    assert held.status == Status.HELD


def test_an_auto_responder_without_headers_gets_at_most_three_answers_a_day(harbor, checking):
    """A team member's vacation notice that keeps naming the SOP in its subject: no loop."""
    receive(command("alice@2i2c.org", headers=dmarc("pass", "2i2c.org"), body="Hail the Lead\n"))
    for number in range(2, 9):
        receive(
            command(
                "alice@2i2c.org",
                headers=dmarc("pass", "2i2c.org"),
                subject="Re: Hail the Lead",
                body=f"I am away until Monday ({number}).\n",
                number=number,
            )
        )
    answers = [row for row in OutboxMessage.objects.all() if row.envelope_to == ["alice@2i2c.org"]]
    assert len(answers) == 1 + 3  # the request's answer, then three to the auto-responder


def test_a_message_that_repeats_our_automatic_answer_gets_no_answer(harbor, checking):
    first = receive(command("alice@2i2c.org", headers=dmarc("pass", "2i2c.org"), body="Hail the Lead\n"))
    [answer] = OutboxMessage.objects.filter(envelope_to=["alice@2i2c.org"])
    echoed = email.message_from_bytes(bytes(answer.raw), policy=email.policy.default)
    text = echoed.get_body(preferencelist=("plain",)).get_content()
    echo = command(
        "alice@2i2c.org",
        headers=dmarc("pass", "2i2c.org") + f"In-Reply-To: {answer.message_id}\n",
        subject=f"Re: {echoed['Subject']}",
        body=text,
        number=2,
    )
    receive(echo)
    assert first.status == Status.PROCESSED
    assert OutboxMessage.objects.filter(envelope_to=["alice@2i2c.org"]).count() == 1


def test_the_shipped_profile_holds_commands(harbor):
    assert '\nauthserv_id = ""\n' in DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")
    assert receive(command("alice@2i2c.org", headers=dmarc("pass", "2i2c.org"))).status == Status.HELD
