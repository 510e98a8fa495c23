"""Every write to the document workspace: copies of templates, shares, running-notes entries.

Store calls come first, before this module opens a transaction, and each is find-or-create: when
a run stops between the store and the database, doing the same call again finds what the store
already has and writes only the missing rows. The database writes of one change (rows, outbox
messages and the timeline entry) go in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

from django.db import transaction

from partnerdesk.documents.base import StoredItem, get_store
from partnerdesk.documents.models import TITLE_MAX_LENGTH, Document, RunningNoteEntry, Share
from partnerdesk.documents.partner_links import LINK_LIFETIME, partner_link_create
from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.mail.outbox import default_from_address, message_queue
from partnerdesk.pipeline.models import Contact, Engagement, TimelineEntry
from partnerdesk.pipeline.services import Actor, ServiceError, timeline_record
from partnerdesk.profile import get_profile

# The handbook's templates, in the profile's templates folder, and their placeholder.
RUNNING_NOTES_TEMPLATE = "[Template] Running Notes"
AGREEMENT_TEMPLATE = "[TEMPLATE] Outbound Services Agreement"
PARTNER_PLACEHOLDER = "PartnerX"

_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def template_path(name: str) -> str:
    """`"[Template] Running Notes"` -> `"Partnerships/Templates/[Template] Running Notes"`."""
    return f"{get_profile().documents.templates_folder}/{name}"


def partner_folder_path(engagement: Engagement) -> str:
    """The handbook's `Team Drive >> Partnerships >> Agreements >> PartnerX`."""
    return get_profile().partner_folder(engagement.organization.name)


def running_notes_title(engagement: Engagement) -> str:
    return f"Running notes -- {engagement.organization.name} + {get_profile().organization.name}"


def stored_item(document: Document) -> StoredItem:
    """The document as its store knows it."""
    return StoredItem(
        store_id=document.store_id, name=document.title, path=document.path, url=document.url or None
    )


def _existing_document(*, engagement: Engagement, title: str, idempotency_key: str | None) -> Document | None:
    if idempotency_key is not None:
        found = Document.objects.filter(idempotency_key=idempotency_key).first()
        if found is not None:
            return found
    return Document.objects.filter(engagement=engagement, title=title).first()


def document_from_template(
    *,
    engagement: Engagement,
    kind: str,
    template: str,
    folder_path: str,
    title: str,
    replacements: Mapping[str, str],
    actor: Actor,
    idempotency_key: str | None = None,
) -> Document:
    """Find or create the copy of `template` named `title` in `folder_path`, in the store and here.

    The same engagement and title (or the same idempotency key) give the existing Document; its
    file is made again from the template only if it went missing from the store.
    """
    if kind not in Document.Kind.values:
        raise ServiceError(f"unknown document kind {kind!r} (use {', '.join(Document.Kind.values)})")
    if not title.strip():
        raise ServiceError("the document has no title")
    if _CONTROL.search(title):
        raise ServiceError(f"the document title {title!r} holds a line break or a control character")
    if len(title) > TITLE_MAX_LENGTH:
        raise ServiceError(f"the document title is too long: {title[:60]!r}...")
    existing = _existing_document(engagement=engagement, title=title, idempotency_key=idempotency_key)
    if existing is not None:
        folder_path, title = existing.folder_path, existing.title

    store = get_store()
    folder = store.ensure_folder(folder_path)
    item = store.copy_template(template=template, folder=folder, name=title, replacements=replacements)

    with transaction.atomic():
        document, created = Document.objects.get_or_create(
            engagement=existing.engagement if existing else engagement,
            title=title,
            defaults={
                "kind": kind,
                "store": store.name,
                "store_id": item.store_id,
                "folder_path": folder.path,
                "url": item.url or "",
                "created_at": clock.now(),
                "idempotency_key": idempotency_key,
            },
        )
        if created:
            timeline_record(
                engagement=document.engagement,
                kind=TimelineEntry.Kind.DOCUMENT,
                actor=actor,
                summary=f"Created the document {document.path}",
                data={
                    "document": document.pk,
                    "kind": kind,
                    "title": title,
                    "folder": folder.path,
                    "template": template,
                    "store": store.name,
                    "store_id": item.store_id,
                },
            )
        elif (document.store, document.store_id, document.url) != (store.name, item.store_id, item.url or ""):
            # Made again after it went missing, or found in another store.
            document.store, document.store_id, document.url = store.name, item.store_id, item.url or ""
            document.save(update_fields=["store", "store_id", "url"])
    return document


def _share_notification(
    *, share: Share, message: str, actor: Actor, idempotency_key: str | None
) -> OutboxMessage:
    document, contact = share.document, share.contact
    profile = get_profile()
    team = profile.mailbox.display_name
    rights = "edit" if share.role == Share.Role.EDITOR else "view"
    # The title and a link the contact can open; never our folder path, which means nothing to them.
    where = f"Open it here: {document.url}" if document.url else ""
    if not document.url:
        # The local store has no web address: the contact opens what is shared with them on our
        # site, through a link of their own (it expires, and can be revoked on the engagement page).
        link = partner_link_create(contact=contact, actor=actor)
        where = f"Open it here (this link works for {LINK_LIFETIME.days} days): {link}"
    paragraphs = [
        f"Hello {contact.name}," if contact.name else "Hello,",
        f'{team} shared the document "{document.title}" with you; you can {rights} it.',
        message.strip(),
        f"Document: {document.title}\n{where}",
        f"Best regards,\n{team}",
    ]
    return message_queue(
        to=[contact.email],
        subject=f'Document shared with you: "{document.title}"',
        body="\n\n".join(paragraph for paragraph in paragraphs if paragraph) + "\n",
        from_addr=default_from_address(),
        engagement=document.engagement,
        idempotency_key=f"{idempotency_key}:{contact.email}" if idempotency_key is not None else None,
        actor=actor,
    )


def document_share(
    *,
    document: Document,
    contacts: Sequence[Contact],
    role: str,
    actor: Actor,
    notify: bool = True,
    message: str = "",
    idempotency_key: str | None = None,
) -> list[Share]:
    """Share with the contacts who do not have the document yet; returns only the new shares.

    Each one newly shared gets one email from the shared mailbox (unless `notify` is false);
    sharing again with someone who has it changes nothing and sends nothing. A store that shares
    by itself (Google Drive) gives them access first, outside the transaction, and sends the
    notification itself (with `message`), so the mailbox sends none.
    """
    if role not in Share.Role.values:
        raise ServiceError(f"unknown role {role!r} (use {' or '.join(Share.Role.values)})")
    store = get_store()
    store_share = getattr(store, "share", None)
    if callable(store_share) and document.store == store.name:
        have = set(Share.objects.filter(document=document).values_list("contact_id", flat=True))
        for contact in dict.fromkeys(contacts):
            if contact.pk not in have:
                store_share(stored_item(document), contact.email, role, notify, message)
        notified_by = "store" if notify else ""
        notify = False
    else:
        notified_by = "mailbox" if notify else ""
    with transaction.atomic():
        shares = []
        for contact in dict.fromkeys(contacts):
            share, created = Share.objects.get_or_create(
                document=document, contact=contact, defaults={"role": role, "created_at": clock.now()}
            )
            if created:
                shares.append(share)
        if not shares:
            return []
        if notify:
            for share in shares:
                share.notification = _share_notification(
                    share=share, message=message, actor=actor, idempotency_key=idempotency_key
                )
                share.save(update_fields=["notification"])
        who = [str(share.contact) for share in shares]
        timeline_record(
            engagement=document.engagement,
            kind=TimelineEntry.Kind.SHARE,
            actor=actor,
            summary=f"Shared {document.title} with {', '.join(who)} ({role})",
            data={
                "document": document.pk,
                "role": role,
                "contacts": [share.contact.email for share in shares],
                "notified": bool(notified_by),
                "notified_by": notified_by,
            },
        )
    return shares


def running_notes_document(*, engagement: Engagement) -> Document | None:
    return Document.objects.filter(engagement=engagement, kind=Document.Kind.RUNNING_NOTES).first()


def running_notes_ensure(*, engagement: Engagement, actor: Actor) -> Document:
    """The engagement's running notes, made from the template if there are none (or the file is gone)."""
    existing = running_notes_document(engagement=engagement)
    return document_from_template(
        engagement=engagement,
        kind=Document.Kind.RUNNING_NOTES,
        template=template_path(RUNNING_NOTES_TEMPLATE),
        folder_path=existing.folder_path if existing else partner_folder_path(engagement),
        title=existing.title if existing else running_notes_title(engagement),
        replacements={PARTNER_PLACEHOLDER: engagement.organization.name},
        actor=actor,
    )


def running_notes_append(
    *,
    engagement: Engagement,
    text: str,
    actor: Actor,
    on: dt.date | None = None,
    idempotency_key: str | None = None,
) -> Document:
    """Add the dated entry "YYYY-MM-DD text" at the end of the engagement's running notes.

    A repeated idempotency key appends nothing. The key also marks the line in the document,
    so a run that stopped after writing the line but before recording it (even inside a
    transaction that rolled back) does not write it a second time.
    """
    text = " ".join(text.split())
    if not text:
        raise ServiceError("the running-notes entry is empty")
    if idempotency_key is not None:
        done = (
            RunningNoteEntry.objects.select_related("document")
            .filter(idempotency_key=idempotency_key)
            .first()
        )
        if done is not None:
            return done.document

    document = running_notes_ensure(engagement=engagement, actor=actor)
    line = f"{(on or clock.today()).isoformat()} {text}"
    get_store().append_paragraph(stored_item(document), line, marker=idempotency_key)

    with transaction.atomic():
        values = {"document": document, "line": line, "created_at": clock.now()}
        if idempotency_key is None:
            entry, created = RunningNoteEntry.objects.create(**values), True
        else:
            # Two runs with one key may both get here; the line is in the document once either way.
            entry, created = RunningNoteEntry.objects.get_or_create(
                idempotency_key=idempotency_key, defaults=values
            )
        if created:
            timeline_record(
                engagement=document.engagement,
                kind=TimelineEntry.Kind.RUNNING_NOTE,
                actor=actor,
                summary=f"Running notes: {line}",
                data={"document": document.pk, "entry": entry.pk, "line": line},
            )
    return document
