"""`partnerdesk lead ...` as a user types it: output, JSON, exit statuses, one-line errors."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def _add(cli, *contacts: str, organization: str = "Harbor University") -> str:
    args = ["lead", "add", organization]
    for contact in contacts:
        args += ["--contact", contact]
    result = cli(*args)
    assert result.code == 0, result.err
    return result.out.strip()


def test_lead_add_prints_the_new_reference_and_show_json_has_the_contacts_and_timeline(cli):
    reference = _add(cli, "Lee Park <lee@harbor.example.edu>", "ana@harbor.example.edu")
    assert reference.startswith("PD-")
    cli("lead", "note", reference, "Met at JupyterCon")
    shown = json.loads(cli("lead", "show", reference, "--json").out)
    assert shown["reference"] == reference
    assert shown["organization"] == "Harbor University"
    assert shown["stage"] == "lead"
    assert shown["contacts"] == [
        {"name": "Lee Park", "email": "lee@harbor.example.edu"},
        {"name": "", "email": "ana@harbor.example.edu"},
    ]
    assert [entry["summary"] for entry in shown["timeline"]] == [
        "Created as a Lead for Harbor University",
        "Met at JupyterCon",
    ]


def test_lead_list_json_is_an_array_with_one_object_per_engagement_filtered_by_stage(cli):
    first = _add(cli, "lee@harbor.example.edu")
    second = _add(cli, "kim@delta.example.org", organization="Delta College")
    cli("lead", "move", second, "closed", "--reason", "not a fit")
    everything = json.loads(cli("lead", "list", "--json").out)
    assert [row["reference"] for row in everything] == [first, second]
    closed = json.loads(cli("lead", "list", "--stage", "closed", "--json").out)
    assert [(row["reference"], row["organization"]) for row in closed] == [(second, "Delta College")]


def test_a_refused_move_exits_non_zero_with_one_line_naming_the_missing_answers(cli):
    reference = _add(cli, "lee@harbor.example.edu")
    result = cli("lead", "move", reference, "qualified-lead")
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert result.err.startswith(f"partnerdesk lead: {reference} cannot move to Qualified Lead: ")
    assert "Are they qualified to set up partnership with 2i2c?" in result.err


def test_qualify_then_move_warns_about_unknown_maniac_t_and_moves(cli):
    reference = _add(cli, "lee@harbor.example.edu")
    result = cli(
        "lead", "qualify", reference, "--good-candidate", "yes", "--qualified", "yes", "--money", "yes"
    )
    assert result.code == 0
    assert "still unknown: Authority, Need, Impending Event, Application, Competition, Timeline" in result.out
    moved = cli("lead", "move", reference, "qualified-lead")
    assert moved.code == 0
    assert moved.out.strip() == f"{reference} is now Qualified Lead"
    assert moved.err.count("warning: MANIAC-T unknown:") == 6


def test_verbal_yes_and_executed_close_open_the_way_to_partner(cli):
    reference = _add(cli, "lee@harbor.example.edu")
    cli("lead", "qualify", reference, "--good-candidate", "yes", "--qualified", "yes")
    cli("lead", "move", reference, "qualified-lead")
    assert cli("lead", "verbal-yes", reference, "--by", "Lee Park", "--on", "2026-11-02").code == 0
    assert cli("lead", "move", reference, "prospect").code == 0
    assert cli("lead", "executed-close", reference, "--agreement", "SA-1", "--on", "2026-11-20").code == 0
    assert cli("lead", "move", reference, "partner").code == 0
    shown = json.loads(cli("lead", "show", reference, "--json").out)
    assert shown["stage"] == "partner"
    assert shown["verbal_yes"] == {"by": "Lee Park", "on": "2026-11-02"}
    assert shown["executed_close"] == {"on": "2026-11-20", "agreement": "SA-1"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lead", "show", "PD-4242"], "partnerdesk lead: no engagement PD-4242\n"),
        (["lead", "add", "X", "--contact", "Jane Doe"], "partnerdesk lead: 'Jane Doe' has no email address"),
        (
            ["lead", "add", "X", "--contact", "Jane <jane@localhost>"],
            "partnerdesk lead: 'jane@localhost' is not an email address",
        ),
        (["lead", "add", "  ", "--contact", "j@x.org"], "partnerdesk lead: the organization name is empty"),
        (["lead", "list", "--stage", "won"], "partnerdesk lead: unknown stage 'won'"),
        (["lead", "note", "PD-1", ""], "partnerdesk lead:"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_status_1(cli, args, message):
    result = cli(*args)
    assert result.code == 1
    assert result.err.startswith(message)
    assert "Traceback" not in result.err
    assert result.err.count("\n") == 1


def test_a_usage_mistake_exits_2_with_the_usage(cli):
    result = cli("lead", "move", "PD-1")
    assert result.code == 2
    assert "the following arguments are required: stage" in result.err
