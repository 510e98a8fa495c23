"""ISO 4217 currency codes (pure): the active alphabetic codes of the standard's list one.

Withdrawn codes (HRK, SLL, ZWL, ANG...) and the codes for testing (XTS) and for "no currency" (XXX)
are refused. When the standard changes, change this table (and its test).
"""

from __future__ import annotations

ACTIVE = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN
    BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH
    UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD
    XPF XPT XSU XUA YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 - a table of codes reads better as words than as 170 quoted strings
)


class CurrencyError(ValueError):
    pass


def currency_code(text: str) -> str:
    """`usd`, ` EUR ` -> the ISO 4217 code; anything else raises CurrencyError saying why."""
    code = text.strip().upper()
    if code in ACTIVE:
        return code
    shown = text.strip()[:20]
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise CurrencyError(
            f"{shown!r} is not a currency code: give the three letters of ISO 4217, like USD or EUR"
        )
    raise CurrencyError(f"{shown!r} is not an ISO 4217 currency code (like USD, EUR or GBP)")
