"""`partnerdesk lead ...`: add, list, show, qualify, move, annotate and merge engagements."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from partnerdesk.lib.addresses import AddressError, parse_contact_list
from partnerdesk.lib.commands import PartnerdeskCommand, date_argument
from partnerdesk.ops.merging import engagement_merge, engagement_merged_into
from partnerdesk.pipeline import selectors, services
from partnerdesk.pipeline.qualification import Answer, Criterion
from partnerdesk.pipeline.stages import Stage

ANSWERS = [answer.value for answer in Answer]


class Command(PartnerdeskCommand):
    help = "Add, list, show, qualify, move, annotate and merge engagements (leads)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

        add = actions.add_parser("add", help="open a new Lead and print its reference")
        add.add_argument("organization", help='the organization ("PartnerX")')
        add.add_argument(
            "--contact",
            action="append",
            default=[],
            metavar='"NAME <EMAIL>"',
            help='a contact; repeat for several, or separate them with "," or ";" '
            "(a name with a comma goes in quotes: '\"Doe, Jane\" <jane@x.org>')",
        )
        add.add_argument("--note", default="", help="a first note on the timeline")
        add.add_argument("--owner", help="username of the team member who owns it")

        listing = actions.add_parser("list", help="list engagements")
        listing.add_argument(
            "--stage", help="only this stage (lead, qualified-lead, prospect, partner, closed)"
        )
        listing.add_argument("--json", action="store_true", help="a JSON array, one object per engagement")

        show = actions.add_parser("show", help="one engagement with its qualification and timeline")
        show.add_argument("reference", help="e.g. PD-12")
        show.add_argument("--json", action="store_true")

        qualify = actions.add_parser("qualify", help="record the handbook's questions and MANIAC-T answers")
        qualify.add_argument("reference")
        for criterion in Criterion:
            qualify.add_argument(f"--{criterion.value}", choices=ANSWERS, help=criterion.question)
            qualify.add_argument(
                f"--{criterion.value}-notes", metavar="TEXT", help=f"notes on {criterion.label}"
            )
        qualify.add_argument("--good-candidate", choices=ANSWERS, help="are their needs a good candidate?")
        qualify.add_argument(
            "--qualified", choices=ANSWERS, help="are they qualified to set up a partnership?"
        )

        move = actions.add_parser("move", help="move to another stage (the guard names what is missing)")
        move.add_argument("reference")
        move.add_argument("stage", help="lead, qualified-lead, prospect, partner or closed")
        move.add_argument("--reason", default="", help="required to close or reopen")

        verbal = actions.add_parser("verbal-yes", help="record the verbal yes (Qualified Lead -> Prospect)")
        verbal.add_argument("reference")
        verbal.add_argument("--by", required=True, metavar="NAME", help="who said yes")
        verbal.add_argument("--on", type=date_argument, metavar="YYYY-MM-DD", help="when (default today)")

        close = actions.add_parser("executed-close", help="record the executed close (Prospect -> Partner)")
        close.add_argument("reference")
        close.add_argument("--agreement", required=True, help="the signed agreement's reference")
        close.add_argument("--on", type=date_argument, metavar="YYYY-MM-DD", help="when (default today)")

        note = actions.add_parser("note", help="add a note to the timeline")
        note.add_argument("reference")
        note.add_argument("text")

        merge = actions.add_parser(
            "merge",
            help="merge an engagement opened twice into the other one: contacts, timeline, documents, "
            "runs, tasks, agreements and mail move to it, and the first is closed as merged",
        )
        merge.add_argument("reference", help="the engagement to merge (it is closed afterwards)")
        merge.add_argument("into", metavar="into_reference", help="the engagement that gets everything")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, "handle_" + action.replace("-", "_"))(**options)

    def handle_add(
        self, *, organization: str, contact: list[str], note: str, owner: str | None, **_: Any
    ) -> None:
        contacts = []
        for text in contact:
            found = parse_contact_list(text)
            if not found:
                raise AddressError(f"--contact {text!r} has no email address (expected Name <email>)")
            contacts.extend(found)
        owner_user = None
        if owner:
            owner_user = get_user_model().objects.filter(username=owner).first()
            if owner_user is None:
                raise CommandError(f"no user named {owner!r}")
        engagement = services.engagement_create(
            organization_name=organization,
            contacts=contacts,
            actor=self.cli_actor(),
            owner=owner_user,
            note=note,
        )
        self.stdout.write(engagement.reference)

    def handle_list(self, *, stage: str | None, json: bool, **_: Any) -> None:
        rows = selectors.engagement_list(stage=Stage.parse(stage) if stage else None)
        if json:
            self.write_json(rows)
            return
        if not rows:
            self.stdout.write("no engagements")
            return
        for row in rows:
            people = ", ".join(contact["email"] for contact in row["contacts"]) or "-"
            self.stdout.write(
                f"{row['reference']:<10} {Stage(row['stage']).label:<15} {row['organization']}  ({people})"
            )

    def handle_show(self, *, reference: str, json: bool, **_: Any) -> None:
        engagement = selectors.engagement_get(reference)
        detail = selectors.engagement_detail(engagement)
        merged_into = engagement_merged_into(engagement)
        if json:
            self.write_json({**detail, "merged_into": merged_into.reference if merged_into else None})
            return
        write = self.stdout.write
        write(f"{detail['reference']}  {detail['organization']}  [{Stage(detail['stage']).label}]")
        if merged_into is not None:
            write(f"  merged into {merged_into.reference} {merged_into.organization.name}: all is there now")
        for contact in detail["contacts"]:
            write(
                f"  contact: {contact['name']} <{contact['email']}>"
                if contact["name"]
                else f"  contact: {contact['email']}"
            )
        qualification = detail["qualification"]
        write(
            f"  good candidate: {qualification['good_candidate']}   qualified: {qualification['qualified']}"
        )
        write(
            "  MANIAC-T: "
            + ", ".join(f"{key} {value['answer']}" for key, value in qualification["maniac_t"].items())
        )
        if qualification["questions_to_ask"]:
            write("  questions still to ask:")
            for question in qualification["questions_to_ask"]:
                write(f"    - {question}")
        if detail["tasks"]:
            write("  tasks:")
            for task in detail["tasks"]:
                mark = "x" if task["done"] else " "
                extra = "".join(
                    f" ({label} {task[key]})"
                    for key, label in (("assignee", "for"), ("due_on", "due"))
                    if task[key]
                )
                write(f"    [{mark}] #{task['id']} {task['title']}{extra}")
        write("  timeline:")
        for entry in detail["timeline"]:
            write(f"    {entry['at'][:16].replace('T', ' ')}  {entry['actor']}: {entry['summary']}")

    def handle_qualify(
        self, *, reference: str, good_candidate: str | None, qualified: str | None, **options: Any
    ) -> None:
        engagement = selectors.engagement_get(reference)
        answers = {}
        notes = {}
        for criterion in Criterion:
            key = criterion.value.replace("-", "_")
            if options.get(key) is not None:
                answers[criterion] = Answer(options[key])
            if options.get(key + "_notes") is not None:
                notes[criterion] = options[key + "_notes"]
        changes = services.engagement_qualify(
            engagement=engagement,
            actor=self.cli_actor(),
            answers=answers,
            notes=notes,
            good_candidate=Answer(good_candidate) if good_candidate else None,
            qualified=Answer(qualified) if qualified else None,
        )
        self.stdout.write("; ".join(changes) if changes else "nothing changed")
        unknown = selectors.scorecard_of(engagement).unknown
        if unknown:
            self.stdout.write("still unknown: " + ", ".join(criterion.label for criterion in unknown))

    def handle_move(self, *, reference: str, stage: str, reason: str, **_: Any) -> None:
        engagement = selectors.engagement_get(reference)
        check = services.engagement_move(
            engagement=engagement, to=Stage.parse(stage), actor=self.cli_actor(), reason=reason
        )
        for warning in check.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"{engagement.reference} is now {Stage(engagement.stage).label}")

    def handle_verbal_yes(self, *, reference: str, by: str, on: dt.date | None, **_: Any) -> None:
        engagement = selectors.engagement_get(reference)
        services.engagement_record_verbal_yes(engagement=engagement, by=by, on=on, actor=self.cli_actor())
        self.stdout.write(f"{engagement.reference}: verbal yes from {by} recorded")

    def handle_executed_close(self, *, reference: str, agreement: str, on: dt.date | None, **_: Any) -> None:
        engagement = selectors.engagement_get(reference)
        services.engagement_record_executed_close(
            engagement=engagement, on=on, agreement=agreement, actor=self.cli_actor()
        )
        self.stdout.write(f"{engagement.reference}: executed close recorded")

    def handle_note(self, *, reference: str, text: str, **_: Any) -> None:
        engagement = selectors.engagement_get(reference)
        services.engagement_add_note(engagement=engagement, text=text, actor=self.cli_actor())
        self.stdout.write(f"{engagement.reference}: note added")

    def handle_merge(self, *, reference: str, into: str, **_: Any) -> None:
        source, target = selectors.engagement_get(reference), selectors.engagement_get(into)
        result = engagement_merge(source=source, target=target, actor=self.cli_actor())
        self.stdout.write(result.summary)
        self.stdout.write(f"{source.reference} is closed: merged into {target.reference}")
