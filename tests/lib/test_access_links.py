"""Access links (lib/access_links.py), through a real table built on them: the sign-in links'."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.contrib.auth import get_user_model

from partnerdesk.lib import access_links
from partnerdesk.lib.access_links import (
    access_link_find,
    access_link_issue,
    access_link_redeem,
    access_link_revoke,
    access_link_use,
    access_links_working,
)
from partnerdesk.web.models import LoginToken

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture
def alice():
    return get_user_model().objects.create_user(username="alice")


def _issue(alice, purpose: str = "sign-in", lifetime: dt.timedelta = DAY):
    return access_link_issue(LoginToken, purpose=purpose, lifetime=lifetime, user=alice)


def test_only_the_tokens_hash_is_stored(alice):
    link, token = _issue(alice)
    stored = LoginToken.objects.get()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(value) for value in LoginToken.objects.values_list(flat=True)}
    assert access_link_find(LoginToken.objects, token, purpose="sign-in") == link


def test_a_link_works_until_it_expires(alice, frozen_clock):
    issued = frozen_clock.now()
    _, token = _issue(alice, lifetime=DAY)
    frozen_clock.set(issued + DAY - dt.timedelta(seconds=1))
    assert access_link_find(LoginToken.objects, token, purpose="sign-in") is not None
    frozen_clock.set(issued + DAY)
    assert access_link_find(LoginToken.objects, token, purpose="sign-in") is None
    assert access_link_redeem(LoginToken.objects, token, purpose="sign-in") is None


def test_a_revoked_link_opens_nothing_and_revoking_again_changes_nothing(alice):
    link, token = _issue(alice)
    assert access_link_revoke(link) is True
    revoked_at = LoginToken.objects.get().revoked_at
    assert access_link_find(LoginToken.objects, token, purpose="sign-in") is None
    assert access_link_redeem(LoginToken.objects, token, purpose="sign-in") is None
    assert access_link_revoke(link) is False
    assert LoginToken.objects.get().revoked_at == revoked_at


def test_a_single_use_link_is_redeemed_once_and_a_second_redeem_is_refused(alice):
    link, token = _issue(alice)
    assert access_link_redeem(LoginToken.objects, token, purpose="sign-in") == link
    assert access_link_redeem(LoginToken.objects, token, purpose="sign-in") is None
    # The same row fetched before the first use (a second click in flight) cannot use it either.
    assert access_link_use(link) is False
    assert LoginToken.objects.get().used_at is not None


def test_a_used_link_is_still_found_so_its_page_can_say_it_was_used(alice):
    link, token = _issue(alice)
    assert access_link_use(link) is True
    found = access_link_find(LoginToken.objects, token, purpose="sign-in")
    assert found is not None and found.used_at is not None


def test_a_token_made_for_one_purpose_opens_nothing_of_another(alice):
    _, form_token = _issue(alice, purpose="technical-form")
    _, sign_in_token = _issue(alice, purpose="sign-in")
    assert access_link_find(LoginToken.objects, form_token, purpose="sign-in") is None
    assert access_link_redeem(LoginToken.objects, form_token, purpose="sign-in") is None
    assert access_link_find(LoginToken.objects, sign_in_token, purpose="technical-form") is None
    assert [link.purpose for link in access_links_working(LoginToken.objects, purpose="sign-in")] == [
        "sign-in"
    ]
    # The form's link was not used up by the attempts to sign in with it.
    assert access_link_redeem(LoginToken.objects, form_token, purpose="technical-form") is not None


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "x",
        "a" * 65,
        "a" * 10_000,
        "abc/def" * 6,
        "é" * 43,
        "tok\x00en" * 8,
        "<script>alert(1)</script>" * 2,
        "abc.def:ghi" * 4,
    ],
)
def test_junk_tokens_find_nothing_and_raise_nothing(alice, junk, django_assert_num_queries):
    _issue(alice)
    with django_assert_num_queries(0):
        assert access_link_find(LoginToken.objects, junk, purpose="sign-in") is None
        assert access_link_redeem(LoginToken.objects, junk, purpose="sign-in") is None
    assert access_links.token_hash(junk) is None


def test_a_well_formed_token_that_was_never_issued_finds_nothing(alice):
    _, token = _issue(alice)
    made_up = ("A" if token[0] != "A" else "B") + token[1:]
    assert access_link_find(LoginToken.objects, made_up, purpose="sign-in") is None


def test_a_legacy_signed_value_is_read_only_with_its_salt():
    from django.core import signing

    token = signing.Signer(salt="one").sign_object({"c": 1})
    assert access_links.legacy_signed_value(token, salt="one") == {"c": 1}
    assert access_links.legacy_signed_value(token, salt="two") is None
    assert access_links.legacy_signed_value(token[:-1] + "x", salt="one") is None
    assert access_links.legacy_signed_value("not:signed:at:all", salt="one") is None
