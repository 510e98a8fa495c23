"""`partnerdesk import freshdesk`: canned responses become the team's email-template playbooks."""

from __future__ import annotations

import pytest

from partnerdesk.integrations.freshdesk.canned import escape_template, html_to_text, slug
from partnerdesk.playbooks.library import get_library
from partnerdesk.playbooks.specs import parse_playbook, render
from partnerdesk.playbooks.steps.email import SendEmailStep
from partnerdesk.profile import DEFAULT_PROFILE_PATH
from tests.integrations.fake_freshdesk import API_KEY, FakeFreshdesk

pytestmark = pytest.mark.django_db

HAIL = (
    "<div>Hello!</div><div><br></div>"
    "<div>Thank you for your interest in learning more about 2i2c.</div>"
    '<p>If you wish to connect, <a href="https://calendly.com/2i2c/30min">schedule a virtual meeting'
    " by clicking here</a>.</p>"
    "<p>Best regards,<br>2i2c Partnerships</p>"
)
PRICING = (
    "<p>Hi {{ticket.requester.name}},</p>"
    "<p>Our pricing: </p><ul><li>Community hub &amp; support</li><li>Research hub</li></ul>"
    '<p>Write to <a href="mailto:partnerships@2i2c.org">partnerships@2i2c.org</a> or see'
    ' <a href="https://2i2c.org/pricing">https://2i2c.org/pricing</a>. JSON: {"a": 1}</p>'
)


@pytest.fixture
def freshdesk(monkeypatch):
    fake = FakeFreshdesk(page_size=2).start()
    monkeypatch.setenv("FRESHDESK_API_KEY", API_KEY)
    monkeypatch.setattr("partnerdesk.integrations.freshdesk.client.pause", lambda seconds: None)
    yield fake
    fake.stop()


@pytest.fixture
def team_folder(profile_file, tmp_path):
    shipped = DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")
    assert 'folder = ""' in shipped
    profile_file(shipped.replace('folder = ""', 'folder = "team-playbooks"'))
    return tmp_path / "team-playbooks"  # made by the import


def _desk(fake: FakeFreshdesk) -> None:
    fake.add_canned_response("Leads", "Hail the Lead", HAIL)
    fake.add_canned_response("Leads", "Pricing & plans", PRICING)
    fake.add_canned_response("Leads", "Follow up", "<p>Any news?</p>")  # the next page
    fake.add_canned_response("Partners", "Follow up", "<p>How is the hub going?</p>")


def _import(cli, fake, *extra):
    return cli("import", "freshdesk", "--domain", fake.url, *extra)


def test_each_canned_response_becomes_a_playbook_that_sends_it_to_the_contacts(cli, freshdesk, team_folder):
    _desk(freshdesk)
    result = _import(cli, freshdesk)

    assert result.code == 0, result.err
    assert (
        f"4 canned responses read in 2 folders: wrote 4 playbooks in {team_folder}"
        " (hail-the-lead-2, pricing-plans, follow-up, follow-up-2)"
    ) in result.out
    spec = parse_playbook(team_folder / "pricing-plans.toml")
    assert (spec.name, spec.title, spec.phase, spec.trigger.kind) == (
        "pricing-plans",
        "Pricing & plans",
        "lead",
        "manual",
    )
    [step] = spec.steps
    assert isinstance(step, SendEmailStep)
    assert (step.to, step.from_, step.cc) == ("contacts", "{mailbox_name} <{mailbox}>", ["{mailbox}"])
    assert step.subject == "Pricing & plans"
    assert render(step.body, {}) == (
        "Hi {{ticket.requester.name}},\n\n"
        "Our pricing:\n\n"
        "- Community hub & support\n"
        "- Research hub\n\n"
        'Write to partnerships@2i2c.org or see https://2i2c.org/pricing. JSON: {"a": 1}\n'
    )
    assert "Freshdesk placeholders such as {{ticket.requester.name}}" in result.out
    assert "pricing-plans" in result.out.rsplit("literal text", 1)[1]


def test_the_imported_playbooks_load_with_the_shipped_ones_and_a_shipped_name_is_not_replaced(
    cli, freshdesk, team_folder
):
    _desk(freshdesk)
    _import(cli, freshdesk)

    library = get_library()

    assert library.errors == []
    assert library.sources["hail-the-lead"].parent.name == "defaults"  # the shipped SOP stays
    hail = library.get("hail-the-lead-2")
    assert render(hail.steps[0].body, {}) == (
        "Hello!\n\n"
        "Thank you for your interest in learning more about 2i2c.\n\n"
        "If you wish to connect, schedule a virtual meeting by clicking here"
        " (https://calendly.com/2i2c/30min).\n\n"
        "Best regards,\n2i2c Partnerships\n"
    )
    assert render(library.get("follow-up-2").steps[0].body, {}) == "How is the hub going?\n"


def test_a_rerun_skips_the_files_that_exist_and_writes_only_new_responses(cli, freshdesk, team_folder):
    _desk(freshdesk)
    _import(cli, freshdesk)
    (team_folder / "follow-up.toml").write_text("# edited by the team\n", encoding="utf-8")
    freshdesk.add_canned_response("Partners", "Renewal nudge", "<p>Your term ends soon.</p>")

    again = _import(cli, freshdesk)

    assert again.code == 0, again.err
    assert "wrote 1 playbooks" in again.out and "(renewal-nudge)" in again.out
    assert (
        "skipped 4 canned responses whose playbook file exists already (imported before, or the"
        " team's own): hail-the-lead-2, pricing-plans, follow-up, follow-up-2"
    ) in again.out
    assert (team_folder / "follow-up.toml").read_text(encoding="utf-8") == "# edited by the team\n"


def test_without_a_team_playbook_folder_the_canned_responses_are_skipped_and_the_summary_says_how(
    cli, freshdesk
):
    _desk(freshdesk)
    result = _import(cli, freshdesk)

    assert result.code == 0, result.err
    assert "canned responses not imported: the profile names no team playbook folder" in result.out
    assert '[playbooks] folder = "playbooks"' in result.out
    assert not any("canned" in path for path in freshdesk.requests)


def test_a_dry_run_lists_the_playbooks_it_would_write_and_writes_none(cli, freshdesk, team_folder):
    _desk(freshdesk)
    result = _import(cli, freshdesk, "--dry-run")

    assert "would write 4 playbooks" in result.out
    assert not team_folder.exists()


def test_a_canned_response_without_a_title_or_content_is_skipped_with_the_reason(cli, freshdesk, team_folder):
    freshdesk.add_canned_response("Leads", "Empty", "<p> </p>", content="")
    result = _import(cli, freshdesk)
    assert "skipped canned response 'Empty': it has no content" in result.out
    assert not (team_folder / "empty.toml").exists()


def test_the_canned_response_endpoints_are_rate_limited_like_the_rest(cli, freshdesk, team_folder):
    _desk(freshdesk)
    freshdesk.rate_limited = ["/api/v2/canned_response_folders"]
    result = _import(cli, freshdesk)
    assert result.code == 0, result.err
    assert "wrote 4 playbooks" in result.out


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("Line<br>next<br/>last", "Line\nnext\nlast"),
        ('<a href="https://x.example/a">the form</a>', "the form (https://x.example/a)"),
        ('<a href="https://x.example/">https://x.example</a>', "https://x.example"),
        ('<a href="https://x.example/b"></a>', "https://x.example/b"),
        ('<a href="#top">top</a>', "top"),
        ("<style>p {color: red}</style><p>  spaced\n   out  </p>", "spaced out"),
        ("<pre>keep\n  this</pre>", "keep\n  this"),
        ("caf&eacute; &lt;b&gt;", "café <b>"),
    ],
)
def test_html_becomes_plain_text(html, text):
    assert html_to_text(html) == text


def test_braces_are_escaped_and_names_are_slugs():
    assert escape_template("{x} and {{y}}") == "{{x}} and {{{{y}}}}"
    assert slug("Hail the Lead!") == "hail-the-lead"
    assert slug("Café — Überblick") == "cafe-uberblick"
    assert slug("???") == "canned-response"
    assert len(slug("x" * 200)) == 72
