"""Import of engagements from CSV and export to CSV or JSON.

The whole file is checked before anything is written; a bad row means nothing is imported,
and every bad row is reported by line number with its reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower

from partnerdesk.lib import clock, csv_safe
from partnerdesk.lib import text as limits
from partnerdesk.lib.addresses import AddressError, parse_contact_list
from partnerdesk.pipeline.models import (
    Contact,
    Engagement,
    EngagementContact,
    Organization,
    Source,
    TimelineEntry,
)
from partnerdesk.pipeline.services import Actor
from partnerdesk.pipeline.stages import Stage

REQUIRED_COLUMNS = ("organization", "contacts")
OPTIONAL_COLUMNS = ("stage", "owner", "source", "note")
# Written by `partnerdesk export`, accepted and ignored here, so an export imports as it is.
EXPORT_ONLY_COLUMNS = ("reference", "stage_since", "created_at")
EXPORT_COLUMNS = (
    "reference",
    "organization",
    "contacts",
    "stage",
    "owner",
    "source",
    "stage_since",
    "created_at",
)

Progress = Callable[[int, int], None]
T = TypeVar("T")


class ImportFileError(ValueError):
    """The file cannot be imported; `problems` lists every reason, one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class LeadRow:
    line: int
    organization: str
    contacts: list[tuple[str, str]]
    stage: Stage = Stage.LEAD
    owner: str = ""
    source: str = Source.IMPORT
    note: str = ""


@dataclass
class ImportResult:
    engagements: int = 0
    organizations_created: int = 0
    contacts_created: int = 0
    references: list[str] = field(default_factory=list)


def _chunks(items: Sequence[T], size: int = 900) -> Iterator[Sequence[T]]:
    # Bounded IN lists: SQLite caps the number of query parameters.
    for start in range(0, len(items), size):
        yield items[start : start + size]


def read_lead_rows(path: Path) -> list[LeadRow]:
    """Parse and check every row; raise ImportFileError listing all the bad ones."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFileError([f"{path}: no such file"]) from None
    except UnicodeDecodeError as exc:
        raise ImportFileError([f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"]) from None
    except OSError as exc:
        raise ImportFileError([f"{path}: cannot read: {exc.strerror}"]) from None
    return parse_lead_rows(text, source_name=str(path))


def parse_lead_rows(text: str, *, source_name: str = "the file") -> list[LeadRow]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        raise ImportFileError(
            [f"{source_name}: empty file (expected a header line: organization,contacts,...)"]
        )
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS + EXPORT_ONLY_COLUMNS]
    # csv.DictReader keeps the last of two same-named columns: refuse rather than guess.
    repeated = {column: header.count(column) for column in dict.fromkeys(header) if header.count(column) > 1}
    if missing or unknown or repeated:
        header_problems = [f"{source_name}: line 1: missing column {column!r}" for column in missing]
        header_problems += [f"{source_name}: line 1: unknown column {column!r}" for column in unknown]
        header_problems += [
            f"{source_name}: line 1: column {column or '(blank)'!r} appears {count} times"
            for column, count in repeated.items()
        ]
        raise ImportFileError(header_problems)
    reader.fieldnames = header

    known_users = set(get_user_model().objects.values_list("username", flat=True))
    sources = {choice.value for choice in Source}
    rows: list[LeadRow] = []
    problems: list[str] = []
    try:
        for record in reader:
            line = reader.line_num
            if None in record:
                problems.append(f"line {line}: more fields than the header has")
                continue
            # A cell our export quoted against spreadsheet formulas reads back as it was.
            values = {key: csv_safe.restore(value or "").strip() for key, value in record.items()}
            if not any(values.values()):
                continue
            row_problems: list[str] = []
            organization, note = "", ""
            try:
                organization = limits.single_line(
                    values["organization"], field="organization name", max_length=limits.ORGANIZATION_NAME
                )
                if not organization:
                    row_problems.append("organization is empty")
            except limits.TextError as exc:
                row_problems.append(str(exc))
            try:
                note = limits.multi_line(values.get("note", ""), field="note", max_length=limits.NOTE)
            except limits.TextError as exc:
                row_problems.append(str(exc))
            contacts: list[tuple[str, str]] = []
            try:
                contacts = parse_contact_list(values["contacts"])
                if not contacts:
                    row_problems.append("no contact (expected Name <email>; several separated by ;)")
            except AddressError as exc:
                row_problems.append(f"contacts: {exc}")
            stage = Stage.LEAD
            if values.get("stage"):
                try:
                    stage = Stage.parse(values["stage"])
                except ValueError as exc:
                    row_problems.append(str(exc))
            owner = values.get("owner", "")
            if owner and owner not in known_users:
                row_problems.append(f"owner {owner!r} is not a user")
            source = values.get("source") or Source.IMPORT
            if source not in sources:
                row_problems.append(f"source {source!r} is not one of {', '.join(sorted(sources))}")
            if row_problems:
                problems.extend(f"line {line}: {problem}" for problem in row_problems)
                continue
            rows.append(LeadRow(line, organization, contacts, stage, owner, source, note))
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: not valid CSV: {exc}")
    if problems:
        raise ImportFileError(problems)
    return rows


@transaction.atomic
def leads_import(
    *, rows: Sequence[LeadRow], actor: Actor, source_name: str, progress: Progress | None = None
) -> ImportResult:
    """Write checked rows in bulk, in one transaction: all of them or none."""
    result = ImportResult()
    now = clock.now()

    organizations: dict[str, Organization] = {}
    wanted = {row.organization.lower(): row.organization for row in rows}
    for chunk in _chunks(list(wanted), size=400):
        # SQLite's LOWER() folds ASCII only, so match the exact spellings too.
        names = [wanted[key] for key in chunk]
        existing = (
            Organization.objects.annotate(key=Lower("name"))
            .filter(Q(key__in=chunk) | Q(name__in=names))
            .only("id", "name")
        )
        organizations.update({organization.name.lower(): organization for organization in existing})
    new_organizations = [Organization(name=name) for key, name in wanted.items() if key not in organizations]
    Organization.objects.bulk_create(new_organizations, batch_size=500)
    result.organizations_created = len(new_organizations)
    organizations.update({o.name.lower(): o for o in new_organizations})

    first_seen: dict[str, tuple[str, Organization]] = {}
    for row in rows:
        for name, email in row.contacts:
            first_seen.setdefault(email, (name, organizations[row.organization.lower()]))
    emails = list(first_seen)
    contacts: dict[str, Contact] = {}
    for chunk in _chunks(emails):
        contacts.update({c.email: c for c in Contact.objects.filter(email__in=chunk)})
    new_contacts = [
        Contact(email=email, name=name, organization=organization)
        for email, (name, organization) in first_seen.items()
        if email not in contacts
    ]
    Contact.objects.bulk_create(new_contacts, batch_size=500)
    result.contacts_created = len(new_contacts)
    contacts.update({c.email: c for c in new_contacts})

    owners = {
        user.get_username(): user
        for user in get_user_model().objects.filter(username__in={r.owner for r in rows if r.owner})
    }
    total = len(rows)
    batch_size = 1000
    for start in range(0, total, batch_size):
        batch = rows[start : start + batch_size]
        engagements = Engagement.objects.bulk_create(
            [
                Engagement(
                    organization=organizations[row.organization.lower()],
                    stage=row.stage.value,
                    stage_changed_at=now,
                    created_at=now,
                    source=row.source,
                    owner=owners.get(row.owner),
                )
                for row in batch
            ]
        )
        links = []
        entries = []
        for row, engagement in zip(batch, engagements, strict=True):
            for email in dict.fromkeys(email for _, email in row.contacts):
                links.append(EngagementContact(engagement=engagement, contact=contacts[email]))
            entries.append(
                TimelineEntry(
                    engagement=engagement,
                    kind=TimelineEntry.Kind.CREATED,
                    at=now,
                    actor=actor.label,
                    actor_user=actor.user,
                    summary=f"Imported at {row.stage.label} from {source_name} line {row.line}",
                    data={
                        "contacts": [email for _, email in row.contacts],
                        "source": row.source,
                        "line": row.line,
                    },
                )
            )
            if row.note:
                entries.append(
                    TimelineEntry(
                        engagement=engagement,
                        kind=TimelineEntry.Kind.NOTE,
                        at=now,
                        actor=actor.label,
                        actor_user=actor.user,
                        summary=row.note,
                    )
                )
            result.references.append(engagement.reference)
        EngagementContact.objects.bulk_create(links)
        TimelineEntry.objects.bulk_create(entries)
        result.engagements += len(engagements)
        if progress is not None:
            progress(result.engagements, total)
    return result


def export_csv(rows: Iterable[dict[str, Any]], out: io.TextIOBase) -> None:
    """The engagements as CSV; a cell a spreadsheet would run as a formula is quoted (lib/csv_safe)."""
    writer = csv_safe.DictWriter(out, fieldnames=EXPORT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        contacts = "; ".join(
            f'"{c["name"]}" <{c["email"]}>' if c["name"] else c["email"] for c in row["contacts"]
        )
        writer.writerow({**row, "contacts": contacts, "owner": row["owner"] or ""})
