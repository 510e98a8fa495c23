"""The rendered handbook is the handbook: its lifecycle, its ten SOPs in its order with their
items in its words and order, its folder and template names, and MANIAC-T, from one source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from partnerdesk.inbound.actions import actions_markdown
from partnerdesk.playbooks.docs import render_handbook
from partnerdesk.playbooks.specs import DEFAULTS_DIR, load_library
from partnerdesk.profile import DEFAULT_PROFILE_PATH, load_profile

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "handbook.md"

# Word for word from the handbook's "SOP: Hail the Lead".
HANDBOOK_CANNED_RESPONSE = """\
    Hello!

    Thank you for your interest in learning more about 2i2c.

    If you wish to connect for a conversation, I invite you to [schedule a virtual meeting by clicking here](https://calendly.com/colliand/2i2c-30-minute-zoom-meeting).

    Best regards,
    2i2c's Partnerships Team
"""

HANDBOOK_SOPS = [
    "Hail the Lead",
    "Create running notes for the lead",
    "Meet with the lead",
    "Send Draft Contract",
    "Service Agreement Negotiation",
    "DocuSign Agreement",
    "Launch Meeting",
    "Invoicing",
    "Satisfaction Check-In",
    "Renewal Tickler System",
]


def _handbook(profile_path: Path = DEFAULT_PROFILE_PATH) -> str:
    return render_handbook(
        load_library([DEFAULTS_DIR]), load_profile(profile_path), more=[actions_markdown()]
    )


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n### ", start + 1)
    return text[start : end if end > 0 else len(text)]


def _items(section: str) -> list[str]:
    """The numbered items, in order, as `N. text`."""
    return re.findall(r"^\d+\. .*$", section, re.MULTILINE)


def test_the_committed_handbook_is_the_docs_command_output_for_the_default_profile(cli):
    assert COMMITTED.read_text(encoding="utf-8") == _handbook(), (
        "docs/handbook.md is out of date: run `partnerdesk playbook docs --output docs/handbook.md`"
    )
    checked = cli("playbook", "docs", "--check", str(COMMITTED))
    assert checked.code == 0, checked.err


def test_the_handbook_has_the_lifecycle_the_ten_sops_in_order_then_partnerdesks_own_then_maniac_t():
    text = _handbook()
    headings = re.findall(r"^#{2,3} .*$", text, re.MULTILINE)
    assert text.startswith("# Partnerships handbook: the SOPs partnerdesk runs\n")
    assert headings[:2] == ["## Service partnership lifecycle", "## Lead phase SOPs"]
    sops = [heading.removeprefix("### SOP: ") for heading in headings if heading.startswith("### SOP: ")]
    assert sops == HANDBOOK_SOPS
    assert headings.index("## Prospect Phase SOPs") == headings.index("### SOP: Send Draft Contract") - 1
    assert headings.index("## Partnership Phase SOPs") == headings.index("### SOP: Launch Meeting") - 1
    assert headings[-4:] == [
        "## partnerdesk's own playbooks",
        "### Technical Exchange (partnerdesk's own)",
        "## Every stage action by email",
        "## When to decide to work with a lead",
    ]


def test_the_lifecycle_has_the_stages_the_two_questions_the_verbal_yes_and_the_executed_close():
    lifecycle = _handbook().split("## Service partnership lifecycle")[1].split("## Lead phase SOPs")[0]
    assert "`Lead` --> `Prospect` --> `Partner`" in lifecycle
    assert "1. Are their needs a good candidate for partnership with 2i2c?" in lifecycle
    assert "2. Are they qualified to set up partnership with 2i2c?" in lifecycle
    assert "If the answer to each is _yes_, they become a `Qualified Lead`." in lifecycle
    assert "If they verbally decide `yes`, then the lead becomes a `Prospect`." in lifecycle
    assert 'The prospect phase ends with an "executed close"' in lifecycle
    assert "A _Partner_ is an organization that has a signed agreement with 2i2c/CS&S." in lifecycle


def test_hail_the_lead_keeps_the_handbooks_four_items_with_the_confirmation_after_the_send():
    section = _section(_handbook(), "### SOP: Hail the Lead")
    assert _items(section) == [
        '1. Send Canned Response "Hail the Lead" to contact email(s):',
        "2. Change `From` field to `partnerships@2i2c.org`.",
        "3. Add cc: partnerships@2i2c.org",
        "4. Confirm canned response includes a meeting invitation with 30 minute Calendly link",
    ]
    assert HANDBOOK_CANNED_RESPONSE in section
    assert "*partnerdesk:* Confirm canned response links to https://calendly.com/colliand/" in section


def test_create_running_notes_keeps_the_six_items_and_the_folder_and_template_names():
    section = _section(_handbook(), "### SOP: Create running notes for the lead")
    assert _items(section) == [
        '1. Partnerships Lead specifies that the lead will be tracked under "PartnerX" (usually the name of '
        "the partner organization)",
        "2. Create PartnerX folder inside 2i2c Team Drive >> Partnerships >> Agreements >> `PartnerX`",
        "3. Copy 2i2c Team Drive >> Partnerships >> Templates >> [Template] Running Notes "
        "into PartnerX folder.",
        "4. Rename [Template] -- Running Notes... to `Running notes -- PartnerX + 2i2c` (with PartnerX "
        "replaced by name of partner organization).",
        "5. Replace `PartnerX` by partner name in the title of the running notes document.",
        "6. Set sharing of running notes file (with editor rights) with lead contacts "
        "(meeting participants); Send message from Google notifying the availability of the shared "
        "running notes file.",
    ]


def test_send_draft_contract_keeps_the_nine_items_and_marks_the_automations_own_step():
    section = _section(_handbook(), "### SOP: Send Draft Contract")
    items = _items(section)
    assert [item.split(". ", 1)[0] for item in items] == [str(n) for n in range(1, 10)]
    assert (
        items[3]
        == "4. Name the copy appropriately (i.e. `PartnerX + 2i2c/CS&S - Services Agreement YYYY-MM-DD`)"
    )
    assert items[6].startswith("7. Click **Make a Copy**")
    assert items[7] == "8. Set sharing of service agreement (with editor rights) with lead contacts"
    only = section.index("- *partnerdesk only:* Track the copy as the partner's services agreement")
    assert section.index(items[6]) < only < section.index(items[7])


def test_the_bulleted_sops_keep_their_bullets_in_order():
    text = _handbook()
    meet = _section(text, "### SOP: Meet with the lead")
    assert re.findall(r"^- (.*)$", meet, re.MULTILINE) == [
        "Answer questions",
        "Right to replicate",
        "Demo?",
        'Target: "verbal close"',
        "Forecast upcoming procurement/negotiation and technical/deployment stages",
        "Record notes and exchanges in Running Notes file",
    ]
    negotiation = _section(text, "### SOP: Service Agreement Negotiation")
    assert re.findall(r"^- (.*)$", negotiation, re.MULTILINE) == [
        "Answer questions",
        "Negotiate; Adjust text",
        "Specify addenda (statement of work; deliverables; ...)",
        'Target: get to "ready to sign"',
    ]


def test_the_partner_phase_sops_say_what_the_ticklers_do_with_the_profiles_numbers(tmp_path):
    text = _handbook()
    invoicing = _section(text, "### SOP: Invoicing")
    assert "Procedure to be specified better in collaboration with CS&S." in invoicing
    assert "due under the agreement's payment terms" in invoicing
    assert "else 30 days after it is issued" in invoicing
    assert "listed as missed on the engagement's page" in invoicing
    renewal = _section(text, "### SOP: Renewal Tickler System")
    assert "plans its invoices, check-ins and renewal reminders" in renewal
    assert "1, 15 and 30 days after its due date" in invoicing
    assert "Every 3 months from the start of the term" in _section(text, "### SOP: Satisfaction Check-In")
    assert "120, 90, 60 and 30 days before" in _section(text, "### SOP: Renewal Tickler System")

    profile = tmp_path / "partnerdesk.toml"
    profile.write_text(
        DEFAULT_PROFILE_PATH.read_text(encoding="utf-8").replace(
            "check_in_every_months = 3", "check_in_every_months = 6"
        ),
        encoding="utf-8",
    )
    assert "Every 6 months from the start of the term" in _handbook(profile)


def test_maniac_t_has_each_criterion_with_the_handbooks_question():
    maniac = _handbook().split("## When to decide to work with a lead")[1]
    labels = re.findall(r"^-   \*\*(.+?)\*\*\. ", maniac, re.MULTILINE)
    assert labels == [
        "Money",
        "Authority",
        "Need",
        "Impending Event",
        "Application",
        "Competition",
        "Timeline",
    ]
    assert "**Impending Event**. Do they have an upcoming event that is urgent or pressing?" in maniac


@pytest.mark.parametrize("name", ["hail-the-lead", "send-draft-contract", "create-running-notes"])
def test_a_step_with_an_unknown_placeholder_in_its_handbook_items_does_not_load(tmp_path, name):
    broken = tmp_path / f"{name}.toml"
    broken.write_text(
        (DEFAULTS_DIR / f"{name}.toml").read_text().replace("handbook = [", 'handbook = ["{nowhere}", ', 1),
        encoding="utf-8",
    )
    library = load_library([tmp_path])
    assert name not in library.playbooks
    assert "unknown placeholder {nowhere}" in library.errors[0].message


def test_the_docs_command_says_when_a_handbook_file_is_out_of_date(cli, tmp_path):
    stale = tmp_path / "handbook.md"
    stale.write_text("# old\n", encoding="utf-8")
    result = cli("playbook", "docs", "--check", str(stale))
    assert result.code == 1
    assert "is out of date: run `partnerdesk playbook docs --output" in result.err
    assert cli("playbook", "docs", "--output", str(stale)).code == 0
    assert cli("playbook", "docs", "--check", str(stale)).code == 0
