"""`partnerdesk tech show|set|handoff`: the technical needs record and the hand-off to engineering."""

from __future__ import annotations

import argparse
from typing import Any

from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.pipeline import selectors
from partnerdesk.technical.models import TechnicalAnswer
from partnerdesk.technical.services import (
    handoff_plan,
    technical_answer_set,
    technical_handoff,
    technical_missing,
    technical_record,
)


class Command(PartnerdeskCommand):
    help = "An engagement's technical needs: show them, answer a question, hand off to engineering."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        show = actions.add_parser("show", help="every question with its answer, status and source")
        show.add_argument("reference")
        show.add_argument("--json", action="store_true")
        answer = actions.add_parser("set", help="answer one question (KEY as `tech show` lists it)")
        answer.add_argument("reference")
        answer.add_argument("key")
        answer.add_argument("value", nargs="?", default="")
        answer.add_argument("--status", choices=[s.value for s in TechnicalAnswer.Status], default="answered")
        answer.add_argument("--source", choices=[s.value for s in TechnicalAnswer.Source], default="cli")
        handoff = actions.add_parser("handoff", help="file, email and/or open the new service request")
        handoff.add_argument("reference")
        handoff.add_argument("--dry-run", action="store_true", help="show the request and where it goes")

    def handle(self, *args: Any, action: str, reference: str, **options: Any) -> None:
        engagement = selectors.engagement_get(reference)
        if action == "set":
            technical_answer_set(
                engagement=engagement,
                key=options["key"],
                value=options["value"],
                status=options["status"],
                source=options["source"],
                actor=self.cli_actor(),
            )
            missing = technical_missing(engagement)
            self.stdout.write(
                f"{engagement.reference}: {options['key']} recorded; {len(missing)} required still open"
            )
        elif action == "show":
            self._show(engagement, as_json=options["json"])
        elif options["dry_run"]:
            plan = handoff_plan(engagement)
            self.stdout.write(f"Dry run: nothing is done. The request would be filed as "
                              f"{plan.document_folder}/{plan.document_name}")  # fmt: skip
            if plan.email_to:
                self.stdout.write(f"and emailed to {plan.email_to}")
            if plan.repository:
                self.stdout.write(f"and opened as an issue in {plan.repository}")
            self.stdout.write("")
            self.stdout.write(plan.request)
        else:
            handoff = technical_handoff(engagement=engagement, actor=self.cli_actor())
            self.stdout.write(f"{engagement.reference} handed off: {handoff.document_path}")
            if handoff.issue_url:
                self.stdout.write(f"issue: {handoff.issue_url}")

    def _show(self, engagement: Any, *, as_json: bool) -> None:
        record = technical_record(engagement)
        handoff = record.handoff
        if as_json:
            self.write_json(
                {
                    "reference": engagement.reference,
                    "answers": record.rows,
                    "missing": record.missing,
                    "handoff": {"document": handoff.document_path, "issue_url": handoff.issue_url or None}
                    if handoff
                    else None,
                }
            )
            return
        for row in record.rows:
            mark = "*" if row["required"] else " "
            shown = row["value"] if row["status"] == "answered" else f"({row['status']})"
            self.stdout.write(f"{mark} {row['key']:<22} {shown}")
        if handoff:
            self.stdout.write(f"handed off: {handoff.document_path} {handoff.issue_url}".rstrip())
