"""One sign-in throttle for every way in: the form, the admin, one-time links, invitation links."""

from __future__ import annotations

import math
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from partnerdesk.web.login_links import login_link_create
from partnerdesk.web.throttle import FAILURES_PER_ACCOUNT, FAILURES_PER_ADDRESS, FAILURES_PER_USERNAME

pytestmark = pytest.mark.django_db

ALICE = {"username": "alice", "password": "correct horse battery"}
BOB = {"username": "bob", "password": "tr0ub4dor&3 staple"}


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def _wrong_password(client: Client, username: str = "alice") -> None:
    page = client.post(reverse("login"), {"username": username, "password": "wrong"})
    assert page.status_code == 200 and "Please enter a correct username" in page.content.decode()


def _assert_try_again_page(response) -> None:
    """The page a refused attempt gets: a clear wait, the same in the header and the text."""
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page
    [minutes] = re.findall(r"Try again in (\d+) minutes?\.", page)
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 15 * 60
    assert int(minutes) == math.ceil(retry_after / 60)
    assert not re.search(r"partnerdesk [a-z][a-z_-]+", page)  # no command to run
    assert "Traceback" not in page


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_admin_sign_in_page_sends_people_to_the_app_sign_in_page(client, alice):
    response = client.get("/admin/login/?next=/admin/pipeline/")
    assert response.status_code == 302
    assert response.url == reverse("login") + "?next=%2Fadmin%2Fpipeline%2F"

    # Posting a password to the admin checks nothing: it is sent to the same page.
    posted = client.post("/admin/login/", ALICE)
    assert posted.status_code == 302 and posted.url.startswith(reverse("login") + "?next=")
    assert not _signed_in(client)

    # A visitor opening the admin ends on the app's sign-in page, and from there in the admin.
    opened = client.get("/admin/", follow=True)
    assert opened.redirect_chain[-1][0] == reverse("login") + "?next=%2Fadmin%2F"
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    signed_in = client.post(reverse("login") + "?next=/admin/", {**ALICE, "next": "/admin/"})
    assert signed_in.status_code == 302 and signed_in.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_sign_in_page_does_not_send_anyone_to_another_site(client, alice):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response.url == reverse("login") + "?next=%2Fadmin%2F"


def test_a_signed_in_team_member_who_is_not_staff_is_told_so_instead_of_looping(alice_client):
    response = alice_client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Your account cannot use the admin" in response.content.decode()


def test_failures_on_the_way_to_the_admin_and_on_the_form_count_together(client, alice):
    admin_sign_in = client.get("/admin/", follow=True).redirect_chain[-1][0]
    assert admin_sign_in == reverse("login") + "?next=%2Fadmin%2F"
    for number in range(FAILURES_PER_USERNAME):
        url = admin_sign_in if number % 2 else reverse("login")
        page = client.post(url, {"username": "alice", "password": "wrong", "next": "/admin/"})
        assert "Please enter a correct username" in page.content.decode()

    refused = client.post(admin_sign_in, {**ALICE, "next": "/admin/"})
    _assert_try_again_page(refused)
    assert not _signed_in(client)
    assert 'href="/login/"' in refused.content.decode()


def test_failures_for_one_username_from_many_clients_pause_that_username_everywhere(alice, bob):
    per_client = FAILURES_PER_USERNAME - 1  # never enough for one client alone
    clients = math.ceil(FAILURES_PER_ACCOUNT / per_client)
    for number in range(clients):
        attacker = Client(REMOTE_ADDR=f"203.0.113.{number + 1}")
        for _ in range(per_client):
            _wrong_password(attacker)

    alice_at_home = Client(REMOTE_ADDR="198.51.100.7")
    _assert_try_again_page(alice_at_home.post(reverse("login"), ALICE))
    assert not _signed_in(alice_at_home)
    # Other team members are not affected, and a one-time link still lets alice in.
    assert alice_at_home.post(reverse("login"), BOB).status_code == 302
    alice_by_link = Client(REMOTE_ADDR="198.51.100.8")
    assert alice_by_link.get(_path(login_link_create(user=alice))).url == reverse("home")


def test_one_client_failing_in_every_way_is_paused_in_every_way(alice, bob):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    ways = [
        lambda n: attacker.get(reverse("login-token", args=[f"made-up-{n}"])),
        lambda n: attacker.get(reverse("invitation-accept", args=["MQ", f"made-up-{n}"])),
        lambda n: attacker.post(reverse("login"), {"username": f"user{n}", "password": "guess"}),
    ]
    for number in range(FAILURES_PER_ADDRESS):
        response = ways[number % len(ways)](number)
        assert response.status_code in {200, 302}

    _assert_try_again_page(attacker.post(reverse("login"), BOB))
    _assert_try_again_page(attacker.get(_path(login_link_create(user=alice))))
    _assert_try_again_page(attacker.get(reverse("invitation-accept", args=["MQ", "made-up"])))
    _assert_try_again_page(attacker.post("/admin/login/", BOB, follow=True))
    assert not _signed_in(attacker)

    # The same people from another client are not paused.
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert elsewhere.post(reverse("login"), BOB).status_code == 302


def test_a_made_up_sign_in_link_counts_as_a_failure_and_a_good_one_does_not(alice):
    browser = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(FAILURES_PER_ADDRESS - 1):
        assert browser.get(reverse("login-token", args=["made-up"])).url == reverse("login")
    for _ in range(3):
        assert browser.get(_path(login_link_create(user=alice))).url == reverse("home")
    assert browser.get(reverse("login-token", args=["the-last-straw"])).url == reverse("login")
    _assert_try_again_page(browser.get(_path(login_link_create(user=alice))))


def test_addresses_in_one_ipv6_network_count_as_one_client(alice):
    for host in range(1, FAILURES_PER_USERNAME + 1):
        _wrong_password(Client(REMOTE_ADDR=f"2001:db8:1:2::{host:x}"))
    _assert_try_again_page(Client(REMOTE_ADDR="2001:db8:1:2::ffff").post(reverse("login"), ALICE))
    assert Client(REMOTE_ADDR="2001:db8:1:3::1").post(reverse("login"), ALICE).status_code == 302


def test_failures_for_a_username_from_one_client_do_not_pause_it_from_another(alice):
    get_user_model().objects.create_user(username="charlie", password="a long and good passphrase")
    attacker = Client(REMOTE_ADDR="203.0.113.1")
    for _ in range(FAILURES_PER_USERNAME):
        _wrong_password(attacker, username="charlie")
    charlie = {"username": "charlie", "password": "a long and good passphrase"}
    _assert_try_again_page(attacker.post(reverse("login"), charlie))
    assert Client(REMOTE_ADDR="198.51.100.7").post(reverse("login"), charlie).status_code == 302
