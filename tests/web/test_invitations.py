"""Invitations: staff invite a team member by email; the link sets a password once."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.services import Actor, ServiceError
from partnerdesk.web.invitations import invitation_send, invitation_use

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+?(/welcome/\S+/)")


@pytest.fixture
def staff_client(alice, client):
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    client.force_login(alice)
    return client


def _link(message: OutboxMessage) -> str:
    parsed = message_from_bytes(bytes(message.raw), policy=policy.default)
    body = parsed.get_body(preferencelist=("plain",)).get_content()
    match = LINK.search(body)
    assert match, body
    return match.group(1)


def _accept(link: str, password: str = "a long new passphrase 42") -> tuple[Client, object]:
    browser = Client()
    form = browser.get(link, follow=True)
    response = browser.post(
        form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    return browser, response


def test_staff_invite_a_team_member_who_sets_a_password_and_is_signed_in(staff_client):
    response = staff_client.post(reverse("invitation-create"), {"email": "Carol@Example.org"})
    assert response.status_code == 302
    message = OutboxMessage.objects.get()
    assert message.to == ["carol@example.org"] and message.subject == "You are invited to partnerdesk"
    carol = get_user_model().objects.get(username="carol@example.org")
    assert not carol.has_usable_password()

    browser, response = _accept(_link(message))
    assert response.status_code == 302 and response.url == reverse("home")
    assert browser.get(reverse("home")).status_code == 200
    carol.refresh_from_db()
    assert carol.check_password("a long new passphrase 42")


def test_the_invitation_link_works_once(staff_client):
    staff_client.post(reverse("invitation-create"), {"email": "carol@example.org"})
    link = _link(OutboxMessage.objects.get())
    _accept(link)
    page = Client().get(link, follow=True).content.decode()
    assert "This invitation link does not work" in page


def test_a_new_invitation_makes_the_earlier_link_stop_working():
    first = _link(invitation_send(email="carol@example.org", actor=Actor(label="test")))
    invitation_send(email="carol@example.org", actor=Actor(label="test"))
    assert "This invitation link does not work" in Client().get(first, follow=True).content.decode()


def test_of_two_browsers_that_opened_the_link_only_the_first_sets_the_password():
    link = _link(invitation_send(email="carol@example.org", actor=Actor(label="test")))
    first, second = Client(), Client()
    forms = [browser.get(link, follow=True).redirect_chain[-1][0] for browser in (first, second)]
    password = {"new_password1": "a long new passphrase 42", "new_password2": "a long new passphrase 42"}
    assert first.post(forms[0], password).status_code == 302
    other = {"new_password1": "another passphrase 4242", "new_password2": "another passphrase 4242"}
    refused = second.post(forms[1], other)
    assert "This invitation link does not work" in refused.content.decode()
    assert (
        get_user_model().objects.get(username="carol@example.org").check_password("a long new passphrase 42")
    )


def test_two_requests_setting_the_password_at_once_use_the_link_once():
    link = _link(invitation_send(email="carol@example.org", actor=Actor(label="test")))
    carol = get_user_model().objects.get(username="carol@example.org")
    token = link.rstrip("/").rsplit("/", 1)[1]
    # Both passed the view's check before either set the password; only one gets through.
    assert [invitation_use(user=carol, token=token) for _ in range(2)] == [True, False]


def test_a_link_sent_before_invitations_were_access_links_shows_the_page_for_a_link_that_does_not_work():
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    invitation_send(email="carol@example.org", actor=Actor(label="test"))
    carol = get_user_model().objects.get(username="carol@example.org")
    uid = urlsafe_base64_encode(force_bytes(carol.pk))
    old = reverse("invitation-accept", args=[uid, default_token_generator.make_token(carol)])
    page = Client().get(old, follow=True)
    assert page.status_code == 200 and "This invitation link does not work" in page.content.decode()


def test_a_member_with_a_password_is_not_invited_again(alice):
    alice.email = "alice@example.org"
    alice.save(update_fields=["email"])
    with pytest.raises(ServiceError, match="team member already"):
        invitation_send(email="alice@example.org", actor=Actor(label="test"))


def test_only_staff_may_invite(alice_client):
    assert alice_client.get(reverse("invitation-create")).status_code == 403
    assert alice_client.post(reverse("invitation-create"), {"email": "x@example.org"}).status_code == 403
    assert not OutboxMessage.objects.exists()


def test_the_invitation_form_needs_the_csrf_token(alice):
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.post(reverse("invitation-create"), {"email": "carol@example.org"}).status_code == 403
    assert not OutboxMessage.objects.exists()


def test_the_invite_command_queues_the_invitation(cli):
    result = cli("invite", "dana@example.org")
    assert result.code == 0, result
    assert "Invitation queued for dana@example.org" in result.out
    assert OutboxMessage.objects.get().to == ["dana@example.org"]


def test_the_invite_command_says_why_it_refuses(cli):
    result = cli("invite", "not-an-address")
    assert result.code == 1 and "is not an email address" in result.err


def test_the_invitation_page_has_a_labelled_field_and_no_inline_script(staff_client):
    page = staff_client.get(reverse("invitation-create")).content.decode()
    assert '<label for="id_email">' in page and "<script>" not in page and " style=" not in page
