"""`partnerdesk playbook list|show|run|docs`: the SOPs as playbooks."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from partnerdesk.inbound.actions import actions_markdown
from partnerdesk.lib.addresses import parse_contact
from partnerdesk.lib.commands import PartnerdeskCommand
from partnerdesk.pipeline import selectors
from partnerdesk.playbooks.docs import render_handbook, render_playbook
from partnerdesk.playbooks.engine import AlreadyRan, NewLead, RunReport, playbook_preview, playbook_run
from partnerdesk.playbooks.library import get_library
from partnerdesk.playbooks.specs import PlaybookLibrary

STATUS_MARKS = {
    "done": "done",
    "failed": "FAILED",
    "pending": "pending",
    "skipped": "done before",
    "preview": "would",
}


class Command(PartnerdeskCommand):
    help = "List, show, run (or preview) the SOP playbooks, and render them as the handbook."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        actions.add_parser("list", help="every playbook, and the files that failed to load")
        show = actions.add_parser("show", help="one playbook as its handbook section, with its steps")
        show.add_argument("name")
        run = actions.add_parser(
            "run", help="run a playbook for an engagement (or resume its unfinished run)"
        )
        run.add_argument("name")
        run.add_argument("reference", nargs="?", help="the engagement, e.g. PD-12")
        run.add_argument(
            "--organization", help="for a playbook that opens the engagement: the partner's name"
        )
        run.add_argument(
            "--contact", action="append", default=[], metavar='"NAME <EMAIL>"', help="with --organization"
        )
        run.add_argument("--dry-run", action="store_true", help="show exactly what would happen; do nothing")
        run.add_argument(
            "--again", action="store_true", help="run a playbook that already completed once more"
        )
        docs = actions.add_parser("docs", help="render every playbook as one Markdown handbook")
        docs.add_argument("--output", type=Path, help="write to this file instead of standard output")
        docs.add_argument("--check", type=Path, metavar="FILE", help="exit 1 if FILE is not up to date")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        library = get_library()
        for error in library.errors:
            self.stderr.write(f"invalid playbook: {error}")
        getattr(self, f"handle_{action}")(library, **options)

    def handle_list(self, library: PlaybookLibrary, **_: Any) -> None:
        for spec in library.in_order():
            source = library.sources[spec.name]
            self.stdout.write(
                f"{spec.name:<24} {spec.phase:<9} {spec.title}  [{spec.trigger.kind}]  ({source})"
            )
        if library.errors:
            raise CommandError(f"{len({e.path for e in library.errors})} playbook file(s) failed to load")

    def handle_show(self, library: PlaybookLibrary, *, name: str, **_: Any) -> None:
        spec = library.get(name)
        self.stdout.write(render_playbook(spec))
        self.stdout.write(f"File: {library.sources[name]}")
        for number, step in enumerate(spec.steps, start=1):
            fields = step.model_dump(mode="json", by_alias=True, exclude={"id", "title", "kind"})
            settings = ", ".join(f"{key}={value!r}" for key, value in fields.items())
            self.stdout.write(f"  {number}. [{step.kind}] {step.id}: {settings}")

    def handle_docs(
        self, library: PlaybookLibrary, *, output: Path | None, check: Path | None, **_: Any
    ) -> None:
        text = render_handbook(library, more=[actions_markdown()])
        if check is not None:
            current = check.read_text(encoding="utf-8") if check.exists() else ""
            if current != text:
                raise CommandError(
                    f"{check} is out of date: run `partnerdesk playbook docs --output {check}`"
                )
            self.stdout.write(f"{check} is up to date")
            return
        if output is not None:
            output.write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {output}")
            return
        self.stdout.write(text, ending="")

    def handle_run(
        self,
        library: PlaybookLibrary,
        *,
        name: str,
        reference: str | None,
        organization: str | None,
        contact: list[str],
        dry_run: bool,
        again: bool,
        **_: Any,
    ) -> None:
        spec = library.get(name)
        engagement = selectors.engagement_get(reference) if reference else None
        new_lead = None
        if engagement is None:
            if not organization:
                raise CommandError(
                    f"name the engagement (e.g. {name} PD-12), or --organization and --contact"
                )
            new_lead = NewLead(organization, [parse_contact(text) for text in contact])
        actor = self.cli_actor()
        if dry_run:
            report = playbook_preview(spec=spec, actor=actor, engagement=engagement, new_lead=new_lead)
        else:
            try:
                report = playbook_run(
                    spec=spec, actor=actor, engagement=engagement, new_lead=new_lead, again=again
                )
            except AlreadyRan as exc:
                raise CommandError(f"{exc}; use --again to run it once more") from None
        self._write_report(report)
        failed = report.failed_step
        if failed is not None:
            raise CommandError(
                f"{report.engagement.reference if report.engagement else name}: step {failed.index} "
                f"({failed.step_id}) failed: {failed.lines[0]}; fix it and run the same command to resume"
            )

    def _write_report(self, report: RunReport) -> None:
        who = report.engagement.reference if report.engagement else "a new engagement"
        if report.dry_run:
            self.stdout.write(f"Dry run of {report.playbook} for {who}: nothing is done.")
        else:
            opened = " (opened now)" if report.created_engagement else ""
            resumed = ", resuming the unfinished run" if report.resumed else ""
            self.stdout.write(f"{report.playbook} for {who}{opened}{resumed}:")
        for step in report.steps:
            self.stdout.write(f"{step.index:>2}. [{STATUS_MARKS[step.status]}] {step.title}")
            for line in step.lines:
                self.stdout.write(f"      {line}")
        if report.succeeded:
            self.stdout.write(f"{report.playbook}: done for {who}")
