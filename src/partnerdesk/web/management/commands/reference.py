"""`partnerdesk reference`: render docs/cli.md, docs/settings.md and docs/template-variables.md
(see reference_docs.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.reference_docs import render_reference, stale_pages


class Command(PartnerdeskCommand):
    help = (
        "Render the command, settings and template-variable references"
        " (docs/cli.md, docs/settings.md, docs/template-variables.md)."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--output", type=Path, metavar="FOLDER", help="write the pages into this folder")
        parser.add_argument(
            "--check", type=Path, metavar="FOLDER", help="exit 1 if the pages in FOLDER are not up to date"
        )

    def handle(self, *args: Any, output: Path | None, check: Path | None, **options: Any) -> None:
        if check is not None:
            stale = stale_pages(check)
            if stale:
                names = ", ".join(str(check / name) for name in stale)
                raise CommandError(f"out of date: {names}: run `partnerdesk reference --output {check}`")
            self.stdout.write(f"{', '.join(str(check / name) for name in render_reference())} are up to date")
            return
        if output is None:
            raise CommandError("say where: --output FOLDER, or --check FOLDER")
        output.mkdir(parents=True, exist_ok=True)
        for name, text in render_reference().items():
            (output / name).write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {output / name}")
