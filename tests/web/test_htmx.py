"""htmx partial updates: a request with `HX-Request` gets a fragment, any other the full page.

The note box, a task's done/undone and the board's "More" are plain forms and links first.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Task
from partnerdesk.web.queries import PAGE_SIZE

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _url(engagement, name="engagement", *args) -> str:
    return reverse(name, args=[engagement.reference, *args])


def test_htmx_is_served_from_this_site_with_its_inline_styles_turned_off(alice_client, harbor):
    page = alice_client.get(_url(harbor)).content.decode()
    assert '<script src="/static/partnerdesk/htmx.min.js" defer></script>' in page
    assert """content='{"includeIndicatorStyles": false""" in page
    assert finders.find("partnerdesk/htmx.min.js")
    policy = alice_client.get(_url(harbor)).headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] == ["'self'"]


def test_a_note_from_htmx_gets_the_timeline_back_with_the_note_on_it(alice_client, harbor):
    response = alice_client.post(_url(harbor, "engagement-note"), {"text": "Met at <JupyterCon>"}, **HTMX)

    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    fragment = response.content.decode()
    assert fragment.startswith('<div id="timeline-body">')
    assert "<html" not in fragment
    assert "Met at &lt;JupyterCon&gt;" in fragment
    assert '<p class="message success" role="status">Note added.</p>' in fragment
    assert 'name="csrfmiddlewaretoken"' in fragment  # the fresh form posts again
    # Nothing is left in the session to pop up on the next page.
    assert "Note added." not in alice_client.get(_url(harbor)).content.decode()


def test_an_empty_note_from_htmx_shows_the_error_in_the_form_and_adds_nothing(alice_client, harbor):
    before = harbor.timeline.count()
    fragment = alice_client.post(_url(harbor, "engagement-note"), {"text": "  "}, **HTMX).content.decode()
    assert "This field is required." in fragment and "Note added." not in fragment
    assert harbor.timeline.count() == before


def test_a_note_without_javascript_redirects_to_the_page_with_a_message(alice_client, harbor):
    response = alice_client.post(_url(harbor, "engagement-note"), {"text": "Plain form"})
    assert response.status_code == 302 and response.url.endswith("#timeline")
    page = alice_client.get(response.url).content.decode()
    assert "Note added." in page and "Plain form" in page


def test_a_task_toggled_from_htmx_gets_its_own_line_back(alice_client, harbor):
    task = services.task_create(engagement=harbor, title="Send the demo", actor=services.Actor("alice"))
    url = _url(harbor, "task-toggle", task.pk)

    done = alice_client.post(url, {"done": "1"}, **HTMX).content.decode()
    assert done.strip().startswith(f'<li id="task-{task.pk}" class="done">')
    assert 'aria-label="Reopen: Send the demo"' in done and "<html" not in done
    undone = alice_client.post(url, {"done": "0"}, **HTMX).content.decode()
    assert 'aria-label="Mark done: Send the demo"' in undone
    task.refresh_from_db()
    assert not task.is_done

    plain = alice_client.post(url, {"done": "1"})
    assert plain.status_code == 302 and plain.url.endswith("#tasks")
    assert Task.objects.get(pk=task.pk).is_done


def test_the_task_form_carries_the_htmx_attributes_and_stays_a_plain_form(alice_client, harbor):
    task = services.task_create(engagement=harbor, title="Call", actor=services.Actor("alice"))
    page = alice_client.get(_url(harbor)).content.decode()
    url = _url(harbor, "task-toggle", task.pk)
    assert f'<form method="post" action="{url}" class="inline" hx-post="{url}"' in page


def test_more_from_htmx_gets_the_next_cards_and_the_next_link_only(alice_client):
    for number in range(2 * PAGE_SIZE + 3):
        services.engagement_create(
            organization_name=f"College {number:02d}", contacts=[], actor=services.Actor("alice")
        )
    board = alice_client.get(reverse("home")).content.decode()
    assert 'hx-target="closest p.more"' in board

    url = reverse("board-column", args=["lead"])
    fragment = alice_client.get(url, {"offset": PAGE_SIZE, "q": "College"}, **HTMX).content.decode()
    assert "<html" not in fragment and "<h1>" not in fragment
    assert fragment.count('class="card"') == PAGE_SIZE
    assert "College 25" in fragment and "College 24" not in fragment
    assert f"offset={2 * PAGE_SIZE}" in fragment and "q=College" in fragment
    # A move from a card loaded this way comes back to the board, not to the fragment's URL.
    assert 'name="next" value="/?q=College#card-' in fragment

    last = alice_client.get(url, {"offset": 2 * PAGE_SIZE}, **HTMX).content.decode()
    assert last.count('class="card"') == 3 and 'class="more"' not in last

    full = alice_client.get(url, {"offset": PAGE_SIZE}).content.decode()
    assert "<html" in full and full.count('class="card"') == PAGE_SIZE
