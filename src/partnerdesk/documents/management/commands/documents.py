"""`partnerdesk documents check`: is the document store the profile names usable, and if not, why."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandError

from partnerdesk import profile as profiles
from partnerdesk.documents.base import DocumentStoreError
from partnerdesk.documents.services import AGREEMENT_TEMPLATE, RUNNING_NOTES_TEMPLATE
from partnerdesk.lib.commands import PartnerdeskCommand


def documents_check() -> list[tuple[bool, str]]:
    """Each thing checked, in order, as (good, what was found); stops at the first that blocks the rest."""
    from partnerdesk.documents import gdrive  # Google's client libraries: loaded for this check only

    documents = profiles.get_profile().documents
    templates = [
        f"{documents.templates_folder}/{name}" for name in (RUNNING_NOTES_TEMPLATE, AGREEMENT_TEMPLATE)
    ]
    if documents.store != "google-drive":
        return [
            (True, f"the {documents.store} store keeps the drive in the data folder; no service to check")
        ]
    results: list[tuple[bool, str]] = []
    try:
        config = gdrive.DriveConfig.from_profile(documents)
        credentials = gdrive.load_credentials(config)
    except DocumentStoreError as exc:
        return [(False, str(exc))]
    who = config.subject or getattr(credentials, "service_account_email", "") or "the service account"
    results.append((True, f"credentials: acting as {who}"))
    store = gdrive.GoogleDriveStore(config, credentials_factory=lambda _: credentials, sleep=lambda _: None)
    try:
        name = store.shared_drive_name()
    except DocumentStoreError as exc:
        return [*results, (False, f"shared drive {config.shared_drive_id}: {exc}")]
    results.append((True, f"shared drive {name!r} ({config.shared_drive_id}) is reachable"))
    for template in templates:
        try:
            found = store.find_template(template)
            results.append((True, f"template {template!r} found: {found.url or found.store_id}"))
        except DocumentStoreError as exc:
            results.append((False, str(exc)))
    return results


class Command(PartnerdeskCommand):
    help = "Work with the document store. `documents check` verifies its configuration against the service."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("check", help="check the credentials, the shared drive and the templates")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        results = documents_check()
        for good, line in results:
            self.stdout.write(f"{'ok' if good else 'PROBLEM'}: {line}")
        problems = sum(1 for good, _ in results if not good)
        if problems:
            raise CommandError(f"the document store is not usable: {problems} problem(s) above")
        self.stdout.write("the document store is ready")
