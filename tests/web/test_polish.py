"""Branding and polish: the organization's name, logo and colour on every page, branded error and
signed-out pages, a favicon, links that follow `serve --port`, and nothing a user cannot act on
(HTML eaten from help text, Python class names, server paths)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import path, reverse

from partnerdesk.documents.partner_links import partner_link_create
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_queue
from partnerdesk.pipeline import services
from partnerdesk.pipeline.models import Contact, TimelineEntry
from partnerdesk.pipeline.qualification import Answer, Criterion
from partnerdesk.profile import DEFAULT_PROFILE_PATH, ProfileError, load_profile
from partnerdesk.technical.links import technical_form_link_create
from partnerdesk.web.views import pages
from tests.partnership.conftest import partner  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

ALICE = services.Actor(label="alice")


def _profile_text(**organization: str) -> str:
    text = DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")
    for key, value in organization.items():
        text, count = re.subn(rf'(?m)^{key} = ".*"$', f'{key} = "{value}"', text, count=1)
        assert count == 1, key
    return text


@pytest.fixture
def ocean_hub(profile_file):
    """An organization with its own name, logo and colour."""
    return profile_file(
        _profile_text(
            name="Ocean Hub Co", logo_url="https://cdn.ocean.example/logo.png", accent_colour="#f5c518"
        )
    )


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _body(message: OutboxMessage) -> str:
    parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
    return parsed.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


# The organization on every page.


def test_every_team_page_has_the_organizations_name_logo_and_colour(ocean_hub, alice_client, harbor):
    for url in (reverse("home"), reverse("outbox"), reverse("engagement", args=[harbor.reference])):
        page = alice_client.get(url).content.decode()
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert title.endswith(" · Ocean Hub Co"), (url, title)
        header = page.split('<header class="top">')[1].split("</header>")[0]
        assert '<img class="logo" src="https://cdn.ocean.example/logo.png" alt="">' in header
        assert "<strong>Ocean Hub Co</strong>" in header
        assert re.search(r'<link rel="stylesheet" href="/brand.css\?v=[0-9a-f]{10}">', page)

    # The logo's host is allowed by the page's policy, and nothing else is.
    policy = alice_client.get(reverse("home"))["Content-Security-Policy"]
    assert re.search(r"img-src [^;]*https://cdn\.ocean\.example", policy)
    assert "script-src 'self'" in policy and "cdn.ocean.example" not in policy.split("img-src")[0]

    # The colour, with text that reads on it: dark on a yellow header.
    stylesheet = Client().get(reverse("brand-css"))
    assert stylesheet["Content-Type"].startswith("text/css")
    assert "header.top { background: #f5c518; color: #1d2433; }" in stylesheet.content.decode()


def test_without_a_logo_or_colour_the_header_has_the_name_only(alice_client):
    page = alice_client.get(reverse("home")).content.decode()
    assert "<strong>2i2c</strong>" in page and '<img class="logo"' not in page and "brand.css" not in page
    assert "img-src 'self' data:;" in alice_client.get(reverse("home"))["Content-Security-Policy"] + ";"


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("logo_url", "javascript:alert(1)", "is not an https:// address or a path starting with /"),
        ("logo_url", "//evil.example/logo.png", "is not an https:// address or a path starting with /"),
        ("logo_url", "http://plain.example/logo.png", "is not an https:// address or a path starting with /"),
        ("accent_colour", "red", "is not a colour written #rrggbb or #rgb"),
        ("accent_colour", "#12345g", "is not a colour written #rrggbb or #rgb"),
    ],
)
def test_a_logo_or_colour_that_is_not_one_stops_the_profile_with_the_key(tmp_path, key, value, error):
    profile = tmp_path / "partnerdesk.toml"
    profile.write_text(_profile_text(**{key: value}), encoding="utf-8")
    with pytest.raises(ProfileError, match=re.escape(error)) as raised:
        load_profile(profile)
    assert f"organization.{key}" in str(raised.value)


def test_partner_pages_carry_the_organizations_name_and_never_partnerdesk(ocean_hub, client, harbor):
    contact = Contact.objects.get(email="lee@harbor.example.edu")
    docs = _path(partner_link_create(contact=contact, actor=ALICE))
    tech = _path(technical_form_link_create(engagement=harbor, contact=contact, actor=ALICE))
    for url in (docs, tech):
        page = Client().get(url).content.decode()
        assert "<strong>Ocean Hub Co</strong>" in page and "Ocean Hub Co</title>" in page, url
        assert "partnerdesk" not in page.replace("/static/partnerdesk/", ""), url


def test_the_check_in_page_is_styled_branded_and_one_click_records_the_rating(
    ocean_hub,
    partner,  # noqa: F811 - the fixture imported above
    frozen_clock,
):
    from partnerdesk.mail.worker import run_due_work
    from partnerdesk.partnership.models import CheckIn

    frozen_clock.set(dt.date(2027, 4, 1))
    run_due_work(raise_errors=True)
    check_in = CheckIn.objects.get(email="lee@harbor.example.edu")
    [message] = OutboxMessage.objects.filter(idempotency_key__endswith=":lee@harbor.example.edu")
    body = _body(message)
    assert "partnerdesk" not in body and "Ocean Hub Co" in body
    emailed_four = _path(re.search(r"^  4 - Satisfied: (\S+)$", body, re.M).group(1))

    partner_browser = Client()
    page = partner_browser.get(emailed_four).content.decode()
    assert '<link rel="stylesheet" href="/static/partnerdesk/app.css">' in page
    assert "<strong>Ocean Hub Co</strong>" in page and "partnership with Ocean Hub Co" in page
    assert "partnerdesk" not in page.replace("/static/partnerdesk/", "")
    # Five buttons in one form: the one chosen in the email marked; one click on any sends it.
    assert len(re.findall(r'<button type="submit" name="rating" value="\d"', page)) == 5
    assert '<button type="submit" name="rating" value="4" class="chosen"' in page
    assert CheckIn.objects.get(pk=check_in.pk).answered_at is None  # a GET writes nothing

    done = partner_browser.post(emailed_four, {"rating": "5", "comment": "Great support."}).content.decode()
    assert "Thank you!" in done and "5 - Very satisfied" in done and "Ocean Hub Co" in done
    answered = CheckIn.objects.get(pk=check_in.pk)
    assert (answered.rating, answered.comment) == (5, "Great support.")


def test_emails_to_partners_sign_with_the_team_not_partnerdesk(harbor):
    from partnerdesk.documents.partner_links import partner_link_send
    from partnerdesk.documents.services import document_share, running_notes_ensure

    document = running_notes_ensure(engagement=harbor, actor=ALICE)
    lee = Contact.objects.get(email="lee@harbor.example.edu")
    [share] = document_share(document=document, contacts=[lee], role="editor", actor=ALICE)
    partner_link_send(engagement=harbor, contact_id=lee.pk, actor=ALICE)
    for message in OutboxMessage.objects.all():
        body = _body(message)
        assert "partnerdesk" not in body.lower(), body
        assert body.rstrip().endswith("Best regards,\n2i2c's Partnerships Team"), body
    # The share: the document's title and a link the partner can open, never our folder path.
    shared = _body(share.notification)
    assert f"Document: {document.title}\nOpen it here (this link works for" in shared
    assert "Partnerships/Agreements" not in shared and "Location:" not in shared


# Error pages, signed out, the favicon.


def _boom(request):
    raise RuntimeError("a bug")


def _forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("boom/", _boom),
    path("forbidden/", _forbidden),
    *__import__("partnerdesk.urls", fromlist=["urlpatterns"]).urlpatterns,
]
handler403 = pages.forbidden
handler404 = pages.not_found
handler500 = pages.server_error


def test_the_app_answers_errors_with_its_own_pages_and_no_database(
    ocean_hub, client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    page = missing.content.decode()
    assert "This page does not exist" in page and "Ocean Hub Co" in page and 'href="/"' in page
    assert "Not Found" not in page  # Django's bare page

    # A partner's dead link: no way into the team's pipeline, a way to ask for a new link.
    partner_page = client.get("/p/docs/made-up-token/").content.decode()
    assert "reply to that email" in partner_page and "Go to the pipeline" not in partner_page


@override_settings(ROOT_URLCONF=__name__)
def test_a_crash_and_a_refusal_show_branded_pages_without_a_traceback(ocean_hub, client):
    client.raise_request_exception = False
    crashed = client.get("/boom/")
    assert crashed.status_code == 500
    page = crashed.content.decode()
    assert "Something went wrong on our side" in page and "Ocean Hub Co" in page
    assert "RuntimeError" not in page and "a bug" not in page and "Traceback" not in page

    refused = client.get("/forbidden/")
    assert refused.status_code == 403 and "You cannot open this page" in refused.content.decode()


def test_the_urlconf_names_the_branded_handlers():
    import partnerdesk.urls

    assert (partnerdesk.urls.handler403, partnerdesk.urls.handler404, partnerdesk.urls.handler500) == (
        pages.forbidden,
        pages.not_found,
        pages.server_error,
    )


def test_signing_out_lands_on_the_apps_own_signed_out_page(alice_client):
    signed_out = alice_client.post(reverse("logout"), follow=True)
    assert signed_out.redirect_chain == [(reverse("signed-out"), 302)]
    page = signed_out.content.decode()
    assert "You are signed out" in page and f'href="{reverse("login")}"' in page
    assert "Logged out" not in page and "Django" not in page
    assert alice_client.get(reverse("home")).status_code == 302  # really signed out


def test_the_favicon_is_linked_and_served(client, alice_client):
    page = alice_client.get(reverse("home")).content.decode()
    assert '<link rel="icon" href="/static/partnerdesk/favicon.svg" type="image/svg+xml">' in page
    icon = client.get("/favicon.ico")
    assert icon.status_code == 301 and icon["Location"] == "/static/partnerdesk/favicon.svg"
    svg = client.get("/static/partnerdesk/favicon.svg")
    assert svg.status_code == 200 and b"<svg" in b"".join(svg.streaming_content)


# Links follow `serve --host/--port` unless PARTNERDESK_BASE_URL says otherwise.


def test_links_follow_the_port_serve_listens_on(settings, monkeypatch, alice):
    from partnerdesk.web.invitations import invitation_send
    from partnerdesk.web.login_links import login_link_create
    from partnerdesk.web.management.commands.serve import links_follow_the_server, served_base_url

    assert served_base_url("0.0.0.0", 8080) == "http://127.0.0.1:8080"
    assert served_base_url("::1", 8080) == "http://[::1]:8080"
    assert served_base_url("desk.local", 9000) == "http://desk.local:9000"

    monkeypatch.delenv("PARTNERDESK_BASE_URL", raising=False)
    assert links_follow_the_server("127.0.0.1", 8123) is True
    assert login_link_create(user=alice).startswith("http://127.0.0.1:8123/login/token/")
    invitation = invitation_send(email="bob@2i2c.org", actor=ALICE)
    assert "http://127.0.0.1:8123/welcome/" in _body(invitation)

    monkeypatch.setenv("PARTNERDESK_BASE_URL", "https://desk.example.org")
    settings.PARTNERDESK_BASE_URL = "https://desk.example.org"
    assert links_follow_the_server("127.0.0.1", 8123) is False
    assert login_link_create(user=alice).startswith("https://desk.example.org/login/token/")


# Nothing a user cannot act on.


def test_help_text_shows_the_name_and_address_example(alice_client):
    page = alice_client.get(reverse("lead-create")).content.decode()
    # Escaped, so the browser shows <email@example.org> instead of taking it for a tag.
    assert 'One per line, as "Name &lt;email@example.org&gt;".' in page


def test_no_exception_class_name_reaches_a_page(alice_client, harbor):
    failed = message_queue(to=["lee@harbor.example.edu"], subject="Hello", body="Hi", engagement=harbor)
    OutboxMessage.objects.filter(pk=failed.pk).update(
        status="failed",
        last_error="unexpected error: smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
    )
    services.timeline_record(
        engagement=harbor,
        kind=TimelineEntry.Kind.PLAYBOOK_RUN,
        actor=ALICE,
        summary="Ran Hail the Lead: failed",
        data={"steps": [{"status": "failed", "title": "Send the email", "error": "KeyError: 'contact'"}]},
    )
    engagement_url = reverse("engagement", args=[harbor.reference])
    for url in (reverse("outbox"), reverse("outbox-message", args=[failed.pk]), engagement_url):
        page = alice_client.get(url).content.decode()
        assert "SMTPServerDisconnected" not in page and "KeyError" not in page, url
    page = alice_client.get(reverse("engagement", args=[harbor.reference])).content.decode()
    assert "unexpected error: Connection unexpectedly closed" in page
    assert 'Send the email <span class="error">&#x27;contact&#x27;</span>' in page


def test_authority_no_warns_on_the_engagement_scorecard(alice_client, harbor):
    page = alice_client.get(reverse("engagement", args=[harbor.reference])).content.decode()
    assert "Authority is no" not in page
    services.engagement_qualify(engagement=harbor, actor=ALICE, answers={Criterion.AUTHORITY: Answer.NO})
    page = alice_client.get(reverse("engagement", args=[harbor.reference])).content.decode()
    scorecard = page.split('id="scorecard"')[1].split("</section>")[0]
    warning = '<p class="scorecard-warning" role="status"><strong>Warning:</strong> Authority is no:'
    assert warning in scorecard


def test_the_playbooks_page_shows_file_names_not_server_paths(alice_client, profile_file, tmp_path):
    from partnerdesk.playbooks.specs import DEFAULTS_DIR

    team = tmp_path / "team-playbooks"
    team.mkdir()
    (team / "broken.toml").write_text("this is not toml = = =\n", encoding="utf-8")
    text = DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")
    profile_file(re.sub(r'(?m)^\[playbooks\]\n(#.*\n)*folder = ""', f'[playbooks]\nfolder = "{team}"', text))

    page = alice_client.get(reverse("playbooks")).content.decode()
    assert "hail-the-lead.toml (shipped with partnerdesk)" in page
    assert "<code>broken.toml</code>" in page
    assert str(DEFAULTS_DIR) not in page and str(team) not in page and str(tmp_path) not in page


def test_a_refusal_keeps_its_list_and_a_failed_step_loses_its_class_name(alice_client, harbor, monkeypatch):
    from partnerdesk.playbooks.steps import email as email_step

    # A refusal message is HTML (a list of what is missing): it stays a list.
    refused = alice_client.post(
        reverse("engagement-move", args=[harbor.reference]), {"to": "qualified-lead"}, follow=True
    ).content.decode()
    assert "cannot move to Qualified Lead" in refused and "<li>" in refused.split("cannot move to")[1]

    # A bug in a step: the page says what happened, the class name stays in the log.
    def broken(*args, **kwargs):
        raise KeyError("contact")

    monkeypatch.setattr(email_step, "message_queue", broken)
    from partnerdesk.playbooks.engine import playbook_runs_due

    run = alice_client.post(reverse("playbook-run", args=[harbor.reference, "hail-the-lead"]), follow=True)
    playbook_runs_due()
    page = alice_client.get(run.redirect_chain[-1][0]).content.decode()
    assert "unexpected error: &#x27;contact&#x27;" in page
    assert "KeyError" not in page


def test_serve_prints_a_sign_in_link_on_the_port_it_listens_on(tmp_path):
    import os
    import subprocess
    import sys

    from tests.smtp_server import free_port

    port = free_port()
    env = {**os.environ, "PARTNERDESK_HOME": str(tmp_path / "home")}
    for name in ("PARTNERDESK_BASE_URL", "DATABASE_URL", "PARTNERDESK_CONFIG"):
        env.pop(name, None)
    server = subprocess.Popen(
        [sys.executable, "-m", "partnerdesk.cli", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        printed = []
        while not any("/login/token/" in line for line in printed):
            line = server.stdout.readline()
            assert line, "serve exited before printing a sign-in link: " + "".join(printed)
            printed.append(line)
        [link] = [line.strip() for line in printed if "/login/token/" in line]
        assert link.startswith(f"http://127.0.0.1:{port}/login/token/")
        assert f"Serving on http://127.0.0.1:{port}/\n" in printed
    finally:
        server.terminate()
        server.wait(timeout=30)
