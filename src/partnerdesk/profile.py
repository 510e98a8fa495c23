"""The organization profile (``partnerdesk.toml``): parsed and validated once, on start-up.

A malformed profile stops start-up with a message naming the file, the key and what is wrong.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from partnerdesk.lib.toml_files import read_toml, validate
from partnerdesk.pipeline.stages import Stage

DEFAULT_PROFILE_PATH = Path(__file__).parent / "defaults" / "partnerdesk.toml"

# What loading the profile has to tell its reader (a retired key, say); shown by `partnerdesk
# check` and logged once at start.
PROFILE_NOTICES: list[str] = []


def _notice(text: str) -> None:
    if text not in PROFILE_NOTICES:
        PROFILE_NOTICES.append(text)
        logging.getLogger("partnerdesk.profile").warning("profile: %s", text)


_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")

_LOGO_URL = re.compile(r"^(https://[^\s/\"'<>]+(/[^\s\"'<>]*)?|/(?![/\\])[^\s\"'<>]*)$")
_COLOUR = re.compile(r"^#([0-9a-f]{3}|[0-9a-f]{6})$")

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _check_email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value.lower()


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrganizationSection(_Section):
    name: NonEmpty
    fiscal_sponsor_name: NonEmpty
    fiscal_sponsor_email: str
    reference_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,9}$")] = "PD"
    # Shown beside the name in the header of every page: an https:// address (the pages' security
    # policy then allows images from its host) or a path on this site ("/static/logo.png").
    logo_url: str = ""
    # The header's colour, "#1d2433" or "#123"; empty: partnerdesk's own.
    accent_colour: str = ""

    @field_validator("logo_url")
    @classmethod
    def _logo_address(cls, value: str) -> str:
        value = value.strip()
        if value and not _LOGO_URL.match(value):
            raise ValueError(f"{value!r} is not an https:// address or a path starting with /")
        return value

    @field_validator("accent_colour")
    @classmethod
    def _colour(cls, value: str) -> str:
        value = value.strip().lower()
        if value and not _COLOUR.match(value):
            raise ValueError(f"{value!r} is not a colour written #rrggbb or #rgb")
        return value

    _email = field_validator("fiscal_sponsor_email")(_check_email)


class MailboxSection(_Section):
    address: str
    display_name: NonEmpty

    _email = field_validator("address")(_check_email)


class TeamSection(_Section):
    members: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)

    @field_validator("members")
    @classmethod
    def _members_are_addresses(cls, values: list[str]) -> list[str]:
        return [_check_email(value) for value in values]

    @field_validator("domains")
    @classmethod
    def _domains_are_domains(cls, values: list[str]) -> list[str]:
        cleaned = []
        for value in values:
            domain = value.strip().lower().lstrip("@")
            if not _DOMAIN.match(domain):
                raise ValueError(f"{value!r} is not a domain name")
            cleaned.append(domain)
        return cleaned


class SchedulingSection(_Section):
    link: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
    # The meeting's length: when set, a playbook's check of the invitation (hail-the-lead's)
    # requires the link or the text to say it ("30-minute", "30 minutes").
    meeting_minutes: int | None = Field(default=None, ge=5, le=480)


class GoogleDriveSection(_Section):
    shared_drive_id: str = ""
    # The folder path inside the shared drive that holds Partnerships/...; empty: the top level.
    root_folder: str = ""
    # The service account's JSON key; empty: $GOOGLE_SERVICE_ACCOUNT_KEY_FILE.
    key_file: str = ""
    # The user the service account acts as, through domain-wide delegation.
    subject: str = ""
    # Only for tests and proxies: another address for Google's APIs.
    api_endpoint: str = ""


class DocumentsSection(_Section):
    store: Literal["local", "google-drive"] = "local"
    agreements_folder: NonEmpty = "Partnerships/Agreements"
    templates_folder: NonEmpty = "Partnerships/Templates"
    google_drive: GoogleDriveSection = GoogleDriveSection()

    @model_validator(mode="after")
    def _drive_needs_its_id(self) -> DocumentsSection:
        if self.store == "google-drive" and not self.google_drive.shared_drive_id.strip():
            raise ValueError('store = "google-drive" needs google_drive.shared_drive_id')
        return self


class InboundSection(_Section):
    # A team command (and the fiscal sponsor's signed copy) acts only when our receiving host,
    # named `authserv_id` in its Authentication-Results header, says DMARC passed for the From
    # domain. Empty (a fresh install): every such message is held until the team member confirms
    # it. See docs/mailbox-security.md.
    authserv_id: str = ""
    # Also take a DKIM pass aligned with the From domain as proof (when the domain has no DMARC).
    accept_dkim_alignment: bool = False
    # Larger messages are kept in quarantine, unparsed.
    max_message_bytes: int = Field(default=25 * 2**20, ge=1024)
    # More messages than this from one sender in an hour trigger nothing (a loop guard).
    max_messages_per_sender_per_hour: int = Field(default=30, ge=1)
    # Acknowledge a message from an unknown sender (it opens a new Lead), at most once per sender
    # a day; never automatic or bulk mail. Off: no reply at all.
    auto_reply_unknown_senders: bool = False

    @model_validator(mode="before")
    @classmethod
    def _retired_keys(cls, data: object) -> object:
        if isinstance(data, dict) and "require_authenticated_commands" in data:
            data = {k: v for k, v in data.items() if k != "require_authenticated_commands"}
            _notice(
                "[inbound] require_authenticated_commands is no longer read: team commands are always "
                "authenticated now, and held for confirmation while authserv_id is empty. "
                "Remove the line (see docs/mailbox-security.md)."
            )
        return data

    @field_validator("authserv_id")
    @classmethod
    def _lowercase(cls, value: str) -> str:
        value = value.strip().lower()
        if value and not re.match(r"^[a-z0-9][a-z0-9.-]{0,252}$", value):
            raise ValueError(f"{value!r} is not a host name (the authserv-id your receiving host writes)")
        return value


class TechnicalSection(_Section):
    # The technical questionnaire (relative to this profile's folder); empty: the shipped one.
    questionnaire: str = ""
    # Where the hand-off to engineering goes: an email address, and/or a GitHub repository
    # ("owner/name") where an issue is opened (token from GITHUB_TOKEN or GITHUB_TOKEN_FILE).
    engineering_email: str = ""
    github_repository: Annotated[str, StringConstraints(pattern=r"^([\w.-]+/[\w.-]+)?$")] = ""
    github_api_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] = "https://api.github.com"
    # Days after the technical form goes out before a reminder, if the record is still incomplete
    # (0: none).
    reminder_after_days: int = Field(default=7, ge=0, le=365)

    @field_validator("engineering_email")
    @classmethod
    def _address_or_empty(cls, value: str) -> str:
        return _check_email(value) if value.strip() else ""


class DocuSignSection(_Section):
    # Send the executable agreement through DocuSign eSignature (an envelope to the signatories in
    # signing order) instead of the email asking the fiscal sponsor to circulate it. The access
    # token is read from DOCUSIGN_ACCESS_TOKEN (or DOCUSIGN_ACCESS_TOKEN_FILE).
    enabled: bool = False
    base_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] = "https://demo.docusign.net"
    account_id: str = ""
    timeout_seconds: float = Field(default=30, gt=0, le=300)

    @model_validator(mode="after")
    def _account_when_enabled(self) -> DocuSignSection:
        if self.enabled and not self.account_id.strip():
            raise ValueError("account_id is required when enabled = true")
        return self


# pipeline/stages.py OPEN_STAGE_VALUES, spelled out for the type checker (a test keeps them equal).
OpenStageName = Literal["lead", "qualified-lead", "prospect", "partner"]
DEFAULT_STAGE_PROBABILITIES: dict[OpenStageName, float] = {
    "lead": 0.1,
    "qualified-lead": 0.25,
    "prospect": 0.6,
    "partner": 1.0,
}


class PartnershipSection(_Section):
    # Reminders to the engagement's owner before the agreement's term ends; the first opens the
    # renewal engagement (at Prospect).
    renewal_reminder_days: list[Annotated[int, Field(ge=1, le=3650)]] = [120, 90, 60, 30]
    # Satisfaction check-ins every N months from the term's start (0: none); links work this long.
    check_in_every_months: int = Field(default=3, ge=0, le=24)
    check_in_link_days: int = Field(default=30, ge=1, le=365)
    # A rating at or below this makes a follow-up task for the owner.
    check_in_low_score: int = Field(default=2, ge=1, le=5)
    invoice_schedule: Literal["annual", "quarterly", "milestones"] = "annual"
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    # Days after the due date when an unpaid invoice is reminded.
    overdue_reminder_days: list[Annotated[int, Field(ge=0, le=3650)]] = [1, 15, 30]
    # The forecast's weight of each open stage (0 to 1).
    stage_probabilities: dict[OpenStageName, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: dict(DEFAULT_STAGE_PROBABILITIES)
    )


def _stage_name(value: str) -> str:
    return Stage.parse(value).value


class FreshdeskSection(_Section):
    # Freshdesk ticket status (2 open, 3 pending, 4 resolved, 5 closed...) -> stage; merged over
    # the defaults (2, 3, 4 -> lead; 5 -> closed).
    status_stages: dict[str, str] = Field(default_factory=dict)
    # A ticket tag -> stage; a tag naming a stage wins over the status.
    tag_stages: dict[str, str] = Field(default_factory=dict)

    @field_validator("status_stages", "tag_stages")
    @classmethod
    def _stages(cls, mapping: dict[str, str]) -> dict[str, str]:
        return {key: _stage_name(value) for key, value in mapping.items()}


class AgreementsSection(_Section):
    # Addenda an agreement needs before "ready to sign".
    required_addenda: list[Literal["statement-of-work", "deliverable", "other"]] = ["statement-of-work"]
    # A command that makes a PDF copy for the signature circulation: {input} is the .docx,
    # {outdir} the output folder. Empty: the .docx only.
    pdf_converter: str = ""


class PlaybooksSection(_Section):
    # The team's playbook files (relative to this profile's folder); they override the shipped ones.
    folder: str = ""


class QualificationSection(_Section):
    require_complete_scorecard: bool = False


class Profile(_Section):
    organization: OrganizationSection
    mailbox: MailboxSection
    team: TeamSection = TeamSection()
    scheduling: SchedulingSection
    documents: DocumentsSection = DocumentsSection()
    qualification: QualificationSection = QualificationSection()
    playbooks: PlaybooksSection = PlaybooksSection()
    agreements: AgreementsSection = AgreementsSection()
    inbound: InboundSection = InboundSection()
    technical: TechnicalSection = TechnicalSection()
    docusign: DocuSignSection = DocuSignSection()
    partnership: PartnershipSection = PartnershipSection()
    freshdesk: FreshdeskSection = FreshdeskSection()

    def is_team_address(self, address: str) -> bool:
        address = address.strip().lower()
        if address in self.team.members:
            return True
        _, _, domain = address.rpartition("@")
        return domain in self.team.domains

    def partner_folder(self, partner_name: str) -> str:
        return f"{self.documents.agreements_folder}/{partner_name}"


class ProfileError(Exception):
    """The profile file is missing, is not TOML, or does not match the schema."""


def load_profile(path: Path) -> Profile:
    try:
        return validate(path, Profile, read_toml(path, what="profile file"))
    except ValueError as exc:
        raise ProfileError(str(exc)) from None


def profile_path() -> Path:
    configured = os.environ.get("PARTNERDESK_CONFIG", "").strip()
    return Path(configured) if configured else DEFAULT_PROFILE_PATH


@functools.cache
def get_profile() -> Profile:
    return load_profile(profile_path())
