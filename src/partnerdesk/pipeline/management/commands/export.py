"""`partnerdesk export [--format csv|json]`: every engagement, in a form `import` reads back."""

from __future__ import annotations

import argparse
import json
from typing import Any

from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.pipeline.importing import export_csv
from partnerdesk.pipeline.selectors import engagement_list


class Command(PartnerdeskCommand):
    help = "Export every engagement to standard output as CSV (importable) or JSON."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: Any, format: str, **options: Any) -> None:
        rows = engagement_list()
        if format == "json":
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            export_csv(rows, self.stdout)
