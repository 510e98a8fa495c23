"""Playbook files: the shipped ones load, and a bad one is reported precisely while the rest load."""

from __future__ import annotations

from pathlib import Path

from partnerdesk.playbooks.specs import DEFAULTS_DIR, load_library

SHIPPED = [
    "hail-the-lead",
    "create-running-notes",
    "meet-with-lead",
    "send-draft-contract",
    "service-agreement-negotiation",
    "docusign-agreement",
    "technical-exchange",
    "launch-meeting",
]


def test_the_shipped_playbooks_load_without_errors():
    library = load_library([DEFAULTS_DIR])
    assert library.errors == []
    assert [spec.name for spec in library.in_order()] == SHIPPED


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_team_file_overrides_the_shipped_one_of_the_same_name(tmp_path):
    team = tmp_path / "team"
    text = (
        (DEFAULTS_DIR / "hail-the-lead.toml")
        .read_text()
        .replace('title = "Hail the Lead"', 'title = "Say hello"')
    )
    _write(team, "hail-the-lead", text)
    library = load_library([DEFAULTS_DIR, team])
    assert library.get("hail-the-lead").title == "Say hello"
    assert library.sources["hail-the-lead"] == team / "hail-the-lead.toml"


def test_a_bad_file_is_reported_with_its_path_step_and_field_and_the_others_still_load(tmp_path):
    team = tmp_path / "team"
    bad = _write(
        team,
        "welcome-pack",
        """
name = "welcome-pack"
title = "Welcome pack"
phase = "partner"
description = "Send the welcome pack."
[trigger]
description = "by hand"
[[steps]]
id = "notes"
kind = "copy_template"
title = "Copy the welcome pack"
template = "Partnerships/Templates/Welcome"
name = "Welcome {partner}"
[[steps]]
id = "share-notes"
kind = "share"
title = "Share it"
document = "notes"
role = "owner"
[[steps]]
id = "hello"
kind = "send_email"
title = "Say hello"
subject = "Hello {partnr}"
body = "Hi"
""",
    )
    library = load_library([DEFAULTS_DIR, team])
    assert [str(error) for error in library.errors] == [
        f"{bad}: steps[1] (id 'share-notes').role: Input should be 'editor' or 'viewer'",
        f"{bad}: steps[2] (id 'hello').subject: unknown placeholder {{partnr}} (known: partner, reference, "
        "organization, fiscal_sponsor, fiscal_sponsor_email, mailbox, mailbox_name, scheduling_link, "
        "agreements_folder, templates_folder, partner_folder, contact_names, contact_emails, owner, today, "
        "agreement, agreement_signatories, agreement_value, agreement_term)",
    ]
    assert [spec.name for spec in library.in_order()] == SHIPPED


def test_steps_must_refer_to_steps_that_exist_and_ids_must_be_unique(tmp_path):
    path = _write(
        tmp_path,
        "odd",
        """
name = "odd"
title = "Odd"
phase = "lead"
description = "x"
[trigger]
description = "by hand"
[[steps]]
id = "look"
kind = "check"
title = "Check the mail"
message = "mail"
includes = ["x"]
[[steps]]
id = "look"
kind = "share"
title = "Share"
document = "notes"
""",
    )
    library = load_library([tmp_path])
    assert [error.message for error in library.errors] == [
        "steps[0] (id 'look').message: no send_email step with id 'mail'",
        "steps[1] (id 'look').id: another step already has this id",
        "steps[1] (id 'look').document: no earlier copy_template step with id 'notes'",
    ]
    assert library.errors[0].path == path


def test_a_file_that_is_not_toml_or_misnamed_is_reported(tmp_path):
    _write(tmp_path, "broken", "name = \n")
    _write(tmp_path, "other-name", (DEFAULTS_DIR / "meet-with-lead.toml").read_text())
    messages = [error.message for error in load_library([tmp_path]).errors]
    assert messages[0].startswith("not valid TOML")
    assert messages[1] == "name: 'meet-with-lead' must match the file name 'other-name'"
