"""Every stage action by email: a team member's message whose subject (or first line) starts with
the action and names the engagement, by reference (`PD-12` or `[PD-12]`) or organization, or
replies in its thread. The body carries the details as `Key: value` lines.

    Qualify PD-12            Good candidate: yes / Qualified: yes / Money: yes - $40k set aside ...
    Verbal yes PD-12         By: Lee Park / On: 2026-12-01 (both optional)
    Close PD-12              Reason: chose another provider
    Reopen PD-12             Reason: they came back
    Move PD-12 to Prospect   Reason: ... (optional)
    Agreement terms PD-12    Value: / Currency: / Term start: / Term end: / Signatory: Name <email>
    Ready to sign PD-12
    Note PD-12               the body becomes the note
    Renewal PD-12 renewed    (or changed, or ended with Reason:)
    Invoice 2026-0003 paid
    Hail the Lead again PD-12   (any SOP: runs a completed playbook once more)

The answer (in the thread, `Auto-Submitted: auto-replied`) says what was done, or exactly what is
missing and how to write it in an email. The caller has proven the sender (see `trust.py`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from partnerdesk.agreements import services as agreements
from partnerdesk.agreements.selectors import agreement_for
from partnerdesk.agreements.status import agreement_mark_ready
from partnerdesk.inbound.models import InboundMessage
from partnerdesk.inbound.parsing import ParsedMessage
from partnerdesk.inbound.reading import bare_subject, first_line
from partnerdesk.lib.addresses import AddressError
from partnerdesk.partnership.invoicing import invoice_mark_paid
from partnerdesk.partnership.models import Invoice
from partnerdesk.partnership.renewals import renewal_record
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.owners import engagement_claim_owner
from partnerdesk.pipeline.qualification import Answer, Criterion, Scorecard
from partnerdesk.pipeline.references import EngagementNotFound, engagement_id_from_reference, reference_of
from partnerdesk.pipeline.selectors import scorecard_of
from partnerdesk.pipeline.services import Actor, MoveRefused, ServiceError
from partnerdesk.pipeline.stages import OPEN_STAGE_VALUES, Stage
from partnerdesk.playbooks.engine import PlaybookRefused, playbook_run
from partnerdesk.playbooks.library import get_library
from partnerdesk.playbooks.specs import PlaybookSpec
from partnerdesk.profile import get_profile

_FIELD = re.compile(r"^\s*([A-Za-z][A-Za-z /-]{0,40}?)\s*:\s*(.*?)\s*$")
_QUOTED = re.compile(r"^\s*>|^On .{0,200} wrote:\s*$|^-- ?$|^-+ ?(Original|Forwarded) Message", re.IGNORECASE)
_ANSWER = re.compile(r"^(yes|no|unknown)\b[\s:;,.\u2013\u2014-]*(.*)$", re.IGNORECASE | re.DOTALL)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

QUALIFY_KEYS: dict[str, str] = {
    "good candidate": "good_candidate",
    "qualified": "qualified",
    **{criterion.label.lower(): criterion.value for criterion in Criterion},
}


class ActionRefused(Exception):
    """What is wrong with the request, written for the team member who sent it."""


@dataclass
class ActionRequest:
    message: InboundMessage
    parsed: ParsedMessage
    actor: Actor
    engagement: Engagement | None
    argument: str  # what the action line says after the engagement ("renewed", "to Prospect")
    fields: dict[str, str] = field(default_factory=dict)  # `Key: value` lines, keys lower case
    lines: list[str] = field(default_factory=list)  # the sender's own lines after the action line

    def needs_engagement(self) -> Engagement:
        if self.engagement is None:
            raise ActionRefused(
                "I could not tell which engagement it is for: put its reference (like "
                f"{reference_of(12)}) or the organization's name after "
                "the action, or reply in the engagement's thread"
            )
        return self.engagement


@dataclass(frozen=True)
class MailAction:
    name: str
    words: str  # how the subject or first line starts, e.g. "verbal yes"
    example: str  # a whole example message (subject line, then the body)
    run: Callable[[ActionRequest], str]
    # Split the rest of the action line into (engagement words, argument).
    split: Callable[[str], tuple[str, str]] = lambda rest: (rest, "")
    targets_engagement: bool = True


@dataclass(frozen=True)
class ActionOutcome:
    engagement: Engagement | None
    text: str  # the answer's body
    summary: str  # the message's outcome in the inbox


# -- reading the message -------------------------------------------------------------------------


def _own_lines(parsed: ParsedMessage) -> list[str]:
    lines = []
    for line in parsed.text.splitlines():
        if _QUOTED.match(line):
            break
        lines.append(line.rstrip())
    return lines


def _fields(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        match = _FIELD.match(line)
        if match and not match.group(1).lower().startswith(("http", "mailto")):
            found.setdefault(" ".join(match.group(1).lower().split()), match.group(2))
    return found


def engagement_named(words: str, thread: Engagement | None) -> Engagement | None:
    """The engagement that `words` name (a reference, or an organization's name), else the
    thread's; raises ActionRefused when they name none or several."""
    words = " ".join(words.strip().strip(".:").split())
    if not words:
        return thread
    engagements = Engagement.objects.select_related("organization", "owner")
    try:
        engagement_id: int | None = engagement_id_from_reference(words)
    except EngagementNotFound:
        engagement_id = None  # not a reference: an organization's name
    if engagement_id is not None:
        found = engagements.filter(pk=engagement_id).first()
        if found is None:
            raise ActionRefused(f"there is no engagement {reference_of(engagement_id)}")
        return found
    open_ones = engagements.filter(stage__in=OPEN_STAGE_VALUES)
    named = list(open_ones.filter(organization__name__iexact=words)) or list(
        open_ones.filter(organization__name__icontains=words)[:10]
    )
    if len(named) == 1:
        return named[0]
    if not named:
        raise ActionRefused(f'no open engagement is with an organization named "{words}"')
    listed = "\n".join(f"    {e.reference}  {e.organization.name} ({Stage(e.stage).label})" for e in named)
    raise ActionRefused(
        f'several engagements match "{words}"; write the reference of the one you mean:\n{listed}'
    )


def _split_to(rest: str) -> tuple[str, str]:
    head, sep, tail = rest.rpartition(" to ")
    return (head, tail) if sep else (rest, "")


def _split_last_word(rest: str) -> tuple[str, str]:
    head, _, tail = rest.strip().rpartition(" ")
    return head, tail


# -- the actions -----------------------------------------------------------------------------------


def _answer(line_key: str, value: str) -> tuple[Answer, str]:
    match = _ANSWER.match(value.strip())
    if not match:
        raise ActionRefused(
            f'the line "{line_key.capitalize()}: {value}" does not start with yes, no or unknown '
            f'(write it like "{line_key.capitalize()}: yes - what you know")'
        )
    return Answer(match.group(1).lower()), match.group(2).strip()


def _questions(engagement: Engagement) -> list[str]:
    card: Scorecard = scorecard_of(engagement)
    return [f"  - {question}" for question in card.questions_to_ask]


def _try_move(engagement: Engagement, to: Stage, actor: Actor, reason: str = "") -> str:
    try:
        services.engagement_move(engagement=engagement, to=to, actor=actor, reason=reason)
    except MoveRefused as refused:
        missing = "\n".join(f"  - {item}" for item in refused.missing)
        return (
            f"It stays at {Stage(engagement.stage).label}: to move to {to.label}, this is missing:\n{missing}"
        )
    return f"{engagement.reference} moved to {to.label}."


def _qualify(request: ActionRequest) -> str:
    engagement = request.needs_engagement()
    answers: dict[Criterion, Answer] = {}
    notes: dict[Criterion, str] = {}
    two: dict[str, Answer] = {}
    for key, value in request.fields.items():
        name = QUALIFY_KEYS.get(key)
        if name is None:
            continue
        answer, note = _answer(key, value)
        if name in ("good_candidate", "qualified"):
            two[name] = answer
        else:
            answers[Criterion(name)] = answer
            if note:
                notes[Criterion(name)] = note
    if not (answers or two):
        raise ActionRefused(
            "the message has no qualification lines; write one per line, like "
            '"Good candidate: yes", "Qualified: yes", "Money: yes - $40k set aside", "Authority: unknown"'
        )
    changes = services.engagement_qualify(
        engagement=engagement, actor=request.actor, answers=answers, notes=notes, **two
    )
    lines = [f"Recorded for {engagement.reference} ({engagement.organization.name}):"]
    lines += [f"  - {change}" for change in changes] or ["  - nothing new"]
    if engagement.stage == Stage.LEAD:
        lines += ["", _try_move(engagement, Stage.QUALIFIED_LEAD, request.actor)]
    questions = _questions(engagement)
    if questions:
        lines += ["", "Still unknown, the questions for the next meeting:", *questions]
    return "\n".join(lines)


def _date_field(request: ActionRequest, key: str) -> dt.date | None:
    value = request.fields.get(key, "").strip()
    if not value:
        return None
    if not _DATE.match(value):
        raise ActionRefused(f'the line "{key.capitalize()}: {value}" is not a date like 2026-12-01')
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ActionRefused(f'the line "{key.capitalize()}: {value}" is not a date like 2026-12-01') from None


def _verbal_yes(request: ActionRequest) -> str:
    engagement = request.needs_engagement()
    by = request.fields.get("by", "").strip()
    if not by:
        first = engagement.contacts.order_by("engagement_links__id").first()
        by = (first.name or first.email) if first else engagement.organization.name
    services.engagement_record_verbal_yes(
        engagement=engagement, by=by, on=_date_field(request, "on"), actor=request.actor
    )
    text = f"Recorded the verbal yes from {by} for {engagement.reference} ({engagement.organization.name})."
    if engagement.stage == Stage.QUALIFIED_LEAD:
        text += "\n\n" + _try_move(engagement, Stage.PROSPECT, request.actor)
    return text


def _reason(request: ActionRequest, what: str) -> str:
    reason = request.fields.get("reason", "").strip()
    if not reason:
        raise ActionRefused(f'{what} needs a reason: add a line "Reason: why"')
    return reason


def _close(request: ActionRequest) -> str:
    engagement = request.needs_engagement()
    reason = _reason(request, "closing")
    services.engagement_move(engagement=engagement, to=Stage.CLOSED, actor=request.actor, reason=reason)
    return f"{engagement.reference} ({engagement.organization.name}) is closed: {reason}."


def _reopen(request: ActionRequest) -> str:
    engagement = request.needs_engagement()
    reason = _reason(request, "reopening")
    services.engagement_move(engagement=engagement, to=Stage.LEAD, actor=request.actor, reason=reason)
    return f"{engagement.reference} ({engagement.organization.name}) is open again, as a Lead: {reason}."


def _move(request: ActionRequest) -> str:
    engagement = request.needs_engagement()
    try:
        to = Stage.parse(request.argument)
    except ValueError:
        stages = ", ".join(stage.label for stage in Stage)
        raise ActionRefused(f'write the stage after "to", one of: {stages}') from None
    services.engagement_move(
        engagement=engagement, to=to, actor=request.actor, reason=request.fields.get("reason", "")
    )
    return f"{engagement.reference} ({engagement.organization.name}) moved to {to.label}."


_NET_DAYS = re.compile(r"^(?:net\s*)?(\d{1,3})(?:\s*days?)?$", re.IGNORECASE)


def _terms(request: ActionRequest) -> dict[str, object]:
    """The agreement-term keywords the message's lines give (`agreement_set_terms`'s)."""
    terms: dict[str, object] = {}
    value_text = request.fields.get("value", "").strip()
    if value_text:
        try:
            terms["value"] = agreements.parse_value(value_text)
        except ServiceError as exc:
            raise ActionRefused(f'the line "Value: {value_text}": {exc}') from None
    for key, keyword in (
        ("currency", "currency"),
        ("billing contact", "billing_contact"),
        ("po number", "po_number"),
    ):
        if request.fields.get(key, "").strip():
            terms[keyword] = request.fields[key].strip()
    for key, keyword in (("term start", "term_start"), ("term end", "term_end")):
        day = _date_field(request, key)
        if day is not None:
            terms[keyword] = day
    payment = request.fields.get("payment terms", "").strip()
    if payment:
        net = _NET_DAYS.match(payment)
        due = payment.lower().removeprefix("due").strip()
        if net:
            terms["payment_terms_days"] = int(net.group(1))
        elif _DATE.match(due):
            terms["payment_due_on"] = dt.date.fromisoformat(due)
        else:
            raise ActionRefused(
                f'the line "Payment terms: {payment}" is neither a number of days ("net 45") '
                'nor a due date ("due 2027-02-01")'
            )
    schedule = request.fields.get("invoice schedule", "").strip().lower()
    if schedule:
        terms["invoice_schedule"] = schedule
    return terms


def _agreement_terms(request: ActionRequest) -> str:
    engagement = request.needs_engagement()
    agreement = agreement_for(engagement)
    if agreement is None or not agreement.is_open:
        agreement = agreements.agreement_create(engagement=engagement, actor=request.actor)
    changes = agreements.agreement_set_terms(agreement=agreement, actor=request.actor, **_terms(request))  # type: ignore[arg-type]
    addendum = request.fields.get("addendum", "").strip()
    if addendum:
        kind, _, title = addendum.partition(":")
        if not title.strip():
            raise ActionRefused(f'the line "Addendum: {addendum}" needs a kind and a title, like '
                                '"Addendum: statement-of-work: A hub for 300 students"')  # fmt: skip
        agreements.agreement_addendum_add(
            agreement=agreement, kind=kind.strip(), title=title.strip(), actor=request.actor
        )
        changes.append(f"addendum: {kind.strip()}: {title.strip()}")
    signatory = request.fields.get("signatory", "").strip()
    if signatory:
        try:
            agreements.agreement_signatory_add(agreement=agreement, person=signatory, actor=request.actor)
        except AddressError as exc:
            raise ActionRefused(f'the line "Signatory: {signatory}": {exc} (write Name <email>)') from None
        changes.append(f"signatory: {signatory}")
    if not changes:
        raise ActionRefused(
            "the message changes no term; write lines like "
            '"Value: 12000", "Currency: USD", "Term start: 2027-01-01", "Term end: 2027-12-31", '
            '"Payment terms: net 45", "Invoice schedule: quarterly", '
            '"Billing contact: ap@harbor.example.edu", '
            '"PO number: 4500012", "Signatory: Lee Park <lee@harbor.example.edu>"'
        )
    listed = "\n".join(f"  - {change}" for change in changes)
    return f"Recorded for {agreement.title} ({engagement.reference}):\n{listed}"


def _ready_to_sign(request: ActionRequest) -> str:
    engagement = request.needs_engagement()
    agreement = agreement_for(engagement)
    if agreement is None:
        raise ActionRefused(f"{engagement.reference} has no agreement yet (send the draft contract first)")
    agreement_mark_ready(agreement=agreement, actor=request.actor)
    return f"{agreement.title} is ready to sign ({engagement.reference})."


def _note(request: ActionRequest) -> str:
    engagement = request.needs_engagement()
    text = "\n".join(request.lines).strip()
    if not text:
        raise ActionRefused("the note is empty: write it below the first line")
    services.engagement_add_note(engagement=engagement, text=text, actor=request.actor)
    return f"Noted on {engagement.reference} ({engagement.organization.name})."


def _renewal(request: ActionRequest) -> str:
    engagement = request.needs_engagement()
    outcome = request.argument.strip().lower()
    if outcome not in ("renewed", "changed", "ended"):
        raise ActionRefused('write the outcome after the engagement: "renewed", "changed" or "ended"')
    reason = request.fields.get("reason", "").strip()
    if outcome == "ended" and not reason:
        raise ActionRefused('an ended partnership needs a reason: add a line "Reason: why"')
    terms = _terms(request) if outcome == "changed" else {}
    recorded = renewal_record(
        engagement=engagement,
        outcome=outcome,
        reason=reason,
        actor=request.actor,
        **terms,  # type: ignore[arg-type] # _terms checked each value's type
    )
    lines = [f"Renewal of {engagement.reference} ({engagement.organization.name}) recorded: {outcome}."]
    if recorded.next_agreement is not None:
        nxt = recorded.next_agreement
        lines.append(
            f"The next term: {nxt.title}, {nxt.term_start} to {nxt.term_end}, on {nxt.engagement.reference}."
        )
    lines += recorded.notes
    return "\n".join(lines)


def _invoice_paid(request: ActionRequest) -> str:
    number = request.argument.strip()
    words = number.split()
    if len(words) != 2 or words[1].lower() != "paid":
        raise ActionRefused('write the invoice number and "paid", like "Invoice 2026-0003 paid"')
    invoice = Invoice.objects.select_related("engagement__organization").filter(number=words[0]).first()
    if invoice is None:
        raise ActionRefused(f"there is no invoice {words[0]}")
    invoice_mark_paid(invoice=invoice, actor=request.actor)
    request.engagement = invoice.engagement
    engagement = invoice.engagement
    return f"Invoice {invoice.number} is paid ({engagement.reference}, {engagement.organization.name})."


ACTIONS: tuple[MailAction, ...] = (
    MailAction(
        "qualify",
        "qualify",
        "Subject: Qualify PD-12\n\nGood candidate: yes\nQualified: yes\n"
        "Money: yes - $40k set aside\nAuthority: unknown",
        _qualify,
    ),  # fmt: skip
    MailAction(
        "verbal-yes", "verbal yes", "Subject: Verbal yes PD-12\n\nBy: Lee Park\nOn: 2026-12-01", _verbal_yes
    ),
    MailAction("close", "close", "Subject: Close PD-12\n\nReason: they chose another provider", _close),
    MailAction("reopen", "reopen", "Subject: Reopen PD-12\n\nReason: they came back", _reopen),
    MailAction("move", "move", "Subject: Move PD-12 to Prospect", _move, split=_split_to),
    MailAction(
        "agreement-terms",
        "agreement terms",
        "Subject: Agreement terms PD-12\n\nValue: 12000\n"
        "Currency: USD\nTerm start: 2027-01-01\nTerm end: 2027-12-31\nPayment terms: net 45\n"
        "Signatory: Lee Park <lee@harbor.example.edu>\nAddendum: statement-of-work: A hub for 300 students",
        _agreement_terms,
    ),  # fmt: skip
    MailAction("ready-to-sign", "ready to sign", "Subject: Ready to sign PD-12", _ready_to_sign),
    MailAction("note", "note", "Subject: Note PD-12\n\nThey want a GPU hub for the spring term.", _note),
    MailAction(
        "renewal",
        "renewal",
        "Subject: Renewal PD-12 changed\n\nValue: 15000\nTerm end: 2028-12-31",
        _renewal,
        split=_split_last_word,
    ),  # fmt: skip
    MailAction(
        "invoice-paid",
        "invoice",
        "Subject: Invoice 2026-0003 paid",
        _invoice_paid,
        split=lambda rest: ("", rest),
        targets_engagement=False,
    ),  # fmt: skip
)


@dataclass(frozen=True)
class Requested:
    """What a message asks: an action (or an SOP to run again) with the rest of its line."""

    action: MailAction | None
    spec: PlaybookSpec | None  # for "<SOP> again"
    rest: str
    in_body: bool = False  # the first line of the body asked, not the subject


def _again(line: str, in_body: bool) -> Requested | None:
    match = re.match(r"^(.*?)\s+again\b(.*)$", line, re.IGNORECASE)
    if not match:
        return None
    named = " ".join(match.group(1).split()).lower()
    for spec in get_library().playbooks.values():
        if named in {phrase.lower() for phrase in [spec.title, spec.name, *spec.trigger.phrases]}:
            return Requested(None, spec, match.group(2), in_body)
    return None


def action_requested(parsed: ParsedMessage) -> Requested | None:
    """The action the subject (without Re:/Fwd:) or the first line starts with, if any."""
    for line, in_body in ((bare_subject(parsed.subject), False), (first_line(parsed.text), True)):
        if not line:
            continue
        again = _again(line, in_body)
        if again is not None:
            return again
        for action in sorted(ACTIONS, key=lambda a: len(a.words), reverse=True):
            match = re.match(rf"^\s*{re.escape(action.words)}(?:\s+|$)(.*)$", line, re.IGNORECASE)
            if match:
                return Requested(action, None, match.group(1), in_body)
    return None


def _run_again(request: ActionRequest, spec: PlaybookSpec) -> str:
    engagement = request.needs_engagement()
    try:
        report = playbook_run(spec=spec, actor=request.actor, engagement=engagement, again=True)
    except PlaybookRefused as exc:
        raise ActionRefused(str(exc)) from None
    state = "done" if report.succeeded else "stopped at a failed step"
    steps = "\n".join(f"  {s.index}. [{s.status}] {s.title}" for s in report.steps)
    who = f"{engagement.reference} ({engagement.organization.name})"
    return f"{spec.title} ran again for {who}: {state}.\n{steps}"


def action_run(*, message: InboundMessage, parsed: ParsedMessage, requested: Requested,
               thread: Engagement | None) -> ActionOutcome:  # fmt: skip
    """Carry out the requested action; never raises for what the sender got wrong."""
    body = _own_lines(parsed)
    if requested.in_body:  # the action line itself is not part of the details
        while body and not body[0].strip():
            body.pop(0)
        body = body[1:]
    action = requested.action
    name = action.words if action else f"{requested.spec.title} again" if requested.spec else "?"
    request = ActionRequest(
        message=message,
        parsed=parsed,
        actor=Actor(label=f"mail:{parsed.from_addr}"),
        engagement=None,
        argument="",
        fields=_fields(body),
        lines=[line for line in body if not _FIELD.match(line)] if action and action.name == "note" else body,
    )
    try:
        if action is None or action.targets_engagement:
            words, request.argument = action.split(requested.rest) if action else (requested.rest, "")
            request.engagement = engagement_named(words, thread)
        else:
            request.argument = action.split(requested.rest)[1]
        if requested.spec:
            text = _run_again(request, requested.spec)
        else:
            assert action is not None  # a request is either a playbook (spec) or an action
            text = action.run(request)
    except (ActionRefused, ServiceError, PlaybookRefused) as exc:
        example = action.example if action else f"Subject: {name} PD-12"
        text = (
            f'I could not do "{name.capitalize()}": {exc}.\n\n'
            f"Write it like this (to {get_profile().mailbox.address}, "
            "or as a reply in the engagement's thread):\n\n"
            + "\n".join(f"    {line}" for line in example.splitlines())
        )
        return ActionOutcome(request.engagement, text, f"{name} not done: {exc}"[:500])
    if request.engagement is not None:
        engagement_claim_owner(engagement=request.engagement, email=parsed.from_addr, actor=request.actor)
    return ActionOutcome(request.engagement, text, f"{name}: {text.splitlines()[0]}"[:500])


ACTIONS_INTRO = """## Every stage action by email

A team member writes to the shared mailbox (or replies in the engagement's thread) with the action
at the start of the subject or of the first line, and the engagement's reference (`PD-12` or
`[PD-12]`) or its organization's name; details go on `Key: value` lines. The answer comes back in
the same thread: what was done, or exactly what is missing and how to write it. The first team
member to act on an engagement by email becomes its owner when it has none. A command acts only
when the mailbox can prove who sent it; otherwise it is held until the sender confirms it (see
docs/mailbox-security.md). Any SOP above runs again with `<SOP> again PD-12`, for example
`Hail the Lead again PD-12`.
"""


def actions_markdown() -> str:
    """Every action with an example message, for the handbook page."""
    parts = [ACTIONS_INTRO]
    for action in ACTIONS:
        example = "\n".join(f"    {line}" if line else "" for line in action.example.splitlines())
        parts.append(f"**{action.words.capitalize()}**\n\n{example}\n")
    return "\n".join(parts)
