"""The pipeline board: columns with counts, cards, moves through the guard, filters, pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.qualification import Answer, Criterion
from partnerdesk.pipeline.stages import Stage
from partnerdesk.web.queries import PAGE_SIZE

pytestmark = pytest.mark.django_db


def _column(page: str, stage: str) -> str:
    return page.split(f'id="column-{stage}"')[1].split('class="column')[0]


def _open(name: str, *, owner=None, contacts=None) -> Engagement:
    return services.engagement_create(
        organization_name=name,
        contacts=contacts
        if contacts is not None
        else [("", f"{name.lower().replace(' ', '.')}@example.org")],
        actor=services.Actor("alice"),
        owner=owner,
    )


def test_the_board_shows_a_column_per_stage_with_counts_and_closed_folded(alice_client, harbor):
    _open("Bay College")
    closed = _open("Gone Institute")
    services.engagement_move(
        engagement=closed, to=Stage.CLOSED, actor=services.Actor("alice"), reason="no budget"
    )

    page = alice_client.get(reverse("home")).content.decode()

    assert "2i2c partnerships pipeline" in page
    lead = _column(page, "lead")
    assert 'Lead <small class="count">(2)</small>' in lead
    assert "Harbor University" in lead and "alice" in lead  # compact: the owner, not the contacts
    assert "Bay College" in lead and "Gone Institute" not in lead
    assert "(0)" in _column(page, "prospect")
    assert '<details class="column closed" id="column-closed"' in page
    assert "Gone Institute" in _column(page, "closed")


def test_a_card_shows_days_in_stage_and_the_maniac_t_unknowns_or_the_next_task(alice_client, harbor):
    Engagement.objects.filter(pk=harbor.pk).update(stage_changed_at=clock.now() - dt.timedelta(days=12))
    services.engagement_qualify(
        engagement=harbor,
        actor=services.Actor("alice"),
        answers={Criterion.MONEY: Answer.YES, Criterion.NEED: Answer.NO},
    )
    card = alice_client.get(reverse("home")).content.decode().split(f'id="card-{harbor.pk}"')[1]
    assert "12 days in stage" in card and "5 MANIAC-T unknowns" in card

    services.task_create(
        engagement=harbor,
        title="Send the demo link",
        actor=services.Actor("alice"),
        due_on=dt.date(2031, 1, 2),
    )
    services.task_create(engagement=harbor, title="Later, no date", actor=services.Actor("alice"))
    card = alice_client.get(reverse("home")).content.decode().split(f'id="card-{harbor.pk}"')[1]
    assert '<span class="due">Due 2031-01-02</span>: Send the demo link' in card.split("</article>")[0]


def test_moving_a_card_runs_the_guard_and_the_refusal_names_the_handbook_questions(alice_client, harbor):
    response = alice_client.post(
        reverse("engagement-move", args=[harbor.reference]),
        {"to": "qualified-lead", "next": reverse("home")},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("home")
    page = response.content.decode()
    assert f"{harbor.reference} cannot move to Qualified Lead" in page
    assert "Are their needs a good candidate for partnership with 2i2c? (answer: unknown)" in page
    assert "Are they qualified to set up partnership with 2i2c? (answer: unknown)" in page
    assert 'role="alert"' in page
    harbor.refresh_from_db()
    assert harbor.stage == "lead"


def test_a_card_moves_when_the_guard_allows_and_the_unknowns_are_shown_as_warnings(alice_client, harbor):
    services.engagement_qualify(
        engagement=harbor, actor=services.Actor("alice"), good_candidate=Answer.YES, qualified=Answer.YES
    )
    page = alice_client.post(
        reverse("engagement-move", args=[harbor.reference]),
        {"to": "qualified-lead", "next": reverse("home")},
        follow=True,
    ).content.decode()

    assert f"{harbor.reference} moved to Qualified Lead." in page
    assert "Still to find out" in page and "MANIAC-T unknown: Money" in page
    assert "Harbor University" in _column(page, "qualified-lead")
    harbor.refresh_from_db()
    assert harbor.stage == "qualified-lead"
    assert harbor.timeline.filter(kind="stage_changed").get().actor == "alice"


def test_a_move_form_never_redirects_off_the_site(alice_client, harbor):
    response = alice_client.post(
        reverse("engagement-move", args=[harbor.reference]),
        {"to": "closed", "reason": "no budget", "next": "https://evil.example.com/"},
    )
    assert response.url == reverse("engagement", args=[harbor.reference]) + "#stage"


def test_each_card_has_a_labelled_move_form_with_only_the_allowed_moves(alice_client, harbor):
    card = (
        alice_client.get(reverse("home"))
        .content.decode()
        .split(f'id="card-{harbor.pk}"')[1]
        .split("</article>")[0]
    )
    assert f'<label for="move-{harbor.pk}">Move {harbor.reference} to</label>' in card
    assert '<option value="qualified-lead">Qualified Lead</option>' in card
    assert '<option value="closed">Closed</option>' in card
    assert 'value="partner"' not in card
    assert "csrfmiddlewaretoken" in card


def test_the_board_filters_by_owner_stage_age_and_search(alice_client, alice, bob, harbor):
    bay = _open("Bay College", owner=bob, contacts=[("Kim Lo", "kim@bay.example.org")])
    old = _open("Old Mill Library")
    Engagement.objects.filter(pk=old.pk).update(stage_changed_at=clock.now() - dt.timedelta(days=40))

    def names(**query) -> set[str]:
        page = alice_client.get(reverse("home"), query).content.decode()
        return {n for n in ("Harbor University", "Bay College", "Old Mill Library") if n in page}

    assert names() == {"Harbor University", "Bay College", "Old Mill Library"}
    assert names(owner="bob") == {"Bay College"}
    assert names(owner="-") == {"Old Mill Library"}
    assert names(age="30") == {"Old Mill Library"}
    assert names(q="kim@bay") == {"Bay College"}
    assert names(q="harbor") == {"Harbor University"}
    assert names(q=bay.reference) == {"Bay College"}
    assert names(stage="prospect") == set()
    page = alice_client.get(reverse("home"), {"stage": "lead"}).content.decode()
    assert 'id="column-qualified-lead"' not in page and 'id="column-lead"' in page
    # A value that is not a choice is ignored, not an error page.
    assert alice_client.get(reverse("home"), {"age": "forever", "owner": "nobody"}).status_code == 200


def test_a_long_column_shows_one_page_and_a_link_to_the_next(alice_client):
    for number in range(PAGE_SIZE + 5):
        _open(f"College {number:02d}")

    page = alice_client.get(reverse("home")).content.decode()
    lead = _column(page, "lead")
    assert f"({PAGE_SIZE + 5})" in lead
    assert lead.count('class="card"') == PAGE_SIZE
    assert f"offset={PAGE_SIZE}" in lead

    rest = alice_client.get(reverse("board-column", args=["lead"]), {"offset": PAGE_SIZE}).content.decode()
    assert rest.count('class="card"') == 5
    assert "College 29" in rest and "College 00" not in rest
    assert alice_client.get(reverse("board-column", args=["nowhere"])).status_code == 404


def test_the_board_costs_the_same_queries_for_three_or_sixty_engagements(
    alice_client, django_assert_num_queries
):
    def add(count: int) -> None:
        for number in range(count):
            engagement = _open(f"Org {Engagement.objects.count()}-{number}")
            services.engagement_qualify(
                engagement=engagement, actor=services.Actor("alice"), answers={Criterion.MONEY: Answer.YES}
            )
            services.task_create(engagement=engagement, title="Call", actor=services.Actor("alice"))
            services.engagement_add_contacts(
                engagement=engagement,
                contacts=[("", f"second{number}@x{number}.org")],
                actor=services.Actor("a"),
            )

    add(3)
    # session, user, counts, values per column, cards (one windowed query), the owner list
    with django_assert_num_queries(6):
        assert alice_client.get(reverse("home")).status_code == 200
    add(57)
    with django_assert_num_queries(6):
        page = alice_client.get(reverse("home")).content.decode()
    assert "(60)" in page
    # session, user, the column's count, its cards, the owner list
    with django_assert_num_queries(5):
        assert alice_client.get(reverse("board-column", args=["lead"]), {"offset": 25}).status_code == 200
