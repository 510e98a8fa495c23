"""`partnerdesk task list|add|done|undo`: an engagement's checklist."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandError

from partnerdesk.lib.commands import PartnerdeskCommand, date_argument
from partnerdesk.pipeline import selectors, services


class Command(PartnerdeskCommand):
    help = "List an engagement's tasks, add one, or mark one done or not done."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        listing = actions.add_parser("list", help="the tasks of an engagement")
        listing.add_argument("reference")
        listing.add_argument("--json", action="store_true")
        add = actions.add_parser("add", help="add a task")
        add.add_argument("reference")
        add.add_argument("title")
        add.add_argument("--assignee", default="", help="who does it")
        add.add_argument("--due", type=date_argument, metavar="YYYY-MM-DD")
        for name, help_text in (("done", "mark a task done"), ("undo", "mark a task not done")):
            action = actions.add_parser(name, help=help_text)
            action.add_argument("task_id", type=int, metavar="ID")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "list":
            engagement = selectors.engagement_get(options["reference"])
            rows = [selectors.task_data(task) for task in engagement.tasks.all()]
            if options["json"]:
                self.write_json(rows)
                return
            for row in rows:
                due = f"  due {row['due_on']}" if row["due_on"] else ""
                who = f"  for {row['assignee']}" if row["assignee"] else ""
                self.stdout.write(f"[{'x' if row['done'] else ' '}] #{row['id']} {row['title']}{who}{due}")
            if not rows:
                self.stdout.write(f"{engagement.reference} has no tasks")
        elif action == "add":
            engagement = selectors.engagement_get(options["reference"])
            task = services.task_create(
                engagement=engagement,
                title=options["title"],
                assignee=options["assignee"],
                due_on=options["due"],
                actor=self.cli_actor(),
            )
            self.stdout.write(f"#{task.pk}")
        else:
            try:
                task = selectors.task_get(options["task_id"])
            except LookupError as exc:
                raise CommandError(str(exc)) from None
            services.task_set_done(task=task, done=action == "done", actor=self.cli_actor())
            self.stdout.write(f"#{task.pk} {'done' if action == 'done' else 'not done'}: {task.title}")
