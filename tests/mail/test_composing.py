"""Building a message (pure): headers, body, attachments, and refusing header injection."""

from __future__ import annotations

import email
import email.policy
import io

import docx
import pytest

from partnerdesk.lib.addresses import AddressError
from partnerdesk.mail.composing import (
    Attachment,
    HeaderInjectionError,
    build_message,
    message_bytes,
    new_message_id,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _build(**overrides):
    arguments = {
        "from_addr": "2i2c's Partnerships Team <partnerships@2i2c.org>",
        "to": ["Lucía García <lucia@harbor.example.edu>"],
        "subject": "[PD-12] Thank you for your interest",
        "body": "Dear Lucía,\n\nThank you.\n",
        "message_id": "<abc.123@2i2c.org>",
    }
    return build_message(**{**arguments, **overrides})


def _parsed(message):
    return email.message_from_bytes(message_bytes(message), policy=email.policy.default)


def _text(part) -> str:
    return part.get_content().replace("\r\n", "\n")


def test_a_message_has_the_standard_headers_and_utf8_text_and_html_parts():
    parsed = _parsed(_build(cc=["partnerships@2i2c.org"], reply_to="partnerships@2i2c.org"))
    assert parsed["From"] == "2i2c's Partnerships Team <partnerships@2i2c.org>"
    assert parsed["To"] == "Lucía García <lucia@harbor.example.edu>"
    assert parsed["Cc"] == "partnerships@2i2c.org"
    assert parsed["Reply-To"] == "partnerships@2i2c.org"
    assert parsed["Subject"] == "[PD-12] Thank you for your interest"
    assert parsed["Message-ID"] == "<abc.123@2i2c.org>"
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["Date"]
    assert parsed.get_content_type() == "multipart/alternative"
    plain, html = parsed.get_payload()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    assert _text(plain) == "Dear Lucía,\n\nThank you.\n"
    assert "<p>Dear Lucía,</p>\n<p>Thank you.</p>" in _text(html)


def test_the_bytes_are_seven_bit_with_crlf_line_endings():
    raw = message_bytes(_build(subject="Merci — à bientôt"))
    raw.decode("ascii")
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_there_is_no_bcc_header_and_extra_headers_are_added():
    parsed = _parsed(_build(extra_headers={"Auto-Submitted": "auto-generated", "In-Reply-To": "<p@x.org>"}))
    assert "Bcc" not in parsed
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["In-Reply-To"] == "<p@x.org>"


def test_an_extra_header_cannot_replace_one_partnerdesk_writes():
    with pytest.raises(ValueError, match="the Subject header is written by partnerdesk"):
        _build(extra_headers={"Subject": "other"})


@pytest.mark.parametrize(
    ("overrides", "header"),
    [
        ({"subject": "Hello\r\nBcc: eve@evil.example"}, "Subject"),
        ({"subject": "Hello\nthere"}, "Subject"),
        ({"subject": "Hello\u2028there"}, "Subject"),
        ({"to": ["Lee\r\nBcc: eve@evil.example <lee@harbor.example.edu>"]}, "To"),
        ({"from_addr": "Team\n <partnerships@2i2c.org>"}, "From"),
        ({"cc": ["Ana\rX <ana@harbor.example.edu>"]}, "Cc"),
        ({"extra_headers": {"X-Note": "a\nBcc: eve@evil.example"}}, "X-Note"),
        ({"attachments": [Attachment("a\n.docx", b"x", DOCX)]}, "Attachment filename"),
    ],
)
def test_a_line_break_in_a_header_value_is_refused_naming_the_header(overrides, header):
    with pytest.raises(HeaderInjectionError, match=f"^{header} contains a line break$"):
        _build(**overrides)


def test_an_address_list_in_one_item_or_a_missing_address_is_refused():
    with pytest.raises(AddressError, match="To: 'a@x.org, b@y.org' is not one email address"):
        _build(to=["a@x.org, b@y.org"])
    with pytest.raises(AddressError, match="at least one To address"):
        _build(to=[])


def test_a_docx_attachment_comes_back_byte_for_byte():
    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Harbor University running notes")
    document.save(buffer)
    content = buffer.getvalue()
    parsed = _parsed(
        _build(attachments=[Attachment("Harbor University – running notes.docx", content, DOCX)])
    )
    [part] = list(parsed.iter_attachments())
    assert part.get_filename() == "Harbor University – running notes.docx"
    assert part.get_content_type() == DOCX
    assert part.get_content() == content
    assert _text(parsed.get_body(preferencelist=("plain",))) == "Dear Lucía,\n\nThank you.\n"


def test_a_new_message_id_is_at_the_profile_mailbox_domain_and_unique():
    first, second = new_message_id(), new_message_id()
    assert first.startswith("<") and first.endswith("@2i2c.org>")
    assert first != second
