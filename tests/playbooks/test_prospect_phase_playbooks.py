"""The Prospect-phase SOPs end to end on the command line: the draft contract, negotiated
versions, ready to sign, the circulation email on a real SMTP server, the executed close."""

from __future__ import annotations

import email
import email.policy
import io
import sys

import docx
import pytest

from partnerdesk.agreements.models import Agreement
from partnerdesk.documents.base import get_store
from partnerdesk.documents.models import Document, RunningNoteEntry, Share
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import Engagement, Task, TimelineEntry
from partnerdesk.profile import DEFAULT_PROFILE_PATH
from tests.agreements.conftest import edited

pytestmark = pytest.mark.django_db

LEE = "Lee Park <lee@harbor.example.edu>"
ANA = "Ana Ruiz <ana@harbor.example.edu>"


def _ok(result):
    assert result.code == 0, result.err
    return result


@pytest.fixture
def prospect(cli):
    """Harbor University at Prospect, through the commands of the README."""
    out = _ok(cli("lead", "add", "Harbor University", "--contact", LEE, "--contact", ANA)).out
    reference = out.strip().splitlines()[-1]
    _ok(cli("lead", "qualify", reference, "--good-candidate", "yes", "--qualified", "yes"))
    _ok(cli("lead", "move", reference, "qualified-lead"))
    _ok(cli("lead", "verbal-yes", reference, "--by", "Lee Park"))
    _ok(cli("lead", "move", reference, "prospect"))
    return reference


def _draft_title():
    return f"Harbor University + 2i2c/CS&S - Services Agreement {clock.today().isoformat()}"


def _ready(cli, reference, tmp_path):
    """Two negotiated versions, the terms, the signatories and the statement of work; then ready."""
    agreement = Agreement.objects.get()
    first = get_store().read_bytes(agreement.versions.get(number=1).store_id)
    redline = tmp_path / "Harbor redline.docx"
    redline.write_bytes(edited(first, {"twelve (12) months": "twenty-four (24) months"}))
    attached = _ok(cli("agreement", "attach", reference, str(redline)))
    assert "~ paragraph" in attached.out and "[-twelve (12)-] {+twenty-four (24)+}" in attached.out
    final = tmp_path / "Harbor final.docx"
    final.write_bytes(edited(redline.read_bytes(), {}, append="Governing law: California."))
    attached = _ok(cli("agreement", "attach", reference, str(final)))
    assert "+ paragraph" in attached.out and "Governing law: California." in attached.out
    _ok(cli("agreement", "set", reference, "--value", "12000", "--currency", "USD"))
    _ok(cli("agreement", "set", reference, "--term-start", "2027-01-01", "--term-end", "2028-12-31"))
    _ok(cli("agreement", "signatory", "add", reference, LEE, "--role", "CIO"))
    _ok(
        cli(
            "agreement",
            "signatory",
            "add",
            reference,
            "Sam Chen <sam@codeforscience.org>",
            "--organization",
            "Code for Science & Society",
            "--role",
            "Executive Director",
        )
    )
    _ok(
        cli(
            "agreement",
            "addendum",
            "add",
            reference,
            "--kind",
            "statement-of-work",
            "--title",
            "Addendum A: a hub for 200 students",
        )
    )
    _ok(
        cli(
            "agreement",
            "addendum",
            "add",
            reference,
            "--kind",
            "deliverable",
            "--title",
            "Hub live",
            "--due",
            "2027-01-15",
        )
    )
    _ok(cli("agreement", "ready", reference))


def test_send_draft_contract_does_what_the_handbook_says(cli, prospect):
    result = _ok(cli("playbook", "run", "send-draft-contract", prospect))
    assert "send-draft-contract: done" in result.out
    title = _draft_title()
    document = Document.objects.get(kind=Document.Kind.AGREEMENT)
    assert document.title == title  # the slash kept in the name
    assert document.folder_path == "Partnerships/Agreements/Harbor University"
    content = get_store().read_bytes(document.store_id)
    opened = docx.Document(io.BytesIO(content))
    text = "\n".join(paragraph.text for paragraph in opened.paragraphs)
    assert "between Harbor University and 2i2c/CS&S" in text
    assert "PartnerX" not in text
    assert opened.tables[0].rows[0].cells[1].text == "Harbor University"
    assert opened.core_properties.title == title
    assert "/" not in document.store_id.rsplit("/", 1)[-1]  # made safe on disk
    shares = Share.objects.filter(document=document)
    assert sorted((s.contact.email, s.role) for s in shares) == [
        ("ana@harbor.example.edu", "editor"),
        ("lee@harbor.example.edu", "editor"),
    ]
    [entry] = RunningNoteEntry.objects.all()
    assert entry.line == f"{clock.today().isoformat()} Sent (Draft) Service Agreement as shared Google doc"
    agreement = Agreement.objects.get()
    assert (agreement.title, agreement.status, agreement.document) == (title, "draft", document)
    assert agreement.versions.get().number == 1
    assert OutboxMessage.objects.count() == 2  # the share notifications
    again = cli("playbook", "run", "send-draft-contract", prospect)
    assert again.code == 1 and "already ran" in again.err


def test_docusign_agreement_refuses_until_ready_to_sign_naming_what_is_missing(cli, prospect):
    refused = cli("playbook", "run", "docusign-agreement", prospect)
    assert refused.code == 1
    assert "has no services agreement yet (run send-draft-contract)" in refused.err
    _ok(cli("playbook", "run", "send-draft-contract", prospect))
    _ok(cli("agreement", "set", prospect, "--value", "12000", "--currency", "USD"))
    refused = cli("playbook", "run", "docusign-agreement", prospect)
    assert refused.code == 1
    assert (
        "the agreement is not ready to sign: missing signatories (name, email, organization, role); "
        "the term start; the term end; a statement of work (addendum)"
    ) in refused.err
    not_ready = cli("agreement", "ready", prospect)
    assert not_ready.code == 1
    assert "is not ready to sign: missing signatories" in not_ready.err
    dry = cli("playbook", "run", "docusign-agreement", prospect, "--dry-run")
    assert dry.code == 1
    assert not [m for m in OutboxMessage.objects.all() if "fsp@codeforscience.org" in m.to]


def test_partner_is_refused_without_an_executed_agreement(cli, prospect):
    refused = cli("lead", "move", prospect, "partner")
    assert refused.code == 1
    assert Engagement.objects.get().stage == "prospect"
    _ok(cli("playbook", "run", "send-draft-contract", prospect))
    executed = cli("agreement", "executed", prospect)
    assert executed.code == 1
    assert "is not ready to sign: missing" in executed.err
    assert Engagement.objects.get().stage == "prospect"


def test_the_whole_prospect_path_ends_at_partner(cli, prospect, tmp_path, smtp_server):
    _ok(cli("playbook", "run", "send-draft-contract", prospect))
    _ok(cli("worker", "--once"))
    smtp_server.handler.attempts.clear()
    _ready(cli, prospect, tmp_path)
    shown = _ok(cli("agreement", "show", prospect)).out
    assert "status: ready to sign" in shown and "v3: Harbor final.docx" in shown

    preview = _ok(cli("playbook", "run", "docusign-agreement", prospect, "--dry-run")).out
    assert f"attached: {_draft_title().replace('/', '-')}.docx (version 3)" in preview
    _ok(cli("playbook", "run", "docusign-agreement", prospect))
    assert Agreement.objects.get().status == "out_for_signature"
    _ok(cli("worker", "--once"))

    [received] = smtp_server.handler.delivered
    message = received.message
    assert sorted(received.rcpt_tos) == ["fsp@codeforscience.org", "partnerships@2i2c.org"]
    assert message["From"] == "2i2c's Partnerships Team <partnerships@2i2c.org>"
    assert message["Subject"] == f"[{prospect}] Please circulate for DocuSign: {_draft_title()}"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "circulate the attached executable agreement for DocuSigning by all signatories" in body
    assert "1. Lee Park <lee@harbor.example.edu> (CIO, Harbor University)" in body
    assert "2. Sam Chen <sam@codeforscience.org> (Executive Director, Code for Science & Society)" in body
    assert "Value: 12,000.00 USD" in body and "Term: 2027-01-01 to 2028-12-31" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{_draft_title().replace('/', '-')}.docx"
    attached = docx.Document(io.BytesIO(attachment.get_content()))
    texts = [paragraph.text for paragraph in attached.paragraphs]
    assert "Governing law: California." in texts  # the current version, not the draft
    assert any("twenty-four (24) months" in text for text in texts)

    signed = tmp_path / "Harbor signed.pdf"
    signed.write_bytes(b"%PDF-1.4 all signatures in")
    done = _ok(cli("agreement", "executed", prospect, "--signed", str(signed)))
    assert f"{prospect} moved to Partner" in done.out
    engagement = Engagement.objects.get()
    assert engagement.stage == "partner"
    assert engagement.executed_agreement == _draft_title()
    shown = _ok(cli("agreement", "show", prospect, "--json")).out
    assert '"status": "executed"' in shown and '"signed": true' in shown
    kinds = list(engagement.timeline.values_list("kind", flat=True))
    assert TimelineEntry.Kind.EXECUTED_CLOSE in kinds and kinds.count(TimelineEntry.Kind.AGREEMENT) >= 10


def test_a_converter_in_the_profile_adds_a_pdf(cli, prospect, tmp_path, profile_file):
    script = tmp_path / "convert.py"
    script.write_text(
        "import pathlib, sys\n"
        "source, outdir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])\n"
        "(outdir / (source.stem + '.pdf')).write_bytes(b'%PDF-1.4 ' + source.read_bytes()[:2])\n",
        encoding="utf-8",
    )
    profile_file(
        DEFAULT_PROFILE_PATH.read_text(encoding="utf-8").replace(
            'pdf_converter = ""', f'pdf_converter = "{sys.executable} {script} {{input}} {{outdir}}"'
        )
    )
    _ok(cli("playbook", "run", "send-draft-contract", prospect))
    _ready(cli, prospect, tmp_path)
    _ok(cli("playbook", "run", "docusign-agreement", prospect))
    [message] = [m for m in OutboxMessage.objects.all() if "fsp@codeforscience.org" in m.to]
    parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
    names = [part.get_filename() for part in parsed.iter_attachments()]
    title = _draft_title().replace("/", "-")
    assert names == [f"{title}.docx", f"{title}.pdf"]
    assert [part.get_content() for part in parsed.iter_attachments()][1] == b"%PDF-1.4 PK"


def test_the_partner_phase_first_playbook_is_queued_at_the_close_and_run_once_by_the_worker(
    cli, prospect, tmp_path, profile_file
):
    team = tmp_path / "playbooks"
    team.mkdir()
    (team / "launch-meeting.toml").write_text(
        'name = "launch-meeting"\ntitle = "Launch Meeting"\nphase = "partner"\n'
        'description = "Kick off the partnership."\n'
        '[trigger]\nkind = "manual"\ndescription = "The agreement is executed."\n'
        '[guards]\nstages = ["partner"]\n'
        '[[steps]]\nid = "kickoff"\nkind = "create_task"\n'
        'title = "Plan the kickoff"\ntask = "Plan the kickoff"\n',
        encoding="utf-8",
    )
    from partnerdesk.profile import DEFAULT_PROFILE_PATH

    profile_file(
        DEFAULT_PROFILE_PATH.read_text(encoding="utf-8").replace('folder = ""', f'folder = "{team}"')
    )
    _ok(cli("playbook", "run", "send-draft-contract", prospect))
    _ready(cli, prospect, tmp_path)
    done = _ok(cli("agreement", "executed", prospect))
    assert "launch-meeting is queued" in done.out
    assert not Task.objects.filter(title="Plan the kickoff").exists(), "the close does not wait for it"

    _ok(cli("worker", "--once"))
    _ok(cli("worker", "--once"))

    assert Task.objects.filter(title="Plan the kickoff").count() == 1, "run once, however many passes"


def test_a_dry_run_of_send_draft_contract_shows_the_name_and_does_nothing(cli, prospect, data_folder):
    preview = _ok(cli("playbook", "run", "send-draft-contract", prospect, "--dry-run")).out
    assert f"to Partnerships/Agreements/Harbor University/{_draft_title()}" in preview
    assert f"Track {_draft_title()!r} as the engagement's services agreement" in preview
    assert "Sent (Draft) Service Agreement as shared Google doc" in preview
    assert not Agreement.objects.exists() and not Document.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert not (data_folder / "drive" / "Partnerships" / "Agreements").exists()


def _reply(*, sender: str, to_message, message_id: str, filename: str, content: bytes) -> bytes:
    """A reply to one of our messages (as the SMTP server got it), with a file attached."""
    reply = email.message.EmailMessage()
    reply["From"] = sender
    reply["To"] = "partnerships@2i2c.org"
    reply["Subject"] = f"Re: {to_message['Subject']}"
    reply["Message-ID"] = f"<{message_id}>"
    reply["In-Reply-To"] = to_message["Message-ID"]
    reply["References"] = to_message["Message-ID"]
    reply.set_content("Here it is.\n")
    if filename.endswith(".pdf"):
        reply.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
    else:
        reply.add_attachment(
            content,
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename=filename,
        )
    return reply.as_bytes()


def test_the_prospect_path_with_the_partners_redline_and_the_signed_copy_arriving_through_mailgate(
    cli, prospect, tmp_path, smtp_server, data_folder, mailbox_checks_senders
):
    from tests.inbound.conftest import mailgate

    _ok(cli("playbook", "run", "send-draft-contract", prospect))
    _ok(cli("worker", "--once"))
    # Lee answers the notification that the draft was shared with him.
    share = next(
        r.message for r in smtp_server.handler.delivered if r.message["To"] == "lee@harbor.example.edu"
    )
    smtp_server.handler.attempts.clear()

    # Version 2 by `agreement attach`, version 3 a partner's .docx in a reply through mailgate.
    agreement = Agreement.objects.get()
    first = get_store().read_bytes(agreement.versions.get(number=1).store_id)
    redline = tmp_path / "Harbor redline.docx"
    redline.write_bytes(edited(first, {"twelve (12) months": "twenty-four (24) months"}))
    _ok(cli("agreement", "attach", prospect, str(redline)))
    answer = _reply(
        sender=LEE,
        to_message=share,
        message_id="redline-2@harbor.example.edu",
        filename="Harbor final.docx",
        content=edited(redline.read_bytes(), {}, append="Governing law: California."),
    )
    piped = mailgate(answer, home=data_folder)
    assert (piped.returncode, piped.stderr) == (0, b"")
    _ok(cli("worker", "--once"))
    shown = _ok(cli("agreement", "show", prospect)).out
    assert "v3: Harbor final.docx by mail:lee@harbor.example.edu" in shown
    assert "+ paragraph" in shown and "Governing law: California." in shown
    assert "status: negotiating" in shown

    _ok(cli("agreement", "set", prospect, "--value", "12000", "--currency", "USD"))
    _ok(cli("agreement", "set", prospect, "--term-start", "2027-01-01", "--term-end", "2028-12-31"))
    _ok(cli("agreement", "signatory", "add", prospect, LEE, "--role", "CIO"))
    _ok(cli("agreement", "addendum", "add", prospect, "--kind", "statement-of-work", "--title", "A hub"))
    _ok(cli("agreement", "ready", prospect))
    _ok(cli("playbook", "run", "docusign-agreement", prospect))
    _ok(cli("worker", "--once"))
    [circulation] = [r.message for r in smtp_server.handler.delivered]
    assert circulation["To"] == "fsp@codeforscience.org"
    [attachment] = list(circulation.iter_attachments())
    texts = [p.text for p in docx.Document(io.BytesIO(attachment.get_content())).paragraphs]
    assert "Governing law: California." in texts  # the partner's emailed version went out

    signed = _reply(
        sender="CS&S <fsp@codeforscience.org>",
        to_message=circulation,
        message_id="completed-1@codeforscience.org",
        filename="Harbor - signed.pdf",
        content=b"%PDF-1.4 all signatures in",
    )
    proof = b"Authentication-Results: mx.2i2c.org; dmarc=pass header.from=codeforscience.org\n"
    assert mailgate(proof + signed, home=data_folder).returncode == 0
    _ok(cli("worker", "--once"))
    engagement = Engagement.objects.get()
    assert engagement.stage == "partner"
    assert engagement.executed_agreement == _draft_title()
    shown = _ok(cli("agreement", "show", prospect)).out
    assert "status: executed" in shown and "v4 (signed): Harbor - signed.pdf" in shown
    routes = list(InboundMessage.objects.order_by("id").values_list("route", flat=True))
    assert routes == ["agreement_version", "agreement_executed"]
