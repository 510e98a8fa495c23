"""`partnerdesk import` checks the whole file first; `partnerdesk export` writes what it reads back."""

from __future__ import annotations

import json

import pytest

from partnerdesk.pipeline.models import Contact, Engagement, Organization, TimelineEntry

pytestmark = pytest.mark.django_db

GOOD = (
    "organization,contacts,stage,note\n"
    "Harbor University,Lee Park <lee@harbor.example.edu>; ana@harbor.example.edu,,from the conference\n"
    'Delta College,"""Kim, Sam"" <sam.kim@delta.example.org>",prospect,\n'
)


def test_a_good_file_imports_every_row_with_contacts_stage_and_a_timeline_entry(cli, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = cli("import", str(path))
    assert result.code == 0, result.err
    assert result.out.strip() == "imported 2 engagements (2 new organizations, 3 new contacts)"
    rows = json.loads(cli("lead", "list", "--json").out)
    assert [(r["organization"], r["stage"]) for r in rows] == [
        ("Harbor University", "lead"),
        ("Delta College", "prospect"),
    ]
    assert rows[1]["contacts"] == [{"name": "Kim, Sam", "email": "sam.kim@delta.example.org"}]
    harbor = Engagement.objects.get(organization__name="Harbor University")
    assert list(harbor.timeline.values_list("summary", flat=True)) == [
        "Imported at Lead from leads.csv line 2",
        "from the conference",
    ]


def test_a_file_with_bad_rows_imports_nothing_and_lists_every_bad_row(cli, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(
        "organization,contacts,stage,owner\n"
        "Harbor University,lee@harbor.example.edu,,\n"
        ",nobody@example.org,,\n"
        "Delta College,Sam Kim,won,\n"
        "Echo Lab,echo@lab.example.org,,zed\n",
        encoding="utf-8",
    )
    result = cli("import", str(path))
    assert result.code == 1
    assert result.err.splitlines() == [
        "line 3: organization is empty",
        "line 4: contacts: 'Sam Kim' has no email address (expected Name <email>)",
        "line 4: unknown stage 'won' (choose from lead, qualified-lead, prospect, partner, closed)",
        "line 5: owner 'zed' is not a user",
        f"partnerdesk import: {path}: 4 problem(s); nothing was imported",
    ]
    assert Engagement.objects.count() == Organization.objects.count() == Contact.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty file"),
        (b"name,email\nA,a@b.org\n", "line 1: missing column 'organization'"),
        (b"organization,contacts,color\nA,a@b.org,red\n", "line 1: unknown column 'color'"),
        ("organization,contacts\nCaf\u00e9,a@b.org\n".encode("latin-1"), "not UTF-8 text"),
        (b"organization,contacts\nA,a@b.org,extra\n", "line 2: more fields than the header has"),
    ],
)
def test_a_file_that_is_not_a_lead_table_is_refused_with_the_reason(cli, tmp_path, content, problem):
    path = tmp_path / "leads.csv"
    path.write_bytes(content)
    result = cli("import", str(path))
    assert result.code == 1
    assert problem in result.err
    assert Engagement.objects.count() == 0


def test_a_missing_file_is_named(cli, tmp_path):
    result = cli("import", str(tmp_path / "nope.csv"))
    assert result.code == 1
    assert "nope.csv: no such file" in result.err


def test_a_large_file_shows_progress(cli, tmp_path):
    path = tmp_path / "leads.csv"
    lines = ["organization,contacts"] + [
        f"Org {n % 300},person{n}@org{n % 300}.example.org" for n in range(2500)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("import", str(path))
    assert result.code == 0
    assert "importing: 2,500 / 2,500 rows" in result.err
    assert Engagement.objects.count() == 2500
    assert Organization.objects.count() == 300
    assert TimelineEntry.objects.count() == 2500


def test_existing_organizations_and_contacts_are_reused_not_duplicated(cli, tmp_path):
    cli("lead", "add", "harbor university", "--contact", "Lee Park <lee@harbor.example.edu>")
    path = tmp_path / "leads.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert (
        cli("import", str(path)).out.strip() == "imported 2 engagements (1 new organizations, 2 new contacts)"
    )
    assert Organization.objects.filter(name__iexact="harbor university").count() == 1


def test_an_export_imports_back_as_the_same_engagements(cli, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(GOOD, encoding="utf-8")
    cli("import", str(path))
    before = json.loads(cli("export", "--format", "json").out)
    exported = tmp_path / "export.csv"
    exported.write_text(cli("export").out, encoding="utf-8")

    Engagement.objects.all().delete()
    Contact.objects.all().delete()
    Organization.objects.all().delete()
    assert cli("import", str(exported)).code == 0
    after = json.loads(cli("export", "--format", "json").out)
    fields = ("organization", "stage", "contacts")
    assert [{k: row[k] for k in fields} for row in after] == [{k: row[k] for k in fields} for row in before]


def test_an_organization_with_a_non_ascii_name_is_found_again_not_duplicated(cli, tmp_path):
    cli("lead", "add", "École Polytechnique", "--contact", "ana@poly.example.fr")
    path = tmp_path / "leads.csv"
    path.write_text("organization,contacts\nÉcole Polytechnique,ben@poly.example.fr\n", encoding="utf-8")
    result = cli("import", str(path))
    assert result.code == 0, result.err
    assert Organization.objects.count() == 1
