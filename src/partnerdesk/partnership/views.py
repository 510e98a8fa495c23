"""The satisfaction check-in page: reached from the email's signed link, no sign-in.

GET shows the chosen rating with an optional comment box and writes nothing (mail scanners
follow links); POST records the answer once.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from partnerdesk.partnership.checkins import RATINGS, CheckInRefused, check_in_answer, check_in_from_token


@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, token: str, rating: int) -> HttpResponse:
    try:
        found = check_in_from_token(token)
        if rating not in RATINGS:
            raise CheckInRefused("Choose a rating from 1 to 5.")
        if request.method == "POST":
            check_in_answer(check_in=found, rating=rating, comment=request.POST.get("comment", ""))
            return render(request, "partnership/check_in_done.html", {"check_in": found})
    except CheckInRefused as refused:
        return render(request, "partnership/check_in_refused.html", {"reason": str(refused)}, status=410)
    context = {"check_in": found, "rating": rating, "label": RATINGS[rating], "ratings": RATINGS}
    return render(request, "partnership/check_in.html", context)
