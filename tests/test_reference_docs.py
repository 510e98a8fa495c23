"""docs/cli.md, docs/settings.md and docs/template-variables.md are rendered from the code, and fail
the suite when they drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from partnerdesk.reference_docs import (
    ENVIRONMENT,
    SHIPPED_PROFILE,
    ProfileFormatError,
    render_reference,
    render_settings,
)
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SOURCE = ROOT / "src" / "partnerdesk"

_READS = (
    re.compile(r"env_(?:str|secret|bool|int|list)\(\s*\"([A-Z][A-Z0-9_]+)\""),
    re.compile(r"environ(?:\.get\(|\[)\s*\"([A-Z][A-Z0-9_]+)\""),
    re.compile(r"_VARIABLE\s*=\s*\"([A-Z][A-Z0-9_]+)\""),
)


def variables_the_code_reads() -> set[str]:
    names = set()
    for path in SOURCE.rglob("*.py"):
        if path.name == "reference_docs.py":
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in _READS:
            names |= set(pattern.findall(text))
    return names


def test_the_committed_reference_pages_are_what_the_code_renders():
    for name, text in render_reference().items():
        committed = (DOCS / name).read_text(encoding="utf-8")
        assert committed == text, f"docs/{name} is out of date: run `partnerdesk reference --output docs/`"


def test_reference_check_passes_on_the_committed_pages_and_names_a_stale_one(tmp_path):
    assert run_cli("reference", "--check", str(DOCS)).code == 0

    for name, text in render_reference().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "settings.md").write_text("# Settings\n\nold text\n", encoding="utf-8")
    stale = run_cli("reference", "--check", str(tmp_path))
    assert stale.code == 1
    assert f"{tmp_path / 'settings.md'}" in stale.err and "cli.md" not in stale.err


def test_reference_output_writes_every_generated_page(tmp_path):
    result = run_cli("reference", "--output", str(tmp_path / "docs"))
    assert result.code == 0, result.err
    written = sorted(path.name for path in (tmp_path / "docs").iterdir())
    assert written == ["cli.md", "settings.md", "template-variables.md"]


def test_the_command_page_carries_each_commands_own_help():
    page = render_reference()["cli.md"]
    assert "### `partnerdesk fetchmail [--watch] [--interval SECONDS]`" in page
    assert "| `--watch` | keep polling until stopped |" in page
    assert "#### `partnerdesk agreement signatory remove REFERENCE EMAIL`" in page
    assert "## login-link\n\n`partnerdesk login-link` and `partnerdesk login_link` are the same" in page
    assert "--verbosity {0,1,2,3}" not in page  # Django's common options are said once, not per command


def test_every_environment_variable_the_code_reads_is_documented_and_no_other():
    documented = {name for name, _, _ in ENVIRONMENT}
    read = variables_the_code_reads()
    assert "PARTNERDESK_TRUSTED_PROXY" in read  # the scan finds the settings module's reads
    assert read - documented == set(), "add these to ENVIRONMENT in src/partnerdesk/reference_docs.py"
    assert documented - read == set(), "nothing reads these any more: remove them from ENVIRONMENT"


def test_every_key_of_the_shipped_profile_has_a_row_with_its_comment():
    page = render_reference()["settings.md"]
    assert '| `inbound.authserv_id` | `""` | A team command by mail' in page
    assert "| `partnership.payment_terms_days` | `30` | Days from an invoice to its due date" in page
    assert "`freshdesk.status_stages`, `freshdesk.tag_stages` | `{}`, `{ qualified = " in page
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    rows_without_text = [row for row in rows if row.endswith("|  |")]
    assert rows_without_text == [], "give these keys a comment in defaults/partnerdesk.toml"


def test_a_profile_the_renderer_cannot_read_line_by_line_is_refused_not_rendered_wrong():
    text = SHIPPED_PROFILE.read_text(encoding="utf-8")
    spread = text.replace("renewal_reminder_days = [120, 90, 60, 30]", "renewal_reminder_days = [\n  120,\n]")
    with pytest.raises(ProfileFormatError, match="line"):
        render_settings(spread)


def _slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)  # a # in a code block is no heading
    return {_slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}


def test_every_link_between_the_pages_leads_to_a_file_and_heading_that_exist():
    pages = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted(DOCS.glob("*.md"))]
    broken = []
    for page in pages:
        text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            file_part, _, anchor = target.partition("#")
            linked = (page.parent / file_part).resolve() if file_part else page
            if not linked.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def test_the_playbook_page_names_every_step_kind():
    from partnerdesk.playbooks.steps import step_kinds

    page = (DOCS / "playbooks.md").read_text(encoding="utf-8")
    kinds = set(step_kinds())
    assert {"send_technical_form", "circulate_for_signature"} <= kinds  # registered by their apps
    assert sorted(kind for kind in kinds if f"| `{kind}` |" not in page) == []


def test_the_documented_template_variables_are_the_ones_a_run_and_the_handbook_fill():
    """docs/template-variables.md is rendered from TEMPLATE_VARIABLES: a run must fill exactly
    those names, and the handbook those and its own."""
    from partnerdesk.playbooks.context import template_variables
    from partnerdesk.playbooks.docs import handbook_variables
    from partnerdesk.playbooks.specs import HANDBOOK_VARIABLES, TEMPLATE_VARIABLES

    filled = template_variables(partner="Harbor University", reference="PD-1", contacts=[])
    assert sorted(filled) == sorted(TEMPLATE_VARIABLES)
    assert sorted(handbook_variables()) == sorted(TEMPLATE_VARIABLES | HANDBOOK_VARIABLES)
    page = render_reference()["template-variables.md"]
    assert all(f"`{{{name}}}`" in page for name in [*TEMPLATE_VARIABLES, *HANDBOOK_VARIABLES])
