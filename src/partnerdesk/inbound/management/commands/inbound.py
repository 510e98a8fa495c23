"""`partnerdesk inbound ingest FOLDER`: store (and process) every .eml file of a folder."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from partnerdesk.inbound.ingest import folder_ingest
from partnerdesk.inbound.processing import messages_process_due
from partnerdesk.lib.commands import PartnerdeskCommand


class Command(PartnerdeskCommand):
    help = "Inbound mail in bulk: `ingest FOLDER` stores every .eml file in it (the files are left alone)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        ingest = actions.add_parser("ingest", help="store and process every FOLDER/*.eml, in name order")
        ingest.add_argument("folder", type=Path, metavar="FOLDER")
        ingest.add_argument(
            "--no-process", action="store_true", help="store only; the worker processes later"
        )

    def handle(self, *args: Any, action: str, folder: Path, no_process: bool, **options: Any) -> None:
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        paths = sorted(folder.glob("*.eml"))
        start = time.perf_counter()
        if not no_process:
            # What was waiting before these files came first (as the worker would have it).
            while messages_process_due():
                pass
        report = folder_ingest(paths, process=not no_process)
        processed = report.processed
        if not no_process and report.failed:
            # A message whose processing raised is tried again, up to its last try (then it is
            # quarantined with the error), as the worker would.
            while batch := messages_process_due():
                processed += batch
        seconds = time.perf_counter() - start
        self.stdout.write(
            f"inbound: {len(paths)} file(s): {report.new} new, {report.repeated} already stored, "
            f"{processed} processed in {seconds:.2f} s"
        )
