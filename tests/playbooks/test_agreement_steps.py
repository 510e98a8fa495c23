"""The agreement step kinds and the `agreement_ready` guard, as a team would write them."""

from __future__ import annotations

from pathlib import Path

from partnerdesk.playbooks.specs import DEFAULTS_DIR, load_library

SEND_FOR_SIGNATURE = """
name = "{name}"
title = "Our own circulation"
phase = "prospect"
description = "Send it out."
[trigger]
description = "By hand."
[guards]
requires = [{requires}]
[[steps]]
id = "circulate"
kind = "send_email"
title = "Circulate {{agreement}}"
to = ["{{fiscal_sponsor_email}}"]
subject = "Please circulate {{agreement}}"
body = "{{agreement_signatories}}"
attach_agreement = true
[[steps]]
id = "out"
kind = "set_agreement_status"
title = "Out for signature"
to = "{status}"
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_team_playbook_can_require_a_ready_agreement_and_attach_it(tmp_path):
    team = tmp_path / "team"
    _write(
        team,
        "circulate",
        SEND_FOR_SIGNATURE.format(name="circulate", requires='"agreement_ready"', status="out_for_signature"),
    )
    library = load_library([DEFAULTS_DIR, team])
    assert library.errors == []
    spec = library.get("circulate")
    assert spec.guards.requires == ["agreement_ready"]
    assert spec.steps[0].attach_agreement is True


def test_unknown_guards_statuses_and_documents_are_reported_with_the_step(tmp_path):
    team = tmp_path / "team"
    bad = _write(
        team, "circulate", SEND_FOR_SIGNATURE.format(name="circulate", requires='"signed"', status="signed")
    )
    orphan = _write(
        team,
        "orphan",
        'name = "orphan"\ntitle = "T"\nphase = "prospect"\ndescription = "D"\n[trigger]\ndescription = "D"\n'
        '[[steps]]\nid = "track"\nkind = "create_agreement"\ntitle = "Track"\ndocument = "draft"\n',
    )
    errors = [str(error) for error in load_library([DEFAULTS_DIR, team]).errors]
    assert f"{bad}: guards.requires.0: Input should be 'contacts' or 'agreement_ready'" in errors
    assert f"{bad}: steps[1] (id 'out').to: Input should be 'ready_to_sign' or 'out_for_signature'" in errors
    assert (
        f"{orphan}: steps[0] (id 'track').document: no earlier copy_template step with id 'draft'" in errors
    )
