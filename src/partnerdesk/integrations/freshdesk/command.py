"""The `partnerdesk import freshdesk --domain D` sub-form of `partnerdesk import`: parse, loop, report."""

from __future__ import annotations

import sys
import urllib.parse
from typing import Any

from django.core.management.base import CommandError

from partnerdesk.integrations.freshdesk.canned import CannedImportResult, canned_responses_import
from partnerdesk.integrations.freshdesk.client import FreshdeskClient, FreshdeskError, base_url
from partnerdesk.integrations.freshdesk.importing import freshdesk_import
from partnerdesk.lib.env import EnvError, env_secret
from partnerdesk.pipeline.services import Actor
from partnerdesk.playbooks.library import team_playbooks_folder
from partnerdesk.profile import get_profile

API_KEY_VARIABLE = "FRESHDESK_API_KEY"


def domain_key(domain: str) -> str:
    """The name tickets are remembered under: `acme` for acme, acme.freshdesk.com or its URL."""
    host = urllib.parse.urlparse(base_url(domain)).netloc
    return host.removesuffix(".freshdesk.com")


def _canned_summary(result: CannedImportResult, *, dry_run: bool, out: Any) -> None:
    if result.folder is None:
        out.write(
            "canned responses not imported: the profile names no team playbook folder; set"
            ' [playbooks] folder = "playbooks" (relative to the profile file) and run the import again\n'
        )
        return
    verb = "would write" if dry_run else "wrote"
    which = f" ({', '.join(result.written)})" if result.written else ""
    out.write(
        f"{result.responses_seen} canned responses read in {result.folders_seen} folders: {verb}"
        f" {len(result.written)} playbooks in {result.folder}{which}\n"
    )
    if result.existing:
        out.write(
            f"skipped {len(result.existing)} canned responses whose playbook file exists already"
            f" (imported before, or the team's own): {', '.join(result.existing)}\n"
        )
    for title, why in result.skipped:
        out.write(f"  skipped canned response {title!r}: {why}\n")
    if result.placeholders:
        out.write(
            "these keep Freshdesk placeholders such as {{ticket.requester.name}} as literal text;"
            f" edit them to use partnerdesk's ({{contact_names}}...): {', '.join(result.placeholders)}\n"
        )


def import_freshdesk(*, domain: str, dry_run: bool, actor: Actor, out: Any, err: Any = sys.stderr) -> None:
    try:
        api_key = env_secret(API_KEY_VARIABLE)
    except EnvError as exc:
        raise CommandError(str(exc)) from None
    if not api_key:
        raise CommandError(f"set {API_KEY_VARIABLE} (or {API_KEY_VARIABLE}_FILE) to your Freshdesk API key")

    def waiting(seconds: float) -> None:
        err.write(f"\nfreshdesk: rate limited, waiting {seconds:g} s as Retry-After asks\n")

    def progress(line: str) -> None:
        err.write(f"\rimporting from Freshdesk: {line}")

    try:
        client = FreshdeskClient(domain=domain, api_key=api_key, on_wait=waiting)
        result = freshdesk_import(
            client=client,
            domain=domain_key(domain),
            actor=actor,
            settings=get_profile().freshdesk,
            dry_run=dry_run,
            progress=progress,
        )
        canned = canned_responses_import(client=client, folder=team_playbooks_folder(), dry_run=dry_run)
    except FreshdeskError as exc:
        raise CommandError(f"Freshdesk: {exc}") from None
    if result.tickets_seen:
        err.write("\n")
    verb = "would import" if dry_run else "imported"
    which = f" ({', '.join(result.imported)})" if result.imported else ""
    out.write(
        f"{result.tickets_seen} tickets read in {result.pages} pages: "
        f"{verb} {len(result.imported)} as engagements{which}\n"
    )
    if not dry_run:
        out.write(f"added {result.conversations} conversations to the timelines\n")
    if result.already_imported:
        out.write(f"{result.already_imported} tickets were imported before (new conversations added)\n")
    if result.skipped:
        out.write(f"skipped {len(result.skipped)} tickets:\n")
        for ticket_id, why in result.skipped:
            out.write(f"  #{ticket_id}: {why}\n")
    _canned_summary(canned, dry_run=dry_run, out=out)
    if dry_run:
        out.write("nothing was written (--dry-run)\n")
