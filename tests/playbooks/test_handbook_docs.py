"""The SOP handbook page and the automation come from one source: the playbook files."""

from __future__ import annotations

from pathlib import Path

from partnerdesk.playbooks.docs import render_handbook
from partnerdesk.playbooks.specs import DEFAULTS_DIR, load_library

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "handbook.md"

# Word for word from the handbook's "SOP: Hail the Lead".
HANDBOOK_CANNED_RESPONSE = """\
    Hello!

    Thank you for your interest in learning more about 2i2c.

    If you wish to connect for a conversation, I invite you to [schedule a virtual meeting by clicking here](https://calendly.com/colliand/2i2c-30-minute-zoom-meeting).

    Best regards,
    2i2c's Partnerships Team
"""


def test_the_committed_handbook_is_what_the_playbooks_render():
    rendered = render_handbook(load_library([DEFAULTS_DIR]))
    assert COMMITTED.read_text(encoding="utf-8") == rendered, (
        "docs/handbook.md is out of date: run `partnerdesk playbook docs --output docs/handbook.md`"
    )


def test_the_handbook_has_the_phases_sops_triggers_and_numbered_steps():
    text = render_handbook(load_library([DEFAULTS_DIR]))
    assert text.index("## Lead phase SOPs") < text.index("### SOP: Hail the Lead")
    assert "### SOP: Create running notes for the lead" in text
    assert "*Playbook `hail-the-lead`. Trigger: A team member emails the shared mailbox" in text
    assert "1. Confirm canned response includes a meeting invitation with 30 minute Calendly link" in text
    assert (
        "2. Create PartnerX folder inside Team Drive >> Partnerships/Agreements >> PartnerX" in text
        or "1. Create PartnerX folder inside Team Drive >> Partnerships/Agreements >> PartnerX" in text
    )
    assert HANDBOOK_CANNED_RESPONSE in text


def test_the_docs_command_says_when_a_handbook_file_is_out_of_date(cli, tmp_path):
    stale = tmp_path / "handbook.md"
    stale.write_text("# old\n", encoding="utf-8")
    result = cli("playbook", "docs", "--check", str(stale))
    assert result.code == 1
    assert "is out of date: run `partnerdesk playbook docs --output" in result.err
    assert cli("playbook", "docs", "--output", str(stale)).code == 0
    assert cli("playbook", "docs", "--check", str(stale)).code == 0
