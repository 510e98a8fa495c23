"""The pipeline board (a column per stage, filters, one page of cards per column), the same
engagements as a sortable list, and a new lead."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from partnerdesk.lib import clock
from partnerdesk.pipeline import services
from partnerdesk.pipeline.stages import Stage
from partnerdesk.profile import get_profile
from partnerdesk.web import queries
from partnerdesk.web.access import actor_of
from partnerdesk.web.engagement_list import SORTS, ListForm, engagement_list
from partnerdesk.web.forms import BoardFilterForm, LeadForm
from partnerdesk.web.htmx import fragment, is_htmx
from partnerdesk.web.queries import BoardFilters


def _filter_form(request: HttpRequest) -> BoardFilterForm:
    return BoardFilterForm(request.GET or None, owners=queries.owner_choices())


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    filters = form.filters()
    return render(
        request,
        "partnerdesk/board.html",
        {
            "profile": get_profile(),
            "form": form,
            "filters": filters,
            "columns": queries.board_columns(filters),
            "lead_form": LeadForm(),
        },
    )


@login_required
@require_GET
def board_column(request: HttpRequest, stage: str) -> HttpResponse:
    """One column from an offset: the "More" link of a long column (works without JavaScript)."""
    try:
        column_stage = Stage(stage)
    except ValueError:
        raise Http404("no such stage") from None
    try:
        offset = max(int(request.GET.get("offset", "0")), 0)
    except ValueError:
        offset = 0
    form = _filter_form(request)
    filters = form.filters()
    column = queries.board_column(filters, column_stage, offset=offset)
    if is_htmx(request):
        # The next page of cards and the next "More" link, in place of the link that was clicked;
        # a move from one of these cards comes back to the board.
        query = urlencode(filters.as_query())
        context = {
            "column": column,
            "filters": filters,
            "back_path": reverse("home") + (f"?{query}" if query else ""),
        }
        return fragment(render(request, "partnerdesk/partials/column_page.html", context))
    return render(
        request,
        "partnerdesk/board_column.html",
        {"profile": get_profile(), "form": form, "filters": filters, "column": column},
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(
            request, "partnerdesk/lead_new.html", {"profile": get_profile(), "lead_form": LeadForm()}
        )
    form = LeadForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "partnerdesk/lead_new.html",
            {"profile": get_profile(), "lead_form": form},
            status=400,
        )
    try:
        engagement = services.engagement_create(
            organization_name=form.cleaned_data["organization"],
            contacts=form.cleaned_data["contacts"],
            note=form.cleaned_data["note"],
            actor=actor_of(request),
            owner=request.user,  # type: ignore[arg-type]
        )
    except services.ServiceError as exc:
        form.add_error(None, str(exc))
        return render(
            request, "partnerdesk/lead_new.html", {"profile": get_profile(), "lead_form": form}, status=400
        )
    messages.success(request, f"{engagement.reference} opened as a Lead for {engagement.organization.name}.")
    return redirect(reverse("engagement", args=[engagement.reference]))


@login_required
@require_GET
def engagement_list_page(request: HttpRequest) -> HttpResponse:
    """Every engagement as a row, sorted and filtered; the list behind the dashboard's numbers."""
    form = ListForm(request.GET or None, owners=queries.owner_choices())
    filters = form.filters()
    result = engagement_list(filters)
    current = filters.sort.lstrip("-")
    headers = []
    for key, label in SORTS.items():
        descending = filters.sort == f"-{key}"
        sort = f"-{key}" if key == current and not descending else key
        headers.append(
            {
                "label": label,
                "href": "?" + urlencode(filters.as_query(sort=sort)),
                "sorted": ("descending" if descending else "ascending") if key == current else "",
            }
        )

    def page_href(number: int) -> str:
        return "?" + urlencode(filters.as_query(page=number))

    return render(
        request,
        "partnerdesk/engagement_list.html",
        {
            "profile": get_profile(),
            "form": form,
            "filters": filters,
            "description": filters.description(clock.today()),
            "result": result,
            "headers": headers,
            "previous_href": page_href(result.page - 1) if result.page > 1 else "",
            "next_href": page_href(result.page + 1) if result.page < result.pages else "",
            "board_href": reverse("home")
            + "?"
            + urlencode(BoardFilters(q=filters.q, owner=filters.owner, stage=filters.stage).as_query()),
        },
    )
