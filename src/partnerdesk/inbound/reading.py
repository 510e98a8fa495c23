"""What a parsed message says (pure): is it automatic, is it authenticated, which SOP does it
name, which people does it mention, which partner is it about."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from partnerdesk.inbound.parsing import ParsedMessage

_BULK_PRECEDENCE = {"bulk", "list", "junk"}
_SUPPRESS = {"all", "oof", "autoreply"}
_ROBOT_LOCALPARTS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|donotreply|owner-.*|.*-request|bounces?(\+.*)?)$",
    re.IGNORECASE,
)
_SUBJECT_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|tr|sv|vs|rif|r)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_ADDRESS = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_NAMED = re.compile(r"(?:\"([^\"\n]{1,100})\"|([^\s<>\"@:,;][^<>\"@:,;\n]{0,99}?))?\s*<(" + _ADDRESS + r")>")
_BARE = re.compile(r"(?<![\w.+-])(" + _ADDRESS + r")")
_PARTNER_LINE = re.compile(r"^\s*[>*\s]*(?:partner|organi[sz]ation|partner\s*x)\s*[:=]\s*(.+?)\s*$",
                           re.IGNORECASE | re.MULTILINE)  # fmt: skip
_FREE_MAIL = {
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "icloud.com",
    "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "fastmail.com", "mail.com",
}  # fmt: skip


def automatic_reason(parsed: ParsedMessage, *, own_address: str) -> str:
    """Why this message is automatic or bulk (RFC 3834 and common practice), or "" for a person's."""
    auto = parsed.header("auto-submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = parsed.header("precedence").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if parsed.list_headers:
        return "a mailing-list message (List-* header)"
    for name in ("x-autoreply", "x-autorespond"):
        if parsed.header(name):
            return f"{name} header"
    suppress = {v.strip().lower() for v in parsed.header("x-auto-response-suppress").split(",")}
    if suppress & _SUPPRESS:
        return "X-Auto-Response-Suppress"
    if "return-path" in parsed.headers and parsed.header("return-path").strip() in ("<>", ""):
        return "an empty Return-Path (a bounce)"
    if parsed.content_type == "multipart/report":
        return "a delivery or read report"
    local = parsed.from_addr.partition("@")[0]
    if not parsed.from_addr:
        return "no sender address"
    if _ROBOT_LOCALPARTS.match(local):
        return f"sent by {parsed.from_addr}"
    if any(own_address.lower() in value.lower() for value in parsed.headers.get("x-loop", [])):
        return "X-Loop names us"
    return ""


_COMMENT = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class Verdict:
    """Whether the From address of a message is proven: `authenticated`, or `failed` (DMARC
    says it is forged: never obeyed), or neither (unproven: a command is held), with why."""

    authenticated: bool
    failed: bool
    reason: str


@dataclass(frozen=True)
class _Result:
    method: str
    outcome: str
    properties: dict[str, str]


def _results(header: str) -> tuple[str, list[_Result]]:
    """An Authentication-Results header (RFC 8601) as its authserv-id and its results."""
    text = _COMMENT.sub(" ", _COMMENT.sub(" ", header))
    server, _, rest = text.partition(";")
    words = server.split()
    results = []
    for clause in rest.split(";"):
        tokens = clause.split()
        if not tokens or "=" not in tokens[0]:
            continue
        method, _, outcome = tokens[0].lower().partition("=")
        properties: dict[str, str] = {}
        for token in tokens[1:]:
            key, _, value = token.partition("=")
            properties.setdefault(key.lower(), value.strip('"').lower())
        results.append(_Result(method.split("/")[0], outcome, properties))
    return (words[0].lower() if words else ""), results


def _topmost(headers: list[tuple[str, list[_Result]]], authserv_id: str, method: str) -> list[_Result]:
    """The results for `method` in the topmost header of our receiving host that reports it.

    Our host adds its header above everything the sender wrote (RFC 8601 section 5), so a header
    with our authserv-id further down was written by someone else and is never read."""
    for server, results in headers:
        if server == authserv_id:
            found = [r for r in results if r.method == method]
            if found:
                return found
    return []


def _aligned(domain: str, signer: str) -> bool:
    signer = signer.rpartition("@")[2].strip(".")
    return bool(signer) and (domain == signer or domain.endswith("." + signer))


def sender_verdict(parsed: ParsedMessage, *, authserv_id: str, accept_dkim: bool = False) -> Verdict:
    """Is the From address proven by our receiving host's Authentication-Results?

    Proven: the topmost header carrying `authserv_id` says dmarc=pass with header.from equal to
    the From domain (or, with `accept_dkim`, dkim=pass for a signer aligned with it). A DMARC fail
    for the From domain in any header is a forgery, whatever else the message says."""
    domain = parsed.from_addr.rpartition("@")[2]
    headers = [_results(value) for value in parsed.headers.get("authentication-results", [])]
    for _, results in headers:
        for result in results:
            failed = result.method == "dmarc" and result.outcome == "fail"
            if failed and result.properties.get("header.from", domain) == domain:
                return Verdict(False, True, f"DMARC failed for {domain or 'the From domain'}")
    if parsed.sender_problem:
        return Verdict(False, False, parsed.sender_problem)
    if not domain:
        return Verdict(False, False, "the message has no sender address")
    authserv_id = authserv_id.strip().lower()
    if not authserv_id:
        return Verdict(
            False, False, "this mailbox cannot check senders yet ([inbound] authserv_id is not set)"
        )
    dmarc = _topmost(headers, authserv_id, "dmarc")
    for result in dmarc:
        if result.outcome == "pass" and result.properties.get("header.from") == domain:
            return Verdict(True, False, f"DMARC passed for {domain} at {authserv_id}")
    if accept_dkim:
        for result in _topmost(headers, authserv_id, "dkim"):
            signer = result.properties.get("header.d") or result.properties.get("header.i", "")
            if result.outcome == "pass" and _aligned(domain, signer):
                return Verdict(True, False, f"DKIM passed for {signer} at {authserv_id}")
    passed_for = [r.properties.get("header.from", "?") for r in dmarc if r.outcome == "pass"]
    if passed_for:
        return Verdict(False, False, f"DMARC passed for {', '.join(passed_for)}, not for {domain}")
    return Verdict(False, False, f"{authserv_id} did not record a DMARC pass for {domain}")


def bare_subject(subject: str) -> str:
    return _SUBJECT_PREFIX.sub("", subject).strip()


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def named_phrase(phrases: Iterable[str], *texts: str) -> str:
    """The longest phrase that appears, as words and without regard to case, in one of the texts."""
    for phrase in sorted(set(phrases), key=len, reverse=True):
        pattern = re.compile(r"(?<!\w)" + re.escape(phrase.strip()) + r"(?!\w)", re.IGNORECASE)
        if any(pattern.search(text) for text in texts if text):
            return phrase
    return ""


@dataclass(frozen=True)
class Mention:
    name: str
    email: str


def mentioned_people(text: str) -> list[Mention]:
    """`Jane Doe <jane@x.edu>`, `"Doe, Jane" <jane@x.edu>`, bare addresses, lists of them, and the
    From/To lines of a quoted or forwarded message; once each, in order of appearance."""
    found: dict[str, Mention] = {}
    for match in _NAMED.finditer(text):
        name = (match.group(1) or match.group(2) or "").strip().strip("'").strip()
        if name.lower().endswith((" wrote", "mailto")) or "@" in name:
            name = ""
        name = re.sub(r"^(from|to|cc|reply-to)\s*:\s*", "", name, flags=re.IGNORECASE).strip()
        email = match.group(3).lower()
        if email not in found or (name and not found[email].name):
            found[email] = Mention(name, email)
    for match in _BARE.finditer(text):
        email = match.group(1).lower().rstrip(".")
        found.setdefault(email, Mention("", email))
    return list(found.values())


def partner_line(text: str) -> str:
    match = _PARTNER_LINE.search(text)
    return " ".join(match.group(1).split())[:200] if match else ""


def organization_from_domain(email: str) -> str:
    """A partner name to start with when nobody gave one: the address's domain, unless it is a
    free mail provider's (which says nothing about the organization)."""
    domain = email.rpartition("@")[2].lower()
    for prefix in ("mail.", "email.", "www.", "mx."):
        if domain.startswith(prefix) and domain.count(".") > 1:
            domain = domain[len(prefix) :]
    if not domain or domain in _FREE_MAIL:
        return ""
    return domain
