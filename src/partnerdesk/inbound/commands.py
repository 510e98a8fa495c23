"""A team member's command by email: the SOP it names, its parameters, the run, and the answer.

The answer goes back in the same thread (In-Reply-To/References), carries
`Auto-Submitted: auto-replied` so no well-behaved system answers it, and says what was done with
the engagement's reference, or what is missing and how to ask again.
"""

from __future__ import annotations

import logging

from partnerdesk.inbound.auto_reply import automatic_reply_queue
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.parsing import ParsedMessage
from partnerdesk.inbound.reading import (
    bare_subject,
    first_line,
    mentioned_people,
    named_phrase,
    organization_from_domain,
    partner_line,
)
from partnerdesk.pipeline.models import Contact, Engagement, Source
from partnerdesk.pipeline.services import Actor
from partnerdesk.pipeline.stages import OPEN_STAGES
from partnerdesk.playbooks.engine import NewLead, PlaybookRefused, RunReport, playbook_run
from partnerdesk.playbooks.library import get_library
from partnerdesk.playbooks.specs import PlaybookSpec
from partnerdesk.profile import get_profile

log = logging.getLogger("partnerdesk.inbound")

HOW_TO_ASK = """To ask again, write to {mailbox} (or reply to this message) with the SOP's name in the
subject or on the first line, the partner on a `Partner:` line, and each contact on a line of its
own, for example:

    Subject: Hail the Lead
    Partner: Harbor University
    Lee Park <lee@harbor.example.edu>

For an SOP about an existing engagement, put its reference (like [{prefix}-12]) in the subject.
The SOPs I know: {known}."""


def command_spec(parsed: ParsedMessage) -> PlaybookSpec | None:
    """The playbook whose title or trigger phrase the subject or the first line names."""
    phrases: dict[str, PlaybookSpec] = {}
    for spec in get_library().playbooks.values():
        for phrase in [spec.title, *spec.trigger.phrases]:
            phrases.setdefault(phrase.lower(), spec)
    hit = named_phrase(phrases, bare_subject(parsed.subject), first_line(parsed.text))
    return phrases[hit.lower()] if hit else None


def _body_text(parsed: ParsedMessage) -> str:
    return "\n".join([parsed.text, *parsed.forwarded])


def _contacts(parsed: ParsedMessage) -> list[tuple[str, str]]:
    profile = get_profile()
    people = []
    for person in mentioned_people(_body_text(parsed)):
        email = person.email
        if email == parsed.from_addr or email == profile.mailbox.address or profile.is_team_address(email):
            continue
        if email.endswith(("@calendly.com", ".calendly.com")) or email.partition("@")[0] in (
            "no-reply",
            "noreply",
        ):
            continue
        people.append((person.name, email))
    return people


def _partner(parsed: ParsedMessage, contacts: list[tuple[str, str]]) -> str:
    named = partner_line(_body_text(parsed))
    if named:
        return named
    emails = [email for _, email in contacts]
    known = Contact.objects.filter(email__in=emails, organization__isnull=False).select_related(
        "organization"
    )
    for contact in known:
        return contact.organization.name
    for email in emails:
        domain = organization_from_domain(email)
        if domain:
            return domain
    return ""


def _engagement_for(contacts: list[tuple[str, str]]) -> Engagement | None:
    return (
        Engagement.objects.filter(
            contacts__email__in=[email for _, email in contacts], stage__in=[s.value for s in OPEN_STAGES]
        )
        .select_related("organization")
        .order_by("-id")
        .first()
    )


def _report_text(spec: PlaybookSpec, report: RunReport) -> str:
    engagement = report.engagement
    assert engagement is not None
    if report.succeeded:
        head = f"Done: {spec.title} for {engagement.organization.name} ({engagement.reference})."
    else:
        failed = report.failed_step
        error = failed.lines[0] if failed and failed.lines else "a step failed"
        head = (
            f"{spec.title} for {engagement.organization.name} ({engagement.reference}) stopped: {error}\n"
            "Nothing that was done will be done twice: send the same request again to resume it."
        )
    lines = [head, ""]
    for step in report.steps:
        detail = f": {step.lines[0]}" if step.lines and step.lines[0] else ""
        lines.append(f"  {step.index}. [{step.status}] {step.title}{detail}")
    contacts = ", ".join(str(c) for c in engagement.contacts.all())
    lines += ["", f"Engagement: {engagement.reference}, {engagement.organization.name}; contacts: {contacts}"]
    return "\n".join(lines)


def _missing_text(spec: PlaybookSpec, missing: str) -> str:
    profile = get_profile()
    known = ", ".join(f'"{s.title}"' for s in get_library().in_order())
    how = HOW_TO_ASK.format(
        mailbox=profile.mailbox.address, prefix=profile.organization.reference_prefix, known=known
    )
    return f'I could not carry out "{spec.title}": {missing}.\n\n{how}'


def command_run(
    *, message: InboundMessage, parsed: ParsedMessage, spec: PlaybookSpec, thread: Engagement | None
) -> tuple[Engagement | None, str]:
    """Run the SOP the message names and answer it; returns (engagement, what happened)."""
    actor = Actor(label=f"mail:{parsed.from_addr}")
    contacts = _contacts(parsed)
    engagement: Engagement | None = None
    new_lead: NewLead | None = None
    missing = ""
    if spec.creates_engagement and contacts:
        partner = _partner(parsed, contacts)
        if partner:
            new_lead = NewLead(partner, contacts)
        else:
            missing = "I found no partner name (add a line `Partner: Their Organization`)"
    elif thread is not None:
        engagement = thread
    elif contacts and (found := _engagement_for(contacts)) is not None:
        engagement = found
    elif spec.creates_engagement:
        missing = "I found no contact email address in your message"
    else:
        missing = (
            "I could not tell which engagement it is for (reply in its thread, put its reference in "
            "the subject, or name a contact's email address)"
        )
    if missing:
        body = _missing_text(spec, missing)
        acknowledge(message=message, parsed=parsed, engagement=None, body=body)
        return None, f"{spec.name} not run: {missing}"
    try:
        report = playbook_run(
            spec=spec, actor=actor, engagement=engagement, new_lead=new_lead, source=Source.EMAIL
        )
    except PlaybookRefused as exc:
        target = engagement or (new_lead and _engagement_for(list(new_lead.contacts)))
        acknowledge(message=message, parsed=parsed, engagement=target or None,
                    body=f"Nothing done: {exc}.")  # fmt: skip
        return target or None, f"{spec.name} refused: {exc}"
    acknowledge(message=message, parsed=parsed, engagement=report.engagement, body=_report_text(spec, report))
    state = "done" if report.succeeded else "stopped at a failed step"
    reference = report.engagement.reference if report.engagement else "?"
    return report.engagement, f"{spec.name} {state} for {reference}"


def acknowledge(
    *, message: InboundMessage, parsed: ParsedMessage, engagement: Engagement | None, body: str
) -> None:
    """The answer to a team member, in the thread of their message; queued once per message."""
    subject = bare_subject(parsed.subject) or "your request"
    signature = f"\n\n-- \npartnerdesk, for {get_profile().mailbox.display_name}\n"
    automatic_reply_queue(
        message=message,
        parsed=parsed,
        subject=f"Re: {subject}",
        body=body + signature,
        engagement=engagement,
        idempotency_key=f"inbound-{message.pk}-answer",
    )
