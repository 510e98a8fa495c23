"""An engagement's checklist from the command line: tasks shown, added, done and undone."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def test_tasks_are_added_listed_done_and_undone_and_shown_on_the_engagement(cli):
    reference = cli("lead", "add", "Harbor University", "--contact", "lee@harbor.example.edu").out.strip()
    added = cli(
        "task", "add", reference, "Send the demo hub link", "--assignee", "alice", "--due", "2026-12-01"
    )
    assert added.code == 0, added.err
    task_id = int(added.out.strip().lstrip("#"))

    listed = cli("task", "list", reference)
    assert listed.out.strip() == f"[ ] #{task_id} Send the demo hub link  for alice  due 2026-12-01"
    assert cli("task", "done", str(task_id)).out.strip() == f"#{task_id} done: Send the demo hub link"
    shown = json.loads(cli("lead", "show", reference, "--json").out)
    assert shown["tasks"] == [
        {
            "id": task_id,
            "title": "Send the demo hub link",
            "assignee": "alice",
            "due_on": "2026-12-01",
            "done": True,
        }
    ]
    assert "[x] #" in cli("lead", "show", reference).out
    assert cli("task", "undo", str(task_id)).code == 0
    assert json.loads(cli("task", "list", reference, "--json").out)[0]["done"] is False
    summaries = [entry["summary"] for entry in shown["timeline"]]
    assert "Task for alice: Send the demo hub link, due 2026-12-01" in summaries
    assert "Task done: Send the demo hub link" in summaries


def test_an_unknown_task_is_one_clear_line(cli):
    result = cli("task", "done", "4242")
    assert (result.code, result.err) == (1, "partnerdesk task: no task 4242\n")
