"""Typed-in text is checked in the services, before the database: a length limit and no control
characters, with a message naming the field, whether it comes from the CLI, the web or an import.

SQLite stores an over-long value where PostgreSQL raises, so these tests look for the service's own
refusal (and that nothing was written), not for a database error.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from partnerdesk.lib import text as limits
from partnerdesk.lib.addresses import AddressError, parse_contact, parse_contact_list
from partnerdesk.pipeline import services
from partnerdesk.pipeline.importing import ImportFileError, parse_lead_rows
from partnerdesk.pipeline.models import Contact, Engagement, Organization, Task, TimelineEntry
from partnerdesk.pipeline.qualification import Criterion
from partnerdesk.pipeline.services import ServiceError
from partnerdesk.pipeline.stages import Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def harbor(alice_actor):
    return services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=alice_actor,
    )


def _create(alice_actor, **overrides):
    arguments = {
        "organization_name": "Delta College",
        "contacts": [("Sam Kim", "sam@delta.example.org")],
        "actor": alice_actor,
        **overrides,
    }
    return services.engagement_create(**arguments)


# Lengths


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"organization_name": "O" * 201}, "the organization name is too long (201 characters; at most 200)"),
        (
            {"contacts": [("N" * 201, "sam@delta.example.org")]},
            "the contact name is too long (201 characters",
        ),
        (
            {"contacts": [("Sam", "s" * 250 + "@delta.example.org")]},
            "the email address is too long (268 characters; at most 254)",
        ),
        ({"note": "word " * 43_200}, "the note is too long (215,999 characters; at most 10,000)"),
    ],
)
def test_an_over_long_field_is_refused_by_name_and_nothing_is_written(alice_actor, overrides, message):
    with pytest.raises(ServiceError) as refused:
        _create(alice_actor, **overrides)
    assert str(refused.value).startswith(message)
    assert Engagement.objects.count() == Organization.objects.count() == Contact.objects.count() == 0


def test_a_field_exactly_at_its_limit_is_kept_whole(alice_actor):
    note = ("n" * 99 + "\n") * 100  # 10,000 characters, the last line break trimmed
    engagement = _create(
        alice_actor, organization_name="O" * 200, contacts=[("N" * 200, "sam@delta.example.org")], note=note
    )
    assert engagement.organization.name == "O" * 200
    assert Contact.objects.get().name == "N" * 200
    assert engagement.timeline.get(kind=TimelineEntry.Kind.NOTE).summary == note.strip()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda e, a: services.engagement_add_note(engagement=e, text="x" * 10_001, actor=a),
            "the note is too long (10,001 characters; at most 10,000)",
        ),
        (
            lambda e, a: services.task_create(engagement=e, title="t" * 301, actor=a),
            "the task title is too long (301 characters; at most 300)",
        ),
        (
            lambda e, a: services.task_create(engagement=e, title="Call", assignee="a" * 201, actor=a),
            "the task's assignee is too long (201 characters; at most 200)",
        ),
        (
            lambda e, a: services.engagement_record_verbal_yes(engagement=e, by="b" * 201, actor=a),
            "the name of who gave the verbal yes is too long (201 characters; at most 200)",
        ),
        (
            lambda e, a: services.engagement_record_executed_close(
                engagement=e, agreement="r" * 201, actor=a
            ),
            "the agreement reference is too long (201 characters; at most 200)",
        ),
        (
            lambda e, a: services.engagement_move(engagement=e, to=Stage.CLOSED, reason="r" * 2001, actor=a),
            "the reason is too long (2,001 characters; at most 2,000)",
        ),
        (
            lambda e, a: services.engagement_qualify(
                engagement=e, actor=a, notes={Criterion.MONEY: "m" * 10_001}
            ),
            "the Money notes is too long (10,001 characters; at most 10,000)",
        ),
        (
            lambda e, a: services.contact_update(
                contact=e.contacts.get(), name="n" * 201, actor=a, engagement=e
            ),
            "the contact name is too long (201 characters; at most 200)",
        ),
        (
            lambda e, a: services.organization_update(
                organization=e.organization, name="o" * 201, website="", actor=a, engagement=e
            ),
            "the organization name is too long (201 characters; at most 200)",
        ),
        (
            lambda e, a: services.organization_update(
                organization=e.organization,
                name="Harbor University",
                website="https://harbor.example.edu/" + "p" * 200,
                actor=a,
                engagement=e,
            ),
            "the website is too long (227 characters; at most 200)",
        ),
        (
            lambda e, a: services.engagement_add_contacts(
                engagement=e, contacts=[("Ana", "a" * 250 + "@harbor.example.edu")], actor=a
            ),
            "the email address is too long",
        ),
    ],
)
def test_every_service_refuses_an_over_long_field_and_changes_nothing(harbor, alice_actor, change, message):
    before = (
        list(harbor.timeline.values_list("id", flat=True)),
        Task.objects.count(),
        Contact.objects.count(),
    )
    with pytest.raises(ServiceError) as refused:
        change(harbor, alice_actor)
    assert str(refused.value).startswith(message)
    harbor.refresh_from_db()
    assert harbor.stage == Stage.LEAD.value and harbor.organization.name == "Harbor University"
    assert harbor.contacts.get().name == "Lee Park"
    after = (
        list(harbor.timeline.values_list("id", flat=True)),
        Task.objects.count(),
        Contact.objects.count(),
    )
    assert after == before


# Control characters


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"organization_name": "Harbor\x00 University"},
            "the organization name contains a NUL byte (character 7)",
        ),
        (
            {"organization_name": "Harbor\x1b[31m University"},
            "the organization name contains a control character (U+001B, character 7)",
        ),
        ({"contacts": [("Sam\x00", "sam@delta.example.org")]}, "the contact name contains a NUL byte"),
        ({"contacts": [("Sam", "sam\x00@delta.example.org")]}, "the email address contains a NUL byte"),
        ({"note": "ok\x00"}, "the note contains a NUL byte (character 3)"),
        ({"note": "bell\x07"}, "the note contains a control character (U+0007, character 5)"),
        ({"note": "C1 \x9b control"}, "the note contains a control character (U+009B, character 4)"),
        ({"organization_name": "Caf\udce9"}, "the organization name is not valid text"),
    ],
)
def test_nul_and_control_characters_are_refused_naming_the_field(alice_actor, overrides, message):
    with pytest.raises(ServiceError) as refused:
        _create(alice_actor, **overrides)
    assert str(refused.value).startswith(message)
    assert Engagement.objects.count() == 0


def test_tabs_and_line_breaks_stay_in_a_note_and_become_one_space_in_a_name(alice_actor):
    engagement = _create(
        alice_actor, organization_name="Delta\t\r\nCollege", note="first\tline\r\nsecond\rthird"
    )
    assert engagement.organization.name == "Delta College"
    assert engagement.timeline.get(kind=TimelineEntry.Kind.NOTE).summary == "first\tline\nsecond\nthird"


def test_the_limits_module_names_every_limit_that_docs_limits_lists():
    from pathlib import Path

    documented = (Path(__file__).parents[2] / "docs" / "limits.md").read_text(encoding="utf-8")
    for name in ("ORGANIZATION_NAME", "CONTACT_NAME", "EMAIL", "NOTE", "TASK_TITLE", "REASON", "WEBSITE"):
        assert f"{getattr(limits, name):,}" in documented, name


# The command line


def test_the_cli_refuses_a_216000_character_note_in_one_line_naming_the_field(cli):
    result = cli(
        "lead", "add", "Harbor University", "--contact", "lee@harbor.example.edu", "--note", "x" * 216_000
    )
    assert result.code == 1
    assert result.err == "partnerdesk lead: the note is too long (216,000 characters; at most 10,000)\n"
    assert Engagement.objects.count() == 0


def test_the_cli_refuses_a_nul_in_an_organization_name(cli):
    result = cli("lead", "add", "Harbor\x01", "--contact", "lee@harbor.example.edu")
    assert result.code == 1
    assert result.err.startswith(
        "partnerdesk lead: the organization name contains a control character (U+0001"
    )
    assert Engagement.objects.count() == 0


def test_several_contacts_in_one_contact_argument_are_all_taken(cli):
    result = cli(
        "lead",
        "add",
        "Harbor University",
        "--contact",
        'Lee Park <lee@harbor.example.edu>, "Ruiz, Ana" <ana@harbor.example.edu>; kim@harbor.example.edu',
        "--contact",
        "Sam <sam@harbor.example.edu>",
    )
    assert result.code == 0, result.err
    shown = json.loads(cli("lead", "show", result.out.strip(), "--json").out)
    assert shown["contacts"] == [
        {"name": "Lee Park", "email": "lee@harbor.example.edu"},
        {"name": "Ruiz, Ana", "email": "ana@harbor.example.edu"},
        {"name": "", "email": "kim@harbor.example.edu"},
        {"name": "Sam", "email": "sam@harbor.example.edu"},
    ]


def test_an_unquoted_comma_in_a_name_is_refused_with_how_to_write_it(cli):
    result = cli("lead", "add", "Harbor University", "--contact", "Park, Lee <lee@harbor.example.edu>")
    assert result.code == 1
    assert result.err == (
        "partnerdesk lead: 'Park, Lee <lee@harbor.example.edu>': 'Park' is not an email address; "
        'separate several with "," or ";"; a name with a comma goes in quotes: "Doe, Jane" <email>\n'
    )
    assert Engagement.objects.count() == 0


def test_where_one_contact_is_expected_several_are_refused_naming_them():
    with pytest.raises(AddressError) as refused:
        parse_contact("A <a@x.org>, B <b@y.org>")
    assert (
        str(refused.value)
        == "'A <a@x.org>, B <b@y.org>' holds 2 addresses (a@x.org, b@y.org); give one contact here"
    )
    assert parse_contact_list("A <a@x.org>, B <b@y.org>") == [("A", "a@x.org"), ("B", "b@y.org")]


# Imports


def test_a_csv_with_duplicate_headers_is_refused_naming_them(cli, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(
        "organization,contacts,note,Contacts,note,note\nHarbor University,lee@harbor.example.edu,a,b,c,d\n",
        encoding="utf-8",
    )
    result = cli("import", str(path))
    assert result.code == 1
    assert result.err.splitlines() == [
        f"{path}: line 1: column 'contacts' appears 2 times",
        f"{path}: line 1: column 'note' appears 3 times",
        f"partnerdesk import: {path}: 2 problem(s); nothing was imported",
    ]
    assert Engagement.objects.count() == 0


def test_an_import_refuses_over_long_and_control_character_cells_by_line_and_field():
    text = (
        "organization,contacts,note\n"
        f"{'O' * 201},lee@harbor.example.edu,\n"
        f"Delta College,{'N' * 201} <sam@delta.example.org>,\n"
        f"Echo Lab,kim@echo.example.org,{'x' * 10_001}\n"
        "Fox\x00 Institute,ana@fox.example.org,\n"
        'Gull College,gil@gull.example.org,"two\r\nlines\tfine"\n'
    )
    with pytest.raises(ImportFileError) as refused:
        parse_lead_rows(text)
    assert refused.value.problems == [
        "line 2: the organization name is too long (201 characters; at most 200)",
        "line 3: contacts: the contact name is too long (201 characters; at most 200)",
        "line 4: the note is too long (10,001 characters; at most 10,000)",
        "line 5: the organization name contains a NUL byte (character 4)",
    ]
    [gull] = parse_lead_rows(
        "organization,contacts,note\n" + text.splitlines(keepends=True)[-2] + 'lines\tfine"\n'
    )
    assert gull.note == "two\nlines\tfine"


def test_an_import_takes_several_contacts_separated_by_commas_or_semicolons():
    [row] = parse_lead_rows(
        'organization,contacts\nHarbor University,"Lee <lee@harbor.example.edu>, ana@harbor.example.edu; '
        '""Kim, Sam"" <sam@harbor.example.edu>"\n'
    )
    assert row.contacts == [
        ("Lee", "lee@harbor.example.edu"),
        ("", "ana@harbor.example.edu"),
        ("Kim, Sam", "sam@harbor.example.edu"),
    ]


# The web shows the service's refusal as a form error


def test_the_new_lead_form_shows_the_note_limit_as_an_error(client, django_user_model):
    alice = django_user_model.objects.create_user(username="alice", password="correct horse battery")
    client.force_login(alice)
    response = client.post(
        "/leads/new/",
        {"organization": "Harbor University", "contacts": "lee@harbor.example.edu", "note": "x" * 216_000},
    )
    assert response.status_code == 400
    assert "the note is too long (216,000 characters; at most 10,000)" in response.content.decode()
    assert Engagement.objects.count() == 0


def test_the_note_form_shows_the_limit_as_an_error(client, django_user_model, harbor):
    alice = django_user_model.objects.create_user(username="alice", password="correct horse battery")
    client.force_login(alice)
    response = client.post(f"/engagements/{harbor.reference}/note/", {"text": "y" * 12_000}, follow=True)
    assert response.status_code == 200
    assert "the note is too long (12,000 characters; at most 10,000)" in response.content.decode()
    assert not harbor.timeline.filter(kind=TimelineEntry.Kind.NOTE).exists()


def test_the_contact_and_move_forms_show_the_refusal_instead_of_failing(client, django_user_model, harbor):
    alice = django_user_model.objects.create_user(username="alice", password="correct horse battery")
    client.force_login(alice)
    lee = harbor.contacts.get()
    response = client.post(
        f"/engagements/{harbor.reference}/contacts/{lee.pk}/edit/", {"name": "Lee\x1b[2J"}, follow=True
    )
    assert response.status_code == 200
    assert "the contact name contains a control character (U+001B, character 4)" in response.content.decode()
    response = client.post(
        f"/engagements/{harbor.reference}/move/", {"to": "closed", "reason": "not a fit\x07"}, follow=True
    )
    assert response.status_code == 200
    assert "the reason contains a control character (U+0007, character 10)" in response.content.decode()
    harbor.refresh_from_db()
    assert (harbor.stage, harbor.contacts.get().name) == (Stage.LEAD.value, "Lee Park")


def test_an_agreement_for_an_organization_with_a_200_character_name_can_still_be_executed():
    from tests.partnership.conftest import make_partner

    engagement, agreement = make_partner(organization="H" * 200)
    assert len(agreement.title) > 200
    assert engagement.stage == Stage.PARTNER.value
    assert engagement.executed_agreement == agreement.title[:200]


def test_a_date_is_not_text_and_is_left_alone(harbor, alice_actor):
    task = services.task_create(
        engagement=harbor, title=" Call\tLee ", due_on=dt.date(2027, 1, 5), actor=alice_actor
    )
    assert (task.title, task.due_on) == ("Call Lee", dt.date(2027, 1, 5))
