"""`partnerdesk backup FILE|FOLDER`, `partnerdesk backup --verify FILE` (docs/backups.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.ops.archive import BackupError
from partnerdesk.ops.backup import backup_create, backup_verify


class Command(PartnerdeskCommand):
    help = (
        "Write one consistent archive of the database, the document store, the spool, the quarantine "
        "and the profile while partnerdesk runs (FILE, or a dated file inside FOLDER); with --verify, "
        "check an archive without restoring it."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", metavar="FILE", type=Path, help="the archive to write (or a folder)")
        parser.add_argument("--verify", action="store_true", help="check FILE against its manifest instead")

    def handle(self, *args: Any, file: Path, verify: bool, **options: Any) -> None:
        try:
            if verify:
                verified = backup_verify(archive=file, progress=self.stdout.write)
                for note in verified.notes:
                    self.stdout.write(f"note: {note}")
                self.stdout.write(f"{file}: ok")
            else:
                backup_create(destination=file, progress=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
