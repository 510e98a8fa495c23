from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from partnerdesk.pipeline import services
from partnerdesk.web.login_links import first_user_ensure, login_link_create
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, screenshot


@pytest.fixture(autouse=True)
def empty_cache():
    """The sign-in throttle counts in the cache: no test sees another's failures."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user(username="alice", password="correct horse battery")


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user(username="bob", password="tr0ub4dor&3 staple")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def harbor(alice):
    return services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=services.Actor.for_user(alice),
        owner=alice,
    )


# The browser tests' fixtures (Debian's Chromium through Playwright): see tests/web/test_browser.py.


@pytest.fixture
def sign_in_path(transactional_db):
    """Made before the browser starts, so no query runs beside Playwright's event loop."""
    link = login_link_create(user=first_user_ensure())
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def page(request, sign_in_path):
    # Playwright's sync API runs an event loop in this thread; Django's ORM guard must allow it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "response",
            lambda response: (
                errors.append(f"{response.status} {response.url}")
                if response.status >= 400 and not response.url.endswith("/favicon.ico")
                else None
            ),
        )
        yield page
        screenshot(page, request.node.name)
        browser.close()
        assert errors == [], errors
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    connections.close_all()
