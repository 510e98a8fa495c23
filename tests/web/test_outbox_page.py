"""The outbox page: messages by status, a failed one's error, and Retry."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import message_queue

pytestmark = pytest.mark.django_db


def _queue(subject: str, engagement=None) -> OutboxMessage:
    return message_queue(to=["lee@harbor.example.edu"], subject=subject, body="Hello", engagement=engagement)


def test_the_outbox_lists_queued_sent_and_failed_messages_with_the_error(alice_client, harbor):
    _queue("Queued one", engagement=harbor)
    sent = _queue("Sent one")
    OutboxMessage.objects.filter(pk=sent.pk).update(status="sent", sent_at=clock.now(), attempts=1)
    failed = _queue("Failed one")
    OutboxMessage.objects.filter(pk=failed.pk).update(
        status="failed", attempts=1, last_error="550 5.1.1 <lee@harbor.example.edu>: no such user"
    )

    page = alice_client.get(reverse("outbox")).content.decode()
    assert f"[{harbor.reference}] Queued one" in page
    assert f'href="/engagements/{harbor.reference}/"' in page
    assert "550 5.1.1 &lt;lee@harbor.example.edu&gt;: no such user" in page
    assert page.count(">Retry</button>") == 1

    only_failed = alice_client.get(reverse("outbox"), {"status": "failed"}).content.decode()
    assert "Failed one" in only_failed and "Sent one" not in only_failed


def test_retry_puts_a_failed_message_back_in_the_queue(alice_client):
    failed = _queue("Failed one")
    OutboxMessage.objects.filter(pk=failed.pk).update(status="failed", attempts=8, last_error="421 try later")

    page = alice_client.post(reverse("outbox-retry", args=[failed.pk]), follow=True).content.decode()

    assert f"Message #{failed.pk} is queued again" in page
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("ready", 0)
    again = alice_client.post(reverse("outbox-retry", args=[failed.pk]), follow=True).content.decode()
    assert "is ready, not failed" in again
    assert alice_client.post(reverse("outbox-retry", args=[99999])).status_code == 404
    assert alice_client.get(reverse("outbox-retry", args=[failed.pk])).status_code == 405


# One message's page (outbox/<id>/): what was sent, safely shown, and what became of it.

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _docx(text: str) -> bytes:
    from tests.agreements.conftest import docx_bytes

    return docx_bytes(text)


def test_an_outbox_row_opens_the_message_with_its_headers_parts_engagement_and_delivery(alice_client, harbor):
    from partnerdesk.mail.composing import Attachment

    agreement = _docx("Partnership agreement between Harbor University and 2i2c")
    message = message_queue(
        to=["Lee Park <lee@harbor.example.edu>"],
        cc=["sam@harbor.example.edu"],
        subject="The draft agreement",
        body="Hello Lee,\n\nThe **draft** is attached. See [our site](https://2i2c.org).",
        engagement=harbor,
        attachments=[Attachment("Agreement.docx", agreement, DOCX)],
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="failed",
        attempts=3,
        last_error="127.0.0.1:2525: ConnectionRefusedError: [Errno 111] Connection refused",
    )

    listing = alice_client.get(reverse("outbox")).content.decode()
    assert f'href="/outbox/{message.pk}/"' in listing

    page = alice_client.get(reverse("outbox-message", args=[message.pk])).content.decode()
    assert f"[{harbor.reference}] The draft agreement</h1>" in page
    assert "Lee Park &lt;lee@harbor.example.edu&gt;" in page and "sam@harbor.example.edu" in page
    assert f'href="/engagements/{harbor.reference}/"' in page and "Harbor University" in page
    assert '<span class="status status-failed">Failed</span>' in page
    assert "<dt>Tries</dt><dd>3</dd>" in page
    # The error in words a user reads: no Python class name, no errno.
    assert "127.0.0.1:2525: Connection refused" in page
    assert "ConnectionRefusedError" not in page and "Errno" not in page
    # Both parts: the HTML one rendered (a real link, bold), the text one in its own box.
    assert "<strong>draft</strong>" in page
    assert '<a href="https://2i2c.org" rel="noopener noreferrer nofollow">our site</a>' in page
    text_part = page.split('<pre class="mail-body">')[1].split("</pre>")[0]
    assert "is attached. See our site (https://2i2c.org)." in text_part
    # The attachment, to download.
    download_url = reverse("outbox-attachment", args=[message.pk, 1])
    assert f'<a href="{download_url}" download>Agreement.docx</a>' in page
    # Retry for a failed one, back to this page.
    assert f'action="/outbox/{message.pk}/retry/"' in page
    retried = alice_client.post(
        reverse("outbox-retry", args=[message.pk]), {"next": reverse("outbox-message", args=[message.pk])}
    )
    assert retried["Location"] == reverse("outbox-message", args=[message.pk])
    again = alice_client.get(retried["Location"]).content.decode()
    assert f"Message #{message.pk} is queued again" in again and ">Retry: send it again<" not in again


def test_an_attachment_downloads_as_the_bytes_that_were_sent(alice_client, harbor):
    from partnerdesk.mail.composing import Attachment

    agreement = _docx("The agreement")
    docx_type = DOCX
    message = message_queue(
        to=["lee@harbor.example.edu"],
        subject="Two files",
        body="Attached.",
        attachments=[
            Attachment("Agreement.docx", agreement, docx_type),
            Attachment("notes.html", b"<script>alert(1)</script>", "text/html"),
        ],
    )

    docx_file = alice_client.get(reverse("outbox-attachment", args=[message.pk, 1]))
    assert docx_file.status_code == 200 and docx_file.content == agreement
    assert docx_file["Content-Type"] == docx_type
    assert docx_file["Content-Disposition"] == 'attachment; filename="Agreement.docx"'
    # An HTML file is a download of bytes, never a page of this site.
    html_file = alice_client.get(reverse("outbox-attachment", args=[message.pk, 2]))
    assert html_file["Content-Type"] == "application/octet-stream"
    assert html_file["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in html_file["Content-Security-Policy"]
    assert alice_client.get(reverse("outbox-attachment", args=[message.pk, 3])).status_code == 404
    assert alice_client.get(reverse("outbox-attachment", args=[99999, 1])).status_code == 404
    assert alice_client.get(reverse("outbox-message", args=[99999])).status_code == 404


def test_hostile_html_in_a_message_is_shown_without_script_style_or_remote_images(alice_client):
    message = _queue("Hostile")
    raw = (
        b"From: partnerships@2i2c.org\r\nTo: lee@harbor.example.edu\r\nSubject: Hostile\r\n"
        b"Message-ID: <hostile@2i2c.org>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><title>Title text</title><style>p{color:red}</style></head><body>"
        b"<p onclick=\"steal()\">Visible words</p><script>alert('x')</script>"
        b'<img src="https://tracker.example/pixel.gif" alt="pixel"><form action="https://evil.example">'
        b'<input name="password"></form><a href="javascript:steal()">click</a></body></html>\r\n'
    )
    OutboxMessage.objects.filter(pk=message.pk).update(raw=raw)

    page = alice_client.get(reverse("outbox-message", args=[message.pk])).content.decode()
    body = page.split('class="mail-html">')[1].split("</div>")[0]
    assert "<p>Visible words</p>" in body
    for hostile in ("<script", "alert(", "onclick", "<style", "color:red", "tracker.example", "<form",
                    "<input", "javascript:", "Title text"):  # fmt: skip
        assert hostile not in body, hostile


def test_the_inbox_message_page_shares_the_body_and_downloads_attachments(alice_client, db):
    from tests.inbound.conftest import receive

    agreement = _docx("Signed copy")
    from email.message import EmailMessage

    email = EmailMessage()
    email["From"] = "Kai Moon <kai@ocean.example.org>"
    email["To"] = "partnerships@2i2c.org"
    email["Subject"] = "Our signed agreement"
    email["Message-ID"] = "<signed-1@ocean.example.org>"
    email.set_content("Here it is.")
    email.add_alternative("<p>Here it <b>is</b>.</p><script>alert(1)</script>", subtype="html")
    email.add_attachment(
        agreement,
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="Signed.docx",
    )
    message = receive(email.as_bytes())

    page = alice_client.get(reverse("inbox-message", args=[message.pk])).content.decode()
    assert "Kai Moon &lt;kai@ocean.example.org&gt;" in page
    assert "<p>Here it <b>is</b>.</p>" in page and "alert(1)" not in page
    assert '<pre class="mail-body">Here it is.\n</pre>' in page
    download = reverse("inbox-attachment", args=[message.pk, 1])
    assert f'<a href="{download}" download>Signed.docx</a>' in page
    assert alice_client.get(download).content == agreement
    assert alice_client.get(reverse("inbox-attachment", args=[message.pk, 2])).status_code == 404


def test_timeline_emails_expand_to_their_body(alice_client, harbor):
    from tests.inbound.conftest import receive

    sent = message_queue(
        to=["lee@harbor.example.edu"], subject="Welcome", body="Welcome aboard, Lee.", engagement=harbor
    )
    receive(
        b"From: Lee Park <lee@harbor.example.edu>\r\nTo: partnerships@2i2c.org\r\n"
        b"Subject: Re: [" + harbor.reference.encode() + b"] Welcome\r\n"
        b"Message-ID: <reply-1@harbor.example.edu>\r\n"
        b"\r\nThank you, we are glad to be here.\r\n"
    )

    page = alice_client.get(reverse("engagement", args=[harbor.reference])).content.decode()
    timeline = page.split('id="timeline-body"')[1]
    # The reply: its text is on the page, behind a <details>, with a link to its own page.
    assert "<summary>Show the message</summary>" in timeline
    assert "Thank you, we are glad to be here." in timeline
    # What we sent: fetched from its page when opened (htmx), with a plain link for the rest.
    message_url = reverse("outbox-message", args=[sent.pk])
    assert f'hx-get="{message_url}" hx-trigger="toggle once" hx-select=".mail-parts"' in timeline
    assert f'<a href="{message_url}">Open the message\'s page</a>' in timeline
    fragment = alice_client.get(message_url).content.decode()
    assert '<div class="mail-parts">' in fragment and "Welcome aboard, Lee." in fragment


def test_a_long_outbox_pages_fifty_at_a_time_keeping_the_status_filter(alice_client):
    for number in range(51):
        _queue(f"Message {number}")

    first = alice_client.get(reverse("outbox"), {"status": "ready"}).content.decode()
    assert "page 1 of 2" in first and "?status=ready&amp;page=2" in first and ">Newer<" not in first
    second = alice_client.get(reverse("outbox"), {"status": "ready", "page": 2}).content.decode()
    assert "page 2 of 2" in second and ">Older<" not in second
    assert "?status=ready&amp;page=1" in second
