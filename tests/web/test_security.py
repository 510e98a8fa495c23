"""Sign-in on every page, CSRF on every form, one-time links, and the sign-in throttle."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from partnerdesk.pipeline.models import TimelineEntry
from partnerdesk.web.login_links import login_link_create
from partnerdesk.web.throttle import FAILURES_PER_USERNAME

pytestmark = pytest.mark.django_db

# Every named page of the app, with arguments; the test below fails when a new one is missing here.
PAGES = {
    "home": [],
    "board-column": ["lead"],
    "lead-create": [],
    "engagement-list": [],
    "engagement": ["PD-1"],
    "engagement-move": ["PD-1"],
    "engagement-qualify": ["PD-1"],
    "engagement-note": ["PD-1"],
    "engagement-contact-add": ["PD-1"],
    "engagement-contact-edit": ["PD-1", 1],
    "engagement-organization-edit": ["PD-1"],
    "agreement-upload": ["PD-1"],
    "agreement-terms": ["PD-1"],
    "agreement-signatory-add": ["PD-1"],
    "agreement-signatory-remove": ["PD-1"],
    "agreement-addendum-add": ["PD-1"],
    "agreement-addendum-remove": ["PD-1", 1],
    "agreement-ready": ["PD-1"],
    "agreement-executed": ["PD-1"],
    "agreement-version-download": ["PD-1", 1],
    "engagement-task-add": ["PD-1"],
    "task-toggle": ["PD-1", 1],
    "engagement-verbal-yes": ["PD-1"],
    "engagement-executed-close": ["PD-1"],
    "playbook-preview": ["PD-1", "hail-the-lead"],
    "playbook-run": ["PD-1", "hail-the-lead"],
    "playbook-run-page": ["PD-1", 1],
    "playbooks": [],
    "inbox": [],
    "inbox-message": [1],
    "inbox-message-confirm": [1],
    "inbox-message-dismiss": [1],
    "inbox-message-retry": [1],
    "inbox-attachment": [1, 1],
    "outbox": [],
    "outbox-message": [1],
    "outbox-attachment": [1, 1],
    "outbox-retry": [1],
    "partner-link-revoke": ["PD-1", 1],
    "partner-link-send": ["PD-1", 1],
    "dashboard": [],
    "audit": [],
    "engagement-audit": ["PD-1"],
    "engagement-merge": ["PD-1"],
    "invitation-create": [],
    "invoices": [],
    "invoice-pdf": ["2027-0001"],
    "invoice-paid": ["2027-0001"],
    "invoice-void": ["2027-0001"],
    "invoice-resend": ["2027-0001"],
    "item-send": ["PD-1", 1],
    "item-issue": ["PD-1", 1],
    "item-skip": ["PD-1", 1],
    "item-done": ["PD-1", 1],
    "check-in-record": ["PD-1", 1],
    "renewal-record": ["PD-1"],
    "agreement-preview": ["PD-1"],
    "technical-answers": ["PD-1"],
    "technical-handoff": ["PD-1"],
}
# signed-out: where sign-out lands; brand-css: the profile's header colour, for partners' pages too.
PUBLIC = {"login", "login-token", "logout", "invitation-accept", "signed-out", "brand-css"}
# Partner pages (p/docs/): no sign-in, each checks its token; tests/web/test_partner_access.py
# tries every one of them with a made-up, revoked, expired and another partner's link.
PARTNER = {
    "partner-open",
    "partner-documents",
    "partner-notes-append",
    "partner-download",
    "partner-upload",
}


def _named_patterns() -> set[str]:
    names = set()
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
        elif isinstance(pattern, URLResolver):
            # The admin has its own sign-in; webhooks and partner pages check their own signatures.
            assert str(pattern.pattern) in {"admin/", "hooks/", "p/checkin/", "p/tech/"}, (
                f"unexpected include {pattern.pattern}"
            )
    return names


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_every_page_is_listed_here_so_none_escapes_the_sign_in_check():
    assert _named_patterns() - PUBLIC - PARTNER == set(PAGES)


def test_every_partner_page_lives_under_p_docs_and_a_made_up_token_finds_nothing(client):
    with_document = {"partner-notes-append", "partner-download", "partner-upload"}
    for name in PARTNER:
        url = reverse(name, args=["made-up-token", 1] if name in with_document else ["made-up-token"])
        assert url.startswith("/p/docs/made-up-token/"), url
        assert client.get(url).status_code in {404, 405}
        assert client.post(url).status_code in {404, 405}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_redirects_a_visitor_who_is_not_signed_in(client, harbor, name):
    url = reverse(name, args=PAGES[name])
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, (name, method)
        assert response.url.startswith(reverse("login") + "?next=")
    assert harbor.timeline.count() == 1


@pytest.mark.parametrize(
    "name,data",
    [
        ("engagement-note", {"text": "hello"}),
        ("engagement-move", {"to": "closed", "reason": "x"}),
        ("engagement-qualify", {"good_candidate": "yes", "qualified": "yes"}),
        ("engagement-contact-add", {"email": "x@example.org"}),
        ("engagement-task-add", {"title": "Call"}),
        ("playbook-run", {}),
        ("partner-link-send", {}),
    ],
)
def test_a_form_posted_without_the_csrf_token_is_rejected(alice, harbor, name, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    args = PAGES[name]
    response = client.post(reverse(name, args=args), data)
    assert response.status_code == 403
    assert list(harbor.timeline.values_list("kind", flat=True)) == [TimelineEntry.Kind.CREATED]


def test_every_form_on_the_pages_carries_the_csrf_token(alice_client, harbor):
    for url in (reverse("home"), reverse("engagement", args=[harbor.reference]), reverse("lead-create")):
        page = alice_client.get(url).content.decode()
        forms = page.count('method="post"')
        assert forms and page.count('name="csrfmiddlewaretoken"') == forms, url


def test_a_one_time_link_used_by_alice_does_not_sign_in_bob(alice, client):
    link = _path(login_link_create(user=alice))
    assert client.get(link).url == reverse("home")

    bobs_browser = Client()
    response = bobs_browser.get(link, follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "was used already or has expired" in response.content.decode()
    assert bobs_browser.get(reverse("home")).status_code == 302


def test_the_sign_in_form_works_with_a_password(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "correct horse battery"})
    assert response.status_code == 302 and response.url == reverse("home")


def test_sign_in_is_throttled_after_repeated_failures_for_that_username(client, alice, bob):
    for _ in range(FAILURES_PER_USERNAME):
        page = client.post(reverse("login"), {"username": "alice", "password": "wrong"}).content.decode()
        assert "Please enter a correct username and password" in page

    blocked = client.post(reverse("login"), {"username": "alice", "password": "correct horse battery"})
    assert blocked.status_code == 429  # the "try again in N minutes" page
    assert "Too many failed sign-in attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session

    # Another user from the same address still signs in; a one-time link still works for alice.
    assert (
        client.post(reverse("login"), {"username": "bob", "password": "tr0ub4dor&3 staple"}).status_code
        == 302
    )
    other = Client()
    assert other.get(_path(login_link_create(user=alice))).url == reverse("home")


def test_a_successful_sign_in_clears_the_failures(client, alice):
    for _ in range(FAILURES_PER_USERNAME - 1):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    client.post(reverse("login"), {"username": "alice", "password": "correct horse battery"})
    client.logout()
    for _ in range(FAILURES_PER_USERNAME - 1):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    ok = client.post(reverse("login"), {"username": "alice", "password": "correct horse battery"})
    assert ok.status_code == 302


def test_the_pages_use_no_inline_script_or_style_so_a_strict_csp_holds(alice_client, harbor):
    pages = ("home", "playbooks", "dashboard")
    for url in (reverse("engagement", args=[harbor.reference]), *map(reverse, pages)):
        page = alice_client.get(url).content.decode()
        assert "<script>" not in page and "<style" not in page and " style=" not in page, url
        assert " onclick=" not in page and "javascript:" not in page, url


def test_a_content_security_policy_header_is_sent_when_django_csp_is_configured(alice, settings):
    if "csp.middleware.CSPMiddleware" not in settings.MIDDLEWARE:
        pytest.skip("django-csp's middleware is not in settings.MIDDLEWARE yet")
    client = Client()
    client.force_login(alice)
    policy = client.get(reverse("home")).headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
