"""`partnerdesk restore FILE [--force]`: an archive from `partnerdesk backup` into this
installation, which must be empty (docs/backups.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.ops.archive import BackupError
from partnerdesk.ops.restore import backup_restore


class Command(PartnerdeskCommand):
    help = (
        "Restore an archive made by `partnerdesk backup` into an empty data folder and database, "
        "migrating it if it is older, and check it against its manifest."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("file", metavar="FILE", type=Path, help="the archive")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace what the installation holds (its files are set aside in the data folder)",
        )

    def handle(self, *args: Any, file: Path, force: bool, **options: Any) -> None:
        try:
            restored = backup_restore(archive=file, force=force, progress=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        for note in restored.notes:
            self.stdout.write(f"note: {note}")
        self.stdout.write(f"restored {file}")
