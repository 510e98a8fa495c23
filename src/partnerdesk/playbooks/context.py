"""What a playbook step sees: the engagement, its contacts, and the template variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from partnerdesk.agreements.selectors import agreement_for, signatories_text
from partnerdesk.lib import clock
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.services import Actor
from partnerdesk.playbooks.specs import PlaybookSpec
from partnerdesk.profile import Profile, get_profile


class StepFailed(Exception):
    """A step cannot do its work; the message says why, for the person who runs it."""


@dataclass(frozen=True)
class Person:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class RunRequest:
    """What the request that started a run said beyond the engagement: the contacts it names
    (the handbook's "to PartnerX contact email(s)"; empty: all the engagement's contacts). Kept
    with the run, so a resumed run acts for the same people."""

    contacts: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"contacts": list(self.contacts)} if self.contacts else {}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> RunRequest:
        return cls(contacts=tuple(str(email) for email in (data or {}).get("contacts", [])))


EVERY_CONTACT = RunRequest()


@dataclass
class RunContext:
    spec: PlaybookSpec
    # None only while previewing a run that would first create the engagement.
    engagement: Engagement | None
    contacts: list[Person]
    variables: dict[str, str]
    actor: Actor
    dry_run: bool = False
    results: dict[str, dict[str, Any]] = field(default_factory=dict)


def template_variables(
    *, partner: str, reference: str, contacts: list[Person], owner: str = "", profile: Profile | None = None
) -> dict[str, str]:
    profile = profile or get_profile()
    return {
        "partner": partner,
        "reference": reference,
        "organization": profile.organization.name,
        "fiscal_sponsor": profile.organization.fiscal_sponsor_name,
        "fiscal_sponsor_email": profile.organization.fiscal_sponsor_email,
        "mailbox": profile.mailbox.address,
        "mailbox_name": profile.mailbox.display_name,
        "scheduling_link": profile.scheduling.link,
        "agreements_folder": profile.documents.agreements_folder,
        "templates_folder": profile.documents.templates_folder,
        "partner_folder": profile.partner_folder(partner),
        "contact_names": ", ".join(person.name or person.email for person in contacts),
        "contact_emails": ", ".join(person.email for person in contacts),
        "owner": owner,
        "today": clock.today().isoformat(),
        "agreement": "(no agreement yet)",
        "agreement_signatories": "(no signatories yet)",
        "agreement_value": "(no value yet)",
        "agreement_term": "(no term yet)",
    }


def agreement_variables(engagement: Engagement) -> dict[str, str]:
    """The agreement's template variables, when the engagement has one."""
    agreement = agreement_for(engagement)
    if agreement is None:
        return {}
    variables = {"agreement": agreement.title, "agreement_signatories": signatories_text(agreement)}
    if agreement.value is not None:
        variables["agreement_value"] = f"{agreement.value:,.2f} {agreement.currency}".strip()
    if agreement.term_start and agreement.term_end:
        variables["agreement_term"] = (
            f"{agreement.term_start.isoformat()} to {agreement.term_end.isoformat()}"
        )
    return variables


def context_for(
    *,
    spec: PlaybookSpec,
    engagement: Engagement,
    actor: Actor,
    dry_run: bool = False,
    request: RunRequest = EVERY_CONTACT,
) -> RunContext:
    contacts = [Person(c.name, c.email) for c in engagement.contacts.order_by("engagement_links__id")]
    if request.contacts:
        named = {email.lower() for email in request.contacts}
        contacts = [person for person in contacts if person.email.lower() in named]
    variables = template_variables(
        partner=engagement.organization.name,
        reference=engagement.reference,
        contacts=contacts,
        owner=engagement.owner.get_username() if engagement.owner else "",
    ) | agreement_variables(engagement)
    return RunContext(spec, engagement, contacts, variables, actor, dry_run)
