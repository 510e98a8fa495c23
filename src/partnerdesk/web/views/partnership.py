"""The partner phase in the web: the Invoices page, each invoice's actions, missed items, check-ins,
the renewal outcome and the agreement's preview.

Each POST parses its form, calls one service of `partnership/`, says what happened, and goes back
where it came from (`next`). A refusal shows in red: what went wrong, then what to do on the page.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from partnerdesk.agreements.selectors import agreement_for
from partnerdesk.partnership import invoicing
from partnerdesk.partnership.checkins import RATINGS, CheckInRefused, check_in_answer
from partnerdesk.partnership.models import CheckIn, Invoice, Tickler
from partnerdesk.partnership.renewals import renewal_record
from partnerdesk.partnership.selectors import agreement_preview
from partnerdesk.partnership.services import (
    invoice_issue_now,
    tickler_mark_done,
    tickler_send_missed,
    tickler_skip,
)
from partnerdesk.pipeline.models import Engagement
from partnerdesk.pipeline.services import ServiceError
from partnerdesk.web.access import actor_of, engagement_or_404, safe_next
from partnerdesk.web.partnership_forms import (
    CheckInRecordForm,
    InvoiceFilterForm,
    ItemNoteForm,
    PaidForm,
    RenewalForm,
    VoidForm,
)

PER_PAGE = 50
PREVIEW_DAYS = 90


def partner_section_url(engagement: Engagement) -> str:
    return reverse("engagement", args=[engagement.reference]) + "#partner"


def refused(request: HttpRequest, what: str, problem: object, todo: str) -> None:
    """One red message: what failed, why, and what to do about it on the page."""
    why = str(problem).rstrip(".")
    messages.error(request, f"{what}: {why}. {todo}")


def go_back(request: HttpRequest, back: str) -> HttpResponse:
    """Back where the form was (`page#place`): what the action said shows at that place."""
    return redirect(back)


def form_refused(request: HttpRequest, what: str, form: Form, todo: str) -> None:
    problems = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        problems += [f"{label}: {error}" if label else str(error) for error in errors]
    refused(request, what, "; ".join(problems), todo)


# Invoices -----------------------------------------------------------------------------------


def invoice_or_404(number: str) -> Invoice:
    invoice = (
        Invoice.objects.select_related("engagement__organization", "agreement").filter(number=number).first()
    )
    if invoice is None:
        raise Http404("no such invoice")
    return invoice


@login_required
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    """Every invoice, newest first, filtered by status."""
    filters = InvoiceFilterForm(request.GET)
    invoices = Invoice.objects.select_related("engagement__organization", "agreement").order_by(
        "-year", "-sequence"
    )
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    if status:
        invoices = invoices.filter(status=status)
    page = Paginator(invoices, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "partnerdesk/invoices.html",
        {"page": page, "filters": filters, "status": status, "here": request.get_full_path()},
    )


@login_required
@require_GET
def invoice_download(request: HttpRequest, number: str) -> FileResponse:
    document = invoicing.invoice_document(invoice_or_404(number))
    return FileResponse(
        io.BytesIO(document.pdf),
        as_attachment=True,
        filename=document.filename,
        content_type="application/pdf",
    )


InvoiceAction = Callable[[HttpRequest, Invoice, Form], str]


def _invoice_post(
    form_class: type[Form], action: InvoiceAction, what: str, todo: str, form_todo: str = ""
) -> Callable[[HttpRequest, str], HttpResponse]:
    """A POST on one invoice; `todo` follows a refusal of the service, `form_todo` one of the form."""

    @login_required
    @require_POST
    def view(request: HttpRequest, number: str) -> HttpResponse:
        invoice = invoice_or_404(number)
        back = safe_next(request, partner_section_url(invoice.engagement))
        form = form_class(request.POST)
        if not form.is_valid():
            form_refused(request, f"{what} {invoice.number} failed", form, form_todo or todo)
            return go_back(request, back)
        try:
            done = action(request, invoice, form)
        except ServiceError as exc:
            refused(request, f"{what} {invoice.number} failed", exc, todo)
        else:
            messages.success(request, done)
        return go_back(request, back)

    view.__name__ = action.__name__
    return view


def _mark_paid(request: HttpRequest, invoice: Invoice, form: Form) -> str:
    paid = invoicing.invoice_mark_paid(
        invoice=invoice, actor=actor_of(request), on=form.cleaned_data["paid_on"]
    )
    assert paid.paid_on is not None
    return f"Invoice {paid.number} is paid ({paid.paid_on.isoformat()}); its overdue reminders stop."


def _void(request: HttpRequest, invoice: Invoice, form: Form) -> str:
    invoicing.invoice_void(invoice=invoice, actor=actor_of(request), reason=form.cleaned_data["reason"])
    return (
        f"Invoice {invoice.number} is void. It keeps its number; {invoice.billing_contact} is told to"
        " disregard it (the email is in the Outbox)."
    )


def _resend(request: HttpRequest, invoice: Invoice, form: Form) -> str:
    message = invoicing.invoice_resend(invoice=invoice, actor=actor_of(request))
    return f"Invoice {invoice.number} is queued to go again to {', '.join(message.to)} (see the Outbox)."


CHECK_STATUS = "The invoice's status is shown on the Invoices page; reload it to see the current one."
invoice_paid = _invoice_post(
    PaidForm,
    _mark_paid,
    "Marking invoice",
    CHECK_STATUS,
    "Give the day it was paid as a date, or leave it empty for today, then press Mark paid again.",
)
invoice_void = _invoice_post(
    VoidForm,
    _void,
    "Voiding invoice",
    "Only a sent or overdue invoice can be void; " + CHECK_STATUS[0].lower() + CHECK_STATUS[1:],
    "Write why it is void in the box under Void, then press Void again.",
)
invoice_resend = _invoice_post(
    Form,
    _resend,
    "Resending invoice",
    "A void invoice is not sent again; if money is still due, issue the next invoice from the"
    " engagement's Partner section.",
)


# Missed and planned items --------------------------------------------------------------------


def tickler_or_404(engagement: Engagement, tickler_id: int) -> Tickler:
    tickler = (
        Tickler.objects.select_related("engagement__organization", "agreement")
        .filter(pk=tickler_id, engagement=engagement)
        .first()
    )
    if tickler is None:
        raise Http404("no such item on this engagement")
    return tickler


SEND_TODO = (
    "Fix what it names on this page (for example add a contact, or set the agreement's billing"
    " contact in the Agreement section), then press Send again; or Skip it."
)
ItemAction = Callable[[HttpRequest, Tickler, Form], str]


def _item_post(
    form_class: type[Form], action: ItemAction, what: str, todo: str
) -> Callable[[HttpRequest, str, int], HttpResponse]:
    @login_required
    @require_POST
    def view(request: HttpRequest, reference: str, tickler_id: int) -> HttpResponse:
        engagement = engagement_or_404(reference)
        tickler = tickler_or_404(engagement, tickler_id)
        back = safe_next(request, partner_section_url(engagement))
        form = form_class(request.POST)
        if not form.is_valid():
            form_refused(request, what, form, todo)
            return go_back(request, back)
        try:
            done = action(request, tickler, form)
        except ServiceError as exc:
            refused(request, what, exc, todo)
        else:
            messages.success(request, done)
        return go_back(request, back)

    view.__name__ = action.__name__
    return view


def _send(request: HttpRequest, tickler: Tickler, form: Form) -> str:
    sent = tickler_send_missed(tickler=tickler, actor=actor_of(request))
    return f"Sent: {sent.outcome}."


def _issue(request: HttpRequest, tickler: Tickler, form: Form) -> str:
    issued = invoice_issue_now(tickler=tickler, actor=actor_of(request))
    return f"Issued: {issued.outcome}."


def _skip(request: HttpRequest, tickler: Tickler, form: Form) -> str:
    tickler_skip(tickler=tickler, actor=actor_of(request), reason=form.cleaned_data["note"])
    return f"Skipped; it will not be sent ({tickler.due_on.isoformat()})."


def _done(request: HttpRequest, tickler: Tickler, form: Form) -> str:
    tickler_mark_done(tickler=tickler, actor=actor_of(request), note=form.cleaned_data["note"])
    return f"Marked done by hand ({tickler.due_on.isoformat()}); nothing is sent."


ALREADY = "It was handled meanwhile: the Partner section shows what is still open."
tickler_send = _item_post(Form, _send, "Sending the missed item failed", SEND_TODO)
tickler_issue = _item_post(Form, _issue, "Issuing the invoice failed", SEND_TODO)
tickler_skip_view = _item_post(ItemNoteForm, _skip, "Skipping the item failed", ALREADY)
tickler_done_view = _item_post(ItemNoteForm, _done, "Marking the item done failed", ALREADY)


# Check-ins, the renewal, the preview ---------------------------------------------------------


@login_required
@require_POST
def check_in_record(request: HttpRequest, reference: str, check_in_id: int) -> HttpResponse:
    """A check-in answered another way (a call, an email), recorded by a team member."""
    engagement = engagement_or_404(reference)
    check_in = (
        CheckIn.objects.select_related("engagement").filter(pk=check_in_id, engagement=engagement).first()
    )
    if check_in is None:
        raise Http404("no such check-in on this engagement")
    back = safe_next(request, partner_section_url(engagement))
    form = CheckInRecordForm(request.POST)
    what = f"Recording {check_in.email}'s check-in failed"
    if not form.is_valid():
        form_refused(request, what, form, "Choose a rating from 1 to 5, then press Record again.")
        return go_back(request, back)
    try:
        answered = check_in_answer(
            check_in=check_in,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
            recorded_by=actor_of(request),
        )
    except CheckInRefused:
        refused(
            request,
            what,
            "it was already answered",
            "Its answer is in the Check-ins list and on the timeline.",
        )
    else:
        assert answered.rating is not None
        messages.success(
            request,
            f"Check-in of {check_in.email} recorded: {answered.rating}/5 ({RATINGS[answered.rating]}).",
        )
    return go_back(request, back)


@login_required
@require_POST
def renewal_record_view(request: HttpRequest, reference: str) -> HttpResponse:
    engagement = engagement_or_404(reference)
    back = safe_next(request, partner_section_url(engagement))
    form = RenewalForm(request.POST)
    todo = "Correct it in the Renewal form of the Partner section, then press Record the outcome again."
    if not form.is_valid():
        form_refused(request, "Recording the renewal failed", form, todo)
        return go_back(request, back)
    terms = form.new_terms()
    try:
        outcome = renewal_record(
            engagement=engagement,
            outcome=form.cleaned_data["outcome"],
            reason=form.cleaned_data["reason"],
            actor=actor_of(request),
            **terms,
        )
    except ServiceError as exc:
        refused(request, "Recording the renewal failed", exc, todo)
        return go_back(request, back)
    renewal = outcome.renewal
    said = [f"Renewal outcome recorded: {renewal.get_outcome_display()}."]
    if outcome.next_agreement is not None:
        agreement = outcome.next_agreement
        assert agreement.term_start is not None and agreement.term_end is not None
        said.append(
            f"The partnership continues as {renewal.renewal_engagement.reference} from"
            f" {agreement.term_start.isoformat()} to {agreement.term_end.isoformat()}; its invoices,"
            " check-ins and renewal reminders are planned."
        )
    said.extend(outcome.notes)
    messages.success(request, " ".join(said))
    return go_back(request, back)


@login_required
@require_GET
def agreement_preview_page(request: HttpRequest, reference: str) -> HttpResponse:
    """What the engagement's agreement sends if recorded as executed today, over the next 90 days."""
    engagement = engagement_or_404(reference)
    agreement = agreement_for(engagement)
    rows = agreement_preview(agreement, days=PREVIEW_DAYS) if agreement is not None else []
    return render(
        request,
        "partnerdesk/agreement_preview.html",
        {"engagement": engagement, "agreement": agreement, "rows": rows, "days": PREVIEW_DAYS},
    )
