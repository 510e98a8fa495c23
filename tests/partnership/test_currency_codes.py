"""Currencies are ISO 4217 codes: an agreement refuses "DOL", and no invoice goes out in one."""

from __future__ import annotations

import datetime as dt

import pytest

from partnerdesk.agreements import services as agreements
from partnerdesk.agreements.models import Agreement
from partnerdesk.lib.currencies import ACTIVE, CurrencyError, currency_code
from partnerdesk.partnership import ticklers
from partnerdesk.partnership.models import Invoice, Tickler
from partnerdesk.pipeline import services
from partnerdesk.pipeline.services import ServiceError
from tests.partnership.conftest import make_partner


@pytest.mark.parametrize(
    ("typed", "code"), [("USD", "USD"), ("usd", "USD"), (" eur ", "EUR"), ("Chf", "CHF")]
)
def test_a_known_code_in_any_case_is_the_upper_case_code(typed, code):
    assert currency_code(typed) == code


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("DOL", "'DOL' is not an ISO 4217 currency code (like USD, EUR or GBP)"),
        ("HRK", "'HRK' is not an ISO 4217 currency code"),  # withdrawn: Croatia uses EUR since 2023
        ("XTS", "'XTS' is not an ISO 4217 currency code"),  # the code reserved for testing
        ("dollars", "'dollars' is not a currency code: give the three letters of ISO 4217, like USD or EUR"),
        ("US$", "'US$' is not a currency code"),
        ("ÉUR", "'ÉUR' is not a currency code"),
        ("", "'' is not a currency code"),
    ],
)
def test_anything_else_is_refused_saying_what_a_currency_code_is(typed, message):
    with pytest.raises(CurrencyError) as refused:
        currency_code(typed)
    assert str(refused.value).startswith(message)


def test_the_table_holds_only_three_capital_letters_and_the_main_currencies():
    assert all(len(code) == 3 and code.isascii() and code.isupper() for code in ACTIVE)
    assert {"USD", "EUR", "GBP", "JPY", "CAD", "AUD", "INR", "BRL", "ZAR", "XCG", "ZWG", "SLE"} <= ACTIVE
    assert not {"DOL", "HRK", "SLL", "ZWL", "ANG", "XTS", "XXX"} & ACTIVE


@pytest.fixture
def draft(db, alice_actor):
    engagement = services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu")],
        actor=alice_actor,
    )
    return agreements.agreement_create(engagement=engagement, actor=alice_actor)


def test_an_agreement_refuses_an_unknown_currency_and_keeps_its_terms(draft, alice_actor):
    with pytest.raises(ServiceError, match="'dol' is not an ISO 4217 currency code"):
        agreements.agreement_set_terms(agreement=draft, actor=alice_actor, currency="dol")
    draft.refresh_from_db()
    assert draft.currency == ""
    assert agreements.agreement_set_terms(agreement=draft, actor=alice_actor, currency="eur") == [
        "currency: - -> EUR"
    ]


def test_the_agreement_command_names_the_bad_currency_in_one_line(draft, cli):
    reference = draft.engagement.reference
    result = cli("agreement", "set", reference, "--currency", "DOL")
    assert result.code == 1
    assert (
        result.err == "partnerdesk agreement: 'DOL' is not an ISO 4217 currency code (like USD, EUR or GBP)\n"
    )
    assert Agreement.objects.get().currency == ""


def test_no_invoice_is_issued_in_a_currency_stored_before_the_check(alice, frozen_clock):
    _, agreement = make_partner(owner=alice)
    Agreement.objects.filter(pk=agreement.pk).update(currency="DOL")  # as an older version let it be
    ticklers.ticklers_plan()
    frozen_clock.set(dt.date(2027, 1, 1))
    report = ticklers.ticklers_fire_due()
    assert report.failed == 1
    assert not Invoice.objects.exists()
    invoice = Tickler.objects.get(kind="invoice", due_on=dt.date(2027, 1, 1))
    assert invoice.fired_at is None
    assert "'DOL' is not an ISO 4217 currency code" in invoice.last_error
