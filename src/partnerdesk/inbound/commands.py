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
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Contact, Engagement, Source
from partnerdesk.pipeline.naming import (
    engagement_name_organization,
    engagement_of_relationship,
    engagement_open_provisional,
)
from partnerdesk.pipeline.owners import engagement_claim_owner
from partnerdesk.pipeline.references import engagement_ids_in
from partnerdesk.pipeline.services import Actor, ServiceError
from partnerdesk.playbooks.context import RunRequest
from partnerdesk.playbooks.engine import AlreadyRan, PlaybookRefused, RunReport, playbook_run
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


def _known_organization(contacts: list[tuple[str, str]]) -> str:
    """The organization a contact already belongs to."""
    known = Contact.objects.filter(email__in=[email for _, email in contacts], organization__isnull=False)
    first = known.select_related("organization").order_by("id").first()
    return first.organization.name if first is not None and first.organization is not None else ""


def _provisional_name(contacts: list[tuple[str, str]]) -> str:
    for _, email in contacts:
        domain = organization_from_domain(email)
        if domain:
            return domain
    return ""


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


def _name_question(engagement: Engagement) -> str:
    return (
        f'\n\nThe organization\'s name is not known yet: I track it as "{engagement.organization.name}" '
        "(from an address) for now. To name it, reply to this message with a line like:\n\n"
        "    Partner: Their Organization"
    )


def _engagement_for_request(
    spec: PlaybookSpec, parsed: ParsedMessage, contacts: list[tuple[str, str]], thread: Engagement | None,
    actor: Actor,
) -> tuple[Engagement | None, str]:  # fmt: skip
    """(the engagement the request is about, "") or (None, what is missing). A request that
    opens engagements continues the open one of its contacts (one engagement per relationship),
    named by its `Partner:` line; without one, a new engagement is named provisionally."""
    named = partner_line(_body_text(parsed))
    if spec.creates_engagement and contacts:
        emails = [email for _, email in contacts]
        engagement = engagement_of_relationship(emails=emails, organization=named) or (
            thread if thread is not None and not named else None
        )
        if engagement is not None:
            services.engagement_add_contacts(engagement=engagement, contacts=contacts, actor=actor)
            if named:
                engagement_name_organization(engagement=engagement, name=named, actor=actor)
            return engagement, ""
        name = named or _known_organization(contacts)
        if name:
            return services.engagement_create(
                organization_name=name, contacts=contacts, actor=actor, source=Source.EMAIL
            ), ""
        provisional = _provisional_name(contacts)
        if provisional:
            return engagement_open_provisional(
                name=provisional, contacts=contacts, actor=actor, source=Source.EMAIL
            ), ""
        return None, "I found no partner name (add a line `Partner: Their Organization`)"
    if thread is not None:
        return thread, ""
    referenced = _referenced(parsed)
    if referenced is not None:
        return referenced, ""
    emails = [email for _, email in contacts]
    if (found := engagement_of_relationship(emails=emails, organization=named)) is not None:
        return found, ""
    if spec.creates_engagement:
        return None, "I found no contact email address in your message"
    return None, (
        "I could not tell which engagement it is for (reply in its thread, put its reference in "
        "the subject, or name a contact's email address)"
    )


def _referenced(parsed: ParsedMessage) -> Engagement | None:
    """The engagement whose reference (PD-12, or [PD-12]) the subject or the first line carries."""
    for line in (parsed.subject, first_line(parsed.text)):
        for engagement_id in engagement_ids_in(line)[:1]:
            return Engagement.objects.select_related("organization").filter(pk=engagement_id).first()
    return None


def _for_whom(contacts: list[tuple[str, str]], engagement: Engagement) -> str:
    if contacts:
        return "For the contacts you named: " + ", ".join(email for _, email in contacts) + "."
    everyone = ", ".join(engagement.contacts.values_list("email", flat=True))
    return f"You named no contact, so it was for all of {engagement.reference}'s contacts: {everyone}."


def command_run(
    *, message: InboundMessage, parsed: ParsedMessage, spec: PlaybookSpec, thread: Engagement | None
) -> tuple[Engagement | None, str]:
    """Run the SOP the message names, for the contacts it names (all, when it names none), and
    answer it; returns (engagement, what happened)."""
    actor = Actor(label=f"mail:{parsed.from_addr}")
    contacts = _contacts(parsed)
    try:
        engagement, missing = _engagement_for_request(spec, parsed, contacts, thread, actor)
        if engagement is not None and contacts:
            services.engagement_add_contacts(engagement=engagement, contacts=contacts, actor=actor)
    except ServiceError as exc:
        engagement, missing = None, str(exc)
    if engagement is None:
        body = _missing_text(spec, missing)
        acknowledge(message=message, parsed=parsed, engagement=None, body=body)
        return None, f"{spec.name} not run: {missing}"
    engagement_claim_owner(engagement=engagement, email=parsed.from_addr, actor=actor)
    request = RunRequest(contacts=tuple(email for _, email in contacts))
    try:
        report = playbook_run(
            spec=spec, actor=actor, engagement=engagement, source=Source.EMAIL, request=request
        )
    except AlreadyRan as exc:
        again = f"{spec.title} again {engagement.reference}"
        body = f"Nothing done: {exc}.\n\nTo run it once more, write to me with the subject:\n\n    {again}"
        acknowledge(message=message, parsed=parsed, engagement=engagement, body=body)
        return engagement, f"{spec.name} refused: {exc}"
    except PlaybookRefused as exc:
        acknowledge(message=message, parsed=parsed, engagement=engagement, body=f"Nothing done: {exc}.")
        return engagement, f"{spec.name} refused: {exc}"
    body = _report_text(spec, report) + "\n\n" + _for_whom(contacts, engagement)
    engagement.organization.refresh_from_db()
    if engagement.organization.name_provisional:
        body += _name_question(engagement)
    acknowledge(message=message, parsed=parsed, engagement=engagement, body=body)
    state = "done" if report.succeeded else "stopped at a failed step"
    return engagement, f"{spec.name} {state} for {engagement.reference}"


def names_the_organization(parsed: ParsedMessage, thread: Engagement | None) -> bool:
    """A reply in the thread of a provisionally named engagement that gives the name on a
    `Partner:` line and names no contact: it names the organization, whatever its subject says."""
    return (
        thread is not None
        and thread.organization.name_provisional
        and bool(partner_line(parsed.text))
        and not _contacts(parsed)
    )


def name_from_reply(*, message: InboundMessage, parsed: ParsedMessage, thread: Engagement) -> str:
    """Name the thread's organization from the reply's `Partner:` line, and answer; returns what changed."""
    actor = Actor(label=f"mail:{parsed.from_addr}")
    try:
        change = engagement_name_organization(engagement=thread, name=partner_line(parsed.text), actor=actor)
    except ServiceError as exc:
        change = f"The name was not taken: {exc}"
    change = change or f"{thread.organization.name} is already its name"
    acknowledge(message=message, parsed=parsed, engagement=thread, body=f"{change} ({thread.reference}).")
    return change


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
