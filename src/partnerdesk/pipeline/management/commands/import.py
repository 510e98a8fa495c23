"""`partnerdesk import leads.csv`: check the whole file, then import all of it or nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.pipeline.importing import ImportFileError, leads_import, read_lead_rows

PROGRESS_FROM_ROWS = 2000


class Command(PartnerdeskCommand):
    help = (
        "Import engagements from a CSV file with the columns organization, contacts "
        "(Name <email>; several separated by ;) and optionally stage, owner, source, note. "
        "Nothing is imported unless every row is good."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "file", type=Path, help="the CSV file (UTF-8, with a header line), or `freshdesk` with --domain"
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file and import nothing")
        parser.add_argument(
            "--domain",
            help="`partnerdesk import freshdesk --domain acme`: import the tickets of acme.freshdesk.com "
            "(API key from FRESHDESK_API_KEY or FRESHDESK_API_KEY_FILE)",
        )

    def handle(
        self, *args: Any, file: Path, dry_run: bool, domain: str | None = None, **options: Any
    ) -> None:
        if str(file) == "freshdesk" and (domain is not None or not file.exists()):
            if domain is None:
                raise CommandError("`partnerdesk import freshdesk` needs --domain (your Freshdesk subdomain)")
            # Freshdesk's client loads for this source only; the CSV import needs none of it.
            from partnerdesk.integrations.freshdesk.command import import_freshdesk

            import_freshdesk(
                domain=domain, dry_run=dry_run, actor=self.cli_actor(), out=self.stdout, err=sys.stderr
            )
            return
        if domain is not None:
            raise CommandError("--domain goes with `partnerdesk import freshdesk`")
        try:
            rows = read_lead_rows(file)
        except ImportFileError as exc:
            for problem in exc.problems:
                self.stderr.write(problem)
            raise CommandError(f"{file}: {len(exc.problems)} problem(s); nothing was imported") from None
        if dry_run:
            self.stdout.write(f"{file}: {len(rows)} rows are good; nothing imported (--dry-run)")
            return
        show_progress = len(rows) >= PROGRESS_FROM_ROWS

        def progress(done: int, total: int) -> None:
            if show_progress:
                sys.stderr.write(f"\rimporting: {done:,} / {total:,} rows")
                if done == total:
                    sys.stderr.write("\n")

        result = leads_import(rows=rows, actor=self.cli_actor(), source_name=file.name, progress=progress)
        self.stdout.write(
            f"imported {result.engagements} engagements "
            f"({result.organizations_created} new organizations, {result.contacts_created} new contacts)"
        )
