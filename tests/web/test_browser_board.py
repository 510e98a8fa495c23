"""The board, the engagement list and the dashboard in Chromium, at desktop (1280x800) and phone
(390x844) sizes: a card moved by drag and drop and by the keyboard alone, the list filtered and
sorted, the dashboard's tiles opening their lists, chart labels that never overlap, and no page
that scrolls sideways. Screenshots in test-output/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web.test_browser import _csp_violations, _shot, _sign_in, playwright_api, pytestmark  # noqa: F401

SIZES = pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"

# Every pair of texts in a chart whose boxes overlap (by more than a pixel), as "a / b".
OVERLAPPING_LABELS = """() => {
  const clashes = [];
  for (const svg of document.querySelectorAll("svg.chart")) {
    const boxes = [...svg.querySelectorAll("text")].filter((t) => t.textContent.trim())
      .map((t) => [t.textContent, t.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [a, p] = boxes[i], [b, q] = boxes[j];
      if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1)
        clashes.push(`${svg.id}: ${a} / ${b}`);
    }
  }
  return clashes;
}"""

# The smallest font size, in CSS pixels as drawn, of any chart text.
SMALLEST_CHART_TEXT = """() => Math.min(...[...document.querySelectorAll("svg.chart text")]
  .filter((t) => t.textContent.trim()).map((t) => t.getBoundingClientRect().height))"""


@pytest.fixture
def pipeline(transactional_db):
    """Made before the browser starts: alice's and bob's deals over the stages, with values and
    tasks, a closed one, and a partner whose invoice is overdue."""
    from django.contrib.auth import get_user_model

    from partnerdesk.lib import clock
    from partnerdesk.pipeline import services
    from partnerdesk.pipeline.models import Engagement
    from partnerdesk.pipeline.stages import Stage
    from tests.partnership.conftest import make_partner
    from tests.web.pipeline_data import ALICE, deal, lead

    users = get_user_model().objects
    alice, bob = users.create_user("alice"), users.create_user("bob")
    harbor = deal("Harbor University", stage=Stage.LEAD, owner=alice)  # PD-1: can be qualified
    from partnerdesk.pipeline.qualification import Answer

    services.engagement_qualify(
        engagement=harbor, actor=ALICE, good_candidate=Answer.YES, qualified=Answer.YES
    )
    lead("Bay College of Arts and Sciences of the Northern Territories", owner=bob)  # PD-2
    delta = deal("Delta College", value="12000", owner=alice, term_start=dt.date(2031, 3, 1))
    services.task_create(
        engagement=delta, title="Send the pilot proposal", actor=ALICE, due_on=dt.date(2031, 1, 9)
    )
    deal("Ocean Institute", stage=Stage.PROSPECT, value="48000", owner=bob, term_start=dt.date(2031, 6, 1))
    deal("Pine Lab", value="3500", currency="EUR")
    gone = lead("Gone Institute")
    services.engagement_move(engagement=gone, to=Stage.CLOSED, actor=ALICE, reason="no budget")
    for number in range(6):
        engagement = lead(f"Lakeside Campus {number}", owner=alice if number % 2 else bob)
        Engagement.objects.filter(pk=engagement.pk).update(
            created_at=clock.now() - dt.timedelta(days=7 * number + 1)
        )
    make_partner(organization="Ridge University", owner=alice)
    return harbor


def _moved(page, reference: str, stage_label: str) -> None:
    status = page.get_by_role("status").filter(has_text=f"{reference} moved to {stage_label}.")
    playwright_api.expect(status).to_be_visible()


@SIZES
def test_the_board_shows_compact_cards_with_totals_and_moves_by_keyboard(
    pipeline, page, live_server, sign_in_path, size
):
    expect = playwright_api.expect
    violations = _csp_violations(page)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    card = page.locator("#card-1")
    expect(card).to_contain_text("alice")
    expect(page.locator("#card-3")).to_contain_text("USD 12,000")
    expect(page.locator("#column-qualified-lead .total")).to_have_text("EUR 3,500 · USD 12,000")
    height = card.bounding_box()["height"]
    assert height < 110, height  # was 200 to 270 px with the full move form
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    _shot(page, f"board-1-compact-{size[0]}")

    # The keyboard alone: Tab to the card's "Move to" list, pick with the arrow key, Tab, Enter.
    page.locator("#card-1 h3 a").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Move PD-1 to")).to_be_focused()
    page.keyboard.press("ArrowDown")  # the first move: Qualified Lead
    expect(page.get_by_label("Move PD-1 to")).to_have_value("qualified-lead")
    page.keyboard.press("Tab")  # no reason asked for this move: straight to the button
    expect(card.get_by_role("button", name="Move")).to_be_focused()
    page.keyboard.press("Enter")
    _moved(page, "PD-1", "Qualified Lead")
    expect(page.locator("#column-qualified-lead")).to_contain_text("Harbor University")
    expect(page.locator("#column-qualified-lead .count")).to_have_text("(3)")
    _shot(page, f"board-2-moved-by-keyboard-{size[0]}")

    # Closing asks for the reason in place: the field appears once "Closed" is chosen.
    reason = page.get_by_label("Reason").locator("visible=true")
    expect(reason).to_have_count(0)
    page.get_by_label("Move PD-2 to").select_option("closed")
    expect(page.locator("#reason-2")).to_be_visible()
    assert violations == []


def test_a_card_dragged_onto_another_column_moves(pipeline, page, live_server, sign_in_path):
    expect = playwright_api.expect
    violations = _csp_violations(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    _sign_in(page, live_server, sign_in_path)
    page.locator("#card-1").drag_to(page.locator("#column-qualified-lead"))
    _moved(page, "PD-1", "Qualified Lead")
    # The answer is on the moved card, in view, not at the top of the board.
    moved = page.locator("#card-1").get_by_role("status").filter(has_text="PD-1 moved to Qualified Lead.")
    expect(moved).to_be_in_viewport()
    expect(page.locator("#column-qualified-lead")).to_contain_text("Harbor University")
    expect(page.locator("#column-lead")).not_to_contain_text("Harbor University")
    _shot(page, "board-3-moved-by-drag-and-drop")
    assert violations == []


@SIZES
def test_the_list_is_filtered_and_sorted(pipeline, page, live_server, sign_in_path, size):
    expect = playwright_api.expect
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    page.get_by_role("link", name="As a list").click()
    expect(page.locator(".list-count")).to_have_text("13")
    page.get_by_label("Owner").select_option("alice")
    page.get_by_label("Sort by").select_option("-value")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".list-summary")).to_contain_text("Engagements owned by alice")
    rows = page.locator("table.engagement-list tbody tr")
    expect(rows.first).to_contain_text("Ridge University")
    expect(rows.nth(1)).to_contain_text("Delta College")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    _shot(page, f"list-1-alice-by-value-{size[0]}")
    if size[0] > 600:  # the column headers sort; on a phone they are folded into each row
        page.get_by_role("link", name="Organization").click()
        expect(rows.first).to_contain_text("Delta College")
        expect(page.locator('th[aria-sort="ascending"]')).to_have_text("Organization ▲")


@SIZES
def test_the_dashboard_tiles_open_their_lists_and_charts_are_readable(
    pipeline, page, live_server, sign_in_path, size
):
    expect = playwright_api.expect
    violations = _csp_violations(page)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _sign_in(page, live_server, sign_in_path)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("#tile-pipeline")).to_contain_text("USD 60,000")
    expect(page.locator("#tile-won")).to_contain_text("1")
    assert page.evaluate(OVERLAPPING_LABELS) == []
    assert page.evaluate(SMALLEST_CHART_TEXT) >= 9
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    _shot(page, f"dashboard-1-{size[0]}")

    page.get_by_label("Owner").select_option("alice")
    page.get_by_label("Period").select_option("12m")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#tile-pipeline")).to_contain_text("USD 12,000")
    assert page.evaluate(OVERLAPPING_LABELS) == []
    _shot(page, f"dashboard-2-alice-12-months-{size[0]}")

    page.locator("#tile-forecast").click()
    expect(page.locator(".list-summary")).to_contain_text("in the weighted forecast")
    expect(page.locator("table.engagement-list tbody tr")).to_have_count(1)
    expect(page.locator("table.engagement-list")).to_contain_text("Delta College")
    _shot(page, f"dashboard-3-forecast-list-{size[0]}")
    assert violations == []
