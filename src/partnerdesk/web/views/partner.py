"""Partner pages: the documents shared with one contact, reached by their link without sign-in.

Every view starts from the token: an unknown, expired or revoked one is a 404, and so is any
document that is not shared with the link's contact. Reading needs the confirmation click first
(`partner-open` by POST), which mail scanners that fetch links never make.
"""

from __future__ import annotations

import io
import re
import secrets
from pathlib import PurePosixPath

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnerdesk.agreements import storage
from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.services import EDITABLE, MAX_FILE_BYTES, agreement_attach
from partnerdesk.documents.base import DOCX_MIMETYPE, DocumentStoreError, get_store
from partnerdesk.documents.models import Document, PartnerLink, Share
from partnerdesk.documents.partner_links import (
    partner_actor,
    partner_link_confirm,
    partner_link_confirmed,
    partner_link_find,
    partner_share_or_404,
    partner_shares,
)
from partnerdesk.documents.services import running_notes_append, stored_item
from partnerdesk.pipeline.services import ServiceError

_NONCE = re.compile(r"^[0-9a-f]{32}$")


def _link_or_404(token: str) -> PartnerLink:
    link = partner_link_find(token)
    if link is None:
        raise Http404("This link is not valid: it has expired or was revoked.")
    return link


def _documents_url(token: str) -> str:
    return reverse("partner-documents", args=[token])


def _agreement_of(document: Document) -> Agreement | None:
    if document.kind != Document.Kind.AGREEMENT:
        return None
    return Agreement.objects.filter(document=document).order_by("-id").first()


@never_cache
@require_http_methods(["GET", "POST"])
def partner_open(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for the click (and reveals nothing); POST remembers the link in this browser."""
    link = _link_or_404(token)
    if request.method == "POST":
        partner_link_confirm(request, link)
        return redirect(_documents_url(token))
    return render(request, "partnerdesk/partner_open.html", {"token": token})


@never_cache
@require_GET
def partner_documents(request: HttpRequest, token: str) -> HttpResponse:
    link = _link_or_404(token)
    if not partner_link_confirmed(request, link):
        return redirect("partner-open", token=token)
    items = []
    for share in partner_shares(link):
        document = share.document
        item: dict[str, object] = {"share": share, "document": document, "editor": _is_editor(share)}
        if document.kind == Document.Kind.RUNNING_NOTES:
            try:
                item["text"] = get_store().read_text(stored_item(document))
            except DocumentStoreError:
                item["text"] = None
        agreement = _agreement_of(document)
        if agreement is not None:
            item["agreement"] = agreement
            item["latest"] = agreement.versions.order_by("-number").first()
            item["can_upload"] = _is_editor(share) and agreement.status in EDITABLE
        items.append(item)
    return render(
        request,
        "partnerdesk/partner_documents.html",
        {
            "token": token,
            "contact": link.contact,
            "items": items,
            "expires_at": link.expires_at,
            "nonce": secrets.token_hex(16),
        },
    )


def _is_editor(share: Share) -> bool:
    return share.role == Share.Role.EDITOR


def _confirmed_share(request: HttpRequest, token: str, document_id: int) -> tuple[PartnerLink, Share]:
    link = _link_or_404(token)
    share = partner_share_or_404(link, document_id)
    if not partner_link_confirmed(request, link):
        raise Http404("open the link first")
    return link, share


@never_cache
@require_POST
def partner_notes_append(request: HttpRequest, token: str, document_id: int) -> HttpResponse:
    link, share = _confirmed_share(request, token, document_id)
    if share.document.kind != Document.Kind.RUNNING_NOTES or not _is_editor(share):
        raise Http404("these are not running notes you may edit")
    nonce = request.POST.get("nonce", "")
    try:
        running_notes_append(
            engagement=share.document.engagement,
            text=request.POST.get("text", ""),
            actor=partner_actor(link),
            # A double-clicked form adds the entry once.
            idempotency_key=f"partner-note:{link.pk}:{nonce}" if _NONCE.match(nonce) else None,
        )
    except (ServiceError, DocumentStoreError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Entry added to the running notes.")
    return redirect(_documents_url(token) + f"#document-{share.document_id}")


@never_cache
@require_GET
def partner_download(request: HttpRequest, token: str, document_id: int) -> HttpResponseBase:
    """The document's .docx; for an agreement, its latest version."""
    _, share = _confirmed_share(request, token, document_id)
    document = share.document
    agreement = _agreement_of(document)
    latest = agreement.versions.order_by("-number").first() if agreement else None
    try:
        if latest is not None:
            content, filename = storage.read_file(latest.store_id), latest.filename
        else:
            content, filename = storage.read_file(document.store_id), f"{document.title}.docx"
    except DocumentStoreError:
        raise Http404("the file is missing from the store") from None
    filename = PurePosixPath(filename.replace("/", "-").replace("\\", "-")).name
    content_type = latest.content_type if latest is not None else DOCX_MIMETYPE
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=filename, content_type=content_type)


@never_cache
@require_POST
def partner_upload(request: HttpRequest, token: str, document_id: int) -> HttpResponse:
    """A new version of the agreement, uploaded by a contact it is shared with as an editor."""
    link, share = _confirmed_share(request, token, document_id)
    agreement = _agreement_of(share.document)
    if agreement is None or not _is_editor(share):
        raise Http404("no agreement you may edit")
    back = _documents_url(token) + f"#document-{share.document_id}"
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a .docx file to upload.")
        return redirect(back)
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        messages.error(request, f"{upload.name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        return redirect(back)
    filename = PurePosixPath((upload.name or "agreement.docx").replace("\\", "/")).name
    if not filename.lower().endswith(".docx"):
        messages.error(request, f"{filename} is not a .docx file.")
        return redirect(back)
    try:
        version = agreement_attach(
            agreement=agreement, content=upload.read(), filename=filename, actor=partner_actor(link)
        )
    except (ServiceError, DocumentStoreError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Thank you: {filename} is version {version.number} of the agreement.")
    return redirect(back)
